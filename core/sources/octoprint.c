#include "autoconfig.h"
#include "octoprint_private.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "json_text.h"
#include "octoprint_api.h"

/* Client pings (OctoPrint never pings: printer-apis.md §1.1); no message
 * and no pong for LIVENESS_PINGS intervals means the link is dead, since
 * libsoup 3.2 has no pong timeout of its own (§7 finding 4). */
#define KEEPALIVE_S 10
#define LIVENESS_PINGS 3
/* A message at least this large is followed by a malloc_trim. */
#define TRIM_AFTER_BYTES (64 * 1024)

/* history alone passes libsoup's 128 KiB default (§1.5, §7 finding 1). */
#define MAX_INCOMING_PAYLOAD (64 * 1024 * 1024)
#define MAX_REST_RESPONSE (8 * 1024 * 1024)
#define BACKOFF_MAX_S 60
/* current messages at OctoPrint's own fastest rate, 2 a second. */
#define THROTTLE 1

static void connect_websocket (ph_octoprint *op);
static void log_in (ph_octoprint *op);

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

void
ph_octoprint_rest (ph_octoprint *op, const char *method, const char *path, const char *body, double total_s,
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

json_object *
ph_octoprint_answer (const ph_http_response *response, char **why)
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
  g_autoptr (json_object) settings = ph_octoprint_answer (response, &why);

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
  g_autoptr (json_object) answer = ph_octoprint_answer (response, &why);
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
  name = ph_json_member (answer, "name", json_type_string);
  g_free (op->user);
  op->user = g_strdup (json_object_get_string (name));
  ph_octoprint_rest (op, "GET", "/api/settings", NULL, 10, on_settings);
  connect_websocket (op);
}

static void
log_in (ph_octoprint *op)
{
  drop_connection (op);
  op->phase = PHASE_LOGGING_IN;
  ph_octoprint_rest (op, "POST", "/api/login", "{\"passive\": true}", 10, on_login);
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
           ph_json_string (payload, "version") ? ph_json_string (payload, "version") : "?", op->user);
}

static void
on_reauth_required (ph_octoprint *op, json_object *payload)
{
  const char *reason = ph_json_string (payload, "reason");

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
handle_message (ph_octoprint *op, const char *text, gsize size)
{
  g_autoptr (json_object) message = NULL;
  g_autoptr (GError) error = NULL;

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
          ph_octoprint_on_state (op, payload, strcmp (kind, "history") == 0);
        }
      else if (strcmp (kind, "event") == 0)
        ph_octoprint_on_event (op, payload);
      else if (strcmp (kind, "plugin") == 0)
        ph_octoprint_on_plugin (op, payload);
    }
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer data)
{
  ph_octoprint *op = data;
  gsize size;
  const char *text = g_bytes_get_data (bytes, &size);

  op->last_heard = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  handle_message (op, text, size);
#ifdef __GLIBC__
  /* history (30 minutes of temperatures and the terminal backlog, some
   * 300 kB) parses into megabytes of small json-c objects; freed, glibc
   * keeps them in the heap for good: 5.5 MB of a 8 MB Private_Dirty
   * (bench/README.md).  Give them back. */
  if (size >= TRIM_AFTER_BYTES)
    malloc_trim (0);
#endif
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
  ph_octoprint_printer_init (op);
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
  /* Answers still to come find no source. */
  for (guint i = 0; i < op->requests->len; i++)
    ((pending_request *) g_ptr_array_index (op->requests, i))->op = NULL;
  g_ptr_array_unref (op->requests);
  g_object_unref (op->session);
  ph_octoprint_printer_clear (op);
  g_free (op->auth);
  g_free (op->user);
  g_free (op->config.name);
  g_free (op->config.file);
  g_free (op->config.url);
  g_free (op->config.api_key);
  g_free (op);
}

