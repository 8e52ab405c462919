/* The subcommands of the printhook binary.  Each takes the arguments after
 * the subcommand's name (argv[0] is the subcommand) and returns the process
 * exit status. */
#ifndef PH_CLI_H
#define PH_CLI_H

/* Exit statuses shared by every subcommand. */
enum {
  PH_EXIT_OK = 0,
  PH_EXIT_FAILURE = 1,     /* the job was done and found a problem (invalid config, failed delivery) */
  PH_EXIT_USAGE = 2        /* the command line itself was wrong */
};

int ph_cmd_check (int argc, char **argv);
int ph_cmd_modules (int argc, char **argv);
int ph_cmd_render (int argc, char **argv);
int ph_cmd_test (int argc, char **argv);
int ph_cmd_listen (int argc, char **argv);
int ph_cmd_run (int argc, char **argv);
int ph_cmd_emit (int argc, char **argv);
int ph_cmd_simulate (int argc, char **argv);
int ph_cmd_spool (int argc, char **argv);
int ph_cmd_console (int argc, char **argv);

#endif
