/* One JPEG frame from a Bambu Lab P1/A1 camera (bambu_camera.h).  The
 * fetch is one chain of GIO calls with one operation pending at a time:
 * connect, TLS handshake, the login, the frame header, the frame.  One
 * cancellable of its own serves every step, so that the caller's
 * cancellable and the whole-fetch timeout stop whichever step is running;
 * the step's callback then reports why. */
#include "autoconfig.h"
#include "bambu_camera.h"

#include <string.h>

/* The login (reference §3): u32 LE 0x40 (the packet's length after
 * this header, in the printer's terms), 0x3000, 0, 0, then the user and
 * the access code. */
#define LOGIN_MAGIC 0x40
#define LOGIN_KIND 0x3000
#define LOGIN_USER "bblp"

typedef struct {
  char *host;
  guint16 port;
  char *ca_file;
  gboolean tls_verify;
  char *serial;
  guint timeout_ms;
  gsize max_frame_bytes;
  guint8 login[PH_BAMBU_CAMERA_LOGIN_SIZE];   /* holds the access code: zeroed once sent */

  ph_bambu_camera_done done;
  gpointer user_data;

  GMainContext *context;
  GCancellable *cancellable;   /* ours: cancelled by the caller's and by the timeout */
  GCancellable *caller;        /* NULL: none */
  gulong caller_handler;
  GSource *timeout;            /* NULL once it fired */
  gboolean timed_out;
  const char *waiting_for;     /* the step running, for the timeout's message */
  GError *early_error;         /* a failure before the first step, for the loop to say */

  GTlsDatabase *database;      /* NULL: the system's */
  GSocketClient *client;
  GSocketConnection *connection;
  GIOStream *tls;
  GTlsCertificate *refused;    /* the peer's certificate when we refused it */
  GTlsCertificateFlags refused_for;

  guint8 header[PH_BAMBU_CAMERA_HEADER_SIZE];
  guint8 *frame;
  gsize frame_size;
} fetch;

gboolean
ph_bambu_camera_login (const char *access_code, guint8 packet[PH_BAMBU_CAMERA_LOGIN_SIZE],
                       GError **error)
{
  gsize length = access_code != NULL ? strlen (access_code) : 0;
  const guint32 words[4] = {
    GUINT32_TO_LE (LOGIN_MAGIC), GUINT32_TO_LE (LOGIN_KIND), 0, 0
  };

  /* The code itself stays out of the message: only its length is said. */
  if (length == 0 || length > PH_BAMBU_CAMERA_FIELD_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the access code must be 1 to %d characters long (it has %" G_GSIZE_FORMAT ")",
                   PH_BAMBU_CAMERA_FIELD_SIZE, length);
      return FALSE;
    }
  memset (packet, 0, PH_BAMBU_CAMERA_LOGIN_SIZE);
  memcpy (packet, words, sizeof words);
  memcpy (packet + sizeof words, LOGIN_USER, strlen (LOGIN_USER));
  memcpy (packet + sizeof words + PH_BAMBU_CAMERA_FIELD_SIZE, access_code, length);
  return TRUE;
}

/* The other three words (0, 1, 0 in the reference) are not checked:
 * the clients people use read only the size. */
gboolean
ph_bambu_camera_parse_header (const guint8 header[PH_BAMBU_CAMERA_HEADER_SIZE], gsize max,
                              gsize *size, GError **error)
{
  guint32 announced = (guint32) header[0] | (guint32) header[1] << 8 | (guint32) header[2] << 16
                      | (guint32) header[3] << 24;

  if (announced == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the camera sent a frame header of 0 bytes");
      return FALSE;
    }
  if (announced > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the camera sent a frame header of %" G_GUINT32_FORMAT " bytes (more than %"
                   G_GSIZE_FORMAT ")", announced, max);
      return FALSE;
    }
  *size = announced;
  return TRUE;
}

gboolean
ph_bambu_camera_check_frame (const guint8 *payload, gsize size, GError **error)
{
  if (size >= 4 && payload[0] == 0xFF && payload[1] == 0xD8 && payload[size - 2] == 0xFF
      && payload[size - 1] == 0xD9)
    return TRUE;
  if (size >= 2)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the frame is not a JPEG (%" G_GSIZE_FORMAT " bytes, beginning %02X %02X, "
                 "ending %02X %02X)", size, payload[0], payload[1], payload[size - 2],
                 payload[size - 1]);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the frame is not a JPEG (%" G_GSIZE_FORMAT " bytes)", size);
  return FALSE;
}

/* ---- the fetch ---- */

/* HOST:PORT, an IPv6 address in brackets.  Transfer full. */
static char *
address_text (const fetch *f)
{
  return strchr (f->host, ':') != NULL ? g_strdup_printf ("[%s]:%u", f->host, (guint) f->port)
                                       : g_strdup_printf ("%s:%u", f->host, (guint) f->port);
}

static void
fetch_free (fetch *f)
{
  memset (f->login, 0, sizeof f->login);
  if (f->caller != NULL)
    {
      g_cancellable_disconnect (f->caller, f->caller_handler);
      g_object_unref (f->caller);
    }
  if (f->timeout != NULL)
    g_source_destroy (f->timeout);
  g_clear_pointer (&f->timeout, g_source_unref);
  if (f->tls != NULL)
    g_signal_handlers_disconnect_by_data (f->tls, f);
  g_clear_object (&f->tls);
  g_clear_object (&f->connection);
  g_clear_object (&f->client);
  g_clear_object (&f->database);
  g_clear_object (&f->refused);
  g_clear_object (&f->cancellable);
  g_main_context_unref (f->context);
  g_free (f->frame);
  g_free (f->host);
  g_free (f->ca_file);
  g_free (f->serial);
  g_free (f);
}

/* Calls done and ends the fetch.  jpeg, error: transfer full, one of them
 * NULL. */
static void
finish (fetch *f, GBytes *jpeg, GError *error)
{
  f->done (jpeg, error, f->user_data);
  if (jpeg != NULL)
    g_bytes_unref (jpeg);
  if (error != NULL)
    g_error_free (error);
  fetch_free (f);
}

static gboolean
on_early_failure (gpointer data)
{
  fetch *f = data;

  finish (f, NULL, g_steal_pointer (&f->early_error));
  return G_SOURCE_REMOVE;
}

/* A fetch that fails before its first step: done still comes from the
 * loop, as the contract says.  error: transfer full. */
static void
fail_early (fetch *f, GError *error)
{
  GSource *idle = g_idle_source_new ();

  f->early_error = error;
  g_source_set_callback (idle, on_early_failure, f, NULL);
  g_source_attach (idle, f->context);
  g_source_unref (idle);
}

/* A step's error, when it is a cancellation, becomes the reason for it:
 * the timeout or the caller.  TRUE when it was one. */
static gboolean
explain_cancelled (fetch *f, GError **error)
{
  if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  g_clear_error (error);
  if (f->timed_out)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no frame within %u ms (%s)",
                 f->timeout_ms, f->waiting_for);
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         "the camera snapshot was cancelled");
  return TRUE;
}

/* What a printer closing the socket looks like from here: no data, a
 * TLS stream ending without close_notify, or a reset. */
static gboolean
is_closed (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED)
         || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF);
}

/* The printer drops a login it refuses without a word (reference §3). */
static GError *
closed_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                              "the camera closed the connection (a wrong access code?)");
}

/* A step's I/O error (transfer full) as the fetch reports it. */
static GError *
io_error (fetch *f, GError *error, const char *doing)
{
  if (explain_cancelled (f, &error))
    return error;
  if (is_closed (error))
    {
      g_error_free (error);
      return closed_error ();
    }
  g_prefix_error (&error, "%s: ", doing);
  return error;
}

static gboolean
on_timeout (gpointer data)
{
  fetch *f = data;

  f->timed_out = TRUE;
  g_clear_pointer (&f->timeout, g_source_unref);
  g_cancellable_cancel (f->cancellable);
  return G_SOURCE_REMOVE;
}

/* May run in the thread that cancels the caller's cancellable. */
static void
on_caller_cancelled (GCancellable *caller, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static void
on_frame (GObject *source, GAsyncResult *result, gpointer data)
{
  fetch *f = data;
  GError *error = NULL;
  gsize got = 0;

  /* A close in the middle of the frame is said as such, below. */
  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &got, &error))
    {
      if (!is_closed (error))
        {
          finish (f, NULL, io_error (f, error, "reading the frame failed"));
          return;
        }
      g_clear_error (&error);
    }
  if (got < f->frame_size)
    {
      finish (f, NULL, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                    "the camera closed the connection in the middle of a frame (%"
                                    G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes)",
                                    got, f->frame_size));
      return;
    }
  if (!ph_bambu_camera_check_frame (f->frame, f->frame_size, &error))
    {
      finish (f, NULL, error);
      return;
    }
  finish (f, g_bytes_new_take (g_steal_pointer (&f->frame), f->frame_size), NULL);
}

static void
on_header (GObject *source, GAsyncResult *result, gpointer data)
{
  fetch *f = data;
  GError *error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &got, &error))
    {
      finish (f, NULL, io_error (f, error, "reading from the camera failed"));
      return;
    }
  if (got == 0)
    {
      finish (f, NULL, closed_error ());
      return;
    }
  if (got < sizeof f->header)
    {
      finish (f, NULL, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                    "the camera closed the connection in the middle of a frame "
                                    "header (%" G_GSIZE_FORMAT " of %d bytes)",
                                    got, PH_BAMBU_CAMERA_HEADER_SIZE));
      return;
    }
  if (!ph_bambu_camera_parse_header (f->header, f->max_frame_bytes, &f->frame_size, &error))
    {
      finish (f, NULL, error);
      return;
    }
  f->frame = g_malloc (f->frame_size);
  f->waiting_for = "reading the frame";
  g_input_stream_read_all_async (g_io_stream_get_input_stream (f->tls), f->frame, f->frame_size,
                                 G_PRIORITY_DEFAULT, f->cancellable, on_frame, f);
}

static void
on_login_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  fetch *f = data;
  GError *error = NULL;

  memset (f->login, 0, sizeof f->login);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      finish (f, NULL, io_error (f, error, "sending the login failed"));
      return;
    }
  f->waiting_for = "waiting for a frame";
  g_input_stream_read_all_async (g_io_stream_get_input_stream (f->tls), f->header,
                                 sizeof f->header, G_PRIORITY_DEFAULT, f->cancellable,
                                 on_header, f);
}

/* The CN of a subject such as "CN=01P00A391800123,O=BBL Technologies
 * Co.\, Ltd,C=CN" (RFC 4514, as GnuTLS writes it), else the whole
 * subject.  Transfer full. */
static char *
common_name (const char *subject)
{
  GString *name = NULL;

  for (const char *p = subject; *p != '\0';)
    {
      while (*p == ' ')
        p++;
      if (g_ascii_strncasecmp (p, "CN=", 3) == 0)
        {
          name = g_string_new (NULL);
          for (p += 3; *p != '\0' && *p != ','; p++)
            {
              if (*p == '\\' && p[1] != '\0')
                p++;
              g_string_append_c (name, *p);
            }
          return g_string_free (name, FALSE);
        }
      for (; *p != '\0' && *p != ','; p++)
        if (*p == '\\' && p[1] != '\0')
          p++;
      if (*p == ',')
        p++;
    }
  return g_strdup (subject);
}

/* Why we refused the camera's certificate: a broken chain first, since
 * its name means nothing then; else the name, with the fix. */
static GError *
refused_error (fetch *f)
{
  const GTlsCertificateFlags chain = f->refused_for & ~G_TLS_CERTIFICATE_BAD_IDENTITY;
  const char *against = f->ca_file != NULL ? f->ca_file : "the system's CA certificates";

  if (chain == G_TLS_CERTIFICATE_EXPIRED || chain == G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                        "the camera's certificate is %s (or this machine's clock is wrong)",
                        chain == G_TLS_CERTIFICATE_EXPIRED ? "expired" : "not valid yet");
  if (chain != 0)
    return g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                        "the camera's certificate does not verify against %s", against);
  {
    g_autofree char *subject = g_tls_certificate_get_subject_name (f->refused);
    g_autofree char *name = common_name (subject != NULL ? subject : "");
    const char *wanted = f->serial != NULL ? f->serial : f->host;

    /* Its CN is right, so a subjectAltName named something else, and
     * TLS checks that instead (a printer's certificate has none). */
    if (g_ascii_strcasecmp (name, wanted) == 0)
      return g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                          "the camera's certificate holds CN=%s but also subjectAltName "
                          "entries, which do not name it; a printer's has none (tls_verify = "
                          "false accepts it, not advised)", name);
    return g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                        "the camera's certificate is for '%s', not '%s': set serial = %s",
                        name, wanted, name);
  }
}

static void
on_handshake (GObject *source, GAsyncResult *result, gpointer data)
{
  fetch *f = data;
  GError *error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        explain_cancelled (f, &error);
      else if (f->refused != NULL)
        {
          g_error_free (error);
          error = refused_error (f);
        }
      else
        {
          g_autofree char *address = address_text (f);
          g_prefix_error (&error, "the TLS handshake with %s failed: ", address);
        }
      finish (f, NULL, error);
      return;
    }
  f->waiting_for = "sending the login";
  g_output_stream_write_all_async (g_io_stream_get_output_stream (f->tls), f->login,
                                   sizeof f->login, G_PRIORITY_DEFAULT, f->cancellable,
                                   on_login_sent, f);
}

/* Emitted only when the certificate does not verify (or verify is off,
 * where anything goes: the printer's own CA is then not at hand). */
static gboolean
on_accept_certificate (GTlsConnection *connection, GTlsCertificate *peer,
                       GTlsCertificateFlags errors, gpointer data)
{
  fetch *f = data;

  if (!f->tls_verify)
    return TRUE;
  g_set_object (&f->refused, peer);
  f->refused_for = errors;
  return FALSE;
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  fetch *f = data;
  GError *error = NULL;
  g_autoptr (GSocketConnectable) identity = NULL;

  f->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (f->connection == NULL)
    {
      if (!explain_cancelled (f, &error))
        {
          g_autofree char *address = address_text (f);
          g_prefix_error (&error, "cannot connect to %s: ", address);
        }
      finish (f, NULL, error);
      return;
    }
  /* The name verified is the serial, which the certificate holds; it
   * also goes out as SNI, which the printer ignores. */
  identity = g_network_address_new (f->serial != NULL ? f->serial : f->host, f->port);
  f->tls = g_tls_client_connection_new (G_IO_STREAM (f->connection), identity, &error);
  if (f->tls == NULL)
    {
      g_prefix_error (&error, "TLS is not available (is glib-networking installed?): ");
      finish (f, NULL, error);
      return;
    }
  if (f->database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (f->tls), f->database);
  /* The printer closes its end without a TLS close_notify. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (f->tls), FALSE);
  g_signal_connect (f->tls, "accept-certificate", G_CALLBACK (on_accept_certificate), f);
  f->waiting_for = "in the TLS handshake";
  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->tls), G_PRIORITY_DEFAULT, f->cancellable,
                                    on_handshake, f);
}

void
ph_bambu_camera_fetch (const ph_bambu_camera_options *options, GCancellable *cancellable,
                       ph_bambu_camera_done done, gpointer user_data)
{
  fetch *f;
  GError *error = NULL;
  g_autoptr (GSocketConnectable) address = NULL;

  g_return_if_fail (options != NULL && options->host != NULL && done != NULL);
  f = g_new0 (fetch, 1);
  f->host = g_strdup (options->host);
  f->port = options->port != 0 ? options->port : PH_BAMBU_CAMERA_PORT;
  f->ca_file = g_strdup (options->ca_file);
  f->tls_verify = options->tls_verify;
  f->serial = options->serial != NULL && *options->serial != '\0' ? g_strdup (options->serial) : NULL;
  f->timeout_ms = options->timeout_ms != 0 ? options->timeout_ms : PH_BAMBU_CAMERA_TIMEOUT_MS;
  f->max_frame_bytes = options->max_frame_bytes != 0 ? options->max_frame_bytes
                                                     : PH_BAMBU_CAMERA_MAX_FRAME_BYTES;
  f->done = done;
  f->user_data = user_data;
  f->context = g_main_context_ref_thread_default ();
  f->cancellable = g_cancellable_new ();
  f->waiting_for = "connecting";

  if (!ph_bambu_camera_login (options->access_code, f->login, &error))
    {
      fail_early (f, error);
      return;
    }
  if (f->tls_verify && f->ca_file != NULL)
    {
      f->database = g_tls_file_database_new (f->ca_file, &error);
      if (f->database == NULL)
        {
          g_prefix_error (&error, "cannot read the CA file %s: ", f->ca_file);
          fail_early (f, error);
          return;
        }
    }

  /* Connected before anything starts: a cancellable cancelled already
   * cancels ours now, and the first step reports it from the loop. */
  if (cancellable != NULL)
    {
      f->caller = g_object_ref (cancellable);
      f->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                 f->cancellable, NULL);
    }
  f->timeout = g_timeout_source_new (f->timeout_ms);
  g_source_set_callback (f->timeout, on_timeout, f, NULL);
  g_source_attach (f->timeout, f->context);

  f->client = g_socket_client_new ();
  /* A printer on the LAN: no proxy, whatever the environment says. */
  g_socket_client_set_enable_proxy (f->client, FALSE);
  address = g_network_address_new (f->host, f->port);
  g_socket_client_connect_async (f->client, address, f->cancellable, on_connected, f);
}
