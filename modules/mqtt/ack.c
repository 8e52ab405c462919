#include "ack.h"

#include <string.h>

#include <json-c/json.h>

#define MAX_ACK_BYTES 8192

static char *
optional_string (json_object *root, const char *key)
{
  json_object *value = NULL;

  return json_object_object_get_ex (root, key, &value) && json_object_is_type (value, json_type_string)
             ? g_strdup (json_object_get_string (value))
             : NULL;
}

gboolean
mqtt_forward_parse_ack (const void *payload, gsize size, char **id, mqtt_ack_result *result,
                        char **reason, char **by)
{
  json_tokener *tok;
  json_object *root, *v = NULL, *value = NULL;
  const char *text;
  gboolean ok = FALSE;

  *id = NULL;
  if (size == 0 || size > MAX_ACK_BYTES)
    return FALSE;
  tok = json_tokener_new ();
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  root = json_tokener_parse_ex (tok, payload, (int) size);
  if (root != NULL && json_tokener_get_error (tok) == json_tokener_success
      && (gsize) json_tokener_get_parse_end (tok) == size
      && json_object_is_type (root, json_type_object)
      && json_object_object_get_ex (root, "v", &v) && json_object_is_type (v, json_type_int)
      && json_object_get_int64 (v) == 1
      && json_object_object_get_ex (root, "id", &value)
      && json_object_is_type (value, json_type_string)
      && json_object_get_string_len (value) > 0
      && strlen (json_object_get_string (value)) == (size_t) json_object_get_string_len (value))
    {
      *id = g_strdup (json_object_get_string (value));
      ok = TRUE;
    }
  if (ok && json_object_object_get_ex (root, "result", &value)
      && json_object_is_type (value, json_type_string))
    {
      text = json_object_get_string (value);
      if (strcmp (text, "committed") == 0)
        *result = MQTT_ACK_COMMITTED;
      else if (strcmp (text, "duplicate") == 0)
        *result = MQTT_ACK_DUPLICATE;
      else if (strcmp (text, "refused") == 0)
        *result = MQTT_ACK_REFUSED;
      else
        ok = FALSE;
    }
  else
    ok = FALSE;
  if (ok && reason != NULL)
    *reason = optional_string (root, "reason");
  if (ok && by != NULL)
    *by = optional_string (root, "by");
  if (!ok)
    g_clear_pointer (id, g_free);
  json_object_put (root);
  json_tokener_free (tok);
  return ok;
}
