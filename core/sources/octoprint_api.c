#include "autoconfig.h"
#include "octoprint_api.h"

#include <string.h>

static const char *
string_member (json_object *object, const char *key)
{
  json_object *value;

  if (object == NULL || !json_object_is_type (object, json_type_object)
      || !json_object_object_get_ex (object, key, &value)
      || !json_object_is_type (value, json_type_string))
    return NULL;
  return json_object_get_string (value);
}

static json_object *
object_member (json_object *object, const char *key)
{
  json_object *value;

  if (object == NULL || !json_object_is_type (object, json_type_object)
      || !json_object_object_get_ex (object, key, &value)
      || !json_object_is_type (value, json_type_object))
    return NULL;
  return value;
}

char *
ph_octoprint_login_auth (json_object *answer)
{
  const char *name = string_member (answer, "name");
  const char *session = string_member (answer, "session");

  /* The auth message must split into exactly two parts on ':'. */
  if (name == NULL || session == NULL || *name == '\0' || *session == '\0'
      || strchr (name, ':') != NULL || strchr (session, ':') != NULL)
    return NULL;
  return g_strdup_printf ("%s:%s", name, session);
}

static json_object *
copy (json_object *value)
{
  json_object *out = NULL;

  json_object_deep_copy (value, &out, NULL);
  return out;
}

json_object *
ph_octoprint_meta_from_file (json_object *entry)
{
  /* What describes the file itself rather than its metadata. */
  static const char *const file_keys[] = {
    "name", "display", "path", "type", "typePath", "origin", "size", "date", "refs", "user",
    "hash", "gcodeAnalysis", "statistics", "prints", NULL
  };
  json_object *meta = json_object_new_object ();
  json_object *value, *prints, *last;

  if (entry == NULL || !json_object_is_type (entry, json_type_object))
    return meta;
  if (json_object_object_get_ex (entry, "hash", &value))
    json_object_object_add (meta, "hash", copy (value));
  if (json_object_object_get_ex (entry, "gcodeAnalysis", &value))
    json_object_object_add (meta, "analysis", copy (value));
  if (json_object_object_get_ex (entry, "statistics", &value))
    json_object_object_add (meta, "statistics", copy (value));
  prints = object_member (entry, "prints");
  last = object_member (prints, "last");
  if (last != NULL)
    {
      json_object *history = json_object_new_array ();
      json_object *item = json_object_new_object ();

      if (json_object_object_get_ex (last, "date", &value))
        json_object_object_add (item, "timestamp", copy (value));
      if (json_object_object_get_ex (last, "printTime", &value))
        json_object_object_add (item, "printTime", copy (value));
      if (json_object_object_get_ex (last, "printerProfile", &value))
        json_object_object_add (item, "printerProfile", copy (value));
      if (json_object_object_get_ex (last, "success", &value))
        json_object_object_add (item, "success", copy (value));
      json_object_array_add (history, item);
      json_object_object_add (meta, "history", history);
    }
  if (prints != NULL)
    json_object_object_add (meta, "prints", copy (prints));
  json_object_object_foreach (entry, key, member)
    if (!g_strv_contains (file_keys, key))
      json_object_object_add (meta, key, copy (member));
  return meta;
}

static gboolean
bool_member (json_object *object, const char *key, gboolean fallback)
{
  json_object *value;

  if (object == NULL || !json_object_object_get_ex (object, key, &value)
      || !json_object_is_type (value, json_type_boolean))
    return fallback;
  return json_object_get_boolean (value);
}

/* OctoPrint 1.9+: the webcam chosen for snapshots, from the providers. */
static const char *
provider_snapshot (json_object *webcam)
{
  const char *wanted = string_member (webcam, "snapshotWebcam");
  json_object *webcams;

  if (wanted == NULL)
    wanted = string_member (webcam, "defaultWebcam");
  if (!json_object_object_get_ex (webcam, "webcams", &webcams)
      || !json_object_is_type (webcams, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (webcams); i++)
    {
      json_object *cam = json_object_array_get_idx (webcams, i);
      const char *snapshot = string_member (object_member (cam, "compat"), "snapshot");

      if (!bool_member (cam, "canSnapshot", TRUE) || snapshot == NULL || *snapshot == '\0')
        continue;
      if (wanted == NULL || g_strcmp0 (string_member (cam, "name"), wanted) == 0)
        return snapshot;
    }
  return NULL;
}

char *
ph_octoprint_settings_webcam_url (json_object *settings, const char *base_url)
{
  json_object *webcam = object_member (settings, "webcam");
  g_autofree char *base = NULL;
  const char *url;

  if (webcam == NULL || !bool_member (webcam, "webcamEnabled", TRUE))
    return NULL;
  url = provider_snapshot (webcam);
  if (url == NULL)
    url = string_member (webcam, "snapshotUrl");
  if (url == NULL || *url == '\0')
    return NULL;
  /* "/webcam/?action=snapshot" is relative to OctoPrint's own host. */
  base = g_strconcat (base_url, "/", NULL);
  return g_uri_resolve_relative (base, url, G_URI_FLAGS_NONE, NULL);
}

json_object *
ph_octoprint_settings_appearance (json_object *settings)
{
  json_object *appearance = object_member (settings, "appearance");
  json_object *out, *value;

  if (appearance == NULL)
    return NULL;
  out = json_object_new_object ();
  if (json_object_object_get_ex (appearance, "name", &value))
    json_object_object_add (out, "name", copy (value));
  if (json_object_object_get_ex (appearance, "color", &value))
    json_object_object_add (out, "color", copy (value));
  return out;
}

char *
ph_octoprint_file_path (const char *origin, const char *path)
{
  g_autofree char *escaped_origin = g_uri_escape_string (origin, NULL, FALSE);
  g_autofree char *escaped_path = g_uri_escape_string (path, "/", FALSE);

  while (*escaped_path == '/')
    memmove (escaped_path, escaped_path + 1, strlen (escaped_path));
  return g_strdup_printf ("/api/files/%s/%s", escaped_origin, escaped_path);
}
