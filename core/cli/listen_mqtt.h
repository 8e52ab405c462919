/* `printhook listen --mqtt URL`: subscribes on a broker and prints every
 * message that arrives, as `listen` prints requests: the topic, QoS and
 * retain flag, the MQTT 5 user properties (webhook-id, ...), the signature
 * checked, and the payload pretty-printed. */
#ifndef PH_LISTEN_MQTT_H
#define PH_LISTEN_MQTT_H

#include <glib.h>
#include <mosquitto.h>

/* Everything transfer none. */
typedef struct {
  const char *url;                 /* mqtt:// or mqtts:// */
  const char *const *topics;       /* filters, NULL-terminated; none: printhook/# */
  const char *ca_file;             /* for mqtts, NULL: the system's CAs */
  GBytes *standard_key;            /* decoded --secret, or NULL */
  const char *github_secret;       /* or NULL */
  int count;                       /* exit after this many messages; 0: never */
  gboolean quiet_body;
} ph_listen_mqtt_options;

/* Appends the printed form of one message (number: 1 for the first;
 * broker: "mqtt://host:port") to out: "#N PUBLISH TOPIC  (from BROKER, N
 * bytes)  TIME", its QoS, retain flag and user properties as header lines,
 * the signature checks of o, the payload as listen prints bodies.  Every
 * byte that came from the broker is escaped.  All transfer none. */
void ph_listen_mqtt_format (GString *out, const ph_listen_mqtt_options *o, guint number,
                            const char *broker, const struct mosquitto_message *message,
                            const mosquitto_property *props);

/* Runs until Ctrl-C, SIGTERM or count messages.  Returns the exit status:
 * 0; 1 when the broker refuses us; 2 for a wrong --mqtt URL or --topic. */
int ph_listen_mqtt (const ph_listen_mqtt_options *options);

#endif
