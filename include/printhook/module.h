/* printhook module ABI: the only header a printhook module needs.
 *
 * A module is a shared object that exports exactly one symbol,
 * printhook_module_get_desc(), made by PRINTHOOK_MODULE_DEFINE().  The host
 * loads it with G_MODULE_BIND_LOCAL, checks the ABI it was built against
 * (major equal to the host's, minor not newer), checks the mandatory slots,
 * then hands it the printhook_host table of services through ops->init.
 *
 * Life cycle:
 *   init(host)             once, when the module is first needed;
 *   instance_new(config)   once per hook whose chain names the module, with
 *                          that hook's validated configuration ("printhook
 *                          check" calls it too, so it must not do I/O);
 *   run(instance, d)       once per delivery attempt (one event x one hook);
 *   instance_free(inst)    when the hook goes away (config reload, exit);
 *   shutdown()             before exit.
 * Everything runs on the host's main loop thread.
 *
 * Stages: a hook's chain runs its modules in stage order, prepare < encode <
 * finish < send.  The host renders the hook's templates (url, headers, data)
 * after the prepare stage, so prepare modules add parameters (an OAuth token)
 * and attachments (a snapshot), encode modules turn the rendered data into
 * body bytes, finish modules see the request as it will go out and add to
 * it (a header of their own: a tenant id, a tracing id, a signature over the
 * body; ABI 1.1), and the send module delivers the request.  When no encode
 * module set a body, the host encodes the data as JSON before the finish
 * stage.  A chain has at most one encode module, exactly one send module,
 * and any number of prepare and finish modules, which run in the order the
 * hook's modules key lists them.
 *
 * Ownership is written at every function: "transfer none" means the callee
 * neither keeps nor frees what it is given (and a returned pointer stays owned
 * by the giver, valid as documented); "transfer full" means ownership moves.
 *
 * The ABI promise.  A module records the PRINTHOOK_ABI_MAJOR and
 * PRINTHOOK_ABI_MINOR it was compiled against; printhook loads it only when
 * the major equals its own and the minor is not newer than its own, and
 * otherwise refuses the file with both ABIs named.  So a module may use
 * everything of the minor it was built against, with no run-time checks.
 *
 * These changes keep the major and bump PRINTHOOK_ABI_MINOR (modules built
 * before keep loading; a module built after needs a printhook at least as
 * new):
 *   - a function appended to printhook_host, or an optional slot appended
 *     to printhook_module_ops or printhook_module_desc, taken from the
 *     reserved padding at the end (which shrinks by one pointer each).  The
 *     padding of a module built before is zero, so printhook finds NULL,
 *     "not provided", in a slot the module did not know about;
 *   - a new value of an enum that modules pass to the host (key types,
 *     error codes), a new macro or inline function in this header;
 *   - behaviour documented where it was unspecified.
 * Anything else bumps PRINTHOOK_ABI_MAJOR and every module must be rebuilt:
 *   - removing, reordering or retyping a field, slot or parameter of any
 *     structure or function type here, or changing the value of an existing
 *     enum member or macro;
 *   - changing what a function does with what it is given or returns
 *     (ownership, lifetime, which thread, when callbacks run), or the
 *     meaning of a stage, result or key type;
 *   - making an optional slot mandatory, or a new mandatory slot;
 *   - a new value of an enum that the host passes to modules.
 * Build a module with -fvisibility=hidden (only the symbol of
 * PRINTHOOK_MODULE_DEFINE is exported) and link it with -Wl,--no-undefined
 * against what it uses ("pkg-config --libs printhook" and its own
 * libraries), as examples/module-hello/Makefile does: a symbol nothing
 * provides then fails the module's build, not its loading on a user's
 * printer.  printhook itself exports nothing to modules: a module that
 * calls a function of printhook's own (ph_*) instead of the host table is
 * refused when loaded.
 *
 * The major is exported to packagers: "pkg-config --variable=module_abi
 * printhook" prints it, and the Debian package printhook provides
 * printhook-module-abi-MAJOR, which a packaged module depends on.
 * "pkg-config --variable=moduledir printhook" is where modules are
 * installed.
 */
#ifndef PRINTHOOK_MODULE_H
#define PRINTHOOK_MODULE_H

#include <glib.h>
#include <gmodule.h>
#include <json-c/json.h>

G_BEGIN_DECLS

#define PRINTHOOK_ABI_MAJOR 1
#define PRINTHOOK_ABI_MINOR 3

/* The symbol every module exports. */
#define PRINTHOOK_MODULE_SYMBOL "printhook_module_get_desc"

/* The shared value (host->shared_get) a source puts on its events when it
 * knows the printer's webcam: its snapshot URL, a NUL-terminated string. */
#define PRINTHOOK_SHARED_WEBCAM_URL "webcam.snapshot_url"

/* Errors a module reports through GError. */
/* Inline so that modules, which link nothing of the host, can use it. */
#define PRINTHOOK_ERROR (printhook_error_quark ())
static inline GQuark
printhook_error_quark (void)
{
  return g_quark_from_static_string ("printhook-error-quark");
}

typedef enum {
  PRINTHOOK_ERROR_CONFIG,      /* a configuration value is wrong */
  PRINTHOOK_ERROR_TRANSIENT,   /* worth retrying: network, timeout, 5xx */
  PRINTHOOK_ERROR_PERMANENT,   /* retrying will not help: 4xx, bad data */
  PRINTHOOK_ERROR_MODULE       /* a module file cannot be used */
} printhook_error_code;

/* The stages run in the order prepare, encode, finish, send (finish came
 * with ABI 1.1, so its value is the highest). */
typedef enum {
  PRINTHOOK_STAGE_PREPARE = 1,
  PRINTHOOK_STAGE_ENCODE = 2,
  PRINTHOOK_STAGE_SEND = 3,
  PRINTHOOK_STAGE_FINISH = 4   /* since ABI 1.1: after encoding, before sending */
} printhook_stage;

/* What one run of a stage came to. */
typedef enum {
  PRINTHOOK_RESULT_DONE = 0,   /* go on with the next module */
  PRINTHOOK_RESULT_PENDING,    /* the module calls host->resume() later */
  PRINTHOOK_RESULT_RETRY,      /* transient failure: try the delivery again later */
  PRINTHOOK_RESULT_FAIL        /* permanent failure: give the delivery up */
} printhook_result;

typedef enum {
  PRINTHOOK_KEY_STRING = 1,
  PRINTHOOK_KEY_INT,           /* 64-bit integer, within [min, max] */
  PRINTHOOK_KEY_DOUBLE,        /* within [min, max] */
  PRINTHOOK_KEY_BOOL,          /* true/false, yes/no, on/off, 1/0 */
  PRINTHOOK_KEY_JSON,          /* a JSON object, read raw from the INI */
  PRINTHOOK_KEY_LIST,          /* words separated by commas or semicolons */
  PRINTHOOK_KEY_PATH           /* a file name, relative to the file naming it */
} printhook_key_type;

/* One configuration key a module accepts.  In the INI file the key is
 * written with the module's name as prefix ("snapshot.quality"); modules
 * read it back with that full name.  Arrays end with an entry whose name is
 * NULL. */
typedef struct {
  const char *name;            /* without the module prefix: "quality" */
  printhook_key_type type;
  const char *default_value;   /* as it would be written in the INI; NULL: none */
  gboolean required;
  gboolean secret;             /* never logged or printed */
  double min, max;             /* INT and DOUBLE only; min == max: unbounded */
  const char *summary;         /* one line for "printhook modules" and the man page */
} printhook_config_key;

/* Opaque handles owned by the host. */
typedef struct _printhook_config printhook_config;       /* one hook's settings */
typedef struct _printhook_delivery printhook_delivery;   /* one event x one hook */
typedef struct printhook_host printhook_host;

/* Appends the text of one value a template inserts (len bytes; "" for a
 * missing parameter) to out, the caller's way (render_text, ABI 1.1). */
typedef void (*printhook_insert_func) (GString *out, const char *text, gsize len,
                                       gpointer user_data);

/* One printer source of the configuration: its name ([source NAME]) and
 * type ("octoprint", "moonraker", "bambu"); both transfer none, valid
 * during the call (foreach_source, ABI 1.1). */
typedef void (*printhook_source_func) (const char *name, const char *type, gpointer user_data);

/* The frame of the printer's own camera (camera_fetch, ABI 1.2).  jpeg:
 * transfer none, NULL on error; error: transfer none, NULL with a frame;
 * both valid only during the call. */
typedef void (*printhook_camera_callback) (printhook_delivery *d, GBytes *jpeg,
                                           const GError *error, gpointer user_data);

typedef gboolean (*printhook_header_func) (const char *name, const char *value,
                                           gpointer user_data);

/* An HTTP exchange through the host's one connection pool. */
typedef struct _printhook_http_request printhook_http_request;
typedef struct _printhook_http_response printhook_http_response;

/* Called once per submitted request, from the main loop.  response:
 * transfer none, valid only during the call. */
typedef void (*printhook_http_callback) (printhook_delivery *d,
                                         const printhook_http_response *response,
                                         gpointer user_data);

/* Work done in a worker thread, and its return to the main loop (see
 * run_in_thread). */
typedef void (*printhook_thread_func) (gpointer data);
typedef void (*printhook_thread_done) (printhook_delivery *d, gpointer data);

/* Services the host gives a module.  The table is owned by the host and
 * valid until shutdown() returns. */
struct printhook_host {
  guint16 abi_major;
  guint16 abi_minor;

  /* Logs one message.  The host adds the module's name and, when d is not
   * NULL, the hook and delivery id.  Never put secrets in fmt's arguments. */
  void (*log) (printhook_delivery *d, GLogLevelFlags level, const char *fmt, ...)
      G_GNUC_PRINTF (3, 4);

  /* Typed configuration of one hook; key is the full name ("url",
   * "snapshot.quality").  A key the hook did not set reads as its declared
   * default; an undeclared key reads as NULL / 0 / FALSE.
   * get_string, get_json: transfer none, valid as long as config.
   * get_list: transfer none, NULL-terminated. */
  const char *(*config_get_string) (const printhook_config *config, const char *key);
  gint64 (*config_get_int) (const printhook_config *config, const char *key);
  double (*config_get_double) (const printhook_config *config, const char *key);
  gboolean (*config_get_bool) (const printhook_config *config, const char *key);
  json_object *(*config_get_json) (const printhook_config *config, const char *key);
  const char *const *(*config_get_list) (const printhook_config *config, const char *key);
  gboolean (*config_is_set) (const printhook_config *config, const char *key);
  const char *(*config_hook_name) (const printhook_config *config);

  /* Template parameters of the delivery.  name is a dotted path
   * ("job.file.name").  param_get: transfer none, NULL when missing, valid
   * until the parameter is set again; read-only, as the event's values are
   * shared by all its deliveries: copy (json_object_deep_copy) what you
   * would change, keep beyond the delivery or hand to run_in_thread, since
   * json-c's reference counts are not thread-safe.  param_set: value
   * transfer full; only top-level names; set before the templates are
   * rendered (prepare stage) for them to see it. */
  json_object *(*param_get) (printhook_delivery *d, const char *name);
  void (*param_set) (printhook_delivery *d, const char *name, json_object *value);

  /* The request being built.  Strings returned are transfer none, valid
   * until changed.  Header names compare case-insensitively; set_header
   * replaces every header of that name (value NULL removes them).  The
   * url and headers are rendered from the hook's templates after the
   * prepare stage, replacing what a prepare module set: a prepare module
   * contributes through parameters (headers = {"Authorization": "Bearer
   * @access_token"}), encode, finish and send modules through these
   * setters (what they set stays). */
  const char *(*request_get_method) (printhook_delivery *d);
  const char *(*request_get_url) (printhook_delivery *d);
  void (*request_set_url) (printhook_delivery *d, const char *url);
  const char *(*request_get_header) (printhook_delivery *d, const char *name);
  void (*request_set_header) (printhook_delivery *d, const char *name, const char *value);
  /* Calls func for each header in order until it returns FALSE. */
  void (*request_foreach_header) (printhook_delivery *d, printhook_header_func func,
                                  gpointer user_data);
  /* The rendered data: transfer none, NULL before rendering; read-only, it
   * shares values with the parameters (see param_get). */
  json_object *(*request_get_data) (printhook_delivery *d);
  /* The encoded body: transfer none, NULL while no body was set. */
  GBytes *(*request_get_body) (printhook_delivery *d);
  /* body: transfer none (the host takes its own reference).  content_type
   * replaces every Content-Type header; NULL leaves them alone. */
  void (*request_set_body) (printhook_delivery *d, GBytes *body, const char *content_type);

  /* Files sent with the request (the snapshot).  Kept with the delivery,
   * so a retry sends the same bytes.  All arguments transfer none. */
  void (*request_add_attachment) (printhook_delivery *d, const char *field,
                                  const char *filename, const char *content_type,
                                  GBytes *bytes);
  guint (*request_get_n_attachments) (printhook_delivery *d);
  /* Out-pointers receive transfer-none values valid as long as d. */
  gboolean (*request_get_attachment) (printhook_delivery *d, guint index,
                                      const char **field, const char **filename,
                                      const char **content_type, GBytes **bytes);

  /* JSON text as printhook writes it everywhere: UTF-8, no "\/" escaping,
   * doubles in shortest round-trip form.  pretty: two-space indentation.
   * Returns transfer full (g_free). */
  char *(*json_to_text) (json_object *value, gboolean pretty);

  /* data (a JSON object) as application/x-www-form-urlencoded text: one
   * field per top-level key in order, nested values as compact JSON, nulls
   * left out.  Returns transfer full (g_free). */
  char *(*form_encode) (json_object *data);

  /* The delivery's id: stable across attempts, sent as webhook-id.
   * Transfer none. */
  const char *(*delivery_get_id) (printhook_delivery *d);

  /* Asynchronous HTTP through the host's curl multi handle (connections
   * are pooled and reused).  Only http and https URLs are allowed.
   * http_request_new: transfer full; the setters copy what they are given.
   * Defaults: connect timeout 5 s, total 15 s, TLS verified, redirects not
   * followed, response bodies kept up to 64 KiB.  http_submit takes the
   * request (transfer full) and calls callback exactly once, later, from
   * the main loop; when a send module submitted it, the host remembers
   * the response as the delivery's outcome ("printhook test" shows it; a
   * prepare module's own exchanges, such as a token request, are not the
   * receiver's answer). */
  printhook_http_request *(*http_request_new) (const char *method, const char *url);
  void (*http_request_add_header) (printhook_http_request *request, const char *name,
                                   const char *value);
  void (*http_request_set_body) (printhook_http_request *request, GBytes *body);
  void (*http_request_set_timeouts) (printhook_http_request *request, double connect_s,
                                     double total_s);
  void (*http_request_set_tls) (printhook_http_request *request, gboolean verify,
                                const char *ca_file);
  void (*http_request_set_follow_redirects) (printhook_http_request *request, gboolean follow);
  void (*http_submit) (printhook_delivery *d, printhook_http_request *request,
                       printhook_http_callback callback, gpointer user_data);
  /* Response accessors, all transfer none and valid during the callback.
   * get_error: NULL when an HTTP response arrived (any status). */
  const GError *(*http_response_get_error) (const printhook_http_response *response);
  long (*http_response_get_status) (const printhook_http_response *response);
  const char *(*http_response_get_header) (const printhook_http_response *response,
                                           const char *name);
  GBytes *(*http_response_get_body) (const printhook_http_response *response);
  /* The Location of a 3xx that was not followed, else NULL. */
  const char *(*http_response_get_redirect_url) (const printhook_http_response *response);
  /* For a response with an error: TRUE when trying again later may help
   * (DNS, connection refused, timeout, TLS, a cut connection), FALSE when
   * the request itself was refused (an invalid URL or header). */
  gboolean (*http_response_can_retry) (const printhook_http_response *response);

  /* Finishes a stage that returned PRINTHOOK_RESULT_PENDING.  error:
   * transfer full, NULL for DONE.  Call it exactly once, from the main loop,
   * never from inside run(); d may be gone when it returns. */
  void (*resume) (printhook_delivery *d, printhook_result result, GError *error);

  /* Values shared by every delivery of the same event (so that one webcam
   * snapshot serves all hooks).  shared_get: transfer none.  shared_set:
   * value transfer full, freed with destroy when the event is done. */
  gpointer (*shared_get) (printhook_delivery *d, const char *key);
  void (*shared_set) (printhook_delivery *d, const char *key, gpointer value,
                      GDestroyNotify destroy);

  /* Response body bytes kept for request (default 64 KiB); a longer body
   * stops the transfer and the response is marked truncated, which is not
   * an error. */
  void (*http_request_set_max_response_bytes) (printhook_http_request *request, gsize max);
  /* TRUE when the body went beyond the request's maximum and was cut. */
  gboolean (*http_response_is_truncated) (const printhook_http_response *response);

  /* TRUE for the names of the host's own parameters (topic, message,
   * extra, ...), which a module should not silently replace. */
  gboolean (*param_is_builtin) (const char *name);

  /* The top-level data key that held "@snapshot" in the hook's data
   * template, where an image attachment belongs; NULL when the data has
   * none.  Transfer none, valid as long as d. */
  const char *(*request_get_snapshot_field) (printhook_delivery *d);

  /* Runs func (data) once in a worker thread, off the main loop (JPEG
   * decoding).  func must not call the host nor touch d or any JSON value
   * the host gave (copy what it needs into data).  done (d, data)
   * then runs once on the main loop (the caller's thread-default context),
   * never from inside this call.  data: transfer none; the module frees it,
   * usually in done.  d must stay alive until done has run: call it from a
   * stage that returns PENDING. */
  void (*run_in_thread) (printhook_delivery *d, printhook_thread_func func, gpointer data,
                         printhook_thread_done done);

  /* Since ABI 1.1 (a module using these is built against 1.1 and so is
   * never loaded by a host without them). */

  /* Renders tmpl, a text template of the @param language
   * (printhook.conf(5)), with d's parameters, as the host renders header
   * values: for a send module's own templates (an MQTT topic).  insert,
   * when not NULL, writes each inserted value its own way (escaping,
   * replacing characters); NULL inserts values as they are and nothing for
   * a missing one.  tmpl: transfer none.  Returns transfer full (g_free). */
  char *(*render_text) (printhook_delivery *d, const char *tmpl, printhook_insert_func insert,
                        gpointer user_data);
  /* FALSE with error set (PRINTHOOK_ERROR_CONFIG, naming the character)
   * when tmpl is not a well-formed template, for instance_new's checks. */
  gboolean (*template_check) (const char *tmpl, GError **error);
  /* What the receiver answered, in words, for a send module that does not
   * go through http_submit ("PUBACK after 3 ms"): "printhook test" prints
   * it on success and the delivery's record keeps it.  text: transfer none,
   * never a secret. */
  void (*delivery_note_outcome) (printhook_delivery *d, const char *text);
  /* A name for this printhook, stable across restarts and different for
   * two daemons on one machine: "HOST-xxxxxxxx" (the host name and a hash
   * of the configuration file's path).  One-shot commands ("printhook test") add
   * "-test-PID", so that they never take a running daemon's identity (an
   * MQTT client id).  Transfer none, valid until shutdown. */
  const char *(*instance_name) (void);
  /* Calls func for each printer source of the configuration the daemon
   * runs, in file order (after a reload, the new one's); none before the
   * configuration is loaded.  For a send module that describes printers
   * to its receiver (Home Assistant discovery), from the main loop. */
  void (*foreach_source) (printhook_source_func func, gpointer user_data);
  /* TRUE in the daemon ("printhook run"), FALSE in one-shot commands
   * ("printhook test", "render", "check"), whose sample events must not
   * change what a receiver keeps (retained states). */
  gboolean (*is_daemon) (void);

  /* Since ABI 1.2. */

  /* Asks the camera of the event's printer that has no URL (a Bambu Lab
   * P1's or A1's, which the source reads over the printer's own protocol)
   * for one JPEG frame within timeout_s, refusing one larger than
   * max_bytes.  FALSE when the event's source knows no such camera, and
   * callback is never called (a source whose camera has an HTTP URL puts
   * it in PRINTHOOK_SHARED_WEBCAM_URL instead).  TRUE: callback runs
   * exactly once, later, from the main loop, with the frame or with an
   * error whose message says what to do (an X1 has no still image: set
   * snapshot.url).  d must stay alive until then: call it from a stage
   * that returns PENDING. */
  gboolean (*camera_fetch) (printhook_delivery *d, double timeout_s, gsize max_bytes,
                            printhook_camera_callback callback, gpointer user_data);

  /* Since ABI 1.3. */

  /* The event of d as printhook forwards it to other printhooks (the
   * farm envelope, version 1, printhook(1) PRINT FARMS): {"v": 1, "id":
   * d's id, "name", "source": {"name", "type"}, "time", "payload",
   * "printer"}, for a send module that forwards whole events instead of
   * a rendered body (the mqtt module's mqtt.format = event).  Transfer
   * full: a new object whose payload and printer are the event's own,
   * read-only (see param_get). */
  json_object *(*event_envelope) (printhook_delivery *d);

  gpointer reserved[3];
};

/* The module's side of the contract. */
typedef struct {
  /* Mandatory.  host: transfer none, valid until shutdown returns. */
  gboolean (*init) (const printhook_host *host, GError **error);
  /* Optional.  Validates one hook's settings (cross-field rules; types and
   * ranges are already checked) and returns the module's state for it,
   * transfer full, or NULL with error set.  config: transfer none, valid
   * until instance_free.  Without it the instance is NULL.  An error about
   * one key should start with the key's full name and then a space, ':' or
   * '=' ("hello.greeting must not be empty"): printhook then reports it at
   * that key's line of the file, else at the hook's [hook NAME] line. */
  gpointer (*instance_new) (const printhook_config *config, GError **error);
  /* Mandatory.  Runs the stage for one delivery attempt.  On RETRY or FAIL,
   * error says why (the host reports it with the delivery). */
  printhook_result (*run) (gpointer instance, printhook_delivery *d, GError **error);
  /* Mandatory when instance_new is given.  instance: transfer full. */
  void (*instance_free) (gpointer instance);
  /* Optional. */
  void (*shutdown) (void);
  /* Optional, prepare stage.  The receiver refused the credentials this
   * module supplied for d (it answered HTTP 401): forget them, so that the
   * next run fetches fresh ones.  The host then runs d's chain once more
   * from the start (once per attempt).  d: transfer none. */
  void (*invalidate) (gpointer instance, printhook_delivery *d);
  /* Optional (ABI 1.1), send stage.  One line saying where the instance
   * sends, never with a secret: with d NULL its templates, for "printhook
   * check" ("publishes to mqtt://broker:1883, topic
   * printhook/@deviceIdentifier/@event, QoS 1"); with d, a delivery whose
   * templates are rendered and body encoded, where that one goes, for
   * "printhook render" and "printhook test".  Without it the host says
   * "METHOD URL".  d: transfer none.  Returns transfer full (g_free). */
  char *(*describe) (gpointer instance, printhook_delivery *d);
  gpointer reserved[6];
} printhook_module_ops;

typedef struct {
  guint16 abi_major;           /* PRINTHOOK_ABI_MAJOR when built */
  guint16 abi_minor;           /* PRINTHOOK_ABI_MINOR when built */
  const char *name;            /* [a-z0-9-]+, equal to the file's name without ".so" */
  const char *version;
  const char *summary;
  const char *license;
  printhook_stage stage;
  const printhook_config_key *keys;   /* NULL-name terminated; NULL: no keys */
  const printhook_module_ops *ops;
  gpointer reserved[8];
} printhook_module_desc;

typedef const printhook_module_desc *(*printhook_module_get_desc_func) (void);

/* Defines the module's one exported symbol.  Use once per module:
 *
 *   static const printhook_config_key keys[] = { { "greeting", ... }, { NULL } };
 *   static const printhook_module_ops ops = { .init = hello_init, .run = hello_run };
 *   PRINTHOOK_MODULE_DEFINE ("hello", "1.0", "Adds a greeting", "MIT",
 *                            PRINTHOOK_STAGE_PREPARE, keys, &ops)
 */
#define PRINTHOOK_MODULE_DEFINE(name_, version_, summary_, license_, stage_, keys_, ops_) \
  G_MODULE_EXPORT const printhook_module_desc *printhook_module_get_desc (void);         \
  G_MODULE_EXPORT const printhook_module_desc *printhook_module_get_desc (void)          \
  {                                                                                      \
    static const printhook_module_desc desc = {                                          \
      PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, name_, version_, summary_, license_,     \
      stage_, keys_, ops_, { NULL }                                                      \
    };                                                                                   \
    return &desc;                                                                        \
  }

G_END_DECLS

#endif /* PRINTHOOK_MODULE_H */
