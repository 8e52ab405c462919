/* A Bambu Lab printer over its LAN MQTT broker (bambu.h). */
#include "autoconfig.h"
#include "bambu.h"

#include <string.h>

#include "mqtt/mqtt_link.h"
#include "bambu_report.h"
#include "bambu_still.h"
#include "event_queue.h"

#define BAMBU_USER "bblp"
#define KEEPALIVE_S 30
#define CONNECT_TIMEOUT_S 10
/* The printer's firmware lags when asked for everything more often
 * (mqtt-and-bambu.md §3); $PRINTHOOK_BAMBU_PUSHALL_S shortens it for the
 * tests, which reconnect within seconds. */
#define PUSHALL_INTERVAL_S 300
#define PUSHALL_ENV "PRINTHOOK_BAMBU_PUSHALL_S"
#define PUSHALL_REQUEST \
  "{\"pushing\": {\"sequence_id\": \"0\", \"command\": \"pushall\", \"version\": 1, " \
  "\"push_target\": 1}}"

struct ph_bambu {
  ph_source_config config;
  ph_event_queue *queue;
  ph_mqtt_link *link;
  ph_bambu_state *state;
  ph_bambu_still *still;       /* the camera its events offer @snapshot */
  char *report_topic;          /* device/SERIAL/report */
  char *request_topic;         /* device/SERIAL/request */
  gint64 last_pushall_us;      /* monotonic; 0: never */
  guint pushall_timer;
  char *last_problem;          /* the last "down" reason logged, so a retry says it once */
  guint bad_reports;           /* reports that were not JSON objects */
};

static guint
pushall_interval_s (void)
{
  static gsize seconds;

  if (g_once_init_enter (&seconds))
    {
      const char *text = g_getenv (PUSHALL_ENV);
      guint64 value = PUSHALL_INTERVAL_S;

      if (text != NULL
          && !g_ascii_string_to_unsigned (text, 10, 1, PUSHALL_INTERVAL_S, &value, NULL))
        {
          g_warning ("%s=%s is not a number of seconds from 1 to %d; asking for a pushall "
                     "every %d s at most", PUSHALL_ENV, text, PUSHALL_INTERVAL_S,
                     PUSHALL_INTERVAL_S);
          value = PUSHALL_INTERVAL_S;
        }
      g_once_init_leave (&seconds, value);
    }
  return seconds;
}

const ph_source_config *
ph_bambu_config (const ph_bambu *bambu)
{
  return &bambu->config;
}

gboolean
ph_bambu_connected (const ph_bambu *bambu)
{
  return ph_mqtt_link_is_connected (bambu->link);
}

ph_event *
ph_bambu_make_event (ph_bambu *bambu, const char *name, json_object *payload)
{
  ph_event *event = ph_event_new (name, bambu->config.name, payload,
                                  ph_bambu_state_printer (bambu->state,
                                                          g_get_real_time () / G_USEC_PER_SEC));

  ph_event_set_camera (event, ph_bambu_still_camera (bambu->still,
                                                     ph_bambu_state_has_rtsp_camera (bambu->state)));
  return event;
}

/* ---- pushall ---- */

/* Asks for the whole state; the answer replaces what was merged, so that
 * what changed while the link was down gives its events. */
static void
send_pushall (ph_bambu *bambu)
{
  g_autoptr (GError) error = NULL;
  int mid = 0;

  if (!ph_mqtt_link_publish (bambu->link, bambu->request_topic, PUSHALL_REQUEST,
                             strlen (PUSHALL_REQUEST), 0, FALSE, NULL, &mid, &error))
    {
      g_warning ("source %s: cannot ask the printer for its state: %s", bambu->config.name,
                 error->message);
      return;
    }
  bambu->last_pushall_us = g_get_monotonic_time ();
  ph_bambu_state_reconnected (bambu->state);
  g_debug ("source %s: pushall sent on %s", bambu->config.name, bambu->request_topic);
}

static gboolean
on_pushall_due (gpointer data)
{
  ph_bambu *bambu = data;

  bambu->pushall_timer = 0;
  if (ph_mqtt_link_is_connected (bambu->link))
    send_pushall (bambu);
  return G_SOURCE_REMOVE;
}

/* A pushall now, or when the interval since the last one is up. */
static void
schedule_pushall (ph_bambu *bambu)
{
  gint64 interval_us = (gint64) pushall_interval_s () * G_USEC_PER_SEC;
  gint64 since = g_get_monotonic_time () - bambu->last_pushall_us;

  g_clear_handle_id (&bambu->pushall_timer, g_source_remove);
  if (bambu->last_pushall_us == 0 || since >= interval_us)
    {
      send_pushall (bambu);
      return;
    }
  g_info ("source %s: asking for the printer's state in %" G_GINT64_FORMAT
          " s (at most one pushall every %u s)", bambu->config.name,
          (interval_us - since) / G_USEC_PER_SEC + 1, pushall_interval_s ());
  bambu->pushall_timer = g_timeout_add ((guint) ((interval_us - since) / 1000) + 1,
                                        on_pushall_due, bambu);
}

/* ---- the link ---- */

static void
on_connected (ph_mqtt_link *link, gboolean session_present, gpointer data)
{
  ph_bambu *bambu = data;
  g_autoptr (GError) error = NULL;

  (void) session_present;
  g_clear_pointer (&bambu->last_problem, g_free);
  if (!ph_mqtt_link_subscribe (link, bambu->report_topic, 0, &error))
    {
      g_warning ("source %s: cannot subscribe to %s: %s", bambu->config.name,
                 bambu->report_topic, error->message);
      return;
    }
  g_message ("source %s: connected to the Bambu Lab printer %s at %s", bambu->config.name,
             bambu->config.serial, ph_mqtt_link_name (link));
  schedule_pushall (bambu);
}

/* What to do about why, for the user: the access code, the serial, the
 * CA.  Transfer full. */
static char *
advice (const ph_bambu *bambu, const char *why, gboolean refused)
{
  const char *named = ph_mqtt_link_refused_name (bambu->link);

  if (refused)
    return g_strdup_printf ("; check access_code (Settings > Network on the printer's screen; "
                            "it changes when LAN mode is switched off and on) in %s",
                            bambu->config.file);
  if (named != NULL)
    return g_strdup_printf ("; if that is this printer, set serial = %s in %s", named,
                            bambu->config.file);
  if (strstr (why, "does not verify") != NULL || strstr (why, "certificate") != NULL)
    return g_strdup_printf ("; tls_ca_file (%s) must hold Bambu Lab's CAs, or set "
                            "tls_verify = false", bambu->config.tls_ca_file);
  return g_strdup ("");
}

static void
on_down (ph_mqtt_link *link, const char *why, gboolean refused, gpointer data)
{
  ph_bambu *bambu = data;
  g_autofree char *hint = NULL;

  (void) link;
  g_clear_handle_id (&bambu->pushall_timer, g_source_remove);
  if (g_strcmp0 (bambu->last_problem, why) == 0)
    {
      g_debug ("source %s: still not connected: %s", bambu->config.name, why);
      return;
    }
  g_free (bambu->last_problem);
  bambu->last_problem = g_strdup (why);
  hint = advice (bambu, why, refused);
  g_warning ("source %s: the printer %s at %s: %s%s; retrying", bambu->config.name,
             bambu->config.serial, ph_mqtt_link_name (bambu->link),
             refused ? "refused the access code" : why, hint);
}

static void
on_message (ph_mqtt_link *link, const struct mosquitto_message *message,
            const mosquitto_property *props, gpointer data)
{
  ph_bambu *bambu = data;
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ph_bambu_event_free);
  g_autoptr (GError) error = NULL;

  (void) link;
  (void) props;
  if (message->topic == NULL || strcmp (message->topic, bambu->report_topic) != 0
      || message->payloadlen < 0)
    return;
  if (!ph_bambu_state_apply (bambu->state, message->payload, (gsize) message->payloadlen,
                             g_get_real_time () / G_USEC_PER_SEC, events, &error))
    {
      /* A printer that sends garbage sends it again: said once, then counted. */
      if (bambu->bad_reports++ == 0)
        g_warning ("source %s: a report of %d bytes from the printer was ignored: %s",
                   bambu->config.name, message->payloadlen, error->message);
      else
        g_debug ("source %s: %u reports ignored so far: %s", bambu->config.name,
                 bambu->bad_reports, error->message);
      return;
    }
  for (guint i = 0; i < events->len; i++)
    {
      ph_bambu_event *e = g_ptr_array_index (events, i);
      ph_event *event = ph_bambu_make_event (bambu, e->name,
                                             g_steal_pointer (&e->payload));

      if (e->completion >= 0)
        {
          /* Every percent: the router's milestones say what goes out. */
          g_debug ("source %s: PrintProgress at %.0f %%", bambu->config.name, e->completion);
          ph_event_queue_progress (bambu->queue, event, e->completion);
        }
      else
        {
          g_info ("source %s: %s", bambu->config.name, e->name);
          ph_event_queue_event (bambu->queue, event);
        }
    }
}

static const ph_mqtt_link_callbacks link_callbacks = {
  .connected = on_connected,
  .down = on_down,
  .message = on_message,
};

/* One id per daemon host and source: a restarted daemon takes its old
 * place on the printer's broker, which has room for few clients. */
static char *
client_id (const ph_source_config *config)
{
  g_autofree char *seed = g_strconcat (g_get_host_name (), "/", config->name, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  return g_strdup_printf ("printhook-%.8s", hash);
}

ph_bambu *
ph_bambu_new (const ph_source_config *config, ph_router *router)
{
  ph_bambu *bambu = g_new0 (ph_bambu, 1);
  g_autofree char *id = client_id (config);
  ph_mqtt_link_options options = {
    .port = 0,
    .tls = TRUE,
    .username = BAMBU_USER,
    .protocol = 4,            /* the printers speak MQTT 3.1.1 */
    .keepalive_s = KEEPALIVE_S,
    .connect_timeout_s = CONNECT_TIMEOUT_S,
    .clean_session = TRUE,
  };

  ph_source_config_copy (&bambu->config, config);
  bambu->state = ph_bambu_state_new ();
  bambu->still = ph_bambu_still_new (&bambu->config);
  bambu->queue = ph_event_queue_new (router, bambu->config.name, NULL, NULL);
  bambu->report_topic = g_strdup_printf ("device/%s/report", config->serial);
  bambu->request_topic = g_strdup_printf ("device/%s/request", config->serial);
  options.host = bambu->config.host;
  options.port = (guint16) bambu->config.port;
  options.password = bambu->config.access_code;
  options.client_id = id;
  options.ca_file = bambu->config.tls_ca_file;
  options.tls_verify = bambu->config.tls_verify;
  options.tls_name = bambu->config.serial;
  ph_mqtt_lib_init ();
  bambu->link = ph_mqtt_link_new (&options, &link_callbacks, bambu);
  if (bambu->config.enabled)
    ph_mqtt_link_start (bambu->link);
  return bambu;
}

void
ph_bambu_free (ph_bambu *bambu)
{
  if (bambu == NULL)
    return;
  g_clear_handle_id (&bambu->pushall_timer, g_source_remove);
  ph_mqtt_link_free (bambu->link);
  ph_event_queue_free (bambu->queue);
  ph_bambu_state_free (bambu->state);
  ph_bambu_still_free (bambu->still);
  ph_source_config_clear (&bambu->config);
  g_free (bambu->report_topic);
  g_free (bambu->request_topic);
  g_free (bambu->last_problem);
  g_free (bambu);
}
