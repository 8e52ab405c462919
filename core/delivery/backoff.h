/* When to try a failed delivery again, and when to give up (DESIGN.md §6):
 * what an outcome means, the retry.* schedule with jitter, Retry-After
 * within bounds, retry.max_age and retry.max_attempts.  Pure functions:
 * the caller passes the clock and, if it wants, the random source. */
#ifndef PH_BACKOFF_H
#define PH_BACKOFF_H

#include <glib.h>
#include "printhook/module.h"

/* Jitter spreads retries of many deliveries that failed together:
 * a delay d becomes a value in [0.8 d, 1.2 d) (Svix's JITTER_DELTA). */
#define PH_BACKOFF_JITTER 0.2

/* After a 429 the receiver is overloaded: the next attempt waits at least
 * this long whatever the schedule says (Svix's OVERLOAD_PENALTY_SECS). */
#define PH_BACKOFF_429_FLOOR_S 60

/* A hook's retry.* settings. */
typedef struct {
  double *schedule;        /* seconds between attempts, each > 0; the last repeats */
  guint schedule_len;      /* at least 1 */
  double max_age;          /* seconds after which no new attempt starts */
  guint max_attempts;      /* attempts in all; 0: no limit but max_age */
  double max_retry_after;  /* the longest Retry-After honoured, seconds */
} ph_retry_policy;

/* schedule: retry.schedule's items (NULL-terminated, at least one; each a
 * number of seconds above 0, at most a year); max_age: seconds >= 0;
 * max_attempts: >= 0.  max_retry_after is PH_DEFAULT_MAX_RETRY_AFTER_S.
 * Transfer full, or NULL with a PRINTHOOK_ERROR_CONFIG error naming the
 * bad item. */
ph_retry_policy *ph_retry_policy_new (const char *const *schedule, double max_age,
                                      gint64 max_attempts, GError **error);

/* The policy of a hook from its typed config (transfer none): retry.schedule,
 * retry.max_age, retry.max_attempts, retry.max_retry_after with their
 * defaults.  Transfer full, or
 * NULL with error (a config the loader validated does not fail). */
ph_retry_policy *ph_retry_policy_new_from_config (const printhook_config *config,
                                                  GError **error);
void ph_retry_policy_free (ph_retry_policy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_retry_policy, ph_retry_policy_free)

/* What the outcome of one attempt means for the delivery. */
typedef enum {
  PH_OUTCOME_DELIVERED,    /* 200-399 (the old plugin's promise, DESIGN.md §6) */
  PH_OUTCOME_TRANSIENT,    /* connection error, timeout, 408, 429, 5xx: retry */
  PH_OUTCOME_PERMANENT,    /* any other status, an invalid request: dead letter */
  PH_OUTCOME_GONE          /* 410: dead letter, and the hook is disabled */
} ph_outcome;

/* What an HTTP status means; 0 (no response at all: the connection failed
 * or timed out) is TRANSIENT.  A 1xx never ends an exchange, so it means the
 * receiver broke HTTP: PERMANENT. */
ph_outcome ph_outcome_of_status (long status);

/* What a finished chain means: result is the chain's (DONE, RETRY or FAIL;
 * the send module has classified the receiver's answer already), status the
 * receiver's last status or 0.  A 410 is GONE whatever the module said:
 * the Standard Webhooks advice is to stop sending to that endpoint. */
ph_outcome ph_outcome_of_result (printhook_result result, long status);

/* Why a delivery became a dead letter. */
typedef enum {
  PH_DEAD_NONE = 0,
  PH_DEAD_PERMANENT,       /* the receiver or the request said retrying will not help */
  PH_DEAD_GONE,            /* the receiver answered 410 Gone */
  PH_DEAD_MAX_ATTEMPTS,    /* retry.max_attempts attempts failed */
  PH_DEAD_MAX_AGE          /* the next attempt would start after retry.max_age */
} ph_dead_reason;

/* A sentence for logs and the spool ("retry.max_age reached").
 * Transfer none. */
const char *ph_dead_reason_describe (ph_dead_reason reason);

typedef enum {
  PH_BACKOFF_DELIVERED,    /* remove it from the spool */
  PH_BACKOFF_RETRY,        /* try again after delay */
  PH_BACKOFF_DEAD          /* keep it as a dead letter */
} ph_backoff_action;

typedef struct {
  ph_backoff_action action;
  gint64 delay;            /* RETRY: microseconds from now to the next attempt */
  ph_dead_reason reason;   /* DEAD: why */
  gboolean disable_hook;   /* a 410: disable the hook until the config is reloaded */
} ph_backoff_decision;

/* A uniform random number in [0, 1). */
typedef double (*ph_random_func) (gpointer user_data);

/* The scheduled delay in seconds after the attempt numbered attempts
 * (1 for the first): schedule[attempts - 1], the last step once past the
 * end (0 counts as 1). */
double ph_backoff_step (const ph_retry_policy *policy, guint attempts);

/* delay (seconds) spread by PH_BACKOFF_JITTER: unit 0 gives 0.8 × delay,
 * 0.5 the delay itself, values towards 1 towards 1.2 × delay.  unit is
 * clamped to [0, 1]. */
double ph_backoff_jitter (double delay, double unit);

/* The delay (seconds) after a response that asked for retry_after seconds
 * (-1: it did not ask; from ph_http_response_get_retry_after, a past date
 * is 0): never sooner than the receiver asked, up to max_retry_after (so
 * that "Retry-After: 999999" cannot park the queue), and never sooner than
 * the schedule's delay (so that "Retry-After: 0" cannot make it hammer);
 * then at least PH_BACKOFF_429_FLOOR_S after a 429.  A rate-limited
 * receiver (Discord, Telegram) answers a retry that comes sooner than it
 * asked with another 429. */
double ph_backoff_limit_retry_after (double delay, gint64 retry_after, long status,
                                     double max_retry_after);

/* Whether a delivery whose retry window opened age microseconds ago may no
 * longer be attempted at all (a pending delivery found after the daemon
 * was down longer than retry.max_age): age > max_age. */
gboolean ph_backoff_expired (const ph_retry_policy *policy, gint64 age);

/* What to do after an attempt that came to outcome.  status and
 * retry_after: the receiver's last answer (0 and -1 when none); attempts:
 * attempts made in the delivery's retry window, this one included (>= 1);
 * age: microseconds since that window opened (its creation, or the manual
 * retry that reopened it).  random: the jitter's source (NULL:
 * g_random_double; tests pass a fixed one).  Gives up when the outcome is
 * permanent or gone, when attempts reached max_attempts, or when the next
 * attempt would start after max_age. */
ph_backoff_decision ph_backoff_decide (const ph_retry_policy *policy, ph_outcome outcome,
                                       long status, gint64 retry_after, guint attempts,
                                       gint64 age, ph_random_func random,
                                       gpointer random_data);

#endif
