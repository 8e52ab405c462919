/* conf/printhook.service as the build makes it: systemd-analyze verify
 * accepts it, it runs the daemon hardened as the printhook user, and the
 * directories it gives the daemon are the ones the daemon's defaults use. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "config/config_keys.h"

/* The built unit (transfer full). */
static char *
unit_text (void)
{
  g_autofree char *path = g_build_filename (ph_test_builddir (), "conf", "printhook.service", NULL);
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, &error), "%s", error ? error->message : "");
  return text;
}

START_TEST (test_systemd_analyze_verify_accepts_the_unit)
{
  g_autofree char *text = unit_text ();
  g_autoptr (GRegex) exec_start = g_regex_new ("^ExecStart=\\S+", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *replacement = g_strdup_printf ("ExecStart=%s", ph_test_binary ());
  /* The unit names the installed binary, which need not be installed yet:
   * verify checks that ExecStart is executable. */
  g_autofree char *local = g_regex_replace_literal (exec_start, text, -1, 0, replacement, 0, NULL);
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "printhook.service", NULL);
  /* The pages of Documentation= are checked below, without man-db. */
  const char *argv[] = { "systemd-analyze", "verify", "--man=no", path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  ck_assert (g_file_set_contents (path, local, -1, NULL));
  /* G_SPAWN_SEARCH_PATH: a missing systemd-analyze (Debian package
   * systemd) fails here, by name. */
  ck_assert_msg (g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                               &status, &error),
                 "%s", error ? error->message : "");
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "systemd-analyze verify failed:\n%s%s", out, err);
  /* Unknown or misspelt settings are only warnings: none allowed. */
  ck_assert_msg (*err == '\0' && *out == '\0', "systemd-analyze verify says:\n%s%s", out, err);
}
END_TEST

START_TEST (test_unit_documentation_names_the_shipped_pages)
{
  g_autofree char *text = unit_text ();
  g_autofree char *page1 = g_build_filename (ph_test_srcdir (), "man", "printhook.1", NULL);
  g_autofree char *page5 = g_build_filename (ph_test_srcdir (), "man", "printhook.conf.5", NULL);
  g_autofree char *page7 = g_build_filename (ph_test_srcdir (), "man", "printhook-console.7", NULL);

  assert_contains (text, "\nDocumentation=man:printhook(1) man:printhook.conf(5) "
                         "man:printhook-console(7)\n");
  ck_assert (g_file_test (page1, G_FILE_TEST_IS_REGULAR));
  ck_assert (g_file_test (page5, G_FILE_TEST_IS_REGULAR));
  ck_assert (g_file_test (page7, G_FILE_TEST_IS_REGULAR));
}
END_TEST

START_TEST (test_unit_runs_the_daemon_hardened_as_printhook)
{
  static const char *const lines[] = {
    "Type=exec", "ExecReload=kill -HUP $MAINPID", "User=printhook", "Group=printhook",
    "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
    "PrivateDevices=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes", "CapabilityBoundingSet=",
    "WantedBy=multi-user.target",
  };
  g_autofree char *text = unit_text ();

  assert_contains (text, "/printhook run\n");
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n%s\n", lines[i]);
      assert_contains (text, line);
    }
}
END_TEST

/* The words of the unit's KEY= line (transfer full); the test fails
 * without one. */
static char **
unit_words (const char *text, const char *key)
{
  g_autofree char *start = g_strdup_printf ("\n%s=", key);
  const char *at = strstr (text, start);
  g_autofree char *line = NULL;

  ck_assert_msg (at != NULL, "the unit has no %s=", key);
  at += strlen (start);
  line = g_strndup (at, strcspn (at, "\n"));
  return g_strsplit_set (g_strstrip (line), " ", -1);
}

/* ProtectSystem=strict leaves the daemon only the directories systemd
 * makes for it: the defaults of control_socket and spool must be in them,
 * and the shipped hooks_dir of the console's editor; nothing else. */
START_TEST (test_unit_directories_hold_the_socket_the_spool_and_the_edited_hooks)
{
  g_autofree char *text = unit_text ();
  const char *socket = ph_find_key (ph_daemon_keys (), "control_socket")->default_value;
  const char *spool = ph_find_key (ph_daemon_keys (), "spool")->default_value;
  g_autofree char *socket_dir = g_path_get_dirname (socket);
  g_autofree char *spool_dir = g_path_get_dirname (spool);
  g_autofree char *shipped = g_build_filename (ph_test_srcdir (), "conf", "printhook.conf", NULL);
  g_autoptr (GKeyFile) conf = g_key_file_new ();
  g_autofree char *hooks_dir = NULL;
  g_auto (GStrv) runtime = unit_words (text, "RuntimeDirectory");
  g_auto (GStrv) state = unit_words (text, "StateDirectory");

  ck_assert (g_str_has_prefix (socket_dir, "/run/"));
  ck_assert (g_str_has_prefix (spool_dir, "/var/lib/"));
  ck_assert (g_key_file_load_from_file (conf, shipped, G_KEY_FILE_NONE, NULL));
  hooks_dir = g_key_file_get_string (conf, "console", "hooks_dir", NULL);
  ck_assert_msg (hooks_dir != NULL, "the shipped printhook.conf sets no [console] hooks_dir");
  ck_assert (g_str_has_prefix (hooks_dir, "/var/lib/"));
  ck_assert (g_strv_contains ((const char *const *) runtime, socket_dir + strlen ("/run/")));
  ck_assert (g_strv_contains ((const char *const *) state, spool_dir + strlen ("/var/lib/")));
  ck_assert (g_strv_contains ((const char *const *) state, hooks_dir + strlen ("/var/lib/")));
  ck_assert_uint_eq (g_strv_length (state), 2);
  ck_assert_ptr_null (strstr (text, "ReadWritePaths="));
}
END_TEST

static Suite *
unit_suite (void)
{
  Suite *s = suite_create ("unit-file");
  TCase *tc = tcase_create ("unit-file");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_systemd_analyze_verify_accepts_the_unit);
  tcase_add_test (tc, test_unit_documentation_names_the_shipped_pages);
  tcase_add_test (tc, test_unit_runs_the_daemon_hardened_as_printhook);
  tcase_add_test (tc, test_unit_directories_hold_the_socket_the_spool_and_the_edited_hooks);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (unit_suite ());
}
