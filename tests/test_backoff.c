/* The retry schedule as a specification: what each outcome means, the
 * steps, the jitter, the Retry-After clamp, and when a delivery is given
 * up.  Table-driven: one row per case, named in the failure message. */
#include "autoconfig.h"

#include <string.h>

#include "delivery/backoff.h"
#include "config_fixture.h"
#include "harness.h"

#define S ((gint64) G_USEC_PER_SEC)
#define DEFAULT_SCHEDULE "5", "30", "120", "600", "1800", "3600"

static const struct {
  long status;
  ph_outcome outcome;
} status_table[] = {
  { 0, PH_OUTCOME_TRANSIENT },     /* refused, reset, timed out: no response */
  { 100, PH_OUTCOME_PERMANENT },
  { 199, PH_OUTCOME_PERMANENT },
  { 200, PH_OUTCOME_DELIVERED },
  { 204, PH_OUTCOME_DELIVERED },
  { 299, PH_OUTCOME_DELIVERED },
  { 301, PH_OUTCOME_DELIVERED },   /* not followed, but delivered (DESIGN.md §6) */
  { 302, PH_OUTCOME_DELIVERED },   /* Google Apps Script answers 302 after its work */
  { 399, PH_OUTCOME_DELIVERED },
  { 400, PH_OUTCOME_PERMANENT },
  { 401, PH_OUTCOME_PERMANENT },
  { 403, PH_OUTCOME_PERMANENT },
  { 404, PH_OUTCOME_PERMANENT },
  { 405, PH_OUTCOME_PERMANENT },
  { 408, PH_OUTCOME_TRANSIENT },
  { 409, PH_OUTCOME_PERMANENT },
  { 410, PH_OUTCOME_GONE },
  { 413, PH_OUTCOME_PERMANENT },
  { 422, PH_OUTCOME_PERMANENT },
  { 429, PH_OUTCOME_TRANSIENT },
  { 451, PH_OUTCOME_PERMANENT },
  { 499, PH_OUTCOME_PERMANENT },
  { 500, PH_OUTCOME_TRANSIENT },
  { 501, PH_OUTCOME_TRANSIENT },
  { 502, PH_OUTCOME_TRANSIENT },
  { 503, PH_OUTCOME_TRANSIENT },
  { 504, PH_OUTCOME_TRANSIENT },
  { 599, PH_OUTCOME_TRANSIENT },
  { 600, PH_OUTCOME_PERMANENT },
  { 999, PH_OUTCOME_PERMANENT },
};

START_TEST (test_status_classification)
{
  ck_assert_msg (ph_outcome_of_status (status_table[_i].status) == status_table[_i].outcome,
                 "HTTP %ld: got %d, expected %d", status_table[_i].status,
                 ph_outcome_of_status (status_table[_i].status), status_table[_i].outcome);
}
END_TEST

static const struct {
  printhook_result result;
  long status;
  ph_outcome outcome;
} result_table[] = {
  { PRINTHOOK_RESULT_DONE, 200, PH_OUTCOME_DELIVERED },
  { PRINTHOOK_RESULT_DONE, 0, PH_OUTCOME_DELIVERED },       /* a sender that is not HTTP */
  { PRINTHOOK_RESULT_RETRY, 0, PH_OUTCOME_TRANSIENT },      /* connection refused */
  { PRINTHOOK_RESULT_RETRY, 503, PH_OUTCOME_TRANSIENT },
  { PRINTHOOK_RESULT_FAIL, 0, PH_OUTCOME_PERMANENT },       /* bad URL, bad template */
  { PRINTHOOK_RESULT_FAIL, 404, PH_OUTCOME_PERMANENT },
  { PRINTHOOK_RESULT_FAIL, 410, PH_OUTCOME_GONE },
  { PRINTHOOK_RESULT_RETRY, 410, PH_OUTCOME_GONE },         /* 410 wins whatever the module said */
  /* The module is the judge of everything else: it knows its protocol. */
  { PRINTHOOK_RESULT_FAIL, 503, PH_OUTCOME_PERMANENT },
  { PRINTHOOK_RESULT_RETRY, 400, PH_OUTCOME_TRANSIENT },
};

START_TEST (test_result_classification)
{
  ph_outcome got = ph_outcome_of_result (result_table[_i].result, result_table[_i].status);

  ck_assert_msg (got == result_table[_i].outcome, "row %d (result %d, HTTP %ld): got %d", _i,
                 result_table[_i].result, result_table[_i].status, got);
}
END_TEST

static ph_retry_policy *
policy (const char *const *schedule, double max_age, gint64 max_attempts)
{
  g_autoptr (GError) error = NULL;
  ph_retry_policy *p = ph_retry_policy_new (schedule, max_age, max_attempts, &error);

  ck_assert_msg (p != NULL, "%s", error ? error->message : "");
  return p;
}

static const char *const default_schedule[] = { DEFAULT_SCHEDULE, NULL };

static const struct {
  guint attempts;
  double step;
} step_table[] = {
  { 0, 5 }, { 1, 5 }, { 2, 30 }, { 3, 120 }, { 4, 600 }, { 5, 1800 }, { 6, 3600 },
  { 7, 3600 }, { 50, 3600 }, { G_MAXUINT, 3600 },   /* then hourly */
};

START_TEST (test_steps_follow_the_schedule_then_repeat_the_last)
{
  g_autoptr (ph_retry_policy) p = policy (default_schedule, 86400, 0);

  ck_assert_double_eq (ph_backoff_step (p, step_table[_i].attempts), step_table[_i].step);
}
END_TEST

static const struct {
  double delay;
  double unit;
  double expected;
} jitter_table[] = {
  { 10, 0.0, 8 },       /* -20 % */
  { 10, 0.25, 9 },
  { 10, 0.5, 10 },
  { 10, 0.75, 11 },
  { 10, 1.0, 12 },      /* +20 %, the open end of [0, 1) */
  { 10, -3.0, 8 },      /* out of range: clamped */
  { 10, 7.0, 12 },
  { 3600, 0.5, 3600 },
};

START_TEST (test_jitter_is_plus_minus_twenty_percent)
{
  ck_assert_double_eq_tol (ph_backoff_jitter (jitter_table[_i].delay, jitter_table[_i].unit),
                           jitter_table[_i].expected, 1e-9);
}
END_TEST

static const struct {
  double delay;
  gint64 retry_after;
  long status;
  double expected;
} retry_after_table[] = {
  { 5, -1, 503, 5 },          /* no Retry-After: the schedule */
  { 5, 0, 503, 5 },           /* "Retry-After: 0" cannot make it hammer */
  { 5, 5, 503, 5 },
  { 5, 7, 503, 7 },           /* later than the schedule: honoured */
  { 5, 100, 503, 100 },       /* never sooner than asked */
  { 5, 3600, 503, 3600 },
  { 5, 999999, 503, 3600 },   /* up to retry.max_retry_after: cannot park the queue */
  { 600, 900, 503, 900 },
  { 600, 999999, 500, 3600 },
  { 5, -1, 429, 60 },         /* after a 429, at least a minute */
  { 5, 0, 429, 60 },
  { 5, 120, 429, 120 },       /* a rate limit asking for two minutes gets them */
  { 5, 999999, 429, 3600 },
  { 120, -1, 429, 120 },
  { 120, 200, 429, 200 },
  { 5000, 200, 429, 5000 },   /* the schedule's own step is longer */
  { 5, -1, 0, 5 },            /* connection refused */
};

START_TEST (test_retry_after_is_clamped)
{
  double got = ph_backoff_limit_retry_after (retry_after_table[_i].delay,
                                             retry_after_table[_i].retry_after,
                                             retry_after_table[_i].status, 3600);

  ck_assert_msg (got == retry_after_table[_i].expected,
                 "delay %g, Retry-After %" G_GINT64_FORMAT ", HTTP %ld: got %g, expected %g",
                 retry_after_table[_i].delay, retry_after_table[_i].retry_after,
                 retry_after_table[_i].status, got, retry_after_table[_i].expected);
}
END_TEST

static double
fixed_random (gpointer user_data)
{
  return *(const double *) user_data;
}

typedef struct {
  const char *name;
  ph_outcome outcome;
  long status;
  gint64 retry_after;
  guint attempts;
  double age_s;
  double max_age_s;
  guint max_attempts;
  double unit;
  ph_backoff_action action;
  double delay_s;
  ph_dead_reason reason;
  gboolean disable;
} decision_row;

#define T PH_OUTCOME_TRANSIENT
#define RETRY PH_BACKOFF_RETRY
#define DEAD PH_BACKOFF_DEAD

static const decision_row decision_table[] = {
  { "delivered", PH_OUTCOME_DELIVERED, 200, -1, 1, 0, 86400, 0, 0.5,
    PH_BACKOFF_DELIVERED, 0, PH_DEAD_NONE, FALSE },
  { "permanent 404", PH_OUTCOME_PERMANENT, 404, -1, 1, 0, 86400, 0, 0.5,
    DEAD, 0, PH_DEAD_PERMANENT, FALSE },
  { "410 disables the hook", PH_OUTCOME_GONE, 410, -1, 1, 0, 86400, 0, 0.5,
    DEAD, 0, PH_DEAD_GONE, TRUE },
  { "first retry after 5 s", T, 0, -1, 1, 0, 86400, 0, 0.5, RETRY, 5, PH_DEAD_NONE, FALSE },
  { "jitter low", T, 0, -1, 1, 0, 86400, 0, 0.0, RETRY, 4, PH_DEAD_NONE, FALSE },
  { "jitter high", T, 0, -1, 1, 0, 86400, 0, 0.75, RETRY, 5.5, PH_DEAD_NONE, FALSE },
  { "second retry after 30 s", T, 503, -1, 2, 5, 86400, 0, 0.5, RETRY, 30, PH_DEAD_NONE, FALSE },
  { "then hourly", T, 500, -1, 9, 20000, 86400, 0, 0.5, RETRY, 3600, PH_DEAD_NONE, FALSE },
  { "Retry-After 999999 waits retry.max_retry_after", T, 503, 999999, 1, 0, 86400, 0, 0.5,
    RETRY, 3600, PH_DEAD_NONE, FALSE },
  { "Retry-After 0 clamped", T, 503, 0, 3, 40, 86400, 0, 0.5, RETRY, 120, PH_DEAD_NONE, FALSE },
  { "Retry-After honoured", T, 503, 150, 3, 40, 86400, 0, 0.5, RETRY, 150, PH_DEAD_NONE, FALSE },
  { "429 waits a minute", T, 429, -1, 1, 0, 86400, 0, 0.5, RETRY, 60, PH_DEAD_NONE, FALSE },
  { "below max_attempts", T, 0, -1, 2, 10, 86400, 3, 0.5, RETRY, 30, PH_DEAD_NONE, FALSE },
  { "max_attempts reached", T, 0, -1, 3, 40, 86400, 3, 0.5, DEAD, 0, PH_DEAD_MAX_ATTEMPTS, FALSE },
  { "max_attempts 1: no retry", T, 503, -1, 1, 0, 86400, 1, 0.5,
    DEAD, 0, PH_DEAD_MAX_ATTEMPTS, FALSE },
  { "next attempt fits max_age", T, 0, -1, 6, 80000, 86400, 0, 0.5,
    RETRY, 3600, PH_DEAD_NONE, FALSE },
  { "next attempt ends exactly at max_age", T, 0, -1, 6, 82800, 86400, 0, 0.5,
    RETRY, 3600, PH_DEAD_NONE, FALSE },
  { "next attempt after max_age", T, 0, -1, 6, 83000, 86400, 0, 0.5,
    DEAD, 0, PH_DEAD_MAX_AGE, FALSE },
  { "jitter low still fits", T, 0, -1, 7, 83000, 86400, 0, 0.0,
    RETRY, 2880, PH_DEAD_NONE, FALSE },
  { "Retry-After pushes past max_age", T, 503, 2000, 2, 85000, 86400, 0, 0.5,
    DEAD, 0, PH_DEAD_MAX_AGE, FALSE },
  { "max_age 0: no retries", T, 0, -1, 1, 0, 0, 0, 0.5, DEAD, 0, PH_DEAD_MAX_AGE, FALSE },
  { "permanent ignores the budget", PH_OUTCOME_PERMANENT, 400, -1, 1, 0, 0, 0, 0.5,
    DEAD, 0, PH_DEAD_PERMANENT, FALSE },
};

START_TEST (test_decisions)
{
  const decision_row *row = &decision_table[_i];
  g_autoptr (ph_retry_policy) p = policy (default_schedule, row->max_age_s, row->max_attempts);
  ph_backoff_decision d = ph_backoff_decide (p, row->outcome, row->status, row->retry_after,
                                             row->attempts, (gint64) (row->age_s * S),
                                             fixed_random, (gpointer) &row->unit);

  ck_assert_msg (d.action == row->action, "%s: action %d, expected %d", row->name, d.action,
                 row->action);
  ck_assert_msg (d.delay == (gint64) (row->delay_s * S), "%s: delay %" G_GINT64_FORMAT " us, expected %g s",
                 row->name, d.delay, row->delay_s);
  ck_assert_msg (d.reason == row->reason, "%s: reason %d, expected %d", row->name, d.reason,
                 row->reason);
  ck_assert_msg (d.disable_hook == row->disable, "%s: disable_hook %d", row->name,
                 d.disable_hook);
}
END_TEST

START_TEST (test_default_random_stays_within_jitter)
{
  const char *const schedule[] = { "10", NULL };
  g_autoptr (ph_retry_policy) p = policy (schedule, 86400, 0);
  gint64 low = G_MAXINT64, high = 0;

  for (guint i = 0; i < 2000; i++)
    {
      ph_backoff_decision d = ph_backoff_decide (p, PH_OUTCOME_TRANSIENT, 0, -1, 1, 0, NULL, NULL);

      ck_assert_int_eq (d.action, PH_BACKOFF_RETRY);
      low = MIN (low, d.delay);
      high = MAX (high, d.delay);
    }
  ck_assert_int_ge (low, 8 * S);
  ck_assert_int_le (high, 12 * S);
  /* Spread, not a constant: 2000 draws cover most of the range. */
  ck_assert_int_lt (low, 9 * S);
  ck_assert_int_gt (high, 11 * S);
}
END_TEST

START_TEST (test_expired_is_strictly_past_max_age)
{
  g_autoptr (ph_retry_policy) p = policy (default_schedule, 60, 0);

  ck_assert (!ph_backoff_expired (p, 0));
  ck_assert (!ph_backoff_expired (p, 60 * S));
  ck_assert (ph_backoff_expired (p, 60 * S + 1));
}
END_TEST

static const struct {
  const char *schedule[4];
  double max_age;
  gint64 max_attempts;
  const char *error;
} bad_policy_table[] = {
  { { NULL }, 86400, 0, "at least one delay" },
  { { "0", NULL }, 86400, 0, "'0' is not a number of seconds above 0" },
  { { "5", "-1", NULL }, 86400, 0, "'-1'" },
  { { "abc", NULL }, 86400, 0, "'abc'" },
  { { "5s", NULL }, 86400, 0, "'5s'" },
  { { "1e9", NULL }, 86400, 0, "'1e9'" },
  { { "nan", NULL }, 86400, 0, "'nan'" },
  { { "5", NULL }, -1, 0, "retry.max_age" },
  { { "5", NULL }, 86400, -2, "retry.max_attempts" },
};

START_TEST (test_bad_policies_are_refused)
{
  g_autoptr (GError) error = NULL;
  ph_retry_policy *p = ph_retry_policy_new (bad_policy_table[_i].schedule,
                                            bad_policy_table[_i].max_age,
                                            bad_policy_table[_i].max_attempts, &error);

  ck_assert_ptr_null (p);
  ck_assert (g_error_matches (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG));
  ck_assert_msg (strstr (error->message, bad_policy_table[_i].error) != NULL, "row %d: %s", _i,
                 error->message);
}
END_TEST

START_TEST (test_fractional_steps_for_short_test_schedules)
{
  const char *const schedule[] = { "0.2", "0.5", NULL };
  g_autoptr (ph_retry_policy) p = policy (schedule, 10, 0);
  double half = 0.5;
  ph_backoff_decision d = ph_backoff_decide (p, PH_OUTCOME_TRANSIENT, 0, -1, 1, 0, fixed_random,
                                             &half);

  ck_assert_int_eq (d.delay, 200000);
  d = ph_backoff_decide (p, PH_OUTCOME_TRANSIENT, 0, -1, 5, 0, fixed_random, &half);
  ck_assert_int_eq (d.delay, 500000);
}
END_TEST

#define HOOK_CONFIG(keys) \
  "[printhook]\ntest-sender.label = L\n" \
  "[hook h]\nurl = http://127.0.0.1:9/x\nmodules = test-sender\n" keys

START_TEST (test_policy_from_a_hooks_config)
{
  g_autoptr (ph_loaded) defaults = ph_load_text (HOOK_CONFIG (""), NULL);
  g_autoptr (ph_loaded) custom = ph_load_text (
      HOOK_CONFIG ("retry.schedule = 1, 2.5; 7\nretry.max_age = 600\nretry.max_attempts = 4\n"
                   "retry.max_retry_after = 120\n"),
      NULL);
  g_autoptr (ph_retry_policy) d = NULL;
  g_autoptr (ph_retry_policy) c = NULL;
  g_autoptr (GError) error = NULL;
  const ph_hook *hook;

  ck_assert_ptr_nonnull (defaults->config);
  ck_assert_ptr_nonnull (custom->config);
  hook = g_ptr_array_index (defaults->config->hooks, 0);
  d = ph_retry_policy_new_from_config (hook->config, &error);
  ck_assert_ptr_nonnull (d);
  ck_assert_uint_eq (d->schedule_len, 6);
  ck_assert_double_eq (d->schedule[0], 5);
  ck_assert_double_eq (d->schedule[5], 3600);
  ck_assert_double_eq (d->max_age, 86400);
  ck_assert_uint_eq (d->max_attempts, 0);
  ck_assert_double_eq (d->max_retry_after, 3600);

  hook = g_ptr_array_index (custom->config->hooks, 0);
  c = ph_retry_policy_new_from_config (hook->config, &error);
  ck_assert_ptr_nonnull (c);
  ck_assert_uint_eq (c->schedule_len, 3);
  ck_assert_double_eq (c->schedule[1], 2.5);
  ck_assert_double_eq (c->schedule[2], 7);
  ck_assert_double_eq (c->max_age, 600);
  ck_assert_uint_eq (c->max_attempts, 4);
  ck_assert_double_eq (c->max_retry_after, 120);
}
END_TEST

START_TEST (test_dead_reasons_read_as_sentences)
{
  ck_assert_str_eq (ph_dead_reason_describe (PH_DEAD_GONE), "the receiver answered 410 Gone");
  ck_assert_str_eq (ph_dead_reason_describe (PH_DEAD_MAX_AGE), "retry.max_age reached");
  ck_assert_str_eq (ph_dead_reason_describe (PH_DEAD_MAX_ATTEMPTS), "retry.max_attempts reached");
  ck_assert_str_eq (ph_dead_reason_describe (PH_DEAD_PERMANENT),
                    "permanent failure: retrying will not help");
}
END_TEST

static Suite *
backoff_suite (void)
{
  Suite *s = suite_create ("backoff");
  TCase *tc = tcase_create ("backoff");

  tcase_add_loop_test (tc, test_status_classification, 0, G_N_ELEMENTS (status_table));
  tcase_add_loop_test (tc, test_result_classification, 0, G_N_ELEMENTS (result_table));
  tcase_add_loop_test (tc, test_steps_follow_the_schedule_then_repeat_the_last, 0,
                       G_N_ELEMENTS (step_table));
  tcase_add_loop_test (tc, test_jitter_is_plus_minus_twenty_percent, 0,
                       G_N_ELEMENTS (jitter_table));
  tcase_add_loop_test (tc, test_retry_after_is_clamped, 0, G_N_ELEMENTS (retry_after_table));
  tcase_add_loop_test (tc, test_decisions, 0, G_N_ELEMENTS (decision_table));
  tcase_add_test (tc, test_default_random_stays_within_jitter);
  tcase_add_test (tc, test_expired_is_strictly_past_max_age);
  tcase_add_loop_test (tc, test_bad_policies_are_refused, 0, G_N_ELEMENTS (bad_policy_table));
  tcase_add_test (tc, test_fractional_steps_for_short_test_schedules);
  tcase_add_test (tc, test_policy_from_a_hooks_config);
  tcase_add_test (tc, test_dead_reasons_read_as_sentences);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  return ph_test_run (backoff_suite ());
}
