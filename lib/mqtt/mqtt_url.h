/* mqtt://[USER[:PASSWORD]@]HOST[:PORT] and mqtts://..., read with GUri
 * (user and password percent-decoded, IPv6 literals in brackets). */
#ifndef PH_MQTT_URL_H
#define PH_MQTT_URL_H

#include <glib.h>

typedef struct {
  gboolean tls;        /* mqtts */
  char *host;          /* without brackets */
  guint16 port;        /* 1883 or 8883 when the URL has none */
  char *username;      /* NULL when the URL has none */
  char *password;      /* NULL when the URL has none */
} ph_mqtt_url;

/* Fills url (its strings transfer full: ph_mqtt_url_clear) or returns
 * FALSE with error saying what is wrong ("a path is not allowed", "the
 * scheme must be mqtt or mqtts").  text: transfer none. */
gboolean ph_mqtt_url_parse (const char *text, ph_mqtt_url *url, GError **error);

void ph_mqtt_url_clear (ph_mqtt_url *url);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ph_mqtt_url, ph_mqtt_url_clear)

#endif
