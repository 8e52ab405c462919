/* The web console (core/console/API.md) as a browser and a script meet it:
 * printhook run with a [console] on a free port, asked over real HTTP by
 * libcurl, its webhooks going to the real receiver (tests/receiver.h). */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <curl/curl.h>
#include <glib/gstdio.h>

#include "console_fixture.h"
#include "daemon_asserts.h"
#include "daemon_process.h"
#include "harness.h"
#include "receiver.h"
#include "text/json_text.h"

#define DROPPED "console: dropping a slow event stream client"
#define EVIL_ORIGIN "Origin: http://evil.example"
#define POLL_MS 50

/* The strings of an array joined with ",". */
static char *
joined (json_object *array)
{
  GString *text = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (array); i++)
    g_string_append_printf (text, "%s%s", i ? "," : "",
                            json_object_get_string (json_object_array_get_idx (array, i)));
  return g_string_free (text, FALSE);
}

/* The hook called name in a GET hooks answer (transfer none). */
static json_object *
find_hook (json_object *hooks, const char *name)
{
  json_object *list = array_member (hooks, "hooks");

  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      json_object *h = json_object_array_get_idx (list, i);

      if (g_strcmp0 (json_object_get_string (json_object_object_get (h, "name")), name) == 0)
        return h;
    }
  ck_abort_msg ("no hook %s in %s", name, json_object_to_json_string (hooks));
  return NULL;
}

/* --- waiting ------------------------------------------------------------- */

typedef gboolean (*json_ready) (json_object *json, gconstpointer data);

/* GETs path with the bearer until ready says so, for at most 10 s; the
 * last answer, transfer full. */
static json_object *
poll_json (console *c, const char *path, json_ready ready, gconstpointer data,
           const char *waiting_for)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * slowness ();

  for (;;)
    {
      json_object *json = call (c, "GET", path, NULL, 200);

      if (ready (json, data))
        return json;
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *text = g_strdup (json_object_to_json_string (json));

          json_object_put (json);
          ck_abort_msg ("GET %s: no %s within 10 s; last answer:\n%s", path, waiting_for, text);
        }
      json_object_put (json);
      g_usleep (POLL_MS * 1000);
    }
}

typedef struct {
  const char *hook;
  const char *counter;
  gint64 value;
} counter_wanted;

static gboolean
hook_counter_is (json_object *json, gconstpointer data)
{
  const counter_wanted *w = data;
  json_object *h = find_hook (json, w->hook);
  json_object *value = json_object_object_get (h, w->counter);

  return value != NULL && json_object_get_int64 (value) == w->value;
}

/* GET hooks once hook's counter ("delivered", "dead", ...) is value.
 * Transfer full. */
static json_object *
wait_hook_counter (console *c, const char *hook_name, const char *counter, gint64 value)
{
  counter_wanted w = { hook_name, counter, value };
  g_autofree char *what = g_strdup_printf ("%s %s = %" G_GINT64_FORMAT, hook_name, counter, value);

  return poll_json (c, "/api/v1/hooks", hook_counter_is, &w, what);
}

static gboolean
has_deliveries (json_object *json, gconstpointer data)
{
  json_object *list = NULL;

  return json_object_object_get_ex (json, "deliveries", &list)
         && json_object_array_length (list) == (size_t) GPOINTER_TO_UINT (data);
}

/* GET deliveries?QUERY once it lists n.  Transfer full. */
static json_object *
wait_deliveries (console *c, const char *query, guint n)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/deliveries?%s", query);
  g_autofree char *what = g_strdup_printf ("%u deliveries", n);

  return poll_json (c, path, has_deliveries, GUINT_TO_POINTER (n), what);
}

static gboolean
state_is (json_object *json, gconstpointer data)
{
  return g_strcmp0 (json_object_get_string (json_object_object_get (json, "state")), data) == 0;
}

/* GET deliveries/ID once its state is state.  Transfer full. */
static json_object *
wait_delivery_state (console *c, const char *id, const char *state)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/deliveries/%s", id);
  g_autofree char *what = g_strdup_printf ("state %s", state);

  return poll_json (c, path, state_is, state, what);
}

static const char *
record_field (json_object *records, guint i, const char *name)
{
  json_object *record = json_object_array_get_idx (records, i);
  json_object *json = json_object_object_get (record, "json");

  ck_assert_msg (json != NULL, "record %u is not JSON: %s", i, json_object_to_json_string (record));
  return str_member (json, name);
}

static const char *
record_path (json_object *records, guint i)
{
  return json_object_get_string (
      json_object_object_get (json_object_array_get_idx (records, i), "path"));
}

/* --- events -------------------------------------------------------------- */

/* The same through the control socket directly (control_protocol.h), for
 * many events in little time. */
static void
emit_through_socket (console *c, const char *event)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  g_autofree char *line = g_strdup_printf ("{\"event\": \"%s\"}\n", event);
  GString *reply = g_string_new (NULL);
  g_autofree char *text = NULL;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char byte;

  ck_assert (fd >= 0);
  g_strlcpy (address.sun_path, c->socket, sizeof address.sun_path);
  ck_assert_msg (connect (fd, (struct sockaddr *) &address, sizeof address) == 0,
                 "connect %s: %s", c->socket, g_strerror (errno));
  ck_assert (write (fd, line, strlen (line)) == (ssize_t) strlen (line));
  while (read (fd, &byte, 1) == 1 && byte != '\n')
    g_string_append_c (reply, byte);
  close (fd);
  text = g_string_free (reply, FALSE);
  assert_contains (text, "\"accepted\":true");
}

/* ------------------------------------------------------------------------- */

START_TEST (test_token_file_is_made_once_with_mode_0600)
{
  g_auto (console) c = { 0 };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  console_start (&c, ANY_PORT, "");
  first = read_token (c.token_file);
  console_stop (&c);
  g_clear_pointer (&c.daemon, ph_daemon_process_free);
  c.daemon = ph_daemon_process_start (c.config);
  ph_daemon_process_wait_log (c.daemon, LISTENING, 1, 10000);
  second = read_token (c.token_file);
  ck_assert_str_eq (first, second);
  console_stop (&c);
}
END_TEST

START_TEST (test_public_pages_need_no_token)
{
  g_auto (console) c = { 0 };
  const char *paths[] = { "/login", "/static/console.css", "/static/console.js",
                          "/static/editor.js", "/static/login.js" };
  const char *types[] = { "text/html", "text/css", "javascript", "javascript", "javascript" };

  console_start (&c, ANY_PORT, "");
  {
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/healthz", NULL, NULL);

    assert_status (r, 200);
    ck_assert_str_eq (g_strstrip (r->body->str), "ok");
  }
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (ph_console_reply) r = send_as (&c, "GET", paths[i], NULL, NULL);
      const char *type = ph_console_reply_header (r, "Content-Type");

      ck_assert_msg (r->status == 200, "GET %s: HTTP %ld", paths[i], r->status);
      ck_assert_msg (type != NULL && strstr (type, types[i]) != NULL, "GET %s: Content-Type %s",
                     paths[i], type ? type : "(none)");
      ck_assert_msg (r->body->len > 0, "GET %s: empty", paths[i]);
    }
  console_stop (&c);
}
END_TEST

START_TEST (test_every_other_endpoint_needs_the_token)
{
  static const char *const requests[][2] = {
    { "GET", "/api/v1/status" },
    { "GET", "/api/v1/hooks" },
    { "GET", "/api/v1/events/known" },
    { "GET", "/api/v1/hooks/a/render?event=PrintDone" },
    { "POST", "/api/v1/hooks/a/test" },
    { "GET", "/api/v1/deliveries" },
    { "GET", "/api/v1/deliveries/1" },
    { "POST", "/api/v1/deliveries/1/retry" },
    { "POST", "/api/v1/deliveries/1/resend" },
    { "DELETE", "/api/v1/deliveries/1" },
    { "POST", "/api/v1/deliveries/retry-dead" },
    { "POST", "/api/v1/reload" },
    { "GET", "/api/v1/session" },
    { "GET", "/api/v1/events" },
    { "GET", "/metrics" },
  };
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT, "[hook a]\nurl = http://127.0.0.1:9/\n");
  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      const char *body = strcmp (requests[i][0], "POST") == 0 ? "{\"event\": \"PrintDone\"}" : NULL;
      g_autoptr (ph_console_reply) r = send_as (&c, requests[i][0], requests[i][1], NULL, body);
      const char *challenge = ph_console_reply_header (r, "WWW-Authenticate");

      ck_assert_msg (r->status == 401, "%s %s without a token: HTTP %ld\n%s", requests[i][0],
                     requests[i][1], r->status, r->body->str);
      assert_error_json (r, 401);
      ck_assert_msg (g_strcmp0 (challenge, "Bearer realm=\"printhook\"") == 0,
                     "%s %s: WWW-Authenticate %s", requests[i][0], requests[i][1],
                     challenge ? challenge : "(none)");
    }
  /* The page itself sends a browser to the login page instead. */
  {
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/", NULL, NULL);

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login");
  }
  /* A cookie that no login made is no session. */
  {
    const char *headers[] = { "Cookie: printhook_session=0123456789abcdef", NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/api/v1/status", headers, NULL);

    assert_error_json (r, 401);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_wrong_bearer_is_refused_then_rate_limited)
{
  g_auto (console) c = { 0 };
  g_autofree char *wrong = NULL;

  console_start (&c, ANY_PORT, "");
  /* The right length, one digit off. */
  wrong = g_strdup_printf ("Authorization: Bearer %.63s%c", c.token,
                           c.token[63] == '0' ? '1' : '0');
  for (guint i = 1; i <= 5; i++)
    {
      const char *headers[] = { wrong, NULL };
      g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/api/v1/status", headers, NULL);

      ck_assert_msg (r->status == 401, "wrong token %u: HTTP %ld", i, r->status);
      assert_error_json (r, 401);
      ck_assert_ptr_nonnull (ph_console_reply_header (r, "WWW-Authenticate"));
    }
  {
    const char *headers[] = { wrong, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/api/v1/status", headers, NULL);
    const char *retry_after = ph_console_reply_header (r, "Retry-After");
    guint64 seconds = 0;

    assert_error_json (r, 429);
    ck_assert_msg (retry_after != NULL
                   && g_ascii_string_to_unsigned (retry_after, 10, 1, 60, &seconds, NULL),
                   "Retry-After: %s", retry_after ? retry_after : "(none)");
  }
  console_stop (&c);
}
END_TEST

/* After five wrong tokens the minute is locked for everyone at that
 * address, the right token included: else the limit would not slow a
 * guesser down. */
START_TEST (test_lockout_refuses_even_the_right_token)
{
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT, "");
  for (guint i = 1; i <= 5; i++)
    {
      g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/login", NULL, "token=0000");

      assert_status (r, 303);
      ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login?failed=1");
    }
  {
    g_autofree char *form = g_strdup_printf ("token=%s", c.token);
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/login", NULL, form);

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login?failed=limit");
    ck_assert_uint_eq (ph_console_reply_count_headers (r, "Set-Cookie"), 0);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/status", NULL);

    assert_error_json (r, 429);
    ck_assert_ptr_nonnull (ph_console_reply_header (r, "Retry-After"));
  }
  console_stop (&c);
}
END_TEST

static void
assert_security_headers (const ph_console_reply *r, const char *what)
{
  const char *csp = ph_console_reply_header (r, "Content-Security-Policy");
  const char *cache = ph_console_reply_header (r, "Cache-Control");

  ck_assert_msg (csp != NULL && strstr (csp, "default-src 'self'") != NULL, "%s: CSP %s", what,
                 csp ? csp : "(none)");
  ck_assert_msg (g_strcmp0 (ph_console_reply_header (r, "X-Content-Type-Options"), "nosniff") == 0,
                 "%s: no X-Content-Type-Options: nosniff", what);
  ck_assert_msg (g_strcmp0 (ph_console_reply_header (r, "Referrer-Policy"), "no-referrer") == 0,
                 "%s: no Referrer-Policy: no-referrer", what);
  ck_assert_msg (g_strcmp0 (ph_console_reply_header (r, "X-Frame-Options"), "DENY") == 0,
                 "%s: no X-Frame-Options: DENY", what);
  ck_assert_msg (cache != NULL && strstr (cache, "no-store") != NULL, "%s: Cache-Control %s",
                 what, cache ? cache : "(none)");
  for (guint i = 0; i < r->headers->len; i++)
    ck_assert_msg (g_ascii_strncasecmp (g_ptr_array_index (r->headers, i), "Access-Control-", 15)
                   != 0, "%s: %s", what, (char *) g_ptr_array_index (r->headers, i));
}

START_TEST (test_every_response_has_security_headers_and_no_cors)
{
  static const char *const requests[][3] = {
    /* method, path, authenticated */
    { "GET", "/healthz", "" },
    { "GET", "/login", "" },
    { "GET", "/static/console.js", "" },
    { "GET", "/", "" },
    { "GET", "/api/v1/status", "" },
    { "GET", "/api/v1/status", "yes" },
    { "GET", "/api/v1/hooks/nothing/render?event=PrintDone", "yes" },
    { "GET", "/api/v1/no-such-thing", "yes" },
    { "GET", "/api/v1/reload", "yes" },
    { "GET", "/metrics", "yes" },
    { "OPTIONS", "/api/v1/status", "" },
    { "OPTIONS", "/api/v1/reload", "yes" },
  };
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT, "");
  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      const char *headers[] = { EVIL_ORIGIN, "Access-Control-Request-Method: POST",
                                "Access-Control-Request-Headers: authorization",
                                requests[i][2][0] ? c.bearer : NULL, NULL };
      g_autoptr (ph_console_reply) r = send_as (&c, requests[i][0], requests[i][1], headers, NULL);
      g_autofree char *what = g_strdup_printf ("%s %s%s (HTTP %ld)", requests[i][0],
                                               requests[i][1],
                                               requests[i][2][0] ? " with the token" : "",
                                               r->status);

      assert_security_headers (r, what);
    }
  console_stop (&c);
}
END_TEST

START_TEST (test_unknown_path_and_wrong_method)
{
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT, "");
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/no-such-thing", NULL);

    assert_error_json (r, 404);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/reload", NULL);
    const char *allow = ph_console_reply_header (r, "Allow");

    assert_error_json (r, 405);
    ck_assert_msg (allow != NULL && strstr (allow, "POST") != NULL, "Allow: %s",
                   allow ? allow : "(none)");
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "DELETE", "/api/v1/status", NULL);
    const char *allow = ph_console_reply_header (r, "Allow");

    assert_error_json (r, 405);
    ck_assert_msg (allow != NULL && strstr (allow, "GET") != NULL, "Allow: %s",
                   allow ? allow : "(none)");
  }
  console_stop (&c);
}
END_TEST

/* --- the session --------------------------------------------------------- */

START_TEST (test_login_sets_a_strict_http_only_cookie)
{
  g_auto (console) c = { 0 };
  g_autofree char *form = NULL;

  console_start (&c, ANY_PORT, "");
  form = g_strdup_printf ("token=%s", c.token);
  {
    const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/login", headers, form);
    const char *set;

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/");
    set = ph_console_reply_header (r, "Set-Cookie");
    g_free (session_cookie (r));
    assert_contains (set, "; HttpOnly");
    assert_contains (set, "; SameSite=Strict");
    assert_contains (set, "; Path=/");
    assert_contains (set, "; Max-Age=43200");
    /* Plain HTTP here: Secure would make the browser drop it. */
    assert_lacks (set, "Secure");
    assert_security_headers (r, "POST /login");
  }
  {
    const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/login", headers, "token=nope");

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login?failed=1");
    ck_assert_uint_eq (ph_console_reply_count_headers (r, "Set-Cookie"), 0);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_session_opens_the_page_and_the_api)
{
  g_auto (console) c = { 0 };
  g_autofree char *cookie = NULL;

  console_start (&c, ANY_PORT, "");
  cookie = log_in (&c);
  {
    const char *headers[] = { cookie, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/", headers, NULL);
    const char *type = ph_console_reply_header (r, "Content-Type");

    assert_status (r, 200);
    ck_assert_msg (type != NULL && g_str_has_prefix (type, "text/html"), "Content-Type %s",
                   type ? type : "(none)");
    /* CSP forbids inline script: the page loads its own. */
    assert_contains (r->body->str, "static/console.js");
  }
  {
    const char *headers[] = { cookie, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/api/v1/status", headers, NULL);
    g_autoptr (json_object) json = NULL;

    assert_status (r, 200);
    json = ph_console_reply_json (r);
    ck_assert_str_eq (str_member (json, "version"), PACKAGE_VERSION);
  }
  g_free (csrf_of (&c, cookie));
  console_stop (&c);
}
END_TEST

START_TEST (test_cookie_requests_need_csrf_token_and_own_origin)
{
  g_auto (console) c = { 0 };
  g_autofree char *cookie = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *csrf_header = NULL;
  g_autofree char *wrong_csrf = NULL;
  g_autofree char *own_origin = NULL;

  console_start (&c, ANY_PORT, "");
  cookie = log_in (&c);
  csrf = csrf_of (&c, cookie);
  csrf_header = g_strdup_printf ("X-CSRF-Token: %s", csrf);
  wrong_csrf = g_strdup_printf ("X-CSRF-Token: %.*s%c", (int) strlen (csrf) - 1, csrf,
                                csrf[strlen (csrf) - 1] == '0' ? '1' : '0');
  own_origin = g_strdup_printf ("Origin: %s", c.base);
  {
    const char *headers[] = { cookie, own_origin, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/api/v1/deliveries/retry-dead",
                                              headers, NULL);

    assert_error_json (r, 403);
  }
  {
    const char *headers[] = { cookie, own_origin, wrong_csrf, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/api/v1/deliveries/retry-dead",
                                              headers, NULL);

    assert_error_json (r, 403);
  }
  {
    const char *headers[] = { cookie, csrf_header, EVIL_ORIGIN, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/api/v1/deliveries/retry-dead",
                                              headers, NULL);

    assert_error_json (r, 403);
  }
  {
    const char *headers[] = { cookie, csrf_header, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/api/v1/deliveries/retry-dead",
                                              headers, NULL);

    assert_error_json (r, 403);
  }
  {
    const char *headers[] = { cookie, csrf_header, own_origin, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/api/v1/deliveries/retry-dead",
                                              headers, NULL);
    g_autoptr (json_object) json = NULL;

    assert_status (r, 200);
    json = ph_console_reply_json (r);
    ck_assert_int_eq (int_member (json, "count"), 0);
  }
  /* A bearer request needs neither. */
  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/deliveries/retry-dead", NULL, 200);

    ck_assert_int_eq (int_member (json, "count"), 0);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_logout_ends_the_session)
{
  g_auto (console) c = { 0 };
  g_autofree char *cookie = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *csrf_header = NULL;
  g_autofree char *own_origin = NULL;

  console_start (&c, ANY_PORT, "");
  cookie = log_in (&c);
  csrf = csrf_of (&c, cookie);
  csrf_header = g_strdup_printf ("X-CSRF-Token: %s", csrf);
  own_origin = g_strdup_printf ("Origin: %s", c.base);
  {
    const char *headers[] = { cookie, csrf_header, own_origin, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/logout", headers, NULL);
    g_autofree char *cleared = NULL;

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login");
    cleared = session_cookie (r);
    ck_assert_str_eq (cleared, "");
  }
  {
    const char *headers[] = { cookie, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/api/v1/status", headers, NULL);

    assert_error_json (r, 401);
  }
  {
    const char *headers[] = { cookie, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/", headers, NULL);

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login");
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_logout_takes_csrf_as_a_form_field)
{
  g_auto (console) c = { 0 };
  g_autofree char *cookie = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *form = NULL;
  g_autofree char *own_origin = NULL;

  console_start (&c, ANY_PORT, "");
  cookie = log_in (&c);
  csrf = csrf_of (&c, cookie);
  own_origin = g_strdup_printf ("Origin: %s", c.base);
  /* Without it the session stays. */
  {
    const char *headers[] = { cookie, own_origin,
                              "Content-Type: application/x-www-form-urlencoded", NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/logout", headers, "csrf=00");

    assert_status (r, 403);
  }
  g_free (csrf_of (&c, cookie));
  form = g_strdup_printf ("csrf=%s", csrf);
  {
    const char *headers[] = { cookie, own_origin,
                              "Content-Type: application/x-www-form-urlencoded", NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "POST", "/logout", headers, form);

    assert_status (r, 303);
    ck_assert_str_eq (ph_console_reply_header (r, "Location"), "/login");
  }
  {
    const char *headers[] = { cookie, NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/api/v1/session", headers, NULL);

    assert_error_json (r, 401);
  }
  console_stop (&c);
}
END_TEST

/* --- what the daemon is doing -------------------------------------------- */

START_TEST (test_status_says_version_and_spool)
{
  g_auto (console) c = { 0 };
  g_autoptr (json_object) json = NULL;
  json_object *spool;

  console_start (&c, ANY_PORT, "");
  json = call (&c, "GET", "/api/v1/status", NULL, 200);
  ck_assert_str_eq (str_member (json, "version"), PACKAGE_VERSION);
  assert_number_member (json, "uptime_s");
  ck_assert (json_object_get_double (member (json, "uptime_s")) >= 0);
  spool = member (json, "spool");
  ck_assert_int_eq (int_member (spool, "pending"), 0);
  ck_assert_int_eq (int_member (spool, "dead"), 0);
  ck_assert_uint_eq (json_object_array_length (array_member (json, "sources")), 0);
  console_stop (&c);
}
END_TEST

START_TEST (test_hooks_list_and_count_deliveries)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *a = hook (rec, "a", "events = PrintDone\n");
  g_autofree char *b = hook (rec, "b", "events = PrintStarted, PrintFailed\n");
  g_autofree char *off = hook (rec, "off", "events = *\nenabled = false\n");
  g_autofree char *hooks = g_strconcat (a, b, off, NULL);
  g_autofree char *a_url = ph_receiver_url (rec, "/a");
  g_auto (console) c = { 0 };
  g_autoptr (json_object) before = NULL;
  g_autoptr (json_object) after = NULL;
  g_autoptr (json_object) records = NULL;
  json_object *h, *last;
  g_autofree char *events = NULL;
  g_autofree char *b_events = NULL;
  g_autofree char *off_events = NULL;

  console_start (&c, ANY_PORT, hooks);
  before = call (&c, "GET", "/api/v1/hooks", NULL, 200);
  ck_assert_uint_eq (json_object_array_length (array_member (before, "hooks")), 3);
  h = find_hook (before, "a");
  ck_assert_str_eq (str_member (h, "url"), a_url);
  events = joined (array_member (h, "events"));
  ck_assert_str_eq (events, "PrintDone");
  assert_contains (json_object_to_json_string (array_member (h, "modules")), "\"http-webhook\"");
  ck_assert (bool_member (h, "enabled"));
  ck_assert (!bool_member (h, "gone"));
  ck_assert_int_eq (int_member (h, "delivered"), 0);
  ck_assert_int_eq (int_member (h, "retrying"), 0);
  ck_assert_int_eq (int_member (h, "dead"), 0);
  assert_null_member (h, "last");
  b_events = joined (array_member (find_hook (before, "b"), "events"));
  ck_assert_str_eq (b_events, "PrintStarted,PrintFailed");
  off_events = joined (array_member (find_hook (before, "off"), "events"));
  ck_assert_str_eq (off_events, "*");
  ck_assert (!bool_member (find_hook (before, "off"), "enabled"));

  emit_ok (&c, "PrintDone", NULL);
  records = receiver_wait (rec, 1);
  ck_assert_str_eq (record_path (records, 0), "/a");
  after = wait_hook_counter (&c, "a", "delivered", 1);
  h = find_hook (after, "a");
  last = member (h, "last");
  ck_assert_msg (last != NULL, "no last delivery: %s", json_object_to_json_string (h));
  ck_assert_str_eq (str_member (last, "event"), "PrintDone");
  ck_assert_str_eq (str_member (last, "outcome"), "delivered");
  ck_assert_int_eq (int_member (last, "status"), 200);
  assert_null_member (last, "error");
  assert_number_member (last, "time");
  assert_number_member (last, "duration_s");
  ck_assert_int_eq (int_member (h, "dead"), 0);
  ck_assert_int_eq (int_member (find_hook (after, "b"), "delivered"), 0);
  assert_null_member (find_hook (after, "b"), "last");
  console_stop (&c);
}
END_TEST

START_TEST (test_known_events_are_the_builtins)
{
  g_auto (console) c = { 0 };
  g_autoptr (json_object) json = NULL;
  static const char *const builtins[] = { "PrintStarted", "PrintDone", "PrintFailed",
                                          "PrintPaused", "UserActionNeeded", "PrintProgress",
                                          "Error" };

  console_start (&c, ANY_PORT, "");
  json = call (&c, "GET", "/api/v1/events/known", NULL, 200);
  ck_assert_uint_eq (json_object_array_length (array_member (json, "events")),
                     G_N_ELEMENTS (builtins));
  for (guint i = 0; i < G_N_ELEMENTS (builtins); i++)
    {
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", builtins[i]);

      assert_contains (json_object_to_json_string (member (json, "events")), quoted);
    }
  console_stop (&c);
}
END_TEST

START_TEST (test_render_shows_the_request)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a",
                                 "events = PrintDone\n"
                                 "headers = {\"X-Printer\": \"@deviceIdentifier\"}\n"
                                 "device_identifier = MK4\n"
                                 "data = {\"topic\": \"@topic\", \"message\": \"@message\"}\n");
  g_autofree char *url = ph_receiver_url (rec, "/a");
  g_auto (console) c = { 0 };
  g_autoptr (json_object) json = NULL;
  g_autoptr (json_object) body = NULL;
  json_object *headers;

  console_start (&c, ANY_PORT, hooks);
  json = call (&c, "GET", "/api/v1/hooks/a/render?event=PrintDone", NULL, 200);
  ck_assert_str_eq (str_member (json, "hook"), "a");
  ck_assert_str_eq (str_member (json, "event"), "PrintDone");
  ck_assert_str_eq (str_member (json, "method"), "POST");
  ck_assert_str_eq (str_member (json, "url"), url);
  ck_assert (g_str_has_prefix (str_member (json, "content_type"), "application/json"));
  headers = member (json, "headers");
  ck_assert (json_object_is_type (headers, json_type_object));
  ck_assert_str_eq (str_member (headers, "X-Printer"), "MK4");
  body = json_tokener_parse (str_member (json, "body"));
  ck_assert_msg (body != NULL, "body is not JSON: %s", str_member (json, "body"));
  ck_assert_str_eq (str_member (body, "topic"), "Print Done");
  ck_assert_str_eq (str_member (body, "message"), "Your print is done.");
  /* Rendering sends nothing. */
  g_usleep (300 * 1000);
  {
    g_autoptr (json_object) records = ph_receiver_records (rec);

    ck_assert_uint_eq (json_object_array_length (records), 0);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_render_refuses_unknown_hook_and_bad_event)
{
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT, "[hook a]\nurl = http://127.0.0.1:9/\n");
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/hooks/nope/render?event=PrintDone", NULL);

    assert_error_json (r, 404);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/hooks/a/render?event=Print%20Done", NULL);

    assert_error_json (r, 400);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/hooks/a/render", NULL);

    assert_error_json (r, 400);
  }
  console_stop (&c);
}
END_TEST

/* --- sending a test ------------------------------------------------------ */

START_TEST (test_test_button_sends_the_webhook)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *a = hook (rec, "a", "events = PrintDone\n"
                                       "data = {\"message\": \"@message\", \"file\": \"@extra.name\"}\n");
  g_autofree char *failing_url = ph_receiver_url (rec, "/status/500");
  g_autofree char *failing = g_strdup_printf ("[hook failing]\nurl = %s\nevents = PrintDone\n",
                                              failing_url);
  g_autofree char *hooks = g_strconcat (a, failing, NULL);
  g_auto (console) c = { 0 };
  g_autoptr (json_object) records = NULL;

  console_start (&c, ANY_PORT, hooks);
  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/hooks/a/test",
                                         "{\"event\": \"PrintDone\"}", 200);

    ck_assert_str_eq (str_member (json, "hook"), "a");
    ck_assert_str_eq (str_member (json, "event"), "PrintDone");
    ck_assert (bool_member (json, "delivered"));
    ck_assert_int_eq (int_member (json, "status"), 200);
    assert_number_member (json, "duration_s");
    assert_null_member (json, "error");
    assert_contains (str_member (json, "response"), "ok");
  }
  records = receiver_wait (rec, 1);
  ck_assert_str_eq (record_path (records, 0), "/a");
  ck_assert_str_eq (record_field (records, 0, "message"), "Your print is done.");
  json_object_put (g_steal_pointer (&records));

  /* With a payload of its own. */
  {
    g_autoptr (json_object) json = call (
        &c, "POST", "/api/v1/hooks/a/test",
        "{\"event\": \"PrintDone\", \"payload\": {\"name\": \"cube.gcode\"}}", 200);

    ck_assert (bool_member (json, "delivered"));
  }
  records = receiver_wait (rec, 2);
  ck_assert_str_eq (record_field (records, 1, "file"), "cube.gcode");

  /* Whatever the receiver says, the test ran. */
  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/hooks/failing/test",
                                         "{\"event\": \"PrintDone\"}", 200);

    ck_assert (!bool_member (json, "delivered"));
    ck_assert_int_eq (int_member (json, "status"), 500);
  }
  json_object_put (receiver_wait (rec, 3));
  console_stop (&c);
}
END_TEST

START_TEST (test_test_button_refuses_bad_requests)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a", "events = PrintDone\n");
  g_auto (console) c = { 0 };
  g_autoptr (GString) big = g_string_new ("{\"event\": \"PrintDone\", \"payload\": {\"x\": \"");

  console_start (&c, ANY_PORT, hooks);
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", "/api/v1/hooks/a/test",
                                                  "{\"event\": ");

    assert_error_json (r, 400);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", "/api/v1/hooks/a/test", "[1]");

    assert_error_json (r, 400);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", "/api/v1/hooks/a/test",
                                                  "{\"event\": \"Print Done\"}");

    assert_error_json (r, 400);
  }
  /* Well-formed, but over 64 kB. */
  while (big->len < 70 * 1024)
    g_string_append (big, "xxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}}");
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", "/api/v1/hooks/a/test", big->str);

    assert_error_json (r, 413);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", "/api/v1/hooks/nope/test",
                                                  "{\"event\": \"PrintDone\"}");

    assert_error_json (r, 404);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/hooks/a/test", NULL);
    const char *allow = ph_console_reply_header (r, "Allow");

    assert_error_json (r, 405);
    ck_assert_msg (allow != NULL && strstr (allow, "POST") != NULL, "Allow: %s",
                   allow ? allow : "(none)");
  }
  /* None of these sent anything. */
  g_usleep (300 * 1000);
  {
    g_autoptr (json_object) records = ph_receiver_records (rec);

    ck_assert_uint_eq (json_object_array_length (records), 0);
  }
  console_stop (&c);
}
END_TEST

/* --- deliveries ---------------------------------------------------------- */

static char *
first_id (json_object *list_answer)
{
  json_object *list = array_member (list_answer, "deliveries");
  json_object *id;

  ck_assert_uint_ge (json_object_array_length (list), 1);
  id = member (json_object_array_get_idx (list, 0), "id");
  ck_assert (id != NULL);
  return g_strdup (json_object_get_string (id));
}

START_TEST (test_dead_letter_is_listed_retried_and_deleted)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *failing_url = ph_receiver_url (rec, "/status/500");
  g_autofree char *hooks = g_strdup_printf ("[hook failing]\nurl = %s\nevents = PrintFailed\n"
                                            "retry.max_attempts = 1\n", failing_url);
  g_auto (console) c = { 0 };
  g_autoptr (json_object) dead = NULL;
  g_autoptr (json_object) detail = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  json_object *item, *request;

  console_start (&c, ANY_PORT, hooks);
  emit_ok (&c, "PrintFailed", NULL);
  json_object_put (receiver_wait (rec, 1));
  dead = wait_deliveries (&c, "state=dead", 1);
  item = json_object_array_get_idx (array_member (dead, "deliveries"), 0);
  id = first_id (dead);
  ck_assert_str_eq (str_member (item, "hook"), "failing");
  ck_assert_str_eq (str_member (item, "event"), "PrintFailed");
  ck_assert_str_eq (str_member (item, "state"), "dead");
  ck_assert_int_eq (int_member (item, "attempts"), 1);
  ck_assert_int_eq (int_member (item, "status"), 500);
  assert_number_member (item, "created");
  assert_number_member (item, "last_attempt");
  {
    g_autoptr (json_object) status = call (&c, "GET", "/api/v1/status", NULL, 200);

    ck_assert_int_eq (int_member (member (status, "spool"), "dead"), 1);
  }
  {
    g_autoptr (json_object) none = call (&c, "GET", "/api/v1/deliveries?state=pending", NULL, 200);

    ck_assert_uint_eq (json_object_array_length (array_member (none, "deliveries")), 0);
  }

  path = g_strdup_printf ("/api/v1/deliveries/%s", id);
  detail = call (&c, "GET", path, NULL, 200);
  ck_assert_str_eq (json_object_get_string (member (detail, "id")), id);
  ck_assert_str_eq (str_member (detail, "state"), "dead");
  request = member (detail, "request");
  ck_assert_str_eq (str_member (request, "method"), "POST");
  assert_contains (str_member (request, "url"), "/status/500");
  ck_assert (json_object_is_type (member (request, "headers"), json_type_object));
  assert_contains (str_member (request, "body"), "Something went wrong");
  ck_assert_msg (str_member (detail, "dead_reason")[0] != '\0', "empty dead_reason");
  assert_null_member (detail, "response");

  /* Resending is for delivered ones. */
  {
    g_autofree char *resend = g_strdup_printf ("/api/v1/deliveries/%s/resend", id);
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", resend, NULL);

    assert_error_json (r, 409);
  }

  /* Retried: tried again at once, and dead again. */
  {
    g_autofree char *retry = g_strdup_printf ("/api/v1/deliveries/%s/retry", id);
    g_autoptr (json_object) json = call (&c, "POST", retry, NULL, 200);

    ck_assert_str_eq (json_object_get_string (member (json, "id")), id);
    ck_assert_str_eq (str_member (json, "state"), "pending");
  }
  json_object_put (receiver_wait (rec, 2));
  json_object_put (wait_delivery_state (&c, id, "dead"));

  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/deliveries/retry-dead", NULL, 200);

    ck_assert_int_eq (int_member (json, "count"), 1);
  }
  json_object_put (receiver_wait (rec, 3));
  json_object_put (wait_delivery_state (&c, id, "dead"));

  {
    g_autoptr (json_object) json = call (&c, "DELETE", path, NULL, 200);

    ck_assert_str_eq (json_object_get_string (member (json, "id")), id);
    ck_assert (bool_member (json, "deleted"));
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", path, NULL);

    assert_error_json (r, 404);
  }
  {
    g_autoptr (json_object) none = call (&c, "GET", "/api/v1/deliveries?state=dead", NULL, 200);

    ck_assert_uint_eq (json_object_array_length (array_member (none, "deliveries")), 0);
  }
  /* Nothing more was sent. */
  g_usleep (300 * 1000);
  {
    g_autoptr (json_object) records = ph_receiver_records (rec);

    ck_assert_uint_eq (json_object_array_length (records), 3);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_delivered_one_is_kept_and_can_be_resent)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *ok = hook (rec, "ok", "events = PrintDone\n"
                                         "data = {\"event\": \"@event\", \"file\": \"@extra.name\"}\n");
  g_autofree char *other = hook (rec, "other", "events = PrintStarted\n");
  g_autofree char *hooks = g_strconcat (ok, other, NULL);
  g_auto (console) c = { 0 };
  g_autoptr (json_object) delivered = NULL;
  g_autoptr (json_object) detail = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *id = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *path = NULL;
  json_object *item, *response;

  console_start (&c, ANY_PORT, hooks);
  emit_ok (&c, "PrintDone", "{\"name\": \"cube.gcode\"}");
  json_object_put (receiver_wait (rec, 1));
  delivered = wait_deliveries (&c, "state=delivered", 1);
  item = json_object_array_get_idx (array_member (delivered, "deliveries"), 0);
  id = first_id (delivered);
  ck_assert_str_eq (str_member (item, "hook"), "ok");
  ck_assert_str_eq (str_member (item, "event"), "PrintDone");
  ck_assert_str_eq (str_member (item, "state"), "delivered");
  ck_assert_int_eq (int_member (item, "status"), 200);
  ck_assert_int_eq (int_member (item, "attempts"), 1);
  assert_number_member (item, "finished");
  {
    g_autoptr (json_object) filtered = call (&c, "GET", "/api/v1/deliveries?hook=ok", NULL, 200);
    g_autoptr (json_object) unrelated = call (&c, "GET", "/api/v1/deliveries?hook=other", NULL, 200);

    ck_assert_uint_eq (json_object_array_length (array_member (filtered, "deliveries")), 1);
    ck_assert_uint_eq (json_object_array_length (array_member (unrelated, "deliveries")), 0);
  }

  path = g_strdup_printf ("/api/v1/deliveries/%s", id);
  detail = call (&c, "GET", path, NULL, 200);
  ck_assert_str_eq (str_member (detail, "state"), "delivered");
  response = member (detail, "response");
  ck_assert_msg (response != NULL, "no response: %s", json_object_to_json_string (detail));
  ck_assert_int_eq (int_member (response, "status"), 200);
  assert_contains (str_member (response, "excerpt"), "ok");
  assert_contains (str_member (member (detail, "request"), "body"), "cube.gcode");

  {
    g_autofree char *retry = g_strdup_printf ("/api/v1/deliveries/%s/retry", id);
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", retry, NULL);

    assert_error_json (r, 409);
  }
  {
    g_autofree char *resend = g_strdup_printf ("/api/v1/deliveries/%s/resend", id);
    g_autoptr (json_object) json = call (&c, "POST", resend, NULL, 200);

    new_id = g_strdup (json_object_get_string (member (json, "id")));
    ck_assert_str_ne (new_id, id);
    ck_assert_str_eq (str_member (json, "state"), "pending");
  }
  records = receiver_wait (rec, 2);
  ck_assert_str_eq (record_path (records, 1), "/ok");
  ck_assert_str_eq (record_field (records, 1, "event"), "PrintDone");
  ck_assert_str_eq (record_field (records, 1, "file"), "cube.gcode");
  /* A new delivery: receivers that drop duplicates by id must not drop it. */
  ck_assert_str_ne (ph_record_header (json_object_array_get_idx (records, 0), "webhook-id"),
                    ph_record_header (json_object_array_get_idx (records, 1), "webhook-id"));
  json_object_put (wait_delivery_state (&c, new_id, "delivered"));
  console_stop (&c);
}
END_TEST

START_TEST (test_unknown_delivery_is_404)
{
  g_auto (console) c = { 0 };
  static const char *const requests[][2] = {
    { "GET", "/api/v1/deliveries/424242" },
    { "GET", "/api/v1/deliveries/nonsense" },
    { "POST", "/api/v1/deliveries/424242/retry" },
    { "POST", "/api/v1/deliveries/424242/resend" },
    { "DELETE", "/api/v1/deliveries/424242" },
  };

  console_start (&c, ANY_PORT, "");
  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr (ph_console_reply) r = send_bearer (&c, requests[i][0], requests[i][1], NULL);

      ck_assert_msg (r->status == 404, "%s %s: HTTP %ld", requests[i][0], requests[i][1],
                     r->status);
      assert_error_json (r, 404);
    }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/deliveries?state=lost", NULL);

    assert_error_json (r, 400);
  }
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/deliveries?limit=many", NULL);

    assert_error_json (r, 400);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_failed_attempt_is_retrying_and_can_be_tried_now)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (rec, "/status/503");
  /* The next attempt would be ten minutes away. */
  g_autofree char *hooks = g_strdup_printf ("[hook flaky]\nurl = %s\nevents = PrintDone\n"
                                            "retry.schedule = 600\n", url);
  g_auto (console) c = { 0 };
  g_autoptr (json_object) hooks_json = NULL;
  g_autoptr (json_object) pending = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  json_object *h, *last, *item;

  console_start (&c, ANY_PORT, hooks);
  emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 1));
  hooks_json = wait_hook_counter (&c, "flaky", "retrying", 1);
  h = find_hook (hooks_json, "flaky");
  ck_assert_int_eq (int_member (h, "delivered"), 0);
  ck_assert_int_eq (int_member (h, "dead"), 0);
  last = member (h, "last");
  ck_assert_msg (last != NULL, "no last: %s", json_object_to_json_string (h));
  ck_assert_str_eq (str_member (last, "outcome"), "retrying");
  ck_assert_int_eq (int_member (last, "status"), 503);

  pending = wait_deliveries (&c, "state=pending", 1);
  item = json_object_array_get_idx (array_member (pending, "deliveries"), 0);
  ck_assert_str_eq (str_member (item, "state"), "pending");
  ck_assert_int_eq (int_member (item, "attempts"), 1);
  ck_assert_int_eq (int_member (item, "status"), 503);
  {
    g_autoptr (json_object) status = call (&c, "GET", "/api/v1/status", NULL, 200);

    ck_assert_int_eq (int_member (member (status, "spool"), "pending"), 1);
  }
  id = first_id (pending);
  path = g_strdup_printf ("/api/v1/deliveries/%s/retry", id);
  {
    g_autoptr (json_object) json = call (&c, "POST", path, NULL, 200);

    ck_assert_str_eq (str_member (json, "state"), "pending");
  }
  /* Due now, not in ten minutes. */
  json_object_put (receiver_wait (rec, 2));
  json_object_put (wait_hook_counter (&c, "flaky", "retrying", 2));
  g_free (path);
  path = g_strdup_printf ("/api/v1/deliveries/%s", id);
  {
    g_autoptr (json_object) json = call (&c, "DELETE", path, NULL, 200);

    ck_assert (bool_member (json, "deleted"));
  }
  {
    g_autoptr (json_object) status = call (&c, "GET", "/api/v1/status", NULL, 200);

    ck_assert_int_eq (int_member (member (status, "spool"), "pending"), 0);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_history_keeps_the_newest)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a", "events = PrintDone\n");
  g_auto (console) c = { 0 };
  g_autoptr (json_object) json = NULL;
  json_object *list;

  console_start (&c, ANY_PORT "history = 3\n", hooks);
  for (guint i = 0; i < 6; i++)
    emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 6));
  json_object_put (wait_hook_counter (&c, "a", "delivered", 6));
  json = call (&c, "GET", "/api/v1/deliveries?state=delivered", NULL, 200);
  list = array_member (json, "deliveries");
  ck_assert_uint_eq (json_object_array_length (list), 3);
  /* Newest first. */
  for (guint i = 1; i < 3; i++)
    ck_assert (json_object_get_double (member (json_object_array_get_idx (list, i - 1), "created"))
               >= json_object_get_double (member (json_object_array_get_idx (list, i), "created")));
  {
    g_autoptr (json_object) limited = call (&c, "GET", "/api/v1/deliveries?state=delivered&limit=2",
                                            NULL, 200);

    ck_assert_uint_eq (json_object_array_length (array_member (limited, "deliveries")), 2);
  }
  console_stop (&c);
}
END_TEST

/* --- reload -------------------------------------------------------------- */

START_TEST (test_reload_refuses_a_broken_config_and_keeps_the_old)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *good = hook (rec, "a", "events = PrintDone\n");
  g_autofree char *b = hook (rec, "b", "events = PrintDone\n");
  g_autofree char *better = g_strconcat (good, b, NULL);
  g_autofree char *problem = NULL;
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT, good);
  /* [printhook] takes lines 1 to 4 and [console] 5 to 8: the hook starts at 9. */
  write_config (&c, ANY_PORT, "[hook a]\nurl = nowhere\nevetns = PrintDone\n");
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", "/api/v1/reload", NULL);
    g_autoptr (json_object) json = NULL;
    g_autofree char *problems = NULL;

    assert_error_json (r, 422);
    json = ph_console_reply_json (r);
    problems = joined (array_member (json, "problems"));
    problem = g_strdup_printf ("%s:11: error: [hook a] evetns: unknown key; did you mean 'events'?",
                               c.config);
    assert_contains (problems, problem);
    g_free (problem);
    problem = g_strdup_printf ("%s:10: error: [hook a] url: 'nowhere' is not an http:// or https:// URL",
                               c.config);
    assert_contains (problems, problem);
  }
  {
    g_autoptr (json_object) hooks = call (&c, "GET", "/api/v1/hooks", NULL, 200);
    g_autofree char *url = ph_receiver_url (rec, "/a");

    ck_assert_uint_eq (json_object_array_length (array_member (hooks, "hooks")), 1);
    ck_assert_str_eq (str_member (find_hook (hooks, "a"), "url"), url);
  }
  /* Still delivering with the old one. */
  emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 1));

  write_config (&c, ANY_PORT, better);
  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/reload", NULL, 200);

    ck_assert (bool_member (json, "reloaded"));
    ck_assert_int_eq (int_member (json, "hooks"), 2);
    ck_assert_int_eq (int_member (json, "sources"), 0);
  }
  {
    g_autoptr (json_object) hooks = call (&c, "GET", "/api/v1/hooks", NULL, 200);

    ck_assert_uint_eq (json_object_array_length (array_member (hooks, "hooks")), 2);
    find_hook (hooks, "b");
  }
  /* The same console: the address and the token have not changed. */
  {
    g_autofree char *token = read_token (c.token_file);

    ck_assert_str_eq (token, c.token);
  }
  emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 3));
  console_stop (&c);
}
END_TEST

/* --- the event stream ---------------------------------------------------- */

/* A GET /api/v1/events read by libcurl in a thread of its own, everything
 * it received kept. */
typedef struct {
  char *url;
  char *auth;
  GMutex lock;
  GString *data;
  long status;          /* of the status line */
  gboolean headers_done;
  char *content_type;
  gint stop;
  gboolean ended;       /* curl_easy_perform returned: the console closed it */
  CURLcode result;
  GThread *thread;
} stream;

static size_t
stream_on_data (char *data, size_t size, size_t count, void *user_data)
{
  stream *s = user_data;

  g_mutex_lock (&s->lock);
  g_string_append_len (s->data, data, size * count);
  g_mutex_unlock (&s->lock);
  return g_atomic_int_get (&s->stop) ? 0 : size * count;
}

static size_t
stream_on_header (char *data, size_t size, size_t count, void *user_data)
{
  stream *s = user_data;
  g_autofree char *line = g_strndup (data, size * count);

  g_strchomp (line);
  g_mutex_lock (&s->lock);
  if (g_str_has_prefix (line, "HTTP/") && strchr (line, ' ') != NULL)
    s->status = strtol (strchr (line, ' ') + 1, NULL, 10);
  else if (g_ascii_strncasecmp (line, "Content-Type:", 13) == 0)
    {
      g_free (s->content_type);
      s->content_type = g_strdup (g_strstrip (line + 13));
    }
  else if (line[0] == '\0')
    s->headers_done = TRUE;
  g_mutex_unlock (&s->lock);
  return size * count;
}

static int
stream_on_progress (void *user_data, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
  stream *s = user_data;

  return g_atomic_int_get (&s->stop);
}

static gpointer
stream_run (gpointer user_data)
{
  stream *s = user_data;
  CURL *curl = curl_easy_init ();
  struct curl_slist *list = curl_slist_append (NULL, s->auth);
  CURLcode result;

  list = curl_slist_append (list, "Accept: text/event-stream");
  curl_easy_setopt (curl, CURLOPT_URL, s->url);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, stream_on_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, s);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, stream_on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, s);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, stream_on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, s);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 120L);
  result = curl_easy_perform (curl);
  g_mutex_lock (&s->lock);
  s->result = result;
  s->ended = TRUE;
  g_mutex_unlock (&s->lock);
  curl_slist_free_all (list);
  curl_easy_cleanup (curl);
  return NULL;
}

static stream *
stream_open (console *c)
{
  stream *s = g_new0 (stream, 1);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC * slowness ();

  s->url = g_strconcat (c->base, "/api/v1/events", NULL);
  s->auth = g_strdup (c->bearer);
  s->data = g_string_new (NULL);
  g_mutex_init (&s->lock);
  s->thread = g_thread_new ("event-stream", stream_run, s);
  /* Subscribed once the response has begun. */
  for (;;)
    {
      gboolean started;

      g_mutex_lock (&s->lock);
      started = s->headers_done;
      g_mutex_unlock (&s->lock);
      if (started)
        break;
      ck_assert_msg (g_get_monotonic_time () < deadline,
                     "GET /api/v1/events: no response headers within 5 s");
      g_usleep (10 * 1000);
    }
  return s;
}

static void
stream_close (stream *s)
{
  g_atomic_int_set (&s->stop, 1);
  g_thread_join (s->thread);
  g_mutex_clear (&s->lock);
  g_string_free (s->data, TRUE);
  g_free (s->content_type);
  g_free (s->url);
  g_free (s->auth);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (stream, stream_close)

/* The data of the first complete message of type event whose data has
 * needle in it, parsed (transfer full), or NULL. */
static json_object *
stream_find (stream *s, const char *event, const char *needle)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) messages = NULL;
  json_object *found = NULL;

  g_mutex_lock (&s->lock);
  text = g_strdup (s->data->str);
  g_mutex_unlock (&s->lock);
  /* The last piece may be an unfinished message. */
  messages = g_strsplit (text, "\n\n", -1);
  for (guint i = 0; found == NULL && messages[i] != NULL && messages[i + 1] != NULL; i++)
    {
      g_auto (GStrv) lines = g_strsplit (messages[i], "\n", -1);
      g_autoptr (GString) data = g_string_new (NULL);
      const char *type = "message";

      for (guint j = 0; lines[j] != NULL; j++)
        {
          g_strchomp (lines[j]);
          if (g_str_has_prefix (lines[j], "event: "))
            type = lines[j] + 7;
          else if (g_str_has_prefix (lines[j], "data: "))
            g_string_append_printf (data, "%s%s", data->len ? "\n" : "", lines[j] + 6);
        }
      if (strcmp (type, event) == 0 && strstr (data->str, needle) != NULL)
        {
          found = json_tokener_parse (data->str);
          ck_assert_msg (found != NULL, "event: %s with data that is not JSON: %s", event,
                         data->str);
        }
    }
  return found;
}

static json_object *
stream_wait (stream *s, const char *event, const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * slowness ();
  json_object *found;

  while ((found = stream_find (s, event, needle)) == NULL)
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *text = NULL;

          g_mutex_lock (&s->lock);
          text = g_strdup (s->data->str);
          g_mutex_unlock (&s->lock);
          ck_abort_msg ("no 'event: %s' with %s within 10 s; the stream so far:\n%s", event,
                        needle, text);
        }
      g_usleep (POLL_MS * 1000);
    }
  return found;
}

static guint
count_text (const char *text, const char *needle)
{
  guint count = 0;

  for (const char *p = text; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    count++;
  return count;
}

/* Waits until the stream holds needle count times, for at most
 * timeout_s; returns how many bytes it received by then. Only the bytes
 * that arrived since the last look are searched, and under the lock
 * without a copy: under valgrind the whole test process runs one thread at
 * a time, and copying and rescanning a few hundred kB every 50 ms starved
 * the reading thread until the console, rightly, dropped it as too slow.
 * The daemon's log is in the failure message (it says if it dropped us). */
static gsize
stream_wait_text (stream *s, console *c, const char *needle, guint count, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC * slowness ();
  gsize needle_len = strlen (needle);
  gsize scanned = 0;    /* bytes searched: every needle before this is counted */
  guint found = 0;

  for (;;)
    {
      gsize len;
      gboolean ended;

      g_mutex_lock (&s->lock);
      /* A needle may straddle the old end: search again from just before it. */
      for (const char *p = s->data->str + (scanned >= needle_len ? scanned - needle_len + 1 : 0);
           (p = strstr (p, needle)) != NULL; p += needle_len)
        found++;
      len = scanned = s->data->len;
      ended = s->ended;
      g_mutex_unlock (&s->lock);
      if (found >= count)
        return len;
      if (ended || g_get_monotonic_time () >= deadline)
        {
          g_autofree char *log = ph_daemon_process_log (c->daemon);

          ck_abort_msg ("'%s' %u of %u times in the stream (%" G_GSIZE_FORMAT " bytes) %s; "
                        "the daemon's log ends with:\n%s",
                        needle, found, count, len,
                        ended ? "when the console closed it" : "by the deadline",
                        log + (strlen (log) > 3000 ? strlen (log) - 3000 : 0));
        }
      g_usleep (POLL_MS * 1000);
    }
}

START_TEST (test_event_stream_tells_events_and_deliveries)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a", "events = PrintDone\n");
  g_auto (console) c = { 0 };
  g_autoptr (stream) s = NULL;
  g_autoptr (json_object) event = NULL;
  g_autoptr (json_object) delivery = NULL;

  console_start (&c, ANY_PORT, hooks);
  s = stream_open (&c);
  g_mutex_lock (&s->lock);
  ck_assert_int_eq (s->status, 200);
  ck_assert_msg (s->content_type != NULL && g_str_has_prefix (s->content_type, "text/event-stream"),
                 "Content-Type %s", s->content_type ? s->content_type : "(none)");
  g_mutex_unlock (&s->lock);
  emit_ok (&c, "PrintDone", NULL);
  event = stream_wait (s, "event", "\"PrintDone\"");
  ck_assert_str_eq (str_member (event, "name"), "PrintDone");
  assert_number_member (event, "time");
  member (event, "source");
  delivery = stream_wait (s, "delivery", "\"delivered\"");
  ck_assert_str_eq (str_member (delivery, "hook"), "a");
  ck_assert_str_eq (str_member (delivery, "event"), "PrintDone");
  ck_assert_str_eq (str_member (delivery, "outcome"), "delivered");
  ck_assert_int_eq (int_member (delivery, "status"), 200);
  member (delivery, "id");
  assert_number_member (delivery, "time");
  assert_number_member (delivery, "duration_s");
  assert_null_member (delivery, "error");
  json_object_put (receiver_wait (rec, 1));
  console_stop (&c);
}
END_TEST

/* A client that subscribes and then never reads: its receive buffer kept
 * small so that the console's queue for it fills. */
static int
connect_and_never_read (console *c)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (c->port) };
  g_autofree char *request = g_strdup_printf ("GET /api/v1/events HTTP/1.1\r\n"
                                              "Host: 127.0.0.1:%u\r\n%s\r\n"
                                              "Accept: text/event-stream\r\n\r\n",
                                              (guint) c->port, c->bearer);
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int size = 2048;

  ck_assert (fd >= 0);
  ck_assert (setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ck_assert_msg (connect (fd, (struct sockaddr *) &address, sizeof address) == 0, "connect: %s",
                 g_strerror (errno));
  ck_assert (write (fd, request, strlen (request)) == (ssize_t) strlen (request));
  return fd;
}

/* Reads until the server closes (TRUE) or nothing came for 10 s. */
static gboolean
read_to_end (int fd)
{
  struct timeval timeout = { .tv_sec = 10 * slowness () };
  char buffer[65536];
  ssize_t n;

  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    ;
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

START_TEST (test_slow_event_stream_client_is_dropped_and_deliveries_go_on)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *h1 = hook (rec, "one", "events = *\n");
  g_autofree char *h2 = hook (rec, "two", "events = *\n");
  g_autofree char *h3 = hook (rec, "three", "events = *\n");
  g_autofree char *hooks = g_strconcat (h1, h2, h3, NULL);
  g_auto (console) c = { 0 };
  /* Long names make each event and delivery message about 4 kB, so that
   * 300 events (about 5 MB of stream) are well over what the kernel's
   * buffers of a loopback connection hold (over 1 MB) and the 64 kB a
   * client that stopped reading may hold beyond them. */
  g_autofree char *name = g_strnfill (4000, 'E');
  gint64 deadline;
  guint emitted = 0;
  int slow;

  console_start (&c, ANY_PORT, hooks);
  slow = connect_and_never_read (&c);
  /* Let the console take it as a subscriber. */
  g_usleep (500 * 1000);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC * slowness ();
  while (emitted < 300 && g_get_monotonic_time () < deadline)
    {
      emit_through_socket (&c, name);
      emitted++;
    }
  ck_assert_msg (emitted >= 100, "only %u events emitted in 60 s", emitted);
  /* Every delivery arrives: the stalled client holds nothing up. */
  json_object_put (ph_receiver_wait (rec, emitted * 3, 60000 * slowness ()));
  ph_daemon_process_wait_log (c.daemon, DROPPED, 1, 10000);
  ck_assert_uint_eq (ph_daemon_process_count_log (c.daemon, DROPPED), 1);
  ck_assert_msg (read_to_end (slow), "the console did not close the slow client's connection");
  close (slow);
  {
    g_autoptr (ph_console_reply) r = send_as (&c, "GET", "/healthz", NULL, NULL);

    assert_status (r, 200);
  }
  json_object_put (wait_hook_counter (&c, "three", "delivered", emitted));
  console_stop (&c);
}
END_TEST

START_TEST (test_event_stream_keeps_alive)
{
  g_auto (console) c = { 0 };
  g_autoptr (stream) s = NULL;

  console_start (&c, ANY_PORT, "");
  s = stream_open (&c);
  stream_wait_text (s, &c, "\n: keepalive\n", 1, 20);
  console_stop (&c);
}
END_TEST

/* Reads from fd until needle came count times, the server closed, or
 * nothing came for 10 s; returns how many times it came. */
static guint
read_until (int fd, const char *needle, guint count)
{
  struct timeval timeout = { .tv_sec = 10 * slowness () };
  g_autoptr (GString) text = g_string_new (NULL);
  char buffer[65536];
  ssize_t n;

  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  while (count_text (text->str, needle) < count && (n = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  return count_text (text->str, needle);
}

/* Behind, from the client's side: what was sent to it and it has not
 * read, kernel buffers included. */
START_TEST (test_event_stream_client_less_than_256_kB_behind_is_kept)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "one", "events = *\n");
  g_auto (console) c = { 0 };
  g_autofree char *name = g_strnfill (600, 'E');
  g_autoptr (stream) reader = NULL;
  gsize behind;
  int slow;

  console_start (&c, ANY_PORT, hooks);
  reader = stream_open (&c);
  slow = connect_and_never_read (&c);
  g_usleep (500 * 1000);
  for (guint i = 0; i < 100; i++)
    emit_through_socket (&c, name);
  json_object_put (ph_receiver_wait (rec, 100, 30000 * slowness ()));
  /* A client that reads measures how far behind the other one is. */
  behind = stream_wait_text (reader, &c, "event: delivery\n", 100, 10);
  ck_assert_msg (behind > 100 * 1024 && behind < 200 * 1024,
                 "the test needs 100 to 200 kB of events, not %" G_GSIZE_FORMAT " bytes", behind);
  g_usleep (300 * 1000);
  assert_log_lacks (c.daemon, DROPPED);
  /* Once it reads, it gets everything. */
  ck_assert_uint_eq (read_until (slow, "event: delivery\n", 100), 100);
  close (slow);
  console_stop (&c);
}
END_TEST

/* A burst as a print farm makes it, ten hooks on every event: a client
 * that reads all the while is never 256 kB behind, so it is kept. */
START_TEST (test_event_stream_reader_is_kept_through_a_burst)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autoptr (GString) hooks = g_string_new (NULL);
  g_auto (console) c = { 0 };
  g_autoptr (stream) reader = NULL;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("hook%u", i);
      g_autofree char *group = hook (rec, name, "events = *\n");

      g_string_append (hooks, group);
    }
  console_start (&c, ANY_PORT, hooks->str);
  reader = stream_open (&c);
  for (guint i = 0; i < 300; i++)
    emit_through_socket (&c, "FilamentChange");
  json_object_put (ph_receiver_wait (rec, 3000, 60000 * slowness ()));
  stream_wait_text (reader, &c, "event: event\n", 300, 10);
  stream_wait_text (reader, &c, "event: delivery\n", 3000, 30);
  assert_log_lacks (c.daemon, DROPPED);
  console_stop (&c);
}
END_TEST

/* --- secrets ------------------------------------------------------------- */

static const char *const secrets[] = {
  "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",   /* signing_secret */
  "URL-PASSWORD-77",                    /* password in the URL */
  "SECRET-HEADER-VALUE",                /* a credential header */
  "API-SECRET-VALUE-42",                /* api_secret, in the default body */
  "0C7A5EC12E7A5EC12E7A5EC12E7A5EC1",   /* the source's api_key */
  "OAUTH-CLIENT-SECRET-9",              /* oauth.data */
  "OAUTH-HEADER-SECRET-8",              /* oauth.headers */
};

static void
assert_no_secret (const char *what, const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    ck_assert_msg (strstr (text, secrets[i]) == NULL, "%s shows the secret %s:\n%s", what,
                   secrets[i], text);
}

static void
assert_get_hides_secrets (console *c, const char *path)
{
  g_autoptr (ph_console_reply) r = send_bearer (c, "GET", path, NULL);
  g_autofree char *what = g_strdup_printf ("GET %s (HTTP %ld)", path, r->status);

  ck_assert_msg (r->status == 200, "%s:\n%s", what, r->body->str);
  assert_no_secret (what, r->body->str);
  for (guint i = 0; i < r->headers->len; i++)
    assert_no_secret (what, g_ptr_array_index (r->headers, i));
}

/* The record of the request that went to path (transfer none). */
static json_object *
record_to (json_object *records, const char *path)
{
  for (size_t i = 0; i < json_object_array_length (records); i++)
    if (g_strcmp0 (record_path (records, i), path) == 0)
      return json_object_array_get_idx (records, i);
  ck_abort_msg ("nothing went to %s", path);
  return NULL;
}

START_TEST (test_secrets_never_leave_the_console)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  guint port = ph_receiver_port (rec);
  g_autofree char *hooks = g_strdup_printf (
      "[source printer]\ntype = octoprint\nurl = http://127.0.0.1:9\n"
      "api_key = 0C7A5EC12E7A5EC12E7A5EC12E7A5EC1\n\n"
      "[hook s]\nurl = http://127.0.0.1:%u/s\nevents = PrintDone\n"
      "signing_secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
      "api_secret = API-SECRET-VALUE-42\n"
      "headers = {\"Authorization\": \"Bearer SECRET-HEADER-VALUE\"}\n\n"
      "[hook u]\nurl = http://user:URL-PASSWORD-77@127.0.0.1:%u/u\nevents = PrintDone\n\n"
      "[hook o]\nurl = http://127.0.0.1:%u/o\nevents = PrintStarted\n"
      "oauth.url = http://127.0.0.1:%u/token\n"
      "oauth.data = {\"client_id\": \"me\", \"client_secret\": \"OAUTH-CLIENT-SECRET-9\"}\n"
      "oauth.headers = {\"X-Key\": \"OAUTH-HEADER-SECRET-8\"}\n",
      port, port, port, port);
  g_auto (console) c = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autoptr (json_object) delivered = NULL;
  json_object *list;

  console_start (&c, ANY_PORT, hooks);
  emit_ok (&c, "PrintDone", NULL);
  records = receiver_wait (rec, 2);
  /* The secrets are real: the receiver got them. */
  ck_assert_str_eq (ph_record_header (record_to (records, "/s"), "Authorization"),
                    "Bearer SECRET-HEADER-VALUE");
  ck_assert_str_eq (str_member (member (record_to (records, "/s"), "json"), "apiSecret"),
                    "API-SECRET-VALUE-42");
  ck_assert_str_eq (ph_record_header (record_to (records, "/u"), "Authorization"),
                    "Basic dXNlcjpVUkwtUEFTU1dPUkQtNzc=");
  delivered = wait_deliveries (&c, "state=delivered", 2);

  assert_get_hides_secrets (&c, "/api/v1/status");
  assert_get_hides_secrets (&c, "/api/v1/hooks");
  assert_get_hides_secrets (&c, "/api/v1/hooks/s/render?event=PrintDone");
  assert_get_hides_secrets (&c, "/api/v1/hooks/u/render?event=PrintDone");
  assert_get_hides_secrets (&c, "/api/v1/deliveries");
  assert_get_hides_secrets (&c, "/api/v1/deliveries?state=delivered");
  assert_get_hides_secrets (&c, "/metrics");
  list = array_member (delivered, "deliveries");
  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      json_object *item = json_object_array_get_idx (list, i);
      g_autofree char *path = g_strdup_printf ("/api/v1/deliveries/%s",
                                               json_object_get_string (member (item, "id")));
      g_autoptr (json_object) detail = NULL;
      json_object *request;

      assert_get_hides_secrets (&c, path);
      detail = call (&c, "GET", path, NULL, 200);
      request = member (detail, "request");
      if (strcmp (str_member (item, "hook"), "s") == 0)
        assert_contains (str_member (member (request, "headers"), "Authorization"), "***");
      else
        assert_contains (str_member (request, "url"), "***");
    }
  {
    g_autoptr (json_object) hooks_json = call (&c, "GET", "/api/v1/hooks", NULL, 200);
    g_autoptr (json_object) render = call (&c, "GET", "/api/v1/hooks/s/render?event=PrintDone",
                                           NULL, 200);

    assert_contains (str_member (find_hook (hooks_json, "u"), "url"), "***");
    assert_contains (str_member (member (render, "headers"), "Authorization"), "***");
  }
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/hooks/%s/test", i == 0 ? "s" : "u");
      g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", path, "{\"event\": \"PrintDone\"}");

      assert_status (r, 200);
      assert_no_secret (path, r->body->str);
    }
  json_object_put (receiver_wait (rec, 4));
  console_stop (&c);
}
END_TEST

/* --- metrics ------------------------------------------------------------- */

START_TEST (test_metrics_count_events_and_deliveries)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a", "events = PrintDone\n");
  g_auto (console) c = { 0 };
  gint64 deadline;

  console_start (&c, ANY_PORT, hooks);
  emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 1));
  json_object_put (wait_hook_counter (&c, "a", "delivered", 1));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * slowness ();
  for (;;)
    {
      g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/metrics", NULL);
      const char *type = ph_console_reply_header (r, "Content-Type");

      assert_status (r, 200);
      ck_assert_msg (type != NULL && g_str_has_prefix (type, "text/plain; version=0.0.4"),
                     "Content-Type %s", type ? type : "(none)");
      if (strstr (r->body->str, "printhook_deliveries_total{hook=\"a\",outcome=\"delivered\"} 1\n")
          == NULL && g_get_monotonic_time () < deadline)
        {
          g_usleep (POLL_MS * 1000);
          continue;
        }
      assert_contains (r->body->str, "# TYPE printhook_deliveries_total counter\n");
      assert_contains (r->body->str, "printhook_deliveries_total{hook=\"a\",outcome=\"delivered\"} 1\n");
      assert_contains (r->body->str, "# TYPE printhook_events_total counter\n");
      assert_contains (r->body->str, "printhook_events_total{");
      assert_contains (r->body->str, "event=\"PrintDone\"} 1\n");
      assert_contains (r->body->str, "\nprinthook_spool_pending 0\n");
      assert_contains (r->body->str, "\nprinthook_spool_dead 0\n");
      assert_contains (r->body->str, "printhook_attempt_duration_seconds_count{hook=\"a\"} 1\n");
      assert_contains (r->body->str, "printhook_last_delivery_timestamp_seconds{hook=\"a\"} ");
      assert_contains (r->body->str, "\nprinthook_uptime_seconds ");
      break;
    }
  console_stop (&c);
}
END_TEST

/* --- HTTPS ---------------------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1 and its key, made by openssl. */
static void
make_certificate (const char *cert, const char *key)
{
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                     &wait_status, &error)
      || !g_spawn_check_wait_status (wait_status, &error))
    ck_abort_msg ("openssl req: %s\n%s", error->message, err != NULL ? err : "");
}

START_TEST (test_https_console_sets_a_secure_cookie)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *keys = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *form = NULL;
  g_auto (console) c = { 0 };
  const char *https = "console: listening on https://127.0.0.1:";

  make_certificate (cert, key);
  keys = g_strdup_printf (ANY_PORT "tls_cert = %s\ntls_key = %s\n", cert, key);
  write_config (&c, keys, "");
  c.daemon = ph_daemon_process_start (c.config);
  ph_daemon_process_wait_log (c.daemon, https, 1, 10000);
  c.port = logged_port (c.daemon, https);
  c.token = read_token (c.token_file);
  c.bearer = g_strdup_printf ("Authorization: Bearer %s", c.token);
  base = g_strdup_printf ("https://127.0.0.1:%u", (guint) c.port);
  url = g_strconcat (base, "/login", NULL);
  form = g_strdup_printf ("token=%s", c.token);
  {
    g_autoptr (ph_console_reply) r = ph_console_request_tls ("POST", url, NULL, form, -1, cert);
    const char *set = ph_console_reply_header (r, "Set-Cookie");

    assert_status (r, 303);
    ck_assert_msg (set != NULL, "no Set-Cookie");
    assert_contains (set, "; Secure");
    assert_contains (set, "; HttpOnly");
  }
  g_free (url);
  url = g_strconcat (base, "/api/v1/status", NULL);
  {
    const char *headers[] = { c.bearer, NULL };
    g_autoptr (ph_console_reply) r = ph_console_request_tls ("GET", url, headers, NULL, -1, cert);

    assert_status (r, 200);
    assert_security_headers (r, "GET /api/v1/status over https");
  }
  console_stop (&c);
}
END_TEST

/* --- when there is no console -------------------------------------------- */

START_TEST (test_disabled_console_does_not_listen)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a", "events = PrintDone\n");
  g_auto (console) c = { 0 };

  write_config (&c, ANY_PORT "enabled = false\n", hooks);
  c.daemon = ph_daemon_process_start (c.config);
  emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 1));
  ph_daemon_process_wait_log (c.daemon, "hook a: PrintDone delivered", 1, 10000);
  assert_log_lacks (c.daemon, "console: listening");
  console_stop (&c);
}
END_TEST

START_TEST (test_port_in_use_is_reported_and_delivery_goes_on)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *hooks = hook (rec, "a", "events = PrintDone\n");
  g_auto (console) c = { 0 };
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof address;
  g_autofree char *listen_key = NULL;
  g_autofree char *where = NULL;
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean reported = FALSE;
  int taken = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ck_assert (taken >= 0);
  ck_assert (bind (taken, (struct sockaddr *) &address, sizeof address) == 0);
  ck_assert (listen (taken, 1) == 0);
  ck_assert (getsockname (taken, (struct sockaddr *) &address, &length) == 0);
  where = g_strdup_printf ("127.0.0.1:%u", (guint) ntohs (address.sin_port));
  listen_key = g_strdup_printf ("listen = %s\n", where);

  write_config (&c, listen_key, hooks);
  c.daemon = ph_daemon_process_start (c.config);
  ph_daemon_process_wait_log (c.daemon, where, 1, 10000);
  log = ph_daemon_process_log (c.daemon);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL && !reported; i++)
    reported = strstr (lines[i], where) != NULL && strstr (lines[i], "console") != NULL
               && (g_str_has_prefix (lines[i], "printhook: error: ")
                   || g_str_has_prefix (lines[i], "printhook: warning: "));
  ck_assert_msg (reported, "no console error or warning naming %s in:\n%s", where, log);
  assert_log_lacks (c.daemon, "console: listening");
  emit_ok (&c, "PrintDone", NULL);
  json_object_put (receiver_wait (rec, 1));
  console_stop (&c);
  close (taken);
}
END_TEST

static Suite *
console_suite (void)
{
  Suite *s = suite_create ("console");
  TCase *auth = tcase_create ("auth");
  TCase *api = tcase_create ("api");
  TCase *stream_case = tcase_create ("stream");
  TCase *daemon_case = tcase_create ("daemon");

  tcase_set_timeout (auth, 60 * slowness ());
  tcase_add_test (auth, test_token_file_is_made_once_with_mode_0600);
  tcase_add_test (auth, test_public_pages_need_no_token);
  tcase_add_test (auth, test_every_other_endpoint_needs_the_token);
  tcase_add_test (auth, test_wrong_bearer_is_refused_then_rate_limited);
  tcase_add_test (auth, test_lockout_refuses_even_the_right_token);
  tcase_add_test (auth, test_every_response_has_security_headers_and_no_cors);
  tcase_add_test (auth, test_unknown_path_and_wrong_method);
  tcase_add_test (auth, test_login_sets_a_strict_http_only_cookie);
  tcase_add_test (auth, test_session_opens_the_page_and_the_api);
  tcase_add_test (auth, test_cookie_requests_need_csrf_token_and_own_origin);
  tcase_add_test (auth, test_logout_ends_the_session);
  tcase_add_test (auth, test_logout_takes_csrf_as_a_form_field);
  suite_add_tcase (s, auth);

  tcase_set_timeout (api, 60 * slowness ());
  tcase_add_test (api, test_status_says_version_and_spool);
  tcase_add_test (api, test_hooks_list_and_count_deliveries);
  tcase_add_test (api, test_known_events_are_the_builtins);
  tcase_add_test (api, test_render_shows_the_request);
  tcase_add_test (api, test_render_refuses_unknown_hook_and_bad_event);
  tcase_add_test (api, test_test_button_sends_the_webhook);
  tcase_add_test (api, test_test_button_refuses_bad_requests);
  tcase_add_test (api, test_dead_letter_is_listed_retried_and_deleted);
  tcase_add_test (api, test_delivered_one_is_kept_and_can_be_resent);
  tcase_add_test (api, test_unknown_delivery_is_404);
  tcase_add_test (api, test_failed_attempt_is_retrying_and_can_be_tried_now);
  tcase_add_test (api, test_history_keeps_the_newest);
  tcase_add_test (api, test_reload_refuses_a_broken_config_and_keeps_the_old);
  tcase_add_test (api, test_secrets_never_leave_the_console);
  tcase_add_test (api, test_metrics_count_events_and_deliveries);
  suite_add_tcase (s, api);

  tcase_set_timeout (stream_case, 180 * slowness ());
  tcase_add_test (stream_case, test_event_stream_tells_events_and_deliveries);
  tcase_add_test (stream_case, test_event_stream_keeps_alive);
  tcase_add_test (stream_case, test_event_stream_client_less_than_256_kB_behind_is_kept);
  tcase_add_test (stream_case, test_slow_event_stream_client_is_dropped_and_deliveries_go_on);
  tcase_add_test (stream_case, test_event_stream_reader_is_kept_through_a_burst);
  suite_add_tcase (s, stream_case);

  tcase_set_timeout (daemon_case, 60 * slowness ());
  tcase_add_test (daemon_case, test_https_console_sets_a_secure_cookie);
  tcase_add_test (daemon_case, test_disabled_console_does_not_listen);
  tcase_add_test (daemon_case, test_port_in_use_is_reported_and_delivery_goes_on);
  suite_add_tcase (s, daemon_case);
  return s;
}

int
main (void)
{
  int status;

  ph_test_init ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  status = ph_test_run (console_suite ());
  curl_global_cleanup ();
  return status;
}
