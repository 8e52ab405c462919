/* Shared by the parts of the config loader (config.c, config_hook.c,
 * chain.c); not used elsewhere. */
#ifndef PH_CONFIG_PRIVATE_H
#define PH_CONFIG_PRIVATE_H

#include "config.h"
#include "config_value.h"
#include "ini_scan.h"

/* One file being read. */
typedef struct {
  char *path;
  char *dir;
  GKeyFile *keyfile;
  ph_ini_map *map;
  gboolean warned_world_readable;
} ph_config_file;

/* A key of [printhook] that is a default for every hook. */
typedef struct {
  ph_config_file *file;
  char *key;
} ph_default_entry;

typedef struct {
  ph_diag *diag;
  const printhook_host *host;
  ph_registry *registry;
  ph_config_file *main_file;
  GHashTable *defaults;     /* full key -> ph_default_entry *, from [printhook] */
  GHashTable *overlay;      /* path -> text read instead, NULL: left out (may be NULL) */
} ph_config_loader;

#define PH_DAEMON_GROUP "printhook"

/* Reads one key of a group as a value of spec's type (JSON keys raw, others
 * with GKeyFile's escapes); reports problems to the loader's diag with the
 * file, line, group and key, and returns NULL then.  Transfer full. */
ph_value *ph_config_read_value (ph_config_loader *loader, ph_config_file *file,
                                const char *group, const char *key,
                                const printhook_config_key *spec);

/* Reports an error (or warning) about group/key of file: the line is looked
 * up, and "[group] key: " is put before the text.  key may be NULL. */
void ph_config_report (ph_config_loader *loader, ph_diag_level level, ph_config_file *file,
                       const char *group, const char *key, const char *format, ...)
    G_GNUC_PRINTF (6, 7);

/* Builds and validates the hook defined by [group] of file.  Returns
 * transfer full, or NULL after reporting why. */
ph_hook *ph_config_build_hook (ph_config_loader *loader, ph_config_file *file,
                               const char *group, const char *name);
void ph_hook_free (ph_hook *hook);

/* Builds and validates the source defined by [group] of file.  Returns
 * transfer full, or NULL after reporting why. */
ph_source_config *ph_config_build_source (ph_config_loader *loader, ph_config_file *file,
                                          const char *group, const char *name);
void ph_source_config_free (ph_source_config *source);

/* [console] of the main file into config->console, defaults filled in
 * (config_console.c); problems go to the loader's diag. */
void ph_config_read_console (ph_config_loader *loader, ph_config *config);
void ph_console_config_clear (ph_console_config *console);

/* The module names of the chain a hook gets when it has no "modules" key. */
char **ph_chain_derive (gboolean has_oauth, gboolean has_snapshot, const char *method,
                        ph_content_type content_type);

/* Loads the named modules, sorts them by stage and checks that they make a
 * chain: at most one encoder, exactly one sender.  Returns the modules
 * (transfer container) or NULL after reporting. */
/* Whether a chain of these module names (NULL: the derived chain) sends to
 * the hook's url, which must then be http(s): FALSE when its send module
 * has a url key of its own (mqtt.url). */
gboolean ph_chain_sends_http (ph_config_loader *loader, const char *const *names);

GPtrArray *ph_chain_resolve (ph_config_loader *loader, ph_config_file *file, const char *group,
                             const char *const *names);

#endif
