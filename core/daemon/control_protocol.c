#include "autoconfig.h"
#include "control_protocol.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "config/config_keys.h"
#include "config/config_value.h"
#include "event/events.h"
#include "text/json_text.h"

G_DEFINE_QUARK (ph-control-error-quark, ph_control_error)

void
ph_control_request_free (ph_control_request *request)
{
  if (request == NULL)
    return;
  g_free (request->event);
  json_object_put (request->payload);
  g_free (request->source);
  json_object_put (request->printer);
  g_free (request);
}

static gboolean
refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID,
                                                format, args));
  va_end (args);
  return FALSE;
}

ph_control_request *
ph_control_request_parse (const char *text, gsize len, GError **error)
{
  g_autoptr (ph_control_request) request = g_new0 (ph_control_request, 1);
  g_autoptr (json_object) message = NULL;
  g_autoptr (GError) json_error = NULL;
  json_object *value;
  const char *event;

  message = ph_json_parse (text, len, &json_error);
  if (message == NULL)
    {
      refuse (error, "malformed JSON: %s", json_error->message);
      return NULL;
    }
  if (!json_object_is_type (message, json_type_object))
    {
      refuse (error, "a request is a JSON object with an \"event\"");
      return NULL;
    }
  json_object_object_foreach (message, key, member)
    {
      (void) member;
      if (strcmp (key, "event") != 0 && strcmp (key, "payload") != 0
          && strcmp (key, "source") != 0 && strcmp (key, "printer") != 0)
        {
          refuse (error, "unknown member \"%s\" (a request has event, payload, source, printer)",
                  key);
          return NULL;
        }
    }
  if (!json_object_object_get_ex (message, "event", &value)
      || !json_object_is_type (value, json_type_string))
    {
      refuse (error, "the request has no \"event\" name");
      return NULL;
    }
  event = json_object_get_string (value);
  if (!ph_event_name_is_valid (event))
    {
      refuse (error, "'%s' is not an event name (letters, digits and '_')", event);
      return NULL;
    }
  request->event = g_strdup (ph_event_builtin (event) != NULL ? ph_event_builtin (event) : event);

  if (json_object_object_get_ex (message, "payload", &value) && value != NULL)
    {
      if (!json_object_is_type (value, json_type_object))
        {
          refuse (error, "the payload must be a JSON object");
          return NULL;
        }
      request->payload = json_object_get (value);
    }
  else
    request->payload = json_object_new_object ();

  if (json_object_object_get_ex (message, "source", &value) && value != NULL)
    {
      if (!json_object_is_type (value, json_type_string))
        {
          refuse (error, "\"source\" must be a source's name");
          return NULL;
        }
      request->source = g_strdup (json_object_get_string (value));
    }
  if (json_object_object_get_ex (message, "printer", &value) && value != NULL)
    {
      if (!json_object_is_type (value, json_type_object))
        {
          refuse (error, "\"printer\" must be a JSON object");
          return NULL;
        }
      request->printer = json_object_get (value);
    }
  return g_steal_pointer (&request);
}

char *
ph_control_request_to_line (const char *event, json_object *payload, const char *source,
                            json_object *printer)
{
  g_autoptr (json_object) message = json_object_new_object ();
  GString *line = g_string_new (NULL);

  json_object_object_add (message, "event", json_object_new_string (event));
  if (payload != NULL)
    json_object_object_add (message, "payload", json_object_get (payload));
  if (source != NULL)
    json_object_object_add (message, "source", json_object_new_string (source));
  if (printer != NULL)
    json_object_object_add (message, "printer", json_object_get (printer));
  ph_json_append (line, message, FALSE);
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

static char *
reply_line (json_object *reply)
{
  GString *line = g_string_new (NULL);

  ph_json_append (line, reply, FALSE);
  g_string_append_c (line, '\n');
  json_object_put (reply);
  return g_string_free (line, FALSE);
}

char *
ph_control_reply_accepted (guint deliveries)
{
  json_object *reply = json_object_new_object ();

  json_object_object_add (reply, "accepted", json_object_new_boolean (TRUE));
  json_object_object_add (reply, "deliveries", json_object_new_int64 (deliveries));
  return reply_line (reply);
}

char *
ph_control_reply_refused (const char *reason)
{
  json_object *reply = json_object_new_object ();

  json_object_object_add (reply, "accepted", json_object_new_boolean (FALSE));
  json_object_object_add (reply, "error", json_object_new_string (reason));
  return reply_line (reply);
}

/* Reads up to the first newline, at most PH_CONTROL_MAX_MESSAGE bytes. */
static char *
read_line (GSocket *socket, GError **error)
{
  g_autoptr (GString) line = g_string_new (NULL);
  char buffer[4096];

  while (line->len < PH_CONTROL_MAX_MESSAGE)
    {
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, error);
      const char *newline;

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      g_string_append_len (line, buffer, n);
      newline = memchr (line->str, '\n', line->len);
      if (newline != NULL)
        {
          g_string_truncate (line, newline - line->str);
          return g_string_free (g_steal_pointer (&line), FALSE);
        }
    }
  g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_PROTOCOL,
               "the daemon closed the connection without a complete reply");
  return NULL;
}

gboolean
ph_control_send (const char *path, const char *line, guint timeout_s, guint *deliveries,
                 GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (json_object) reply = NULL;
  g_autofree char *text = NULL;
  json_object *accepted, *value;
  gsize length = strlen (line), sent = 0;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &local_error);
  if (socket != NULL)
    g_socket_set_timeout (socket, timeout_s);
  if (socket == NULL || !g_socket_connect (socket, address, NULL, &local_error))
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_UNREACHABLE,
                   "no printhook daemon answers on %s: %s (is 'printhook run' running, "
                   "with the same control_socket?)", path, local_error->message);
      return FALSE;
    }
  while (sent < length)
    {
      gssize n = g_socket_send (socket, line + sent, length - sent, NULL, &local_error);

      if (n <= 0)
        {
          g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_UNREACHABLE,
                       "sending to %s: %s", path,
                       local_error != NULL ? local_error->message : "nothing written");
          return FALSE;
        }
      sent += n;
    }
  text = read_line (socket, &local_error);
  if (text == NULL)
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_PROTOCOL, "reading the reply from %s: %s",
                   path, local_error->message);
      return FALSE;
    }
  reply = ph_json_parse (text, -1, NULL);
  if (reply == NULL || !json_object_is_type (reply, json_type_object)
      || !json_object_object_get_ex (reply, "accepted", &accepted)
      || !json_object_is_type (accepted, json_type_boolean))
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_PROTOCOL,
                   "the daemon's reply makes no sense: %.200s", text);
      return FALSE;
    }
  if (!json_object_get_boolean (accepted))
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID, "%s",
                   json_object_object_get_ex (reply, "error", &value)
                       ? json_object_get_string (value) : "refused without a reason");
      return FALSE;
    }
  if (deliveries != NULL)
    *deliveries = json_object_object_get_ex (reply, "deliveries", &value)
                      ? (guint) json_object_get_int64 (value) : 0;
  return TRUE;
}

char *
ph_control_socket_from_config (const char *path, GError **error)
{
  const printhook_config_key *spec = ph_find_key (ph_daemon_keys (), "control_socket");
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (ph_value) value = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = NULL;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_UNREACHABLE, "cannot read %s: %s",
                   path, local_error->message);
      return NULL;
    }
  text = g_key_file_get_string (keyfile, "printhook", "control_socket", NULL);
  value = ph_value_parse (spec, text != NULL ? text : spec->default_value, dir, &local_error);
  if (value == NULL)
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_UNREACHABLE,
                   "%s: [printhook] control_socket: %s", path, local_error->message);
      return NULL;
    }
  return g_strdup (value->text);
}
