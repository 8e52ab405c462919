#include "autoconfig.h"
#include "octoprint_private.h"

#include <string.h>

#include "text/json_text.h"
#include "octoprint_api.h"

#define MAX_REST_RESPONSE (8 * 1024 * 1024)
/* current messages at OctoPrint's own fastest rate, 2 a second. */
#define THROTTLE 1

static void connect_websocket (ph_octoprint *op);

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

gboolean
ph_octoprint_connected (const ph_octoprint *op)
{
  return op->phase == PHASE_LIVE;
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
      ph_ws_link_fail (op->link, what);
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
                   "Trying again every %d s", op->config.name, op->config.url, PH_WS_LINK_BACKOFF_MAX_S);
      op->key_rejected = TRUE;
      ph_ws_link_retry_later (op->link, TRUE);
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
log_in (gpointer data)
{
  ph_octoprint *op = data;

  ph_ws_link_drop (op->link);
  op->phase = PHASE_LOGGING_IN;
  ph_octoprint_rest (op, "POST", "/api/login", "{\"passive\": true}", 10, on_login);
}

/* ---- the push API ---- */

static void
send_json (ph_octoprint *op, json_object *message)
{
  g_autofree char *text = ph_json_to_text (message, FALSE);

  ph_ws_link_send (op->link, text);
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
      ph_ws_link_start (op->link);
      return;
    }
  {
    g_autofree char *what = g_strdup_printf ("OctoPrint refused the session of the login (%s)",
                                             reason != NULL ? reason : "no reason");
    ph_ws_link_fail (op->link, what);
  }
}

void
ph_octoprint_on_message (ph_octoprint *op, const char *text, gsize size)
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
              ph_ws_link_set_live (op->link);
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
on_text (gpointer data, const char *text, gsize size)
{
  ph_octoprint_on_message (data, text, size);
}

static void
on_lost (gpointer data)
{
  ((ph_octoprint *) data)->phase = PHASE_WAITING;
}

static void
connect_websocket (ph_octoprint *op)
{
  op->phase = PHASE_CONNECTING;
  ph_ws_link_connect (op->link, "/sockjs/websocket", NULL);
}

static const ph_ws_link_handler link_handler = {
  .start = log_in,
  .text = on_text,
  .lost = on_lost,
};

ph_octoprint *
ph_octoprint_new (const ph_source_config *config, ph_http *http, ph_router *router)
{
  ph_octoprint *op = g_new0 (ph_octoprint, 1);

  ph_source_config_copy (&op->config, config);
  op->http = http;
  op->router = router;
  op->requests = g_ptr_array_new ();
  ph_octoprint_printer_init (op);
  op->link = ph_ws_link_new (config->name, "OctoPrint", config->url, &link_handler, op);
  ph_ws_link_start (op->link);
  return op;
}

void
ph_octoprint_free (ph_octoprint *op)
{
  if (op == NULL)
    return;
  g_clear_pointer (&op->link, ph_ws_link_free);
  /* Answers still to come find no source. */
  for (guint i = 0; i < op->requests->len; i++)
    ((pending_request *) g_ptr_array_index (op->requests, i))->op = NULL;
  g_ptr_array_unref (op->requests);
  ph_octoprint_printer_clear (op);
  g_free (op->auth);
  g_free (op->user);
  ph_source_config_clear (&op->config);
  g_free (op);
}

