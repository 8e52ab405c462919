/* printhook console: where the web console is and how to log in to it. */
#include "autoconfig.h"

#include <stdio.h>

#include "cli.h"
#include "cli_common.h"
#include "console/console.h"

int
ph_cmd_console (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean token = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read FILE and the hooks.d/ directory beside it (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "token", 0, 0, G_OPTION_ARG_NONE, &token,
      "Print the access token only (root, or the daemon's user, can read it)", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (ph_config) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *secret = NULL;
  g_auto (GStrv) urls = NULL;

  if (!ph_cli_parse (&argc, &argv, "", "Shows where the web console is and how to log in.",
                     "The daemon (printhook run) serves a web console: its printers, its hooks\n"
                     "with their last outcome, a \"Send test webhook\" button, the deliveries\n"
                     "with Retry, Resend and Drop, a live feed, and Prometheus metrics at\n"
                     "/metrics.  It listens where [console] listen says (127.0.0.1:7130 unless\n"
                     "set; 0.0.0.0:7130 or [::]:7130 reaches it from the LAN, best with\n"
                     "tls_cert and tls_key).  Log in with the token of [console] token_file,\n"
                     "which the daemon creates at its first start; send it as\n"
                     "\"Authorization: Bearer TOKEN\" from scripts and Prometheus.\n"
                     "See printhook-console(7).\n"
                     "\n"
                     "Examples:\n"
                     "  printhook console\n"
                     "  sudo printhook console --token\n"
                     "  curl -H \"Authorization: Bearer $(sudo printhook console --token)\" \\\n"
                     "       http://127.0.0.1:7130/api/v1/status\n"
                     "\n"
                     "Exit status: 0 on success, 1 when the console is off, the configuration\n"
                     "has errors or the token cannot be read, 2 on a command-line error.",
                     entries, &status))
    return status;
  if (argc > 1)
    {
      fprintf (stderr, "printhook console: unexpected argument '%s' (see printhook console "
                       "--help)\n", argv[1]);
      return PH_EXIT_USAGE;
    }
  ph_cli_setup_logging ();
  config = ph_cli_load_config (config_path);
  if (config == NULL)
    {
      fprintf (stderr, "printhook console: the configuration has errors\n");
      return PH_EXIT_FAILURE;
    }
  if (!config->console.enabled)
    {
      fprintf (stderr, "printhook console: the console is off in %s ([console] enabled = "
                       "false)\n", config->path);
      return PH_EXIT_FAILURE;
    }
  secret = ph_console_read_token (config->console.token_file, FALSE, &error);
  if (token)
    {
      if (secret == NULL)
        {
          fprintf (stderr, "printhook console: %s%s\n", error->message,
                   g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                       ? " (the daemon creates it when it first starts)"
                   : g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ACCES)
                       ? " (run it as root: sudo printhook console --token)" : "");
          return PH_EXIT_FAILURE;
        }
      printf ("%s\n", secret);
      return PH_EXIT_OK;
    }
  urls = ph_console_urls (&config->console);
  printf ("The web console of %s:\n", config->path);
  for (guint i = 0; urls[i] != NULL; i++)
    printf ("  %s%s\n", urls[i],
            g_str_has_suffix (urls[i], ":0/") ? "  (port 0: the daemon's log says which port "
                                                "it took)" : "");
  printf ("Log in with the token in %s:\n  sudo printhook console --token\n",
          config->console.token_file);
  if (secret == NULL && g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    printf ("(there is no token yet: the daemon creates it when it first starts)\n");
  return PH_EXIT_OK;
}
