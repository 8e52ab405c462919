/* What the subcommands share: option parsing with man-page-quality help,
 * and loading the configuration. */
#ifndef PH_CLI_COMMON_H
#define PH_CLI_COMMON_H

#include <glib.h>
#include "config/config.h"
#include "config/diag.h"
#include "delivery/delivery.h"

/* Parses argv with entries (--help prints the help and exits 0, as GOption
 * does); on a bad option prints the error and the help, sets *exit_status to
 * 2 and returns FALSE.  summary and description: the help's text. */
gboolean ph_cli_parse (int *argc, char ***argv, const char *parameters, const char *summary,
                       const char *description, const GOptionEntry *entries, int *exit_status);

/* Loads the config at path (NULL: the default), printing every diagnostic
 * to stderr.  Transfer full, or NULL when it has errors. */
ph_config *ph_cli_load_config (const char *path);

/* The hook called name, or NULL after printing "no hook named NAME" with a
 * suggestion or the list of hooks.  Transfer none. */
const ph_hook *ph_cli_find_hook (const ph_config *config, const char *command, const char *name);

/* What render and test both take and build: HOOK EVENT with --config,
 * --payload, --milestone and --show-secrets, the configuration, the hook,
 * and the hook's delivery of the sample event. */
typedef struct {
  gboolean show_secrets;
  ph_config *config;              /* owned */
  const ph_hook *hook;            /* one of config's */
  printhook_delivery *delivery;   /* owned; not rendered or run yet */
} ph_cli_sample;

/* Parses argv (argv[0] is command) with render's and test's options and
 * help text made of summary and description, sets up logging, loads the
 * configuration, finds HOOK and builds its delivery of the sample EVENT
 * (ph_sample_delivery_new).  A hook that does not subscribe to EVENT gets
 * a note on stderr ("...; ACTING anyway").  Returns PH_EXIT_OK with sample
 * filled (clear it with ph_cli_sample_clear), or the exit status after
 * saying what is wrong. */
int ph_cli_sample_prepare (int argc, char **argv, const char *summary, const char *description,
                           const char *acting, ph_cli_sample *sample);
void ph_cli_sample_clear (ph_cli_sample *sample);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ph_cli_sample, ph_cli_sample_clear)

/* Routes GLib log messages to stderr as "printhook: LEVEL: text". */
void ph_cli_setup_logging (void);

#endif
