/* printhook spool: lists, shows, retries and drops the deliveries in the
 * daemon's spool, safely while the daemon runs (DESIGN.md §6). */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "config/config.h"
#include "config/config_keys.h"
#include "config/config_value.h"
#include "text/json_text.h"
#include "spool/spool.h"

/* Characters of a last outcome shown on a list line. */
#define OUTCOME_WIDTH 72

/* The spool key of [printhook], and nothing else: the spool must stay
 * reachable when a hook is invalid or its module is missing, which is when
 * one most wants to look at it.  A relative path is relative to the file,
 * as the daemon reads it. */
static char *
spool_path_from_config (const char *path, GError **error)
{
  const printhook_config_key *spec = ph_find_key (ph_daemon_keys (), "spool");
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (ph_value) value = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = NULL;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "cannot read %s: %s", path,
                   local_error->message);
      return NULL;
    }
  text = g_key_file_get_string (keyfile, "printhook", "spool", NULL);
  value = ph_value_parse (spec, text != NULL ? text : spec->default_value, dir, &local_error);
  if (value == NULL)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "%s: [printhook] spool: %s", path,
                   local_error->message);
      return NULL;
    }
  return g_strdup (value->text);
}

/* A duration as people read it: "45s", "12m", "3h05m", "2d04h". */
static char *
format_duration (gint64 usec)
{
  gint64 s = MAX (usec, 0) / G_USEC_PER_SEC;

  if (s < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT "s", s);
  if (s < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m", s / 60);
  if (s < 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", s / 3600,
                            s / 60 % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT "d%02" G_GINT64_FORMAT "h", s / 86400,
                          s / 3600 % 24);
}

static char *
format_time (gint64 usec)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S %Z") : g_strdup ("?");
}

/* Text on one line of at most width characters: a receiver's answer may
 * hold line breaks and escape sequences, which must not reach a terminal. */
static char *
one_line (const char *text, guint width)
{
  GString *out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0' && g_utf8_strlen (out->str, -1) < (glong) width)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_c (out, '?');
          p++;
          continue;
        }
      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
      p = g_utf8_next_char (p);
    }
  if (*p != '\0')
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

static char *
outcome_of (const ph_spool_entry *e, guint width)
{
  if (e->last_outcome != NULL)
    return one_line (e->last_outcome, width);
  if (e->last_status != 0)
    return g_strdup_printf ("HTTP %ld", e->last_status);
  return g_strdup ("-");
}

static const char *
state_of (const ph_spool_entry *e)
{
  if (e->state == PH_SPOOL_DEAD)
    return "dead";
  return e->in_progress ? "sending" : "pending";
}

static char *
next_of (const ph_spool_entry *e, gint64 now)
{
  g_autofree char *in = NULL;

  if (e->state == PH_SPOOL_DEAD || e->in_progress)
    return g_strdup ("-");
  if (e->next_attempt <= now)
    return g_strdup ("now");
  in = format_duration (e->next_attempt - now);
  return g_strdup_printf ("in %s", in);
}

static int
cmd_list (ph_spool *spool)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();
  int id_w = 2, hook_w = 4, event_w = 5;
  guint dead = 0;

  entries = ph_spool_list (spool, &error);
  if (entries == NULL)
    {
      fprintf (stderr, "printhook spool: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }
  if (entries->len == 0)
    {
      printf ("no deliveries in %s\n", ph_spool_path (spool));
      return PH_EXIT_OK;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index (entries, i);

      id_w = MAX (id_w, (int) strlen (e->id));
      hook_w = MAX (hook_w, (int) strlen (e->hook));
      event_w = MAX (event_w, (int) strlen (e->event));
      dead += e->state == PH_SPOOL_DEAD;
    }
  printf ("%-*s  %-*s  %-*s  %-7s  %6s  %8s  %-8s  %s\n", id_w, "ID", hook_w, "HOOK", event_w,
          "EVENT", "STATE", "AGE", "ATTEMPTS", "NEXT", "LAST OUTCOME");
  for (guint i = 0; i < entries->len; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index (entries, i);
      g_autofree char *age = format_duration (now - e->created);
      g_autofree char *next = next_of (e, now);
      g_autofree char *outcome = outcome_of (e, OUTCOME_WIDTH);

      printf ("%-*s  %-*s  %-*s  %-7s  %6s  %8u  %-8s  %s\n", id_w, e->id, hook_w, e->hook,
              event_w, e->event, state_of (e), age, e->attempts, next, outcome);
    }
  printf ("%u pending, %u dead\n", entries->len - dead, dead);
  return PH_EXIT_OK;
}

/* A stored JSON text, pretty and indented under its heading; as stored when
 * it does not parse. */
static void
print_json (const char *heading, const char *text)
{
  g_autoptr (json_object) value = ph_json_parse (text != NULL ? text : "{}", -1, NULL);
  g_autofree char *pretty = value != NULL ? ph_json_to_text (value, TRUE) : g_strdup (text);
  g_auto (GStrv) lines = g_strsplit (pretty, "\n", -1);

  printf ("%s:\n", heading);
  for (guint i = 0; lines[i] != NULL; i++)
    printf ("  %s\n", lines[i]);
}

static int
cmd_show (ph_spool *spool, const char *id)
{
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();
  g_autofree char *created = NULL;
  g_autofree char *age = NULL;
  g_autofree char *event_time = NULL;

  e = ph_spool_get (spool, id, &error);
  if (e == NULL)
    {
      fprintf (stderr, "printhook spool: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }
  created = format_time (e->created);
  age = format_duration (now - e->created);
  event_time = format_time (e->event_time * G_USEC_PER_SEC);
  printf ("id:           %s\n", e->id);
  printf ("hook:         %s\n", e->hook);
  printf ("event:        %s from %s at %s\n", e->event, e->source != NULL ? e->source : "?",
          event_time);
  if (e->milestone != 0)
    printf ("milestone:    %d %%\n", e->milestone);
  printf ("created:      %s (%s ago)\n", created, age);
  if (e->state == PH_SPOOL_DEAD)
    printf ("state:        dead: %s\n", e->dead_reason != NULL ? e->dead_reason : "?");
  else if (e->in_progress)
    printf ("state:        pending, an attempt is running\n");
  else
    {
      g_autofree char *next = next_of (e, now);
      g_autofree char *when = format_time (e->next_attempt);
      printf ("state:        pending, next attempt %s (%s)\n", next, when);
    }
  if (e->attempts == 0)
    printf ("attempts:     0\n");
  else
    {
      g_autofree char *last = format_time (e->last_attempt);
      printf ("attempts:     %u, the last at %s\n", e->attempts, last);
    }
  if (e->last_outcome != NULL || e->last_status != 0)
    {
      g_autofree char *outcome = outcome_of (e, 4096);
      printf ("last outcome: %s\n", outcome);
    }
  for (guint i = 0; i < e->attachments->len; i++)
    {
      const ph_spool_attachment *a = g_ptr_array_index (e->attachments, i);
      printf ("attachment:   %s: %s, %s, %" G_GSIZE_FORMAT " bytes\n", a->field,
              a->filename != NULL ? a->filename : "(no file name)",
              a->content_type != NULL ? a->content_type : "(no type)", a->size);
    }
  print_json ("payload", e->payload);
  print_json ("printer", e->printer);
  return PH_EXIT_OK;
}

static int
cmd_retry (ph_spool *spool, const char *id, gboolean all_dead)
{
  g_autoptr (GError) error = NULL;
  guint count = 0;

  if (all_dead)
    {
      if (!ph_spool_retry_dead (spool, g_get_real_time (), &count, &error))
        {
          fprintf (stderr, "printhook spool: %s\n", error->message);
          return PH_EXIT_FAILURE;
        }
      if (count == 0)
        printf ("no dead letters to retry\n");
      else
        printf ("%u dead letter%s back in the queue, due now\n", count, count == 1 ? "" : "s");
      return PH_EXIT_OK;
    }
  if (!ph_spool_retry (spool, id, g_get_real_time (), &error))
    {
      fprintf (stderr, "printhook spool: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }
  printf ("%s: pending, due now\n", id);
  return PH_EXIT_OK;
}

static int
cmd_drop (ph_spool *spool, const char *id)
{
  g_autoptr (GError) error = NULL;

  if (!ph_spool_remove (spool, id, &error))
    {
      fprintf (stderr, "printhook spool: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }
  printf ("%s: dropped, it will not be sent\n", id);
  return PH_EXIT_OK;
}

/* Whether the arguments fit the command; says why not. */
static gboolean
arguments_fit (int argc, char **argv, gboolean all_dead)
{
  const char *command = argv[1];
  gboolean wants_id = strcmp (command, "show") == 0 || strcmp (command, "drop") == 0
                      || (strcmp (command, "retry") == 0 && !all_dead);
  int expected = wants_id ? 3 : 2;

  if (strcmp (command, "list") != 0 && strcmp (command, "show") != 0
      && strcmp (command, "retry") != 0 && strcmp (command, "drop") != 0)
    {
      fprintf (stderr, "printhook spool: unknown command '%s' (see printhook spool --help)\n",
               command);
      return FALSE;
    }
  if (all_dead && strcmp (command, "retry") != 0)
    {
      fprintf (stderr, "printhook spool: --all-dead goes with retry only\n");
      return FALSE;
    }
  if (argc < expected)
    {
      fprintf (stderr, "printhook spool %s: expected %s (see printhook spool --help)\n", command,
               strcmp (command, "retry") == 0 ? "an ID or --all-dead" : "an ID");
      return FALSE;
    }
  if (argc > expected)
    {
      fprintf (stderr, "printhook spool %s: unexpected argument '%s'%s\n", command,
               argv[expected], all_dead ? " (--all-dead retries every dead letter)" : "");
      return FALSE;
    }
  return TRUE;
}

int
ph_cmd_spool (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *spool_path = NULL;
  gboolean all_dead = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Find the spool through the spool key of FILE (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "spool", 0, 0, G_OPTION_ARG_FILENAME, &spool_path,
      "Use this spool file instead of the config's (a file moved aside as corrupt, say)",
      "PATH" },
    { "all-dead", 0, 0, G_OPTION_ARG_NONE, &all_dead,
      "With retry: retry every dead letter", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (ph_spool) spool = NULL;
  g_autoptr (GError) error = NULL;
  const char *command;

  if (!ph_cli_parse (&argc, &argv, "COMMAND [ID]",
                     "Lists, shows, retries and drops the deliveries in the spool.",
                     "Every webhook is written to the spool before its first attempt and\n"
                     "stays there until it is delivered: pending while it waits for its next\n"
                     "attempt, dead (a dead letter) once printhook has given up on it after a\n"
                     "permanent failure or retry.max_age.  Each command is one SQLite\n"
                     "transaction, so they are safe to run while the daemon runs; it notices\n"
                     "a change within a second.\n"
                     "\n"
                     "Commands:\n"
                     "  list              one line per delivery, oldest first: id, hook, event,\n"
                     "                    state, age, attempts, next attempt, last outcome\n"
                     "  show ID           everything about one delivery: its event, payload,\n"
                     "                    printer state, attachments, attempts and outcome\n"
                     "  retry ID          send it at once, with a fresh retry schedule (its\n"
                     "                    attempts and retry.max_age start over)\n"
                     "  retry --all-dead  the same for every dead letter\n"
                     "  drop ID           delete it: it will not be sent\n"
                     "\n"
                     "The spool is the file named by the spool key of [printhook] in the\n"
                     "configuration (default /var/lib/printhook/spool.db).  Only that key is\n"
                     "read, so the spool stays reachable while hooks are being fixed.  Run it\n"
                     "as the user the daemon runs as.\n"
                     "\n"
                     "Examples:\n"
                     "  printhook spool list\n"
                     "  printhook spool show msg_0b1f6c2e9d3a4f5b8c7d6e5f4a3b2c1d\n"
                     "  printhook spool retry --all-dead\n"
                     "  printhook spool --spool /var/lib/printhook/spool.db.corrupt-20250101T0930Z list\n"
                     "\n"
                     "Exit status: 0 on success, 1 when the spool cannot be opened or has no\n"
                     "delivery with that ID, 2 on a command-line error.",
                     entries, &status))
    return status;
  if (argc < 2)
    {
      fprintf (stderr, "printhook spool: expected a command: list, show, retry or drop "
                       "(see printhook spool --help)\n");
      return PH_EXIT_USAGE;
    }
  if (!arguments_fit (argc, argv, all_dead))
    return PH_EXIT_USAGE;
  command = argv[1];
  ph_cli_setup_logging ();
  if (spool_path == NULL)
    {
      spool_path = spool_path_from_config (config_path != NULL ? config_path : PH_DEFAULT_CONFIG,
                                           &error);
      if (spool_path == NULL)
        {
          fprintf (stderr, "printhook spool: %s\n", error->message);
          return PH_EXIT_FAILURE;
        }
    }
  /* Never create nor move aside: that is the daemon's job, as the user it
   * runs as. */
  spool = ph_spool_open (spool_path, PH_SPOOL_OPEN_EXISTING, NULL, &error);
  if (spool == NULL)
    {
      fprintf (stderr, "printhook spool: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }
  if (strcmp (command, "list") == 0)
    return cmd_list (spool);
  if (strcmp (command, "show") == 0)
    return cmd_show (spool, argv[2]);
  if (strcmp (command, "retry") == 0)
    return cmd_retry (spool, argv[2], all_dead);
  return cmd_drop (spool, argv[2]);
}
