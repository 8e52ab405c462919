#include "autoconfig.h"
#include "event_queue.h"

typedef enum {
  ITEM_EVENT,
  ITEM_PROGRESS,
  ITEM_NEW_JOB
} item_kind;

typedef struct {
  item_kind kind;
  ph_event *event;
  double completion;
} item;

struct ph_event_queue {
  ph_router *router;
  char *source;
  ph_event_queue_complete complete;
  gpointer owner;
  GQueue items;               /* item * */
  gboolean held;
  guint hold_timer;
  guint hold_ms;
  char *hold_what;
};

static void
item_free (item *it)
{
  if (it->event != NULL)
    ph_event_unref (it->event);
  g_free (it);
}

static void
flush (ph_event_queue *queue)
{
  item *it;

  while (!queue->held && (it = g_queue_pop_head (&queue->items)) != NULL)
    {
      if (it->event != NULL && queue->complete != NULL)
        queue->complete (queue->owner, it->event);
      switch (it->kind)
        {
        case ITEM_EVENT:
          ph_router_dispatch (queue->router, it->event);
          break;
        case ITEM_PROGRESS:
          ph_router_progress (queue->router, it->event, it->completion);
          break;
        case ITEM_NEW_JOB:
          ph_router_new_job (queue->router, queue->source);
          break;
        }
      item_free (it);
    }
}

static void
push (ph_event_queue *queue, item_kind kind, ph_event *event, double completion)
{
  item *it = g_new0 (item, 1);

  it->kind = kind;
  it->event = event;
  it->completion = completion;
  g_queue_push_tail (&queue->items, it);
  flush (queue);
}

void
ph_event_queue_event (ph_event_queue *queue, ph_event *event)
{
  push (queue, ITEM_EVENT, event, 0);
}

void
ph_event_queue_progress (ph_event_queue *queue, ph_event *event, double completion)
{
  push (queue, ITEM_PROGRESS, event, completion);
}

void
ph_event_queue_new_job (ph_event_queue *queue)
{
  push (queue, ITEM_NEW_JOB, NULL, 0);
}

static gboolean
on_hold_over (gpointer data)
{
  ph_event_queue *queue = data;

  queue->hold_timer = 0;
  g_info ("source %s: %s not there within %u ms; sending without it", queue->source,
          queue->hold_what, queue->hold_ms);
  ph_event_queue_release (queue);
  return G_SOURCE_REMOVE;
}

void
ph_event_queue_hold (ph_event_queue *queue, guint timeout_ms, const char *what)
{
  queue->held = TRUE;
  queue->hold_ms = timeout_ms;
  g_free (queue->hold_what);
  queue->hold_what = g_strdup (what);
  g_clear_handle_id (&queue->hold_timer, g_source_remove);
  queue->hold_timer = g_timeout_add (timeout_ms, on_hold_over, queue);
}

void
ph_event_queue_release (ph_event_queue *queue)
{
  if (!queue->held)
    return;
  queue->held = FALSE;
  g_clear_handle_id (&queue->hold_timer, g_source_remove);
  flush (queue);
}

gboolean
ph_event_queue_held (const ph_event_queue *queue)
{
  return queue->held;
}

ph_event_queue *
ph_event_queue_new (ph_router *router, const char *source, ph_event_queue_complete complete,
                    gpointer owner)
{
  ph_event_queue *queue = g_new0 (ph_event_queue, 1);

  queue->router = router;
  queue->source = g_strdup (source);
  queue->complete = complete;
  queue->owner = owner;
  g_queue_init (&queue->items);
  return queue;
}

void
ph_event_queue_free (ph_event_queue *queue)
{
  if (queue == NULL)
    return;
  g_clear_handle_id (&queue->hold_timer, g_source_remove);
  g_queue_clear_full (&queue->items, (GDestroyNotify) item_free);
  g_free (queue->source);
  g_free (queue->hold_what);
  g_free (queue);
}
