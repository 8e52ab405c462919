/* Home Assistant MQTT discovery (shared/reference/mqtt-and-bambu.md §2):
 * one device per printer source with seven entities, their configs
 * published retained on every connect and whenever Home Assistant says
 * "online" on PREFIX/status, their state (one retained JSON per device)
 * on every event, and the configs of devices that are gone cleared with
 * empty retained payloads.
 *
 * Topics: PREFIX/COMPONENT/NODE/DEVICE_ENTITY/config, NODE naming this
 * printhook (host->instance_name, so unique ids stay the same across
 * restarts); state on printhook/DEVICE/state. */
#ifndef PH_MQTT_DISCOVERY_H
#define PH_MQTT_DISCOVERY_H

#include "broker.h"
#include "printhook/module.h"

typedef struct mqtt_discovery mqtt_discovery;

/* Starts describing printers on broker (transfer none: outlives it).
 * prefix: the discovery prefix; device: the hook's device_identifier, which
 * then names the one device, or NULL for one device per source; clear_only:
 * describe nothing, only clear this printhook's devices that no other
 * discovery on the broker wants (a hook without mqtt.discovery).  Strings:
 * transfer none.  host: transfer none, valid until shutdown.  Transfer full. */
mqtt_discovery *mqtt_discovery_new (const printhook_host *host, mqtt_broker *broker,
                                    const char *prefix, const char *device, gboolean clear_only);

void mqtt_discovery_free (mqtt_discovery *discovery);

/* d's event: the device's state topic now, and its configs first when the
 * device is new (a source not in the configuration).  d: transfer none. */
void mqtt_discovery_event (mqtt_discovery *discovery, printhook_delivery *d);

#endif
