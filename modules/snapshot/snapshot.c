/* snapshot: the prepare stage that attaches a webcam still to the webhook
 * (DESIGN.md §5, the old plugin's §8).
 *
 * One event may go to many hooks: the camera is asked once per event and
 * every hook gets the same bytes.  Both the camera's answer (a "fetch") and
 * each reshaped image (a "variant": one per size, quality and orientation)
 * live in the event's shared values, so deliveries that arrive while the
 * camera or the worker thread is still busy wait for the same result.
 * The camera is the hook's snapshot.url, else the webcam URL the event's
 * source knows, else the printer's own camera that the host reads (a
 * Bambu Lab P1's, host->camera_fetch of ABI 1.2).  A snapshot that cannot be had never stops the webhook: the delivery goes
 * on without the image and the log says why. */
#include <string.h>

#include "jpeg.h"
#include "printhook/module.h"

#define FILENAME "snapshot.jpg"
#define CONTENT_TYPE "image/jpeg"
/* The field of a hook that lists the module without "@snapshot" in data. */
#define DEFAULT_FIELD "snapshot"
#define MAX_SIDE 16384
#define MIN_BYTES 1024
#define MAX_BYTES (1024 * 1024 * 1024)

static const printhook_host *host;

/* name, type, default, required, secret, min, max, summary */
static const printhook_config_key keys[] = {
  { "url", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "the webcam's still-image URL (http or https), usually set once in [printhook]" },
  { "timeout", PRINTHOOK_KEY_DOUBLE, "5", FALSE, FALSE, 0.1, 600,
    "seconds the camera may take to send the image" },
  { "max_bytes", PRINTHOOK_KEY_INT, "10485760", FALSE, FALSE, 0, 0,
    "larger images from the camera are refused (1024 bytes to 1 GiB)" },
  { "max_size", PRINTHOOK_KEY_STRING, "1640x1232", FALSE, FALSE, 0, 0,
    "WIDTHxHEIGHT: larger images are shrunk to fit, keeping their aspect ratio" },
  { "quality", PRINTHOOK_KEY_INT, "75", FALSE, FALSE, 1, 100,
    "JPEG quality of a shrunk, flipped or turned image" },
  { "flip_h", PRINTHOOK_KEY_BOOL, "false", FALSE, FALSE, 0, 0,
    "mirror the image left to right" },
  { "flip_v", PRINTHOOK_KEY_BOOL, "false", FALSE, FALSE, 0, 0,
    "mirror the image top to bottom" },
  { "rotate90", PRINTHOOK_KEY_BOOL, "false", FALSE, FALSE, 0, 0,
    "turn the image 90 degrees counter-clockwise (after the flips)" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

typedef struct {
  const char *url;             /* the config's; NULL when none is set */
  double timeout;
  gint64 max_bytes;
  gboolean tls_verify;
  snapshot_options options;
  char *fetch_key;             /* names the camera request in the shared values (+ URL) */
  char *variant_key;           /* names this hook's image in the shared values (+ URL) */
} snapshot_instance;

/* The camera's answer for one event. */
typedef struct {
  gboolean done;
  GBytes *bytes;               /* NULL when the fetch failed */
  char *why;                   /* why it failed */
  GPtrArray *waiting;          /* variant *, shared values of the same event */
  char *source;                /* the URL asked; NULL: the printer's camera */
  char *url;                   /* the same, for messages */
} fetch;

/* One image as a set of hooks sends it. */
typedef struct {
  gboolean done;
  GBytes *image;               /* NULL when there is none */
  char *why;                   /* why there is none */
  GPtrArray *waiters;          /* printhook_delivery *, each PENDING in this stage */
  snapshot_options options;
} variant;

/* One run of snapshot_jpeg_process in a worker thread. */
typedef struct {
  variant *v;
  GBytes *input;
  snapshot_options options;
  GBytes *output;
  GError *error;
} process_job;

static gboolean
snapshot_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static gboolean
parse_size (const char *text, guint *width, guint *height)
{
  guint64 w, h;
  const char *x = strpbrk (text, "xX");
  g_autofree char *first = x != NULL ? g_strndup (text, x - text) : NULL;

  if (x == NULL || !g_ascii_string_to_unsigned (g_strstrip (first), 10, 1, MAX_SIDE, &w, NULL)
      || !g_ascii_string_to_unsigned (x + 1, 10, 1, MAX_SIDE, &h, NULL))
    return FALSE;
  *width = w;
  *height = h;
  return TRUE;
}

static void
snapshot_instance_free (gpointer data)
{
  snapshot_instance *inst = data;

  g_free (inst->fetch_key);
  g_free (inst->variant_key);
  g_free (inst);
}

static gpointer
snapshot_instance_new (const printhook_config *config, GError **error)
{
  const char *url = host->config_get_string (config, "snapshot.url");
  const char *max_size = host->config_get_string (config, "snapshot.max_size");
  snapshot_instance *inst;
  snapshot_options *o;

  if (url != NULL && g_ascii_strncasecmp (url, "http://", 7) != 0
      && g_ascii_strncasecmp (url, "https://", 8) != 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "snapshot.url: '%s' is not an http:// or https:// URL", url);
      return NULL;
    }
  if (host->config_get_int (config, "snapshot.max_bytes") < MIN_BYTES
      || host->config_get_int (config, "snapshot.max_bytes") > MAX_BYTES)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "snapshot.max_bytes: %" G_GINT64_FORMAT " is not from %d to %d",
                   host->config_get_int (config, "snapshot.max_bytes"), MIN_BYTES, MAX_BYTES);
      return NULL;
    }
  inst = g_new0 (snapshot_instance, 1);
  o = &inst->options;
  if (!parse_size (max_size, &o->max_width, &o->max_height))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "snapshot.max_size: '%s' is not WIDTHxHEIGHT (such as 1640x1232, each "
                   "from 1 to %d)", max_size, MAX_SIDE);
      snapshot_instance_free (inst);
      return NULL;
    }
  inst->url = url != NULL && *url != '\0' ? url : NULL;
  inst->timeout = host->config_get_double (config, "snapshot.timeout");
  inst->max_bytes = host->config_get_int (config, "snapshot.max_bytes");
  inst->tls_verify = host->config_get_bool (config, "tls_verify");
  o->quality = host->config_get_int (config, "snapshot.quality");
  o->flip_h = host->config_get_bool (config, "snapshot.flip_h");
  o->flip_v = host->config_get_bool (config, "snapshot.flip_v");
  o->rotate90 = host->config_get_bool (config, "snapshot.rotate90");
  /* Hooks share a fetch when they would make the same request, and an
   * image when they would also make the same of it.  The URL goes last, so
   * that no URL can make two different keys look alike. */
  inst->fetch_key = g_strdup_printf ("snapshot:fetch:%g:%" G_GINT64_FORMAT ":%d:",
                                     inst->timeout, inst->max_bytes, inst->tls_verify);
  inst->variant_key = g_strdup_printf ("snapshot:image:%ux%u:%d:%d%d%d:%s", o->max_width,
                                       o->max_height, o->quality, o->flip_h, o->flip_v,
                                       o->rotate90, inst->fetch_key);
  return inst;
}

static void
fetch_free (gpointer data)
{
  fetch *f = data;

  if (f->bytes != NULL)
    g_bytes_unref (f->bytes);
  g_free (f->why);
  g_free (f->source);
  g_free (f->url);
  g_ptr_array_unref (f->waiting);
  g_free (f);
}

static void
variant_free (gpointer data)
{
  variant *v = data;

  if (v->image != NULL)
    g_bytes_unref (v->image);
  g_free (v->why);
  g_ptr_array_unref (v->waiters);
  g_free (v);
}

static const char *
field_of (printhook_delivery *d)
{
  const char *field = host->request_get_snapshot_field (d);
  return field != NULL ? field : DEFAULT_FIELD;
}

/* Whether d already carries its snapshot: a retry sends the picture taken
 * when the event happened, not a new one. */
static gboolean
has_snapshot (printhook_delivery *d)
{
  const char *field = field_of (d);

  for (guint i = 0; i < host->request_get_n_attachments (d); i++)
    {
      const char *name, *filename;

      host->request_get_attachment (d, i, &name, &filename, NULL, NULL);
      if (g_strcmp0 (name, field) == 0 && g_strcmp0 (filename, FILENAME) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
attach (printhook_delivery *d, const variant *v)
{
  if (v->image == NULL)
    {
      host->log (d, G_LOG_LEVEL_WARNING, "sending without the snapshot: %s", v->why);
      return;
    }
  host->request_add_attachment (d, field_of (d), FILENAME, CONTENT_TYPE, v->image);
}

/* Settles the variant and lets every delivery waiting for it go on.
 * image: transfer none; why: NULL when there is an image. */
static void
variant_finish (variant *v, GBytes *image, const char *why)
{
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&v->waiters);

  v->waiters = g_ptr_array_new ();
  v->done = TRUE;
  v->image = image != NULL ? g_bytes_ref (image) : NULL;
  v->why = g_strdup (why);
  for (guint i = 0; i < waiters->len; i++)
    attach (g_ptr_array_index (waiters, i), v);
  /* Resuming DONE only schedules the rest of each chain; nothing here
   * frees v under our feet. */
  for (guint i = 0; i < waiters->len; i++)
    host->resume (g_ptr_array_index (waiters, i), PRINTHOOK_RESULT_DONE, NULL);
}

static void
process_in_thread (gpointer data)
{
  process_job *job = data;

  job->output = snapshot_jpeg_process (job->input, &job->options, &job->error);
}

static void
on_processed (printhook_delivery *d, gpointer data)
{
  process_job *job = data;

  variant_finish (job->v, job->output, job->error != NULL ? job->error->message : NULL);
  g_bytes_unref (job->input);
  if (job->output != NULL)
    g_bytes_unref (job->output);
  g_clear_error (&job->error);
  g_free (job);
}

/* Decoding and encoding run in a worker thread, never on the loop. */
static void
start_processing (variant *v, GBytes *bytes)
{
  process_job *job = g_new0 (process_job, 1);

  job->v = v;
  job->input = g_bytes_ref (bytes);
  job->options = v->options;
  /* The first waiter stays PENDING until the variant is settled. */
  host->run_in_thread (g_ptr_array_index (v->waiters, 0), process_in_thread, job, on_processed);
}

/* url without userinfo or query (credentials live there), for messages. */
static char *
url_for_messages (const char *url)
{
  const char *scheme_end = strstr (url, "://");
  const char *authority = scheme_end != NULL ? scheme_end + 3 : url;
  const char *authority_end = authority + strcspn (authority, "/?#");
  const char *at = g_strrstr_len (authority, authority_end - authority, "@");
  const char *rest = at != NULL ? at + 1 : authority;

  return g_strdup_printf ("%.*s%.*s", (int) (authority - url), url,
                          (int) strcspn (rest, "?#"), rest);
}

static char *
describe_failure (const fetch *f, const snapshot_instance *inst,
                  const printhook_http_response *response)
{
  const GError *transport = host->http_response_get_error (response);
  long status = host->http_response_get_status (response);
  const char *type = host->http_response_get_header (response, "Content-Type");

  if (transport != NULL)
    {
      /* The host's message quotes the URL, query and all. */
      g_autoptr (GString) text = g_string_new (transport->message);
      const char *query = strpbrk (f->source, "?#");

      if (query != NULL && *query == '?')
        g_string_replace (text, query, "?****", 0);
      return g_strdup_printf ("cannot fetch it from the camera: %s", text->str);
    }
  if (status < 200 || status >= 300)
    return g_strdup_printf ("the camera at %s answered HTTP %ld%s%s", f->url, status,
                            type != NULL ? ", Content-Type " : "", type != NULL ? type : "");
  if (host->http_response_is_truncated (response))
    return g_strdup_printf ("the camera's image is larger than snapshot.max_bytes (%" G_GINT64_FORMAT
                            " bytes)", inst->max_bytes);
  return NULL;
}

typedef struct {
  fetch *f;
  const snapshot_instance *inst;
} fetch_request;

/* Settles the fetch and hands its answer to every variant waiting for it.
 * bytes: transfer none, NULL when it failed; why: transfer full, NULL
 * with bytes. */
static void
fetch_settle (fetch *f, GBytes *bytes, char *why)
{
  g_autoptr (GPtrArray) waiting = g_steal_pointer (&f->waiting);

  f->waiting = g_ptr_array_new ();
  f->done = TRUE;
  f->why = why;
  f->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  for (guint i = 0; i < waiting->len; i++)
    {
      variant *v = g_ptr_array_index (waiting, i);

      if (f->bytes != NULL)
        start_processing (v, f->bytes);
      else
        variant_finish (v, NULL, f->why);
    }
}

static void
on_fetched (printhook_delivery *d, const printhook_http_response *response, gpointer user_data)
{
  fetch_request *request = user_data;
  fetch *f = request->f;
  char *why = describe_failure (f, request->inst, response);

  g_free (request);
  fetch_settle (f, why == NULL ? host->http_response_get_body (response) : NULL, why);
}

static void
on_camera_frame (printhook_delivery *d, GBytes *jpeg, const GError *error, gpointer user_data)
{
  fetch *f = user_data;

  fetch_settle (f, jpeg,
                error != NULL ? g_strdup_printf ("the printer's camera: %s", error->message)
                              : NULL);
}

/* Starts f's request: the URL's, or without one the printer's own camera
 * (ABI 1.2), which FALSE says the event's source does not have. */
static gboolean
submit_fetch (snapshot_instance *inst, printhook_delivery *d, fetch *f)
{
  printhook_http_request *http;
  fetch_request *request;

  if (f->source == NULL)
    return host->camera_fetch (d, inst->timeout, (gsize) inst->max_bytes, on_camera_frame, f);
  http = host->http_request_new ("GET", f->source);
  request = g_new0 (fetch_request, 1);
  host->http_request_set_timeouts (http, inst->timeout, inst->timeout);
  /* The hook's tls_ca_file is for its receiver; a camera has its own. */
  host->http_request_set_tls (http, inst->tls_verify, NULL);
  host->http_request_set_max_response_bytes (http, inst->max_bytes);
  request->f = f;
  request->inst = inst;
  host->http_submit (d, http, on_fetched, request);
  return TRUE;
}

/* A new fetch of url (NULL: the printer's camera), started for d, or
 * NULL when the event's source has no camera.  Transfer full. */
static fetch *
fetch_start (snapshot_instance *inst, printhook_delivery *d, const char *url)
{
  fetch *f = g_new0 (fetch, 1);

  f->waiting = g_ptr_array_new ();
  f->source = g_strdup (url);
  f->url = url != NULL ? url_for_messages (url) : g_strdup ("the printer's camera");
  if (!submit_fetch (inst, d, f))
    {
      fetch_free (f);
      return NULL;
    }
  return f;
}

static printhook_result
snapshot_run (gpointer data, printhook_delivery *d, GError **error)
{
  snapshot_instance *inst = data;
  g_autofree char *fetch_key = NULL;
  g_autofree char *variant_key = NULL;
  const char *url;
  variant *v;
  fetch *f;

  if (has_snapshot (d))
    return PRINTHOOK_RESULT_DONE;
  /* Without a snapshot.url of its own, a hook uses the webcam its printer's
   * source knows (OctoPrint's settings, Moonraker's webcams), and without
   * that the printer's own camera (a Bambu Lab P1's). */
  url = inst->url != NULL ? inst->url : host->shared_get (d, PRINTHOOK_SHARED_WEBCAM_URL);
  if (url != NULL && g_ascii_strncasecmp (url, "http://", 7) != 0
      && g_ascii_strncasecmp (url, "https://", 8) != 0)
    {
      host->log (d, G_LOG_LEVEL_WARNING, "sending without the snapshot: the source's webcam "
                 "URL is not http or https");
      return PRINTHOOK_RESULT_DONE;
    }
  /* No URL looks like "(printer camera)": the camera's keys are its own. */
  fetch_key = g_strconcat (inst->fetch_key, url != NULL ? url : "(printer camera)", NULL);
  variant_key = g_strconcat (inst->variant_key, url != NULL ? url : "(printer camera)", NULL);

  v = host->shared_get (d, variant_key);
  if (v != NULL && v->done)
    {
      attach (d, v);
      return PRINTHOOK_RESULT_DONE;
    }
  if (v != NULL)
    {
      g_ptr_array_add (v->waiters, d);
      return PRINTHOOK_RESULT_PENDING;
    }
  f = host->shared_get (d, fetch_key);
  if (f == NULL)
    {
      /* Its answer comes later, never from inside this call, so f is
       * shared and waited for below in time. */
      f = fetch_start (inst, d, url);
      if (f == NULL)
        {
          host->log (d, G_LOG_LEVEL_WARNING, "sending without the snapshot: no snapshot.url "
                     "is set (in the hook or in [printhook]) and the event's source knows "
                     "no webcam");
          return PRINTHOOK_RESULT_DONE;
        }
      host->shared_set (d, fetch_key, f, fetch_free);
    }
  v = g_new0 (variant, 1);
  v->waiters = g_ptr_array_new ();
  v->options = inst->options;
  host->shared_set (d, variant_key, v, variant_free);
  if (f->done && f->bytes == NULL)
    {
      /* The camera failed this event already: no second try for it. */
      v->done = TRUE;
      v->why = g_strdup (f->why);
      attach (d, v);
      return PRINTHOOK_RESULT_DONE;
    }
  g_ptr_array_add (v->waiters, d);
  if (f->done)
    start_processing (v, f->bytes);
  else
    g_ptr_array_add (f->waiting, v);
  return PRINTHOOK_RESULT_PENDING;
}

static const printhook_module_ops ops = {
  .init = snapshot_init,
  .instance_new = snapshot_instance_new,
  .run = snapshot_run,
  .instance_free = snapshot_instance_free,
};

PRINTHOOK_MODULE_DEFINE ("snapshot", PACKAGE_VERSION,
                         "Attaches the webcam's image, fetched once per event, shrunk to fit "
                         "and turned as set",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_PREPARE, keys, &ops)
