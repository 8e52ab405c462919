#include "broker.h"

#include <string.h>

#include <mqtt_protocol.h>

#include "mqtt/mqtt_link.h"
#include "mqtt/mqtt_url.h"

typedef struct message message;

struct mqtt_broker {
  int refs;
  char *key;                   /* identity in the table: url, client id, ... */
  char *status_topic;
  ph_mqtt_link *link;
  GQueue waiting;              /* message *: published once connected */
  GHashTable *in_flight;       /* mid -> message *, waiting for the ack */
  guint start_idle;
  gboolean started;            /* the link was started once */
  int in_callback;             /* inside a link callback: free later */
  guint free_idle;
  GPtrArray *watches;          /* watch * */
};

typedef struct {
  const mqtt_broker_watch_funcs *funcs;
  gpointer user_data;
  guint soon;                  /* the first "connected" of a late watcher */
  mqtt_broker *broker;
} watch;

struct message {
  mqtt_broker *broker;         /* a reference */
  char *topic;
  GBytes *payload;
  int qos;
  gboolean retain;
  mosquitto_property *props;
  double timeout_s;
  mqtt_sent_func done;
  gpointer user_data;
  gint64 started;
  guint timer;
  int mid;                     /* 0 until published */
  GList *waiting_link;         /* its place in broker->waiting, or NULL */
  mqtt_sent_result result;     /* what finish_later will say */
  char *why;
};

/* key -> mqtt_broker *, every live connection. */
static GHashTable *brokers;

static void
message_free (message *m)
{
  if (m->timer != 0)
    g_source_remove (m->timer);
  g_free (m->topic);
  g_bytes_unref (m->payload);
  mosquitto_property_free_all (&m->props);
  g_free (m->why);
  mqtt_broker_unref (m->broker);
  g_free (m);
}

/* Takes m out of its broker's lists and tells its owner. */
static void
finish (message *m, mqtt_sent_result result, const char *why)
{
  double ms = (g_get_monotonic_time () - m->started) / 1000.0;

  if (m->waiting_link != NULL)
    {
      g_queue_delete_link (&m->broker->waiting, m->waiting_link);
      m->waiting_link = NULL;
    }
  if (m->mid != 0)
    g_hash_table_remove (m->broker->in_flight, GINT_TO_POINTER (m->mid));
  m->done (result, why, ms, m->user_data);
  message_free (m);
}

static gboolean
finish_idle (gpointer data)
{
  message *m = data;

  finish (m, m->result, m->why);
  return G_SOURCE_REMOVE;
}

/* Finishes m from an idle callback: never inside mqtt_broker_publish. */
static void
finish_later (message *m, mqtt_sent_result result, const char *why)
{
  if (m->timer != 0)
    g_source_remove (m->timer);
  m->result = result;
  m->why = g_strdup (why);
  m->timer = g_idle_add (finish_idle, m);
}

static gboolean
message_expired (gpointer data)
{
  message *m = data;
  g_autofree char *why = NULL;

  m->timer = 0;
  if (m->mid != 0)
    why = g_strdup_printf ("no %s from %s within %g s", m->qos == 2 ? "PUBCOMP" : "PUBACK",
                           ph_mqtt_link_name (m->broker->link), m->timeout_s);
  else
    why = g_strdup_printf ("not connected to %s within %g s%s%s",
                           ph_mqtt_link_name (m->broker->link), m->timeout_s,
                           ph_mqtt_link_last_error (m->broker->link) != NULL ? ": " : "",
                           ph_mqtt_link_last_error (m->broker->link) != NULL
                               ? ph_mqtt_link_last_error (m->broker->link) : "");
  finish (m, MQTT_RETRY, why);
  return G_SOURCE_REMOVE;
}

/* Publishes m on the connected link; on failure finishes it later. */
static void
send_now (message *m)
{
  mqtt_broker *b = m->broker;
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const void *bytes = g_bytes_get_data (m->payload, &size);
  int mid = 0;

  if (!ph_mqtt_link_publish (b->link, m->topic, bytes, size, m->qos, m->retain, m->props, &mid,
                             &error))
    {
      finish_later (m, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED)
                           ? MQTT_RETRY : MQTT_REFUSED, error->message);
      return;
    }
  m->mid = mid;
  g_hash_table_insert (b->in_flight, GINT_TO_POINTER (mid), m);
}

/* Finishing messages may drop the broker's last reference while the link
 * is still inside its callback: such a broker is freed from an idle. */
static void
enter (mqtt_broker *b)
{
  b->in_callback++;
  b->refs++;
}

static void
leave (mqtt_broker *b)
{
  b->in_callback--;
  mqtt_broker_unref (b);
}

static void
on_connected (ph_mqtt_link *link, gboolean session_present, gpointer user_data)
{
  mqtt_broker *b = user_data;
  message *m;

  enter (b);
  g_message ("mqtt: connected to %s", ph_mqtt_link_name (link));
  if (b->status_topic != NULL)
    ph_mqtt_link_publish (link, b->status_topic, "online", 6, 1, TRUE, NULL, NULL, NULL);
  while ((m = g_queue_peek_head (&b->waiting)) != NULL)
    {
      g_queue_delete_link (&b->waiting, m->waiting_link);
      m->waiting_link = NULL;
      send_now (m);
    }
  for (guint i = 0; i < b->watches->len; i++)
    {
      watch *w = g_ptr_array_index (b->watches, i);

      if (w->funcs->connected != NULL)
        w->funcs->connected (b, w->user_data);
    }
  leave (b);
}

static void
on_message (ph_mqtt_link *link, const struct mosquitto_message *arrived,
            const mosquitto_property *props, gpointer user_data)
{
  mqtt_broker *b = user_data;

  enter (b);
  for (guint i = 0; i < b->watches->len; i++)
    {
      watch *w = g_ptr_array_index (b->watches, i);

      if (w->funcs->message != NULL)
        w->funcs->message (b, arrived->topic, arrived->payload, (gsize) arrived->payloadlen,
                           arrived->retain, w->user_data);
    }
  leave (b);
}

static void
on_down (ph_mqtt_link *link, const char *why, gboolean refused, gpointer user_data)
{
  mqtt_broker *b = user_data;
  g_autoptr (GList) pending = g_hash_table_get_values (b->in_flight);
  message *m;

  enter (b);
  g_warning ("mqtt: %s", why);
  /* Nothing the broker did not acknowledge counts: the spool sends it
   * again, the receiver drops the duplicate by its webhook-id. */
  for (GList *l = pending; l != NULL; l = l->next)
    {
      g_autofree char *text = g_strdup_printf ("%s before the broker acknowledged the message",
                                               why);

      finish (l->data, MQTT_RETRY, text);
    }
  while ((m = g_queue_peek_head (&b->waiting)) != NULL)
    finish (m, MQTT_RETRY, why);
  leave (b);
}

/* MQTT 5 reason codes of a PUBACK/PUBREC that say this message will never
 * be taken (the topic or the payload), as opposed to "not now". */
static gboolean
reason_is_permanent (int reason)
{
  switch (reason)
    {
    case MQTT_RC_NOT_AUTHORIZED:
    case MQTT_RC_TOPIC_NAME_INVALID:
    case MQTT_RC_PACKET_TOO_LARGE:
    case MQTT_RC_PAYLOAD_FORMAT_INVALID:
    case MQTT_RC_RETAIN_NOT_SUPPORTED:
    case MQTT_RC_QOS_NOT_SUPPORTED:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
on_published (ph_mqtt_link *link, int mid, int reason, gpointer user_data)
{
  mqtt_broker *b = user_data;
  message *m = g_hash_table_lookup (b->in_flight, GINT_TO_POINTER (mid));
  g_autofree char *why = NULL;

  if (m == NULL)
    return;   /* the status message, or one given up on after its timeout */
  enter (b);
  if (reason < 0x80)
    finish (m, MQTT_SENT, NULL);
  else
    {
      why = g_strdup_printf ("%s refused the message to '%s': %s (reason code %d)",
                             ph_mqtt_link_name (link), m->topic, mosquitto_reason_string (reason),
                             reason);
      finish (m, reason_is_permanent (reason) ? MQTT_REFUSED : MQTT_RETRY, why);
    }
  leave (b);
}

static const ph_mqtt_link_callbacks link_callbacks = {
  .connected = on_connected,
  .down = on_down,
  .published = on_published,
  .message = on_message,
};

static gboolean
start_link (gpointer data)
{
  mqtt_broker *b = data;

  b->start_idle = 0;
  b->started = TRUE;
  ph_mqtt_link_start (b->link);
  return G_SOURCE_REMOVE;
}

/* Everything that makes two hooks' connections different but the client
 * id; it stays in memory only (the URL may hold a password). */
static char *
identity_without_id (const mqtt_broker_options *o)
{
  return g_strdup_printf ("%s\n%d\n%u\n%g\n%d\n%s\n%s\n%s\n%s\n%d", o->url, o->protocol,
                          o->keepalive_s, o->connect_timeout_s, o->tls_verify,
                          o->ca_file ? o->ca_file : "", o->cert_file ? o->cert_file : "",
                          o->key_file ? o->key_file : "",
                          o->status_topic ? o->status_topic : "", o->eager);
}

static char *
identity (const mqtt_broker_options *o)
{
  g_autofree char *rest = identity_without_id (o);

  return g_strdup_printf ("%s\n%s", o->client_id, rest);
}

char *
mqtt_broker_default_client_id (const mqtt_broker_options *o, const char *name)
{
  g_autofree char *rest = identity_without_id (o);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, rest, -1);

  return g_strdup_printf ("printhook-%s-%.6s", name, hash);
}

mqtt_broker *
mqtt_broker_get (const mqtt_broker_options *o)
{
  g_autofree char *key = identity (o);
  g_auto (ph_mqtt_url) url = { 0 };
  ph_mqtt_link_options lo = { 0 };
  mqtt_broker *b;

  if (brokers == NULL)
    brokers = g_hash_table_new (g_str_hash, g_str_equal);
  b = g_hash_table_lookup (brokers, key);
  if (b != NULL)
    {
      b->refs++;
      return b;
    }
  if (!ph_mqtt_url_parse (o->url, &url, NULL))
    g_return_val_if_reached (NULL);   /* instance_new checked it */
  b = g_new0 (mqtt_broker, 1);
  b->refs = 1;
  b->key = g_steal_pointer (&key);
  b->status_topic = g_strdup (o->status_topic);
  b->in_flight = g_hash_table_new (NULL, NULL);
  b->watches = g_ptr_array_new ();
  g_queue_init (&b->waiting);
  lo.host = url.host;
  lo.port = url.port;
  lo.tls = url.tls;
  lo.username = url.username;
  lo.password = url.password;
  lo.client_id = o->client_id;
  lo.protocol = o->protocol;
  lo.keepalive_s = o->keepalive_s;
  lo.connect_timeout_s = o->connect_timeout_s;
  lo.clean_session = TRUE;
  lo.ca_file = o->ca_file;
  lo.tls_verify = o->tls_verify;
  lo.cert_file = o->cert_file;
  lo.key_file = o->key_file;
  lo.will_topic = o->status_topic;
  lo.will_payload = "offline";
  b->link = ph_mqtt_link_new (&lo, &link_callbacks, b);
  if (o->eager)
    b->start_idle = g_idle_add (start_link, b);
  g_hash_table_insert (brokers, b->key, b);
  return b;
}

/* Forgets what still waits without telling its owners: only at the end,
 * when the deliveries are gone with the daemon (they stay in the spool). */
static void
drop_pending (mqtt_broker *b)
{
  g_autoptr (GList) pending = g_hash_table_get_values (b->in_flight);
  message *m;

  g_hash_table_remove_all (b->in_flight);
  for (GList *l = pending; l != NULL; l = l->next)
    {
      m = l->data;
      m->mid = 0;
      b->refs++;   /* message_free drops the message's reference */
      message_free (m);
      b->refs--;
    }
  while ((m = g_queue_pop_head (&b->waiting)) != NULL)
    {
      m->waiting_link = NULL;
      b->refs++;
      message_free (m);
      b->refs--;
    }
}

static void
broker_free (mqtt_broker *b)
{
  g_hash_table_remove (brokers, b->key);
  if (b->start_idle != 0)
    g_source_remove (b->start_idle);
  if (b->free_idle != 0)
    g_source_remove (b->free_idle);
  ph_mqtt_link_stop (b->link, b->status_topic, "offline", 1000);
  ph_mqtt_link_free (b->link);
  g_hash_table_unref (b->in_flight);
  while (b->watches->len > 0)
    mqtt_broker_unwatch (b, ((watch *) g_ptr_array_index (b->watches, 0))->user_data);
  g_ptr_array_unref (b->watches);
  g_free (b->status_topic);
  g_free (b->key);
  g_free (b);
}

static gboolean
free_idle (gpointer data)
{
  mqtt_broker *b = data;

  b->free_idle = 0;
  if (b->refs == 0)
    broker_free (b);
  return G_SOURCE_REMOVE;
}

mqtt_broker *
mqtt_broker_ref (mqtt_broker *b)
{
  b->refs++;
  return b;
}

void
mqtt_broker_unref (mqtt_broker *b)
{
  if (b == NULL || --b->refs > 0)
    return;
  if (b->in_callback > 0)
    {
      if (b->free_idle == 0)
        b->free_idle = g_idle_add (free_idle, b);
      return;
    }
  broker_free (b);
}

void
mqtt_broker_publish (mqtt_broker *b, const char *topic, GBytes *payload, int qos,
                     gboolean retain, mosquitto_property *props, double timeout_s,
                     mqtt_sent_func done, gpointer user_data)
{
  message *m = g_new0 (message, 1);

  b->refs++;
  m->broker = b;
  m->topic = g_strdup (topic);
  m->payload = g_bytes_ref (payload);
  m->qos = qos;
  m->retain = retain;
  /* Kept as built: libmosquitto sends only the first property of a list
   * made by mosquitto_property_copy_all (it is not "client generated"). */
  m->props = props;
  m->timeout_s = timeout_s;
  m->done = done;
  m->user_data = user_data;
  m->started = g_get_monotonic_time ();
  m->timer = g_timeout_add ((guint) (timeout_s * 1000), message_expired, m);
  if (ph_mqtt_link_is_connected (b->link))
    send_now (m);
  else if (ph_mqtt_link_is_connecting (b->link) || b->start_idle != 0 || !b->started)
    {
      /* A connection made lazily (one-shot commands) starts now. */
      if (!b->started && b->start_idle == 0)
        ph_mqtt_link_start (b->link);
      b->started = TRUE;
      g_queue_push_tail (&b->waiting, m);
      m->waiting_link = b->waiting.tail;
    }
  else
    {
      g_autofree char *why = g_strdup_printf (
          "not connected to %s%s%s", ph_mqtt_link_name (b->link),
          ph_mqtt_link_last_error (b->link) != NULL ? ": " : "",
          ph_mqtt_link_last_error (b->link) != NULL ? ph_mqtt_link_last_error (b->link) : "");

      finish_later (m, MQTT_RETRY, why);
    }
}

const char *
mqtt_broker_name (const mqtt_broker *b)
{
  return ph_mqtt_link_name (b->link);
}

void
mqtt_broker_stop_all (void)
{
  GHashTableIter iter;
  mqtt_broker *b;

  if (brokers == NULL)
    return;
  g_hash_table_iter_init (&iter, brokers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &b))
    {
      drop_pending (b);
      ph_mqtt_link_stop (b->link, b->status_topic, "offline", 1000);
    }
}

static gboolean
tell_late_watcher (gpointer data)
{
  watch *w = data;

  w->soon = 0;
  if (ph_mqtt_link_is_connected (w->broker->link) && w->funcs->connected != NULL)
    w->funcs->connected (w->broker, w->user_data);
  return G_SOURCE_REMOVE;
}

void
mqtt_broker_watch (mqtt_broker *b, const mqtt_broker_watch_funcs *funcs, gpointer user_data)
{
  watch *w = g_new0 (watch, 1);

  w->funcs = funcs;
  w->user_data = user_data;
  w->broker = b;
  g_ptr_array_add (b->watches, w);
  /* A hook added by a reload to a connection that is up already. */
  if (ph_mqtt_link_is_connected (b->link))
    w->soon = g_idle_add (tell_late_watcher, w);
}

void
mqtt_broker_unwatch (mqtt_broker *b, gpointer user_data)
{
  for (guint i = 0; i < b->watches->len; i++)
    {
      watch *w = g_ptr_array_index (b->watches, i);

      if (w->user_data != user_data)
        continue;
      if (w->soon != 0)
        g_source_remove (w->soon);
      g_ptr_array_remove_index (b->watches, i);
      g_free (w);
      return;
    }
}

void
mqtt_broker_post (mqtt_broker *b, const char *topic, const void *payload, gsize size,
                  gboolean retain)
{
  g_autoptr (GError) error = NULL;

  if (ph_mqtt_link_is_connected (b->link)
      && !ph_mqtt_link_publish (b->link, topic, payload, size, 1, retain, NULL, NULL, &error))
    g_warning ("mqtt: %s", error->message);
}

void
mqtt_broker_subscribe (mqtt_broker *b, const char *filter)
{
  g_autoptr (GError) error = NULL;

  if (ph_mqtt_link_is_connected (b->link) && !ph_mqtt_link_subscribe (b->link, filter, 1, &error))
    g_warning ("mqtt: %s", error->message);
}

const char *
mqtt_broker_status_topic (const mqtt_broker *b)
{
  return b->status_topic;
}
