/* What the console's suites share (test-console, test-console-edit): a
 * daemon with its console on a free port, its token, and a libcurl
 * client that asserts on the answers.  Strings returned are transfer full
 * unless said; json_object results of member helpers are transfer none. */
#ifndef PH_TEST_CONSOLE_FIXTURE_H
#define PH_TEST_CONSOLE_FIXTURE_H

#include <glib.h>
#include <json-c/json.h>

#include "console_client.h"
#include "daemon_process.h"
#include "harness.h"
#include "receiver.h"

#define LISTENING "console: listening on http://127.0.0.1:"
#define ANY_PORT "listen = 127.0.0.1:0\n"

/* A daemon with its console, and what a client needs to reach it. */
typedef struct {
  char *dir;
  char *config;
  char *socket;
  char *token_file;
  ph_daemon_process *daemon;
  guint16 port;
  char *base;       /* "http://127.0.0.1:PORT" */
  char *token;
  char *bearer;     /* the Authorization header line */
} console;

void console_clear (console *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (console, console_clear)

#define assert_status(reply, expected)                                                      \
  ck_assert_msg ((reply)->status == (expected), "expected HTTP %d, got %ld:\n%s",           \
                 (int) (expected), (reply)->status, (reply)->body->str)

/* ph_test_slowness: how much longer waits are under valgrind. */
guint slowness (void);

/* printhook.conf in a directory of its own: its control socket, spool and
 * console token there; console_keys: the [console] keys but token_file;
 * hooks: the other groups.  Written again over the same file on later
 * calls. */
void write_config (console *c, const char *console_keys, const char *hooks);

/* The token file as the contract has it: mode 0600, 64 hex digits.
 * Transfer full. */
char *read_token (const char *path);

/* The port of the first line of the log that starts with listening
 * ("console: listening on http://127.0.0.1:"). */
guint16 logged_port (ph_daemon_process *d, const char *listening);

/* Starts the daemon and waits until its console listens. */
void console_start (console *c, const char *console_keys, const char *hooks);
/* The same with extra environment entries ("NAME=value", NULL-terminated). */
void console_start_with_env (console *c, const char *console_keys, const char *hooks,
                             const char *const *env);

void console_stop (console *c);

/* Hooks that post to the receiver: "[hook NAME]\nurl = RECEIVER/NAME\n"
 * followed by keys. */
char *hook (ph_receiver *r, const char *name, const char *keys);

/* A request to the console with exactly these headers (NULL-terminated,
 * may be NULL): no credentials unless they are among them. */
ph_console_reply *send_as (console *c, const char *method, const char *path, const char *const *headers, const char *body);

/* With the bearer token, as a script sends it. */
ph_console_reply *send_bearer (console *c, const char *method, const char *path, const char *body);

/* The JSON of a bearer request, which must be answered with status.
 * Transfer full. */
json_object *call (console *c, const char *method, const char *path, const char *body, long status);

/* An API error as the contract has it: {"error": "message"}. */
void assert_error_json (const ph_console_reply *r, long status);

/* The member key of o, which must be there (and of that type). */
json_object *member (json_object *o, const char *key);
const char *str_member (json_object *o, const char *key);
gint64 int_member (json_object *o, const char *key);
gboolean bool_member (json_object *o, const char *key);
void assert_number_member (json_object *o, const char *key);
void assert_null_member (json_object *o, const char *key);
json_object *array_member (json_object *o, const char *key);

/* The receiver's first n records, waiting 10 s at most.  Transfer full. */
json_object *receiver_wait (ph_receiver *r, guint n);

/* printhook emit -c the console's config EVENT [--payload PAYLOAD], which
 * must succeed. */
void emit_ok (console *c, const char *event, const char *payload);

/* The value of the printhook_session cookie a reply sets (transfer full). */
char *session_cookie (const ph_console_reply *r);

/* Logs in with the form and returns the "Cookie: ..." line (transfer full). */
char *log_in (console *c);

/* The session's CSRF token, from GET /api/v1/session (transfer full). */
char *csrf_of (console *c, const char *cookie);

#endif
