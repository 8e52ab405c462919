/* The keys the core itself understands in printhook.conf (DESIGN.md §4). */
#ifndef PH_CONFIG_KEYS_H
#define PH_CONFIG_KEYS_H

#include "printhook/module.h"

/* retry.max_retry_after's default, seconds: an hour. */
#define PH_DEFAULT_MAX_RETRY_AFTER_S 3600

/* Keys of a [hook NAME] group that are not module keys, NULL-name
 * terminated.  "message.EVENT" keys are not listed: any event name goes. */
const printhook_config_key *ph_hook_keys (void);

/* Keys only [printhook] has (the daemon's own settings). */
const printhook_config_key *ph_daemon_keys (void);

/* The [console] group's defaults: where it listens, and how many
 * delivered deliveries the spool remembers for it. */
#define PH_CONSOLE_DEFAULT_LISTEN "127.0.0.1:7130"
#define PH_CONSOLE_DEFAULT_HISTORY 1000

/* Keys of the [console] group (the web console). */
const printhook_config_key *ph_console_keys (void);

/* Keys of a [source NAME] group. */
const printhook_config_key *ph_source_keys (void);

/* Looks a key up in a NULL-name terminated table; NULL when absent. */
const printhook_config_key *ph_find_key (const printhook_config_key *table, const char *name);

/* The spec message.EVENT keys share. */
const printhook_config_key *ph_message_key (void);

/* Hook keys that [printhook] may not set as a default for every hook. */
gboolean ph_hook_key_is_per_hook_only (const char *name);

#endif
