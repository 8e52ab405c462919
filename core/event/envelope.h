/* The farm envelope: one event as a printhook forwards it to other
 * printhooks over MQTT (an edge's mqtt.format = event) and as a central
 * daemon's [source] of type mqtt takes it (printhook(1) PRINT FARMS).
 * Version 1, a JSON object with exactly these members:
 *
 *   {"v": 1, "id": "msg_...", "name": "PrintDone",
 *    "source": {"name": "prusa", "type": "octoprint"},
 *    "time": 1733500000, "payload": {...}, "printer": {...}}
 *
 * id names the event for the end-to-end acknowledgement and the central
 * side's duplicate check: the edge's webhook-id of the forwarding
 * delivery, the same on every republication.  time is the event's Unix
 * seconds; payload and printer are the event's own (printer: state, job,
 * progress, ... as the edge's source knew them then).
 *
 * The writer and the reader live here together so that the two sides of
 * the wire cannot drift apart; a change of shape is a new "v". */
#ifndef PH_ENVELOPE_H
#define PH_ENVELOPE_H

#include <json-c/json.h>
#include "event.h"

#define PH_ENVELOPE_VERSION 1

/* What a central daemon takes at most: larger messages are refused
 * before they are parsed. */
#define PH_ENVELOPE_MAX_BYTES (256 * 1024)

/* Longest id, event name, source name and type the reader accepts. */
#define PH_ENVELOPE_MAX_NAME 128

/* The envelope of event under id (transfer none both), its source of
 * type source_type (transfer none; NULL when the event came from no
 * configured source, "printhook emit" with a name of its own: written as
 * "external").  Transfer full: a new object whose payload and printer are
 * references to the event's own trees (read-only, see event.h). */
json_object *ph_envelope_build (const ph_event *event, const char *id, const char *source_type);

/* Whether id (len bytes) can be an envelope's id: 1 to
 * PH_ENVELOPE_MAX_NAME letters, digits and "_-.:" (so no NUL): also what
 * an MQTT correlation data must be to be answered as one. */
gboolean ph_envelope_id_valid (const char *id, gsize len);

/* One envelope as read. */
typedef struct {
  char *id;
  char *name;
  char *source;              /* the edge's source name */
  char *source_type;
  gint64 time;
  json_object *payload;      /* an object, owned */
  json_object *printer;      /* an object, owned */
  char *digest;              /* SHA-256 (hex) of the envelope as ph_envelope_build writes
                                it: the same for every republication of one event,
                                whatever the sender's spacing or member order */
} ph_envelope;

/* Reads text (len bytes): strict JSON (core/text/json_text.h), at most
 * PH_ENVELOPE_MAX_BYTES, version 1, every member present with its type,
 * no other member, id of letters, digits and "_-.:" only, names without
 * control characters, each at most PH_ENVELOPE_MAX_NAME bytes, time
 * from 0 to year 9999.  FALSE with error (G_IO_ERROR_INVALID_DATA, a
 * message naming the member) otherwise, envelope then untouched. */
gboolean ph_envelope_parse (const char *text, gsize len, ph_envelope *envelope, GError **error);

/* A new event of the envelope (its payload and printer references,
 * its time).  Transfer full. */
ph_event *ph_envelope_to_event (const ph_envelope *envelope);

void ph_envelope_clear (ph_envelope *envelope);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ph_envelope, ph_envelope_clear)

#endif
