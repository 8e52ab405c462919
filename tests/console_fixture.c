/* The console tests' fixture (console_fixture.h). */
#include "autoconfig.h"
#include "console_fixture.h"

#include <string.h>
#include <glib/gstdio.h>

#include "daemon_asserts.h"
#include "text/json_text.h"

void
console_clear (console *c)
{
  g_clear_pointer (&c->daemon, ph_daemon_process_free);
  g_free (c->dir);
  g_free (c->config);
  g_free (c->socket);
  g_free (c->token_file);
  g_free (c->base);
  g_free (c->token);
  g_free (c->bearer);
}

guint
slowness (void)
{
  return ph_test_slowness ();
}

/* printhook.conf in a directory of its own: its control socket, spool and
 * console token there; console_keys: the [console] keys but token_file;
 * hooks: the other groups.  Written again over the same file on later
 * calls. */
void
write_config (console *c, const char *console_keys, const char *hooks)
{
  g_autofree char *text = NULL;

  if (c->dir == NULL)
    {
      c->dir = ph_test_tmpdir ();
      c->config = g_build_filename (c->dir, "printhook.conf", NULL);
      c->socket = g_build_filename (c->dir, "control.sock", NULL);
      c->token_file = g_build_filename (c->dir, "console.token", NULL);
    }
  text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n"
                          "[console]\ntoken_file = %s\n%s\n%s",
                          c->socket, c->dir, c->token_file, console_keys, hooks);
  ck_assert (g_file_set_contents (c->config, text, -1, NULL));
  g_chmod (c->config, 0600);
}

/* The token file as the contract has it: mode 0600, 64 hex digits.
 * Transfer full. */
char *
read_token (const char *path)
{
  g_autofree char *text = NULL;
  GStatBuf st;

  ck_assert_msg (g_stat (path, &st) == 0, "no token file %s", path);
  ck_assert_msg ((st.st_mode & 0777) == 0600, "%s has mode %o, not 600", path,
                 st.st_mode & 0777);
  ck_assert (g_file_get_contents (path, &text, NULL, NULL));
  g_strstrip (text);
  ck_assert_msg (strlen (text) == 64, "the token is not 64 characters: '%s'", text);
  for (const char *p = text; *p != '\0'; p++)
    ck_assert_msg (g_ascii_isxdigit (*p), "the token is not hex: '%s'", text);
  return g_steal_pointer (&text);
}

/* The port of the first line of the log that starts with listening
 * ("console: listening on http://127.0.0.1:"). */
guint16
logged_port (ph_daemon_process *d, const char *listening)
{
  g_autofree char *log = ph_daemon_process_log (d);
  const char *at = strstr (log, listening);
  guint64 port = 0;
  char *end = NULL;

  ck_assert_msg (at != NULL, "no '%s' in:\n%s", listening, log);
  port = g_ascii_strtoull (at + strlen (listening), &end, 10);
  ck_assert_msg (port > 0 && port <= 65535 && end != NULL && *end == '/',
                 "no port in the line at:\n%s", at);
  return (guint16) port;
}

/* Starts the daemon and waits until its console listens. */
void
console_start (console *c, const char *console_keys, const char *hooks)
{
  console_start_with_env (c, console_keys, hooks, NULL);
}

void
console_start_with_env (console *c, const char *console_keys, const char *hooks,
                        const char *const *env)
{
  write_config (c, console_keys, hooks);
  c->daemon = ph_daemon_process_start_with_env (c->config, env);
  ph_daemon_process_wait_log (c->daemon, LISTENING, 1, 10000);
  c->port = logged_port (c->daemon, LISTENING);
  c->base = g_strdup_printf ("http://127.0.0.1:%u", (guint) c->port);
  c->token = read_token (c->token_file);
  c->bearer = g_strdup_printf ("Authorization: Bearer %s", c->token);
}

void
console_stop (console *c)
{
  ck_assert_int_eq (ph_daemon_process_stop (c->daemon, 15), 0);
}

/* Hooks that post to the receiver: "[hook NAME]\nurl = RECEIVER/NAME\n"
 * followed by keys. */
char *
hook (ph_receiver *r, const char *name, const char *keys)
{
  g_autofree char *path = g_strdup_printf ("/%s", name);
  g_autofree char *url = ph_receiver_url (r, path);

  return g_strdup_printf ("[hook %s]\nurl = %s\n%s\n", name, url, keys);
}

/* --- HTTP ---------------------------------------------------------------- */

/* A request to the console with exactly these headers (NULL-terminated,
 * may be NULL): no credentials unless they are among them. */
ph_console_reply *
send_as (console *c, const char *method, const char *path, const char *const *headers,
         const char *body)
{
  g_autofree char *url = g_strconcat (c->base, path, NULL);

  return ph_console_request (method, url, headers, body, -1);
}

/* With the bearer token, as a script sends it. */
ph_console_reply *
send_bearer (console *c, const char *method, const char *path, const char *body)
{
  const char *headers[] = { c->bearer, body != NULL ? "Content-Type: application/json" : NULL,
                            NULL };

  return send_as (c, method, path, headers, body);
}

/* The JSON of a bearer request, which must be answered with status.
 * Transfer full. */
json_object *
call (console *c, const char *method, const char *path, const char *body, long status)
{
  g_autoptr (ph_console_reply) r = send_bearer (c, method, path, body);

  ck_assert_msg (r->status == status, "%s %s: expected HTTP %ld, got %ld:\n%s", method, path,
                 status, r->status, r->body->str);
  return ph_console_reply_json (r);
}

/* An API error as the contract has it: {"error": "message"}. */
void
assert_error_json (const ph_console_reply *r, long status)
{
  g_autoptr (json_object) json = NULL;
  json_object *error = NULL;

  assert_status (r, status);
  json = ph_console_reply_json (r);
  ck_assert_msg (json_object_object_get_ex (json, "error", &error)
                 && json_object_is_type (error, json_type_string)
                 && json_object_get_string_len (error) > 0,
                 "not an API error: %s", r->body->str);
}

/* --- JSON ---------------------------------------------------------------- */

json_object *
member (json_object *o, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (o, key, &value), "no \"%s\" in %s", key,
                 json_object_to_json_string (o));
  return value;
}

const char *
str_member (json_object *o, const char *key)
{
  json_object *value = member (o, key);

  ck_assert_msg (json_object_is_type (value, json_type_string), "\"%s\" is not a string in %s",
                 key, json_object_to_json_string (o));
  return json_object_get_string (value);
}

gint64
int_member (json_object *o, const char *key)
{
  json_object *value = member (o, key);

  ck_assert_msg (json_object_is_type (value, json_type_int), "\"%s\" is not an integer in %s",
                 key, json_object_to_json_string (o));
  return json_object_get_int64 (value);
}

gboolean
bool_member (json_object *o, const char *key)
{
  json_object *value = member (o, key);

  ck_assert_msg (json_object_is_type (value, json_type_boolean), "\"%s\" is not a boolean in %s",
                 key, json_object_to_json_string (o));
  return json_object_get_boolean (value);
}

void
assert_number_member (json_object *o, const char *key)
{
  json_object *value = member (o, key);

  ck_assert_msg (json_object_is_type (value, json_type_double)
                 || json_object_is_type (value, json_type_int),
                 "\"%s\" is not a number in %s", key, json_object_to_json_string (o));
}

void
assert_null_member (json_object *o, const char *key)
{
  ck_assert_msg (member (o, key) == NULL, "\"%s\" is not null in %s", key,
                 json_object_to_json_string (o));
}

json_object *
array_member (json_object *o, const char *key)
{
  json_object *value = member (o, key);

  ck_assert_msg (json_object_is_type (value, json_type_array), "\"%s\" is not an array in %s",
                 key, json_object_to_json_string (o));
  return value;
}

json_object *
receiver_wait (ph_receiver *r, guint n)
{
  return ph_receiver_wait (r, n, 10000 * slowness ());
}

void
emit_ok (console *c, const char *event, const char *payload)
{
  const char *argv[] = { "emit", "-c", c->config, event, payload ? "--payload" : NULL, payload,
                         NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);

  ck_assert_msg (r->exit_status == 0, "emit %s: exit %d\n%s%s", event, r->exit_status, r->out,
                 r->err);
}

/* The value of the printhook_session cookie a reply sets (transfer full). */
char *
session_cookie (const ph_console_reply *r)
{
  const char *set = ph_console_reply_header (r, "Set-Cookie");
  const char *end;

  ck_assert_msg (set != NULL && g_str_has_prefix (set, "printhook_session="),
                 "Set-Cookie: %s", set ? set : "(none)");
  set += strlen ("printhook_session=");
  end = strchr (set, ';');
  return end != NULL ? g_strndup (set, end - set) : g_strdup (set);
}

/* Logs in with the form and returns the "Cookie: ..." line (transfer full). */
char *
log_in (console *c)
{
  g_autofree char *form = g_strdup_printf ("token=%s", c->token);
  const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
  g_autoptr (ph_console_reply) r = send_as (c, "POST", "/login", headers, form);
  g_autofree char *value = NULL;

  assert_status (r, 303);
  value = session_cookie (r);
  ck_assert (value[0] != '\0');
  return g_strdup_printf ("Cookie: printhook_session=%s", value);
}

/* The session's CSRF token, from GET /api/v1/session (transfer full). */
char *
csrf_of (console *c, const char *cookie)
{
  const char *headers[] = { cookie, NULL };
  g_autoptr (ph_console_reply) r = send_as (c, "GET", "/api/v1/session", headers, NULL);
  g_autoptr (json_object) json = NULL;
  const char *csrf;

  assert_status (r, 200);
  json = ph_console_reply_json (r);
  csrf = str_member (json, "csrf");
  ck_assert_msg (strlen (csrf) >= 32, "a short CSRF token: %s", csrf);
  for (const char *p = csrf; *p != '\0'; p++)
    ck_assert_msg (g_ascii_isxdigit (*p), "the CSRF token is not hex: %s", csrf);
  return g_strdup (csrf);
}
