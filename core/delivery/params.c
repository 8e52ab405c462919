#include "autoconfig.h"
#include "params.h"

#include <string.h>

#include "event/events.h"
#include "text/template.h"

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

/* name: a string literal or static, and not yet in params: json-c then
 * neither copies it nor looks for it (each was a malloc and a lookup, for
 * some twenty names a delivery). */
static void
add_new (json_object *params, const char *name, json_object *value)
{
  json_object_object_add_ex (params, name, value,
                             JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY);
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

  add_new (params, "topic", json_object_new_string (ph_event_topic (event->name)));
  add_new (params, "message", json_object_new_string (""));
  add_new (params, "apiSecret", json_object_new_string (api_secret ? api_secret : ""));
  add_new (params, "deviceIdentifier",
           json_object_new_string (device != NULL ? device
                                   : event->source != NULL ? event->source : ""));
  add_new (params, "extra", json_object_get (event->payload));
  add_new (params, "event", json_object_new_string (event->name));
  add_new (params, "currentTime", json_object_new_int64 (event->time));
  add_new (params, "percentCompleteMilestone", json_object_new_int (milestone));
  for (guint i = 0; printer_keys[i] != NULL; i++)
    {
      json_object *value;

      if (json_object_object_get_ex (event->printer, printer_keys[i], &value))
        add_new (params, printer_keys[i], json_object_get (value));
    }
  /* Not built-ins, so not in params yet. */
  json_object_object_foreach (event->payload, key, value)
    if (!ph_param_is_builtin (key))
      json_object_object_add_ex (params, key, json_object_get (value),
                                 JSON_C_OBJECT_ADD_KEY_IS_NEW);

  /* The message is a template itself, rendered once with @message empty:
   * the old plugin re-expanded inserted text and could loop for ever. */
  message = ph_template_render_text (ph_hook_message_template (hook, event->name), params);
  json_object_object_add (params, "message", json_object_new_string (message));
  return params;
}
