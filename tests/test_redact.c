/* Secrets never reach logs or printed output. */
#include "autoconfig.h"

#include "harness.h"
#include "config/redact.h"

static char *
apply (const char *text)
{
  g_autoptr (ph_redactor) r = ph_redactor_new ();
  return ph_redactor_apply (r, text);
}

START_TEST (test_userinfo_is_hidden)
{
  g_autofree char *a = apply ("connection refused to https://admin:pa55@printer.lan:8080/x");
  g_autofree char *b = apply ("http://token@h/ and http://h/no-user and ftp://u:p@f/");

  ck_assert_str_eq (a, "connection refused to https://****@printer.lan:8080/x");
  ck_assert_str_eq (b, "http://****@h/ and http://h/no-user and ftp://****@f/");
}
END_TEST

START_TEST (test_tokens_in_paths_are_hidden)
{
  g_autofree char *discord = apply ("https://discord.com/api/webhooks/1234567890/AbC-dEf_123?wait=true");
  g_autofree char *slack = apply ("https://hooks.slack.com/services/T0/B0/XyZ");
  g_autofree char *ifttt = apply ("https://maker.ifttt.com/trigger/printer_PrintDone/with/key/k3y-Secret");
  g_autofree char *telegram = apply ("https://api.telegram.org/bot123456:ABC-DEF1234/sendMessage");
  g_autofree char *plain = apply ("https://ha.local/api/webhook/printer and https://h/webhooks/");

  ck_assert_str_eq (discord, "https://discord.com/api/webhooks/1234567890/****?wait=true");
  ck_assert_str_eq (slack, "https://hooks.slack.com/services/T0/B0/****");
  ck_assert_str_eq (ifttt, "https://maker.ifttt.com/trigger/printer_PrintDone/with/key/****");
  ck_assert_str_eq (telegram, "https://api.telegram.org/bot****/sendMessage");
  ck_assert_str_eq (plain, "https://ha.local/api/webhook/printer and https://h/webhooks/");
}
END_TEST

START_TEST (test_credential_query_values_are_hidden)
{
  g_autofree char *a = apply ("GET https://maker.example/x?key=abc&value1=benchy.gcode&TOKEN=t&x#frag");
  g_autofree char *b = apply ("https://h/?sig=1&signature=2&api_key=3&keys=4");

  ck_assert_str_eq (a, "GET https://maker.example/x?key=****&value1=benchy.gcode&TOKEN=****&x#frag");
  ck_assert_str_eq (b, "https://h/?sig=****&signature=****&api_key=****&keys=4");
}
END_TEST

START_TEST (test_known_secrets_longest_first)
{
  g_autoptr (ph_redactor) r = ph_redactor_new ();
  g_autofree char *out = NULL;

  ph_redactor_add (r, "abc");
  ph_redactor_add (r, "abcdef");
  ph_redactor_add (r, "");
  ph_redactor_add (r, NULL);
  out = ph_redactor_apply (r, "x abcdef y abc z abcabc");
  ck_assert_str_eq (out, "x **** y **** z ********");
}
END_TEST

START_TEST (test_text_without_secrets_is_unchanged)
{
  g_autofree char *a = apply ("");
  g_autofree char *b = apply ("a message with user@example.com and no URL");
  g_autofree char *c = apply ("truncated http://");

  ck_assert_str_eq (a, "");
  ck_assert_str_eq (b, "a message with user@example.com and no URL");
  ck_assert_str_eq (c, "truncated http://");
}
END_TEST

START_TEST (test_sensitive_header_names)
{
  ck_assert (ph_header_is_sensitive ("Authorization"));
  ck_assert (ph_header_is_sensitive ("proxy-authorization"));
  ck_assert (ph_header_is_sensitive ("X-Api-Key"));
  ck_assert (ph_header_is_sensitive ("Cookie"));
  ck_assert (ph_header_is_sensitive ("X-Hub-Signature-256"));
  ck_assert (ph_header_is_sensitive ("X-Auth-Token"));
  ck_assert (!ph_header_is_sensitive ("Content-Type"));
  ck_assert (!ph_header_is_sensitive ("X-Printer"));
}
END_TEST

static Suite *
redact_suite (void)
{
  Suite *s = suite_create ("redact");
  TCase *tc = tcase_create ("redact");

  tcase_add_test (tc, test_userinfo_is_hidden);
  tcase_add_test (tc, test_tokens_in_paths_are_hidden);
  tcase_add_test (tc, test_credential_query_values_are_hidden);
  tcase_add_test (tc, test_known_secrets_longest_first);
  tcase_add_test (tc, test_text_without_secrets_is_unchanged);
  tcase_add_test (tc, test_sensitive_header_names);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (redact_suite ());
}
