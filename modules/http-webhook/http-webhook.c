/* http-webhook: the send stage.  Sends the delivery's request through the
 * host's connection pool, signs it when asked, and says what the answer
 * means: 200-399 delivered (the old plugin's promise), 408/429/5xx and
 * network trouble worth retrying, any other status a permanent failure. */
#include <string.h>

#include "printhook/module.h"
#include "sign.h"

static const printhook_host *host;

typedef struct {
  const printhook_config *config;
} instance;

static gboolean
webhook_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static gpointer
webhook_instance_new (const printhook_config *config, GError **error)
{
  instance *inst = g_new0 (instance, 1);

  inst->config = config;
  return inst;
}

static void
webhook_instance_free (gpointer data)
{
  g_free (data);
}

typedef struct {
  printhook_http_request *request;
} add_headers_state;

static gboolean
add_header (const char *name, const char *value, gpointer user_data)
{
  add_headers_state *state = user_data;

  /* The signature headers are ours: a template must not forge them. */
  if (g_ascii_strncasecmp (name, "webhook-", 8) == 0
      || g_ascii_strcasecmp (name, "X-Hub-Signature-256") == 0)
    return TRUE;
  host->http_request_add_header (state->request, name, value);
  return TRUE;
}

/* The signature headers for the exact bytes sent, with a timestamp fresh
 * for this attempt; none when the hook has no signing_secret. */
static gboolean
signature_headers (instance *inst, printhook_delivery *d, GBytes *body, GPtrArray *headers,
                   GError **error)
{
  const char *secret = host->config_get_string (inst->config, "signing_secret");
  const char *scheme = host->config_get_string (inst->config, "signature");
  gsize size = 0;
  const guint8 *bytes = body != NULL ? g_bytes_get_data (body, &size) : (const guint8 *) "";
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *value;

  if (secret == NULL)
    return TRUE;
  if (g_strcmp0 (scheme, "github") == 0)
    {
      g_ptr_array_add (headers, g_strdup ("X-Hub-Signature-256"));
      g_ptr_array_add (headers, ph_sign_github (secret, bytes, size));
      return TRUE;
    }
  value = ph_sign_standard (secret, host->delivery_get_id (d), now, bytes, size, error);
  if (value == NULL)
    return FALSE;
  g_ptr_array_add (headers, g_strdup ("webhook-timestamp"));
  g_ptr_array_add (headers, g_strdup_printf ("%" G_GINT64_FORMAT, now));
  g_ptr_array_add (headers, g_strdup ("webhook-signature"));
  g_ptr_array_add (headers, value);
  return TRUE;
}

/* One line of the response body for an error message: what a receiver
 * says when it refuses ("invalid token"), without flooding the log. */
static char *
body_excerpt (GBytes *body)
{
  gsize size = 0;
  const char *bytes = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  GString *text = g_string_new (NULL);

  for (gsize i = 0; bytes != NULL && i < size && text->len < 200; i++)
    {
      unsigned char c = bytes[i];
      g_string_append_c (text, c < 0x20 || c == 0x7f ? ' ' : c);
    }
  g_strstrip (text->str);
  if (!g_utf8_validate (text->str, -1, NULL))
    {
      g_string_free (text, TRUE);
      return g_strdup_printf ("<%" G_GSIZE_FORMAT " bytes>", size);
    }
  return g_string_free (text, FALSE);
}

static void
on_response (printhook_delivery *d, const printhook_http_response *response, gpointer user_data)
{
  const GError *transport = host->http_response_get_error (response);
  long status = host->http_response_get_status (response);
  g_autofree char *excerpt = NULL;
  GError *error = NULL;

  if (transport != NULL)
    {
      gboolean permanent = !host->http_response_can_retry (response);

      g_set_error (&error, PRINTHOOK_ERROR,
                   permanent ? PRINTHOOK_ERROR_PERMANENT : PRINTHOOK_ERROR_TRANSIENT, "%s",
                   transport->message);
      host->resume (d, permanent ? PRINTHOOK_RESULT_FAIL : PRINTHOOK_RESULT_RETRY, error);
      return;
    }
  if (status >= 200 && status < 400)
    {
      const char *location = host->http_response_get_redirect_url (response);

      if (status >= 300)
        host->log (d, G_LOG_LEVEL_MESSAGE, "HTTP %ld counts as delivered; not following it to %s "
                   "(set follow_redirects = true to follow redirects)", status,
                   location != NULL ? location : "(no Location)");
      host->resume (d, PRINTHOOK_RESULT_DONE, NULL);
      return;
    }
  excerpt = body_excerpt (host->http_response_get_body (response));
  if (status == 408 || status == 429 || status >= 500)
    {
      g_set_error (&error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_TRANSIENT, "HTTP %ld%s%s", status,
                   *excerpt ? ": " : "", excerpt);
      host->resume (d, PRINTHOOK_RESULT_RETRY, error);
      return;
    }
  g_set_error (&error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT, "HTTP %ld%s%s", status,
               *excerpt ? ": " : "", excerpt);
  host->resume (d, PRINTHOOK_RESULT_FAIL, error);
}

static printhook_result
webhook_run (gpointer data, printhook_delivery *d, GError **error)
{
  instance *inst = data;
  const printhook_config *config = inst->config;
  GBytes *body = host->request_get_body (d);
  g_autoptr (GPtrArray) signature = g_ptr_array_new_with_free_func (g_free);
  printhook_http_request *request;
  add_headers_state state;

  if (!signature_headers (inst, d, body, signature, error))
    return PRINTHOOK_RESULT_FAIL;
  request = host->http_request_new (host->request_get_method (d), host->request_get_url (d));
  state.request = request;
  host->request_foreach_header (d, add_header, &state);
  /* Receivers deduplicate on it, signed or not (DESIGN.md §6). */
  host->http_request_add_header (request, "webhook-id", host->delivery_get_id (d));
  for (guint i = 0; i + 1 < signature->len; i += 2)
    host->http_request_add_header (request, g_ptr_array_index (signature, i),
                                   g_ptr_array_index (signature, i + 1));
  if (body != NULL)
    host->http_request_set_body (request, body);
  host->http_request_set_timeouts (request, host->config_get_double (config, "connect_timeout"),
                                   host->config_get_double (config, "timeout"));
  host->http_request_set_tls (request, host->config_get_bool (config, "tls_verify"),
                              host->config_get_string (config, "tls_ca_file"));
  host->http_request_set_follow_redirects (request, host->config_get_bool (config, "follow_redirects"));
  host->http_submit (d, request, on_response, NULL);
  return PRINTHOOK_RESULT_PENDING;
}

static const printhook_module_ops ops = {
  .init = webhook_init,
  .instance_new = webhook_instance_new,
  .run = webhook_run,
  .instance_free = webhook_instance_free,
};

PRINTHOOK_MODULE_DEFINE ("http-webhook", PACKAGE_VERSION,
                         "Sends the request over HTTP(S), signed when signing_secret is set",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_SEND, NULL, &ops)
