/* Never lose a webhook (issue 6): printhook run against a receiver that
 * fails on request (tests/servers/faulty.py), with short retry schedules.
 * Receivers that are down, overloaded, gone or hanging; a daemon killed
 * mid-delivery and started again; a full spool, a corrupt one, and
 * printhook spool changing it under a running daemon. */
#include "autoconfig.h"

#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "daemon/control_protocol.h"
#include "daemon_process.h"
#include "daemon_setup.h"
#include "delivery/deliverer.h"
#include "faulty.h"
#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"
#include "servers/script_server.h"
#include "cli/signature_verify.h"
#include "spool/spool.h"
#include "spool_fixture.h"

/* Each delivery says which event it is: n from the event's payload. */
#define DATA "data = {\"n\": \"@extra.n\", \"event\": \"@event\", " \
             "\"m\": \"@percentCompleteMilestone\"}\n"

/* The same event with payload {"n": n}. */
static void
send_numbered (const ph_setup *s, const char *event, guint n, guint expected)
{
  g_autofree char *payload = g_strdup_printf ("{\"n\": %u}", n);

  ph_setup_send_event (s, event, payload, expected);
}

static ph_run_result *
spool_command (const ph_setup *s, const char *command, const char *id)
{
  const char *argv[] = { "spool", "-c", s->config, command, id, NULL };

  return ph_run_printhook (argv, NULL, 30);
}

/* printhook spool COMMAND [ID], which must succeed; its output (transfer
 * full). */
static char *
spool_ok (const ph_setup *s, const char *command, const char *id)
{
  g_autoptr (ph_run_result) r = spool_command (s, command, id);

  ck_assert_msg (r->exit_status == 0, "spool %s %s: exit %d\n%s%s", command, id ? id : "",
                 r->exit_status, r->out, r->err);
  return g_strdup (r->out);
}

/* The spool's deliveries, oldest first, as printhook spool sees them
 * (transfer full). */
static GPtrArray *
spool_entries (const ph_setup *s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_spool) spool = ph_spool_open (s->spool, PH_SPOOL_OPEN_EXISTING, NULL, &error);
  GPtrArray *entries;

  ck_assert_msg (spool != NULL, "%s", error ? error->message : "");
  entries = ph_spool_list (spool, &error);
  ck_assert_msg (entries != NULL, "%s", error ? error->message : "");
  return entries;
}

static ph_spool_entry *
spool_entry (const ph_setup *s, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_spool) spool = ph_spool_open (s->spool, PH_SPOOL_OPEN_EXISTING, NULL, &error);
  ph_spool_entry *entry;

  ck_assert_msg (spool != NULL, "%s", error ? error->message : "");
  entry = ph_spool_get (spool, id, &error);
  ck_assert_msg (entry != NULL, "%s", error ? error->message : "");
  return entry;
}

/* What a record of faulty.py says. */

static json_object *
record_at (json_object *records, guint i)
{
  return json_object_array_get_idx (records, i);
}

static const char *
record_id (json_object *record)
{
  const char *id = json_object_get_string (json_object_object_get (record, "webhook_id"));

  ck_assert_msg (id != NULL && g_str_has_prefix (id, "msg_"), "no webhook-id: %s",
                 json_object_to_json_string (record));
  return id;
}

static int
record_status (json_object *record)
{
  json_object *status = json_object_object_get (record, "status");

  return status != NULL ? json_object_get_int (status) : 0;
}

static double
record_time (json_object *record)
{
  return json_object_get_double (json_object_object_get (record, "time"));
}

static const char *
record_path (json_object *record)
{
  return json_object_get_string (json_object_object_get (record, "path"));
}

/* A field of the JSON body, as text (transfer full). */
static char *
record_field (json_object *record, const char *name)
{
  g_autoptr (GBytes) body = ph_record_body (record);
  gsize size = 0;
  const char *bytes = g_bytes_get_data (body, &size);
  g_autoptr (json_object) json = ph_json_parse (bytes != NULL ? bytes : "", size, NULL);
  json_object *value = json != NULL ? json_object_object_get (json, name) : NULL;

  ck_assert_msg (value != NULL, "no %s in %s", name, json_object_to_json_string (record));
  return g_strdup (json_object_get_string (value));
}

/* Records answered 200, by webhook-id (values: the record, transfer none,
 * valid while records lives). */
static GHashTable *
delivered_ids (json_object *records)
{
  GHashTable *ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (size_t i = 0; i < json_object_array_length (records); i++)
    if (record_status (record_at (records, i)) == 200)
      g_hash_table_insert (ids, (gpointer) record_id (record_at (records, i)),
                           record_at (records, i));
  return ids;
}

/* Waits until faulty.py has answered n distinct deliveries with 200;
 * returns every record (transfer full). */
static json_object *
wait_delivered (ph_faulty *f, guint n, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000 * ph_test_slowness ();

  for (;;)
    {
      json_object *records = ph_faulty_records (f);
      g_autoptr (GHashTable) ids = delivered_ids (records);
      guint got = g_hash_table_size (ids);

      if (got >= n)
        return records;
      json_object_put (records);
      ck_assert_msg (g_get_monotonic_time () < deadline,
                     "%u of %u deliveries arrived within %u ms", got, n,
                     timeout_ms * ph_test_slowness ());
      g_usleep (20 * 1000);
    }
}

static guint
count_action (json_object *records, const char *action)
{
  guint count = 0;

  for (size_t i = 0; i < json_object_array_length (records); i++)
    count += g_strcmp0 (json_object_get_string (json_object_object_get (record_at (records, i),
                                                                        "action")),
                        action) == 0;
  return count;
}

static char *
hook_config (const char *name, const char *url, const char *more)
{
  return g_strdup_printf ("[hook %s]\nurl = %s\nevents = *\n%s" DATA "\n", name, url,
                          more != NULL ? more : "");
}

START_TEST (test_receiver_down_then_up_every_delivery_arrives)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/a");
  g_autofree char *hooks = hook_config ("a", url, "retry.schedule = 0.3\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GHashTable) ids = NULL;
  g_autoptr (GHashTable) numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_down (f, 0);
  d = ph_daemon_process_start (s.config);
  for (guint n = 0; n < 5; n++)
    send_numbered (&s, "PrintDone", n, 1);
  /* Three attempts of each fail: connection refused. */
  ph_daemon_process_wait_log (d, ", attempt 3): ", 5, 20000);
  ck_assert_uint_eq (ph_setup_count (&s, "state = 'pending'"), 5);
  ph_faulty_up (f);

  json_object_put (wait_delivered (f, 5, 10000));
  g_usleep (500 * 1000);
  records = ph_faulty_records (f);
  ck_assert_uint_eq (json_object_array_length (records), 5);
  ids = delivered_ids (records);
  ck_assert_uint_eq (g_hash_table_size (ids), 5);
  for (guint i = 0; i < 5; i++)
    g_hash_table_add (numbers, record_field (record_at (records, i), "n"));
  for (guint n = 0; n < 5; n++)
    {
      g_autofree char *text = g_strdup_printf ("%u", n);
      ck_assert_msg (g_hash_table_contains (numbers, text), "event %u never arrived", n);
    }
  ph_daemon_process_wait_log (d, "hook a: PrintDone delivered: HTTP 200", 5, 5000);
  ph_setup_wait_count (&s, NULL, 0, 5);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* The crash test of issue 6: killed during an outage, with attempts
 * hanging, then started again: every delivery arrives, a duplicate only
 * ever with the id of the delivery it repeats, and the ids that were sent
 * are exactly the ids that were delivered. */
START_TEST (test_sigkill_during_outage_loses_nothing)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url_a = ph_faulty_url (f, "/a");
  g_autofree char *url_b = ph_faulty_url (f, "/b");
  g_autofree char *hook_a = hook_config ("a", url_a, "retry.schedule = 0.3\ntimeout = 120\n");
  g_autofree char *hook_b = hook_config ("b", url_b, "retry.schedule = 0.3\ntimeout = 120\n");
  g_autofree char *hooks = g_strconcat (hook_a, hook_b, NULL);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GPtrArray) at_kill = NULL;
  g_autoptr (GHashTable) sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) id_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) delivered = NULL;
  guint in_progress = 0;
  const guint events = 10;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_default (f, "{\"action\": \"status\", \"code\": 503}");
  d = ph_daemon_process_start (s.config);
  for (guint n = 0; n < events; n++)
    send_numbered (&s, "PrintDone", n, 2);
  json_object_put (ph_faulty_wait (f, 2 * events, 10000 * ph_test_slowness ()));
  /* Now attempts hang: the daemon dies in the middle of some. */
  ph_faulty_default (f, "{\"action\": \"hang\"}");
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * ph_test_slowness ();

    for (;;)
      {
        g_autoptr (json_object) so_far = ph_faulty_records (f);

        if (count_action (so_far, "hang") >= 4)
          break;
        ck_assert_msg (g_get_monotonic_time () < deadline, "no attempts hang");
        g_usleep (20 * 1000);
      }
  }
  ph_daemon_process_signal (d, SIGKILL);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 128 + SIGKILL);
  g_clear_pointer (&d, ph_daemon_process_free);

  at_kill = spool_entries (&s);
  ck_assert_uint_eq (at_kill->len, 2 * events);
  for (guint i = 0; i < at_kill->len; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index (at_kill, i);

      ck_assert_int_eq (e->state, PH_SPOOL_PENDING);
      in_progress += e->in_progress;
      g_hash_table_add (sent, g_strdup (e->id));
    }
  ck_assert_msg (in_progress >= 1, "no attempt was running when the daemon was killed");

  ph_faulty_default (f, "{\"action\": \"status\", \"code\": 200}");
  d = ph_daemon_process_start (s.config);
  records = wait_delivered (f, 2 * events, 20000);
  g_usleep (500 * 1000);
  json_object_put (records);
  records = ph_faulty_records (f);

  /* Duplicates only with the same id: one id per event and hook. */
  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      json_object *record = record_at (records, i);
      g_autofree char *n = record_field (record, "n");
      char *key = g_strdup_printf ("%s %s", record_path (record), n);
      const char *known = g_hash_table_lookup (id_of, key);

      g_hash_table_add (sent, g_strdup (record_id (record)));
      if (known != NULL)
        {
          ck_assert_msg (strcmp (known, record_id (record)) == 0,
                         "%s sent with two ids: %s and %s", key, known, record_id (record));
          g_free (key);
        }
      else
        g_hash_table_insert (id_of, key, g_strdup (record_id (record)));
    }
  ck_assert_uint_eq (g_hash_table_size (id_of), 2 * events);
  ph_daemon_process_wait_log (d, "being sent when printhook last stopped; sending", 1, 5000);

  /* The final word: every id sent was delivered, nothing is missing. */
  delivered = delivered_ids (records);
  {
    GHashTableIter iter;
    const char *id;

    g_hash_table_iter_init (&iter, sent);
    while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
      ck_assert_msg (g_hash_table_contains (delivered, id), "%s was sent and never delivered",
                     id);
    ck_assert_uint_eq (g_hash_table_size (delivered), g_hash_table_size (sent));
  }
  ph_setup_wait_count (&s, NULL, 0, 5);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_thousand_events_while_down_all_arrive)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/many");
  g_autofree char *hooks = hook_config ("many", url, "retry.schedule = 1\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GHashTable) ids = NULL;
  g_autoptr (GHashTable) numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const guint events = 1000;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_down (f, 0);
  d = ph_daemon_process_start (s.config);
  for (guint n = 0; n < events; n++)
    send_numbered (&s, "PrintDone", n, 1);
  ck_assert_uint_eq (ph_setup_count (&s, NULL), events);
  ph_faulty_up (f);

  json_object_put (wait_delivered (f, events, 60000));
  g_usleep (500 * 1000);
  records = ph_faulty_records (f);
  ids = delivered_ids (records);
  ck_assert_uint_eq (g_hash_table_size (ids), events);
  ck_assert_uint_eq (json_object_array_length (records), events);
  for (guint i = 0; i < events; i++)
    g_hash_table_add (numbers, record_field (record_at (records, i), "n"));
  ck_assert_uint_eq (g_hash_table_size (numbers), events);
  ph_daemon_process_wait_log (d, "hook many: PrintDone delivered: HTTP 200", events, 10000);
  ph_setup_wait_count (&s, NULL, 0, 5);
  ck_assert_int_eq (ph_daemon_process_stop (d, 30), 0);
}
END_TEST

/* Many requests written at once on one connection, as a busy client
 * pipelines them: each gets its own reply, in order, and once the last
 * reply is read every accepted event's delivery is in the spool (the
 * daemon commits once for all of them before it answers). */
START_TEST (test_pipelined_requests_are_answered_in_order_and_kept)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/piped");
  g_autofree char *hooks = hook_config ("piped", url, "retry.schedule = 3600\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autoptr (GString) requests = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  const guint total = 150;   /* more than the daemon handles in one go */
  guint accepted = 0;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_down (f, 0);
  d = ph_daemon_process_start (s.config);
  for (guint n = 0; n < total; n++)
    {
      if (n % 50 == 7)
        g_string_append (requests, "{\"event\": \"PrintDone\", \"payload\": [1]}\n");
      else
        g_string_append_printf (requests, "{\"event\": \"PrintDone\", \"payload\": {\"n\": %u}}\n",
                                n);
    }
  address = g_unix_socket_address_new (s.socket);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  ck_assert_msg (connection != NULL, "connect: %s", error ? error->message : "");
  ck_assert (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                        requests->str, requests->len, NULL, NULL, &error));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  for (guint n = 0; n < total; n++)
    {
      g_autofree char *reply = g_data_input_stream_read_line (in, NULL, NULL, &error);

      ck_assert_msg (reply != NULL, "reply %u: %s", n, error ? error->message : "closed");
      if (n % 50 == 7)
        ck_assert_msg (strstr (reply, "the payload must be a JSON object") != NULL, "%u: %s", n,
                       reply);
      else
        {
          ck_assert_msg (strcmp (reply, "{\"accepted\":true,\"deliveries\":1}") == 0, "%u: %s",
                         n, reply);
          accepted++;
        }
    }
  ck_assert_uint_eq (accepted, total - 3);
  /* Read at once, from another connection: the promise of "accepted". */
  ck_assert_uint_eq (ph_setup_count (&s, NULL), accepted);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* retry.schedule = 1 gives a delay d in [0.8, 1.2) s; a Retry-After is
 * obeyed, never sooner than it asks, up to retry.max_retry_after (3 s
 * here), and never makes the wait shorter than d. */
START_TEST (test_retry_after_is_honoured_up_to_its_ceiling)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/ra");
  g_autofree char *hooks = hook_config ("ra", url, "retry.schedule = 1\nretry.max_retry_after = 3\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  double slack = 1.0 * ph_test_slowness ();
  double gap[4];

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 503, \"retry_after\": \"999999\"},"
                       " {\"action\": \"status\", \"code\": 503, \"retry_after\": \"0\"},"
                       " {\"action\": \"status\", \"code\": 503, \"retry_after\": \"2\"},"
                       " {\"action\": \"status\", \"code\": 503, \"retry_after\": \"date+3600\"}]");
  d = ph_daemon_process_start (s.config);
  send_numbered (&s, "PrintDone", 1, 1);
  records = wait_delivered (f, 1, 30000);
  ck_assert_uint_eq (json_object_array_length (records), 5);
  for (guint i = 0; i < 4; i++)
    {
      ck_assert_str_eq (record_id (record_at (records, i + 1)), record_id (record_at (records, 0)));
      gap[i] = record_time (record_at (records, i + 1)) - record_time (record_at (records, i));
    }
  /* 999999 s: the ceiling. */
  ck_assert_msg (gap[0] >= 3.0 && gap[0] < 3.0 + slack, "after Retry-After: 999999: %.3f s", gap[0]);
  /* 0: never sooner than the schedule. */
  ck_assert_msg (gap[1] >= 0.8 && gap[1] < 1.2 + slack, "after Retry-After: 0: %.3f s", gap[1]);
  /* 2: never sooner than asked, though the schedule says 1. */
  ck_assert_msg (gap[2] >= 2.0 && gap[2] < 2.0 + slack, "after Retry-After: 2: %.3f s", gap[2]);
  /* An HTTP date an hour ahead: the ceiling again. */
  ck_assert_msg (gap[3] >= 3.0 && gap[3] < 3.0 + slack, "after a Retry-After date: %.3f s", gap[3]);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* An overloaded receiver (429) is left alone for at least a minute,
 * whatever the schedule and Retry-After say. */
START_TEST (test_429_waits_at_least_a_minute)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/busy");
  g_autofree char *hooks = hook_config ("busy", url, "retry.schedule = 1\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (ph_spool_entry) e = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 429, \"retry_after\": \"1\"}]");
  d = ph_daemon_process_start (s.config);
  send_numbered (&s, "PrintDone", 1, 1);
  records = ph_faulty_wait (f, 1, 10000 * ph_test_slowness ());
  ph_daemon_process_wait_log (d, "next attempt in 60.0 s", 1, 5000);
  e = spool_entry (&s, record_id (record_at (records, 0)));
  ck_assert_int_eq (e->last_status, 429);
  ck_assert_msg (e->next_attempt - e->last_attempt >= 60 * G_USEC_PER_SEC, "%.3f s",
                 (e->next_attempt - e->last_attempt) / (double) G_USEC_PER_SEC);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_410_disables_the_hook_until_reload)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *gone_url = ph_faulty_url (f, "/gone");
  g_autofree char *other_url = ph_faulty_url (f, "/other");
  g_autofree char *hooks = g_strdup_printf ("[hook gone]\nurl = %s\nevents = PrintDone\n" DATA
                                            "\n[hook other]\nurl = %s\nevents = PrintStarted\n"
                                            DATA, gone_url, other_url);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (ph_spool_entry) dead = NULL;
  g_autofree char *list = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 410, \"body\": \"no such hook\"}]");
  d = ph_daemon_process_start (s.config);
  send_numbered (&s, "PrintDone", 1, 1);
  ph_daemon_process_wait_log (d, "hook gone: its receiver answered 410 Gone: the hook is "
                                 "DISABLED until the configuration is reloaded", 1, 10000);
  /* Nothing more goes to it; other hooks carry on. */
  send_numbered (&s, "PrintDone", 2, 0);
  send_numbered (&s, "PrintStarted", 3, 1);
  records = wait_delivered (f, 1, 10000);
  ck_assert_uint_eq (json_object_array_length (records), 2);
  ck_assert_str_eq (record_path (record_at (records, 1)), "/other");
  dead = spool_entry (&s, record_id (record_at (records, 0)));
  ck_assert_int_eq (dead->state, PH_SPOOL_DEAD);
  ck_assert_int_eq (dead->last_status, 410);
  ck_assert_str_eq (dead->dead_reason, "the receiver answered 410 Gone");
  assert_contains (dead->last_outcome, "HTTP 410: no such hook");
  list = spool_ok (&s, "list", NULL);
  assert_contains (list, "0 pending, 1 dead");

  /* A reload enables it again. */
  ph_daemon_process_signal (d, SIGHUP);
  ph_daemon_process_wait_log (d, "reloaded: 2 hooks", 1, 10000);
  send_numbered (&s, "PrintDone", 4, 1);
  json_object_put (g_steal_pointer (&records));
  records = wait_delivered (f, 2, 10000);
  ck_assert_str_eq (record_path (record_at (records, 2)), "/gone");
  ck_assert_int_eq (record_status (record_at (records, 2)), 200);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_full_spool_drops_progress_first)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/full");
  g_autofree char *hooks = hook_config ("full", url, "retry.schedule = 3600\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (GPtrArray) kept = NULL;
  g_autoptr (json_object) records = NULL;
  static const char *const expected[] = { "PrintPaused", "PrintDone", "PrintFailed", "Error" };
  guint failures = 0;

  ph_setup_write_config (&s, "spool.max_deliveries = 4\n", hooks);
  ph_faulty_down (f, 0);
  d = ph_daemon_process_start (s.config);
  /* One at a time, each attempt over before the next event comes: a
   * delivery being attempted is never dropped. */
#define SEND(event, payload)                                            \
  do                                                                    \
    {                                                                   \
      ph_setup_send_event (&s, event, payload, 1);                               \
      ph_daemon_process_wait_log (d, "NOT delivered", ++failures, 10000); \
    }                                                                   \
  while (0)
  SEND ("PrintStarted", "{\"n\": 0}");
  SEND ("PrintProgress", "{\"n\": 1, \"progress\": 10}");
  SEND ("PrintProgress", "{\"n\": 2, \"progress\": 20}");
  SEND ("PrintPaused", "{\"n\": 3}");
  SEND ("PrintDone", "{\"n\": 4}");
  ph_daemon_process_wait_log (d, "spool full (spool.max_deliveries = 4): dropped PrintProgress "
                                 "10 % of hook full", 1, 1000);
  SEND ("PrintFailed", "{\"n\": 5}");
  ph_daemon_process_wait_log (d, "spool full (spool.max_deliveries = 4): dropped PrintProgress "
                                 "20 % of hook full", 1, 1000);
  /* No progress left: the oldest of the others. */
  SEND ("Error", "{\"n\": 6}");
  ph_daemon_process_wait_log (d, "spool full (spool.max_deliveries = 4): dropped PrintStarted "
                                 "of hook full", 1, 1000);
#undef SEND
  kept = spool_entries (&s);
  ck_assert_uint_eq (kept->len, 4);
  for (guint i = 0; i < kept->len; i++)
    ck_assert_str_eq (((ph_spool_entry *) g_ptr_array_index (kept, i))->event, expected[i]);

  /* What was kept is delivered when asked, and nothing else. */
  ph_faulty_up (f);
  for (guint i = 0; i < kept->len; i++)
    g_free (spool_ok (&s, "retry", ((ph_spool_entry *) g_ptr_array_index (kept, i))->id));
  records = wait_delivered (f, 4, 10000);
  g_usleep (300 * 1000);
  json_object_put (records);
  records = ph_faulty_records (f);
  ck_assert_uint_eq (json_object_array_length (records), 4);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *event = record_field (record_at (records, i), "event");
      ck_assert_msg (strcmp (event, "PrintProgress") != 0 && strcmp (event, "PrintStarted") != 0,
                     "%s was dropped, yet sent", event);
    }
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_corrupt_spool_is_moved_aside_and_the_daemon_runs)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/c");
  g_autofree char *hooks = hook_config ("c", url, NULL);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *contents = NULL;
  const char *garbage = "this is no SQLite database, whatever its name says\n";
  const char *name;

  ph_setup_write_config (&s, NULL, hooks);
  ck_assert (g_file_set_contents (s.spool, garbage, -1, NULL));
  d = ph_daemon_process_start (s.config);
  ph_daemon_process_wait_log (d, "warning: SPOOL RECOVERED: ", 1, 1000);
  ph_daemon_process_wait_log (d, "; moved it to ", 1, 1000);
  dir = g_dir_open (s.dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "spool.db.corrupt-"))
      aside = g_build_filename (s.dir, name, NULL);
  ck_assert_msg (aside != NULL, "the corrupt spool was not kept beside it");
  ck_assert (g_file_get_contents (aside, &contents, NULL, NULL));
  ck_assert_str_eq (contents, garbage);

  send_numbered (&s, "PrintDone", 1, 1);
  json_object_put (wait_delivered (f, 1, 10000));
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
  ck_assert_uint_eq (ph_setup_count (&s, NULL), 0);
}
END_TEST

START_TEST (test_spool_retry_reaches_the_running_daemon)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/r");
  g_autofree char *hooks = hook_config ("r", url, NULL);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *list = NULL;
  g_autofree char *retried = NULL;
  g_autofree char *expected = NULL;
  char *id;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 400, \"count\": 3}]");
  d = ph_daemon_process_start (s.config);
  for (guint n = 0; n < 3; n++)
    send_numbered (&s, "PrintDone", n, 1);
  ph_daemon_process_wait_log (d, "kept as a dead letter", 3, 10000);
  records = ph_faulty_records (f);
  id = g_strdup (record_id (record_at (records, 0)));
  list = spool_ok (&s, "list", NULL);
  assert_contains (list, id);
  assert_contains (list, "  dead  ");
  assert_contains (list, "HTTP 400");
  assert_contains (list, "0 pending, 3 dead\n");

  /* One, then every other dead letter, without a restart. */
  retried = spool_ok (&s, "retry", id);
  expected = g_strdup_printf ("%s: pending, due now\n", id);
  ck_assert_str_eq (retried, expected);
  json_object_put (wait_delivered (f, 1, 5000));
  g_free (retried);
  retried = spool_ok (&s, "retry", "--all-dead");
  ck_assert_str_eq (retried, "2 dead letters back in the queue, due now\n");
  json_object_put (g_steal_pointer (&records));
  records = wait_delivered (f, 3, 5000);
  ck_assert_str_eq (record_id (record_at (records, 3)), id);
  g_free (list);
  list = spool_ok (&s, "list", NULL);
  assert_contains (list, "no deliveries in ");
  g_free (id);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* Dropped while it is being attempted: the attempt ends, and nothing is
 * attempted again nor written back. */
START_TEST (test_spool_drop_reaches_the_running_daemon)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/d");
  g_autofree char *hooks = hook_config ("d", url, "retry.schedule = 0.3\ntimeout = 60\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *dropped = NULL;
  g_autofree char *list = NULL;
  g_autofree char *expected = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_script (f, "[{\"action\": \"hang\"}]");
  d = ph_daemon_process_start (s.config);
  send_numbered (&s, "PrintDone", 1, 1);
  records = ph_faulty_wait (f, 1, 10000 * ph_test_slowness ());
  list = spool_ok (&s, "list", NULL);
  assert_contains (list, "  sending  ");
  dropped = spool_ok (&s, "drop", record_id (record_at (records, 0)));
  expected = g_strdup_printf ("%s: dropped, it will not be sent\n", record_id (record_at (records, 0)));
  ck_assert_str_eq (dropped, expected);
  /* The receiver goes away, ending the attempt, and comes back. */
  ph_faulty_down (f, 0);
  ph_daemon_process_wait_log (d, "was dropped from the spool meanwhile", 1, 10000);
  ph_faulty_up (f);
  /* The schedule would have tried again long since. */
  g_usleep (G_USEC_PER_SEC * ph_test_slowness ());
  json_object_put (g_steal_pointer (&records));
  records = ph_faulty_records (f);
  ck_assert_uint_eq (json_object_array_length (records), 1);
  ck_assert_uint_eq (ph_setup_count (&s, NULL), 0);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_sigterm_leaves_undelivered_in_the_spool)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/t");
  g_autofree char *hooks = hook_config ("t", url, "retry.schedule = 1\n");
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (GPtrArray) left = NULL;
  g_autoptr (json_object) records = NULL;
  gint64 started;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_down (f, 0);
  d = ph_daemon_process_start (s.config);
  send_numbered (&s, "PrintDone", 1, 1);
  ph_daemon_process_wait_log (d, "NOT delivered", 1, 10000);
  started = g_get_monotonic_time ();
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
  /* Retries do not keep it from stopping. */
  ck_assert (g_get_monotonic_time () - started < 5 * G_USEC_PER_SEC * ph_test_slowness ());
  g_clear_pointer (&d, ph_daemon_process_free);
  left = spool_entries (&s);
  ck_assert_uint_eq (left->len, 1);

  ph_faulty_up (f);
  d = ph_daemon_process_start (s.config);
  records = wait_delivered (f, 1, 10000);
  ck_assert_str_eq (record_id (record_at (records, 0)),
                    ((ph_spool_entry *) g_ptr_array_index (left, 0))->id);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* The JPEG inside a multipart body: from its first SOI marker to its last
 * EOI marker (transfer full), or NULL. */
static GBytes *
jpeg_in (GBytes *body)
{
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (body, &size);
  gsize start = 0, end = 0;

  for (gsize i = 0; i + 2 < size && start == 0; i++)
    if (bytes[i] == 0xff && bytes[i + 1] == 0xd8 && bytes[i + 2] == 0xff)
      start = i + 1;
  for (gsize i = size - 1; i > 0 && end == 0; i--)
    if (bytes[i - 1] == 0xff && bytes[i] == 0xd9)
      end = i + 1;
  if (start == 0 || end <= start)
    return NULL;
  return g_bytes_new (bytes + start - 1, end - start + 1);
}

/* Checks the Standard Webhooks signature of a recorded request. */
static void
assert_signed (json_object *record)
{
  g_autoptr (GBytes) key = ph_signature_decode_secret (SECRET, NULL);
  g_autoptr (GBytes) body = ph_record_body (record);
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (body, &size);

  ck_assert_msg (ph_signature_verify_standard (key, ph_record_header (record, "webhook-id"),
                                               ph_record_header (record, "webhook-timestamp"),
                                               ph_record_header (record, "webhook-signature"),
                                               bytes, size, g_get_real_time () / G_USEC_PER_SEC,
                                               &error),
                 "%s", error->message);
}

/* A retry is a new request for the same delivery: rendered, timestamped
 * and signed afresh, with the same webhook-id and the picture the camera
 * gave when the event happened. */
START_TEST (test_retry_keeps_id_and_snapshot_and_signs_afresh)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *camera_dir = ph_test_tmpdir ();
  const char *camera_args[] = { "--dir", camera_dir, NULL };
  g_autoptr (ph_script_server) camera = ph_script_server_start ("camera_server.py", camera_args);
  g_autofree char *camera_url = ph_script_server_url (camera, "/file/snap.jpg");
  g_autofree char *camera_file = g_build_filename (camera_dir, "snap.jpg", NULL);
  g_autofree char *url = ph_faulty_url (f, "/snap");
  g_autofree char *hooks = g_strdup_printf (
      "[hook snap]\nurl = %s\nevents = PrintDone\nretry.schedule = 2\n"
      "signing_secret = " SECRET "\nsnapshot.url = %s\n"
      "data = {\"n\": \"@extra.n\", \"picture\": \"@snapshot\"}\n", url, camera_url);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (json_object) camera_records = NULL;
  g_autoptr (GBytes) first_body = NULL;
  g_autoptr (GBytes) second_body = NULL;
  g_autoptr (GBytes) first_jpeg = NULL;
  g_autoptr (GBytes) second_jpeg = NULL;
  json_object *first, *second;

  ck_assert (g_file_set_contents (camera_file, "", 0, NULL));
  {
    g_autofree char *tool = g_build_filename (ph_test_srcdir (), "tests", "servers",
                                              "jpeg_tool.py", NULL);
    const char *argv[] = { "/usr/bin/python3", "-I", tool, "make", camera_file, "--size",
                           "64x48", NULL };
    g_autoptr (GError) error = NULL;
    int status = 0;

    ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                 NULL, NULL, NULL, &status, &error)
                   && g_spawn_check_wait_status (status, &error),
                   "jpeg_tool.py: %s", error ? error->message : "");
  }
  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 503}]");
  d = ph_daemon_process_start (s.config);
  send_numbered (&s, "PrintDone", 1, 1);
  records = wait_delivered (f, 1, 20000);
  ck_assert_uint_eq (json_object_array_length (records), 2);
  first = record_at (records, 0);
  second = record_at (records, 1);
  ck_assert_int_eq (record_status (first), 503);
  ck_assert_str_eq (record_id (second), record_id (first));
  ck_assert_str_ne (ph_record_header (second, "webhook-timestamp"),
                    ph_record_header (first, "webhook-timestamp"));
  ck_assert_str_ne (ph_record_header (second, "webhook-signature"),
                    ph_record_header (first, "webhook-signature"));
  assert_signed (first);
  assert_signed (second);

  /* The camera was asked once; the retry carries the same picture. */
  camera_records = ph_script_server_records (camera);
  ck_assert_uint_eq (json_object_array_length (camera_records), 1);
  first_body = ph_record_body (first);
  second_body = ph_record_body (second);
  first_jpeg = jpeg_in (first_body);
  second_jpeg = jpeg_in (second_body);
  ck_assert_msg (first_jpeg != NULL && second_jpeg != NULL, "no JPEG in the bodies");
  ck_assert_uint_gt (g_bytes_get_size (first_jpeg), 100);
  ck_assert (g_bytes_equal (first_jpeg, second_jpeg));
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* Another process holds the spool's write lock for longer than the daemon
 * waits for it: the webhook cannot be written down, and goes once all the
 * same. */
START_TEST (test_locked_spool_still_sends_once)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autofree char *url = ph_faulty_url (f, "/l");
  g_autofree char *hooks = hook_config ("l", url, NULL);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  sqlite3 *db = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  d = ph_daemon_process_start (s.config);
  ck_assert_int_eq (sqlite3_open_v2 (s.spool, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  ck_assert_int_eq (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  send_numbered (&s, "PrintDone", 1, 1);
  json_object_put (wait_delivered (f, 1, 10000));
  ph_daemon_process_wait_log (d, "cannot be written to the spool: ", 1, 1000);
  ck_assert_int_eq (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close (db);

  /* Once the lock is gone, webhooks are written down again. */
  send_numbered (&s, "PrintDone", 2, 1);
  json_object_put (wait_delivered (f, 2, 10000));
  ph_daemon_process_wait_log (d, "hook l: PrintDone delivered", 2, 5000);
  ph_setup_wait_count (&s, NULL, 0, 5);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* A receiver that hangs fills its hook's slots; another hook's retries
 * still go on time. */
START_TEST (test_failing_receiver_holds_back_no_other_hook)
{
  g_autoptr (ph_faulty) stuck = ph_faulty_start ();
  g_autoptr (ph_faulty) fine = ph_faulty_start ();
  g_autofree char *stuck_url = ph_faulty_url (stuck, "/stuck");
  g_autofree char *fine_url = ph_faulty_url (fine, "/fine");
  g_autofree char *hooks = g_strdup_printf ("[hook stuck]\nurl = %s\nevents = PrintProgress\n"
                                            "progress_step = 1\ntimeout = 120\n" DATA
                                            "\n[hook fine]\nurl = %s\nevents = PrintDone\n"
                                            "retry.schedule = 0.3\n" DATA, stuck_url, fine_url);
  g_auto (ph_setup) s = { 0 };
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) records = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  ph_faulty_default (stuck, "{\"action\": \"hang\"}");
  ph_faulty_script (fine, "[{\"action\": \"status\", \"code\": 503, \"count\": 2}]");
  d = ph_daemon_process_start (s.config);
  /* Progress counts from the start of a job. */
  ph_setup_send_event (&s, "PrintStarted", NULL, 0);
  for (guint p = 1; p <= 2 * PH_DELIVERER_HOOK_SLOTS; p++)
    {
      g_autofree char *payload = g_strdup_printf ("{\"n\": %u, \"progress\": %u}", p, p);
      ph_setup_send_event (&s, "PrintProgress", payload, 1);
    }
  json_object_put (
      ph_faulty_wait (stuck, 2 * PH_DELIVERER_HOOK_SLOTS, 10000 * ph_test_slowness ()));
  send_numbered (&s, "PrintDone", 1, 1);
  records = wait_delivered (fine, 1, 5000);
  ck_assert_uint_eq (json_object_array_length (records), 3);
  /* Its attempts end when it goes away: no grace period to wait out. */
  g_clear_pointer (&stuck, ph_faulty_stop);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

static Suite *
reliability_suite (void)
{
  Suite *s = suite_create ("reliability");
  TCase *tc = tcase_create ("reliability");

  tcase_set_timeout (tc, 120 * ph_test_slowness ());
  tcase_add_test (tc, test_receiver_down_then_up_every_delivery_arrives);
  tcase_add_test (tc, test_sigkill_during_outage_loses_nothing);
  tcase_add_test (tc, test_thousand_events_while_down_all_arrive);
  tcase_add_test (tc, test_pipelined_requests_are_answered_in_order_and_kept);
  tcase_add_test (tc, test_retry_after_is_honoured_up_to_its_ceiling);
  tcase_add_test (tc, test_retry_keeps_id_and_snapshot_and_signs_afresh);
  tcase_add_test (tc, test_429_waits_at_least_a_minute);
  tcase_add_test (tc, test_410_disables_the_hook_until_reload);
  tcase_add_test (tc, test_full_spool_drops_progress_first);
  tcase_add_test (tc, test_corrupt_spool_is_moved_aside_and_the_daemon_runs);
  tcase_add_test (tc, test_spool_retry_reaches_the_running_daemon);
  tcase_add_test (tc, test_spool_drop_reaches_the_running_daemon);
  tcase_add_test (tc, test_sigterm_leaves_undelivered_in_the_spool);
  tcase_add_test (tc, test_failing_receiver_holds_back_no_other_hook);
  tcase_add_test (tc, test_locked_spool_still_sends_once);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (reliability_suite ());
}
