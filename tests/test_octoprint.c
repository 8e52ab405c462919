/* printhook run against a fake OctoPrint (tests/servers/fake_octoprint.py,
 * tornado, speaking OctoPrint 1.11's push API and REST calls): a scripted
 * print turns into exactly the webhooks the configuration asks for. */
#include "autoconfig.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "daemon_asserts.h"
#include "daemon_process.h"
#include "fake_octoprint.h"
#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"
#include "source_records.h"

#define DATA(name) \
  "data = {\"hook\": \"" name "\", \"topic\": \"@topic\", \"event\": \"@event\", " \
  "\"m\": \"@percentCompleteMilestone\", \"message\": \"@message\", \"file\": \"@job.file.name\", " \
  "\"completion\": \"@progress.completion\", \"state\": \"@state.text\", " \
  "\"width\": \"@meta.analysis.dimensions.width\", \"hash\": \"@meta.hash\", " \
  "\"printer\": \"@appearance.name\", \"dev\": \"@deviceIdentifier\", \"extra\": \"@extra\"}\n"

/* A config with one [source NAME] per fake (NULL-terminated names and
 * fakes) and the given hooks; returns its path. */
/* A rewritten config for a reload, its console kept off as at start. */
static void
write_private (const char *config, const char *text)
{
  g_autofree char *private = ph_test_config_text (text);

  ck_assert (g_file_set_contents (config, private, -1, NULL));
}

static char *
write_config (const char *const *names, ph_fake_octoprint **fakes, const char *api_key,
              const char *hooks)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *socket = g_build_filename (dir, "control.sock", NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  char *path = g_build_filename (dir, "printhook.conf", NULL);

  g_string_append_printf (text, "[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n",
                          socket, dir);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *url = ph_fake_octoprint_url (fakes[i]);

      g_string_append_printf (text, "[source %s]\ntype = octoprint\nurl = %s/\napi_key = %s\n\n",
                              names[i], url, api_key != NULL ? api_key : PH_FAKE_OCTOPRINT_KEY);
    }
  g_string_append (text, hooks);
  ck_assert (g_file_set_contents (path, text->str, -1, NULL));
  g_chmod (path, 0600);
  return path;
}

/* The helpers every source's tests share (source_records.h). */
#define field ph_records_field
#define summary ph_records_summary
#define exactly ph_records_exactly
#define count ph_fake_server_count

START_TEST (test_a_whole_print)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("print", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n"
      "message.PrintDone = @job.file.name done in @extra.time s\n" DATA ("main"), url);
  const char *names[] = { "mk3", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 7);
  g_autofree char *seen = summary (records, NULL);
  g_autoptr (json_object) logins = ph_fake_octoprint_records_of (f, "login");
  g_autoptr (json_object) opens = ph_fake_octoprint_records_of (f, "ws_open");
  g_autoptr (json_object) messages = ph_fake_octoprint_records_of (f, "ws_message");
  g_autoptr (json_object) sent = ph_fake_octoprint_records_of (f, "sent");
  json_object *login = json_object_array_get_idx (logins, 0);
  g_autofree char *auth = NULL;

  /* 8 -> 27 % fires 20 once; 50 -> 51 nothing; 99.9 is not 100. */
  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:20 PrintProgress:30 PrintProgress:50 "
                          "PrintProgress:70 PrintProgress:90 PrintDone:90");
  ck_assert_str_eq (field (records, 0, "topic"), "Print Started");
  ck_assert_str_eq (field (records, 0, "message"), "Your print has started.");
  ck_assert_str_eq (field (records, 0, "file"), "benchy.gcode");
  ck_assert_str_eq (field (records, 0, "state"), "Printing");
  /* @meta was fetched before PrintStarted went out. */
  ck_assert_str_eq (field (records, 0, "width"), "60.1");
  ck_assert_str_eq (field (records, 0, "hash"), "9b0e5a1f4c2d");
  ck_assert_str_eq (field (records, 0, "printer"), "Prusa MK3S");
  ck_assert_str_eq (field (records, 0, "dev"), "mk3");
  assert_field_json (records, 0, "extra", "{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                    "\"origin\":\"local\",\"size\":1183897,\"owner\":\"admin\",\"user\":\"admin\"}");
  ck_assert_str_eq (field (records, 1, "topic"), "Print Progress");
  ck_assert_str_eq (field (records, 1, "message"), "Your print is 20 % complete.");
  ck_assert_str_eq (field (records, 1, "completion"), "27.0");
  ck_assert_str_eq (field (records, 5, "completion"), "99.9");
  ck_assert_str_eq (field (records, 6, "topic"), "Print Done");
  ck_assert_str_eq (field (records, 6, "message"), "benchy.gcode done in 3625.12 s");
  ck_assert_str_eq (field (records, 6, "width"), "60.1");

  /* The wire: one passive login with the key, no Origin, auth and throttle. */
  ck_assert_int_eq (json_object_array_length (logins), 1);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (login, "api_key")), PH_FAKE_OCTOPRINT_KEY);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (login, "body")), "{\"passive\": true}");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (login, "content_type")), "application/json");
  ck_assert_int_eq (json_object_array_length (opens), 1);
  ck_assert_ptr_null (json_object_object_get (json_object_array_get_idx (opens, 0), "origin"));
  auth = g_strdup (json_object_get_string (json_object_object_get (json_object_array_get_idx (messages, 0), "text")));
  ck_assert (g_str_has_prefix (auth, "{\"auth\":\"admin:"));
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (messages, 1), "text")),
                    "{\"throttle\":1}");
  /* history was far beyond libsoup's 128 KiB default. */
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (sent, 0), "type")), "history");
  ck_assert_int_gt (json_object_get_int (json_object_object_get (json_object_array_get_idx (sent, 0), "bytes")), 128 * 1024);
  assert_log_contains (d, "source mk3: connected to OctoPrint at http://127.0.0.1:");
  /* The webcam of OctoPrint's settings, resolved against its URL, for the
   * snapshot module. */
  {
    g_autofree char *base = ph_fake_octoprint_url (f);
    g_autofree char *webcam = g_strdup_printf ("source mk3: webcam snapshot %s/webcam/?action=snapshot\n", base);

    assert_log_contains (d, webcam);
  }
  /* The API key is never logged. */
  assert_log_lacks (d, PH_FAKE_OCTOPRINT_KEY);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* A completion that is no percentage (1e300, -5, Infinity, NaN, "50") is
 * no progress: the messages around it still count, and the print's
 * webhooks all arrive (1e300 once crashed nothing but was undefined
 * behaviour when turned into an int). */
START_TEST (test_completion_that_is_no_percentage_is_ignored)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("numbers", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n" DATA ("main"), url);
  const char *names[] = { "mk3", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 4);
  g_autofree char *seen = summary (records, NULL);

  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:10 PrintProgress:20 PrintDone:20");
  ck_assert_str_eq (field (records, 1, "completion"), "10.0");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_each_hook_has_its_own_milestones)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("print", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook quarter]\nurl = %s\nevents = PrintProgress, PrintDone\nprogress_step = 25\n" DATA ("quarter")
      "\n[hook noise]\nurl = %s\nevents = FileSelected, ZChange, timelapse\n" DATA ("noise"), url, url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 6);
  g_autofree char *quarter = summary (records, "quarter");
  g_autofree char *noise = summary (records, "noise");

  ck_assert_str_eq (quarter, "PrintProgress:25 PrintProgress:50 PrintProgress:75 PrintDone:75");
  /* Any OctoPrint event is a custom event by name; other message types are not events. */
  ck_assert_str_eq (noise, "FileSelected:0 ZChange:0");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_cancel_is_one_failure)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("cancel", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook failed]\nurl = %s\nevents = PrintFailed\n" DATA ("failed")
      "\n[hook both]\nurl = %s\nevents = PrintCancelled, PrintFailed, PrintProgress\n"
      "message.PrintCancelled = Cancelled at @extra.progress%%\n" DATA ("both"), url, url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 5);
  g_autofree char *failed = summary (records, "failed");
  g_autofree char *both = summary (records, "both");

  ck_assert_str_eq (failed, "PrintFailed:30");
  ck_assert_str_eq (both, "PrintProgress:10 PrintProgress:30 PrintCancelled:30 PrintFailed:30");
  for (guint i = 0; i < 5; i++)
    {
      const char *event = field (records, i, "event");

      if (strcmp (event, "PrintCancelled") == 0)
        {
          ck_assert_str_eq (field (records, i, "topic"), "Custom Event");
          ck_assert_str_eq (field (records, i, "message"), "Cancelled at 33%");
        }
      else if (strcmp (event, "PrintFailed") == 0)
        {
          ck_assert_str_eq (field (records, i, "topic"), "Print Failed");
          ck_assert_str_eq (field (records, i, "message"), "Something went wrong and your print has failed.");
        }
    }
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* An event type that is not an event name is no event: a hook takes
 * names of letters, digits and '_', and so do the activity's counts (the
 * fuzz target octoprint found "Print Done\n" handed on as it came). */
START_TEST (test_event_not_named_as_events_are_is_ignored)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("names", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf ("[hook all]\nurl = %s\nevents = *\n" DATA ("all"), url);
  const char *names[] = { "mk3", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 2);
  g_autofree char *seen = summary (records, NULL);

  ck_assert_str_eq (seen, "FilamentChange:0 PrintDone:0");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_user_action_once_per_pause)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("busy", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook user]\nurl = %s\nevents = UserActionNeeded, PrintDone\n" DATA ("user"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 4);
  g_autofree char *seen = summary (records, NULL);

  /* history's old busy line is not a pause; five busy lines are one; a
   * prompt and the busy lines after it are one; the prompt plugin's
   * dialog is one. */
  ck_assert_str_eq (seen, "UserActionNeeded:20 UserActionNeeded:20 UserActionNeeded:20 PrintDone:20");
  ck_assert_str_eq (field (records, 0, "topic"), "User Action Needed");
  ck_assert_str_eq (field (records, 0, "message"), "User action needed. You might need to change the filament color.");
  assert_field_json (records, 0, "extra", "{\"reason\":\"busy\"}");
  assert_field_json (records, 1, "extra", "{\"reason\":\"prompt\",\"text\":\"Filament runout detected\"}");
  assert_field_json (records, 2, "extra", "{\"reason\":\"prompt\",\"text\":\"Remove the print\"}");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_busy_lines_every_two_seconds_are_one_pause)
{
  const char *args[] = { "--busy-ms", "2000", "--busy-repeats", "3", NULL };
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("busy", args);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook user]\nurl = %s\nevents = UserActionNeeded\n" DATA ("user"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 3);

  assert_field_json (records, 0, "extra", "{\"reason\":\"busy\"}");
  assert_field_json (records, 1, "extra", "{\"reason\":\"prompt\",\"text\":\"Filament runout detected\"}");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_reconnects_after_a_restart_and_keeps_firing)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("restart", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n" DATA ("main"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 6);
  g_autofree char *seen = summary (records, NULL);

  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:10 PrintProgress:20 PrintProgress:30 "
                          "PrintProgress:40 PrintDone:40");
  ck_assert_uint_eq (count (f, "restart"), 1);
  ck_assert_uint_eq (count (f, "login"), 2);
  assert_log_contains (d, "source octoprint: the connection to OctoPrint at http://127.0.0.1:");
  ck_assert_uint_eq (ph_daemon_process_count_log (d, "source octoprint: connected to OctoPrint"), 2);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* OctoPrint stops answering, the connection still open: its process is
 * stopped, so not even a ping is answered.  With a ping a second, three
 * silent seconds make the link dead; it is dropped and opened again, and
 * the print goes on over the new one. */
START_TEST (test_silent_link_is_dropped_and_opened_again)
{
  const char *env[] = { "PRINTHOOK_WS_KEEPALIVE_S=1", NULL };
  const char *warning = "printhook: warning: source octoprint: no answer from OctoPrint for ";
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("silent", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n" DATA ("main"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start_with_env (config, env);
  guint slow = ph_test_slowness ();
  g_autoptr (json_object) records = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *log = NULL;
  const char *line;
  int quiet = 0;

  /* Before the silence: the first webhooks; then OctoPrint sends nothing
   * for five pings, but answers them, and that keeps the link. */
  ph_fake_octoprint_wait (f, "waiting", 1, 20000 * slow);
  json_object_put (ph_receiver_wait (r, 2, 10000 * slow));
  g_usleep (5 * G_USEC_PER_SEC);
  ck_assert_uint_eq (ph_daemon_process_count_log (d, "no answer from"), 0);
  ck_assert_uint_eq (count (f, "login"), 1);

  ph_fake_octoprint_signal (f, SIGSTOP);
  ph_daemon_process_wait_log (d, warning, 1, 20000);
  ph_fake_octoprint_signal (f, SIGCONT);

  /* It waited for three pings' worth of silence, no less. */
  log = ph_daemon_process_log (d);
  line = strstr (log, warning) + strlen (warning);
  ck_assert_msg (sscanf (line, "%d", &quiet) == 1, "%s", line);
  ck_assert_int_ge (quiet, 3);
  ck_assert (g_str_has_prefix (strchr (line, ' '), " s; reconnecting\n"));

  /* Logged in and opened the websocket again, and what OctoPrint sent over
   * the new one arrived. */
  records = exactly (f, r, 5);
  seen = summary (records, NULL);
  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:10 PrintProgress:20 PrintProgress:30 PrintDone:30");
  ck_assert_str_eq (field (records, 4, "message"), "Your print is done.");
  ck_assert_uint_eq (count (f, "login"), 2);
  ck_assert_uint_eq (count (f, "ws_open"), 2);
  ck_assert_uint_eq (ph_daemon_process_count_log (d, "source octoprint: connected to OctoPrint"), 2);
  ck_assert_uint_eq (ph_daemon_process_count_log (d, "no answer from"), 1);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_keepalive_out_of_range_is_ignored_with_a_warning)
{
  const char *env[] = { "PRINTHOOK_WS_KEEPALIVE_S=0", NULL };
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("idle", NULL);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, "[hook h]\nurl = http://127.0.0.1:9/\n");
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start_with_env (config, env);

  ph_fake_octoprint_wait (f, "done", 1, 10000 * ph_test_slowness ());
  assert_log_contains (d, "printhook: warning: PRINTHOOK_WS_KEEPALIVE_S=0 is not a number of "
                          "seconds from 1 to 3600; pinging every 10 s\n");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_reauth_required_logs_in_again)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("reauth", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n" DATA ("main"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 4);
  g_autofree char *seen = summary (records, NULL);

  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:10 PrintProgress:20 PrintDone:20");
  ck_assert_uint_eq (count (f, "login"), 2);
  assert_log_contains (d, "source octoprint: OctoPrint asks to log in again (stale)");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_bad_api_key_is_a_clear_error_that_does_not_spin)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("idle", NULL);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, "WRONGKEY",
                                          "[hook h]\nurl = http://127.0.0.1:9/\n");
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);

  ph_daemon_process_wait_log (d, "did not accept the api_key", 1, 10000);
  g_usleep (2500 * 1000);
  ck_assert_uint_eq (count (f, "login"), 1);
  ck_assert_uint_eq (count (f, "ws_open"), 0);
  assert_log_contains (d, "printhook: warning: source octoprint: OctoPrint at http://127.0.0.1:");
  assert_log_lacks (d, "WRONGKEY");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_several_printers_keep_their_own_state)
{
  ph_fake_octoprint *fakes[2] = { ph_fake_octoprint_start ("print", NULL),
                                  ph_fake_octoprint_start ("cancel", NULL) };
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook farm]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone, PrintFailed\n"
      "progress_step = 25\n" DATA ("farm"), url);
  const char *names[] = { "left", "right", NULL };
  g_autofree char *config = write_config (names, fakes, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = NULL;
  g_autoptr (GString) left = g_string_new (NULL);
  g_autoptr (GString) right = g_string_new (NULL);

  ph_fake_octoprint_wait (fakes[1], "done", 1, 20000 * ph_test_slowness ());
  records = exactly (fakes[0], r, 5 + 3);
  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      GString *out = strcmp (field (records, i, "dev"), "left") == 0 ? left : right;

      g_string_append_printf (out, "%s%s:%s", out->len ? " " : "", field (records, i, "event"),
                              field (records, i, "m"));
    }
  ck_assert_str_eq (left->str, "PrintStarted:0 PrintProgress:25 PrintProgress:50 PrintProgress:75 PrintDone:75");
  ck_assert_str_eq (right->str, "PrintStarted:0 PrintProgress:25 PrintFailed:25");
  ph_fake_octoprint_stop (fakes[0]);
  ph_fake_octoprint_stop (fakes[1]);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_print_started_waits_at_most_two_seconds_for_meta)
{
  const char *args[] = { "--meta-delay-ms", "4000", NULL };
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("print", args);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintStarted, PrintProgress\nprogress_step = 50\n" DATA ("main"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 2);
  json_object *started = json_object_array_get_idx (records, 0);
  json_object *progress = json_object_array_get_idx (records, 1);
  double waited = json_object_get_double (json_object_object_get (started, "time"));

  /* Without @meta, and the progress behind it still in order. */
  ck_assert_str_eq (field (records, 0, "event"), "PrintStarted");
  ck_assert_str_eq (field (records, 0, "width"), "");
  ck_assert_str_eq (field (records, 1, "event"), "PrintProgress");
  ck_assert (json_object_get_double (json_object_object_get (progress, "time")) >= waited);
  assert_log_contains (d, "not there within 2000 ms; sending without it");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_snapshot_comes_from_the_source_webcam)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("print", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  /* No snapshot.url anywhere: the camera is the one OctoPrint's settings name. */
  g_autofree char *hooks = g_strdup_printf ("[hook cam]\nurl = %s\nevents = PrintStarted\n"
                                            "data = {\"topic\": \"@topic\", \"snap\": \"@snapshot\"}\n", url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 1);
  json_object *parts = json_object_object_get (json_object_array_get_idx (records, 0), "multipart");
  json_object *image;
  g_autofree guchar *bytes = NULL;
  gsize size;

  ck_assert_msg (parts != NULL && json_object_array_length (parts) == 2, "%s",
                 json_object_to_json_string (json_object_array_get_idx (records, 0)));
  image = json_object_array_get_idx (parts, 1);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (image, "name")), "snap");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (image, "filename")), "snapshot.jpg");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (image, "content_type")), "image/jpeg");
  bytes = g_base64_decode (json_object_get_string (json_object_object_get (image, "data_b64")), &size);
  ck_assert_uint_gt (size, 100);
  ck_assert (bytes[0] == 0xFF && bytes[1] == 0xD8);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_emit_from_a_source_carries_its_state)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("print", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = FilamentChange\n" DATA ("main"), url);
  const char *names[] = { "mk3", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  const char *argv[] = { "emit", "-c", config, "FilamentChange", "--source", "mk3", NULL };
  g_autoptr (ph_run_result) out = NULL;
  g_autoptr (json_object) records = NULL;

  ph_fake_octoprint_wait (f, "done", 1, 20000 * ph_test_slowness ());
  out = ph_run_printhook (argv, NULL, 30);
  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  records = exactly (f, r, 1);
  ck_assert_str_eq (field (records, 0, "dev"), "mk3");
  ck_assert_str_eq (field (records, 0, "topic"), "Custom Event");
  ck_assert_str_eq (field (records, 0, "file"), "benchy.gcode");
  ck_assert_str_eq (field (records, 0, "state"), "Operational");
  ck_assert_str_eq (field (records, 0, "width"), "60.1");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_reload_keeps_sources_whose_settings_did_not_change)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("idle", NULL);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, "[hook h]\nurl = http://127.0.0.1:9/a\n");
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);

  ph_fake_octoprint_wait (f, "done", 1, 10000 * ph_test_slowness ());
  /* Another hook, the same source: the connection stays. */
  {
    g_autofree char *text = NULL;
    g_autofree char *url = ph_fake_octoprint_url (f);
    g_autofree char *dir = g_path_get_dirname (config);
    g_autofree char *socket = g_build_filename (dir, "control.sock", NULL);

    text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n"
                            "[source octoprint]\ntype = octoprint\n"
                            "url = %s\napi_key = %s\n\n[hook h]\nurl = http://127.0.0.1:9/b\n",
                            socket, dir, url, PH_FAKE_OCTOPRINT_KEY);
    write_private (config, text);
    ph_daemon_process_signal (d, SIGHUP);
    ph_daemon_process_wait_log (d, "reloaded: 1 hooks and 1 sources", 1, 10000);
    g_usleep (500 * 1000);
    ck_assert_uint_eq (count (f, "login"), 1);

    /* A new key: it reconnects with it. */
    g_free (text);
    text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n"
                            "[source octoprint]\ntype = octoprint\n"
                            "url = %s\napi_key = OTHERKEY\n\n[hook h]\nurl = http://127.0.0.1:9/b\n",
                            socket, dir, url);
    write_private (config, text);
    ph_daemon_process_signal (d, SIGHUP);
    ph_daemon_process_wait_log (d, "reloaded: 1 hooks and 1 sources", 2, 10000);
    ph_fake_octoprint_wait (f, "login", 2, 10000 * ph_test_slowness ());
    assert_log_contains (d, "source octoprint: settings changed; reconnecting");
    ph_daemon_process_wait_log (d, "did not accept the api_key", 1, 10000);
    assert_log_lacks (d, "OTHERKEY");
  }
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_joining_mid_print_fires_only_what_comes_next)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("midprint", NULL);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook main]\nurl = %s\nevents = PrintProgress, PrintDone\n" DATA ("main"), url);
  const char *names[] = { "octoprint", NULL };
  g_autofree char *config = write_config (names, &f, NULL, hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = exactly (f, r, 2);
  g_autofree char *seen = summary (records, NULL);

  /* 10 to 40 % were crossed before it watched; @meta is fetched anyway. */
  ck_assert_str_eq (seen, "PrintProgress:50 PrintDone:50");
  ck_assert_str_eq (field (records, 0, "width"), "60.1");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

static Suite *
octoprint_suite (void)
{
  Suite *s = suite_create ("octoprint");
  TCase *tc = tcase_create ("octoprint");

  tcase_set_timeout (tc, 60 * ph_test_slowness ());
  tcase_add_test (tc, test_a_whole_print);
  tcase_add_test (tc, test_joining_mid_print_fires_only_what_comes_next);
  tcase_add_test (tc, test_each_hook_has_its_own_milestones);
  tcase_add_test (tc, test_completion_that_is_no_percentage_is_ignored);
  tcase_add_test (tc, test_cancel_is_one_failure);
  tcase_add_test (tc, test_event_not_named_as_events_are_is_ignored);
  tcase_add_test (tc, test_user_action_once_per_pause);
  tcase_add_test (tc, test_busy_lines_every_two_seconds_are_one_pause);
  tcase_add_test (tc, test_reconnects_after_a_restart_and_keeps_firing);
  tcase_add_test (tc, test_silent_link_is_dropped_and_opened_again);
  tcase_add_test (tc, test_keepalive_out_of_range_is_ignored_with_a_warning);
  tcase_add_test (tc, test_reauth_required_logs_in_again);
  tcase_add_test (tc, test_bad_api_key_is_a_clear_error_that_does_not_spin);
  tcase_add_test (tc, test_several_printers_keep_their_own_state);
  tcase_add_test (tc, test_print_started_waits_at_most_two_seconds_for_meta);
  tcase_add_test (tc, test_snapshot_comes_from_the_source_webcam);
  tcase_add_test (tc, test_emit_from_a_source_carries_its_state);
  tcase_add_test (tc, test_reload_keeps_sources_whose_settings_did_not_change);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (octoprint_suite ());
}
