/* The INI configuration: every key checked, every problem reported with its
 * file, line, group and key, and the hooks it defines. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "config_fixture.h"
#include "config/config_private.h"
#include "harness.h"
#include "delivery/host.h"
#include "text/json_text.h"

/* test-sender needs a label; give it one for every hook. */
#define HEADER "[printhook]\ntest-sender.label = L\n\n"
#define HOOK(body) HEADER "[hook h]\nurl = http://127.0.0.1:9/x\nmodules = test-sender\n" body
/* The same hook with a chain of its own. */
#define HOOK_CHAIN(chain, body) HEADER "[hook h]\nurl = http://127.0.0.1:9/x\nmodules = " chain "\n" body

static const ph_hook *
only_hook (const ph_loaded *loaded)
{
  ck_assert_msg (loaded->config != NULL, "config did not load");
  ck_assert_uint_eq (loaded->config->hooks->len, 1);
  return g_ptr_array_index (loaded->config->hooks, 0);
}

START_TEST (test_minimal_hook_gets_plugin_defaults)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK (""), NULL);
  const ph_hook *hook = only_hook (l);
  g_autofree char *data = ph_json_to_text (hook->data, FALSE);

  ph_assert_no_diag (l, PH_DIAG_ERROR);
  ph_assert_no_diag (l, PH_DIAG_WARNING);
  ck_assert_str_eq (hook->method, "POST");
  ck_assert_int_eq (hook->content_type, PH_CONTENT_JSON);
  ck_assert (hook->enabled);
  /* The old plugin's defaults: every event but progress. */
  ck_assert (ph_hook_subscribes (hook, "PrintStarted"));
  ck_assert (ph_hook_subscribes (hook, "printdone"));
  ck_assert (ph_hook_subscribes (hook, "UserActionNeeded"));
  ck_assert (!ph_hook_subscribes (hook, "PrintProgress"));
  ck_assert_str_eq (data, "{\"deviceIdentifier\":\"@deviceIdentifier\",\"apiSecret\":\"@apiSecret\","
                          "\"topic\":\"@topic\",\"message\":\"@message\",\"extra\":\"@extra\"}");
  ck_assert_int_eq (ph_hook_config_get_int (hook->config, "progress_step"), 10);
  ck_assert (ph_hook_config_get_double (hook->config, "timeout") == 15.0);
  ck_assert (ph_hook_config_get_double (hook->config, "connect_timeout") == 5.0);
  ck_assert (ph_hook_config_get_bool (hook->config, "tls_verify"));
  ck_assert (!ph_hook_config_get_bool (hook->config, "follow_redirects"));
  ck_assert_str_eq (ph_hook_message_template (hook, "PrintDone"), "Your print is done.");
}
END_TEST

START_TEST (test_unknown_key_names_file_line_and_suggestion)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("metod = PUT\n"), NULL);
  guint line;

  ck_assert (l->config == NULL);
  line = ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] metod", "did you mean 'method'?", PH_END);
  ck_assert_uint_eq (line, 7);
  ck_assert_str_eq (((ph_diag_entry *) g_ptr_array_index (l->diag->entries, 0))->file, l->path);
}
END_TEST

START_TEST (test_every_error_is_listed_not_only_the_first)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("method = FETCH\ncontent_type = xml\n"
                                                "progress_step = 0\ntimeout = soon\n"
                                                "enabled = maybe\n"), NULL);

  ck_assert (l->config == NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] progress_step", "from 1 to 99", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] timeout", "'soon' is not a number", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] enabled", "'maybe' is not true or false", PH_END);
}
END_TEST

START_TEST (test_bad_method_and_content_type)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("method = FETCH\ncontent_type = jsno\n"), NULL);

  ck_assert (l->config == NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] method", "'FETCH' is not one of POST, PUT, PATCH, DELETE, GET", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] content_type", "did you mean 'json'?", PH_END);
}
END_TEST

START_TEST (test_method_is_case_insensitive)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("method = patch\ncontent_type = Form\n"), NULL);
  const ph_hook *hook = only_hook (l);

  ck_assert_str_eq (hook->method, "PATCH");
  ck_assert_int_eq (hook->content_type, PH_CONTENT_FORM);
}
END_TEST

START_TEST (test_progress_step_range)
{
  g_autoptr (ph_loaded) low = ph_load_text (HOOK ("progress_step = 0\n"), NULL);
  g_autoptr (ph_loaded) high = ph_load_text (HOOK ("progress_step = 100\n"), NULL);
  g_autoptr (ph_loaded) ok = ph_load_text (HOOK ("progress_step = 99\n"), NULL);

  ph_assert_diag (low, PH_DIAG_ERROR, "progress_step", "'0' is not a whole number from 1 to 99", PH_END);
  ph_assert_diag (high, PH_DIAG_ERROR, "progress_step", "'100'", PH_END);
  ck_assert_int_eq (ph_hook_config_get_int (only_hook (ok)->config, "progress_step"), 99);
}
END_TEST

START_TEST (test_invalid_json_reports_parser_position)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("data = {\"topic\": \"@topic\" \"x\": 1}\n"), NULL);

  ck_assert (l->config == NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] data", "invalid JSON", "line 1, column", PH_END);
}
END_TEST

/* What check prints reaches the journal through systemctl reload: a URL's
 * password never stands in it, whatever the problem with the URL. */
START_TEST (test_url_errors_mask_the_credentials_they_quote)
{
  g_autoptr (ph_loaded) h = ph_load_text (HEADER "[hook h]\nurl = ftp://user:PASSWORD1@127.0.0.1/x\n"
                                          "modules = test-sender\n", NULL);
  g_autoptr (ph_loaded) s = ph_load_text (HEADER "[source mk3]\ntype = octoprint\n"
                                          "url = ftp://user:PASSWORD2@127.0.0.1\napi_key = k\n", NULL);

  ph_assert_diag (h, PH_DIAG_ERROR, "[hook h] url", "'ftp://****@127.0.0.1/x' is not an http:// or "
                  "https:// URL", PH_END);
  ph_assert_diag (s, PH_DIAG_ERROR, "[source mk3] url", "'ftp://****@127.0.0.1' is not an http:// "
                  "or https:// URL", PH_END);
  for (guint i = 0; i < h->diag->entries->len; i++)
    assert_lacks (((ph_diag_entry *) g_ptr_array_index (h->diag->entries, i))->text, "PASSWORD1");
  for (guint i = 0; i < s->diag->entries->len; i++)
    assert_lacks (((ph_diag_entry *) g_ptr_array_index (s->diag->entries, i))->text, "PASSWORD2");
}
END_TEST

/* Refused when checking, not only when sending (it would inject a header). */
START_TEST (test_header_value_with_a_line_break_is_refused)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("headers = {\"X-A\": \"one\\r\\nX-Evil: two\", "
                                                "\"X-B\": \"fine\\ttab\"}\n"), NULL);

  ck_assert (l->config == NULL);
  ck_assert_uint_eq (ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] headers", "header 'X-A' holds a "
                                     "line break", PH_END), 7);
  ck_assert_uint_eq (l->diag->entries->len, 1);
}
END_TEST

/* A module key's typo was not reported while the hook had errors of its
 * own keys: every problem of a hook is listed at once. */
START_TEST (test_module_key_typo_is_reported_beside_other_errors)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("method = FETCH\ntest-sender.lable = x\n"), NULL);

  ck_assert (l->config == NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] method", "'FETCH' is not one of", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] test-sender.lable", "label", PH_END);
}
END_TEST

/* The signature is right, but the spec's verifiers then parse the body
 * as JSON and fail; a JSON body or GitHub's scheme gets no warning. */
START_TEST (test_standard_signature_on_a_form_body_warns)
{
  g_autoptr (ph_loaded) form = ph_load_text (HOOK ("content_type = form\nsigning_secret = "
                                                   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), NULL);
  g_autoptr (ph_loaded) json = ph_load_text (HOOK ("signing_secret = "
                                                   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), NULL);
  g_autoptr (ph_loaded) github = ph_load_text (HOOK ("content_type = form\nsignature = github\n"
                                                     "signing_secret = s3cret\n"), NULL);

  ck_assert (form->config != NULL);
  ph_assert_diag (form, PH_DIAG_WARNING, "[hook h] signing_secret", "read the body as JSON",
                  "sends a form", "signature = github", PH_END);
  ph_assert_no_diag (json, PH_DIAG_WARNING);
  ph_assert_no_diag (github, PH_DIAG_WARNING);
}
END_TEST

START_TEST (test_json_number_that_is_not_finite_is_refused)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("data = {\"progress\": NaN, \"big\": 1e400}\n"), NULL);

  ck_assert (l->config == NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] data", "invalid JSON",
                  "line 1, column 14: NaN is not a finite number", PH_END);
}
END_TEST

START_TEST (test_data_must_be_an_object)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("data = [\"@topic\"]\n"), NULL);
  g_autoptr (ph_loaded) h = ph_load_text (HOOK ("headers = \"x\"\n"), NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] data", "must be a JSON object", "not array", PH_END);
  ph_assert_diag (h, PH_DIAG_ERROR, "[hook h] headers", "must be a JSON object", PH_END);
}
END_TEST

START_TEST (test_json_escapes_reach_the_parser_raw)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("data = {\"q\": \"say \\\"hi\\\"\", \"e\": \"caf\\u00e9\"}\n"), NULL);
  const ph_hook *hook = only_hook (l);
  g_autofree char *data = ph_json_to_text (hook->data, FALSE);

  ck_assert_str_eq (data, "{\"q\":\"say \\\"hi\\\"\",\"e\":\"café\"}");
}
END_TEST

START_TEST (test_data_file_is_relative_to_its_file)
{
  const char *missing[] = { "ha.conf", "[hook file-hook]\nurl = http://127.0.0.1:9/\n"
                            "modules = test-sender\ndata_file = ha.json\n", NULL };
  const char *present[] = { "ha.conf", "[hook file-hook]\nurl = http://127.0.0.1:9/\n"
                            "modules = test-sender\ndata_file = ha.json\n",
                            "ha.json", "{\n  \"topic\": \"@topic\"\n}\n", NULL };
  g_autoptr (ph_loaded) without = ph_load_text (HEADER, missing);
  g_autoptr (ph_loaded) with = ph_load_text (HEADER, present);
  g_autofree char *data = NULL;

  /* The error names the key and the path it looked at: beside ha.conf. */
  ph_assert_diag (without, PH_DIAG_ERROR, "[hook file-hook] data_file", "cannot read",
                  "hooks.d/ha.json", PH_END);
  ck_assert (with->config != NULL);
  data = ph_json_to_text (((ph_hook *) g_ptr_array_index (with->config->hooks, 0))->data, FALSE);
  ck_assert_str_eq (data, "{\"topic\":\"@topic\"}");
}
END_TEST

START_TEST (test_data_file_multiline_json_and_snapshot_field)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *json_path = g_build_filename (dir, "body.json", NULL);
  g_autofree char *main = NULL;
  g_autoptr (ph_loaded) l = NULL;
  g_autofree char *data = NULL;
  const ph_hook *hook;

  ck_assert (g_file_set_contents (json_path, "{\n  \"topic\": \"@topic\",\n  \"snap\": \"@snapshot\",\n"
                                             "  \"nested\": {\"img\": \"@snapshot\"}\n}\n", -1, NULL));
  main = g_strdup_printf (HOOK ("data_file = %s\n"), json_path);
  l = ph_load_text (main, NULL);
  hook = only_hook (l);
  data = ph_json_to_text (hook->data, FALSE);
  /* Only a top-level "@snapshot" value is special, and it leaves the data. */
  ck_assert_str_eq (hook->snapshot_field, "snap");
  ck_assert_str_eq (data, "{\"topic\":\"@topic\",\"nested\":{\"img\":\"@snapshot\"}}");
}
END_TEST

START_TEST (test_data_and_data_file_together_is_an_error)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("data = {}\ndata_file = x.json\n"), NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "data_file", "either data or data_file", PH_END);
}
END_TEST

START_TEST (test_invalid_json_in_data_file_names_the_file_and_position)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *json_path = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *main = NULL;
  g_autoptr (ph_loaded) l = NULL;

  ck_assert (g_file_set_contents (json_path, "{\n  \"a\": 1,\n  \"b\": tru\n}\n", -1, NULL));
  main = g_strdup_printf (HOOK ("data_file = %s\n"), json_path);
  l = ph_load_text (main, NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "data_file", "bad.json", "line 3", PH_END);
}
END_TEST

START_TEST (test_duplicate_hook_names_across_files)
{
  const char *hooks[] = { "a.conf", "[hook same]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n",
                          "b.conf", "[hook same]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n",
                          NULL };
  g_autoptr (ph_loaded) l = ph_load_text (HEADER, hooks);

  ck_assert (l->config == NULL);
  ph_assert_diag (l, PH_DIAG_ERROR, "hook 'same' is already defined in", "a.conf", PH_END);
}
END_TEST

START_TEST (test_duplicate_group_and_key_in_one_file)
{
  g_autoptr (ph_loaded) g = ph_load_text (HOOK ("\n[hook h]\nurl = http://127.0.0.1:9/y\n"), NULL);
  g_autoptr (ph_loaded) k = ph_load_text (HOOK ("url = http://127.0.0.1:9/z\n"), NULL);

  ck_assert_uint_eq (ph_assert_diag (g, PH_DIAG_ERROR, "[hook h] is given twice (first on line 4)", PH_END), 8);
  ck_assert_uint_eq (ph_assert_diag (k, PH_DIAG_ERROR, "[hook h] url is set twice (first on line 5)", PH_END), 7);
}
END_TEST

START_TEST (test_hooks_d_files_are_read_in_sorted_order)
{
  const char *hooks[] = { "20-b.conf", "[hook second]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n",
                          "10-a.conf", "[hook first]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n",
                          "ignored.txt", "[hook never]\n", NULL };
  g_autoptr (ph_loaded) l = ph_load_text (HEADER, hooks);

  ck_assert (l->config != NULL);
  ck_assert_uint_eq (l->config->hooks->len, 2);
  ck_assert_str_eq (((ph_hook *) g_ptr_array_index (l->config->hooks, 0))->name, "first");
  ck_assert_str_eq (((ph_hook *) g_ptr_array_index (l->config->hooks, 1))->name, "second");
}
END_TEST

/* [console] hooks_dir: read after hooks.d/, a name in both an error; the
 * console's check (ph_config_load_overlay) sees a file that does not
 * exist yet and leaves out one that is removed. */
START_TEST (test_console_hooks_dir_is_read_last_and_overlaid)
{
  const char *hooks[] = { "10-a.conf", "[hook from-etc]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n",
                          NULL };
  g_autoptr (ph_loaded) l = ph_load_text (HEADER "[console]\nenabled = false\nhooks_dir = edited\n",
                                          hooks);
  g_autofree char *edited = g_build_filename (l->dir, "edited", NULL);
  g_autofree char *first = g_build_filename (edited, "0-first.conf", NULL);
  g_autofree char *twice = g_build_filename (edited, "twice.conf", NULL);
  g_autofree char *absent = g_build_filename (edited, "new.conf", NULL);
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autoptr (ph_config) config = NULL;
  g_autoptr (GHashTable) overlay = g_hash_table_new (g_str_hash, g_str_equal);

  ck_assert_int_eq (g_mkdir (edited, 0700), 0);
  ck_assert (g_file_set_contents (first, "[hook edited-one]\nurl = http://127.0.0.1:9/\n"
                                         "modules = test-sender\n", -1, NULL));
  config = ph_config_load (l->path, ph_host (), diag);
  ck_assert_ptr_nonnull (config);
  ck_assert_str_eq (config->console.hooks_dir, edited);
  ck_assert_uint_eq (config->hooks->len, 2);
  /* After every file of hooks.d/, whatever their names. */
  ck_assert_str_eq (((ph_hook *) g_ptr_array_index (config->hooks, 0))->name, "from-etc");
  ck_assert_str_eq (((ph_hook *) g_ptr_array_index (config->hooks, 1))->name, "edited-one");
  g_clear_pointer (&config, ph_config_free);

  ck_assert (g_file_set_contents (twice, "[hook from-etc]\nurl = http://127.0.0.1:9/\n"
                                         "modules = test-sender\n", -1, NULL));
  config = ph_config_load (l->path, ph_host (), diag);
  ck_assert_ptr_null (config);
  ck_assert_uint_eq (ph_diag_count (diag, PH_DIAG_ERROR), 1);
  assert_contains (((ph_diag_entry *) g_ptr_array_index (diag->entries, 0))->text,
                   "hook 'from-etc' is already defined in");
  ck_assert_str_eq (((ph_diag_entry *) g_ptr_array_index (diag->entries, 0))->file, twice);

  /* The same directory with twice.conf left out and new.conf added. */
  g_hash_table_insert (overlay, twice, NULL);
  g_hash_table_insert (overlay, absent, (gpointer) "[hook brand-new]\nurl = http://127.0.0.1:9/\n"
                                                   "modules = test-sender\n");
  ph_diag_free (g_steal_pointer (&diag));
  diag = ph_diag_new ();
  config = ph_config_load_overlay (l->path, ph_host (), NULL, overlay, diag);
  ck_assert_msg (config != NULL, "the overlay has errors");
  ck_assert_uint_eq (config->hooks->len, 3);
  ck_assert_str_eq (((ph_hook *) g_ptr_array_index (config->hooks, 2))->name, "brand-new");
  ck_assert (!g_file_test (absent, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_enabled_hook_needs_url)
{
  g_autoptr (ph_loaded) empty = ph_load_text (HEADER "[hook h]\nurl =\nmodules = test-sender\n", NULL);
  g_autoptr (ph_loaded) missing = ph_load_text (HEADER "[hook h]\nmodules = test-sender\n", NULL);
  g_autoptr (ph_loaded) disabled = ph_load_text (HEADER "[hook h]\nenabled = false\nmodules = test-sender\n", NULL);

  ph_assert_diag (empty, PH_DIAG_ERROR, "[hook h] url", "needs a url", PH_END);
  ph_assert_diag (missing, PH_DIAG_ERROR, "[hook h]", "needs a url", PH_END);
  ck_assert (!only_hook (disabled)->enabled);
}
END_TEST

START_TEST (test_url_must_be_http_or_https)
{
  g_autoptr (ph_loaded) l = ph_load_text (HEADER "[hook h]\nurl = file:///etc/passwd\nmodules = test-sender\n", NULL);
  g_autoptr (ph_loaded) t = ph_load_text (HEADER "[hook h]\nurl = http://h/@{topic\nmodules = test-sender\n", NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h] url", "not an http:// or https:// URL", PH_END);
  ph_assert_diag (t, PH_DIAG_ERROR, "[hook h] url", "@{", PH_END);
}
END_TEST

START_TEST (test_unknown_group_is_rejected_with_hint)
{
  g_autoptr (ph_loaded) l = ph_load_text (HEADER "[hoook x]\nurl = http://h/\n", NULL);
  g_autoptr (ph_loaded) s = ph_load_text (HEADER "[source octoprint]\nurl = http://127.0.0.1:5000\n", NULL);
  g_autoptr (ph_loaded) t = ph_load_text (HEADER "[source farm]\ntype = repetier\nurl = http://127.0.0.1:5000\n", NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "[hoook x]", "did you mean [hook NAME]?", PH_END);
  ph_assert_diag (s, PH_DIAG_ERROR, "[source octoprint]", "a source needs a type", PH_END);
  ph_assert_diag (t, PH_DIAG_ERROR, "[source farm] type", "'repetier' is not a source type", PH_END);
}
END_TEST

/* [source NAME] type = bambu: host, serial and access_code required, the
 * defaults filled in, the other kinds' keys refused by name, a serial
 * that could not be in a topic refused. */
START_TEST (test_bambu_source_keys)
{
  g_autoptr (ph_loaded) good = ph_load_text (HEADER "[source x1]\ntype = bambu\n"
                                             "host = 127.0.0.1\nserial = 01S00C123456789\n"
                                             "access_code = 12345678\n", NULL);
  g_autoptr (ph_loaded) set = ph_load_text (HEADER "[source p1]\ntype = Bambu\nhost = p1.lan\n"
                                            "serial = 01P00A1\naccess_code = 8765\nport = 1883\n"
                                            "tls_ca_file = my-ca.pem\ntls_verify = false\n", NULL);
  g_autoptr (ph_loaded) bad = ph_load_text (HEADER "[source a1]\ntype = bambu\nhost =\n"
                                            "serial = 03+1\nurl = http://a1.lan\n"
                                            "port = 70000\n", NULL);
  g_autoptr (ph_loaded) foreign = ph_load_text (HEADER "[source mk4]\ntype = octoprint\n"
                                                "url = http://o.lan\napi_key = k\n"
                                                "serial = 1\n", NULL);
  const ph_source_config *x1, *p1;

  ck_assert_ptr_nonnull (good->config);
  x1 = g_ptr_array_index (good->config->sources, 0);
  ck_assert_int_eq (x1->type, PH_SOURCE_BAMBU);
  ck_assert_str_eq (ph_source_type_name (x1->type), "bambu");
  ck_assert_str_eq (x1->host, "127.0.0.1");
  ck_assert_str_eq (x1->serial, "01S00C123456789");
  ck_assert_str_eq (x1->access_code, "12345678");
  ck_assert_uint_eq (x1->port, 8883);
  ck_assert (g_str_has_suffix (x1->tls_ca_file, "/bambu-ca.pem"));
  ck_assert (x1->tls_verify);
  ck_assert_ptr_null (x1->url);

  ck_assert_ptr_nonnull (set->config);
  p1 = g_ptr_array_index (set->config->sources, 0);
  ck_assert_uint_eq (p1->port, 1883);
  ck_assert (g_str_has_suffix (p1->tls_ca_file, "/my-ca.pem") && g_path_is_absolute (p1->tls_ca_file));
  ck_assert (!p1->tls_verify);

  ck_assert_ptr_null (bad->config);
  ph_assert_diag (bad, PH_DIAG_ERROR, "[source a1] host", "a bambu source needs a value for host",
                  PH_END);
  ph_assert_diag (bad, PH_DIAG_ERROR, "[source a1]", "a bambu source needs access_code",
                  "Settings > Network", PH_END);
  ph_assert_diag (bad, PH_DIAG_ERROR, "[source a1] serial", "'03+1' cannot be a serial", PH_END);
  ph_assert_diag (bad, PH_DIAG_ERROR, "[source a1] url", "a bambu source has no url", PH_END);
  ph_assert_diag (bad, PH_DIAG_ERROR, "[source a1] port", "70000", PH_END);
  ck_assert_ptr_null (foreign->config);
  ph_assert_diag (foreign, PH_DIAG_ERROR, "[source mk4] serial", "a key of bambu sources only",
                  PH_END);
}
END_TEST

/* A hook wanting @snapshot beside a Bambu Lab source, without a
 * snapshot.url of its own, is told what to set; one with it is not. */
START_TEST (test_bambu_snapshot_needs_a_url)
{
#define BAMBU_SOURCE "[source x1]\ntype = bambu\nhost = 127.0.0.1\nserial = 00M\naccess_code = 1\n"
#define SNAP_HOOK "[hook h]\nurl = http://h/\ndata = {\"snap\": \"@snapshot\"}\n"
  g_autoptr (ph_loaded) rtsp = ph_load_text (HEADER BAMBU_SOURCE "camera = rtsp\n" SNAP_HOOK, NULL);
  g_autoptr (ph_loaded) none = ph_load_text (HEADER BAMBU_SOURCE "camera = none\n" SNAP_HOOK, NULL);
  g_autoptr (ph_loaded) with_url = ph_load_text (HEADER BAMBU_SOURCE "camera = rtsp\n" SNAP_HOOK
                                                 "snapshot.url = http://127.0.0.1:1984/f.jpeg\n",
                                                 NULL);
  g_autoptr (ph_loaded) automatic = ph_load_text (HEADER BAMBU_SOURCE SNAP_HOOK, NULL);
  g_autoptr (ph_loaded) jpeg = ph_load_text (HEADER BAMBU_SOURCE "camera = JPEG\n" SNAP_HOOK, NULL);
  g_autoptr (ph_loaded) no_bambu = ph_load_text (HEADER SNAP_HOOK, NULL);
#undef BAMBU_SOURCE
#undef SNAP_HOOK

  ck_assert_ptr_nonnull (rtsp->config);
  ph_assert_diag (rtsp, PH_DIAG_WARNING, "[hook h] data", "Bambu Lab printer's event (source x1)",
                  "camera = rtsp (X1, P2S, H2) has no still image", "set snapshot.url", PH_END);
  ph_assert_diag (none, PH_DIAG_WARNING, "[hook h] data", "camera = none", "set snapshot.url",
                  PH_END);
  ph_assert_no_diag (with_url, PH_DIAG_WARNING);
  /* A P1's camera is the source's own: nothing to set. */
  ph_assert_no_diag (automatic, PH_DIAG_WARNING);
  ph_assert_no_diag (jpeg, PH_DIAG_WARNING);
  ph_assert_no_diag (no_bambu, PH_DIAG_WARNING);
}
END_TEST

/* camera takes auto, jpeg, rtsp or none, and camera_port a port; a wrong
 * one is named at its line with the right spelling. */
START_TEST (test_bambu_camera_keys)
{
#define BAMBU_SOURCE "[source p1]\ntype = bambu\nhost = 127.0.0.1\nserial = 01P\naccess_code = 1\n"
  g_autoptr (ph_loaded) set = ph_load_text (HEADER BAMBU_SOURCE "camera = jpeg\ncamera_port = 6001\n"
                                            "[hook h]\nurl = http://h/\n", NULL);
  g_autoptr (ph_loaded) defaults = ph_load_text (HEADER BAMBU_SOURCE "[hook h]\nurl = http://h/\n",
                                                 NULL);
  g_autoptr (ph_loaded) misspelt = ph_load_text (HEADER BAMBU_SOURCE "camera = rtps\n"
                                                 "[hook h]\nurl = http://h/\n", NULL);
  g_autoptr (ph_loaded) bad_port = ph_load_text (HEADER BAMBU_SOURCE "camera_port = 70000\n"
                                                 "[hook h]\nurl = http://h/\n", NULL);
  g_autoptr (ph_loaded) on_octoprint = ph_load_text (HEADER "[source o]\ntype = octoprint\n"
                                                     "url = http://127.0.0.1/\napi_key = k\n"
                                                     "camera = jpeg\n[hook h]\nurl = http://h/\n",
                                                     NULL);
#undef BAMBU_SOURCE
  const ph_source_config *source;

  ck_assert_ptr_nonnull (set->config);
  source = g_ptr_array_index (set->config->sources, 0);
  ck_assert_int_eq (source->camera, PH_BAMBU_CAMERA_JPEG);
  ck_assert_uint_eq (source->camera_port, 6001);
  source = g_ptr_array_index (defaults->config->sources, 0);
  ck_assert_int_eq (source->camera, PH_BAMBU_CAMERA_AUTO);
  ck_assert_uint_eq (source->camera_port, 6000);
  ck_assert_ptr_null (misspelt->config);
  ph_assert_diag (misspelt, PH_DIAG_ERROR, "camera", "'rtps' is not a camera",
                  "did you mean 'rtsp'?", PH_END);
  ck_assert_ptr_null (bad_port->config);
  ph_assert_diag (bad_port, PH_DIAG_ERROR, "camera_port", PH_END);
  ck_assert_ptr_null (on_octoprint->config);
  ph_assert_diag (on_octoprint, PH_DIAG_ERROR, "camera", "bambu sources only", PH_END);
}
END_TEST

START_TEST (test_invalid_hook_name)
{
  g_autoptr (ph_loaded) l = ph_load_text (HEADER "[hook my hook]\nurl = http://h/\n", NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "[hook my hook]", "letters, digits", PH_END);
}
END_TEST

START_TEST (test_events_list_star_and_case)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("events = printdone; PrintProgress , PrintResumed\n"), NULL);
  g_autoptr (ph_loaded) all = ph_load_text (HOOK ("events = *\n"), NULL);
  const ph_hook *hook = only_hook (l);

  ck_assert_str_eq (hook->events[0], "PrintDone");
  ck_assert_str_eq (hook->events[1], "PrintProgress");
  ck_assert_str_eq (hook->events[2], "PrintResumed");
  ck_assert_ptr_null (hook->events[3]);
  ck_assert (ph_hook_subscribes (hook, "printresumed"));
  ck_assert (!ph_hook_subscribes (hook, "PrintStarted"));
  ck_assert (ph_hook_subscribes (only_hook (all), "AnythingAtAll"));
}
END_TEST

START_TEST (test_misspelt_event_is_a_warning_with_hint)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("events = PrintDon\n"), NULL);
  g_autoptr (ph_loaded) bad = ph_load_text (HOOK ("events = Print Done\n"), NULL);

  ck_assert (l->config != NULL);
  ph_assert_diag (l, PH_DIAG_WARNING, "'PrintDon' is not a built-in event", "did you mean 'PrintDone'?", PH_END);
  ph_assert_diag (bad, PH_DIAG_ERROR, "'Print Done' is not an event name", PH_END);
}
END_TEST

START_TEST (test_message_keys_per_event)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("events = PrintDone, PrintResumed\n"
                                                "message.PrintDone = @extra.name is done\n"
                                                "message.printresumed = Back at it\n"
                                                "message.PrintFailed = never used\n"), NULL);
  const ph_hook *hook = only_hook (l);

  ck_assert_str_eq (ph_hook_message_template (hook, "PrintDone"), "@extra.name is done");
  ck_assert_str_eq (ph_hook_message_template (hook, "PrintResumed"), "Back at it");
  /* A custom event without a message gets its own name. */
  ck_assert_str_eq (ph_hook_message_template (hook, "FilamentChange"), "FilamentChange");
  ph_assert_diag (l, PH_DIAG_WARNING, "message.PrintFailed", "does not subscribe to PrintFailed", PH_END);
}
END_TEST

START_TEST (test_printhook_group_gives_defaults_to_every_hook)
{
  g_autoptr (ph_loaded) l = ph_load_text ("[printhook]\ntest-sender.label = L\ndevice_identifier = Garage\n"
                                          "timeout = 3\nmessage.PrintDone = Done!\n\n"
                                          "[hook a]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n\n"
                                          "[hook b]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n"
                                          "timeout = 7\ndevice_identifier = Shed\ntest-sender.label = own\n",
                                          NULL);
  const ph_hook *a, *b;

  ck_assert (l->config != NULL);
  a = ph_config_find_hook (l->config, "a");
  b = ph_config_find_hook (l->config, "b");
  ck_assert_str_eq (ph_hook_config_get_string (a->config, "device_identifier"), "Garage");
  ck_assert_str_eq (ph_hook_config_get_string (b->config, "device_identifier"), "Shed");
  ck_assert (ph_hook_config_get_double (a->config, "timeout") == 3.0);
  ck_assert (ph_hook_config_get_double (b->config, "timeout") == 7.0);
  ck_assert (ph_hook_config_is_set (a->config, "timeout"));
  ck_assert (!ph_hook_config_is_set (a->config, "cooldown"));
  ck_assert_str_eq (ph_hook_config_get_string (a->config, "test-sender.label"), "L");
  ck_assert_str_eq (ph_hook_config_get_string (b->config, "test-sender.label"), "own");
  ck_assert_str_eq (ph_hook_message_template (a, "PrintDone"), "Done!");
}
END_TEST

START_TEST (test_console_group_defaults_and_values)
{
  g_autoptr (ph_loaded) none = ph_load_text (HOOK (""), NULL);
  g_autoptr (ph_loaded) set = ph_load_text (
      "[console]\nenabled = false\nlisten = [::1]:0, localhost:7131\ntoken_file = t.token\n"
      "history = 5\n" HOOK (""), NULL);
  const ph_console_config *c;

  ck_assert_ptr_nonnull (none->config);
  c = &none->config->console;
  ck_assert (c->enabled);
  ck_assert_str_eq (c->listen[0], "127.0.0.1:7130");
  ck_assert_ptr_null (c->listen[1]);
  ck_assert_str_eq (c->token_file, "/var/lib/printhook/console.token");
  ck_assert_ptr_null (c->tls_cert);
  ck_assert_uint_eq (c->history, 1000);
  ck_assert_ptr_nonnull (set->config);
  ph_assert_no_diag (set, PH_DIAG_ERROR);
  c = &set->config->console;
  ck_assert (!c->enabled);
  ck_assert_str_eq (c->listen[0], "[::1]:0");
  ck_assert_str_eq (c->listen[1], "localhost:7131");
  /* Relative to the file, as every path. */
  ck_assert (g_str_has_prefix (c->token_file, set->dir));
  ck_assert (g_str_has_suffix (c->token_file, "/t.token"));
  ck_assert_uint_eq (c->history, 5);
}
END_TEST

START_TEST (test_console_group_problems_name_the_key)
{
  g_autoptr (ph_loaded) l = ph_load_text (
      "[console]\nlisten = 127.0.0.1, :80, host:99999, [::1]7130, 0.0.0.0:7130\n"
      "tls_cert = /nonexistent/console.crt\nenabel = true\nhistory = -1\n" HOOK (""),
      (const char *const[]) { "late.conf", "[console]\nenabled = false\n", NULL });

  ck_assert_ptr_null (l->config);
  ck_assert_uint_eq (ph_assert_diag (l, PH_DIAG_ERROR, "[console] listen",
                                     "'127.0.0.1' is not an address", PH_END), 2);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] listen", "':80'", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] listen", "'host:99999': the port", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] listen", "[::1]7130", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] tls_cert", "both tls_cert and tls_key", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] enabel", "did you mean 'enabled'?", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] history", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] belongs in", "not in hooks.d", PH_END);
}
END_TEST

START_TEST (test_console_tls_files_are_loaded_by_check)
{
  g_autofree char *main = g_strdup_printf ("[console]\ntls_cert = %s/tests/configs/good/printhook.conf\n"
                                           "tls_key = %s/tests/configs/good/printhook.conf\n" HOOK (""),
                                           ph_test_srcdir (), ph_test_srcdir ());
  g_autoptr (ph_loaded) l = ph_load_text (main, NULL);

  ck_assert_ptr_null (l->config);
  ph_assert_diag (l, PH_DIAG_ERROR, "[console] tls_cert", "cannot use", PH_END);
}
END_TEST

START_TEST (test_printhook_group_rejects_per_hook_keys_and_unknown_keys)
{
  g_autoptr (ph_loaded) l = ph_load_text ("[printhook]\nurl = http://h/\nspoool = /tmp/x\n", NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "[printhook] url", "only be set in a [hook NAME]", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "[printhook] spoool", "did you mean 'spool'?", PH_END);
}
END_TEST

START_TEST (test_spool_max_deliveries_is_read_and_bounded)
{
  g_autoptr (ph_loaded) set = ph_load_text ("[printhook]\nspool.max_deliveries = 250\n", NULL);
  g_autoptr (ph_loaded) unset = ph_load_text ("[printhook]\nspool = /tmp/spool.db\n", NULL);
  g_autoptr (ph_loaded) no_group = ph_load_text ("# nothing\n", NULL);
  g_autoptr (ph_loaded) zero = ph_load_text ("[printhook]\nspool.max_deliveries = 0\n", NULL);

  ck_assert_ptr_nonnull (set->config);
  ck_assert_uint_eq (set->config->spool_max_deliveries, 250);
  ck_assert_ptr_nonnull (unset->config);
  ck_assert_uint_eq (unset->config->spool_max_deliveries, 10000);
  ck_assert_ptr_nonnull (no_group->config);
  ck_assert_uint_eq (no_group->config->spool_max_deliveries, 10000);
  ck_assert_ptr_null (zero->config);
  ph_assert_diag (zero, PH_DIAG_ERROR, "[printhook] spool.max_deliveries", PH_END);
}
END_TEST

START_TEST (test_module_keys_are_typed_and_validated)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK_CHAIN ("test-prepare, test-sender", "test-prepare.greeting = hey\ntest-prepare.count = 3\n"
                                                "test-prepare.loud = yes\ntest-prepare.extra = {\"a\": [1]}\n"), NULL);
  const ph_hook *hook = only_hook (l);

  ck_assert_str_eq (ph_hook_config_get_string (hook->config, "test-prepare.greeting"), "hey");
  ck_assert_int_eq (ph_hook_config_get_int (hook->config, "test-prepare.count"), 3);
  ck_assert (ph_hook_config_get_bool (hook->config, "test-prepare.loud"));
  ck_assert (ph_hook_config_get_double (hook->config, "test-prepare.ratio") == 0.5);
  ck_assert (json_object_is_type (ph_hook_config_get_json (hook->config, "test-prepare.extra"), json_type_object));
  ck_assert_uint_eq (hook->chain->len, 2);
}
END_TEST

START_TEST (test_module_key_errors)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK_CHAIN ("test-prepare, test-sender", "test-prepare.count = 11\ntest-prepare.greting = x\n"
                                                "test-prepare.extra = [1]\n"), NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "test-prepare.count", "from 1 to 10", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "test-prepare.greting", "did you mean 'test-prepare.greeting'?", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "test-prepare.extra", "must be a JSON object", PH_END);
}
END_TEST

START_TEST (test_unknown_module_in_key_and_in_chain)
{
  g_autoptr (ph_loaded) key = ph_load_text (HOOK ("nosuch.url = http://h/\n"), NULL);
  g_autoptr (ph_loaded) chain = ph_load_text (HEADER "[hook h]\nurl = http://h/\nmodules = test-sendr\n", NULL);

  ph_assert_diag (key, PH_DIAG_ERROR, "[hook h] nosuch.url", "no module named 'nosuch'", PH_END);
  ph_assert_diag (chain, PH_DIAG_ERROR, "[hook h] modules", "no module named 'test-sendr'",
                  "did you mean 'test-sender'?", PH_END);
}
END_TEST

START_TEST (test_module_key_outside_the_chain_is_a_warning)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("test-prepare.greeting = hey\n"), NULL);

  ck_assert (l->config != NULL);
  ph_assert_diag (l, PH_DIAG_WARNING, "test-prepare.greeting", "not in this hook's chain", PH_END);
}
END_TEST

START_TEST (test_required_module_key)
{
  g_autoptr (ph_loaded) l = ph_load_text ("[hook h]\nurl = http://h/\nmodules = test-sender\n", NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "module 'test-sender' needs test-sender.label", PH_END);
}
END_TEST

START_TEST (test_module_cross_field_rule_reaches_the_user)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK_CHAIN ("test-prepare, test-sender", "test-prepare.loud = true\ntest-prepare.count = 7\n"), NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "[hook h]", "module 'test-prepare'", "at most 5 when", PH_END);
}
END_TEST

START_TEST (test_module_that_fails_to_start)
{
  g_autoptr (ph_loaded) l = ph_load_text (HEADER "[hook h]\nurl = http://h/\nmodules = bad-init\n", NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "module 'bad-init'", "failed to start: no webcam here", PH_END);
}
END_TEST

START_TEST (test_chain_is_sorted_by_stage_and_checked)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK_CHAIN ("test-sender, test-encode, test-prepare", ""), NULL);
  g_autoptr (ph_loaded) no_sender = ph_load_text (HOOK_CHAIN ("test-prepare", ""), NULL);
  g_autoptr (ph_loaded) twice = ph_load_text (HOOK_CHAIN ("test-sender, test-sender", ""), NULL);
  g_autoptr (ph_loaded) two_senders = ph_load_text (HOOK_CHAIN ("test-sender, bad-no-symbol", ""), NULL);
  const ph_hook *hook = only_hook (l);

  ck_assert_str_eq (((ph_chain_link *) g_ptr_array_index (hook->chain, 0))->module->name, "test-prepare");
  ck_assert_str_eq (((ph_chain_link *) g_ptr_array_index (hook->chain, 1))->module->name, "test-encode");
  ck_assert_str_eq (((ph_chain_link *) g_ptr_array_index (hook->chain, 2))->module->name, "test-sender");
  ph_assert_diag (no_sender, PH_DIAG_ERROR, "no send module", PH_END);
  ph_assert_diag (twice, PH_DIAG_ERROR, "'test-sender' is listed twice", PH_END);
  ph_assert_diag (two_senders, PH_DIAG_ERROR, "bad-no-symbol", "does not export", PH_END);
}
END_TEST

START_TEST (test_headers_are_checked)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("headers = {\"Bad Name\": \"x\", \"X-Obj\": {\"a\": 1}, "
                                                "\"X-Num\": 5, \"X-T\": \"@{oops\"}\n"), NULL);

  ph_assert_diag (l, PH_DIAG_ERROR, "'Bad Name' is not a valid header name", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "header 'X-Obj' must be a string", PH_END);
  ph_assert_diag (l, PH_DIAG_ERROR, "header 'X-T'", PH_END);
}
END_TEST

START_TEST (test_signing_secret_rules)
{
  g_autoptr (ph_loaded) ok = ph_load_text (HOOK ("signing_secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), NULL);
  g_autoptr (ph_loaded) prefix = ph_load_text (HOOK ("signing_secret = MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), NULL);
  g_autoptr (ph_loaded) github = ph_load_text (HOOK ("signature = github\nsigning_secret = any text\n"), NULL);
  g_autoptr (ph_loaded) short_key = ph_load_text (HOOK ("signing_secret = whsec_YWJj\n"), NULL);
  g_autoptr (ph_loaded) kind = ph_load_text (HOOK ("signature = gitlab\n"), NULL);

  ck_assert (ok->config != NULL);
  ph_assert_no_diag (ok, PH_DIAG_WARNING);
  ph_assert_diag (prefix, PH_DIAG_ERROR, "signing_secret", "starts with whsec_", PH_END);
  ck_assert (github->config != NULL);
  ph_assert_diag (short_key, PH_DIAG_WARNING, "signing_secret", "3 bytes", PH_END);
  ph_assert_diag (kind, PH_DIAG_ERROR, "signature", "'gitlab' is not standard or github", PH_END);
}
END_TEST

START_TEST (test_tls_settings)
{
  g_autoptr (ph_loaded) off = ph_load_text (HOOK ("tls_verify = false\n"), NULL);
  g_autoptr (ph_loaded) ca = ph_load_text (HOOK ("tls_ca_file = /nonexistent/ca.pem\n"), NULL);

  ck_assert (off->config != NULL);
  ph_assert_diag (off, PH_DIAG_WARNING, "tls_verify", "not checked", PH_END);
  ph_assert_diag (ca, PH_DIAG_ERROR, "tls_ca_file", "/nonexistent/ca.pem does not exist", PH_END);
}
END_TEST

/* A CA file with no certificate in it passed check, and every delivery
 * then failed until it was a dead letter. */
START_TEST (test_ca_file_without_a_certificate_is_refused)
{
  g_autofree char *empty = ph_test_write_file ("empty.pem", "# no certificate here\n");
  g_autofree char *pem = ph_test_write_file ("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"
                                                       "-----END CERTIFICATE-----\n");
  g_autofree char *bad_text = g_strdup_printf (HOOK ("tls_ca_file = %s\n"), empty);
  g_autofree char *good_text = g_strdup_printf (HOOK ("tls_ca_file = %s\n"), pem);
  g_autoptr (ph_loaded) bad = ph_load_text (bad_text, NULL);
  g_autoptr (ph_loaded) good = ph_load_text (good_text, NULL);
  g_autofree char *said = g_strdup_printf ("%s holds no PEM certificate", empty);

  ck_assert (bad->config == NULL);
  ph_assert_diag (bad, PH_DIAG_ERROR, "[hook h] tls_ca_file", said, PH_END);
  ck_assert (good->config != NULL);
}
END_TEST

START_TEST (test_retry_schedule)
{
  g_autoptr (ph_loaded) ok = ph_load_text (HOOK ("retry.schedule = 1, 2.5; 60\n"), NULL);
  g_autoptr (ph_loaded) bad = ph_load_text (HOOK ("retry.schedule = 1, soon, -3\n"), NULL);
  const char *const *list = ph_hook_config_get_list (only_hook (ok)->config, "retry.schedule");

  ck_assert_str_eq (list[0], "1");
  ck_assert_str_eq (list[1], "2.5");
  ck_assert_str_eq (list[2], "60");
  ph_assert_diag (bad, PH_DIAG_ERROR, "retry.schedule", "'soon'", PH_END);
  ph_assert_diag (bad, PH_DIAG_ERROR, "retry.schedule", "'-3'", PH_END);
}
END_TEST

START_TEST (test_world_readable_secret_warns)
{
  g_autoptr (ph_loaded) l = ph_load_text (HOOK ("api_secret = hunter2\n"), NULL);
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autoptr (ph_config) config = NULL;

  ck_assert (l->config != NULL);
  ph_assert_no_diag (l, PH_DIAG_WARNING);
  g_chmod (l->path, 0644);
  config = ph_config_load (l->path, ph_host (), diag);
  ck_assert (config != NULL);
  ck_assert_uint_eq (ph_diag_count (diag, PH_DIAG_WARNING), 1);
  ck_assert_ptr_nonnull (strstr (((ph_diag_entry *) g_ptr_array_index (diag->entries, 0))->text,
                                 "holds a secret but every user can read it"));
}
END_TEST

START_TEST (test_syntax_errors_have_line_numbers)
{
  g_autoptr (ph_loaded) l = ph_load_text ("orphan = 1\n[printhook]\nnot a pair\n[broken\n", NULL);

  ck_assert (l->config == NULL);
  ck_assert_uint_eq (ph_assert_diag (l, PH_DIAG_ERROR, "before the first [group]", PH_END), 1);
  ck_assert_uint_eq (ph_assert_diag (l, PH_DIAG_ERROR, "'not a pair' is not 'key = value'", PH_END), 3);
  ck_assert_uint_eq (ph_assert_diag (l, PH_DIAG_ERROR, "'[broken' is not a valid group header", PH_END), 4);
}
END_TEST

START_TEST (test_missing_file_and_empty_file)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autoptr (ph_config) config = ph_config_load ("/nonexistent/printhook.conf", NULL, diag);
  g_autoptr (ph_loaded) empty = ph_load_text ("", NULL);

  ck_assert (config == NULL);
  ck_assert_ptr_nonnull (strstr (((ph_diag_entry *) g_ptr_array_index (diag->entries, 0))->text, "cannot read"));
  ck_assert (empty->config != NULL);
  ph_assert_diag (empty, PH_DIAG_WARNING, "no hooks are configured", PH_END);
}
END_TEST

START_TEST (test_hostile_files_never_crash)
{
  g_autoptr (GString) deep = g_string_new (HOOK ("data = "));
  g_autoptr (GString) long_line = g_string_new (HOOK ("api_secret = "));
  g_autoptr (ph_loaded) binary = ph_load_text ("\x89PNG\r\n\x1a\n\xff\xfe[hook", NULL);
  g_autoptr (ph_loaded) nested = NULL;
  g_autoptr (ph_loaded) huge = NULL;
  g_autoptr (ph_loaded) escape = ph_load_text (HOOK ("api_secret = tab\\there\n"), NULL);

  ph_assert_diag (binary, PH_DIAG_ERROR, "not UTF-8", PH_END);
  for (int i = 0; i < 5000; i++)
    g_string_append (deep, "{\"a\":");
  g_string_append (deep, "1\n");
  nested = ph_load_text (deep->str, NULL);
  ph_assert_diag (nested, PH_DIAG_ERROR, "[hook h] data", "invalid JSON", PH_END);
  for (int i = 0; i < 1000000; i++)
    g_string_append_c (long_line, 'x');
  g_string_append_c (long_line, '\n');
  huge = ph_load_text (long_line->str, NULL);
  ck_assert (huge->config != NULL);
  ck_assert_str_eq (ph_hook_config_get_string (only_hook (escape)->config, "api_secret"), "tab\there");
}
END_TEST

START_TEST (test_derived_chain_names)
{
  g_auto (GStrv) plain = ph_chain_derive (FALSE, FALSE, "POST", PH_CONTENT_JSON);
  g_auto (GStrv) form = ph_chain_derive (FALSE, FALSE, "POST", PH_CONTENT_FORM);
  g_auto (GStrv) snap = ph_chain_derive (TRUE, TRUE, "POST", PH_CONTENT_FORM);
  g_auto (GStrv) get = ph_chain_derive (TRUE, TRUE, "GET", PH_CONTENT_MULTIPART);
  g_autofree char *a = g_strjoinv (",", plain), *b = g_strjoinv (",", form),
                  *c = g_strjoinv (",", snap), *d = g_strjoinv (",", get);

  ck_assert_str_eq (a, "http-webhook");
  ck_assert_str_eq (b, "form-encoder,http-webhook");
  ck_assert_str_eq (c, "oauth,snapshot,multipart,http-webhook");
  ck_assert_str_eq (d, "oauth,http-webhook");
}
END_TEST

/* A chain the user wrote decides what is sent; content_type must agree:
 * form without an encoder cannot be honoured (an error), a form-encoder
 * with content_type json contradicts it (a warning). */
START_TEST (test_chain_and_content_type_must_agree)
{
  g_autoptr (ph_loaded) no_encoder = ph_load_text (
      "[hook a]\nurl = http://127.0.0.1:9/\ncontent_type = form\n"
      "modules = test-prepare, http-webhook\n", NULL);
  g_autoptr (ph_loaded) encoder = ph_load_text (
      "[hook b]\nurl = http://127.0.0.1:9/\nmodules = test-prepare, form-encoder, http-webhook\n",
      NULL);
  g_autoptr (ph_loaded) agreeing = ph_load_text (
      "[hook c]\nurl = http://127.0.0.1:9/\ncontent_type = form\n"
      "modules = test-prepare, form-encoder, http-webhook\n", NULL);

  ph_assert_diag (no_encoder, PH_DIAG_ERROR, "[hook a] content_type",
                  "content_type = form, but the chain has no encoder", "add form-encoder", PH_END);
  ck_assert (encoder->config != NULL);
  ph_assert_diag (encoder, PH_DIAG_WARNING, "[hook b] modules",
                  "form-encoder in the chain sends a form, while content_type is, by default, json",
                  PH_END);
  ck_assert (agreeing->config != NULL);
  ph_assert_no_diag (agreeing, PH_DIAG_WARNING);
}
END_TEST

static Suite *
config_suite (void)
{
  Suite *s = suite_create ("config");
  TCase *tc = tcase_create ("config");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_minimal_hook_gets_plugin_defaults);
  tcase_add_test (tc, test_unknown_key_names_file_line_and_suggestion);
  tcase_add_test (tc, test_every_error_is_listed_not_only_the_first);
  tcase_add_test (tc, test_bad_method_and_content_type);
  tcase_add_test (tc, test_json_number_that_is_not_finite_is_refused);
  tcase_add_test (tc, test_url_errors_mask_the_credentials_they_quote);
  tcase_add_test (tc, test_header_value_with_a_line_break_is_refused);
  tcase_add_test (tc, test_module_key_typo_is_reported_beside_other_errors);
  tcase_add_test (tc, test_ca_file_without_a_certificate_is_refused);
  tcase_add_test (tc, test_standard_signature_on_a_form_body_warns);
  tcase_add_test (tc, test_method_is_case_insensitive);
  tcase_add_test (tc, test_progress_step_range);
  tcase_add_test (tc, test_invalid_json_reports_parser_position);
  tcase_add_test (tc, test_data_must_be_an_object);
  tcase_add_test (tc, test_json_escapes_reach_the_parser_raw);
  tcase_add_test (tc, test_data_file_is_relative_to_its_file);
  tcase_add_test (tc, test_data_file_multiline_json_and_snapshot_field);
  tcase_add_test (tc, test_data_and_data_file_together_is_an_error);
  tcase_add_test (tc, test_invalid_json_in_data_file_names_the_file_and_position);
  tcase_add_test (tc, test_duplicate_hook_names_across_files);
  tcase_add_test (tc, test_duplicate_group_and_key_in_one_file);
  tcase_add_test (tc, test_hooks_d_files_are_read_in_sorted_order);
  tcase_add_test (tc, test_console_hooks_dir_is_read_last_and_overlaid);
  tcase_add_test (tc, test_enabled_hook_needs_url);
  tcase_add_test (tc, test_url_must_be_http_or_https);
  tcase_add_test (tc, test_unknown_group_is_rejected_with_hint);
  tcase_add_test (tc, test_bambu_source_keys);
  tcase_add_test (tc, test_bambu_snapshot_needs_a_url);
  tcase_add_test (tc, test_bambu_camera_keys);
  tcase_add_test (tc, test_invalid_hook_name);
  tcase_add_test (tc, test_events_list_star_and_case);
  tcase_add_test (tc, test_misspelt_event_is_a_warning_with_hint);
  tcase_add_test (tc, test_message_keys_per_event);
  tcase_add_test (tc, test_printhook_group_gives_defaults_to_every_hook);
  tcase_add_test (tc, test_printhook_group_rejects_per_hook_keys_and_unknown_keys);
  tcase_add_test (tc, test_spool_max_deliveries_is_read_and_bounded);
  tcase_add_test (tc, test_module_keys_are_typed_and_validated);
  tcase_add_test (tc, test_module_key_errors);
  tcase_add_test (tc, test_unknown_module_in_key_and_in_chain);
  tcase_add_test (tc, test_module_key_outside_the_chain_is_a_warning);
  tcase_add_test (tc, test_required_module_key);
  tcase_add_test (tc, test_module_cross_field_rule_reaches_the_user);
  tcase_add_test (tc, test_module_that_fails_to_start);
  tcase_add_test (tc, test_chain_is_sorted_by_stage_and_checked);
  tcase_add_test (tc, test_headers_are_checked);
  tcase_add_test (tc, test_signing_secret_rules);
  tcase_add_test (tc, test_tls_settings);
  tcase_add_test (tc, test_retry_schedule);
  tcase_add_test (tc, test_world_readable_secret_warns);
  tcase_add_test (tc, test_syntax_errors_have_line_numbers);
  tcase_add_test (tc, test_missing_file_and_empty_file);
  tcase_add_test (tc, test_console_group_defaults_and_values);
  tcase_add_test (tc, test_console_group_problems_name_the_key);
  tcase_add_test (tc, test_console_tls_files_are_loaded_by_check);
  tcase_add_test (tc, test_hostile_files_never_crash);
  tcase_add_test (tc, test_derived_chain_names);
  tcase_add_test (tc, test_chain_and_content_type_must_agree);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  return ph_test_run (config_suite ());
}
