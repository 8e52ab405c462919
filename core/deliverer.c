#include "autoconfig.h"
#include "deliverer.h"

#include "chain_run.h"

struct ph_deliverer {
  guint in_flight;
  GSourceFunc idle_func;
  gpointer idle_data;
};

typedef struct {
  ph_deliverer *dv;
  ph_generation *gen;
  gint64 started;
} running;

ph_deliverer *
ph_deliverer_new (void)
{
  return g_new0 (ph_deliverer, 1);
}

void
ph_deliverer_free (ph_deliverer *dv)
{
  if (dv == NULL)
    return;
  g_warn_if_fail (dv->in_flight == 0);
  g_free (dv);
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

/* The outcome, once, where hook, event and delivery id are known; secrets
 * of the configuration are masked in whatever a module or libcurl said. */
static void
log_outcome (printhook_delivery *d, printhook_result result, const GError *error,
             const ph_generation *gen, double seconds)
{
  const char *hook = d->hook->name;
  const char *event = d->event->name;

  if (result == PRINTHOOK_RESULT_DONE)
    {
      if (d->response.location != NULL)
        {
          g_autofree char *where = ph_redactor_apply (gen->redactor, d->response.location);
          g_info ("hook %s: %s delivered: HTTP %ld in %.3f s, redirect to %s not followed (%s)",
                  hook, event, d->response.status, seconds, where, d->id);
        }
      else if (d->response.seen)
        g_info ("hook %s: %s delivered: HTTP %ld in %.3f s (%s)", hook, event,
                d->response.status, seconds, d->id);
      else
        g_info ("hook %s: %s delivered in %.3f s (%s)", hook, event, seconds, d->id);
      return;
    }
  {
    g_autofree char *reason = ph_redactor_apply (gen->redactor,
                                                 error != NULL ? error->message : "no reason given");

    /* No spool yet: a transient failure is not retried, and says so. */
    g_warning ("hook %s: %s NOT delivered after %.3f s (%s): %s (%s)", hook, event, seconds,
               result == PRINTHOOK_RESULT_RETRY ? "transient, not retried"
                                                : "permanent",
               reason, d->id);
  }
}

static void
on_done (printhook_delivery *d, printhook_result result, const GError *error, gpointer user_data)
{
  running *r = user_data;
  ph_deliverer *dv = r->dv;

  log_outcome (d, result, error, r->gen,
               (g_get_monotonic_time () - r->started) / (double) G_USEC_PER_SEC);
  ph_delivery_free (d);
  ph_generation_unref (r->gen);
  g_free (r);
  dv->in_flight--;
  if (dv->in_flight == 0 && dv->idle_func != NULL)
    g_idle_add (dv->idle_func, dv->idle_data);
}

void
ph_deliverer_submit (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen)
{
  running *r = g_new0 (running, 1);

  r->dv = dv;
  r->gen = ph_generation_ref (gen);
  r->started = g_get_monotonic_time ();
  dv->in_flight++;
  g_debug ("hook %s: %s: delivery %s started", d->hook->name, d->event->name, d->id);
  ph_chain_run (d, on_done, r);
}
