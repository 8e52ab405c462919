/* What "printhook emit" and the daemon's control socket say to each other:
 * one JSON object per line, each request answered by one reply line.
 *
 *   request: {"event": "PrintDone", "payload": {...}, "source": "NAME",
 *             "printer": {...}}      (payload, source, printer optional)
 *   reply:   {"accepted": true, "deliveries": 2}
 *            {"accepted": false, "error": "why"}
 *
 * "printer" carries state, job, progress, ... in OctoPrint's shapes, for
 * senders that know them ("printhook simulate").  A PrintProgress request
 * reports the job's completion in payload.progress (percent); the daemon
 * turns it into each hook's own milestones. */
#ifndef PH_CONTROL_PROTOCOL_H
#define PH_CONTROL_PROTOCOL_H

#include <glib.h>
#include <json-c/json.h>

/* Longest request line accepted, newline included. */
#define PH_CONTROL_MAX_MESSAGE (64 * 1024)

#define PH_CONTROL_ERROR ph_control_error_quark ()

typedef enum {
  PH_CONTROL_ERROR_INVALID,     /* the request is malformed or refused */
  PH_CONTROL_ERROR_UNREACHABLE, /* no daemon answers on the socket */
  PH_CONTROL_ERROR_PROTOCOL     /* the daemon's reply makes no sense */
} ph_control_error_code;

GQuark ph_control_error_quark (void);

/* A parsed, checked request. */
typedef struct {
  char *event;            /* a valid event name, built-ins in canonical spelling */
  json_object *payload;   /* an object, never NULL */
  char *source;           /* NULL: the control socket itself */
  json_object *printer;   /* an object or NULL */
} ph_control_request;

void ph_control_request_free (ph_control_request *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_control_request, ph_control_request_free)

/* Parses one request line (len bytes, no newline).  Transfer full, or NULL
 * with a PH_CONTROL_ERROR_INVALID saying what is wrong. */
ph_control_request *ph_control_request_parse (const char *text, gsize len, GError **error);

/* The request line for the arguments (transfer none; payload, source and
 * printer may be NULL), newline included.  Transfer full. */
char *ph_control_request_to_line (const char *event, json_object *payload, const char *source,
                                  json_object *printer);

/* Reply lines, newline included.  Transfer full. */
char *ph_control_reply_accepted (guint deliveries);
char *ph_control_reply_refused (const char *reason);

/* The control_socket of the configuration file at path (its [printhook]
 * group only: the hooks are the daemon's business).  Transfer full, or
 * NULL with an error naming the file. */
char *ph_control_socket_from_config (const char *path, GError **error);

/* Sends one request line to the daemon listening on path and waits (at
 * most timeout_s) for its reply.  TRUE when the daemon accepted it, with
 * *deliveries set; FALSE with PH_CONTROL_ERROR_INVALID and the daemon's
 * reason when it refused, or another error when it could not be asked. */
gboolean ph_control_send (const char *path, const char *line, guint timeout_s,
                          guint *deliveries, GError **error);

#endif
