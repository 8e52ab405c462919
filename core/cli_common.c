#include "autoconfig.h"
#include "cli_common.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "host.h"

gboolean
ph_cli_parse (int *argc, char ***argv, const char *parameters, const char *summary,
              const char *description, const GOptionEntry *entries, int *exit_status)
{
  g_autoptr (GOptionContext) context = g_option_context_new (parameters);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, TRUE);
  /* "printhook check --help" must exit 0 after printing, which GOption does
   * itself; a bad option must exit 2, which it does not. */
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      fprintf (stderr, "printhook %s: %s\n\n%s", (*argv)[0], error->message, help);
      *exit_status = PH_EXIT_USAGE;
      return FALSE;
    }
  *exit_status = PH_EXIT_OK;
  return TRUE;
}

ph_config *
ph_cli_load_config (const char *path)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();
  ph_config *config;

  config = ph_config_load (path != NULL ? path : PH_DEFAULT_CONFIG, ph_host (), diag);
  ph_diag_print (diag, stderr);
  return config;
}

static void
log_to_stderr (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  const char *name = "info";

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    name = "error";
  else if (level & G_LOG_LEVEL_WARNING)
    name = "warning";
  else if (level & G_LOG_LEVEL_DEBUG)
    {
      if (!g_log_writer_default_would_drop (level, domain))
        fprintf (stderr, "printhook: debug: %s\n", message);
      return;
    }
  fprintf (stderr, "printhook: %s: %s\n", name, message);
}

void
ph_cli_setup_logging (void)
{
  g_log_set_default_handler (log_to_stderr, NULL);
}
