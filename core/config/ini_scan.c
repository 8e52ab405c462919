#include "autoconfig.h"
#include "ini_scan.h"

#include <string.h>

struct ph_ini_map {
  GHashTable *groups;   /* group -> line (GUINT_TO_POINTER) */
  GHashTable *keys;     /* "group\nkey" -> line */
  GPtrArray *problems;
};

static void
problem_free (gpointer data)
{
  ph_ini_problem *p = data;

  g_free (p->message);
  g_free (p);
}

static void
add_problem (ph_ini_map *map, guint line, char *message)
{
  ph_ini_problem *p = g_new0 (ph_ini_problem, 1);

  p->line = line;
  p->message = message;
  g_ptr_array_add (map->problems, p);
}

ph_ini_map *
ph_ini_scan (const char *text)
{
  ph_ini_map *map = g_new0 (ph_ini_map, 1);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *group = NULL;

  map->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  map->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  map->problems = g_ptr_array_new_with_free_func (problem_free);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint line = i + 1;
      g_autofree char *copy = g_strdup (lines[i]);
      char *s = g_strstrip (copy);
      const char *eq;

      if (*s == '\0' || *s == '#')
        continue;
      if (*s == '[')
        {
          char *end = strrchr (s, ']');
          gpointer first;

          if (end == NULL || end[1] != '\0')
            {
              add_problem (map, line, g_strdup_printf ("'%s' is not a valid group header "
                                                       "(expected [name])", s));
              continue;
            }
          g_free (group);
          group = g_strndup (s + 1, end - s - 1);
          if (g_hash_table_lookup_extended (map->groups, group, NULL, &first))
            add_problem (map, line, g_strdup_printf ("[%s] is given twice (first on line %u); "
                                                     "give each group once", group,
                                                     GPOINTER_TO_UINT (first)));
          else
            g_hash_table_insert (map->groups, g_strdup (group), GUINT_TO_POINTER (line));
          continue;
        }
      eq = strchr (s, '=');
      if (eq == NULL)
        {
          add_problem (map, line, g_strdup_printf ("'%s' is not 'key = value', a [group] "
                                                   "or a # comment", s));
          continue;
        }
      if (group == NULL)
        {
          add_problem (map, line, g_strdup ("a key before the first [group]"));
          continue;
        }
      {
        g_autofree char *key = g_strstrip (g_strndup (s, eq - s));
        g_autofree char *id = g_strconcat (group, "\n", key, NULL);
        gpointer first;

        if (*key == '\0')
          add_problem (map, line, g_strdup ("a value without a key name"));
        else if (g_hash_table_lookup_extended (map->keys, id, NULL, &first))
          add_problem (map, line, g_strdup_printf ("[%s] %s is set twice (first on line %u); "
                                                   "only one value can count", group, key,
                                                   GPOINTER_TO_UINT (first)));
        else
          g_hash_table_insert (map->keys, g_steal_pointer (&id), GUINT_TO_POINTER (line));
      }
    }
  return map;
}

void
ph_ini_map_free (ph_ini_map *map)
{
  if (map == NULL)
    return;
  g_hash_table_unref (map->groups);
  g_hash_table_unref (map->keys);
  g_ptr_array_unref (map->problems);
  g_free (map);
}

guint
ph_ini_group_line (const ph_ini_map *map, const char *group)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (map->groups, group));
}

guint
ph_ini_key_line (const ph_ini_map *map, const char *group, const char *key)
{
  g_autofree char *id = g_strconcat (group, "\n", key, NULL);
  guint line = GPOINTER_TO_UINT (g_hash_table_lookup (map->keys, id));

  return line != 0 ? line : ph_ini_group_line (map, group);
}

const GPtrArray *
ph_ini_problems (const ph_ini_map *map)
{
  return map->problems;
}
