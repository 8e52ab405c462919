/* Broken modules for the loader tests, one per way a module can be wrong.
 * Each is built from this file with one BAD_* macro defined, so every file
 * holds exactly one kind of damage.  The descriptors are written out by hand
 * because PRINTHOOK_MODULE_DEFINE would get them right. */
#include "printhook/module.h"

G_GNUC_UNUSED static gboolean
bad_init (const printhook_host *host, GError **error)
{
#ifdef BAD_INIT
  g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE, "no webcam here");
  return FALSE;
#else
  return TRUE;
#endif
}

G_GNUC_UNUSED static printhook_result
bad_run (gpointer instance, printhook_delivery *d, GError **error)
{
  return PRINTHOOK_RESULT_DONE;
}

G_GNUC_UNUSED static const printhook_module_ops good_ops = { .init = bad_init, .run = bad_run };
G_GNUC_UNUSED static const printhook_module_ops no_run_ops = { .init = bad_init };

#if defined(BAD_NO_SYMBOL)
/* Exports something, but not the descriptor function. */
G_MODULE_EXPORT int not_the_right_symbol (void);
G_MODULE_EXPORT int
not_the_right_symbol (void)
{
  return 42;
}
#else
G_MODULE_EXPORT const printhook_module_desc *printhook_module_get_desc (void);
G_MODULE_EXPORT const printhook_module_desc *
printhook_module_get_desc (void)
{
#if defined(BAD_NULL_DESC)
  return NULL;
#else
  static const printhook_module_desc desc = {
#if defined(BAD_ABI_MAJOR)
    PRINTHOOK_ABI_MAJOR + 98, 0, "bad-abi-major",
#elif defined(BAD_ABI_MINOR)
    PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR + 1, "bad-abi-minor",
#elif defined(BAD_NAME)
    PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, "some-other-name",
#elif defined(BAD_STAGE)
    PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, "bad-stage",
#elif defined(BAD_NO_RUN)
    PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, "bad-no-run",
#elif defined(BAD_INIT)
    PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, "bad-init",
#else
#error "define one BAD_* macro"
#endif
    "0.1", "a broken module", "GPL-2.0-or-later",
#if defined(BAD_STAGE)
    (printhook_stage) 7,
#else
    PRINTHOOK_STAGE_SEND,
#endif
    NULL,
#if defined(BAD_NO_RUN)
    &no_run_ops,
#else
    &good_ops,
#endif
    { NULL }
  };
  return &desc;
#endif
}
#endif
