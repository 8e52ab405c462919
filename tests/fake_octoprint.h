/* The fake OctoPrint of the daemon's tests: runs tests/servers/
 * fake_octoprint.py (tornado, as OctoPrint itself) and reads back what
 * clients did to it. */
#ifndef PH_TEST_FAKE_OCTOPRINT_H
#define PH_TEST_FAKE_OCTOPRINT_H

#include <glib.h>
#include <json-c/json.h>

typedef struct ph_fake_octoprint ph_fake_octoprint;

/* The API key the fake accepts unless --api-key says otherwise. */
#define PH_FAKE_OCTOPRINT_KEY "GOODKEY0123456789"

/* Starts the fake playing scenario (print, cancel, busy, restart, reauth,
 * idle) with extra arguments (NULL-terminated, may be NULL); waits up to
 * 10 s for it to listen.  Transfer full. */
ph_fake_octoprint *ph_fake_octoprint_start (const char *scenario, const char *const *extra_args);

/* "http://127.0.0.1:PORT".  Transfer full. */
char *ph_fake_octoprint_url (ph_fake_octoprint *f);

/* Everything recorded so far, as a json-c array of objects (transfer full). */
json_object *ph_fake_octoprint_records (ph_fake_octoprint *f);

/* The records of one kind ("login", "ws_open", "ws_message", "rest",
 * "sent", "restart", "done").  Transfer full. */
json_object *ph_fake_octoprint_records_of (ph_fake_octoprint *f, const char *kind);

/* Waits until at least n records of kind exist, iterating the
 * thread-default main context; fails the test after timeout_ms. */
void ph_fake_octoprint_wait (ph_fake_octoprint *f, const char *kind, guint n, guint timeout_ms);

/* Stops it (SIGTERM, then SIGKILL) and frees f.  NULL is allowed. */
void ph_fake_octoprint_stop (ph_fake_octoprint *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_fake_octoprint, ph_fake_octoprint_stop)

#endif
