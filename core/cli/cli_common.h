/* What the subcommands share: option parsing with man-page-quality help,
 * and loading the configuration. */
#ifndef PH_CLI_COMMON_H
#define PH_CLI_COMMON_H

#include <glib.h>
#include "config/config.h"
#include "config/diag.h"

/* Parses argv with entries (--help prints the help and exits 0, as GOption
 * does); on a bad option prints the error and the help, sets *exit_status to
 * 2 and returns FALSE.  summary and description: the help's text. */
gboolean ph_cli_parse (int *argc, char ***argv, const char *parameters, const char *summary,
                       const char *description, const GOptionEntry *entries, int *exit_status);

/* Loads the config at path (NULL: the default), printing every diagnostic
 * to stderr.  Transfer full, or NULL when it has errors. */
ph_config *ph_cli_load_config (const char *path);

/* The HOOK EVENT arguments of render and test: exactly two of them, a valid
 * event name, and payload_text (--payload, NULL for the sample payload) a
 * JSON object.  Prints what is wrong as "printhook COMMAND: ...".  Returns
 * PH_EXIT_OK with *payload set (transfer full), or PH_EXIT_USAGE. */
int ph_cli_hook_event_args (const char *command, int argc, char **argv, const char *payload_text,
                            json_object **payload);

/* The hook called name, or NULL after printing "no hook named NAME" with a
 * suggestion or the list of hooks.  Transfer none. */
const ph_hook *ph_cli_find_hook (const ph_config *config, const char *command, const char *name);

/* Routes GLib log messages to stderr as "printhook: LEVEL: text". */
void ph_cli_setup_logging (void);

#endif
