/* One loaded configuration as the daemon runs it.  A reload makes a new
 * generation; the old one lives on until its last delivery is finished,
 * because deliveries point into its hooks. */
#ifndef PH_GENERATION_H
#define PH_GENERATION_H

#include <glib.h>
#include "backoff.h"
#include "config/config.h"
#include "config/redact.h"

typedef struct {
  gint ref_count;
  ph_config *config;
  ph_redactor *redactor;   /* every secret of the config: hooks' and sources' */
  GHashTable *policies;    /* hook name -> ph_retry_policy *, made on first use */
} ph_generation;

/* config: transfer full.  Returns transfer full. */
ph_generation *ph_generation_new (ph_config *config);
ph_generation *ph_generation_ref (ph_generation *gen);
void ph_generation_unref (ph_generation *gen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_generation, ph_generation_unref)

/* The retry.* policy of hook (one of gen's hooks), made once per
 * generation.  Transfer none, or NULL with error (which a configuration
 * the loader validated never gives). */
const ph_retry_policy *ph_generation_retry_policy (ph_generation *gen, const ph_hook *hook,
                                                   GError **error);

#endif
