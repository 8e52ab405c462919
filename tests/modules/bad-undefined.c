/* A module that needs a symbol no library provides: loading it must fail
 * cleanly (it is linked without --no-undefined, on purpose). */
#include "printhook/module.h"

extern int printhook_test_symbol_that_does_not_exist (void);

static gboolean
undefined_init (const printhook_host *host, GError **error)
{
  return printhook_test_symbol_that_does_not_exist () == 0;
}

static printhook_result
undefined_run (gpointer instance, printhook_delivery *d, GError **error)
{
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = { .init = undefined_init, .run = undefined_run };

PRINTHOOK_MODULE_DEFINE ("bad-undefined", "0.1", "needs a missing symbol", "GPL-2.0-or-later",
                         PRINTHOOK_STAGE_SEND, NULL, &ops)
