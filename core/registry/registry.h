/* Finding, opening and checking printhook modules (GModule). */
#ifndef PH_REGISTRY_H
#define PH_REGISTRY_H

#include <glib.h>
#include <gmodule.h>
#include "printhook/module.h"

typedef struct {
  char *name;                         /* the descriptor's name, = file name without ".so" */
  char *path;
  const printhook_module_desc *desc;  /* owned by the module, valid for ever (resident) */
  GModule *handle;
  gboolean initialized;
} ph_module;

typedef struct ph_registry ph_registry;

/* The module search path, in order: $PRINTHOOK_MODULE_PATH (colon-separated),
 * then module_dir (may be NULL), then the compiled-in directory.
 * Transfer full (g_strfreev). */
char **ph_module_search_path (const char *module_dir);

/* Opens one module file and checks it: a shared object exporting
 * printhook_module_get_desc, built for this host's ABI (same major, minor
 * not newer), with a valid name equal to the file's, a known stage and the
 * mandatory ops.  No module code but printhook_module_get_desc runs.  On
 * success the module is made resident.  Transfer full (ph_module_free), or
 * NULL with one error naming the file. */
ph_module *ph_module_open (const char *path, GError **error);
void ph_module_free (ph_module *module);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_module, ph_module_free)

/* dirs: the search path, NULL-terminated, copied.  Transfer full. */
ph_registry *ph_registry_new (const char *const *dirs);
/* Calls shutdown() of every module that was initialised and frees the
 * registry; the modules themselves stay resident. */
void ph_registry_free (ph_registry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_registry, ph_registry_free)

/* Transfer none, NULL-terminated. */
const char *const *ph_registry_dirs (ph_registry *registry);

/* Loads the module called name from the first directory of the search path
 * that has NAME.so, once; later calls return the same module.  Transfer
 * none (owned by the registry), or NULL with an error. */
const ph_module *ph_registry_load (ph_registry *registry, const char *name, GError **error);

/* Runs the module's init() with the host table the first time it is asked
 * for; FALSE with an error when init fails. */
gboolean ph_registry_init_module (ph_registry *registry, const ph_module *module,
                                  const printhook_host *host, GError **error);

/* Loads every *.so of the search path.  Returns the modules that could be
 * used (transfer container: the modules are the registry's), sorted by
 * name; each file that could not, and each one shadowed by a file of the
 * same name earlier in the path, adds a message (transfer full char *) to
 * problems. */
GPtrArray *ph_registry_scan (ph_registry *registry, GPtrArray *problems);

/* "prepare", "encode", "finish" or "send" (transfer none). */
const char *ph_stage_name (printhook_stage stage);

/* Where a stage runs in a chain: prepare 0, encode 1, finish 2, send 3
 * (the values of the enum are not the order: finish came later). */
int ph_stage_order (printhook_stage stage);

#endif
