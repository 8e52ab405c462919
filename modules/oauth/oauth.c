/* oauth: the prepare stage that asks a token endpoint for credentials
 * before the webhook is rendered (DESIGN.md §5, the old plugin's §11).
 * The endpoint's JSON object becomes parameters (@access_token), cached
 * per hook until its expires_in runs out, and forgotten when the receiver
 * answers 401.  The token request itself is built once per hook, because
 * oauth.headers and oauth.data take no @param (as in the old plugin). */
#include <string.h>

#include "printhook/module.h"
#include "token.h"

static const printhook_host *host;

/* name, type, default, required, secret, min, max, summary */
static const printhook_config_key keys[] = {
  { "url", PRINTHOOK_KEY_STRING, NULL, TRUE, FALSE, 0, 0,
    "the token endpoint (http or https)" },
  { "method", PRINTHOOK_KEY_STRING, "POST", FALSE, FALSE, 0, 0,
    "POST, or GET to send oauth.data in the query string" },
  { "content_type", PRINTHOOK_KEY_STRING, "json", FALSE, FALSE, 0, 0,
    "json or form: how a POST sends oauth.data" },
  { "headers", PRINTHOOK_KEY_JSON, NULL, FALSE, TRUE, 0, 0,
    "JSON object of headers for the token request (no @param)" },
  { "data", PRINTHOOK_KEY_JSON, NULL, FALSE, TRUE, 0, 0,
    "JSON object sent to the token endpoint, such as client_id and client_secret (no @param)" },
  { "timeout", PRINTHOOK_KEY_DOUBLE, "30", FALSE, FALSE, 0.1, 3600,
    "seconds the token request may take" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

typedef struct {
  const printhook_config *config;
  const char *method;          /* "POST" or "GET" */
  char *url;                   /* GET: with the data as query string */
  char *query;                 /* the query added for GET, hidden in messages; or NULL */
  char *shown_url;             /* for messages: no userinfo, no query */
  GPtrArray *headers;          /* name, value, name, value, ... (char *) */
  GBytes *body;                /* POST only */

  /* The cache: the last response, while it is valid. */
  json_object *token;
  gint64 valid_until;          /* monotonic microseconds */
} oauth_instance;

/* One token request in flight for one delivery. */
typedef struct {
  oauth_instance *inst;
  gint64 started;              /* monotonic: the token's lifetime counts from here */
} token_request;

static gboolean
oauth_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static void
oauth_instance_free (gpointer data)
{
  oauth_instance *inst = data;

  g_free (inst->url);
  g_free (inst->query);
  g_free (inst->shown_url);
  g_ptr_array_unref (inst->headers);
  if (inst->body != NULL)
    g_bytes_unref (inst->body);
  json_object_put (inst->token);
  g_free (inst);
}

/* "application/json; charset=utf-8" is kept as written, anything else is
 * replaced: the old plugin's Content-Type rule (its §7.2). */
static gboolean
contains_type (const char *value, const char *type)
{
  g_autofree char *lower = g_ascii_strdown (value, -1);
  return strstr (lower, type) != NULL;
}

/* The configured headers as name/value pairs, with the Content-Type the
 * body needs (NULL for none) and an Accept header unless one was given. */
static gboolean
collect_headers (oauth_instance *inst, json_object *headers, const char *content_type,
                 GError **error)
{
  gboolean has_type = FALSE, has_accept = FALSE;

  json_object_object_foreach (headers, name, value)
    {
      enum json_type type = json_object_get_type (value);

      if (type == json_type_null || type == json_type_object || type == json_type_array)
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                       "oauth.headers: the value of header '%s' must be a string, number or "
                       "boolean", name);
          return FALSE;
        }
      if (content_type != NULL && g_ascii_strcasecmp (name, "Content-Type") == 0)
        {
          if (!contains_type (json_object_get_string (value), content_type))
            continue;
          has_type = TRUE;
        }
      if (g_ascii_strcasecmp (name, "Accept") == 0)
        has_accept = TRUE;
      g_ptr_array_add (inst->headers, g_strdup (name));
      g_ptr_array_add (inst->headers, type == json_type_string
                                        ? g_strdup (json_object_get_string (value))
                                        : host->json_to_text (value, FALSE));
    }
  if (content_type != NULL && !has_type)
    {
      g_ptr_array_add (inst->headers, g_strdup ("Content-Type"));
      g_ptr_array_add (inst->headers, g_strdup (content_type));
    }
  if (!has_accept)
    {
      g_ptr_array_add (inst->headers, g_strdup ("Accept"));
      g_ptr_array_add (inst->headers, g_strdup ("application/json"));
    }
  return TRUE;
}

static gpointer
oauth_instance_new (const printhook_config *config, GError **error)
{
  const char *url = host->config_get_string (config, "oauth.url");
  const char *method = host->config_get_string (config, "oauth.method");
  const char *content_type = host->config_get_string (config, "oauth.content_type");
  json_object *headers = host->config_get_json (config, "oauth.headers");
  json_object *data = host->config_get_json (config, "oauth.data");
  json_object *empty;
  oauth_instance *inst;
  gboolean is_json = g_ascii_strcasecmp (content_type, "json") == 0;
  const char *type_header = NULL;

  if (g_ascii_strncasecmp (url, "http://", 7) != 0 && g_ascii_strncasecmp (url, "https://", 8) != 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "oauth.url: '%s' is not an http:// or https:// URL", url);
      return NULL;
    }
  if (g_ascii_strcasecmp (method, "POST") != 0 && g_ascii_strcasecmp (method, "GET") != 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "oauth.method: '%s' is not POST or GET", method);
      return NULL;
    }
  if (!is_json && g_ascii_strcasecmp (content_type, "form") != 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "oauth.content_type: '%s' is not json or form", content_type);
      return NULL;
    }

  empty = json_object_new_object ();
  inst = g_new0 (oauth_instance, 1);
  inst->config = config;
  inst->headers = g_ptr_array_new_with_free_func (g_free);
  inst->shown_url = oauth_url_for_messages (url);
  if (data == NULL)
    data = empty;
  if (g_ascii_strcasecmp (method, "GET") == 0)
    {
      g_autofree char *query = host->form_encode (data);

      inst->method = "GET";
      inst->url = *query == '\0' ? g_strdup (url)
                  : g_strconcat (url, strchr (url, '?') != NULL ? "&" : "?", query, NULL);
      inst->query = *query != '\0' ? g_steal_pointer (&query) : NULL;
    }
  else
    {
      char *text = is_json ? host->json_to_text (data, FALSE) : host->form_encode (data);

      inst->method = "POST";
      inst->url = g_strdup (url);
      inst->body = g_bytes_new_take (text, strlen (text));
      type_header = is_json ? "application/json" : "application/x-www-form-urlencoded";
    }
  if (!collect_headers (inst, headers != NULL ? headers : empty, type_header, error))
    g_clear_pointer (&inst, oauth_instance_free);
  json_object_put (empty);
  return inst;
}

/* The response's keys as parameters: each as @oauth.KEY, and at top level
 * unless it would replace one of the host's own (@message, @topic...).
 * warn: say so (once per token fetched, not per delivery). */
static void
apply_token (printhook_delivery *d, json_object *token, gboolean warn)
{
  json_object *all = json_object_new_object ();

  json_object_object_foreach (token, key, value)
    {
      json_object *copy = NULL;

      json_object_deep_copy (value, &copy, NULL);
      json_object_object_add (all, key, copy);
      if (host->param_is_builtin (key) || strcmp (key, "oauth") == 0)
        {
          if (warn)
            host->log (d, G_LOG_LEVEL_WARNING, "the token response's key '%s' has the name of "
                       "a built-in parameter, which it does not replace: use @oauth.%s",
                       key, key);
          continue;
        }
      copy = NULL;
      json_object_deep_copy (value, &copy, NULL);
      host->param_set (d, key, copy);
    }
  host->param_set (d, "oauth", all);
}

static void
on_token_response (printhook_delivery *d, const printhook_http_response *response,
                   gpointer user_data)
{
  token_request *request = user_data;
  oauth_instance *inst = request->inst;
  gint64 started = request->started;
  GError *error = NULL;
  json_object *token;
  gboolean transient = FALSE;
  double lifetime;

  g_free (request);
  token = oauth_read_response (host, response, inst->shown_url, inst->query, &transient, &error);
  if (token == NULL)
    {
      host->resume (d, transient ? PRINTHOOK_RESULT_RETRY : PRINTHOOK_RESULT_FAIL, error);
      return;
    }
  lifetime = oauth_cache_seconds (token);
  if (lifetime > 0)
    {
      json_object_put (inst->token);
      inst->token = json_object_get (token);
      inst->valid_until = started + (gint64) (lifetime * G_USEC_PER_SEC);
    }
  apply_token (d, token, TRUE);
  json_object_put (token);
  host->resume (d, PRINTHOOK_RESULT_DONE, NULL);
}

static printhook_result
oauth_run (gpointer data, printhook_delivery *d, GError **error)
{
  oauth_instance *inst = data;
  const printhook_config *config = inst->config;
  printhook_http_request *http;
  token_request *request;
  double timeout = host->config_get_double (config, "oauth.timeout");

  if (inst->token != NULL && g_get_monotonic_time () < inst->valid_until)
    {
      apply_token (d, inst->token, FALSE);
      return PRINTHOOK_RESULT_DONE;
    }
  g_clear_pointer (&inst->token, json_object_put);

  http = host->http_request_new (inst->method, inst->url);
  for (guint i = 0; i + 1 < inst->headers->len; i += 2)
    host->http_request_add_header (http, g_ptr_array_index (inst->headers, i),
                                   g_ptr_array_index (inst->headers, i + 1));
  if (inst->body != NULL)
    host->http_request_set_body (http, inst->body);
  /* The hook's own TLS and redirect settings: a self-hosted token endpoint
   * usually lives beside the receiver. */
  host->http_request_set_timeouts (http, MIN (timeout, host->config_get_double (config, "connect_timeout")),
                                   timeout);
  host->http_request_set_tls (http, host->config_get_bool (config, "tls_verify"),
                              host->config_get_string (config, "tls_ca_file"));
  host->http_request_set_follow_redirects (http, host->config_get_bool (config, "follow_redirects"));

  request = g_new0 (token_request, 1);
  request->inst = inst;
  request->started = g_get_monotonic_time ();
  host->http_submit (d, http, on_token_response, request);
  return PRINTHOOK_RESULT_PENDING;
}

static void
oauth_invalidate (gpointer data, printhook_delivery *d)
{
  oauth_instance *inst = data;

  if (inst->token != NULL)
    host->log (d, G_LOG_LEVEL_MESSAGE, "the receiver refused the cached token; fetching a new one");
  g_clear_pointer (&inst->token, json_object_put);
}

static const printhook_module_ops ops = {
  .init = oauth_init,
  .instance_new = oauth_instance_new,
  .run = oauth_run,
  .instance_free = oauth_instance_free,
  .invalidate = oauth_invalidate,
};

PRINTHOOK_MODULE_DEFINE ("oauth", PACKAGE_VERSION,
                         "Fetches an OAuth token before the webhook; its keys become parameters "
                         "(@access_token)",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_PREPARE, keys, &ops)
