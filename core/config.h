/* printhook.conf and hooks.d/ *.conf: reading, validating, and the hooks
 * they define (DESIGN.md §4). */
#ifndef PH_CONFIG_H
#define PH_CONFIG_H

#include <glib.h>
#include "diag.h"
#include "hook_config.h"
#include "registry.h"

typedef enum {
  PH_CONTENT_JSON,
  PH_CONTENT_FORM,
  PH_CONTENT_MULTIPART
} ph_content_type;

/* One module of a hook's chain with its state for that hook. */
typedef struct {
  const ph_module *module;   /* the registry's */
  gpointer instance;         /* the module's, freed with its instance_free */
} ph_chain_link;

typedef struct {
  char *name;
  char *file;                /* the file defining [hook NAME] */
  guint line;
  printhook_config *config;  /* every key, typed, defaults filled in */
  gboolean enabled;
  char *url;                 /* template */
  gboolean all_events;       /* events = * */
  char **events;             /* built-in names canonical, custom ones as written */
  char *method;              /* upper case */
  ph_content_type content_type;
  json_object *headers;      /* template object, never NULL */
  json_object *data;         /* template object without the @snapshot key, never NULL */
  char *snapshot_field;      /* the top-level key that held "@snapshot", or NULL */
  GHashTable *messages;      /* lower-case event name -> message template */
  GPtrArray *chain;          /* ph_chain_link *, in stage order */
} ph_hook;

typedef struct {
  char *path;                /* the main file */
  GPtrArray *files;          /* every file read, in order (char *) */
  char *module_dir;          /* [printhook] module_dir, or NULL */
  char *spool;
  char *control_socket;
  GPtrArray *hooks;          /* ph_hook *, in file order */
  ph_registry *registry;
} ph_config;

/* Reads path and every *.conf of the hooks.d directory beside it (sorted by
 * name), validates all of it, loads the modules the hooks use and creates
 * their instances (host: transfer none, handed to each module's init).
 * Every problem goes to diag (errors and warnings, each with file and
 * line).  Returns transfer full when there was no error, else NULL. */
ph_config *ph_config_load (const char *path, const printhook_host *host, ph_diag *diag);
void ph_config_free (ph_config *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_config, ph_config_free)

/* Transfer none; NULL when there is no such hook. */
const ph_hook *ph_config_find_hook (const ph_config *config, const char *name);

/* Whether the hook wants the event (names compare case-insensitively). */
gboolean ph_hook_subscribes (const ph_hook *hook, const char *event);

/* The hook's message template for the event: its message.EVENT key, else
 * the event's default.  Transfer none. */
const char *ph_hook_message_template (const ph_hook *hook, const char *event);

/* The default configuration file. */
#define PH_DEFAULT_CONFIG SYSCONFDIR "/printhook/printhook.conf"

#endif
