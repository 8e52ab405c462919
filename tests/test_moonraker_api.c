/* The pure parts of the Moonraker source: JSON-RPC framing, and what
 * Moonraker's answers mean in OctoPrint's shapes. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "text/json_text.h"
#include "sources/jsonrpc.h"
#include "sources/moonraker_api.h"

static json_object *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  json_object *value = ph_json_parse (text, -1, &error);

  ck_assert_msg (value != NULL, "%s: %s", text, error ? error->message : "");
  return value;
}

static char *
text_of (json_object *value)
{
  return ph_json_to_text (value, FALSE);
}

typedef struct {
  int calls;
  char *result;
  char *error;
} answer;

static void
on_reply (json_object *result, const GError *error, gpointer data)
{
  answer *a = data;

  a->calls++;
  g_free (a->result);
  g_free (a->error);
  a->result = error == NULL ? text_of (result) : NULL;
  a->error = error != NULL ? g_strdup (error->message) : NULL;
}

static void
answer_clear (answer *a)
{
  g_free (a->result);
  g_free (a->error);
}

START_TEST (test_jsonrpc_replies_find_their_request_by_id)
{
  g_autoptr (ph_jsonrpc) rpc = ph_jsonrpc_new ();
  answer first = { 0 }, second = { 0 };
  g_autofree char *one = ph_jsonrpc_request (rpc, "server.info", NULL, on_reply, &first);
  g_autofree char *two = ph_jsonrpc_request (rpc, "server.files.metadata", parse ("{\"filename\":\"a.gcode\"}"),
                                             on_reply, &second);
  g_autoptr (json_object) reply2 = parse ("{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":404,"
                                          "\"message\":\"Metadata not available for <a.gcode>\"}}");
  g_autoptr (json_object) reply1 = parse ("{\"jsonrpc\":\"2.0\",\"result\":{\"klippy_state\":\"ready\"},\"id\":1}");
  g_autoptr (json_object) stray = parse ("{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}");
  const char *method = NULL;
  json_object *params = NULL;

  ck_assert_str_eq (one, "{\"jsonrpc\":\"2.0\",\"method\":\"server.info\",\"id\":1}");
  ck_assert_str_eq (two, "{\"jsonrpc\":\"2.0\",\"method\":\"server.files.metadata\","
                         "\"params\":{\"filename\":\"a.gcode\"},\"id\":2}");
  /* Out of order, each to its own; an error names the method. */
  ck_assert (!ph_jsonrpc_feed (rpc, reply2, &method, &params));
  ck_assert_int_eq (second.calls, 1);
  ck_assert_str_eq (second.error, "server.files.metadata: Metadata not available for <a.gcode> (error 404)");
  ck_assert_int_eq (first.calls, 0);
  ck_assert (!ph_jsonrpc_feed (rpc, reply1, &method, &params));
  ck_assert_str_eq (first.result, "{\"klippy_state\":\"ready\"}");
  /* A second reply to the same id finds nobody. */
  ck_assert (!ph_jsonrpc_feed (rpc, stray, &method, &params));
  ck_assert_int_eq (first.calls, 1);
  answer_clear (&first);
  answer_clear (&second);
}
END_TEST

START_TEST (test_jsonrpc_notifications_and_lost_connections)
{
  g_autoptr (ph_jsonrpc) rpc = ph_jsonrpc_new ();
  answer a = { 0 };
  g_autofree char *request = ph_jsonrpc_request (rpc, "printer.objects.subscribe", NULL, on_reply, &a);
  g_autoptr (json_object) ready = parse ("{\"jsonrpc\":\"2.0\",\"method\":\"notify_klippy_ready\"}");
  g_autoptr (json_object) update = parse ("{\"jsonrpc\":\"2.0\",\"method\":\"notify_status_update\","
                                          "\"params\":[{\"print_stats\":{\"state\":\"printing\"}},5.5]}");
  g_autoptr (json_object) junk = parse ("[1,2]");
  const char *method = NULL;
  json_object *params = NULL;

  assert_contains (request, "\"method\":\"printer.objects.subscribe\"");
  ck_assert (ph_jsonrpc_feed (rpc, ready, &method, &params));
  ck_assert_str_eq (method, "notify_klippy_ready");
  ck_assert_ptr_null (params);
  ck_assert (ph_jsonrpc_feed (rpc, update, &method, &params));
  ck_assert_str_eq (method, "notify_status_update");
  ck_assert_int_eq (json_object_array_length (params), 2);
  ck_assert (!ph_jsonrpc_feed (rpc, junk, &method, &params));
  ph_jsonrpc_fail_all (rpc);
  ck_assert_int_eq (a.calls, 1);
  ck_assert_str_eq (a.error, "printer.objects.subscribe: the connection closed before the answer came");
  ph_jsonrpc_fail_all (rpc);
  ck_assert_int_eq (a.calls, 1);
  answer_clear (&a);
}
END_TEST

#define PRINTING \
  "{\"print_stats\":{\"filename\":\"parts/benchy.gcode\",\"print_duration\":972.0,\"state\":\"printing\"}," \
  "\"virtual_sdcard\":{\"progress\":0.27,\"file_position\":319652,\"file_size\":1183897}," \
  "\"display_status\":{\"progress\":0.3},\"toolhead\":{\"position\":[1,2,13.16,4]}," \
  "\"webhooks\":{\"state\":\"ready\",\"state_message\":\"Printer is ready\"}}"

START_TEST (test_printer_objects_in_octoprint_shapes)
{
  g_autoptr (json_object) status = parse (PRINTING);
  g_autoptr (json_object) printer = ph_moonraker_printer (status, "ready");
  g_autofree char *text = text_of (printer);

  ck_assert_str_eq (text,
    "{\"state\":{\"text\":\"Printing\",\"flags\":{\"operational\":true,\"printing\":true,"
    "\"cancelling\":false,\"pausing\":false,\"resuming\":false,\"finishing\":false,"
    "\"closedOrError\":false,\"error\":false,\"paused\":false,\"ready\":false,\"sdReady\":true},"
    "\"error\":\"\"},"
    "\"job\":{\"file\":{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
    "\"display\":\"benchy.gcode\",\"origin\":\"local\",\"size\":1183897,\"date\":null},"
    "\"estimatedPrintTime\":null,\"averagePrintTime\":null,\"lastPrintTime\":null,"
    "\"filament\":null,\"user\":null},"
    "\"progress\":{\"completion\":27.0,\"filepos\":319652,\"printTime\":972,"
    "\"printTimeLeft\":2628,\"printTimeLeftOrigin\":\"linear\"},"
    "\"currentZ\":13.16,\"offsets\":{}}");
}
END_TEST

START_TEST (test_metadata_adds_the_estimate_and_meta)
{
  g_autoptr (json_object) status = parse (PRINTING);
  g_autoptr (json_object) printer = ph_moonraker_printer (status, "ready");
  g_autoptr (json_object) metadata = parse ("{\"size\":1183897,\"modified\":1655471926,"
                                            "\"estimated_time\":3580.2,\"filament_total\":4012.3,"
                                            "\"object_height\":48.0,\"slicer\":\"PrusaSlicer\"}");
  g_autoptr (json_object) meta = ph_moonraker_meta (metadata);
  g_autofree char *job = NULL;
  g_autofree char *progress = NULL;
  g_autofree char *meta_text = text_of (meta);

  ph_moonraker_add_metadata (printer, metadata);
  job = text_of (json_object_object_get (printer, "job"));
  progress = text_of (json_object_object_get (printer, "progress"));
  ck_assert_str_eq (job, "{\"file\":{\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                         "\"display\":\"benchy.gcode\",\"origin\":\"local\",\"size\":1183897,"
                         "\"date\":1655471926},\"estimatedPrintTime\":3580.2,\"averagePrintTime\":null,"
                         "\"lastPrintTime\":null,\"filament\":{\"tool0\":{\"length\":4012.3,\"volume\":null}},"
                         "\"user\":null}");
  ck_assert_str_eq (progress, "{\"completion\":27.0,\"filepos\":319652,\"printTime\":972,"
                              "\"printTimeLeft\":2608,\"printTimeLeftOrigin\":\"estimate\"}");
  ck_assert_str_eq (meta_text, "{\"analysis\":{\"estimatedPrintTime\":3580.2,"
                               "\"filament\":{\"tool0\":{\"length\":4012.3}},"
                               "\"dimensions\":{\"height\":48.0}},\"size\":1183897,"
                               "\"modified\":1655471926,\"estimated_time\":3580.2,"
                               "\"filament_total\":4012.3,\"object_height\":48.0,\"slicer\":\"PrusaSlicer\"}");
}
END_TEST

/* Numbers no printer sends, which converted to integers would be
 * undefined behaviour: each counts as unknown. */
START_TEST (test_numbers_beyond_belief_count_as_unknown)
{
  g_autoptr (json_object) status = parse (
    "{\"print_stats\":{\"filename\":\"a.gcode\",\"print_duration\":1e300,\"state\":\"printing\"},"
    "\"virtual_sdcard\":{\"progress\":1e300,\"file_position\":-1e300,\"file_size\":9.3e18}}");
  g_autoptr (json_object) printer = ph_moonraker_printer (status, "ready");
  g_autoptr (json_object) metadata = parse ("{\"size\":1e19,\"modified\":-1e300,"
                                            "\"estimated_time\":1e300,\"filament_total\":1e300}");
  g_autofree char *progress = text_of (json_object_object_get (printer, "progress"));
  g_autofree char *job = NULL;

  ck_assert_str_eq (progress, "{\"completion\":null,\"filepos\":null,\"printTime\":null,"
                              "\"printTimeLeft\":null,\"printTimeLeftOrigin\":null}");
  ph_moonraker_add_metadata (printer, metadata);
  job = text_of (json_object_object_get (printer, "job"));
  ck_assert_str_eq (job, "{\"file\":{\"name\":\"a.gcode\",\"path\":\"a.gcode\","
                         "\"display\":\"a.gcode\",\"origin\":\"local\",\"size\":null,"
                         "\"date\":null},\"estimatedPrintTime\":null,\"averagePrintTime\":null,"
                         "\"lastPrintTime\":null,\"filament\":null,\"user\":null}");
}
END_TEST

START_TEST (test_state_text_follows_klippy_and_print_stats)
{
  static const struct { const char *klippy, *job, *text, *error; } cases[] = {
    { "ready", "standby", "Operational", "" },
    { "ready", "paused", "Paused", "" },
    { "ready", "complete", "Operational", "" },
    { "ready", "cancelled", "Operational", "" },
    { "ready", "error", "Error", "Move out of range" },
    { "shutdown", "printing", "Error", "Timer too close" },
    { "startup", "standby", "Offline", "" },
    { NULL, "standby", "Offline", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (
          "{\"print_stats\":{\"state\":\"%s\",\"filename\":\"\",\"message\":\"Move out of range\"},"
          "\"webhooks\":{\"state_message\":\"Timer too close\"}}", cases[i].job);
      g_autoptr (json_object) status = parse (text);
      g_autoptr (json_object) printer = ph_moonraker_printer (status, cases[i].klippy);
      json_object *state = json_object_object_get (printer, "state");
      g_autofree char *file = text_of (json_object_object_get (json_object_object_get (printer, "job"), "file"));

      ck_assert_str_eq (json_object_get_string (json_object_object_get (state, "text")), cases[i].text);
      ck_assert_str_eq (json_object_get_string (json_object_object_get (state, "error")), cases[i].error);
      /* No file: OctoPrint's nulls. */
      ck_assert_str_eq (file, "{\"name\":null,\"path\":null,\"display\":null,\"origin\":null,"
                              "\"size\":null,\"date\":null}");
    }
}
END_TEST

START_TEST (test_completion_without_virtual_sdcard_comes_from_display_status)
{
  g_autoptr (json_object) display = parse ("{\"display_status\":{\"progress\":0.4567}}");
  g_autoptr (json_object) none = parse ("{\"print_stats\":{}}");
  g_autoptr (json_object) over = parse ("{\"virtual_sdcard\":{\"progress\":1.2},"
                                        "\"display_status\":{\"progress\":0.1}}");

  ck_assert_double_eq (ph_moonraker_completion (display), 45.67);
  ck_assert_double_lt (ph_moonraker_completion (none), 0);
  ck_assert_double_eq (ph_moonraker_completion (over), 100.0);
}
END_TEST

START_TEST (test_webcam_url_is_the_first_enabled_one_resolved)
{
  g_autoptr (json_object) list = parse ("{\"webcams\":[{\"enabled\":false,\"snapshot_url\":\"/off\"},"
                                        "{\"enabled\":true,\"snapshot_url\":\"\"},"
                                        "{\"snapshot_url\":\"/webcam/?action=snapshot\"}]}");
  g_autoptr (json_object) absolute = parse ("{\"webcams\":[{\"enabled\":true,"
                                            "\"snapshot_url\":\"http://cam.local:8080/snap.jpg\"}]}");
  g_autoptr (json_object) empty = parse ("{\"webcams\":[]}");
  g_autofree char *relative_url = ph_moonraker_webcam_url (list, "http://k1.local:7125");
  g_autofree char *absolute_url = ph_moonraker_webcam_url (absolute, "http://k1.local:7125");
  g_autofree char *none = ph_moonraker_webcam_url (empty, "http://k1.local:7125");

  ck_assert_str_eq (relative_url, "http://k1.local:7125/webcam/?action=snapshot");
  ck_assert_str_eq (absolute_url, "http://cam.local:8080/snap.jpg");
  ck_assert_ptr_null (none);
}
END_TEST

START_TEST (test_last_command_before_a_pause)
{
  static const struct { const char *tail; gboolean whole; const char *command; } cases[] = {
    { "G1 X1\nM600 ; change filament\n", FALSE, "M600" },
    { "G1 X1\n  m601\r\n", FALSE, "M601" },
    { "G1 X1\nPAUSE\n\n", FALSE, "PAUSE" },
    { "G1 X10 Y10 E0.5\nG1 X1", FALSE, "G1" },
    { "M600", TRUE, "M600" },
    { "M600", FALSE, NULL },
    { "G1\n; only a comment\n", FALSE, NULL },
    { "", TRUE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *command = ph_moonraker_last_command (cases[i].tail, strlen (cases[i].tail),
                                                            cases[i].whole);

      ck_assert_pstr_eq (command, cases[i].command);
    }
  ck_assert (ph_moonraker_pause_needs_user ("M600"));
  ck_assert (ph_moonraker_pause_needs_user ("PAUSE"));
  ck_assert (!ph_moonraker_pause_needs_user ("G1"));
  ck_assert (!ph_moonraker_pause_needs_user (NULL));
}
END_TEST

START_TEST (test_job_payload_is_octoprints)
{
  g_autoptr (json_object) payload = ph_moonraker_job_payload ("benchy.gcode", -1);
  g_autoptr (json_object) nested = ph_moonraker_job_payload ("a/b/c d.gcode", 12);
  g_autofree char *text = text_of (payload);
  g_autofree char *nested_text = text_of (nested);

  ck_assert_str_eq (text, "{\"name\":\"benchy.gcode\",\"path\":\"benchy.gcode\",\"origin\":\"local\"}");
  ck_assert_str_eq (nested_text, "{\"name\":\"c d.gcode\",\"path\":\"a/b/c d.gcode\","
                                 "\"origin\":\"local\",\"size\":12}");
}
END_TEST

static Suite *
moonraker_api_suite (void)
{
  Suite *s = suite_create ("moonraker-api");
  TCase *tc = tcase_create ("moonraker-api");

  tcase_add_test (tc, test_jsonrpc_replies_find_their_request_by_id);
  tcase_add_test (tc, test_jsonrpc_notifications_and_lost_connections);
  tcase_add_test (tc, test_printer_objects_in_octoprint_shapes);
  tcase_add_test (tc, test_metadata_adds_the_estimate_and_meta);
  tcase_add_test (tc, test_numbers_beyond_belief_count_as_unknown);
  tcase_add_test (tc, test_state_text_follows_klippy_and_print_stats);
  tcase_add_test (tc, test_completion_without_virtual_sdcard_comes_from_display_status);
  tcase_add_test (tc, test_webcam_url_is_the_first_enabled_one_resolved);
  tcase_add_test (tc, test_last_command_before_a_pause);
  tcase_add_test (tc, test_job_payload_is_octoprints);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (moonraker_api_suite ());
}
