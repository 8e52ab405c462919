#include "autoconfig.h"
#include "activity.h"

#include <string.h>

/* From 5 ms to 30 s: a receiver on the LAN answers in milliseconds, one
 * on the internet in a fraction of a second, and timeouts are seconds. */
const double ph_activity_bucket_bounds[PH_ACTIVITY_BUCKETS] = {
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30
};

struct ph_activity {
  GHashTable *hooks;         /* name -> ph_hook_activity * */
  GHashTable *events;        /* "SOURCE\nEVENT" -> guint64 * */
  ph_activity_event_func on_event;
  ph_activity_attempt_func on_attempt;
  gpointer user_data;
};

static void
hook_activity_free (ph_hook_activity *h)
{
  g_free (h->last_event);
  g_free (h->last_error);
  g_free (h);
}

ph_activity *
ph_activity_new (void)
{
  ph_activity *activity = g_new0 (ph_activity, 1);

  activity->hooks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) hook_activity_free);
  activity->events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return activity;
}

void
ph_activity_free (ph_activity *activity)
{
  if (activity == NULL)
    return;
  g_hash_table_unref (activity->hooks);
  g_hash_table_unref (activity->events);
  g_free (activity);
}

void
ph_activity_event (ph_activity *activity, const char *source, const char *event)
{
  /* A newline separates the two: neither a source name nor an event name
   * can hold one. */
  g_autofree char *key = g_strconcat (source != NULL ? source : "", "\n", event, NULL);
  guint64 *count = g_hash_table_lookup (activity->events, key);

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (activity->events, g_steal_pointer (&key), count);
    }
  (*count)++;
  if (activity->on_event != NULL)
    activity->on_event (source, event, g_get_real_time (), activity->user_data);
}

void
ph_activity_attempt_done (ph_activity *activity, const ph_activity_attempt *attempt)
{
  ph_hook_activity *h = g_hash_table_lookup (activity->hooks, attempt->hook);
  guint bucket = 0;

  if (h == NULL)
    {
      h = g_new0 (ph_hook_activity, 1);
      g_hash_table_insert (activity->hooks, g_strdup (attempt->hook), h);
    }
  h->outcomes[attempt->outcome]++;
  while (bucket < PH_ACTIVITY_BUCKETS && attempt->seconds > ph_activity_bucket_bounds[bucket])
    bucket++;
  if (bucket < PH_ACTIVITY_BUCKETS)
    h->buckets[bucket]++;
  h->attempts++;
  h->seconds += attempt->seconds;
  h->has_last = TRUE;
  h->last_outcome = attempt->outcome;
  g_free (h->last_event);
  h->last_event = g_strdup (attempt->event);
  h->last_status = attempt->status;
  g_free (h->last_error);
  h->last_error = g_strdup (attempt->error);
  h->last_seconds = attempt->seconds;
  h->last_time = attempt->time;
  if (attempt->outcome == PH_ACTIVITY_DELIVERED)
    h->last_delivered = attempt->time;
  if (activity->on_attempt != NULL)
    activity->on_attempt (attempt, activity->user_data);
}

void
ph_activity_listen (ph_activity *activity, ph_activity_event_func on_event,
                    ph_activity_attempt_func on_attempt, gpointer user_data)
{
  activity->on_event = on_event;
  activity->on_attempt = on_attempt;
  activity->user_data = user_data;
}

const ph_hook_activity *
ph_activity_hook (const ph_activity *activity, const char *hook)
{
  return g_hash_table_lookup (activity->hooks, hook);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

const char **
ph_activity_hooks (const ph_activity *activity)
{
  guint n = 0;
  const char **names = (const char **) g_hash_table_get_keys_as_array (activity->hooks, &n);

  qsort (names, n, sizeof *names, compare_names);
  return names;
}

void
ph_activity_foreach_event (const ph_activity *activity,
                           void (*func) (const char *source, const char *event, guint64 count,
                                         gpointer user_data),
                           gpointer user_data)
{
  guint n = 0;
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (activity->events,
                                                                                 &n);

  qsort (keys, n, sizeof *keys, compare_names);
  for (guint i = 0; i < n; i++)
    {
      const char *newline = strchr (keys[i], '\n');
      g_autofree char *source = g_strndup (keys[i], newline - keys[i]);
      const guint64 *count = g_hash_table_lookup (activity->events, keys[i]);

      func (source, newline + 1, *count, user_data);
    }
}

const char *
ph_activity_outcome_name (ph_activity_outcome outcome)
{
  static const char *const names[] = { "delivered", "retrying", "dead" };

  return names[outcome];
}
