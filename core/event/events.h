/* The events printhook knows by name, with their topics and default
 * messages (DESIGN.md §5).  Any other name is a custom event. */
#ifndef PH_EVENTS_H
#define PH_EVENTS_H

#include <glib.h>

#define PH_CUSTOM_EVENT_TOPIC "Custom Event"

/* Built-in event names in their canonical spelling, NULL-terminated
 * (transfer none). */
const char *const *ph_event_builtin_names (void);

/* TRUE for a name made of [A-Za-z0-9_] only, as events are named. */
gboolean ph_event_name_is_valid (const char *name);

/* The canonical spelling of a built-in event (names compare
 * case-insensitively), or NULL for a custom event.  Transfer none. */
const char *ph_event_builtin (const char *name);

/* The event's @topic: the built-in topic, else "Custom Event".  Transfer none. */
const char *ph_event_topic (const char *name);

/* The event's default message template: the built-in one, else the event's
 * own name.  Transfer none. */
const char *ph_event_default_message (const char *name);

/* The events a hook subscribes to when it has no "events" key: the old
 * plugin's defaults (everything but progress).  NULL-terminated, transfer none. */
const char *const *ph_event_default_subscription (void);

#endif
