/* What printhook reads from MQTT: an mqtt:// URL from the configuration
 * (lib/mqtt/mqtt_url.c), and a message a broker hands to printhook listen
 * --mqtt (core/cli/listen_mqtt.c: topic, payload, user properties, the
 * signature checks).  The input is the URL and the message, split at the
 * first NUL byte; the message's first line is its topic, the rest its
 * payload, which also gives the signature's user properties. */
#include "autoconfig.h"

#include <string.h>

#include <mqtt_protocol.h>

#include "fuzz.h"
#include "cli/listen_mqtt.h"
#include "cli/signature_verify.h"
#include "mqtt/mqtt_url.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static const char *const url_errors[] = {
  "not a URL: mqtt:// or mqtts://, then the broker's host, with an optional :PORT after it "
  "and USER:PASSWORD and an at sign before it",
  "the scheme must be mqtt:// or mqtts://",
  "the URL names no host",
  "an MQTT URL has no path, query or fragment: the topic is mqtt.topic",
  "port 0 is not a port",
  NULL
};

static void
check_url (const char *text)
{
  g_auto (ph_mqtt_url) url = { 0 };
  g_autoptr (GError) error = NULL;

  if (ph_mqtt_url_parse (text, &url, &error))
    {
      if (url.host == NULL || *url.host == '\0' || url.port == 0)
        PH_FUZZ_FAIL ("'%s' parsed without a host or port", text);
      return;
    }
  /* The URL may hold a password: an error is one of the parser's fixed
   * sentences, never with a part of the URL in it. */
  if (error == NULL || !g_strv_contains (url_errors, error->message))
    PH_FUZZ_FAIL ("the error for '%s' is not one of the fixed ones: %s", text,
                  error ? error->message : "none");
}

static void
check_printed (const GString *out)
{
  if (!g_utf8_validate (out->str, out->len, NULL))
    PH_FUZZ_FAIL ("listen --mqtt would print bytes that are not UTF-8");
  for (const char *p = out->str; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || (c >= 0x7f && c < 0xa0))
        PH_FUZZ_FAIL ("listen --mqtt would print the control character U+%04X", c);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *url = NULL;
  g_autofree char *rest = NULL;
  g_autoptr (GBytes) key = ph_signature_decode_secret (SECRET, NULL);
  g_autoptr (GString) out = g_string_new (NULL);
  mosquitto_property *props = NULL;
  struct mosquitto_message message = { 0 };
  ph_listen_mqtt_options o = { "mqtt://127.0.0.1", NULL, NULL, key, "text secret", 0, FALSE };
  const char *newline;
  g_autofree char *topic = NULL;
  const char *payload;

  ph_fuzz_split (data, size, &url, &rest);
  if (url != NULL)
    check_url (url);
  newline = strchr (rest, '\n');
  topic = newline != NULL ? g_strndup (rest, newline - rest) : g_strdup (rest);
  payload = newline != NULL ? newline + 1 : "";
  /* A broker hands over a topic that is valid UTF-8 (libmosquitto checks
   * it); anything may be in the payload and the properties' values. */
  if (!g_utf8_validate (topic, -1, NULL))
    return 0;
  message.topic = topic;
  message.payload = (void *) payload;
  message.payloadlen = (int) strlen (payload);
  message.qos = (int) (size % 3);
  message.retain = size % 2 == 0;
  mosquitto_property_add_string_pair (&props, MQTT_PROP_USER_PROPERTY, "webhook-id", topic);
  mosquitto_property_add_string_pair (&props, MQTT_PROP_USER_PROPERTY, "webhook-timestamp",
                                      "1700000000");
  if (g_utf8_validate (payload, -1, NULL))
    {
      mosquitto_property_add_string_pair (&props, MQTT_PROP_USER_PROPERTY, "webhook-signature",
                                          payload);
      mosquitto_property_add_string_pair (&props, MQTT_PROP_USER_PROPERTY,
                                          "X-Hub-Signature-256", payload);
      mosquitto_property_add_string (&props, MQTT_PROP_CONTENT_TYPE, payload);
    }
  ph_listen_mqtt_format (out, &o, 1, "mqtt://127.0.0.1:1883", &message, props);
  check_printed (out);
  mosquitto_property_free_all (&props);
  return 0;
}
