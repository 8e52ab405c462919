/* The acknowledgement a central printhook sends an edge for a forwarded
 * event (printhook(1) PRINT FARMS), as the edge reads it: outside input,
 * so in a file of its own for the fuzz target (tests/fuzz/fuzz_farm.c). */
#ifndef PH_MQTT_ACK_H
#define PH_MQTT_ACK_H

#include <glib.h>

/* What a central daemon said about one event. */
typedef enum {
  MQTT_ACK_COMMITTED,          /* its deliveries are in the central spool */
  MQTT_ACK_DUPLICATE,          /* it had committed this event before */
  MQTT_ACK_REFUSED             /* it will never take this envelope (the reason says why) */
} mqtt_ack_result;

/* Reads an acknowledgement: {"v": 1, "id": ID, "result": "committed" |
 * "duplicate" | "refused", "reason": TEXT (optional), "by": NAME (the
 * central daemon, optional), other members ignored}, strict JSON of at
 * most 8 KiB.  *id, *reason and *by (the last two may be NULL) receive
 * transfer-full strings, *reason and *by NULL when absent.  FALSE when
 * it is none, *id then NULL. */
gboolean mqtt_forward_parse_ack (const void *payload, gsize size, char **id,
                                 mqtt_ack_result *result, char **reason, char **by);

#endif
