/* printhook run against a fake Moonraker (tests/servers/fake_moonraker.py,
 * tornado, speaking Moonraker's JSON-RPC websocket): scripted prints turn
 * into exactly the webhooks an OctoPrint printer would give, with
 * OctoPrint-shaped parameters. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "daemon_asserts.h"
#include "daemon_process.h"
#include "fake_moonraker.h"
#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"
#include "source_records.h"

#define DATA(name) \
  "data = {\"hook\": \"" name "\", \"topic\": \"@topic\", \"event\": \"@event\", " \
  "\"m\": \"@percentCompleteMilestone\", \"message\": \"@message\", \"file\": \"@job.file.name\", " \
  "\"completion\": \"@progress.completion\", \"state\": \"@state.text\", " \
  "\"estimate\": \"@job.estimatedPrintTime\", \"printTime\": \"@progress.printTime\", " \
  "\"left\": \"@progress.printTimeLeft\", \"z\": \"@currentZ\", " \
  "\"height\": \"@meta.analysis.dimensions.height\", \"slicer\": \"@meta.slicer\", " \
  "\"dev\": \"@deviceIdentifier\", \"extra\": \"@extra\"}\n"

/* A config with one [source name] of type moonraker for f (with api_key
 * when not NULL) and the given hooks; returns its path. */
static char *
write_config (const char *name, ph_fake_server *f, const char *api_key, const char *hooks)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *socket = g_build_filename (dir, "control.sock", NULL);
  g_autofree char *url = ph_fake_server_url (f);
  g_autofree char *key = api_key != NULL ? g_strdup_printf ("api_key = %s\n", api_key) : g_strdup ("");
  g_autofree char *text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n"
                                           "[source %s]\ntype = moonraker\nurl = %s\n%s\n%s",
                                           socket, dir, name, url, key, hooks);
  char *path = g_build_filename (dir, "printhook.conf", NULL);

  ck_assert (g_file_set_contents (path, text, -1, NULL));
  g_chmod (path, 0600);
  return path;
}

/* A daemon with one hook "main" for events, against a fake playing
 * scenario; returns the webhooks once exactly n came. */
typedef struct {
  ph_fake_server *fake;
  ph_receiver *receiver;
  ph_daemon_process *daemon;
  json_object *records;
} run;

static void
run_clear (run *r)
{
  json_object_put (r->records);
  ph_daemon_process_free (r->daemon);
  ph_receiver_stop (r->receiver);
  ph_fake_server_stop (r->fake);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (run, run_clear)

static void
play (run *r, const char *scenario, const char *events, const char *extra_hook_lines, guint n)
{
  g_autofree char *url = NULL;
  g_autofree char *hooks = NULL;
  g_autofree char *config = NULL;

  r->fake = ph_fake_moonraker_start (scenario, NULL);
  r->receiver = ph_receiver_start (NULL);
  url = ph_receiver_url (r->receiver, "/hook");
  hooks = g_strdup_printf ("[hook main]\nurl = %s\nevents = %s\n%s" DATA ("main"), url, events,
                           extra_hook_lines != NULL ? extra_hook_lines : "");
  config = write_config ("k1", r->fake, NULL, hooks);
  r->daemon = ph_daemon_process_start (config);
  r->records = ph_records_exactly (r->fake, r->receiver, n);
}

/* The params of the rpc records of method, as compact JSON, space
 * separated.  Transfer full. */
static char *
rpc_params (ph_fake_server *f, const char *method)
{
  g_autoptr (json_object) calls = ph_fake_server_records_of (f, "rpc");
  GString *out = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (calls); i++)
    {
      json_object *call = json_object_array_get_idx (calls, i);
      g_autofree char *params = NULL;

      if (g_strcmp0 (json_object_get_string (json_object_object_get (call, "method")), method) != 0)
        continue;
      params = ph_json_to_text (json_object_object_get (call, "params"), FALSE);
      g_string_append_printf (out, "%s%s", out->len ? " " : "", params);
    }
  return g_string_free (out, FALSE);
}

static guint
rpc_count (ph_fake_server *f, const char *method)
{
  g_autoptr (json_object) calls = ph_fake_server_records_of (f, "rpc");
  guint n = 0;

  for (size_t i = 0; i < json_object_array_length (calls); i++)
    n += g_strcmp0 (json_object_get_string (json_object_object_get (json_object_array_get_idx (calls, i),
                                                                    "method")), method) == 0;
  return n;
}

START_TEST (test_a_whole_print)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;
  g_autofree char *identify = NULL;
  g_autofree char *subscribe = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *base = NULL;
  g_autofree char *webcam = NULL;
  g_autoptr (json_object) opens = NULL;

  play (&r, "print", "PrintStarted, PrintProgress, PrintDone",
        "message.PrintDone = @job.file.name done in @extra.time s\n", 7);
  seen = ph_records_summary (r.records, NULL);
  /* 8 -> 27 % fires 20 once; 50 -> 51 nothing; 99.9 is not 100. */
  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:20 PrintProgress:30 PrintProgress:50 "
                          "PrintProgress:70 PrintProgress:90 PrintDone:90");
  ck_assert_str_eq (ph_records_field (r.records, 0, "topic"), "Print Started");
  ck_assert_str_eq (ph_records_field (r.records, 0, "message"), "Your print has started.");
  ck_assert_str_eq (ph_records_field (r.records, 0, "file"), "benchy.gcode");
  ck_assert_str_eq (ph_records_field (r.records, 0, "state"), "Printing");
  ck_assert_str_eq (ph_records_field (r.records, 0, "dev"), "k1");
  /* The metadata was there before PrintStarted went out. */
  ck_assert_str_eq (ph_records_field (r.records, 0, "estimate"), "3580.2");
  ck_assert_str_eq (ph_records_field (r.records, 0, "height"), "48.0");
  ck_assert_str_eq (ph_records_field (r.records, 0, "slicer"), "PrusaSlicer");
  assert_field_json (r.records, 0, "extra", "{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                     "\"origin\":\"local\",\"size\":1183897}");
  /* virtual_sdcard.progress 0.27 is 27.0 %, print_duration 972 s, the
   * slicer's estimate leaves 2608 s, toolhead Z 13.16. */
  ck_assert_str_eq (ph_records_field (r.records, 1, "topic"), "Print Progress");
  ck_assert_str_eq (ph_records_field (r.records, 1, "message"), "Your print is 20 % complete.");
  ck_assert_str_eq (ph_records_field (r.records, 1, "completion"), "27.0");
  ck_assert_str_eq (ph_records_field (r.records, 1, "printTime"), "972");
  ck_assert_str_eq (ph_records_field (r.records, 1, "left"), "2608");
  ck_assert_str_eq (ph_records_field (r.records, 1, "z"), "13.16");
  ck_assert_str_eq (ph_records_field (r.records, 5, "completion"), "99.9");
  ck_assert_str_eq (ph_records_field (r.records, 6, "topic"), "Print Done");
  ck_assert_str_eq (ph_records_field (r.records, 6, "message"), "benchy.gcode done in 3625.12 s");
  ck_assert_str_eq (ph_records_field (r.records, 6, "state"), "Operational");
  ck_assert_str_eq (ph_records_field (r.records, 6, "completion"), "100.0");

  /* The wire: no Origin, no key; identify as "other", then the objects,
   * the metadata and the webcams; history only when a job ended unseen. */
  opens = ph_fake_server_records_of (r.fake, "ws_open");
  ck_assert_int_eq (json_object_array_length (opens), 1);
  ck_assert_ptr_null (json_object_object_get (json_object_array_get_idx (opens, 0), "origin"));
  ck_assert_ptr_null (json_object_object_get (json_object_array_get_idx (opens, 0), "api_key"));
  identify = rpc_params (r.fake, "server.connection.identify");
  ck_assert_str_eq (identify, "{\"client_name\":\"printhook\",\"version\":\"" PACKAGE_VERSION "\","
                              "\"type\":\"other\",\"url\":\"" PACKAGE_URL "\"}");
  subscribe = rpc_params (r.fake, "printer.objects.subscribe");
  ck_assert_str_eq (subscribe, "{\"objects\":{\"print_stats\":null,\"virtual_sdcard\":null,"
                               "\"display_status\":null,\"toolhead\":[\"position\",\"homed_axes\","
                               "\"print_time\",\"estimated_print_time\"],\"webhooks\":null}}");
  metadata = rpc_params (r.fake, "server.files.metadata");
  ck_assert_str_eq (metadata, "{\"filename\":\"parts/benchy.gcode\"}");
  ck_assert_uint_eq (rpc_count (r.fake, "server.info"), 1);
  ck_assert_uint_eq (rpc_count (r.fake, "server.webcams.list"), 1);
  ck_assert_uint_eq (rpc_count (r.fake, "server.history.list"), 0);
  assert_log_contains (r.daemon, "source k1: connected to Moonraker at http://127.0.0.1:");
  /* The enabled webcam's relative URL, resolved against the source's. */
  base = ph_fake_server_url (r.fake);
  webcam = g_strdup_printf ("source k1: webcam snapshot %s/webcam/?action=snapshot\n", base);
  assert_log_contains (r.daemon, webcam);
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_pause_resume_and_pauses_that_need_the_user)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;
  g_autoptr (json_object) fetches = NULL;
  json_object *fetch;

  play (&r, "pause", "PrintPaused, PrintResumed, UserActionNeeded", NULL, 6);
  seen = ph_records_summary (r.records, NULL);
  /* A pause from the UI is a pause; the M600 in the G-code is one that
   * needs the user, and the prompt its macro shows is the same one; a
   * prompt later is another (shown twice, one event). */
  ck_assert_str_eq (seen, "PrintPaused:20 PrintResumed:20 PrintPaused:30 UserActionNeeded:30 "
                          "PrintResumed:30 UserActionNeeded:40");
  ck_assert_str_eq (ph_records_field (r.records, 0, "topic"), "Print Paused");
  ck_assert_str_eq (ph_records_field (r.records, 0, "state"), "Paused");
  assert_field_json (r.records, 0, "extra", "{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                     "\"origin\":\"local\",\"size\":1183897,\"progress\":20}");
  ck_assert_str_eq (ph_records_field (r.records, 1, "topic"), "Custom Event");
  ck_assert_str_eq (ph_records_field (r.records, 1, "state"), "Printing");
  ck_assert_str_eq (ph_records_field (r.records, 3, "topic"), "User Action Needed");
  assert_field_json (r.records, 3, "extra", "{\"reason\":\"paused\",\"text\":\"M600\"}");
  assert_field_json (r.records, 5, "extra", "{\"reason\":\"prompt\",\"text\":\"Remove the purge line\"}");
  /* The line before each pause was read back with a Range request. */
  fetches = ph_fake_server_records_of (r.fake, "http");
  ck_assert_int_eq (json_object_array_length (fetches), 2);
  fetch = json_object_array_get_idx (fetches, 1);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (fetch, "path")),
                    "/server/files/gcodes/parts/benchy.gcode");
  ck_assert (g_str_has_prefix (json_object_get_string (json_object_object_get (fetch, "range")), "bytes="));
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_cancel_is_cancelled_then_failed)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;

  play (&r, "cancel", "PrintCancelled, PrintFailed, PrintProgress",
        "message.PrintCancelled = Cancelled at @extra.progress%\n", 4);
  seen = ph_records_summary (r.records, NULL);
  /* The status update and the history's "finished" both say so: once. */
  ck_assert_str_eq (seen, "PrintProgress:10 PrintProgress:30 PrintCancelled:30 PrintFailed:30");
  ck_assert_str_eq (ph_records_field (r.records, 2, "topic"), "Custom Event");
  ck_assert_str_eq (ph_records_field (r.records, 2, "message"), "Cancelled at 33%");
  ck_assert_str_eq (ph_records_field (r.records, 3, "topic"), "Print Failed");
  ck_assert_str_eq (ph_records_field (r.records, 3, "message"),
                    "Something went wrong and your print has failed.");
  assert_field_json (r.records, 3, "extra", "{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                     "\"origin\":\"local\",\"size\":1183897,\"time\":812.4,\"progress\":33,"
                     "\"reason\":\"cancelled\"}");
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_klippy_shutdown_is_an_error_and_the_subscription_comes_back)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;

  play (&r, "shutdown", "PrintStarted, Error, PrintFailed", NULL, 3);
  seen = ph_records_summary (r.records, NULL);
  ck_assert_str_eq (seen, "PrintStarted:0 Error:20 PrintFailed:20");
  ck_assert_str_eq (ph_records_field (r.records, 1, "topic"), "Error");
  ck_assert_str_eq (ph_records_field (r.records, 1, "state"), "Error");
  assert_field_json (r.records, 1, "extra", "{\"reason\":\"shutdown\","
                     "\"error\":\"MCU 'mcu' shutdown: Timer too close\"}");
  assert_field_json (r.records, 2, "extra", "{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                     "\"origin\":\"local\",\"size\":1183897,\"time\":756.0,\"reason\":\"error\","
                     "\"error\":\"MCU 'mcu' shutdown: Timer too close\"}");
  /* FIRMWARE_RESTART: Klippy goes and comes back; so does the subscription. */
  ph_daemon_process_wait_log (r.daemon, "source k1: Klippy is ready; subscribing again", 1, 10000);
  ck_assert_uint_eq (rpc_count (r.fake, "printer.objects.subscribe"), 2);
  assert_log_contains (r.daemon, "source k1: Klippy disconnected from Moonraker");
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_a_print_error_is_an_error_and_a_failure)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;

  play (&r, "error", "PrintStarted, Error, PrintFailed", NULL, 3);
  seen = ph_records_summary (r.records, NULL);
  ck_assert_str_eq (seen, "PrintStarted:0 Error:10 PrintFailed:10");
  assert_field_json (r.records, 1, "extra", "{\"error\":\"Move out of range: 250.000 10.000 0.400\","
                     "\"reason\":\"print\"}");
  ck_assert_str_eq (ph_records_field (r.records, 2, "state"), "Error");
  assert_field_json (r.records, 2, "extra", "{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                     "\"origin\":\"local\",\"size\":1183897,\"time\":360.0,\"reason\":\"error\","
                     "\"error\":\"Move out of range: 250.000 10.000 0.400\"}");
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_a_job_that_ended_while_disconnected_comes_from_the_history)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;

  play (&r, "gap", "PrintStarted, PrintProgress, PrintDone",
        "message.PrintDone = @job.file.name done in @extra.time s\n", 4);
  seen = ph_records_summary (r.records, NULL);
  /* Nothing lost, nothing twice: 60 % was never seen, the end was. */
  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:10 PrintProgress:20 PrintDone:20");
  ck_assert_str_eq (ph_records_field (r.records, 3, "message"), "benchy.gcode done in 3300.5 s");
  ck_assert_uint_eq (ph_fake_server_count (r.fake, "ws_open"), 2);
  ck_assert_uint_eq (rpc_count (r.fake, "server.history.list"), 1);
  assert_log_contains (r.daemon, "source k1: the connection to Moonraker at http://127.0.0.1:");
  ck_assert_uint_eq (ph_daemon_process_count_log (r.daemon, "source k1: connected to Moonraker"), 2);
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_a_job_still_printing_after_a_reconnect_goes_on)
{
  g_auto (run) r = { 0 };
  g_autofree char *seen = NULL;

  play (&r, "gap-running", "PrintStarted, PrintProgress, PrintDone", NULL, 7);
  seen = ph_records_summary (r.records, NULL);
  ck_assert_str_eq (seen, "PrintStarted:0 PrintProgress:10 PrintProgress:20 PrintProgress:30 "
                          "PrintProgress:40 PrintProgress:90 PrintDone:90");
  ck_assert_uint_eq (rpc_count (r.fake, "server.history.list"), 0);
  ck_assert_uint_eq (rpc_count (r.fake, "printer.objects.subscribe"), 2);
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_snapshot_comes_from_moonrakers_webcam)
{
  g_auto (run) r = { 0 };
  json_object *parts, *image;
  g_autofree guchar *bytes = NULL;
  gsize size;

  /* No snapshot.url anywhere: the camera is the one Moonraker lists. */
  r.fake = ph_fake_moonraker_start ("print", NULL);
  r.receiver = ph_receiver_start (NULL);
  {
    g_autofree char *url = ph_receiver_url (r.receiver, "/hook");
    g_autofree char *hooks = g_strdup_printf ("[hook cam]\nurl = %s\nevents = PrintStarted\n"
                                              "data = {\"topic\": \"@topic\", \"snap\": \"@snapshot\"}\n", url);
    g_autofree char *config = write_config ("k1", r.fake, NULL, hooks);

    r.daemon = ph_daemon_process_start (config);
  }
  r.records = ph_records_exactly (r.fake, r.receiver, 1);
  parts = json_object_object_get (json_object_array_get_idx (r.records, 0), "multipart");
  ck_assert_msg (parts != NULL && json_object_array_length (parts) == 2, "%s",
                 json_object_to_json_string (json_object_array_get_idx (r.records, 0)));
  image = json_object_array_get_idx (parts, 1);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (image, "name")), "snap");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (image, "content_type")), "image/jpeg");
  bytes = g_base64_decode (json_object_get_string (json_object_object_get (image, "data_b64")), &size);
  ck_assert_uint_gt (size, 100);
  ck_assert (bytes[0] == 0xFF && bytes[1] == 0xD8);
  ck_assert_int_eq (ph_daemon_process_stop (r.daemon, 15), 0);
}
END_TEST

START_TEST (test_api_key_goes_with_the_upgrade_and_identify)
{
  const char *args[] = { "--api-key", "MOONKEY0123", NULL };
  g_autoptr (ph_fake_server) f = ph_fake_moonraker_start ("print", args);
  g_autoptr (ph_receiver) receiver = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (receiver, "/hook");
  g_autofree char *hooks = g_strdup_printf ("[hook main]\nurl = %s\nevents = PrintDone\n" DATA ("main"), url);
  g_autofree char *config = write_config ("k1", f, "MOONKEY0123", hooks);
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);
  g_autoptr (json_object) records = ph_records_exactly (f, receiver, 1);
  g_autoptr (json_object) opens = ph_fake_server_records_of (f, "ws_open");
  g_autofree char *identify = rpc_params (f, "server.connection.identify");

  ck_assert_str_eq (ph_records_field (records, 0, "event"), "PrintDone");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (opens, 0),
                                                                    "api_key")), "MOONKEY0123");
  assert_contains (identify, "\"api_key\":\"MOONKEY0123\"");
  assert_log_lacks (d, "MOONKEY0123");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_a_refused_key_is_a_clear_error_that_does_not_spin)
{
  const char *args[] = { "--api-key", "MOONKEY0123", NULL };
  g_autoptr (ph_fake_server) f = ph_fake_moonraker_start ("idle", args);
  g_autofree char *config = write_config ("k1", f, "WRONGKEY", "[hook h]\nurl = http://127.0.0.1:9/\n");
  g_autoptr (ph_daemon_process) d = ph_daemon_process_start (config);

  ph_daemon_process_wait_log (d, "refused printhook (server.connection.identify: Unauthorized (error 401))",
                              1, 10000);
  g_usleep (2500 * 1000);
  ck_assert_uint_eq (ph_fake_server_count (f, "ws_open"), 1);
  ck_assert_uint_eq (rpc_count (f, "server.info"), 0);
  assert_log_contains (d, "printhook: warning: source k1: Moonraker at http://127.0.0.1:");
  assert_log_lacks (d, "WRONGKEY");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

static Suite *
moonraker_suite (void)
{
  Suite *s = suite_create ("moonraker");
  TCase *tc = tcase_create ("moonraker");

  tcase_set_timeout (tc, 60 * ph_test_slowness ());
  tcase_add_test (tc, test_a_whole_print);
  tcase_add_test (tc, test_pause_resume_and_pauses_that_need_the_user);
  tcase_add_test (tc, test_cancel_is_cancelled_then_failed);
  tcase_add_test (tc, test_klippy_shutdown_is_an_error_and_the_subscription_comes_back);
  tcase_add_test (tc, test_a_print_error_is_an_error_and_a_failure);
  tcase_add_test (tc, test_a_job_that_ended_while_disconnected_comes_from_the_history);
  tcase_add_test (tc, test_a_job_still_printing_after_a_reconnect_goes_on);
  tcase_add_test (tc, test_snapshot_comes_from_moonrakers_webcam);
  tcase_add_test (tc, test_api_key_goes_with_the_upgrade_and_identify);
  tcase_add_test (tc, test_a_refused_key_is_a_clear_error_that_does_not_spin);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (moonraker_suite ());
}
