/* The parts of the Moonraker source (moonraker.c: connecting and asking;
 * moonraker_printer.c: what the printer objects mean) share this. */
#ifndef PH_MOONRAKER_PRIVATE_H
#define PH_MOONRAKER_PRIVATE_H

#include "event_queue.h"
#include "json_member.h"
#include "jsonrpc.h"
#include "moonraker.h"
#include "user_action.h"
#include "ws_link.h"

/* PrintStarted waits this long at most for the file's metadata, and an
 * Error for Klippy's shutdown message. */
#define MOONRAKER_WAIT_MS 2000

struct ph_moonraker {
  ph_source_config config;
  ph_http *http;
  ph_router *router;
  ph_ws_link *link;
  ph_jsonrpc *rpc;
  GPtrArray *fetches;         /* struct fetch *, HTTP answers not yet in */
  gboolean key_rejected;      /* said once, not every minute */
  guint info_timer;           /* asks server.info again while Klippy is not there */

  char *klippy_state;         /* "ready", "startup", "shutdown", ...; NULL: not known */
  json_object *status;        /* the printer objects, merged; NULL until subscribed */
  gboolean fresh;             /* status is a new subscription's: compare with what was before a gap */
  char *webcam_url;
  char *meta_file;            /* the file metadata is (being) fetched for */
  json_object *metadata;      /* server.files.metadata of meta_file, or NULL */
  json_object *meta;          /* @meta of meta_file, or NULL */
  gboolean meta_held;         /* the queue waits for meta_file's metadata */

  /* The job being watched: started (or found printing) and not yet ended. */
  char *last_state;           /* print_stats.state as last handled; NULL: never seen */
  char *job_file;             /* NULL: no job */
  char *job_id;               /* Moonraker's history id, when it said */
  gint64 job_size;            /* -1: not known */
  double job_time;            /* print_duration so far */
  double job_completion;      /* percent, -1: not known */
  int last_percent;           /* the completion last handed on, -1: none */
  gboolean reconciling;       /* asking the history how a job ended: state changes wait */
  ph_user_action user_action;
  ph_event_queue *queue;
};

/* A JSON-RPC request on the websocket; reply runs with mr unless the
 * source is freed first (then it does not run).  params: transfer full. */
void ph_moonraker_call (ph_moonraker *mr, const char *method, json_object *params,
                        ph_jsonrpc_reply reply);

/* An HTTP GET of path below the source's URL with an X-Api-Key when set
 * and a Range header when range is not NULL; handle runs with the answer
 * unless the source is gone.  data goes to handle (freed with free_data). */
void ph_moonraker_fetch (ph_moonraker *mr, const char *path, const char *range,
                         void (*handle) (ph_moonraker *mr, const ph_http_response *response,
                                         gpointer data),
                         gpointer data, GDestroyNotify free_data);

/* What the printer says (moonraker_printer.c, and moonraker_job.c for
 * the history). */
void ph_moonraker_on_subscribed (ph_moonraker *mr, json_object *status);
void ph_moonraker_on_status (ph_moonraker *mr, json_object *changes);
void ph_moonraker_on_shutdown (ph_moonraker *mr);
void ph_moonraker_on_history (ph_moonraker *mr, json_object *change);
void ph_moonraker_on_gcode_response (ph_moonraker *mr, const char *line);

/* What the printer side holds: set up, and freed with the source. */
void ph_moonraker_printer_init (ph_moonraker *mr);
void ph_moonraker_printer_clear (ph_moonraker *mr);

/* An event of the printer (payload: transfer full) to the router, in
 * order. */
void ph_moonraker_emit (ph_moonraker *mr, const char *name, json_object *payload);

/* Turns the change from the print_stats.state last handled to the one now
 * into events (moonraker_printer.c). */
void ph_moonraker_apply_state (ph_moonraker *mr);
void ph_moonraker_set_last_state (ph_moonraker *mr, const char *state);

/* The job (moonraker_job.c).  Its @meta: fetched for filename; wait: the
 * events from now on wait for it (PrintStarted), at most
 * MOONRAKER_WAIT_MS. */
void ph_moonraker_fetch_metadata (ph_moonraker *mr, const char *filename, gboolean wait);

/* A job of filename is printing: announce gives PrintStarted, else it was
 * found printing (milestones go on from where it is). */
void ph_moonraker_begin_job (ph_moonraker *mr, const char *filename, gboolean announce);

/* The payload of an event of the job: name, path, origin, size, and
 * time (print_duration) when with_time.  Transfer full. */
json_object *ph_moonraker_job_event (ph_moonraker *mr, gboolean with_time);

/* The job ended: PrintDone; PrintCancelled then PrintFailed (reason
 * cancelled); PrintFailed (reason error, with message), after an Error
 * when error_too. */
void ph_moonraker_job_done (ph_moonraker *mr);
void ph_moonraker_job_cancelled (ph_moonraker *mr);
void ph_moonraker_job_failed (ph_moonraker *mr, const char *message, gboolean error_too);

/* The job is no longer printing and nobody saw how it ended: the history
 * says, and state changes wait until it has. */
void ph_moonraker_reconcile (ph_moonraker *mr);

/* Klipper's print_stats as merged so far, or NULL (transfer none). */
static inline json_object *
ph_moonraker_stats (ph_moonraker *mr)
{
  return ph_json_member (mr->status, "print_stats", json_type_object);
}

#endif
