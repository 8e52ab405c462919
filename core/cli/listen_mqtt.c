#include "autoconfig.h"
#include "listen_mqtt.h"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mqtt_protocol.h>

#include "cli.h"
#include "listen_format.h"
#include "mqtt/mqtt_link.h"
#include "mqtt/mqtt_url.h"
#include "signature_verify.h"

typedef struct {
  const ph_listen_mqtt_options *options;
  GMainLoop *loop;
  ph_mqtt_link *link;
  guint printed;
  int status;
} mqtt_listener;

/* The value of user property name, or NULL.  Transfer none. */
static const char *
user_property (GPtrArray *pairs, const char *name)
{
  for (guint i = 0; i + 1 < pairs->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (pairs, i), name) == 0)
      return g_ptr_array_index (pairs, i + 1);
  return NULL;
}

static void
append_signature_checks (const ph_listen_mqtt_options *o, GString *out, GPtrArray *pairs,
                         const struct mosquitto_message *message)
{
  g_autoptr (GError) error = NULL;
  const guint8 *body = message->payload != NULL ? message->payload : (const guint8 *) "";

  if (o->standard_key != NULL)
    {
      if (user_property (pairs, "webhook-signature") == NULL)
        g_string_append (out, "  signature: none (no webhook-signature user property)\n");
      else if (ph_signature_verify_standard (o->standard_key, user_property (pairs, "webhook-id"),
                                             user_property (pairs, "webhook-timestamp"),
                                             user_property (pairs, "webhook-signature"), body,
                                             (gsize) message->payloadlen,
                                             g_get_real_time () / G_USEC_PER_SEC, &error))
        g_string_append (out, "  signature: valid (standard webhooks)\n");
      else
        g_string_append_printf (out, "  signature: INVALID (standard webhooks: %s)\n",
                                error->message);
      g_clear_error (&error);
    }
  if (o->github_secret != NULL)
    {
      const char *header = user_property (pairs, "X-Hub-Signature-256");

      if (header == NULL)
        g_string_append (out, "  signature: none (no X-Hub-Signature-256 user property)\n");
      else if (ph_signature_verify_github (o->github_secret, header, body,
                                           (gsize) message->payloadlen, &error))
        g_string_append (out, "  signature: valid (github)\n");
      else
        g_string_append_printf (out, "  signature: INVALID (github: %s)\n", error->message);
    }
}

/* MQTT allows any text in a property; a header line does not.  Line breaks
 * in a value are shown as \r and \n, a name's spaces, tabs, line breaks
 * and colons as '_'; the formatter escapes the rest.  Transfer full. */
static char *
header_value (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\r' || *p == '\n')
      g_string_append (out, *p == '\r' ? "\\r" : "\\n");
    else
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

static char *
header_name (const char *name)
{
  char *out = g_strdup (*name != '\0' ? name : "(empty)");

  for (char *p = out; *p != '\0'; p++)
    if (strchr (" \t\r\n:", *p) != NULL)
      *p = '_';
  return out;
}

void
ph_listen_mqtt_format (GString *out, const ph_listen_mqtt_options *o, guint number,
                       const char *broker, const struct mosquitto_message *message,
                       const mosquitto_property *props)
{
  g_autoptr (GPtrArray) pairs = g_ptr_array_new_with_free_func (free);
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (SoupMessageHeaders) shown = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GBytes) body = g_bytes_new (message->payload, (gsize) message->payloadlen);
  g_autofree char *qos = g_strdup_printf ("%d", message->qos);
  ph_listen_request request = { number, "PUBLISH", message->topic, NULL, broker, now, shown,
                                (guint64) message->payloadlen };
  char *content_type = NULL;

  for (const mosquitto_property *p = props; p != NULL; p = mosquitto_property_next (p))
    if (mosquitto_property_identifier (p) == MQTT_PROP_USER_PROPERTY)
      {
        char *name = NULL, *value = NULL;

        if (mosquitto_property_read_string_pair (p, MQTT_PROP_USER_PROPERTY, &name, &value,
                                                 false) != NULL)
          {
            g_ptr_array_add (pairs, name);
            g_ptr_array_add (pairs, value);
          }
      }
  mosquitto_property_read_string (props, MQTT_PROP_CONTENT_TYPE, &content_type, false);
  {
    g_autofree char *type = header_value (content_type != NULL ? content_type
                                                               : "application/json");

    soup_message_headers_append (headers, "Content-Type", type);
    free (content_type);
  }
  /* The message's flags first, as if they were headers; every byte from
   * the broker goes through the listen formatter's escaping. */
  soup_message_headers_append (shown, "QoS", qos);
  soup_message_headers_append (shown, "Retain", message->retain ? "yes" : "no");
  for (guint i = 0; i + 1 < pairs->len; i += 2)
    {
      g_autofree char *name = header_name (g_ptr_array_index (pairs, i));
      g_autofree char *value = header_value (g_ptr_array_index (pairs, i + 1));

      soup_message_headers_append (shown, name, value);
    }
  ph_listen_format_head (out, &request);
  append_signature_checks (o, out, pairs, message);
  if (!o->quiet_body)
    ph_listen_format_body (out, headers, body, (guint64) message->payloadlen);
  g_string_append_c (out, '\n');
}

static void
on_message (ph_mqtt_link *link, const struct mosquitto_message *message,
            const mosquitto_property *props, gpointer user_data)
{
  mqtt_listener *l = user_data;
  g_autoptr (GString) out = g_string_new (NULL);

  ph_listen_mqtt_format (out, l->options, ++l->printed, ph_mqtt_link_name (link), message, props);
  fputs (out->str, stdout);
  fflush (stdout);
  if (l->options->count > 0 && l->printed >= (guint) l->options->count)
    g_main_loop_quit (l->loop);
}

static void
on_connected (ph_mqtt_link *link, gboolean session_present, gpointer user_data)
{
  mqtt_listener *l = user_data;
  const char *const fallback[] = { "printhook/#", NULL };
  const char *const *topics = l->options->topics != NULL && l->options->topics[0] != NULL
                                  ? l->options->topics : fallback;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; topics[i] != NULL; i++)
    if (!ph_mqtt_link_subscribe (link, topics[i], 1, &error))
      {
        fprintf (stderr, "printhook listen: %s\n", error->message);
        l->status = PH_EXIT_FAILURE;
        g_main_loop_quit (l->loop);
        return;
      }
  {
    g_autofree char *list = g_strjoinv (", ", (char **) topics);

    fprintf (stderr, "Subscribed to %s on %s (Ctrl-C to stop)\n", list, ph_mqtt_link_name (link));
  }
}

static void
on_down (ph_mqtt_link *link, const char *why, gboolean refused, gpointer user_data)
{
  mqtt_listener *l = user_data;

  fprintf (stderr, "printhook listen: %s\n", why);
  /* Wrong credentials will not get better: stop, unlike a broker that is
   * restarting, which the link reconnects to. */
  if (refused)
    {
      l->status = PH_EXIT_FAILURE;
      g_main_loop_quit (l->loop);
    }
}

static const ph_mqtt_link_callbacks callbacks = {
  .connected = on_connected,
  .down = on_down,
  .message = on_message,
};

static gboolean
on_stop_signal (gpointer user_data)
{
  mqtt_listener *l = user_data;

  g_main_loop_quit (l->loop);
  return G_SOURCE_CONTINUE;
}

int
ph_listen_mqtt (const ph_listen_mqtt_options *o)
{
  g_auto (ph_mqtt_url) url = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *client_id = g_strdup_printf ("printhook-listen-%s-%d", g_get_host_name (),
                                                (int) getpid ());
  ph_mqtt_link_options lo = { 0 };
  mqtt_listener l = { o, loop, NULL, 0, PH_EXIT_OK };
  guint sigint_id, sigterm_id;

  if (!ph_mqtt_url_parse (o->url, &url, &error))
    {
      fprintf (stderr, "printhook listen: --mqtt: %s\n", error->message);
      return PH_EXIT_USAGE;
    }
  for (guint i = 0; o->topics != NULL && o->topics[i] != NULL; i++)
    if (mosquitto_sub_topic_check (o->topics[i]) != MOSQ_ERR_SUCCESS)
      {
        fprintf (stderr, "printhook listen: --topic '%s' is not a topic filter\n", o->topics[i]);
        return PH_EXIT_USAGE;
      }
  lo.host = url.host;
  lo.port = url.port;
  lo.tls = url.tls;
  lo.username = url.username;
  lo.password = url.password;
  lo.client_id = client_id;
  lo.protocol = 5;
  lo.keepalive_s = 60;
  lo.connect_timeout_s = 10;
  lo.clean_session = TRUE;
  lo.ca_file = o->ca_file;
  lo.tls_verify = TRUE;
  l.link = ph_mqtt_link_new (&lo, &callbacks, &l);
  sigint_id = g_unix_signal_add (SIGINT, on_stop_signal, &l);
  sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal, &l);
  ph_mqtt_link_start (l.link);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  ph_mqtt_link_stop (l.link, NULL, NULL, 500);
  ph_mqtt_link_free (l.link);
  return l.status;
}
