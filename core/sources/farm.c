/* A farm's central side (farm.h). */
#include "autoconfig.h"
#include "farm.h"

#include <string.h>
#include <mqtt_protocol.h>

#include "delivery/host.h"
#include "event/envelope.h"
#include "mqtt/mqtt_link.h"
#include "mqtt/mqtt_url.h"
#include "octoprint_mqtt.h"
#include "text/json_text.h"

#define KEEPALIVE_S 30
#define CONNECT_TIMEOUT_S 10
/* Refusals logged as warnings before they are only counted (a broken
 * edge republishes the same envelope on its retry schedule). */
#define REFUSALS_LOGGED 20

typedef struct ack_batch ack_batch;

struct ph_farm {
  ph_source_config config;
  ph_router *router;
  ph_mqtt_link *link;
  char *filter;                /* what it subscribes to */
  char *name;                  /* "INSTANCE/SOURCE" in acknowledgements */
  char *last_problem;
  ack_batch *batch;            /* acknowledgements waiting for the open batch */
  ph_farm_counts counts;
  ph_octoprint_mqtt *plugin;   /* format = octoprint-mqtt: the printer its messages tell of */
  guint base_levels;           /* the plugin's base topic, in levels */
};

/* One acknowledgement to send. */
typedef struct {
  char *topic;                 /* the edge's response topic */
  char *id;
  const char *result;          /* "committed", "duplicate", "refused" (static) */
  char *reason;                /* refused: why; else NULL */
  guint deliveries;
} ack;

/* The acknowledgements of one spool batch, sent when it is durable. */
struct ack_batch {
  ph_farm *farm;               /* NULL once the farm went away */
  GPtrArray *acks;             /* ack * */
};

static void
ack_free (ack *a)
{
  g_free (a->topic);
  g_free (a->id);
  g_free (a->reason);
  g_free (a);
}

const ph_source_config *
ph_farm_config (const ph_farm *farm)
{
  return &farm->config;
}

gboolean
ph_farm_connected (const ph_farm *farm)
{
  return ph_mqtt_link_is_connected (farm->link);
}

void
ph_farm_get_counts (const ph_farm *farm, ph_farm_counts *counts)
{
  *counts = farm->counts;
}

ph_event *
ph_farm_make_event (ph_farm *farm, const char *name, json_object *payload)
{
  return ph_event_new (name, farm->config.name, payload,
                       farm->plugin != NULL ? ph_octoprint_mqtt_printer (farm->plugin) : NULL);
}

/* ---- acknowledgements ---- */

static void
send_ack (ph_farm *farm, const ack *a)
{
  g_autoptr (GError) error = NULL;
  json_object *body = json_object_new_object ();
  g_autofree char *text = NULL;
  mosquitto_property *props = NULL;

  json_object_object_add (body, "v", json_object_new_int (1));
  json_object_object_add (body, "id", json_object_new_string (a->id));
  json_object_object_add (body, "result", json_object_new_string (a->result));
  if (a->reason != NULL)
    json_object_object_add (body, "reason", json_object_new_string (a->reason));
  if (strcmp (a->result, "committed") == 0)
    json_object_object_add (body, "deliveries", json_object_new_int64 (a->deliveries));
  json_object_object_add (body, "by", json_object_new_string (farm->name));
  text = ph_json_to_text (body, FALSE);
  json_object_put (body);
  mosquitto_property_add_binary (&props, MQTT_PROP_CORRELATION_DATA, a->id,
                                 (uint16_t) strlen (a->id));
  mosquitto_property_add_string (&props, MQTT_PROP_CONTENT_TYPE, "application/json");
  if (!ph_mqtt_link_publish (farm->link, a->topic, text, strlen (text), 1, FALSE, props, NULL,
                             &error))
    g_debug ("source %s: acknowledgement of %s to %s not sent (the edge sends the event "
             "again): %s", farm->config.name, a->id, a->topic, error->message);
  mosquitto_property_free_all (&props);
}

static void
on_durable (gboolean durable, gpointer data)
{
  ack_batch *batch = data;
  ph_farm *farm = batch->farm;

  if (farm != NULL && farm->batch == batch)
    farm->batch = NULL;
  for (guint i = 0; farm != NULL && i < batch->acks->len; i++)
    {
      ack *a = g_ptr_array_index (batch->acks, i);

      if (durable || strcmp (a->result, "refused") == 0)
        send_ack (farm, a);
      else
        farm->counts.unacknowledged++;
    }
  if (farm != NULL && !durable && batch->acks->len > 0)
    g_warning ("source %s: the spool did not commit; %u forwarded %s not acknowledged, "
               "and their edges will send them again", farm->config.name, batch->acks->len,
               batch->acks->len == 1 ? "event is" : "events are");
  g_ptr_array_unref (batch->acks);
  g_free (batch);
}

/* Queues an acknowledgement for after the spool's current batch. */
static void
queue_ack (ph_farm *farm, const char *topic, const char *id, const char *result,
           const char *reason, guint deliveries)
{
  ack *a = g_new0 (ack, 1);

  a->topic = g_strdup (topic);
  a->id = g_strdup (id);
  a->result = result;
  a->reason = g_strdup (reason);
  a->deliveries = deliveries;
  if (farm->batch == NULL)
    {
      farm->batch = g_new0 (ack_batch, 1);
      farm->batch->farm = farm;
      farm->batch->acks = g_ptr_array_new_with_free_func ((GDestroyNotify) ack_free);
      ph_deliverer_when_durable (ph_router_deliverer (farm->router), on_durable, farm->batch);
    }
  g_ptr_array_add (farm->batch->acks, a);
}

/* ---- taking an envelope ---- */

static void
refused (ph_farm *farm, const struct mosquitto_message *message, const char *reply,
         const char *id, const char *why)
{
  if (farm->counts.refused++ < REFUSALS_LOGGED)
    g_warning ("source %s: refused a message of %d bytes on %s%s%s: %s%s", farm->config.name,
               message->payloadlen, message->topic, id != NULL ? " for event " : "",
               id != NULL ? id : "", why,
               farm->counts.refused == REFUSALS_LOGGED ? " (further refusals are only counted)"
                                                       : "");
  else
    g_debug ("source %s: refused a message on %s: %s", farm->config.name, message->topic, why);
  if (reply != NULL && id != NULL)
    queue_ack (farm, reply, id, "refused", why, 0);
}

/* The edge's response topic, when it is one to publish to. */
static char *
response_topic (const mosquitto_property *props)
{
  char *topic = NULL;

  if (mosquitto_property_read_string (props, MQTT_PROP_RESPONSE_TOPIC, &topic, FALSE) == NULL)
    return NULL;
  if (mosquitto_pub_topic_check (topic) != MOSQ_ERR_SUCCESS)
    {
      free (topic);
      return NULL;
    }
  {
    char *copy = g_strdup (topic);

    free (topic);
    return copy;
  }
}

/* The correlation data as an id, when it is text of the envelope's id
 * form: for refusing an envelope that cannot be read. */
static char *
correlation_id (const mosquitto_property *props)
{
  void *data = NULL;
  uint16_t len = 0;
  char *id = NULL;

  if (mosquitto_property_read_binary (props, MQTT_PROP_CORRELATION_DATA, &data, &len, FALSE)
      == NULL)
    return NULL;
  if (ph_envelope_id_valid (data, len))
    id = g_strndup (data, len);
  free (data);
  return id;
}

static guint
dispatch (ph_farm *farm, const ph_envelope *envelope)
{
  g_autoptr (ph_event) event = ph_envelope_to_event (envelope);
  json_object *progress = NULL, *completion = NULL;

  if (strcmp (envelope->name, "PrintProgress") == 0
      && json_object_object_get_ex (envelope->printer, "progress", &progress)
      && json_object_object_get_ex (progress, "completion", &completion)
      && (json_object_is_type (completion, json_type_double)
          || json_object_is_type (completion, json_type_int)))
    {
      double percent = json_object_get_double (completion);

      if (percent >= 0 && percent <= 100)
        return ph_router_progress (farm->router, event, percent);
    }
  return ph_router_dispatch (farm->router, event);
}

static void
take (ph_farm *farm, const struct mosquitto_message *message, const mosquitto_property *props)
{
  g_autofree char *reply = response_topic (props);
  g_autofree char *fallback_id = NULL;
  g_auto (ph_envelope) envelope = { 0 };
  g_autoptr (GError) error = NULL;
  ph_deliverer *dv = ph_router_deliverer (farm->router);
  guint deliveries;

  farm->counts.received++;
  if (!ph_envelope_parse (message->payload, (gsize) MAX (message->payloadlen, 0), &envelope,
                          &error))
    {
      fallback_id = correlation_id (props);
      refused (farm, message, reply, fallback_id, error->message);
      return;
    }
  if (reply == NULL)
    {
      refused (farm, message, NULL, envelope.id,
               "no MQTT 5 response topic to acknowledge it on (an edge sends one: "
               "mqtt.format = event with mqtt.protocol = 5)");
      return;
    }
  switch (ph_deliverer_intake (dv, envelope.id, envelope.digest))
    {
    case PH_INTAKE_UNKNOWN:
      return;   /* not acknowledged: the edge sends it again */
    case PH_INTAKE_CONFLICT:
      refused (farm, message, reply, envelope.id,
               "this event id was committed before with other content (two edges using the "
               "same ids, or a changed envelope)");
      return;
    case PH_INTAKE_DUPLICATE:
      farm->counts.duplicates++;
      g_debug ("source %s: %s %s from %s again: committed before", farm->config.name,
               envelope.name, envelope.id, envelope.source);
      queue_ack (farm, reply, envelope.id, "duplicate", NULL, 0);
      return;
    case PH_INTAKE_NEW:
      break;
    }
  deliveries = dispatch (farm, &envelope);
  if (!ph_deliverer_remember (dv, envelope.id, envelope.digest, farm->config.dedupe_window))
    return;   /* not acknowledged: a republication may be a duplicate, never a loss */
  farm->counts.committed++;
  g_info ("source %s: %s of %s (%s): %u %s", farm->config.name, envelope.name, envelope.source,
          envelope.id, deliveries, deliveries == 1 ? "delivery" : "deliveries");
  queue_ack (farm, reply, envelope.id, "committed", NULL, deliveries);
}

/* ---- the OctoPrint-MQTT plugin ---- */

/* What follows the plugin's base in topic, or NULL. */
static const char *
plugin_topic (const ph_farm *farm, const char *topic)
{
  const char *p = topic;

  for (guint i = 0; i < farm->base_levels; i++)
    {
      p = strchr (p, '/');
      if (p == NULL)
        return NULL;
      p++;
    }
  return p;
}

static void
take_plugin_message (ph_farm *farm, const struct mosquitto_message *message)
{
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ph_octoprint_mqtt_event_free);
  g_autoptr (GError) error = NULL;
  const char *topic = plugin_topic (farm, message->topic);

  if (topic == NULL)
    return;
  farm->counts.received++;
  if (!ph_octoprint_mqtt_apply (farm->plugin, topic, message->payload,
                                (gsize) MAX (message->payloadlen, 0), events, &error))
    {
      refused (farm, message, NULL, NULL, error->message);
      return;
    }
  for (guint i = 0; i < events->len; i++)
    {
      ph_octoprint_mqtt_event *e = g_ptr_array_index (events, i);
      g_autoptr (ph_event) event = ph_farm_make_event (farm, e->name,
                                                       json_object_get (e->payload));
      guint deliveries;

      farm->counts.committed++;
      if (e->completion >= 0)
        deliveries = ph_router_progress (farm->router, event, e->completion);
      else
        deliveries = ph_router_dispatch (farm->router, event);
      g_info ("source %s: %s from the OctoPrint-MQTT plugin: %u %s", farm->config.name, e->name,
              deliveries, deliveries == 1 ? "delivery" : "deliveries");
    }
}

/* ---- the link ---- */

static void
on_connected (ph_mqtt_link *link, gboolean session_present, gpointer data)
{
  ph_farm *farm = data;
  g_autoptr (GError) error = NULL;

  (void) session_present;
  g_clear_pointer (&farm->last_problem, g_free);
  if (!ph_mqtt_link_subscribe (link, farm->filter, 1, &error))
    {
      g_warning ("source %s: cannot subscribe to %s: %s", farm->config.name, farm->filter,
                 error->message);
      return;
    }
  g_message ("source %s: connected to %s, taking %s", farm->config.name, ph_mqtt_link_name (link),
             farm->filter);
}

static void
on_down (ph_mqtt_link *link, const char *why, gboolean refused_credentials, gpointer data)
{
  ph_farm *farm = data;

  if (g_strcmp0 (farm->last_problem, why) == 0)
    return;
  g_free (farm->last_problem);
  farm->last_problem = g_strdup (why);
  g_warning ("source %s: %s: %s%s; retrying", farm->config.name, ph_mqtt_link_name (link), why,
             refused_credentials ? " (check the user and password in url)" : "");
}

static void
on_message (ph_mqtt_link *link, const struct mosquitto_message *message,
            const mosquitto_property *props, gpointer data)
{
  (void) link;
  ph_farm *farm = data;

  if (message->topic == NULL || message->retain)
    return;   /* a retained message is an old one (the plugin's status), not news */
  if (farm->plugin != NULL)
    take_plugin_message (farm, message);
  else
    take (farm, message, props);
}

static const ph_mqtt_link_callbacks link_callbacks = {
  .connected = on_connected,
  .down = on_down,
  .message = on_message,
};

/* printhook-INSTANCE-HASH: one per daemon and source, stable across
 * restarts, so that a restarted daemon takes its own place and two
 * daemons of a group never take each other's. */
static char *
client_id (const ph_source_config *config)
{
  g_autofree char *seed = g_strconcat (ph_host ()->instance_name (), "/", config->name, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  return g_strdup_printf ("printhook-%.12s", hash);
}

ph_farm *
ph_farm_new (const ph_source_config *config, ph_router *router)
{
  ph_farm *farm = g_new0 (ph_farm, 1);
  g_auto (ph_mqtt_url) url = { 0 };
  g_autofree char *id = NULL;
  ph_mqtt_link_options options = {
    .protocol = 5,
    .keepalive_s = KEEPALIVE_S,
    .connect_timeout_s = CONNECT_TIMEOUT_S,
    /* Nothing kept for a daemon that is down: its share goes to the
     * group's others when the edges send again. */
    .clean_session = TRUE,
  };

  ph_source_config_copy (&farm->config, config);
  farm->router = router;
  farm->filter = config->group != NULL
                     ? g_strdup_printf ("$share/%s/%s", config->group, config->topic)
                     : g_strdup (config->topic);
  farm->name = g_strdup_printf ("%s/%s", ph_host ()->instance_name (), config->name);
  if (config->format == PH_MQTT_FORMAT_OCTOPRINT)
    {
      farm->plugin = ph_octoprint_mqtt_new ();
      /* "octoPrint/#": one level of base before what the plugin names. */
      for (const char *p = config->topic; *p; p++)
        if (*p == '/')
          farm->base_levels++;
    }
  id = config->client_id != NULL ? g_strdup (config->client_id) : client_id (config);
  if (!ph_mqtt_url_parse (config->url, &url, NULL))
    g_return_val_if_reached (farm);   /* the configuration checked it */
  options.host = url.host;
  options.port = url.port;
  options.tls = url.tls;
  options.username = url.username;
  options.password = url.password;
  options.client_id = id;
  options.ca_file = config->tls_ca_file;
  options.tls_verify = config->tls_verify;
  options.cert_file = config->tls_cert;
  options.key_file = config->tls_key;
  ph_mqtt_lib_init ();
  farm->link = ph_mqtt_link_new (&options, &link_callbacks, farm);
  if (farm->config.enabled)
    ph_mqtt_link_start (farm->link);
  return farm;
}

void
ph_farm_free (ph_farm *farm)
{
  if (farm == NULL)
    return;
  if (farm->batch != NULL)
    farm->batch->farm = NULL;
  ph_mqtt_link_free (farm->link);
  ph_octoprint_mqtt_free (farm->plugin);
  ph_source_config_clear (&farm->config);
  g_free (farm->filter);
  g_free (farm->name);
  g_free (farm->last_problem);
  g_free (farm);
}
