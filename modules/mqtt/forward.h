/* The edge side of a print farm (mqtt.format = event): the end-to-end
 * acknowledgements that central printhooks send for the events this one
 * forwards.  A forwarded event counts as delivered only when a central
 * daemon has committed its deliveries to its own spool and said so on
 * this printhook's ack topic (printhook(1) PRINT FARMS); the broker's
 * PUBACK alone only means the broker has it.
 *
 * One mqtt_forward per broker connection and ack topic, shared by the
 * hooks that use both: it subscribes to the ack topic on each connect and
 * hands each acknowledgement to the delivery waiting for that id. */
#ifndef PH_MQTT_FORWARD_H
#define PH_MQTT_FORWARD_H

#include <glib.h>

#include "ack.h"
#include "broker.h"

typedef struct mqtt_forward mqtt_forward;

/* The acknowledgements of broker (a reference is taken) on ack_topic
 * (transfer none).  Transfer full. */
mqtt_forward *mqtt_forward_get (mqtt_broker *broker, const char *ack_topic);
void mqtt_forward_unref (mqtt_forward *forward);

/* Called once per wait, on the main loop and never inside
 * mqtt_forward_expect: the central side's answer (reason, by: transfer
 * none, may be NULL), or timed_out.  ms: from the wait's start. */
typedef void (*mqtt_ack_func) (gboolean timed_out, mqtt_ack_result result, const char *reason,
                               const char *by, double ms, gpointer user_data);

typedef struct mqtt_ack_wait mqtt_ack_wait;

/* Waits for the acknowledgement of id (transfer none), from now: one
 * that arrives before mqtt_forward_arm is kept for it.  Transfer none:
 * the wait ends through done (armed) or mqtt_forward_cancel. */
mqtt_ack_wait *mqtt_forward_expect (mqtt_forward *forward, const char *id, mqtt_ack_func done,
                                    gpointer user_data);

/* The broker has the message: done runs at the acknowledgement, at once
 * (from an idle) when it came already, or after timeout_s. */
void mqtt_forward_arm (mqtt_ack_wait *wait, double timeout_s);

/* Ends a wait without calling done (the publish itself failed). */
void mqtt_forward_cancel (mqtt_ack_wait *wait);

/* The ack topic, transfer none. */
const char *mqtt_forward_topic (const mqtt_forward *forward);

#endif
