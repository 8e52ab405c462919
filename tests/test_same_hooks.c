/* One hook file, two kinds of printer: the same print on a fake OctoPrint
 * and on a fake Moonraker gives the same webhooks, body for body, apart
 * from what only one source can say. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "daemon_process.h"
#include "fake_moonraker.h"
#include "fake_octoprint.h"
#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"
#include "source_records.h"

/* The printer's state when the event fired: OctoPrint says "Finishing"
 * before PrintDone, Klipper's print_stats says "complete" (Operational). */
static const char *const source_specific[] = { "state", NULL };

/* Runs a daemon with a [source printer] of type (key for OctoPrint) for f
 * beside tests/configs/same-hooks.conf, and returns the n webhooks. */
static json_object *
webhooks_of (const char *type, ph_fake_server *f, guint n)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *receiver_url = ph_receiver_url (r, "/hook");
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *hooks_dir = g_build_filename (dir, "hooks.d", NULL);
  g_autofree char *hooks_path = g_build_filename (hooks_dir, "same-hooks.conf", NULL);
  g_autofree char *shipped = g_build_filename (ph_test_srcdir (), "tests", "configs", "same-hooks.conf", NULL);
  g_autofree char *config = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *socket = g_build_filename (dir, "control.sock", NULL);
  g_autofree char *url = ph_fake_server_url (f);
  g_autofree char *hooks = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (ph_daemon_process) d = NULL;
  json_object *records;

  ck_assert (g_file_get_contents (shipped, &hooks, NULL, NULL));
  parts = g_strsplit (hooks, "RECEIVER_URL", -1);
  g_free (hooks);
  hooks = g_strjoinv (receiver_url, parts);
  ck_assert_int_eq (g_mkdir (hooks_dir, 0700), 0);
  ck_assert (g_file_set_contents (hooks_path, hooks, -1, NULL));
  text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n"
                          "[source printer]\ntype = %s\nurl = %s\n%s", socket, dir, type, url,
                          strcmp (type, "octoprint") == 0 ? "api_key = " PH_FAKE_OCTOPRINT_KEY "\n" : "");
  ck_assert (g_file_set_contents (config, text, -1, NULL));
  g_chmod (config, 0600);
  d = ph_daemon_process_start (config);
  records = ph_records_exactly (f, r, n);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
  return records;
}

/* The body of record i without the source-specific members.  Transfer full. */
static char *
common_body (json_object *records, guint i)
{
  json_object *json = json_object_object_get (json_object_array_get_idx (records, i), "json");
  g_autoptr (json_object) body = NULL;

  json_object_deep_copy (json, &body, NULL);
  for (guint k = 0; source_specific[k] != NULL; k++)
    json_object_object_del (body, source_specific[k]);
  return ph_json_to_text (body, FALSE);
}

START_TEST (test_one_print_gives_the_same_webhooks_from_octoprint_and_moonraker)
{
  g_autoptr (ph_fake_server) octoprint = ph_fake_octoprint_start ("print", NULL);
  g_autoptr (json_object) from_octoprint = webhooks_of ("octoprint", octoprint, 7);
  g_autoptr (ph_fake_server) moonraker = ph_fake_moonraker_start ("print", NULL);
  g_autoptr (json_object) from_moonraker = webhooks_of ("moonraker", moonraker, 7);
  g_autofree char *first = common_body (from_moonraker, 0);
  g_autofree char *last = common_body (from_moonraker, 6);

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *a = common_body (from_octoprint, i);
      g_autofree char *b = common_body (from_moonraker, i);

      ck_assert_str_eq (b, a);
      if (i < 6)
        {
          ck_assert_str_eq (ph_records_field (from_octoprint, i, "state"), "Printing");
          ck_assert_str_eq (ph_records_field (from_moonraker, i, "state"), "Printing");
        }
    }
  /* And they say what a template wants. */
  ck_assert_str_eq (first, "{\"event\":\"PrintStarted\",\"topic\":\"Print Started\","
                           "\"message\":\"Your print has started.\",\"milestone\":0,\"printer\":\"printer\","
                           "\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\",\"origin\":\"local\","
                           "\"size\":1183897,\"time\":\"\",\"file\":\"benchy.gcode\","
                           "\"file_path\":\"parts/benchy.gcode\",\"estimate\":3580.2,\"filament\":4012.3,"
                           "\"completion\":0.0,\"height\":48.0}");
  ck_assert_str_eq (last, "{\"event\":\"PrintDone\",\"topic\":\"Print Done\","
                          "\"message\":\"benchy.gcode is done after 3625.12 s\",\"milestone\":90,"
                          "\"printer\":\"printer\",\"name\":\"benchy.gcode\",\"path\":\"parts/benchy.gcode\","
                          "\"origin\":\"local\",\"size\":1183897,\"time\":3625.12,\"file\":\"benchy.gcode\","
                          "\"file_path\":\"parts/benchy.gcode\",\"estimate\":3580.2,\"filament\":4012.3,"
                          "\"completion\":100.0,\"height\":48.0}");
}
END_TEST

static Suite *
same_hooks_suite (void)
{
  Suite *s = suite_create ("same-hooks");
  TCase *tc = tcase_create ("same-hooks");

  tcase_set_timeout (tc, 90 * ph_test_slowness ());
  tcase_add_test (tc, test_one_print_gives_the_same_webhooks_from_octoprint_and_moonraker);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (same_hooks_suite ());
}
