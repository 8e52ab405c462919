/* http-webhook's signatures against the published test vectors. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "sign.h"

#define BODY "{\"test\": 2432232314}"

START_TEST (test_standard_webhooks_spec_vector)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *signature = ph_sign_standard ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                                 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                                 (const guint8 *) BODY, strlen (BODY), &error);

  ck_assert_str_eq (signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}
END_TEST

START_TEST (test_standard_signature_changes_with_every_input)
{
  g_autofree char *base = ph_sign_standard ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_a", 1,
                                            (const guint8 *) "x", 1, NULL);
  g_autofree char *other_ts = ph_sign_standard ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_a", 2,
                                                (const guint8 *) "x", 1, NULL);
  g_autofree char *other_body = ph_sign_standard ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_a", 1,
                                                  (const guint8 *) "y", 1, NULL);

  ck_assert_str_ne (base, other_ts);
  ck_assert_str_ne (base, other_body);
}
END_TEST

START_TEST (test_malformed_standard_secrets)
{
  g_autoptr (GError) e1 = NULL, e2 = NULL;

  ck_assert_ptr_null (ph_sign_standard ("whsec_", "id", 1, (const guint8 *) "", 0, &e1));
  ck_assert_ptr_null (ph_sign_standard ("plain", "id", 1, (const guint8 *) "", 0, &e2));
  ck_assert_ptr_nonnull (e1);
  ck_assert_ptr_nonnull (e2);
}
END_TEST

/* GitHub's documented example ("Validating webhook deliveries"). */
START_TEST (test_github_documented_example)
{
  g_autofree char *signature = ph_sign_github ("It's a Secret to Everybody",
                                               (const guint8 *) "Hello, World!", 13);

  ck_assert_str_eq (signature, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}
END_TEST

static Suite *
sign_suite (void)
{
  Suite *s = suite_create ("sign");
  TCase *tc = tcase_create ("sign");

  tcase_add_test (tc, test_standard_webhooks_spec_vector);
  tcase_add_test (tc, test_standard_signature_changes_with_every_input);
  tcase_add_test (tc, test_malformed_standard_secrets);
  tcase_add_test (tc, test_github_documented_example);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (sign_suite ());
}
