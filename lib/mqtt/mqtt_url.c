#include "mqtt_url.h"

#include <string.h>

/* The URL itself is never repeated: it may hold a password. */
static gboolean
fail (GError **error, const char *why)
{
  g_set_error (error, G_URI_ERROR, G_URI_ERROR_FAILED, "%s", why);
  return FALSE;
}

gboolean
ph_mqtt_url_parse (const char *text, ph_mqtt_url *url, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme, *host, *path;
  int port;

  memset (url, 0, sizeof *url);
  uri = g_uri_parse (text, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH, NULL);
  if (uri == NULL)
    return fail (error, "not a URL: mqtt:// or mqtts://, then the broker's host, with an "
                        "optional :PORT after it and USER:PASSWORD and an at sign before it");
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "mqtt") != 0 && g_ascii_strcasecmp (scheme, "mqtts") != 0)
    return fail (error, "the scheme must be mqtt:// or mqtts://");
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    return fail (error, "the URL names no host");
  path = g_uri_get_path (uri);
  if ((path != NULL && *path != '\0' && strcmp (path, "/") != 0) || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL)
    return fail (error, "an MQTT URL has no path, query or fragment: the topic is "
                              "mqtt.topic");
  port = g_uri_get_port (uri);
  if (port == 0)
    return fail (error, "port 0 is not a port");
  url->tls = g_ascii_strcasecmp (scheme, "mqtts") == 0;
  url->port = port > 0 ? (guint16) port : (url->tls ? 8883 : 1883);
  url->host = g_strdup (host);
  url->username = g_strdup (g_uri_get_user (uri));
  url->password = g_strdup (g_uri_get_password (uri));
  if (url->username != NULL && *url->username == '\0')
    g_clear_pointer (&url->username, g_free);
  return TRUE;
}

void
ph_mqtt_url_clear (ph_mqtt_url *url)
{
  g_clear_pointer (&url->host, g_free);
  g_clear_pointer (&url->username, g_free);
  if (url->password != NULL)
    memset (url->password, 0, strlen (url->password));
  g_clear_pointer (&url->password, g_free);
}
