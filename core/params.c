#include "autoconfig.h"
#include "params.h"

#include <string.h>

#include "events.h"
#include "template.h"

static const char *const builtins[] = {
  "topic", "message", "apiSecret", "deviceIdentifier", "extra", "event", "currentTime",
  "percentCompleteMilestone", "appearance", "state", "job", "progress", "currentZ",
  "offsets", "meta", "snapshot", NULL
};

/* What a source may know of the printer, in OctoPrint's shapes. */
static const char *const printer_keys[] = {
  "state", "job", "progress", "currentZ", "offsets", "meta", "appearance", NULL
};

gboolean
ph_param_is_builtin (const char *name)
{
  return g_strv_contains (builtins, name);
}

/* The event's values are shared, not copied: every delivery of an event
 * reads the same payload and printer trees (event.h says how). */
json_object *
ph_params_build (const ph_hook *hook, const ph_event *event, int milestone)
{
  json_object *params = json_object_new_object ();
  const char *device = ph_hook_config_get_string (hook->config, "device_identifier");
  const char *api_secret = ph_hook_config_get_string (hook->config, "api_secret");
  g_autofree char *message = NULL;

  json_object_object_add (params, "topic", json_object_new_string (ph_event_topic (event->name)));
  json_object_object_add (params, "message", json_object_new_string (""));
  json_object_object_add (params, "apiSecret", json_object_new_string (api_secret ? api_secret : ""));
  json_object_object_add (params, "deviceIdentifier",
                          json_object_new_string (device != NULL ? device
                                                  : event->source != NULL ? event->source : ""));
  json_object_object_add (params, "extra", json_object_get (event->payload));
  json_object_object_add (params, "event", json_object_new_string (event->name));
  json_object_object_add (params, "currentTime", json_object_new_int64 (event->time));
  json_object_object_add (params, "percentCompleteMilestone", json_object_new_int (milestone));
  for (guint i = 0; printer_keys[i] != NULL; i++)
    {
      json_object *value;

      if (json_object_object_get_ex (event->printer, printer_keys[i], &value))
        json_object_object_add (params, printer_keys[i], json_object_get (value));
    }
  json_object_object_foreach (event->payload, key, value)
    if (!ph_param_is_builtin (key))
      json_object_object_add (params, key, json_object_get (value));

  /* The message is a template itself, rendered once with @message empty:
   * the old plugin re-expanded inserted text and could loop for ever. */
  message = ph_template_render_text (ph_hook_message_template (hook, event->name), params);
  json_object_object_add (params, "message", json_object_new_string (message));
  return params;
}
