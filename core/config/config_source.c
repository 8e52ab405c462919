/* One [source NAME] group: where the events come from (DESIGN.md §7). */
#include "autoconfig.h"

#include <string.h>

#include "config_keys.h"
#include "config_private.h"
#include "mqtt/mqtt_url.h"
#include "text/suggest.h"

/* Where the package installs Bambu Lab's CA bundle (conf/bambu-ca.pem). */
#define PH_BAMBU_DEFAULT_CA_FILE PKGDATADIR "/bambu-ca.pem"
#define PH_BAMBU_DEFAULT_PORT 8883
#define PH_BAMBU_DEFAULT_CAMERA_PORT 6000

void
ph_source_config_free (ph_source_config *source)
{
  if (source == NULL)
    return;
  ph_source_config_clear (source);
  g_free (source);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_source_config, ph_source_config_free)

void
ph_source_config_copy (ph_source_config *to, const ph_source_config *from)
{
  *to = *from;
  to->name = g_strdup (from->name);
  to->file = g_strdup (from->file);
  to->url = g_strdup (from->url);
  to->api_key = g_strdup (from->api_key);
  to->host = g_strdup (from->host);
  to->serial = g_strdup (from->serial);
  to->access_code = g_strdup (from->access_code);
  to->tls_ca_file = g_strdup (from->tls_ca_file);
  to->topic = g_strdup (from->topic);
  to->group = g_strdup (from->group);
  to->client_id = g_strdup (from->client_id);
  to->tls_cert = g_strdup (from->tls_cert);
  to->tls_key = g_strdup (from->tls_key);
}

void
ph_source_config_clear (ph_source_config *config)
{
  g_free (config->name);
  g_free (config->file);
  g_free (config->url);
  g_free (config->api_key);
  g_free (config->host);
  g_free (config->serial);
  g_free (config->access_code);
  g_free (config->tls_ca_file);
  g_free (config->topic);
  g_free (config->group);
  g_free (config->client_id);
  g_free (config->tls_cert);
  g_free (config->tls_key);
}

gboolean
ph_source_config_equal (const ph_source_config *a, const ph_source_config *b)
{
  return strcmp (a->name, b->name) == 0 && a->type == b->type && a->enabled == b->enabled
         && g_strcmp0 (a->url, b->url) == 0 && g_strcmp0 (a->api_key, b->api_key) == 0
         && g_strcmp0 (a->host, b->host) == 0 && g_strcmp0 (a->serial, b->serial) == 0
         && g_strcmp0 (a->access_code, b->access_code) == 0 && a->port == b->port
         && g_strcmp0 (a->tls_ca_file, b->tls_ca_file) == 0 && a->tls_verify == b->tls_verify
         && a->camera == b->camera && a->camera_port == b->camera_port
         && g_strcmp0 (a->topic, b->topic) == 0 && g_strcmp0 (a->group, b->group) == 0
         && g_strcmp0 (a->client_id, b->client_id) == 0
         && g_strcmp0 (a->tls_cert, b->tls_cert) == 0 && g_strcmp0 (a->tls_key, b->tls_key) == 0
         && a->dedupe_window == b->dedupe_window && a->format == b->format;
}

const char *
ph_source_type_name (ph_source_type type)
{
  switch (type)
    {
    case PH_SOURCE_MOONRAKER:
      return "moonraker";
    case PH_SOURCE_BAMBU:
      return "bambu";
    case PH_SOURCE_MQTT:
      return "mqtt";
    case PH_SOURCE_OCTOPRINT:
    default:
      return "octoprint";
    }
}

/* The value of a source key, or NULL when the group does not set it (or it
 * did not parse, which was reported).  Transfer full. */
static ph_value *
read_key (ph_config_loader *loader, ph_config_file *file, const char *group, const char *key)
{
  if (!g_key_file_has_key (file->keyfile, group, key, NULL))
    return NULL;
  return ph_config_read_value (loader, file, group, key, ph_find_key (ph_source_keys (), key));
}

static void
check_unknown_keys (ph_config_loader *loader, ph_config_file *file, const char *group)
{
  g_auto (GStrv) keys = g_key_file_get_keys (file->keyfile, group, NULL, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (const printhook_config_key *k = ph_source_keys (); k->name != NULL; k++)
    g_ptr_array_add (names, (gpointer) k->name);
  g_ptr_array_add (names, NULL);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *hint;

      if (ph_find_key (ph_source_keys (), keys[i]) != NULL)
        continue;
      hint = ph_suggest (keys[i], (const char *const *) names->pdata);
      ph_config_report (loader, PH_DIAG_ERROR, file, group, keys[i],
                        "unknown key%s%s%s (a source has type, url and api_key, or for "
                        "bambu host, serial, access_code, port, tls_ca_file, tls_verify, camera "
                        "and camera_port, or for mqtt url, topic, group, format, client_id, "
                        "tls_ca_file, tls_verify, tls_cert, tls_key and dedupe_window; "
                        "and enabled; webhook settings belong in a [hook NAME] group)",
                        hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    }
}

static gboolean
check_type (ph_config_loader *loader, ph_config_file *file, const char *group,
            ph_source_config *source)
{
  static const char *const types[] = { "octoprint", "moonraker", "bambu", "mqtt", NULL };
  g_autoptr (ph_value) value = read_key (loader, file, group, "type");
  const char *hint;

  if (value == NULL)
    {
      if (!g_key_file_has_key (file->keyfile, group, "type", NULL))
        ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                          "a source needs a type: type = octoprint, moonraker, bambu or mqtt");
      return FALSE;
    }
  g_strstrip (value->text);
  for (ph_source_type type = PH_SOURCE_OCTOPRINT; type <= PH_SOURCE_MQTT; type++)
    if (g_ascii_strcasecmp (value->text, ph_source_type_name (type)) == 0)
      {
        source->type = type;
        return TRUE;
      }
  hint = ph_suggest (value->text, types);
  ph_config_report (loader, PH_DIAG_ERROR, file, group, "type",
                    "'%s' is not a source type (known: octoprint, moonraker, bambu, mqtt)%s%s%s",
                    value->text, hint ? "; did you mean '" : "", hint ? hint : "",
                    hint ? "'?" : "");
  return FALSE;
}

/* A base URL: http or https, a host, no query or fragment, no userinfo
 * (the API key is the credential).  The trailing '/' is dropped so that
 * paths can be appended. */
static void
check_url (ph_config_loader *loader, ph_config_file *file, const char *group,
           ph_source_config *source)
{
  g_autoptr (ph_value) value = read_key (loader, file, group, "url");
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;
  const char *scheme;
  char *text;

  if (value == NULL)
    {
      if (!g_key_file_has_key (file->keyfile, group, "url", NULL))
        ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                          "a source needs a url: url = http://octopi.local");
      return;
    }
  text = g_strstrip (value->text);
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, &error);
  if (uri == NULL)
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, "url", "'%s' is not a URL: %s",
                        text, error->message);
      return;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url",
                      "'%s' is not an http:// or https:// URL", text);
  else if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url", "'%s' has no host", text);
  else if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url",
                      "'%s': give the base URL only, without '?' or '#'", text);
  else if (g_uri_get_userinfo (uri) != NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url",
                      "the URL must not hold a user or password; the api_key is the credential");
  else
    {
      gsize length = strlen (text);

      while (length > 0 && text[length - 1] == '/')
        length--;
      source->url = g_strndup (text, length);
    }
}

/* The keys of another kind of source are errors, each named: a Bambu
 * printer has no url, a server no serial, a broker no api_key. */
static void
check_foreign_keys (ph_config_loader *loader, ph_config_file *file, const char *group,
                    const ph_source_config *source)
{
  static const char *const http_keys[] = { "url", "api_key", NULL };
  static const char *const bambu_keys[] = { "host", "serial", "access_code", "port",
                                            "tls_ca_file", "tls_verify", "camera",
                                            "camera_port", NULL };
  static const char *const mqtt_keys[] = { "url", "topic", "group", "format", "client_id",
                                           "tls_ca_file", "tls_verify", "tls_cert", "tls_key",
                                           "dedupe_window", NULL };
  const char *const *own = source->type == PH_SOURCE_BAMBU ? bambu_keys
                           : source->type == PH_SOURCE_MQTT ? mqtt_keys
                                                            : http_keys;
  static const char *const *const lists[] = { http_keys, bambu_keys, mqtt_keys };
  static const char *const list_types[] = { "octoprint and moonraker", "bambu", "mqtt" };
  g_autoptr (GHashTable) said = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
    for (guint i = 0; lists[k][i] != NULL; i++)
      {
        const char *key = lists[k][i];
        g_autoptr (GString) owners = g_string_new (NULL);

        if (g_strv_contains (own, key) || g_hash_table_contains (said, key)
            || !g_key_file_has_key (file->keyfile, group, key, NULL))
          continue;
        g_hash_table_add (said, (gpointer) key);
        for (guint o = 0; o < G_N_ELEMENTS (lists); o++)
          if (g_strv_contains (lists[o], key))
            g_string_append_printf (owners, "%s%s", owners->len > 0 ? " and " : "",
                                    list_types[o]);
        if (source->type == PH_SOURCE_BAMBU)
          ph_config_report (loader, PH_DIAG_ERROR, file, group, key,
                            "a bambu source has no %s: it connects to host with serial and "
                            "access_code", key);
        else
          ph_config_report (loader, PH_DIAG_ERROR, file, group, key,
                            "%s is a key of %s sources only", key, owners->str);
      }
}

/* A required text key of a bambu source, trimmed; reported when missing
 * or empty.  Transfer full. */
static char *
required_text (ph_config_loader *loader, ph_config_file *file, const char *group,
               const char *key, const char *example)
{
  g_autoptr (ph_value) value = read_key (loader, file, group, key);

  if (value != NULL && *g_strstrip (value->text) != '\0')
    return g_strdup (value->text);
  if (value != NULL || !g_key_file_has_key (file->keyfile, group, key, NULL))
    ph_config_report (loader, PH_DIAG_ERROR, file, group, value != NULL ? key : NULL,
                      "a bambu source needs %s%s", value != NULL ? "a value for " : "",
                      example);
  return NULL;
}

static void
build_bambu (ph_config_loader *loader, ph_config_file *file, const char *group,
             ph_source_config *source)
{
  g_autoptr (ph_value) port = read_key (loader, file, group, "port");
  g_autoptr (ph_value) ca_file = read_key (loader, file, group, "tls_ca_file");
  g_autoptr (ph_value) verify = read_key (loader, file, group, "tls_verify");
  g_autoptr (ph_value) camera = read_key (loader, file, group, "camera");
  g_autoptr (ph_value) camera_port = read_key (loader, file, group, "camera_port");

  source->host = required_text (loader, file, group, "host", "host (the printer's address)");
  source->serial = required_text (loader, file, group, "serial",
                                  "serial (Settings > Device on the printer's screen)");
  source->access_code = required_text (loader, file, group, "access_code",
                                       "access_code (Settings > Network on the printer's "
                                       "screen, with LAN mode on)");
  if (source->serial != NULL && strpbrk (source->serial, "/+#") != NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "serial",
                      "'%s' cannot be a serial: it is part of MQTT topics, where / + # are "
                      "not allowed", source->serial);
  source->port = port != NULL ? (guint) port->integer : PH_BAMBU_DEFAULT_PORT;
  source->tls_ca_file = g_strdup (ca_file != NULL ? ca_file->text : PH_BAMBU_DEFAULT_CA_FILE);
  source->tls_verify = verify != NULL ? verify->boolean : TRUE;
  source->camera_port = camera_port != NULL ? (guint) camera_port->integer
                                            : PH_BAMBU_DEFAULT_CAMERA_PORT;
  if (camera != NULL)
    {
      static const char *const names[] = { "auto", "jpeg", "rtsp", "none", NULL };
      const char *hint;

      g_strstrip (camera->text);
      for (guint i = 0; names[i] != NULL; i++)
        if (g_ascii_strcasecmp (camera->text, names[i]) == 0)
          {
            source->camera = (ph_bambu_camera) i;
            return;
          }
      hint = ph_suggest (camera->text, names);
      ph_config_report (loader, PH_DIAG_ERROR, file, group, "camera",
                        "'%s' is not a camera (auto, jpeg for a P1 or A1, rtsp for an X1, "
                        "P2S or H2, none)%s%s%s", camera->text,
                        hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    }
}

/* An MQTT subscription filter (MQTT 5 §4.7): '#' alone in the last
 * level, '+' alone in its level, no NUL; "$share/" is the group key's. */
static const char *
filter_problem (const char *filter)
{
  g_auto (GStrv) levels = g_strsplit (filter, "/", -1);

  if (*filter == '\0')
    return "it is empty";
  if (g_str_has_prefix (filter, "$share/"))
    return "give the shared subscription's group in group, not $share/ in topic";
  for (guint i = 0; levels[i] != NULL; i++)
    {
      if (strchr (levels[i], '#') != NULL && (strcmp (levels[i], "#") != 0 || levels[i + 1] != NULL))
        return "'#' must be a whole level, the last one";
      if (strchr (levels[i], '+') != NULL && strcmp (levels[i], "+") != 0)
        return "'+' must be a whole level";
    }
  return NULL;
}

static void
build_mqtt (ph_config_loader *loader, ph_config_file *file, const char *group,
            ph_source_config *source)
{
  g_autoptr (ph_value) url = read_key (loader, file, group, "url");
  g_autoptr (ph_value) topic = read_key (loader, file, group, "topic");
  g_autoptr (ph_value) share = read_key (loader, file, group, "group");
  g_autoptr (ph_value) format = read_key (loader, file, group, "format");
  g_autoptr (ph_value) client_id = read_key (loader, file, group, "client_id");
  g_autoptr (ph_value) ca_file = read_key (loader, file, group, "tls_ca_file");
  g_autoptr (ph_value) verify = read_key (loader, file, group, "tls_verify");
  g_autoptr (ph_value) cert = read_key (loader, file, group, "tls_cert");
  g_autoptr (ph_value) key = read_key (loader, file, group, "tls_key");
  g_autoptr (ph_value) window = read_key (loader, file, group, "dedupe_window");
  g_auto (ph_mqtt_url) parsed = { 0 };
  g_autoptr (GError) error = NULL;
  const char *problem;

  if (url == NULL)
    {
      if (!g_key_file_has_key (file->keyfile, group, "url", NULL))
        ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                          "an mqtt source needs a url: url = mqtt://broker.local");
    }
  else if (!ph_mqtt_url_parse (g_strstrip (url->text), &parsed, &error))
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url", "%s", error->message);
  else
    source->url = g_strdup (url->text);
  if (format != NULL && g_ascii_strcasecmp (g_strstrip (format->text), "octoprint-mqtt") == 0)
    source->format = PH_MQTT_FORMAT_OCTOPRINT;
  else if (format != NULL && g_ascii_strcasecmp (format->text, "event") != 0)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "format",
                      "'%s' is not a format of mqtt sources (event: the envelopes of edge "
                      "printhooks, mqtt.format = event; octoprint-mqtt: the OctoPrint-MQTT "
                      "plugin's topics)", format->text);
  source->topic = g_strdup (topic != NULL ? g_strstrip (topic->text)
                            : source->format == PH_MQTT_FORMAT_OCTOPRINT ? "octoPrint/#"
                                                                         : "printhook/events/#");
  if ((problem = filter_problem (source->topic)) != NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "topic",
                      "'%s' is not a topic filter: %s", source->topic, problem);
  else if (source->format == PH_MQTT_FORMAT_OCTOPRINT && !g_str_has_suffix (source->topic, "/#"))
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "topic",
                      "'%s': with format = octoprint-mqtt, topic is the plugin's base topic "
                      "and /# (octoPrint/#)", source->topic);
  if (share != NULL)
    {
      source->group = g_strdup (g_strstrip (share->text));
      if (*source->group == '\0' || strpbrk (source->group, "/+#") != NULL)
        ph_config_report (loader, PH_DIAG_ERROR, file, group, "group",
                          "'%s' cannot be a group: a name without / + #", source->group);
    }
  if (client_id != NULL && *g_strstrip (client_id->text) != '\0')
    source->client_id = g_strdup (client_id->text);
  source->tls_ca_file = ca_file != NULL ? g_strdup (ca_file->text) : NULL;
  source->tls_verify = verify != NULL ? verify->boolean : TRUE;
  source->tls_cert = cert != NULL ? g_strdup (cert->text) : NULL;
  source->tls_key = key != NULL ? g_strdup (key->text) : NULL;
  if ((source->tls_cert != NULL) != (source->tls_key != NULL))
    ph_config_report (loader, PH_DIAG_ERROR, file, group, source->tls_cert ? "tls_cert" : "tls_key",
                      "tls_cert and tls_key go together");
  else if (source->tls_cert != NULL && source->url != NULL && !parsed.tls)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "tls_cert",
                      "tls_cert is for mqtts:// URLs");
  source->dedupe_window = window != NULL ? (guint) window->integer : 86400;
}

ph_source_config *
ph_config_build_source (ph_config_loader *loader, ph_config_file *file, const char *group,
                        const char *name)
{
  g_autoptr (ph_source_config) source = g_new0 (ph_source_config, 1);
  g_autoptr (ph_value) enabled = NULL;
  g_autoptr (ph_value) api_key = NULL;
  guint errors_before = ph_diag_count (loader->diag, PH_DIAG_ERROR);
  gboolean typed;

  source->name = g_strdup (name);
  source->file = g_strdup (file->path);
  source->line = ph_ini_group_line (file->map, group);
  source->enabled = TRUE;

  check_unknown_keys (loader, file, group);
  typed = check_type (loader, file, group, source);
  enabled = read_key (loader, file, group, "enabled");
  if (enabled != NULL)
    source->enabled = enabled->boolean;
  if (typed)
    check_foreign_keys (loader, file, group, source);
  if (typed && source->type == PH_SOURCE_MQTT)
    {
      build_mqtt (loader, file, group, source);
      if (ph_diag_count (loader->diag, PH_DIAG_ERROR) > errors_before)
        return NULL;
      return g_steal_pointer (&source);
    }
  if (typed && source->type == PH_SOURCE_BAMBU)
    {
      build_bambu (loader, file, group, source);
      if (ph_diag_count (loader->diag, PH_DIAG_ERROR) > errors_before)
        return NULL;
      return g_steal_pointer (&source);
    }
  check_url (loader, file, group, source);
  api_key = read_key (loader, file, group, "api_key");
  if (api_key != NULL)
    source->api_key = g_strdup (g_strstrip (api_key->text));
  /* OctoPrint always needs a key, Moonraker only with [authorization]:
   * say so even when the type is wrong. */
  if ((!typed || source->type == PH_SOURCE_OCTOPRINT)
      && (source->api_key == NULL || *source->api_key == '\0')
      && !(g_key_file_has_key (file->keyfile, group, "api_key", NULL) && api_key == NULL))
    ph_config_report (loader, PH_DIAG_ERROR, file, group,
                      source->api_key != NULL ? "api_key" : NULL,
                      "an OctoPrint source needs an api_key (OctoPrint: Settings > "
                      "Application Keys, or your user's API key)");
  if (ph_diag_count (loader->diag, PH_DIAG_ERROR) > errors_before)
    return NULL;
  return g_steal_pointer (&source);
}
