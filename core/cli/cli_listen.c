/* `printhook listen`: a local HTTP receiver that prints every request it
 * gets, so a user can see what their hooks send (the quick-start demo points
 * its first hook here). */
#include "autoconfig.h"

#include <glib.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "listen_format.h"
#include "listen_mqtt.h"
#include "signature_verify.h"
#include "version.h"

#define DEFAULT_PORT 8787
#define DEFAULT_BIND "127.0.0.1"
#define DEFAULT_STATUS 200
/* Bodies are kept up to this size for decoding and signature checks; the
 * rest is counted and dropped, so a sender cannot exhaust our memory.
 * Snapshots, the largest thing printhook sends, are far smaller. */
#define KEEP_LIMIT (16 * 1024 * 1024)
#define INCOMING_KEY "ph-listen-incoming"

typedef struct {
  int port;
  char *bind;
  int status;
  char *secret;
  char *github_secret;
  int count;
  char *port_file;
  gboolean quiet_body;
  gboolean help;
  char *mqtt;
  char **topics;
  char *ca_file;
} listen_options;

typedef struct {
  const listen_options *options;
  GBytes *standard_key;   /* decoded --secret, NULL without it */
  GMainLoop *loop;
  guint printed;          /* requests printed so far; numbers them */
  guint answered;         /* printed requests whose exchange has ended */
} listener;

/* One request's body as it arrives, kept with its message. */
typedef struct {
  GByteArray *kept;       /* the first KEEP_LIMIT bytes */
  guint64 size;           /* every byte received */
  gboolean printed;
} incoming;

static void
incoming_free (gpointer data)
{
  incoming *in = data;

  g_byte_array_unref (in->kept);
  g_free (in);
}

static const char summary[] =
  "Runs a small HTTP server and prints every request it receives: the request\n"
  "line, each header, and the body decoded for reading (JSON re-indented with\n"
  "its values exactly as sent, form fields one per line, multipart parts listed\n"
  "with their sizes, other text as it is, binary as its size).  Every request is\n"
  "answered with --status.  Point a hook at it to see what the hook sends:\n"
  "\n"
  "  [hook try-me]\n"
  "  url = http://127.0.0.1:8787/";

static const char description[] =
  "Output:\n"
  "  Requests are printed to standard output, each followed by a blank line:\n"
  "\n"
  "    #1 POST /hook?src=printer  (from 127.0.0.1:40312, 42 bytes)  2025-05-01 12:00:00.123\n"
  "      Content-Type: application/json\n"
  "      ...\n"
  "      signature: valid (standard webhooks)\n"
  "      {\n"
  "        \"topic\": \"Print Done\"\n"
  "      }\n"
  "\n"
  "  Bytes that a terminal would act on are shown escaped (\\x1b).  The printout\n"
  "  of a body stops after 64 KiB; bodies beyond 16 MiB are counted but only\n"
  "  their first 16 MiB are kept.  Messages about the server go to standard\n"
  "  error.\n"
  "\n"
  "Signatures:\n"
  "  With --secret, the Standard Webhooks headers (webhook-id, webhook-timestamp,\n"
  "  webhook-signature) of each request are checked against its body, as a\n"
  "  receiver would: a v1 HMAC-SHA256 must match and the timestamp must be within\n"
  "  5 minutes of this machine's clock.  With --github-secret,\n"
  "  X-Hub-Signature-256 is checked.  Each check prints \"signature: valid (...)\",\n"
  "  \"signature: INVALID (...)\" with the reason, or \"signature: none\" for a\n"
  "  request without the signature header.  The answer does not depend\n"
  "  on it: every request gets --status.\n"
  "\n"
  "Examples:\n"
  "  printhook listen\n"
  "      Print what arrives at http://127.0.0.1:8787/ until Ctrl-C.\n"
  "  printhook listen --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
  "      Also check each request's Standard Webhooks signature.\n"
  "  printhook listen --status 503\n"
  "      Answer 503 Service Unavailable, to watch the sender retry.\n"
  "  printhook listen --port 0 --port-file /tmp/port --count 1\n"
  "      Listen on a free port, write it to /tmp/port, exit after one request.\n"
  "  printhook listen --mqtt mqtt://127.0.0.1 --topic 'printhook/#' --secret whsec_...\n"
  "      Print what an mqtt hook publishes: topic, QoS, user properties (webhook-id,\n"
  "      signature checked) and payload; --count counts messages.\n"
  "\n"
  "Exit status:\n"
  "  0  stopped by Ctrl-C or SIGTERM, or --count requests answered\n"
  "  1  could not listen (address in use, not on this machine) or write --port-file\n"
  "  2  invalid command line";

static void
usage_error (const char *message)
{
  fprintf (stderr, "printhook listen: %s\n"
                   "Try 'printhook listen --help' for more information.\n", message);
}

/* Parses argv into options.  Returns -1 to go on, else the exit status. */
static int
parse_options (int argc, char **argv, listen_options *options)
{
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &options->port,
      "TCP port to listen on (default 8787; 0 picks a free one)", "PORT" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &options->bind,
      "IP address to listen on (default 127.0.0.1; any other is reachable "
      "from elsewhere and gets a warning)", "ADDRESS" },
    { "status", 0, 0, G_OPTION_ARG_INT, &options->status,
      "HTTP status to answer every request with, 200 to 599 (default 200)", "CODE" },
    { "secret", 0, 0, G_OPTION_ARG_STRING, &options->secret,
      "check Standard Webhooks signatures made with this secret", "whsec_..." },
    { "github-secret", 0, 0, G_OPTION_ARG_STRING, &options->github_secret,
      "check GitHub-style X-Hub-Signature-256 signatures made with this secret", "TEXT" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &options->count,
      "exit after answering N requests (default 0: run until stopped)", "N" },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &options->port_file,
      "once listening, write the port number to PATH (atomically, for scripts)", "PATH" },
    { "quiet-body", 0, 0, G_OPTION_ARG_NONE, &options->quiet_body,
      "print the request line, headers and signature checks, not bodies", NULL },
    { "mqtt", 0, 0, G_OPTION_ARG_STRING, &options->mqtt,
      "instead of HTTP, subscribe on this broker: mqtt://[USER[:PASSWORD]@]HOST[:PORT] "
      "or mqtts://...", "URL" },
    { "topic", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->topics,
      "with --mqtt, the topic filter to subscribe to (repeatable; default printhook/#)",
      "FILTER" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options->ca_file,
      "with an mqtts:// --mqtt, the CA certificates (PEM) to trust", "PATH" },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &options->help, "show this help", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- print every request sent to a local address");
  g_autoptr (GError) error = NULL;

  /* GOption's own --help calls exit(); ours returns to main. */
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* The usage line names the program by its prgname. */
  g_set_prgname ("printhook listen");

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      usage_error (error->message);
      return PH_EXIT_USAGE;
    }
  if (options->help)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      fputs (help, stdout);
      return PH_EXIT_OK;
    }
  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf ("unexpected argument '%s'", argv[1]);
      usage_error (message);
      return PH_EXIT_USAGE;
    }
  if (options->port < 0 || options->port > 65535)
    {
      usage_error ("--port must be between 0 and 65535");
      return PH_EXIT_USAGE;
    }
  if (options->status < 200 || options->status > 599)
    {
      usage_error ("--status must be between 200 and 599");
      return PH_EXIT_USAGE;
    }
  if (options->count < 0)
    {
      usage_error ("--count must not be negative");
      return PH_EXIT_USAGE;
    }
  if ((options->topics != NULL || options->ca_file != NULL) && options->mqtt == NULL)
    {
      usage_error ("--topic and --ca-file go with --mqtt");
      return PH_EXIT_USAGE;
    }
  if (options->github_secret != NULL && *options->github_secret == '\0')
    {
      usage_error ("--github-secret must not be empty");
      return PH_EXIT_USAGE;
    }
  return -1;
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  incoming *in = user_data;
  gsize len;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  in->size += len;
  if (in->kept->len < KEEP_LIMIT)
    g_byte_array_append (in->kept, data, MIN (len, KEEP_LIMIT - in->kept->len));
}

/* Takes over the body before libsoup reads it: libsoup would otherwise keep
 * all of it, however large. */
static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  incoming *in = g_new0 (incoming, 1);

  in->kept = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), INCOMING_KEY, in, incoming_free);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), in);
}

static char *
format_address (GInetAddress *ip, guint16 port)
{
  g_autofree char *text = g_inet_address_to_string (ip);

  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", text, port);
  return g_strdup_printf ("%s:%u", text, port);
}

static char *
describe_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return format_address (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)),
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

static void
append_signature_checks (listener *l, GString *out, SoupMessageHeaders *headers,
                         const incoming *in)
{
  g_autoptr (GError) error = NULL;

  if (l->standard_key != NULL)
    {
      /* An unsigned request is not a forged one: say which it is. */
      if (soup_message_headers_get_one (headers, "webhook-signature") == NULL)
        g_string_append (out, "  signature: none (no webhook-signature header)\n");
      else if (in->size > in->kept->len)
        g_string_append (out, "  signature: not checked (standard webhooks: body over 16 MiB)\n");
      else if (ph_signature_verify_standard (l->standard_key,
                                             soup_message_headers_get_one (headers, "webhook-id"),
                                             soup_message_headers_get_one (headers, "webhook-timestamp"),
                                             soup_message_headers_get_one (headers, "webhook-signature"),
                                             in->kept->data, in->kept->len,
                                             g_get_real_time () / G_USEC_PER_SEC, &error))
        g_string_append (out, "  signature: valid (standard webhooks)\n");
      else
        g_string_append_printf (out, "  signature: INVALID (standard webhooks: %s)\n", error->message);
      g_clear_error (&error);
    }
  if (l->options->github_secret != NULL)
    {
      if (soup_message_headers_get_one (headers, "X-Hub-Signature-256") == NULL)
        g_string_append (out, "  signature: none (no X-Hub-Signature-256 header)\n");
      else if (in->size > in->kept->len)
        g_string_append (out, "  signature: not checked (github: body over 16 MiB)\n");
      else if (ph_signature_verify_github (l->options->github_secret,
                                           soup_message_headers_get_one (headers, "X-Hub-Signature-256"),
                                           in->kept->data, in->kept->len, &error))
        g_string_append (out, "  signature: valid (github)\n");
      else
        g_string_append_printf (out, "  signature: INVALID (github: %s)\n", error->message);
    }
}

static void
answer (SoupServerMessage *msg, guint status)
{
  g_autofree char *text = NULL;
  gsize len;

  soup_server_message_set_status (msg, status, NULL);
  /* libsoup 3.2 (Debian 12) leaks the socket of an idle connection that the
   * client closes, one descriptor per connection, until accept() fails; it
   * was fixed in 3.3 (libsoup commit d20c6601).  Closing every connection
   * ourselves after the answer never leaves one idle. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  /* These statuses have no body by definition (RFC 9110 §15.3.5, §15.4.5). */
  if (status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    return;
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    text = g_strdup ("ok\n");
  else
    text = g_strdup_printf ("%u %s\n", status, soup_status_get_phrase (status));
  len = strlen (text);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), len);
}

static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer user_data)
{
  listener *l = user_data;
  incoming *in = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr (GString) out = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *peer = NULL;
  g_autoptr (GBytes) body = NULL;
  ph_listen_request request = { 0 };

  /* Requests that race in after the last counted one are turned away, so
   * that --count N prints exactly N. */
  if (in == NULL || (l->options->count > 0 && l->printed >= (guint) l->options->count))
    {
      answer (msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
      return;
    }

  peer = describe_peer (msg);
  request.number = ++l->printed;
  request.method = soup_server_message_get_method (msg);
  request.path = g_uri_get_path (uri);
  request.query = g_uri_get_query (uri);
  request.peer = peer;
  request.received = now;
  request.headers = headers;
  request.body_size = in->size;

  out = g_string_new (NULL);
  ph_listen_format_head (out, &request);
  append_signature_checks (l, out, headers, in);
  if (!l->options->quiet_body)
    {
      body = g_bytes_new_static (in->kept->data, in->kept->len);
      ph_listen_format_body (out, headers, body, in->size);
    }
  g_string_append_c (out, '\n');
  fwrite (out->str, 1, out->len, stdout);
  /* Flushed per request: the reader is often a pipe or a script. */
  fflush (stdout);
  in->printed = TRUE;

  answer (msg, (guint) l->options->status);
}

/* Called once a request's exchange is over, answered or dropped by the
 * client: only then can --count end the process without cutting an answer
 * short. */
static void
on_request_done (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  listener *l = user_data;
  incoming *in = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);

  if (in == NULL || !in->printed)
    return;
  in->printed = FALSE;
  l->answered++;
  if (l->options->count > 0 && l->answered >= (guint) l->options->count)
    g_main_loop_quit (l->loop);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  listener *l = user_data;

  g_main_loop_quit (l->loop);
  return G_SOURCE_CONTINUE;
}

static guint16
bound_port (SoupServer *server)
{
  GSList *sockets = soup_server_get_listeners (server);
  g_autoptr (GSocketAddress) local = NULL;
  guint16 port = 0;

  if (sockets != NULL)
    local = g_socket_get_local_address (sockets->data, NULL);
  if (local != NULL && G_IS_INET_SOCKET_ADDRESS (local))
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_slist_free (sockets);
  return port;
}

/* Listens and serves until stopped.  Returns the exit status. */
static int
serve (const listen_options *options, GInetAddress *ip, GBytes *standard_key)
{
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GSocketAddress) socket_address = g_inet_socket_address_new (ip, (guint16) options->port);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *server_header = g_strdup_printf ("printhook/%s", ph_version ());
  g_autofree char *address = NULL;
  listener l = { 0 };
  guint sigint_id, sigterm_id;
  guint16 port;

  l.options = options;
  l.standard_key = standard_key;
  l.loop = loop;

  server = soup_server_new ("server-header", server_header, NULL);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), &l);
  g_signal_connect (server, "request-finished", G_CALLBACK (on_request_done), &l);
  g_signal_connect (server, "request-aborted", G_CALLBACK (on_request_done), &l);
  soup_server_add_handler (server, NULL, on_request, &l, NULL);

  address = format_address (ip, (guint16) options->port);
  if (!soup_server_listen (server, socket_address, 0, &error))
    {
      fprintf (stderr, "printhook listen: cannot listen on %s: %s\n", address, error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        fprintf (stderr, "Another program uses that port; pick another with --port, "
                         "or --port 0 for any free one.\n");
      return PH_EXIT_FAILURE;
    }
  port = bound_port (server);
  g_free (address);
  address = format_address (ip, port);

  /* Before the port file: whoever waits for it may signal us at once, and
   * SIGTERM must then stop us cleanly, not kill us. */
  sigint_id = g_unix_signal_add (SIGINT, on_stop_signal, &l);
  sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal, &l);
  if (options->port_file != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%u\n", port);

      /* g_file_set_contents writes a temporary file and renames it, so a
       * script polling for the file never reads half a number. */
      if (!g_file_set_contents (options->port_file, text, -1, &error))
        {
          fprintf (stderr, "printhook listen: cannot write --port-file: %s\n", error->message);
          g_source_remove (sigint_id);
          g_source_remove (sigterm_id);
          soup_server_disconnect (server);
          return PH_EXIT_FAILURE;
        }
    }

  fprintf (stderr, "Listening on http://%s/ (Ctrl-C to stop)\n", address);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  soup_server_disconnect (server);
  return PH_EXIT_OK;
}

int
ph_cmd_listen (int argc, char **argv)
{
  listen_options options = { .port = DEFAULT_PORT, .status = DEFAULT_STATUS };
  g_autoptr (GInetAddress) ip = NULL;
  g_autoptr (GBytes) standard_key = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  status = parse_options (argc, argv, &options);
  if (status >= 0)
    goto out;

  ip = g_inet_address_new_from_string (options.bind != NULL ? options.bind : DEFAULT_BIND);
  if (ip == NULL)
    {
      usage_error ("--bind takes an IP address, such as 127.0.0.1 or ::1");
      status = PH_EXIT_USAGE;
      goto out;
    }
  if (options.secret != NULL)
    {
      standard_key = ph_signature_decode_secret (options.secret, &error);
      if (standard_key == NULL)
        {
          g_autofree char *message = g_strdup_printf ("--secret: %s (a GitHub-style text "
                                                      "secret goes to --github-secret)",
                                                      error->message);
          usage_error (message);
          status = PH_EXIT_USAGE;
          goto out;
        }
    }
  if (options.mqtt != NULL)
    {
      ph_listen_mqtt_options m = { options.mqtt, (const char *const *) options.topics,
                                   options.ca_file, standard_key, options.github_secret,
                                   options.count, options.quiet_body };

      status = ph_listen_mqtt (&m);
      goto out;
    }
  if (!g_inet_address_get_is_loopback (ip))
    fprintf (stderr, "printhook listen: warning: %s is not a loopback address; anyone who can "
                     "reach this machine can send requests that are printed here\n",
             options.bind);

  status = serve (&options, ip, standard_key);

out:
  g_free (options.bind);
  g_free (options.secret);
  g_free (options.github_secret);
  g_free (options.port_file);
  g_free (options.mqtt);
  g_strfreev (options.topics);
  g_free (options.ca_file);
  return status;
}
