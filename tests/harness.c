#include "autoconfig.h"
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <glib/gstdio.h>

static GPtrArray *tmpdirs;

void
ph_test_die_with_parent (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* The parent may have died before prctl. */
  if (getppid () != (pid_t) GPOINTER_TO_INT (user_data))
    _exit (127);
#else
  (void) user_data;
#endif
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

static void
remove_tmpdirs (void)
{
  if (tmpdirs == NULL)
    return;
  for (guint i = 0; i < tmpdirs->len; i++)
    remove_tree (g_ptr_array_index (tmpdirs, i));
  g_clear_pointer (&tmpdirs, g_ptr_array_unref);
}

void
ph_test_init (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  /* A test that spawns a child must not die of SIGPIPE when it exits early. */
  signal (SIGPIPE, SIG_IGN);
  atexit (remove_tmpdirs);
}

int
ph_test_run (Suite *suite)
{
  SRunner *runner = srunner_create (suite);
  int failed;

  srunner_run_all (runner, CK_NORMAL);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const char *
env_or (const char *name, const char *fallback)
{
  const char *value = g_getenv (name);
  return value != NULL && *value != '\0' ? value : fallback;
}

guint
ph_test_slowness (void)
{
  const char *slow = g_getenv ("PH_TEST_SLOW");
  guint64 factor;

  if (slow != NULL && g_ascii_string_to_unsigned (slow, 10, 1, 1000, &factor, NULL))
    return (guint) factor;
  return g_getenv ("PH_TEST_VALGRIND") != NULL ? 10 : 1;
}

const char *
ph_test_srcdir (void)
{
  return env_or ("PH_TEST_SRCDIR", ".");
}

const char *
ph_test_builddir (void)
{
  return env_or ("PH_TEST_BUILDDIR", ".");
}

const char *
ph_test_binary (void)
{
  return env_or ("PH_TEST_BINARY", "./printhook");
}

typedef struct {
  GMainLoop *loop;
  gboolean exited;
  gboolean timed_out;
  int wait_status;
} child_wait;

static void
on_child_exit (GPid pid, int wait_status, gpointer user_data)
{
  child_wait *w = user_data;

  w->exited = TRUE;
  w->wait_status = wait_status;
  g_spawn_close_pid (pid);
  g_main_loop_quit (w->loop);
}

static gboolean
on_child_timeout (gpointer user_data)
{
  child_wait *w = user_data;

  w->timed_out = TRUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static char *
read_all (int fd)
{
  GString *text = g_string_new (NULL);
  char buf[4096];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (text, buf, n);
  close (fd);
  return g_string_free (text, FALSE);
}

ph_run_result *
ph_run_printhook (const char *const *argv, const char *const *env, guint timeout_s)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *err_path = NULL;
  g_autofree char *valgrind = NULL;
  ph_run_result *r = g_new0 (ph_run_result, 1);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GMainLoop) loop = NULL;
  child_wait w = { 0 };
  GSource *child_source, *timeout_source;
  GPid pid;
  int out_fd, err_fd;

  /* make check-valgrind runs the binary under valgrind too: a memory error
   * or a definite leak in printhook then exits 99, which no test expects. */
  if (g_getenv ("PH_TEST_VALGRIND") != NULL)
    {
      valgrind = g_find_program_in_path ("valgrind");
      ck_assert_msg (valgrind != NULL, "PH_TEST_VALGRIND is set but valgrind is not installed");
      g_ptr_array_add (args, valgrind);
      g_ptr_array_add (args, (char *) "--quiet");
      g_ptr_array_add (args, (char *) "--leak-check=full");
      g_ptr_array_add (args, (char *) "--errors-for-leak-kinds=definite");
      g_ptr_array_add (args, (char *) "--show-leak-kinds=definite");
      g_ptr_array_add (args, (char *) "--error-exitcode=99");
      g_ptr_array_add (args, (char *) "--suppressions=/usr/share/glib-2.0/valgrind/glib.supp");
    }
  timeout_s *= ph_test_slowness ();
  g_ptr_array_add (args, (char *) ph_test_binary ());
  for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
    g_ptr_array_add (args, (char *) argv[i]);
  g_ptr_array_add (args, NULL);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (env[i], strcspn (env[i], "="));
      envp = g_environ_setenv (envp, name, env[i] + strlen (name) + 1, TRUE);
    }

  /* Output goes to files, not pipes, so a chatty child never blocks on a
   * full pipe while we wait for it. */
  out_fd = g_file_open_tmp ("ph-out-XXXXXX", &out_path, &error);
  ck_assert_msg (out_fd >= 0, "tmp file: %s", error ? error->message : "?");
  err_fd = g_file_open_tmp ("ph-err-XXXXXX", &err_path, &error);
  ck_assert_msg (err_fd >= 0, "tmp file: %s", error ? error->message : "?");

  g_main_context_push_thread_default (context);
  if (!g_spawn_async_with_fds (NULL, (char **) args->pdata, envp,
                               G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                               -1, out_fd, err_fd, &error))
    ck_abort_msg ("cannot run %s: %s", ph_test_binary (), error->message);
  close (out_fd);
  close (err_fd);

  loop = g_main_loop_new (context, FALSE);
  w.loop = loop;
  child_source = g_child_watch_source_new (pid);
  g_source_set_callback (child_source, (GSourceFunc) (void (*) (void)) on_child_exit, &w, NULL);
  g_source_attach (child_source, context);
  timeout_source = g_timeout_source_new_seconds (timeout_s);
  g_source_set_callback (timeout_source, on_child_timeout, &w, NULL);
  g_source_attach (timeout_source, context);
  g_main_loop_run (loop);
  if (w.timed_out)
    {
      kill (pid, SIGKILL);
      while (!w.exited)
        g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (child_source);
  g_source_unref (child_source);
  g_source_destroy (timeout_source);
  g_source_unref (timeout_source);
  g_main_context_pop_thread_default (context);

  r->out = read_all (g_open (out_path, O_RDONLY, 0));
  r->err = read_all (g_open (err_path, O_RDONLY, 0));
  g_unlink (out_path);
  g_unlink (err_path);
  ck_assert_msg (!w.timed_out, "printhook did not exit within %u s; stderr:\n%s", timeout_s, r->err);
  if (WIFEXITED (w.wait_status))
    r->exit_status = WEXITSTATUS (w.wait_status);
  else
    r->exit_status = 128 + WTERMSIG (w.wait_status);
  return r;
}

void
ph_run_result_free (ph_run_result *r)
{
  if (r == NULL)
    return;
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

char *
ph_test_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("printhook-test-XXXXXX", &error);

  ck_assert_msg (dir != NULL, "tmpdir: %s", error ? error->message : "?");
  if (tmpdirs == NULL)
    tmpdirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (tmpdirs, g_strdup (dir));
  return dir;
}

char *
ph_test_write_file (const char *name, const char *text)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  ck_assert_msg (g_file_set_contents (path, text, -1, &error), "write %s: %s", path,
                 error ? error->message : "?");
  return path;
}
