#include "autoconfig.h"
#include "deliverer_private.h"

/* The central side of a print farm takes events other printhooks forward
 * and acknowledges each once it is safe here: its deliveries and its id
 * committed together.  The ids live in the spool (ph_spool_seen_*), so a
 * republished event is recognized after a restart too. */

/* How often the old ids are forgotten, at most. */
#define PRUNE_EVERY_US (60 * G_USEC_PER_SEC)

/* Ids kept at most whatever the window: a bound on the table's size
 * under a flood (about 100 bytes a row). */
#define SEEN_KEEP_MAX 1000000

void
ph_deliverer_when_durable (ph_deliverer *dv, ph_deliverer_durable_func func, gpointer data)
{
  durable_notice notice = { func, data };

  if (dv->durable_notify == NULL)
    dv->durable_notify = g_array_new (FALSE, FALSE, sizeof (durable_notice));
  g_array_append_val (dv->durable_notify, notice);
  ph_deliverer_batch (dv);
  /* Without a spool (or with one that would not open a batch) nothing
   * else commits: it is said from the loop all the same. */
  ph_deliverer_commit_soon (dv);
}

void
ph_deliverer_notify_durable (ph_deliverer *dv, gboolean durable)
{
  g_autoptr (GArray) notices = g_steal_pointer (&dv->durable_notify);

  for (guint i = 0; notices != NULL && i < notices->len; i++)
    {
      durable_notice *n = &g_array_index (notices, durable_notice, i);

      n->func (durable, n->data);
    }
}

ph_intake
ph_deliverer_intake (ph_deliverer *dv, const char *id, const char *digest)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *known = NULL;
  gboolean found = FALSE;

  if (dv->spool == NULL)
    return PH_INTAKE_NEW;
  if (!ph_spool_seen_lookup (dv->spool, id, &found, &known, &error))
    {
      g_warning ("spool: cannot look up forwarded event %s: %s", id, error->message);
      return PH_INTAKE_UNKNOWN;
    }
  if (!found)
    return PH_INTAKE_NEW;
  return g_strcmp0 (known, digest) == 0 ? PH_INTAKE_DUPLICATE : PH_INTAKE_CONFLICT;
}

gboolean
ph_deliverer_remember (ph_deliverer *dv, const char *id, const char *digest, guint window_s)
{
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();
  guint removed = 0;

  if (dv->spool == NULL)
    return TRUE;
  ph_deliverer_batch (dv);
  if (!ph_spool_seen_add (dv->spool, id, digest, now, &error))
    {
      g_warning ("spool: cannot record forwarded event %s: %s", id, error->message);
      return FALSE;
    }
  if (now - dv->seen_pruned < PRUNE_EVERY_US)
    return TRUE;
  dv->seen_pruned = now;
  if (!ph_spool_seen_prune (dv->spool, now - (gint64) window_s * G_USEC_PER_SEC, SEEN_KEEP_MAX,
                            &removed, &error))
    g_warning ("spool: cannot forget old forwarded event ids: %s", error->message);
  else if (removed > 0)
    g_debug ("spool: forgot %u forwarded event %s older than %u s", removed,
             removed == 1 ? "id" : "ids", window_s);
  return TRUE;
}
