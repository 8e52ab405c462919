#include "autoconfig.h"
#include "config_value.h"

#include <math.h>
#include <string.h>

#include "text/json_text.h"

const char *
ph_key_type_name (printhook_key_type type)
{
  switch (type)
    {
    case PRINTHOOK_KEY_STRING: return "text";
    case PRINTHOOK_KEY_INT: return "integer";
    case PRINTHOOK_KEY_DOUBLE: return "number";
    case PRINTHOOK_KEY_BOOL: return "true/false";
    case PRINTHOOK_KEY_JSON: return "JSON object";
    case PRINTHOOK_KEY_LIST: return "list";
    case PRINTHOOK_KEY_PATH: return "file name";
    default: return "unknown";
    }
}

char **
ph_value_split_list (const char *text)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) parts = g_strsplit_set (text, ",;", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }
  return g_strv_builder_end (builder);
}

static gboolean
bounded (const printhook_config_key *key)
{
  return key->min != key->max;
}

static gboolean
parse_bool (const char *text, gboolean *out)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };

  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, yes[i]) == 0)
      {
        *out = TRUE;
        return TRUE;
      }
  for (guint i = 0; no[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, no[i]) == 0)
      {
        *out = FALSE;
        return TRUE;
      }
  return FALSE;
}

ph_value *
ph_value_parse (const printhook_config_key *key, const char *text, const char *base_dir,
                GError **error)
{
  g_autoptr (ph_value) value = g_new0 (ph_value, 1);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  value->type = key->type;
  switch (key->type)
    {
    case PRINTHOOK_KEY_STRING:
      value->text = g_strdup (text);
      break;

    case PRINTHOOK_KEY_PATH:
      if (*trimmed == '\0')
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG, "empty file name");
          return NULL;
        }
      value->text = g_path_is_absolute (trimmed) || base_dir == NULL
                        ? g_strdup (trimmed)
                        : g_build_filename (base_dir, trimmed, NULL);
      break;

    case PRINTHOOK_KEY_INT:
      {
        g_autoptr (GError) local = NULL;
        gint64 min = bounded (key) ? (gint64) key->min : G_MININT64;
        gint64 max = bounded (key) ? (gint64) key->max : G_MAXINT64;

        value->text = g_strdup (trimmed);
        if (!g_ascii_string_to_signed (trimmed, 10, min, max, &value->integer, &local))
          {
            if (bounded (key))
              g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                           "'%s' is not a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                           trimmed, min, max);
            else
              g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                           "'%s' is not a whole number", trimmed);
            return NULL;
          }
        break;
      }

    case PRINTHOOK_KEY_DOUBLE:
      {
        char *end = NULL;

        value->text = g_strdup (trimmed);
        value->number = g_ascii_strtod (trimmed, &end);
        if (*trimmed == '\0' || end == NULL || *end != '\0' || !isfinite (value->number))
          {
            g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG, "'%s' is not a number",
                         trimmed);
            return NULL;
          }
        if (bounded (key) && (value->number < key->min || value->number > key->max))
          {
            g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                         "%s is out of range (%g to %g)", trimmed, key->min, key->max);
            return NULL;
          }
        break;
      }

    case PRINTHOOK_KEY_BOOL:
      value->text = g_strdup (trimmed);
      if (!parse_bool (trimmed, &value->boolean))
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                       "'%s' is not true or false (also accepted: yes/no, on/off, 1/0)", trimmed);
          return NULL;
        }
      break;

    case PRINTHOOK_KEY_JSON:
      {
        g_autoptr (GError) local = NULL;

        value->text = g_strdup (text);
        value->json = ph_json_parse (text, -1, &local);
        if (value->json == NULL)
          {
            g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG, "invalid JSON: %s",
                         local->message);
            return NULL;
          }
        if (!json_object_is_type (value->json, json_type_object))
          {
            g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                         "must be a JSON object ({...}), not %s",
                         json_type_to_name (json_object_get_type (value->json)));
            return NULL;
          }
        break;
      }

    case PRINTHOOK_KEY_LIST:
      value->text = g_strdup (trimmed);
      value->list = ph_value_split_list (trimmed);
      break;

    default:
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG, "unknown key type %d",
                   key->type);
      return NULL;
    }
  return g_steal_pointer (&value);
}

void
ph_value_free (ph_value *value)
{
  if (value == NULL)
    return;
  g_free (value->text);
  json_object_put (value->json);
  g_strfreev (value->list);
  g_free (value);
}
