/* Running deliveries inside the test process: the real core, the real
 * module files, a real ph_http on the main loop, so that valgrind and the
 * sanitizers see the modules' code paths. */
#ifndef PH_TEST_IN_PROCESS_H
#define PH_TEST_IN_PROCESS_H

#include "delivery/delivery.h"

typedef struct {
  printhook_result result;
  char *error;        /* why it was not delivered; NULL when it was */
} ph_outcome;

/* Starts every delivery's chain at once (so that they overlap, as the
 * deliveries of one event do in the daemon), runs the thread-default main
 * loop until all are done, and fills outcomes[0..n-1]; fails the test
 * after timeout_s.  deliveries: transfer none. */
void ph_run_chains (printhook_delivery *const *deliveries, guint n, ph_outcome *outcomes,
                    guint timeout_s);

/* Frees what an outcome holds. */
void ph_outcome_clear (ph_outcome *outcome);

/* Runs the main loop for about ms milliseconds (a token's lifetime). */
void ph_spin (guint ms);

#endif
