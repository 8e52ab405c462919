/* printhook.conf and hooks.d/ *.conf: reading, validating, and the hooks
 * they define (DESIGN.md §4). */
#ifndef PH_CONFIG_H
#define PH_CONFIG_H

#include <glib.h>
#include "diag.h"
#include "hook_config.h"
#include "registry/registry.h"

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

typedef enum {
  PH_SOURCE_OCTOPRINT,
  PH_SOURCE_MOONRAKER,
  PH_SOURCE_BAMBU,
  PH_SOURCE_MQTT             /* events other printhooks forward over a broker (a farm) */
} ph_source_type;

/* "octoprint", "moonraker", "bambu", "mqtt": as the type key says it.  Transfer none. */
const char *ph_source_type_name (ph_source_type type);

/* What a Bambu Lab printer has for @snapshot (the camera key). */
typedef enum {
  PH_BAMBU_CAMERA_AUTO,      /* JPEG unless its reports name an RTSP camera */
  PH_BAMBU_CAMERA_JPEG,      /* P1, A1: JPEG frames over TLS on camera_port */
  PH_BAMBU_CAMERA_RTSP,      /* X1, P2S, H2: RTSP only, no still printhook can take */
  PH_BAMBU_CAMERA_NONE
} ph_bambu_camera;

/* What a source of type = mqtt takes (its format key). */
typedef enum {
  PH_MQTT_FORMAT_EVENT,        /* farm envelopes of edge printhooks */
  PH_MQTT_FORMAT_OCTOPRINT     /* the OctoPrint-MQTT plugin's topics */
} ph_mqtt_format;

/* One [source NAME] group (DESIGN.md §7). */
typedef struct {
  char *name;
  char *file;                /* the file defining [source NAME] */
  guint line;
  ph_source_type type;
  gboolean enabled;
  char *url;                 /* base URL, http or https, without a trailing '/'; NULL for bambu */
  char *api_key;             /* secret; optional for Moonraker */
  /* type = bambu: the printer's own MQTT broker (shared/reference/mqtt-and-bambu.md §3) */
  char *host;
  char *serial;              /* the name its certificate holds; in its topics */
  char *access_code;         /* secret: the MQTT password of user bblp */
  guint port;                /* 8883 */
  char *tls_ca_file;         /* Bambu's CA bundle, PKGDATADIR/bambu-ca.pem unless set */
  gboolean tls_verify;
  ph_bambu_camera camera;
  guint camera_port;         /* 6000 */
  /* type = mqtt (url: mqtt:// or mqtts://, with tls_ca_file and tls_verify):
   * the farm envelopes of edge printhooks (printhook(1) PRINT FARMS) */
  ph_mqtt_format format;
  char *topic;               /* the subscription's filter: printhook/events/#, or for
                                octoprint-mqtt octoPrint/# (the plugin's base and #) */
  char *group;               /* shared by the daemons of this group ($share/GROUP/...),
                                NULL: this daemon takes every event */
  char *client_id;           /* NULL: derived from the instance name and the source */
  char *tls_cert, *tls_key;  /* client certificate for mqtts:// */
  guint dedupe_window;       /* seconds a committed event id is remembered */
} ph_source_config;

/* The [console] group: the web console in the daemon (core/console/). */
typedef struct {
  gboolean enabled;
  char **listen;             /* "HOST:PORT" each, as written and checked; at least one */
  char *tls_cert;            /* both or neither: NULL is plain HTTP */
  char *tls_key;
  char *token_file;
  char *hooks_dir;           /* where the console writes hooks; NULL: editing is off */
  guint history;             /* delivered deliveries kept for the console */
} ph_console_config;

typedef struct {
  char *path;                /* the main file */
  GPtrArray *files;          /* every file read, in order (char *) */
  char *module_dir;          /* [printhook] module_dir, or NULL */
  char *spool;
  guint spool_max_deliveries;
  char *control_socket;
  ph_console_config console;
  GPtrArray *hooks;          /* ph_hook *, in file order */
  ph_registry *registry;
  GPtrArray *sources;        /* ph_source_config *, in file order */
  gboolean registry_borrowed; /* registry belongs to another config */
} ph_config;

/* Reads path and every *.conf of the hooks.d directory beside it (sorted by
 * name), validates all of it, loads the modules the hooks use and creates
 * their instances (host: transfer none, handed to each module's init).
 * Every problem goes to diag (errors and warnings, each with file and
 * line).  Returns transfer full when there was no error, else NULL. */
ph_config *ph_config_load (const char *path, const printhook_host *host, ph_diag *diag);

/* ph_config_load for a reload: when the new file asks for the same module
 * search path, the modules of registry (transfer none) are reused, so that
 * each module is initialised once for the life of the daemon; the new
 * config then borrows registry from the config that owns it (see
 * ph_config_take_registry). */
ph_config *ph_config_reload (const char *path, const printhook_host *host,
                             ph_registry *registry, ph_diag *diag);

/* ph_config_reload with some files read differently: overlay (transfer
 * none) maps a path to the text read as its content, or to NULL, which
 * leaves the file out.  A path in hooks.d/ or [console] hooks_dir that
 * does not exist is read too.  What the console checks an edit with
 * before it writes anything (the same checker as printhook check). */
ph_config *ph_config_load_overlay (const char *path, const printhook_host *host,
                                   ph_registry *registry, GHashTable *overlay, ph_diag *diag);

/* Moves the ownership of the registry that to borrows from from to to, so
 * that from can be freed first.  Nothing happens when to owns its own. */
void ph_config_take_registry (ph_config *to, ph_config *from);
void ph_config_free (ph_config *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_config, ph_config_free)

/* Transfer none; NULL when there is no such hook. */
const ph_hook *ph_config_find_hook (const ph_config *config, const char *name);

/* Transfer none; NULL when there is no such source. */
const ph_source_config *ph_config_find_source (const ph_config *config, const char *name);

/* Fills to with a copy of from, strings and all; ph_source_config_clear
 * frees the strings of such a copy. */
void ph_source_config_copy (ph_source_config *to, const ph_source_config *from);
void ph_source_config_clear (ph_source_config *config);

/* Splits a console listen address "HOST:PORT", "[V6]:PORT" into *host
 * (transfer full, brackets removed) and *port.  FALSE with a message in
 * error when it is none. */
gboolean ph_console_parse_listen (const char *text, char **host, guint16 *port, GError **error);

/* Whether two console groups would serve the same way. */
gboolean ph_console_config_equal (const ph_console_config *a, const ph_console_config *b);

/* Whether two sources would connect to the same place the same way. */
gboolean ph_source_config_equal (const ph_source_config *a, const ph_source_config *b);

/* Whether the hook wants the event (names compare case-insensitively). */
gboolean ph_hook_subscribes (const ph_hook *hook, const char *event);

/* The hook's message template for the event: its message.EVENT key, else
 * the event's default.  Transfer none. */
const char *ph_hook_message_template (const ph_hook *hook, const char *event);

/* The default configuration file. */
#define PH_DEFAULT_CONFIG SYSCONFDIR "/printhook/printhook.conf"

/* What the hook's send module says about where it sends (its describe
 * slot): for d (rendered, transfer none), or its templates when d is NULL;
 * NULL when it says nothing (http-webhook: the method and url tell).
 * Transfer full. */
char *ph_hook_describe_sending (const ph_hook *hook, printhook_delivery *d);

#endif
