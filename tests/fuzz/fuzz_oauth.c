/* The oauth module's reading of a token endpoint's answer: a status (the
 * input's first two bytes) and a body (the rest), through the same host
 * calls the daemon gives the module; then how long the token may be kept
 * and the URL shown in its messages. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "token.h"

struct _printhook_http_response {
  long status;
  GBytes *body;
};

static const GError *
get_error (const printhook_http_response *response)
{
  (void) response;
  return NULL;
}

static long
get_status (const printhook_http_response *response)
{
  return response->status;
}

static GBytes *
get_body (const printhook_http_response *response)
{
  return response->body;
}

static const char *
get_redirect_url (const printhook_http_response *response)
{
  return response->status / 100 == 3 ? "http://user:pw@127.0.0.1/next?token=x" : NULL;
}

static gboolean
can_retry (const printhook_http_response *response)
{
  return response->status >= 500;
}

static gboolean
is_truncated (const printhook_http_response *response)
{
  return g_bytes_get_size (response->body) > 4096;
}

/* Whether url's authority (after "://", up to the path) holds a user. */
static gboolean
authority_has_user (const char *url)
{
  const char *scheme_end = strstr (url, "://");
  const char *authority = scheme_end != NULL ? scheme_end + 3 : url;

  return memchr (authority, '@', strcspn (authority, "/?#")) != NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static printhook_host host;
  struct _printhook_http_response response;
  json_object *token;
  g_autoptr (GError) error = NULL;
  g_autofree char *body_text = NULL;
  g_autofree char *shown = NULL;
  gboolean transient;

  if (size < 2)
    return 0;
  host.http_response_get_error = get_error;
  host.http_response_get_status = get_status;
  host.http_response_get_body = get_body;
  host.http_response_get_redirect_url = get_redirect_url;
  host.http_response_can_retry = can_retry;
  host.http_response_is_truncated = is_truncated;
  response.status = 100 + (data[0] << 8 | data[1]) % 500;
  response.body = g_bytes_new (data + 2, size - 2);
  token = oauth_read_response (&host, &response, "http://127.0.0.1/token", NULL, &transient, &error);
  if ((token == NULL) == (error == NULL))
    PH_FUZZ_FAIL ("a token and an error, or neither");
  if (token != NULL)
    {
      double seconds = oauth_cache_seconds (token);

      if (!(seconds >= 0 && seconds <= G_MAXINT32))
        PH_FUZZ_FAIL ("a token kept for %g s", seconds);
    }
  body_text = g_strndup ((const char *) data + 2, size - 2);
  /* The check lets only http:// and https:// URLs through as oauth.url. */
  if (g_str_has_prefix (body_text, "http://") || g_str_has_prefix (body_text, "https://"))
    {
      shown = oauth_url_for_messages (body_text);
      if (authority_has_user (shown) || strpbrk (shown, "?#") != NULL)
        PH_FUZZ_FAIL ("the URL shown keeps a credential: %s", shown);
    }
  json_object_put (token);
  g_bytes_unref (response.body);
  return 0;
}
