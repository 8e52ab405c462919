#include "autoconfig.h"
#include "backoff.h"

#include "config/config_keys.h"
#include "config/hook_config.h"

/* The bound retry.schedule's items have in the config check too. */
#define MAX_STEP_S 31536000.0

ph_retry_policy *
ph_retry_policy_new (const char *const *schedule, double max_age, gint64 max_attempts,
                     GError **error)
{
  g_autoptr (ph_retry_policy) policy = g_new0 (ph_retry_policy, 1);
  guint n = schedule != NULL ? g_strv_length ((char **) schedule) : 0;

  if (n == 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "retry.schedule needs at least one delay in seconds");
      return NULL;
    }
  if (!(max_age >= 0))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "retry.max_age must be 0 or more seconds");
      return NULL;
    }
  if (max_attempts < 0 || max_attempts > G_MAXUINT)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "retry.max_attempts must be 0 or a positive number");
      return NULL;
    }
  policy->schedule = g_new (double, n);
  policy->schedule_len = n;
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;
      double seconds = g_ascii_strtod (schedule[i], &end);

      if (end == schedule[i] || *end != '\0' || !(seconds > 0) || seconds > MAX_STEP_S)
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                       "retry.schedule: '%s' is not a number of seconds above 0", schedule[i]);
          return NULL;
        }
      policy->schedule[i] = seconds;
    }
  policy->max_age = max_age;
  policy->max_attempts = (guint) max_attempts;
  policy->max_retry_after = PH_DEFAULT_MAX_RETRY_AFTER_S;
  return g_steal_pointer (&policy);
}

ph_retry_policy *
ph_retry_policy_new_from_config (const printhook_config *config, GError **error)
{
  ph_retry_policy *policy = ph_retry_policy_new (ph_hook_config_get_list (config, "retry.schedule"),
                                                 ph_hook_config_get_double (config, "retry.max_age"),
                                                 ph_hook_config_get_int (config, "retry.max_attempts"),
                                                 error);

  if (policy != NULL)
    policy->max_retry_after = ph_hook_config_get_double (config, "retry.max_retry_after");
  return policy;
}

void
ph_retry_policy_free (ph_retry_policy *policy)
{
  if (policy == NULL)
    return;
  g_free (policy->schedule);
  g_free (policy);
}

ph_outcome
ph_outcome_of_status (long status)
{
  if (status == 0)
    return PH_OUTCOME_TRANSIENT;
  if (status >= 200 && status <= 399)
    return PH_OUTCOME_DELIVERED;
  if (status == 410)
    return PH_OUTCOME_GONE;
  if (status == 408 || status == 429 || (status >= 500 && status <= 599))
    return PH_OUTCOME_TRANSIENT;
  return PH_OUTCOME_PERMANENT;
}

ph_outcome
ph_outcome_of_result (printhook_result result, long status)
{
  if (status == 410)
    return PH_OUTCOME_GONE;
  switch (result)
    {
    case PRINTHOOK_RESULT_DONE:
      return PH_OUTCOME_DELIVERED;
    case PRINTHOOK_RESULT_RETRY:
      return PH_OUTCOME_TRANSIENT;
    case PRINTHOOK_RESULT_FAIL:
      return PH_OUTCOME_PERMANENT;
    case PRINTHOOK_RESULT_PENDING:
    default:
      g_return_val_if_reached (PH_OUTCOME_PERMANENT);
    }
}

const char *
ph_dead_reason_describe (ph_dead_reason reason)
{
  switch (reason)
    {
    case PH_DEAD_PERMANENT:
      return "permanent failure: retrying will not help";
    case PH_DEAD_GONE:
      return "the receiver answered 410 Gone";
    case PH_DEAD_MAX_ATTEMPTS:
      return "retry.max_attempts reached";
    case PH_DEAD_MAX_AGE:
      return "retry.max_age reached";
    case PH_DEAD_NONE:
    default:
      return "not dead";
    }
}

double
ph_backoff_step (const ph_retry_policy *policy, guint attempts)
{
  guint index = attempts == 0 ? 0 : attempts - 1;

  return policy->schedule[MIN (index, policy->schedule_len - 1)];
}

double
ph_backoff_jitter (double delay, double unit)
{
  unit = CLAMP (unit, 0.0, 1.0);
  return delay * (1.0 - PH_BACKOFF_JITTER + 2.0 * PH_BACKOFF_JITTER * unit);
}

double
ph_backoff_limit_retry_after (double delay, gint64 retry_after, long status,
                              double max_retry_after)
{
  if (retry_after >= 0)
    delay = MAX (delay, MIN ((double) retry_after, max_retry_after));
  if (status == 429)
    delay = MAX (delay, (double) PH_BACKOFF_429_FLOOR_S);
  return delay;
}

gboolean
ph_backoff_expired (const ph_retry_policy *policy, gint64 age)
{
  return (double) age > policy->max_age * G_USEC_PER_SEC;
}

static double
default_random (gpointer user_data)
{
  return g_random_double ();
}

ph_backoff_decision
ph_backoff_decide (const ph_retry_policy *policy, ph_outcome outcome, long status,
                   gint64 retry_after, guint attempts, gint64 age, ph_random_func random,
                   gpointer random_data)
{
  ph_backoff_decision decision = { PH_BACKOFF_RETRY, 0, PH_DEAD_NONE, FALSE };
  double delay;

  switch (outcome)
    {
    case PH_OUTCOME_DELIVERED:
      decision.action = PH_BACKOFF_DELIVERED;
      return decision;
    case PH_OUTCOME_GONE:
      decision.action = PH_BACKOFF_DEAD;
      decision.reason = PH_DEAD_GONE;
      decision.disable_hook = TRUE;
      return decision;
    case PH_OUTCOME_PERMANENT:
      decision.action = PH_BACKOFF_DEAD;
      decision.reason = PH_DEAD_PERMANENT;
      return decision;
    case PH_OUTCOME_TRANSIENT:
    default:
      break;
    }
  if (policy->max_attempts > 0 && attempts >= policy->max_attempts)
    {
      decision.action = PH_BACKOFF_DEAD;
      decision.reason = PH_DEAD_MAX_ATTEMPTS;
      return decision;
    }
  if (random == NULL)
    random = default_random;
  delay = ph_backoff_jitter (ph_backoff_step (policy, attempts), random (random_data));
  delay = ph_backoff_limit_retry_after (delay, retry_after, status, policy->max_retry_after);
  /* Rounded, so that 5.5 s is 5500000 us whatever the last bit says. */
  decision.delay = (gint64) (delay * G_USEC_PER_SEC + 0.5);
  if (ph_backoff_expired (policy, age + decision.delay))
    {
      decision.action = PH_BACKOFF_DEAD;
      decision.reason = PH_DEAD_MAX_AGE;
      decision.delay = 0;
    }
  return decision;
}
