/* The Bambu Lab source end to end: the real daemon connects to a real
 * mosquitto playing a printer's broker (TLS, a certificate whose CN is the
 * serial, user bblp with the access code: PH_BROKER_BAMBU), asks for a
 * pushall, and turns the reports the test publishes the way a P1 does
 * (deltas) into webhooks at a local receiver; a wrong access code and a
 * wrong serial are said in words a user can act on. */
#include "autoconfig.h"

#include <check.h>
#include <string.h>

#include "bambu_run.h"
#include "daemon_asserts.h"
#include "harness.h"
#include "source_records.h"
#include "text/json_text.h"

/* A P1 printing a job from an idle state through a user pause, a filament
 * runout (print_error and a new hms entry), progress and the end, with
 * hostile reports in between that change nothing. */
START_TEST (test_a_print_on_a_p1)
{
  ph_bambu_run r = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autofree char *summary = NULL;
  gint64 began = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, began - 60);
  g_autofree char *start_members = g_strdup_printf (
      "\"gcode_state\": \"PREPARE\", \"subtask_name\": \"benchy\", \"gcode_file\": "
      "\"/data/Metadata/plate_1.gcode\", \"task_id\": \"111\", \"subtask_id\": \"222\", "
      "\"print_type\": \"local\", \"total_layer_num\": 120, \"gcode_start_time\": \"%s\"", now);
  g_autofree char *log = NULL;

  ph_bambu_run_start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, "*");
  ph_daemon_process_wait_log (r.daemon, "connected to the Bambu Lab printer", 1, 10000);
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  ck_assert_uint_eq (ph_bambu_pushalls (&r), 1);

  /* The pushall's answer: everything, idle. */
  ph_bambu_report (&r, "\"gcode_state\": \"IDLE\", \"mc_percent\": 0, \"subtask_name\": \"\", "
              "\"gcode_file\": \"\", \"task_id\": \"0\", \"subtask_id\": \"0\", "
              "\"nozzle_temper\": 24.5, \"bed_temper\": 23.0, \"print_type\": \"idle\", "
              "\"hms\": []");
  /* Hostile: none of these is an event, none stops the rest. */
  ph_mqtt_publish (r.broker, PH_BAMBU_REPORT_TOPIC, "{\"print\": {\"command\": \"push_st", FALSE);
  ph_mqtt_publish (r.broker, PH_BAMBU_REPORT_TOPIC, "[1, 2, 3]", FALSE);
  ph_mqtt_publish (r.broker, PH_BAMBU_REPORT_TOPIC, "{\"print\": \"push_status\"}", FALSE);
  ph_mqtt_publish (r.broker, PH_BAMBU_REPORT_TOPIC, "{\"info\": {\"command\": \"get_version\"}}", FALSE);
  ph_bambu_report (&r, "\"gcode_state\": 7, \"mc_percent\": \"lots\", \"hms\": {\"attr\": 1}");
  ph_bambu_report (&r, "\"gcode_state\": \"WARPING\"");
  ph_bambu_report (&r, "\"gcode_state\": \"IDLE\", \"mc_percent\": 0, \"hms\": []");

  ph_bambu_report (&r, start_members);
  ph_bambu_report (&r, "\"gcode_state\": \"RUNNING\", \"mc_percent\": 10, \"layer_num\": 12, "
              "\"mc_remaining_time\": 42, \"nozzle_temper\": 220, \"bed_temper\": 55");
  ph_bambu_report (&r, "\"mc_percent\": 30");
  ph_bambu_report (&r, "\"gcode_state\": \"PAUSE\"");
  ph_bambu_report (&r, "\"gcode_state\": \"RUNNING\", \"mc_percent\": 51");
  ph_bambu_report (&r, "\"gcode_state\": \"PAUSE\", \"print_error\": 117473282, "
              "\"hms\": [{\"attr\": 117473280, \"code\": 196610}]");
  ph_bambu_report (&r, "\"gcode_state\": \"RUNNING\", \"print_error\": 0, \"hms\": []");
  ph_bambu_report (&r, "\"mc_percent\": 80, \"mc_remaining_time\": 9");
  ph_bambu_report (&r, "\"gcode_state\": \"FINISH\", \"mc_percent\": 100, \"mc_remaining_time\": 0");

  records = ph_bambu_exactly (&r, 10);
  summary = ph_records_summary (records, NULL);
  ck_assert_str_eq (summary, "PrintStarted:0 PrintProgress:25 PrintPaused:25 PrintResumed:25 "
                             "PrintProgress:50 PrintPaused:50 UserActionNeeded:50 "
                             "PrintResumed:50 PrintProgress:75 PrintDone:75");
  ck_assert_str_eq (ph_records_field (records, 0, "file"), "benchy");
  ck_assert_str_eq (ph_records_field (records, 0, "dev"), "p1");
  ck_assert_str_eq (ph_records_field (records, 0, "state"), "Starting");
  ck_assert_str_eq (ph_records_field (records, 1, "state"), "Printing");
  ck_assert_str_eq (ph_records_field (records, 1, "completion"), "30.0");
  ck_assert_str_eq (ph_records_field (records, 1, "left"), "2520");
  ck_assert_str_eq (ph_records_field (records, 2, "state"), "Paused");
  {
    g_autofree char *extra = ph_records_field_json (records, 6, "extra");

    assert_contains (extra, "\"reason\":\"print_error 0x07008002\"");
    assert_contains (extra, "\"hms\":[\"HMS_0700_8000_0003_0002\"]");
    assert_contains (extra, "\"name\":\"benchy\"");
    assert_contains (extra, "\"total_layers\":120");
  }
  ck_assert_str_eq (ph_records_field (records, 9, "file"), "benchy");
  {
    g_autofree char *extra = ph_records_field_json (records, 9, "extra");
    g_autoptr (json_object) parsed = json_tokener_parse (extra);
    json_object *time = NULL;
    gint64 elapsed = g_get_real_time () / G_USEC_PER_SEC - began;

    assert_contains (extra, "\"path\":\"/data/Metadata/plate_1.gcode\"");
    /* The job began 60 s before the test did, which under valgrind takes
     * a while itself. */
    ck_assert (json_object_object_get_ex (parsed, "time", &time));
    ck_assert_msg (json_object_get_int64 (time) >= 60
                       && json_object_get_int64 (time) <= 61 + elapsed,
                   "the print time is %" G_GINT64_FORMAT " s, not from 60 to %" G_GINT64_FORMAT,
                   (gint64) json_object_get_int64 (time), 61 + elapsed);
    assert_contains (extra, "\"temperatures\":{\"nozzle\":220");
  }
  log = ph_daemon_process_log (r.daemon);
  assert_contains (log, "a report of 30 bytes from the printer was ignored");
  assert_lacks (log, PH_BAMBU_ACCESS_CODE);
  ph_bambu_run_finish (&r);
}
END_TEST

/* A print that ends while the daemon is cut off from the printer: the
 * pushall after the reconnection shows FINISH, which gives one PrintDone. */
START_TEST (test_a_finish_while_disconnected)
{
  ph_bambu_run r = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autofree char *summary = NULL;

  ph_bambu_run_start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, "PrintStarted, PrintDone");
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  ph_bambu_report (&r, "\"gcode_state\": \"IDLE\", \"subtask_name\": \"\", \"hms\": []");
  ph_bambu_report (&r, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"cube\", \"task_id\": \"5\", "
              "\"mc_percent\": 40");
  json_object_put (ph_bambu_exactly (&r, 1));

  ph_broker_restart (r.broker);
  ph_daemon_process_wait_log (r.daemon, "connected to the Bambu Lab printer", 2, 15000);
  ph_mqtt_subscriber_wait (r.requests, 2, 15000);
  ck_assert_uint_eq (ph_bambu_pushalls (&r), 2);
  /* The answer to the second pushall: the whole state, finished. */
  ph_bambu_report (&r, "\"gcode_state\": \"FINISH\", \"subtask_name\": \"cube\", \"task_id\": \"5\", "
              "\"mc_percent\": 100, \"hms\": []");
  /* And a P1 repeating itself changes nothing. */
  ph_bambu_report (&r, "\"gcode_state\": \"FINISH\"");
  records = ph_bambu_exactly (&r, 2);
  summary = ph_records_summary (records, NULL);
  ck_assert_str_eq (summary, "PrintStarted:0 PrintDone:25");
  ck_assert_str_eq (ph_records_field (records, 1, "file"), "cube");
  ph_bambu_run_finish (&r);
}
END_TEST

/* An X1 sends the whole object every time: a print cancelled on the
 * printer gives PrintCancelled then PrintFailed (reason cancelled) once,
 * and a report of 1 MB (above what a printer sends) changes nothing. */
START_TEST (test_an_x1_cancel_and_a_huge_report)
{
  ph_bambu_run r = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *big = NULL;
  g_autofree char *big_file = NULL;
  g_autofree char *output = NULL;
  const char *x1 = "\"subtask_name\": \"bracket\", \"gcode_file\": \"bracket.3mf\", "
                   "\"task_id\": \"77\", \"subtask_id\": \"78\", \"hms\": [], "
                   "\"nozzle_temper\": 220, \"bed_temper\": 60, \"chamber_temper\": 35";
  g_autofree char *idle = g_strdup_printf ("\"gcode_state\": \"IDLE\", \"print_error\": 0, "
                                           "\"mc_percent\": 0, %s", x1);
  g_autofree char *running = g_strdup_printf ("\"gcode_state\": \"RUNNING\", "
                                              "\"print_error\": 0, \"mc_percent\": 12, %s", x1);
  g_autofree char *cancelled = g_strdup_printf ("\"gcode_state\": \"FAILED\", "
                                                "\"print_error\": 50348044, "
                                                "\"mc_percent\": 12, %s", x1);

  ph_bambu_run_start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, "*");
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  ph_bambu_report (&r, idle);
  ph_bambu_report (&r, running);
  ph_bambu_report (&r, running);
  {
    /* 1 MB of one string, through the broker (mosquitto_pub -f): a
     * report without news; the link survives it (the cancel after it
     * arrives) and it gives no event. */
    GString *text = g_string_new ("{\"print\": {\"command\": \"push_status\", \"junk\": \"");
    const char *args[] = { "-t", PH_BAMBU_REPORT_TOPIC, "-q", "1", "-f", NULL, NULL };

    while (text->len < 1024 * 1024)
      g_string_append (text, "0123456789abcdef");
    g_string_append (text, "\"}}");
    big = g_string_free (text, FALSE);
    big_file = g_build_filename (r.dir, "big.json", NULL);
    ck_assert (g_file_set_contents (big_file, big, -1, NULL));
    args[5] = big_file;
    ck_assert_int_eq (ph_mqtt_pub_run (r.broker, TRUE, args, &output), 0);
  }
  ph_bambu_report (&r, cancelled);
  ph_bambu_report (&r, cancelled);
  records = ph_bambu_exactly (&r, 3);
  summary = ph_records_summary (records, NULL);
  ck_assert_str_eq (summary, "PrintStarted:0 PrintCancelled:0 PrintFailed:0");
  ck_assert_str_eq (ph_records_field (records, 0, "file"), "bracket");
  {
    g_autofree char *extra = ph_records_field_json (records, 2, "extra");

    assert_contains (extra, "\"reason\":\"cancelled\"");
    assert_contains (extra, "\"print_error\":50348044");
    assert_contains (extra, "\"chamber\":35");
  }
  ph_bambu_run_finish (&r);
}
END_TEST

/* A P1 print that fails on the printer (a print_error that is not a
 * cancel): PrintFailed once, reason error with the code, and a fatal HMS
 * message that comes with it an Error. */
START_TEST (test_a_failure_on_a_p1)
{
  ph_bambu_run r = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *failed = NULL;

  ph_bambu_run_start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE,
                      "PrintStarted, PrintFailed, PrintCancelled, Error");
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  ph_bambu_report (&r, "\"gcode_state\": \"IDLE\", \"subtask_name\": \"\", \"task_id\": \"0\", "
                       "\"print_error\": 0, \"hms\": []");
  ph_bambu_report (&r, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"gear\", "
                       "\"task_id\": \"31\", \"mc_percent\": 7");
  ph_bambu_report (&r, "\"gcode_state\": \"FAILED\", \"print_error\": 83902465, "
                       "\"hms\": [{\"attr\": 50331904, \"code\": 65537}]");
  ph_bambu_report (&r, "\"gcode_state\": \"FAILED\"");
  records = ph_bambu_exactly (&r, 3);
  summary = ph_records_summary (records, NULL);
  assert_contains (summary, "PrintStarted:0");
  assert_contains (summary, "PrintFailed:0");
  assert_contains (summary, "Error:0");
  assert_lacks (summary, "PrintCancelled");
  for (guint i = 0; i < 3; i++)
    if (strcmp (ph_records_field (records, i, "event"), "PrintFailed") == 0)
      failed = ph_records_field_json (records, i, "extra");
  ck_assert_ptr_nonnull (failed);
  assert_contains (failed, "\"reason\":\"error\"");
  assert_contains (failed, "\"print_error\":83902465");
  assert_contains (failed, "\"name\":\"gear\"");
  ph_bambu_run_finish (&r);
}
END_TEST

/* A wrong access code: the log says to check it, once however often the
 * daemon retries, and never shows it; no pushall went anywhere. */
START_TEST (test_wrong_access_code)
{
  ph_bambu_run r = { 0 };
  g_autofree char *log = NULL;

  ph_bambu_run_start (&r, PH_BAMBU_SERIAL, "00000000", "*");
  ph_daemon_process_wait_log (r.daemon, "refused the access code", 1, 10000);
  g_usleep (2500 * 1000);
  log = ph_daemon_process_log (r.daemon);
  assert_contains (log, "check access_code (Settings > Network");
  ck_assert_uint_eq (ph_daemon_process_count_log (r.daemon, "refused the access code"), 1);
  assert_lacks (log, "00000000");
  ck_assert_uint_eq (ph_bambu_pushalls (&r), 0);
  ph_bambu_run_finish (&r);
}
END_TEST

/* A serial that is not the certificate's: the log names the one it holds;
 * no password went to the broker. */
START_TEST (test_wrong_serial)
{
  ph_bambu_run r = { 0 };
  g_autofree char *log = NULL;
  g_autofree char *broker_log = NULL;

  ph_bambu_run_start (&r, "01P00A000000000", PH_BAMBU_ACCESS_CODE, "*");
  ph_daemon_process_wait_log (r.daemon, "set serial = " PH_BAMBU_SERIAL, 1, 10000);
  log = ph_daemon_process_log (r.daemon);
  assert_contains (log, "is for '" PH_BAMBU_SERIAL "', not '01P00A000000000'");
  broker_log = ph_broker_log (r.broker);
  assert_lacks (broker_log, "bblp");
  ph_bambu_run_finish (&r);
}
END_TEST

static Suite *
bambu_suite (void)
{
  Suite *s = suite_create ("bambu");
  TCase *tc = tcase_create ("source");

  tcase_set_timeout (tc, 120 * ph_test_slowness ());
  tcase_add_test (tc, test_a_print_on_a_p1);
  tcase_add_test (tc, test_a_finish_while_disconnected);
  tcase_add_test (tc, test_an_x1_cancel_and_a_huge_report);
  tcase_add_test (tc, test_a_failure_on_a_p1);
  tcase_add_test (tc, test_wrong_access_code);
  tcase_add_test (tc, test_wrong_serial);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (bambu_suite ());
}
