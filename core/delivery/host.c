#include "autoconfig.h"
#include "host.h"

#include <stdarg.h>
#include <unistd.h>

#include "chain_run.h"
#include "delivery.h"
#include "http.h"
#include "config/hook_config.h"
#include "event/envelope.h"
#include "text/json_text.h"
#include "params.h"
#include "text/template.h"

static const char *current_module;
static ph_http *http;
static char *instance_name;
static const ph_config *running_config;
static gboolean daemon_process;

static gboolean
host_is_daemon (void)
{
  return daemon_process;
}

void
ph_host_set_config (const ph_config *config)
{
  running_config = config;
}

static void
host_foreach_source (printhook_source_func func, gpointer user_data)
{
  for (guint i = 0; running_config != NULL && i < running_config->sources->len; i++)
    {
      const ph_source_config *source = g_ptr_array_index (running_config->sources, i);

      func (source->name, ph_source_type_name (source->type),
            user_data);
    }
}

void
ph_host_set_instance (const char *path, gboolean one_shot)
{
  g_autofree char *hash = path != NULL
                              ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, path, -1)
                              : NULL;
  GString *name = g_string_new (g_get_host_name ());

  if (hash != NULL)
    g_string_append_printf (name, "-%.8s", hash);
  if (one_shot)
    g_string_append_printf (name, "-test-%d", (int) getpid ());
  g_free (instance_name);
  instance_name = g_string_free (name, FALSE);
  daemon_process = !one_shot;
}

static const char *
host_instance_name (void)
{
  if (instance_name == NULL)
    instance_name = g_strdup (g_get_host_name ());
  return instance_name;
}

static char *
host_render_text (printhook_delivery *d, const char *tmpl, printhook_insert_func insert,
                  gpointer user_data)
{
  if (insert == NULL)
    return ph_template_render_text (tmpl, d->params);
  return ph_template_render_with (tmpl, d->params, insert, user_data);
}

static gboolean
host_template_check (const char *tmpl, GError **error)
{
  g_autoptr (GError) syntax = NULL;

  if (ph_template_check (tmpl, &syntax))
    return TRUE;
  g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG, "%s", syntax->message);
  return FALSE;
}

static void
host_note_outcome (printhook_delivery *d, const char *text)
{
  g_free (d->response.outcome);
  d->response.outcome = g_strdup (text);
}

void
ph_host_set_http (ph_http *client)
{
  http = client;
}

void
ph_host_set_current_module (const char *name)
{
  current_module = name;
}

static void host_log (printhook_delivery *d, GLogLevelFlags level, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

static void
host_log (printhook_delivery *d, GLogLevelFlags level, const char *fmt, ...)
{
  g_autofree char *text = NULL;
  const char *module = d != NULL && d->module_name != NULL ? d->module_name : current_module;
  va_list args;

  va_start (args, fmt);
  text = g_strdup_vprintf (fmt, args);
  va_end (args);
  /* A module's g_error must not abort the daemon. */
  level &= ~G_LOG_FLAG_FATAL;
  if (level & G_LOG_LEVEL_ERROR)
    level = G_LOG_LEVEL_CRITICAL;
  if (d != NULL)
    g_log ("printhook", level, "%s: hook %s, delivery %s: %s", module ? module : "module",
           d->hook->name, d->id, text);
  else
    g_log ("printhook", level, "%s: %s", module ? module : "module", text);
}

static json_object *
host_param_get (printhook_delivery *d, const char *name)
{
  return ph_param_lookup (d->params, name, -1);
}

static void
host_param_set (printhook_delivery *d, const char *name, json_object *value)
{
  json_object_object_add (d->params, name, value);
}

static const char *
host_request_get_method (printhook_delivery *d)
{
  return d->method;
}

static const char *
host_request_get_url (printhook_delivery *d)
{
  return d->url;
}

static void
host_request_set_url (printhook_delivery *d, const char *url)
{
  g_free (d->url);
  d->url = g_strdup (url);
}

static void
host_request_foreach_header (printhook_delivery *d, printhook_header_func func, gpointer user_data)
{
  for (guint i = 0; i < d->headers->len; i++)
    {
      ph_header *h = g_ptr_array_index (d->headers, i);
      if (!func (h->name, h->value, user_data))
        break;
    }
}

static json_object *
host_request_get_data (printhook_delivery *d)
{
  return d->data;
}

static GBytes *
host_request_get_body (printhook_delivery *d)
{
  return d->body;
}

static guint
host_request_get_n_attachments (printhook_delivery *d)
{
  return d->attachments->len;
}

static gboolean
host_request_get_attachment (printhook_delivery *d, guint index, const char **field,
                             const char **filename, const char **content_type, GBytes **bytes)
{
  ph_attachment *a;

  if (index >= d->attachments->len)
    return FALSE;
  a = g_ptr_array_index (d->attachments, index);
  if (field != NULL)
    *field = a->field;
  if (filename != NULL)
    *filename = a->filename;
  if (content_type != NULL)
    *content_type = a->content_type;
  if (bytes != NULL)
    *bytes = a->bytes;
  return TRUE;
}

static gpointer
host_shared_get (printhook_delivery *d, const char *key)
{
  return ph_event_shared_get (d->event, key);
}

static void
host_shared_set (printhook_delivery *d, const char *key, gpointer value, GDestroyNotify destroy)
{
  ph_event_shared_set (d->event, key, value, destroy);
}

static const char *
host_delivery_get_id (printhook_delivery *d)
{
  return d->id;
}

/* printhook_http_request and _response are ph_http's, under the ABI's names. */
static printhook_http_request *
host_http_request_new (const char *method, const char *url)
{
  return (printhook_http_request *) ph_http_request_new (method, url);
}

static void
host_http_request_add_header (printhook_http_request *request, const char *name, const char *value)
{
  ph_http_request_add_header ((ph_http_request *) request, name, value);
}

static void
host_http_request_set_body (printhook_http_request *request, GBytes *body)
{
  ph_http_request_set_body ((ph_http_request *) request, body);
}

static void
host_http_request_set_timeouts (printhook_http_request *request, double connect_s, double total_s)
{
  ph_http_request_set_timeouts ((ph_http_request *) request, connect_s, total_s);
}

static void
host_http_request_set_tls (printhook_http_request *request, gboolean verify, const char *ca_file)
{
  ph_http_request_set_tls ((ph_http_request *) request, verify, ca_file);
}

static void
host_http_request_set_follow_redirects (printhook_http_request *request, gboolean follow)
{
  ph_http_request_set_follow_redirects ((ph_http_request *) request, follow);
}

typedef struct {
  printhook_delivery *d;
  printhook_http_callback callback;
  gpointer user_data;
  gboolean is_outcome;   /* the send stage's request: the receiver's answer */
} submitted;

static void
on_http_response (const ph_http_response *response, gpointer data)
{
  submitted *s = data;
  const GError *error = ph_http_response_get_error (response);

  if (s->is_outcome)
    ph_delivery_note_response (s->d, ph_http_response_get_status (response),
                               error != NULL ? error->message : NULL,
                               ph_http_response_get_body (response),
                               ph_http_response_get_redirect_url (response),
                               ph_http_response_get_retry_after (response),
                               ph_http_response_get_total_time (response));
  s->callback (s->d, (const printhook_http_response *) response, s->user_data);
  g_free (s);
}

static void
host_http_submit (printhook_delivery *d, printhook_http_request *request,
                  printhook_http_callback callback, gpointer user_data)
{
  submitted *s = g_new0 (submitted, 1);

  g_return_if_fail (http != NULL);
  s->d = d;
  s->callback = callback;
  s->user_data = user_data;
  s->is_outcome = ph_delivery_in_stage (d, PRINTHOOK_STAGE_SEND);
  ph_http_submit (http, (ph_http_request *) request, on_http_response, s);
}

static const GError *
host_http_response_get_error (const printhook_http_response *response)
{
  return ph_http_response_get_error ((const ph_http_response *) response);
}

static long
host_http_response_get_status (const printhook_http_response *response)
{
  return ph_http_response_get_status ((const ph_http_response *) response);
}

static const char *
host_http_response_get_header (const printhook_http_response *response, const char *name)
{
  return ph_http_response_get_header ((const ph_http_response *) response, name);
}

static GBytes *
host_http_response_get_body (const printhook_http_response *response)
{
  return ph_http_response_get_body ((const ph_http_response *) response);
}

static const char *
host_http_response_get_redirect_url (const printhook_http_response *response)
{
  return ph_http_response_get_redirect_url ((const ph_http_response *) response);
}

static gboolean
host_http_response_can_retry (const printhook_http_response *response)
{
  const GError *error = ph_http_response_get_error ((const ph_http_response *) response);

  return error != NULL && !g_error_matches (error, PH_HTTP_ERROR, PH_HTTP_ERROR_URL);
}

static void
host_http_request_set_max_response_bytes (printhook_http_request *request, gsize max)
{
  ph_http_request_set_max_response_bytes ((ph_http_request *) request, max);
}

static gboolean
host_http_response_is_truncated (const printhook_http_response *response)
{
  return ph_http_response_is_truncated ((const ph_http_response *) response);
}

static const char *
host_request_get_snapshot_field (printhook_delivery *d)
{
  return d->hook->snapshot_field;
}

/* One camera_fetch: the module's callback, for the camera's answer. */
typedef struct {
  printhook_delivery *d;
  printhook_camera_callback callback;
  gpointer user_data;
} camera_request;

static void
on_camera_frame (GBytes *jpeg, const GError *error, gpointer user_data)
{
  camera_request *request = user_data;

  request->callback (request->d, jpeg, error, request->user_data);
  g_free (request);
}

static gboolean
host_camera_fetch (printhook_delivery *d, double timeout_s, gsize max_bytes,
                   printhook_camera_callback callback, gpointer user_data)
{
  camera_request *request;

  if (d->event->camera == NULL)
    return FALSE;
  request = g_new0 (camera_request, 1);
  request->d = d;
  request->callback = callback;
  request->user_data = user_data;
  ph_camera_fetch (d->event->camera, (guint) CLAMP (timeout_s * 1000, 1, G_MAXUINT),
                   max_bytes, on_camera_frame, request);
  return TRUE;
}

static json_object *
host_event_envelope (printhook_delivery *d)
{
  const ph_source_config *source = NULL;

  if (running_config != NULL && d->event->source != NULL)
    source = ph_config_find_source (running_config, d->event->source);
  return ph_envelope_build (d->event, d->id,
                            source != NULL ? ph_source_type_name (source->type) : NULL);
}

/* One run_in_thread call.  Each gets a thread of its own, joined before
 * done runs: a pooled thread (GTask's) would outlive the job holding
 * libjpeg-turbo's thread-local state, and LeakSanitizer crashes scanning
 * such dynamic TLS at exit (google/sanitizers#1322); one short-lived
 * thread per snapshot costs nothing worth pooling for. */
typedef struct {
  printhook_delivery *d;
  printhook_thread_func func;
  printhook_thread_done done;
  gpointer data;
  GMainContext *context;       /* where done runs: the caller's loop */
  GThread *thread;
} thread_job;

/* On the loop: the worker has finished func; wait for it to end, then
 * hand the result back. */
static gboolean
thread_job_done (gpointer user_data)
{
  thread_job *job = user_data;

  g_thread_join (job->thread);
  job->done (job->d, job->data);
  g_main_context_unref (job->context);
  g_free (job);
  return G_SOURCE_REMOVE;
}

static gpointer
thread_job_run (gpointer user_data)
{
  thread_job *job = user_data;
  GSource *source = g_idle_source_new ();

  job->func (job->data);
  /* An idle source, not g_main_context_invoke, which could run done right
   * here in the worker when the loop happens to be idle. */
  g_source_set_callback (source, thread_job_done, job, NULL);
  g_source_attach (source, job->context);
  g_source_unref (source);
  return NULL;
}

static void
host_run_in_thread (printhook_delivery *d, printhook_thread_func func, gpointer data,
                    printhook_thread_done done)
{
  thread_job *job = g_new0 (thread_job, 1);

  job->d = d;
  job->func = func;
  job->done = done;
  job->data = data;
  job->context = g_main_context_ref_thread_default ();
  /* The loop cannot run thread_job_done before this returns, so job->thread
   * is set by then. */
  job->thread = g_thread_new ("printhook-work", thread_job_run, job);
}

static const printhook_host host = {
  .abi_major = PRINTHOOK_ABI_MAJOR,
  .abi_minor = PRINTHOOK_ABI_MINOR,
  .log = host_log,
  .config_get_string = ph_hook_config_get_string,
  .config_get_int = ph_hook_config_get_int,
  .config_get_double = ph_hook_config_get_double,
  .config_get_bool = ph_hook_config_get_bool,
  .config_get_json = ph_hook_config_get_json,
  .config_get_list = ph_hook_config_get_list,
  .config_is_set = ph_hook_config_is_set,
  .config_hook_name = ph_hook_config_hook_name,
  .param_get = host_param_get,
  .param_set = host_param_set,
  .request_get_method = host_request_get_method,
  .request_get_url = host_request_get_url,
  .request_set_url = host_request_set_url,
  .request_get_header = ph_delivery_get_header,
  .request_set_header = ph_delivery_set_header,
  .request_foreach_header = host_request_foreach_header,
  .request_get_data = host_request_get_data,
  .request_get_body = host_request_get_body,
  .request_set_body = ph_delivery_set_body,
  .request_add_attachment = ph_delivery_add_attachment,
  .request_get_n_attachments = host_request_get_n_attachments,
  .request_get_attachment = host_request_get_attachment,
  .json_to_text = ph_json_to_text,
  .form_encode = ph_form_encode,
  .delivery_get_id = host_delivery_get_id,
  .http_request_new = host_http_request_new,
  .http_request_add_header = host_http_request_add_header,
  .http_request_set_body = host_http_request_set_body,
  .http_request_set_timeouts = host_http_request_set_timeouts,
  .http_request_set_tls = host_http_request_set_tls,
  .http_request_set_follow_redirects = host_http_request_set_follow_redirects,
  .http_submit = host_http_submit,
  .http_response_get_error = host_http_response_get_error,
  .http_response_get_status = host_http_response_get_status,
  .http_response_get_header = host_http_response_get_header,
  .http_response_get_body = host_http_response_get_body,
  .http_response_get_redirect_url = host_http_response_get_redirect_url,
  .http_response_can_retry = host_http_response_can_retry,
  .resume = ph_chain_resume,
  .shared_get = host_shared_get,
  .shared_set = host_shared_set,
  .http_request_set_max_response_bytes = host_http_request_set_max_response_bytes,
  .http_response_is_truncated = host_http_response_is_truncated,
  .param_is_builtin = ph_param_is_builtin,
  .request_get_snapshot_field = host_request_get_snapshot_field,
  .run_in_thread = host_run_in_thread,
  .render_text = host_render_text,
  .template_check = host_template_check,
  .delivery_note_outcome = host_note_outcome,
  .instance_name = host_instance_name,
  .foreach_source = host_foreach_source,
  .is_daemon = host_is_daemon,
  .camera_fetch = host_camera_fetch,
  .event_envelope = host_event_envelope,
};

const printhook_host *
ph_host (void)
{
  return &host;
}
