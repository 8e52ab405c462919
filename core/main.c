/* printhook: dispatches to the subcommands of core/cli_*.c. */
#include "autoconfig.h"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "printhook/module.h"
#include "version.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} subcommand;

static const subcommand subcommands[] = {
  { "check", ph_cmd_check, "validate the configuration without sending anything" },
  { "modules", ph_cmd_modules, "list the modules that can be loaded and their keys" },
  { "render", ph_cmd_render, "show what a hook would send for an event, without sending it" },
  { "test", ph_cmd_test, "send one simulated event to one hook and show the outcome" },
  { "listen", ph_cmd_listen, "run a local receiver that prints every request it gets" },
  { "run", ph_cmd_run, "run the daemon: watch the sources and send the webhooks" },
  { "emit", ph_cmd_emit, "hand one event to the running daemon" },
  { "simulate", ph_cmd_simulate, "play a simulated print through the hooks" },
  { "console", ph_cmd_console, "show where the web console is and its access token" },
  { "spool", ph_cmd_spool, "list, show, retry or drop the deliveries waiting in the spool" },
  { NULL, NULL, NULL }
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: printhook COMMAND [OPTION...]\n\n"
                "Sends webhooks when things happen on a 3D printer.\n\n"
                "Commands:\n");
  for (const subcommand *c = subcommands; c->name != NULL; c++)
    fprintf (out, "  %-10s %s\n", c->name, c->summary);
  fprintf (out, "\n"
                "Options:\n"
                "  -h, --help     show this help, or a command's help with COMMAND --help\n"
                "  --version      show the version\n\n"
                "Run 'printhook COMMAND --help' for the options of a command.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers in JSON and in config files never follow the user's locale. */
  setlocale (LC_NUMERIC, "C");

  if (argc < 2)
    {
      print_usage (stderr);
      return PH_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf ("printhook %s (module ABI %d.%d)\n", ph_version (), PRINTHOOK_ABI_MAJOR,
              PRINTHOOK_ABI_MINOR);
      return PH_EXIT_OK;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return PH_EXIT_OK;
    }
  for (const subcommand *c = subcommands; c->name != NULL; c++)
    if (strcmp (argv[1], c->name) == 0)
      return c->run (argc - 1, argv + 1);

  fprintf (stderr, "printhook: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return PH_EXIT_USAGE;
}
