#include "autoconfig.h"
#include "source_records.h"

#include "daemon_process.h"
#include "text/json_text.h"

static json_object *
member (json_object *records, guint i, const char *name)
{
  json_object *json = json_object_object_get (json_object_array_get_idx (records, i), "json");
  json_object *value = json_object_object_get (json, name);

  ck_assert_msg (value != NULL, "record %u has no %s: %s", i, name,
                 json_object_to_json_string (json));
  return value;
}

const char *
ph_records_field (json_object *records, guint i, const char *name)
{
  return json_object_get_string (member (records, i, name));
}

char *
ph_records_field_json (json_object *records, guint i, const char *name)
{
  return ph_json_to_text (member (records, i, name), FALSE);
}

char *
ph_records_summary (json_object *records, const char *hook)
{
  GString *out = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (records); i++)
    if (hook == NULL || strcmp (ph_records_field (records, i, "hook"), hook) == 0)
      g_string_append_printf (out, "%s%s:%s", out->len ? " " : "",
                              ph_records_field (records, i, "event"), ph_records_field (records, i, "m"));
  return g_string_free (out, FALSE);
}

json_object *
ph_records_exactly (ph_fake_server *f, ph_receiver *r, guint n)
{
  guint slow = ph_test_slowness ();
  json_object *records;

  ph_fake_server_wait (f, "done", 1, 20000 * slow);
  if (n > 0)
    json_object_put (ph_receiver_wait (r, n, 10000 * slow));
  g_usleep (300 * 1000);
  records = ph_receiver_records (r);
  if (json_object_array_length (records) != n)
    {
      g_autofree char *seen = ph_records_summary (records, NULL);
      ck_abort_msg ("expected %u webhooks, got %zu: %s", n, json_object_array_length (records), seen);
    }
  return records;
}

guint
ph_fake_server_count (ph_fake_server *f, const char *kind)
{
  g_autoptr (json_object) some = ph_fake_server_records_of (f, kind);
  return json_object_array_length (some);
}
