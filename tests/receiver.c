#include "autoconfig.h"
#include "receiver.h"
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#define PYTHON "/usr/bin/python3"
#define START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_US (2 * G_USEC_PER_SEC)
#define POLL_MS 10

struct ph_receiver {
  GPid pid;
  gboolean reaped;
  char *dir;          /* temporary directory of its own, removed on stop */
  char *port_file;
  char *record_file;
  gboolean tls;
  guint16 port;
};

/* Removes the receiver's own directory; it holds only plain files. */
static void
remove_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

/* Whether the server process has exited; reaps it if so, so that a later
 * waitpid never touches a recycled pid. */
static gboolean
receiver_exited (ph_receiver *r, int *wait_status)
{
  int status = 0;

  if (r->reaped)
    return TRUE;
  if (waitpid (r->pid, &status, WNOHANG) != r->pid)
    return FALSE;
  r->reaped = TRUE;
  if (wait_status != NULL)
    *wait_status = status;
  return TRUE;
}

static void
receiver_free (ph_receiver *r)
{
  if (!r->reaped)
    {
      /* SIGTERM lets it close its record file; SIGKILL if it hangs. */
      gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;

      kill (r->pid, SIGTERM);
      while (!receiver_exited (r, NULL) && g_get_monotonic_time () < deadline)
        g_usleep (POLL_MS * 1000);
      if (!r->reaped)
        {
          kill (r->pid, SIGKILL);
          while (waitpid (r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
          r->reaped = TRUE;
        }
    }
  g_spawn_close_pid (r->pid);
  remove_dir (r->dir);
  g_free (r->dir);
  g_free (r->port_file);
  g_free (r->record_file);
  g_free (r);
}

/* Starts the server in dir (transfer full: r owns it) with the arguments
 * tls_args and extra_args (both NULL-terminated, may be NULL). */
static ph_receiver *
receiver_start (char *dir, gboolean tls, const char *const *tls_args,
                const char *const *extra_args)
{
  ph_receiver *r = g_new0 (ph_receiver, 1);
  g_autofree char *script = g_build_filename (ph_test_srcdir (), "tests", "servers",
                                              "receiver.py", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gint64 deadline;
  int wait_status = 0;

  r->dir = dir;
  r->tls = tls;
  r->port_file = g_build_filename (dir, "port", NULL);
  r->record_file = g_build_filename (dir, "records.jsonl", NULL);

  /* -I: the receiver needs the standard library only, so no PYTHONPATH or
   * user site-packages can change what it runs. */
  g_ptr_array_add (argv, (char *) PYTHON);
  g_ptr_array_add (argv, (char *) "-I");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (char *) "--port-file");
  g_ptr_array_add (argv, r->port_file);
  g_ptr_array_add (argv, (char *) "--record");
  g_ptr_array_add (argv, r->record_file);
  for (guint i = 0; tls_args != NULL && tls_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) tls_args[i]);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  /* Its stdout and stderr are ours, so its complaints show in the test log. */
  if (!g_spawn_async (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                      NULL, NULL, &r->pid, &error))
    {
      remove_dir (r->dir);
      ck_abort_msg ("cannot run %s %s: %s", PYTHON, script, error->message);
    }

  /* The port file appears (by rename, so whole) once it listens. */
  deadline = g_get_monotonic_time () + START_TIMEOUT_US;
  for (;;)
    {
      g_autofree char *contents = NULL;
      guint64 port = 0;

      if (g_file_get_contents (r->port_file, &contents, NULL, NULL)
          && g_ascii_string_to_unsigned (g_strstrip (contents), 10, 1, G_MAXUINT16,
                                         &port, NULL))
        {
          r->port = port;
          return r;
        }
      if (receiver_exited (r, &wait_status))
        {
          receiver_free (r);
          ck_abort_msg ("receiver.py exited before listening (wait status %d)", wait_status);
        }
      if (g_get_monotonic_time () >= deadline)
        {
          receiver_free (r);
          ck_abort_msg ("receiver.py did not listen within 10 s");
        }
      g_usleep (POLL_MS * 1000);
    }
}

/* The harness removes this directory at exit too: a failed assertion ends
 * a forked test without running ph_receiver_stop (the server itself exits
 * when its parent is gone). */
static char *
receiver_make_dir (void)
{
  return ph_test_tmpdir ();
}

ph_receiver *
ph_receiver_start (const char *const *extra_args)
{
  return receiver_start (receiver_make_dir (), FALSE, NULL, extra_args);
}

/* Writes a self-signed certificate and its key into dir.  Self-signed
 * keeps the trust set to one file; the subjectAltName covers both names a
 * test may use. */
static void
make_certificate (const char *dir, const char *cert, const char *key)
{
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (dir, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err, &wait_status, &error)
      || !g_spawn_check_wait_status (wait_status, &error))
    {
      remove_dir (dir);
      ck_abort_msg ("openssl req: %s\n%s", error->message, err != NULL ? err : "");
    }
}

ph_receiver *
ph_receiver_start_tls (const char *const *extra_args, char **ca_file_out)
{
  char *dir = receiver_make_dir ();
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  const char *tls_args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
  ph_receiver *r;

  g_return_val_if_fail (ca_file_out != NULL, NULL);

  make_certificate (dir, cert, key);
  r = receiver_start (dir, TRUE, tls_args, extra_args);
  *ca_file_out = g_steal_pointer (&cert);
  return r;
}

guint16
ph_receiver_port (ph_receiver *r)
{
  return r->port;
}

char *
ph_receiver_url (ph_receiver *r, const char *path)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", r->tls ? "https" : "http",
                          (guint) r->port, path);
}

/* Parses the complete lines of the record file.  A line still being
 * written has no newline yet and is left for the next read. */
static json_object *
parse_records (const char *path, const char *contents, gsize length)
{
  json_object *records = json_object_new_array ();
  const char *line = contents;
  const char *end = contents + length;
  const char *newline;

  while (line < end && (newline = memchr (line, '\n', end - line)) != NULL)
    {
      /* Deeper than json-c's default of 32: the json view nests whatever
       * the sender sent, below four levels of record. */
      json_tokener *tok = json_tokener_new_ex (256);
      json_object *record = json_tokener_parse_ex (tok, line, newline - line);
      enum json_tokener_error jerr = json_tokener_get_error (tok);

      json_tokener_free (tok);
      if (record == NULL || jerr != json_tokener_success)
        {
          guint index = json_object_array_length (records) + 1;
          json_object_put (record);
          json_object_put (records);
          ck_abort_msg ("%s: record %u is not JSON: %s", path, index,
                        json_tokener_error_desc (jerr));
        }
      json_object_array_add (records, record);
      line = newline + 1;
    }
  return records;
}

static guint
count_lines (const char *contents, gsize length)
{
  guint n = 0;

  for (gsize i = 0; i < length; i++)
    if (contents[i] == '\n')
      n++;
  return n;
}

json_object *
ph_receiver_records (ph_receiver *r)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  /* Created by the server before it listens; absent only if it was removed. */
  if (!g_file_get_contents (r->record_file, &contents, &length, NULL))
    return json_object_new_array ();
  return parse_records (r->record_file, contents, length);
}

static gboolean
keep_waking (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

json_object *
ph_receiver_wait (ph_receiver *r, guint n, guint timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *tick = g_timeout_source_new (POLL_MS);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  goffset last_size = -1;
  guint count = 0;
  int wait_status = 0;

  /* The tick bounds each blocking iteration, so the file is polled even
   * when nothing else in the context is ready. */
  g_source_set_callback (tick, keep_waking, NULL, NULL);
  g_source_attach (tick, context);

  for (;;)
    {
      GStatBuf st;

      /* Records can be megabytes (base64 bodies): count lines, and only
       * when the file grew. */
      if (g_stat (r->record_file, &st) == 0 && st.st_size != last_size)
        {
          g_autofree char *contents = NULL;
          gsize length = 0;

          last_size = st.st_size;
          if (g_file_get_contents (r->record_file, &contents, &length, NULL))
            count = count_lines (contents, length);
        }
      if (count >= n)
        break;
      if (g_get_monotonic_time () >= deadline || receiver_exited (r, &wait_status))
        {
          g_source_destroy (tick);
          g_source_unref (tick);
          g_main_context_unref (context);
          if (r->reaped)
            ck_abort_msg ("receiver.py died (wait status %d) after %u of %u requests",
                          wait_status, count, n);
          ck_abort_msg ("receiver got %u of %u requests within %u ms", count, n, timeout_ms);
        }
      /* Another thread may be running this context; then just sleep. */
      if (g_main_context_acquire (context))
        {
          g_main_context_iteration (context, TRUE);
          g_main_context_release (context);
        }
      else
        g_usleep (POLL_MS * 1000);
    }

  g_source_destroy (tick);
  g_source_unref (tick);
  g_main_context_unref (context);
  return ph_receiver_records (r);
}

const char *
ph_record_header (json_object *record, const char *name)
{
  json_object *headers = NULL;

  if (!json_object_object_get_ex (record, "headers", &headers))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (headers); i++)
    {
      json_object *pair = json_object_array_get_idx (headers, i);
      const char *key = json_object_get_string (json_object_array_get_idx (pair, 0));

      if (key != NULL && g_ascii_strcasecmp (key, name) == 0)
        return json_object_get_string (json_object_array_get_idx (pair, 1));
    }
  return NULL;
}

GBytes *
ph_record_body (json_object *record)
{
  json_object *body = NULL;
  gsize length = 0;
  guchar *data;

  ck_assert_msg (json_object_object_get_ex (record, "body_b64", &body),
                 "record without body_b64");
  data = g_base64_decode (json_object_get_string (body), &length);
  return g_bytes_new_take (data, length);
}

void
ph_receiver_stop (ph_receiver *r)
{
  if (r == NULL)
    return;
  receiver_free (r);
}
