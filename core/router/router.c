#include "autoconfig.h"
#include "router.h"

#include "cooldown.h"
#include "event/events.h"
#include "progress.h"

struct ph_router {
  ph_deliverer *dv;
  ph_activity *activity;     /* counts the events; NULL: nothing counts them */
  ph_generation *gen;
  gboolean stopped;
  ph_cooldown *cooldown;
  GHashTable *progress;   /* "source\nhook" -> ph_progress * */
};

ph_router *
ph_router_new (ph_deliverer *dv)
{
  ph_router *router = g_new0 (ph_router, 1);

  router->dv = dv;
  router->cooldown = ph_cooldown_new ();
  router->progress = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return router;
}

ph_deliverer *
ph_router_deliverer (ph_router *router)
{
  return router->dv;
}

void
ph_router_free (ph_router *router)
{
  if (router == NULL)
    return;
  ph_generation_unref (router->gen);
  ph_cooldown_free (router->cooldown);
  g_hash_table_unref (router->progress);
  g_free (router);
}

void
ph_router_set_generation (ph_router *router, ph_generation *gen)
{
  if (gen != NULL)
    ph_generation_ref (gen);
  ph_generation_unref (router->gen);
  router->gen = gen;
}

void
ph_router_stop (ph_router *router)
{
  router->stopped = TRUE;
}

/* The milestone state of hook for source, created on first use.
 * Transfer none. */
static ph_progress *
progress_of (ph_router *router, const char *source, const ph_hook *hook)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", source, hook->name);
  ph_progress *p = g_hash_table_lookup (router->progress, key);

  if (p == NULL)
    {
      p = g_new (ph_progress, 1);
      ph_progress_init (p);
      g_hash_table_insert (router->progress, g_steal_pointer (&key), p);
    }
  return p;
}

void
ph_router_new_job (ph_router *router, const char *source)
{
  if (router->gen == NULL)
    return;
  for (guint i = 0; i < router->gen->config->hooks->len; i++)
    ph_progress_new_job (progress_of (router, source,
                                      g_ptr_array_index (router->gen->config->hooks, i)));
}

static gboolean
cooled_down (ph_router *router, const ph_hook *hook, const ph_event *event)
{
  double seconds = ph_hook_config_get_double (hook->config, "cooldown");
  double ago = 0;

  if (ph_cooldown_admit (router->cooldown, event->source, hook->name, event->name, seconds,
                         g_get_monotonic_time (), &ago))
    return TRUE;
  g_info ("hook %s: %s from %s not sent: the same event was sent %.1f s ago "
          "(cooldown %g s)", hook->name, event->name, event->source, ago, seconds);
  return FALSE;
}

/* A hook whose receiver answered 410 Gone gets nothing until a reload. */
static gboolean
receiver_there (ph_router *router, const ph_hook *hook, const ph_event *event)
{
  if (!ph_deliverer_hook_gone (router->dv, hook->name))
    return TRUE;
  g_info ("hook %s: %s from %s not sent: the hook is disabled since its receiver answered "
          "410 Gone (reload the configuration to enable it again)", hook->name, event->name,
          event->source);
  return FALSE;
}

static void
deliver (ph_router *router, const ph_hook *hook, ph_event *event, int milestone)
{
  ph_deliverer_submit (router->dv, ph_delivery_new (hook, event, milestone), router->gen);
}

void
ph_router_set_activity (ph_router *router, ph_activity *activity)
{
  router->activity = activity;
}

guint
ph_router_dispatch (ph_router *router, ph_event *event)
{
  guint count = 0;

  if (router->stopped || router->gen == NULL)
    return 0;
  if (router->activity != NULL)
    ph_activity_event (router->activity, event->source, event->name);
  if (g_ascii_strcasecmp (event->name, "PrintStarted") == 0)
    ph_router_new_job (router, event->source);
  for (guint i = 0; i < router->gen->config->hooks->len; i++)
    {
      const ph_hook *hook = g_ptr_array_index (router->gen->config->hooks, i);

      if (!hook->enabled || !ph_hook_subscribes (hook, event->name)
          || !receiver_there (router, hook, event) || !cooled_down (router, hook, event))
        continue;
      deliver (router, hook, event, progress_of (router, event->source, hook)->milestone);
      count++;
    }
  g_debug ("%s from %s: %u deliveries", event->name, event->source, count);
  return count;
}

guint
ph_router_progress (ph_router *router, ph_event *event, double completion)
{
  guint count = 0;

  if (router->stopped || router->gen == NULL)
    return 0;
  if (router->activity != NULL)
    ph_activity_event (router->activity, event->source, event->name);
  /* Every hook's milestones advance, subscribed or not, so that
   * @percentCompleteMilestone is right in its other events too. */
  for (guint i = 0; i < router->gen->config->hooks->len; i++)
    {
      const ph_hook *hook = g_ptr_array_index (router->gen->config->hooks, i);
      int step = (int) ph_hook_config_get_int (hook->config, "progress_step");
      int milestone = ph_progress_advance (progress_of (router, event->source, hook), step,
                                           completion);

      if (milestone == 0 || !hook->enabled || !ph_hook_subscribes (hook, event->name)
          || !receiver_there (router, hook, event) || !cooled_down (router, hook, event))
        continue;
      deliver (router, hook, event, milestone);
      count++;
    }
  return count;
}
