/* A Bambu Lab printer as its reports tell it (shared/reference/
 * mqtt-and-bambu.md §3): the push_status fields merged into one state (P1
 * and A1 send only what changed, X1 everything), and the events each
 * report means, in OctoPrint's names and parameter shapes so that one hook
 * file serves every printer.  No connection and no clock of its own: the
 * Bambu source (issue 19) feeds it the messages of device/SERIAL/report
 * and the time. */
#ifndef PH_BAMBU_REPORT_H
#define PH_BAMBU_REPORT_H

#include <glib.h>
#include <json-c/json.h>

/* print_error of a print cancelled on the printer or from the slicer
 * (0x0300400C), reported by several tools as "cancelled by user". */
#define PH_BAMBU_ERROR_CANCELLED 50348044

typedef struct ph_bambu_state ph_bambu_state;

typedef struct {
  char *name;              /* "PrintStarted", "PrintProgress", ... */
  json_object *payload;    /* the event's @extra: an object, owned */
  double completion;       /* PrintProgress: percent; else -1 */
} ph_bambu_event;

void ph_bambu_event_free (ph_bambu_event *event);

/* Transfer full. */
ph_bambu_state *ph_bambu_state_new (void);
void ph_bambu_state_free (ph_bambu_state *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_bambu_state, ph_bambu_state_free)

/* Merges one report (len bytes as they came; now: Unix seconds) and
 * appends the events it means to events (ph_bambu_event *, transfer full),
 * in order.  A report that is not a JSON object changes nothing and gives
 * FALSE with error; other kinds than push_status, missing or mistyped
 * fields and unknown states give no event (and TRUE). */
gboolean ph_bambu_state_apply (ph_bambu_state *state, const char *text, gsize len, gint64 now,
                               GPtrArray *events, GError **error);

/* A pushall was sent after the connection was lost: its answer may show
 * the printer several transitions on, each missed one giving its event
 * once; that answer (the first push_status naming gcode_state and the
 * job's subtask_name or gcode_file) replaces what was merged, so a field
 * the printer no longer sends is forgotten.  Deltas that come before it
 * are merged as usual. */
void ph_bambu_state_reconnected (ph_bambu_state *state);

/* TRUE when the printer's reports name an RTSP camera (ipcam.rtsp_url,
 * which X1, P2S and H2 printers send, even as "disable"), which has no
 * still image printhook can take; P1 and A1 send no such member. */
gboolean ph_bambu_state_has_rtsp_camera (ph_bambu_state *state);

/* The printer as OctoPrint describes one: state (text, flags), job (file
 * name, path, origin), progress (completion, printTime, printTimeLeft),
 * temperature (tool0, bed, chamber).  Transfer full. */
json_object *ph_bambu_state_printer (ph_bambu_state *state, gint64 now);

#endif
