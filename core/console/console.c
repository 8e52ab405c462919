/* The console's server: listening where [console] says, the early checks
 * every request passes (size, then who sent it), and the routes. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>
#include <unistd.h>

static gboolean
is_loopback (const char *host)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);

  if (address != NULL)
    return g_inet_address_get_is_loopback (address);
  return g_ascii_strcasecmp (host, "localhost") == 0;
}

/* host: an address, or a name standing for each address it has. */
static GList *
addresses_of (const char *host, GError **error)
{
  GInetAddress *address = g_inet_address_new_from_string (host);

  if (address != NULL)
    return g_list_append (NULL, address);
  return g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, error);
}

/* A connection accepted by the console's own listener, handed to the
 * server (wrapped in TLS first when the console has a certificate).
 * libsoup 3.2's own listener (soup_server_listen) leaks about 340 bytes
 * per connection it accepts; this path does not. */
static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer data)
{
  ph_console *console = data;
  g_autoptr (GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GError) error = NULL;

  (void) service;
  (void) source;
  if (console->certificate != NULL)
    {
      stream = (GIOStream *) g_tls_server_connection_new (G_IO_STREAM (connection),
                                                          console->certificate, &error);
      if (stream == NULL)
        {
          g_warning ("console: no TLS for a connection: %s", error->message);
          return TRUE;
        }
    }
  else
    stream = g_object_ref (G_IO_STREAM (connection));
  if (!soup_server_accept_iostream (console->server, stream, local, remote, &error))
    g_warning ("console: cannot take a connection: %s", error->message);
  return TRUE;
}

static void
listen_on (ph_console *console, const char *text)
{
  g_autofree char *host = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;
  GList *addresses;

  /* check has said what is wrong with the text. */
  if (!ph_console_parse_listen (text, &host, &port, &error))
    return;
  addresses = addresses_of (host, &error);
  if (addresses == NULL)
    {
      g_warning ("console: cannot listen on %s: %s", text, error->message);
      return;
    }
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr (GSocketAddress) where = g_inet_socket_address_new (l->data, port);
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GError) listen_error = NULL;
      g_autofree char *address = g_inet_address_to_string (l->data);
      gboolean v6 = g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV6;

      if (!g_socket_listener_add_address (G_SOCKET_LISTENER (console->service), where,
                                          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                          &bound, &listen_error))
        {
          g_warning ("console: cannot listen on %s (address %s, port %u): %s; the console is "
                     "not served there, deliveries go on", text, address, port,
                     listen_error->message);
          continue;
        }
      console->listening++;
      g_info ("console: listening on %s://%s%s%s:%u/", console->certificate ? "https" : "http",
              v6 ? "[" : "", address, v6 ? "]" : "",
              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    }
  g_resolver_free_addresses (addresses);
}

/* Before the body is read: too big, or of unknown size, is refused at
 * once, so that nobody can make the daemon hold megabytes. */
static void
early (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
       gpointer data)
{
  ph_console *console = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  (void) server;
  (void) path;
  (void) query;
  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    ph_console_send_error (console, msg, SOUP_STATUS_LENGTH_REQUIRED,
                           "a request body needs a Content-Length");
  else if (length > PH_CONSOLE_MAX_BODY)
    ph_console_send_error (console, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                           "the body is %" G_GOFFSET_FORMAT " bytes; at most %d are taken",
                           length, PH_CONSOLE_MAX_BODY);
}

static void
healthz (ph_console *console, SoupServerMessage *msg)
{
  const char *spool = ph_spool_path (console->daemon.spool);
  gboolean healthy = ph_deliverer_spool_healthy (console->daemon.deliverer)
                     && access (spool, W_OK) == 0;

  if (healthy)
    ph_console_send_text (msg, SOUP_STATUS_OK, "text/plain", "ok\n");
  else
    ph_console_send_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "text/plain", "unhealthy\n");
}

/* The csrf field of a form body (the log-out form): transfer full. */
static char *
form_csrf (SoupServerMessage *msg)
{
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr (GHashTable) form = soup_form_decode (text);

  return g_strdup (g_hash_table_lookup (form, "csrf"));
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer data)
{
  ph_console *console = data;
  const char *csrf = NULL;
  ph_console_who who;
  gboolean reads = ph_console_method_is (msg, "GET") || ph_console_method_is (msg, "HEAD");

  (void) server;
  if (strcmp (path, "/healthz") == 0)
    {
      if (reads)
        healthz (console, msg);
      else
        ph_console_not_allowed (console, msg, "GET");
      return;
    }
  if (console->auth == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                             "the console has no token; the daemon's log says why");
      return;
    }
  if (strcmp (path, "/login") == 0)
    {
      if (reads)
        ph_console_page (console, msg, "login.html");
      else if (ph_console_method_is (msg, "POST"))
        ph_console_login (console, msg);
      else
        ph_console_not_allowed (console, msg, "GET, POST");
      return;
    }
  if (g_str_has_prefix (path, "/static/"))
    {
      if (reads)
        ph_console_page (console, msg, path + strlen ("/static/"));
      else
        ph_console_not_allowed (console, msg, "GET");
      return;
    }
  who = ph_console_auth_check (console, msg, &csrf);
  if (soup_server_message_get_status (msg) != 0)
    return;
  if (who == PH_CONSOLE_ANONYMOUS)
    {
      if (strcmp (path, "/") == 0 && reads)
        ph_console_redirect (msg, "/login");
      else
        ph_console_send_error (console, msg, SOUP_STATUS_UNAUTHORIZED,
                               "log in at /login, or send Authorization: Bearer TOKEN "
                               "(printhook console --token)");
      return;
    }
  if (who == PH_CONSOLE_COOKIE && !reads)
    {
      g_autofree char *field = strcmp (path, "/logout") == 0 ? form_csrf (msg) : NULL;

      if (!ph_console_auth_csrf (console, msg, csrf, field))
        return;
    }
  if (strcmp (path, "/") == 0)
    {
      if (reads)
        ph_console_page (console, msg, "index.html");
      else
        ph_console_not_allowed (console, msg, "GET");
    }
  else if (strcmp (path, "/logout") == 0)
    {
      if (ph_console_method_is (msg, "POST"))
        ph_console_logout (console, msg);
      else
        ph_console_not_allowed (console, msg, "POST");
    }
  else if (strcmp (path, "/metrics") == 0)
    {
      if (reads)
        ph_console_metrics (console, msg);
      else
        ph_console_not_allowed (console, msg, "GET");
    }
  else if (g_str_has_prefix (path, "/api/v1/"))
    ph_console_api (console, msg, path + strlen ("/api/v1/"), query, csrf);
  else
    ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND, "nothing at %s", path);
}

static void
start_server (ph_console *console)
{
  const ph_console_config *config = &console->gen->config->console;
  g_autoptr (GError) error = NULL;
  gboolean open_to_lan = FALSE;

  if (config->tls_cert != NULL)
    {
      console->certificate = g_tls_certificate_new_from_files (config->tls_cert, config->tls_key,
                                                               &error);
      if (console->certificate == NULL)
        {
          g_warning ("console: cannot use %s with %s: %s; the console is off, deliveries go on",
                     config->tls_cert, config->tls_key, error->message);
          return;
        }
      console->tls = TRUE;
    }
  console->server = soup_server_new ("server-header", "printhook-console", NULL);
  soup_server_add_early_handler (console->server, NULL, early, console, NULL);
  soup_server_add_handler (console->server, NULL, handle, console, NULL);
  console->service = g_socket_service_new ();
  g_signal_connect (console->service, "incoming", G_CALLBACK (on_incoming), console);
  for (guint i = 0; config->listen[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      guint16 port;

      listen_on (console, config->listen[i]);
      if (ph_console_parse_listen (config->listen[i], &host, &port, NULL) && !is_loopback (host))
        open_to_lan = TRUE;
    }
  if (console->listening == 0)
    {
      g_socket_service_stop (console->service);
      g_clear_object (&console->service);
      g_clear_object (&console->server);
      return;
    }
  g_socket_service_start (console->service);
  if (open_to_lan && !console->tls)
    g_warning ("console: it is reachable from other machines without TLS: the token and "
               "everything it shows cross the network readable; set tls_cert and tls_key "
               "in [console]");
}

ph_console *
ph_console_new (ph_generation *gen, const ph_console_daemon *daemon)
{
  const ph_console_config *config = &gen->config->console;
  g_autoptr (GError) error = NULL;
  ph_console *console;

  if (!config->enabled)
    return NULL;
  console = g_new0 (ph_console, 1);
  console->gen = ph_generation_ref (gen);
  console->daemon = *daemon;
  console->started = g_get_monotonic_time ();
  console->tests = g_ptr_array_new ();
  console->auth = ph_console_auth_new (config->token_file, &error);
  if (console->auth == NULL)
    {
      g_warning ("console: no access token: %s; the console only answers /healthz", error->message);
    }
  console->feed = ph_console_feed_new (console);
  start_server (console);
  return console;
}

ph_console *
ph_console_update (ph_console *console, ph_generation *gen, const ph_console_daemon *daemon)
{
  const ph_console_config *config = &gen->config->console;

  if (console == NULL)
    return ph_console_new (gen, daemon);
  if (!config->enabled)
    {
      g_info ("console: off (enabled = false)");
      ph_console_free (console);
      return NULL;
    }
  if (!ph_console_config_equal (&console->gen->config->console, config))
    {
      g_info ("console: its settings changed; listening again");
      ph_console_free (console);
      return ph_console_new (gen, daemon);
    }
  ph_generation_ref (gen);
  ph_generation_unref (console->gen);
  console->gen = gen;
  return console;
}

char **
ph_console_urls (const ph_console_config *config)
{
  GPtrArray *urls = g_ptr_array_new ();
  const char *scheme = config->tls_cert != NULL ? "https" : "http";

  for (guint i = 0; config->listen[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      guint16 port;

      if (!ph_console_parse_listen (config->listen[i], &host, &port, NULL))
        continue;
      /* A wildcard address is reached by any of the machine's names. */
      if (strcmp (host, "0.0.0.0") == 0 || strcmp (host, "::") == 0)
        {
          g_free (host);
          host = g_strdup (g_get_host_name ());
        }
      g_ptr_array_add (urls, strchr (host, ':') != NULL
                                 ? g_strdup_printf ("%s://[%s]:%u/", scheme, host, port)
                                 : g_strdup_printf ("%s://%s:%u/", scheme, host, port));
    }
  g_ptr_array_add (urls, NULL);
  return (char **) g_ptr_array_free (urls, FALSE);
}

void
ph_console_free (ph_console *console)
{
  if (console == NULL)
    return;
  ph_console_tests_cancel (console);
  ph_console_feed_free (console->feed);
  if (console->service != NULL)
    {
      g_socket_service_stop (console->service);
      g_socket_listener_close (G_SOCKET_LISTENER (console->service));
      g_object_unref (console->service);
    }
  if (console->server != NULL)
    {
      soup_server_disconnect (console->server);
      g_object_unref (console->server);
    }
  g_clear_object (&console->certificate);
  ph_console_auth_free (console->auth);
  g_ptr_array_unref (console->tests);
  ph_generation_unref (console->gen);
  g_free (console);
}
