#include "autoconfig.h"
#include "cli_common.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "event/events.h"
#include "delivery/host.h"
#include "text/json_text.h"
#include "delivery/sample_delivery.h"
#include "text/suggest.h"

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

/* The HOOK EVENT arguments of render and test: exactly two of them, a valid
 * event name, and payload_text (--payload, NULL for the sample payload) a
 * JSON object.  Prints what is wrong as "printhook COMMAND: ...".  Returns
 * PH_EXIT_OK with *payload set (transfer full; NULL for the sample's), or
 * PH_EXIT_USAGE. */
static int
hook_event_args (const char *command, int argc, char **argv, const char *payload_text,
                 json_object **payload)
{
  g_autoptr (GError) error = NULL;

  if (argc != 3)
    {
      fprintf (stderr, "printhook %s: expected HOOK and EVENT (see printhook %s --help)\n", command,
               command);
      return PH_EXIT_USAGE;
    }
  if (!ph_event_name_is_valid (argv[2]))
    {
      fprintf (stderr, "printhook %s: '%s' is not an event name (letters, digits and '_')\n",
               command, argv[2]);
      return PH_EXIT_USAGE;
    }
  *payload = NULL;
  if (payload_text == NULL)
    return PH_EXIT_OK;
  *payload = ph_json_parse (payload_text, -1, &error);
  if (*payload == NULL || !json_object_is_type (*payload, json_type_object))
    {
      fprintf (stderr, "printhook %s: --payload must be a JSON object%s%s\n", command,
               error ? ": " : "", error ? error->message : "");
      g_clear_pointer (payload, json_object_put);
      return PH_EXIT_USAGE;
    }
  return PH_EXIT_OK;
}

int
ph_cli_sample_prepare (int argc, char **argv, const char *summary, const char *description,
                       const char *acting, ph_cli_sample *sample)
{
  g_autofree char *config_path = NULL;
  g_autofree char *payload_text = NULL;
  g_autofree char *command = g_strdup (argv[0]);
  int milestone = 50;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read FILE and the hooks.d/ directory beside it (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "payload", 'p', 0, G_OPTION_ARG_STRING, &payload_text,
      "Use this JSON object as the event's payload (@extra) instead of the sample", "JSON" },
    { "milestone", 'm', 0, G_OPTION_ARG_INT, &milestone,
      "Value of @percentCompleteMilestone (default 50)", "N" },
    { "show-secrets", 0, 0, G_OPTION_ARG_NONE, &sample->show_secrets,
      "Print secrets instead of **** in what is shown", NULL },
    G_OPTION_ENTRY_NULL
  };
  json_object *payload = NULL;

  *sample = (ph_cli_sample) { 0 };
  if (!ph_cli_parse (&argc, &argv, "HOOK EVENT", summary, description, entries, &status))
    return status;
  status = hook_event_args (command, argc, argv, payload_text, &payload);
  if (status != PH_EXIT_OK)
    return status;

  ph_cli_setup_logging ();
  sample->config = ph_cli_load_config (config_path);
  if (sample->config == NULL)
    {
      json_object_put (payload);
      return PH_EXIT_FAILURE;
    }
  sample->hook = ph_cli_find_hook (sample->config, command, argv[1]);
  if (sample->hook == NULL)
    {
      json_object_put (payload);
      return PH_EXIT_FAILURE;
    }
  if (!ph_hook_subscribes (sample->hook, argv[2]))
    fprintf (stderr, "note: hook '%s' does not subscribe to %s; %s anyway\n", sample->hook->name,
             argv[2], acting);
  sample->delivery = ph_sample_delivery_new (sample->hook, argv[2], payload, milestone);
  return PH_EXIT_OK;
}

void
ph_cli_sample_clear (ph_cli_sample *sample)
{
  g_clear_pointer (&sample->delivery, ph_delivery_free);
  sample->hook = NULL;
  g_clear_pointer (&sample->config, ph_config_free);
}

const ph_hook *
ph_cli_find_hook (const ph_config *config, const char *command, const char *name)
{
  const ph_hook *hook = ph_config_find_hook (config, name);
  g_autoptr (GPtrArray) names = NULL;
  const char *hint;

  if (hook != NULL)
    return hook;
  names = g_ptr_array_new ();
  for (guint i = 0; i < config->hooks->len; i++)
    g_ptr_array_add (names, ((ph_hook *) g_ptr_array_index (config->hooks, i))->name);
  g_ptr_array_add (names, NULL);
  hint = ph_suggest (name, (const char *const *) names->pdata);
  if (hint != NULL)
    fprintf (stderr, "printhook %s: no hook named '%s'; did you mean '%s'?\n", command, name, hint);
  else
    {
      g_autofree char *all = g_strjoinv (", ", (char **) names->pdata);
      fprintf (stderr, "printhook %s: no hook named '%s' (hooks: %s)\n", command, name,
               *all != '\0' ? all : "none");
    }
  return NULL;
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
