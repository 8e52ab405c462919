#include "autoconfig.h"
#include "deliverer_private.h"

#include "spool_delivery.h"

/* When spooled deliveries are attempted: one timer for the next delivery
 * to fall due, a look at the spool whenever an attempt ends (a slot of its
 * hook is free), and a poll for what "printhook spool" changed (retry,
 * drop), which another process writes to the file. */

/* How often the spool is checked for changes by another process. */
#define POLL_S 1

/* The timer never sleeps longer: next attempts are wall-clock times, and a
 * clock that jumps is noticed within this. */
#define MAX_SLEEP_MS 60000

/* Dead letters made in one go for a hook that is gone; more follow from
 * the loop. */
#define DEAD_BATCH 64

static void run (ph_deliverer *dv);

static gboolean
on_kick (gpointer data)
{
  ph_deliverer *dv = data;

  dv->kick = 0;
  run (dv);
  return G_SOURCE_REMOVE;
}

static gboolean
on_wakeup (gpointer data)
{
  ph_deliverer *dv = data;

  dv->wakeup = 0;
  run (dv);
  return G_SOURCE_REMOVE;
}

/* "printhook spool retry" makes a delivery due now, "drop" may take away
 * the one the timer waits for: either way, look again. */
static gboolean
on_poll (gpointer data)
{
  ph_deliverer *dv = data;

  if (ph_spool_changed_externally (dv->spool))
    ph_deliverer_schedule (dv);
  return G_SOURCE_CONTINUE;
}

void
ph_deliverer_schedule (ph_deliverer *dv)
{
  if (dv->spool == NULL || dv->gen == NULL || dv->stopped || dv->kick != 0)
    return;
  dv->kick = g_idle_add (on_kick, dv);
}

void
ph_deliverer_schedule_start (ph_deliverer *dv)
{
  if (dv->spool == NULL || dv->stopped)
    return;
  if (dv->poll == 0)
    dv->poll = g_timeout_add_seconds (POLL_S, on_poll, dv);
  ph_deliverer_schedule (dv);
}

void
ph_deliverer_schedule_stop (ph_deliverer *dv)
{
  g_clear_handle_id (&dv->kick, g_source_remove);
  g_clear_handle_id (&dv->wakeup, g_source_remove);
  g_clear_handle_id (&dv->poll, g_source_remove);
}

/* Keeps e as a dead letter with its last outcome, for reason; adds the
 * line to log to buried, for after the commit (so that printhook spool
 * agrees with the log). */
static void
bury (ph_deliverer *dv, const ph_spool_entry *e, const char *reason, GPtrArray *buried)
{
  g_autoptr (GError) error = NULL;

  ph_deliverer_batch (dv);
  if (!ph_spool_mark_dead (dv->spool, e->id, e->last_status, e->last_outcome, reason, &error)
      && !g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND))
    {
      g_warning ("hook %s: %s (%s): cannot keep the dead letter in the spool: %s", e->hook,
                 e->event, e->id, error->message);
      ph_deliverer_hold (dv);
    }
  g_ptr_array_add (buried, g_strdup_printf ("hook %s: %s (%s) kept as a dead letter: %s",
                                            e->hook, e->event, e->id, reason));
}

/* Why the deliveries of the hook named name cannot be attempted, or NULL
 * when they can.  Transfer full. */
static char *
why_not (ph_deliverer *dv, const char *name, const ph_hook *hook)
{
  if (hook == NULL)
    return g_strdup_printf ("hook removed: the configuration has no hook %s any more", name);
  if (!hook->enabled)
    return g_strdup_printf ("hook %s is disabled (enabled = false)", name);
  if (ph_deliverer_hook_gone (dv, name))
    return g_strdup_printf ("hook %s is disabled: its receiver answered 410 Gone", name);
  return NULL;
}

/* Starts what is due of one hook, as many as it has free slots, or makes
 * dead letters of them when the hook cannot have them.  Returns TRUE when
 * more may be left to do at once. */
static gboolean
run_hook (ph_deliverer *dv, const char *name, gint64 now)
{
  const ph_hook *hook = ph_config_find_hook (dv->gen->config, name);
  g_autofree char *why = why_not (dv, name, hook);
  guint running = ph_deliverer_hook_running (dv, name);
  guint limit = why != NULL ? DEAD_BATCH
                            : running < PH_DELIVERER_HOOK_SLOTS ? PH_DELIVERER_HOOK_SLOTS - running
                                                                : 0;
  g_autoptr (GPtrArray) due = NULL;
  g_autoptr (GPtrArray) buried = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  gboolean more;

  if (limit == 0 || now < dv->held_until)
    return FALSE;
  due = ph_spool_due_for_hook (dv->spool, name, now, limit, &error);
  if (due == NULL)
    {
      g_warning ("spool: %s", error->message);
      ph_deliverer_hold (dv);
      return FALSE;
    }
  for (guint i = 0; i < due->len && now >= dv->held_until; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index (due, i);
      const ph_retry_policy *policy;
      printhook_delivery *d;

      /* An attempt that outlived its lease is still running: let it end. */
      if (g_hash_table_contains (dv->running, e->id))
        continue;
      if (why != NULL)
        {
          bury (dv, e, why, buried);
          continue;
        }
      policy = ph_generation_retry_policy (dv->gen, hook, &error);
      if (policy == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("no retry policy: %s", error->message);
          g_clear_error (&error);
          bury (dv, e, reason, buried);
          continue;
        }
      /* Left in the spool while the daemon was stopped for longer than
       * retry.max_age. */
      if (ph_backoff_expired (policy, now - e->window_start))
        {
          bury (dv, e, ph_dead_reason_describe (PH_DEAD_MAX_AGE), buried);
          continue;
        }
      d = ph_spool_entry_to_delivery (e, hook, &error);
      if (d == NULL)
        {
          bury (dv, e, error->message, buried);
          g_clear_error (&error);
          continue;
        }
      ph_deliverer_start (dv, d, dv->gen, e);
    }
  more = why != NULL && due->len == limit && buried->len > 0;
  if (buried->len > 0)
    ph_deliverer_commit (dv);
  for (guint i = 0; i < buried->len; i++)
    g_warning ("%s", (const char *) g_ptr_array_index (buried, i));
  return more;
}

/* The timer for the next delivery to fall due, or for the end of a hold.
 * What is due already and was not started waits for a slot of its hook:
 * the end of an attempt looks again. */
static void
rearm (ph_deliverer *dv, gint64 now)
{
  g_autoptr (GError) error = NULL;
  gint64 when = -1;
  gint64 ms;

  g_clear_handle_id (&dv->wakeup, g_source_remove);
  if (now < dv->held_until)
    when = dv->held_until;
  else if (!ph_spool_next_wakeup_after (dv->spool, now, &when, &error))
    {
      g_warning ("spool: %s", error->message);
      when = now + (gint64) MAX_SLEEP_MS * 1000;
    }
  if (when < 0)
    return;
  /* Rounded up: a timer that fires early finds nothing due. */
  ms = CLAMP ((when - now + 999) / 1000, 1, MAX_SLEEP_MS);
  dv->wakeup = g_timeout_add ((guint) ms, on_wakeup, dv);
}

static void
run (ph_deliverer *dv)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) hooks = NULL;
  gboolean more = FALSE;
  gint64 now;

  if (dv->spool == NULL || dv->gen == NULL || dv->stopped)
    return;
  now = g_get_real_time ();
  if (now >= dv->held_until)
    {
      hooks = ph_spool_due_hooks (dv->spool, now, &error);
      if (hooks == NULL)
        {
          g_warning ("spool: %s", error->message);
          ph_deliverer_hold (dv);
        }
    }
  for (guint i = 0; hooks != NULL && hooks[i] != NULL; i++)
    more |= run_hook (dv, hooks[i], now);
  /* Starting attempts may have finished some already and stopped. */
  if (dv->stopped)
    return;
  rearm (dv, now);
  if (more)
    ph_deliverer_schedule (dv);
}
