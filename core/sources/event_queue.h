/* What a printer source hands the router, kept in order: events,
 * progress reports and new jobs wait behind a PrintStarted that is still
 * fetching its file's metadata, so @meta is there from PrintStarted on
 * (DESIGN.md §5). */
#ifndef PH_EVENT_QUEUE_H
#define PH_EVENT_QUEUE_H

#include "event/event.h"
#include "router/router.h"

typedef struct ph_event_queue ph_event_queue;

/* Runs on each event just before the router gets it (to add what became
 * known while it waited, such as @meta).  event: transfer none. */
typedef void (*ph_event_queue_complete) (gpointer owner, ph_event *event);

/* Items of the source called source go to router (transfer none, outliving
 * the queue); complete (may be NULL) runs with owner.  Transfer full. */
ph_event_queue *ph_event_queue_new (ph_router *router, const char *source,
                                    ph_event_queue_complete complete, gpointer owner);

/* Drops what still waits. */
void ph_event_queue_free (ph_event_queue *queue);

/* An event for ph_router_dispatch (transfer full). */
void ph_event_queue_event (ph_event_queue *queue, ph_event *event);

/* A PrintProgress event (transfer full) at completion percent, for
 * ph_router_progress. */
void ph_event_queue_progress (ph_event_queue *queue, ph_event *event, double completion);

/* A job began that no PrintStarted announced (ph_router_new_job). */
void ph_event_queue_new_job (ph_event_queue *queue);

/* From the next item on, nothing leaves the queue until ph_event_queue_release
 * (or timeout_ms, after which a note is logged naming what); items
 * queued before still go. */
void ph_event_queue_hold (ph_event_queue *queue, guint timeout_ms, const char *what);

/* Lets what waits go; nothing happens when nothing is held. */
void ph_event_queue_release (ph_event_queue *queue);

/* Whether a hold is in force. */
gboolean ph_event_queue_held (const ph_event_queue *queue);

#endif
