#include "autoconfig.h"
#include "deliverer_private.h"

#include "chain_run.h"
#include "spool_delivery.h"

/* One attempt of one delivery. */
typedef struct {
  ph_deliverer *dv;
  ph_generation *gen;
  gint64 started;            /* monotonic */
  gboolean spooled;          /* the spool holds the delivery: the outcome goes there */
  guint attempts;            /* in its retry window, this one included */
  gint64 window_start;       /* where retry.max_age counts from */
  guint stored_attachments;  /* how many attachments the spool holds for it */
} attempt;

ph_deliverer *
ph_deliverer_new (ph_spool *spool)
{
  ph_deliverer *dv = g_new0 (ph_deliverer, 1);

  dv->spool = spool;
  dv->hook_running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  dv->running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  dv->gone = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return dv;
}

void
ph_deliverer_free (ph_deliverer *dv)
{
  if (dv == NULL)
    return;
  g_warn_if_fail (dv->in_flight == 0);
  ph_deliverer_schedule_stop (dv);
  ph_deliverer_commit_final (dv);
  ph_generation_unref (dv->gen);
  g_hash_table_unref (dv->hook_running);
  g_hash_table_unref (dv->running);
  g_hash_table_unref (dv->gone);
  g_free (dv);
}

void
ph_deliverer_set_generation (ph_deliverer *dv, ph_generation *gen)
{
  ph_generation_ref (gen);
  ph_generation_unref (dv->gen);
  dv->gen = gen;
  g_hash_table_remove_all (dv->gone);
  ph_deliverer_schedule_start (dv);
}

void
ph_deliverer_set_activity (ph_deliverer *dv, ph_activity *activity)
{
  dv->activity = activity;
}

void
ph_deliverer_kick (ph_deliverer *dv)
{
  ph_deliverer_schedule (dv);
}

gboolean
ph_deliverer_spool_healthy (const ph_deliverer *dv)
{
  return dv->held_until <= g_get_real_time ();
}

gboolean
ph_deliverer_hook_gone (const ph_deliverer *dv, const char *hook)
{
  return g_hash_table_contains (dv->gone, hook);
}

void
ph_deliverer_stop (ph_deliverer *dv)
{
  dv->stopped = TRUE;
  ph_deliverer_schedule_stop (dv);
  /* The events taken in have their first attempts now, within the grace
   * period. */
  ph_deliverer_commit (dv);
}

void
ph_deliverer_abandon (ph_deliverer *dv)
{
  ph_deliverer_stop (dv);
  dv->abandoned = TRUE;
}

guint
ph_deliverer_in_flight (const ph_deliverer *dv)
{
  return dv->in_flight;
}

void
ph_deliverer_set_idle_func (ph_deliverer *dv, GSourceFunc func, gpointer user_data)
{
  dv->idle_func = func;
  dv->idle_data = user_data;
}

/* Long enough to spare the receiver a stream of duplicates, short enough
 * that deliveries go on soon after the spool works again. */
#define HOLD_S 10

void
ph_deliverer_hold (ph_deliverer *dv)
{
  dv->held_until = g_get_real_time () + HOLD_S * G_USEC_PER_SEC;
}

guint
ph_deliverer_hook_running (const ph_deliverer *dv, const char *hook)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (dv->hook_running, hook));
}

static void
count_running (ph_deliverer *dv, const char *hook, int change)
{
  guint n = ph_deliverer_hook_running (dv, hook) + change;

  if (n == 0)
    g_hash_table_remove (dv->hook_running, hook);
  else
    g_hash_table_insert (dv->hook_running, g_strdup (hook), GUINT_TO_POINTER (n));
}

/* How long an attempt keeps its delivery from falling due again: more than
 * the attempt may take (a token request, a snapshot, the webhook), yet
 * short enough that a delivery whose attempt was lost is not stuck. */
static gint64
lease_of (const ph_hook *hook)
{
  double timeout = ph_hook_config_get_double (hook->config, "timeout");
  double connect = ph_hook_config_get_double (hook->config, "connect_timeout");

  return (gint64) ((2 * (timeout + connect) + 60) * G_USEC_PER_SEC);
}

/* A spool error while recording an outcome: a delivery dropped meanwhile
 * by printhook spool is no trouble. */
static void
log_spool_error (ph_deliverer *dv, const printhook_delivery *d, const char *doing,
                 const GError *error)
{
  if (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND))
    {
      g_info ("hook %s: %s (%s) was dropped from the spool meanwhile", d->hook->name,
              d->event->name, d->id);
      return;
    }
  g_warning ("hook %s: %s (%s): cannot %s in the spool: %s", d->hook->name, d->event->name,
             d->id, doing, error->message);
  ph_deliverer_hold (dv);
}

static char *
describe_seconds (gint64 usec)
{
  double s = usec / (double) G_USEC_PER_SEC;

  if (s < 120)
    return g_strdup_printf ("%.1f s", s);
  if (s < 7200)
    return g_strdup_printf ("%.1f min", s / 60);
  return g_strdup_printf ("%.1f h", s / 3600);
}

static void
log_delivered (const printhook_delivery *d, const attempt *a, double seconds)
{
  const char *hook = d->hook->name;
  const char *event = d->event->name;
  g_autofree char *which = a->attempts > 1 ? g_strdup_printf ("%s, attempt %u", d->id,
                                                              a->attempts)
                                           : g_strdup (d->id);

  if (d->response.location != NULL)
    {
      g_autofree char *where = ph_redactor_apply (a->gen->redactor, d->response.location);
      g_info ("hook %s: %s delivered: HTTP %ld in %.3f s, redirect to %s not followed (%s)",
              hook, event, d->response.status, seconds, where, which);
    }
  else if (d->response.outcome != NULL)
    g_info ("hook %s: %s delivered: %s in %.3f s (%s)", hook, event, d->response.outcome,
            seconds, which);
  else if (d->response.seen)
    g_info ("hook %s: %s delivered: HTTP %ld in %.3f s (%s)", hook, event, d->response.status,
            seconds, which);
  else
    g_info ("hook %s: %s delivered in %.3f s (%s)", hook, event, seconds, which);
}

/* The attempt's outcome to the activity (the console's figures and feed). */
static void
report (const ph_deliverer *dv, const printhook_delivery *d, ph_activity_outcome outcome,
        const char *error, double seconds)
{
  ph_activity_attempt done = { d->id, d->hook->name, d->event->name, outcome,
                               d->response.status, error, seconds, g_get_real_time () };

  if (dv->activity != NULL)
    ph_activity_attempt_done (dv->activity, &done);
}

/* The first lines of the answer as the console shows them, masked. */
#define RESPONSE_KEPT 512

static char *
response_excerpt (const printhook_delivery *d, const ph_generation *gen)
{
  g_autofree char *head = NULL;

  /* A send module that speaks no HTTP says in words what it got. */
  if (d->response.outcome != NULL)
    return ph_redactor_apply (gen->redactor, d->response.outcome);
  if (d->response.excerpt == NULL || d->response.body_size == 0
      || !g_utf8_validate (d->response.excerpt, -1, NULL))
    return NULL;
  /* g_utf8_substring reads past the end of a shorter string. */
  head = g_utf8_strlen (d->response.excerpt, -1) > RESPONSE_KEPT
             ? g_utf8_substring (d->response.excerpt, 0, RESPONSE_KEPT)
             : g_strdup (d->response.excerpt);
  return ph_redactor_apply (gen->redactor, head);
}

/* Delivered: out of the queue, into the console's history. */
static void
record_delivered (attempt *a, printhook_delivery *d, double seconds)
{
  ph_deliverer *dv = a->dv;
  const ph_console_config *console = &a->gen->config->console;
  guint keep = console->enabled ? console->history : 0;
  g_autofree char *response = keep > 0 ? response_excerpt (d, a->gen) : NULL;
  g_autoptr (GError) error = NULL;

  if (!ph_spool_complete (dv->spool, d->id, d->response.status, response, seconds,
                          g_get_real_time (), keep, &error)
      && !g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND))
    log_spool_error (dv, d, "remove it", error);
}

/* A failed attempt of a spooled delivery: tried again later, or kept as a
 * dead letter, as the hook's retry policy says; outcome: what went wrong,
 * secrets masked (printhook spool prints it).  Committed before it is
 * logged, so that printhook spool agrees with the log at once: failures
 * are few, and their retries are spaced out anyway. */
static void
record_failure (attempt *a, printhook_delivery *d, printhook_result result, const char *outcome,
                double seconds)
{
  ph_deliverer *dv = a->dv;
  g_autoptr (GError) policy_error = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();
  long status = d->response.status;
  const ph_retry_policy *policy = ph_generation_retry_policy (a->gen, d->hook, &policy_error);
  ph_backoff_decision decision = { PH_BACKOFF_DEAD, 0, PH_DEAD_PERMANENT, FALSE };
  g_autofree char *dead_reason = NULL;

  if (policy != NULL)
    decision = ph_backoff_decide (policy, ph_outcome_of_result (result, status), status,
                                  d->response.retry_after, a->attempts, now - a->window_start,
                                  NULL, NULL);
  /* Retries send the picture the first attempt took. */
  if (d->attachments->len != a->stored_attachments)
    {
      g_autoptr (GPtrArray) attachments = ph_spool_attachments_from_delivery (d);

      if (!ph_spool_set_attachments (dv->spool, d->id, attachments, &error))
        {
          log_spool_error (dv, d, "keep the snapshot", error);
          g_clear_error (&error);
        }
    }
  if (decision.action == PH_BACKOFF_RETRY)
    {
      g_autofree char *in = describe_seconds (decision.delay);

      if (!ph_spool_schedule_retry (dv->spool, d->id, status, outcome, now + decision.delay,
                                    &error))
        log_spool_error (dv, d, "schedule the next attempt", error);
      ph_deliverer_commit (dv);
      g_warning ("hook %s: %s NOT delivered after %.3f s (%s, attempt %u): %s; next attempt "
                 "in %s", d->hook->name, d->event->name, seconds, d->id, a->attempts, outcome,
                 in);
      report (dv, d, PH_ACTIVITY_RETRYING, outcome, seconds);
      return;
    }
  dead_reason = policy != NULL ? g_strdup (ph_dead_reason_describe (decision.reason))
                               : g_strdup_printf ("no retry policy: %s", policy_error->message);
  if (!ph_spool_mark_dead (dv->spool, d->id, status, outcome, dead_reason, &error))
    log_spool_error (dv, d, "keep the dead letter", error);
  ph_deliverer_commit (dv);
  g_warning ("hook %s: %s NOT delivered after %.3f s (%s, attempt %u): %s; kept as a dead "
             "letter (%s)", d->hook->name, d->event->name, seconds, d->id, a->attempts, outcome,
             dead_reason);
  report (dv, d, PH_ACTIVITY_DEAD, outcome, seconds);
  /* A 410 from a configuration that a reload has replaced says nothing
   * about the new one. */
  if (decision.disable_hook && a->gen == dv->gen
      && g_hash_table_add (dv->gone, g_strdup (d->hook->name)))
    g_warning ("hook %s: its receiver answered 410 Gone: the hook is DISABLED until the "
               "configuration is reloaded; its pending deliveries become dead letters",
               d->hook->name);
}

static void
on_done (printhook_delivery *d, printhook_result result, const GError *error, gpointer user_data)
{
  attempt *a = user_data;
  ph_deliverer *dv = a->dv;
  double seconds = (g_get_monotonic_time () - a->started) / (double) G_USEC_PER_SEC;
  ph_outcome outcome = ph_outcome_of_result (result, d->response.status);

  if (a->spooled && !dv->abandoned)
    ph_deliverer_batch (dv);
  if (outcome == PH_OUTCOME_DELIVERED)
    {
      if (a->spooled)
        record_delivered (a, d, seconds);
      log_delivered (d, a, seconds);
      report (dv, d, PH_ACTIVITY_DELIVERED, NULL, seconds);
    }
  else
    {
      g_autofree char *reason = ph_redactor_apply (a->gen->redactor,
                                                   error != NULL ? error->message
                                                                 : "no reason given");

      if (!a->spooled)
        {
          g_warning ("hook %s: %s NOT delivered after %.3f s (%s): %s (not in the spool: not "
                     "retried)", d->hook->name, d->event->name, seconds, d->id, reason);
          report (dv, d, PH_ACTIVITY_DEAD, reason, seconds);
        }
      else if (dv->abandoned)
        g_warning ("hook %s: %s NOT delivered after %.3f s (%s): %s; it stays in the spool "
                   "and is sent again at the next start", d->hook->name, d->event->name,
                   seconds, d->id, reason);
      else
        record_failure (a, d, result, reason, seconds);
    }

  if (a->spooled)
    {
      g_hash_table_remove (dv->running, d->id);
      count_running (dv, d->hook->name, -1);
    }
  ph_delivery_free (d);
  if (a->spooled)
    ph_deliverer_schedule (dv);
  ph_generation_unref (a->gen);
  g_free (a);
  dv->in_flight--;
  if (dv->in_flight == 0 && dv->idle_func != NULL)
    g_idle_add (dv->idle_func, dv->idle_data);
}

void
ph_deliverer_start (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen,
                    const ph_spool_entry *entry)
{
  if (entry != NULL)
    {
      g_autoptr (GError) error = NULL;

      ph_deliverer_batch (dv);

      if (!ph_spool_begin_attempt (dv->spool, entry->id, g_get_real_time (),
                                   lease_of (d->hook), &error))
        {
          if (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND))
            {
              /* printhook spool drop: the user does not want it sent. */
              g_info ("hook %s: %s (%s) was dropped from the spool; not sending it",
                      d->hook->name, d->event->name, d->id);
              ph_delivery_free (d);
              return;
            }
          g_warning ("hook %s: %s (%s): cannot record the attempt in the spool: %s; "
                     "attempting it anyway", d->hook->name, d->event->name, d->id,
                     error->message);
          ph_deliverer_hold (dv);
        }
    }
  ph_deliverer_launch (dv, d, gen, entry);
}

void
ph_deliverer_launch (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen,
                     const ph_spool_entry *entry)
{
  attempt *a = g_new0 (attempt, 1);

  a->dv = dv;
  a->gen = ph_generation_ref (gen);
  a->started = g_get_monotonic_time ();
  a->attempts = 1;
  if (entry != NULL)
    {
      a->spooled = TRUE;
      a->attempts = entry->attempts + 1;
      a->window_start = entry->window_start;
      a->stored_attachments = entry->attachments->len;
      g_hash_table_add (dv->running, g_strdup (d->id));
      count_running (dv, d->hook->name, +1);
    }
  dv->in_flight++;
  g_debug ("hook %s: %s: delivery %s, attempt %u started", d->hook->name, d->event->name, d->id,
           a->attempts);
  ph_chain_run (d, on_done, a);
}

static void
log_dropped (const GPtrArray *dropped, guint max)
{
  for (guint i = 0; dropped != NULL && i < dropped->len; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index ((GPtrArray *) dropped, i);
      g_autofree char *milestone = e->milestone != 0 ? g_strdup_printf (" %d %%", e->milestone)
                                                     : g_strdup ("");

      g_warning ("spool full (spool.max_deliveries = %u): dropped %s%s of hook %s (%s, %s, "
                 "%u attempts) to make room", max, e->event, milestone, e->hook, e->id,
                 e->state == PH_SPOOL_DEAD ? "a dead letter" : "pending", e->attempts);
    }
}

void
ph_deliverer_submit (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen)
{
  g_autoptr (ph_spool_entry) entry = NULL;
  g_autoptr (GPtrArray) dropped = NULL;
  g_autoptr (GError) error = NULL;
  guint max = gen->config->spool_max_deliveries;
  gint64 now;

  if (dv->spool == NULL)
    {
      ph_deliverer_launch (dv, d, gen, NULL);
      return;
    }
  now = g_get_real_time ();
  entry = ph_spool_entry_from_delivery (d, now);
  /* Written with its first attempt started, which saves a second write. */
  entry->in_progress = TRUE;
  entry->last_attempt = now;
  entry->next_attempt = now + lease_of (d->hook);
  ph_deliverer_batch (dv);
  if (!ph_spool_put (dv->spool, entry, max, &dropped, &error))
    {
      g_warning ("hook %s: %s (%s) cannot be written to the spool: %s; attempting it once, "
                 "without retries", d->hook->name, d->event->name, d->id, error->message);
      ph_deliverer_hold (dv);
      ph_deliverer_launch (dv, d, gen, NULL);
      return;
    }
  log_dropped (dropped, max);
  if (ph_spool_batch_open (dv->spool))
    ph_deliverer_start_when_durable (dv, d, gen, g_steal_pointer (&entry));
  else
    ph_deliverer_launch (dv, d, gen, entry);
}
