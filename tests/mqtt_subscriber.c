#include "autoconfig.h"
#include "mqtt_subscriber.h"
#include "json_records.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "daemon_process.h"
#include "harness.h"
#include "text/json_text.h"

#define PYTHON "/usr/bin/python3"
#define SCRIPT "mqtt_subscriber.py"
#define POLL_MS 10
#define START_TIMEOUT_MS 10000
#define STOP_GRACE_MS 5000

struct ph_mqtt_subscriber {
  GPid pid;
  char *records;   /* its records, one JSON object a line */
  char *output;    /* its stdout and stderr: paho's complaints, a traceback */
};

static char *
read_or_empty (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

json_object *
ph_mqtt_subscriber_records (ph_mqtt_subscriber *s)
{
  return ph_json_records_read (s->records, SCRIPT);
}

json_object *
ph_mqtt_subscriber_records_of (ph_mqtt_subscriber *s, const char *kind)
{
  g_autoptr (json_object) all = ph_mqtt_subscriber_records (s);

  return ph_json_records_of (all, kind);
}

json_object *
ph_mqtt_subscriber_messages (ph_mqtt_subscriber *s)
{
  return ph_mqtt_subscriber_records_of (s, "message");
}

/* What a wait found in the records: how many of the kind it waits for,
 * and why waiting on is pointless (transfer none), or NULL. */
static guint
scan_records (ph_mqtt_subscriber *s, const char *kind, const char **hopeless)
{
  g_autoptr (json_object) records = ph_mqtt_subscriber_records (s);
  guint count = 0;

  *hopeless = NULL;
  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      json_object *record = json_object_array_get_idx (records, i);
      const char *its_kind = json_object_get_string (json_object_object_get (record, "kind"));

      if (g_strcmp0 (its_kind, kind) == 0)
        count++;
      if (g_strcmp0 (its_kind, "subscribe_failed") == 0)
        *hopeless = "the broker refused a subscription";
      /* It would retry for ever: a wrong password, or a broker that
       * came back with other settings. */
      if (g_strcmp0 (its_kind, "connected") == 0
          && json_object_get_int (json_object_object_get (record, "rc")) != 0)
        *hopeless = "the broker refused the connection";
    }
  return count;
}

/* Waits for n records of kind; fails the test, showing the records and
 * the script's output, after timeout_ms times the slowness, when the
 * script died, or when the broker refused it. */
static void
wait_records (ph_mqtt_subscriber *s, const char *kind, guint n, guint timeout_ms)
{
  guint scaled_ms = timeout_ms * ph_test_slowness ();
  gint64 deadline = g_get_monotonic_time () + (gint64) scaled_ms * 1000;

  for (;;)
    {
      const char *why = NULL;
      guint count = scan_records (s, kind, &why);

      if (count >= n)
        return;
      if (why == NULL && ph_mqtt_child_exited (s->pid, NULL))
        why = SCRIPT " exited";
      if (why == NULL && g_get_monotonic_time () >= deadline)
        why = "timed out";
      if (why != NULL)
        {
          g_autofree char *records = read_or_empty (s->records);
          g_autofree char *output = read_or_empty (s->output);

          ck_abort_msg (SCRIPT ": %u of %u '%s' records within %u ms (%s); the end of its "
                        "records:\n%s\nof its output:\n%s", count, n, kind, scaled_ms, why,
                        ph_mqtt_tail (records, PH_MQTT_SHOWN * 2 / 3),
                        ph_mqtt_tail (output, PH_MQTT_SHOWN / 3));
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (POLL_MS * 1000);
    }
}

void
ph_mqtt_subscriber_wait (ph_mqtt_subscriber *s, guint n, guint timeout_ms)
{
  wait_records (s, "message", n, timeout_ms);
}

void
ph_mqtt_subscriber_wait_subscribed (ph_mqtt_subscriber *s, guint n, guint timeout_ms)
{
  wait_records (s, "subscribed", n, timeout_ms);
}

ph_mqtt_subscriber *
ph_mqtt_subscriber_start (ph_broker *b, const char *const *args)
{
  ph_mqtt_subscriber *s = g_new0 (ph_mqtt_subscriber, 1);
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *script = g_build_filename (ph_test_srcdir (), "tests", "servers", SCRIPT,
                                              NULL);
  g_autofree char *port = g_strdup_printf ("%u", (guint) ph_broker_port (b));
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int out_fd;

  s->records = g_build_filename (dir, "records.jsonl", NULL);
  s->output = g_build_filename (dir, "output.txt", NULL);
  /* -I: Debian's paho only, whatever PYTHONPATH says. */
  g_ptr_array_add (argv, (char *) PYTHON);
  g_ptr_array_add (argv, (char *) "-I");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, port);
  g_ptr_array_add (argv, (char *) "--records");
  g_ptr_array_add (argv, s->records);
  /* The broker's own needs first: a later option of args replaces one. */
  if (ph_broker_get_flags (b) & PH_BROKER_TLS)
    {
      g_ptr_array_add (argv, (char *) "--tls-ca");
      g_ptr_array_add (argv, (char *) ph_broker_ca_file (b));
    }
  if (ph_broker_get_flags (b) & PH_BROKER_PASSWORD)
    {
      g_ptr_array_add (argv, (char *) "--username");
      g_ptr_array_add (argv, (char *) PH_BROKER_USER);
      g_ptr_array_add (argv, (char *) "--password");
      g_ptr_array_add (argv, (char *) PH_BROKER_PASSWORD_TEXT);
    }
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  out_fd = g_open (s->output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_msg (out_fd >= 0, "cannot create %s: %s", s->output, g_strerror (errno));
  s->pid = ph_mqtt_child_spawn ((const char *const *) argv->pdata, out_fd);
  close (out_fd);
  wait_records (s, "subscribed", 1, START_TIMEOUT_MS);
  return s;
}

void
ph_mqtt_subscriber_stop (ph_mqtt_subscriber *s)
{
  if (s == NULL)
    return;
  ph_mqtt_child_end (s->pid, SIGTERM, STOP_GRACE_MS);
  g_free (s->records);
  g_free (s->output);
  g_free (s);
}
