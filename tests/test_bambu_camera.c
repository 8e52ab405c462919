/* One JPEG frame from a Bambu Lab P1/A1 camera (core/sources/
 * bambu_camera.h) against a fake camera (tests/servers/bambu_camera.py)
 * with a certificate made for each test: CN = a serial, no IP in it,
 * signed by a test CA, as the printer's is by Bambu's.  The frame served is
 * a 1280×720 JPEG made by Pillow (tests/servers/jpeg_tool.py); the fake
 * writes each frame in small chunks, so the client must put it together.
 * Hostile cameras and bad certificates give their errors, each one a user
 * can act on and none holding the access code. */
#include "autoconfig.h"

#include <gio/gio.h>
#include <string.h>

#include "daemon_process.h"
#include "harness.h"
#include "printer_cert.h"
#include "servers/script_server.h"
#include "sources/bambu_camera.h"
#include "text/json_text.h"

#define PYTHON "/usr/bin/python3"
#define SERIAL "01P00A391800123"
#define ACCESS_CODE "12345678"
#define WRONG_CODE "87654321"
/* Long enough for a fetch under valgrind (times slowness). */
#define FETCH_TIMEOUT_MS 5000
#define SILENT_TIMEOUT_MS 1000
#define MAX_FRAME (4 * 1024 * 1024)

/* ---- certificates, the JPEG and the fake camera ---- */

static void
run_ok (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error)
                 && g_spawn_check_wait_status (status, &error),
                 "%s %s: %s\n%s", argv[0], argv[1], error ? error->message : "", err ? err : "");
}

/* A CA (DIR/NAME.pem, DIR/NAME.key), self-signed; EC keys, which openssl
 * makes at once.  Transfer full: the certificate's path. */
static char *
make_ca (const char *dir, const char *name)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *pem_name = g_strconcat (name, ".pem", NULL);
  g_autofree char *key_name = g_strconcat (name, ".key", NULL);
  g_autofree char *key = g_build_filename (dir, key_name, NULL);
  g_autofree char *subject = g_strconcat ("/CN=printhook test ", name, NULL);
  char *pem = g_build_filename (dir, pem_name, NULL);
  const char *argv[] = {
    openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-keyout", key, "-out", pem, "-days", "2", "-subj", subject,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL
  };

  ck_assert_msg (openssl != NULL, "the tests need the openssl command");
  run_ok (argv);
  return pem;
}

typedef struct {
  char *dir;
  char *ca;               /* the CA that signed the camera's certificate */
  GBytes *jpeg;           /* what the camera serves */
  ph_script_server *server;
} camera;

static void
camera_stop (camera *c)
{
  if (c == NULL)
    return;
  ph_script_server_stop (c->server);
  g_bytes_unref (c->jpeg);
  g_free (c->ca);
  g_free (c->dir);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (camera, camera_stop)

/* A fake camera in mode (bambu_camera.py --mode), its access code
 * ACCESS_CODE.  Transfer full. */
static camera *
camera_start (const char *mode)
{
  camera *c = g_new0 (camera, 1);
  g_autofree char *tool = NULL;
  g_autofree char *jpeg = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autoptr (GError) error = NULL;
  gchar *contents = NULL;
  gsize size = 0;

  c->dir = ph_test_tmpdir ();
  c->ca = make_ca (c->dir, "ca");
  {
    g_autofree char *ca_key = g_build_filename (c->dir, "ca.key", NULL);

    ph_test_printer_certificate (c->dir, SERIAL, c->ca, ca_key);
  }
  tool = g_build_filename (ph_test_srcdir (), "tests", "servers", "jpeg_tool.py", NULL);
  jpeg = g_build_filename (c->dir, "frame.jpg", NULL);
  {
    const char *argv[] = { PYTHON, "-I", tool, "make", jpeg, "--size", "1280x720", NULL };
    run_ok (argv);
  }
  ck_assert_msg (g_file_get_contents (jpeg, &contents, &size, &error), "%s: %s", jpeg,
                 error ? error->message : "");
  c->jpeg = g_bytes_new_take (contents, size);
  cert = g_build_filename (c->dir, "camera.pem", NULL);
  key = g_build_filename (c->dir, "camera.key", NULL);
  {
    const char *args[] = {
      "--cert", cert, "--key", key, "--access-code", ACCESS_CODE, "--jpeg", jpeg,
      "--mode", mode, NULL
    };
    c->server = ph_script_server_start ("bambu_camera.py", args);
  }
  return c;
}

/* The options that work with c: its port, its CA, SERIAL. */
static ph_bambu_camera_options
options_for (camera *c)
{
  ph_bambu_camera_options options = {
    .host = "127.0.0.1",
    .port = ph_script_server_port (c->server),
    .access_code = ACCESS_CODE,
    .ca_file = c->ca,
    .tls_verify = TRUE,
    .serial = SERIAL,
    .timeout_ms = FETCH_TIMEOUT_MS * ph_test_slowness (),
    .max_frame_bytes = MAX_FRAME,
  };
  return options;
}

/* ---- running a fetch ---- */

typedef struct {
  guint calls;
  GBytes *jpeg;
  GError *error;
} outcome;

static void
outcome_clear (outcome *o)
{
  if (o->jpeg != NULL)
    g_bytes_unref (o->jpeg);
  g_clear_error (&o->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (outcome, outcome_clear)

static void
on_done (GBytes *jpeg, const GError *error, gpointer data)
{
  outcome *o = data;

  o->calls++;
  ck_assert_msg ((jpeg == NULL) != (error == NULL), "a frame and an error, or neither");
  if (jpeg != NULL)
    o->jpeg = g_bytes_ref (jpeg);
  if (error != NULL)
    o->error = g_error_copy (error);
}

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until o is done; fails the test after
 * timeout_ms (times slowness). */
static void
wait_done (outcome *o, guint timeout_ms)
{
  gboolean expired = FALSE;
  GSource *deadline = g_timeout_source_new (timeout_ms * ph_test_slowness ());

  g_source_set_callback (deadline, on_deadline, &expired, NULL);
  g_source_attach (deadline, NULL);
  while (o->calls == 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (deadline);
  g_source_unref (deadline);
  ck_assert_msg (o->calls == 1, "done was called %u times within %u ms", o->calls, timeout_ms);
}

/* Fetches with options and waits for done, which must not come from
 * inside the call. */
static void
fetch (const ph_bambu_camera_options *options, GCancellable *cancellable, outcome *o)
{
  ph_bambu_camera_fetch (options, cancellable, on_done, o);
  ck_assert_msg (o->calls == 0, "done was called from inside ph_bambu_camera_fetch");
  wait_done (o, FETCH_TIMEOUT_MS + 2000);
}

/* The fetch failed with (domain, code) and a message holding text, and
 * never the access codes. */
#define assert_failed(o_, domain_, code_, text_)                                    \
  do                                                                                \
    {                                                                               \
      ck_assert_msg ((o_)->error != NULL, "a frame where an error was expected");   \
      ck_assert_msg (g_error_matches ((o_)->error, (domain_), (code_)),             \
                     "error %s %d: %s", g_quark_to_string ((o_)->error->domain),    \
                     (o_)->error->code, (o_)->error->message);                      \
      assert_contains ((o_)->error->message, (text_));                              \
      assert_lacks ((o_)->error->message, ACCESS_CODE);                             \
      assert_lacks ((o_)->error->message, WRONG_CODE);                              \
    }                                                                               \
  while (0)

/* The logins the camera read. */
static guint
logins (camera *c)
{
  g_autoptr (json_object) records = ph_script_server_records (c->server);
  return json_object_array_length (records);
}

static json_object *
last_login (json_object *records)
{
  size_t n = json_object_array_length (records);

  ck_assert_msg (n > 0, "the camera read no login");
  return json_object_array_get_idx (records, n - 1);
}

static gboolean
record_flag (json_object *record, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (record, key, &value)
                 && json_object_is_type (value, json_type_boolean),
                 "no boolean %s in %s", key, json_object_to_json_string (record));
  return json_object_get_boolean (value);
}

/* ---- the pure parts ---- */

START_TEST (test_login_packet_is_80_bytes_as_the_printer_reads_them)
{
  static const guint8 expected_start[16] = { 0x40, 0, 0, 0, 0x00, 0x30, 0, 0 };
  guint8 packet[PH_BAMBU_CAMERA_LOGIN_SIZE];
  g_autoptr (GError) error = NULL;

  ck_assert (ph_bambu_camera_login (ACCESS_CODE, packet, &error));
  ck_assert_mem_eq (packet, expected_start, 16);
  ck_assert_mem_eq (packet + 16, "bblp\0\0\0\0", 8);
  for (guint i = 16 + 4; i < 48; i++)
    ck_assert_uint_eq (packet[i], 0);
  ck_assert_mem_eq (packet + 48, ACCESS_CODE, 8);
  for (guint i = 48 + 8; i < PH_BAMBU_CAMERA_LOGIN_SIZE; i++)
    ck_assert_uint_eq (packet[i], 0);
}
END_TEST

START_TEST (test_an_access_code_too_long_is_refused_without_showing_it)
{
  const char *code = "0123456789abcdef0123456789abcdefX";   /* 33 */
  guint8 packet[PH_BAMBU_CAMERA_LOGIN_SIZE];
  g_autoptr (GError) error = NULL;

  ck_assert (!ph_bambu_camera_login (code, packet, &error));
  assert_contains (error->message, "1 to 32 characters long (it has 33)");
  assert_lacks (error->message, "0123456789");
  g_clear_error (&error);
  ck_assert (!ph_bambu_camera_login ("", packet, &error));
}
END_TEST

START_TEST (test_frame_header_gives_its_size_within_the_limit)
{
  const guint8 header[16] = { 0x10, 0x27, 0x01, 0x00, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 huge[16] = { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 empty[16] = { 0 };
  g_autoptr (GError) error = NULL;
  gsize size = 0;

  ck_assert (ph_bambu_camera_parse_header (header, MAX_FRAME, &size, &error));
  ck_assert_uint_eq (size, 0x12710);
  ck_assert (ph_bambu_camera_parse_header (header, 0x12710, &size, &error));
  ck_assert (!ph_bambu_camera_parse_header (header, 0x1270F, &size, &error));
  assert_contains (error->message, "a frame header of 75536 bytes (more than 75535)");
  g_clear_error (&error);
  ck_assert (ph_bambu_camera_parse_header (huge, G_MAXSIZE, &size, &error));
  ck_assert_uint_eq (size, G_MAXUINT32);
  ck_assert (!ph_bambu_camera_parse_header (empty, MAX_FRAME, &size, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
}
END_TEST

START_TEST (test_a_frame_is_a_jpeg_from_ff_d8_to_ff_d9)
{
  const guint8 jpeg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9 };
  const guint8 cut[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00 };
  const guint8 png[] = { 0x89, 'P', 'N', 'G', 0xFF, 0xD9 };
  const guint8 markers_only[] = { 0xFF, 0xD8, 0xD9 };
  g_autoptr (GError) error = NULL;

  ck_assert (ph_bambu_camera_check_frame (jpeg, sizeof jpeg, &error));
  ck_assert (!ph_bambu_camera_check_frame (cut, sizeof cut, &error));
  assert_contains (error->message, "the frame is not a JPEG (5 bytes, beginning FF D8, ending E0 00)");
  g_clear_error (&error);
  ck_assert (!ph_bambu_camera_check_frame (png, sizeof png, &error));
  assert_contains (error->message, "beginning 89 50");
  g_clear_error (&error);
  ck_assert (!ph_bambu_camera_check_frame (markers_only, sizeof markers_only, &error));
  g_clear_error (&error);
  ck_assert (!ph_bambu_camera_check_frame (jpeg, 1, &error));
  assert_contains (error->message, "(1 bytes)");
}
END_TEST

/* ---- against the fake camera ---- */

START_TEST (test_fetch_returns_the_frame_exactly_after_one_login)
{
  g_autoptr (camera) c = camera_start ("good");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };
  g_autoptr (json_object) records = NULL;
  json_object *login;

  fetch (&options, NULL, &o);
  ck_assert_msg (o.error == NULL, "%s", o.error ? o.error->message : "");
  ck_assert_uint_gt (g_bytes_get_size (c->jpeg), 1000);
  ck_assert_msg (g_bytes_equal (o.jpeg, c->jpeg), "the frame (%" G_GSIZE_FORMAT " bytes) is "
                 "not the file (%" G_GSIZE_FORMAT ")", g_bytes_get_size (o.jpeg),
                 g_bytes_get_size (c->jpeg));
  records = ph_script_server_records (c->server);
  ck_assert_uint_eq (json_object_array_length (records), 1);
  login = last_login (records);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (login, "user")), "bblp");
  ck_assert (record_flag (login, "access_code_ok"));
  ck_assert (record_flag (login, "header_ok"));
  ck_assert_int_eq (json_object_get_int (json_object_object_get (login, "length")), 80);
}
END_TEST

START_TEST (test_options_are_copied)
{
  g_autoptr (camera) c = camera_start ("good");
  ph_bambu_camera_options options = options_for (c);
  g_autofree char *host = g_strdup ("127.0.0.1");
  g_autofree char *code = g_strdup (ACCESS_CODE);
  g_autofree char *ca = g_strdup (c->ca);
  g_autofree char *serial = g_strdup (SERIAL);
  g_auto (outcome) o = { 0 };

  options.host = host;
  options.access_code = code;
  options.ca_file = ca;
  options.serial = serial;
  ph_bambu_camera_fetch (&options, NULL, on_done, &o);
  memset (host, 'x', strlen (host));
  memset (code, 'x', strlen (code));
  memset (ca, 'x', strlen (ca));
  memset (serial, 'x', strlen (serial));
  memset (&options, 0, sizeof options);
  wait_done (&o, FETCH_TIMEOUT_MS + 2000);
  ck_assert_msg (o.error == NULL, "%s", o.error ? o.error->message : "");
  ck_assert (g_bytes_equal (o.jpeg, c->jpeg));
}
END_TEST

START_TEST (test_a_wrong_access_code_is_a_closed_connection)
{
  g_autoptr (camera) c = camera_start ("good");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };
  g_autoptr (json_object) records = NULL;

  options.access_code = WRONG_CODE;
  fetch (&options, NULL, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                 "the camera closed the connection (a wrong access code?)");
  records = ph_script_server_records (c->server);
  ck_assert_uint_eq (json_object_array_length (records), 1);
  ck_assert (!record_flag (last_login (records), "access_code_ok"));
}
END_TEST

START_TEST (test_a_certificate_for_another_serial_says_which_to_set)
{
  g_autoptr (camera) c = camera_start ("good");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };

  options.serial = "01S00C000000999";
  fetch (&options, NULL, &o);
  assert_failed (&o, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                 "the camera's certificate is for '" SERIAL "', not '01S00C000000999': "
                 "set serial = " SERIAL);
  /* The access code never went to a camera that did not prove itself. */
  ck_assert_uint_eq (logins (c), 0);
}
END_TEST

START_TEST (test_the_address_is_not_the_name_checked)
{
  g_autoptr (camera) c = camera_start ("good");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };

  /* No serial: the certificate must name 127.0.0.1, and it does not. */
  options.serial = NULL;
  fetch (&options, NULL, &o);
  assert_failed (&o, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                 "is for '" SERIAL "', not '127.0.0.1': set serial = " SERIAL);
  ck_assert_uint_eq (logins (c), 0);
}
END_TEST

START_TEST (test_a_certificate_from_another_ca_does_not_verify)
{
  g_autoptr (camera) c = camera_start ("good");
  g_autofree char *other = make_ca (c->dir, "other-ca");
  ph_bambu_camera_options options = options_for (c);
  g_autofree char *expected = g_strdup_printf ("the camera's certificate does not verify "
                                               "against %s", other);
  g_auto (outcome) o = { 0 };

  options.ca_file = other;
  fetch (&options, NULL, &o);
  assert_failed (&o, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, expected);
  ck_assert_uint_eq (logins (c), 0);
}
END_TEST

START_TEST (test_tls_verify_off_accepts_any_certificate)
{
  g_autoptr (camera) c = camera_start ("good");
  g_autofree char *other = make_ca (c->dir, "other-ca");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };

  options.tls_verify = FALSE;
  options.ca_file = other;
  options.serial = "01S00C000000999";
  fetch (&options, NULL, &o);
  ck_assert_msg (o.error == NULL, "%s", o.error ? o.error->message : "");
  ck_assert (g_bytes_equal (o.jpeg, c->jpeg));
}
END_TEST

START_TEST (test_an_unreadable_ca_file_is_said_from_the_loop)
{
  g_autoptr (camera) c = camera_start ("good");
  g_autofree char *missing = g_build_filename (c->dir, "missing.pem", NULL);
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };

  options.ca_file = missing;
  fetch (&options, NULL, &o);
  ck_assert_ptr_nonnull (o.error);
  assert_contains (o.error->message, "cannot read the CA file");
  assert_contains (o.error->message, missing);
  ck_assert_uint_eq (logins (c), 0);
}
END_TEST

START_TEST (test_nothing_listening_cannot_connect)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *expected = NULL;
  ph_bambu_camera_options options = {
    .host = "127.0.0.1", .access_code = ACCESS_CODE, .tls_verify = TRUE, .serial = SERIAL,
    .timeout_ms = FETCH_TIMEOUT_MS * ph_test_slowness (),
  };
  g_auto (outcome) o = { 0 };

  /* A port that was free a moment ago, bound but not listening. */
  ck_assert (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  options.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  expected = g_strdup_printf ("cannot connect to 127.0.0.1:%u: ", (guint) options.port);
  fetch (&options, NULL, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, expected);
}
END_TEST

START_TEST (test_a_huge_frame_header_is_refused)
{
  g_autoptr (camera) c = camera_start ("huge-header");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };

  fetch (&options, NULL, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the camera sent a frame header of 100000000 bytes (more than 4194304)");
}
END_TEST

START_TEST (test_a_frame_that_is_not_a_jpeg_is_refused)
{
  g_autoptr (camera) c = camera_start ("not-jpeg");
  ph_bambu_camera_options options = options_for (c);
  g_auto (outcome) o = { 0 };

  fetch (&options, NULL, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the frame is not a JPEG");
  assert_contains (o.error->message, "beginning 89 50");
}
END_TEST

START_TEST (test_a_silent_camera_times_out)
{
  g_autoptr (camera) c = camera_start ("silent");
  ph_bambu_camera_options options = options_for (c);
  g_autofree char *expected = NULL;
  g_auto (outcome) o = { 0 };
  gint64 start;

  options.timeout_ms = SILENT_TIMEOUT_MS * ph_test_slowness ();
  expected = g_strdup_printf ("no frame within %u ms (waiting for a frame)", options.timeout_ms);
  start = g_get_monotonic_time ();
  fetch (&options, NULL, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, expected);
  ck_assert_int_ge (g_get_monotonic_time () - start, (gint64) options.timeout_ms * 1000);
  ck_assert_uint_eq (logins (c), 1);
}
END_TEST

START_TEST (test_a_close_in_the_middle_of_a_frame_is_said)
{
  g_autoptr (camera) c = camera_start ("close");
  ph_bambu_camera_options options = options_for (c);
  g_autofree char *expected = NULL;
  g_auto (outcome) o = { 0 };

  expected = g_strdup_printf ("the camera closed the connection in the middle of a frame (%"
                              G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes)",
                              g_bytes_get_size (c->jpeg) / 2, g_bytes_get_size (c->jpeg));
  fetch (&options, NULL, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, expected);
}
END_TEST

/* Polls until the camera read the login, then cancels (again and again:
 * the test removes the poll). */
static gboolean
cancel_when_logged_in (gpointer data)
{
  camera *c = g_object_get_data (data, "camera");

  if (logins (c) > 0)
    g_cancellable_cancel (data);
  return G_SOURCE_CONTINUE;
}

START_TEST (test_cancelling_a_fetch_in_flight)
{
  g_autoptr (camera) c = camera_start ("silent");
  ph_bambu_camera_options options = options_for (c);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (outcome) o = { 0 };
  guint poll;

  g_object_set_data (G_OBJECT (cancellable), "camera", c);
  poll = g_timeout_add (10, cancel_when_logged_in, cancellable);
  fetch (&options, cancellable, &o);
  g_clear_handle_id (&poll, g_source_remove);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  ck_assert (g_cancellable_is_cancelled (cancellable));
}
END_TEST

START_TEST (test_a_fetch_cancelled_before_it_starts)
{
  g_autoptr (camera) c = camera_start ("good");
  ph_bambu_camera_options options = options_for (c);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (outcome) o = { 0 };

  g_cancellable_cancel (cancellable);
  fetch (&options, cancellable, &o);
  assert_failed (&o, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  ck_assert_uint_eq (logins (c), 0);
}
END_TEST

static Suite *
bambu_camera_suite (void)
{
  Suite *s = suite_create ("bambu-camera");
  TCase *pure = tcase_create ("packets");
  TCase *tc = tcase_create ("camera");

  tcase_add_test (pure, test_login_packet_is_80_bytes_as_the_printer_reads_them);
  tcase_add_test (pure, test_an_access_code_too_long_is_refused_without_showing_it);
  tcase_add_test (pure, test_frame_header_gives_its_size_within_the_limit);
  tcase_add_test (pure, test_a_frame_is_a_jpeg_from_ff_d8_to_ff_d9);
  suite_add_tcase (s, pure);
  tcase_set_timeout (tc, 30 * ph_test_slowness ());
  tcase_add_test (tc, test_fetch_returns_the_frame_exactly_after_one_login);
  tcase_add_test (tc, test_options_are_copied);
  tcase_add_test (tc, test_a_wrong_access_code_is_a_closed_connection);
  tcase_add_test (tc, test_a_certificate_for_another_serial_says_which_to_set);
  tcase_add_test (tc, test_the_address_is_not_the_name_checked);
  tcase_add_test (tc, test_a_certificate_from_another_ca_does_not_verify);
  tcase_add_test (tc, test_tls_verify_off_accepts_any_certificate);
  tcase_add_test (tc, test_an_unreadable_ca_file_is_said_from_the_loop);
  tcase_add_test (tc, test_nothing_listening_cannot_connect);
  tcase_add_test (tc, test_a_huge_frame_header_is_refused);
  tcase_add_test (tc, test_a_frame_that_is_not_a_jpeg_is_refused);
  tcase_add_test (tc, test_a_silent_camera_times_out);
  tcase_add_test (tc, test_a_close_in_the_middle_of_a_frame_is_said);
  tcase_add_test (tc, test_cancelling_a_fetch_in_flight);
  tcase_add_test (tc, test_a_fetch_cancelled_before_it_starts);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (bambu_camera_suite ());
}
