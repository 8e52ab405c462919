/* mqtt: the send stage that publishes to an MQTT broker instead of
 * sending HTTP.  The payload is the hook's body as the chain made it (the
 * same data templates); the topic is a template of its own.  Delivered
 * means the broker has it: PUBACK for QoS 1, PUBCOMP for QoS 2, written to
 * the socket for QoS 0.  Everything else is a retry from the spool, except
 * a message the broker refuses for good (an MQTT 5 reason code such as
 * "topic name invalid"), which is a dead letter.  With MQTT 5 the message
 * carries webhook-id, webhook-timestamp and the signature as user
 * properties, the values http-webhook sends as headers. */
#include <string.h>

#include <mqtt_protocol.h>

#include "broker.h"
#include "discovery.h"
#include "forward.h"
#include "mqtt/mqtt_link.h"
#include "mqtt/mqtt_url.h"
#include "printhook/module.h"
#include "sign.h"

#define DEFAULT_TOPIC "printhook/@deviceIdentifier/@event"
#define DEFAULT_EVENT_PREFIX "printhook/events"

static const printhook_host *host;

typedef struct {
  const printhook_config *config;
  const char *topic;
  int qos;
  gboolean retain;
  double timeout_s;
  mqtt_broker *broker;
  mqtt_discovery *discovery;
  gboolean forward_events;     /* mqtt.format = event */
  const char *event_prefix;
  mqtt_forward *forward;       /* the acks of forwarded events */
} instance;

static const printhook_config_key keys[] = {
  /* Not a secret as a whole, like a hook's url: the password in it is
   * masked wherever a URL is shown or logged. */
  { "url", PRINTHOOK_KEY_STRING, NULL, TRUE, FALSE, 0, 0,
    "the broker: mqtt://[USER[:PASSWORD]@]HOST[:PORT] or mqtts://... (TLS)" },
  { "topic", PRINTHOOK_KEY_STRING, DEFAULT_TOPIC, FALSE, FALSE, 0, 0,
    "where to publish, a template; inserted values cannot add levels or wildcards" },
  { "qos", PRINTHOOK_KEY_INT, "1", FALSE, FALSE, 0, 2,
    "0: written to the socket, 1: until PUBACK, 2: until PUBCOMP" },
  { "retain", PRINTHOOK_KEY_BOOL, "false", FALSE, FALSE, 0, 0,
    "the broker keeps the last message of the topic for new subscribers" },
  { "client_id", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "MQTT client id (default: printhook-HOST-HASH-HASH, stable across restarts)" },
  { "protocol", PRINTHOOK_KEY_STRING, "5", FALSE, FALSE, 0, 0, "5 or 3.1.1" },
  { "keepalive", PRINTHOOK_KEY_INT, "60", FALSE, FALSE, 5, 65535,
    "seconds between keep-alive pings" },
  { "tls_cert", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "client certificate (PEM) for mqtts://, with mqtt.tls_key" },
  { "tls_key", PRINTHOOK_KEY_PATH, NULL, FALSE, TRUE, 0, 0,
    "the client certificate's private key (PEM)" },
  { "status_topic", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "retained online/offline (last will) topic (default printhook/DEVICE/status; "
    "empty: none)" },
  { "discovery", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "homeassistant: describe each printer to Home Assistant (MQTT discovery)" },
  { "discovery_prefix", PRINTHOOK_KEY_STRING, "homeassistant", FALSE, FALSE, 0, 0,
    "Home Assistant's discovery prefix" },
  { "format", PRINTHOOK_KEY_STRING, "body", FALSE, FALSE, 0, 0,
    "body: the hook's rendered data; event: the whole event for central printhooks "
    "(a print farm), delivered when one of them has committed it" },
  { "event_prefix", PRINTHOOK_KEY_STRING, DEFAULT_EVENT_PREFIX, FALSE, FALSE, 0, 0,
    "format = event: events go to PREFIX/SOURCE/EVENT" },
  { "ack_topic", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "format = event: where central printhooks acknowledge (default printhook/acks/NAME, "
    "NAME this printhook's instance name)" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static gboolean
mqtt_init (const printhook_host *h, GError **error)
{
  if (h->abi_minor < 1)
    {
      /* Cannot happen: the host refuses a module newer than itself. */
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE, "needs ABI 1.1");
      return FALSE;
    }
  host = h;
  ph_mqtt_lib_init ();
  return TRUE;
}

static gboolean
config_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
config_error (GError **error, const char *fmt, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, fmt);
  text = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error_literal (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG, text);
  return FALSE;
}

/* A topic of the configuration a message goes to: no wildcards, no empty
 * level at the end. */
static gboolean
plain_topic (const char *topic)
{
  return *topic != '\0' && strpbrk (topic, "+#") == NULL && topic[strlen (topic) - 1] != '/';
}

/* mqtt.format and the keys that go with it. */
static gboolean
check_format (const printhook_config *config, const char *protocol, GError **error)
{
  const char *format = host->config_get_string (config, "mqtt.format");
  const char *ack = host->config_get_string (config, "mqtt.ack_topic");

  if (strcmp (format, "body") == 0)
    {
      static const char *const event_only[] = { "mqtt.event_prefix", "mqtt.ack_topic", NULL };

      for (guint i = 0; event_only[i] != NULL; i++)
        if (host->config_is_set (config, event_only[i]))
          return config_error (error, "%s is for mqtt.format = event", event_only[i]);
      return TRUE;
    }
  if (strcmp (format, "event") != 0)
    return config_error (error, "mqtt.format '%s': body (the rendered data) or event (the whole "
                                "event, for central printhooks)", format);
  if (strcmp (protocol, "5") != 0)
    return config_error (error, "mqtt.format = event needs mqtt.protocol = 5: the central "
                                "printhook answers on the MQTT 5 response topic");
  if (host->config_is_set (config, "mqtt.topic"))
    return config_error (error, "mqtt.topic is for mqtt.format = body: forwarded events go to "
                                "mqtt.event_prefix/SOURCE/EVENT");
  if (host->config_get_bool (config, "mqtt.retain"))
    return config_error (error, "mqtt.retain: forwarded events are not retained (a new central "
                                "printhook would take the last one again)");
  if (!plain_topic (host->config_get_string (config, "mqtt.event_prefix")))
    return config_error (error, "mqtt.event_prefix '%s': a topic without wildcards or a trailing "
                                "'/'", host->config_get_string (config, "mqtt.event_prefix"));
  if (ack != NULL && !plain_topic (ack))
    return config_error (error, "mqtt.ack_topic '%s': a topic without wildcards or a trailing "
                                "'/'", ack);
  if (host->config_get_string (config, "mqtt.discovery") != NULL)
    return config_error (error, "mqtt.discovery is for mqtt.format = body: the central "
                                "printhook describes the printers it delivers for");
  return TRUE;
}

/* printhook/acks/NAME, NAME this printhook's instance name as a topic
 * level: the central printhooks answer there. */
static char *
default_ack_topic (void)
{
  GString *out = g_string_new ("printhook/acks/");

  for (const char *p = host->instance_name (); *p; p++)
    g_string_append_c (out, strchr ("+#/", *p) != NULL ? '_' : *p);
  return g_string_free (out, FALSE);
}

/* The checks a hook's mqtt keys must pass; nothing connects here. */
static gboolean
check_config (const printhook_config *config, GError **error)
{
  const char *url = host->config_get_string (config, "mqtt.url");
  const char *topic = host->config_get_string (config, "mqtt.topic");
  const char *protocol = host->config_get_string (config, "mqtt.protocol");
  const char *content_type = host->config_get_string (config, "content_type");
  g_auto (ph_mqtt_url) parsed = { 0 };
  g_autoptr (GError) why = NULL;

  if (!ph_mqtt_url_parse (url, &parsed, &why))
    return config_error (error, "mqtt.url: %s", why->message);
  if (*topic == '\0')
    return config_error (error, "mqtt.topic is empty");
  if (!host->template_check (topic, &why))
    return config_error (error, "mqtt.topic: %s", why->message);
  if (strpbrk (topic, "+#") != NULL)
    return config_error (error, "mqtt.topic '%s': '+' and '#' are wildcards of "
                                "subscriptions, not allowed in a topic to publish to", topic);
  if (strcmp (protocol, "5") != 0 && strcmp (protocol, "3.1.1") != 0)
    return config_error (error, "mqtt.protocol '%s': use 5 or 3.1.1", protocol);
  if (g_ascii_strcasecmp (content_type, "json") != 0)
    return config_error (error, "content_type = %s: an MQTT message carries the JSON body "
                                "only (form, multipart and files are HTTP's)", content_type);
  if ((host->config_get_string (config, "mqtt.tls_cert") != NULL)
      != (host->config_get_string (config, "mqtt.tls_key") != NULL))
    return config_error (error, "mqtt.tls_cert and mqtt.tls_key go together");
  if (!parsed.tls && host->config_get_string (config, "mqtt.tls_cert") != NULL)
    return config_error (error, "mqtt.tls_cert is for mqtts:// URLs");
  if (strcmp (protocol, "3.1.1") == 0 && host->config_get_string (config, "signing_secret") != NULL)
    return config_error (error, "signing_secret needs mqtt.protocol = 5: MQTT 3.1.1 has no user "
                                "properties to carry the signature");
  if (host->config_get_string (config, "mqtt.discovery") != NULL
      && strcmp (host->config_get_string (config, "mqtt.discovery"), "homeassistant") != 0)
    return config_error (error, "mqtt.discovery '%s': the one kind is homeassistant",
                         host->config_get_string (config, "mqtt.discovery"));
  if (!check_format (config, protocol, error))
    return FALSE;
  {
    const char *prefix = host->config_get_string (config, "mqtt.discovery_prefix");

    if (*prefix == '\0' || strpbrk (prefix, "+#") != NULL
        || prefix[strlen (prefix) - 1] == '/')
      return config_error (error, "mqtt.discovery_prefix '%s': a topic without wildcards or "
                                  "a trailing '/'", prefix);
  }
  return TRUE;
}

/* printhook/DEVICE/status, DEVICE the hook's device_identifier or the
 * host's name ('/', '+' and '#' as '_', as in every topic level printhook
 * makes): one connection serves every source of the daemon, so its last
 * will speaks for printhook, not for one printer. */
static char *
status_topic (const printhook_config *config)
{
  const char *device = host->config_get_string (config, "device_identifier");
  const char *set = host->config_get_string (config, "mqtt.status_topic");
  GString *out;

  if (host->config_is_set (config, "mqtt.status_topic"))
    return set != NULL && *set != '\0' ? g_strdup (set) : NULL;
  out = g_string_new ("printhook/");
  for (const char *p = device != NULL ? device : g_get_host_name (); *p; p++)
    g_string_append_c (out, strchr ("+#/", *p) != NULL ? '_' : *p);
  g_string_append (out, "/status");
  return g_string_free (out, FALSE);
}

static gpointer
mqtt_instance_new (const printhook_config *config, GError **error)
{
  instance *inst;
  g_autofree char *client_id = NULL;
  g_autofree char *status = NULL;
  const char *protocol;
  mqtt_broker_options o = { 0 };

  if (!check_config (config, error))
    return NULL;
  /* A one-shot command ("printhook test") says nothing on the status
   * topic: its "offline" at the end would be the running daemon's. */
  status = host->is_daemon () ? status_topic (config) : NULL;
  if (status != NULL && strpbrk (status, "+#") != NULL)
    {
      config_error (error, "mqtt.status_topic '%s': no wildcards", status);
      return NULL;
    }
  inst = g_new0 (instance, 1);
  inst->config = config;
  inst->topic = host->config_get_string (config, "mqtt.topic");
  inst->qos = (int) host->config_get_int (config, "mqtt.qos");
  inst->retain = host->config_get_bool (config, "mqtt.retain");
  inst->timeout_s = host->config_get_double (config, "timeout");
  protocol = host->config_get_string (config, "mqtt.protocol");
  o.url = host->config_get_string (config, "mqtt.url");
  o.protocol = strcmp (protocol, "3.1.1") == 0 ? 4 : 5;
  o.keepalive_s = (guint) host->config_get_int (config, "mqtt.keepalive");
  o.connect_timeout_s = host->config_get_double (config, "connect_timeout");
  o.tls_verify = host->config_get_bool (config, "tls_verify");
  o.ca_file = host->config_get_string (config, "tls_ca_file");
  o.cert_file = host->config_get_string (config, "mqtt.tls_cert");
  o.key_file = host->config_get_string (config, "mqtt.tls_key");
  o.status_topic = status;
  o.eager = host->is_daemon ();
  client_id = host->config_is_set (config, "mqtt.client_id")
                  ? g_strdup (host->config_get_string (config, "mqtt.client_id"))
                  : mqtt_broker_default_client_id (&o, host->instance_name ());
  o.client_id = client_id;
  /* No I/O yet: the daemon's connection starts when the main loop runs,
   * a one-shot command's at its first message. */
  inst->broker = mqtt_broker_get (&o);
  inst->forward_events = strcmp (host->config_get_string (config, "mqtt.format"), "event") == 0;
  inst->event_prefix = host->config_get_string (config, "mqtt.event_prefix");
  if (inst->forward_events)
    {
      g_autofree char *ack = host->config_get_string (config, "mqtt.ack_topic") != NULL
                                 ? g_strdup (host->config_get_string (config, "mqtt.ack_topic"))
                                 : default_ack_topic ();

      inst->forward = mqtt_forward_get (inst->broker, ack);
    }
  /* Without the option the hook still clears what it described before.
   * None in one-shot commands: a sample event is not the printer's state. */
  else if (host->is_daemon ())
    inst->discovery = mqtt_discovery_new (
      host, inst->broker, host->config_get_string (config, "mqtt.discovery_prefix"),
      host->config_get_string (config, "device_identifier"),
      host->config_get_string (config, "mqtt.discovery") == NULL);
  return inst;
}

static void
mqtt_instance_free (gpointer data)
{
  instance *inst = data;

  mqtt_discovery_free (inst->discovery);
  mqtt_forward_unref (inst->forward);
  mqtt_broker_unref (inst->broker);
  g_free (inst);
}

/* An inserted value stays inside its level: it cannot add a level, a
 * wildcard or an empty level. */
static void
insert_topic_level (GString *out, const char *text, gsize len, gpointer user_data)
{
  if (len == 0)
    {
      g_string_append_c (out, '_');
      return;
    }
  for (gsize i = 0; i < len; i++)
    g_string_append_c (out, text[i] == '/' || text[i] == '+' || text[i] == '#' || text[i] == '\0'
                                ? '_' : text[i]);
}

/* The user properties: the values http-webhook sends as headers. */
static gboolean
add_properties (instance *inst, printhook_delivery *d, GBytes *body, mosquitto_property **props,
                GError **error)
{
  const char *secret = host->config_get_string (inst->config, "signing_secret");
  const char *scheme = host->config_get_string (inst->config, "signature");
  const char *id = host->delivery_get_id (d);
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (body, &size);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *timestamp = g_strdup_printf ("%" G_GINT64_FORMAT, now);

  mosquitto_property_add_string (props, MQTT_PROP_CONTENT_TYPE, "application/json");
  mosquitto_property_add_string_pair (props, MQTT_PROP_USER_PROPERTY, "webhook-id", id);
  if (secret == NULL)
    return TRUE;
  if (g_strcmp0 (scheme, "github") == 0)
    {
      g_autofree char *value = ph_sign_github (secret, bytes, size);

      mosquitto_property_add_string_pair (props, MQTT_PROP_USER_PROPERTY, "X-Hub-Signature-256",
                                          value);
      return TRUE;
    }
  {
    g_autofree char *value = ph_sign_standard (secret, id, now, bytes, size, error);

    if (value == NULL)
      return FALSE;
    mosquitto_property_add_string_pair (props, MQTT_PROP_USER_PROPERTY, "webhook-timestamp",
                                        timestamp);
    mosquitto_property_add_string_pair (props, MQTT_PROP_USER_PROPERTY, "webhook-signature",
                                        value);
  }
  return TRUE;
}

typedef struct {
  printhook_delivery *d;
  char *summary;   /* "topic T, QoS 1, N bytes" */
  int qos;
} publish_state;

static void
on_sent (mqtt_sent_result result, const char *why, double ms, gpointer user_data)
{
  publish_state *state = user_data;
  printhook_delivery *d = state->d;
  GError *error = NULL;

  if (result == MQTT_SENT)
    {
      g_autofree char *outcome = g_strdup_printf (
          "%s after %.0f ms (%s)",
          state->qos == 0 ? "written" : state->qos == 1 ? "PUBACK" : "PUBCOMP", ms,
          state->summary);

      host->delivery_note_outcome (d, outcome);
      g_free (state->summary);
      g_free (state);
      host->resume (d, PRINTHOOK_RESULT_DONE, NULL);
      return;
    }
  g_set_error (&error, PRINTHOOK_ERROR,
               result == MQTT_REFUSED ? PRINTHOOK_ERROR_PERMANENT : PRINTHOOK_ERROR_TRANSIENT,
               "%s (%s)", why, state->summary);
  g_free (state->summary);
  g_free (state);
  host->resume (d, result == MQTT_REFUSED ? PRINTHOOK_RESULT_FAIL : PRINTHOOK_RESULT_RETRY,
                error);
}

/* A forwarded event (mqtt.format = event): the broker's PUBACK, then the
 * central printhook's acknowledgement. */
typedef struct {
  printhook_delivery *d;
  char *summary;
  double timeout_s;
  mqtt_ack_wait *wait;
} forward_state;

static void
forward_state_free (forward_state *state)
{
  g_free (state->summary);
  g_free (state);
}

static void
on_acknowledged (gboolean timed_out, mqtt_ack_result result, const char *reason, const char *by,
                 double ms, gpointer user_data)
{
  forward_state *state = user_data;
  printhook_delivery *d = state->d;
  GError *error = NULL;
  g_autofree char *outcome = NULL;

  if (timed_out)
    {
      g_set_error (&error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_TRANSIENT,
                   "the broker took the event, but no central printhook acknowledged it within "
                   "%g s (%s): is one subscribed?", state->timeout_s, state->summary);
      forward_state_free (state);
      host->resume (d, PRINTHOOK_RESULT_RETRY, error);
      return;
    }
  if (result == MQTT_ACK_REFUSED)
    {
      g_set_error (&error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "central printhook %s refused the event: %s (%s)", by != NULL ? by : "",
                   reason != NULL ? reason : "no reason given", state->summary);
      forward_state_free (state);
      host->resume (d, PRINTHOOK_RESULT_FAIL, error);
      return;
    }
  outcome = g_strdup_printf ("%s by central printhook %s after %.0f ms (%s)",
                             result == MQTT_ACK_DUPLICATE ? "committed before" : "committed",
                             by != NULL ? by : "", ms, state->summary);
  host->delivery_note_outcome (d, outcome);
  forward_state_free (state);
  host->resume (d, PRINTHOOK_RESULT_DONE, NULL);
}

static void
on_forward_sent (mqtt_sent_result result, const char *why, double ms, gpointer user_data)
{
  forward_state *state = user_data;
  printhook_delivery *d = state->d;
  GError *error = NULL;

  (void) ms;
  if (result == MQTT_SENT)
    {
      mqtt_forward_arm (state->wait, state->timeout_s);
      return;
    }
  mqtt_forward_cancel (state->wait);
  g_set_error (&error, PRINTHOOK_ERROR,
               result == MQTT_REFUSED ? PRINTHOOK_ERROR_PERMANENT : PRINTHOOK_ERROR_TRANSIENT,
               "%s (%s)", why, state->summary);
  forward_state_free (state);
  host->resume (d, result == MQTT_REFUSED ? PRINTHOOK_RESULT_FAIL : PRINTHOOK_RESULT_RETRY,
                error);
}

/* PREFIX/SOURCE/EVENT, the names kept inside their levels. */
static char *
event_topic (instance *inst, json_object *envelope)
{
  json_object *source = NULL, *name = NULL, *event = NULL;
  GString *out = g_string_new (inst->event_prefix);

  json_object_object_get_ex (envelope, "source", &source);
  json_object_object_get_ex (source, "name", &name);
  json_object_object_get_ex (envelope, "name", &event);
  g_string_append_c (out, '/');
  insert_topic_level (out, json_object_get_string (name), (gsize) json_object_get_string_len (name),
                      NULL);
  g_string_append_c (out, '/');
  insert_topic_level (out, json_object_get_string (event),
                      (gsize) json_object_get_string_len (event), NULL);
  return g_string_free (out, FALSE);
}

static printhook_result
forward_event (instance *inst, printhook_delivery *d, GError **error)
{
  json_object *envelope = host->event_envelope (d);
  g_autofree char *text = host->json_to_text (envelope, FALSE);
  g_autofree char *topic = event_topic (inst, envelope);
  gsize size = strlen (text);
  g_autoptr (GBytes) body = g_bytes_new_take (g_steal_pointer (&text), size);
  const char *id = host->delivery_get_id (d);
  mosquitto_property *props = NULL;
  forward_state *state;

  json_object_put (envelope);
  if (mosquitto_pub_topic_check2 (topic, strlen (topic)) != MOSQ_ERR_SUCCESS
      || mosquitto_validate_utf8 (topic, (int) MIN (strlen (topic), (gsize) G_MAXINT))
             != MOSQ_ERR_SUCCESS)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the event's topic is not a valid MQTT topic: '%s'", topic);
      return PRINTHOOK_RESULT_FAIL;
    }
  if (!add_properties (inst, d, body, &props, error))
    {
      mosquitto_property_free_all (&props);
      return PRINTHOOK_RESULT_FAIL;
    }
  mosquitto_property_add_string (&props, MQTT_PROP_RESPONSE_TOPIC,
                                 mqtt_forward_topic (inst->forward));
  mosquitto_property_add_binary (&props, MQTT_PROP_CORRELATION_DATA, id, (uint16_t) strlen (id));
  state = g_new0 (forward_state, 1);
  state->d = d;
  state->timeout_s = inst->timeout_s;
  state->summary = g_strdup_printf ("topic %s, QoS %d, %" G_GSIZE_FORMAT " bytes", topic,
                                    inst->qos, size);
  /* Waiting before publishing: the answer may overtake the PUBACK. */
  state->wait = mqtt_forward_expect (inst->forward, id, on_acknowledged, state);
  mqtt_broker_publish (inst->broker, topic, body, inst->qos, FALSE, props, inst->timeout_s,
                       on_forward_sent, state);
  return PRINTHOOK_RESULT_PENDING;
}

static printhook_result
publish_body (instance *inst, printhook_delivery *d, GError **error)
{
  g_autofree char *topic = host->render_text (d, inst->topic, insert_topic_level, NULL);
  GBytes *body = host->request_get_body (d);
  g_autoptr (GBytes) empty = NULL;
  mosquitto_property *props = NULL;
  publish_state *state;
  gsize size;

  /* method = GET leaves the body to the URL's query: the data is the
   * payload all the same. */
  if (body == NULL && host->request_get_data (d) != NULL)
    {
      char *text = host->json_to_text (host->request_get_data (d), FALSE);

      body = empty = g_bytes_new_take (text, strlen (text));
    }
  if (body == NULL)
    body = empty = g_bytes_new_static ("", 0);
  size = g_bytes_get_size (body);
  if (mosquitto_pub_topic_check2 (topic, strlen (topic)) != MOSQ_ERR_SUCCESS
      || mosquitto_validate_utf8 (topic, (int) MIN (strlen (topic), (gsize) G_MAXINT))
             != MOSQ_ERR_SUCCESS
      || strlen (topic) > 65535)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the topic rendered from mqtt.topic is not a valid MQTT topic: '%s'", topic);
      return PRINTHOOK_RESULT_FAIL;
    }
  if (!add_properties (inst, d, body, &props, error))
    {
      mosquitto_property_free_all (&props);
      return PRINTHOOK_RESULT_FAIL;
    }
  if (inst->discovery != NULL)
    mqtt_discovery_event (inst->discovery, d);
  state = g_new0 (publish_state, 1);
  state->d = d;
  state->qos = inst->qos;
  state->summary = g_strdup_printf ("topic %s, QoS %d, %" G_GSIZE_FORMAT " bytes", topic,
                                    inst->qos, size);
  mqtt_broker_publish (inst->broker, topic, body, inst->qos, inst->retain, props,
                       inst->timeout_s, on_sent, state);
  return PRINTHOOK_RESULT_PENDING;
}

static printhook_result
mqtt_run (gpointer data, printhook_delivery *d, GError **error)
{
  instance *inst = data;

  return inst->forward_events ? forward_event (inst, d, error) : publish_body (inst, d, error);
}

static char *
mqtt_describe (gpointer data, printhook_delivery *d)
{
  instance *inst = data;
  g_autofree char *topic = NULL;

  if (inst->forward_events)
    {
      json_object *envelope = d != NULL ? host->event_envelope (d) : NULL;
      g_autofree char *where = envelope != NULL ? event_topic (inst, envelope)
                                                : g_strdup_printf ("%s/SOURCE/EVENT",
                                                                   inst->event_prefix);

      json_object_put (envelope);
      return g_strdup_printf ("forwards events to %s, topic %s, QoS %d, acknowledged on %s",
                              mqtt_broker_name (inst->broker), where, inst->qos,
                              mqtt_forward_topic (inst->forward));
    }
  topic = d != NULL ? host->render_text (d, inst->topic, insert_topic_level, NULL)
                    : g_strdup (inst->topic);

  return g_strdup_printf ("publishes to %s, topic %s, QoS %d%s", mqtt_broker_name (inst->broker),
                          topic, inst->qos, inst->retain ? ", retained" : "");
}

static void
mqtt_shutdown (void)
{
  mqtt_broker_stop_all ();
}

static const printhook_module_ops ops = {
  .init = mqtt_init,
  .instance_new = mqtt_instance_new,
  .run = mqtt_run,
  .instance_free = mqtt_instance_free,
  .shutdown = mqtt_shutdown,
  .describe = mqtt_describe,
};

PRINTHOOK_MODULE_DEFINE ("mqtt", PACKAGE_VERSION,
                         "Publishes the body to an MQTT broker (3.1.1 or 5), delivered on PUBACK",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_SEND, keys, &ops)
