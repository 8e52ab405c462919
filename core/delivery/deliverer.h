/* Where the router's deliveries go (DESIGN.md §6).  Each is written to the
 * spool before its first attempt and runs through its hook's chain on the
 * main loop, many at once.  Delivered, it leaves the spool; a transient
 * failure is attempted again on the hook's retry.* schedule, from the spool
 * (after a restart too); a permanent one stays there as a dead letter.
 * A hook's retries run a few at a time, so that one failing receiver holds
 * back no other hook. */
#ifndef PH_DELIVERER_H
#define PH_DELIVERER_H

#include "activity.h"
#include "delivery.h"
#include "generation.h"
#include "spool/spool.h"

/* Attempts of one hook that the spool starts at once, at most.  A first
 * attempt starts when its event comes whatever the count, so that an event
 * is never queued behind older retries. */
#define PH_DELIVERER_HOOK_SLOTS 8

typedef struct ph_deliverer ph_deliverer;

/* spool: transfer none, must outlive the deliverer; NULL keeps nothing and
 * attempts each delivery once (printhook simulate --direct).  Transfer
 * full. */
ph_deliverer *ph_deliverer_new (ph_spool *spool);

/* Every attempt's outcome is counted in activity (transfer none, must
 * outlive the deliverer; NULL: nowhere) from now on. */
void ph_deliverer_set_activity (ph_deliverer *dv, ph_activity *activity);

/* Looks at the spool at once: a delivery "printhook spool" or the console
 * made due now starts without waiting for the next poll. */
void ph_deliverer_kick (ph_deliverer *dv);

/* FALSE while the spool fails to record (a full disk, a lock held too
 * long: see the log), TRUE otherwise.  /healthz says it. */
gboolean ph_deliverer_spool_healthy (const ph_deliverer *dv);

/* Frees it; every delivery must be finished (see ph_deliverer_in_flight). */
void ph_deliverer_free (ph_deliverer *dv);

/* The configuration that spooled deliveries are attempted with from now on
 * (a reference is taken): retries and deliveries left by an earlier run
 * start as they fall due.  Hooks disabled by a 410 are enabled again. */
void ph_deliverer_set_generation (ph_deliverer *dv, ph_generation *gen);

/* Writes d (transfer full), whose hook belongs to gen (a reference is held
 * until the attempt is finished, so a reload cannot free the hook under
 * it), to the spool and starts its first attempt once that is durable. */
void ph_deliverer_submit (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen);

/* Whether the receiver of the hook named hook answered 410 Gone since the
 * configuration was last set: nothing more goes to it until a reload. */
gboolean ph_deliverer_hook_gone (const ph_deliverer *dv, const char *hook);

/* The spool's changes so far are committed from the loop, one batch per
 * turn (core/delivery/deliverer_batch.c), and a first attempt starts once its
 * delivery is durable.  This commits now and starts those attempts: for
 * a caller that promises that what it handed in is kept (printhook emit's
 * "accepted"). */
void ph_deliverer_commit (ph_deliverer *dv);

/* A farm's central side (core/sources/farm.c): it acknowledges an event
 * only once the event's deliveries and its id are durable.  func (durable,
 * data) runs once, on the loop, after the commit of the batch open now
 * (one is opened, and committed at the end of the loop's turn):
 * durable FALSE when that commit failed (or the deliverer went away first,
 * or there is no spool to keep anything).  data: transfer none. */
typedef void (*ph_deliverer_durable_func) (gboolean durable, gpointer data);
void ph_deliverer_when_durable (ph_deliverer *dv, ph_deliverer_durable_func func, gpointer data);

/* What the spool's table of committed event ids (ph_spool_seen_*) says
 * about an event forwarded under id with digest (transfer none both). */
typedef enum {
  PH_INTAKE_NEW,             /* not seen: dispatch it, then ph_deliverer_remember */
  PH_INTAKE_DUPLICATE,       /* committed before with the same content: drop it */
  PH_INTAKE_CONFLICT,        /* committed before with other content: refuse it */
  PH_INTAKE_UNKNOWN          /* the spool cannot say (see the log): try later */
} ph_intake;
ph_intake ph_deliverer_intake (ph_deliverer *dv, const char *id, const char *digest);

/* Records id with digest in the open batch, after the event's deliveries
 * were submitted (a crash between the two then means a duplicate, never
 * a loss), and forgets, about once a minute, the ids older than
 * window_s seconds.  FALSE when the spool could not (logged). */
gboolean ph_deliverer_remember (ph_deliverer *dv, const char *id, const char *digest,
                                guint window_s);

/* Shutting down: no attempt starts from now on (what is due stays in the
 * spool for the next start); the attempts running finish. */
void ph_deliverer_stop (ph_deliverer *dv);

/* Giving up on the attempts still running (after the grace period): one
 * that fails from now on (cancelled) leaves its spool entry as it is,
 * marked as being attempted, so that the next start sends it again with
 * the same webhook-id.  Implies ph_deliverer_stop. */
void ph_deliverer_abandon (ph_deliverer *dv);

/* Attempts started and not finished. */
guint ph_deliverer_in_flight (const ph_deliverer *dv);

/* func runs (from the loop) each time the number in flight drops to 0;
 * NULL removes it. */
void ph_deliverer_set_idle_func (ph_deliverer *dv, GSourceFunc func, gpointer user_data);

#endif
