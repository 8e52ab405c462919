/* Reading the members of a printer's JSON answers, which may lack any
 * member or hold another type than documented. */
#ifndef PH_JSON_MEMBER_H
#define PH_JSON_MEMBER_H

#include <json-c/json.h>

/* A member of an object when it has that type, else NULL (transfer none). */
static inline json_object *
ph_json_member (json_object *object, const char *key, json_type type)
{
  json_object *value;

  if (object == NULL || !json_object_is_type (object, json_type_object)
      || !json_object_object_get_ex (object, key, &value) || !json_object_is_type (value, type))
    return NULL;
  return value;
}

static inline const char *
ph_json_string (json_object *object, const char *key)
{
  json_object *value = ph_json_member (object, key, json_type_string);
  return value != NULL ? json_object_get_string (value) : NULL;
}

#endif
