#include "autoconfig.h"
#include "moonraker_private.h"

#include <string.h>

#include "text/json_text.h"
#include "moonraker_api.h"

#define MAX_FETCH_RESPONSE (1024 * 1024)
/* Klippy starting up is asked about again this often (printer-apis.md
 * §5.3). */
#define INFO_POLL_MS 2000

static void ask_info (ph_moonraker *mr);

const ph_source_config *
ph_moonraker_config (const ph_moonraker *mr)
{
  return &mr->config;
}

gboolean
ph_moonraker_connected (const ph_moonraker *mr)
{
  return ph_ws_link_is_live (mr->link);
}

/* ---- JSON-RPC and HTTP ---- */

void
ph_moonraker_call (ph_moonraker *mr, const char *method, json_object *params,
                   ph_jsonrpc_reply reply)
{
  g_autofree char *text = ph_jsonrpc_request (mr->rpc, method, params, reply, mr);

  /* Without a websocket the request fails at once, as if the link had
   * dropped, so that nothing waits for it. */
  if (!ph_ws_link_send (mr->link, text))
    ph_jsonrpc_fail_all (mr->rpc);
}

struct fetch {
  ph_moonraker *mr;           /* NULL once the source is gone */
  void (*handle) (ph_moonraker *mr, const ph_http_response *response, gpointer data);
  gpointer data;
  GDestroyNotify free_data;
};

static void
on_fetched (const ph_http_response *response, gpointer data)
{
  struct fetch *f = data;

  if (f->mr != NULL)
    {
      g_ptr_array_remove_fast (f->mr->fetches, f);
      f->handle (f->mr, response, f->data);
    }
  if (f->free_data != NULL)
    f->free_data (f->data);
  g_free (f);
}

void
ph_moonraker_fetch (ph_moonraker *mr, const char *path, const char *range,
                    void (*handle) (ph_moonraker *mr, const ph_http_response *response,
                                    gpointer data),
                    gpointer data, GDestroyNotify free_data)
{
  g_autofree char *url = g_strconcat (mr->config.url, path, NULL);
  ph_http_request *req = ph_http_request_new ("GET", url);
  struct fetch *f = g_new0 (struct fetch, 1);

  if (mr->config.api_key != NULL && *mr->config.api_key != '\0')
    ph_http_request_add_header (req, "X-Api-Key", mr->config.api_key);
  if (range != NULL)
    ph_http_request_add_header (req, "Range", range);
  ph_http_request_set_timeouts (req, 5, 10);
  ph_http_request_set_max_response_bytes (req, MAX_FETCH_RESPONSE);
  f->mr = mr;
  f->handle = handle;
  f->data = data;
  f->free_data = free_data;
  g_ptr_array_add (mr->fetches, f);
  ph_http_submit (mr->http, req, on_fetched, f);
}

/* ---- connecting: identify, server.info, subscribe ---- */

static void
on_webcams (json_object *result, const GError *error, gpointer data)
{
  ph_moonraker *mr = data;

  if (error != NULL)
    {
      g_info ("source %s: no webcam from Moonraker: %s", mr->config.name, error->message);
      return;
    }
  g_free (mr->webcam_url);
  mr->webcam_url = ph_moonraker_webcam_url (result, mr->config.url);
  g_debug ("source %s: webcam snapshot %s", mr->config.name,
           mr->webcam_url != NULL ? mr->webcam_url : "none");
}

static void
on_subscribed (json_object *result, const GError *error, gpointer data)
{
  ph_moonraker *mr = data;
  json_object *status = ph_json_member (result, "status", json_type_object);

  if (error != NULL || status == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        g_warning ("source %s: cannot subscribe to the printer objects: %s", mr->config.name,
                   error != NULL ? error->message : "the answer holds no status");
      return;
    }
  ph_moonraker_on_subscribed (mr, status);
}

/* Subscriptions end with Klippy (printer-apis.md §5.4): this runs on every
 * connection and every time Klippy is ready again. */
static void
subscribe (ph_moonraker *mr)
{
  static const char *const toolhead[] = { "position", "homed_axes", "print_time",
                                          "estimated_print_time", NULL };
  json_object *params = json_object_new_object ();
  json_object *objects = json_object_new_object ();
  json_object *fields = json_object_new_array ();

  for (guint i = 0; toolhead[i] != NULL; i++)
    json_object_array_add (fields, json_object_new_string (toolhead[i]));
  json_object_object_add (objects, "print_stats", NULL);
  json_object_object_add (objects, "virtual_sdcard", NULL);
  json_object_object_add (objects, "display_status", NULL);
  json_object_object_add (objects, "toolhead", fields);
  json_object_object_add (objects, "webhooks", NULL);
  json_object_object_add (params, "objects", objects);
  ph_moonraker_call (mr, "printer.objects.subscribe", params, on_subscribed);
}

static gboolean
on_info_poll (gpointer data)
{
  ph_moonraker *mr = data;

  mr->info_timer = 0;
  ask_info (mr);
  return G_SOURCE_REMOVE;
}

static void
on_info (json_object *result, const GError *error, gpointer data)
{
  ph_moonraker *mr = data;
  const char *state = ph_json_string (result, "klippy_state");
  gboolean first = !ph_ws_link_is_live (mr->link);

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        ph_ws_link_fail (mr->link, error->message);
      return;
    }
  if (first)
    {
      g_info ("source %s: connected to Moonraker at %s (Klippy %s)", mr->config.name,
              mr->config.url, state != NULL ? state : "state unknown");
      ph_ws_link_set_live (mr->link);
      ph_moonraker_call (mr, "server.webcams.list", NULL, on_webcams);
    }
  g_free (mr->klippy_state);
  mr->klippy_state = g_strdup (state);
  /* A Klippy that is up answers, even when shut down; one that starts or
   * is not connected is asked again until it is there. */
  if (g_strcmp0 (state, "ready") == 0 || g_strcmp0 (state, "shutdown") == 0
      || g_strcmp0 (state, "error") == 0)
    subscribe (mr);
  else if (mr->info_timer == 0)
    mr->info_timer = g_timeout_add (INFO_POLL_MS, on_info_poll, mr);
}

static void
ask_info (ph_moonraker *mr)
{
  g_clear_handle_id (&mr->info_timer, g_source_remove);
  ph_moonraker_call (mr, "server.info", NULL, on_info);
}

static void
on_identified (json_object *result, const GError *error, gpointer data)
{
  ph_moonraker *mr = data;

  if (error == NULL)
    {
      mr->key_rejected = FALSE;
      ask_info (mr);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return;
  if (g_error_matches (error, PH_JSONRPC_ERROR, 401) || g_error_matches (error, PH_JSONRPC_ERROR, 403))
    {
      if (!mr->key_rejected)
        g_warning ("source %s: Moonraker at %s refused printhook (%s); set api_key to a key "
                   "Moonraker accepts (moonraker's [authorization] section, or "
                   "'Generate API key' in Mainsail/Fluidd).  Trying again every %d s",
                   mr->config.name, mr->config.url, error->message, PH_WS_LINK_BACKOFF_MAX_S);
      mr->key_rejected = TRUE;
      ph_ws_link_retry_later (mr->link, TRUE);
      return;
    }
  ph_ws_link_fail (mr->link, error->message);
}

/* Moonraker sends nothing on connect: the client speaks first
 * (printer-apis.md §5.1, §5.3). */
static void
on_opened (gpointer data)
{
  ph_moonraker *mr = data;
  json_object *params = json_object_new_object ();

  json_object_object_add (params, "client_name", json_object_new_string ("printhook"));
  json_object_object_add (params, "version", json_object_new_string (PACKAGE_VERSION));
  /* "agent" allows one connection per client name; "other" asks for
   * nothing printhook does not use. */
  json_object_object_add (params, "type", json_object_new_string ("other"));
  json_object_object_add (params, "url", json_object_new_string (PACKAGE_URL));
  if (mr->config.api_key != NULL && *mr->config.api_key != '\0')
    json_object_object_add (params, "api_key", json_object_new_string (mr->config.api_key));
  ph_moonraker_call (mr, "server.connection.identify", params, on_identified);
}

static void
on_notification (ph_moonraker *mr, const char *method, json_object *params)
{
  json_object *first = json_object_is_type (params, json_type_array)
                       ? json_object_array_get_idx (params, 0) : NULL;

  if (strcmp (method, "notify_status_update") == 0)
    {
      if (json_object_is_type (first, json_type_object))
        ph_moonraker_on_status (mr, first);
    }
  else if (strcmp (method, "notify_gcode_response") == 0)
    {
      if (json_object_is_type (first, json_type_string))
        ph_moonraker_on_gcode_response (mr, json_object_get_string (first));
    }
  else if (strcmp (method, "notify_history_changed") == 0)
    ph_moonraker_on_history (mr, first);
  else if (strcmp (method, "notify_klippy_shutdown") == 0)
    {
      g_free (mr->klippy_state);
      mr->klippy_state = g_strdup ("shutdown");
      ph_moonraker_on_shutdown (mr);
    }
  else if (strcmp (method, "notify_klippy_disconnected") == 0)
    {
      g_info ("source %s: Klippy disconnected from Moonraker", mr->config.name);
      g_free (mr->klippy_state);
      mr->klippy_state = g_strdup ("disconnected");
      ask_info (mr);
    }
  else if (strcmp (method, "notify_klippy_ready") == 0)
    {
      g_info ("source %s: Klippy is ready; subscribing again", mr->config.name);
      ask_info (mr);
    }
  else if (strcmp (method, "notify_webcams_changed") == 0)
    ph_moonraker_call (mr, "server.webcams.list", NULL, on_webcams);
  /* Every other method is ignored, as Moonraker's docs ask (§5.5). */
}

static void
on_text (gpointer data, const char *text, gsize size)
{
  ph_moonraker *mr = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (json_object) message = ph_json_parse (text, size, &error);
  const char *method = NULL;
  json_object *params = NULL;

  if (message == NULL)
    {
      g_debug ("source %s: ignoring a message that is not JSON: %s", mr->config.name,
               error->message);
      return;
    }
  if (ph_jsonrpc_feed (mr->rpc, message, &method, &params))
    on_notification (mr, method, params);
}

static void
start (gpointer data)
{
  ph_moonraker *mr = data;

  g_clear_handle_id (&mr->info_timer, g_source_remove);
  /* The key goes on the upgrade too: without it, a Moonraker with
   * [authorization] sends no notifications until identify (§5.2). */
  ph_ws_link_connect (mr->link, "/websocket",
                      mr->config.api_key != NULL && *mr->config.api_key != '\0'
                      ? mr->config.api_key : NULL);
}

static void
on_lost (gpointer data)
{
  ph_moonraker *mr = data;

  g_clear_handle_id (&mr->info_timer, g_source_remove);
  ph_jsonrpc_fail_all (mr->rpc);
}

static const ph_ws_link_handler link_handler = {
  .start = start,
  .opened = on_opened,
  .text = on_text,
  .lost = on_lost,
};

ph_moonraker *
ph_moonraker_new (const ph_source_config *config, ph_http *http, ph_router *router)
{
  ph_moonraker *mr = g_new0 (ph_moonraker, 1);

  ph_source_config_copy (&mr->config, config);
  mr->http = http;
  mr->router = router;
  mr->rpc = ph_jsonrpc_new ();
  mr->fetches = g_ptr_array_new ();
  ph_moonraker_printer_init (mr);
  mr->link = ph_ws_link_new (config->name, "Moonraker", config->url, &link_handler, mr);
  ph_ws_link_start (mr->link);
  return mr;
}

void
ph_moonraker_free (ph_moonraker *mr)
{
  if (mr == NULL)
    return;
  g_clear_handle_id (&mr->info_timer, g_source_remove);
  g_clear_pointer (&mr->link, ph_ws_link_free);
  ph_jsonrpc_free (mr->rpc);
  /* Answers still to come find no source. */
  for (guint i = 0; i < mr->fetches->len; i++)
    ((struct fetch *) g_ptr_array_index (mr->fetches, i))->mr = NULL;
  g_ptr_array_unref (mr->fetches);
  ph_moonraker_printer_clear (mr);
  g_free (mr->klippy_state);
  ph_source_config_clear (&mr->config);
  g_free (mr);
}
