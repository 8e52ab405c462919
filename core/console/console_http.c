/* The console's answers: security headers on every one, JSON masked
 * before it goes, errors as {"error": "..."}. */
#include "autoconfig.h"
#include "console_private.h"

#include <stdarg.h>
#include <string.h>

#include "config/redact.h"
#include "text/json_text.h"

void
ph_console_secure_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  /* No inline script or style, nothing from elsewhere, never framed. */
  soup_message_headers_replace (headers, "Content-Security-Policy", "default-src 'self'");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  /* libsoup 3.2 (Debian 12) leaks the socket of an idle connection that
   * the client closes, one descriptor per connection, until accept()
   * fails (fixed in 3.3, libsoup commit d20c6601; core/cli/cli_listen.c
   * meets it too).  A daemon runs for months: every connection is closed
   * after its answer, so none is ever left idle. */
  soup_message_headers_replace (headers, "Connection", "close");
}

char *
ph_console_mask (ph_console *console, const char *text)
{
  g_autofree char *masked = ph_redactor_apply (console->gen->redactor, text);
  const char *token = console->auth != NULL ? ph_console_auth_token (console->auth) : NULL;

  if (token == NULL || strstr (masked, token) == NULL)
    return g_steal_pointer (&masked);
  {
    g_auto (GStrv) parts = g_strsplit (masked, token, -1);
    return g_strjoinv (PH_REDACTED, parts);
  }
}

json_object *
ph_console_json_string (ph_console *console, const char *text)
{
  g_autofree char *masked = NULL;

  if (text == NULL)
    return NULL;
  masked = ph_console_mask (console, text);
  return json_object_new_string (masked);
}

json_object *
ph_console_member (json_object *object, const char *name)
{
  json_object *value = NULL;

  if (object == NULL || !json_object_object_get_ex (object, name, &value))
    return NULL;
  return value;
}

json_object *
ph_console_json_time (gint64 usec)
{
  if (usec <= 0)
    return NULL;
  return json_object_new_double ((double) usec / G_USEC_PER_SEC);
}

void
ph_console_send_text (SoupServerMessage *msg, guint status, const char *content_type,
                      const char *text)
{
  ph_console_secure_headers (msg);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, text, strlen (text));
}

void
ph_console_send_json (ph_console *console, SoupServerMessage *msg, guint status,
                      json_object *body)
{
  g_autofree char *text = ph_json_to_text (body, FALSE);
  /* Each string was masked where it was made; this pass catches what a
   * handler forgot (a secret inside a longer value, a URL's password). */
  g_autofree char *masked = ph_console_mask (console, text);

  json_object_put (body);
  ph_console_send_text (msg, status, "application/json", masked);
}

void
ph_console_send_error (ph_console *console, SoupServerMessage *msg, guint status,
                       const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;
  json_object *body = json_object_new_object ();

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  json_object_object_add (body, "error", json_object_new_string (message));
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"printhook\"");
  ph_console_send_json (console, msg, status, body);
}

void
ph_console_redirect (SoupServerMessage *msg, const char *location)
{
  /* Relative, as it came: right behind a proxy that renames the host. */
  ph_console_secure_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_SEE_OTHER, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
}

json_object *
ph_console_read_json (ph_console *console, SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  json_object *parsed;

  if (size == 0)
    return json_object_new_object ();
  parsed = ph_json_parse (data, size, &error);
  if (parsed == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST, "the body is not JSON: %s",
                             error->message);
      return NULL;
    }
  if (!json_object_is_type (parsed, json_type_object))
    {
      json_object_put (parsed);
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "the body must be a JSON object");
      return NULL;
    }
  return parsed;
}

const ph_hook *
ph_console_find_hook (ph_console *console, SoupServerMessage *msg, const char *name)
{
  const ph_hook *hook = ph_config_find_hook (console->gen->config, name);

  if (hook == NULL)
    ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND, "no hook named '%s'", name);
  return hook;
}

gboolean
ph_console_method_is (SoupServerMessage *msg, const char *method)
{
  return strcmp (soup_server_message_get_method (msg), method) == 0;
}

void
ph_console_not_allowed (ph_console *console, SoupServerMessage *msg, const char *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  ph_console_send_error (console, msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                         "%s is not allowed here; %s is", soup_server_message_get_method (msg),
                         allow);
}
