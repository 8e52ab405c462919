/* The web console's requests: any bytes a client sends, through libsoup's
 * parser into the console's own code (auth, cookies, CSRF, the routes, the
 * JSON bodies, the query parameters), on a real console over a socket
 * pair.  The property: every input gets an answer (or a closed
 * connection) in bounded time, and no answer carries the hook's secret.
 * A fresh console for each input, so that one input's wrong tokens do not
 * lock the next ones out. */
#include "autoconfig.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "fuzz.h"
#include "console/console_private.h"
#include "delivery/host.h"
#include "delivery/http.h"
#include "spool/spool.h"

/* The token the seed corpus and the dictionary carry. */
#define TOKEN "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"
#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define ANSWER_LIMIT_MS 500

static struct {
  char *dir;
  ph_generation *gen;
  ph_spool *spool;
  ph_deliverer *deliverer;
  ph_activity *activity;
  ph_http *http;
  GHashTable *sources;
} world;

static GHashTable *
no_sources (gpointer data)
{
  (void) data;
  return world.sources;
}

static gboolean
refuse_reload (gpointer data, ph_diag *diag)
{
  (void) data;
  ph_diag_add (diag, PH_DIAG_ERROR, "printhook.conf", 3, "fuzzing: no reload");
  return FALSE;
}

static void
set_up (void)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *text = NULL;
  g_autofree char *token = NULL;
  ph_config *config;

  world.dir = g_dir_make_tmp ("printhook-fuzz-console-XXXXXX", NULL);
  conf = g_build_filename (world.dir, "printhook.conf", NULL);
  token = g_build_filename (world.dir, "console.token", NULL);
  text = g_strdup_printf ("[printhook]\nspool = %s/spool.db\n\n[console]\nlisten = 127.0.0.1:0\n"
                          "token_file = %s\n\n[hook a]\nurl = http://user:pw@127.0.0.1:9/x\n"
                          "events = *\nsigning_secret = " SECRET "\nretry.max_attempts = 1\n",
                          world.dir, token);
  if (!g_file_set_contents (conf, text, -1, NULL) || g_chmod (conf, 0600) != 0
      || !g_file_set_contents (token, TOKEN "\n", -1, NULL) || g_chmod (token, 0600) != 0)
    abort ();
  config = ph_config_load (conf, ph_host (), diag);
  if (config == NULL)
    {
      ph_diag_print (diag, stderr);
      abort ();
    }
  world.spool = ph_spool_open (config->spool, PH_SPOOL_OPEN_CREATE, NULL, &error);
  if (world.spool == NULL)
    abort ();
  world.gen = ph_generation_new (config);
  world.http = ph_http_new (NULL);
  ph_host_set_http (world.http);
  world.deliverer = ph_deliverer_new (world.spool);
  world.activity = ph_activity_new ();
  ph_deliverer_set_activity (world.deliverer, world.activity);
  world.sources = g_hash_table_new (g_str_hash, g_str_equal);
}

/* Runs the loop until the console has closed its end (it closes every
 * connection after the answer) or the time is over. */
static GString *
exchange (ph_console *console, const uint8_t *data, size_t size)
{
  int fds[2];
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new_from_string ("127.0.0.1", 7130);
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new_from_string ("127.0.0.1", 40000);
  GString *answer = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + ANSWER_LIMIT_MS * 1000;
  size_t sent = 0;
  gboolean closed = FALSE;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
    abort ();
  socket = g_socket_new_from_fd (fds[0], NULL);
  connection = g_socket_connection_factory_create_connection (socket);
  /* As if over TCP on this machine: the console sees an address. */
  if (!soup_server_accept_iostream (console->server, G_IO_STREAM (connection), local, remote,
                                    NULL))
    abort ();
  while (!closed && g_get_monotonic_time () < deadline)
    {
      char buffer[4096];
      ssize_t n;

      if (sent < size)
        {
          n = write (fds[1], data + sent, size - sent);
          if (n > 0)
            sent += (size_t) n;
          if (sent == size)
            shutdown (fds[1], SHUT_WR);
        }
      else if (size == 0)
        shutdown (fds[1], SHUT_WR);
      g_main_context_iteration (NULL, FALSE);
      while ((n = read (fds[1], buffer, sizeof buffer)) > 0)
        g_string_append_len (answer, buffer, n);
      if (n == 0)
        closed = TRUE;
      else
        g_usleep (100);
    }
  close (fds[1]);
  /* What is left of the connection on the console's side goes now. */
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  return answer;
}

/* Whether the input itself holds needle (then the console may echo it:
 * in a path it did not find, say). */
static gboolean
sent_in (const uint8_t *data, size_t size, const char *needle)
{
  size_t length = strlen (needle);

  for (size_t i = 0; i + length <= size; i++)
    if (memcmp (data + i, needle, length) == 0)
      return TRUE;
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const secrets[] = { SECRET, "user:pw@", TOKEN };
  static gboolean ready;
  ph_console_daemon view;
  ph_console *console;
  g_autoptr (GString) answer = NULL;

  if (!ready)
    {
      set_up ();
      ready = TRUE;
    }
  view = (ph_console_daemon) { world.spool, world.deliverer, world.activity, no_sources,
                               refuse_reload, NULL };
  console = ph_console_new (world.gen, &view);
  if (console == NULL || console->server == NULL)
    abort ();
  answer = exchange (console, data, size);
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (strstr (answer->str, secrets[i]) != NULL
        && !sent_in (data, size, secrets[i]))
      PH_FUZZ_FAIL ("an answer shows a secret it was not sent: %s", answer->str);
  ph_console_free (console);
  return 0;
}
