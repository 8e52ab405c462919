/* A printhook.conf of a test's own (control socket and spool in a fresh
 * directory), events handed to the daemon run on it, and what its spool
 * holds: what the suites that run "printhook run" share. */
#ifndef PH_TEST_DAEMON_SETUP_H
#define PH_TEST_DAEMON_SETUP_H

#include <glib.h>

typedef struct {
  char *dir;
  char *config;
  char *socket;
  char *spool;
} ph_setup;

/* Writes printhook.conf (mode 0600) in s's directory, made on the first
 * call: extra holds more [printhook] keys (may be NULL), hooks the rest. */
void ph_setup_write_config (ph_setup *s, const char *extra, const char *hooks);

/* Hands an event (payload: a JSON object's text, or NULL) to the daemon
 * through its control socket, as printhook emit does, and asserts it made
 * expected deliveries. */
void ph_setup_send_event (const ph_setup *s, const char *event, const char *payload,
                          guint expected);
/* The same as if from [source NAME] (source: transfer none). */
void ph_setup_send_event_from (const ph_setup *s, const char *event, const char *payload,
                               const char *source, guint expected);

/* How many deliveries the spool holds (where: an SQL condition on the
 * deliveries table, or NULL), and waiting, at most timeout_s (times the
 * slowness), until it holds expected. */
guint ph_setup_count (const ph_setup *s, const char *where);
void ph_setup_wait_count (const ph_setup *s, const char *where, guint expected, guint timeout_s);

void ph_setup_clear (ph_setup *s);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ph_setup, ph_setup_clear)

#endif
