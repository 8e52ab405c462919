#include "autoconfig.h"
#include "fake_server.h"
#include "json_records.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "text/json_text.h"

#define PYTHON "/usr/bin/python3"
#define POLL_MS 10

struct ph_fake_server {
  char *script;              /* its file name, for messages */
  GPid pid;
  gboolean reaped;
  char *port_file;
  char *record_file;
  guint16 port;
};

static gboolean
exited (ph_fake_server *f)
{
  if (!f->reaped && waitpid (f->pid, NULL, WNOHANG) == f->pid)
    f->reaped = TRUE;
  return f->reaped;
}

void
ph_fake_server_stop (ph_fake_server *f)
{
  gint64 deadline;

  if (f == NULL)
    return;
  if (!f->reaped)
    {
      kill (f->pid, SIGTERM);
      kill (f->pid, SIGCONT);   /* in case a test stopped it */
      deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
      while (!exited (f) && g_get_monotonic_time () < deadline)
        g_usleep (POLL_MS * 1000);
      if (!f->reaped)
        {
          kill (f->pid, SIGKILL);
          while (waitpid (f->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        }
    }
  g_spawn_close_pid (f->pid);
  g_free (f->script);
  g_free (f->port_file);
  g_free (f->record_file);
  g_free (f);
}

ph_fake_server *
ph_fake_server_start (const char *name, const char *scenario, const char *const *extra_args)
{
  ph_fake_server *f = g_new0 (ph_fake_server, 1);
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *script = g_build_filename (ph_test_srcdir (), "tests", "servers", name, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *step_ms = NULL;
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  f->script = g_strdup (name);
  f->port_file = g_build_filename (dir, "port", NULL);
  f->record_file = g_build_filename (dir, "records.jsonl", NULL);
  /* -I: Debian's tornado only, whatever PYTHONPATH says. */
  g_ptr_array_add (argv, (char *) PYTHON);
  g_ptr_array_add (argv, (char *) "-I");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (char *) "--port-file");
  g_ptr_array_add (argv, f->port_file);
  g_ptr_array_add (argv, (char *) "--record");
  g_ptr_array_add (argv, f->record_file);
  g_ptr_array_add (argv, (char *) "--scenario");
  g_ptr_array_add (argv, (char *) scenario);
  /* Under valgrind or emulation the daemon is many times slower: so is
   * the scenario, so that deliveries of steps in a row still arrive in
   * order. */
  if (ph_test_slowness () > 1)
    {
      g_ptr_array_add (argv, (char *) "--step-ms");
      g_ptr_array_add (argv, step_ms = g_strdup_printf ("%u", 40 * ph_test_slowness ()));
    }
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                      &f->pid, &error))
    ck_abort_msg ("cannot run %s: %s", script, error->message);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *contents = NULL;
      guint64 port = 0;

      if (g_file_get_contents (f->port_file, &contents, NULL, NULL)
          && g_ascii_string_to_unsigned (g_strstrip (contents), 10, 1, G_MAXUINT16, &port, NULL))
        {
          f->port = port;
          return f;
        }
      if (exited (f) || g_get_monotonic_time () >= deadline)
        {
          ph_fake_server_stop (f);
          ck_abort_msg ("%s did not start listening", name);
        }
      g_usleep (POLL_MS * 1000);
    }
}

void
ph_fake_server_signal (ph_fake_server *f, int sig)
{
  ck_assert_msg (!exited (f), "%s is not running", f->script);
  kill (f->pid, sig);
}

char *
ph_fake_server_url (ph_fake_server *f)
{
  return g_strdup_printf ("http://127.0.0.1:%u", (guint) f->port);
}

json_object *
ph_fake_server_records (ph_fake_server *f)
{
  return ph_json_records_read (f->record_file, f->script);
}

json_object *
ph_fake_server_records_of (ph_fake_server *f, const char *kind)
{
  g_autoptr (json_object) all = ph_fake_server_records (f);

  return ph_json_records_of (all, kind);
}

void
ph_fake_server_wait (ph_fake_server *f, const char *kind, guint n, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      json_object *some = ph_fake_server_records_of (f, kind);
      guint count = json_object_array_length (some);

      json_object_put (some);
      if (count >= n)
        return;
      if (g_get_monotonic_time () >= deadline)
        ck_abort_msg ("%s: %u of %u '%s' records within %u ms", f->script, count, n, kind,
                      timeout_ms);
      if (exited (f))
        ck_abort_msg ("%s died", f->script);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (POLL_MS * 1000);
    }
}
