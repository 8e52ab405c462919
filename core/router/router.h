/* The router: each event to every enabled hook that subscribes to it, with
 * the hook's cooldown and progress milestones applied (DESIGN.md §5). */
#ifndef PH_ROUTER_H
#define PH_ROUTER_H

#include "delivery/deliverer.h"
#include "event/event.h"
#include "delivery/generation.h"

typedef struct ph_router ph_router;

/* dv: transfer none, must outlive the router.  Transfer full. */
ph_router *ph_router_new (ph_deliverer *dv);
void ph_router_free (ph_router *router);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_router, ph_router_free)

/* The hooks events go to from now on (a reference is taken; NULL: none).
 * Cooldowns and milestones are kept by hook name, so they survive a
 * reload. */
void ph_router_set_generation (ph_router *router, ph_generation *gen);

/* Every event dispatched is counted in activity (transfer none, must
 * outlive the router; NULL: nowhere) from now on. */
void ph_router_set_activity (ph_router *router, ph_activity *activity);

/* Where its deliveries go (for a source that must know when they are
 * durable: a farm's central side).  Transfer none. */
ph_deliverer *ph_router_deliverer (ph_router *router);

/* No more deliveries: every later event is dropped (shutting down). */
void ph_router_stop (ph_router *router);

/* Sends event (transfer none) to every enabled hook that subscribes to it,
 * is not cooling down, and whose receiver has not answered 410 Gone.  PrintStarted starts a new job for the event's
 * source, so milestones count from 0 again.  Returns the number of
 * deliveries started. */
guint ph_router_dispatch (ph_router *router, ph_event *event);

/* The current job of event's source is at completion percent.  Every hook
 * whose own progress_step was crossed gets event (a PrintProgress event,
 * transfer none) with its own milestone, if it subscribes to PrintProgress
 * and is not cooling down.  Returns the number of deliveries started. */
guint ph_router_progress (ph_router *router, ph_event *event, double completion);

/* A job of source began that no PrintStarted announced (seen from the
 * printer's state): milestones count from 0. */
void ph_router_new_job (ph_router *router, const char *source);

#endif
