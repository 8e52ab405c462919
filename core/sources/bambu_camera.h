/* The camera of a Bambu Lab P1 or A1 (shared/reference/mqtt-and-bambu.md
 * §3): one JPEG frame, as a snapshot, from the TLS socket on port 6000.
 * The client logs in with one 80-byte packet; the printer then streams
 * frames, each a 16-byte header and a JPEG.  The printer's certificate is
 * signed by Bambu's CA and names the printer's serial (CN), not its
 * address, so the name checked is the serial.  (X1, P2S and H2 serve
 * RTSPS instead, which this does not speak.) */
#ifndef PH_BAMBU_CAMERA_H
#define PH_BAMBU_CAMERA_H

#include <gio/gio.h>

#define PH_BAMBU_CAMERA_PORT 6000
#define PH_BAMBU_CAMERA_HEADER_SIZE 16
#define PH_BAMBU_CAMERA_LOGIN_SIZE 80
/* The login's user and access code fields are this long, NUL-padded. */
#define PH_BAMBU_CAMERA_FIELD_SIZE 32
/* Defaults for the options left 0.  A 1280×720 frame is some 100 KiB. */
#define PH_BAMBU_CAMERA_TIMEOUT_MS 10000
#define PH_BAMBU_CAMERA_MAX_FRAME_BYTES (4 * 1024 * 1024)

typedef struct {
  const char *host;
  guint16 port;                /* 0: PH_BAMBU_CAMERA_PORT */
  const char *access_code;     /* secret: never logged, never in an error message */
  const char *ca_file;         /* PEM bundle to verify against; NULL: the system's */
  gboolean tls_verify;         /* FALSE: accept any certificate */
  const char *serial;          /* the name the certificate must hold; NULL: host */
  guint timeout_ms;            /* the whole fetch; 0: PH_BAMBU_CAMERA_TIMEOUT_MS */
  gsize max_frame_bytes;       /* 0: PH_BAMBU_CAMERA_MAX_FRAME_BYTES */
} ph_bambu_camera_options;

/* jpeg: transfer none, NULL on error; error: transfer none, NULL on
 * success. */
typedef void (*ph_bambu_camera_done) (GBytes *jpeg, const GError *error, gpointer user_data);

/* Connects, logs in and reads one frame, on the thread-default main
 * context, within options->timeout_ms.  done is called exactly once, from
 * that context and never from inside this call: with the frame, or with
 * an error a user can act on (G_IO_ERROR_TIMED_OUT, _CONNECTION_CLOSED,
 * _INVALID_DATA, G_TLS_ERROR_BAD_CERTIFICATE, or the connect error's
 * own), never holding the access code.  Cancelling cancellable (may be
 * NULL) gives G_IO_ERROR_CANCELLED.  options and its strings are copied
 * (transfer none). */
void ph_bambu_camera_fetch (const ph_bambu_camera_options *options, GCancellable *cancellable,
                            ph_bambu_camera_done done, gpointer user_data);

/* The pure parts, for the fuzzer and the tests. */

/* The login packet for access_code (NUL-terminated): FALSE with error
 * when it does not fit its 32 bytes or is empty. */
gboolean ph_bambu_camera_login (const char *access_code, guint8 packet[PH_BAMBU_CAMERA_LOGIN_SIZE],
                                GError **error);

/* The payload size a frame header announces, into *size; FALSE with
 * error (G_IO_ERROR_INVALID_DATA) when it is 0 or more than max. */
gboolean ph_bambu_camera_parse_header (const guint8 header[PH_BAMBU_CAMERA_HEADER_SIZE], gsize max,
                                       gsize *size, GError **error);

/* TRUE when the payload is a JPEG as far as a snapshot needs (FF D8 at
 * the start, FF D9 at the end); else FALSE with error
 * (G_IO_ERROR_INVALID_DATA). */
gboolean ph_bambu_camera_check_frame (const guint8 *payload, gsize size, GError **error);

#endif
