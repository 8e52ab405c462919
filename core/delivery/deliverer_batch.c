#include "autoconfig.h"
#include "deliverer_private.h"

/* The deliverer's group commit.  With synchronous = FULL every commit waits
 * for the disk (an SD card on a Pi: milliseconds), so committing each
 * spool change on its own capped the daemon at a few hundred deliveries a
 * second and stalled every source meanwhile.  Instead, the changes of one
 * turn of the loop (the deliveries of the events that came in, the
 * outcomes of the attempts that ended) share one transaction, committed
 * from an idle callback of default priority: it runs in the loop's next
 * turn, so a first attempt waits for one commit, not for the load to
 * pass. */

/* A first attempt waiting for its delivery to be durable. */
typedef struct {
  printhook_delivery *d;
  ph_generation *gen;
  ph_spool_entry *entry;
} waiting;

/* So many first attempts wait at most: past that, the batch is committed
 * at once rather than at the end of the loop's turn. */
#define MAX_WAITING 256

static void
waiting_free (waiting *w)
{
  if (w->d != NULL)
    ph_delivery_free (w->d);
  ph_generation_unref (w->gen);
  ph_spool_entry_free (w->entry);
  g_free (w);
}

static gboolean
on_commit (gpointer data)
{
  ph_deliverer *dv = data;

  dv->commit = 0;
  ph_deliverer_commit (dv);
  return G_SOURCE_REMOVE;
}

void
ph_deliverer_commit_soon (ph_deliverer *dv)
{
  if (dv->commit == 0)
    dv->commit = g_idle_add_full (G_PRIORITY_DEFAULT, on_commit, dv, NULL);
}

void
ph_deliverer_batch (ph_deliverer *dv)
{
  g_autoptr (GError) error = NULL;

  if (dv->spool == NULL)
    return;
  if (!ph_spool_batch_open (dv->spool) && !ph_spool_batch_begin (dv->spool, &error))
    {
      g_warning ("spool: cannot start writing: %s", error->message);
      ph_deliverer_hold (dv);
      return;
    }
  if (dv->commit == 0)
    dv->commit = g_idle_add_full (G_PRIORITY_DEFAULT, on_commit, dv, NULL);
}

void
ph_deliverer_start_when_durable (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen,
                                 ph_spool_entry *entry)
{
  waiting *w = g_new0 (waiting, 1);

  w->d = d;
  w->gen = ph_generation_ref (gen);
  w->entry = entry;
  if (dv->durable_wait == NULL)
    dv->durable_wait = g_ptr_array_new_with_free_func ((GDestroyNotify) waiting_free);
  g_ptr_array_add (dv->durable_wait, w);
  if (dv->durable_wait->len >= MAX_WAITING)
    ph_deliverer_commit (dv);
}

/* Commits the batch; returns whether its changes are durable. */
static gboolean
commit (ph_deliverer *dv, guint waiting_count)
{
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&dv->commit, g_source_remove);
  if (dv->spool == NULL || ph_spool_batch_commit (dv->spool, &error))
    return TRUE;
  if (waiting_count == 0)
    g_warning ("spool: %s", error->message);
  else
    g_warning ("spool: %s; %u new %s attempted once, without retries", error->message,
               waiting_count, waiting_count == 1 ? "delivery is" : "deliveries are");
  ph_deliverer_hold (dv);
  return FALSE;
}

void
ph_deliverer_commit (ph_deliverer *dv)
{
  g_autoptr (GPtrArray) started = g_steal_pointer (&dv->durable_wait);
  gboolean durable = commit (dv, started != NULL ? started->len : 0);

  for (guint i = 0; started != NULL && i < started->len; i++)
    {
      waiting *w = g_ptr_array_index (started, i);

      ph_deliverer_launch (dv, g_steal_pointer (&w->d), w->gen, durable ? w->entry : NULL);
    }
  ph_deliverer_notify_durable (dv, durable && dv->spool != NULL);
}

void
ph_deliverer_commit_final (ph_deliverer *dv)
{
  g_autoptr (GPtrArray) left = g_steal_pointer (&dv->durable_wait);

  ph_deliverer_notify_durable (dv, commit (dv, 0) && dv->spool != NULL);
  if (left != NULL && left->len > 0)
    g_info ("%u new %s the next start", left->len,
            left->len == 1 ? "delivery waits in the spool for" : "deliveries wait in the spool for");
}
