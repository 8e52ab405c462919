/* JSON text as printhook writes and parses it (core/text/json_text.c). */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "text/json_text.h"

/* Writes value (transfer full) and compares the bytes. */
static void
assert_written (json_object *value, gboolean pretty, const char *expected)
{
  g_autofree char *text = ph_json_to_text (value, pretty);

  ck_assert_str_eq (text, expected);
  json_object_put (value);
}

static void
assert_plain (json_object *value, const char *expected)
{
  g_autoptr (GString) out = g_string_new ("<");

  ph_json_append_plain (out, value);
  g_string_append_c (out, '>');
  ck_assert_str_eq (out->str, expected);
  json_object_put (value);
}

/* Parses text that must be rejected and compares the error message. */
static void
assert_parse_error (const char *text, gssize len, const char *message)
{
  g_autoptr (GError) error = NULL;
  json_object *value = ph_json_parse (text, len, &error);

  ck_assert_ptr_null (value);
  ck_assert_ptr_nonnull (error);
  ck_assert (g_error_matches (error, PH_JSON_ERROR, PH_JSON_ERROR_INVALID));
  ck_assert_str_eq (error->message, message);
}

/* Parses text that must be accepted and compares its compact rewrite. */
static void
assert_parses_to (const char *text, const char *expected)
{
  g_autoptr (GError) error = NULL;
  json_object *value = ph_json_parse (text, -1, &error);

  ck_assert_msg (error == NULL, "%s", error ? error->message : "");
  assert_written (value, FALSE, expected);
}

static json_object *
nested_arrays (int depth)
{
  g_autofree char *text = g_strnfill (2 * depth, ']');

  memset (text, '[', depth);
  return ph_json_parse (text, -1, NULL);
}

START_TEST (test_compact_has_no_spaces)
{
  json_object *value = json_object_new_object ();
  json_object *list = json_object_new_array ();

  json_object_array_add (list, json_object_new_int (1));
  json_object_array_add (list, json_object_new_double (2.5));
  json_object_object_add (value, "a", json_object_new_int (1));
  json_object_object_add (value, "b", list);
  assert_written (value, FALSE, "{\"a\":1,\"b\":[1,2.5]}");
}
END_TEST

START_TEST (test_pretty_indents_two_spaces)
{
  json_object *value = ph_json_parse ("{\"a\":1,\"b\":[1,{\"c\":null}],\"d\":{},\"e\":[]}", -1,
                                      NULL);

  assert_written (value, TRUE,
                  "{\n"
                  "  \"a\": 1,\n"
                  "  \"b\": [\n"
                  "    1,\n"
                  "    {\n"
                  "      \"c\": null\n"
                  "    }\n"
                  "  ],\n"
                  "  \"d\": {},\n"
                  "  \"e\": []\n"
                  "}");
}
END_TEST

START_TEST (test_empty_containers_stay_on_one_line)
{
  assert_written (json_object_new_object (), TRUE, "{}");
  assert_written (json_object_new_array (), TRUE, "[]");
  assert_written (json_object_new_object (), FALSE, "{}");
}
END_TEST

START_TEST (test_null_pointer_is_json_null)
{
  assert_written (NULL, FALSE, "null");
  assert_written (NULL, TRUE, "null");
}
END_TEST

START_TEST (test_append_adds_to_existing_text)
{
  g_autoptr (GString) out = g_string_new ("body=");
  json_object *value = json_object_new_boolean (TRUE);

  ph_json_append (out, value, FALSE);
  ck_assert_str_eq (out->str, "body=true");
  json_object_put (value);
}
END_TEST

START_TEST (test_slash_is_not_escaped)
{
  assert_written (json_object_new_string ("a/b"), FALSE, "\"a/b\"");
}
END_TEST

START_TEST (test_non_ascii_is_written_raw)
{
  assert_written (json_object_new_string ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x96\xa8"), FALSE,
                  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x96\xa8\"");
}
END_TEST

START_TEST (test_control_characters_are_escaped)
{
  assert_written (json_object_new_string ("q\" b\\ \b\f\n\r\t \x01\x1f \x7f"), FALSE,
                  "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f \x7f\"");
}
END_TEST

START_TEST (test_nul_in_string_is_escaped)
{
  assert_written (json_object_new_string_len ("a\0b", 3), FALSE, "\"a\\u0000b\"");
}
END_TEST

START_TEST (test_invalid_utf8_bytes_become_replacement_characters)
{
  /* A stray byte, an overlong NUL, a surrogate and a sequence cut short. */
  assert_written (json_object_new_string ("a\xff" "b \xc0\x80 \xed\xa0\x80 \xe2\x82"), FALSE,
                  "\"a\xef\xbf\xbd" "b \xef\xbf\xbd\xef\xbf\xbd "
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\"");
}
END_TEST

START_TEST (test_invalid_utf8_in_key_is_replaced)
{
  json_object *value = json_object_new_object ();

  json_object_object_add (value, "k\xfe\"", json_object_new_int (1));
  assert_written (value, FALSE, "{\"k\xef\xbf\xbd\\\"\":1}");
}
END_TEST

/* The string writer as it was before it became one pass (validating
 * every run first, then escaping), kept as the reference. */
static void
reference_utf8 (GString *out, const char *p, const char *end, gboolean escape)
{
  while (p < end)
    {
      const char *bad;

      g_utf8_validate_len (p, end - p, &bad);
      if (!escape)
        g_string_append_len (out, p, bad - p);
      else
        for (const char *c = p; c < bad; c++)
          {
            guchar b = (guchar) *c;

            if (b >= 0x20 && b != '"' && b != '\\')
              g_string_append_c (out, (char) b);
            else if (b == '"' || b == '\\')
              g_string_append_printf (out, "\\%c", b);
            else if (b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t')
              g_string_append_printf (out, "\\%c", "bfnrt"[strchr ("\b\f\n\r\t", b) - "\b\f\n\r\t"]);
            else
              g_string_append_printf (out, "\\u%04x", b);
          }
      if (bad == end)
        break;
      if (*bad == '\0' && escape)
        g_string_append (out, "\\u0000");
      else if (*bad == '\0')
        g_string_append_c (out, '\0');
      else
        g_string_append (out, "\xef\xbf\xbd");
      p = bad + 1;
    }
}

/* Random strings of ASCII, control characters, quotes, NUL, valid
 * multi-byte characters and stray bytes are written as the reference
 * writes them, quoted and plain. */
START_TEST (test_strings_are_written_as_the_reference_writes_them)
{
  static const char *const pieces[] = {
    "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "\0", "\xc3\xa9",
    "\xe2\x82\xac", "\xf0\x9f\x96\xa8", "\xc3", "\xe2\x82", "\x80", "\xff", "\xed\xa0\x80",
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261127);

  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (GString) expected = g_string_new ("\"");
      g_autoptr (GString) expected_plain = g_string_new (NULL);
      g_autoptr (GString) plain = g_string_new (NULL);
      json_object *value;
      g_autofree char *written = NULL;
      guint n = g_rand_int_range (rand, 0, 12);

      for (guint j = 0; j < n; j++)
        {
          const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];
          g_string_append_len (text, piece, *piece == '\0' ? 1 : (gssize) strlen (piece));
        }
      reference_utf8 (expected, text->str, text->str + text->len, TRUE);
      g_string_append_c (expected, '"');
      reference_utf8 (expected_plain, text->str, text->str + text->len, FALSE);
      value = json_object_new_string_len (text->str, (int) text->len);
      written = ph_json_to_text (value, FALSE);
      ph_json_append_plain (plain, value);
      ck_assert_str_eq (written, expected->str);
      ck_assert_uint_eq (plain->len, expected_plain->len);
      ck_assert (memcmp (plain->str, expected_plain->str, plain->len) == 0);
      json_object_put (value);
    }
}
END_TEST

START_TEST (test_integers_are_written_as_printf_writes_them)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261127);

  for (guint i = 0; i < 20000; i++)
    {
      gint64 n = (gint64) ((guint64) g_rand_int (rand) << 32 | g_rand_int (rand))
                 >> g_rand_int_range (rand, 0, 64);
      g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT, n);

      assert_written (json_object_new_int64 (n), FALSE, expected);
    }
  assert_written (json_object_new_int64 (0), FALSE, "0");
  assert_written (json_object_new_int64 (-1), FALSE, "-1");
}
END_TEST

START_TEST (test_int64_extremes)
{
  assert_written (json_object_new_int64 (INT64_MIN), FALSE, "-9223372036854775808");
  assert_written (json_object_new_int64 (INT64_MAX), FALSE, "9223372036854775807");
}
END_TEST

START_TEST (test_uint64_above_int64_max)
{
  assert_written (json_object_new_uint64 (UINT64_MAX), FALSE, "18446744073709551615");
  assert_written (json_object_new_uint64 ((guint64) INT64_MAX + 1), FALSE, "9223372036854775808");
}
END_TEST

START_TEST (test_double_takes_shortest_round_trip_form)
{
  assert_written (json_object_new_double (0.1), FALSE, "0.1");
  assert_written (json_object_new_double (14.496484023169915), FALSE, "14.496484023169915");
  assert_written (json_object_new_double (0.1 + 0.2), FALSE, "0.30000000000000004");
  assert_written (json_object_new_double (-2.5e-7), FALSE, "-2.5e-07");
}
END_TEST

START_TEST (test_whole_double_keeps_fraction)
{
  assert_written (json_object_new_double (5.0), FALSE, "5.0");
  assert_written (json_object_new_double (0.0), FALSE, "0.0");
}
END_TEST

START_TEST (test_whole_double_below_1e16_uses_plain_digits)
{
  assert_written (json_object_new_double (100000.0), FALSE, "100000.0");
  assert_written (json_object_new_double (1700000000.0), FALSE, "1700000000.0");
  assert_written (json_object_new_double (1e15), FALSE, "1000000000000000.0");
}
END_TEST

START_TEST (test_huge_double_uses_exponent)
{
  assert_written (json_object_new_double (1e300), FALSE, "1e+300");
  assert_written (json_object_new_double (1e16), FALSE, "1e+16");
}
END_TEST

START_TEST (test_negative_zero_keeps_sign)
{
  assert_written (json_object_new_double (-0.0), FALSE, "-0.0");
}
END_TEST

START_TEST (test_nan_and_infinity_become_null)
{
  assert_written (json_object_new_double (NAN), FALSE, "null");
  assert_written (json_object_new_double (INFINITY), FALSE, "null");
  assert_written (json_object_new_double (-INFINITY), FALSE, "null");
}
END_TEST

START_TEST (test_parsed_double_loses_its_original_text)
{
  assert_parses_to ("[0.10, 1E5, 2.50e1]", "[0.1,100000.0,25.0]");
}
END_TEST

START_TEST (test_plain_string_has_no_quotes_or_escapes)
{
  assert_plain (json_object_new_string ("say \"hi\"\n/caf\xc3\xa9"), "<say \"hi\"\n/caf\xc3\xa9>");
}
END_TEST

START_TEST (test_plain_string_replaces_invalid_utf8)
{
  assert_plain (json_object_new_string ("a\xff"), "<a\xef\xbf\xbd>");
}
END_TEST

START_TEST (test_plain_numbers)
{
  assert_plain (json_object_new_int (242038), "<242038>");
  assert_plain (json_object_new_double (0.3), "<0.3>");
  assert_plain (json_object_new_double (5.0), "<5.0>");
}
END_TEST

START_TEST (test_plain_booleans)
{
  assert_plain (json_object_new_boolean (TRUE), "<true>");
  assert_plain (json_object_new_boolean (FALSE), "<false>");
}
END_TEST

START_TEST (test_plain_null_is_nothing)
{
  assert_plain (NULL, "<>");
}
END_TEST

START_TEST (test_plain_containers_are_compact_json)
{
  assert_plain (ph_json_parse ("{ \"a\" : [ 1, \"x\" ], \"b\": {} }", -1, NULL),
                "<{\"a\":[1,\"x\"],\"b\":{}}>");
}
END_TEST

START_TEST (test_parse_keeps_types)
{
  assert_parses_to (" {\"i\": -3, \"u\": 18446744073709551615, \"d\": 1.5, \"s\": \"\\u00e9\\/\","
                    " \"b\": false, \"n\": null, \"a\": []}\n",
                    "{\"i\":-3,\"u\":18446744073709551615,\"d\":1.5,\"s\":\"\xc3\xa9/\","
                    "\"b\":false,\"n\":null,\"a\":[]}");
}
END_TEST

START_TEST (test_parse_top_level_scalars)
{
  assert_parses_to ("42", "42");
  assert_parses_to ("\"x\"", "\"x\"");
  assert_parses_to ("true ", "true");
}
END_TEST

START_TEST (test_parse_rejects_bare_null)
{
  assert_parse_error (" \n null ", -1, "line 2, column 2: a bare null is not accepted");
}
END_TEST

/* json-c's strict mode takes these; JSON has no such numbers, and what
 * printhook writes of them (null) would not parse back to the same. */
START_TEST (test_parse_rejects_numbers_that_are_not_finite)
{
  assert_parse_error ("NaN", -1, "line 1, column 1: NaN is not a finite number");
  assert_parse_error ("{\"a\": [1, {\"b\": -Infinity}]}", -1,
                      "line 1, column 17: -Infinity is not a finite number");
  assert_parse_error ("{\"x\": 1,\n \"y\": 1e400}", -1,
                      "line 2, column 7: 1e400 is not a finite number");
  assert_parse_error ("[Infinity]", -1, "line 1, column 2: Infinity is not a finite number");
  assert_parses_to ("[1e300, -1e-400, 0]", "[1e+300,-0.0,0]");
}
END_TEST

START_TEST (test_parse_reads_only_len_bytes)
{
  g_autoptr (GError) error = NULL;
  json_object *value = ph_json_parse ("[1]garbage", 3, &error);

  ck_assert_ptr_null (error);
  assert_written (value, FALSE, "[1]");
}
END_TEST

START_TEST (test_parse_error_names_line_and_column)
{
  assert_parse_error ("{\"a\":1,\"b\":[1,x]}", -1, "line 1, column 15: unexpected character");
  assert_parse_error ("{\n  \"a\": 1,\n  \"b\": tru\n}", -1,
                      "line 3, column 11: boolean expected");
}
END_TEST

START_TEST (test_parse_error_column_counts_characters)
{
  assert_parse_error ("[\"\xc3\xa9\xc3\xa9\", x]", -1, "line 1, column 8: unexpected character");
}
END_TEST

START_TEST (test_parse_rejects_trailing_garbage)
{
  assert_parse_error ("{\"a\":1} x", -1, "line 1, column 9: unexpected character");
  assert_parse_error ("{}{}", -1, "line 1, column 3: unexpected character");
  assert_parse_error ("1 2", -1, "line 1, column 3: unexpected character");
}
END_TEST

START_TEST (test_parse_rejects_garbage_after_nul)
{
  assert_parse_error ("[1]\0x", 5, "line 1, column 4: unexpected character");
  assert_parse_error ("12\0x", 4, "line 1, column 3: unexpected character");
}
END_TEST

START_TEST (test_parse_accepts_trailing_whitespace)
{
  assert_parses_to ("[1] \r\n\t", "[1]");
}
END_TEST

START_TEST (test_parse_unterminated_text_reports_its_end)
{
  assert_parse_error ("[1,\n2", -1, "line 2, column 2: unexpected end of data");
  assert_parse_error ("\"abc", -1, "line 1, column 5: unexpected end of data");
}
END_TEST

START_TEST (test_parse_rejects_invalid_utf8)
{
  assert_parse_error ("[\"a\xff\"]", -1, "line 1, column 4: invalid utf-8 string");
  /* Overlong forms, which json-c's own check lets through and the writer
   * would then replace (found by the farm fuzz target). */
  assert_parse_error ("{\"a\": \"b\xc0\xa3\"}", -1, "line 1, column 9: invalid utf-8 string");
  assert_parse_error ("[\"\xe0\x80\xaf\"]", -1, "line 1, column 3: invalid utf-8 string");
  assert_parse_error ("[\"\xed\xa0\x80\"]", -1, "line 1, column 3: invalid utf-8 string");
}
END_TEST

START_TEST (test_parse_rejects_non_json_syntax)
{
  assert_parse_error ("['a']", -1, "line 1, column 2: unexpected character");
  assert_parse_error ("{a:1}", -1, "line 1, column 2: quoted object property name expected");
  assert_parse_error ("[1,]", -1, "line 1, column 4: unexpected character");
  assert_parse_error ("[1] // note", -1, "line 1, column 5: unexpected character");
}
END_TEST

START_TEST (test_parse_accepts_depth_64)
{
  json_object *value = nested_arrays (64);

  ck_assert_ptr_nonnull (value);
  json_object_put (value);
}
END_TEST

START_TEST (test_parse_rejects_depth_65)
{
  g_autofree char *text = g_strnfill (65, '[');

  assert_parse_error (text, -1, "line 1, column 65: nesting too deep");
}
END_TEST

START_TEST (test_parse_rejects_depth_1000)
{
  ck_assert_ptr_null (nested_arrays (1000));
}
END_TEST

START_TEST (test_parse_rejects_empty_text)
{
  assert_parse_error ("", -1, "empty");
  assert_parse_error ("x", 0, "empty");
}
END_TEST

START_TEST (test_parse_rejects_blank_text)
{
  assert_parse_error (" \n\t\r ", -1, "empty");
}
END_TEST

static Suite *
json_text_suite (void)
{
  Suite *suite = suite_create ("json_text");
  TCase *write = tcase_create ("write");
  TCase *plain = tcase_create ("plain");
  TCase *parse = tcase_create ("parse");

  tcase_add_test (write, test_compact_has_no_spaces);
  tcase_add_test (write, test_pretty_indents_two_spaces);
  tcase_add_test (write, test_empty_containers_stay_on_one_line);
  tcase_add_test (write, test_null_pointer_is_json_null);
  tcase_add_test (write, test_append_adds_to_existing_text);
  tcase_add_test (write, test_slash_is_not_escaped);
  tcase_add_test (write, test_non_ascii_is_written_raw);
  tcase_add_test (write, test_control_characters_are_escaped);
  tcase_add_test (write, test_nul_in_string_is_escaped);
  tcase_add_test (write, test_invalid_utf8_bytes_become_replacement_characters);
  tcase_add_test (write, test_invalid_utf8_in_key_is_replaced);
  tcase_add_test (write, test_int64_extremes);
  tcase_add_test (write, test_uint64_above_int64_max);
  tcase_add_test (write, test_strings_are_written_as_the_reference_writes_them);
  tcase_add_test (write, test_integers_are_written_as_printf_writes_them);
  tcase_add_test (write, test_double_takes_shortest_round_trip_form);
  tcase_add_test (write, test_whole_double_keeps_fraction);
  tcase_add_test (write, test_whole_double_below_1e16_uses_plain_digits);
  tcase_add_test (write, test_huge_double_uses_exponent);
  tcase_add_test (write, test_negative_zero_keeps_sign);
  tcase_add_test (write, test_nan_and_infinity_become_null);
  tcase_add_test (write, test_parsed_double_loses_its_original_text);
  suite_add_tcase (suite, write);

  tcase_add_test (plain, test_plain_string_has_no_quotes_or_escapes);
  tcase_add_test (plain, test_plain_string_replaces_invalid_utf8);
  tcase_add_test (plain, test_plain_numbers);
  tcase_add_test (plain, test_plain_booleans);
  tcase_add_test (plain, test_plain_null_is_nothing);
  tcase_add_test (plain, test_plain_containers_are_compact_json);
  suite_add_tcase (suite, plain);

  tcase_add_test (parse, test_parse_keeps_types);
  tcase_add_test (parse, test_parse_top_level_scalars);
  tcase_add_test (parse, test_parse_rejects_bare_null);
  tcase_add_test (parse, test_parse_rejects_numbers_that_are_not_finite);
  tcase_add_test (parse, test_parse_reads_only_len_bytes);
  tcase_add_test (parse, test_parse_error_names_line_and_column);
  tcase_add_test (parse, test_parse_error_column_counts_characters);
  tcase_add_test (parse, test_parse_rejects_trailing_garbage);
  tcase_add_test (parse, test_parse_rejects_garbage_after_nul);
  tcase_add_test (parse, test_parse_accepts_trailing_whitespace);
  tcase_add_test (parse, test_parse_unterminated_text_reports_its_end);
  tcase_add_test (parse, test_parse_rejects_invalid_utf8);
  tcase_add_test (parse, test_parse_rejects_non_json_syntax);
  tcase_add_test (parse, test_parse_accepts_depth_64);
  tcase_add_test (parse, test_parse_rejects_depth_65);
  tcase_add_test (parse, test_parse_rejects_depth_1000);
  tcase_add_test (parse, test_parse_rejects_empty_text);
  tcase_add_test (parse, test_parse_rejects_blank_text);
  suite_add_tcase (suite, parse);
  return suite;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (json_text_suite ());
}
