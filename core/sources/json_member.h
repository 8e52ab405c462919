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

/* The largest magnitude a printer's number is believed at: 10^12 seconds
 * are 31 000 years, 10^12 bytes a 1 TB G-code file.  Within it every
 * conversion the sources make (whole seconds, bytes, a time left of up to
 * 10^4 times the time so far) fits a gint64; 1e300 would not, and
 * converting it is undefined behaviour. */
#define PH_JSON_NUMBER_LIMIT 1e12

/* A member that is a number (integer or not) within
 * ±PH_JSON_NUMBER_LIMIT, else fallback: a number beyond it is no more
 * known than a missing one. */
static inline double
ph_json_number (json_object *object, const char *key, double fallback)
{
  json_object *value = ph_json_member (object, key, json_type_double);
  double number;

  if (value == NULL)
    value = ph_json_member (object, key, json_type_int);
  if (value == NULL)
    return fallback;
  number = json_object_get_double (value);
  return number >= -PH_JSON_NUMBER_LIMIT && number <= PH_JSON_NUMBER_LIMIT ? number : fallback;
}

/* A deep copy of value (NULL stays NULL).  Transfer full. */
static inline json_object *
ph_json_copy (json_object *value)
{
  json_object *out = NULL;

  json_object_deep_copy (value, &out, NULL);
  return out;
}

#endif
