/* A module bound to one of the daemon's internals (ph_backoff_step) instead
 * of the host table: printhook exports nothing, so loading it must fail
 * with the symbol's name (it is linked without --no-undefined, on
 * purpose, as an author who ignored module.h's advice would). */
#include "printhook/module.h"

extern double ph_backoff_step (const void *policy, guint attempts);

static gboolean
internal_init (const printhook_host *host, GError **error)
{
  return ph_backoff_step (NULL, 1) >= 0;
}

static printhook_result
internal_run (gpointer instance, printhook_delivery *d, GError **error)
{
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = { .init = internal_init, .run = internal_run };

PRINTHOOK_MODULE_DEFINE ("bad-internal", "0.1", "uses a printhook internal", "GPL-2.0-or-later",
                         PRINTHOOK_STAGE_SEND, NULL, &ops)
