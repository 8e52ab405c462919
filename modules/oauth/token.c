#include <string.h>

#include "token.h"

/* Error bodies are short ({"error": "invalid_client"}); a page of HTML
 * must not flood the log. */
#define EXCERPT_CHARS 200
#define MAX_MARGIN_S 60.0

char *
oauth_url_for_messages (const char *url)
{
  const char *scheme_end = strstr (url, "://");
  const char *authority = scheme_end != NULL ? scheme_end + 3 : url;
  const char *authority_end = authority + strcspn (authority, "/?#");
  const char *at = g_strrstr_len (authority, authority_end - authority, "@");
  const char *host_start = at != NULL ? at + 1 : authority;
  const char *end = host_start + strcspn (host_start, "?#");

  return g_strdup_printf ("%.*s%.*s", (int) (authority - url), url, (int) (end - host_start),
                          host_start);
}

/* One line of the body, printable ASCII kept, for an error message. */
static char *
body_excerpt (GBytes *body)
{
  gsize size = 0;
  const char *bytes = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  GString *text = g_string_new (NULL);

  for (gsize i = 0; bytes != NULL && i < size && text->len < EXCERPT_CHARS; i++)
    {
      unsigned char c = bytes[i];
      g_string_append_c (text, c < 0x20 || c >= 0x7f ? ' ' : c);
    }
  g_strstrip (text->str);
  return g_string_free (text, FALSE);
}

static json_object *
parse_object (GBytes *body, const char *shown_url, GError **error)
{
  gsize size = 0;
  const char *bytes = g_bytes_get_data (body, &size);
  json_tokener *tok = json_tokener_new ();
  json_object *value = json_tokener_parse_ex (tok, bytes != NULL ? bytes : "", (int) size);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t end = json_tokener_get_parse_end (tok);

  json_tokener_free (tok);
  while (jerr == json_tokener_success && end < size && g_ascii_isspace (bytes[end]))
    end++;
  if (value == NULL || jerr != json_tokener_success || end != size)
    {
      json_object_put (value);
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the token response from %s is not JSON%s", shown_url,
                   size == 0 ? " (it is empty)" : "");
      return NULL;
    }
  if (!json_object_is_type (value, json_type_object))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the token response from %s is JSON but not an object ({...})", shown_url);
      json_object_put (value);
      return NULL;
    }
  return value;
}

json_object *
oauth_read_response (const printhook_host *host, const printhook_http_response *response,
                     const char *shown_url, const char *hidden_query, gboolean *transient,
                     GError **error)
{
  const GError *transport = host->http_response_get_error (response);
  long status = host->http_response_get_status (response);
  GBytes *body = host->http_response_get_body (response);

  *transient = FALSE;
  if (transport != NULL)
    {
      g_autoptr (GString) text = g_string_new (transport->message);

      if (hidden_query != NULL)
        g_string_replace (text, hidden_query, "****", 0);
      *transient = host->http_response_can_retry (response);
      g_set_error (error, PRINTHOOK_ERROR,
                   *transient ? PRINTHOOK_ERROR_TRANSIENT : PRINTHOOK_ERROR_PERMANENT,
                   "token request failed: %s", text->str);
      return NULL;
    }
  if (status >= 300 && status < 400)
    {
      const char *location = host->http_response_get_redirect_url (response);
      g_autofree char *target = location != NULL ? oauth_url_for_messages (location) : NULL;

      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the token endpoint %s answered HTTP %ld, a redirect to %s (set "
                   "follow_redirects = true to follow it)", shown_url, status,
                   target != NULL ? target : "(no Location)");
      return NULL;
    }
  if (status < 200 || status >= 300)
    {
      g_autofree char *excerpt = body_excerpt (body);

      *transient = status == 408 || status == 429 || status >= 500;
      g_set_error (error, PRINTHOOK_ERROR,
                   *transient ? PRINTHOOK_ERROR_TRANSIENT : PRINTHOOK_ERROR_PERMANENT,
                   "the token endpoint %s answered HTTP %ld%s%s", shown_url, status,
                   *excerpt != '\0' ? ": " : "", excerpt);
      return NULL;
    }
  if (host->http_response_is_truncated (response))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the token response from %s is too large to be a token", shown_url);
      return NULL;
    }
  return parse_object (body, shown_url, error);
}

double
oauth_cache_seconds (json_object *token)
{
  json_object *expires_in = json_object_object_get (token, "expires_in");
  double seconds = 0;

  switch (json_object_get_type (expires_in))
    {
    case json_type_int:
    case json_type_double:
      seconds = json_object_get_double (expires_in);
      break;
    case json_type_string:
      {
        const char *text = json_object_get_string (expires_in);
        char *end = NULL;

        seconds = g_ascii_strtod (text, &end);
        if (end == text || *end != '\0')
          seconds = 0;
      }
      break;
    default:
      break;
    }
  if (!(seconds > 0) || seconds > G_MAXINT32)
    return 0;
  return seconds - MIN (MAX_MARGIN_S, seconds / 10);
}
