/* A Bambu Lab printer's camera as @snapshot, end to end: the daemon's
 * Bambu source (against mosquitto playing the printer's broker) gives its
 * events the printer's camera, and the snapshot module reads one frame of
 * it through host->camera_fetch from a fake P1 camera (port 6000's TLS
 * protocol, tests/servers/bambu_camera.py, its certificate CN = the serial
 * signed by the broker's CA).  An X1, which names an RTSP camera in its reports,
 * and a camera that is not there send the webhook without the image and
 * say in the log what to set. */
#include "autoconfig.h"

#include <check.h>
#include <gio/gio.h>
#include <string.h>

#include "bambu_run.h"
#include "daemon_asserts.h"
#include "harness.h"
#include "printer_cert.h"
#include "servers/script_server.h"
#include "text/json_text.h"

#define PYTHON "/usr/bin/python3"
#define IDLE "\"gcode_state\": \"IDLE\", \"subtask_name\": \"\", \"task_id\": \"0\", \"hms\": []"
#define START "\"gcode_state\": \"PREPARE\", \"subtask_name\": \"benchy\", \"task_id\": \"9\""
#define X1_CAMERA "\"ipcam\": {\"rtsp_url\": \"rtsps://127.0.0.1:322/streaming/live/1\"}"

/* Two hooks wanting the snapshot of PrintStarted: one frame serves both. */
#define SNAPSHOT_HOOKS \
  "[hook snap1]\nurl = @RECEIVER@\nevents = PrintStarted\nsnapshot.timeout = 30\n" \
  "data = {\"hook\": \"snap1\", \"event\": \"@event\", \"snap\": \"@snapshot\"}\n\n" \
  "[hook snap2]\nurl = @RECEIVER@\nevents = PrintStarted\nsnapshot.timeout = 30\n" \
  "data = {\"hook\": \"snap2\", \"event\": \"@event\", \"snap\": \"@snapshot\"}\n"

typedef struct {
  ph_bambu_run run;
  ph_script_server *camera;
  GBytes *jpeg;                /* the frames it serves */
} snapshot_run;

static GBytes *
make_jpeg (const char *dir)
{
  g_autofree char *tool = g_build_filename (ph_test_srcdir (), "tests", "servers", "jpeg_tool.py",
                                            NULL);
  g_autofree char *path = g_build_filename (dir, "frame.jpg", NULL);
  const char *argv[] = { PYTHON, "-I", tool, "make", path, "--size", "1280x720", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  gchar *contents = NULL;
  gsize size = 0;
  int status = 0;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               &err, &status, &error)
                 && g_spawn_check_wait_status (status, &error),
                 "jpeg_tool.py make: %s\n%s", error ? error->message : "", err ? err : "");
  ck_assert (g_file_get_contents (path, &contents, &size, NULL));
  return g_bytes_new_take (contents, size);
}

/* The broker, a camera with a printer's certificate (CN = the serial,
 * signed by the broker's CA, which the source trusts), and the daemon
 * with the snapshot hooks.  camera_port 0: the camera's. */
static void
start (snapshot_run *s, guint camera_port, gboolean with_camera)
{
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *jpeg_path = NULL;
  g_autofree char *source_extra = NULL;

  ph_bambu_run_prepare (&s->run);
  s->jpeg = make_jpeg (s->run.dir);
  if (with_camera)
    {
      g_autofree char *ca_key = g_build_filename (ph_broker_dir (s->run.broker), "ca.key", NULL);

      /* The broker's own certificate names 127.0.0.1 too, for the test's
       * clients; a printer's names its serial only. */
      ph_test_printer_certificate (s->run.dir, PH_BAMBU_SERIAL, ph_broker_ca_file (s->run.broker),
                                   ca_key);
      cert = g_build_filename (s->run.dir, "camera.pem", NULL);
      key = g_build_filename (s->run.dir, "camera.key", NULL);
      jpeg_path = g_build_filename (s->run.dir, "frame.jpg", NULL);
      {
        const char *args[] = { "--cert", cert, "--key", key, "--access-code",
                               PH_BAMBU_ACCESS_CODE, "--jpeg", jpeg_path, "--mode", "good",
                               NULL };
        s->camera = ph_script_server_start ("bambu_camera.py", args);
      }
    }
  source_extra = g_strdup_printf ("camera_port = %u\n",
                                  camera_port != 0 ? camera_port
                                                   : ph_script_server_port (s->camera));
  ph_bambu_run_daemon (&s->run, PH_BAMBU_SERIAL, PH_BAMBU_ACCESS_CODE, NULL, source_extra,
                       SNAPSHOT_HOOKS);
  ph_mqtt_subscriber_wait (s->run.requests, 1, 10000);
}

static void
finish (snapshot_run *s)
{
  ph_bambu_run_finish (&s->run);
  g_clear_pointer (&s->camera, ph_script_server_stop);
  g_clear_pointer (&s->jpeg, g_bytes_unref);
}

/* The part named "snap" of webhook i, or NULL when it has none. */
static json_object *
snap_part (json_object *records, guint i)
{
  json_object *record = json_object_array_get_idx (records, i);
  json_object *parts = NULL;

  if (!json_object_object_get_ex (record, "multipart", &parts)
      || !json_object_is_type (parts, json_type_array))
    return NULL;
  for (size_t j = 0; j < json_object_array_length (parts); j++)
    {
      json_object *part = json_object_array_get_idx (parts, j);
      json_object *name = NULL;

      if (json_object_object_get_ex (part, "name", &name)
          && g_strcmp0 (json_object_get_string (name), "snap") == 0)
        return part;
    }
  return NULL;
}

static const char *
member_text (json_object *object, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (object, key, &value), "no %s in %s", key,
                 json_object_to_json_string (object));
  return json_object_get_string (value);
}

/* A P1's PrintStarted reaches both hooks with the camera's frame, byte
 * for byte (it fits max_size, so it is sent as taken), from one login. */
START_TEST (test_a_p1_event_carries_the_camera_frame)
{
  snapshot_run s = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autoptr (json_object) logins = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *log = NULL;

  start (&s, 0, TRUE);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, s.jpeg);
  ph_bambu_report (&s.run, IDLE);
  ph_bambu_report (&s.run, START);
  records = ph_bambu_exactly (&s.run, 2);
  for (guint i = 0; i < 2; i++)
    {
      json_object *part = snap_part (records, i);

      if (part == NULL)
        {
          g_autofree char *daemon_log = ph_daemon_process_log (s.run.daemon);

          ck_abort_msg ("webhook %u has no snapshot; the daemon's log:\n%s", i, daemon_log);
        }
      ck_assert_str_eq (member_text (part, "filename"), "snapshot.jpg");
      ck_assert_str_eq (member_text (part, "content_type"), "image/jpeg");
      ck_assert_str_eq (member_text (part, "sha256"), sha);
    }
  logins = ph_script_server_records (s.camera);
  ck_assert_uint_eq (json_object_array_length (logins), 1);
  {
    json_object *login = json_object_array_get_idx (logins, 0);

    ck_assert_str_eq (member_text (login, "user"), "bblp");
    ck_assert_str_eq (member_text (login, "access_code_ok"), "true");
  }
  log = ph_daemon_process_log (s.run.daemon);
  assert_lacks (log, "sending without the snapshot");
  assert_lacks (log, PH_BAMBU_ACCESS_CODE);
  finish (&s);
}
END_TEST

/* An X1 names its RTSP camera in its reports: its events go out without
 * an image, port 6000 is never asked, and the log says what to set. */
START_TEST (test_an_x1_is_told_to_set_snapshot_url)
{
  snapshot_run s = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autoptr (json_object) logins = NULL;

  start (&s, 0, TRUE);
  ph_bambu_report (&s.run, IDLE ", " X1_CAMERA);
  ph_bambu_report (&s.run, START);
  records = ph_bambu_exactly (&s.run, 2);
  ck_assert_ptr_null (snap_part (records, 0));
  ck_assert_ptr_null (snap_part (records, 1));
  ph_daemon_process_wait_log (s.run.daemon, "streams its camera as RTSP only", 2, 5000);
  ph_daemon_process_wait_log (s.run.daemon, "set snapshot.url, for example to a go2rtc", 2, 5000);
  logins = ph_script_server_records (s.camera);
  ck_assert_uint_eq (json_object_array_length (logins), 0);
  finish (&s);
}
END_TEST

/* Nothing listens at the camera's port: the webhooks still go, and the
 * log says what the port is for and what an X1 needs instead. */
START_TEST (test_no_camera_there_sends_without_it)
{
  snapshot_run s = { 0 };
  g_autoptr (json_object) records = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  /* A port bound for the test's length but never listening: refused. */
  ck_assert (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  start (&s, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), FALSE);
  ph_bambu_report (&s.run, IDLE);
  ph_bambu_report (&s.run, START);
  records = ph_bambu_exactly (&s.run, 2);
  ck_assert_ptr_null (snap_part (records, 0));
  ph_daemon_process_wait_log (s.run.daemon, "sending without the snapshot: the printer's camera:",
                              2, 5000);
  ph_daemon_process_wait_log (s.run.daemon, "for an X1, P2S or H2 set camera = rtsp", 2, 5000);
  finish (&s);
}
END_TEST

static Suite *
bambu_snapshot_suite (void)
{
  Suite *s = suite_create ("bambu-snapshot");
  TCase *tc = tcase_create ("camera");

  tcase_set_timeout (tc, 120 * ph_test_slowness ());
  tcase_add_test (tc, test_a_p1_event_carries_the_camera_frame);
  tcase_add_test (tc, test_an_x1_is_told_to_set_snapshot_url);
  tcase_add_test (tc, test_no_camera_there_sends_without_it);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (bambu_snapshot_suite ());
}
