/* What the deliverer's two files share: core/delivery/deliverer.c runs attempts and
 * records their outcomes, core/delivery/deliverer_schedule.c decides when spooled
 * deliveries are attempted.  Nothing else includes this. */
#ifndef PH_DELIVERER_PRIVATE_H
#define PH_DELIVERER_PRIVATE_H

#include "activity.h"
#include "deliverer.h"

struct ph_deliverer {
  ph_spool *spool;          /* NULL: nothing kept, one attempt each */
  ph_generation *gen;       /* the hooks spooled deliveries are attempted with */
  guint in_flight;
  GHashTable *hook_running; /* hook name -> spooled attempts running (GUINT_TO_POINTER) */
  GHashTable *running;      /* ids of the spooled deliveries being attempted */
  GHashTable *gone;         /* names of the hooks whose receiver answered 410 */
  gboolean stopped;         /* no attempt starts any more */
  gboolean abandoned;       /* outcomes are not recorded any more */
  gint64 held_until;        /* real time before which the spool starts nothing */
  guint kick;               /* idle: look at the spool again */
  guint wakeup;             /* timer: the next delivery falls due */
  guint poll;               /* timer: did printhook spool change the spool? */
  GSourceFunc idle_func;
  gpointer idle_data;
  GPtrArray *durable_wait;  /* first attempts waiting for the batch's commit */
  ph_activity *activity;    /* outcomes go there too; NULL: nowhere */
  guint commit;             /* idle: commit the spool's batch */
  GArray *durable_notify;   /* durable_notice: told after the batch's commit */
  gint64 seen_pruned;       /* real time the seen ids were last pruned; 0: never */
};

/* One ph_deliverer_when_durable call. */
typedef struct {
  ph_deliverer_durable_func func;
  gpointer data;
} durable_notice;

/* core/delivery/deliverer_intake.c: tells those waiting for the batch just
 * committed (durable: whether it is). */
void ph_deliverer_notify_durable (ph_deliverer *dv, gboolean durable);

/* Starts an attempt of d (transfer full) with gen's hook (a reference is
 * taken).  entry (transfer none): d's spool entry as the spool had it
 * before this attempt; NULL when the spool does not hold d (attempted once,
 * outcome only logged). */
void ph_deliverer_start (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen,
                         const ph_spool_entry *entry);

/* Starts the attempt of d (transfer full) with gen's hook (a reference is
 * taken) as ph_deliverer_start does, without recording it in the spool:
 * entry (transfer none) is d's spool entry with the attempt already
 * recorded, or NULL when the spool does not hold d. */
void ph_deliverer_launch (ph_deliverer *dv, printhook_delivery *d, ph_generation *gen,
                          const ph_spool_entry *entry);

/* core/delivery/deliverer_batch.c: the group commit.  Every spool change of one
 * turn of the loop joins one transaction, committed (one wait for the
 * disk) from the loop as soon as the turn is over. */

/* Opens the batch if none is open and makes sure it is committed soon.
 * When the spool cannot (its lock held too long), logs it and holds the
 * spool; the changes that follow are then made one by one. */
void ph_deliverer_batch (ph_deliverer *dv);

/* Commits from the loop's next turn, batch or not (ph_deliverer_commit). */
void ph_deliverer_commit_soon (ph_deliverer *dv);

/* Starts the first attempt of d (transfer full), written to the spool as
 * entry (transfer full, its attempt recorded) in the open batch, once the
 * batch is durable: nothing is sent that a power cut could make the spool
 * forget.  If the commit fails, it is attempted once, without the spool. */
void ph_deliverer_start_when_durable (ph_deliverer *dv, printhook_delivery *d,
                                      ph_generation *gen, ph_spool_entry *entry);

/* Commits the batch without starting anything: the deliverer is being
 * freed; first attempts still waiting stay in the spool for the next
 * start. */
void ph_deliverer_commit_final (ph_deliverer *dv);

/* The spool failed to read or record something (a full disk, a lock held
 * too long): for a while, nothing starts from it, so that a delivery whose
 * outcome could not be written is not sent again and again at once. */
void ph_deliverer_hold (ph_deliverer *dv);

/* Spooled attempts of the hook named hook running now. */
guint ph_deliverer_hook_running (const ph_deliverer *dv, const char *hook);

/* core/delivery/deliverer_schedule.c: looks at the spool soon (from the loop),
 * starting what is due; does nothing without a spool, a generation, or
 * once stopped. */
void ph_deliverer_schedule (ph_deliverer *dv);

/* Starts the timers that watch the spool (the next due delivery, changes
 * by printhook spool), or stops them. */
void ph_deliverer_schedule_start (ph_deliverer *dv);
void ph_deliverer_schedule_stop (ph_deliverer *dv);

#endif
