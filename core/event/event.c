#include "autoconfig.h"
#include "event.h"

typedef struct {
  gpointer value;
  GDestroyNotify destroy;
} shared_value;

static void
shared_value_free (gpointer data)
{
  shared_value *sv = data;

  if (sv->destroy != NULL)
    sv->destroy (sv->value);
  g_free (sv);
}

static json_object *
object_or_empty (json_object *value)
{
  if (value != NULL && json_object_is_type (value, json_type_object))
    return value;
  json_object_put (value);
  return json_object_new_object ();
}

ph_event *
ph_event_new (const char *name, const char *source, json_object *payload, json_object *printer)
{
  ph_event *event = g_new0 (ph_event, 1);

  event->ref_count = 1;
  event->name = g_strdup (name);
  event->source = g_strdup (source);
  event->payload = object_or_empty (payload);
  event->printer = object_or_empty (printer);
  event->time = g_get_real_time () / G_USEC_PER_SEC;
  event->shared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, shared_value_free);
  return event;
}

ph_event *
ph_event_ref (ph_event *event)
{
  g_atomic_int_inc (&event->ref_count);
  return event;
}

void
ph_event_unref (ph_event *event)
{
  if (event == NULL || !g_atomic_int_dec_and_test (&event->ref_count))
    return;
  g_hash_table_unref (event->shared);
  ph_camera_unref (event->camera);
  json_object_put (event->payload);
  json_object_put (event->printer);
  g_free (event->name);
  g_free (event->source);
  g_free (event->origin_id);
  g_free (event);
}

void
ph_event_set_camera (ph_event *event, ph_camera *camera)
{
  if (camera != NULL)
    ph_camera_ref (camera);
  ph_camera_unref (event->camera);
  event->camera = camera;
}

gpointer
ph_event_shared_get (ph_event *event, const char *key)
{
  shared_value *sv = g_hash_table_lookup (event->shared, key);
  return sv != NULL ? sv->value : NULL;
}

void
ph_event_shared_set (ph_event *event, const char *key, gpointer value, GDestroyNotify destroy)
{
  shared_value *sv = g_new0 (shared_value, 1);

  sv->value = value;
  sv->destroy = destroy;
  g_hash_table_replace (event->shared, g_strdup (key), sv);
}
