/* The mqtt module (issue 18) end to end: printhook run and printhook test
 * against a real mosquitto (tests/mqtt_broker.h), with a paho subscriber
 * recording what arrives (tests/mqtt_subscriber.h).  Anonymous, user and
 * password, TLS, wrong credentials, QoS 0/1/2 and MQTT 3.1.1; nothing lost
 * while the broker or the daemon is killed; a topic the broker refuses is
 * a dead letter; Home Assistant discovery; brokers that answer garbage or
 * nothing. */
#include "autoconfig.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "console_client.h"
#include "daemon_process.h"
#include "daemon_setup.h"
#include "harness.h"
#include "mqtt_broker.h"
#include "mqtt_subscriber.h"
#include "sign.h"
#include "text/json_text.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* An mqtt hook named name for every event, publishing to url (with the
 * broker's password when it has one) as device farm1, retried fast. */
static char *
mqtt_hook (ph_broker *b, const char *name, const char *extra)
{
  g_autofree char *url = ph_broker_url (b);
  g_autofree char *with_user = NULL;
  const char *ca = ph_broker_ca_file (b);

  if (ph_broker_get_flags (b) & PH_BROKER_PASSWORD)
    {
      const char *rest = strstr (url, "://") + 3;
      g_autofree char *scheme = g_strndup (url, rest - url);

      with_user = g_strdup_printf ("%s%s:%s@%s", scheme, PH_BROKER_USER, PH_BROKER_PASSWORD_TEXT,
                                   rest);
    }
  return g_strdup_printf ("[hook %s]\nmodules = mqtt\nevents = *\nmqtt.url = %s\n"
                          "mqtt.client_id = ph-%s-%d\ndevice_identifier = farm1\n"
                          "retry.schedule = 0.2\ntimeout = 5\nconnect_timeout = 2\n%s%s%s%s",
                          name, with_user != NULL ? with_user : url, name, (int) getpid (),
                          ca != NULL ? "tls_ca_file = " : "", ca != NULL ? ca : "",
                          ca != NULL ? "\n" : "", extra != NULL ? extra : "");
}

static const char *
str (json_object *o, const char *key)
{
  return json_object_get_string (json_object_object_get (o, key));
}

/* The value of a user property of a message record, or NULL. */
static const char *
user_property (json_object *message, const char *name)
{
  json_object *props = json_object_object_get (message, "user_properties");

  for (size_t i = 0; props != NULL && i < json_object_array_length (props); i++)
    {
      json_object *pair = json_object_array_get_idx (props, i);

      if (strcmp (json_object_get_string (json_object_array_get_idx (pair, 0)), name) == 0)
        return json_object_get_string (json_object_array_get_idx (pair, 1));
    }
  return NULL;
}

/* The messages on topic, oldest first (transfer full). */
static json_object *
messages_on (ph_mqtt_subscriber *sub, const char *topic)
{
  g_autoptr (json_object) all = ph_mqtt_subscriber_messages (sub);
  json_object *out = json_object_new_array ();

  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *m = json_object_array_get_idx (all, i);

      if (strcmp (str (m, "topic"), topic) == 0)
        json_object_array_add (out, json_object_get (m));
    }
  return out;
}

static ph_run_result *
run_test_command (const ph_setup *s, const char *hook, const char *event)
{
  const char *argv[] = { "test", "-c", s->config, hook, event, NULL };

  return ph_run_printhook (argv, NULL, 60 * ph_test_slowness ());
}

/* One event through printhook run: topic, payload bytes, QoS, retain, the
 * user properties and their signature, and the status topic. */
START_TEST (test_anonymous_publish_with_properties)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  const char *args[] = { "--topic", "printhook/#", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *hook = mqtt_hook (b, "a", "signing_secret = " SECRET "\n"
                                     "data = {\"n\": \"@extra.n\", \"event\": \"@event\"}\n");
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) done = NULL;
  g_autoptr (json_object) status = NULL;
  g_autofree char *expected = NULL;
  json_object *m;
  const char *id, *timestamp;

  ph_setup_write_config (&s, NULL, hook);
  d = ph_daemon_process_start (s.config);
  ph_setup_send_event (&s, "PrintDone", "{\"n\": 7}", 1);
  ph_mqtt_subscriber_wait (sub, 2, 10000);
  done = messages_on (sub, "printhook/farm1/PrintDone");
  ck_assert_uint_eq (json_object_array_length (done), 1);
  m = json_object_array_get_idx (done, 0);
  ck_assert_str_eq (str (m, "payload"), "{\"n\":7,\"event\":\"PrintDone\"}");
  ck_assert_int_eq (json_object_get_int (json_object_object_get (m, "qos")), 1);
  ck_assert (!json_object_get_boolean (json_object_object_get (m, "retain")));
  ck_assert_str_eq (str (m, "content_type"), "application/json");
  id = user_property (m, "webhook-id");
  timestamp = user_property (m, "webhook-timestamp");
  ck_assert_msg (id != NULL && g_str_has_prefix (id, "msg_"), "%s", json_object_get_string (m));
  ck_assert (timestamp != NULL);
  /* The signature http-webhook would send as a header, over these bytes. */
  expected = ph_sign_standard (SECRET, id, g_ascii_strtoll (timestamp, NULL, 10),
                               (const guint8 *) str (m, "payload"), strlen (str (m, "payload")),
                               NULL);
  ck_assert_str_eq (user_property (m, "webhook-signature"), expected);
  ph_daemon_process_wait_log (d, "delivered: PUBACK after", 1, 5000);

  /* online on connect, retained; offline when the daemon stops. */
  status = messages_on (sub, "printhook/farm1/status");
  ck_assert_uint_ge (json_object_array_length (status), 1);
  ck_assert_str_eq (str (json_object_array_get_idx (status, 0), "payload"), "online");
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
  ph_mqtt_subscriber_wait (sub, 3, 10000);
  g_clear_pointer (&status, json_object_put);
  status = messages_on (sub, "printhook/farm1/status");
  ck_assert_str_eq (str (json_object_array_get_idx (status, json_object_array_length (status) - 1),
                         "payload"),
                    "offline");
  ck_assert_uint_eq (ph_setup_count (&s, NULL), 0);
}
END_TEST

/* QoS 0 and 2, retain, MQTT 3.1.1 (no properties), a topic template whose
 * inserted value cannot add levels or wildcards. */
START_TEST (test_qos_retain_protocol_and_topic)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  const char *args[] = { "--topic", "t/#", "--qos", "2", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *h0 = mqtt_hook (b, "q0", "mqtt.qos = 0\nmqtt.topic = t/q0/@extra.name\n");
  g_autofree char *h2 = mqtt_hook (b, "q2", "mqtt.qos = 2\nmqtt.retain = true\n"
                                   "mqtt.topic = t/q2/@event\n");
  g_autofree char *h3 = mqtt_hook (b, "v3", "mqtt.protocol = 3.1.1\nmqtt.topic = t/v3\n");
  /* GET puts HTTP's data in a query string; MQTT publishes it. */
  g_autofree char *hg = mqtt_hook (b, "get", "method = GET\nmqtt.topic = t/get\n"
                                   "data = {\"e\": \"@event\"}\n");
  g_autofree char *hooks = g_strconcat (h0, h2, h3, hg, NULL);
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) q0 = NULL, q2 = NULL, v3 = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  d = ph_daemon_process_start (s.config);
  ph_setup_send_event (&s, "PrintStarted", "{\"name\": \"a/b+#c\"}", 4);
  ph_mqtt_subscriber_wait (sub, 4, 10000);
  {
    g_autoptr (json_object) get = messages_on (sub, "t/get");

    ck_assert_uint_eq (json_object_array_length (get), 1);
    ck_assert_str_eq (str (json_object_array_get_idx (get, 0), "payload"),
                      "{\"e\":\"PrintStarted\"}");
  }
  q0 = messages_on (sub, "t/q0/a_b__c");
  q2 = messages_on (sub, "t/q2/PrintStarted");
  v3 = messages_on (sub, "t/v3");
  ck_assert_uint_eq (json_object_array_length (q0), 1);
  ck_assert_uint_eq (json_object_array_length (q2), 1);
  ck_assert_uint_eq (json_object_array_length (v3), 1);
  ck_assert_int_eq (json_object_get_int (json_object_object_get (
                        json_object_array_get_idx (q0, 0), "qos")), 0);
  ck_assert_int_eq (json_object_get_int (json_object_object_get (
                        json_object_array_get_idx (q2, 0), "qos")), 2);
  ck_assert (user_property (json_object_array_get_idx (v3, 0), "webhook-id") == NULL);
  ph_daemon_process_wait_log (d, "delivered: written after", 1, 5000);
  ph_daemon_process_wait_log (d, "delivered: PUBCOMP after", 1, 5000);
  ph_setup_wait_count (&s, NULL, 0, 5);
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
  {
    /* retain: a subscriber that comes later still gets it, flagged. */
    const char *late_args[] = { "--topic", "t/q2/#", NULL };
    g_autoptr (ph_mqtt_subscriber) late = ph_mqtt_subscriber_start (b, late_args);
    g_autoptr (json_object) kept = NULL;

    ph_mqtt_subscriber_wait (late, 1, 10000);
    kept = ph_mqtt_subscriber_messages (late);
    ck_assert (json_object_get_boolean (json_object_object_get (
        json_object_array_get_idx (kept, 0), "retain")));
  }
}
END_TEST

/* User and password in the URL; TLS with the test's CA; printhook test's
 * answer for each, and the precise error for a wrong password, a missing
 * CA and a broker that is not there. */
START_TEST (test_password_tls_and_test_command)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_PASSWORD | PH_BROKER_TLS);
  const char *args[] = { "--topic", "printhook/#", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *good = mqtt_hook (b, "good", NULL);
  g_autofree char *url = ph_broker_url (b);
  g_autofree char *rest = g_strdup (strstr (url, "://") + 3);
  g_autofree char *wrong = g_strdup_printf (
      "[hook wrong]\nmodules = mqtt\nmqtt.url = mqtts://printer:nope@%s\ntls_ca_file = %s\n"
      "timeout = 5\nconnect_timeout = 2\n", rest, ph_broker_ca_file (b));
  g_autofree char *no_ca = g_strdup_printf (
      "[hook noca]\nmodules = mqtt\nmqtt.url = mqtts://printer:s3cret@%s\ntimeout = 5\n"
      "connect_timeout = 2\n", rest);
  g_autofree char *hooks = g_strconcat (good, wrong, no_ca, NULL);
  g_autoptr (ph_run_result) ok = NULL, refused = NULL, untrusted = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  ok = run_test_command (&s, "good", "PrintDone");
  ck_assert_msg (ok->exit_status == 0, "%s%s", ok->out, ok->err);
  assert_contains (ok->out, "good publishes to mqtts://127.0.0.1:");
  assert_contains (ok->out, "topic printhook/farm1/PrintDone, QoS 1");
  assert_contains (ok->out, "delivered: PUBACK after ");
  assert_lacks (ok->out, PH_BROKER_PASSWORD_TEXT);
  assert_lacks (ok->err, PH_BROKER_PASSWORD_TEXT);
  ph_mqtt_subscriber_wait (sub, 1, 10000);
  {
    /* A test says nothing on the status topic: its "offline" would be the
     * running daemon's. */
    g_autoptr (json_object) status = messages_on (sub, "printhook/farm1/status");

    ck_assert_uint_eq (json_object_array_length (status), 0);
  }

  refused = run_test_command (&s, "wrong", "PrintDone");
  ck_assert_int_eq (refused->exit_status, 1);
  assert_contains (refused->out, "NOT delivered");
  assert_contains (refused->out, "the daemon would retry it");
  assert_contains (refused->out, "refused the connection: Not authorized");
  assert_lacks (refused->out, "nope");

  untrusted = run_test_command (&s, "noca", "PrintDone");
  ck_assert_int_eq (untrusted->exit_status, 1);
  assert_contains (untrusted->out, "NOT delivered");
}
END_TEST

/* A broker that wants a client certificate: mqtt.tls_cert and tls_key
 * give it; without them the TLS handshake fails, and says so. */
START_TEST (test_client_certificate)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_CLIENT_CERT);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *extra = g_strdup_printf ("mqtt.tls_cert = %s\nmqtt.tls_key = %s\n",
                                            ph_broker_client_cert (b), ph_broker_client_key (b));
  g_autofree char *with = mqtt_hook (b, "with", extra);
  g_autofree char *without = mqtt_hook (b, "without", NULL);
  g_autofree char *hooks = g_strconcat (with, without, NULL);
  g_autoptr (ph_run_result) ok = NULL, refused = NULL;

  ph_setup_write_config (&s, NULL, hooks);
  ok = run_test_command (&s, "with", "PrintDone");
  ck_assert_msg (ok->exit_status == 0, "%s%s", ok->out, ok->err);
  assert_contains (ok->out, "delivered: PUBACK after ");
  refused = run_test_command (&s, "without", "PrintDone");
  ck_assert_int_eq (refused->exit_status, 1);
  assert_contains (refused->out, "NOT delivered");
  assert_contains (refused->out, "the daemon would retry it");
}
END_TEST

/* A daemon whose credentials the broker refuses keeps the event, says
 * why, and delivers it once the broker takes them. */
START_TEST (test_refused_credentials_are_retried)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_PASSWORD);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *url = ph_broker_url (b);
  g_autofree char *hook = g_strdup_printf (
      "[hook a]\nmodules = mqtt\nevents = *\nmqtt.url = mqtt://printer:nope@%s\n"
      "retry.schedule = 0.2\ntimeout = 5\nconnect_timeout = 2\n", strstr (url, "://") + 3);
  g_autoptr (ph_daemon_process) d = NULL;
  g_autofree char *log = NULL;

  ph_setup_write_config (&s, NULL, hook);
  d = ph_daemon_process_start (s.config);
  ph_setup_send_event (&s, "PrintDone", NULL, 1);
  ph_daemon_process_wait_log (d, "refused the connection", 1, 5000);
  ck_assert_uint_eq (ph_setup_count (&s, "state = 'pending'"), 1);
  log = ph_daemon_process_log (d);
  assert_lacks (log, "nope");
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
  ck_assert_uint_eq (ph_setup_count (&s, NULL), 1);
}
END_TEST

/* How many of the events n in [first, first + count) the subscriber has
 * not seen; *example receives one of them. */
static guint
events_missing (ph_mqtt_subscriber *sub, guint first, guint count, guint *example)
{
  g_autoptr (json_object) all = ph_mqtt_subscriber_messages (sub);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint missing = 0;

  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *m = json_object_array_get_idx (all, i);
      const char *payload = str (m, "payload");
      g_autoptr (json_object) body = NULL;

      if (payload == NULL || !g_str_has_prefix (str (m, "topic"), "printhook/farm1/Print"))
        continue;
      body = ph_json_parse (payload, -1, NULL);
      ck_assert (user_property (m, "webhook-id") != NULL);
      g_hash_table_add (seen, GINT_TO_POINTER (json_object_get_int (
                                  json_object_object_get (body, "n")) + 1));
    }
  for (guint n = first; n < first + count; n++)
    if (!g_hash_table_contains (seen, GINT_TO_POINTER (n + 1)))
      {
        missing++;
        *example = n;
      }
  return missing;
}

/* The spool is empty once the broker acknowledged the last message; the
 * subscriber gets it a moment later: waits up to 10 s for every one. */
static void
check_every_event_arrived (ph_mqtt_subscriber *sub, guint first, guint count)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * ph_test_slowness ();
  guint missing, example = 0;

  while ((missing = events_missing (sub, first, count, &example)) > 0
         && g_get_monotonic_time () < deadline)
    g_usleep (100000);
  ck_assert_msg (missing == 0, "%u of %u events never arrived (e.g. n = %u)", missing, count,
                 example);
}

/* Everything, whatever happens to the broker or the daemon: 500 QoS 1
 * events while the broker is killed and started twice, then while the
 * daemon is killed and started; the persistent subscriber sees every
 * event at least once, the spool ends empty, nothing is dead. */
START_TEST (test_nothing_lost_when_broker_or_daemon_dies)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_PERSISTENT);
  g_autofree char *client = g_strdup_printf ("sub-%d", (int) getpid ());
  const char *args[] = { "--topic", "printhook/farm1/#", "--persistent", "--client-id", client,
                         NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *hook = mqtt_hook (b, "a", "data = {\"n\": \"@extra.n\"}\n");
  g_autoptr (ph_daemon_process) d = NULL;
  const guint events = 500;

  ph_setup_write_config (&s, NULL, hook);
  d = ph_daemon_process_start (s.config);
  for (guint n = 0; n < events; n++)
    {
      g_autofree char *payload = g_strdup_printf ("{\"n\": %u}", n);

      ph_setup_send_event (&s, "PrintDone", payload, 1);
      if (n == 150 || n == 330)
        {
          /* mosquitto keeps what it acknowledged in memory and saves it
           * every second or two: a kill -9 loses whatever it PUBACKed
           * since (shared/reference/mqtt-and-bambu.md §1).  That is the
           * broker's loss, not printhook's, so the daemon is held still
           * while the broker reads what was sent, saves and dies; what
           * the broker had not acknowledged is the daemon's to resend. */
          ph_daemon_process_signal (d, SIGSTOP);
          ph_broker_wait_settled (b);
          ph_broker_save (b);
          ph_broker_kill (b);
          ph_daemon_process_signal (d, SIGCONT);
          ph_broker_restart (b);
        }
    }
  ph_setup_wait_count (&s, NULL, 0, 60);
  check_every_event_arrived (sub, 0, events);

  /* The daemon killed -9 mid-stream: what it had not delivered is in the
   * spool and goes out after the restart. */
  for (guint n = events; n < 2 * events; n++)
    {
      g_autofree char *payload = g_strdup_printf ("{\"n\": %u}", n);

      ph_setup_send_event (&s, "PrintDone", payload, 1);
      if (n == events + 200)
        {
          ph_daemon_process_signal (d, SIGKILL);
          ph_daemon_process_stop (d, 10);
          g_clear_pointer (&d, ph_daemon_process_free);
          d = ph_daemon_process_start (s.config);
        }
    }
  ph_setup_wait_count (&s, NULL, 0, 60);
  check_every_event_arrived (sub, events, events);
  ck_assert_uint_eq (ph_setup_count (&s, "state = 'dead'"), 0);
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
}
END_TEST

/* A broker that refuses the topic itself (MQTT 5 "not authorized" from its
 * ACL) makes a dead letter, with the reason. */
START_TEST (test_refused_topic_is_a_dead_letter)
{
  g_autoptr (ph_broker) b = NULL;
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *acl = g_build_filename (dir, "acl", NULL);
  g_autofree char *extra = g_strdup_printf ("acl_file %s\n", acl);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *hook = NULL;
  g_autoptr (ph_daemon_process) d = NULL;

  ck_assert (g_file_set_contents (acl, "user " PH_BROKER_USER "\ntopic readwrite allowed/#\n"
                                       "topic readwrite printhook/#\n", -1, NULL));
  b = ph_broker_start_with (PH_BROKER_PASSWORD, extra);
  hook = mqtt_hook (b, "a", "mqtt.topic = forbidden/@event\nretry.max_attempts = 3\n");
  ph_setup_write_config (&s, NULL, hook);
  d = ph_daemon_process_start (s.config);
  ph_setup_send_event (&s, "PrintDone", NULL, 1);
  ph_setup_wait_count (&s, "state = 'dead'", 1, 10);
  ph_daemon_process_wait_log (d, "Not authorized", 1, 5000);
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
}
END_TEST

/* Home Assistant discovery: retained configs with the fields HA needs,
 * unique ids stable across restarts, states that follow the events, the
 * configs again when HA says online, and cleared when the source goes. */
static json_object *
configs_of (ph_mqtt_subscriber *sub)
{
  g_autoptr (json_object) all = ph_mqtt_subscriber_messages (sub);
  json_object *out = json_object_new_array ();

  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *m = json_object_array_get_idx (all, i);

      if (g_str_has_prefix (str (m, "topic"), "homeassistant/")
          && g_str_has_suffix (str (m, "topic"), "/config"))
        json_object_array_add (out, json_object_get (m));
    }
  return out;
}

START_TEST (test_home_assistant_discovery)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  const char *args[] = { "--topic", "homeassistant/#", "--topic", "printhook/#", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *hook_text = mqtt_hook (b, "ha", "mqtt.discovery = homeassistant\n");
  /* No device_identifier: one device per source. */
  g_autofree char *hook = NULL;
  const char *sources = "[source prusa]\ntype = octoprint\nurl = http://127.0.0.1:9\n"
                        "api_key = x\n\n[source voron]\ntype = moonraker\n"
                        "url = http://127.0.0.1:9\n\n";
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) configs = NULL;
  g_autoptr (GPtrArray) first_ids = g_ptr_array_new_with_free_func (g_free);
  char *p;

  hook = g_strdup (hook_text);
  p = strstr (hook, "device_identifier = farm1\n");
  memmove (p, p + strlen ("device_identifier = farm1\n"), strlen (p + 26) + 1);
  {
    g_autofree char *all = g_strconcat (sources, hook, NULL);

    ph_setup_write_config (&s, NULL, all);
  }
  d = ph_daemon_process_start (s.config);
  /* 7 entities x 2 printers. */
  ph_mqtt_subscriber_wait (sub, 15, 10000);
  configs = configs_of (sub);
  ck_assert_uint_eq (json_object_array_length (configs), 14);
  for (size_t i = 0; i < json_object_array_length (configs); i++)
    {
      json_object *m = json_object_array_get_idx (configs, i);
      g_autoptr (json_object) c = ph_json_parse (str (m, "payload"), -1, NULL);
      json_object *device = json_object_object_get (c, "device");

      ck_assert_msg (c != NULL, "not JSON: %s", str (m, "payload"));
      ck_assert (str (c, "unique_id") != NULL && str (c, "name") != NULL);
      ck_assert (g_str_has_prefix (str (c, "state_topic"), "printhook/"));
      ck_assert (str (c, "value_template") != NULL);
      ck_assert (str (c, "availability_topic") != NULL);
      ck_assert_str_eq (str (device, "manufacturer"), "printhook");
      ck_assert (strcmp (str (device, "model"), "OctoPrint") == 0
                 || strcmp (str (device, "model"), "Moonraker") == 0);
      ck_assert_str_eq (str (device, "sw_version"), PACKAGE_VERSION);
      ck_assert_uint_eq (json_object_array_length (json_object_object_get (device, "identifiers")),
                         1);
      g_ptr_array_add (first_ids, g_strdup (str (c, "unique_id")));
    }
  {
    gboolean has_time_left = FALSE, has_printing = FALSE;

    for (size_t i = 0; i < json_object_array_length (configs); i++)
      {
        const char *topic = str (json_object_array_get_idx (configs, i), "topic");
        g_autoptr (json_object) c = ph_json_parse (
            str (json_object_array_get_idx (configs, i), "payload"), -1, NULL);

        if (strstr (topic, "prusa_time_left/config") != NULL)
          {
            has_time_left = TRUE;
            ck_assert_str_eq (str (c, "device_class"), "duration");
            ck_assert_str_eq (str (c, "unit_of_measurement"), "s");
          }
        if (strstr (topic, "binary_sensor/") != NULL && strstr (topic, "voron_printing") != NULL)
          {
            has_printing = TRUE;
            ck_assert_str_eq (str (c, "device_class"), "running");
          }
      }
    ck_assert (has_time_left && has_printing);
  }

  /* States follow the events (retained JSON per device). */
  ph_setup_send_event_from (&s, "PrintStarted", NULL, "voron", 1);
  ph_daemon_process_wait_log (d, "delivered: PUBACK", 1, 5000);
  ph_mqtt_subscriber_wait (sub, 15 + 2, 10000);
  {
    g_autoptr (json_object) states = messages_on (sub, "printhook/voron/state");
    g_autoptr (json_object) state = NULL;

    ck_assert_uint_ge (json_object_array_length (states), 1);
    state = ph_json_parse (str (json_object_array_get_idx (states,
                                                          json_object_array_length (states) - 1),
                                "payload"), -1, NULL);
    ck_assert_str_eq (str (state, "last_event"), "PrintStarted");
    ck_assert (json_object_object_get_ex (state, "progress", NULL));
    ck_assert (json_object_object_get_ex (state, "printing", NULL));
  }

  /* Home Assistant restarts: the configs again. */
  {
    guint before = json_object_array_length (configs);
    g_autoptr (json_object) again = NULL;

    g_autoptr (json_object) so_far = ph_mqtt_subscriber_messages (sub);

    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * ph_test_slowness ();

    ph_mqtt_publish (b, "homeassistant/status", "online", FALSE);
    /* HA's own message, then the 14 configs and 2 states again, the states
     * possibly before the last configs: count the configs themselves. */
    ph_mqtt_subscriber_wait (sub, json_object_array_length (so_far) + 1 + 14, 10000);
    for (;;)
      {
        again = configs_of (sub);
        if (json_object_array_length (again) >= before + 14
            || g_get_monotonic_time () >= deadline)
          break;
        g_clear_pointer (&again, json_object_put);
        g_usleep (50 * 1000);
      }
    ck_assert_uint_ge (json_object_array_length (again), before + 14);
  }

  /* Restarted with the same configuration: the same unique ids; with one
   * source removed: its configs cleared (empty retained payloads). */
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
  {
    g_autofree char *fewer = g_strconcat ("[source voron]\ntype = moonraker\n"
                                          "url = http://127.0.0.1:9\n\n", hook, NULL);
    const char *late_args[] = { "--topic", "homeassistant/#", NULL };
    g_autoptr (ph_mqtt_subscriber) late = NULL;
    g_autoptr (json_object) kept = NULL;
    guint cleared = 0, voron = 0;

    ph_setup_write_config (&s, NULL, fewer);
    g_clear_pointer (&d, ph_daemon_process_free);
    d = ph_daemon_process_start (s.config);
    ph_daemon_process_wait_log (d, "clearing the Home Assistant entity", 7, 10000);
    ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
    /* What the broker keeps now: voron's seven, with the same ids. */
    late = ph_mqtt_subscriber_start (b, late_args);
    ph_mqtt_subscriber_wait (late, 7, 10000);
    g_usleep (300 * 1000 * ph_test_slowness ());
    kept = ph_mqtt_subscriber_messages (late);
    for (size_t i = 0; i < json_object_array_length (kept); i++)
      {
        json_object *m = json_object_array_get_idx (kept, i);
        g_autoptr (json_object) c = ph_json_parse (str (m, "payload"), -1, NULL);
        gboolean known = FALSE;

        if (strstr (str (m, "topic"), "prusa_") != NULL)
          cleared++;
        /* Kept by the broker, so flagged retained for a new subscriber. */
        ck_assert (json_object_get_boolean (json_object_object_get (m, "retain")));
        ck_assert (c != NULL);
        for (guint j = 0; j < first_ids->len; j++)
          known |= strcmp (g_ptr_array_index (first_ids, j), str (c, "unique_id")) == 0;
        ck_assert_msg (known, "a new unique id after the restart: %s", str (c, "unique_id"));
        voron++;
      }
    ck_assert_uint_eq (cleared, 0);
    ck_assert_uint_eq (voron, 7);
  }

  /* Without mqtt.discovery the hook clears what it described: the broker
   * keeps nothing under this printhook's node. */
  {
    g_autofree char *plain = g_strdup (hook);
    char *option = strstr (plain, "mqtt.discovery = homeassistant\n");
    g_autofree char *none = NULL;
    const char *late_args[] = { "--topic", "homeassistant/#", NULL };
    g_autoptr (ph_mqtt_subscriber) late = NULL;
    g_autoptr (json_object) kept = NULL;

    memmove (option, option + strlen ("mqtt.discovery = homeassistant\n"),
             strlen (option + strlen ("mqtt.discovery = homeassistant\n")) + 1);
    none = g_strconcat ("[source voron]\ntype = moonraker\nurl = http://127.0.0.1:9\n\n", plain,
                        NULL);
    ph_setup_write_config (&s, NULL, none);
    g_clear_pointer (&d, ph_daemon_process_free);
    d = ph_daemon_process_start (s.config);
    ph_daemon_process_wait_log (d, "clearing the Home Assistant entity", 7, 10000);
    ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
    late = ph_mqtt_subscriber_start (b, late_args);
    /* Retained messages come right after the subscription: give them
     * the time to, and none may. */
    g_usleep (500 * 1000 * ph_test_slowness ());
    kept = ph_mqtt_subscriber_messages (late);
    ck_assert_msg (json_object_array_length (kept) == 0, "still kept: %s",
                   json_object_to_json_string (kept));
  }
}
END_TEST

/* Brokers that are no brokers: no CONNACK, garbage, an oversize packet,
 * a closed connection.  printhook test says why and ends; nothing
 * crashes. */
START_TEST (test_hostile_brokers)
{
  const char *modes[] = { "silent", "garbage", "oversize", "close" };
  const char *expected[] = { "no CONNACK", "", "", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autofree char *dir = ph_test_tmpdir ();
      g_autofree char *port_file = g_build_filename (dir, "port", NULL);
      g_autofree char *script = g_build_filename (ph_test_srcdir (), "tests", "servers",
                                                  "bad_broker.py", NULL);
      const char *argv[] = { "/usr/bin/python3", "-I", script, "--port-file", port_file,
                             "--mode", modes[i], NULL };
      GPid pid = ph_mqtt_child_spawn (argv, -1);
      g_autofree char *port = NULL;
      g_autofree char *hook = NULL;
      g_auto (ph_setup) s = { 0 };
      g_autoptr (ph_run_result) r = NULL;
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      while (!g_file_get_contents (port_file, &port, NULL, NULL)
             && g_get_monotonic_time () < deadline)
        g_usleep (20 * 1000);
      ck_assert_msg (port != NULL, "bad_broker.py did not start");
      hook = g_strdup_printf ("[hook bad]\nmodules = mqtt\nmqtt.url = mqtt://127.0.0.1:%s\n"
                              "timeout = 3\nconnect_timeout = 1\n", port);
      ph_setup_write_config (&s, NULL, hook);
      r = run_test_command (&s, "bad", "PrintDone");
      ck_assert_msg (r->exit_status == 1, "%s: exit %d\n%s%s", modes[i], r->exit_status, r->out,
                     r->err);
      assert_contains (r->out, "NOT delivered");
      assert_contains (r->out, "the daemon would retry it");
      assert_contains (r->out, expected[i]);
      ph_mqtt_child_end (pid, SIGTERM, 2000);
    }
}
END_TEST

/* printhook listen --mqtt prints what a hook published: the topic, QoS,
 * user properties, the signature checked and the payload re-indented. */
START_TEST (test_listen_prints_messages)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *hook = mqtt_hook (b, "a", "signing_secret = " SECRET "\n");
  g_autofree char *url = ph_broker_url (b);
  g_autofree char *out_path = NULL;
  g_autofree char *printed = NULL;
  g_autoptr (ph_run_result) sent = NULL;
  const char *argv[] = { ph_test_binary (), "listen", "--mqtt", url, "--topic",
                         "printhook/+/PrintDone", "--secret", SECRET, "--count", "1", NULL };
  gint64 deadline;
  GPid pid;
  int fd, wait_status = 0;

  ph_setup_write_config (&s, NULL, hook);
  out_path = g_build_filename (s.dir, "listen.out", NULL);
  fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert (fd >= 0);
  pid = ph_mqtt_child_spawn (argv, fd);
  close (fd);
  /* Subscribed once it says so on stderr, which goes to the same file. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * ph_test_slowness ();
  while ((printed == NULL || strstr (printed, "Subscribed to") == NULL)
         && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&printed, g_free);
      g_usleep (50 * 1000);
      g_file_get_contents (out_path, &printed, NULL, NULL);
    }
  ck_assert_msg (printed != NULL && strstr (printed, "Subscribed to") != NULL, "listen: %s",
                 printed != NULL ? printed : "(nothing)");
  sent = run_test_command (&s, "a", "PrintDone");
  ck_assert_int_eq (sent->exit_status, 0);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * ph_test_slowness ();
  while (!ph_mqtt_child_exited (pid, &wait_status) && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  ck_assert_int_eq (ph_mqtt_child_end (pid, SIGTERM, 2000), 0);
  g_clear_pointer (&printed, g_free);
  ck_assert (g_file_get_contents (out_path, &printed, NULL, NULL));
  assert_contains (printed, "#1 PUBLISH printhook/farm1/PrintDone  (from mqtt://127.0.0.1:");
  assert_contains (printed, "  QoS: 1\n  Retain: no\n  webhook-id: msg_");
  assert_contains (printed, "  signature: valid (standard webhooks)\n");
  assert_contains (printed, "    \"topic\": \"Print Done\",\n");
}
END_TEST

/* A reload keeps the connection: the hooks of the new configuration share
 * the one the old ones used (no "offline", no new CONNECT), and a hook
 * added on the same broker joins it. */
static guint
count_text (const char *text, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

START_TEST (test_reload_keeps_the_connection)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  const char *args[] = { "--topic", "printhook/#", NULL };
  g_autoptr (ph_mqtt_subscriber) sub = ph_mqtt_subscriber_start (b, args);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *first = mqtt_hook (b, "a", NULL);
  g_autofree char *second_text = mqtt_hook (b, "b", "mqtt.topic = printhook/second/@event\n");
  g_autofree char *own_id = g_strdup_printf ("mqtt.client_id = ph-b-%d\n", (int) getpid ());
  g_autofree char *shared_id = g_strdup_printf ("mqtt.client_id = ph-a-%d\n", (int) getpid ());
  g_autofree char *client = g_strdup_printf ("as ph-a-%d", (int) getpid ());
  g_auto (GStrv) parts = g_strsplit (second_text, own_id, 2);
  g_autofree char *second = g_strjoinv (shared_id, parts);
  g_autofree char *both = g_strconcat (first, second, NULL);
  g_autoptr (ph_daemon_process) d = NULL;
  g_autoptr (json_object) status = NULL;
  g_autofree char *log = NULL;

  ph_setup_write_config (&s, NULL, first);
  d = ph_daemon_process_start (s.config);
  ph_setup_send_event (&s, "PrintStarted", NULL, 1);
  ph_daemon_process_wait_log (d, "delivered: PUBACK", 1, 5000);
  ph_setup_write_config (&s, NULL, both);
  ph_daemon_process_signal (d, SIGHUP);
  ph_daemon_process_wait_log (d, "reloaded: 2 hooks", 1, 5000);
  ph_setup_send_event (&s, "PrintDone", NULL, 2);
  ph_daemon_process_wait_log (d, "delivered: PUBACK", 3, 5000);
  ph_mqtt_subscriber_wait (sub, 4, 10000);
  log = ph_broker_log (b);
  /* "mqtt.client_id" appears in its CONNECT log line: one connection. */
  ck_assert_msg (count_text (log, client) == 1, "%s", log);
  status = messages_on (sub, "printhook/farm1/status");
  ck_assert_uint_eq (json_object_array_length (status), 1);
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
}
END_TEST

/* The web console shows where an MQTT hook sends, and its test says what
 * the broker answered. */
START_TEST (test_console_shows_and_tests_an_mqtt_hook)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  g_auto (ph_setup) s = { 0 };
  g_autofree char *hook = mqtt_hook (b, "a", NULL);
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *token_file = g_build_filename (dir, "console.token", NULL);
  g_autofree char *text = g_strdup_printf ("[console]\nlisten = 127.0.0.1:0\ntoken_file = %s\n\n%s",
                                           token_file, hook);
  g_autoptr (ph_daemon_process) d = NULL;
  g_autofree char *log = NULL;
  g_autofree char *token = NULL;
  g_autofree char *bearer = NULL;
  g_autofree char *base = NULL;
  g_autoptr (ph_console_reply) hooks = NULL, tested = NULL;
  g_autoptr (json_object) list = NULL, answer = NULL;
  const char *listening = "console: listening on http://127.0.0.1:";
  const char *at;

  ph_setup_write_config (&s, NULL, text);
  d = ph_daemon_process_start (s.config);
  ph_daemon_process_wait_log (d, listening, 1, 10000);
  log = ph_daemon_process_log (d);
  at = strstr (log, listening);
  base = g_strdup_printf ("http://127.0.0.1:%u",
                          (guint) g_ascii_strtoull (at + strlen (listening), NULL, 10));
  ck_assert (g_file_get_contents (token_file, &token, NULL, NULL));
  g_strstrip (token);
  bearer = g_strdup_printf ("Authorization: Bearer %s", token);
  {
    const char *headers[] = { bearer, NULL };
    const char *post[] = { bearer, "Content-Type: application/json", NULL };
    g_autofree char *url = g_strconcat (base, "/api/v1/hooks", NULL);
    g_autofree char *test_url = g_strconcat (base, "/api/v1/hooks/a/test", NULL);

    hooks = ph_console_request ("GET", url, headers, NULL, -1);
    ck_assert_int_eq (hooks->status, 200);
    list = ph_console_reply_json (hooks);
    assert_contains (str (json_object_array_get_idx (json_object_object_get (list, "hooks"), 0),
                          "sends"),
                     "publishes to mqtt://127.0.0.1:");
    tested = ph_console_request ("POST", test_url, post, "{\"event\": \"PrintDone\"}", -1);
    ck_assert_msg (tested->status == 200, "%ld %s", tested->status, tested->body->str);
    answer = ph_console_reply_json (tested);
    ck_assert (json_object_get_boolean (json_object_object_get (answer, "delivered")));
    assert_contains (str (answer, "response"), "PUBACK after ");
  }
  ck_assert_int_eq (ph_daemon_process_stop (d, 10), 0);
}
END_TEST

/* check: what is wrong in an mqtt hook, with the key. */
START_TEST (test_check_errors)
{
  g_auto (ph_setup) s = { 0 };
  const char *argv[] = { "check", "-c", NULL, NULL };
  g_autoptr (ph_run_result) r = NULL;

  ph_setup_write_config (&s, NULL,
                         "[hook path]\nmodules = mqtt\nmqtt.url = mqtt://h/x\n\n"
                         "[hook wild]\nmodules = mqtt\nmqtt.url = mqtt://h\nmqtt.topic = a/+/b\n\n"
                         "[hook form]\nmodules = mqtt\nmqtt.url = mqtt://h\ncontent_type = form\n\n"
                         "[hook scheme]\nmodules = mqtt\nmqtt.url = http://h\n\n"
                         "[hook proto]\nmodules = mqtt\nmqtt.url = mqtt://h\nmqtt.protocol = 4\n\n"
                         "[hook v3sign]\nmodules = mqtt\nmqtt.url = mqtt://h\n"
                         "mqtt.protocol = 3.1.1\nsigning_secret = " SECRET "\n\n"
                         "[hook gone]\nurl = http://127.0.0.1:9/\nmodules = nosuch, http-webhook\n"
                         "nosuch.a = 1\nnosuch.b = 2\nnosuch.c = 3\n\n"
                         "[hook ghost]\nurl = http://127.0.0.1:9/\nghost.a = 1\nghost.b = 2\n");
  argv[2] = s.config;
  r = ph_run_printhook (argv, NULL, 30);
  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "[hook path]");
  assert_contains (r->err, "no path, query or fragment");
  assert_contains (r->err, "'+' and '#' are wildcards");
  assert_contains (r->err, "content_type = form");
  assert_contains (r->err, "the scheme must be mqtt:// or mqtts://");
  assert_contains (r->err, "mqtt.protocol '4'");
  assert_contains (r->err, "signing_secret needs mqtt.protocol = 5");
  /* A module's error about one of its keys is reported at that key's
   * line (module.h: the message starts with the key). */
  assert_contains (r->err, "printhook.conf:12: error: [hook wild] mqtt.topic: module 'mqtt': "
                           "mqtt.topic 'a/+/b'");
  /* One error per module that cannot be loaded, none for its keys. */
  {
    guint named = 0;

    for (const char *p = strstr (r->err, "no module named 'nosuch'"); p != NULL;
         p = strstr (p + 1, "no module named 'nosuch'"))
      named++;
    ck_assert_msg (named == 1, "%s", r->err);
    assert_lacks (r->err, "nosuch.b");
    assert_contains (r->err, "[hook ghost] ghost.a: keys ghost.a, ghost.b: no module named 'ghost'");
  }
}
END_TEST

static Suite *
mqtt_suite (void)
{
  Suite *suite = suite_create ("mqtt");
  TCase *tc = tcase_create ("mqtt");

  tcase_set_timeout (tc, 240 * ph_test_slowness ());
  tcase_add_test (tc, test_check_errors);
  tcase_add_test (tc, test_anonymous_publish_with_properties);
  tcase_add_test (tc, test_qos_retain_protocol_and_topic);
  tcase_add_test (tc, test_password_tls_and_test_command);
  tcase_add_test (tc, test_refused_credentials_are_retried);
  tcase_add_test (tc, test_client_certificate);
  tcase_add_test (tc, test_refused_topic_is_a_dead_letter);
  tcase_add_test (tc, test_home_assistant_discovery);
  tcase_add_test (tc, test_hostile_brokers);
  tcase_add_test (tc, test_listen_prints_messages);
  tcase_add_test (tc, test_reload_keeps_the_connection);
  tcase_add_test (tc, test_console_shows_and_tests_an_mqtt_hook);
  tcase_add_test (tc, test_nothing_lost_when_broker_or_daemon_dies);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (mqtt_suite ());
}
