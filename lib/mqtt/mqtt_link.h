/* One MQTT client connection driven by the GLib main loop through its
 * socket (libmosquitto's mosquitto_socket / loop_read / loop_write /
 * loop_misc; no thread), with reconnection after a back-off.
 *
 * Shared by the mqtt module and, later, the daemon's MQTT sources and
 * "printhook listen --mqtt", so it includes nothing of core/ nor of the
 * module ABI: GLib and libmosquitto only.
 *
 * Every connection attempt gets a fresh libmosquitto client: messages a
 * broker did not acknowledge before a disconnect are the caller's to send
 * again (the spool does it), never libmosquitto's, so nothing is sent
 * twice behind the caller's back and nothing is silently kept.
 *
 * Everything runs on the thread-default main context of the thread that
 * called ph_mqtt_link_new. */
#ifndef PH_MQTT_LINK_H
#define PH_MQTT_LINK_H

#include <gio/gio.h>   /* G_IO_ERROR: the codes of its GErrors */
#include <mosquitto.h>

typedef struct ph_mqtt_link ph_mqtt_link;

/* What a link connects to and as whom.  Strings: transfer none, copied by
 * ph_mqtt_link_new; NULL where optional. */
typedef struct {
  const char *host;
  guint16 port;
  gboolean tls;
  const char *username;
  const char *password;
  const char *client_id;         /* required */
  int protocol;                  /* 4 (3.1.1) or 5 */
  guint keepalive_s;             /* 5..65535 */
  double connect_timeout_s;      /* TCP + TLS + CONNACK; <= 0: 10 s */
  gboolean clean_session;        /* FALSE: a persistent session (subscribers) */
  const char *ca_file;           /* TLS: the CAs; NULL: the system's */
  gboolean tls_verify;           /* FALSE: no certificate nor host name check */
  const char *tls_name;          /* the name the certificate must hold instead of host
                                    (a Bambu Lab printer's serial); NULL: host */
  const char *cert_file;         /* TLS client certificate (PEM), with key_file */
  const char *key_file;
  const char *will_topic;        /* the last will, retained QoS 1; NULL: none */
  const char *will_payload;
} ph_mqtt_link_options;

/* What a link tells its owner, on the main loop.  Every member may be
 * NULL.  link: transfer none.  Strings: transfer none, valid during the
 * call.  A callback may publish or subscribe, but must not free the link
 * (use ph_mqtt_link_free from an idle callback or later). */
typedef struct {
  /* CONNACK said yes.  session_present: the broker kept our session. */
  void (*connected) (ph_mqtt_link *link, gboolean session_present, gpointer user_data);
  /* The link is down: a connection attempt failed or refused, or an
   * established connection was lost.  why says it in words ("connection
   * refused", "not authorized", "no CONNACK within 5 s").  refused: the
   * broker itself said no to our credentials or client id.  A new
   * attempt follows after the back-off. */
  void (*down) (ph_mqtt_link *link, const char *why, gboolean refused, gpointer user_data);
  /* The broker acknowledged message mid (PUBACK, PUBCOMP), or, for QoS 0,
   * it was written.  reason: the MQTT 5 reason code (0 with 3.1.1). */
  void (*published) (ph_mqtt_link *link, int mid, int reason, gpointer user_data);
  /* A message arrived on a subscription.  props: MQTT 5 properties or NULL. */
  void (*message) (ph_mqtt_link *link, const struct mosquitto_message *message,
                   const mosquitto_property *props, gpointer user_data);
} ph_mqtt_link_callbacks;

/* Calls mosquitto_lib_init once per process (thread-safe). */
void ph_mqtt_lib_init (void);

/* A link, not yet connecting.  options and callbacks: transfer none (the
 * callback table is used in place: keep it alive, a static const is
 * usual).  Returns transfer full. */
ph_mqtt_link *ph_mqtt_link_new (const ph_mqtt_link_options *options,
                                const ph_mqtt_link_callbacks *callbacks, gpointer user_data);

/* Starts connecting, unless it already is or is connected; a link waiting
 * out its back-off tries at once. */
void ph_mqtt_link_start (ph_mqtt_link *link);

gboolean ph_mqtt_link_is_connected (const ph_mqtt_link *link);

/* TRUE while an attempt is under way (TCP, TLS or waiting for CONNACK). */
gboolean ph_mqtt_link_is_connecting (const ph_mqtt_link *link);

/* Why the link is not connected, in words, or NULL.  Transfer none. */
const char *ph_mqtt_link_last_error (const ph_mqtt_link *link);

/* The name (CN) the broker's certificate holds when the last attempt
 * refused it for not naming tls_name, else NULL: for advice such as "set
 * serial = ...".  Transfer none, valid until the next attempt (so in the
 * down callback). */
const char *ph_mqtt_link_refused_name (const ph_mqtt_link *link);

/* "mqtt://host:port" or "mqtts://host:port", for messages.  Transfer none. */
const char *ph_mqtt_link_name (const ph_mqtt_link *link);

/* Publishes on a connected link.  payload: transfer none (copied).
 * props: MQTT 5 properties, transfer none, ignored with 3.1.1.  *mid
 * receives the message id "published" will report.  FALSE with error
 * set when the link is down or libmosquitto refused the message (a bad
 * topic, too big). */
gboolean ph_mqtt_link_publish (ph_mqtt_link *link, const char *topic, const void *payload,
                               gsize size, int qos, gboolean retain,
                               const mosquitto_property *props, int *mid, GError **error);

/* Subscribes on a connected link; FALSE with error set otherwise. */
gboolean ph_mqtt_link_subscribe (ph_mqtt_link *link, const char *filter, int qos,
                                 GError **error);

/* Says goodbye: publishes final (retained QoS 1, when final_topic is not
 * NULL) and disconnects cleanly, spending at most timeout_ms on the loop's
 * behalf to write it out (so a clean stop replaces the last will).  The
 * link stays down afterwards until ph_mqtt_link_start. */
void ph_mqtt_link_stop (ph_mqtt_link *link, const char *final_topic, const char *final_payload,
                        guint timeout_ms);

/* Stops without goodbye and frees.  NULL is allowed. */
void ph_mqtt_link_free (ph_mqtt_link *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_mqtt_link, ph_mqtt_link_free)

#endif
