/* The delivery of a made-up event: what "printhook render" shows and
 * "printhook test" sends, so that both build the very same request. */
#ifndef PH_SAMPLE_DELIVERY_H
#define PH_SAMPLE_DELIVERY_H

#include <json-c/json.h>
#include "delivery.h"

/* hook's delivery of event_name from this host, with payload as the event's
 * payload (@extra; transfer full, NULL for the old plugin's test payload),
 * the sample printer in the middle of printing example.gcode, and
 * milestone as @percentCompleteMilestone.  Nothing is rendered or run yet.
 * hook: transfer none, must outlive the delivery.  Transfer full. */
printhook_delivery *ph_sample_delivery_new (const ph_hook *hook, const char *event_name,
                                            json_object *payload, int milestone);

#endif
