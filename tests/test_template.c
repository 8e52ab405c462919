/* The @param language (core/text/template.c, DESIGN.md §5), with the OctoPrint-
 * Webhooks plugin's sample data and the traps its substitution fell into. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "text/json_text.h"
#include "text/template.h"

/* The plugin's sample values, written exactly as printhook writes JSON so
 * the expected texts below can be assembled from them. */
#define EXTRA_JSON \
  "{\"name\":\"example.gcode\",\"path\":\"example.gcode\",\"origin\":\"local\"," \
  "\"size\":242038,\"owner\":\"example_user\",\"time\":50.237335886}"
#define STATE_JSON \
  "{\"text\":\"Printing\",\"flags\":{\"operational\":true,\"printing\":true," \
  "\"cancelling\":false,\"pausing\":false,\"resuming\":false,\"finishing\":false," \
  "\"closedOrError\":false,\"error\":false,\"paused\":false,\"ready\":false," \
  "\"sdReady\":true},\"error\":\"\"}"
#define JOB_JSON \
  "{\"file\":{\"name\":\"example.gcode\",\"path\":\"example.gcode\"," \
  "\"display\":\"example.gcode\",\"origin\":\"local\",\"size\":242038," \
  "\"date\":1588195405},\"estimatedPrintTime\":476.05552375713864," \
  "\"averagePrintTime\":null,\"lastPrintTime\":null,\"filament\":{\"tool0\":" \
  "{\"length\":335.8269600000015,\"volume\":0.8077585001602579}},\"user\":\"iAmLegend\"}"
#define PROGRESS_JSON \
  "{\"completion\":14.496484023169915,\"filepos\":35087,\"printTime\":29," \
  "\"printTimeLeft\":40,\"printTimeLeftOrigin\":\"average\"}"
#define META_JSON \
  "{\"hash\":\"4e2f3ba0c0e3b4a6b6f0d5d0b8c0c6a1e0f6a2b3\",\"analysis\":" \
  "{\"estimatedPrintTime\":476.05552375713864,\"dimensions\":{\"width\":136.67," \
  "\"depth\":131.2,\"height\":10.0},\"filament\":{\"tool0\":{\"length\":335.8269600000015," \
  "\"volume\":0.8077585001602579}}},\"statistics\":{\"averagePrintTime\":" \
  "{\"_default\":49.04197595574509}},\"history\":[{\"timestamp\":1588195542.6181428," \
  "\"printTime\":49.04197595574509,\"printerProfile\":\"_default\",\"success\":true}]}"

/* "note" holds parameter syntax that must reach receivers as typed; "odd"
 * holds what a URL must not carry raw. */
#define PARAMS_JSON \
  "{\"topic\":\"Print Started\",\"message\":\"Your print has started.\"," \
  "\"deviceIdentifier\":\"Prusa MK4\",\"apiSecret\":\"s3cr3t\",\"extra\":" EXTRA_JSON "," \
  "\"currentTime\":1700000000,\"percentCompleteMilestone\":50,\"state\":" STATE_JSON "," \
  "\"job\":" JOB_JSON ",\"progress\":" PROGRESS_JSON ",\"currentZ\":0.3,\"offsets\":{}," \
  "\"meta\":" META_JSON "," \
  "\"note\":\"send @apiSecret to user@example.com\",\"odd\":\"a/b?c&d=\xc3\xa9 #\"}"

static json_object *params;

static void
setup_params (void)
{
  g_autoptr (GError) error = NULL;

  params = ph_json_parse (PARAMS_JSON, -1, &error);
  ck_assert_msg (params != NULL, "sample params: %s", error ? error->message : "");
}

static void
teardown_params (void)
{
  g_clear_pointer (&params, json_object_put);
}

static void
set_string_param (const char *name, const char *value)
{
  json_object_object_add (params, name, json_object_new_string (value));
}

/* Renders tmpl as text and compares the bytes. */
static void
assert_text (const char *tmpl, const char *expected)
{
  g_autofree char *text = ph_template_render_text (tmpl, params);

  ck_assert_str_eq (text, expected);
}

/* Renders tmpl as a value and compares its compact JSON. */
static void
assert_value (const char *tmpl, const char *expected_json)
{
  json_object *value = ph_template_render_value (tmpl, params);
  g_autofree char *text = ph_json_to_text (value, FALSE);

  ck_assert_str_eq (text, expected_json);
  json_object_put (value);
}

/* Parses a JSON template, renders it and compares its compact JSON. */
static void
assert_json (const char *tmpl_json, const char *expected_json)
{
  g_autoptr (GError) error = NULL;
  json_object *tmpl = ph_json_parse (tmpl_json, -1, &error);
  json_object *rendered;
  g_autofree char *text = NULL;

  ck_assert_msg (tmpl != NULL, "template: %s", error ? error->message : "");
  rendered = ph_template_render_json (tmpl, params);
  text = ph_json_to_text (rendered, FALSE);
  ck_assert_str_eq (text, expected_json);
  json_object_put (rendered);
  json_object_put (tmpl);
}

static void
assert_url (const char *tmpl, const char *expected)
{
  g_autofree char *url = ph_template_render_url (tmpl, params);

  ck_assert_str_eq (url, expected);
}

static void
assert_check_error (const char *tmpl, const char *message)
{
  g_autoptr (GError) error = NULL;

  ck_assert (!ph_template_check (tmpl, &error));
  ck_assert (g_error_matches (error, PH_TEMPLATE_ERROR, PH_TEMPLATE_ERROR_SYNTAX));
  ck_assert_str_eq (error->message, message);
}

START_TEST (test_sample_params_round_trip)
{
  g_autofree char *text = ph_json_to_text (params, FALSE);

  ck_assert_str_eq (text, PARAMS_JSON);
}
END_TEST

START_TEST (test_lookup_follows_dotted_name)
{
  json_object *value = ph_param_lookup (params, "job.file.name", -1);

  ck_assert_str_eq (json_object_get_string (value), "example.gcode");
}
END_TEST

START_TEST (test_lookup_numeric_step_indexes_array)
{
  json_object *value = ph_param_lookup (params, "meta.history.0.printerProfile", -1);

  ck_assert_str_eq (json_object_get_string (value), "_default");
}
END_TEST

START_TEST (test_lookup_index_past_the_end_is_missing)
{
  ck_assert_ptr_null (ph_param_lookup (params, "meta.history.1", -1));
}
END_TEST

START_TEST (test_lookup_rejects_signed_and_overflowing_indexes)
{
  ck_assert_ptr_null (ph_param_lookup (params, "meta.history.+0", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "meta.history.-0", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "meta.history.18446744073709551616", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "meta.history.0x0", -1));
}
END_TEST

START_TEST (test_lookup_into_scalar_is_missing)
{
  ck_assert_ptr_null (ph_param_lookup (params, "topic.x", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "topic.0", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "currentZ.x", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "state.flags.printing.x", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "job.averagePrintTime.x", -1));
}
END_TEST

START_TEST (test_lookup_empty_step_is_missing)
{
  ck_assert_ptr_null (ph_param_lookup (params, "job..file", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "job.", -1));
  ck_assert_ptr_null (ph_param_lookup (params, "", -1));
}
END_TEST

START_TEST (test_lookup_reads_only_len_bytes)
{
  json_object *value = ph_param_lookup (params, "topic.x", 5);

  ck_assert_str_eq (json_object_get_string (value), "Print Started");
}
END_TEST

START_TEST (test_lookup_without_params_is_missing)
{
  ck_assert_ptr_null (ph_param_lookup (NULL, "topic", -1));
}
END_TEST

START_TEST (test_all_data_template_keeps_types)
{
  /* The plugin README's "Strategy - Getting all data". */
  assert_json ("{\"deviceIdentifier\":\"@deviceIdentifier\",\"apiSecret\":\"@apiSecret\","
               "\"topic\":\"@topic\",\"message\":\"@message\",\"extra\":\"@extra\","
               "\"state\":\"@state\",\"job\":\"@job\",\"progress\":\"@progress\","
               "\"currentZ\":\"@currentZ\",\"offsets\":\"@offsets\",\"meta\":\"@meta\","
               "\"currentTime\":\"@currentTime\"}",
               "{\"deviceIdentifier\":\"Prusa MK4\",\"apiSecret\":\"s3cr3t\","
               "\"topic\":\"Print Started\",\"message\":\"Your print has started.\","
               "\"extra\":" EXTRA_JSON ",\"state\":" STATE_JSON ",\"job\":" JOB_JSON ","
               "\"progress\":" PROGRESS_JSON ",\"currentZ\":0.3,\"offsets\":{},"
               "\"meta\":" META_JSON ",\"currentTime\":1700000000}");
}
END_TEST

START_TEST (test_whole_value_dotted_param_is_its_string)
{
  assert_value ("@job.file.name", "\"example.gcode\"");
}
END_TEST

START_TEST (test_whole_value_braced_param_keeps_type)
{
  assert_value ("@{currentTime}", "1700000000");
}
END_TEST

START_TEST (test_whole_value_null_stays_null)
{
  ck_assert_ptr_null (ph_template_render_value ("@job.averagePrintTime", params));
}
END_TEST

START_TEST (test_whole_value_missing_is_empty_string)
{
  assert_value ("@meta.statistics.lastPrintTime", "\"\"");
}
END_TEST

START_TEST (test_whole_value_is_a_copy)
{
  json_object *value = ph_template_render_value ("@extra", params);

  ck_assert_ptr_ne (value, ph_param_lookup (params, "extra", -1));
  json_object_object_add (value, "name", json_object_new_string ("changed"));
  json_object_put (value);
  assert_text ("@extra.name", "example.gcode");
}
END_TEST

START_TEST (test_text_between_params_is_kept)
{
  /* The plugin README's example. */
  set_string_param ("param1", "one");
  set_string_param ("param2", "two");
  set_string_param ("param3", "three");
  assert_text ("@param1 some text here @param2 - @param3", "one some text here two - three");
}
END_TEST

START_TEST (test_missing_params_leave_nothing)
{
  assert_text ("@param1 some text here @param2 - @param3", " some text here  - ");
}
END_TEST

START_TEST (test_embedded_param_ends_at_punctuation)
{
  assert_text ("(@topic)", "(Print Started)");
}
END_TEST

START_TEST (test_embedded_param_ends_at_percent)
{
  assert_text ("@progress.completion%", "14.496484023169915%");
}
END_TEST

START_TEST (test_at_after_word_is_text)
{
  assert_text ("mail user@example.com now", "mail user@example.com now");
  assert_text ("a_@topic 9@topic", "a_@topic 9@topic");
}
END_TEST

START_TEST (test_shorter_name_does_not_rewrite_longer_one)
{
  assert_text ("@job @jobX", JOB_JSON " ");
}
END_TEST

START_TEST (test_trailing_dot_is_text)
{
  assert_text ("@extra.name.", "example.gcode.");
  assert_text ("@extra.name.!", "example.gcode.!");
}
END_TEST

START_TEST (test_double_at_is_a_literal_at)
{
  assert_text ("@@", "@");
  assert_text ("@@topic", "@topic");
  assert_text ("a@@b", "a@b");
}
END_TEST

START_TEST (test_at_before_non_name_character_is_literal)
{
  assert_text ("@", "@");
  assert_text ("a @ b", "a @ b");
  assert_text ("50 @!", "50 @!");
  assert_text ("@.topic", "@.topic");
}
END_TEST

START_TEST (test_braced_param_delimits_name)
{
  assert_text ("@{topic}s", "Print Starteds");
  assert_text ("@{job.file.name}x", "example.gcodex");
}
END_TEST

START_TEST (test_braced_param_counts_after_word)
{
  assert_text ("x@{topic}", "xPrint Started");
}
END_TEST

START_TEST (test_malformed_brace_is_text)
{
  assert_text ("@{a b} @topic", "@{a b} Print Started");
  assert_text ("@{}", "@{}");
  assert_text ("@{topic", "@{topic");
  assert_text ("@{topic.}", "@{topic.}");
}
END_TEST

START_TEST (test_numeric_step_in_text)
{
  assert_text ("profile @meta.history.0.printerProfile, ok=@meta.history.0.success",
               "profile _default, ok=true");
}
END_TEST

START_TEST (test_object_steps_in_text)
{
  assert_text ("@job.filament.tool0.length mm", "335.8269600000015 mm");
}
END_TEST

START_TEST (test_step_into_string_is_empty)
{
  assert_value ("@topic.x", "\"\"");
  assert_text ("[@topic.x]", "[]");
}
END_TEST

START_TEST (test_embedded_booleans_are_true_false)
{
  assert_text ("@state.flags.printing/@state.flags.paused", "true/false");
}
END_TEST

START_TEST (test_embedded_null_is_empty)
{
  assert_text ("avg=@job.averagePrintTime;", "avg=;");
}
END_TEST

START_TEST (test_embedded_double_is_shortest)
{
  assert_text ("z=@currentZ w=@meta.analysis.dimensions.width h=@meta.analysis.dimensions.height",
               "z=0.3 w=136.67 h=10.0");
}
END_TEST

START_TEST (test_embedded_integer_is_decimal)
{
  assert_text ("t=@currentTime", "t=1700000000");
}
END_TEST

START_TEST (test_embedded_containers_are_compact_json)
{
  assert_text ("x @extra", "x " EXTRA_JSON);
  assert_text ("h=@meta.history", "h=[{\"timestamp\":1588195542.6181428,\"printTime\":"
               "49.04197595574509,\"printerProfile\":\"_default\",\"success\":true}]");
  assert_text ("o=@offsets", "o={}");
}
END_TEST

START_TEST (test_inserted_value_is_not_rescanned)
{
  assert_text ("n: @note", "n: send @apiSecret to user@example.com");
  assert_value ("@note", "\"send @apiSecret to user@example.com\"");
}
END_TEST

START_TEST (test_self_reference_does_not_loop)
{
  set_string_param ("message", "x @message");
  assert_text ("@message and @message", "x @message and x @message");
}
END_TEST

START_TEST (test_render_text_of_whole_param_is_text)
{
  assert_text ("@extra", EXTRA_JSON);
  assert_text ("@currentTime", "1700000000");
  assert_text ("@job.averagePrintTime", "");
}
END_TEST

START_TEST (test_names_are_case_sensitive)
{
  assert_text ("[@Topic]", "[]");
}
END_TEST

START_TEST (test_embedded_value_is_a_string)
{
  assert_value ("t=@currentTime", "\"t=1700000000\"");
}
END_TEST

START_TEST (test_keys_are_not_substituted)
{
  assert_json ("{\"@topic\":\"x\"}", "{\"@topic\":\"x\"}");
}
END_TEST

START_TEST (test_nested_values_rendered_at_any_depth)
{
  assert_json ("{\"a\":[{\"b\":[\"@topic\",[\"@currentTime\",\"z @currentZ\"]]}],"
               "\"c\":{\"d\":{\"e\":\"@extra.size\"}}}",
               "{\"a\":[{\"b\":[\"Print Started\",[1700000000,\"z 0.3\"]]}],"
               "\"c\":{\"d\":{\"e\":242038}}}");
}
END_TEST

START_TEST (test_non_string_values_are_copied)
{
  assert_json ("{\"n\":1,\"d\":0.5,\"b\":true,\"z\":null,\"u\":18446744073709551615,\"e\":[]}",
               "{\"n\":1,\"d\":0.5,\"b\":true,\"z\":null,\"u\":18446744073709551615,\"e\":[]}");
}
END_TEST

/* A body is only read: whole-value parameters in it are the parameters'
 * own values, not copies. */
START_TEST (test_render_json_shares_whole_value_params)
{
  json_object *tmpl = ph_json_parse ("{\"e\":\"@extra\",\"x\":[\"@job\"],\"n\":5}", -1, NULL);
  json_object *rendered = ph_template_render_json (tmpl, params);

  ck_assert_ptr_eq (json_object_object_get (rendered, "e"), ph_param_lookup (params, "extra", -1));
  ck_assert_ptr_eq (json_object_array_get_idx (json_object_object_get (rendered, "x"), 0),
                    ph_param_lookup (params, "job", -1));
  ck_assert_ptr_ne (rendered, tmpl);
  ck_assert_ptr_ne (json_object_object_get (rendered, "x"), json_object_object_get (tmpl, "x"));
  json_object_put (rendered);
  assert_text ("@extra.name", "example.gcode");
  json_object_put (tmpl);
}
END_TEST

START_TEST (test_render_json_leaves_template_untouched)
{
  json_object *tmpl = ph_json_parse ("{\"t\":\"@topic\",\"x\":[\"@extra\"]}", -1, NULL);
  json_object *rendered = ph_template_render_json (tmpl, params);
  g_autofree char *text = ph_json_to_text (tmpl, FALSE);

  ck_assert_str_eq (text, "{\"t\":\"@topic\",\"x\":[\"@extra\"]}");
  json_object_put (rendered);
  json_object_put (tmpl);
}
END_TEST

START_TEST (test_snapshot_is_an_ordinary_param)
{
  assert_json ("{\"img\":\"@snapshot\"}", "{\"img\":\"\"}");
}
END_TEST

START_TEST (test_url_values_are_percent_encoded)
{
  assert_url ("http://h/p/@topic?a=@extra.name&b=@{extra.size}",
              "http://h/p/Print%20Started?a=example.gcode&b=242038");
}
END_TEST

START_TEST (test_url_encodes_reserved_and_non_ascii)
{
  assert_url ("http://h/?q=@odd", "http://h/?q=a%2Fb%3Fc%26d%3D%C3%A9%20%23");
}
END_TEST

START_TEST (test_url_keeps_at_after_word)
{
  assert_url ("http://user@host/x/@topic", "http://user@host/x/Print%20Started");
}
END_TEST

START_TEST (test_url_template_text_left_as_written)
{
  assert_url ("http://h/a%20b?x=y z&e=\xc3\xa9", "http://h/a%20b?x=y z&e=\xc3\xa9");
}
END_TEST

START_TEST (test_url_missing_param_is_empty)
{
  assert_url ("http://h/@nothing/x", "http://h//x");
}
END_TEST

START_TEST (test_check_accepts_valid_templates)
{
  g_autoptr (GError) error = NULL;

  ck_assert (ph_template_check ("@topic @{a.b_1.0} user@x @@{ @ @. {} @extra.name.", &error));
  ck_assert_ptr_null (error);
}
END_TEST

START_TEST (test_check_unterminated_brace)
{
  assert_check_error ("@{", "character 1: \"@{\" is not closed by \"}\"");
  assert_check_error ("abc @{x", "character 5: \"@{\" is not closed by \"}\"");
}
END_TEST

START_TEST (test_check_empty_brace)
{
  assert_check_error ("@{}", "character 1: \"@{}\" names no parameter");
}
END_TEST

START_TEST (test_check_character_not_allowed_in_brace)
{
  assert_check_error ("@{a b}", "character 4: ' ' is not allowed in \"@{...}\", where a name "
                      "is letters, digits and \"_\" with \".\" between steps");
}
END_TEST

START_TEST (test_check_position_counts_characters)
{
  assert_check_error ("\xc3\xa9 @{a-b}", "character 6: '-' is not allowed in \"@{...}\", where "
                      "a name is letters, digits and \"_\" with \".\" between steps");
  assert_check_error ("@{\xc3\xa9}", "character 3: '\xc3\xa9' is not allowed in \"@{...}\", "
                      "where a name is letters, digits and \"_\" with \".\" between steps");
}
END_TEST

START_TEST (test_list_params_in_order_once)
{
  g_auto (GStrv) names = ph_template_list_params ("@topic @{extra.name} @topic user@x @@y "
                                                  "@job.file.name. @{bad");
  const char *expected[] = { "topic", "extra.name", "job.file.name", NULL };

  ck_assert_uint_eq (g_strv_length (names), 3);
  ck_assert (g_strv_equal ((const char *const *) names, expected));
}
END_TEST

/* A name three times once freed a key the set still held (found by
 * valgrind; the fuzzer finds it under ASan). */
START_TEST (test_list_params_of_a_name_many_times_is_one_name)
{
  g_auto (GStrv) names = ph_template_list_params ("@x @x @x @{x} @y @x @y");
  const char *expected[] = { "x", "y", NULL };

  ck_assert (g_strv_equal ((const char *const *) names, expected));
}
END_TEST

START_TEST (test_list_params_of_plain_text_is_empty)
{
  g_auto (GStrv) names = ph_template_list_params ("no parameters, user@example.com");

  ck_assert_ptr_nonnull (names);
  ck_assert_ptr_null (names[0]);
}
END_TEST

START_TEST (test_hostile_many_at_signs)
{
  g_autofree char *ats = g_strnfill (100001, '@');
  g_autofree char *text = ph_template_render_text (ats, params);
  g_autofree char *expected = g_strnfill (50001, '@');

  ck_assert_str_eq (text, expected);
  ck_assert (ph_template_check (ats, NULL));
}
END_TEST

START_TEST (test_hostile_ten_thousand_steps)
{
  g_autoptr (GString) tmpl = g_string_new ("x @topic");
  g_autofree char *text = NULL;
  json_object *value;

  for (int i = 0; i < 10000; i++)
    g_string_append (tmpl, ".a");
  g_string_append_c (tmpl, '!');
  text = ph_template_render_text (tmpl->str, params);
  ck_assert_str_eq (text, "x !");

  value = ph_template_render_value (tmpl->str + 2, params);
  ck_assert_str_eq (json_object_get_string (value), "!");
  json_object_put (value);
}
END_TEST

START_TEST (test_hostile_dots_alone)
{
  g_autofree char *dots = g_strnfill (10000, '.');
  g_autofree char *tmpl = g_strconcat ("@topic", dots, NULL);
  g_autofree char *text = ph_template_render_text (tmpl, params);
  g_autofree char *expected = g_strconcat ("Print Started", dots, NULL);

  ck_assert_str_eq (text, expected);
}
END_TEST

START_TEST (test_hostile_open_braces_repeated)
{
  g_autoptr (GString) tmpl = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 50000; i++)
    g_string_append (tmpl, "@{");
  text = ph_template_render_text (tmpl->str, params);
  ck_assert_str_eq (text, tmpl->str);
  ck_assert (!ph_template_check (tmpl->str, &error));
  ck_assert_str_eq (error->message, "character 3: '@' is not allowed in \"@{...}\", where a "
                    "name is letters, digits and \"_\" with \".\" between steps");
}
END_TEST

START_TEST (test_hostile_long_name_without_closing_brace)
{
  g_autofree char *name = g_strnfill (100000, 'a');
  g_autofree char *tmpl = g_strconcat ("@{", name, NULL);
  g_autofree char *text = ph_template_render_text (tmpl, params);

  ck_assert_str_eq (text, tmpl);
}
END_TEST

START_TEST (test_hostile_at_at_the_end)
{
  assert_text ("abc @", "abc @");
  assert_text ("abc @{", "abc @{");
  assert_text ("abc @@@", "abc @@");
}
END_TEST

START_TEST (test_non_ascii_text_passes_through)
{
  assert_text ("\xe2\x82\xac@topic \xc3\xa9t\xc3\xa9 @topic\xe2\x82\xac",
               "\xe2\x82\xacPrint Started \xc3\xa9t\xc3\xa9 Print Started\xe2\x82\xac");
}
END_TEST

static Suite *
template_suite (void)
{
  Suite *suite = suite_create ("template");
  TCase *lookup = tcase_create ("lookup");
  TCase *value = tcase_create ("value");
  TCase *text = tcase_create ("text");
  TCase *json = tcase_create ("json");
  TCase *url = tcase_create ("url");
  TCase *check = tcase_create ("check");
  TCase *hostile = tcase_create ("hostile");

  tcase_add_checked_fixture (lookup, setup_params, teardown_params);
  tcase_add_test (lookup, test_sample_params_round_trip);
  tcase_add_test (lookup, test_lookup_follows_dotted_name);
  tcase_add_test (lookup, test_lookup_numeric_step_indexes_array);
  tcase_add_test (lookup, test_lookup_index_past_the_end_is_missing);
  tcase_add_test (lookup, test_lookup_rejects_signed_and_overflowing_indexes);
  tcase_add_test (lookup, test_lookup_into_scalar_is_missing);
  tcase_add_test (lookup, test_lookup_empty_step_is_missing);
  tcase_add_test (lookup, test_lookup_reads_only_len_bytes);
  tcase_add_test (lookup, test_lookup_without_params_is_missing);
  suite_add_tcase (suite, lookup);

  tcase_add_checked_fixture (value, setup_params, teardown_params);
  tcase_add_test (value, test_all_data_template_keeps_types);
  tcase_add_test (value, test_whole_value_dotted_param_is_its_string);
  tcase_add_test (value, test_whole_value_braced_param_keeps_type);
  tcase_add_test (value, test_whole_value_null_stays_null);
  tcase_add_test (value, test_whole_value_missing_is_empty_string);
  tcase_add_test (value, test_whole_value_is_a_copy);
  tcase_add_test (value, test_embedded_value_is_a_string);
  suite_add_tcase (suite, value);

  tcase_add_checked_fixture (text, setup_params, teardown_params);
  tcase_add_test (text, test_text_between_params_is_kept);
  tcase_add_test (text, test_missing_params_leave_nothing);
  tcase_add_test (text, test_embedded_param_ends_at_punctuation);
  tcase_add_test (text, test_embedded_param_ends_at_percent);
  tcase_add_test (text, test_at_after_word_is_text);
  tcase_add_test (text, test_shorter_name_does_not_rewrite_longer_one);
  tcase_add_test (text, test_trailing_dot_is_text);
  tcase_add_test (text, test_double_at_is_a_literal_at);
  tcase_add_test (text, test_at_before_non_name_character_is_literal);
  tcase_add_test (text, test_braced_param_delimits_name);
  tcase_add_test (text, test_braced_param_counts_after_word);
  tcase_add_test (text, test_malformed_brace_is_text);
  tcase_add_test (text, test_numeric_step_in_text);
  tcase_add_test (text, test_object_steps_in_text);
  tcase_add_test (text, test_step_into_string_is_empty);
  tcase_add_test (text, test_embedded_booleans_are_true_false);
  tcase_add_test (text, test_embedded_null_is_empty);
  tcase_add_test (text, test_embedded_double_is_shortest);
  tcase_add_test (text, test_embedded_integer_is_decimal);
  tcase_add_test (text, test_embedded_containers_are_compact_json);
  tcase_add_test (text, test_inserted_value_is_not_rescanned);
  tcase_add_test (text, test_self_reference_does_not_loop);
  tcase_add_test (text, test_render_text_of_whole_param_is_text);
  tcase_add_test (text, test_names_are_case_sensitive);
  tcase_add_test (text, test_non_ascii_text_passes_through);
  suite_add_tcase (suite, text);

  tcase_add_checked_fixture (json, setup_params, teardown_params);
  tcase_add_test (json, test_keys_are_not_substituted);
  tcase_add_test (json, test_nested_values_rendered_at_any_depth);
  tcase_add_test (json, test_non_string_values_are_copied);
  tcase_add_test (json, test_render_json_leaves_template_untouched);
  tcase_add_test (json, test_render_json_shares_whole_value_params);
  tcase_add_test (json, test_snapshot_is_an_ordinary_param);
  suite_add_tcase (suite, json);

  tcase_add_checked_fixture (url, setup_params, teardown_params);
  tcase_add_test (url, test_url_values_are_percent_encoded);
  tcase_add_test (url, test_url_encodes_reserved_and_non_ascii);
  tcase_add_test (url, test_url_keeps_at_after_word);
  tcase_add_test (url, test_url_template_text_left_as_written);
  tcase_add_test (url, test_url_missing_param_is_empty);
  suite_add_tcase (suite, url);

  tcase_add_test (check, test_check_accepts_valid_templates);
  tcase_add_test (check, test_check_unterminated_brace);
  tcase_add_test (check, test_check_empty_brace);
  tcase_add_test (check, test_check_character_not_allowed_in_brace);
  tcase_add_test (check, test_check_position_counts_characters);
  tcase_add_test (check, test_list_params_in_order_once);
  tcase_add_test (check, test_list_params_of_a_name_many_times_is_one_name);
  tcase_add_test (check, test_list_params_of_plain_text_is_empty);
  suite_add_tcase (suite, check);

  tcase_add_checked_fixture (hostile, setup_params, teardown_params);
  tcase_add_test (hostile, test_hostile_many_at_signs);
  tcase_add_test (hostile, test_hostile_ten_thousand_steps);
  tcase_add_test (hostile, test_hostile_dots_alone);
  tcase_add_test (hostile, test_hostile_open_braces_repeated);
  tcase_add_test (hostile, test_hostile_long_name_without_closing_brace);
  tcase_add_test (hostile, test_hostile_at_at_the_end);
  suite_add_tcase (suite, hostile);
  return suite;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (template_suite ());
}
