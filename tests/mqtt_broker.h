/* A real MQTT broker (mosquitto, /usr/sbin/mosquitto) for a test of the
 * MQTT output: its own config, port, log and persistence in a fresh
 * temporary directory, killed and restarted at will, and mosquitto_pub to
 * publish to it as Home Assistant would.  Every process these fixtures
 * start is stopped by its pid, also when a test fails. */
#ifndef PH_TEST_MQTT_BROKER_H
#define PH_TEST_MQTT_BROKER_H

#include <glib.h>

/* The one user of a PH_BROKER_PASSWORD broker. */
#define PH_BROKER_USER "printer"
#define PH_BROKER_PASSWORD_TEXT "s3cret"

typedef enum {
  PH_BROKER_ANONYMOUS = 0,
  PH_BROKER_PASSWORD = 1 << 0,   /* no anonymous clients; PH_BROKER_USER only */
  PH_BROKER_TLS = 1 << 1,        /* the listener speaks TLS only (mqtts) */
  PH_BROKER_PERSISTENT = 1 << 2, /* sessions and retained messages outlive a restart */
  PH_BROKER_CLIENT_CERT = 1 << 3, /* with TLS: a client certificate the CA signed is required */
  /* A Bambu Lab printer's broker: TLS with a certificate whose CN is
   * PH_BAMBU_SERIAL (and 127.0.0.1 only as an IP address, for the test's
   * own clients), and user bblp with PH_BAMBU_ACCESS_CODE beside
   * PH_BROKER_USER.  Implies PH_BROKER_TLS and PH_BROKER_PASSWORD. */
  PH_BROKER_BAMBU = 1 << 4
} ph_broker_flags;

#define PH_BAMBU_SERIAL "01P00A391800123"
#define PH_BAMBU_ACCESS_CODE "27183141"

typedef struct ph_broker ph_broker;

/* Starts mosquitto on a free port of 127.0.0.1 and waits (10 s, times
 * ph_test_slowness) until it accepts connections; fails the test
 * with the broker's log otherwise.  Transfer full. */
ph_broker *ph_broker_start (ph_broker_flags flags);

/* The same with extra_config (may be NULL) appended to its mosquitto.conf,
 * e.g. "acl_file /path\n".  Transfer full. */
ph_broker *ph_broker_start_with (ph_broker_flags flags, const char *extra_config);

guint16 ph_broker_port (ph_broker *b);

/* The flags it was started with. */
ph_broker_flags ph_broker_get_flags (ph_broker *b);

/* "mqtt://127.0.0.1:PORT", or "mqtts://..." with TLS; no credentials.
 * Transfer full. */
char *ph_broker_url (ph_broker *b);

/* The PEM certificate of the CA that signed the broker's certificate (for
 * 127.0.0.1 and localhost); NULL without TLS.  Transfer none. */
const char *ph_broker_ca_file (ph_broker *b);

/* With PH_BROKER_CLIENT_CERT: a client certificate and its key (PEM) that
 * the broker accepts, signed by the same CA; NULL otherwise.  Transfer
 * none. */
const char *ph_broker_client_cert (ph_broker *b);
const char *ph_broker_client_key (ph_broker *b);

/* Its temporary directory: mosquitto.conf, mosquitto.log, mosquitto.db
 * (persistent), the certificates.  Transfer none. */
const char *ph_broker_dir (ph_broker *b);

/* Everything it logged (log_type all), over all its runs.  Transfer full. */
char *ph_broker_log (ph_broker *b);

/* SIGKILL, as a crash or a power cut: nothing is saved beyond the last
 * autosave (every second or two with PH_BROKER_PERSISTENT).  Waits for the
 * exit. */
void ph_broker_kill (ph_broker *b);

/* With PH_BROKER_PERSISTENT: waits until everything the broker holds now
 * (sessions, subscriptions, queued and retained messages) is on disk, so
 * that it survives ph_broker_kill. */
void ph_broker_save (ph_broker *b);
/* Returns once the broker has read and logged every PUBLISH its clients
 * sent: stop the publishers first (SIGSTOP), then this, then save. */
void ph_broker_wait_settled (ph_broker *b);

/* Starts it again on the same port with the same config and persistence
 * (stopping it cleanly first when it still runs) and waits until it
 * accepts connections. */
void ph_broker_restart (ph_broker *b);

/* SIGTERM (then SIGKILL after 5 s), waits for the exit, frees b.  NULL is
 * allowed. */
void ph_broker_stop (ph_broker *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_broker, ph_broker_stop)

/* Runs mosquitto_pub against b: its host, port and CA, then args
 * (NULL-terminated, may be NULL: "-t", "topic", "-m", "text", ...), with
 * PH_BROKER_USER's credentials first when with_password and b has
 * PH_BROKER_PASSWORD.  Returns its exit status (mosquitto 2.0.11: 5 for
 * a refused MQTT 3.1.1 connection, 135 for MQTT 5); what it wrote goes to
 * *output when not NULL (transfer full).  Fails the test if it has not
 * exited after 10 s. */
int ph_mqtt_pub_run (ph_broker *b, gboolean with_password, const char *const *args,
                     char **output);

/* Publishes payload (NULL: an empty message, which with retain clears the
 * retained one) on topic at QoS 1 with the broker's credentials, as Home
 * Assistant publishes "online" on homeassistant/status; fails the test
 * unless mosquitto_pub exits 0. */
void ph_mqtt_publish (ph_broker *b, const char *topic, const char *payload, gboolean retain);

/* The child processes of these fixtures, shared with
 * tests/mqtt_subscriber.c.  A child is started with argv (argv[0] a full
 * path, not searched) and its stdout and stderr on out_fd (-1: the
 * test's own), is never reaped by GLib, and is SIGKILLed when the process
 * that started it exits (under CK_FORK=no, as in make check-valgrind, a
 * failed assertion skips the test's cleanup and the suite goes on) or
 * dies (on Linux, by the kernel: a failed or timed-out forked test ends
 * with _exit or SIGKILL, and Check kills its process group too).  Fails
 * the test when it cannot start. */
GPid ph_mqtt_child_spawn (const char *const *argv, int out_fd);

/* Whether the child has exited, reaping it (without forgetting it) if so;
 * its wait status to *wait_status when not NULL. */
gboolean ph_mqtt_child_exited (GPid pid, int *wait_status);

/* Sends sig unless the child has exited, waits up to grace_ms for the exit,
 * then SIGKILLs it and waits.  Forgets the child; returns its wait
 * status. */
int ph_mqtt_child_end (GPid pid, int sig, guint grace_ms);

/* The end of text (from a line's start) in at most max bytes, for a
 * failure message: Check's are at most 4 kB, and a longer one kills the
 * test with "Message string too long", the message lost.  PH_MQTT_SHOWN is
 * what one message may quote in all.  Transfer none: points into text. */
#define PH_MQTT_SHOWN 3000
const char *ph_mqtt_tail (const char *text, gsize max);

#endif
