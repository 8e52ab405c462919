/* An MQTT subscriber for a test (tests/servers/mqtt_subscriber.py, paho):
 * subscribed to topic filters on a ph_broker, it records every message
 * that arrives, reconnecting by itself when the broker restarts.  What
 * the daemon under test published is then read back as JSON (the records
 * are described in the script). */
#ifndef PH_TEST_MQTT_SUBSCRIBER_H
#define PH_TEST_MQTT_SUBSCRIBER_H

#include <glib.h>
#include <json-c/json.h>

#include "mqtt_broker.h"

typedef struct ph_mqtt_subscriber ph_mqtt_subscriber;

/* Starts the subscriber on broker b with extra arguments (NULL-terminated,
 * may be NULL): "--topic", "printhook/#" (repeatable), "--qos", "0",
 * "--protocol", "3.1.1", "--persistent", "--client-id", "ID",
 * "--retain-as-published" (MQTT 5: a live retained message keeps its
 * flag; else only one sent from the broker's store on subscribing has it).
 * --username/--password (PH_BROKER_PASSWORD) and --tls-ca (PH_BROKER_TLS)
 * come from the broker's flags; ones in args win.  Waits (10 s, times
 * ph_test_slowness) until it subscribed, as
 * ph_mqtt_subscriber_wait does.  Transfer full. */
ph_mqtt_subscriber *ph_mqtt_subscriber_start (ph_broker *b, const char *const *args);

/* Every record so far, or those of one kind ("connected", "subscribed",
 * "message", "disconnected"): a json-c array (transfer full). */
json_object *ph_mqtt_subscriber_records (ph_mqtt_subscriber *s);
json_object *ph_mqtt_subscriber_records_of (ph_mqtt_subscriber *s, const char *kind);

/* The "message" records so far, oldest first.  Transfer full. */
json_object *ph_mqtt_subscriber_messages (ph_mqtt_subscriber *s);

/* Waits until at least n messages came, iterating the thread-default main
 * context; fails the test after timeout_ms (times the slowness), saying
 * how many came, and at once when the subscriber died or the broker
 * refused its connection (it would retry for ever) or a subscription. */
void ph_mqtt_subscriber_wait (ph_mqtt_subscriber *s, guint n, guint timeout_ms);

/* Waits until the n-th "subscribed" record (the first is the start's; the
 * next ones follow reconnections, e.g. after ph_broker_restart), the same
 * way. */
void ph_mqtt_subscriber_wait_subscribed (ph_mqtt_subscriber *s, guint n, guint timeout_ms);

/* SIGTERM (it disconnects cleanly: a persistent session stays), waits for
 * the exit, frees s.  NULL is allowed. */
void ph_mqtt_subscriber_stop (ph_mqtt_subscriber *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_mqtt_subscriber, ph_mqtt_subscriber_stop)

#endif
