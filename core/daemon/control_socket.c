#include "autoconfig.h"
#include "control_socket.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

/* A client that sends nothing for this long is dropped. */
#define IDLE_TIMEOUT_S 30
#define MAX_CLIENTS 32
/* Requests of one client handled in one go, at most, before their replies
 * are written: a client that pipelines many waits its turn like others. */
#define MAX_BATCH 64

struct ph_control_socket {
  char *path;
  GSocketService *service;
  ph_control_handler handler;
  ph_control_flush flush;
  gpointer user_data;
  GList *clients;          /* client * */
};

typedef struct {
  ph_control_socket *control;
  GSocketConnection *connection;
  GCancellable *cancellable;
  GByteArray *pending;     /* received, not yet handled */
  char buffer[4096];
  char *reply;             /* being written */
  gboolean closing;        /* close once the reply is written */
  gboolean eof;
  guint idle_timer;
} client;

static void read_more (client *c);
static void handle_pending (client *c);

static void
client_free (client *c)
{
  c->control->clients = g_list_remove (c->control->clients, c);
  if (c->idle_timer != 0)
    g_source_remove (c->idle_timer);
  g_cancellable_cancel (c->cancellable);
  g_io_stream_close (G_IO_STREAM (c->connection), NULL, NULL);
  g_object_unref (c->connection);
  g_object_unref (c->cancellable);
  g_byte_array_unref (c->pending);
  g_free (c->reply);
  g_free (c);
}

static gboolean
on_idle_timeout (gpointer data)
{
  client *c = data;

  c->idle_timer = 0;
  g_debug ("control socket: dropping a client idle for %d s", IDLE_TIMEOUT_S);
  client_free (c);
  return G_SOURCE_REMOVE;
}

static void
restart_idle_timer (client *c)
{
  if (c->idle_timer != 0)
    g_source_remove (c->idle_timer);
  c->idle_timer = g_timeout_add_seconds (IDLE_TIMEOUT_S, on_idle_timeout, c);
}

static void
on_written (GObject *stream, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  client *c;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (stream), result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      c = data;
      g_debug ("control socket: writing a reply: %s", error->message);
      client_free (c);
      return;
    }
  c = data;
  g_clear_pointer (&c->reply, g_free);
  if (c->closing)
    {
      client_free (c);
      return;
    }
  handle_pending (c);
}

/* reply: transfer full. */
static void
send_reply (client *c, char *reply)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c->connection));

  c->reply = reply;
  g_output_stream_write_all_async (out, c->reply, strlen (c->reply), G_PRIORITY_DEFAULT,
                                   c->cancellable, on_written, c);
}

static char *
handle_line (client *c, const char *text, gsize len)
{
  g_autoptr (ph_control_request) request = NULL;
  g_autoptr (GError) error = NULL;
  guint deliveries = 0;

  if (len > 0 && text[len - 1] == '\r')
    len--;
  request = ph_control_request_parse (text, len, &error);
  if (request == NULL
      || !c->control->handler (request, &deliveries, &error, c->control->user_data))
    {
      g_warning ("control socket: request refused: %s", error->message);
      return ph_control_reply_refused (error->message);
    }
  return ph_control_reply_accepted (deliveries);
}

/* The next complete line of c->pending (a last one without newline at the
 * end of input), or NULL; *len receives its length. */
static const char *
next_line (client *c, gsize *len)
{
  guint8 *newline = c->pending->len > 0 ? memchr (c->pending->data, '\n', c->pending->len) : NULL;

  if (newline == NULL && c->eof && c->pending->len > 0)
    newline = c->pending->data + c->pending->len;
  if (newline == NULL)
    return NULL;
  *len = newline - c->pending->data;
  return (const char *) c->pending->data;
}

/* Answers the complete lines received (up to MAX_BATCH of them, with one
 * write and, before it, one flush), or reads more. */
static void
handle_pending (client *c)
{
  g_autoptr (GString) replies = NULL;
  const char *line;
  gsize len = 0;

  for (guint n = 0; n < MAX_BATCH && (line = next_line (c, &len)) != NULL; n++)
    {
      g_autofree char *reply = handle_line (c, line, len);

      if (replies == NULL)
        replies = g_string_new (NULL);
      g_string_append (replies, reply);
      g_byte_array_remove_range (c->pending, 0, MIN (len + 1, c->pending->len));
    }
  if (replies == NULL && c->pending->len >= PH_CONTROL_MAX_MESSAGE)
    {
      g_autofree char *reason = g_strdup_printf ("message too large: the limit is %d bytes",
                                                 PH_CONTROL_MAX_MESSAGE);

      g_warning ("control socket: request refused: %s", reason);
      c->closing = TRUE;
      send_reply (c, ph_control_reply_refused (reason));
      return;
    }
  if (replies != NULL)
    {
      if (c->control->flush != NULL)
        c->control->flush (c->control->user_data);
      send_reply (c, g_string_free (g_steal_pointer (&replies), FALSE));
      return;
    }
  if (c->eof)
    {
      client_free (c);
      return;
    }
  read_more (c);
}

static void
on_read (GObject *stream, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (stream), result, &error);
  client *c;

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  c = data;
  if (n < 0)
    {
      g_debug ("control socket: reading: %s", error->message);
      client_free (c);
      return;
    }
  restart_idle_timer (c);
  if (n == 0)
    c->eof = TRUE;
  else
    g_byte_array_append (c->pending, (const guint8 *) c->buffer, n);
  handle_pending (c);
}

static void
read_more (client *c)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c->connection));

  g_input_stream_read_async (in, c->buffer, sizeof c->buffer, G_PRIORITY_DEFAULT,
                             c->cancellable, on_read, c);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source_object,
             gpointer data)
{
  ph_control_socket *control = data;
  client *c;

  if (g_list_length (control->clients) >= MAX_CLIENTS)
    {
      g_warning ("control socket: more than %d clients at once; refusing one", MAX_CLIENTS);
      return FALSE;
    }
  c = g_new0 (client, 1);
  c->control = control;
  c->connection = g_object_ref (connection);
  c->cancellable = g_cancellable_new ();
  c->pending = g_byte_array_new ();
  control->clients = g_list_prepend (control->clients, c);
  restart_idle_timer (c);
  read_more (c);
  return TRUE;
}

/* /run/printhook is made by systemd (RuntimeDirectory=); a daemon started
 * by hand makes it itself. */
static gboolean
make_directory (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot make the directory of the control socket %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* A socket file nobody listens on is left over from a daemon that died. */
static gboolean
clear_stale_socket (const char *path, GError **error)
{
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s exists and is not a socket; remove it or set another control_socket",
                   path);
      return FALSE;
    }
  address = g_unix_socket_address_new (path);
  probe = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                        NULL);
  if (probe != NULL && g_socket_connect (probe, address, NULL, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "another printhook daemon is listening on %s", path);
      return FALSE;
    }
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "cannot remove the stale socket %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

ph_control_socket *
ph_control_socket_new (const char *path, ph_control_handler handler, ph_control_flush flush,
                       gpointer user_data, GError **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  ph_control_socket *control;
  gboolean added;
  mode_t old_mask;

  if (strlen (path) >= sizeof (((struct sockaddr_un *) NULL)->sun_path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   "the control socket path %s is too long for a UNIX socket", path);
      return NULL;
    }
  if (!make_directory (path, error) || !clear_stale_socket (path, error))
    return NULL;
  control = g_new0 (ph_control_socket, 1);
  control->path = g_strdup (path);
  control->handler = handler;
  control->flush = flush;
  control->user_data = user_data;
  control->service = g_socket_service_new ();
  address = g_unix_socket_address_new (path);
  /* Owner and group only, from the moment the file exists. */
  old_mask = umask (0117);
  added = g_socket_listener_add_address (G_SOCKET_LISTENER (control->service), address,
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                                         NULL, NULL, error);
  umask (old_mask);
  if (!added)
    {
      g_prefix_error (error, "cannot listen on %s: ", path);
      g_object_unref (control->service);
      g_free (control->path);
      g_free (control);
      return NULL;
    }
  g_chmod (path, 0660);
  g_signal_connect (control->service, "incoming", G_CALLBACK (on_incoming), control);
  g_socket_service_start (control->service);
  return control;
}

void
ph_control_socket_free (ph_control_socket *control)
{
  if (control == NULL)
    return;
  g_socket_service_stop (control->service);
  g_socket_listener_close (G_SOCKET_LISTENER (control->service));
  while (control->clients != NULL)
    client_free (control->clients->data);
  g_object_unref (control->service);
  g_unlink (control->path);
  g_free (control->path);
  g_free (control);
}

const char *
ph_control_socket_path (const ph_control_socket *control)
{
  return control->path;
}
