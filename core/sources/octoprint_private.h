/* The parts of the OctoPrint source (octoprint.c: connecting;
 * octoprint_printer.c: what the printer's messages mean) share this. */
#ifndef PH_OCTOPRINT_PRIVATE_H
#define PH_OCTOPRINT_PRIVATE_H

#include "event_queue.h"
#include "json_member.h"
#include "octoprint.h"
#include "user_action.h"
#include "ws_link.h"

/* PrintStarted waits this long at most for the file's metadata. */
#define META_WAIT_MS 2000

typedef enum {
  PHASE_WAITING,         /* until the retry timer fires */
  PHASE_LOGGING_IN,      /* POST /api/login */
  PHASE_CONNECTING,      /* the websocket handshake */
  PHASE_AUTHENTICATING,  /* auth sent, no history yet */
  PHASE_LIVE
} phase;

typedef struct pending_request pending_request;

struct ph_octoprint {
  ph_source_config config;
  ph_http *http;
  ph_router *router;

  phase phase;
  ph_ws_link *link;
  gboolean key_rejected;      /* said once, not every minute */
  char *auth;                 /* name:session of the login */
  char *user;
  GPtrArray *requests;        /* pending_request *, answers not yet in */

  json_object *printer;       /* latest state, job, progress, currentZ, offsets */
  json_object *appearance;
  char *webcam_url;
  json_object *meta;          /* of meta_job, or NULL */
  char *meta_job;             /* "origin/path" the meta is (being) fetched for */
  char *job;                  /* "origin/path" of the job being printed */
  int last_percent;           /* the completion last handed on, -1: none */
  gboolean was_paused;
  ph_user_action user_action;

  ph_event_queue *queue;      /* for the router, in order behind a PrintStarted waiting for @meta */
};

struct pending_request {
  ph_octoprint *op;           /* NULL once the source is gone */
  void (*handle) (ph_octoprint *op, const ph_http_response *response);
};

/* REST: a request to OctoPrint with the API key; handle runs with the
 * answer unless the source is gone by then. */
void ph_octoprint_rest (ph_octoprint *op, const char *method, const char *path, const char *body,
                        double total_s,
                        void (*handle) (ph_octoprint *op, const ph_http_response *response));

/* The JSON object of a 200 answer, or NULL with *why set (transfer full). */
json_object *ph_octoprint_answer (const ph_http_response *response, char **why);

/* One text message of the push API as the websocket brought it (text: not
 * NUL-terminated, transfer none): parsed, and handed on by its type; what
 * is not a JSON object, and types it does not know, change nothing.  The
 * link's text handler; tests/fuzz/fuzz_octoprint.c feeds it sessions. */
void ph_octoprint_on_message (ph_octoprint *op, const char *text, gsize size);

/* The push API's messages about the printer (octoprint_printer.c). */
void ph_octoprint_on_state (ph_octoprint *op, json_object *state, gboolean is_history);
void ph_octoprint_on_event (ph_octoprint *op, json_object *message);
void ph_octoprint_on_plugin (ph_octoprint *op, json_object *message);

/* What the printer side holds: set up, and freed with the source. */
void ph_octoprint_printer_init (ph_octoprint *op);
void ph_octoprint_printer_clear (ph_octoprint *op);

#endif
