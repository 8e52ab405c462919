#include "autoconfig.h"
#include "script_server.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_US (2 * G_USEC_PER_SEC)
#define POLL_US (10 * 1000)

struct ph_script_server {
  char *script;
  GPid pid;
  gboolean reaped;
  char *port_file;     /* in a ph_test_tmpdir, removed at exit */
  char *record_file;
  guint16 port;
};

static gboolean
server_exited (ph_script_server *s)
{
  if (!s->reaped && waitpid (s->pid, NULL, WNOHANG) == s->pid)
    s->reaped = TRUE;
  return s->reaped;
}

void
ph_script_server_stop (ph_script_server *s)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;

  if (s == NULL)
    return;
  if (!server_exited (s))
    {
      kill (s->pid, SIGTERM);
      while (!server_exited (s) && g_get_monotonic_time () < deadline)
        g_usleep (POLL_US);
      if (!s->reaped)
        {
          kill (s->pid, SIGKILL);
          while (waitpid (s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        }
    }
  g_spawn_close_pid (s->pid);
  g_free (s->script);
  g_free (s->port_file);
  g_free (s->record_file);
  g_free (s);
}

ph_script_server *
ph_script_server_start (const char *script, const char *const *extra_args)
{
  ph_script_server *s = g_new0 (ph_script_server, 1);
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *path = g_build_filename (ph_test_srcdir (), "tests", "servers", script, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  s->script = g_strdup (script);
  s->port_file = g_build_filename (dir, "port", NULL);
  s->record_file = g_build_filename (dir, "records.jsonl", NULL);
  g_ptr_array_add (argv, (char *) PYTHON);
  g_ptr_array_add (argv, (char *) "-I");
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, (char *) "--port-file");
  g_ptr_array_add (argv, s->port_file);
  g_ptr_array_add (argv, (char *) "--record");
  g_ptr_array_add (argv, s->record_file);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                      &s->pid, &error))
    ck_abort_msg ("cannot run %s: %s", path, error->message);

  /* The port file appears, whole (by rename), once the server listens. */
  deadline = g_get_monotonic_time () + START_TIMEOUT_US;
  for (;;)
    {
      g_autofree char *contents = NULL;
      guint64 port = 0;

      if (g_file_get_contents (s->port_file, &contents, NULL, NULL)
          && g_ascii_string_to_unsigned (g_strstrip (contents), 10, 1, G_MAXUINT16, &port, NULL))
        {
          s->port = port;
          return s;
        }
      if (server_exited (s) || g_get_monotonic_time () >= deadline)
        {
          ph_script_server_stop (s);
          ck_abort_msg ("%s did not start listening", path);
        }
      g_usleep (POLL_US);
    }
}

guint16
ph_script_server_port (const ph_script_server *s)
{
  return s->port;
}

char *
ph_script_server_url (ph_script_server *s, const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", (guint) s->port, path);
}

json_object *
ph_script_server_records (ph_script_server *s)
{
  json_object *records = json_object_new_array ();
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (s->record_file, &contents, NULL, NULL))
    return records;
  lines = g_strsplit (contents, "\n", -1);
  /* The last piece is empty, or a line still being written. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      json_object *record = json_tokener_parse (lines[i]);

      ck_assert_msg (record != NULL, "%s: record %u is not JSON: %s", s->script, i + 1, lines[i]);
      json_object_array_add (records, record);
    }
  return records;
}

json_object *
ph_script_server_records_at (ph_script_server *s, const char *path)
{
  json_object *all = ph_script_server_records (s);
  json_object *selected = json_object_new_array ();

  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *record = json_object_array_get_idx (all, i);

      if (g_strcmp0 (json_object_get_string (json_object_object_get (record, "path")), path) == 0)
        json_object_array_add (selected, json_object_get (record));
    }
  json_object_put (all);
  return selected;
}
