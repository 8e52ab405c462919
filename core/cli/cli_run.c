/* printhook run: the daemon in the foreground, as systemd runs it. */
#include "autoconfig.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "delivery/host.h"
#include "daemon/daemon.h"

/* How long SIGTERM waits for deliveries in flight. */
#define GRACE_S 10

typedef enum {
  LEVEL_ERROR,
  LEVEL_WARNING,
  LEVEL_INFO,
  LEVEL_DEBUG
} log_level;

static log_level max_level = LEVEL_INFO;

static void
log_to_stderr (const char *domain, GLogLevelFlags flags, const char *message, gpointer user_data)
{
  log_level level = LEVEL_INFO;
  const char *name = "info";

  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    level = LEVEL_ERROR, name = "error";
  else if (flags & G_LOG_LEVEL_WARNING)
    level = LEVEL_WARNING, name = "warning";
  else if (flags & G_LOG_LEVEL_DEBUG)
    level = LEVEL_DEBUG, name = "debug";
  if (level > max_level)
    return;
  /* Libraries' debug output only when asked for by G_MESSAGES_DEBUG. */
  if (level == LEVEL_DEBUG && domain != NULL && strcmp (domain, "printhook") != 0
      && g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, domain))
    return;
  /* Libraries' own messages say whose they are. */
  if (domain != NULL && strcmp (domain, "printhook") != 0)
    fprintf (stderr, "printhook: %s: %s: %s\n", name, domain, message);
  else
    fprintf (stderr, "printhook: %s: %s\n", name, message);
  fflush (stderr);
}

static gboolean
parse_level (const char *text, log_level *level)
{
  static const char *const names[] = { "error", "warning", "info", "debug" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *level = (log_level) i;
        return TRUE;
      }
  return FALSE;
}

typedef struct {
  GMainLoop *loop;
  ph_daemon *daemon;
} run_state;

static gboolean
on_stopped (gpointer data)
{
  g_main_loop_quit (((run_state *) data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_terminate (gpointer data)
{
  run_state *state = data;

  g_info ("stopping (signal)");
  ph_daemon_shut_down (state->daemon, GRACE_S, on_stopped, state);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup (gpointer data)
{
  ph_daemon_reload (((run_state *) data)->daemon);
  return G_SOURCE_CONTINUE;
}

int
ph_cmd_run (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *level_text = NULL;
  gboolean verbose = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read FILE and the hooks.d/ directory beside it (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      "Log everything, debug messages included (--log-level debug)", NULL },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &level_text,
      "Log messages up to LEVEL: error, warning, info (default) or debug", "LEVEL" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  ph_config *config;
  run_state state = { 0 };
  guint signals[3];

  if (!ph_cli_parse (&argc, &argv, NULL, "Runs the printhook daemon in the foreground.",
                     "Reads the configuration (refusing to start if it has errors, all of\n"
                     "which are listed), connects to every [source NAME], listens on the\n"
                     "control socket for 'printhook emit', and sends each event to the hooks\n"
                     "that subscribe to it.  Every webhook is written to the spool first and\n"
                     "retried there until it is delivered; the spool's pending deliveries\n"
                     "resume at start.  Logs go to stderr, one line each:\n"
                     "\"printhook: LEVEL: text\".  Secrets are never logged.\n"
                     "\n"
                     "Signals:\n"
                     "  SIGTERM, SIGINT  stop taking events, let the deliveries in flight\n"
                     "                   finish (for up to 10 s), exit 0; what is not\n"
                     "                   delivered stays in the spool for the next start\n"
                     "  SIGHUP           read the configuration again; if it has errors,\n"
                     "                   log them and keep running the previous one\n"
                     "\n"
                     "Exit status: 0 after a signal stopped it, 1 when the configuration has\n"
                     "errors or the control socket or the spool cannot be opened, 2 on a\n"
                     "command-line error.",
                     entries, &status))
    return status;
  if (argc != 1)
    {
      fprintf (stderr, "printhook run: unexpected argument '%s' (see printhook run --help)\n",
               argv[1]);
      return PH_EXIT_USAGE;
    }
  if (verbose)
    max_level = LEVEL_DEBUG;
  if (level_text != NULL && !parse_level (level_text, &max_level))
    {
      fprintf (stderr, "printhook run: --log-level must be error, warning, info or debug, "
                       "not '%s'\n", level_text);
      return PH_EXIT_USAGE;
    }
  g_log_set_default_handler (log_to_stderr, NULL);
  /* A receiver that hangs up must not kill the daemon. */
  signal (SIGPIPE, SIG_IGN);

  if (config_path == NULL)
    config_path = g_strdup (PH_DEFAULT_CONFIG);
  /* Before the modules see the configuration: an MQTT client id is made of
   * it.  The configuration's path names this daemon among others here. */
  {
    g_autofree char *absolute = g_canonicalize_filename (
        config_path != NULL ? config_path : PH_DEFAULT_CONFIG, NULL);

    ph_host_set_instance (absolute, FALSE);
  }
  config = ph_cli_load_config (config_path);
  if (config == NULL)
    {
      fprintf (stderr, "printhook run: not starting: %s has errors\n", config_path);
      return PH_EXIT_FAILURE;
    }
  loop = g_main_loop_new (NULL, FALSE);
  state.loop = loop;
  /* Before the daemon opens its control socket: whoever waits for the
   * socket may signal at once, and SIGTERM must then stop the daemon
   * cleanly, not kill it.  The handlers only run inside the loop below. */
  signals[0] = g_unix_signal_add (SIGTERM, on_terminate, &state);
  signals[1] = g_unix_signal_add (SIGINT, on_terminate, &state);
  signals[2] = g_unix_signal_add (SIGHUP, on_hangup, &state);
  state.daemon = ph_daemon_new (config_path, config, &error);
  if (state.daemon == NULL)
    {
      fprintf (stderr, "printhook run: not starting: %s\n", error->message);
      for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
        g_source_remove (signals[i]);
      return PH_EXIT_FAILURE;
    }
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_source_remove (signals[i]);
  ph_daemon_free (state.daemon);
  /* Let what the sources closed finish closing before the process ends. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_info ("stopped");
  return PH_EXIT_OK;
}
