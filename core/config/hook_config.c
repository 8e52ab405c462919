#include "autoconfig.h"
#include "hook_config.h"

struct _printhook_config {
  char *hook_name;
  GHashTable *values;   /* full key -> ph_value *, owned */
  GHashTable *set;      /* full keys the user wrote: a set */
};

printhook_config *
ph_hook_config_new (const char *hook_name)
{
  printhook_config *config = g_new0 (printhook_config, 1);

  config->hook_name = g_strdup (hook_name);
  config->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) ph_value_free);
  config->set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return config;
}

void
ph_hook_config_free (printhook_config *config)
{
  if (config == NULL)
    return;
  g_hash_table_unref (config->values);
  g_hash_table_unref (config->set);
  g_free (config->hook_name);
  g_free (config);
}

void
ph_hook_config_put (printhook_config *config, const char *key, ph_value *value,
                    gboolean is_set)
{
  g_hash_table_replace (config->values, g_strdup (key), value);
  if (is_set)
    g_hash_table_add (config->set, g_strdup (key));
  else
    g_hash_table_remove (config->set, key);
}

const ph_value *
ph_hook_config_get (const printhook_config *config, const char *key)
{
  return g_hash_table_lookup (config->values, key);
}

const char *
ph_hook_config_get_string (const printhook_config *config, const char *key)
{
  const ph_value *value = ph_hook_config_get (config, key);
  return value != NULL ? value->text : NULL;
}

gint64
ph_hook_config_get_int (const printhook_config *config, const char *key)
{
  const ph_value *value = ph_hook_config_get (config, key);

  if (value == NULL)
    return 0;
  return value->type == PRINTHOOK_KEY_DOUBLE ? (gint64) value->number : value->integer;
}

double
ph_hook_config_get_double (const printhook_config *config, const char *key)
{
  const ph_value *value = ph_hook_config_get (config, key);

  if (value == NULL)
    return 0;
  return value->type == PRINTHOOK_KEY_INT ? (double) value->integer : value->number;
}

gboolean
ph_hook_config_get_bool (const printhook_config *config, const char *key)
{
  const ph_value *value = ph_hook_config_get (config, key);
  return value != NULL && value->boolean;
}

json_object *
ph_hook_config_get_json (const printhook_config *config, const char *key)
{
  const ph_value *value = ph_hook_config_get (config, key);
  return value != NULL ? value->json : NULL;
}

const char *const *
ph_hook_config_get_list (const printhook_config *config, const char *key)
{
  const ph_value *value = ph_hook_config_get (config, key);
  return value != NULL ? (const char *const *) value->list : NULL;
}

gboolean
ph_hook_config_is_set (const printhook_config *config, const char *key)
{
  return g_hash_table_contains (config->set, key);
}

const char *
ph_hook_config_hook_name (const printhook_config *config)
{
  return config->hook_name;
}
