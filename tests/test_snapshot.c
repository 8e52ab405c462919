/* The snapshot module against a real webcam (tests/servers/camera_server.py)
 * serving JPEGs made for each test by Pillow (tests/servers/jpeg_tool.py),
 * with the webhook going to the recording receiver.  What arrives is
 * decoded by Pillow again: its size, and a marker in each corner, prove the
 * shrinking, flips and turns.  "printhook test" runs the real binary; the
 * tests about one event reaching several hooks run the real core and module
 * files in this process. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>
#if __has_include (<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "config_fixture.h"
#include "harness.h"
#include "in_process.h"
#include "text/json_text.h"
#include "receiver.h"
#include "servers/script_server.h"

#define PYTHON "/usr/bin/python3"

/* A camera serving the files of a directory of its own. */
typedef struct {
  char *dir;
  ph_script_server *server;
} camera;

static camera *
camera_start (void)
{
  camera *c = g_new0 (camera, 1);
  const char *args[] = { "--dir", NULL, NULL };

  c->dir = ph_test_tmpdir ();
  args[1] = c->dir;
  c->server = ph_script_server_start ("camera_server.py", args);
  return c;
}

static void
camera_stop (camera *c)
{
  if (c == NULL)
    return;
  ph_script_server_stop (c->server);
  g_free (c->dir);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (camera, camera_stop)

/* The URL of one of the camera's files (path after /file/). */
static char *
camera_url (camera *c, const char *path)
{
  g_autofree char *full = g_strconcat ("/file/", path, NULL);
  return ph_script_server_url (c->server, full);
}

static guint
camera_requests (camera *c)
{
  g_autoptr (json_object) records = ph_script_server_records (c->server);
  return json_object_array_length (records);
}

/* Runs jpeg_tool.py with argv (NULL-terminated); returns its stdout. */
static char *
run_tool (const char *const *args)
{
  g_autofree char *tool = g_build_filename (ph_test_srcdir (), "tests", "servers", "jpeg_tool.py", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) PYTHON);
  g_ptr_array_add (argv, (char *) "-I");
  g_ptr_array_add (argv, tool);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error)
                 && g_spawn_check_wait_status (status, &error),
                 "jpeg_tool.py %s: %s\n%s", args[0], error ? error->message : "", err ? err : "");
  return out;
}

/* Makes c's file name: "make NAME --size SIZE" followed by the options
 * (NULL-terminated). */
static void make_image (camera *c, const char *name, const char *size, ...) G_GNUC_NULL_TERMINATED;

static void
make_image (camera *c, const char *name, const char *size, ...)
{
  g_autofree char *path = g_build_filename (c->dir, name, PH_END);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *option;
  va_list options;

  g_ptr_array_add (args, (char *) "make");
  g_ptr_array_add (args, path);
  g_ptr_array_add (args, (char *) "--size");
  g_ptr_array_add (args, (char *) size);
  va_start (options, size);
  while ((option = va_arg (options, const char *)) != NULL)
    g_ptr_array_add (args, (char *) option);
  va_end (options);
  g_ptr_array_add (args, NULL);
  g_free (run_tool ((const char *const *) args->pdata));
}

static void
write_file (camera *c, const char *name, const void *data, gsize size)
{
  g_autofree char *path = g_build_filename (c->dir, name, NULL);
  ck_assert (g_file_set_contents (path, data, size, NULL));
}

static GBytes *
read_file (camera *c, const char *name)
{
  g_autofree char *path = g_build_filename (c->dir, name, NULL);
  g_autofree char *data = NULL;
  gsize size = 0;

  ck_assert (g_file_get_contents (path, &data, &size, NULL));
  return g_bytes_new_take (g_steal_pointer (&data), size);
}

/* What Pillow says of an image (see jpeg_tool.py probe), transfer full. */
static json_object *
probe (GBytes *image)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "probe.jpg", NULL);
  const char *args[] = { "probe", path, NULL };
  g_autofree char *out = NULL;
  json_object *result;

  ck_assert (g_file_set_contents (path, g_bytes_get_data (image, NULL), g_bytes_get_size (image), NULL));
  out = run_tool (args);
  result = json_tokener_parse (out);
  ck_assert_msg (result != NULL, "probe said: %s", out);
  return result;
}

static int
int_member (json_object *object, const char *key)
{
  return json_object_get_int (json_object_object_get (object, key));
}

/* The name of the marker colour nearest to a sampled corner. */
static const char *
colour_name (json_object *sample)
{
  static const struct { const char *name; int rgb[3]; } rgb[] = {
    { "red", { 255, 0, 0 } }, { "green", { 0, 255, 0 } }, { "blue", { 0, 0, 255 } },
    { "yellow", { 255, 255, 0 } }, { "gray", { 128, 128, 128 } },
  };
  static const struct { const char *name; int level; } gray[] = {
    { "black", 0 }, { "white", 255 }, { "dark", 64 }, { "light", 192 }, { "gray", 128 },
  };
  const char *best = NULL;
  int best_distance = G_MAXINT;

  if (json_object_array_length (sample) == 1)
    {
      int v = json_object_get_int (json_object_array_get_idx (sample, 0));
      for (guint i = 0; i < G_N_ELEMENTS (gray); i++)
        if (ABS (v - gray[i].level) < best_distance)
          {
            best_distance = ABS (v - gray[i].level);
            best = gray[i].name;
          }
      return best;
    }
  for (guint i = 0; i < G_N_ELEMENTS (rgb); i++)
    {
      int distance = 0;
      for (guint k = 0; k < 3; k++)
        {
          int delta = json_object_get_int (json_object_array_get_idx (sample, k)) - rgb[i].rgb[k];
          distance += delta * delta;
        }
      if (distance < best_distance)
        {
          best_distance = distance;
          best = rgb[i].name;
        }
    }
  return best;
}

/* "tl,tr,bl,br" colour names of a probed image. */
static char *
corners (json_object *info)
{
  json_object *c = json_object_object_get (info, "corners");

  return g_strdup_printf ("%s,%s,%s,%s", colour_name (json_object_object_get (c, "tl")),
                          colour_name (json_object_object_get (c, "tr")),
                          colour_name (json_object_object_get (c, "bl")),
                          colour_name (json_object_object_get (c, "br")));
}

#define UPRIGHT "red,green,blue,yellow"

static char *
write_config (const char *text)
{
  char *path = ph_test_write_file ("printhook.conf", text);

  g_chmod (path, 0600);
  return path;
}

/* A config whose hook s sends {"topic": ..., "photo": "@snapshot"} to the
 * receiver with the snapshot from url, plus extra lines for the hook. */
static char *
snapshot_config (ph_receiver *r, const char *url, const char *extra)
{
  g_autofree char *hook_url = ph_receiver_url (r, "/hook");
  g_autofree char *text = g_strdup_printf ("[printhook]\nsnapshot.url = %s\n\n"
                                           "[hook s]\nurl = %s\n"
                                           "data = {\"topic\": \"@topic\", \"photo\": \"@snapshot\"}\n%s",
                                           url, hook_url, extra != NULL ? extra : "");
  return write_config (text);
}

/* The file part called field of a record, or NULL. */
static json_object *
file_part (json_object *record, const char *field)
{
  json_object *parts = json_object_object_get (record, "multipart");

  for (size_t i = 0; i < json_object_array_length (parts); i++)
    {
      json_object *part = json_object_array_get_idx (parts, i);
      if (g_strcmp0 (json_object_get_string (json_object_object_get (part, "name")), field) == 0
          && json_object_object_get (part, "filename") != NULL)
        return part;
    }
  return NULL;
}

static GBytes *
part_bytes (json_object *part)
{
  gsize size = 0;
  guchar *data = g_base64_decode (json_object_get_string (json_object_object_get (part, "data_b64")), &size);
  return g_bytes_new_take (data, size);
}

/* Sends hook s of config once with "printhook test" and returns the image
 * that arrived as "photo" (transfer full), checking how it was sent. */
static GBytes *
send_and_receive (ph_receiver *r, const char *config, guint already)
{
  const char *argv[] = { "test", "-c", config, "s", "PrintDone", NULL };
  g_autoptr (ph_run_result) out = ph_run_printhook (argv, NULL, 60);
  g_autoptr (json_object) records = ph_receiver_wait (r, already + 1, 10000);
  json_object *record = json_object_array_get_idx (records, already);
  json_object *part = file_part (record, "photo");

  ck_assert_msg (out->exit_status == 0, "exit %d\n%s%s", out->exit_status, out->out, out->err);
  ck_assert_msg (part != NULL, "no photo part:\n%s%s", out->out, out->err);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (part, "filename")), "snapshot.jpg");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (part, "content_type")), "image/jpeg");
  return part_bytes (part);
}

START_TEST (test_small_jpegs_arrive_byte_for_byte)
{
  static const struct { const char *name; const char *size; const char *options[3]; } images[] = {
    { "yuv420.jpg", "640x480", { "--subsampling", "4:2:0", NULL } },
    { "yuv444.jpg", "640x480", { "--subsampling", "4:4:4", NULL } },
    { "gray.jpg", "640x480", { "--gray", NULL } },
    { "progressive.jpg", "800x600", { "--progressive", NULL } },
    { "exif.jpg", "320x240", { "--exif", NULL } },
    { "at-the-limit.jpg", "1640x1232", { NULL } },
  };
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *url = camera_url (c, images[i].name);
      g_autofree char *config = snapshot_config (r, url, NULL);
      g_autoptr (GBytes) sent = NULL;
      g_autoptr (GBytes) original = NULL;

      make_image (c, images[i].name, images[i].size, images[i].options[0], images[i].options[1],
                  images[i].options[2], PH_END);
      original = read_file (c, images[i].name);
      sent = send_and_receive (r, config, i);
      ck_assert_msg (g_bytes_equal (sent, original), "%s: %zu bytes sent, %zu taken",
                     images[i].name, g_bytes_get_size (sent), g_bytes_get_size (original));
    }
}
END_TEST

START_TEST (test_large_jpegs_are_shrunk_to_fit_keeping_their_aspect_ratio)
{
  static const struct { const char *name; const char *size; const char *option; int width, height; } images[] = {
    { "picam.jpg", "3280x2464", NULL, 1640, 1232 },
    { "wide.jpg", "4000x1000", NULL, 1640, 410 },
    { "tall.jpg", "1000x3000", NULL, 411, 1232 },
    { "one-over.jpg", "1641x1232", NULL, 1640, 1231 },
    { "progressive.jpg", "2592x1944", "--progressive", 1640, 1230 },
    { "yuv444.jpg", "1920x1080", "--subsampling=4:4:4", 1640, 923 },
    { "yuv422.jpg", "1921x1081", "--subsampling=4:2:2", 1640, 923 },
    { "odd.jpg", "3001x2001", NULL, 1640, 1094 },
    { "gray.jpg", "3000x3000", "--gray", 1232, 1232 },
    { "exif.jpg", "2048x1536", "--exif", 1640, 1230 },
  };
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *url = camera_url (c, images[i].name);
      g_autofree char *config = snapshot_config (r, url, NULL);
      g_autoptr (GBytes) sent = NULL;
      g_autoptr (json_object) info = NULL;
      g_autofree char *seen = NULL;

      make_image (c, images[i].name, images[i].size, images[i].option, PH_END);
      sent = send_and_receive (r, config, i);
      info = probe (sent);
      seen = corners (info);
      ck_assert_str_eq (json_object_get_string (json_object_object_get (info, "format")), "JPEG");
      ck_assert_msg (int_member (info, "width") == images[i].width
                     && int_member (info, "height") == images[i].height,
                     "%s: %dx%d, expected %dx%d", images[i].name, int_member (info, "width"),
                     int_member (info, "height"), images[i].width, images[i].height);
      ck_assert_str_eq (seen, images[i].option != NULL && strcmp (images[i].option, "--gray") == 0
                              ? "black,white,dark,light" : UPRIGHT);
      /* Re-encoded: the camera's EXIF is not carried over. */
      ck_assert (!json_object_get_boolean (json_object_object_get (info, "exif")));
    }
}
END_TEST

START_TEST (test_max_size_and_quality_shape_the_image)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "big.jpg");
  g_autofree char *low = snapshot_config (r, url, "snapshot.max_size = 400x400\nsnapshot.quality = 10\n");
  g_autofree char *high = snapshot_config (r, url, "snapshot.max_size = 400x400\nsnapshot.quality = 95\n");
  g_autoptr (GBytes) low_image = NULL;
  g_autoptr (GBytes) high_image = NULL;
  g_autoptr (json_object) info = NULL;

  make_image (c, "big.jpg", "2000x1500", PH_END);
  low_image = send_and_receive (r, low, 0);
  high_image = send_and_receive (r, high, 1);
  info = probe (low_image);
  ck_assert_int_eq (int_member (info, "width"), 400);
  ck_assert_int_eq (int_member (info, "height"), 300);
  ck_assert_msg (2 * g_bytes_get_size (high_image) > 3 * g_bytes_get_size (low_image),
                 "quality 95: %zu bytes, quality 10: %zu bytes", g_bytes_get_size (high_image),
                 g_bytes_get_size (low_image));
}
END_TEST

START_TEST (test_flips_and_turns_move_the_corners)
{
  static const struct { const char *settings; int width, height; const char *corners; } cases[] = {
    { "snapshot.flip_h = true\n", 640, 480, "green,red,yellow,blue" },
    { "snapshot.flip_v = true\n", 640, 480, "blue,yellow,red,green" },
    { "snapshot.flip_h = true\nsnapshot.flip_v = true\n", 640, 480, "yellow,blue,green,red" },
    /* Counter-clockwise: the top-right corner goes to the top left, and
     * the width becomes the height, nothing cropped. */
    { "snapshot.rotate90 = true\n", 480, 640, "green,yellow,red,blue" },
    { "snapshot.flip_h = true\nsnapshot.rotate90 = true\n", 480, 640, "red,blue,green,yellow" },
    { "snapshot.flip_h = true\nsnapshot.flip_v = true\nsnapshot.rotate90 = true\n", 480, 640,
      "blue,red,yellow,green" },
  };
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "pattern.jpg");

  make_image (c, "pattern.jpg", "640x480", PH_END);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *config = snapshot_config (r, url, cases[i].settings);
      g_autoptr (GBytes) sent = send_and_receive (r, config, i);
      g_autoptr (json_object) info = probe (sent);
      g_autofree char *seen = corners (info);

      ck_assert_msg (int_member (info, "width") == cases[i].width
                     && int_member (info, "height") == cases[i].height,
                     "%s: %dx%d", cases[i].settings, int_member (info, "width"), int_member (info, "height"));
      ck_assert_msg (strcmp (seen, cases[i].corners) == 0, "%s: corners %s, expected %s",
                     cases[i].settings, seen, cases[i].corners);
    }
}
END_TEST

/* Odd sizes leave the 4:2:0 chroma planes half a pixel over: the colours
 * must still land where the luma does, shrunk, flipped and turned. */
START_TEST (test_odd_sized_image_keeps_its_colours_when_shrunk_and_turned)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "odd.jpg");
  g_autofree char *config = snapshot_config (r, url, "snapshot.max_size = 400x400\n"
                                                     "snapshot.flip_h = true\n"
                                                     "snapshot.rotate90 = true\n");
  g_autoptr (GBytes) sent = NULL;
  g_autoptr (json_object) info = NULL;
  g_autofree char *seen = NULL;

  make_image (c, "odd.jpg", "1001x751", PH_END);
  sent = send_and_receive (r, config, 0);
  info = probe (sent);
  seen = corners (info);
  /* 751x1001 once turned, into 400x400. */
  ck_assert_int_eq (int_member (info, "width"), 300);
  ck_assert_int_eq (int_member (info, "height"), 400);
  ck_assert_str_eq (seen, "red,blue,green,yellow");
}
END_TEST

START_TEST (test_turned_image_fits_the_box_turned)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "landscape.jpg");
  g_autofree char *config = snapshot_config (r, url, "snapshot.rotate90 = true\n");
  g_autoptr (GBytes) sent = NULL;
  g_autoptr (json_object) info = NULL;
  g_autofree char *seen = NULL;

  make_image (c, "landscape.jpg", "3200x2400", "--gray", PH_END);
  sent = send_and_receive (r, config, 0);
  info = probe (sent);
  seen = corners (info);
  /* 2400x3200 once turned, shrunk into 1640x1232. */
  ck_assert_int_eq (int_member (info, "width"), 924);
  ck_assert_int_eq (int_member (info, "height"), 1232);
  ck_assert_str_eq (seen, "white,light,black,dark");
}
END_TEST

/* Hostile or broken cameras: the webhook still goes, without the image,
 * and the log says why. */
static char *
assert_sent_without_snapshot (ph_receiver *r, const char *url, const char *extra, guint already,
                              const char *reason)
{
  g_autofree char *config = snapshot_config (r, url, extra);
  const char *argv[] = { "test", "-c", config, "s", "PrintDone", NULL };
  g_autoptr (ph_run_result) out = ph_run_printhook (argv, NULL, 60);
  g_autoptr (json_object) records = ph_receiver_wait (r, already + 1, 10000);
  json_object *record = json_object_array_get_idx (records, already);
  json_object *parts = json_object_object_get (record, "multipart");

  ck_assert_msg (out->exit_status == 0, "%s: exit %d\n%s%s", url, out->exit_status, out->out, out->err);
  assert_contains (out->out, "delivered: HTTP 200");
  ck_assert_ptr_null (file_part (record, "photo"));
  ck_assert_int_eq (json_object_array_length (parts), 1);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (parts, 0), "name")),
                    "topic");
  assert_contains (out->err, "warning: snapshot: hook s, delivery msg_");
  assert_contains (out->err, "sending without the snapshot: ");
  assert_contains (out->err, reason);
  return g_strdup (out->err);
}

START_TEST (test_hostile_images_never_stop_the_webhook)
{
  static const struct { const char *name; const char *reason; } files[] = {
    { "truncated.jpg", "the JPEG does not decode: Premature end of JPEG file" },
    { "truncated-progressive.jpg", "the JPEG does not decode: Premature end of JPEG file" },
    { "picture.png", "not a JPEG: the camera sent a PNG image" },
    { "error.html", "not a JPEG: the camera sent HTML or XML text, such as an error page (" },
    { "empty.jpg", "the camera sent no bytes" },
    { "soi-only.jpg", "the JPEG does not decode: " },
    { "claims-65535.jpg", "the JPEG does not decode: Maximum supported image dimension is 65500 pixels" },
    { "claims-65000.jpg", "the JPEG claims 65000 x 65000 pixels, more than the limit of 64 megapixels" },
    /* Small as a file, but all of its coefficients must be held at once. */
    { "huge-progressive.jpg", "decoding this 8000 x 8000 JPEG would take more than 256 MiB" },
  };
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (GBytes) whole = NULL;
  g_autoptr (GBytes) whole_progressive = NULL;
  static const char html[] = "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n";

  make_image (c, "whole.jpg", "1280x720", PH_END);
  make_image (c, "whole-progressive.jpg", "1280x720", "--progressive", PH_END);
  make_image (c, "picture.png", "64x48", "--format", "png", PH_END);
  make_image (c, "claims-65535.jpg", "64x48", "--claim", "65535x65535", PH_END);
  make_image (c, "claims-65000.jpg", "64x48", "--claim", "65000x65000", PH_END);
  make_image (c, "huge-progressive.jpg", "8000x8000", "--progressive", "--subsampling", "4:4:4", PH_END);
  whole = read_file (c, "whole.jpg");
  whole_progressive = read_file (c, "whole-progressive.jpg");
  write_file (c, "truncated.jpg", g_bytes_get_data (whole, NULL), g_bytes_get_size (whole) / 2);
  write_file (c, "truncated-progressive.jpg", g_bytes_get_data (whole_progressive, NULL),
              g_bytes_get_size (whole_progressive) / 3);
  write_file (c, "error.html", html, strlen (html));
  write_file (c, "empty.jpg", "", 0);
  write_file (c, "soi-only.jpg", "\xff\xd8\xff", 3);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *url = camera_url (c, files[i].name);
      g_free (assert_sent_without_snapshot (r, url, NULL, i, files[i].reason));
    }
}
END_TEST

START_TEST (test_oversized_image_is_refused)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "large.jpg");

  make_image (c, "large.jpg", "1024x768", PH_END);
  g_free (assert_sent_without_snapshot (r, url, "snapshot.max_bytes = 4096\n", 0,
                                        "the camera's image is larger than snapshot.max_bytes (4096 bytes)"));
}
END_TEST

START_TEST (test_silent_camera_times_out)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_script_server_url (c->server, "/hang");
  gint64 started = g_get_monotonic_time ();

  g_free (assert_sent_without_snapshot (r, url, "snapshot.timeout = 1\n", 0,
                                        "cannot fetch it from the camera: "));
  ck_assert_msg (g_get_monotonic_time () - started < 20 * G_USEC_PER_SEC, "took too long");
}
END_TEST

START_TEST (test_camera_error_status_is_reported)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_script_server_url (c->server, "/status/503?user=admin&pwd=hunter2");
  g_autofree char *shown = ph_script_server_url (c->server, "/status/503 answered HTTP 503, Content-Type text/html");
  g_autofree char *err = assert_sent_without_snapshot (r, url, NULL, 0, shown);

  /* Camera credentials in the query stay out of the log. */
  ck_assert_ptr_null (strstr (err, "hunter2"));
}
END_TEST

START_TEST (test_without_a_snapshot_url_the_webhook_goes_without_image)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *hook_url = ph_receiver_url (r, "/hook");
  g_autofree char *text = g_strdup_printf ("[hook s]\nurl = %s\ndata = {\"topic\": \"@topic\", "
                                           "\"photo\": \"@snapshot\"}\n", hook_url);
  g_autofree char *config = write_config (text);
  const char *argv[] = { "test", "-c", config, "s", "PrintDone", NULL };
  g_autoptr (ph_run_result) out = ph_run_printhook (argv, NULL, 60);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 10000);

  ck_assert_int_eq (out->exit_status, 0);
  ck_assert_ptr_null (file_part (json_object_array_get_idx (records, 0), "photo"));
  assert_contains (out->err, "sending without the snapshot: no snapshot.url is set");
}
END_TEST

START_TEST (test_bad_snapshot_settings_are_config_errors)
{
  g_autoptr (ph_loaded) size = ph_load_text ("[hook a]\nurl = http://127.0.0.1:9/\n"
                                             "data = {\"p\": \"@snapshot\"}\nsnapshot.max_size = 1640\n", NULL);
  g_autoptr (ph_loaded) url = ph_load_text ("[printhook]\nsnapshot.url = file:///etc/passwd\n\n"
                                            "[hook a]\nurl = http://127.0.0.1:9/\n"
                                            "data = {\"p\": \"@snapshot\"}\n", NULL);
  g_autoptr (ph_loaded) bytes = ph_load_text ("[hook a]\nurl = http://127.0.0.1:9/\n"
                                              "data = {\"p\": \"@snapshot\"}\nsnapshot.max_bytes = 10\n", NULL);

  ck_assert_ptr_null (size->config);
  ph_assert_diag (size, PH_DIAG_ERROR, "snapshot.max_size: '1640' is not WIDTHxHEIGHT", PH_END);
  ck_assert_ptr_null (url->config);
  ph_assert_diag (url, PH_DIAG_ERROR, "snapshot.url: 'file:///etc/passwd' is not an http", PH_END);
  ck_assert_ptr_null (bytes->config);
  ph_assert_diag (bytes, PH_DIAG_ERROR, "snapshot.max_bytes: 10 is not from 1024", PH_END);
}
END_TEST

START_TEST (test_modules_lists_snapshot_with_its_keys)
{
  const char *argv[] = { "modules", NULL };
  g_autoptr (ph_run_result) out = ph_run_printhook (argv, NULL, 30);

  assert_contains (out->out, "\nsnapshot ");
  assert_contains (out->out, "snapshot.url (text)");
  assert_contains (out->out, "snapshot.timeout (number, default 5");
  assert_contains (out->out, "snapshot.max_bytes (integer, default 10485760)");
  assert_contains (out->out, "snapshot.max_size (text, default 1640x1232)");
  assert_contains (out->out, "snapshot.quality (integer, default 75, 1 to 100)");
  assert_contains (out->out, "snapshot.flip_h (true/false, default false)");
  assert_contains (out->out, "snapshot.flip_v (true/false, default false)");
  assert_contains (out->out, "snapshot.rotate90 (true/false, default false)");
}
END_TEST

/* In-process: the deliveries of one event, as the daemon runs them. */

static ph_loaded *
load_hooks (const char *camera_url_text, const char *hooks)
{
  g_autofree char *text = g_strdup_printf ("[printhook]\nsnapshot.url = %s\n\n%s", camera_url_text, hooks);
  ph_loaded *loaded = ph_load_text (text, NULL);

  ph_assert_no_diag (loaded, PH_DIAG_ERROR);
  ck_assert_ptr_nonnull (loaded->config);
  return loaded;
}

/* Sends event to the named hooks (NULL-terminated), all at once; checks
 * they were all delivered. */
static void
deliver_event (ph_loaded *loaded, ph_event *event, const char *const *hooks)
{
  guint n = g_strv_length ((char **) hooks);
  g_autofree printhook_delivery **ds = g_new0 (printhook_delivery *, n);
  g_autofree ph_outcome *outcomes = g_new0 (ph_outcome, n);

  for (guint i = 0; i < n; i++)
    ds[i] = ph_delivery_new (ph_config_find_hook (loaded->config, hooks[i]), event, 0);
  ph_run_chains (ds, n, outcomes, 30);
  for (guint i = 0; i < n; i++)
    {
      ck_assert_msg (outcomes[i].result == PRINTHOOK_RESULT_DONE, "%s: %s", hooks[i], outcomes[i].error);
      ph_outcome_clear (&outcomes[i]);
      ph_delivery_free (ds[i]);
    }
}

/* The photo of the receiver's record whose path is path (transfer full). */
static GBytes *
photo_at (json_object *records, const char *path)
{
  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      json_object *record = json_object_array_get_idx (records, i);
      json_object *part;

      if (g_strcmp0 (json_object_get_string (json_object_object_get (record, "path")), path) != 0)
        continue;
      part = file_part (record, "photo");
      ck_assert_msg (part != NULL, "%s: no photo", path);
      return part_bytes (part);
    }
  ck_abort_msg ("nothing arrived at %s", path);
  return NULL;
}

START_TEST (test_one_fetch_serves_every_hook_of_an_event)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  /* The camera takes its time, so that all three deliveries wait on the
   * same request. */
  g_autofree char *url = ph_script_server_url (c->server, "/file/frame.jpg?delay_ms=300");
  g_autofree char *a = ph_receiver_url (r, "/a");
  g_autofree char *b = ph_receiver_url (r, "/b");
  g_autofree char *small = ph_receiver_url (r, "/small");
  g_autofree char *hooks = g_strdup_printf (
      "[hook a]\nurl = %s\ndata = {\"photo\": \"@snapshot\"}\n\n"
      "[hook b]\nurl = %s\ndata = {\"t\": \"@topic\", \"photo\": \"@snapshot\"}\n\n"
      "[hook small]\nurl = %s\ndata = {\"photo\": \"@snapshot\"}\nsnapshot.max_size = 320x240\n",
      a, b, small);
  g_autoptr (ph_loaded) loaded = NULL;
  g_autoptr (ph_event) event = ph_event_new ("PrintDone", "test", NULL, NULL);
  const char *names[] = { "a", "b", "small", NULL };
  g_autoptr (json_object) records = NULL;
  g_autoptr (GBytes) photo_a = NULL;
  g_autoptr (GBytes) photo_b = NULL;
  g_autoptr (GBytes) photo_small = NULL;
  g_autoptr (json_object) info_a = NULL;
  g_autoptr (json_object) info_small = NULL;

  make_image (c, "frame.jpg", "2592x1944", PH_END);
  loaded = load_hooks (url, hooks);
  deliver_event (loaded, event, names);
  records = ph_receiver_wait (r, 3, 10000);
  photo_a = photo_at (records, "/a");
  photo_b = photo_at (records, "/b");
  photo_small = photo_at (records, "/small");
  info_a = probe (photo_a);
  info_small = probe (photo_small);

  ck_assert_int_eq (camera_requests (c), 1);
  ck_assert (g_bytes_equal (photo_a, photo_b));
  ck_assert_int_eq (int_member (info_a, "width"), 1640);
  ck_assert_int_eq (int_member (info_small, "width"), 320);
  ck_assert_int_eq (int_member (info_small, "height"), 240);
}
END_TEST

START_TEST (test_each_event_takes_its_own_picture)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "frame.jpg");
  g_autofree char *a = ph_receiver_url (r, "/a");
  g_autofree char *hooks = g_strdup_printf ("[hook a]\nurl = %s\ndata = {\"photo\": \"@snapshot\"}\n", a);
  g_autoptr (ph_loaded) loaded = NULL;
  g_autoptr (ph_event) first = ph_event_new ("PrintStarted", "test", NULL, NULL);
  g_autoptr (ph_event) second = ph_event_new ("PrintDone", "test", NULL, NULL);
  const char *names[] = { "a", NULL };

  make_image (c, "frame.jpg", "640x480", PH_END);
  loaded = load_hooks (url, hooks);
  deliver_event (loaded, first, names);
  deliver_event (loaded, second, names);
  ck_assert_int_eq (camera_requests (c), 2);
}
END_TEST

START_TEST (test_a_retry_sends_the_picture_taken_at_event_time)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "frame.jpg");
  g_autofree char *a = ph_receiver_url (r, "/a");
  g_autofree char *hooks = g_strdup_printf ("[hook a]\nurl = %s\ndata = {\"photo\": \"@snapshot\"}\n", a);
  g_autoptr (ph_loaded) loaded = NULL;
  g_autoptr (ph_event) event = ph_event_new ("PrintDone", "test", NULL, NULL);
  g_autoptr (printhook_delivery) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) again = NULL;
  ph_outcome outcome = { 0 };

  make_image (c, "frame.jpg", "2000x1000", PH_END);
  loaded = load_hooks (url, hooks);
  d = ph_delivery_new (ph_config_find_hook (loaded->config, "a"), event, 0);
  ph_run_chains (&d, 1, &outcome, 30);
  ph_outcome_clear (&outcome);
  /* The camera now shows something else; the second attempt must not care. */
  make_image (c, "frame.jpg", "640x480", PH_END);
  ph_run_chains (&d, 1, &outcome, 30);
  ph_outcome_clear (&outcome);
  records = ph_receiver_wait (r, 2, 10000);
  first = part_bytes (file_part (json_object_array_get_idx (records, 0), "photo"));
  again = part_bytes (file_part (json_object_array_get_idx (records, 1), "photo"));

  ck_assert_int_eq (camera_requests (c), 1);
  ck_assert_int_eq (d->attachments->len, 1);
  ck_assert (g_bytes_equal (first, again));
}
END_TEST

START_TEST (test_a_refreshed_token_resends_the_same_picture)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_script_server) oauth = ph_script_server_start ("oauth_server.py", NULL);
  g_autofree char *url = camera_url (c, "frame.jpg");
  g_autofree char *token_url = ph_script_server_url (oauth, "/token?srv_expires_in=3600");
  /* The resource takes each token once, so the second event's cached
   * token is refused and the chain runs again with a fresh one. */
  g_autofree char *resource = ph_script_server_url (oauth, "/api/uses/1");
  g_autofree char *hooks = g_strdup_printf (
      "[hook a]\nurl = %s\nheaders = {\"Authorization\": \"Bearer @access_token\"}\n"
      "oauth.url = %s\ndata = {\"t\": \"@topic\", \"photo\": \"@snapshot\"}\n", resource, token_url);
  g_autoptr (ph_loaded) loaded = NULL;
  g_autoptr (ph_event) first = ph_event_new ("PrintStarted", "test", NULL, NULL);
  g_autoptr (ph_event) second = ph_event_new ("PrintDone", "test", NULL, NULL);
  const char *names[] = { "a", NULL };
  g_autoptr (json_object) calls = NULL;

  make_image (c, "frame.jpg", "640x480", PH_END);
  loaded = load_hooks (url, hooks);
  deliver_event (loaded, first, names);
  deliver_event (loaded, second, names);
  calls = ph_script_server_records_at (oauth, "/api/uses/1");

  ck_assert_int_eq (json_object_array_length (calls), 3);
  ck_assert_int_eq (camera_requests (c), 2);
  for (guint i = 0; i < 3; i++)
    {
      const char *body = json_object_get_string (json_object_object_get (json_object_array_get_idx (calls, i), "body"));
      const char *first_part = strstr (body, "filename=\"snapshot.jpg\"");

      ck_assert_msg (first_part != NULL && strstr (first_part + 1, "filename=\"snapshot.jpg\"") == NULL,
                     "request %u does not carry exactly one snapshot", i + 1);
    }
}
END_TEST

START_TEST (test_a_listed_module_attaches_under_snapshot)
{
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = camera_url (c, "frame.jpg");
  g_autofree char *hook_url = ph_receiver_url (r, "/hook");
  g_autofree char *text = g_strdup_printf ("[printhook]\nsnapshot.url = %s\n\n[hook s]\nurl = %s\n"
                                           "modules = snapshot, multipart, http-webhook\n"
                                           "data = {\"topic\": \"@topic\"}\n", url, hook_url);
  g_autofree char *config = write_config (text);
  const char *argv[] = { "test", "-c", config, "s", "PrintDone", NULL };
  g_autoptr (ph_run_result) out = NULL;
  g_autoptr (json_object) records = NULL;

  make_image (c, "frame.jpg", "320x240", PH_END);
  out = ph_run_printhook (argv, NULL, 60);
  records = ph_receiver_wait (r, 1, 10000);
  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_ptr_nonnull (file_part (json_object_array_get_idx (records, 0), "snapshot"));
}
END_TEST

/* The hostile files again, in this process, so that valgrind and the
 * sanitizers watch the decoder fail: each hook's warning is expected. */
static guint expected_warnings;

static gboolean
expect_snapshot_warning (const char *domain, GLogLevelFlags level, const char *message,
                         gpointer user_data)
{
  if ((level & G_LOG_LEVEL_WARNING) && strstr (message, "sending without the snapshot: ") != NULL)
    {
      expected_warnings++;
      return FALSE;
    }
  return TRUE;
}

START_TEST (test_hostile_images_in_process)
{
  static const char *const names[] = { "truncated", "progressive-cut", "png", "html", "empty",
                                       "claims-65535", "claims-65000", "garbled", NULL };
  g_autoptr (camera) c = camera_start ();
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *hook_url = ph_receiver_url (r, "/h");
  g_autofree char *default_url = camera_url (c, "none.jpg");
  g_autoptr (GString) hooks = g_string_new (NULL);
  g_autoptr (ph_loaded) loaded = NULL;
  g_autoptr (ph_event) event = ph_event_new ("PrintDone", "test", NULL, NULL);
  g_autoptr (GBytes) whole = NULL;
  g_autoptr (GBytes) progressive = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree guint8 *garbled = NULL;
  gsize size;

  make_image (c, "whole.jpg", "800x600", PH_END);
  make_image (c, "whole-progressive.jpg", "800x600", "--progressive", "--subsampling", "4:4:4", PH_END);
  make_image (c, "png", "64x48", "--format", "png", PH_END);
  make_image (c, "claims-65535", "64x48", "--claim", "65535x65535", PH_END);
  make_image (c, "claims-65000", "64x48", "--claim", "65000x65000", PH_END);
  whole = read_file (c, "whole.jpg");
  progressive = read_file (c, "whole-progressive.jpg");
  write_file (c, "truncated", g_bytes_get_data (whole, NULL), g_bytes_get_size (whole) / 2);
  write_file (c, "progressive-cut", g_bytes_get_data (progressive, NULL), g_bytes_get_size (progressive) / 2);
  write_file (c, "html", "<html>no</html>", 15);
  write_file (c, "empty", "", 0);
  /* The entropy-coded data overwritten with markers and noise. */
  size = g_bytes_get_size (whole);
  garbled = g_memdup2 (g_bytes_get_data (whole, NULL), size);
  for (gsize i = size / 3; i + 1 < size - 2; i += 97)
    {
      garbled[i] = 0xff;
      garbled[i + 1] = (guint8) (0xc0 + i % 0x30);
    }
  write_file (c, "garbled", garbled, size);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *url = camera_url (c, names[i]);
      g_string_append_printf (hooks, "[hook %s]\nurl = %s\ndata = {\"t\": \"@topic\", \"photo\": \"@snapshot\"}\n"
                              "snapshot.url = %s\nsnapshot.rotate90 = true\n\n",
                              names[i], hook_url, url);
    }
  loaded = load_hooks (default_url, hooks->str);
  expected_warnings = 0;
  g_test_log_set_fatal_handler (expect_snapshot_warning, NULL);
  deliver_event (loaded, event, (const char *const *) names);
  g_test_log_set_fatal_handler (NULL, NULL);

  records = ph_receiver_wait (r, g_strv_length ((char **) names), 10000);
  ck_assert_int_eq (expected_warnings, g_strv_length ((char **) names));
  ck_assert_int_eq (json_object_array_length (records), g_strv_length ((char **) names));
}
END_TEST

static Suite *
snapshot_suite (void)
{
  Suite *s = suite_create ("snapshot");
  TCase *images = tcase_create ("images");
  TCase *hostile = tcase_create ("hostile");
  TCase *sharing = tcase_create ("sharing");

  tcase_set_timeout (images, 120);
  tcase_add_test (images, test_small_jpegs_arrive_byte_for_byte);
  tcase_add_test (images, test_large_jpegs_are_shrunk_to_fit_keeping_their_aspect_ratio);
  tcase_add_test (images, test_max_size_and_quality_shape_the_image);
  tcase_add_test (images, test_flips_and_turns_move_the_corners);
  tcase_add_test (images, test_odd_sized_image_keeps_its_colours_when_shrunk_and_turned);
  tcase_add_test (images, test_turned_image_fits_the_box_turned);
  tcase_add_test (images, test_modules_lists_snapshot_with_its_keys);
  suite_add_tcase (s, images);

  tcase_set_timeout (hostile, 120);
  tcase_add_test (hostile, test_hostile_images_never_stop_the_webhook);
  tcase_add_test (hostile, test_oversized_image_is_refused);
  tcase_add_test (hostile, test_silent_camera_times_out);
  tcase_add_test (hostile, test_camera_error_status_is_reported);
  tcase_add_test (hostile, test_without_a_snapshot_url_the_webhook_goes_without_image);
  tcase_add_test (hostile, test_bad_snapshot_settings_are_config_errors);
  tcase_add_test (hostile, test_hostile_images_in_process);
  suite_add_tcase (s, hostile);

  tcase_set_timeout (sharing, 120);
  tcase_add_test (sharing, test_one_fetch_serves_every_hook_of_an_event);
  tcase_add_test (sharing, test_each_event_takes_its_own_picture);
  tcase_add_test (sharing, test_a_retry_sends_the_picture_taken_at_event_time);
  tcase_add_test (sharing, test_a_refreshed_token_resends_the_same_picture);
  tcase_add_test (sharing, test_a_listed_module_attaches_under_snapshot);
  suite_add_tcase (s, sharing);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  /* valgrind cannot follow libjpeg-turbo's SIMD code and reports its
   * output as uninitialised (libjpeg-turbo issue #238): under valgrind,
   * this suite and the printhook it starts use libjpeg-turbo's C code. */
  if (RUNNING_ON_VALGRIND || g_getenv ("PH_TEST_VALGRIND") != NULL)
    g_setenv ("JSIMD_FORCENONE", "1", TRUE);
  return ph_test_run (snapshot_suite ());
}
