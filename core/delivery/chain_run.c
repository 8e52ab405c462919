#include "autoconfig.h"
#include "chain_run.h"

static void
finish (printhook_delivery *d, printhook_result result, GError *error)
{
  ph_chain_done done = d->done;
  gpointer done_data = d->done_data;

  d->done = NULL;
  d->module_name = NULL;
  /* done may free d: nothing touches d after this call. */
  done (d, result, error, done_data);
  if (error != NULL)
    g_error_free (error);
}

static void step (printhook_delivery *d);

static gboolean
continue_later (gpointer data)
{
  step (data);
  return G_SOURCE_REMOVE;
}

/* A 401 from the receiver may only mean that a cached credential went
 * stale: the prepare modules that supply credentials forget theirs and the
 * chain runs once more from the start, from the loop.  Returns TRUE when it
 * will; FALSE leaves the failure as it is. */
static gboolean
refresh_credentials (printhook_delivery *d, const ph_chain_link *failed)
{
  const GPtrArray *chain = d->hook->chain;
  gboolean any = FALSE;

  if (failed->module->desc->stage != PRINTHOOK_STAGE_SEND || d->response.status != 401
      || d->credentials_refreshed)
    return FALSE;
  for (guint i = 0; i < chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (chain, i);

      if (link->module->desc->stage != PRINTHOOK_STAGE_PREPARE
          || link->module->desc->ops->invalidate == NULL)
        continue;
      d->module_name = link->module->name;
      link->module->desc->ops->invalidate (link->instance, d);
      any = TRUE;
    }
  d->module_name = NULL;
  if (!any)
    return FALSE;
  g_log ("printhook", G_LOG_LEVEL_MESSAGE, "hook %s, delivery %s: the receiver answered "
         "HTTP 401; sending once more with fresh credentials", d->hook->name, d->id);
  d->credentials_refreshed = TRUE;
  d->next_link = 0;
  d->rendered = FALSE;
  ph_delivery_reset_attempt (d);
  g_idle_add (continue_later, d);
  return TRUE;
}

static void
step (printhook_delivery *d)
{
  const GPtrArray *chain = d->hook->chain;

  while (d->next_link < chain->len)
    {
      const ph_chain_link *link = g_ptr_array_index (chain, d->next_link);
      printhook_stage stage = link->module->desc->stage;
      GError *error = NULL;
      printhook_result result;

      /* Templates see what prepare modules added (an OAuth token). */
      if (!d->rendered && stage > PRINTHOOK_STAGE_PREPARE)
        {
          ph_delivery_render (d);
          d->rendered = TRUE;
        }
      /* Finish modules see the body as it will be sent. */
      if (stage == PRINTHOOK_STAGE_FINISH || stage == PRINTHOOK_STAGE_SEND)
        ph_delivery_encode_default (d);

      d->module_name = link->module->name;
      result = link->module->desc->ops->run (link->instance, d, &error);
      switch (result)
        {
        case PRINTHOOK_RESULT_DONE:
          g_clear_error (&error);
          d->next_link++;
          continue;
        case PRINTHOOK_RESULT_PENDING:
          g_clear_error (&error);
          d->pending = TRUE;
          return;
        case PRINTHOOK_RESULT_RETRY:
        case PRINTHOOK_RESULT_FAIL:
          if (error == NULL)
            g_set_error (&error, PRINTHOOK_ERROR,
                         result == PRINTHOOK_RESULT_RETRY ? PRINTHOOK_ERROR_TRANSIENT
                                                          : PRINTHOOK_ERROR_PERMANENT,
                         "gave no reason");
          if (refresh_credentials (d, link))
            {
              g_clear_error (&error);
              return;
            }
          g_prefix_error (&error, "%s: ", link->module->name);
          finish (d, result, error);
          return;
        default:
          g_clear_error (&error);
          g_set_error (&error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                       "%s: returned an unknown result %d", link->module->name, result);
          finish (d, PRINTHOOK_RESULT_FAIL, error);
          return;
        }
    }
  finish (d, PRINTHOOK_RESULT_DONE, NULL);
}

void
ph_chain_run (printhook_delivery *d, ph_chain_done done, gpointer user_data)
{
  d->next_link = 0;
  d->rendered = FALSE;
  d->pending = FALSE;
  d->credentials_refreshed = FALSE;
  d->done = done;
  d->done_data = user_data;
  ph_delivery_reset_attempt (d);
  step (d);
}

void
ph_chain_resume (printhook_delivery *d, printhook_result result, GError *error)
{
  const ph_chain_link *link;

  if (!d->pending)
    {
      /* A module bug, not a reason to crash: say so and ignore it. */
      g_critical ("%s: resume() called for delivery %s which is not waiting for it",
                  d->module_name ? d->module_name : "a module", d->id);
      if (error != NULL)
        g_error_free (error);
      return;
    }
  d->pending = FALSE;
  link = g_ptr_array_index (d->hook->chain, d->next_link);
  if (result == PRINTHOOK_RESULT_DONE)
    {
      if (error != NULL)
        g_error_free (error);
      d->next_link++;
      /* From the loop, never from inside the module's own callback. */
      g_idle_add (continue_later, d);
      return;
    }
  if (result != PRINTHOOK_RESULT_RETRY && result != PRINTHOOK_RESULT_FAIL)
    {
      if (error != NULL)
        g_error_free (error);
      error = NULL;
      g_set_error (&error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "resumed with result %d, which is not DONE, RETRY or FAIL", result);
      result = PRINTHOOK_RESULT_FAIL;
    }
  if (refresh_credentials (d, link))
    {
      if (error != NULL)
        g_error_free (error);
      return;
    }
  if (error == NULL)
    g_set_error (&error, PRINTHOOK_ERROR,
                 result == PRINTHOOK_RESULT_RETRY ? PRINTHOOK_ERROR_TRANSIENT : PRINTHOOK_ERROR_PERMANENT,
                 "gave no reason");
  g_prefix_error (&error, "%s: ", link->module->name);
  finish (d, result, error);
}
