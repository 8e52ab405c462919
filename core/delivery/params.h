/* The @param table of one delivery (DESIGN.md §5). */
#ifndef PH_PARAMS_H
#define PH_PARAMS_H

#include <json-c/json.h>
#include "config/config.h"
#include "event/event.h"

/* Names a payload key may not take over at top level. */
gboolean ph_param_is_builtin (const char *name);

/* Builds the parameters of event for hook: topic, message (its template
 * rendered first, with @message empty inside it), apiSecret,
 * deviceIdentifier, extra, event, currentTime, percentCompleteMilestone
 * (milestone), the printer's state/job/progress/currentZ/offsets/meta/
 * appearance, then the payload's own keys unless they clash with a
 * built-in.  Transfer full: a new object of its own, whose values extra,
 * state, job, ... and the payload's keys are the event's own (a reference
 * each, shared read-only with the event's other deliveries: see event.h). */
json_object *ph_params_build (const ph_hook *hook, const ph_event *event, int milestone);

#endif
