#include "autoconfig.h"
#include "octoprint.h"

#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "json_text.h"
#include "octoprint_api.h"
#include "user_action.h"

/* Client pings (OctoPrint never pings: printer-apis.md §1.1); no message
 * and no pong for LIVENESS_PINGS intervals means the link is dead, since
 * libsoup 3.2 has no pong timeout of its own (§7 finding 4). */
#define KEEPALIVE_S 10
#define LIVENESS_PINGS 3
/* history alone passes libsoup's 128 KiB default (§1.5, §7 finding 1). */
#define MAX_INCOMING_PAYLOAD (64 * 1024 * 1024)
#define MAX_REST_RESPONSE (8 * 1024 * 1024)
#define BACKOFF_MAX_S 60
/* PrintStarted waits this long at most for the file's metadata. */
#define META_WAIT_MS 2000
/* current messages at OctoPrint's own fastest rate, 2 a second. */
#define THROTTLE 1

typedef enum {
  PHASE_WAITING,         /* until the retry timer fires */
  PHASE_LOGGING_IN,      /* POST /api/login */
  PHASE_CONNECTING,      /* the websocket handshake */
  PHASE_AUTHENTICATING,  /* auth sent, no history yet */
  PHASE_LIVE
} phase;

typedef enum {
  ITEM_EVENT,
  ITEM_PROGRESS,
  ITEM_NEW_JOB
} item_kind;

/* Something for the router, kept in order behind a PrintStarted that
 * waits for its @meta. */
typedef struct {
  item_kind kind;
  ph_event *event;
  double completion;
  gboolean wants_meta;
} item;

typedef struct pending_request pending_request;

struct ph_octoprint {
  ph_source_config config;
  ph_http *http;
  ph_router *router;

  phase phase;
  guint attempt;              /* connections failed in a row */
  gboolean key_rejected;      /* said once, not every minute */
  guint retry_timer;
  guint liveness_timer;
  gint64 last_heard;
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GCancellable *connecting;
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

  GQueue queue;               /* item *, for the router */
  gboolean meta_pending;
  guint meta_timer;
};

struct pending_request {
  ph_octoprint *op;           /* NULL once the source is gone */
  void (*handle) (ph_octoprint *op, const ph_http_response *response);
};

static void connect_websocket (ph_octoprint *op);
static void log_in (ph_octoprint *op);
static void flush (ph_octoprint *op);

/* ---- events to the router, in order ---- */

static void
item_free (item *it)
{
  if (it->event != NULL)
    ph_event_unref (it->event);
  g_free (it);
}

static void
enqueue (ph_octoprint *op, item_kind kind, ph_event *event, double completion,
         gboolean wants_meta)
{
  item *it = g_new0 (item, 1);

  it->kind = kind;
  it->event = event;
  it->completion = completion;
  it->wants_meta = wants_meta;
  g_queue_push_tail (&op->queue, it);
  flush (op);
}

static void
flush (ph_octoprint *op)
{
  item *it;

  while ((it = g_queue_peek_head (&op->queue)) != NULL)
    {
      if (it->wants_meta && op->meta_pending)
        return;
      g_queue_pop_head (&op->queue);
      if (it->event != NULL && op->meta != NULL
          && !json_object_object_get_ex (it->event->printer, "meta", NULL))
        {
          json_object *meta = NULL;

          json_object_deep_copy (op->meta, &meta, NULL);
          json_object_object_add (it->event->printer, "meta", meta);
        }
      switch (it->kind)
        {
        case ITEM_EVENT:
          ph_router_dispatch (op->router, it->event);
          break;
        case ITEM_PROGRESS:
          ph_router_progress (op->router, it->event, it->completion);
          break;
        case ITEM_NEW_JOB:
          ph_router_new_job (op->router, op->config.name);
          break;
        }
      item_free (it);
    }
}

/* ---- the printer's state ---- */

static json_object *
member (json_object *object, const char *key, json_type type)
{
  json_object *value;

  if (object == NULL || !json_object_is_type (object, json_type_object)
      || !json_object_object_get_ex (object, key, &value) || !json_object_is_type (value, type))
    return NULL;
  return value;
}

static const char *
string_at (json_object *object, const char *key)
{
  json_object *value = member (object, key, json_type_string);
  return value != NULL ? json_object_get_string (value) : NULL;
}

static gboolean
flag (ph_octoprint *op, const char *name)
{
  json_object *flags = member (member (op->printer, "state", json_type_object), "flags",
                               json_type_object);
  json_object *value = member (flags, name, json_type_boolean);

  return value != NULL && json_object_get_boolean (value);
}

static json_object *
deep_copy (json_object *value)
{
  json_object *out = NULL;

  json_object_deep_copy (value, &out, NULL);
  return out;
}

ph_event *
ph_octoprint_make_event (ph_octoprint *op, const char *name, json_object *payload)
{
  json_object *printer = deep_copy (op->printer);
  ph_event *event;

  if (op->meta != NULL)
    json_object_object_add (printer, "meta", deep_copy (op->meta));
  if (op->appearance != NULL)
    json_object_object_add (printer, "appearance", deep_copy (op->appearance));
  event = ph_event_new (name, op->config.name, payload, printer);
  if (op->webcam_url != NULL)
    ph_event_shared_set (event, PH_EVENT_SHARED_WEBCAM_URL, g_strdup (op->webcam_url), g_free);
  return event;
}

const char *
ph_octoprint_webcam_url (const ph_octoprint *op)
{
  return op->webcam_url;
}

const ph_source_config *
ph_octoprint_config (const ph_octoprint *op)
{
  return &op->config;
}

/* ---- REST ---- */

static void
on_rest_answer (const ph_http_response *response, gpointer data)
{
  pending_request *request = data;

  if (request->op != NULL)
    {
      g_ptr_array_remove_fast (request->op->requests, request);
      request->handle (request->op, response);
    }
  g_free (request);
}

static void
rest (ph_octoprint *op, const char *method, const char *path, const char *body, double total_s,
      void (*handle) (ph_octoprint *op, const ph_http_response *response))
{
  g_autofree char *url = g_strconcat (op->config.url, path, NULL);
  ph_http_request *req = ph_http_request_new (method, url);
  pending_request *request = g_new0 (pending_request, 1);

  ph_http_request_add_header (req, "X-Api-Key", op->config.api_key);
  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

      ph_http_request_add_header (req, "Content-Type", "application/json");
      ph_http_request_set_body (req, bytes);
    }
  ph_http_request_set_timeouts (req, 5, total_s);
  ph_http_request_set_max_response_bytes (req, MAX_REST_RESPONSE);
  request->op = op;
  request->handle = handle;
  g_ptr_array_add (op->requests, request);
  ph_http_submit (op->http, req, on_rest_answer, request);
}

/* The JSON object of a 200 answer, or NULL with *why set (transfer full). */
static json_object *
answer_object (const ph_http_response *response, char **why)
{
  const GError *error = ph_http_response_get_error (response);
  long status = ph_http_response_get_status (response);
  GBytes *body;
  json_object *answer;

  if (error != NULL)
    {
      *why = g_strdup (error->message);
      return NULL;
    }
  if (status != 200)
    {
      *why = g_strdup_printf ("HTTP %ld", status);
      return NULL;
    }
  body = ph_http_response_get_body (response);
  answer = ph_json_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);
  if (answer == NULL || !json_object_is_type (answer, json_type_object))
    {
      json_object_put (answer);
      *why = g_strdup ("the answer is not a JSON object");
      return NULL;
    }
  return answer;
}

/* ---- connecting and reconnecting ---- */

static gboolean
unref_later (gpointer object)
{
  g_object_unref (object);
  return G_SOURCE_REMOVE;
}

static void
drop_connection (ph_octoprint *op)
{
  g_clear_handle_id (&op->liveness_timer, g_source_remove);
  if (op->connecting != NULL)
    {
      g_cancellable_cancel (op->connecting);
      g_clear_object (&op->connecting);
    }
  if (op->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (op->ws, op);
      if (soup_websocket_connection_get_state (op->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (op->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      /* Often called from the connection's own "message" or "closed"
       * handler, after which libsoup still uses it: let go from the loop. */
      g_idle_add (unref_later, g_steal_pointer (&op->ws));
    }
}

static gboolean
on_retry (gpointer data)
{
  ph_octoprint *op = data;

  op->retry_timer = 0;
  log_in (op);
  return G_SOURCE_REMOVE;
}

/* Exponential backoff, 1 s doubling to 60 s, with jitter so that a farm of
 * daemons does not knock on a restarted OctoPrint all at once; a rejected
 * key waits the longest at once, since retrying will not fix it soon. */
static void
retry_later (ph_octoprint *op, gboolean longest)
{
  double seconds;

  drop_connection (op);
  op->phase = PHASE_WAITING;
  op->attempt++;
  seconds = longest ? BACKOFF_MAX_S : MIN (BACKOFF_MAX_S, 1 << MIN (op->attempt - 1, 6));
  seconds = CLAMP (seconds * g_random_double_range (1.0, 1.25), 1, BACKOFF_MAX_S);
  g_debug ("source %s: next connection attempt in %.1f s", op->config.name, seconds);
  g_clear_handle_id (&op->retry_timer, g_source_remove);
  op->retry_timer = g_timeout_add ((guint) (seconds * 1000), on_retry, op);
}

/* A first failure is a warning; the same failure again is only debug
 * output, so a long outage does not flood the log. */
static void
report_failure (ph_octoprint *op, const char *what)
{
  if (op->attempt == 0)
    g_warning ("source %s: %s; reconnecting with backoff", op->config.name, what);
  else
    g_debug ("source %s: %s (attempt %u)", op->config.name, what, op->attempt + 1);
}

static void
on_settings (ph_octoprint *op, const ph_http_response *response)
{
  g_autofree char *why = NULL;
  g_autoptr (json_object) settings = answer_object (response, &why);

  if (settings == NULL)
    {
      g_info ("source %s: no webcam or appearance from /api/settings: %s", op->config.name, why);
      return;
    }
  g_free (op->webcam_url);
  op->webcam_url = ph_octoprint_settings_webcam_url (settings, op->config.url);
  json_object_put (op->appearance);
  op->appearance = ph_octoprint_settings_appearance (settings);
  g_debug ("source %s: webcam snapshot %s", op->config.name,
           op->webcam_url != NULL ? op->webcam_url : "none");
}

static void
on_login (ph_octoprint *op, const ph_http_response *response)
{
  g_autofree char *why = NULL;
  g_autoptr (json_object) answer = answer_object (response, &why);
  long status = ph_http_response_get_status (response);
  json_object *name;

  if (answer == NULL && (status == 401 || status == 403))
    answer = json_object_new_object ();
  if (answer == NULL)
    {
      g_autofree char *what = g_strdup_printf ("cannot log in to OctoPrint at %s: %s",
                                               op->config.url, why);
      report_failure (op, what);
      retry_later (op, FALSE);
      return;
    }
  g_free (op->auth);
  /* A key OctoPrint does not know still gets 200, with no user in it
   * (printer-apis.md §1.4). */
  op->auth = ph_octoprint_login_auth (answer);
  if (op->auth == NULL)
    {
      if (!op->key_rejected)
        g_warning ("source %s: OctoPrint at %s did not accept the api_key (the login "
                   "came back without a user); check the key in Settings > Application Keys. "
                   "Trying again every %d s", op->config.name, op->config.url, BACKOFF_MAX_S);
      op->key_rejected = TRUE;
      retry_later (op, TRUE);
      return;
    }
  op->key_rejected = FALSE;
  name = member (answer, "name", json_type_string);
  g_free (op->user);
  op->user = g_strdup (json_object_get_string (name));
  rest (op, "GET", "/api/settings", NULL, 10, on_settings);
  connect_websocket (op);
}

static void
log_in (ph_octoprint *op)
{
  drop_connection (op);
  op->phase = PHASE_LOGGING_IN;
  rest (op, "POST", "/api/login", "{\"passive\": true}", 10, on_login);
}

/* ---- the push API ---- */

static void
send_json (ph_octoprint *op, json_object *message)
{
  g_autofree char *text = ph_json_to_text (message, FALSE);

  soup_websocket_connection_send_text (op->ws, text);
  json_object_put (message);
}

static void
on_connected_message (ph_octoprint *op, json_object *payload)
{
  json_object *auth = json_object_new_object ();
  json_object *throttle = json_object_new_object ();

  json_object_object_add (auth, "auth", json_object_new_string (op->auth));
  send_json (op, auth);
  json_object_object_add (throttle, "throttle", json_object_new_int (THROTTLE));
  send_json (op, throttle);
  op->phase = PHASE_AUTHENTICATING;
  g_debug ("source %s: OctoPrint %s, authenticating as %s", op->config.name,
           string_at (payload, "version") ? string_at (payload, "version") : "?", op->user);
}

static void
on_meta (ph_octoprint *op, const ph_http_response *response)
{
  g_autofree char *why = NULL;
  g_autoptr (json_object) entry = answer_object (response, &why);

  if (entry == NULL)
    g_info ("source %s: no @meta for %s: %s", op->config.name, op->meta_job, why);
  else
    {
      json_object_put (op->meta);
      op->meta = ph_octoprint_meta_from_file (entry);
    }
  if (op->meta_pending)
    {
      op->meta_pending = FALSE;
      g_clear_handle_id (&op->meta_timer, g_source_remove);
      flush (op);
    }
}

static gboolean
on_meta_late (gpointer data)
{
  ph_octoprint *op = data;

  op->meta_timer = 0;
  g_info ("source %s: @meta for %s not there within %d ms; sending without it",
          op->config.name, op->meta_job, META_WAIT_MS);
  op->meta_pending = FALSE;
  flush (op);
  return G_SOURCE_REMOVE;
}

/* Fetches the metadata of a job's file; wait: PrintStarted holds the
 * events behind it until it is there (at most META_WAIT_MS). */
static void
fetch_meta (ph_octoprint *op, const char *origin, const char *path, gboolean wait)
{
  g_autofree char *rest_path = ph_octoprint_file_path (origin, path);

  g_free (op->meta_job);
  op->meta_job = g_strdup_printf ("%s/%s", origin, path);
  g_clear_pointer (&op->meta, json_object_put);
  rest (op, "GET", rest_path, NULL, META_WAIT_MS / 1000.0 + 3, on_meta);
  if (wait)
    {
      op->meta_pending = TRUE;
      g_clear_handle_id (&op->meta_timer, g_source_remove);
      op->meta_timer = g_timeout_add (META_WAIT_MS, on_meta_late, op);
    }
}

/* "origin/path" of the job in the state, or NULL.  Transfer full. */
static char *
job_key (ph_octoprint *op)
{
  json_object *file = member (member (op->printer, "job", json_type_object), "file",
                              json_type_object);
  const char *origin = string_at (file, "origin");
  const char *path = string_at (file, "path");

  if (origin == NULL || path == NULL)
    return NULL;
  return g_strdup_printf ("%s/%s", origin, path);
}

static void
user_action (ph_octoprint *op, const ph_user_action_trigger *trigger)
{
  json_object *payload = json_object_new_object ();

  json_object_object_add (payload, "reason", json_object_new_string (trigger->reason));
  if (trigger->text != NULL)
    json_object_object_add (payload, "text", json_object_new_string (trigger->text));
  g_info ("source %s: the printer waits for the user (%s)", op->config.name, trigger->reason);
  enqueue (op, ITEM_EVENT, ph_octoprint_make_event (op, "UserActionNeeded", payload), 0, FALSE);
}

static void
scan_logs (ph_octoprint *op, json_object *logs, gint64 filepos)
{
  gint64 now = g_get_monotonic_time ();

  for (size_t i = 0; logs != NULL && i < json_object_array_length (logs); i++)
    {
      json_object *line = json_object_array_get_idx (logs, i);
      ph_user_action_trigger trigger = { 0 };

      if (!json_object_is_type (line, json_type_string))
        continue;
      if (ph_user_action_feed_line (&op->user_action, json_object_get_string (line), filepos,
                                    now, &trigger))
        {
          user_action (op, &trigger);
          g_free (trigger.text);
        }
    }
}

/* current and history: the latest state for the parameters, progress for
 * the milestones; only current's logs are new (history's are backlog). */
static void
on_state_message (ph_octoprint *op, json_object *state, gboolean is_history)
{
  static const char *const kept[] = { "state", "job", "progress", "currentZ", "offsets", NULL };
  g_autofree char *job = NULL;
  json_object *progress, *completion, *filepos;
  gint64 position = -1;

  if (!json_object_is_type (state, json_type_object))
    return;
  for (guint i = 0; kept[i] != NULL; i++)
    {
      json_object *value;

      if (json_object_object_get_ex (state, kept[i], &value))
        json_object_object_add (op->printer, kept[i], deep_copy (value));
    }
  progress = member (op->printer, "progress", json_type_object);
  filepos = progress != NULL ? json_object_object_get (progress, "filepos") : NULL;
  if (filepos != NULL && json_object_is_type (filepos, json_type_int))
    position = json_object_get_int64 (filepos);

  job = job_key (op);
  if (flag (op, "printing") && job != NULL)
    {
      /* A job that began while we were away, or without a PrintStarted. */
      if (op->job != NULL && strcmp (op->job, job) != 0)
        {
          op->last_percent = -1;
          enqueue (op, ITEM_NEW_JOB, NULL, 0, FALSE);
        }
      if (g_strcmp0 (op->meta_job, job) != 0)
        {
          json_object *file = member (member (op->printer, "job", json_type_object), "file",
                                      json_type_object);
          fetch_meta (op, string_at (file, "origin"), string_at (file, "path"), FALSE);
        }
      g_free (op->job);
      op->job = g_strdup (job);
      completion = progress != NULL ? json_object_object_get (progress, "completion") : NULL;
      if (completion != NULL && (json_object_is_type (completion, json_type_double)
                                 || json_object_is_type (completion, json_type_int)))
        {
          double value = json_object_get_double (completion);
          int percent = (int) floor (value);

          if (percent != op->last_percent)
            {
              op->last_percent = percent;
              enqueue (op, ITEM_PROGRESS, ph_octoprint_make_event (op, "PrintProgress", NULL),
                       value, FALSE);
            }
        }
    }
  if (op->was_paused && !flag (op, "paused"))
    ph_user_action_rearm (&op->user_action);
  op->was_paused = flag (op, "paused");
  if (position >= 0)
    ph_user_action_feed_position (&op->user_action, position);
  if (!is_history)
    scan_logs (op, member (state, "logs", json_type_array), position);
}

static void
on_event_message (ph_octoprint *op, json_object *message)
{
  const char *type = string_at (message, "type");
  json_object *payload = member (message, "payload", json_type_object);
  ph_event *event;

  if (type == NULL || *type == '\0')
    return;
  payload = payload != NULL ? deep_copy (payload) : json_object_new_object ();
  if (strcmp (type, "PrintStarted") == 0)
    {
      const char *origin = string_at (payload, "origin");
      const char *path = string_at (payload, "path");

      op->last_percent = -1;
      event = ph_octoprint_make_event (op, type, payload);
      if (origin != NULL && path != NULL)
        {
          json_object *file = json_object_new_object ();
          json_object *job = member (event->printer, "job", json_type_object);
          json_object *value;

          /* The current message that names the new file may come after
           * the event: the event's own payload says which file it is. */
          json_object_object_add (file, "name",
                                  json_object_new_string (string_at (payload, "name")
                                                          ? string_at (payload, "name") : path));
          json_object_object_add (file, "path", json_object_new_string (path));
          json_object_object_add (file, "display",
                                  json_object_new_string (string_at (payload, "name")
                                                          ? string_at (payload, "name") : path));
          json_object_object_add (file, "origin", json_object_new_string (origin));
          if (json_object_object_get_ex (payload, "size", &value))
            json_object_object_add (file, "size", deep_copy (value));
          if (job == NULL)
            {
              job = json_object_new_object ();
              json_object_object_add (event->printer, "job", job);
            }
          json_object_object_add (job, "file", file);
          json_object_object_del (event->printer, "meta");
          g_free (op->job);
          op->job = g_strdup_printf ("%s/%s", origin, path);
          fetch_meta (op, origin, path, TRUE);
        }
      enqueue (op, ITEM_EVENT, event, 0, TRUE);
      return;
    }
  if (strcmp (type, "PrintResumed") == 0)
    ph_user_action_rearm (&op->user_action);
  enqueue (op, ITEM_EVENT, ph_octoprint_make_event (op, type, payload), 0, FALSE);
}

/* The bundled action_command_prompt plugin shows a firmware's question
 * (printer-apis.md §2.3). */
static void
on_plugin_message (ph_octoprint *op, json_object *message)
{
  json_object *data = member (message, "data", json_type_object);
  const char *action = string_at (data, "action");
  ph_user_action_trigger trigger = { 0 };

  if (g_strcmp0 (string_at (message, "plugin"), "action_command_prompt") != 0 || action == NULL)
    return;
  if (strcmp (action, "close") == 0)
    ph_user_action_rearm (&op->user_action);
  else if (strcmp (action, "show") == 0)
    {
      g_autofree char *line = g_strdup_printf ("//action:prompt_begin %s",
                                               string_at (data, "text") ? string_at (data, "text") : "");
      gint64 filepos = -1;

      if (ph_user_action_feed_line (&op->user_action, line, filepos, g_get_monotonic_time (),
                                    &trigger))
        {
          user_action (op, &trigger);
          g_free (trigger.text);
        }
    }
}

static void
on_reauth_required (ph_octoprint *op, json_object *payload)
{
  const char *reason = string_at (payload, "reason");

  /* Every reason means the same to an API-key client: log in again
   * (printer-apis.md §1.4). */
  if (op->phase == PHASE_LIVE)
    {
      g_info ("source %s: OctoPrint asks to log in again (%s)", op->config.name,
              reason != NULL ? reason : "no reason");
      op->attempt = 0;
      log_in (op);
      return;
    }
  {
    g_autofree char *what = g_strdup_printf ("OctoPrint refused the session of the login (%s)",
                                             reason != NULL ? reason : "no reason");
    report_failure (op, what);
    retry_later (op, FALSE);
  }
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer data)
{
  ph_octoprint *op = data;
  g_autoptr (json_object) message = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;
  const char *text = g_bytes_get_data (bytes, &size);

  op->last_heard = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  message = ph_json_parse (text, size, &error);
  if (message == NULL || !json_object_is_type (message, json_type_object))
    {
      g_debug ("source %s: ignoring a message that is not a JSON object%s%s", op->config.name,
               error ? ": " : "", error ? error->message : "");
      return;
    }
  /* One key, the type; unknown types are ignored, as OctoPrint's docs ask. */
  json_object_object_foreach (message, kind, payload)
    {
      if (strcmp (kind, "connected") == 0)
        on_connected_message (op, payload);
      else if (strcmp (kind, "reauthRequired") == 0)
        {
          on_reauth_required (op, payload);
          return;   /* the connection is gone */
        }
      else if (strcmp (kind, "history") == 0 || strcmp (kind, "current") == 0)
        {
          if (op->phase != PHASE_LIVE)
            {
              g_info ("source %s: connected to OctoPrint at %s as %s", op->config.name,
                      op->config.url, op->user);
              op->phase = PHASE_LIVE;
              op->attempt = 0;
            }
          on_state_message (op, payload, strcmp (kind, "history") == 0);
        }
      else if (strcmp (kind, "event") == 0)
        on_event_message (op, payload);
      else if (strcmp (kind, "plugin") == 0)
        on_plugin_message (op, payload);
    }
}

static void
on_pong (SoupWebsocketConnection *ws, GBytes *message, gpointer data)
{
  ((ph_octoprint *) data)->last_heard = g_get_monotonic_time ();
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, gpointer data)
{
  ph_octoprint *op = data;

  g_debug ("source %s: websocket: %s", op->config.name, error->message);
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  ph_octoprint *op = data;
  g_autofree char *what = NULL;

  what = g_strdup_printf ("the connection to OctoPrint at %s closed (code %u)", op->config.url,
                          soup_websocket_connection_get_close_code (ws));
  /* A link that worked gets a fresh backoff. */
  if (op->phase == PHASE_LIVE)
    op->attempt = 0;
  report_failure (op, what);
  retry_later (op, FALSE);
}

static gboolean
check_liveness (gpointer data)
{
  ph_octoprint *op = data;
  gint64 quiet = g_get_monotonic_time () - op->last_heard;

  if (quiet < (gint64) LIVENESS_PINGS * KEEPALIVE_S * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  op->liveness_timer = 0;
  g_warning ("source %s: no answer from OctoPrint for %d s; reconnecting", op->config.name,
             (int) (quiet / G_USEC_PER_SEC));
  op->attempt = 0;
  retry_later (op, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_websocket (GObject *object, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;
  ph_octoprint *op;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (ws == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the source is gone or started over */
  op = data;
  g_clear_object (&op->connecting);
  if (ws == NULL)
    {
      g_autofree char *what = g_strdup_printf ("no websocket at %s/sockjs/websocket: %s",
                                               op->config.url, error->message);
      report_failure (op, what);
      retry_later (op, FALSE);
      return;
    }
  op->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_S);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), op);
  g_signal_connect (ws, "pong", G_CALLBACK (on_pong), op);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), op);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), op);
  op->last_heard = g_get_monotonic_time ();
  op->liveness_timer = g_timeout_add_seconds (KEEPALIVE_S, check_liveness, op);
}

/* ws:// or wss:// for the base URL's http:// or https://. */
static char *
websocket_url (const char *base)
{
  if (g_ascii_strncasecmp (base, "https://", 8) == 0)
    return g_strconcat ("wss://", base + 8, "/sockjs/websocket", NULL);
  return g_strconcat ("ws://", base + strlen ("http://"), "/sockjs/websocket", NULL);
}

static void
connect_websocket (ph_octoprint *op)
{
  g_autofree char *url = websocket_url (op->config.url);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);

  op->phase = PHASE_CONNECTING;
  if (msg == NULL)
    {
      g_warning ("source %s: %s is not a usable websocket URL", op->config.name, url);
      retry_later (op, TRUE);
      return;
    }
  op->connecting = g_cancellable_new ();
  /* No Origin: tornado accepts a client without one as a non-browser
   * client, and rejects a foreign one (printer-apis.md §1.1). */
  soup_session_websocket_connect_async (op->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        op->connecting, on_websocket, op);
}

ph_octoprint *
ph_octoprint_new (const ph_source_config *config, ph_http *http, ph_router *router)
{
  ph_octoprint *op = g_new0 (ph_octoprint, 1);

  op->config.name = g_strdup (config->name);
  op->config.file = g_strdup (config->file);
  op->config.line = config->line;
  op->config.type = config->type;
  op->config.enabled = config->enabled;
  op->config.url = g_strdup (config->url);
  op->config.api_key = g_strdup (config->api_key);
  op->http = http;
  op->router = router;
  op->requests = g_ptr_array_new ();
  op->printer = json_object_new_object ();
  op->last_percent = -1;
  ph_user_action_init (&op->user_action);
  g_queue_init (&op->queue);
  op->session = soup_session_new_with_options ("timeout", 15, "idle-timeout", 0,
                                               "user-agent", "printhook/" PACKAGE_VERSION, NULL);
  log_in (op);
  return op;
}

void
ph_octoprint_free (ph_octoprint *op)
{
  if (op == NULL)
    return;
  drop_connection (op);
  g_clear_handle_id (&op->retry_timer, g_source_remove);
  g_clear_handle_id (&op->meta_timer, g_source_remove);
  /* Answers still to come find no source. */
  for (guint i = 0; i < op->requests->len; i++)
    ((pending_request *) g_ptr_array_index (op->requests, i))->op = NULL;
  g_ptr_array_unref (op->requests);
  g_queue_clear_full (&op->queue, (GDestroyNotify) item_free);
  g_object_unref (op->session);
  json_object_put (op->printer);
  json_object_put (op->appearance);
  json_object_put (op->meta);
  g_free (op->webcam_url);
  g_free (op->meta_job);
  g_free (op->job);
  g_free (op->auth);
  g_free (op->user);
  g_free (op->config.name);
  g_free (op->config.file);
  g_free (op->config.url);
  g_free (op->config.api_key);
  g_free (op);
}
