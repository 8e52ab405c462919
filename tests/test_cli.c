/* The printhook binary itself: check, modules, render, --help, --version,
 * exit codes, run as a user runs them. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "text/json_text.h"
#include "printhook/module.h"

static char *module_env;

static char *
config_file (const char *relative)
{
  return g_build_filename (ph_test_srcdir (), "tests", "configs", relative, NULL);
}

/* Runs printhook with the test modules on the module path. */
static ph_run_result *
run (const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *env[] = { module_env, NULL };
  const char *arg;
  va_list ap;

  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return ph_run_printhook ((const char *const *) args->pdata, env, 30);
}

START_TEST (test_version_and_help)
{
  g_autoptr (ph_run_result) version = run ("--version", PH_END);
  g_autoptr (ph_run_result) help = run ("--help", PH_END);
  g_autoptr (ph_run_result) check_help = run ("check", "--help", PH_END);
  g_autoptr (ph_run_result) render_help = run ("render", "--help", PH_END);
  g_autofree char *expected = g_strdup_printf ("printhook %s (module ABI %d.%d)\n", PACKAGE_VERSION,
                                               PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR);

  ck_assert_int_eq (version->exit_status, 0);
  ck_assert_str_eq (version->out, expected);
  ck_assert_int_eq (help->exit_status, 0);
  assert_contains (help->out, "check ");
  assert_contains (help->out, "render ");
  assert_contains (help->out, "modules ");
  ck_assert_int_eq (check_help->exit_status, 0);
  assert_contains (check_help->out, "Exit status:");
  assert_contains (check_help->out, "--config=FILE");
  ck_assert_int_eq (render_help->exit_status, 0);
  assert_contains (render_help->out, "Examples:");
  assert_contains (render_help->out, "--payload=JSON");
}
END_TEST

START_TEST (test_usage_errors_exit_2)
{
  g_autoptr (ph_run_result) none = run (NULL);
  g_autoptr (ph_run_result) unknown = run ("frobnicate", PH_END);
  g_autoptr (ph_run_result) bad_option = run ("check", "--no-such-option", PH_END);
  g_autoptr (ph_run_result) missing_args = run ("render", "only-a-hook", PH_END);

  ck_assert_int_eq (none->exit_status, 2);
  ck_assert_int_eq (unknown->exit_status, 2);
  assert_contains (unknown->err, "unknown command 'frobnicate'");
  ck_assert_int_eq (bad_option->exit_status, 2);
  assert_contains (bad_option->err, "no-such-option");
  ck_assert_int_eq (missing_args->exit_status, 2);
  assert_contains (missing_args->err, "expected HOOK and EVENT");
}
END_TEST

START_TEST (test_check_accepts_the_good_config)
{
  g_autofree char *path = config_file ("good/printhook.conf");
  g_autoptr (ph_run_result) r = run ("check", "-c", path, PH_END);

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s", r->exit_status, r->err);
  assert_contains (r->out, "valid, 3 hooks");
  assert_contains (r->out, "hook chat");
  assert_contains (r->out, "chain:  test-prepare > test-encode > test-sender");
}
END_TEST

typedef struct {
  const char *file;
  const char *expected[3];
} broken_case;

/* Each broken config, and what check must say about it (file:line
 * included). */
static const broken_case broken_cases[] = {
  { "broken/unknown-key.conf", { "unknown-key.conf:7: error: [hook h] metod: unknown key; did you mean 'method'?" } },
  { "broken/bad-json.conf", { "bad-json.conf:7: error: [hook h] data: invalid JSON: line 1, column 20" } },
  { "broken/data-not-object.conf", { "data-not-object.conf:7: error: [hook h] data: must be a JSON object" } },
  { "broken/empty-url.conf", { "empty-url.conf:5: error: [hook h] url: an enabled hook needs a url" } },
  { "broken/bad-method.conf", { "bad-method.conf:7: error: [hook h] method: 'SEND' is not one of" } },
  { "broken/bad-content-type.conf", { "bad-content-type.conf:7: error: [hook h] content_type: 'xml' is not json, form or multipart" } },
  { "broken/progress-step.conf", { "progress-step.conf:7: error: [hook h] progress_step: '150' is not a whole number from 1 to 99" } },
  { "broken/unknown-module.conf", { "unknown-module.conf:6: error: [hook h] modules: no module named 'snapshoot'" } },
  { "broken/duplicate-hooks/printhook.conf", { "other.conf:1: error: [hook same]: hook 'same' is already defined in",
                                               "duplicate-hooks/printhook.conf" } },
  { "broken/several-errors.conf", { "several-errors.conf:9: error: [hook b] url: 'ftp://127.0.0.1/' is not an http:// or https:// URL",
                                    "several-errors.conf:11: error: [hook b] events: 'Print Done' is not an event name",
                                    "several-errors.conf:12: error: [hook b] timeout: -1 is out of range" } },
};

START_TEST (test_check_rejects_each_broken_config_precisely)
{
  const broken_case *c = &broken_cases[_i];
  g_autofree char *path = config_file (c->file);
  g_autoptr (ph_run_result) r = run ("check", "-c", path, PH_END);

  ck_assert_msg (r->exit_status == 1, "%s: exit %d", c->file, r->exit_status);
  for (guint i = 0; i < G_N_ELEMENTS (c->expected) && c->expected[i] != NULL; i++)
    assert_contains (r->err, c->expected[i]);
  assert_contains (r->err, "the configuration has errors; nothing was sent");
  ck_assert_str_eq (r->out, "");
}
END_TEST

START_TEST (test_check_reports_a_missing_file)
{
  g_autoptr (ph_run_result) r = run ("check", "-c", "/nonexistent/printhook.conf", PH_END);

  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "/nonexistent/printhook.conf: error: cannot read");
}
END_TEST

/* The body printed by render: everything after the first blank line. */
static json_object *
rendered_body (const char *out)
{
  const char *blank = strstr (out, "\n\n");
  g_autoptr (GError) error = NULL;
  json_object *body;

  ck_assert_ptr_nonnull (blank);
  body = ph_json_parse (blank + 2, -1, &error);
  ck_assert_msg (body != NULL, "%s in:\n%s", error ? error->message : "", out);
  return body;
}

START_TEST (test_render_fills_the_all_data_template)
{
  g_autofree char *path = config_file ("good/printhook.conf");
  g_autoptr (ph_run_result) r = run ("render", "-c", path, "all-data", "PrintStarted", PH_END);
  g_autoptr (json_object) body = NULL;
  json_object *value;
  g_autofree char *extra = NULL, *job_file = NULL, *meta_width = NULL;

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s", r->exit_status, r->err);
  ck_assert (g_str_has_prefix (r->out, "POST http://127.0.0.1:9/hook/Print%20Started\n"
                                       "Content-Type: application/json\n\n{\n  \"deviceIdentifier\": \"Test Printer\",\n"));
  body = rendered_body (r->out);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (body, "topic")), "Print Started");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (body, "message")), "Your print has started.");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (body, "apiSecret")), "");
  extra = ph_json_to_text (json_object_object_get (body, "extra"), FALSE);
  ck_assert_str_eq (extra, "{\"name\":\"example.gcode\",\"path\":\"example.gcode\",\"origin\":\"local\","
                           "\"size\":242038,\"owner\":\"example_user\",\"time\":50.237335886}");
  job_file = ph_json_to_text (json_object_object_get (json_object_object_get (body, "job"), "file"), FALSE);
  ck_assert_str_eq (job_file, "{\"name\":\"example.gcode\",\"path\":\"example.gcode\",\"display\":\"example.gcode\","
                              "\"origin\":\"local\",\"size\":242038,\"date\":1588195405}");
  value = json_object_object_get (body, "currentZ");
  ck_assert (json_object_is_type (value, json_type_double));
  ck_assert (json_object_get_double (value) == 0.3);
  value = json_object_object_get (body, "currentTime");
  ck_assert (json_object_is_type (value, json_type_int));
  ck_assert (json_object_get_int64 (value) > 1700000000);
  meta_width = ph_json_to_text (json_object_object_get (json_object_object_get (
                   json_object_object_get (json_object_object_get (body, "meta"), "analysis"), "dimensions"), "width"), FALSE);
  ck_assert_str_eq (meta_width, "136.67");
  ck_assert (json_object_is_type (json_object_object_get (body, "state"), json_type_object));
  ck_assert (json_object_is_type (json_object_object_get (body, "progress"), json_type_object));
  /* "@snapshot" left the data: it becomes a file part when sent. */
  ck_assert (!json_object_object_get_ex (body, "snapshot", NULL));
  assert_contains (r->err, "note: the webcam snapshot goes in field 'snapshot' when sent");
}
END_TEST

START_TEST (test_render_shows_encoder_output_messages_and_redacts)
{
  g_autofree char *path = config_file ("good/printhook.conf");
  g_autoptr (ph_run_result) r = run ("render", "-c", path, "chat", "PrintProgress", "--milestone", "25", PH_END);
  g_autoptr (ph_run_result) shown = run ("render", "-c", path, "chat", "PrintDone", "--show-secrets", PH_END);

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s", r->exit_status, r->err);
  ck_assert_str_eq (r->out,
                    /* The last step of a .../webhooks/ID/TOKEN path is a token. */
                    "PUT https://chat.invalid/api/webhooks/123/****\n"
                    "Authorization: ****\n"
                    "X-Printer: Test Printer\n"
                    "X-Hello: \n"
                    "Content-Type: text/x-test\n"
                    "\n"
                    "encoded:{\"text\":\"25% of example.gcode (14.496484023169915%)\","
                    "\"file\":\"example.gcode\",\"mail\":\"owner@example.com\"}\n");
  assert_contains (r->err, "module 'test-prepare' is not run by render");
  ck_assert_int_eq (shown->exit_status, 0);
  assert_contains (shown->out, "Authorization: Bearer hunter2-token\n");
  assert_contains (shown->out, "example.gcode finished in 50.237335886 s (14.496484023169915%)");
}
END_TEST

START_TEST (test_render_get_puts_data_in_the_query)
{
  g_autofree char *path = config_file ("good/printhook.conf");
  g_autoptr (ph_run_result) r = run ("render", "-c", path, "query", "PrintStarted", PH_END);
  g_autoptr (ph_run_result) payload = run ("render", "-c", path, "query", "PrintStarted", "--payload",
                                           "{\"size\": \"a b&c=d\"}", PH_END);

  ck_assert_int_eq (r->exit_status, 0);
  ck_assert (g_str_has_prefix (r->out, "GET http://127.0.0.1:9/q?fixed=1&t=Print%20Started&size=242038&none=\n"));
  assert_contains (payload->out, "&size=a%20b%26c%3Dd&");
}
END_TEST

START_TEST (test_render_explains_a_wrong_hook_or_payload)
{
  g_autofree char *path = config_file ("good/printhook.conf");
  g_autoptr (ph_run_result) typo = run ("render", "-c", path, "chta", "PrintDone", PH_END);
  g_autoptr (ph_run_result) bad_payload = run ("render", "-c", path, "chat", "PrintDone", "--payload", "[1,", PH_END);
  g_autoptr (ph_run_result) bad_event = run ("render", "-c", path, "chat", "Print Done", PH_END);
  g_autoptr (ph_run_result) unsubscribed = run ("render", "-c", path, "query", "PrintDone", PH_END);

  ck_assert_int_eq (typo->exit_status, 1);
  assert_contains (typo->err, "no hook named 'chta'; did you mean 'chat'?");
  ck_assert_int_eq (bad_payload->exit_status, 2);
  assert_contains (bad_payload->err, "--payload must be a JSON object");
  ck_assert_int_eq (bad_event->exit_status, 2);
  ck_assert_int_eq (unsubscribed->exit_status, 0);
  assert_contains (unsubscribed->err, "hook 'query' does not subscribe to PrintDone; showing it anyway");
}
END_TEST

START_TEST (test_modules_lists_keys_and_problems)
{
  g_autoptr (ph_run_result) r = run ("modules", "-c", "/nonexistent/printhook.conf", PH_END);

  /* The broken test modules are on the path too: exit 1, each named. */
  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->out, "test-prepare 1.2 (module ABI 1.3, prepare stage, GPL-2.0-or-later)\n"
                           "  Adds a greeting parameter (test module)\n");
  assert_contains (r->out, "    test-prepare.count (integer, default 1, 1 to 10)\n        how many times\n");
  assert_contains (r->out, "    test-prepare.token (text, secret)\n");
  assert_contains (r->out, "    test-sender.label (text, required)\n");
  assert_contains (r->err, "bad-abi-major.so: built for module ABI 99.0");
  assert_contains (r->err, "bad-no-run.so: module 'bad-no-run' lacks mandatory fields: ops.run");
  /* printhook exports none of its internals (configure.ac drops libsoup's
   * --export-dynamic): a module bound to one is refused, naming it. */
  assert_contains (r->err, "bad-internal.so");
  assert_contains (r->err, "undefined symbol: ph_backoff_step");
}
END_TEST

/* The configuration files we ship must pass check with the real modules:
 * conf/printhook.conf, the demo's, and every preset of conf/examples/. */
static ph_run_result *
check_shipped (const char *main_file, const char *example)
{
  g_autofree char *env_path = g_strdup_printf ("PRINTHOOK_MODULE_PATH=%s/modules/.libs", ph_test_builddir ());
  const char *env[] = { env_path, NULL };
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *hooks = g_build_filename (dir, "hooks.d", NULL);
  g_autofree char *source = g_build_filename (ph_test_srcdir (), "conf", main_file, NULL);
  g_autofree char *target = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *text = NULL;
  const char *argv[] = { "check", "-c", target, NULL };

  ck_assert (g_file_get_contents (source, &text, NULL, NULL));
  ck_assert (g_file_set_contents (target, text, -1, NULL));
  g_chmod (target, 0600);
  if (example != NULL)
    {
      g_autofree char *example_source = g_build_filename (ph_test_srcdir (), "conf", "examples", example, NULL);
      g_autofree char *example_text = NULL;
      g_autofree char *example_target = g_build_filename (hooks, example, NULL);

      g_mkdir (hooks, 0700);
      ck_assert (g_file_get_contents (example_source, &example_text, NULL, NULL));
      ck_assert (g_file_set_contents (example_target, example_text, -1, NULL));
      g_chmod (example_target, 0600);
    }
  return ph_run_printhook (argv, env, 30);
}

START_TEST (test_shipped_configs_are_valid)
{
  static const char *const examples[] = { "discord.conf", "slack.conf", "telegram.conf", "ntfy.conf",
                                          "gotify.conf", "home-assistant.conf", "ifttt.conf",
                                          "node-red.conf", "signed.conf", "mqtt.conf",
                                          "home-assistant-mqtt.conf", "farm-edge.conf",
                                          "farm-central.conf" };
  g_autoptr (ph_run_result) main_conf = check_shipped ("printhook.conf", NULL);
  g_autoptr (ph_run_result) demo = check_shipped ("demo.conf", NULL);

  ck_assert_msg (main_conf->exit_status == 0, "%s", main_conf->err);
  ck_assert_str_eq (main_conf->err, "");
  assert_contains (main_conf->out, "hook home-assistant (disabled)");
  ck_assert_msg (demo->exit_status == 0, "%s", demo->err);
  ck_assert_str_eq (demo->err, "");
  assert_contains (demo->out, "valid, 3 hooks");
  for (guint i = 0; i < G_N_ELEMENTS (examples); i++)
    {
      g_autoptr (ph_run_result) r = check_shipped ("printhook.conf", examples[i]);
      ck_assert_msg (r->exit_status == 0, "%s: %s", examples[i], r->err);
      ck_assert_msg (*r->err == '\0', "%s: %s", examples[i], r->err);
      assert_contains (r->out, "valid, 2 hooks");
    }
}
END_TEST

/* Each preset, rendered for PrintDone from the sample event, gives the
 * request its service documents (the link is in the preset). */
typedef struct {
  const char *file;
  const char *hook;
  const char *expected;
} preset_case;

static const preset_case presets[] = {
  { "discord.conf", "discord",
    "POST https://discord.com/api/webhooks/123456789012345678/****\n"
    "Content-Type: application/json\n\n"
    "{\n  \"username\": \"Prusa MK4\",\n  \"content\": \"**Print Done**: example.gcode is done.\",\n"
    "  \"allowed_mentions\": {\n    \"parse\": []\n  }\n}\n" },
  { "slack.conf", "slack",
    "POST https://hooks.slack.com/services/T00000000/B00000000/****\n"
    "Content-Type: application/json\n\n"
    "{\n  \"text\": \"*Print Done* on Prusa MK4\\nexample.gcode is done.\"\n}\n" },
  { "telegram.conf", "telegram",
    "POST https://api.telegram.org/bot****/sendMessage\n"
    "Content-Type: application/json\n\n"
    "{\n  \"chat_id\": 123456789,\n  \"text\": \"Prusa MK4: Print Done\\nexample.gcode is done.\"\n}\n" },
  { "ntfy.conf", "ntfy",
    "POST https://ntfy.sh/\n"
    "Content-Type: application/json\n\n"
    "{\n  \"topic\": \"my-printer-topic\",\n  \"title\": \"Prusa MK4: Print Done\",\n"
    "  \"message\": \"example.gcode is done.\",\n  \"tags\": [\n    \"printer\"\n  ],\n  \"priority\": 4\n}\n" },
  { "gotify.conf", "gotify",
    "POST https://gotify.example.net/message\n"
    "X-Gotify-Key: ****\n"
    "Content-Type: application/json\n\n"
    "{\n  \"title\": \"Prusa MK4: Print Done\",\n  \"message\": \"example.gcode is done.\",\n"
    "  \"priority\": 5\n}\n" },
  { "home-assistant.conf", "homeassistant",
    "POST http://homeassistant.local:8123/api/webhook/printhook-printer\n"
    "Content-Type: application/json\n\n"
    "{\n  \"event\": \"PrintDone\",\n  \"topic\": \"Print Done\",\n  \"message\": \"Your print is done.\",\n"
    "  \"printer\": \"Prusa MK4\",\n  \"file\": \"example.gcode\",\n  \"progress\": 14.496484023169915,\n"
    "  \"state\": \"Printing\"\n}\n" },
  { "ifttt.conf", "ifttt",
    "POST https://maker.ifttt.com/trigger/printer_PrintDone/with/key/****\n"
    "Content-Type: application/json\n\n"
    "{\n  \"value1\": \"example.gcode\",\n  \"value2\": \"Print Done\",\n  \"value3\": \"Prusa MK4\"\n}\n" },
  { "node-red.conf", "node-red",
    "POST http://127.0.0.1:1880/printhook\n"
    "Content-Type: application/json\n\n"
    "{\n  \"event\": \"PrintDone\",\n  \"topic\": \"Print Done\",\n  \"message\": \"Your print is done.\",\n"
    "  \"printer\": \"Prusa MK4\",\n  \"milestone\": 50,\n  \"progress\": 14.496484023169915,\n"
    "  \"state\": \"Printing\",\n  \"extra\": {\n    \"name\": \"example.gcode\",\n"
    "    \"path\": \"example.gcode\",\n    \"origin\": \"local\",\n    \"size\": 242038,\n"
    "    \"owner\": \"example_user\",\n    \"time\": 50.237335886\n  }\n}\n" },
};

START_TEST (test_presets_render_the_documented_bodies)
{
  const preset_case *c = &presets[_i];
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *hooks = g_build_filename (dir, "hooks.d", NULL);
  g_autofree char *main_file = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *source = g_build_filename (ph_test_srcdir (), "conf", "examples", c->file, NULL);
  g_autofree char *target = g_build_filename (hooks, c->file, NULL);
  g_autofree char *text = NULL;
  g_autofree char *env_path = g_strdup_printf ("PRINTHOOK_MODULE_PATH=%s/modules/.libs", ph_test_builddir ());
  const char *env[] = { env_path, NULL };
  const char *argv[] = { "render", "-c", main_file, c->hook, "PrintDone", NULL };
  g_autoptr (ph_run_result) r = NULL;

  g_mkdir (hooks, 0700);
  ck_assert (g_file_set_contents (main_file, "[printhook]\ndevice_identifier = Prusa MK4\n", -1, NULL));
  ck_assert (g_file_get_contents (source, &text, NULL, NULL));
  ck_assert (g_file_set_contents (target, text, -1, NULL));
  g_chmod (target, 0600);
  r = ph_run_printhook (argv, env, 30);
  ck_assert_msg (r->exit_status == 0, "%s: %s", c->file, r->err);
  ck_assert_str_eq (r->out, c->expected);
}
END_TEST

static Suite *
cli_suite (void)
{
  Suite *s = suite_create ("cli");
  TCase *tc = tcase_create ("cli");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_version_and_help);
  tcase_add_test (tc, test_usage_errors_exit_2);
  tcase_add_test (tc, test_check_accepts_the_good_config);
  tcase_add_loop_test (tc, test_check_rejects_each_broken_config_precisely, 0, G_N_ELEMENTS (broken_cases));
  tcase_add_test (tc, test_check_reports_a_missing_file);
  tcase_add_test (tc, test_render_fills_the_all_data_template);
  tcase_add_test (tc, test_render_shows_encoder_output_messages_and_redacts);
  tcase_add_test (tc, test_render_get_puts_data_in_the_query);
  tcase_add_test (tc, test_render_explains_a_wrong_hook_or_payload);
  tcase_add_test (tc, test_modules_lists_keys_and_problems);
  tcase_add_test (tc, test_shipped_configs_are_valid);
  tcase_add_loop_test (tc, test_presets_render_the_documented_bodies, 0, G_N_ELEMENTS (presets));
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  int status;

  ph_test_init ();
  module_env = g_strdup_printf ("PRINTHOOK_MODULE_PATH=%s", g_getenv ("PH_TEST_MODULE_DIR"));
  status = ph_test_run (cli_suite ());
  g_free (module_env);
  return status;
}
