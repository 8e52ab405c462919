/* core/delivery/http.c against a real HTTP server: a libsoup SoupServer on 127.0.0.1,
 * on the same main context, that records every request it receives.
 *
 * The test accepts connections itself and hands them to the SoupServer:
 * libsoup 3.2's own listener leaks a reference to every accepted GSocket and
 * the address soup_server_get_uris reads (soup-listener.c, listen_watch and
 * soup_listener_get_address), which valgrind would blame on this suite.
 * The server still gets a listening socket nobody connects to, because it
 * keeps connections alive only while it has one (soup-server.c,
 * request_finished). */
#include "autoconfig.h"
#include "harness.h"
#include "delivery/http.h"

#include <arpa/inet.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the server saw of one request. */
typedef struct {
  char *method;
  char *path;
  char *query;
  SoupMessageHeaders *headers;
  GBytes *body;
  guint16 remote_port;
} seen_request;

/* What a ph_http_callback received, copied out of the response. */
typedef struct {
  gboolean done;
  GError *error;
  long status;
  GBytes *body;
  gboolean truncated;
  char *redirect_url;
  char *location;
  char *reply_header;
  char *hop_header;
  gint64 retry_after;
  double total_time;
} outcome;

/* One HTTP or HTTPS server. */
typedef struct {
  SoupServer *soup;
  GSocket *listener;          /* where clients connect */
  GSocket *idle_listener;     /* see the top of the file */
  GSource *accept_source;
  GTlsCertificate *cert;      /* NULL: plain HTTP */
} test_server;

static GMainContext *context;
static ph_http *http;
static test_server server;
static test_server tls_server;
static char *base;            /* http://127.0.0.1:PORT */
static char *tls_base;        /* https://127.0.0.1:PORT */
static GPtrArray *seen;       /* seen_request */
static GPtrArray *paused;     /* SoupServerMessage, paused for ever */
static GPtrArray *outcomes;   /* outcome */
static guint n_done;

static void
seen_request_free (gpointer data)
{
  seen_request *s = data;

  g_free (s->method);
  g_free (s->path);
  g_free (s->query);
  soup_message_headers_unref (s->headers);
  g_bytes_unref (s->body);
  g_free (s);
}

static void
outcome_free (gpointer data)
{
  outcome *o = data;

  g_clear_error (&o->error);
  g_clear_pointer (&o->body, g_bytes_unref);
  g_free (o->redirect_url);
  g_free (o->location);
  g_free (o->reply_header);
  g_free (o->hop_header);
  g_free (o);
}

static seen_request *
seen_at (guint i)
{
  ck_assert_uint_gt (seen->len, i);
  return g_ptr_array_index (seen, i);
}

/* The server. */

static void
handle (SoupServer *srv, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer user_data)
{
  SoupMessageHeaders *reply = soup_server_message_get_response_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  seen_request *s = g_new0 (seen_request, 1);

  s->method = g_strdup (soup_server_message_get_method (msg));
  s->path = g_strdup (path);
  s->query = g_strdup (g_uri_get_query (uri));
  s->headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));
  s->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  s->remote_port = g_inet_socket_address_get_port (
    G_INET_SOCKET_ADDRESS (soup_server_message_get_remote_address (msg)));
  g_ptr_array_add (seen, s);

  if (strcmp (path, "/echo") == 0)
    {
      soup_message_headers_append (reply, "X-Reply", "yes");
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
    }
  else if (strcmp (path, "/status/404") == 0)
    {
      soup_server_message_set_status (msg, 404, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "not found", 9);
    }
  else if (strcmp (path, "/status/503") == 0)
    {
      soup_message_headers_append (reply, "Retry-After", "120");
      soup_server_message_set_status (msg, 503, NULL);
    }
  else if (strcmp (path, "/status/429") == 0)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr (GDateTime) later = g_date_time_add_seconds (now, 90);
      g_autofree char *date = soup_date_time_to_string (later, SOUP_DATE_HTTP);

      soup_message_headers_append (reply, "Retry-After", date);
      soup_server_message_set_status (msg, 429, NULL);
    }
  else if (strcmp (path, "/redirect") == 0)
    {
      soup_message_headers_append (reply, "Location", "/echo?from=redirect");
      soup_message_headers_append (reply, "X-Hop", "1");
      soup_server_message_set_status (msg, 302, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "moved", 5);
    }
  else if (strcmp (path, "/big") == 0)
    {
      gsize size = 10 * 1024 * 1024;
      char *data = g_malloc (size);

      memset (data, 'x', size);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                        data, size);
    }
  else if (strcmp (path, "/huge-headers") == 0)
    {
      g_autofree char *filler = g_strnfill (1000, 'h');

      for (guint i = 0; i < 300; i++)
        {
          g_autofree char *name = g_strdup_printf ("X-Fill-%u", i);
          soup_message_headers_append (reply, name, filler);
        }
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (strcmp (path, "/hang") == 0)
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (paused, g_object_ref (msg));
    }
  else
    soup_server_message_set_status (msg, 500, NULL);
}

/* Hands each connection to the SoupServer, inside TLS for HTTPS. */
static gboolean
on_incoming (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  test_server *srv = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_accept (listener, NULL, NULL);
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GIOStream) stream = NULL;

  if (socket == NULL)
    return G_SOURCE_CONTINUE;
  connection = g_socket_connection_factory_create_connection (socket);
  local = g_socket_get_local_address (socket, NULL);
  remote = g_socket_get_remote_address (socket, NULL);
  if (srv->cert != NULL)
    {
      stream = G_IO_STREAM (g_tls_server_connection_new (G_IO_STREAM (connection), srv->cert,
                                                         &error));
      ck_assert_msg (stream != NULL, "TLS: %s", error ? error->message : "?");
    }
  else
    stream = G_IO_STREAM (g_object_ref (connection));
  ck_assert_msg (soup_server_accept_iostream (srv->soup, stream, local, remote, &error),
                 "accept: %s", error ? error->message : "?");
  return G_SOURCE_CONTINUE;
}

static GSocket *
listen_on_loopback (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  ck_assert_msg (socket != NULL && g_socket_bind (socket, any_port, TRUE, &error)
                 && g_socket_listen (socket, &error),
                 "listen: %s", error ? error->message : "?");
  return socket;
}

/* Starts a server on 127.0.0.1 (HTTPS when cert is set) and returns its
 * base URL (transfer full). */
static char *
start_server (test_server *srv, GTlsCertificate *cert)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) bound = NULL;

  srv->listener = listen_on_loopback ();
  bound = g_socket_get_local_address (srv->listener, &error);
  ck_assert_msg (bound != NULL, "local address: %s", error ? error->message : "?");
  srv->cert = cert != NULL ? g_object_ref (cert) : NULL;
  srv->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (srv->soup, NULL, handle, NULL, NULL);
  srv->idle_listener = listen_on_loopback ();
  ck_assert_msg (soup_server_listen_socket (srv->soup, srv->idle_listener, 0, &error),
                 "listen: %s", error ? error->message : "?");
  srv->accept_source = g_socket_create_source (srv->listener, G_IO_IN, NULL);
  g_source_set_callback (srv->accept_source, G_SOURCE_FUNC (on_incoming), srv, NULL);
  g_source_attach (srv->accept_source, context);
  return g_strdup_printf ("%s://127.0.0.1:%u", cert != NULL ? "https" : "http",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

static void
stop_server (test_server *srv)
{
  if (srv->soup == NULL)
    return;
  g_source_destroy (srv->accept_source);
  g_clear_pointer (&srv->accept_source, g_source_unref);
  soup_server_disconnect (srv->soup);
  g_clear_object (&srv->soup);
  g_socket_close (srv->listener, NULL);
  g_clear_object (&srv->listener);
  g_socket_close (srv->idle_listener, NULL);
  g_clear_object (&srv->idle_listener);
  g_clear_object (&srv->cert);
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the loop until *count reaches target, failing after timeout_s
 * (six times that under check-valgrind, where a TLS handshake alone takes
 * seconds and the machine's load stretches it further). */
static void
wait_for_count (const guint *count, guint target, guint timeout_s)
{
  gboolean expired = FALSE;
  GSource *deadline;

  timeout_s *= ph_test_slowness ();
  deadline = g_timeout_source_new_seconds (timeout_s);

  g_source_set_callback (deadline, on_deadline, &expired, NULL);
  g_source_attach (deadline, context);
  while (*count < target && !expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (deadline);
  g_source_unref (deadline);
  ck_assert_msg (*count >= target, "waited %u s for %u, got %u", timeout_s, target, *count);
}

/* Runs the loop for ms milliseconds, so that anything a test wants not to
 * happen has its chance. */
static void
spin (guint ms)
{
  gboolean expired = FALSE;
  GSource *deadline = g_timeout_source_new (ms);

  g_source_set_callback (deadline, on_deadline, &expired, NULL);
  g_source_attach (deadline, context);
  while (!expired)
    g_main_context_iteration (context, TRUE);
  g_source_unref (deadline);
}

static void
setup (void)
{
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  seen = g_ptr_array_new_with_free_func (seen_request_free);
  paused = g_ptr_array_new_with_free_func (g_object_unref);
  outcomes = g_ptr_array_new_with_free_func (outcome_free);
  n_done = 0;
  base = start_server (&server, NULL);
  http = ph_http_new (NULL);
}

static void
teardown (void)
{
  g_clear_pointer (&http, ph_http_free);
  g_ptr_array_unref (paused);
  stop_server (&server);
  stop_server (&tls_server);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_clear_pointer (&context, g_main_context_unref);
  g_ptr_array_unref (seen);
  g_ptr_array_unref (outcomes);
  g_clear_pointer (&base, g_free);
  g_clear_pointer (&tls_base, g_free);
}

/* The client side. */

static char *
dup_header (const ph_http_response *r, const char *name)
{
  return g_strdup (ph_http_response_get_header (r, name));
}

static void
on_response (const ph_http_response *r, gpointer user_data)
{
  outcome *o = user_data;
  const GError *error = ph_http_response_get_error (r);

  ck_assert_msg (!o->done, "callback ran twice");
  o->done = TRUE;
  o->error = error != NULL ? g_error_copy (error) : NULL;
  o->status = ph_http_response_get_status (r);
  o->body = g_bytes_ref (ph_http_response_get_body (r));
  o->truncated = ph_http_response_is_truncated (r);
  o->redirect_url = g_strdup (ph_http_response_get_redirect_url (r));
  o->location = dup_header (r, "Location");
  /* Looked up in another case than the server's on purpose. */
  o->reply_header = dup_header (r, "x-reply");
  o->hop_header = dup_header (r, "X-HOP");
  o->retry_after = ph_http_response_get_retry_after (r);
  o->total_time = ph_http_response_get_total_time (r);
  n_done++;
}

static outcome *
submit (ph_http_request *req)
{
  outcome *o = g_new0 (outcome, 1);

  g_ptr_array_add (outcomes, o);
  ph_http_submit (http, req, on_response, o);
  return o;
}

/* Submits req and waits for its callback. */
static outcome *
run (ph_http_request *req)
{
  guint target = n_done + 1;
  outcome *o = submit (req);

  wait_for_count (&n_done, target, 10);
  ck_assert (o->done);
  return o;
}

static ph_http_request *
request (const char *method, const char *path)
{
  g_autofree char *url = g_strconcat (base, path, NULL);
  return ph_http_request_new (method, url);
}

static void
assert_body (GBytes *bytes, const char *expected, gsize len)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  ck_assert_uint_eq (size, len);
  ck_assert_msg (len == 0 || memcmp (data, expected, len) == 0, "body differs");
}

static void
assert_ok (const outcome *o, long status)
{
  ck_assert_msg (o->error == NULL, "unexpected error: %s", o->error ? o->error->message : "");
  ck_assert_int_eq (o->status, status);
}

static void
assert_error (const outcome *o, ph_http_error_code code)
{
  ck_assert_msg (o->error != NULL, "no error, status %ld", o->status);
  ck_assert_msg (g_error_matches (o->error, PH_HTTP_ERROR, code), "wanted code %d, got %d: %s",
                 code, o->error->code, o->error->message);
}

static const char *
header (const seen_request *s, const char *name)
{
  return soup_message_headers_get_one (s->headers, name);
}

/* Requests arrive exactly as asked. */

static const char json_body[] = "{\"event\":\"PrintDone\",\"nul\":\"a\0b\"}";

START_TEST (test_post_sends_method_path_query_headers_and_body_bytes)
{
  ph_http_request *req = request ("POST", "/echo?a=1&b=two%20words");
  g_autoptr (GBytes) body = g_bytes_new_static (json_body, sizeof json_body - 1);
  g_autofree char *content_length = g_strdup_printf ("%zu", sizeof json_body - 1);
  seen_request *s;
  outcome *o;

  ph_http_request_add_header (req, "Content-Type", "application/json");
  ph_http_request_add_header (req, "X-Token", "abc  def");
  ph_http_request_add_header (req, "X-Punct", "a,b;c=\"d\"");
  ph_http_request_add_header (req, "X-Unicode", "caf\xc3\xa9");
  ph_http_request_add_header (req, "X-Empty", "");
  ph_http_request_set_body (req, body);
  o = run (req);

  assert_ok (o, 200);
  assert_body (o->body, "ok", 2);
  ck_assert_uint_eq (seen->len, 1);
  s = seen_at (0);
  ck_assert_str_eq (s->method, "POST");
  ck_assert_str_eq (s->path, "/echo");
  ck_assert_str_eq (s->query, "a=1&b=two%20words");
  ck_assert_str_eq (header (s, "Content-Type"), "application/json");
  ck_assert_str_eq (header (s, "X-Token"), "abc  def");
  ck_assert_str_eq (header (s, "X-Punct"), "a,b;c=\"d\"");
  ck_assert_str_eq (header (s, "X-Unicode"), "caf\xc3\xa9");
  ck_assert_str_eq (header (s, "X-Empty"), "");
  ck_assert_str_eq (header (s, "Content-Length"), content_length);
  ck_assert_ptr_null (header (s, "Expect"));
  ck_assert_msg (g_str_has_prefix (header (s, "User-Agent"), "printhook/"), "User-Agent %s",
                 header (s, "User-Agent"));
  assert_body (s->body, json_body, sizeof json_body - 1);
}
END_TEST

START_TEST (test_post_without_content_type_sends_none)
{
  ph_http_request *req = request ("POST", "/echo");
  g_autoptr (GBytes) body = g_bytes_new_static ("a=b", 3);
  outcome *o;

  ph_http_request_set_body (req, body);
  o = run (req);

  assert_ok (o, 200);
  ck_assert_ptr_null (header (seen_at (0), "Content-Type"));
  assert_body (seen_at (0)->body, "a=b", 3);
}
END_TEST

START_TEST (test_put_patch_delete_get_head_send_their_method)
{
  static const struct {
    const char *method;
    const char *body;
    const char *content_length;
  } cases[] = {
    { "PUT", "put-body", "8" },
    { "PATCH", "patch-body", "10" },
    { "DELETE", "gone", "4" },
    { "DELETE", NULL, NULL },
    { "GET", NULL, NULL },
    { "HEAD", NULL, NULL },
    { "PUT", NULL, "0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ph_http_request *req = request (cases[i].method, "/echo");
      gsize len = cases[i].body != NULL ? strlen (cases[i].body) : 0;
      seen_request *s;
      outcome *o;

      if (cases[i].body != NULL)
        {
          g_autoptr (GBytes) body = g_bytes_new_static (cases[i].body, len);
          ph_http_request_set_body (req, body);
        }
      o = run (req);

      assert_ok (o, 200);
      s = seen_at (i);
      ck_assert_str_eq (s->method, cases[i].method);
      assert_body (s->body, cases[i].body, len);
      if (cases[i].content_length != NULL)
        ck_assert_str_eq (header (s, "Content-Length"), cases[i].content_length);
      else
        ck_assert_ptr_null (header (s, "Content-Length"));
      assert_body (o->body, "ok", strcmp (cases[i].method, "HEAD") == 0 ? 0 : 2);
    }
}
END_TEST

START_TEST (test_fifty_concurrent_requests_all_complete)
{
  outcome *o[50];
  gboolean arrived[50] = { FALSE };

  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    {
      g_autofree char *path = g_strdup_printf ("/echo?n=%u", i);
      char *text = g_strdup_printf ("body %u", i);
      g_autoptr (GBytes) body = g_bytes_new_take (text, strlen (text));
      ph_http_request *req = request ("POST", path);

      ph_http_request_set_body (req, body);
      o[i] = submit (req);
    }
  wait_for_count (&n_done, G_N_ELEMENTS (o), 15);

  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    {
      assert_ok (o[i], 200);
      assert_body (o[i]->body, "ok", 2);
    }
  ck_assert_uint_eq (seen->len, G_N_ELEMENTS (o));
  for (guint i = 0; i < seen->len; i++)
    {
      seen_request *s = seen_at (i);
      guint n = atoi (s->query + 2);
      g_autofree char *expected = g_strdup_printf ("body %u", n);

      ck_assert_uint_lt (n, G_N_ELEMENTS (o));
      ck_assert (!arrived[n]);
      arrived[n] = TRUE;
      assert_body (s->body, expected, strlen (expected));
    }
}
END_TEST

START_TEST (test_sequential_requests_reuse_one_connection)
{
  for (guint i = 0; i < 3; i++)
    assert_ok (run (request ("POST", "/echo")), 200);

  ck_assert_uint_eq (seen->len, 3);
  ck_assert_uint_eq (seen_at (1)->remote_port, seen_at (0)->remote_port);
  ck_assert_uint_eq (seen_at (2)->remote_port, seen_at (0)->remote_port);
}
END_TEST

/* One request after another on the same ph_http (and connection):
 * nothing of one request's headers, method, body or timeouts reaches the
 * next. */
START_TEST (test_a_request_inherits_nothing_from_the_one_before)
{
  ph_http_request *first = request ("PATCH", "/echo");
  g_autoptr (GBytes) body = g_bytes_new_static ("first", 5);
  seen_request *s;

  ph_http_request_add_header (first, "X-First", "1");
  ph_http_request_add_header (first, "Content-Type", "text/plain");
  ph_http_request_set_body (first, body);
  ph_http_request_set_timeouts (first, 1, 2);
  assert_ok (run (first), 200);
  assert_ok (run (request ("GET", "/echo")), 200);

  s = seen_at (1);
  ck_assert_str_eq (s->method, "GET");
  ck_assert_ptr_null (header (s, "X-First"));
  ck_assert_ptr_null (header (s, "Content-Type"));
  ck_assert_ptr_null (header (s, "Content-Length"));
  assert_body (s->body, NULL, 0);
}
END_TEST

/* Records the response, then submits a request to /echo?second. */
static void
on_response_then_submit (const ph_http_response *r, gpointer user_data)
{
  g_autofree char *url = g_strconcat (base, "/echo?second", NULL);

  on_response (r, user_data);
  /* The outcome is kept in outcomes and freed with it. */
  // cppcheck-suppress leakReturnValNotUsed
  submit (ph_http_request_new ("GET", url));
}

START_TEST (test_callback_may_submit_the_next_request)
{
  outcome *first = g_new0 (outcome, 1);

  g_ptr_array_add (outcomes, first);
  ph_http_submit (http, request ("GET", "/echo?first"), on_response_then_submit, first);
  wait_for_count (&n_done, 2, 10);

  assert_ok (first, 200);
  assert_ok (g_ptr_array_index (outcomes, 1), 200);
  ck_assert_uint_eq (seen->len, 2);
  ck_assert_str_eq (seen_at (1)->query, "second");
}
END_TEST

/* Failures. */

/* A port on 127.0.0.1 nobody listens on: bound, then closed. */
static guint16
free_port (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  ck_assert_int_ge (fd, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ck_assert_int_eq (bind (fd, (struct sockaddr *) &addr, sizeof addr), 0);
  ck_assert_int_eq (getsockname (fd, (struct sockaddr *) &addr, &len), 0);
  close (fd);
  return ntohs (addr.sin_port);
}

START_TEST (test_refused_connection_is_a_connect_error_without_the_password)
{
  guint16 port = free_port ();
  g_autofree char *url = g_strdup_printf ("http://user:secret@127.0.0.1:%u/x", port);
  g_autofree char *expected = g_strdup_printf ("connection refused to http://127.0.0.1:%u/x", port);
  outcome *o = run (ph_http_request_new ("POST", url));

  assert_error (o, PH_HTTP_ERROR_CONNECT);
  ck_assert_str_eq (o->error->message, expected);
  ck_assert_int_eq (o->status, 0);
}
END_TEST

START_TEST (test_server_that_never_answers_times_out)
{
  ph_http_request *req = request ("POST", "/hang");
  gint64 start = g_get_monotonic_time ();
  double elapsed;
  outcome *o;

  ph_http_request_set_timeouts (req, 5, 1);
  o = run (req);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  assert_error (o, PH_HTTP_ERROR_TIMEOUT);
  ck_assert_msg (elapsed >= 0.9 && elapsed < 2.5, "timed out after %.2f s", elapsed);
  ck_assert_msg (o->total_time >= 0.9 && o->total_time < 2.5, "total time %.2f s", o->total_time);
  ck_assert_uint_eq (paused->len, 1);
}
END_TEST

START_TEST (test_error_statuses_are_responses)
{
  outcome *not_found = run (request ("GET", "/status/404"));
  outcome *unavailable = run (request ("GET", "/status/503"));

  assert_ok (not_found, 404);
  assert_body (not_found->body, "not found", 9);
  assert_ok (unavailable, 503);
}
END_TEST

START_TEST (test_redirect_is_not_followed_by_default)
{
  g_autofree char *target = g_strconcat (base, "/echo?from=redirect", NULL);
  outcome *o = run (request ("POST", "/redirect"));

  assert_ok (o, 302);
  ck_assert_str_eq (o->redirect_url, target);
  ck_assert_str_eq (o->location, "/echo?from=redirect");
  assert_body (o->body, "moved", 5);
  ck_assert_uint_eq (seen->len, 1);
}
END_TEST

START_TEST (test_redirect_is_followed_when_asked)
{
  ph_http_request *req = request ("GET", "/redirect");
  outcome *o;

  ph_http_request_set_follow_redirects (req, TRUE);
  o = run (req);

  assert_ok (o, 200);
  ck_assert_ptr_null (o->redirect_url);
  assert_body (o->body, "ok", 2);
  /* Headers of the last response only. */
  ck_assert_ptr_null (o->hop_header);
  ck_assert_str_eq (o->reply_header, "yes");
  ck_assert_uint_eq (seen->len, 2);
  ck_assert_str_eq (seen_at (1)->path, "/echo");
  ck_assert_str_eq (seen_at (1)->query, "from=redirect");
}
END_TEST

START_TEST (test_large_body_is_cut_at_the_cap)
{
  outcome *o = run (request ("GET", "/big"));
  gsize size;
  const char *data = g_bytes_get_data (o->body, &size);

  assert_ok (o, 200);
  ck_assert (o->truncated);
  ck_assert_uint_eq (size, 65536);
  ck_assert_int_eq (data[0], 'x');
  ck_assert_int_eq (data[size - 1], 'x');
}
END_TEST

START_TEST (test_body_exactly_at_the_cap_is_whole)
{
  ph_http_request *req = request ("GET", "/echo");
  outcome *o;

  ph_http_request_set_max_response_bytes (req, 2);
  o = run (req);

  assert_ok (o, 200);
  ck_assert (!o->truncated);
  assert_body (o->body, "ok", 2);
}
END_TEST

START_TEST (test_retry_after_in_seconds)
{
  outcome *o = run (request ("GET", "/status/503"));

  ck_assert_int_eq (o->retry_after, 120);
}
END_TEST

START_TEST (test_retry_after_as_http_date)
{
  outcome *o = run (request ("GET", "/status/429"));

  assert_ok (o, 429);
  ck_assert_msg (o->retry_after >= 88 && o->retry_after <= 90, "retry after %" G_GINT64_FORMAT,
                 o->retry_after);
}
END_TEST

START_TEST (test_retry_after_absent_is_minus_one)
{
  outcome *o = run (request ("GET", "/echo"));

  ck_assert_int_eq (o->retry_after, -1);
  ck_assert_ptr_null (o->redirect_url);
  ck_assert (o->total_time > 0);
}
END_TEST

START_TEST (test_endless_headers_are_a_receive_error)
{
  g_autofree char *expected = g_strdup_printf ("response headers from %s/huge-headers exceed "
                                               "262144 bytes", base);
  outcome *o = run (request ("GET", "/huge-headers"));

  assert_error (o, PH_HTTP_ERROR_RECEIVE);
  ck_assert_str_eq (o->error->message, expected);
}
END_TEST

/* A server that answers one connection with answer, byte for byte, in a
 * thread of its own: libsoup writes only well-formed answers. */
typedef struct {
  int listener;
  const char *answer;
  GThread *thread;
} raw_server;

static gpointer
raw_serve (gpointer data)
{
  raw_server *r = data;
  int fd = accept (r->listener, NULL, NULL);
  char buffer[4096];
  GString *head = g_string_new (NULL);
  ssize_t n;

  while (fd >= 0 && strstr (head->str, "\r\n\r\n") == NULL
         && (n = read (fd, buffer, sizeof buffer - 1)) > 0)
    g_string_append_len (head, buffer, n);
  g_string_free (head, TRUE);
  if (fd >= 0)
    {
      /* Until the client has read all and closed, or keeps the connection
       * for later (then 2 s): closing first could reset it unread. */
      struct timeval wait = { 2, 0 };

      ck_assert (write (fd, r->answer, strlen (r->answer)) == (ssize_t) strlen (r->answer));
      shutdown (fd, SHUT_WR);
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
      while (read (fd, buffer, sizeof buffer) > 0)
        ;
      close (fd);
    }
  return NULL;
}

/* Its URL (transfer full); raw_server_stop joins it. */
static char *
raw_server_start (raw_server *r, const char *answer)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof address;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  r->listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert (r->listener >= 0);
  ck_assert (bind (r->listener, (struct sockaddr *) &address, sizeof address) == 0);
  ck_assert (listen (r->listener, 1) == 0);
  ck_assert (getsockname (r->listener, (struct sockaddr *) &address, &length) == 0);
  r->answer = answer;
  r->thread = g_thread_new ("raw-server", raw_serve, r);
  return g_strdup_printf ("http://127.0.0.1:%u/folded", ntohs (address.sin_port));
}

static void
raw_server_stop (raw_server *r)
{
  g_thread_join (r->thread);
  close (r->listener);
}

/* Found by tests/fuzz/fuzz_http_answer.c: libcurl 7.88 (Debian 12) kept a
 * pointer to the last header of an easy handle's previous response, and
 * an answer whose first header line is a folded continuation read it
 * after it was freed (valgrind and ASan saw it; a crash was a matter of
 * luck).  Each request has a handle of its own: the answer is refused or
 * taken, the next request is fine, and nothing reads freed memory. */
START_TEST (test_a_folded_first_header_after_another_response)
{
  raw_server r = { 0 };
  g_autofree char *url = raw_server_start (&r, "HTTP/1.1 200 OK\r\r\n\t=Wed, 21 Oct 2015 07:28:00 GMTtwo\r\n"
                                               "\t=hree\r\nContent-Length: 2\r\n\r\nok");
  outcome *before = run (request ("GET", "/echo"));
  outcome *folded;
  outcome *after;

  assert_ok (before, 200);
  folded = run (ph_http_request_new ("GET", url));
  ck_assert (folded->error != NULL || folded->status == 200);
  raw_server_stop (&r);
  after = run (request ("GET", "/echo"));
  assert_ok (after, 200);
  assert_body (after->body, "ok", 2);
}
END_TEST

/* Found by tests/fuzz/fuzz_http_answer.c: libcurl read these status lines
 * as statuses -1 and 1, without an error.  They are bad answers. */
START_TEST (test_a_status_not_of_three_digits_is_a_bad_answer)
{
  static const char *const answers[] = {
    "HTTP/2555555555555555555555555555555555555555555555555.1 301 Mo\nLocation: /x\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/2 1 204 No Content\r\nRetry-After: 5\r\n\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      raw_server r = { 0 };
      g_autofree char *url = raw_server_start (&r, answers[i]);
      outcome *o = run (ph_http_request_new ("GET", url));

      raw_server_stop (&r);
      assert_error (o, PH_HTTP_ERROR_RECEIVE);
      assert_contains (o->error->message, "the status line has no status of three digits");
      ck_assert_int_eq (o->status, 0);
    }
}
END_TEST

START_TEST (test_bad_urls_and_other_schemes_are_rejected)
{
  g_autofree char *ftp = g_strdup_printf ("ftp://127.0.0.1:%u/x", free_port ());
  const char *urls[] = { "not a url", "http://", "file:///etc/passwd", ftp,
                         "gopher://127.0.0.1/", "http://user:secret@[::1/x" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      outcome *o = run (ph_http_request_new ("GET", urls[i]));

      assert_error (o, PH_HTTP_ERROR_URL);
      ck_assert_msg (strstr (o->error->message, "secret") == NULL, "%s", o->error->message);
    }
  ck_assert_str_eq (((outcome *) g_ptr_array_index (outcomes, 2))->error->message,
                    "unsupported URL scheme in file:///etc/passwd (only http and https)");
}
END_TEST

START_TEST (test_rejection_runs_the_callback_from_the_loop)
{
  outcome *o = submit (ph_http_request_new ("GET", "file:///etc/passwd"));

  ck_assert (!o->done);
  wait_for_count (&n_done, 1, 5);
  assert_error (o, PH_HTTP_ERROR_URL);
}
END_TEST

START_TEST (test_line_breaks_in_headers_are_rejected_and_nothing_is_sent)
{
  ph_http_request *in_value = request ("POST", "/echo");
  ph_http_request *in_name = request ("POST", "/echo");
  outcome *o;

  ph_http_request_add_header (in_value, "X-Ok", "1");
  ph_http_request_add_header (in_value, "X-Inject", "1\r\nX-Evil: 1");
  ph_http_request_add_header (in_name, "X-Evil: 1\r\nX-Name", "1");
  o = run (in_value);
  assert_error (o, PH_HTTP_ERROR_URL);
  ck_assert_msg (strstr (o->error->message, "Evil") == NULL, "%s", o->error->message);
  assert_error (run (in_name), PH_HTTP_ERROR_URL);
  assert_error (run (request ("PO ST", "/echo")), PH_HTTP_ERROR_URL);

  spin (200);
  ck_assert_uint_eq (seen->len, 0);
}
END_TEST

/* TLS, against a certificate made for this run. */

static char *cert_file;
static char *key_file;

static void
make_certificate (void)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  cert_file = g_build_filename (dir, "cert.pem", NULL);
  key_file = g_build_filename (dir, "key.pem", NULL);
  {
    const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
                           "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", key_file, "-out", cert_file, "-days", "2",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           NULL };
    ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL,
                                 G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, &err, &status, &error),
                   "openssl: %s", error ? error->message : "?");
  }
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "openssl failed: %s", err);
}

static void
start_tls_server (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) cert = NULL;

  make_certificate ();
  cert = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  ck_assert_msg (cert != NULL, "certificate: %s", error ? error->message : "?");
  tls_base = start_server (&tls_server, cert);
}

static void
tls_teardown (void)
{
  g_clear_pointer (&cert_file, g_free);
  g_clear_pointer (&key_file, g_free);
}

static ph_http_request *
tls_request (void)
{
  g_autofree char *url = g_strconcat (tls_base, "/echo", NULL);
  ph_http_request *req = ph_http_request_new ("POST", url);

  /* A TLS handshake under valgrind (check-valgrind) takes seconds. */
  ph_http_request_set_timeouts (req, 60, 60);
  return req;
}

START_TEST (test_self_signed_certificate_fails_verification)
{
  outcome *o;

  start_tls_server ();
  o = run (tls_request ());

  assert_error (o, PH_HTTP_ERROR_TLS);
  ck_assert_uint_eq (seen->len, 0);
}
END_TEST

START_TEST (test_ca_file_trusts_the_certificate)
{
  ph_http_request *req;
  outcome *o;

  start_tls_server ();
  req = tls_request ();
  ph_http_request_set_tls (req, TRUE, cert_file);
  o = run (req);

  assert_ok (o, 200);
  assert_body (o->body, "ok", 2);
  ck_assert_uint_eq (seen->len, 1);
}
END_TEST

START_TEST (test_verify_off_accepts_the_certificate)
{
  ph_http_request *req;
  outcome *o;

  start_tls_server ();
  req = tls_request ();
  ph_http_request_set_tls (req, FALSE, NULL);
  o = run (req);

  assert_ok (o, 200);
  ck_assert_uint_eq (seen->len, 1);
}
END_TEST

/* Shutting down. */

START_TEST (test_free_cancels_transfers_in_flight)
{
  outcome *hanging = submit (request ("POST", "/hang"));
  outcome *rejected = submit (ph_http_request_new ("GET", "ftp://127.0.0.1/"));

  while (seen->len == 0 || !rejected->done)
    g_main_context_iteration (context, TRUE);
  ck_assert (!hanging->done);

  g_clear_pointer (&http, ph_http_free);

  assert_error (hanging, PH_HTTP_ERROR_CANCELLED);
  ck_assert_int_eq (n_done, 2);
}
END_TEST

START_TEST (test_request_submitted_while_freeing_is_cancelled)
{
  outcome *first = g_new0 (outcome, 1);

  g_ptr_array_add (outcomes, first);
  ph_http_submit (http, request ("POST", "/hang"), on_response_then_submit, first);
  while (seen->len == 0)
    g_main_context_iteration (context, TRUE);

  /* Not g_clear_pointer: the callback submits on http while it is freed. */
  ph_http_free (http);
  http = NULL;

  ck_assert_int_eq (n_done, 2);
  assert_error (first, PH_HTTP_ERROR_CANCELLED);
  assert_error (g_ptr_array_index (outcomes, 1), PH_HTTP_ERROR_CANCELLED);
  ck_assert_uint_eq (seen->len, 1);
}
END_TEST

/* Records the response, then frees http from inside the callback. */
static void
on_response_then_free (const ph_http_response *r, gpointer user_data)
{
  on_response (r, user_data);
  g_clear_pointer (&http, ph_http_free);
}

START_TEST (test_callback_may_free_http)
{
  outcome *first = g_new0 (outcome, 1);
  outcome *hanging = submit (request ("POST", "/hang"));
  outcome *queued;

  g_ptr_array_add (outcomes, first);
  while (seen->len == 0)
    g_main_context_iteration (context, TRUE);
  ph_http_submit (http, request ("GET", "/echo"), on_response_then_free, first);
  queued = submit (ph_http_request_new ("GET", "file:///"));
  wait_for_count (&n_done, 3, 10);

  assert_ok (first, 200);
  assert_error (hanging, PH_HTTP_ERROR_CANCELLED);
  assert_error (queued, PH_HTTP_ERROR_URL);
  ck_assert_ptr_null (http);
}
END_TEST

static Suite *
http_suite (void)
{
  Suite *s = suite_create ("http");
  TCase *requests = tcase_create ("requests");
  TCase *failures = tcase_create ("failures");
  TCase *tls = tcase_create ("tls");
  TCase *shutdown = tcase_create ("shutdown");

  tcase_add_checked_fixture (requests, setup, teardown);
  tcase_set_timeout (requests, 30);
  tcase_add_test (requests, test_post_sends_method_path_query_headers_and_body_bytes);
  tcase_add_test (requests, test_post_without_content_type_sends_none);
  tcase_add_test (requests, test_put_patch_delete_get_head_send_their_method);
  tcase_add_test (requests, test_fifty_concurrent_requests_all_complete);
  tcase_add_test (requests, test_sequential_requests_reuse_one_connection);
  tcase_add_test (requests, test_a_request_inherits_nothing_from_the_one_before);
  tcase_add_test (requests, test_callback_may_submit_the_next_request);
  tcase_add_test (requests, test_error_statuses_are_responses);
  tcase_add_test (requests, test_redirect_is_not_followed_by_default);
  tcase_add_test (requests, test_redirect_is_followed_when_asked);
  tcase_add_test (requests, test_large_body_is_cut_at_the_cap);
  tcase_add_test (requests, test_body_exactly_at_the_cap_is_whole);
  tcase_add_test (requests, test_retry_after_in_seconds);
  tcase_add_test (requests, test_retry_after_as_http_date);
  tcase_add_test (requests, test_retry_after_absent_is_minus_one);
  suite_add_tcase (s, requests);

  tcase_add_checked_fixture (failures, setup, teardown);
  tcase_set_timeout (failures, 30);
  tcase_add_test (failures, test_refused_connection_is_a_connect_error_without_the_password);
  tcase_add_test (failures, test_server_that_never_answers_times_out);
  tcase_add_test (failures, test_endless_headers_are_a_receive_error);
  tcase_add_test (failures, test_a_folded_first_header_after_another_response);
  tcase_add_test (failures, test_a_status_not_of_three_digits_is_a_bad_answer);
  tcase_add_test (failures, test_bad_urls_and_other_schemes_are_rejected);
  tcase_add_test (failures, test_rejection_runs_the_callback_from_the_loop);
  tcase_add_test (failures, test_line_breaks_in_headers_are_rejected_and_nothing_is_sent);
  suite_add_tcase (s, failures);

  tcase_add_checked_fixture (tls, setup, teardown);
  tcase_add_checked_fixture (tls, NULL, tls_teardown);
  tcase_set_timeout (tls, 30);
  tcase_add_test (tls, test_self_signed_certificate_fails_verification);
  tcase_add_test (tls, test_ca_file_trusts_the_certificate);
  tcase_add_test (tls, test_verify_off_accepts_the_certificate);
  suite_add_tcase (s, tls);

  tcase_add_checked_fixture (shutdown, setup, teardown);
  tcase_set_timeout (shutdown, 30);
  tcase_add_test (shutdown, test_free_cancels_transfers_in_flight);
  tcase_add_test (shutdown, test_request_submitted_while_freeing_is_cancelled);
  tcase_add_test (shutdown, test_callback_may_free_http);
  suite_add_tcase (s, shutdown);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (http_suite ());
}
