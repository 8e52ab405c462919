#include "json_records.h"

#include <check.h>
#include <glib.h>

json_object *
ph_json_records_read (const char *path, const char *who)
{
  json_object *records = json_object_new_array ();
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return records;
  lines = g_strsplit (contents, "\n", -1);
  /* The last piece is empty, or a line still being written. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      json_object *record = json_tokener_parse (lines[i]);

      ck_assert_msg (record != NULL, "%s: record %u is not JSON: %.2000s", who, i, lines[i]);
      json_object_array_add (records, record);
    }
  return records;
}

json_object *
ph_json_records_of (json_object *all, const char *kind)
{
  json_object *some = json_object_new_array ();

  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *record = json_object_array_get_idx (all, i);

      if (g_strcmp0 (json_object_get_string (json_object_object_get (record, "kind")), kind) == 0)
        json_object_array_add (some, json_object_get (record));
    }
  return some;
}
