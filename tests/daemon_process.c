#include "autoconfig.h"
#include "daemon_process.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "harness.h"

#define POLL_MS 10
#define RUNNING "printhook: info: running with "

struct ph_daemon_process {
  GPid pid;
  gboolean exited;
  int wait_status;
  char *log_path;
};

static gboolean
reap (ph_daemon_process *d, gboolean block)
{
  int status;
  pid_t pid;

  if (d->exited)
    return TRUE;
  do
    pid = waitpid (d->pid, &status, block ? 0 : WNOHANG);
  while (pid < 0 && errno == EINTR);
  if (pid != d->pid)
    return FALSE;
  d->exited = TRUE;
  d->wait_status = status;
  return TRUE;
}

/* Every daemon a test runs has a spool of its own: the default is the
 * system's, and a spool shared by two tests would resend one test's
 * deliveries in the other. */
static void
assert_own_spool (const char *config)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *spool = NULL;

  if (!g_key_file_load_from_file (keyfile, config, G_KEY_FILE_NONE, NULL))
    return;
  spool = g_key_file_get_string (keyfile, "printhook", "spool", NULL);
  ck_assert_msg (spool != NULL, "%s: a test's daemon needs a spool key in [printhook]", config);
}

/* The console is on by default, at 127.0.0.1:7130 with its token in
 * /var/lib/printhook: a test's daemon must not take that port (tests run
 * side by side) nor that file, at start or at any reload.  A config
 * without [console] gets "enabled = false" (ph_test_config_text adds it
 * to every config a test writes); a test of the console sets its own free
 * port and token_file, and one that forgot token_file fails here rather
 * than leave a token in /var/lib/printhook. */
char *
ph_test_config_text (const char *text)
{
  if (strstr (text, "[console]") != NULL)
    return g_strdup (text);
  return g_strconcat (text, "\n[console]\nenabled = false\n", NULL);
}

static void
keep_console_private (const char *config)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *text = NULL;
  g_autofree char *appended = NULL;
  g_autofree char *token_file = NULL;
  GStatBuf st;

  if (!g_key_file_load_from_file (keyfile, config, G_KEY_FILE_NONE, NULL)
      || !g_file_get_contents (config, &text, NULL, NULL) || g_stat (config, &st) != 0)
    return;
  if (g_key_file_has_group (keyfile, "console"))
    {
      g_autoptr (GError) error = NULL;
      gboolean enabled = g_key_file_get_boolean (keyfile, "console", "enabled", &error);

      token_file = g_key_file_get_string (keyfile, "console", "token_file", NULL);
      ck_assert_msg (token_file != NULL || (error == NULL && !enabled),
                     "%s: a test's [console] needs a token_file of its own, or enabled = false",
                     config);
      return;
    }
  appended = ph_test_config_text (text);
  /* The file's mode stays: a world-readable file of secrets is warned about. */
  ck_assert (g_file_set_contents_full (config, appended, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                       (int) (st.st_mode & 0777), NULL));
}

/* How the daemon gets read_only_dir read-only, whoever runs the tests:
 * root writes anywhere, so as root the daemon runs in a mount namespace of
 * its own (unshare(1)) where the directory is bound read-only; anyone else
 * gets its write permissions taken away (a daemon running as them cannot
 * write there either). */
static void
read_only_prefix (GPtrArray *args, const char *read_only_dir)
{
  if (geteuid () != 0)
    {
      g_autoptr (GDir) dir = g_dir_open (read_only_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (read_only_dir, name, NULL);

          g_chmod (path, g_file_test (path, G_FILE_TEST_IS_DIR) ? 0555 : 0444);
        }
      ck_assert_int_eq (g_chmod (read_only_dir, 0555), 0);
      return;
    }
  {
    g_autofree char *unshare = g_find_program_in_path ("unshare");

    ck_assert_msg (unshare != NULL, "unshare(1) is missing (util-linux)");
  }
  g_ptr_array_add (args, (char *) "unshare");
  g_ptr_array_add (args, (char *) "--mount");
  g_ptr_array_add (args, (char *) "--propagation");
  g_ptr_array_add (args, (char *) "private");
  g_ptr_array_add (args, (char *) "sh");
  g_ptr_array_add (args, (char *) "-c");
  /* exec: the pid the test holds is the daemon's. */
  g_ptr_array_add (args, (char *) "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" "
                                  "&& shift && exec \"$@\"");
  g_ptr_array_add (args, (char *) "sh");
  g_ptr_array_add (args, (char *) read_only_dir);
}

static ph_daemon_process *
spawn (const char *config, const char *const *env, const char *read_only_dir)
{
  ph_daemon_process *d;
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  int log_fd;

  assert_own_spool (config);
  keep_console_private (config);
  d = g_new0 (ph_daemon_process, 1);
  dir = ph_test_tmpdir ();
  d->log_path = g_build_filename (dir, "daemon.log", NULL);
  log_fd = g_open (d->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_msg (log_fd >= 0, "cannot create %s", d->log_path);
  if (read_only_dir != NULL)
    read_only_prefix (args, read_only_dir);
  /* As tests/harness.c runs printhook under make check-valgrind. */
  if (g_getenv ("PH_TEST_VALGRIND") != NULL)
    {
      g_ptr_array_add (args, (char *) "valgrind");
      g_ptr_array_add (args, (char *) "--quiet");
      g_ptr_array_add (args, (char *) "--leak-check=full");
      g_ptr_array_add (args, (char *) "--errors-for-leak-kinds=definite");
      g_ptr_array_add (args, (char *) "--show-leak-kinds=definite");
      g_ptr_array_add (args, (char *) "--error-exitcode=99");
      g_ptr_array_add (args, (char *) "--suppressions=/usr/share/glib-2.0/valgrind/glib.supp");
    }
  g_ptr_array_add (args, (char *) ph_test_binary ());
  g_ptr_array_add (args, (char *) "run");
  g_ptr_array_add (args, (char *) "-c");
  g_ptr_array_add (args, (char *) config);
  g_ptr_array_add (args, (char *) "-v");
  g_ptr_array_add (args, NULL);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);

      ck_assert_msg (pair[0] != NULL && pair[1] != NULL, "not NAME=value: %s", env[i]);
      envp = g_environ_setenv (envp, pair[0], pair[1], TRUE);
    }
  if (!g_spawn_async_with_fds (NULL, (char **) args->pdata, envp,
                               G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                               ph_test_die_with_parent, GINT_TO_POINTER ((int) getpid ()),
                               &d->pid, -1, log_fd, log_fd, &error))
    ck_abort_msg ("cannot run %s: %s", ph_test_binary (), error->message);
  close (log_fd);
  return d;
}

char *
ph_daemon_process_log (ph_daemon_process *d)
{
  char *text = NULL;

  if (!g_file_get_contents (d->log_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

guint
ph_daemon_process_count_log (ph_daemon_process *d, const char *text)
{
  g_autofree char *log = ph_daemon_process_log (d);
  guint count = 0;

  for (const char *p = log; (p = strstr (p, text)) != NULL; p += strlen (text))
    count++;
  return count;
}

void
ph_daemon_process_wait_log (ph_daemon_process *d, const char *text, guint count,
                            guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) timeout_ms * 1000 * ph_test_slowness ();

  while (ph_daemon_process_count_log (d, text) < count)
    {
      if (reap (d, FALSE) || g_get_monotonic_time () >= deadline)
        {
          g_autofree char *log = ph_daemon_process_log (d);
          ck_abort_msg ("the daemon %s before logging '%s' %u times; its log:\n%s",
                        d->exited ? "exited" : "timed out", text, count, log);
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (POLL_MS * 1000);
    }
}

ph_daemon_process *
ph_daemon_process_start (const char *config)
{
  return ph_daemon_process_start_with_env (config, NULL);
}

ph_daemon_process *
ph_daemon_process_start_with_env (const char *config, const char *const *env)
{
  ph_daemon_process *d = spawn (config, env, NULL);

  ph_daemon_process_wait_log (d, RUNNING, 1, 10000);
  return d;
}

ph_daemon_process *
ph_daemon_process_start_read_only (const char *config, const char *read_only_dir)
{
  ph_daemon_process *d = spawn (config, NULL, read_only_dir);

  ph_daemon_process_wait_log (d, RUNNING, 1, 10000);
  return d;
}

/* Waits for the exit, first sending SIGTERM when term is TRUE. */
static int
wait_exit (ph_daemon_process *d, guint timeout_s, gboolean term)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) timeout_s * G_USEC_PER_SEC * ph_test_slowness ();

  if (term && !reap (d, FALSE))
    kill (d->pid, SIGTERM);
  while (!reap (d, FALSE))
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *log = ph_daemon_process_log (d);

          kill (d->pid, SIGKILL);
          reap (d, TRUE);
          ck_abort_msg ("the daemon did not exit within %u s%s; its log:\n%s", timeout_s,
                        term ? " of SIGTERM" : "", log);
        }
      g_usleep (POLL_MS * 1000);
    }
  if (WIFEXITED (d->wait_status))
    return WEXITSTATUS (d->wait_status);
  return 128 + WTERMSIG (d->wait_status);
}

int
ph_daemon_process_run_to_exit (const char *config, char **log)
{
  g_autoptr (ph_daemon_process) d = spawn (config, NULL, NULL);
  int status = wait_exit (d, 10, FALSE);

  *log = ph_daemon_process_log (d);
  return status;
}

GPid
ph_daemon_process_pid (const ph_daemon_process *d)
{
  return d->pid;
}

void
ph_daemon_process_signal (ph_daemon_process *d, int sig)
{
  ck_assert_msg (!reap (d, FALSE), "the daemon is not running");
  kill (d->pid, sig);
}

int
ph_daemon_process_stop (ph_daemon_process *d, guint timeout_s)
{
  return wait_exit (d, timeout_s, TRUE);
}

void
ph_daemon_process_free (ph_daemon_process *d)
{
  if (d == NULL)
    return;
  if (!reap (d, FALSE))
    {
      kill (d->pid, SIGKILL);
      reap (d, TRUE);
    }
  g_spawn_close_pid (d->pid);
  g_unlink (d->log_path);
  g_free (d->log_path);
  g_free (d);
}
