/* The daemon's decisions in isolation: progress milestones, cooldowns,
 * when the printer waits for the user, what OctoPrint's answers mean,
 * control socket requests, and [source NAME] groups. */
#include "autoconfig.h"

#include <string.h>

#include <glib/gstdio.h>

#include "config/config.h"
#include "daemon/control_protocol.h"
#include "router/cooldown.h"
#include "harness.h"
#include "delivery/host.h"
#include "text/json_text.h"
#include "router/progress.h"
#include "sources/octoprint_api.h"
#include "sources/user_action.h"

#define S (G_USEC_PER_SEC)

/* ---- progress ---- */

START_TEST (test_jump_fires_the_highest_milestone_once)
{
  ph_progress p;

  ph_progress_init (&p);
  ph_progress_new_job (&p);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 8), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 27), 20);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 27.9), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 29), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 30), 30);
  ck_assert_int_eq (p.milestone, 30);
}
END_TEST

START_TEST (test_never_zero_or_hundred)
{
  ph_progress p;

  ph_progress_init (&p);
  ph_progress_new_job (&p);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 0), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 95), 90);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 99.99), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 100), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 100), 0);
}
END_TEST

START_TEST (test_step_one_and_fractions)
{
  ph_progress p;

  ph_progress_init (&p);
  ph_progress_new_job (&p);
  ck_assert_int_eq (ph_progress_advance (&p, 1, 0.4), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 1, 1.0), 1);
  ck_assert_int_eq (ph_progress_advance (&p, 1, 1.9), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 1, 5.5), 5);
  ck_assert_int_eq (ph_progress_advance (&p, 33, 70), 66);
}
END_TEST

START_TEST (test_first_report_of_an_unknown_job_is_a_baseline)
{
  ph_progress p;

  ph_progress_init (&p);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 45), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 49), 0);
  ck_assert_int_eq (ph_progress_advance (&p, 10, 50), 50);
}
END_TEST

START_TEST (test_new_job_resets)
{
  ph_progress p;

  ph_progress_init (&p);
  ph_progress_new_job (&p);
  ck_assert_int_eq (ph_progress_advance (&p, 25, 60), 50);
  ph_progress_new_job (&p);
  ck_assert_int_eq (p.milestone, 0);
  ck_assert_int_eq (ph_progress_advance (&p, 25, 30), 25);
  /* Backwards without a PrintStarted: a job nobody announced. */
  ck_assert_int_eq (ph_progress_advance (&p, 25, 27), 25);
  ck_assert_int_eq (ph_progress_advance (&p, 25, 10), 0);
  ck_assert_int_eq (p.milestone, 0);
  ck_assert_int_eq (ph_progress_advance (&p, 25, -1), 0);
}
END_TEST

/* ---- cooldown ---- */

START_TEST (test_cooldown_is_per_hook_event_and_source)
{
  g_autoptr (ph_cooldown) c = ph_cooldown_new ();
  double ago = -1;

  ck_assert (ph_cooldown_admit (c, "op", "a", "PrintDone", 60, 100 * S, &ago));
  ck_assert (!ph_cooldown_admit (c, "op", "a", "printdone", 60, 130 * S, &ago));
  ck_assert (ago == 30.0);
  ck_assert (ph_cooldown_admit (c, "op", "b", "PrintDone", 60, 130 * S, NULL));
  ck_assert (ph_cooldown_admit (c, "op", "a", "PrintFailed", 60, 130 * S, NULL));
  ck_assert (ph_cooldown_admit (c, "other", "a", "PrintDone", 60, 130 * S, NULL));
  /* A suppressed event does not restart the cooldown. */
  ck_assert (ph_cooldown_admit (c, "op", "a", "PrintDone", 60, 160 * S, NULL));
  ck_assert (!ph_cooldown_admit (c, "op", "a", "PrintDone", 60, 219 * S, NULL));
  ck_assert (ph_cooldown_admit (c, "op", "a", "PrintDone", 0, 219 * S, NULL));
}
END_TEST

/* ---- user action ---- */

#define BUSY "Recv: echo:busy: paused for user"

static gboolean
feed (ph_user_action *ua, const char *line, gint64 filepos, gint64 now, const char **reason)
{
  ph_user_action_trigger trigger = { 0 };
  gboolean fired = ph_user_action_feed_line (ua, line, filepos, now, &trigger);

  if (fired && reason != NULL)
    *reason = trigger.reason;
  g_free (trigger.text);
  return fired;
}

START_TEST (test_busy_lines_of_one_pause_fire_once)
{
  ph_user_action ua;
  const char *reason = NULL;

  ph_user_action_init (&ua);
  ck_assert (!feed (&ua, "Recv: ok", 100, 1 * S, NULL));
  ck_assert (feed (&ua, BUSY, 100, 2 * S, &reason));
  ck_assert_str_eq (reason, "busy");
  for (int i = 2; i < 40; i++)
    ck_assert (!feed (&ua, BUSY, 100, (2 + 2 * i) * S, NULL));
  /* The printer went on: the next pause counts. */
  ph_user_action_feed_position (&ua, 100);
  ck_assert (!feed (&ua, BUSY, 100, 80 * S, NULL));
  ph_user_action_feed_position (&ua, 101);
  ck_assert (feed (&ua, BUSY, 101, 82 * S, NULL));
}
END_TEST

START_TEST (test_busy_lines_after_a_quiet_spell_are_a_new_pause)
{
  ph_user_action ua;

  ph_user_action_init (&ua);
  ck_assert (feed (&ua, BUSY, -1, 10 * S, NULL));
  ck_assert (!feed (&ua, BUSY, -1, 16 * S, NULL));
  ck_assert (!feed (&ua, BUSY, -1, 22 * S, NULL));
  ck_assert (feed (&ua, BUSY, -1, 29 * S, NULL));
}
END_TEST

START_TEST (test_prompts_and_paused_lines)
{
  ph_user_action ua;
  ph_user_action_trigger trigger = { 0 };

  ph_user_action_init (&ua);
  ck_assert (ph_user_action_feed_line (&ua, "Recv: //action:prompt_begin  Insert filament ", 5,
                                       1 * S, &trigger));
  ck_assert_str_eq (trigger.reason, "prompt");
  ck_assert_str_eq (trigger.text, "Insert filament");
  g_free (trigger.text);
  /* The busy lines of the same pause add nothing. */
  ck_assert (!feed (&ua, BUSY, 5, 2 * S, NULL));
  ck_assert (!feed (&ua, "Recv: //action:prompt_end", 5, 3 * S, NULL));
  ck_assert (feed (&ua, "Recv: //action:paused", 5, 4 * S, NULL));
  ck_assert (!feed (&ua, "Recv: //action:paused", 5, 5 * S, NULL));
  ck_assert (!feed (&ua, "Recv: //action:resumed", 5, 6 * S, NULL));
  ck_assert (feed (&ua, "Recv: //action:paused", 5, 7 * S, NULL));
  ph_user_action_rearm (&ua);
  ck_assert (feed (&ua, BUSY, 5, 8 * S, NULL));
  /* Case matters, as the firmware writes it. */
  ph_user_action_rearm (&ua);
  ck_assert (!feed (&ua, "Recv: ECHO:BUSY: PAUSED FOR USER", 5, 9 * S, NULL));
}
END_TEST

/* ---- OctoPrint's answers ---- */

static json_object *
parse (const char *text)
{
  json_object *value = ph_json_parse (text, -1, NULL);

  ck_assert_msg (value != NULL, "bad test JSON: %s", text);
  return value;
}

START_TEST (test_login_needs_name_and_session)
{
  g_autoptr (json_object) good = parse ("{\"name\": \"admin\", \"session\": \"3f0c\", \"active\": true}");
  g_autoptr (json_object) anonymous = parse ("{\"needs\": {}, \"_is_external_client\": false}");
  g_autoptr (json_object) no_session = parse ("{\"name\": \"admin\"}");
  g_autoptr (json_object) empty = parse ("{\"name\": \"\", \"session\": \"x\"}");
  g_autoptr (json_object) colon = parse ("{\"name\": \"a:b\", \"session\": \"x\"}");
  g_autoptr (json_object) number = parse ("{\"name\": \"admin\", \"session\": 5}");
  g_autofree char *auth = ph_octoprint_login_auth (good);

  ck_assert_str_eq (auth, "admin:3f0c");
  ck_assert_ptr_null (ph_octoprint_login_auth (anonymous));
  ck_assert_ptr_null (ph_octoprint_login_auth (no_session));
  ck_assert_ptr_null (ph_octoprint_login_auth (empty));
  ck_assert_ptr_null (ph_octoprint_login_auth (colon));
  ck_assert_ptr_null (ph_octoprint_login_auth (number));
}
END_TEST

START_TEST (test_meta_keeps_the_plugin_shape)
{
  g_autoptr (json_object) entry = parse (
      "{\"name\": \"b.gcode\", \"display\": \"b.gcode\", \"path\": \"p/b.gcode\", \"type\": \"machinecode\","
      " \"typePath\": [\"machinecode\"], \"origin\": \"local\", \"size\": 5, \"date\": 1, \"hash\": \"9b0e\","
      " \"user\": \"admin\", \"gcodeAnalysis\": {\"dimensions\": {\"width\": 60.1}},"
      " \"prints\": {\"success\": 23, \"failure\": 4, \"last\": {\"success\": true, \"date\": 1387144346, \"printTime\": 3610.7}},"
      " \"statistics\": {\"averagePrintTime\": {\"_default\": 3601.2}},"
      " \"thumbnail\": \"plugin/x.png\", \"refs\": {\"resource\": \"http://o/api/files/local/p/b.gcode\"}}");
  g_autoptr (json_object) meta = ph_octoprint_meta_from_file (entry);
  g_autofree char *text = ph_json_to_text (meta, FALSE);

  ck_assert_str_eq (text, "{\"hash\":\"9b0e\",\"analysis\":{\"dimensions\":{\"width\":60.1}},"
                          "\"statistics\":{\"averagePrintTime\":{\"_default\":3601.2}},"
                          "\"history\":[{\"timestamp\":1387144346,\"printTime\":3610.7,\"success\":true}],"
                          "\"prints\":{\"success\":23,\"failure\":4,\"last\":{\"success\":true,"
                          "\"date\":1387144346,\"printTime\":3610.7}},\"thumbnail\":\"plugin/x.png\"}");
}
END_TEST

START_TEST (test_webcam_url_from_settings)
{
  g_autoptr (json_object) providers = parse (
      "{\"webcam\": {\"webcamEnabled\": true, \"snapshotWebcam\": \"b\", \"snapshotUrl\": \"http://flat/\","
      " \"webcams\": [{\"name\": \"a\", \"canSnapshot\": true, \"compat\": {\"snapshot\": \"http://a/snap\"}},"
      "               {\"name\": \"b\", \"canSnapshot\": true, \"compat\": {\"snapshot\": \"/webcam/?action=snapshot\"}}]},"
      " \"appearance\": {\"name\": \"MK4\", \"color\": \"orange\", \"colorIcon\": true}}");
  g_autoptr (json_object) flat = parse ("{\"webcam\": {\"snapshotUrl\": \"http://127.0.0.1:8080/?action=snapshot\"}}");
  g_autoptr (json_object) disabled = parse ("{\"webcam\": {\"webcamEnabled\": false, \"snapshotUrl\": \"http://x/\"}}");
  g_autoptr (json_object) no_permission = parse ("{\"webcam\": {}}");
  g_autoptr (json_object) appearance = ph_octoprint_settings_appearance (providers);
  g_autofree char *relative = ph_octoprint_settings_webcam_url (providers, "http://octopi.local/op");
  g_autofree char *loopback = ph_octoprint_settings_webcam_url (flat, "http://octopi.local");
  g_autofree char *appearance_text = ph_json_to_text (appearance, FALSE);

  /* Relative to OctoPrint's host, as a browser would read it. */
  ck_assert_str_eq (relative, "http://octopi.local/webcam/?action=snapshot");
  ck_assert_str_eq (loopback, "http://127.0.0.1:8080/?action=snapshot");
  ck_assert_ptr_null (ph_octoprint_settings_webcam_url (disabled, "http://o"));
  ck_assert_ptr_null (ph_octoprint_settings_webcam_url (no_permission, "http://o"));
  ck_assert_str_eq (appearance_text, "{\"name\":\"MK4\",\"color\":\"orange\"}");
  ck_assert_ptr_null (ph_octoprint_settings_appearance (flat));
}
END_TEST

START_TEST (test_file_path_is_escaped_by_segment)
{
  g_autofree char *plain = ph_octoprint_file_path ("local", "parts/benchy.gcode");
  g_autofree char *odd = ph_octoprint_file_path ("sdcard", "/my dir/a#b?.gcode");

  ck_assert_str_eq (plain, "/api/files/local/parts/benchy.gcode");
  ck_assert_str_eq (odd, "/api/files/sdcard/my%20dir/a%23b%3F.gcode");
}
END_TEST

/* ---- control socket requests ---- */

static void
assert_refused (const char *text, const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_control_request) request = ph_control_request_parse (text, strlen (text), &error);

  ck_assert_msg (request == NULL, "accepted: %s", text);
  ck_assert_str_eq (error->message, reason);
}

START_TEST (test_control_requests)
{
  g_autoptr (GError) error = NULL;
  const char *text = "{\"event\": \"printdone\", \"payload\": {\"a\": 1}, \"source\": \"op\"}";
  g_autoptr (ph_control_request) request = ph_control_request_parse (text, strlen (text), &error);
  g_autofree char *line = ph_control_request_to_line ("X", NULL, NULL, NULL);
  g_autofree char *accepted = ph_control_reply_accepted (2);
  g_autofree char *refused = ph_control_reply_refused ("no \"way\"");

  ck_assert_ptr_nonnull (request);
  ck_assert_str_eq (request->event, "PrintDone");
  ck_assert_str_eq (request->source, "op");
  ck_assert_ptr_null (request->printer);
  ck_assert_str_eq (line, "{\"event\":\"X\"}\n");
  ck_assert_str_eq (accepted, "{\"accepted\":true,\"deliveries\":2}\n");
  ck_assert_str_eq (refused, "{\"accepted\":false,\"error\":\"no \\\"way\\\"\"}\n");
  assert_refused ("", "malformed JSON: empty");
  assert_refused ("{\"event\": \"A\",}", "malformed JSON: line 1, column 15: unexpected character");
  assert_refused ("\"PrintDone\"", "a request is a JSON object with an \"event\"");
  assert_refused ("{}", "the request has no \"event\" name");
  assert_refused ("{\"event\": 5}", "the request has no \"event\" name");
  assert_refused ("{\"event\": \"a-b\"}", "'a-b' is not an event name (letters, digits and '_')");
  assert_refused ("{\"event\": \"A\", \"payload\": \"x\"}", "the payload must be a JSON object");
  assert_refused ("{\"event\": \"A\", \"source\": 1}", "\"source\" must be a source's name");
  assert_refused ("{\"event\": \"A\", \"printer\": []}", "\"printer\" must be a JSON object");
  assert_refused ("{\"event\": \"A\", \"hook\": \"x\"}",
                  "unknown member \"hook\" (a request has event, payload, source, printer)");
}
END_TEST

/* ---- [source NAME] ---- */

static char *last_path;

static ph_config *
load (const char *text, ph_diag **diag_out)
{
  char *path = ph_test_write_file ("printhook.conf", text);
  ph_diag *diag = ph_diag_new ();
  ph_config *config;

  g_chmod (path, 0600);
  config = ph_config_load (path, ph_host (), diag);
  g_free (last_path);
  last_path = path;

  *diag_out = diag;
  return config;
}

static char *
diag_text (const ph_diag *diag)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < diag->entries->len; i++)
    {
      const ph_diag_entry *e = g_ptr_array_index (diag->entries, i);
      g_auto (GStrv) parts = g_strsplit (e->text, last_path, -1);
      g_autofree char *text = g_strjoinv ("PATH", parts);

      g_string_append_printf (out, "%u: %s\n", e->line, text);
    }
  return g_string_free (out, FALSE);
}

START_TEST (test_source_group_is_read)
{
  g_autoptr (ph_diag) diag = NULL;
  g_autoptr (ph_config) config = load ("[source garage]\ntype = OctoPrint\nurl = http://octopi.local:5000/\n"
                                       "api_key = 0123ABCD\n\n[source off]\ntype = octoprint\n"
                                       "url = https://o/base\napi_key = k\nenabled = false\n\n"
                                       "[hook h]\nurl = http://127.0.0.1/\n", &diag);
  const ph_source_config *garage, *off;

  ck_assert_msg (config != NULL, "%s", diag_text (diag));
  ck_assert_uint_eq (config->sources->len, 2);
  garage = ph_config_find_source (config, "garage");
  off = ph_config_find_source (config, "off");
  ck_assert_int_eq (garage->type, PH_SOURCE_OCTOPRINT);
  ck_assert_str_eq (garage->url, "http://octopi.local:5000");
  ck_assert_str_eq (garage->api_key, "0123ABCD");
  ck_assert (garage->enabled);
  ck_assert_uint_eq (garage->line, 1);
  ck_assert_str_eq (off->url, "https://o/base");
  ck_assert (!off->enabled);
  ck_assert (!ph_source_config_equal (garage, off));
  ck_assert (ph_source_config_equal (garage, garage));
  ck_assert_ptr_null (ph_config_find_source (config, "nope"));
}
END_TEST

START_TEST (test_moonraker_source_needs_no_api_key)
{
  g_autoptr (ph_diag) diag = NULL;
  g_autoptr (ph_config) config = load ("[source k1]\ntype = moonraker\nurl = http://k1.local:7125/\n\n"
                                       "[source k2]\ntype = Moonraker\nurl = https://k2.local\napi_key = abc\n\n"
                                       "[hook h]\nurl = http://127.0.0.1/\n", &diag);
  const ph_source_config *k1, *k2;

  ck_assert_msg (config != NULL, "%s", diag_text (diag));
  k1 = ph_config_find_source (config, "k1");
  k2 = ph_config_find_source (config, "k2");
  ck_assert_int_eq (k1->type, PH_SOURCE_MOONRAKER);
  ck_assert_str_eq (k1->url, "http://k1.local:7125");
  ck_assert_ptr_null (k1->api_key);
  ck_assert_int_eq (k2->type, PH_SOURCE_MOONRAKER);
  ck_assert_str_eq (k2->api_key, "abc");
  ck_assert (!ph_source_config_equal (k1, k2));
}
END_TEST

START_TEST (test_source_errors_are_all_reported)
{
  g_autoptr (ph_diag) diag = NULL;
  g_autoptr (ph_config) config = load ("[source a]\ntype = moonrakr\nurl = http://k:7125\napi_key = x\n\n"
                                       "[source b]\nurl = ftp://x\napi-key = y\n\n"
                                       "[source c]\ntype = octoprint\nurl = http://u:p@host/\napi_key =\n\n"
                                       "[source d]\ntype = octoprint\nurl = http://h/?x=1\napi_key = k\n\n"
                                       "[source]\ntype = octoprint\n\n[sorce e]\n\n"
                                       "[hook h]\nurl = http://127.0.0.1/\n", &diag);
  g_autofree char *text = diag_text (diag);

  ck_assert_ptr_null (config);
  ck_assert_str_eq (text,
                    "2: [source a] type: 'moonrakr' is not a source type (known: octoprint, moonraker, bambu, mqtt); did you mean 'moonraker'?\n"
                    "8: [source b] api-key: unknown key; did you mean 'api_key'? (a source has type, url and api_key, "
                    "or for bambu host, serial, access_code, port, tls_ca_file, tls_verify, camera and "
                    "camera_port, or for mqtt url, topic, group, format, client_id, tls_ca_file, "
                    "tls_verify, tls_cert, tls_key and dedupe_window; and enabled; "
                    "webhook settings belong in a [hook NAME] group)\n"
                    "6: [source b]: a source needs a type: type = octoprint, moonraker, bambu or mqtt\n"
                    "7: [source b] url: 'ftp://x' is not an http:// or https:// URL\n"
                    "6: [source b]: an OctoPrint source needs an api_key (OctoPrint: Settings > Application Keys, or your user's API key)\n"
                    "12: [source c] url: the URL must not hold a user or password; the api_key is the credential\n"
                    "13: [source c] api_key: an OctoPrint source needs an api_key (OctoPrint: Settings > Application Keys, or your user's API key)\n"
                    "17: [source d] url: 'http://h/?x=1': give the base URL only, without '?' or '#'\n"
                    "20: [source]: a source needs a name of letters, digits, '-', '_' and '.': [source octoprint]\n"
                    "23: [sorce e]: unknown group; groups are [printhook], [console], [source NAME] and [hook NAME] (did you mean [source NAME]?)\n");
}
END_TEST

START_TEST (test_source_names_are_unique_across_files)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *main_path = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *hooks_dir = g_build_filename (dir, "hooks.d", NULL);
  g_autofree char *other = g_build_filename (hooks_dir, "farm.conf", NULL);
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autoptr (ph_config) config = NULL;
  g_autofree char *expected = NULL;
  const ph_diag_entry *e;

  g_mkdir (hooks_dir, 0700);
  ck_assert (g_file_set_contents (main_path, "[source mk3]\ntype = octoprint\nurl = http://a\n"
                                             "api_key = k\n", -1, NULL));
  ck_assert (g_file_set_contents (other, "[source mk3]\ntype = octoprint\nurl = http://b\n"
                                         "api_key = k\n\n[hook h]\nurl = http://127.0.0.1/\n", -1, NULL));
  g_chmod (main_path, 0600);
  g_chmod (other, 0600);
  config = ph_config_load (main_path, ph_host (), diag);
  ck_assert_ptr_null (config);
  ck_assert_uint_eq (diag->entries->len, 1);
  e = g_ptr_array_index (diag->entries, 0);
  expected = g_strdup_printf ("[source mk3]: source 'mk3' is already defined in %s; "
                              "source names must be unique", main_path);
  ck_assert_str_eq (e->file, other);
  ck_assert_str_eq (e->text, expected);
}
END_TEST

static Suite *
router_suite (void)
{
  Suite *s = suite_create ("router");
  TCase *tc = tcase_create ("progress");

  tcase_add_test (tc, test_jump_fires_the_highest_milestone_once);
  tcase_add_test (tc, test_never_zero_or_hundred);
  tcase_add_test (tc, test_step_one_and_fractions);
  tcase_add_test (tc, test_first_report_of_an_unknown_job_is_a_baseline);
  tcase_add_test (tc, test_new_job_resets);
  suite_add_tcase (s, tc);
  tc = tcase_create ("cooldown");
  tcase_add_test (tc, test_cooldown_is_per_hook_event_and_source);
  suite_add_tcase (s, tc);
  tc = tcase_create ("user-action");
  tcase_add_test (tc, test_busy_lines_of_one_pause_fire_once);
  tcase_add_test (tc, test_busy_lines_after_a_quiet_spell_are_a_new_pause);
  tcase_add_test (tc, test_prompts_and_paused_lines);
  suite_add_tcase (s, tc);
  tc = tcase_create ("octoprint-api");
  tcase_add_test (tc, test_login_needs_name_and_session);
  tcase_add_test (tc, test_meta_keeps_the_plugin_shape);
  tcase_add_test (tc, test_webcam_url_from_settings);
  tcase_add_test (tc, test_file_path_is_escaped_by_segment);
  suite_add_tcase (s, tc);
  tc = tcase_create ("control");
  tcase_add_test (tc, test_control_requests);
  suite_add_tcase (s, tc);
  tc = tcase_create ("source-config");
  tcase_add_test (tc, test_source_group_is_read);
  tcase_add_test (tc, test_moonraker_source_needs_no_api_key);
  tcase_add_test (tc, test_source_errors_are_all_reported);
  tcase_add_test (tc, test_source_names_are_unique_across_files);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (router_suite ());
}
