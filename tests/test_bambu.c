/* The Bambu Lab source end to end: the real daemon connects to a real
 * mosquitto playing a printer's broker (TLS, a certificate whose CN is the
 * serial, user bblp with the access code: PH_BROKER_BAMBU), asks for a
 * pushall, and turns the reports the test publishes the way a P1 does
 * (deltas) into webhooks at a local receiver; a wrong access code and a
 * wrong serial are said in words a user can act on. */
#include "autoconfig.h"

#include <check.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "daemon_asserts.h"
#include "daemon_process.h"
#include "harness.h"
#include "mqtt_broker.h"
#include "mqtt_subscriber.h"
#include "receiver.h"
#include "source_records.h"
#include "text/json_text.h"

#define REPORT_TOPIC "device/" PH_BAMBU_SERIAL "/report"
#define REQUEST_TOPIC "device/" PH_BAMBU_SERIAL "/request"

#define DATA \
  "data = {\"hook\": \"main\", \"event\": \"@event\", \"m\": \"@percentCompleteMilestone\", " \
  "\"file\": \"@job.file.name\", \"completion\": \"@progress.completion\", " \
  "\"state\": \"@state.text\", \"left\": \"@progress.printTimeLeft\", " \
  "\"dev\": \"@deviceIdentifier\", \"extra\": \"@extra\"}\n"

typedef struct {
  ph_broker *broker;
  ph_mqtt_subscriber *requests;   /* what the daemon asked the printer */
  ph_receiver *receiver;
  char *dir;
  char *config;
  ph_daemon_process *daemon;
} bambu_run;

/* A config with [source p1] for the broker (serial and access_code as
 * given) and one hook for events at the receiver. */
static void
write_config (bambu_run *r, const char *serial, const char *access_code, const char *events)
{
  g_autofree char *url = ph_receiver_url (r->receiver, "/hook");
  g_autofree char *text = NULL;

  if (r->dir == NULL)
    {
      r->dir = ph_test_tmpdir ();
      r->config = g_build_filename (r->dir, "printhook.conf", NULL);
    }
  text = g_strdup_printf ("[printhook]\ncontrol_socket = %s/control.sock\nspool = %s/spool.db\n\n"
                          "[source p1]\ntype = bambu\nhost = 127.0.0.1\nport = %u\n"
                          "serial = %s\naccess_code = %s\ntls_ca_file = %s\n\n"
                          "[hook main]\nurl = %s\nevents = %s\nprogress_step = 25\n" DATA,
                          r->dir, r->dir, (guint) ph_broker_port (r->broker), serial,
                          access_code, ph_broker_ca_file (r->broker), url, events);
  ck_assert (g_file_set_contents (r->config, text, -1, NULL));
  g_chmod (r->config, 0600);
}

static void
start (bambu_run *r, const char *serial, const char *access_code, const char *events)
{
  const char *args[] = { "--topic", REQUEST_TOPIC, NULL };
  const char *env[] = { "PRINTHOOK_BAMBU_PUSHALL_S=1", NULL };

  r->broker = ph_broker_start (PH_BROKER_BAMBU);
  r->requests = ph_mqtt_subscriber_start (r->broker, args);
  r->receiver = ph_receiver_start (NULL);
  write_config (r, serial, access_code, events);
  r->daemon = ph_daemon_process_start_with_env (r->config, env);
}

static void
finish (bambu_run *r)
{
  if (r->daemon != NULL)
    ck_assert_int_eq (ph_daemon_process_stop (r->daemon, 10), 0);
  g_clear_pointer (&r->daemon, ph_daemon_process_free);
  g_clear_pointer (&r->requests, ph_mqtt_subscriber_stop);
  g_clear_pointer (&r->receiver, ph_receiver_stop);
  g_clear_pointer (&r->broker, ph_broker_stop);
  g_free (r->dir);
  g_free (r->config);
}

/* One push_status report with the members given (a JSON fragment). */
static void
report (bambu_run *r, const char *members)
{
  g_autofree char *payload = g_strdup_printf ("{\"print\": {\"command\": \"push_status\"%s%s}}",
                                              *members != '\0' ? ", " : "", members);

  ph_mqtt_publish (r->broker, REPORT_TOPIC, payload, FALSE);
}

static guint
pushalls (bambu_run *r)
{
  g_autoptr (json_object) messages = ph_mqtt_subscriber_messages (r->requests);
  guint count = 0;

  for (size_t i = 0; i < json_object_array_length (messages); i++)
    {
      json_object *m = json_object_array_get_idx (messages, i);
      json_object *payload = NULL;

      if (json_object_object_get_ex (m, "payload", &payload)
          && strstr (json_object_get_string (payload), "\"command\": \"pushall\"") != NULL)
        count++;
    }
  return count;
}

/* The webhooks so far, once n came and no more follow for a moment. */
static json_object *
exactly (bambu_run *r, guint n)
{
  json_object *records;

  json_object_put (ph_receiver_wait (r->receiver, n, 10000 * ph_daemon_process_slowness ()));
  g_usleep (300 * 1000);
  records = ph_receiver_records (r->receiver);
  if (json_object_array_length (records) != n)
    {
      g_autofree char *seen = ph_records_summary (records, NULL);

      ck_abort_msg ("expected %u webhooks, got %zu: %s", n, json_object_array_length (records),
                    seen);
    }
  return records;
}

/* A P1 printing a job from an idle state through a user pause, a filament
 * runout (print_error and a new hms entry), progress and the end, with
 * hostile reports in between that change nothing. */
START_TEST (test_a_print_on_a_p1)
{
  bambu_run r = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC - 60);
  g_autofree char *start_members = g_strdup_printf (
      "\"gcode_state\": \"PREPARE\", \"subtask_name\": \"benchy\", \"gcode_file\": "
      "\"/data/Metadata/plate_1.gcode\", \"task_id\": \"111\", \"subtask_id\": \"222\", "
      "\"print_type\": \"local\", \"total_layer_num\": 120, \"gcode_start_time\": \"%s\"", now);
  g_autofree char *log = NULL;

  start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, "*");
  ph_daemon_process_wait_log (r.daemon, "connected to the Bambu Lab printer", 1, 10000);
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  ck_assert_uint_eq (pushalls (&r), 1);

  /* The pushall's answer: everything, idle. */
  report (&r, "\"gcode_state\": \"IDLE\", \"mc_percent\": 0, \"subtask_name\": \"\", "
              "\"gcode_file\": \"\", \"task_id\": \"0\", \"subtask_id\": \"0\", "
              "\"nozzle_temper\": 24.5, \"bed_temper\": 23.0, \"print_type\": \"idle\", "
              "\"hms\": []");
  /* Hostile: none of these is an event, none stops the rest. */
  ph_mqtt_publish (r.broker, REPORT_TOPIC, "{\"print\": {\"command\": \"push_st", FALSE);
  ph_mqtt_publish (r.broker, REPORT_TOPIC, "[1, 2, 3]", FALSE);
  ph_mqtt_publish (r.broker, REPORT_TOPIC, "{\"print\": \"push_status\"}", FALSE);
  ph_mqtt_publish (r.broker, REPORT_TOPIC, "{\"info\": {\"command\": \"get_version\"}}", FALSE);
  report (&r, "\"gcode_state\": 7, \"mc_percent\": \"lots\", \"hms\": {\"attr\": 1}");
  report (&r, "\"gcode_state\": \"WARPING\"");
  report (&r, "\"gcode_state\": \"IDLE\", \"mc_percent\": 0, \"hms\": []");

  report (&r, start_members);
  report (&r, "\"gcode_state\": \"RUNNING\", \"mc_percent\": 10, \"layer_num\": 12, "
              "\"mc_remaining_time\": 42, \"nozzle_temper\": 220, \"bed_temper\": 55");
  report (&r, "\"mc_percent\": 30");
  report (&r, "\"gcode_state\": \"PAUSE\"");
  report (&r, "\"gcode_state\": \"RUNNING\", \"mc_percent\": 51");
  report (&r, "\"gcode_state\": \"PAUSE\", \"print_error\": 117473282, "
              "\"hms\": [{\"attr\": 117473280, \"code\": 196610}]");
  report (&r, "\"gcode_state\": \"RUNNING\", \"print_error\": 0, \"hms\": []");
  report (&r, "\"mc_percent\": 80, \"mc_remaining_time\": 9");
  report (&r, "\"gcode_state\": \"FINISH\", \"mc_percent\": 100, \"mc_remaining_time\": 0");

  records = exactly (&r, 10);
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

    assert_contains (extra, "\"path\":\"/data/Metadata/plate_1.gcode\"");
    assert_contains (extra, "\"time\":6");
    assert_contains (extra, "\"temperatures\":{\"nozzle\":220");
  }
  log = ph_daemon_process_log (r.daemon);
  assert_contains (log, "a report of 30 bytes from the printer was ignored");
  assert_lacks (log, PH_BAMBU_ACCESS_CODE);
  finish (&r);
}
END_TEST

/* A print that ends while the daemon is cut off from the printer: the
 * pushall after the reconnection shows FINISH, which gives one PrintDone. */
START_TEST (test_a_finish_while_disconnected)
{
  bambu_run r = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autofree char *summary = NULL;

  start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, "PrintStarted, PrintDone");
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  report (&r, "\"gcode_state\": \"IDLE\", \"subtask_name\": \"\", \"hms\": []");
  report (&r, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"cube\", \"task_id\": \"5\", "
              "\"mc_percent\": 40");
  json_object_put (exactly (&r, 1));

  ph_broker_restart (r.broker);
  ph_daemon_process_wait_log (r.daemon, "connected to the Bambu Lab printer", 2, 15000);
  ph_mqtt_subscriber_wait (r.requests, 2, 15000);
  ck_assert_uint_eq (pushalls (&r), 2);
  /* The answer to the second pushall: the whole state, finished. */
  report (&r, "\"gcode_state\": \"FINISH\", \"subtask_name\": \"cube\", \"task_id\": \"5\", "
              "\"mc_percent\": 100, \"hms\": []");
  /* And a P1 repeating itself changes nothing. */
  report (&r, "\"gcode_state\": \"FINISH\"");
  records = exactly (&r, 2);
  summary = ph_records_summary (records, NULL);
  ck_assert_str_eq (summary, "PrintStarted:0 PrintDone:25");
  ck_assert_str_eq (ph_records_field (records, 1, "file"), "cube");
  finish (&r);
}
END_TEST

/* An X1 sends the whole object every time: a print cancelled on the
 * printer gives PrintCancelled then PrintFailed (reason cancelled) once,
 * and a report of 1 MB (above what a printer sends) changes nothing. */
START_TEST (test_an_x1_cancel_and_a_huge_report)
{
  bambu_run r = { 0 };
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

  start (&r, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, "*");
  ph_mqtt_subscriber_wait (r.requests, 1, 10000);
  report (&r, idle);
  report (&r, running);
  report (&r, running);
  {
    /* 1 MB of one string, through the broker (mosquitto_pub -f): a
     * report without news; the link survives it (the cancel after it
     * arrives) and it gives no event. */
    GString *text = g_string_new ("{\"print\": {\"command\": \"push_status\", \"junk\": \"");
    const char *args[] = { "-t", REPORT_TOPIC, "-q", "1", "-f", NULL, NULL };

    while (text->len < 1024 * 1024)
      g_string_append (text, "0123456789abcdef");
    g_string_append (text, "\"}}");
    big = g_string_free (text, FALSE);
    big_file = g_build_filename (r.dir, "big.json", NULL);
    ck_assert (g_file_set_contents (big_file, big, -1, NULL));
    args[5] = big_file;
    ck_assert_int_eq (ph_mqtt_pub_run (r.broker, TRUE, args, &output), 0);
  }
  report (&r, cancelled);
  report (&r, cancelled);
  records = exactly (&r, 3);
  summary = ph_records_summary (records, NULL);
  ck_assert_str_eq (summary, "PrintStarted:0 PrintCancelled:0 PrintFailed:0");
  ck_assert_str_eq (ph_records_field (records, 0, "file"), "bracket");
  {
    g_autofree char *extra = ph_records_field_json (records, 2, "extra");

    assert_contains (extra, "\"reason\":\"cancelled\"");
    assert_contains (extra, "\"print_error\":50348044");
    assert_contains (extra, "\"chamber\":35");
  }
  finish (&r);
}
END_TEST

/* A wrong access code: the log says to check it, once however often the
 * daemon retries, and never shows it; no pushall went anywhere. */
START_TEST (test_wrong_access_code)
{
  bambu_run r = { 0 };
  g_autofree char *log = NULL;

  start (&r, PH_BAMBU_SERIAL, "00000000", "*");
  ph_daemon_process_wait_log (r.daemon, "refused the access code", 1, 10000);
  g_usleep (2500 * 1000);
  log = ph_daemon_process_log (r.daemon);
  assert_contains (log, "check access_code (Settings > Network");
  ck_assert_uint_eq (ph_daemon_process_count_log (r.daemon, "refused the access code"), 1);
  assert_lacks (log, "00000000");
  ck_assert_uint_eq (pushalls (&r), 0);
  finish (&r);
}
END_TEST

/* A serial that is not the certificate's: the log names the one it holds;
 * no password went to the broker. */
START_TEST (test_wrong_serial)
{
  bambu_run r = { 0 };
  g_autofree char *log = NULL;
  g_autofree char *broker_log = NULL;

  start (&r, "01P00A000000000", PH_BAMBU_ACCESS_CODE, "*");
  ph_daemon_process_wait_log (r.daemon, "set serial = " PH_BAMBU_SERIAL, 1, 10000);
  log = ph_daemon_process_log (r.daemon);
  assert_contains (log, "is for '" PH_BAMBU_SERIAL "', not '01P00A000000000'");
  broker_log = ph_broker_log (r.broker);
  assert_lacks (broker_log, "bblp");
  finish (&r);
}
END_TEST

static Suite *
bambu_suite (void)
{
  Suite *s = suite_create ("bambu");
  TCase *tc = tcase_create ("source");

  tcase_set_timeout (tc, 120 * ph_daemon_process_slowness ());
  tcase_add_test (tc, test_a_print_on_a_p1);
  tcase_add_test (tc, test_a_finish_while_disconnected);
  tcase_add_test (tc, test_an_x1_cancel_and_a_huge_report);
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
