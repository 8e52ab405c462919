/* printhook run as users run it, fed through its control socket by
 * printhook emit and printhook simulate: what the receiver gets is exactly
 * the webhooks the configuration asks for, in order. */
#include "autoconfig.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "daemon_asserts.h"
#include "daemon_process.h"
#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"

/* Each hook says who it is, so interleaved deliveries can be told apart. */
#define DATA(name) \
  "data = {\"hook\": \"" name "\", \"topic\": \"@topic\", \"event\": \"@event\", " \
  "\"m\": \"@percentCompleteMilestone\", \"message\": \"@message\", \"file\": \"@job.file.name\", " \
  "\"dev\": \"@deviceIdentifier\", \"extra\": \"@extra\"}\n"

typedef struct {
  char *dir;
  char *config;
  char *socket;
} setup;

static void
setup_clear (setup *s)
{
  g_free (s->dir);
  g_free (s->config);
  g_free (s->socket);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (setup, setup_clear)

/* A printhook.conf in a fresh directory with its own control socket;
 * hooks: the [hook ...] groups. */
static void
write_config (setup *s, const char *hooks)
{
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;

  if (s->dir == NULL)
    {
      s->dir = ph_test_tmpdir ();
      s->config = g_build_filename (s->dir, "printhook.conf", NULL);
      s->socket = g_build_filename (s->dir, "control.sock", NULL);
    }
  raw = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n%s",
                         s->socket, s->dir, hooks);
  text = ph_test_config_text (raw);
  ck_assert (g_file_set_contents (s->config, text, -1, NULL));
  g_chmod (s->config, 0600);
}

static ph_run_result *
emit (const setup *s, const char *event, const char *payload)
{
  const char *argv[] = { "emit", "-c", s->config, event, payload ? "--payload" : NULL, payload, NULL };
  return ph_run_printhook (argv, NULL, 30);
}

static void
emit_ok (const setup *s, const char *event, const char *payload)
{
  g_autoptr (ph_run_result) r = emit (s, event, payload);

  ck_assert_msg (r->exit_status == 0, "emit %s: exit %d\n%s%s", event, r->exit_status, r->out,
                 r->err);
}

/* The JSON bodies received, as compact text in arrival order. */
static GPtrArray *
bodies (json_object *records)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  for (size_t i = 0; i < json_object_array_length (records); i++)
    g_ptr_array_add (texts, ph_json_to_text (json_object_object_get (
                                                 json_object_array_get_idx (records, i), "json"),
                                             FALSE));
  return texts;
}

static const char *
field (json_object *records, guint i, const char *name)
{
  json_object *json = json_object_object_get (json_object_array_get_idx (records, i), "json");
  json_object *value = json_object_object_get (json, name);

  ck_assert_msg (value != NULL, "record %u has no %s: %s", i, name,
                 json_object_to_json_string (json));
  return json_object_get_string (value);
}

/* Waits for n webhooks, then a little longer to make sure no more come. */
static json_object *
exactly (ph_receiver *r, guint n)
{
  json_object *records = n > 0 ? ph_receiver_wait (r, n, 10000 * ph_test_slowness ())
                               : NULL;

  json_object_put (records);
  g_usleep (300 * 1000);
  records = ph_receiver_records (r);
  if (json_object_array_length (records) != n)
    {
      g_autoptr (GPtrArray) texts = bodies (records);
      g_autofree char *all = NULL;

      g_ptr_array_add (texts, NULL);
      all = g_strjoinv ("\n", (char **) texts->pdata);
      ck_abort_msg ("expected %u webhooks, got %zu:\n%s", n, json_object_array_length (records), all);
    }
  return records;
}

START_TEST (test_invalid_config_is_refused_with_every_error)
{
  g_auto (setup) s = { 0 };
  g_autofree char *log = NULL;
  int status;

  write_config (&s, "[hook a]\nurl = ftp://x\nevents = PrintDone\nprogres_step = 5\n\n"
                    "[source op]\ntype = octoprnt\nurl = http://127.0.0.1:1\n");
  status = ph_daemon_process_run_to_exit (s.config, &log);
  ck_assert_int_eq (status, 1);
  assert_contains (log, "[hook a] url: 'ftp://x' is not an http:// or https:// URL");
  assert_contains (log, "[hook a] progres_step: unknown key; did you mean 'progress_step'?");
  assert_contains (log, "[source op] type: 'octoprnt' is not a source type (known: octoprint, moonraker, bambu, mqtt); "
                        "did you mean 'octoprint'?");
  assert_contains (log, "[source op]: an OctoPrint source needs an api_key");
  assert_contains (log, "printhook run: not starting:");
  ck_assert (!g_file_test (s.socket, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_emit_reaches_subscribed_hooks_only)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *hooks = g_strdup_printf (
      "[hook done]\nurl = %s\nevents = printdone\ndevice_identifier = MK4\n" DATA ("done")
      "\n[hook resumed]\nurl = %s\nevents = PrintResumed, PrintDone\n"
      "message.printresumed = Back at it with @extra.name\n" DATA ("resumed")
      "\n[hook off]\nurl = %s\nenabled = false\nevents = *\n" DATA ("off"),
      url, url, url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (ph_run_result) out = NULL;
  const char *first, *second;

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  out = emit (&s, "PrintResumed", "{\"name\": \"cube.gcode\"}");
  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_str_eq (out->out, "accepted: PrintResumed, 1 delivery\n");
  records = exactly (r, 1);
  ck_assert_str_eq (field (records, 0, "hook"), "resumed");
  ck_assert_str_eq (field (records, 0, "topic"), "Custom Event");
  ck_assert_str_eq (field (records, 0, "event"), "PrintResumed");
  ck_assert_str_eq (field (records, 0, "message"), "Back at it with cube.gcode");
  json_object_put (g_steal_pointer (&records));

  emit_ok (&s, "PRINTDONE", "{\"name\": \"cube.gcode\", \"time\": 12.5}");
  records = exactly (r, 3);
  /* Both at once, in either order; the name is spelt canonically. */
  first = field (records, 1, "hook");
  second = field (records, 2, "hook");
  ck_assert ((strcmp (first, "done") == 0 && strcmp (second, "resumed") == 0)
             || (strcmp (first, "resumed") == 0 && strcmp (second, "done") == 0));
  for (guint i = 1; i <= 2; i++)
    {
      ck_assert_str_eq (field (records, i, "topic"), "Print Done");
      ck_assert_str_eq (field (records, i, "event"), "PrintDone");
      ck_assert_str_eq (field (records, i, "message"), "Your print is done.");
    }
  ck_assert_str_eq (field (records, strcmp (first, "done") == 0 ? 1 : 2, "dev"), "MK4");
  /* Without a source or device_identifier: this host's name. */
  ck_assert_str_eq (field (records, strcmp (first, "done") == 0 ? 2 : 1, "dev"), g_get_host_name ());
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_delivery_ids_are_unique)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/id");
  g_autofree char *hooks = g_strdup_printf ("[hook a]\nurl = %s\nevents = *\n\n"
                                            "[hook b]\nurl = %s\nevents = *\n", url, url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  for (guint i = 0; i < 3; i++)
    emit_ok (&s, "Error", "{\"error\": \"oops\"}");
  records = exactly (r, 6);
  for (guint i = 0; i < 6; i++)
    {
      const char *id = ph_record_header (json_object_array_get_idx (records, i), "webhook-id");

      ck_assert (id != NULL && g_str_has_prefix (id, "msg_"));
      ck_assert_msg (g_hash_table_add (ids, (gpointer) id), "id %s sent twice", id);
    }
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* Sends raw bytes to the socket and returns the first reply line. */
static char *
raw_request (const char *path, const char *bytes, gsize length)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  char *line;

  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  ck_assert_msg (connection != NULL, "connect %s: %s", path, error ? error->message : "");
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), bytes,
                             length, NULL, NULL, NULL);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  line = g_data_input_stream_read_line (in, NULL, NULL, &error);
  ck_assert_msg (line != NULL, "no reply: %s", error ? error->message : "connection closed");
  return line;
}

START_TEST (test_control_socket_refuses_bad_requests_and_keeps_running)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/c");
  g_autofree char *hooks = g_strdup_printf ("[hook a]\nurl = %s\nevents = PrintDone\n", url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *big = NULL;
  g_autofree char *reply = NULL;
  struct stat st;

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  ck_assert_int_eq (g_stat (s.socket, &st), 0);
  ck_assert (S_ISSOCK (st.st_mode));
  ck_assert_int_eq (st.st_mode & 0777, 0660);

  reply = raw_request (s.socket, "{\"event\": \"PrintDone\", \"payload\": {\n", 37);
  ck_assert_str_eq (reply, "{\"accepted\":false,\"error\":\"malformed JSON: line 1, column 36: "
                           "unexpected end of data\"}");
  g_free (reply);
  reply = raw_request (s.socket, "[1, 2]\n", 7);
  ck_assert_str_eq (reply, "{\"accepted\":false,\"error\":\"a request is a JSON object with an \\\"event\\\"\"}");
  g_free (reply);
  reply = raw_request (s.socket, "{\"event\": \"Print Done\"}\n", 24);
  assert_contains (reply, "is not an event name");
  g_free (reply);
  reply = raw_request (s.socket, "{\"event\": \"PrintDone\", \"payload\": [1]}\n", 39);
  assert_contains (reply, "the payload must be a JSON object");
  g_free (reply);
  big = g_strnfill (70000, 'x');
  reply = raw_request (s.socket, big, strlen (big));
  ck_assert_str_eq (reply, "{\"accepted\":false,\"error\":\"message too large: the limit is 65536 bytes\"}");
  g_free (reply);
  reply = raw_request (s.socket, "{\"event\": \"PrintProgress\"}\n", 27);
  assert_contains (reply, "PrintProgress needs the job's completion");
  {
    const char *argv[] = { "emit", "-c", s.config, "PrintDone", "--source", "garage", NULL };
    g_autoptr (ph_run_result) out = ph_run_printhook (argv, NULL, 30);

    ck_assert_int_eq (out->exit_status, 1);
    ck_assert_str_eq (out->err, "printhook emit: refused: unknown source 'garage' (configured: none)\n");
  }
  {
    g_autoptr (ph_run_result) out = emit (&s, "PrintDone", "{\"name\": ");

    ck_assert_int_eq (out->exit_status, 2);
    assert_contains (out->err, "printhook emit: --payload must be a JSON object: line 1, column 9: unexpected end of data\n");
  }
  /* Still running, and still delivering. */
  emit_ok (&s, "PrintDone", NULL);
  records = exactly (r, 1);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
  ck_assert (!g_file_test (s.socket, G_FILE_TEST_EXISTS));
}
END_TEST

/* A socket file left behind, as by a daemon that was killed. */
static void
leave_stale_socket (const char *path)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);

  ck_assert (g_socket_bind (socket, address, FALSE, NULL));
  g_socket_close (socket, NULL);
  ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));
}

START_TEST (test_control_socket_file_rules)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *socket = g_build_filename (dir, "run", "printhook", "control.sock", NULL);
  g_autofree char *config = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\n"
                                           "spool = %s/spool.db\n\n"
                                           "[hook a]\nurl = http://127.0.0.1:9/\n", socket, dir);
  g_autoptr (ph_daemon_process) first = NULL;
  g_autofree char *log = NULL;

  ck_assert (g_file_set_contents (config, text, -1, NULL));
  /* Its directory is made when missing. */
  first = ph_daemon_process_start (config);
  ck_assert (g_file_test (socket, G_FILE_TEST_EXISTS));
  /* A second daemon on the same socket is refused. */
  ck_assert_int_eq (ph_daemon_process_run_to_exit (config, &log), 1);
  assert_contains (log, "printhook run: not starting: another printhook daemon is listening on ");
  ck_assert_int_eq (ph_daemon_process_stop (first, 15), 0);
  ck_assert (!g_file_test (socket, G_FILE_TEST_EXISTS));

  /* A stale socket is replaced... */
  leave_stale_socket (socket);
  g_clear_pointer (&first, ph_daemon_process_free);
  first = ph_daemon_process_start (config);
  ck_assert_int_eq (ph_daemon_process_stop (first, 15), 0);
  /* ...but not a file that is not a socket. */
  ck_assert (g_file_set_contents (socket, "mine", -1, NULL));
  g_free (log);
  ck_assert_int_eq (ph_daemon_process_run_to_exit (config, &log), 1);
  assert_contains (log, "exists and is not a socket; remove it or set another control_socket");
}
END_TEST

START_TEST (test_emit_without_daemon_says_so)
{
  g_auto (setup) s = { 0 };
  g_autoptr (ph_run_result) out = NULL;

  write_config (&s, "[hook a]\nurl = http://127.0.0.1:9/\n");
  out = emit (&s, "PrintDone", NULL);
  ck_assert_int_eq (out->exit_status, 1);
  assert_contains (out->err, "no printhook daemon answers on ");
  assert_contains (out->err, "control.sock");
}
END_TEST

START_TEST (test_cooldown_per_hook_and_event)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/cool");
  g_autofree char *hooks = g_strdup_printf (
      "[hook slow]\nurl = %s\nevents = UserActionNeeded, PrintDone\ncooldown = 60\n" DATA ("slow")
      "\n[hook fast]\nurl = %s\nevents = UserActionNeeded\n" DATA ("fast"), url, url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  guint slow = 0, fast = 0;

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  emit_ok (&s, "UserActionNeeded", NULL);
  emit_ok (&s, "UserActionNeeded", NULL);
  emit_ok (&s, "useractionneeded", NULL);
  emit_ok (&s, "PrintDone", NULL);
  records = exactly (r, 5);
  for (guint i = 0; i < 5; i++)
    {
      if (strcmp (field (records, i, "hook"), "fast") == 0)
        fast++;
      else if (strcmp (field (records, i, "topic"), "User Action Needed") == 0)
        slow++;
    }
  /* The slow hook: one UserActionNeeded, and PrintDone, which has a cooldown of its own. */
  ck_assert_uint_eq (fast, 3);
  ck_assert_uint_eq (slow, 1);
  ck_assert_str_eq (field (records, 4, "topic"), "Print Done");
  ck_assert_uint_eq (ph_daemon_process_count_log (d, "hook slow: UserActionNeeded from "), 2);
  assert_log_contains (d, "(cooldown 60 s)");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

static const char *
milestones_of (json_object *records, const char *hook, GString *out)
{
  g_string_truncate (out, 0);
  for (size_t i = 0; i < json_object_array_length (records); i++)
    if (strcmp (field (records, i, "hook"), hook) == 0)
      g_string_append_printf (out, "%s%s:%s", out->len ? " " : "", field (records, i, "event"),
                              field (records, i, "m"));
  return out->str;
}

START_TEST (test_progress_milestones_per_hook)
{
  static const int reports[] = { 3, 8, 27, 27, 49, 50, 74, 99, 100 };
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/p");
  g_autofree char *hooks = g_strdup_printf (
      "[hook ten]\nurl = %s\nevents = PrintProgress, PrintDone\n" DATA ("ten")
      "\n[hook quarter]\nurl = %s\nevents = PrintProgress\nprogress_step = 25\n"
      "message.PrintProgress = @percentCompleteMilestone%% of @job.file.name\n" DATA ("quarter"),
      url, url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GString) seen = g_string_new (NULL);

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  emit_ok (&s, "PrintStarted", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      g_autofree char *payload = g_strdup_printf ("{\"progress\": %d}", reports[i]);
      emit_ok (&s, "PrintProgress", payload);
    }
  emit_ok (&s, "PrintDone", NULL);
  /* A new job counts from 0 again. */
  emit_ok (&s, "PrintStarted", NULL);
  emit_ok (&s, "PrintProgress", "{\"progress\": 12.5}");
  records = exactly (r, 7 + 3);
  ck_assert_str_eq (milestones_of (records, "ten", seen),
                    "PrintProgress:20 PrintProgress:40 PrintProgress:50 PrintProgress:70 "
                    "PrintProgress:90 PrintDone:90 PrintProgress:10");
  ck_assert_str_eq (milestones_of (records, "quarter", seen),
                    "PrintProgress:25 PrintProgress:50 PrintProgress:75");
  for (guint i = 0; i < 10; i++)
    if (strcmp (field (records, i, "hook"), "quarter") == 0)
      {
        ck_assert_str_eq (field (records, i, "message"), "25% of ");
        break;
      }
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_cancel_gives_one_print_failed)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/x");
  g_autofree char *hooks = g_strdup_printf (
      "[hook failed]\nurl = %s\nevents = PrintFailed\n" DATA ("failed")
      "\n[hook both]\nurl = %s\nevents = PrintCancelled, PrintFailed\n" DATA ("both"), url, url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GString) seen = g_string_new (NULL);

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  emit_ok (&s, "PrintCancelled", "{\"name\": \"a.gcode\", \"progress\": 33}");
  emit_ok (&s, "PrintFailed", "{\"name\": \"a.gcode\", \"progress\": 33, \"reason\": \"cancelled\"}");
  records = exactly (r, 3);
  ck_assert_str_eq (milestones_of (records, "failed", seen), "PrintFailed:0");
  ck_assert_str_eq (milestones_of (records, "both", seen), "PrintCancelled:0 PrintFailed:0");
  for (guint i = 0; i < 3; i++)
    if (strcmp (field (records, i, "event"), "PrintFailed") == 0)
      ck_assert_str_eq (field (records, i, "topic"), "Print Failed");
    else
      ck_assert_str_eq (field (records, i, "topic"), "Custom Event");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_sigterm_lets_deliveries_finish)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/slow/1500");
  g_autofree char *hooks = g_strdup_printf ("[hook slow]\nurl = %s\nevents = PrintDone\n", url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  gint64 started;

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  emit_ok (&s, "PrintDone", NULL);
  records = ph_receiver_wait (r, 1, 10000);
  started = g_get_monotonic_time ();
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
  ck_assert (g_get_monotonic_time () - started < 5 * G_USEC_PER_SEC * ph_test_slowness ());
  assert_log_contains (d, "stopping: waiting up to 10 s for 1 delivery");
  assert_log_contains (d, "hook slow: PrintDone delivered: HTTP 200");
}
END_TEST

START_TEST (test_sighup_reloads_or_keeps_the_old_config)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *old_url = ph_receiver_url (r, "/old");
  g_autofree char *new_url = ph_receiver_url (r, "/new");
  g_autofree char *old_hooks = g_strdup_printf ("[hook h]\nurl = %s\nevents = PrintDone\n", old_url);
  g_autofree char *new_hooks = g_strdup_printf ("[hook h]\nurl = %s\nevents = PrintDone\n", new_url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;

  write_config (&s, old_hooks);
  d = ph_daemon_process_start (s.config);
  emit_ok (&s, "PrintDone", NULL);

  write_config (&s, "[hook h]\nurl = nowhere\nevetns = PrintDone\n");
  ph_daemon_process_signal (d, SIGHUP);
  ph_daemon_process_wait_log (d, "still running the previous configuration", 1, 10000);
  assert_log_contains (d, "[hook h] url: 'nowhere' is not an http:// or https:// URL");
  assert_log_contains (d, "[hook h] evetns: unknown key; did you mean 'events'?");
  emit_ok (&s, "PrintDone", NULL);

  write_config (&s, new_hooks);
  ph_daemon_process_signal (d, SIGHUP);
  ph_daemon_process_wait_log (d, "reloaded: 1 hooks and 0 sources", 1, 10000);
  emit_ok (&s, "PrintDone", NULL);
  records = exactly (r, 3);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (records, 0), "path")), "/old");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (records, 1), "path")), "/old");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (records, 2), "path")), "/new");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* What a simulated print sends to a hook on every event with step 20. */
static void
assert_simulated_print (json_object *records)
{
  g_autoptr (GString) seen = g_string_new (NULL);

  ck_assert_str_eq (milestones_of (records, "all", seen),
                    "PrintStarted:0 PrintProgress:20 PrintProgress:40 PrintPaused:40 "
                    "UserActionNeeded:40 PrintResumed:40 PrintProgress:60 PrintProgress:80 "
                    "PrintDone:80");
  ck_assert_str_eq (field (records, 0, "file"), "benchy.gcode");
  ck_assert_str_eq (field (records, 3, "topic"), "Print Paused");
  ck_assert_str_eq (field (records, 4, "topic"), "User Action Needed");
  ck_assert_str_eq (field (records, 5, "topic"), "Custom Event");
  ck_assert_str_eq (field (records, 8, "topic"), "Print Done");
}

/* Fast, but with the pause's events 15 ms apart (ten times that under
 * valgrind), so that their concurrent deliveries arrive in order. */
static char *
simulation_speed (void)
{
  return g_strdup_printf ("%u", 20 / ph_test_slowness ());
}

START_TEST (test_simulate_direct)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/sim");
  g_autofree char *hooks = g_strdup_printf (
      "[hook all]\nurl = %s\nevents = *\nprogress_step = 20\n" DATA ("all"), url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_run_result) out = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *speed = simulation_speed ();
  const char *argv[] = { "simulate", "--direct", "--speed", speed, "-c", NULL, NULL };

  write_config (&s, hooks);
  argv[5] = s.config;
  out = ph_run_printhook (argv, NULL, 60);
  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  assert_contains (out->out, "PrintStarted: 1 delivery\nPrintProgress 20 %: 1 delivery\n");
  assert_contains (out->err, "hook all: PrintDone delivered: HTTP 200");
  records = exactly (r, 9);
  assert_simulated_print (records);
}
END_TEST

START_TEST (test_simulate_into_the_daemon)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/sim");
  g_autofree char *hooks = g_strdup_printf (
      "[hook all]\nurl = %s\nevents = *\nprogress_step = 20\n" DATA ("all"), url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (ph_run_result) out = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *speed = simulation_speed ();
  const char *argv[] = { "simulate", "--speed", speed, "-c", NULL, NULL };

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  argv[4] = s.config;
  out = ph_run_printhook (argv, NULL, 60);
  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  assert_contains (out->out, "PrintDone: 1 delivery\n");
  records = exactly (r, 9);
  assert_simulated_print (records);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* --bambu: the shipped P1 print (conf/bambu-p1-print.jsonl) through the
 * Bambu source's rules; a recording without reports is refused, a line
 * that is not one is skipped with its number, --recording alone is a
 * usage error. */
START_TEST (test_simulate_bambu)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/sim");
  g_autofree char *hooks = g_strdup_printf (
      "[hook all]\nurl = %s\nevents = *\nprogress_step = 50\n" DATA ("all"), url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_run_result) out = NULL, empty = NULL, alone = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *speed = simulation_speed ();
  g_autofree char *recording = g_build_filename (ph_test_srcdir (), "conf",
                                                 "bambu-p1-print.jsonl", NULL);
  g_autofree char *mixed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *with_garbage = NULL;
  const char *argv[] = { "simulate", "--direct", "--bambu", "--recording", NULL, "--speed",
                         speed, "-c", NULL, NULL };
  const char *usage[] = { "simulate", "--recording", "x.jsonl", NULL };

  write_config (&s, hooks);
  mixed = g_build_filename (s.dir, "mixed.jsonl", NULL);
  ck_assert (g_file_get_contents (recording, &text, NULL, NULL));
  with_garbage = g_strconcat ("{\"print\": {\"command\"\n", text, NULL);
  ck_assert (g_file_set_contents (mixed, with_garbage, -1, NULL));
  argv[4] = mixed;
  argv[8] = s.config;
  out = ph_run_printhook (argv, NULL, 60);
  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  assert_contains (out->err, "mixed.jsonl:1: not a report, skipped");
  assert_contains (out->out, "PrintStarted: 1 delivery\nPrintPaused: 1 delivery\n"
                             "PrintResumed: 1 delivery\nPrintProgress 50 %: 1 delivery\n"
                             "PrintPaused: 1 delivery\nUserActionNeeded: 1 delivery\n"
                             "PrintResumed: 1 delivery\nPrintDone: 1 delivery\n");
  records = exactly (r, 8);
  ck_assert_str_eq (field (records, 0, "file"), "benchy");
  ck_assert_str_eq (field (records, 7, "topic"), "Print Done");
  ck_assert_str_eq (field (records, 7, "file"), "benchy");

  argv[4] = s.config;   /* an INI file holds no report */
  empty = ph_run_printhook (argv, NULL, 60);
  ck_assert_int_eq (empty->exit_status, 1);
  assert_contains (empty->err, "gives no event: it should hold a Bambu Lab printer's");
  alone = ph_run_printhook (usage, NULL, 30);
  ck_assert_int_eq (alone->exit_status, 2);
  assert_contains (alone->err, "--recording goes with --bambu");
}
END_TEST

START_TEST (test_run_command_line)
{
  const char *help[] = { "run", "--help", NULL };
  const char *level[] = { "run", "--log-level", "loud", NULL };
  const char *extra[] = { "run", "extra", NULL };
  g_autoptr (ph_run_result) h = ph_run_printhook (help, NULL, 30);
  g_autoptr (ph_run_result) l = ph_run_printhook (level, NULL, 30);
  g_autoptr (ph_run_result) e = ph_run_printhook (extra, NULL, 30);

  ck_assert_int_eq (h->exit_status, 0);
  assert_contains (h->out, "SIGHUP");
  assert_contains (h->out, "--log-level=LEVEL");
  ck_assert_int_eq (l->exit_status, 2);
  ck_assert_str_eq (l->err, "printhook run: --log-level must be error, warning, info or debug, not 'loud'\n");
  ck_assert_int_eq (e->exit_status, 2);
}
END_TEST

START_TEST (test_sigterm_gives_up_after_ten_seconds)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hang");
  g_autofree char *hooks = g_strdup_printf ("[hook stuck]\nurl = %s\nevents = PrintDone\n"
                                            "timeout = 600\n", url);
  g_auto (setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  gint64 started;
  double waited;

  write_config (&s, hooks);
  d = ph_daemon_process_start (s.config);
  emit_ok (&s, "PrintDone", NULL);
  json_object_put (ph_receiver_wait (r, 1, 10000 * ph_test_slowness ()));
  started = g_get_monotonic_time ();
  ck_assert_int_eq (ph_daemon_process_stop (d, 30), 0);
  waited = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  ck_assert_msg (waited >= 9.5 && waited < 10.0 * ph_test_slowness () + 5, "%.1f s", waited);
  assert_log_contains (d, "1 delivery still running after the grace period; giving it up");
  assert_log_contains (d, "hook stuck: PrintDone NOT delivered after ");
}
END_TEST

static Suite *
daemon_suite (void)
{
  Suite *s = suite_create ("daemon");
  TCase *tc = tcase_create ("daemon");

  tcase_set_timeout (tc, 60 * ph_test_slowness ());
  tcase_add_test (tc, test_invalid_config_is_refused_with_every_error);
  tcase_add_test (tc, test_emit_reaches_subscribed_hooks_only);
  tcase_add_test (tc, test_delivery_ids_are_unique);
  tcase_add_test (tc, test_control_socket_refuses_bad_requests_and_keeps_running);
  tcase_add_test (tc, test_emit_without_daemon_says_so);
  tcase_add_test (tc, test_control_socket_file_rules);
  tcase_add_test (tc, test_cooldown_per_hook_and_event);
  tcase_add_test (tc, test_progress_milestones_per_hook);
  tcase_add_test (tc, test_cancel_gives_one_print_failed);
  tcase_add_test (tc, test_sigterm_lets_deliveries_finish);
  tcase_add_test (tc, test_sigterm_gives_up_after_ten_seconds);
  tcase_add_test (tc, test_run_command_line);
  tcase_add_test (tc, test_sighup_reloads_or_keeps_the_old_config);
  tcase_add_test (tc, test_simulate_direct);
  tcase_add_test (tc, test_simulate_into_the_daemon);
  tcase_add_test (tc, test_simulate_bambu);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (daemon_suite ());
}
