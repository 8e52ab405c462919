/* printhook check: validate the configuration without sending anything. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"

/* What the body will be, from the chain's encoder (which decides), not
 * from content_type. */
static char *
body_kind (const ph_hook *hook)
{
  for (guint i = 0; i < hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (hook->chain, i);

      if (link->module->desc->stage != PRINTHOOK_STAGE_ENCODE)
        continue;
      if (strcmp (link->module->name, "form-encoder") == 0)
        return g_strdup ("form");
      if (strcmp (link->module->name, "multipart") == 0)
        return g_strdup ("multipart");
      return g_strdup_printf ("encoded by %s", link->module->name);
    }
  return g_strdup ("json");
}

static void
print_hook (const ph_hook *hook)
{
  g_autofree char *events = hook->all_events ? g_strdup ("*") : g_strjoinv (", ", hook->events);
  g_autoptr (GString) chain = g_string_new (NULL);
  g_autofree char *described = NULL;
  g_autofree char *kind = body_kind (hook);

  for (guint i = 0; i < hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (hook->chain, i);
      g_string_append_printf (chain, "%s%s", i > 0 ? " > " : "", link->module->name);
    }
  described = ph_hook_describe_sending (hook, NULL);
  if (described != NULL)
    printf ("  hook %s%s\n    events: %s\n    sends:  %s\n    chain:  %s\n", hook->name,
            hook->enabled ? "" : " (disabled)", events, described, chain->str);
  else
    printf ("  hook %s%s\n    events: %s\n    sends:  %s %s (%s)\n    chain:  %s\n", hook->name,
            hook->enabled ? "" : " (disabled)", events, hook->method,
            *hook->url != '\0' ? "to its url" : "nowhere (no url)", kind,
            chain->str);
}

int
ph_cmd_check (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean quiet = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read FILE and the hooks.d/ directory beside it (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only problems, not the summary", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (ph_config) config = NULL;

  if (!ph_cli_parse (&argc, &argv, "", "Checks the configuration without sending anything.",
                     "Reads the configuration file and every *.conf in the hooks.d directory\n"
                     "beside it, checks every key of every group, loads the modules each\n"
                     "hook's chain needs and lets them check their settings.  Every problem\n"
                     "is listed, each with its file and line, not only the first.\n"
                     "\n"
                     "Examples:\n"
                     "  printhook check\n"
                     "  printhook check -c ./printhook.conf\n"
                     "\n"
                     "Exit status: 0 when the configuration is valid (warnings allowed),\n"
                     "1 when it has errors, 2 on a command-line error.",
                     entries, &status))
    return status;
  if (argc > 1)
    {
      fprintf (stderr, "printhook check: unexpected argument '%s' (see printhook check --help)\n",
               argv[1]);
      return PH_EXIT_USAGE;
    }
  ph_cli_setup_logging ();
  config = ph_cli_load_config (config_path);
  if (config == NULL)
    {
      fprintf (stderr, "printhook check: the configuration has errors; nothing was sent\n");
      return PH_EXIT_FAILURE;
    }
  if (!quiet)
    {
      printf ("%s: valid, %u hook%s\n", config->path, config->hooks->len,
              config->hooks->len == 1 ? "" : "s");
      for (guint i = 0; i < config->hooks->len; i++)
        print_hook (g_ptr_array_index (config->hooks, i));
    }
  return PH_EXIT_OK;
}
