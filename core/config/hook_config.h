/* printhook_config: the typed settings of one hook, as modules see them
 * through the host table. */
#ifndef PH_HOOK_CONFIG_H
#define PH_HOOK_CONFIG_H

#include <glib.h>
#include "printhook/module.h"
#include "config_value.h"

/* Transfer full. */
printhook_config *ph_hook_config_new (const char *hook_name);
void ph_hook_config_free (printhook_config *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (printhook_config, ph_hook_config_free)

/* Stores the value of a full key name; value transfer full.  is_set: the
 * user wrote it (in the hook or in [printhook]), as opposed to a default. */
void ph_hook_config_put (printhook_config *config, const char *key, ph_value *value,
                         gboolean is_set);

/* Transfer none; NULL for a key that has neither a value nor a default. */
const ph_value *ph_hook_config_get (const printhook_config *config, const char *key);

/* The accessors of the host table (see printhook_host in module.h). */
const char *ph_hook_config_get_string (const printhook_config *config, const char *key);
gint64 ph_hook_config_get_int (const printhook_config *config, const char *key);
double ph_hook_config_get_double (const printhook_config *config, const char *key);
gboolean ph_hook_config_get_bool (const printhook_config *config, const char *key);
json_object *ph_hook_config_get_json (const printhook_config *config, const char *key);
const char *const *ph_hook_config_get_list (const printhook_config *config, const char *key);
gboolean ph_hook_config_is_set (const printhook_config *config, const char *key);
const char *ph_hook_config_hook_name (const printhook_config *config);

#endif
