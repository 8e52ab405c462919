/* Proves the MQTT fixtures right (tests/mqtt_broker.h, mqtt_subscriber.h)
 * before the MQTT output's tests rely on them: mosquitto_pub publishes
 * known messages and the subscriber's records must say exactly what was
 * sent, across passwords, TLS and a broker crash. */
#include "autoconfig.h"
#include "harness.h"
#include "mqtt_broker.h"
#include "mqtt_subscriber.h"
#include "text/json_text.h"

#define WAIT_MS 10000

static json_object *
field (json_object *record, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (record, key, &value), "no %s in %s", key,
                 json_object_to_json_string (record));
  return value;
}

static const char *
text_of (json_object *record, const char *key)
{
  return json_object_get_string (field (record, key));
}

static gboolean
flag_of (json_object *record, const char *key)
{
  return json_object_get_boolean (field (record, key));
}

static int
int_of (json_object *record, const char *key)
{
  return json_object_get_int (field (record, key));
}

/* The bytes of a message, from payload_b64, as text with a NUL after. */
static char *
payload_bytes (json_object *message, gsize *len)
{
  guchar *bytes = g_base64_decode (text_of (message, "payload_b64"), len);
  char *text = g_malloc (*len + 1);

  memcpy (text, bytes, *len);
  text[*len] = '\0';
  g_free (bytes);
  return text;
}

/* Message i of the subscriber's records (transfer full). */
static json_object *
message_at (ph_mqtt_subscriber *s, size_t i)
{
  g_autoptr (json_object) messages = ph_mqtt_subscriber_messages (s);

  ck_assert_msg (i < json_object_array_length (messages), "no message %zu in %s", i,
                 json_object_to_json_string (messages));
  return json_object_get (json_object_array_get_idx (messages, i));
}

static size_t
count_messages (ph_mqtt_subscriber *s)
{
  g_autoptr (json_object) messages = ph_mqtt_subscriber_messages (s);

  return json_object_array_length (messages);
}

/* A retained message sent before the subscriber came is delivered from the
 * broker's store with its retain flag and exact bytes; a live one after,
 * non-UTF-8, has no text and no retain flag; another topic never comes. */
START_TEST (test_anonymous_retained)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_ANONYMOUS);
  g_autofree char *url = ph_broker_url (b);
  g_autofree char *expected_url = g_strdup_printf ("mqtt://127.0.0.1:%u",
                                                   (guint) ph_broker_port (b));
  const char *const args[] = { "--topic", "t/#", NULL };
  const char *retained = "caf\xc3\xa9 \xe2\x9c\x93 {\"a\": 1}";
  g_autoptr (ph_mqtt_subscriber) s = NULL;
  g_autoptr (json_object) first = NULL;
  g_autoptr (json_object) second = NULL;
  g_autofree char *bytes = NULL;
  gsize len = 0;

  ck_assert_str_eq (url, expected_url);
  ck_assert_ptr_null (ph_broker_ca_file (b));
  ph_mqtt_publish (b, "other/topic", "not subscribed", TRUE);
  ph_mqtt_publish (b, "t/retained", retained, TRUE);
  s = ph_mqtt_subscriber_start (b, args);
  ph_mqtt_subscriber_wait (s, 1, WAIT_MS);
  ph_mqtt_publish (b, "t/live", "\xff\xfe", FALSE);
  ph_mqtt_subscriber_wait (s, 2, WAIT_MS);

  ck_assert_uint_eq (count_messages (s), 2);
  first = message_at (s, 0);
  ck_assert_str_eq (text_of (first, "topic"), "t/retained");
  ck_assert_str_eq (text_of (first, "payload"), retained);
  bytes = payload_bytes (first, &len);
  ck_assert_uint_eq (len, strlen (retained));
  ck_assert_str_eq (bytes, retained);
  ck_assert_int_eq (int_of (first, "qos"), 1);
  ck_assert (flag_of (first, "retain"));
  ck_assert (!flag_of (first, "dup"));
  ck_assert_uint_eq (json_object_array_length (field (first, "user_properties")), 0);

  second = message_at (s, 1);
  ck_assert_str_eq (text_of (second, "topic"), "t/live");
  ck_assert (json_object_is_type (field (second, "payload"), json_type_null));
  ck_assert_str_eq (text_of (second, "payload_b64"), "//4=");
  ck_assert (!flag_of (second, "retain"));
}
END_TEST

/* Only printer/s3cret gets in: the subscriber and ph_mqtt_publish use it
 * by themselves, a wrong password and no password are refused, and what
 * they tried to publish never arrives. */
START_TEST (test_password)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_PASSWORD);
  const char *const args[] = { "--topic", "t/#", NULL };
  const char *const wrong[] = {
    "-u", PH_BROKER_USER, "-P", "wrong", "-t", "t/wrong", "-m", "wrong", "-q", "1", NULL
  };
  const char *const anonymous[] = { "-t", "t/anonymous", "-m", "anonymous", "-q", "1", NULL };
  g_autoptr (ph_mqtt_subscriber) s = ph_mqtt_subscriber_start (b, args);
  g_autoptr (json_object) first = NULL;
  g_autoptr (json_object) second = NULL;
  g_autofree char *wrong_output = NULL;
  g_autofree char *anonymous_output = NULL;
  g_autofree char *log = NULL;

  ph_mqtt_publish (b, "t/right", "right", FALSE);
  ck_assert_int_ne (ph_mqtt_pub_run (b, FALSE, wrong, &wrong_output), 0);
  assert_contains (wrong_output, "not authorised");
  ck_assert_int_ne (ph_mqtt_pub_run (b, FALSE, anonymous, &anonymous_output), 0);
  assert_contains (anonymous_output, "not authorised");
  ph_mqtt_publish (b, "t/right", "right again", FALSE);
  ph_mqtt_subscriber_wait (s, 2, WAIT_MS);

  ck_assert_uint_eq (count_messages (s), 2);
  first = message_at (s, 0);
  second = message_at (s, 1);
  ck_assert_str_eq (text_of (first, "payload"), "right");
  ck_assert_str_eq (text_of (second, "payload"), "right again");
  log = ph_broker_log (b);
  assert_contains (log, "u'" PH_BROKER_USER "'");
  assert_contains (log, "not authorised");
}
END_TEST

/* Over TLS: the subscriber and mosquitto_pub verify the broker against the
 * test's CA (and 127.0.0.1 against the certificate's names); a client
 * that trusts something else is refused. */
START_TEST (test_tls)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_TLS);
  g_autofree char *url = ph_broker_url (b);
  g_autofree char *expected_url = g_strdup_printf ("mqtts://127.0.0.1:%u",
                                                   (guint) ph_broker_port (b));
  g_autofree char *ca = NULL;
  g_autofree char *leaf = g_build_filename (ph_broker_dir (b), "server.pem", NULL);
  const char *const args[] = { "--topic", "t/#", NULL };
  const char *const untrusting[] = { "--cafile", leaf, "-t", "t/no", "-m", "no", NULL };
  g_autoptr (ph_mqtt_subscriber) s = NULL;
  g_autoptr (json_object) first = NULL;
  g_autofree char *output = NULL;

  ck_assert_str_eq (url, expected_url);
  ck_assert_ptr_nonnull (ph_broker_ca_file (b));
  ck_assert (g_file_get_contents (ph_broker_ca_file (b), &ca, NULL, NULL));
  assert_contains (ca, "-----BEGIN CERTIFICATE-----");
  s = ph_mqtt_subscriber_start (b, args);
  ph_mqtt_publish (b, "t/secure", "over tls", FALSE);
  ph_mqtt_subscriber_wait (s, 1, WAIT_MS);
  first = message_at (s, 0);
  ck_assert_str_eq (text_of (first, "topic"), "t/secure");
  ck_assert_str_eq (text_of (first, "payload"), "over tls");
  /* A later --cafile replaces the fixture's: the server's own certificate,
   * no CA, is no trust anchor. */
  ck_assert_int_ne (ph_mqtt_pub_run (b, TRUE, untrusting, &output), 0);
  ph_mqtt_publish (b, "t/secure", "still", FALSE);
  ph_mqtt_subscriber_wait (s, 2, WAIT_MS);
  ck_assert_uint_eq (count_messages (s), 2);
}
END_TEST

/* A persistent broker killed with SIGKILL after a save and restarted: the
 * subscriber reconnects by itself into its kept session (the retained
 * message is not sent again), what is published after arrives
 * with its MQTT 5 user property, the retained message survived, and QoS 1
 * messages wait for a persistent subscriber that is away. */
START_TEST (test_persistent_restart)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_PERSISTENT);
  const char *const args[] = {
    "--topic", "t/#", "--persistent", "--client-id", "fixture-persistent", NULL
  };
  const char *const fresh_args[] = { "--topic", "t/kept", NULL };
  const char *const with_property[] = {
    "-V", "5", "-t", "t/after", "-m", "after", "-q", "1",
    "-D", "publish", "user-property", "webhook-id", "abc", NULL
  };
  g_autoptr (ph_mqtt_subscriber) s = ph_mqtt_subscriber_start (b, args);
  g_autoptr (ph_mqtt_subscriber) fresh = NULL;
  g_autoptr (ph_mqtt_subscriber) again = NULL;
  g_autoptr (json_object) connected = NULL;
  g_autoptr (json_object) subscribed = NULL;
  g_autoptr (json_object) disconnected = NULL;
  g_autoptr (json_object) after = NULL;
  g_autoptr (json_object) kept = NULL;
  g_autoptr (json_object) queued = NULL;
  g_autofree char *output = NULL;
  json_object *properties;
  guint16 port = ph_broker_port (b);

  ph_mqtt_publish (b, "t/kept", "kept", TRUE);
  ph_mqtt_subscriber_wait (s, 1, WAIT_MS);
  ph_broker_save (b);
  ph_broker_kill (b);
  ph_broker_restart (b);
  ck_assert_uint_eq (ph_broker_port (b), port);
  ph_mqtt_subscriber_wait_subscribed (s, 2, WAIT_MS);

  connected = ph_mqtt_subscriber_records_of (s, "connected");
  ck_assert_uint_eq (json_object_array_length (connected), 2);
  ck_assert_int_eq (int_of (json_object_array_get_idx (connected, 1), "rc"), 0);
  ck_assert (flag_of (json_object_array_get_idx (connected, 1), "session_present"));
  subscribed = ph_mqtt_subscriber_records_of (s, "subscribed");
  ck_assert (flag_of (json_object_array_get_idx (subscribed, 1), "resumed"));
  disconnected = ph_mqtt_subscriber_records_of (s, "disconnected");
  ck_assert_uint_eq (json_object_array_length (disconnected), 1);
  ck_assert_int_ne (int_of (json_object_array_get_idx (disconnected, 0), "rc"), 0);

  ck_assert_msg (ph_mqtt_pub_run (b, TRUE, with_property, &output) == 0, "mosquitto_pub: %s",
                 output);
  ph_mqtt_subscriber_wait (s, 2, WAIT_MS);
  ck_assert_uint_eq (count_messages (s), 2);
  after = message_at (s, 1);
  ck_assert_str_eq (text_of (after, "topic"), "t/after");
  ck_assert_str_eq (text_of (after, "payload"), "after");
  properties = field (after, "user_properties");
  ck_assert_str_eq (json_object_to_json_string_ext (properties, JSON_C_TO_STRING_PLAIN),
                    "[[\"webhook-id\",\"abc\"]]");

  /* The retained message was saved before the kill. */
  fresh = ph_mqtt_subscriber_start (b, fresh_args);
  ph_mqtt_subscriber_wait (fresh, 1, WAIT_MS);
  kept = message_at (fresh, 0);
  ck_assert_str_eq (text_of (kept, "payload"), "kept");
  ck_assert (flag_of (kept, "retain"));

  /* Away, then back with the same client id: the message waited. */
  g_clear_pointer (&s, ph_mqtt_subscriber_stop);
  ph_mqtt_publish (b, "t/queued", "while away", FALSE);
  again = ph_mqtt_subscriber_start (b, args);
  ph_mqtt_subscriber_wait (again, 1, WAIT_MS);
  queued = message_at (again, 0);
  ck_assert_str_eq (text_of (queued, "topic"), "t/queued");
  ck_assert_str_eq (text_of (queued, "payload"), "while away");
  ck_assert_int_eq (int_of (queued, "qos"), 1);
}
END_TEST

/* extra_config reaches mosquitto.conf: an ACL that allows one subtree
 * drops a publication outside it (mosquitto_pub still exits 0). */
START_TEST (test_extra_config)
{
  g_autofree char *acl = ph_test_write_file ("acl", "topic readwrite allowed/#\n");
  g_autofree char *extra = g_strdup_printf ("acl_file %s", acl);
  g_autoptr (ph_broker) b = ph_broker_start_with (PH_BROKER_ANONYMOUS, extra);
  const char *const args[] = { "--topic", "#", NULL };
  g_autoptr (ph_mqtt_subscriber) s = ph_mqtt_subscriber_start (b, args);
  g_autoptr (json_object) only = NULL;

  ph_mqtt_publish (b, "denied/x", "dropped", FALSE);
  ph_mqtt_publish (b, "allowed/x", "passed", FALSE);
  ph_mqtt_subscriber_wait (s, 1, WAIT_MS);
  ck_assert_uint_eq (count_messages (s), 1);
  only = message_at (s, 0);
  ck_assert_str_eq (text_of (only, "topic"), "allowed/x");
}
END_TEST

static Suite *
mqtt_fixtures_suite (void)
{
  Suite *s = suite_create ("mqtt-fixtures");
  TCase *tc = tcase_create ("mqtt-fixtures");

  /* Generous for a loaded machine; each test takes a second or less. */
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_anonymous_retained);
  tcase_add_test (tc, test_password);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_persistent_restart);
  tcase_add_test (tc, test_extra_config);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (mqtt_fixtures_suite ());
}
