/* What the subcommands share: option parsing with man-page-quality help,
 * and loading the configuration. */
#ifndef PH_CLI_COMMON_H
#define PH_CLI_COMMON_H

#include <glib.h>
#include "config.h"
#include "diag.h"

/* Parses argv with entries (--help prints the help and exits 0, as GOption
 * does); on a bad option prints the error and the help, sets *exit_status to
 * 2 and returns FALSE.  summary and description: the help's text. */
gboolean ph_cli_parse (int *argc, char ***argv, const char *parameters, const char *summary,
                       const char *description, const GOptionEntry *entries, int *exit_status);

/* Loads the config at path (NULL: the default), printing every diagnostic
 * to stderr.  Transfer full, or NULL when it has errors. */
ph_config *ph_cli_load_config (const char *path);

/* Routes GLib log messages to stderr as "printhook: LEVEL: text". */
void ph_cli_setup_logging (void);

#endif
