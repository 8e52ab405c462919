/* `printhook listen --mqtt URL`: subscribes on a broker and prints every
 * message that arrives, as `listen` prints requests: the topic, QoS and
 * retain flag, the MQTT 5 user properties (webhook-id, ...), the signature
 * checked, and the payload pretty-printed. */
#ifndef PH_LISTEN_MQTT_H
#define PH_LISTEN_MQTT_H

#include <glib.h>

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

/* Runs until Ctrl-C, SIGTERM or count messages.  Returns the exit status:
 * 0, 1 when the URL is wrong or the broker refuses us. */
int ph_listen_mqtt (const ph_listen_mqtt_options *options);

#endif
