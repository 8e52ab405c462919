/* One hook in a file of its own, as the web console's editor reads and
 * writes it in [console] hooks_dir (printhook-console(7)).  The values
 * travel as a user means them: a JSON key as written, any other key with
 * GKeyFile's escapes (\n, \s, \\) undone. */
#ifndef PH_HOOK_FILE_H
#define PH_HOOK_FILE_H

#include <glib.h>
#include <json-c/json.h>
#include "registry/registry.h"

/* The spec of a key a [hook NAME] group may hold: a core key, a
 * message.EVENT, or MODULE.KEY of a module registry can load (which it
 * then does).  NULL when no such key is known.  Transfer none. */
const printhook_config_key *ph_hook_key_spec (ph_registry *registry, const char *key);

/* Every key [group] of keyfile sets, as {"key": "value"} (transfer full),
 * in file order, secret keys left out; *secrets, when not NULL, receives
 * the names of the secret keys that hold a value (transfer full). */
json_object *ph_hook_file_keys (GKeyFile *keyfile, const char *group, ph_registry *registry,
                                json_object **secrets);

/* One key's value as a user means it (see above).  Transfer full, NULL
 * when group does not set it. */
char *ph_hook_file_value (GKeyFile *keyfile, const char *group, const char *key,
                          ph_registry *registry);

/* The text of a file that holds [hook name] with keys ({"key": "value"},
 * transfer none).  A secret key that keys leaves out or empty keeps the
 * value [previous_group] of previous has (both may be NULL), unless unset
 * (NULL-terminated, may be NULL) names it.  Key names of other than
 * letters, digits, '.', '_' and '-', values that are not strings, and
 * line breaks in a value that cannot keep them are refused (error's
 * message starts with the key).  Transfer full, or NULL with error. */
char *ph_hook_file_text (const char *name, json_object *keys, const char *const *unset,
                         GKeyFile *previous, const char *previous_group,
                         ph_registry *registry, GError **error);

/* A version of a file's text, for refusing edits made to an older one:
 * its SHA-256 in hex, or "none" for a file that does not exist (text
 * NULL).  Transfer full. */
char *ph_hook_file_version (const char *text);

/* Replaces path with text so that a crash leaves the old file or the new
 * one, never a part: a temporary file beside it (".NAME.tmp", which the
 * loader ignores), fsync, rename, fsync of the directory.  Mode 0640. */
gboolean ph_hook_file_write (const char *path, const char *text, GError **error);

/* Removes path and syncs its directory; a missing file is no error. */
gboolean ph_hook_file_remove (const char *path, GError **error);

#endif
