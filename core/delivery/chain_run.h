/* Running one delivery through its hook's chain of modules, in stage order,
 * on the main loop. */
#ifndef PH_CHAIN_RUN_H
#define PH_CHAIN_RUN_H

#include "delivery.h"

/* Runs d's chain: the prepare modules, then the templates are rendered, the
 * encode modules run, the default encoding applies, and the send module
 * runs.  A module that returns PENDING continues when it calls
 * host->resume.  done runs exactly once: with DONE when the send module
 * delivered, RETRY or FAIL with the reason (its message starts with the
 * module's name).  It may run before ph_chain_run returns, and may free d.
 * When the receiver answers HTTP 401 and some prepare module can invalidate
 * the credentials it supplied, they are invalidated and the chain runs once
 * more from the start before done is called. */
void ph_chain_run (printhook_delivery *d, ph_chain_done done, gpointer user_data);

/* host->resume: error transfer full. */
void ph_chain_resume (printhook_delivery *d, printhook_result result, GError *error);

#endif
