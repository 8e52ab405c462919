/* Where groups and keys stand in an INI file.  GKeyFile parses the values
 * but forgets line numbers and silently merges repeated groups and keys;
 * this scan keeps both, so every error can name its line. */
#ifndef PH_INI_SCAN_H
#define PH_INI_SCAN_H

#include <glib.h>

typedef struct ph_ini_map ph_ini_map;

typedef struct {
  guint line;
  char *message;
} ph_ini_problem;

/* Scans text the way GKeyFile reads it (groups "[name]", "key = value",
 * '#' comments).  Transfer full. */
ph_ini_map *ph_ini_scan (const char *text);
void ph_ini_map_free (ph_ini_map *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_ini_map, ph_ini_map_free)

/* Line of the group's first header, or 0. */
guint ph_ini_group_line (const ph_ini_map *map, const char *group);
/* Line of the key's first occurrence in the group, or 0. */
guint ph_ini_key_line (const ph_ini_map *map, const char *group, const char *key);

/* Lines that are not a group, key or comment, keys before the first group,
 * groups and keys given twice: transfer none, ph_ini_problem * elements. */
const GPtrArray *ph_ini_problems (const ph_ini_map *map);

#endif
