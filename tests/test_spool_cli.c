/* printhook spool, run as the real binary against a spool the test fills
 * through the C API, while a connection of the test's own stays open as
 * the daemon's would. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "spool_fixture.h"

#define S ((gint64) G_USEC_PER_SEC)

typedef struct {
  char *dir;
  char *config;     /* printhook.conf naming the spool by a relative path */
  char *spool_path;
  ph_spool *spool;  /* the "daemon's" connection */
  gint64 now;
} fixture;

static void
setup (fixture *f, const char *extra_config)
{
  g_autofree char *text = g_strdup_printf ("[printhook]\nspool = state/spool.db\n%s",
                                           extra_config != NULL ? extra_config : "");
  g_autoptr (GError) error = NULL;

  f->dir = ph_test_tmpdir ();
  f->config = g_build_filename (f->dir, "printhook.conf", NULL);
  f->spool_path = g_build_filename (f->dir, "state", "spool.db", NULL);
  ck_assert (g_file_set_contents (f->config, text, -1, &error));
  f->spool = ph_spool_test_open (f->spool_path);
  f->now = g_get_real_time ();
}

static void
teardown (fixture *f)
{
  ph_spool_close (f->spool);
  g_free (f->dir);
  g_free (f->config);
  g_free (f->spool_path);
}

/* Three deliveries: one waiting for its third attempt, a dead letter, and
 * one being attempted now. */
static void
fill (fixture *f)
{
  ph_spool_entry *waiting = ph_spool_test_entry ("msg_waiting", "home-assistant", "PrintDone",
                                                 f->now - (3 * 3600 + 300) * S);
  ph_spool_entry *dead = ph_spool_test_entry ("msg_dead", "discord", "PrintFailed",
                                              f->now - 120 * S);
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("\xff\xd8\xff\xd9", 4);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (dead->attachments,
                   ph_spool_attachment_new ("snapshot", "snapshot.jpg", "image/jpeg", jpeg));
  dead->milestone = 0;
  ph_spool_test_put (f->spool, waiting);
  ph_spool_test_put (f->spool, dead);
  ph_spool_test_put (f->spool, ph_spool_test_entry ("msg_running", "ntfy", "PrintProgress",
                                                    f->now - 10 * S));
  for (int i = 0; i < 2; i++)
    {
      ck_assert (ph_spool_begin_attempt (f->spool, "msg_waiting", f->now - S, 30 * S, &error));
      ck_assert (ph_spool_schedule_retry (f->spool, "msg_waiting", 503, "HTTP 503: busy",
                                          f->now + 310 * S, &error));
    }
  ck_assert (ph_spool_begin_attempt (f->spool, "msg_dead", f->now - S, 30 * S, &error));
  ck_assert (ph_spool_mark_dead (f->spool, "msg_dead", 410, "HTTP 410: no such webhook",
                                 "the receiver answered 410 Gone", &error));
  ck_assert (ph_spool_begin_attempt (f->spool, "msg_running", f->now, 30 * S, &error));
}

static ph_run_result *
run_spool (fixture *f, const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "spool");
  g_ptr_array_add (args, (gpointer) "-c");
  g_ptr_array_add (args, f->config);
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return ph_run_printhook ((const char *const *) args->pdata, NULL, 30);
}

/* The line of out that holds id (transfer full). */
static char *
line_of (const char *out, const char *id)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], id))
      return g_strdup (lines[i]);
  ck_abort_msg ("no line for %s in:\n%s", id, out);
  return NULL;
}

START_TEST (test_help_reads_like_a_manual)
{
  const char *argv[] = { "spool", "--help", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);
  const char *top[] = { "--help", NULL };
  g_autoptr (ph_run_result) usage = ph_run_printhook (top, NULL, 30);

  ck_assert_int_eq (r->exit_status, 0);
  assert_contains (r->out, "Commands:");
  assert_contains (r->out, "retry --all-dead");
  assert_contains (r->out, "drop ID");
  assert_contains (r->out, "--config=FILE");
  assert_contains (r->out, "Examples:");
  assert_contains (r->out, "Exit status: 0 on success, 1 when");
  assert_contains (usage->out, "spool ");
}
END_TEST

START_TEST (test_list_shows_one_line_per_delivery_oldest_first)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;
  g_autofree char *waiting = NULL, *dead = NULL, *running = NULL;

  setup (&f, NULL);
  fill (&f);
  r = run_spool (&f, "list", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  assert_contains (r->out, "ID");
  assert_contains (r->out, "LAST OUTCOME");
  ck_assert (strstr (r->out, "msg_waiting") < strstr (r->out, "msg_dead"));
  ck_assert (strstr (r->out, "msg_dead") < strstr (r->out, "msg_running"));

  waiting = line_of (r->out, "msg_waiting");
  assert_contains (waiting, "home-assistant");
  assert_contains (waiting, "PrintDone");
  assert_contains (waiting, "pending");
  assert_contains (waiting, "3h05m");
  assert_contains (waiting, " 2 ");
  assert_contains (waiting, "in 5m");
  assert_contains (waiting, "HTTP 503: busy");

  dead = line_of (r->out, "msg_dead");
  assert_contains (dead, "discord");
  assert_contains (dead, "dead");
  assert_contains (dead, "2m");
  assert_contains (dead, "HTTP 410: no such webhook");

  running = line_of (r->out, "msg_running");
  assert_contains (running, "sending");
  assert_contains (r->out, "2 pending, 1 dead\n");
  ck_assert_str_eq (r->err, "");
  teardown (&f);
}
END_TEST

START_TEST (test_list_of_an_empty_spool)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;

  setup (&f, NULL);
  r = run_spool (&f, "list", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  assert_contains (r->out, "no deliveries in ");
  assert_contains (r->out, f.spool_path);
  teardown (&f);
}
END_TEST

START_TEST (test_show_prints_everything_about_one)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;

  setup (&f, NULL);
  fill (&f);
  r = run_spool (&f, "show", "msg_dead", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  assert_contains (r->out, "id:           msg_dead\n");
  assert_contains (r->out, "hook:         discord\n");
  assert_contains (r->out, "event:        PrintFailed from octoprint at ");
  assert_contains (r->out, "state:        dead: the receiver answered 410 Gone\n");
  assert_contains (r->out, "attempts:     1, the last at ");
  assert_contains (r->out, "last outcome: HTTP 410: no such webhook\n");
  assert_contains (r->out, "attachment:   snapshot: snapshot.jpg, image/jpeg, 4 bytes\n");
  assert_contains (r->out, "payload:\n  {\n    \"name\": \"msg_dead.gcode\"\n  }\n");
  assert_contains (r->out, "printer:\n  {\n    \"state\": {\n");
  teardown (&f);
}
END_TEST

START_TEST (test_retry_is_seen_by_the_daemons_connection)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;

  setup (&f, NULL);
  fill (&f);
  ck_assert (!ph_spool_changed_externally (f.spool));
  r = run_spool (&f, "retry", "msg_dead", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  ck_assert_str_eq (r->out, "msg_dead: pending, due now\n");
  ck_assert (ph_spool_changed_externally (f.spool));
  e = ph_spool_get (f.spool, "msg_dead", &error);
  ck_assert_int_eq (e->state, PH_SPOOL_PENDING);
  ck_assert_uint_eq (e->attempts, 0);
  ck_assert_int_le (e->next_attempt, g_get_real_time ());
  ck_assert_int_ge (e->next_attempt, f.now);
  teardown (&f);
}
END_TEST

START_TEST (test_retry_all_dead_letters)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;
  g_autoptr (ph_run_result) again = NULL;
  g_autoptr (GError) error = NULL;
  guint dead = 9;

  setup (&f, NULL);
  fill (&f);
  ph_spool_test_put (f.spool, ph_spool_test_entry ("msg_dead2", "h", "Error", f.now));
  ck_assert (ph_spool_mark_dead (f.spool, "msg_dead2", 400, "HTTP 400", "permanent", &error));
  r = run_spool (&f, "retry", "--all-dead", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  ck_assert_str_eq (r->out, "2 dead letters back in the queue, due now\n");
  ck_assert (ph_spool_count (f.spool, NULL, &dead, &error));
  ck_assert_uint_eq (dead, 0);
  again = run_spool (&f, "retry", "--all-dead", PH_END);
  ck_assert_int_eq (again->exit_status, 0);
  ck_assert_str_eq (again->out, "no dead letters to retry\n");
  teardown (&f);
}
END_TEST

START_TEST (test_drop_deletes_it)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;
  g_autoptr (GError) error = NULL;

  setup (&f, NULL);
  fill (&f);
  r = run_spool (&f, "drop", "msg_waiting", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  ck_assert_str_eq (r->out, "msg_waiting: dropped, it will not be sent\n");
  ck_assert (ph_spool_changed_externally (f.spool));
  ck_assert_ptr_null (ph_spool_get (f.spool, "msg_waiting", &error));
  ck_assert (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND));
  teardown (&f);
}
END_TEST

START_TEST (test_an_unknown_id_exits_1_naming_it)
{
  fixture f;
  static const char *const commands[] = { "show", "retry", "drop" };

  setup (&f, NULL);
  fill (&f);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr (ph_run_result) r = run_spool (&f, commands[i], "msg_nope", PH_END);

      ck_assert_msg (r->exit_status == 1, "%s: exit %d", commands[i], r->exit_status);
      assert_contains (r->err, "no delivery msg_nope in ");
      ck_assert_str_eq (r->out, "");
    }
  teardown (&f);
}
END_TEST

START_TEST (test_a_running_attempt_is_not_retried)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;

  setup (&f, NULL);
  fill (&f);
  r = run_spool (&f, "retry", "msg_running", PH_END);
  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "msg_running is being attempted right now");
  teardown (&f);
}
END_TEST

START_TEST (test_usage_errors_exit_2)
{
  fixture f;
  static const char *const cases[][4] = {
    { NULL, NULL, NULL, "expected a command" },
    { "frobnicate", NULL, NULL, "unknown command 'frobnicate'" },
    { "show", NULL, NULL, "expected an ID" },
    { "retry", NULL, NULL, "expected an ID or --all-dead" },
    { "retry", "msg_a", "--all-dead", "unexpected argument 'msg_a'" },
    { "list", "extra", NULL, "unexpected argument 'extra'" },
    { "list", "--all-dead", NULL, "--all-dead goes with retry only" },
    { "drop", "a", "b", "unexpected argument 'b'" },
    { "list", "--no-such-option", NULL, "no-such-option" },
  };

  setup (&f, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ph_run_result) r = run_spool (&f, cases[i][0], cases[i][1], cases[i][2], PH_END);

      ck_assert_msg (r->exit_status == 2, "case %u: exit %d", i, r->exit_status);
      assert_contains (r->err, cases[i][3]);
    }
  teardown (&f);
}
END_TEST

START_TEST (test_a_missing_spool_is_not_created)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *spool = g_build_filename (dir, "spool.db", NULL);
  const char *argv[] = { "spool", "-c", config, "list", NULL };
  g_autoptr (ph_run_result) r = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (g_file_set_contents (config, "[printhook]\nspool = spool.db\n", -1, &error));
  r = ph_run_printhook (argv, NULL, 30);
  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "there is no spool at ");
  assert_contains (r->err, spool);
  ck_assert (!g_file_test (spool, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_a_corrupt_spool_is_reported_and_left_alone)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *spool = g_build_filename (dir, "spool.db", NULL);
  const char *argv[] = { "spool", "--spool", spool, "list", NULL };
  g_autoptr (ph_run_result) r = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;
  guint files = 0;

  ck_assert (g_file_set_contents (spool, "definitely not SQLite, just some text that goes on "
                                         "long enough to fill a header and then some more", -1,
                                  &error));
  r = ph_run_printhook (argv, NULL, 30);
  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "file is not a database");
  ck_assert (g_file_get_contents (spool, &after, NULL, &error));
  assert_contains (after, "definitely not SQLite");
  d = g_dir_open (dir, 0, &error);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      assert_lacks (name, "corrupt");
      files++;
    }
  ck_assert_uint_eq (files, 1);
}
END_TEST

START_TEST (test_an_invalid_hook_does_not_hide_the_spool)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;

  setup (&f, "[hook broken]\nurl = ftp://nowhere\nmodules = no-such-module\nbogus_key = 1\n");
  fill (&f);
  r = run_spool (&f, "list", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  assert_contains (r->out, "msg_waiting");
  teardown (&f);
}
END_TEST

START_TEST (test_a_missing_config_exits_1)
{
  const char *argv[] = { "spool", "-c", "/nonexistent/printhook.conf", "list", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);

  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "cannot read /nonexistent/printhook.conf");
}
END_TEST

START_TEST (test_a_receivers_text_cannot_break_the_terminal)
{
  fixture f;
  g_autoptr (ph_run_result) r = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;

  setup (&f, NULL);
  ph_spool_test_put (f.spool, ph_spool_test_entry ("msg_evil", "h", "PrintDone", f.now));
  ck_assert (ph_spool_begin_attempt (f.spool, "msg_evil", f.now, S, &error));
  ck_assert (ph_spool_schedule_retry (f.spool, "msg_evil", 500,
                                      "HTTP 500: line one\nline two\x1b[31m red \xff end", f.now,
                                      &error));
  r = run_spool (&f, "list", PH_END);
  ck_assert_int_eq (r->exit_status, 0);
  line = line_of (r->out, "msg_evil");
  assert_contains (line, "HTTP 500: line one line two");
  assert_lacks (r->out, "\x1b");
  assert_contains (r->out, "1 pending, 0 dead\n");
  teardown (&f);
}
END_TEST

static Suite *
spool_cli_suite (void)
{
  Suite *s = suite_create ("spool-cli");
  TCase *tc = tcase_create ("spool-cli");

  tcase_add_test (tc, test_help_reads_like_a_manual);
  tcase_add_test (tc, test_list_shows_one_line_per_delivery_oldest_first);
  tcase_add_test (tc, test_list_of_an_empty_spool);
  tcase_add_test (tc, test_show_prints_everything_about_one);
  tcase_add_test (tc, test_retry_is_seen_by_the_daemons_connection);
  tcase_add_test (tc, test_retry_all_dead_letters);
  tcase_add_test (tc, test_drop_deletes_it);
  tcase_add_test (tc, test_an_unknown_id_exits_1_naming_it);
  tcase_add_test (tc, test_a_running_attempt_is_not_retried);
  tcase_add_test (tc, test_usage_errors_exit_2);
  tcase_add_test (tc, test_a_missing_spool_is_not_created);
  tcase_add_test (tc, test_a_corrupt_spool_is_reported_and_left_alone);
  tcase_add_test (tc, test_an_invalid_hook_does_not_hide_the_spool);
  tcase_add_test (tc, test_a_missing_config_exits_1);
  tcase_add_test (tc, test_a_receivers_text_cannot_break_the_terminal);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (spool_cli_suite ());
}
