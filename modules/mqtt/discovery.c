#include "discovery.h"

#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

typedef struct {
  const char *id;              /* object id suffix and value_json key */
  const char *component;
  const char *name;
  const char *unit;
  const char *device_class;
} entity;

static const entity entities[] = {
  { "state", "sensor", "State", NULL, NULL },
  { "progress", "sensor", "Progress", "%", NULL },
  { "file", "sensor", "Current file", NULL, NULL },
  { "time_left", "sensor", "Time left", "s", "duration" },
  { "time_elapsed", "sensor", "Time elapsed", "s", "duration" },
  { "last_event", "sensor", "Last event", NULL, NULL },
  { "printing", "binary_sensor", "Printing", NULL, "running" },
};

typedef struct {
  char *name;                  /* as the user knows it */
  char *slug;                  /* [A-Za-z0-9_-] for topics and ids */
  char *model;                 /* the source type */
  char *state;                 /* the last state JSON, or NULL */
  gint64 time;                 /* of the event that made it */
} device;

struct mqtt_discovery {
  const printhook_host *host;
  mqtt_broker *broker;
  char *prefix;
  char *node;                  /* this printhook, slugged */
  char *fixed_device;          /* the hook's device_identifier, or NULL */
  gboolean clear_only;
  GHashTable *devices;         /* slug -> device * */
};

static const mqtt_broker_watch_funcs watch_funcs;

/* Every discovery, so that a hook without discovery clears only what no
 * other hook on the same broker describes. */
static GList *all;

static char *
slug (const char *text)
{
  char *out = g_strdup (text);

  for (char *p = out; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      *p = '_';
  return *out != '\0' ? out : (g_free (out), g_strdup ("_"));
}

static void
device_free (device *dev)
{
  g_free (dev->name);
  g_free (dev->slug);
  g_free (dev->model);
  g_free (dev->state);
  g_free (dev);
}

static device *
add_device (mqtt_discovery *dc, const char *name, const char *model)
{
  g_autofree char *s = slug (name);
  device *dev = g_hash_table_lookup (dc->devices, s);

  if (dev != NULL)
    return dev;
  dev = g_new0 (device, 1);
  dev->name = g_strdup (name);
  dev->slug = g_steal_pointer (&s);
  dev->model = g_strdup (model);
  g_hash_table_insert (dc->devices, dev->slug, dev);
  return dev;
}

/* printhook/NAME/state, NAME as the status topic writes it: only '/',
 * '+' and '#' replaced, so both topics of a printer read alike. */
static char *
state_topic (const device *dev)
{
  GString *out = g_string_new ("printhook/");

  for (const char *p = dev->name; *p != '\0'; p++)
    g_string_append_c (out, strchr ("/+#", *p) != NULL ? '_' : *p);
  if (*dev->name == '\0')
    g_string_append_c (out, '_');
  g_string_append (out, "/state");
  return g_string_free (out, FALSE);
}

static char *
config_topic (const mqtt_discovery *dc, const device *dev, const entity *e)
{
  return g_strdup_printf ("%s/%s/%s/%s_%s/config", dc->prefix, e->component, dc->node, dev->slug,
                          e->id);
}

static void
publish_configs (mqtt_discovery *dc, const device *dev)
{
  const char *availability = mqtt_broker_status_topic (dc->broker);
  g_autofree char *state = state_topic (dev);

  for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
    {
      const entity *e = &entities[i];
      g_autoptr (json_object) config = json_object_new_object ();
      json_object *dj = json_object_new_object ();
      json_object *ids = json_object_new_array ();
      g_autofree char *unique = g_strdup_printf ("printhook_%s_%s_%s", dc->node, dev->slug, e->id);
      g_autofree char *value = g_strdup_printf ("{{ value_json.%s }}", e->id);
      g_autofree char *topic = config_topic (dc, dev, e);
      g_autofree char *text = NULL;
      g_autofree char *id = g_strdup_printf ("printhook_%s_%s", dc->node, dev->slug);

      json_object_array_add (ids, json_object_new_string (id));
      json_object_object_add (dj, "identifiers", ids);
      json_object_object_add (dj, "name", json_object_new_string (dev->name));
      json_object_object_add (dj, "manufacturer", json_object_new_string ("printhook"));
      json_object_object_add (dj, "model", json_object_new_string (dev->model));
      json_object_object_add (dj, "sw_version", json_object_new_string (PACKAGE_VERSION));
      json_object_object_add (config, "name", json_object_new_string (e->name));
      json_object_object_add (config, "unique_id", json_object_new_string (unique));
      json_object_object_add (config, "object_id", json_object_new_string (unique));
      json_object_object_add (config, "state_topic", json_object_new_string (state));
      json_object_object_add (config, "value_template", json_object_new_string (value));
      if (e->unit != NULL)
        json_object_object_add (config, "unit_of_measurement", json_object_new_string (e->unit));
      if (e->device_class != NULL)
        json_object_object_add (config, "device_class", json_object_new_string (e->device_class));
      if (strcmp (e->component, "binary_sensor") == 0)
        {
          json_object_object_add (config, "payload_on", json_object_new_string ("ON"));
          json_object_object_add (config, "payload_off", json_object_new_string ("OFF"));
        }
      if (availability != NULL)
        json_object_object_add (config, "availability_topic",
                                json_object_new_string (availability));
      json_object_object_add (config, "device", dj);
      text = dc->host->json_to_text (config, FALSE);
      mqtt_broker_post (dc->broker, topic, text, strlen (text), TRUE);
    }
  if (dev->state != NULL)
    mqtt_broker_post (dc->broker, state, dev->state, strlen (dev->state), TRUE);
}

static void
add_source (const char *name, const char *type, gpointer user_data)
{
  mqtt_discovery *dc = user_data;

  add_device (dc, dc->fixed_device != NULL ? dc->fixed_device : name,
              strcmp (type, "moonraker") == 0 ? "Moonraker" : "OctoPrint");
}

static void
describe_all (mqtt_discovery *dc)
{
  GHashTableIter iter;
  device *dev;

  if (dc->clear_only)
    return;
  dc->host->foreach_source (add_source, dc);
  g_hash_table_iter_init (&iter, dc->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &dev))
    publish_configs (dc, dev);
}

static void
on_connected (mqtt_broker *broker, gpointer user_data)
{
  mqtt_discovery *dc = user_data;
  g_autofree char *status = g_strdup_printf ("%s/status", dc->prefix);
  g_autofree char *ours = g_strdup_printf ("%s/+/%s/+/config", dc->prefix, dc->node);

  /* The retained configs under our node come back at once: those of
   * devices nobody here describes any more are cleared (on_message). */
  mqtt_broker_subscribe (broker, ours);
  if (!dc->clear_only)
    mqtt_broker_subscribe (broker, status);
  describe_all (dc);
}

/* Whether some discovery on this broker and prefix describes the device
 * whose entity config is at object ("DEVICE_ENTITY"). */
static gboolean
wanted (const mqtt_discovery *dc, const char *object)
{
  for (GList *l = all; l != NULL; l = l->next)
    {
      const mqtt_discovery *other = l->data;

      if (other->broker != dc->broker || other->clear_only
          || strcmp (other->prefix, dc->prefix) != 0)
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
        {
          gsize len = strlen (object), suffix = strlen (entities[i].id) + 1;
          g_autofree char *name = NULL;

          if (len <= suffix || object[len - suffix] != '_'
              || strcmp (object + len - suffix + 1, entities[i].id) != 0)
            continue;
          name = g_strndup (object, len - suffix);
          if (g_hash_table_contains (other->devices, name))
            return TRUE;
        }
    }
  return FALSE;
}

static void
on_message (mqtt_broker *broker, const char *topic, const void *payload, gsize size,
            gboolean retained, gpointer user_data)
{
  mqtt_discovery *dc = user_data;
  g_autofree char *status = g_strdup_printf ("%s/status", dc->prefix);
  g_auto (GStrv) levels = NULL;
  guint n_prefix;

  if (!dc->clear_only && strcmp (topic, status) == 0)
    {
      /* Home Assistant restarted: it forgot what was not retained. */
      if (size == 6 && memcmp (payload, "online", 6) == 0)
        describe_all (dc);
      return;
    }
  /* Only what the broker kept from before this connection is a leftover;
   * configs published now come back live, not retained. */
  if (!retained || size == 0 || !g_str_has_prefix (topic, dc->prefix))
    return;
  levels = g_strsplit (topic + strlen (dc->prefix), "/", -1);
  n_prefix = g_strv_length (levels);
  if (n_prefix != 5 || *levels[0] != '\0' || strcmp (levels[2], dc->node) != 0
      || strcmp (levels[4], "config") != 0)
    return;
  if (!wanted (dc, levels[3]))
    {
      g_message ("mqtt: clearing the Home Assistant entity %s (its printer is gone)", topic);
      mqtt_broker_post (broker, topic, "", 0, TRUE);
    }
}

static const mqtt_broker_watch_funcs watch_funcs = {
  .connected = on_connected,
  .message = on_message,
};

mqtt_discovery *
mqtt_discovery_new (const printhook_host *host, mqtt_broker *broker, const char *prefix,
                    const char *fixed_device, gboolean clear_only)
{
  mqtt_discovery *dc = g_new0 (mqtt_discovery, 1);

  dc->host = host;
  dc->broker = broker;
  dc->prefix = g_strdup (prefix);
  dc->node = slug (host->instance_name ());
  dc->fixed_device = g_strdup (fixed_device);
  dc->clear_only = clear_only;
  dc->devices = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) device_free);
  all = g_list_prepend (all, dc);
  mqtt_broker_watch (broker, &watch_funcs, dc);
  return dc;
}

void
mqtt_discovery_free (mqtt_discovery *dc)
{
  if (dc == NULL)
    return;
  mqtt_broker_unwatch (dc->broker, dc);
  all = g_list_remove (all, dc);
  g_hash_table_unref (dc->devices);
  g_free (dc->prefix);
  g_free (dc->node);
  g_free (dc->fixed_device);
  g_free (dc);
}

static json_object *
param_copy (const printhook_host *host, printhook_delivery *d, const char *name)
{
  json_object *value = host->param_get (d, name);

  return value != NULL ? json_object_get (value) : NULL;
}

void
mqtt_discovery_event (mqtt_discovery *dc, printhook_delivery *d)
{
  const printhook_host *host = dc->host;
  json_object *name = host->param_get (d, "deviceIdentifier");
  json_object *printing = host->param_get (d, "state.flags.printing");
  json_object *file = host->param_get (d, "job.file.display");
  gint64 time = json_object_get_int64 (host->param_get (d, "currentTime"));
  const char *which = dc->fixed_device != NULL ? dc->fixed_device : json_object_get_string (name);
  g_autofree char *key = NULL;
  g_autoptr (json_object) state = NULL;
  g_autofree char *topic = NULL;
  gboolean fresh;
  device *dev;

  if (dc->clear_only || which == NULL)
    return;
  key = slug (which);
  fresh = !g_hash_table_contains (dc->devices, key);
  dev = add_device (dc, which, "printer");
  /* A retry of an older event must not turn the state back. */
  if (!fresh && dev->state != NULL && time < dev->time)
    return;
  dev->time = time;
  state = json_object_new_object ();
  json_object_object_add (state, "state", param_copy (host, d, "state.text"));
  json_object_object_add (state, "progress", param_copy (host, d, "progress.completion"));
  json_object_object_add (state, "file", file != NULL ? json_object_get (file)
                                                      : param_copy (host, d, "job.file.name"));
  json_object_object_add (state, "time_left", param_copy (host, d, "progress.printTimeLeft"));
  json_object_object_add (state, "time_elapsed", param_copy (host, d, "progress.printTime"));
  json_object_object_add (state, "last_event", param_copy (host, d, "event"));
  json_object_object_add (state, "printing",
                          json_object_new_string (json_object_get_boolean (printing) ? "ON"
                                                                                     : "OFF"));
  g_free (dev->state);
  dev->state = host->json_to_text (state, FALSE);
  if (fresh)
    {
      publish_configs (dc, dev);   /* the state with them */
      return;
    }
  topic = state_topic (dev);
  mqtt_broker_post (dc->broker, topic, dev->state, strlen (dev->state), TRUE);
}
