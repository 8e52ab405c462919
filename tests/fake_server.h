/* A fake printer server of the daemon's tests (tests/servers/fake_*.py,
 * tornado, as OctoPrint and Moonraker themselves): started on a free port
 * of 127.0.0.1 playing a scenario, and read back through the records of
 * what clients did to it. */
#ifndef PH_TEST_FAKE_SERVER_H
#define PH_TEST_FAKE_SERVER_H

#include <glib.h>
#include <json-c/json.h>

typedef struct ph_fake_server ph_fake_server;

/* Starts tests/servers/NAME (name: "fake_octoprint.py") playing scenario
 * with extra arguments (NULL-terminated, may be NULL); under valgrind with
 * "--step-ms 400", so that deliveries of steps in a row still arrive in
 * order.  Waits up to 10 s for it to listen.  Transfer full. */
ph_fake_server *ph_fake_server_start (const char *name, const char *scenario,
                                      const char *const *extra_args);

/* "http://127.0.0.1:PORT".  Transfer full. */
char *ph_fake_server_url (ph_fake_server *f);

/* Everything recorded so far, as a json-c array of objects (transfer full). */
json_object *ph_fake_server_records (ph_fake_server *f);

/* The records of one kind ("ws_open", "done", ...).  Transfer full. */
json_object *ph_fake_server_records_of (ph_fake_server *f, const char *kind);

/* Waits until at least n records of kind exist, iterating the
 * thread-default main context; fails the test after timeout_ms. */
void ph_fake_server_wait (ph_fake_server *f, const char *kind, guint n, guint timeout_ms);

/* Sends it sig: SIGSTOP makes a server that keeps its connections open
 * but answers nothing, not even a websocket ping; SIGCONT wakes it. */
void ph_fake_server_signal (ph_fake_server *f, int sig);

/* Stops it (SIGTERM, then SIGKILL) and frees f.  NULL is allowed. */
void ph_fake_server_stop (ph_fake_server *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_fake_server, ph_fake_server_stop)

#endif
