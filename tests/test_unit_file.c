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

/* ProtectSystem=strict leaves the daemon only the directories systemd
 * makes for it: the defaults of control_socket and spool must be in them. */
START_TEST (test_unit_directories_hold_the_socket_and_the_spool)
{
  g_autofree char *text = unit_text ();
  const char *socket = ph_find_key (ph_daemon_keys (), "control_socket")->default_value;
  const char *spool = ph_find_key (ph_daemon_keys (), "spool")->default_value;
  g_autofree char *socket_dir = g_path_get_dirname (socket);
  g_autofree char *spool_dir = g_path_get_dirname (spool);

  ck_assert (g_str_has_prefix (socket_dir, "/run/"));
  ck_assert (g_str_has_prefix (spool_dir, "/var/lib/"));
  {
    g_autofree char *runtime = g_strdup_printf ("\nRuntimeDirectory=%s\n", socket_dir + strlen ("/run/"));
    g_autofree char *state = g_strdup_printf ("\nStateDirectory=%s\n", spool_dir + strlen ("/var/lib/"));

    assert_contains (text, runtime);
    assert_contains (text, state);
  }
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
  tcase_add_test (tc, test_unit_directories_hold_the_socket_and_the_spool);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (unit_suite ());
}
