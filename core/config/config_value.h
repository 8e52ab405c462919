/* One typed configuration value, parsed from INI text by its declared key. */
#ifndef PH_CONFIG_VALUE_H
#define PH_CONFIG_VALUE_H

#include <glib.h>
#include "printhook/module.h"

typedef struct {
  printhook_key_type type;
  char *text;        /* STRING and PATH: the value (PATH made absolute); else as written */
  gint64 integer;    /* INT */
  double number;     /* DOUBLE */
  gboolean boolean;  /* BOOL */
  json_object *json; /* JSON: an object */
  char **list;       /* LIST: the items, trimmed, never empty strings */
} ph_value;

/* Parses text as a value of key's type.  base_dir makes relative PATH values
 * absolute (the directory of the file that names them).  The error message
 * says what was wrong and what was expected, without naming the key (the
 * caller knows where it is).  Transfer full, or NULL with error. */
ph_value *ph_value_parse (const printhook_config_key *key, const char *text,
                          const char *base_dir, GError **error);
void ph_value_free (ph_value *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_value, ph_value_free)

/* Splits a list value: items separated by ',' or ';', spaces trimmed, empty
 * items dropped.  Transfer full. */
char **ph_value_split_list (const char *text);

/* The name of a key type as shown to users ("integer", "JSON object"). */
const char *ph_key_type_name (printhook_key_type type);

#endif
