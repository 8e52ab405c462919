/* Print progress milestones of one hook for one source (DESIGN.md §5). */
#ifndef PH_PROGRESS_H
#define PH_PROGRESS_H

#include <glib.h>

typedef struct {
  int last;        /* the last completion seen, whole percent; -1: not known yet */
  int milestone;   /* the last milestone fired in this job, 0 before any */
} ph_progress;

/* A printer nothing is known about: its first report only sets where the
 * job stands, so a daemon started mid-print does not announce milestones
 * that were crossed before it watched. */
void ph_progress_init (ph_progress *p);

/* A new job starts at 0 %. */
void ph_progress_new_job (ph_progress *p);

/* Feeds the job's completion (percent, 0 to 100).  Returns the milestone
 * to fire, or 0: the highest multiple of step (1 to 99) above the last
 * completion and not above this one, never 0 or 100, so a jump from 8 to 27
 * with step 10 fires 20 once.  A completion below the last one is a new
 * job that was not announced. */
int ph_progress_advance (ph_progress *p, int step, double completion);

#endif
