#include "autoconfig.h"
#include "events.h"

typedef struct {
  const char *name;
  const char *topic;
  const char *message;
} event_info;

/* Topics and messages are the OctoPrint-Webhooks plugin's (its v4.4.0
 * backend defaults), so receivers written for it keep working. */
static const event_info builtins[] = {
  { "PrintStarted", "Print Started", "Your print has started." },
  { "PrintDone", "Print Done", "Your print is done." },
  { "PrintFailed", "Print Failed", "Something went wrong and your print has failed." },
  { "PrintPaused", "Print Paused", "Your print has paused. You might need to change the filament color." },
  { "UserActionNeeded", "User Action Needed", "User action needed. You might need to change the filament color." },
  { "PrintProgress", "Print Progress", "Your print is @percentCompleteMilestone % complete." },
  { "Error", "Error", "There was an error." },
};

static const char *const builtin_names[] = {
  "PrintStarted", "PrintDone", "PrintFailed", "PrintPaused", "UserActionNeeded",
  "PrintProgress", "Error", NULL
};

static const char *const default_subscription[] = {
  "PrintStarted", "PrintDone", "PrintFailed", "PrintPaused", "UserActionNeeded", "Error", NULL
};

const char *const *
ph_event_builtin_names (void)
{
  return builtin_names;
}

const char *const *
ph_event_default_subscription (void)
{
  return default_subscription;
}

gboolean
ph_event_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static const event_info *
find (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (builtins); i++)
    if (g_ascii_strcasecmp (builtins[i].name, name) == 0)
      return &builtins[i];
  return NULL;
}

const char *
ph_event_builtin (const char *name)
{
  const event_info *info = find (name);
  return info != NULL ? info->name : NULL;
}

const char *
ph_event_topic (const char *name)
{
  const event_info *info = find (name);
  return info != NULL ? info->topic : PH_CUSTOM_EVENT_TOPIC;
}

const char *
ph_event_default_message (const char *name)
{
  const event_info *info = find (name);
  return info != NULL ? info->message : name;
}
