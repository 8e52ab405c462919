#include "autoconfig.h"
#include "faulty.h"
#include "harness.h"
#include "text/json_text.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#define PYTHON "/usr/bin/python3"
#define START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_US (2 * G_USEC_PER_SEC)
#define ORDER_TIMEOUT_MS 10000L
#define POLL_MS 10

struct ph_faulty {
  GPid pid;
  gboolean reaped;
  char *dir;           /* from ph_test_tmpdir: removed at exit even if a test dies */
  char *port_file;
  char *record_file;
  guint16 port;
  guint16 control_port;
};

/* Whether the server has exited; reaps it if so, so that a later waitpid
 * never touches a recycled pid. */
static gboolean
exited (ph_faulty *f, int *wait_status)
{
  int status = 0;

  if (f->reaped)
    return TRUE;
  if (waitpid (f->pid, &status, WNOHANG) != f->pid)
    return FALSE;
  f->reaped = TRUE;
  if (wait_status != NULL)
    *wait_status = status;
  return TRUE;
}

void
ph_faulty_stop (ph_faulty *f)
{
  if (f == NULL)
    return;
  if (!f->reaped)
    {
      /* SIGTERM lets it close its record file; SIGKILL if it hangs. */
      gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;

      kill (f->pid, SIGTERM);
      while (!exited (f, NULL) && g_get_monotonic_time () < deadline)
        g_usleep (POLL_MS * 1000);
      if (!f->reaped)
        {
          kill (f->pid, SIGKILL);
          while (waitpid (f->pid, NULL, 0) < 0 && errno == EINTR)
            ;
          f->reaped = TRUE;
        }
    }
  g_spawn_close_pid (f->pid);
  g_free (f->dir);
  g_free (f->port_file);
  g_free (f->record_file);
  g_free (f);
}

/* Reads {"port": P, "control_port": C} once the server has written it. */
static gboolean
read_ports (ph_faulty *f)
{
  g_autofree char *text = NULL;
  g_autoptr (json_object) ports = NULL;
  json_object *port = NULL, *control = NULL;

  if (!g_file_get_contents (f->port_file, &text, NULL, NULL))
    return FALSE;
  ports = json_tokener_parse (text);
  if (ports == NULL || !json_object_object_get_ex (ports, "port", &port)
      || !json_object_object_get_ex (ports, "control_port", &control))
    return FALSE;
  f->port = (guint16) json_object_get_int (port);
  f->control_port = (guint16) json_object_get_int (control);
  return f->port != 0 && f->control_port != 0;
}

ph_faulty *
ph_faulty_start (void)
{
  ph_faulty *f = g_new0 (ph_faulty, 1);
  g_autofree char *script = g_build_filename (ph_test_srcdir (), "tests", "servers", "faulty.py",
                                              NULL);
  g_autoptr (GError) error = NULL;
  gint64 deadline;
  int wait_status = 0;

  f->dir = ph_test_tmpdir ();
  f->port_file = g_build_filename (f->dir, "ports.json", NULL);
  f->record_file = g_build_filename (f->dir, "records.jsonl", NULL);
  {
    /* -I: the standard library only; no PYTHONPATH or user site-packages
     * can change what it runs. */
    const char *argv[] = { PYTHON, "-I", script, "--port-file", f->port_file,
                           "--record", f->record_file, NULL };

    if (!g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                        &f->pid, &error))
      ck_abort_msg ("cannot run %s %s: %s", PYTHON, script, error->message);
  }
  deadline = g_get_monotonic_time () + START_TIMEOUT_US;
  while (!read_ports (f))
    {
      if (exited (f, &wait_status))
        {
          ph_faulty_stop (f);
          ck_abort_msg ("faulty.py exited before listening (wait status %d)", wait_status);
        }
      if (g_get_monotonic_time () >= deadline)
        {
          ph_faulty_stop (f);
          ck_abort_msg ("faulty.py did not listen within 10 s");
        }
      g_usleep (POLL_MS * 1000);
    }
  return f;
}

guint16
ph_faulty_port (ph_faulty *f)
{
  return f->port;
}

char *
ph_faulty_url (ph_faulty *f, const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", (guint) f->port, path);
}

static size_t
append_data (char *data, size_t size, size_t nmemb, void *user_data)
{
  g_string_append_len (user_data, data, size * nmemb);
  return size * nmemb;
}

long
ph_faulty_order (ph_faulty *f, const char *method, const char *path, const char *body,
                 json_object **answer)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", (guint) f->control_port, path);
  g_autoptr (GString) reply = g_string_new (NULL);
  CURL *curl = curl_easy_init ();
  CURLcode code;
  long status = 0;

  ck_assert_ptr_nonnull (curl);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, ORDER_TIMEOUT_MS);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  if (body != NULL)
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, append_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, reply);
  code = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  ck_assert_msg (code == CURLE_OK, "faulty.py control %s %s: %s", method, path,
                 curl_easy_strerror (code));
  if (answer != NULL)
    {
      *answer = json_tokener_parse (reply->str);
      ck_assert_msg (*answer != NULL, "faulty.py control answer is not JSON: %s", reply->str);
    }
  return status;
}

/* An order that must be obeyed. */
static void
order (ph_faulty *f, const char *path, const char *body)
{
  g_autoptr (json_object) answer = NULL;
  long status = ph_faulty_order (f, "POST", path, body, &answer);

  ck_assert_msg (status == 200, "faulty.py refused POST %s %s: %s", path, body ? body : "",
                 json_object_to_json_string (answer));
}

void
ph_faulty_script (ph_faulty *f, const char *steps)
{
  order (f, "/script", steps);
}

void
ph_faulty_default (ph_faulty *f, const char *step)
{
  order (f, "/default", step);
}

void
ph_faulty_down (ph_faulty *f, double seconds)
{
  g_autofree char *body = NULL;

  if (seconds > 0)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];
      body = g_strdup_printf ("{\"seconds\": %s}", g_ascii_dtostr (number, sizeof number, seconds));
    }
  order (f, "/down", body != NULL ? body : "{}");
}

void
ph_faulty_up (ph_faulty *f)
{
  order (f, "/up", "{}");
}

/* The complete lines of the record file, each a JSON object.  A line
 * still being written has no newline yet and waits for the next read. */
json_object *
ph_faulty_records (ph_faulty *f)
{
  json_object *records = json_object_new_array ();
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *line, *end, *newline;

  if (!g_file_get_contents (f->record_file, &contents, &length, NULL))
    return records;
  line = contents;
  end = contents + length;
  while (line < end && (newline = memchr (line, '\n', end - line)) != NULL)
    {
      json_tokener *tok = json_tokener_new ();
      json_object *record = json_tokener_parse_ex (tok, line, newline - line);
      enum json_tokener_error jerr = json_tokener_get_error (tok);

      json_tokener_free (tok);
      if (record == NULL || jerr != json_tokener_success)
        {
          json_object_put (record);
          json_object_put (records);
          ck_abort_msg ("%s: a record is not JSON: %s", f->record_file,
                        json_tokener_error_desc (jerr));
        }
      json_object_array_add (records, record);
      line = newline + 1;
    }
  return records;
}

static gboolean
keep_waking (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

json_object *
ph_faulty_wait (ph_faulty *f, guint n, guint timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *tick = g_timeout_source_new (POLL_MS);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int wait_status = 0;

  /* The tick bounds each blocking iteration, so the file is polled even
   * when nothing else in the context is ready. */
  g_source_set_callback (tick, keep_waking, NULL, NULL);
  g_source_attach (tick, context);
  for (;;)
    {
      json_object *records = ph_faulty_records (f);
      guint count = json_object_array_length (records);

      if (count >= n)
        {
          g_source_destroy (tick);
          g_source_unref (tick);
          g_main_context_unref (context);
          return records;
        }
      json_object_put (records);
      if (g_get_monotonic_time () >= deadline || exited (f, &wait_status))
        {
          g_source_destroy (tick);
          g_source_unref (tick);
          g_main_context_unref (context);
          if (f->reaped)
            ck_abort_msg ("faulty.py died (wait status %d) after %u of %u requests", wait_status,
                          count, n);
          ck_abort_msg ("faulty.py got %u of %u requests within %u ms", count, n, timeout_ms);
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
}
