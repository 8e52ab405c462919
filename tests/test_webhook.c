/* Real webhooks: the printhook binary ("printhook test") with the real
 * modules sends to a real receiver on 127.0.0.1 (tests/servers/receiver.py),
 * and the tests assert on what arrived, decoded by the receiver's own,
 * independent parsers. */
#include "autoconfig.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* Writes a config (private: it holds secrets) and returns its path. */
static char *
write_config (const char *text)
{
  char *path = ph_test_write_file ("printhook.conf", text);

  g_chmod (path, 0600);
  return path;
}

/* printhook test -c CONFIG HOOK EVENT [extra...] */
static ph_run_result *
send_test (const char *config, const char *hook, const char *event, const char *extra1,
           const char *extra2)
{
  const char *argv[] = { "test", "-c", config, hook, event, extra1, extra2, NULL };
  return ph_run_printhook (argv, NULL, 60);
}

static const char *
str_member (json_object *object, const char *key)
{
  json_object *value = json_object_object_get (object, key);
  ck_assert_msg (value != NULL, "no member %s", key);
  return json_object_get_string (value);
}

static json_object *
record_at (json_object *records, guint i)
{
  return json_object_array_get_idx (records, i);
}

START_TEST (test_json_post_arrives_byte_for_byte)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook/@event?file=@extra.name&t=@topic");
  g_autofree char *text = g_strdup_printf (
      "[hook j]\nurl = %s\nevents = *\ndevice_identifier = MK4\napi_secret = s3cr3t\n"
      "headers = {\"X-Token\": \"@apiSecret\", \"X-Num\": 7}\n"
      "data = {\"topic\": \"@topic\", \"f\": 0.1, \"z\": \"@currentZ\", \"x\": \"@extra\", \"m\": \"user@example.com\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "j", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);
  g_autoptr (GBytes) body = ph_record_body (rec);
  g_autofree char *body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  ck_assert_msg (out->exit_status == 0, "exit %d\n%s\n%s", out->exit_status, out->out, out->err);
  assert_contains (out->out, "delivered: HTTP 200 in ");
  assert_contains (out->out, "response (2 bytes):\n  ok\n");
  ck_assert_str_eq (str_member (rec, "method"), "POST");
  ck_assert_str_eq (str_member (rec, "path"), "/hook/PrintDone");
  ck_assert_str_eq (str_member (rec, "query"), "file=example.gcode&t=Print%20Done");
  ck_assert_str_eq (ph_record_header (rec, "Content-Type"), "application/json");
  ck_assert_str_eq (ph_record_header (rec, "X-Token"), "s3cr3t");
  ck_assert_str_eq (ph_record_header (rec, "X-Num"), "7");
  ck_assert (g_str_has_prefix (ph_record_header (rec, "webhook-id"), "msg_"));
  ck_assert_ptr_null (ph_record_header (rec, "webhook-signature"));
  ck_assert_ptr_null (ph_record_header (rec, "Expect"));
  ck_assert_str_eq (body_text, "{\"topic\":\"Print Done\",\"f\":0.1,\"z\":0.3,\"x\":{\"name\":\"example.gcode\","
                               "\"path\":\"example.gcode\",\"origin\":\"local\",\"size\":242038,"
                               "\"owner\":\"example_user\",\"time\":50.237335886},\"m\":\"user@example.com\"}");
  /* The secret is in what was sent, never in what was printed. */
  ck_assert_ptr_null (strstr (out->out, "s3cr3t"));
  ck_assert_ptr_null (strstr (out->err, "s3cr3t"));
}
END_TEST

START_TEST (test_default_body_is_the_plugin_default)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/d");
  g_autofree char *text = g_strdup_printf ("[hook d]\nurl = %s\ndevice_identifier = Garage\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "d", "PrintStarted", "--payload", "{\"name\": \"cube.gcode\"}");
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *json = json_object_object_get (record_at (records, 0), "json");
  g_autofree char *text_out = ph_json_to_text (json, FALSE);

  ck_assert_int_eq (out->exit_status, 0);
  ck_assert_str_eq (text_out, "{\"deviceIdentifier\":\"Garage\",\"apiSecret\":\"\",\"topic\":\"Print Started\","
                              "\"message\":\"Your print has started.\",\"extra\":{\"name\":\"cube.gcode\"}}");
}
END_TEST

START_TEST (test_methods_put_patch_delete_get)
{
  static const char *const methods[] = { "PUT", "PATCH", "DELETE", "GET" };
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/m?x=1");
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *config = NULL;
  g_autoptr (json_object) records = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    g_string_append_printf (text, "[hook m%u]\nurl = %s\nmethod = %s\ndata = {\"t\": \"@topic\", \"n\": null, \"o\": {\"a\": 1}}\n\n",
                            i, url, methods[i]);
  config = write_config (text->str);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *hook = g_strdup_printf ("m%u", i);
      g_autoptr (ph_run_result) out = send_test (config, hook, "PrintDone", NULL, NULL);
      ck_assert_msg (out->exit_status == 0, "%s: %s%s", methods[i], out->out, out->err);
    }
  records = ph_receiver_wait (r, 4, 5000);
  for (guint i = 0; i < 3; i++)
    {
      json_object *rec = record_at (records, i);
      g_autofree char *json = ph_json_to_text (json_object_object_get (rec, "json"), FALSE);

      ck_assert_str_eq (str_member (rec, "method"), methods[i]);
      ck_assert_str_eq (str_member (rec, "query"), "x=1");
      ck_assert_str_eq (json, "{\"t\":\"Print Done\",\"n\":null,\"o\":{\"a\":1}}");
    }
  /* GET: the data goes in the query string, form-encoded, nulls left out. */
  ck_assert_str_eq (str_member (record_at (records, 3), "method"), "GET");
  ck_assert_str_eq (str_member (record_at (records, 3), "query"), "x=1&t=Print%20Done&o=%7B%22a%22%3A1%7D");
  ck_assert_int_eq (json_object_get_int (json_object_object_get (record_at (records, 3), "body_len")), 0);
}
END_TEST

START_TEST (test_form_encoding)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/form");
  g_autofree char *text = g_strdup_printf (
      "[hook f]\nurl = %s\ncontent_type = form\n"
      "data = {\"s\": \"a b&c=d\", \"n\": null, \"i\": 5, \"d\": 14.5, \"t\": true, \"o\": {\"x\": [1, 2]}, \"u\": \"é\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "f", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);
  g_autofree char *form = ph_json_to_text (json_object_object_get (rec, "form"), FALSE);

  ck_assert_int_eq (out->exit_status, 0);
  ck_assert_str_eq (ph_record_header (rec, "Content-Type"), "application/x-www-form-urlencoded");
  ck_assert_str_eq (form, "[[\"s\",\"a b&c=d\"],[\"i\",\"5\"],[\"d\",\"14.5\"],[\"t\",\"true\"],"
                          "[\"o\",\"{\\\"x\\\":[1,2]}\"],[\"u\",\"é\"]]");
}
END_TEST

START_TEST (test_multipart_without_snapshot)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/mp");
  g_autofree char *text = g_strdup_printf (
      "[hook mp]\nurl = %s\ncontent_type = multipart\n"
      "headers = {\"Content-Type\": \"application/json\"}\n"
      "data = {\"topic\": \"@topic\", \"n\": null, \"job\": \"@job.file\", \"size\": \"@extra.size\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "mp", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);
  json_object *parts = json_object_object_get (rec, "multipart");
  g_autofree char *job = NULL;
  gsize job_size;

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert (g_str_has_prefix (ph_record_header (rec, "Content-Type"), "multipart/form-data; boundary="));
  ck_assert_msg (parts != NULL && json_object_array_length (parts) == 3, "parts: %s",
                 json_object_to_json_string (rec));
  ck_assert_str_eq (str_member (json_object_array_get_idx (parts, 0), "name"), "topic");
  ck_assert_ptr_null (json_object_object_get (json_object_array_get_idx (parts, 0), "filename"));
  job = (char *) g_base64_decode (str_member (json_object_array_get_idx (parts, 1), "data_b64"), &job_size);
  ck_assert_str_eq (str_member (json_object_array_get_idx (parts, 1), "name"), "job");
  ck_assert_int_eq (job_size, strlen ("{\"name\":\"example.gcode\",\"path\":\"example.gcode\",\"display\":\"example.gcode\","
                                      "\"origin\":\"local\",\"size\":242038,\"date\":1588195405}"));
  ck_assert_str_eq (str_member (json_object_array_get_idx (parts, 2), "name"), "size");
}
END_TEST

START_TEST (test_multipart_with_nothing_to_send_goes_empty)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/empty-mp");
  /* The snapshot module has no camera URL, so there is no image either. */
  g_autofree char *text = g_strdup_printf ("[hook e]\nurl = %s\ndata = {\"snap\": \"@snapshot\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "e", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_int_eq (json_object_get_int (json_object_object_get (rec, "body_len")), 0);
  ck_assert_ptr_null (ph_record_header (rec, "Content-Type"));
  /* A well-formed request: the receiver found nothing wrong with it. */
  ck_assert_uint_eq (json_object_array_length (json_object_object_get (rec, "errors")), 0);
}
END_TEST

START_TEST (test_standard_webhooks_signature_verifies)
{
  const char *args[] = { "--secret", SECRET, NULL };
  g_autoptr (ph_receiver) r = ph_receiver_start (args);
  g_autofree char *url = ph_receiver_url (r, "/signed");
  g_autofree char *text = g_strdup_printf ("[hook s]\nurl = %s\nsigning_secret = %s\n"
                                           "headers = {\"webhook-signature\": \"v1,forged\"}\n", url, SECRET);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) first = send_test (config, "s", "PrintDone", NULL, NULL);
  g_autoptr (ph_run_result) second = send_test (config, "s", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 2, 5000);
  json_object *rec = record_at (records, 0);
  gint64 timestamp = g_ascii_strtoll (ph_record_header (rec, "webhook-timestamp"), NULL, 10);

  ck_assert_int_eq (first->exit_status, 0);
  ck_assert_int_eq (second->exit_status, 0);
  ck_assert (json_object_get_boolean (json_object_object_get (json_object_object_get (rec, "signature"), "standard")));
  ck_assert (json_object_get_boolean (json_object_object_get (json_object_object_get (record_at (records, 1), "signature"), "standard")));
  /* A template cannot forge the signature header: only ours was sent. */
  ck_assert (g_str_has_prefix (ph_record_header (rec, "webhook-signature"), "v1,"));
  ck_assert_str_ne (ph_record_header (rec, "webhook-signature"), "v1,forged");
  ck_assert (llabs (timestamp - g_get_real_time () / G_USEC_PER_SEC) < 60);
  ck_assert_ptr_null (strstr (first->out, SECRET));
}
END_TEST

/* A 32-byte key written without its trailing "=" (as some services show
 * it) was signed with 30 of its bytes; the receiver, padding first as the
 * Standard Webhooks libraries do, then refused every signature. */
START_TEST (test_standard_secret_without_padding_signs_with_the_whole_key)
{
  const char *padded = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  const char *args[] = { "--secret", padded, NULL };
  g_autoptr (ph_receiver) r = ph_receiver_start (args);
  g_autofree char *url = ph_receiver_url (r, "/signed");
  g_autofree char *text = g_strdup_printf ("[hook s]\nurl = %s\nsigning_secret = %s\n", url,
                                           "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) sent = send_test (config, "s", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);

  ck_assert_int_eq (sent->exit_status, 0);
  assert_lacks (sent->err, "24 to 64");
  ck_assert (json_object_get_boolean (json_object_object_get (json_object_object_get (rec, "signature"), "standard")));
}
END_TEST

START_TEST (test_github_signature_verifies)
{
  const char *args[] = { "--github-secret", "It's a Secret to Everybody", NULL };
  g_autoptr (ph_receiver) r = ph_receiver_start (args);
  g_autofree char *url = ph_receiver_url (r, "/gh");
  g_autofree char *text = g_strdup_printf ("[hook g]\nurl = %s\nsignature = github\n"
                                           "signing_secret = It's a Secret to Everybody\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "g", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);

  ck_assert_int_eq (out->exit_status, 0);
  ck_assert (g_str_has_prefix (ph_record_header (rec, "X-Hub-Signature-256"), "sha256="));
  ck_assert (json_object_get_boolean (json_object_object_get (json_object_object_get (rec, "signature"), "github")));
  ck_assert_ptr_null (ph_record_header (rec, "webhook-signature"));
  ck_assert_ptr_nonnull (ph_record_header (rec, "webhook-id"));
}
END_TEST

START_TEST (test_connection_refused_is_retryable)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *text = NULL, *config = NULL;
  g_autoptr (ph_run_result) out = NULL;
  guint16 port;

  /* A port that was free a moment ago and has no listener now. */
  ck_assert (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (socket);
  text = g_strdup_printf ("[hook x]\nurl = http://127.0.0.1:%u/x\n", port);
  config = write_config (text);
  out = send_test (config, "x", "PrintDone", NULL, NULL);
  ck_assert_int_eq (out->exit_status, 1);
  assert_contains (out->out, "NOT delivered after");
  assert_contains (out->out, "(the daemon would retry it)");
  assert_contains (out->out, "http-webhook: ");
  assert_contains (out->out, "refused");
}
END_TEST

START_TEST (test_receiver_that_never_answers_times_out)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hang");
  g_autofree char *text = g_strdup_printf ("[hook h]\nurl = %s\ntimeout = 1\n", url);
  g_autofree char *config = write_config (text);
  gint64 start = g_get_monotonic_time ();
  g_autoptr (ph_run_result) out = send_test (config, "h", "PrintDone", NULL, NULL);
  double seconds = (g_get_monotonic_time () - start) / 1e6;

  ck_assert_int_eq (out->exit_status, 1);
  assert_contains (out->out, "(the daemon would retry it)");
  assert_contains (out->out, "no complete response from");
  assert_contains (out->out, "after 1.0 s");
  ck_assert_msg (seconds < 10 * ph_test_slowness (), "took %.1f s", seconds);
  json_object_put (ph_receiver_wait (r, 1, 5000));
}
END_TEST

START_TEST (test_404_fails_and_503_retries)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *u404 = ph_receiver_url (r, "/status/404");
  g_autofree char *u503 = ph_receiver_url (r, "/status/503");
  g_autofree char *text = g_strdup_printf ("[hook a]\nurl = %s\n\n[hook b]\nurl = %s\n", u404, u503);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) a = send_test (config, "a", "PrintDone", NULL, NULL);
  g_autoptr (ph_run_result) b = send_test (config, "b", "PrintDone", NULL, NULL);

  ck_assert_int_eq (a->exit_status, 1);
  assert_contains (a->out, "(permanent, the daemon would not retry it): http-webhook: HTTP 404: status 404");
  ck_assert_int_eq (b->exit_status, 1);
  assert_contains (b->out, "(the daemon would retry it): http-webhook: HTTP 503: status 503");
  json_object_put (ph_receiver_wait (r, 2, 5000));
}
END_TEST

START_TEST (test_redirect_is_delivered_and_followed_only_when_asked)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/redirect/302?to=/landed");
  g_autofree char *text = g_strdup_printf ("[hook stay]\nurl = %s\n\n[hook go]\nurl = %s\nfollow_redirects = true\n", url, url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) stay = send_test (config, "stay", "PrintDone", NULL, NULL);
  g_autoptr (json_object) after_stay = ph_receiver_wait (r, 1, 5000);
  g_autoptr (ph_run_result) go = NULL;
  g_autoptr (json_object) after_go = NULL;
  g_autoptr (json_object) records = NULL;

  ck_assert_int_eq (stay->exit_status, 0);
  ck_assert_uint_eq (json_object_array_length (after_stay), 1);
  assert_contains (stay->out, "delivered: HTTP 302");
  assert_contains (stay->out, "/landed\n");
  assert_contains (stay->out, "redirect (not followed): http://127.0.0.1:");
  assert_contains (stay->err, "not following it to http://127.0.0.1:");
  go = send_test (config, "go", "PrintDone", NULL, NULL);
  after_go = ph_receiver_wait (r, 3, 5000);
  ck_assert_int_eq (go->exit_status, 0);
  assert_contains (go->out, "delivered: HTTP 200");
  ck_assert_uint_eq (json_object_array_length (after_go), 3);
  ck_assert_str_eq (str_member (record_at (after_go, 2), "path"), "/landed");
  records = ph_receiver_records (r);
  ck_assert_uint_eq (json_object_array_length (records), 3);
}
END_TEST

START_TEST (test_huge_response_body_is_capped)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/big/10485760");
  g_autofree char *text = g_strdup_printf ("[hook big]\nurl = %s\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "big", "PrintDone", NULL, NULL);

  ck_assert_int_eq (out->exit_status, 0);
  assert_contains (out->out, "delivered: HTTP 200");
  /* Only the first 64 KiB were read, of which a few lines are shown. */
  assert_contains (out->out, "response (65536 bytes):");
  ck_assert (strlen (out->out) < 4096);
}
END_TEST

START_TEST (test_invalid_url_is_a_permanent_failure)
{
  g_autofree char *config = write_config ("[hook u]\nurl = http://[::1/x\n");
  g_autoptr (ph_run_result) out = send_test (config, "u", "PrintDone", NULL, NULL);

  ck_assert_int_eq (out->exit_status, 1);
  assert_contains (out->out, "(permanent, the daemon would not retry it)");
}
END_TEST

START_TEST (test_tls_needs_the_ca_file_for_a_self_signed_server)
{
  g_autofree char *ca = NULL;
  g_autoptr (ph_receiver) r = ph_receiver_start_tls (NULL, &ca);
  g_autofree char *url = ph_receiver_url (r, "/tls");
  g_autofree char *text = g_strdup_printf ("[hook plain]\nurl = %s\n\n[hook trusted]\nurl = %s\ntls_ca_file = %s\n\n"
                                           "[hook insecure]\nurl = %s\ntls_verify = false\n", url, url, ca, url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) plain = send_test (config, "plain", "PrintDone", NULL, NULL);
  g_autoptr (ph_run_result) trusted = send_test (config, "trusted", "PrintDone", NULL, NULL);
  g_autoptr (ph_run_result) insecure = send_test (config, "insecure", "PrintDone", NULL, NULL);
  g_autoptr (json_object) records = NULL;

  ck_assert (g_str_has_prefix (url, "https://"));
  ck_assert_int_eq (plain->exit_status, 1);
  assert_contains (plain->out, "NOT delivered");
  assert_contains (plain->out, "certificate");
  ck_assert_msg (trusted->exit_status == 0, "%s%s", trusted->out, trusted->err);
  ck_assert_int_eq (insecure->exit_status, 0);
  assert_contains (insecure->err, "not checked");
  records = ph_receiver_wait (r, 2, 5000);
  ck_assert_uint_eq (json_object_array_length (records), 2);
  ck_assert (json_object_get_boolean (json_object_object_get (record_at (records, 0), "tls")));
}
END_TEST

/* A file name with a line break must neither inject a header nor lose
 * the webhook: it arrives with a space there, and the log says so. */
START_TEST (test_header_line_break_from_the_event_arrives_as_a_space)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/inj");
  g_autofree char *text = g_strdup_printf ("[hook i]\nurl = %s\nheaders = {\"X-File\": \"@extra.name\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "i", "PrintDone", "--payload", "{\"name\": \"a\\r\\nX-Evil: 1\"}");
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = record_at (records, 0);

  ck_assert_int_eq (out->exit_status, 0);
  assert_contains (out->err, "hook i: header 'X-File' held a line break or control character");
  ck_assert_str_eq (ph_record_header (rec, "X-File"), "a  X-Evil: 1");
  ck_assert_ptr_null (ph_record_header (rec, "X-Evil"));
}
END_TEST

START_TEST (test_secrets_are_redacted_in_output)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/status/401");
  g_autofree char *with_user = NULL;
  g_autofree char *text = NULL, *config = NULL;
  g_autoptr (ph_run_result) out = NULL, shown = NULL;

  with_user = g_strdup_printf ("http://admin:pa55word@%s?key=@apiSecret", url + strlen ("http://"));
  text = g_strdup_printf ("[hook r]\nurl = %s\napi_secret = topsecretvalue\n", with_user);
  config = write_config (text);
  out = send_test (config, "r", "PrintDone", NULL, NULL);
  shown = send_test (config, "r", "PrintDone", "--show-secrets", NULL);
  ck_assert_int_eq (out->exit_status, 1);
  ck_assert_ptr_null (strstr (out->out, "topsecretvalue"));
  ck_assert_ptr_null (strstr (out->out, "pa55word"));
  assert_contains (out->out, "http://****@127.0.0.1:");
  assert_contains (out->out, "key=****");
  assert_contains (shown->out, "key=topsecretvalue");
}
END_TEST

/* A module built against module ABI 1.0 (the example, with the header as
 * 1.0 released it: tests/modules/abi-1.0) loads and runs in printhook 1.1
 * unchanged: its parameter arrives. */
START_TEST (test_module_built_for_abi_1_0_runs)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/old");
  g_autofree char *text = g_strdup_printf ("[hook old]\nurl = %s\nmodules = hello, http-webhook\n"
                                           "hello.greeting = Ahoy\n"
                                           "data = {\"h\": \"@hello\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autofree char *path = g_strdup_printf ("PRINTHOOK_MODULE_PATH=%s/tests/old-abi/.libs:%s/modules/.libs",
                                           ph_test_builddir (), ph_test_builddir ());
  const char *env[] = { path, NULL };
  const char *test_argv[] = { "test", "-c", config, "old", "PrintDone", NULL };
  const char *modules_argv[] = { "modules", "-c", config, NULL };
  g_autoptr (ph_run_result) out = ph_run_printhook (test_argv, env, 60);
  g_autoptr (ph_run_result) listed = ph_run_printhook (modules_argv, env, 60);
  g_autoptr (json_object) records = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *body_text = NULL;

  ck_assert_msg (out->exit_status == 0, "exit %d\n%s\n%s", out->exit_status, out->out, out->err);
  records = ph_receiver_wait (r, 1, 5000);
  body = ph_record_body (record_at (records, 0));
  body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  ck_assert_str_eq (body_text, "{\"h\":\"Ahoy, example.gcode\"}");
  assert_contains (listed->out, "(module ABI 1.0, prepare stage");
}
END_TEST

/* ABI 1.1's finish stage: a module after encoding sees the body as it is
 * sent, and the headers it sets go out, here beside form-encoder's body
 * (before, such a module had to be the chain's one encoder). */
START_TEST (test_finish_module_with_form_encoder)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/f");
  g_autofree char *text = g_strdup_printf (
      "[hook f]\nurl = %s\nmodules = test-finish, form-encoder, http-webhook\n"
      "content_type = form\ntest-finish.tenant = farm-7\n"
      "headers = {\"X-Tenant\": \"from the template\"}\n"
      "data = {\"event\": \"@event\", \"file\": \"@extra.name\"}\n", url);
  g_autofree char *config = write_config (text);
  g_autofree char *path = g_strdup_printf ("PRINTHOOK_MODULE_PATH=%s:%s/modules/.libs",
                                           g_getenv ("PH_TEST_MODULE_DIR"), ph_test_builddir ());
  const char *env[] = { path, NULL };
  const char *check_argv[] = { "check", "-c", config, NULL };
  const char *test_argv[] = { "test", "-c", config, "f", "PrintDone", NULL };
  g_autoptr (ph_run_result) checked = ph_run_printhook (check_argv, env, 60);
  g_autoptr (ph_run_result) out = ph_run_printhook (test_argv, env, 60);
  g_autoptr (json_object) records = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *body_text = NULL;
  g_autofree char *length = NULL;
  json_object *rec;

  ck_assert_msg (checked->exit_status == 0, "%s%s", checked->out, checked->err);
  /* In stage order, whatever the order of the modules key. */
  assert_contains (checked->out, "chain:  form-encoder > test-finish > http-webhook");
  ck_assert_msg (out->exit_status == 0, "exit %d\n%s\n%s", out->exit_status, out->out, out->err);
  records = ph_receiver_wait (r, 1, 5000);
  rec = record_at (records, 0);
  body = ph_record_body (rec);
  body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  length = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (body));
  ck_assert_str_eq (body_text, "event=PrintDone&file=example.gcode");
  ck_assert_str_eq (ph_record_header (rec, "Content-Type"), "application/x-www-form-urlencoded");
  ck_assert_str_eq (ph_record_header (rec, "X-Body-Length"), length);
  ck_assert_str_eq (ph_record_header (rec, "X-Tenant"), "farm-7");
}
END_TEST

/* printhook check says what the chain will send, from its encoder, not
 * from content_type. */
START_TEST (test_check_summary_follows_the_chain)
{
  g_autofree char *config = write_config (
      "[hook form]\nurl = http://127.0.0.1:9/\nmodules = test-prepare, form-encoder, http-webhook\n\n"
      "[hook own]\nurl = http://127.0.0.1:9/\nmodules = test-encode, http-webhook\n\n"
      "[hook plain]\nurl = http://127.0.0.1:9/\n");
  g_autofree char *path = g_strdup_printf ("PRINTHOOK_MODULE_PATH=%s:%s/modules/.libs",
                                           g_getenv ("PH_TEST_MODULE_DIR"), ph_test_builddir ());
  const char *env[] = { path, NULL };
  const char *argv[] = { "check", "-c", config, NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, env, 60);

  ck_assert_msg (r->exit_status == 0, "%s%s", r->out, r->err);
  assert_contains (r->out, "  hook form\n    events: PrintStarted, PrintDone, PrintFailed, "
                           "PrintPaused, UserActionNeeded, Error\n    sends:  POST to its url (form)\n");
  assert_contains (r->out, "sends:  POST to its url (encoded by test-encode)\n");
  assert_contains (r->out, "  hook plain\n    events: PrintStarted, PrintDone, PrintFailed, "
                           "PrintPaused, UserActionNeeded, Error\n    sends:  POST to its url (json)\n");
  assert_contains (r->err, "form-encoder in the chain sends a form");
}
END_TEST

static Suite *
webhook_suite (void)
{
  Suite *s = suite_create ("webhook");
  TCase *tc = tcase_create ("webhook");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_json_post_arrives_byte_for_byte);
  tcase_add_test (tc, test_default_body_is_the_plugin_default);
  tcase_add_test (tc, test_methods_put_patch_delete_get);
  tcase_add_test (tc, test_form_encoding);
  tcase_add_test (tc, test_multipart_without_snapshot);
  tcase_add_test (tc, test_multipart_with_nothing_to_send_goes_empty);
  tcase_add_test (tc, test_standard_webhooks_signature_verifies);
  tcase_add_test (tc, test_standard_secret_without_padding_signs_with_the_whole_key);
  tcase_add_test (tc, test_github_signature_verifies);
  tcase_add_test (tc, test_connection_refused_is_retryable);
  tcase_add_test (tc, test_receiver_that_never_answers_times_out);
  tcase_add_test (tc, test_404_fails_and_503_retries);
  tcase_add_test (tc, test_redirect_is_delivered_and_followed_only_when_asked);
  tcase_add_test (tc, test_huge_response_body_is_capped);
  tcase_add_test (tc, test_invalid_url_is_a_permanent_failure);
  tcase_add_test (tc, test_tls_needs_the_ca_file_for_a_self_signed_server);
  tcase_add_test (tc, test_header_line_break_from_the_event_arrives_as_a_space);
  tcase_add_test (tc, test_secrets_are_redacted_in_output);
  tcase_add_test (tc, test_module_built_for_abi_1_0_runs);
  tcase_add_test (tc, test_finish_module_with_form_encoder);
  tcase_add_test (tc, test_check_summary_follows_the_chain);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (webhook_suite ());
}
