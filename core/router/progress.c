#include "autoconfig.h"
#include "progress.h"

#include <math.h>

void
ph_progress_init (ph_progress *p)
{
  p->last = -1;
  p->milestone = 0;
}

void
ph_progress_new_job (ph_progress *p)
{
  p->last = 0;
  p->milestone = 0;
}

int
ph_progress_advance (ph_progress *p, int step, double completion)
{
  int now, highest, before;

  if (!(completion >= 0))
    return 0;
  /* 99.9 % is not yet 100: whole percents, rounded down. */
  now = completion >= 100 ? 100 : (int) floor (completion);
  if (p->last < 0)
    {
      p->last = now;
      return 0;
    }
  if (now < p->last)
    ph_progress_new_job (p);
  if (step < 1)
    step = 1;
  highest = MIN (now, 99) / step * step;
  before = p->last;
  p->last = now;
  if (highest <= 0 || highest <= before)
    return 0;
  p->milestone = highest;
  return highest;
}
