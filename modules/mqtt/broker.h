/* The mqtt module's broker connections: one per broker, credentials,
 * client id and status topic, shared by every hook that names the same,
 * and the messages waiting on each for the broker's acknowledgement.
 *
 * A message is finished exactly once, through its callback: delivered
 * (PUBACK, PUBCOMP, or written for QoS 0), or not, with the reason in
 * words and whether retrying can help. */
#ifndef PH_MQTT_BROKER_H
#define PH_MQTT_BROKER_H

#include <glib.h>
#include <mosquitto.h>

typedef struct mqtt_broker mqtt_broker;

/* What identifies and configures a connection.  Strings: transfer none. */
typedef struct {
  const char *url;             /* mqtt:// or mqtts://, checked already */
  const char *client_id;
  int protocol;                /* 4 or 5 */
  guint keepalive_s;
  double connect_timeout_s;
  gboolean tls_verify;
  const char *ca_file, *cert_file, *key_file;
  const char *status_topic;    /* "online" retained on connect, "offline" as will and at the end */
  gboolean eager;              /* connect as soon as the loop runs, not at the first publish */
} mqtt_broker_options;

typedef enum {
  MQTT_SENT,                   /* the broker has it */
  MQTT_RETRY,                  /* not now: not connected, lost before the ack, no ack in time */
  MQTT_REFUSED                 /* the broker refused this message: retrying will not help */
} mqtt_sent_result;

/* Called once per message, on the main loop, never from inside
 * mqtt_broker_publish.  why: transfer none, NULL for MQTT_SENT.  ms: from
 * the publish to the answer. */
typedef void (*mqtt_sent_func) (mqtt_sent_result result, const char *why, double ms,
                                gpointer user_data);

/* The connection for options, shared: a new reference to an existing one
 * with the same identity, or a new one that starts connecting as soon as
 * the main loop runs when eager (so that "printhook check", which runs no
 * loop, never connects), else at its first publish.  The URL was checked.
 * Transfer full. */
mqtt_broker *mqtt_broker_get (const mqtt_broker_options *options);

/* Another reference to broker.  Transfer full. */
mqtt_broker *mqtt_broker_ref (mqtt_broker *broker);

/* Drops a reference; the last one says "offline" and disconnects. */
void mqtt_broker_unref (mqtt_broker *broker);

/* A default client id for options (whose client_id is ignored):
 * "printhook-" prefix, then name, then a short hash of everything that
 * makes a connection distinct, so that two hooks needing two connections
 * never share one id, which a broker would let only one of hold.
 * Transfer full. */
char *mqtt_broker_default_client_id (const mqtt_broker_options *options, const char *name);

/* Publishes, now when connected, on connection when connecting, or
 * finishes at once (from an idle callback) with MQTT_RETRY when the link is
 * waiting out a back-off.  topic: transfer none; props: transfer full;
 * payload: transfer none (a reference is taken).  timeout_s bounds the wait for the
 * connection and the acknowledgement together. */
void mqtt_broker_publish (mqtt_broker *broker, const char *topic, GBytes *payload, int qos,
                          gboolean retain, mosquitto_property *props, double timeout_s,
                          mqtt_sent_func done, gpointer user_data);

/* "mqtt://host:port" without credentials.  Transfer none. */
const char *mqtt_broker_name (const mqtt_broker *broker);

/* Someone who wants to hear from a connection besides its messages' owners
 * (Home Assistant discovery).  connected: after each CONNACK, and soon
 * after mqtt_broker_watch when already connected.  message: one that
 * arrived on a subscription; topic, payload: transfer none. */
typedef struct {
  void (*connected) (mqtt_broker *broker, gpointer user_data);
  void (*message) (mqtt_broker *broker, const char *topic, const void *payload, gsize size,
                   gboolean retained, gpointer user_data);
} mqtt_broker_watch_funcs;

/* funcs: transfer none, kept (a static const).  Remove with user_data. */
void mqtt_broker_watch (mqtt_broker *broker, const mqtt_broker_watch_funcs *funcs,
                        gpointer user_data);
void mqtt_broker_unwatch (mqtt_broker *broker, gpointer user_data);

/* Publishes QoS 1 without waiting for anything: for state a connection
 * sends again after each connect anyway (discovery, states).  Dropped when
 * not connected.  topic, payload: transfer none. */
void mqtt_broker_post (mqtt_broker *broker, const char *topic, const void *payload, gsize size,
                       gboolean retain);

/* Subscribes QoS 1 when connected (watchers subscribe from connected). */
void mqtt_broker_subscribe (mqtt_broker *broker, const char *filter);

/* The retained online/offline topic, or NULL.  Transfer none. */
const char *mqtt_broker_status_topic (const mqtt_broker *broker);

/* Every connection says "offline" and disconnects (module shutdown). */
void mqtt_broker_stop_all (void);

#endif
