/* Where the router's deliveries go: each runs through its hook's chain on
 * the main loop, many at once, and its outcome is logged.  Today that is
 * one attempt; the spool (issue 6) slots in here, writing each delivery
 * down before its first attempt and retrying transient failures. */
#ifndef PH_DELIVERER_H
#define PH_DELIVERER_H

#include "delivery.h"
#include "generation.h"

typedef struct ph_deliverer ph_deliverer;

/* Transfer full. */
ph_deliverer *ph_deliverer_new (void);

/* Frees it; every delivery must be finished (see ph_deliverer_in_flight). */
void ph_deliverer_free (ph_deliverer *dv);

/* Starts d (transfer full), whose hook belongs to gen (a reference is held
 * until d is finished, so a reload cannot free the hook under it). */
void ph_deliverer_submit (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen);

/* Deliveries started and not finished. */
guint ph_deliverer_in_flight (const ph_deliverer *dv);

/* func runs (from the loop) each time the number in flight drops to 0;
 * NULL removes it. */
void ph_deliverer_set_idle_func (ph_deliverer *dv, GSourceFunc func, gpointer user_data);

#endif
