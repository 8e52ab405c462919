/* One delivery: one event for one hook, with the request being built for
 * it (printhook_delivery in the module ABI). */
#ifndef PH_DELIVERY_H
#define PH_DELIVERY_H

#include <glib.h>
#include "config/config.h"
#include "event/event.h"
#include "printhook/module.h"

typedef struct {
  char *name;
  char *value;
} ph_header;

typedef struct {
  char *field;
  char *filename;
  char *content_type;
  GBytes *bytes;
} ph_attachment;

/* What the last HTTP exchange of a delivery came to: what "printhook test"
 * prints and the logs say. */
typedef struct {
  gboolean seen;              /* a request was made */
  long status;                /* 0 when no response */
  char *error;                /* transport error, or NULL */
  char *excerpt;              /* the first bytes of the response body */
  gsize body_size;
  char *location;             /* Location of a 3xx not followed */
  gint64 retry_after;         /* seconds, -1 when absent */
  double seconds;
  char *outcome;              /* a send module's own words (host->delivery_note_outcome) */
} ph_response_note;

typedef void (*ph_chain_done) (printhook_delivery *d, printhook_result result,
                               const GError *error, gpointer user_data);

struct _printhook_delivery {
  char *id;                   /* stable across attempts: sent as webhook-id */
  const ph_hook *hook;        /* the config's; valid while the delivery is */
  ph_event *event;            /* a reference */
  json_object *params;        /* its own object; values shared with the event */
  char *method;
  char *url;                  /* NULL until rendered */
  GPtrArray *headers;         /* ph_header *, in order */
  json_object *data;          /* NULL until rendered; shares values with params
                                 and the hook's template, read-only */
  GBytes *body;               /* NULL until encoded */
  GPtrArray *attachments;     /* ph_attachment * */
  const char *module_name;    /* the module running now, for its log lines */

  /* Running the chain (core/delivery/chain_run.c). */
  guint next_link;
  gboolean rendered;
  gboolean pending;           /* a module returned PENDING and will resume */
  ph_chain_done done;
  gpointer done_data;
  ph_response_note response;
  gboolean credentials_refreshed;  /* this attempt already ran again after a 401 */
  gboolean encoded;           /* ph_delivery_encode_default ran for this attempt */
};

/* A new delivery with its parameters built (see ph_params_build).  hook:
 * transfer none, must outlive it; event: a reference is taken.  Transfer
 * full. */
printhook_delivery *ph_delivery_new (const ph_hook *hook, ph_event *event, int milestone);

/* A new webhook-id ("msg_" and 32 hex digits).  Transfer full. */
char *ph_delivery_new_id (void);
void ph_delivery_free (printhook_delivery *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (printhook_delivery, ph_delivery_free)

/* Renders the hook's url, headers and data from the parameters (after the
 * prepare stage).  A control character a parameter brings into a header
 * value (a line break, which would start another header) is sent as a
 * space, and said once per hook and header. */
void ph_delivery_render (printhook_delivery *d);

/* After the encode stage: a GET gets its data as the query string; any
 * other method without a body gets the data as JSON, with Content-Type set
 * to application/json unless a Content-Type header already says it. */
void ph_delivery_encode_default (printhook_delivery *d);

/* Request accessors behind the host table (see module.h). */
const char *ph_delivery_get_header (printhook_delivery *d, const char *name);
void ph_delivery_set_header (printhook_delivery *d, const char *name, const char *value);
void ph_delivery_set_body (printhook_delivery *d, GBytes *body, const char *content_type);
void ph_delivery_add_attachment (printhook_delivery *d, const char *field, const char *filename,
                                 const char *content_type, GBytes *bytes);

/* Whether the chain is running a module of that stage now (an HTTP
 * request submitted from the send stage is the receiver's answer). */
gboolean ph_delivery_in_stage (printhook_delivery *d, printhook_stage stage);

/* Forgets the last HTTP outcome and the encoded body: what an attempt
 * starts from.  Attachments stay (a retry resends the same snapshot). */
void ph_delivery_reset_attempt (printhook_delivery *d);

/* Records an HTTP outcome on the delivery (strings copied). */
void ph_delivery_note_response (printhook_delivery *d, long status, const char *error,
                                GBytes *body, const char *location, gint64 retry_after,
                                double seconds);

/* data as application/x-www-form-urlencoded text: one field per top-level
 * key in order, nested values as compact JSON, nulls left out.  Transfer
 * full. */
char *ph_form_encode (json_object *data);

#endif
