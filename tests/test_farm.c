/* A print farm (issue 20) end to end: edge printhooks forwarding whole
 * events (mqtt.format = event) over a real mosquitto to central printhooks
 * ([source] type = mqtt) that deliver them to a receiver.  The forwarded
 * envelope and its acknowledgement; a republished event delivered once;
 * an edge that keeps its event until a central daemon takes it; hostile
 * envelopes refused without stalling the subscription; and the farm:
 * three edges with fake OctoPrint printers, two central daemons in one
 * group, thousands of events while central daemons and the broker are
 * killed -9, every event delivered, none twice per webhook-id. */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "console_client.h"
#include "daemon_process.h"
#include "daemon_setup.h"
#include "fake_server.h"
#include "harness.h"
#include "mqtt_broker.h"
#include "mqtt_subscriber.h"
#include "receiver.h"
#include "text/json_text.h"

static const char *
str (json_object *o, const char *key)
{
  return json_object_get_string (json_object_object_get (o, key));
}

/* A central daemon's config: the farm source (in group when not NULL)
 * and one hook to url for every event, its data naming the event. */
static char *
central_config (ph_broker *b, const char *group, const char *url)
{
  g_autofree char *broker = ph_broker_url (b);

  return g_strdup_printf (
      "[source farm]\ntype = mqtt\nurl = %s\n%s%s%s"
      "[hook out]\nurl = %s\nevents = *\nretry.schedule = 0.2\ntimeout = 5\n"
      "data = {\"event\": \"@event\", \"device\": \"@deviceIdentifier\", \"n\": \"@extra.n\", "
      "\"time\": \"@currentTime\", \"state\": \"@state.text\"}\n",
      broker, group != NULL ? "group = " : "", group != NULL ? group : "",
      group != NULL ? "\n" : "", url);
}

/* A [console] group on a free port with its token in dir. */
static char *
console_group (const char *dir, const char *name)
{
  return g_strdup_printf ("[console]\nlisten = 127.0.0.1:0\ntoken_file = %s/%s.token\n\n", dir,
                          name);
}

/* GET path on d's console (token in DIR/NAME.token): the body, after
 * asserting 200.  Transfer full. */
static char *
console_get (ph_daemon_process *d, const char *dir, const char *name, const char *path)
{
  const char *listening = "console: listening on http://127.0.0.1:";
  g_autofree char *log = NULL;
  g_autofree char *token_file = g_strdup_printf ("%s/%s.token", dir, name);
  g_autofree char *token = NULL;
  g_autofree char *bearer = NULL;
  g_autofree char *url = NULL;
  g_autoptr (ph_console_reply) reply = NULL;
  const char *at;

  ph_daemon_process_wait_log (d, listening, 1, 10000);
  log = ph_daemon_process_log (d);
  at = strstr (log, listening);
  url = g_strdup_printf ("http://127.0.0.1:%u%s",
                         (guint) g_ascii_strtoull (at + strlen (listening), NULL, 10), path);
  ck_assert (g_file_get_contents (token_file, &token, NULL, NULL));
  g_strstrip (token);
  bearer = g_strdup_printf ("Authorization: Bearer %s", token);
  {
    const char *headers[] = { bearer, NULL };

    reply = ph_console_request ("GET", url, headers, NULL, -1);
  }
  ck_assert_int_eq (reply->status, 200);
  return g_strdup (reply->body->str);
}

static void
assert_has (const char *text, const char *part)
{
  ck_assert_msg (strstr (text, part) != NULL, "no '%s' in:\n%s", part, text);
}

/* An edge's forwarding hook, acknowledged within timeout_s. */
static char *
edge_hook (ph_broker *b, guint timeout_s)
{
  g_autofree char *broker = ph_broker_url (b);

  return g_strdup_printf ("[hook forward]\nmodules = mqtt\nevents = *\nmqtt.url = %s\n"
                          "mqtt.format = event\ntimeout = %u\nconnect_timeout = 2\n"
                          "retry.schedule = 0.5, 1\nprogress_step = 1\n",
                          broker, timeout_s);
}

/* An OctoPrint source at url the edge's events come from (with the key
 * tests/servers/fake_octoprint.py takes). */
static char *
edge_source (const char *name, const char *url)
{
  return g_strdup_printf ("[source %s]\ntype = octoprint\nurl = %s\n"
                          "api_key = GOODKEY0123456789\n", name, url);
}

/* One event through the whole path: the envelope on the broker, the
 * webhook at the receiver as if the central daemon's own source had made
 * it, the edge's delivery finished by the acknowledgement. */
START_TEST (test_event_forwarded_and_acknowledged)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  const char *args[] = { "--topic", "printhook/#", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  /* A printer never reached: the events are the test's alone. */
  const char *printer_url = "http://127.0.0.1:9";
  g_auto (ph_setup) central = { 0 };
  g_auto (ph_setup) edge = { 0 };
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *central_console = console_group (dir, "central");
  g_autofree char *edge_console = console_group (dir, "edge");
  g_autofree char *central_hooks = central_config (b, NULL, url);
  g_autofree char *central_text = g_strconcat (central_console, central_hooks, NULL);
  g_autofree char *source = edge_source ("mk4", printer_url);
  g_autofree char *hook = edge_hook (b, 10);
  g_autofree char *edge_text = g_strconcat (edge_console, source, hook, NULL);
  g_autoptr (ph_daemon_process) c = NULL;
  g_autoptr (ph_daemon_process) e = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (json_object) messages = NULL;
  g_autoptr (json_object) status = NULL;
  g_autofree char *edge_metrics = NULL;
  g_autofree char *central_metrics = NULL;
  g_autofree char *status_text = NULL;
  g_autoptr (json_object) envelope = NULL;
  g_autoptr (json_object) body = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *elog = NULL;
  json_object *m = NULL, *source_member;

  ph_setup_write_config (&central, NULL, central_text);
  ph_setup_write_config (&edge, NULL, edge_text);
  c = ph_daemon_process_start (central.config);
  ph_daemon_process_wait_log (c, "taking printhook/events/#", 1, 10000);
  e = ph_daemon_process_start (edge.config);
  ph_setup_send_event_from (&edge, "PrintDone", "{\"n\": 7, \"name\": \"benchy.gcode\"}", "mk4",
                            1);
  records = ph_receiver_wait (r, 1, 15000);
  ph_setup_wait_count (&edge, NULL, 0, 15);

  /* What the central daemon delivered: the edge's source is the device. */
  bytes = ph_record_body (json_object_array_get_idx (records, 0));
  body = ph_json_parse (g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL);
  ck_assert_ptr_nonnull (body);
  ck_assert_str_eq (str (body, "event"), "PrintDone");
  ck_assert_str_eq (str (body, "device"), "mk4");
  ck_assert_str_eq (str (body, "n"), "7");
  ck_assert (g_str_has_prefix (ph_record_header (json_object_array_get_idx (records, 0),
                                                 "webhook-id"), "msg_"));

  /* The envelope as it went over the broker. */
  messages = ph_mqtt_subscriber_messages (sub);
  for (size_t i = 0; i < json_object_array_length (messages); i++)
    if (strcmp (str (json_object_array_get_idx (messages, i), "topic"),
                "printhook/events/mk4/PrintDone") == 0)
      m = json_object_array_get_idx (messages, i);
  ck_assert_msg (m != NULL, "no envelope on printhook/events/mk4/PrintDone");
  envelope = ph_json_parse (str (m, "payload"), -1, NULL);
  ck_assert_ptr_nonnull (envelope);
  ck_assert_int_eq (json_object_get_int (json_object_object_get (envelope, "v")), 1);
  ck_assert_str_eq (str (envelope, "name"), "PrintDone");
  ck_assert (g_str_has_prefix (str (envelope, "id"), "msg_"));
  source_member = json_object_object_get (envelope, "source");
  ck_assert_str_eq (str (source_member, "name"), "mk4");
  ck_assert_str_eq (str (source_member, "type"), "octoprint");
  ck_assert_int_eq (json_object_get_int (json_object_object_get (
                        json_object_object_get (envelope, "payload"), "n")), 7);
  ck_assert (json_object_is_type (json_object_object_get (envelope, "printer"),
                                  json_type_object));
  ck_assert (json_object_get_int64 (json_object_object_get (envelope, "time")) > 1700000000);

  /* The edge's delivery ended with the central daemon's word. */
  elog = ph_daemon_process_log (e);
  ck_assert_msg (strstr (elog, "committed by central printhook") != NULL, "%s", elog);

  /* What the consoles and /metrics say of it. */
  edge_metrics = console_get (e, dir, "edge", "/metrics");
  assert_has (edge_metrics, "printhook_farm_forwarded_total{hook=\"forward\"} 1\n");
  assert_has (edge_metrics, "printhook_farm_acknowledged_total{hook=\"forward\"} 1\n");
  assert_has (edge_metrics, "printhook_farm_pending{hook=\"forward\"} 0\n");
  central_metrics = console_get (c, dir, "central", "/metrics");
  assert_has (central_metrics, "printhook_farm_received_total{source=\"farm\"} 1\n");
  assert_has (central_metrics,
              "printhook_farm_taken_total{source=\"farm\",result=\"committed\"} 1\n");
  assert_has (central_metrics,
              "printhook_farm_taken_total{source=\"farm\",result=\"refused\"} 0\n");
  status_text = console_get (c, dir, "central", "/api/v1/status");
  status = ph_json_parse (status_text, -1, NULL);
  {
    json_object *farm_source = json_object_array_get_idx (json_object_object_get (status,
                                                                                  "sources"), 0);
    json_object *counts = json_object_object_get (farm_source, "farm");

    ck_assert_str_eq (str (farm_source, "type"), "mqtt");
    ck_assert (json_object_get_boolean (json_object_object_get (farm_source, "connected")));
    ck_assert_int_eq (json_object_get_int (json_object_object_get (counts, "committed")), 1);
    ck_assert_int_eq (json_object_get_int (json_object_object_get (counts, "duplicates")), 0);
  }
  ck_assert_int_eq (ph_daemon_process_stop (e, 10), 0);
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
}
END_TEST

/* mosquitto_pub of an envelope with MQTT 5 response topic and
 * correlation data; returns its exit status. */
static int
publish_envelope (ph_broker *b, const char *topic, const char *payload_file, const char *reply,
                  const char *correlation)
{
  const char *args[] = { "-V", "5", "-q", "1", "-t", topic, "-f", payload_file,
                         "-D", "publish", "response-topic", reply,
                         "-D", "publish", "correlation-data", correlation, NULL };

  return ph_mqtt_pub_run (b, TRUE, args, NULL);
}

static char *
envelope_text (const char *id, const char *name, guint n)
{
  return g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"name\":\"%s\",\"source\":{\"name\":\"edge9\","
                          "\"type\":\"octoprint\"},\"time\":1733500000,\"payload\":{\"n\":%u},"
                          "\"printer\":{\"state\":{\"text\":\"Printing\"}}}",
                          id, name, n);
}

/* The acknowledgements on topic, by result. */
static guint
acks_with (ph_mqtt_subscriber *sub, const char *topic, const char *id, const char *result)
{
  g_autoptr (json_object) all = ph_mqtt_subscriber_messages (sub);
  guint count = 0;

  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *m = json_object_array_get_idx (all, i);
      g_autoptr (json_object) ack = NULL;

      if (strcmp (str (m, "topic"), topic) != 0)
        continue;
      ack = ph_json_parse (str (m, "payload"), -1, NULL);
      if (ack != NULL && g_strcmp0 (str (ack, "id"), id) == 0
          && g_strcmp0 (str (ack, "result"), result) == 0)
        count++;
    }
  return count;
}

static void
wait_acks (ph_mqtt_subscriber *sub, const char *topic, const char *id, const char *result,
           guint n)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC * ph_test_slowness ();

  while (acks_with (sub, topic, id, result) < n)
    {
      ck_assert_msg (g_get_monotonic_time () < deadline, "no %s acknowledgement of %s on %s",
                     result, id, topic);
      g_usleep (50000);
    }
}

/* The same envelope twice (a republication) and once after a restart of
 * the central daemon: one webhook, the later ones acknowledged as
 * duplicates; the same id with other content refused; broken envelopes
 * refused with a reason; a 1 MB one refused; and a good one after all
 * that still delivered. */
START_TEST (test_duplicates_and_hostile_envelopes)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  const char *args[] = { "--topic", "acks/#", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_auto (ph_setup) central = { 0 };
  g_autofree char *text = central_config (b, NULL, url);
  g_autoptr (ph_daemon_process) c = NULL;
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *file = g_build_filename (dir, "envelope.json", NULL);
  g_autofree char *good = envelope_text ("msg_dup1", "PrintDone", 1);
  g_autofree char *other = envelope_text ("msg_dup1", "PrintFailed", 1);
  g_autofree char *clog = NULL;
  g_autoptr (json_object) records = NULL;
  static const struct {
    const char *id;
    const char *payload;
    const char *reason;
  } hostile[] = {
    { "msg_h1", "{\"v\":2,\"id\":\"msg_h1\"}", "envelope version 2 is not 1" },
    { "msg_h2", "{\"v\":1,\"id\":\"msg_h2\",\"name\":\"PrintDone\"}", "has no \"source\"" },
    { "msg_h3", "not json at all", "the envelope is not JSON" },
    { "msg_h4", "{\"v\":1,\"id\":\"msg_h4\",\"name\":\"Print\\u0001Done\",\"source\":{\"name\":"
                "\"a\",\"type\":\"b\"},\"time\":1,\"payload\":{},\"printer\":{}}",
      "control character" },
    { "msg_h5", "{\"v\":1,\"id\":\"bad id!\",\"name\":\"x\",\"source\":{\"name\":\"a\",\"type\":"
                "\"b\"},\"time\":1,\"payload\":{},\"printer\":{}}",
      "letters, digits" },
    { "msg_h6", "{\"v\":1,\"id\":\"msg_h6\",\"name\":\"x\",\"source\":{\"name\":\"a\",\"type\":"
                "\"b\"},\"time\":-5,\"payload\":{},\"printer\":{},\"extra\":1}",
      "unknown member" },
    { "msg_h7", "{\"v\":1,\"id\":\"msg_h7\",\"name\":\"x\",\"source\":{\"name\":\"a\",\"type\":"
                "\"b\"},\"time\":1e400,\"payload\":{},\"printer\":{}}",
      "not JSON" },
    { "msg_h8", "{\"v\":1,\"id\":\"msg_h8\",\"name\":\"Print Done\",\"source\":{\"name\":"
                "\"a\",\"type\":\"b\"},\"time\":1,\"payload\":{},\"printer\":{}}",
      "\"name\" may hold letters, digits and _ only" },
  };

  ph_setup_write_config (&central, NULL, text);
  c = ph_daemon_process_start (central.config);
  ph_daemon_process_wait_log (c, "taking printhook/events/#", 1, 10000);

  g_file_set_contents (file, good, -1, NULL);
  ck_assert_int_eq (publish_envelope (b, "printhook/events/edge9/PrintDone", file, "acks/e9",
                                      "msg_dup1"), 0);
  wait_acks (sub, "acks/e9", "msg_dup1", "committed", 1);
  ck_assert_int_eq (publish_envelope (b, "printhook/events/edge9/PrintDone", file, "acks/e9",
                                      "msg_dup1"), 0);
  wait_acks (sub, "acks/e9", "msg_dup1", "duplicate", 1);

  /* The table of ids is in the spool: a restart remembers it. */
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
  g_clear_pointer (&c, ph_daemon_process_free);
  c = ph_daemon_process_start (central.config);
  ph_daemon_process_wait_log (c, "taking printhook/events/#", 1, 10000);
  ck_assert_int_eq (publish_envelope (b, "printhook/events/edge9/PrintDone", file, "acks/e9",
                                      "msg_dup1"), 0);
  wait_acks (sub, "acks/e9", "msg_dup1", "duplicate", 2);

  /* The same id with other content. */
  g_file_set_contents (file, other, -1, NULL);
  ck_assert_int_eq (publish_envelope (b, "printhook/events/edge9/PrintFailed", file, "acks/e9",
                                      "msg_dup1"), 0);
  wait_acks (sub, "acks/e9", "msg_dup1", "refused", 1);

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_file_set_contents (file, hostile[i].payload, -1, NULL);
      ck_assert_int_eq (publish_envelope (b, "printhook/events/x/y", file, "acks/e9",
                                          hostile[i].id), 0);
      wait_acks (sub, "acks/e9", hostile[i].id, "refused", 1);
      ph_daemon_process_wait_log (c, hostile[i].reason, 1, 10000);
    }
  /* Correlation data that is no id (a space, a "!"): refused without an
   * answer, since it names no event to refuse. */
  g_file_set_contents (file, "not json", -1, NULL);
  ck_assert_int_eq (publish_envelope (b, "printhook/events/x/nameless", file, "acks/e9",
                                      "bad id!"), 0);
  ph_daemon_process_wait_log (c, "on printhook/events/x/nameless: the envelope is not JSON", 1,
                              10000);
  /* 1 MB: refused before it is parsed. */
  {
    g_autofree char *big = g_strnfill (1024 * 1024, 'x');

    g_file_set_contents (file, big, -1, NULL);
    ck_assert_int_eq (publish_envelope (b, "printhook/events/x/y", file, "acks/e9", "msg_big"),
                      0);
    wait_acks (sub, "acks/e9", "msg_big", "refused", 1);
  }

  /* The subscription still works: a good envelope is delivered. */
  {
    g_autofree char *after = envelope_text ("msg_after", "PrintStarted", 2);

    g_file_set_contents (file, after, -1, NULL);
    ck_assert_int_eq (publish_envelope (b, "printhook/events/edge9/PrintStarted", file,
                                        "acks/e9", "msg_after"), 0);
    wait_acks (sub, "acks/e9", "msg_after", "committed", 1);
  }
  records = ph_receiver_wait (r, 2, 15000);
  g_usleep (500000);
  g_clear_pointer (&records, json_object_put);
  records = ph_receiver_records (r);
  ck_assert_uint_eq (json_object_array_length (records), 2);
  clog = ph_daemon_process_log (c);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *needle = g_strdup_printf ("for event %s: ", hostile[i].id);
      const char *at = strstr (clog, needle);

      ck_assert_msg (at != NULL, "no refusal of %s in the log:\n%s", hostile[i].id, clog);
    }
  ck_assert_msg (strstr (clog, "the envelope has 1048576 bytes") != NULL, "%s", clog);
  ck_assert_msg (strstr (clog, "committed before with other content") != NULL, "%s", clog);
  ck_assert_uint_eq (acks_with (sub, "acks/e9", "bad id!", "refused"), 0);
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
}
END_TEST

/* A broker with TLS and a password on both sides: the edge's hook and
 * the central source take the user and password in the URL and the CA
 * in tls_ca_file, as the mqtt module does; a wrong password on the
 * central side is said in its log and the edge keeps the event. */
START_TEST (test_farm_over_tls_with_a_password)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_TLS | PH_BROKER_PASSWORD);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *plain = ph_broker_url (b);
  const char *rest = strstr (plain, "://") + 3;
  g_autofree char *broker = g_strdup_printf ("mqtts://" PH_BROKER_USER ":" PH_BROKER_PASSWORD_TEXT
                                             "@%s", rest);
  g_autofree char *wrong = g_strdup_printf ("mqtts://" PH_BROKER_USER ":nope@%s", rest);
  const char *ca = ph_broker_ca_file (b);
  g_autofree char *bad_text = g_strdup_printf (
      "[source farm]\ntype = mqtt\nurl = %s\ntls_ca_file = %s\n"
      "[hook out]\nurl = %s\nevents = *\n", wrong, ca, url);
  g_autofree char *central_text = g_strdup_printf (
      "[source farm]\ntype = mqtt\nurl = %s\ntls_ca_file = %s\ngroup = tls\n"
      "[hook out]\nurl = %s\nevents = *\ndata = {\"n\": \"@extra.n\"}\n", broker, ca, url);
  g_autofree char *edge_text = g_strdup_printf (
      "[source mk4]\ntype = octoprint\nurl = http://127.0.0.1:9\napi_key = GOODKEY0123456789\n"
      "[hook forward]\nmodules = mqtt\nevents = *\nmqtt.url = %s\ntls_ca_file = %s\n"
      "mqtt.format = event\ntimeout = 2\nretry.schedule = 0.5\n", broker, ca);
  g_auto (ph_setup) central = { 0 };
  g_auto (ph_setup) edge = { 0 };
  g_autoptr (ph_daemon_process) c = NULL;
  g_autoptr (ph_daemon_process) e = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *log = NULL;

  ph_setup_write_config (&central, NULL, bad_text);
  ph_setup_write_config (&edge, NULL, edge_text);
  c = ph_daemon_process_start (central.config);
  e = ph_daemon_process_start (edge.config);
  ph_setup_send_event_from (&edge, "PrintDone", "{\"n\": 3}", "mk4", 1);
  ph_daemon_process_wait_log (c, "check the user and password in url", 1, 15000);
  ph_daemon_process_wait_log (e, "no central printhook acknowledged it", 1, 15000);
  log = ph_daemon_process_log (c);
  ck_assert_msg (strstr (log, "nope") == NULL, "the password is in the log:\n%s", log);
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
  g_clear_pointer (&c, ph_daemon_process_free);

  ph_setup_write_config (&central, NULL, central_text);
  c = ph_daemon_process_start (central.config);
  records = ph_receiver_wait (r, 1, 20000);
  ph_setup_wait_count (&edge, NULL, 0, 20);
  {
    g_autoptr (GBytes) bytes = ph_record_body (json_object_array_get_idx (records, 0));

    ck_assert_str_eq ((const char *) g_bytes_get_data (bytes, NULL), "{\"n\":3}");
  }
  ck_assert_int_eq (ph_daemon_process_stop (e, 10), 0);
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
}
END_TEST

/* No central daemon: the edge keeps its event and sends it again until
 * one is there; then it is delivered once. */
START_TEST (test_edge_keeps_the_event_until_a_central_takes_it)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  /* A printer never reached: the events are the test's alone. */
  const char *printer_url = "http://127.0.0.1:9";
  g_auto (ph_setup) central = { 0 };
  g_auto (ph_setup) edge = { 0 };
  g_autofree char *central_text = central_config (b, NULL, url);
  g_autofree char *source = edge_source ("mk4", printer_url);
  g_autofree char *hook = edge_hook (b, 1);
  g_autofree char *edge_text = g_strconcat (source, hook, NULL);
  g_autoptr (ph_daemon_process) c = NULL;
  g_autoptr (ph_daemon_process) e = NULL;
  g_autoptr (json_object) records = NULL;

  ph_setup_write_config (&central, NULL, central_text);
  ph_setup_write_config (&edge, NULL, edge_text);
  e = ph_daemon_process_start (edge.config);
  ph_setup_send_event_from (&edge, "PrintStarted", "{\"n\": 1}", "mk4", 1);
  ph_daemon_process_wait_log (e, "no central printhook acknowledged it within 1 s", 2, 20000);
  ck_assert_uint_eq (ph_setup_count (&edge, "state = 'pending'"), 1);
  c = ph_daemon_process_start (central.config);
  ph_setup_wait_count (&edge, NULL, 0, 30);
  records = ph_receiver_wait (r, 1, 15000);
  g_usleep (1000000);
  g_clear_pointer (&records, json_object_put);
  records = ph_receiver_records (r);
  ck_assert_uint_eq (json_object_array_length (records), 1);
  ck_assert_int_eq (ph_daemon_process_stop (e, 10), 0);
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
}
END_TEST

/* printhook check names the file, line and key of what is wrong. */
START_TEST (test_check_errors)
{
  g_auto (ph_setup) s = { 0 };
  const char *argv[] = { "check", "-c", NULL, NULL };
  g_autoptr (ph_run_result) result = NULL;

  ph_setup_write_config (&s, NULL,
                         "[source a]\ntype = mqtt\n\n"
                         "[source b]\ntype = mqtt\nurl = http://h\n\n"
                         "[source c]\ntype = mqtt\nurl = mqtt://h\ntopic = a/#/b\ngroup = x/y\n"
                         "format = octoprint\napi_key = k\n\n"
                         "[source d]\ntype = octoprint\nurl = http://h\napi_key = k\n"
                         "group = g\n\n"
                         "[hook v3]\nmodules = mqtt\nmqtt.url = mqtt://h\nmqtt.format = event\n"
                         "mqtt.protocol = 3.1.1\n\n"
                         "[hook topic]\nmodules = mqtt\nmqtt.url = mqtt://h\nmqtt.format = event\n"
                         "mqtt.topic = x\n\n"
                         "[hook prefix]\nmodules = mqtt\nmqtt.url = mqtt://h\n"
                         "mqtt.event_prefix = x\n\n"
                         "[hook fmt]\nmodules = mqtt\nmqtt.url = mqtt://h\nmqtt.format = envelope\n");
  argv[2] = s.config;
  result = ph_run_printhook (argv, NULL, 30);
  ck_assert_int_ne (result->exit_status, 0);
  ck_assert_msg (strstr (result->err, "[source a]: an mqtt source needs a url") != NULL, "%s",
                 result->err);
  ck_assert_msg (strstr (result->err, "[source b] url: ") != NULL
                     && strstr (result->err, "mqtt") != NULL, "%s", result->err);
  ck_assert_msg (strstr (result->err, "[source c] topic: 'a/#/b' is not a topic filter: '#' must "
                                      "be a whole level, the last one") != NULL, "%s",
                 result->err);
  ck_assert_msg (strstr (result->err, "[source c] group: 'x/y' cannot be a group") != NULL, "%s",
                 result->err);
  ck_assert_msg (strstr (result->err, "[source c] format: 'octoprint' is not a format") != NULL,
                 "%s", result->err);
  ck_assert_msg (strstr (result->err, "[source c] api_key: api_key is a key of octoprint and "
                                      "moonraker sources only") != NULL, "%s", result->err);
  ck_assert_msg (strstr (result->err, "[source d] group: group is a key of mqtt sources only")
                     != NULL, "%s", result->err);
  ck_assert_msg (strstr (result->err, "mqtt.format = event needs mqtt.protocol = 5") != NULL,
                 "%s", result->err);
  ck_assert_msg (strstr (result->err, "mqtt.topic is for mqtt.format = body") != NULL, "%s",
                 result->err);
  ck_assert_msg (strstr (result->err, "mqtt.event_prefix is for mqtt.format = event") != NULL,
                 "%s", result->err);
  ck_assert_msg (strstr (result->err, "mqtt.format 'envelope': body") != NULL, "%s",
                 result->err);
}
END_TEST

/* What the receiver got, by the event's n (ticks) or by edge and name
 * (the printers' own events): the webhook-ids, each counted. */
typedef struct {
  GHashTable *ticks;           /* n + 1 -> GHashTable webhook-id -> count */
  GHashTable *prints;          /* "device/event" -> GHashTable webhook-id -> count */
  guint records;
} arrivals;

static void
count_id (GHashTable *table, gpointer key, GDestroyNotify key_free, const char *id)
{
  GHashTable *ids = g_hash_table_lookup (table, key);

  if (ids == NULL)
    {
      ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (table, key, ids);
    }
  else if (key_free != NULL)
    key_free (key);
  g_hash_table_insert (ids, g_strdup (id),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (ids, id)) + 1));
}

static void
read_arrivals (ph_receiver *r, arrivals *a)
{
  g_autoptr (json_object) records = ph_receiver_records (r);

  a->ticks = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_hash_table_unref);
  a->prints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_hash_table_unref);
  a->records = (guint) json_object_array_length (records);
  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      json_object *record = json_object_array_get_idx (records, i);
      g_autoptr (GBytes) bytes = ph_record_body (record);
      g_autoptr (json_object) body = ph_json_parse (g_bytes_get_data (bytes, NULL),
                                                    (gssize) g_bytes_get_size (bytes), NULL);
      const char *id = ph_record_header (record, "webhook-id");

      ck_assert_msg (body != NULL && id != NULL, "a webhook without a JSON body or webhook-id");
      if (strcmp (str (body, "event"), "FarmTick") == 0)
        count_id (a->ticks, GUINT_TO_POINTER ((guint) atoi (str (body, "n")) + 1), NULL, id);
      else
        count_id (a->prints, g_strdup_printf ("%s/%s", str (body, "device"), str (body, "event")),
                  g_free, id);
    }
}

static void
arrivals_clear (arrivals *a)
{
  g_hash_table_unref (a->ticks);
  g_hash_table_unref (a->prints);
}

/* Every webhook-id of one event arrived once or more; how many more. */
static guint
resent (GHashTable *ids)
{
  GHashTableIter iter;
  gpointer count;
  guint extra = 0;

  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    extra += GPOINTER_TO_UINT (count) - 1;
  return extra;
}

#define EDGES 3u

/* The farm: three edges with a fake OctoPrint each (a whole print of
 * theirs forwarded too), two central daemons in one group, events handed
 * to the edges while one central daemon is killed -9 and restarted
 * twice, then the broker.  At the end every event arrived at least
 * once, under one webhook-id per hook, nothing is pending anywhere and
 * nothing is dead. */
START_TEST (test_farm_loses_nothing_when_daemons_and_broker_die)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *central_text = central_config (b, "deliver", url);
  g_autofree char *hook = edge_hook (b, 3);
  const guint events = ph_test_slowness () > 1 ? 300 : 3000;
  ph_fake_server *printers[EDGES];
  ph_setup edges[EDGES] = { { 0 } };
  ph_daemon_process *edge[EDGES];
  g_auto (ph_setup) central_a = { 0 };
  g_auto (ph_setup) central_b = { 0 };
  g_autoptr (ph_daemon_process) a = NULL;
  g_autoptr (ph_daemon_process) c = NULL;
  arrivals got = { 0 };
  guint missing = 0, split = 0, extra = 0, example = 0;
  gint64 started = g_get_monotonic_time ();

  ph_setup_write_config (&central_a, NULL, central_text);
  ph_setup_write_config (&central_b, NULL, central_text);
  a = ph_daemon_process_start (central_a.config);
  c = ph_daemon_process_start (central_b.config);
  ph_daemon_process_wait_log (a, "taking $share/deliver/printhook/events/#", 1, 10000);
  ph_daemon_process_wait_log (c, "taking $share/deliver/printhook/events/#", 1, 10000);
  for (guint i = 0; i < EDGES; i++)
    {
      g_autofree char *printer_url = NULL;
      g_autofree char *name = g_strdup_printf ("printer%u", i);
      g_autofree char *source = NULL;
      g_autofree char *text = NULL;

      printers[i] = ph_fake_server_start ("fake_octoprint.py", "print", NULL);
      printer_url = ph_fake_server_url (printers[i]);
      source = edge_source (name, printer_url);
      text = g_strconcat (source, hook, NULL);
      ph_setup_write_config (&edges[i], NULL, text);
      edge[i] = ph_daemon_process_start (edges[i].config);
    }
  for (guint n = 0; n < events; n++)
    {
      g_autofree char *payload = g_strdup_printf ("{\"n\": %u}", n);
      g_autofree char *source = g_strdup_printf ("printer%u", n % EDGES);

      ph_setup_send_event_from (&edges[n % EDGES], "FarmTick", payload, source, 1);
      if (n == events / 4 || n == events / 2)
        {
          /* kill -9 a central daemon, and start it again a moment later:
           * twice the same one, as the issue asks. */
          ph_daemon_process_signal (a, SIGKILL);
          ph_daemon_process_stop (a, 10);
          g_clear_pointer (&a, ph_daemon_process_free);
          g_usleep (300000);
          a = ph_daemon_process_start (central_a.config);
        }
      if (n == 3 * events / 4)
        {
          ph_broker_kill (b);
          g_usleep (500000);
          ph_broker_restart (b);
        }
    }
  for (guint i = 0; i < EDGES; i++)
    {
      ph_fake_server_wait (printers[i], "done", 1, 60000);
      ph_setup_wait_count (&edges[i], NULL, 0, 180);
    }
  ph_setup_wait_count (&central_a, NULL, 0, 60);
  ph_setup_wait_count (&central_b, NULL, 0, 60);
  g_usleep (500000);

  read_arrivals (r, &got);
  for (guint n = 0; n < events; n++)
    {
      GHashTable *ids = g_hash_table_lookup (got.ticks, GUINT_TO_POINTER (n + 1));

      if (ids == NULL)
        {
          missing++;
          example = n;
          continue;
        }
      if (g_hash_table_size (ids) > 1)
        {
          g_autofree char **keys = (char **) g_hash_table_get_keys_as_array (ids, NULL);
          g_autofree char *joined = g_strjoinv (", ", keys);

          fprintf (stderr, "farm: event n = %u arrived under webhook-ids %s\n", n, joined);
          split++;
        }
      extra += resent (ids);
    }
  fprintf (stderr,
           "farm: %u events over %u edges, 2 central daemons (one killed -9 twice), the broker "
           "killed once: %u webhooks arrived in %.1f s; %u events missing, %u under more than "
           "one webhook-id, %u sent again under the same webhook-id (at least once)\n",
           events, EDGES, got.records,
           (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC, missing, split, extra);
  ck_assert_msg (missing == 0, "%u of %u events never arrived (e.g. n = %u)", missing, events,
                 example);
  ck_assert_msg (split == 0, "%u events arrived under two webhook-ids of one hook", split);
  for (guint i = 0; i < EDGES; i++)
    {
      static const char *const names[] = { "PrintStarted", "PrintDone" };

      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        {
          g_autofree char *key = g_strdup_printf ("printer%u/%s", i, names[k]);
          GHashTable *ids = g_hash_table_lookup (got.prints, key);

          ck_assert_msg (ids != NULL, "%s never arrived", key);
          ck_assert_msg (g_hash_table_size (ids) == 1, "%s arrived under %u webhook-ids", key,
                         g_hash_table_size (ids));
        }
      ck_assert_uint_eq (ph_setup_count (&edges[i], "state = 'dead'"), 0);
    }
  ck_assert_uint_eq (ph_setup_count (&central_a, "state = 'dead'"), 0);
  ck_assert_uint_eq (ph_setup_count (&central_b, "state = 'dead'"), 0);
  arrivals_clear (&got);
  for (guint i = 0; i < EDGES; i++)
    {
      ck_assert_int_eq (ph_daemon_process_stop (edge[i], 10), 0);
      ph_daemon_process_free (edge[i]);
      ph_fake_server_stop (printers[i]);
      ph_setup_clear (&edges[i]);
    }
  ck_assert_int_eq (ph_daemon_process_stop (a, 10), 0);
  ck_assert_int_eq (ph_daemon_process_stop (c, 10), 0);
}
END_TEST

#define PLUGIN_DATA                                                                       \
  "data = {\"event\": \"@event\", \"file\": \"@extra.name\", \"path\": \"@extra.path\", "        \
  "\"milestone\": \"@percentCompleteMilestone\", \"job\": \"@job.file.name\", "                   \
  "\"device\": \"@deviceIdentifier\", \"state\": \"@state.text\"}\n"

/* The webhooks' bodies, in order, as one text. */
static char *
bodies (ph_receiver *r)
{
  g_autoptr (json_object) records = ph_receiver_records (r);
  GString *out = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      g_autoptr (GBytes) body = ph_record_body (json_object_array_get_idx (records, i));

      g_string_append_len (out, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body));
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
plugin_publish (ph_broker *b, const char *topic, const char *payload)
{
  const char *args[] = { "-q", "1", "-t", topic, "-m", payload, NULL };

  ck_assert_int_eq (ph_mqtt_pub_run (b, TRUE, args, NULL), 0);
}

/* The OctoPrint-MQTT plugin's messages for a print (as the plugin
 * publishes them: the event's payload with _event and _timestamp, and
 * integer progress) make the same webhooks as the push API does for the
 * same print (tests/servers/fake_octoprint.py's scenario "print"). */
START_TEST (test_octoprint_mqtt_plugin_makes_the_push_api_webhooks)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  g_autoptr (ph_receiver) push = ph_receiver_start (NULL);
  g_autoptr (ph_receiver) plugin = ph_receiver_start (NULL);
  g_autofree char *push_url = ph_receiver_url (push, "/hook");
  g_autofree char *plugin_url = ph_receiver_url (plugin, "/hook");
  g_autoptr (ph_fake_server) printer = ph_fake_server_start ("fake_octoprint.py", "print", NULL);
  g_autofree char *printer_url = ph_fake_server_url (printer);
  g_autofree char *broker = ph_broker_url (b);
  g_autofree char *source = edge_source ("mk3", printer_url);
  g_autofree char *push_text = g_strdup_printf (
      "%s[hook h]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n" PLUGIN_DATA,
      source, push_url);
  g_autofree char *plugin_text = g_strdup_printf (
      "[source mk3]\ntype = mqtt\nformat = octoprint-mqtt\nurl = %s\n"
      "[hook h]\nurl = %s\nevents = PrintStarted, PrintProgress, PrintDone\n" PLUGIN_DATA,
      broker, plugin_url);
  g_auto (ph_setup) s_push = { 0 };
  g_auto (ph_setup) s_plugin = { 0 };
  g_autoptr (ph_daemon_process) d_push = NULL;
  g_autoptr (ph_daemon_process) d_plugin = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  g_autofree char *log = NULL;
  g_autoptr (json_object) records = NULL;
  guint n;
  static const char *const progress[] = { "0", "5", "8", "27", "33", "50", "51", "75", "99" };
  const char *job = "\"name\": \"benchy.gcode\", \"path\": \"parts/benchy.gcode\", "
                    "\"origin\": \"local\", \"size\": 1183897, \"owner\": \"alice\", "
                    "\"user\": \"alice\"";

  ph_setup_write_config (&s_push, NULL, push_text);
  d_push = ph_daemon_process_start (s_push.config);
  ph_fake_server_wait (printer, "done", 1, 60000);
  ph_setup_wait_count (&s_push, NULL, 0, 30);
  expected = bodies (push);
  records = ph_receiver_records (push);
  n = (guint) json_object_array_length (records);
  ck_assert_msg (n >= 3, "the push API made %u webhooks:\n%s", n, expected);

  ph_setup_write_config (&s_plugin, NULL, plugin_text);
  d_plugin = ph_daemon_process_start (s_plugin.config);
  ph_daemon_process_wait_log (d_plugin, "taking octoPrint/#", 1, 10000);
  plugin_publish (b, "octoPrint/mqtt", "connected");
  plugin_publish (b, "octoPrint/event/FileSelected",
                  "{\"name\": \"benchy.gcode\", \"path\": \"parts/benchy.gcode\", "
                  "\"origin\": \"local\", \"_event\": \"FileSelected\", \"_timestamp\": 1733500000}");
  plugin_publish (b, "octoPrint/temperature/tool0",
                  "{\"actual\": 210.0, \"target\": 210.0, \"_timestamp\": 1733500001}");
  {
    g_autofree char *started = g_strdup_printf ("{%s, \"_event\": \"PrintStarted\", "
                                                "\"_timestamp\": 1733500002}", job);

    plugin_publish (b, "octoPrint/event/PrintStarted", started);
  }
  for (guint i = 0; i < G_N_ELEMENTS (progress); i++)
    {
      g_autofree char *message = g_strdup_printf (
          "{\"progress\": %s, \"location\": \"local\", \"path\": \"parts/benchy.gcode\", "
          "\"_timestamp\": 1733500003}", progress[i]);

      plugin_publish (b, "octoPrint/progress/printing", message);
    }
  {
    g_autofree char *done = g_strdup_printf ("{%s, \"time\": 3625.12, \"_event\": \"PrintDone\", "
                                             "\"_timestamp\": 1733503627}", job);

    plugin_publish (b, "octoPrint/event/PrintDone", done);
  }
  /* Not the plugin's shape: refused, logged, and nothing else changes. */
  plugin_publish (b, "octoPrint/event/PrintFailed", "not json");
  plugin_publish (b, "octoPrint/event/Print Done", "{\"_event\": \"Print Done\"}");
  plugin_publish (b, "octoPrint/event/Print-Done", "{\"_event\": \"Print-Done\"}");
  plugin_publish (b, "octoPrint/progress/printing", "{\"progress\": 1e300}");
  g_clear_pointer (&records, json_object_put);
  records = ph_receiver_wait (plugin, n, 20000);
  ph_setup_wait_count (&s_plugin, NULL, 0, 30);
  g_usleep (300000);
  got = bodies (plugin);
  ck_assert_str_eq (got, expected);
  log = ph_daemon_process_log (d_plugin);
  assert_has (log, "on octoPrint/event/PrintFailed: event/PrintFailed is not JSON");
  assert_has (log, "progress/printing without a progress from 0 to 100");
  assert_has (log, "'event/Print Done' is no event topic of the OctoPrint-MQTT plugin (an event is "
                   "named in letters, digits and '_')");
  assert_has (log, "'event/Print-Done' is no event topic");
  ck_assert_int_eq (ph_daemon_process_stop (d_plugin, 10), 0);
  ck_assert_int_eq (ph_daemon_process_stop (d_push, 10), 0);
}
END_TEST

static Suite *
farm_suite (void)
{
  Suite *suite = suite_create ("farm");
  TCase *tc = tcase_create ("farm");

  tcase_set_timeout (tc, 240 * ph_test_slowness ());
  tcase_add_test (tc, test_check_errors);
  tcase_add_test (tc, test_event_forwarded_and_acknowledged);
  tcase_add_test (tc, test_duplicates_and_hostile_envelopes);
  tcase_add_test (tc, test_edge_keeps_the_event_until_a_central_takes_it);
  tcase_add_test (tc, test_farm_over_tls_with_a_password);
  tcase_add_test (tc, test_octoprint_mqtt_plugin_makes_the_push_api_webhooks);
  tcase_add_test (tc, test_farm_loses_nothing_when_daemons_and_broker_die);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (farm_suite ());
}
