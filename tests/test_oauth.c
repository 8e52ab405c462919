/* The oauth module against a real token endpoint (tests/servers/
 * oauth_server.py): what the token request looks like, what the receiver
 * gets (tests/servers/receiver.py), how tokens are cached, refreshed after
 * a 401, and how failures read.  "printhook test" runs the real binary;
 * caching needs several deliveries in one process, so those tests run the
 * real core and module files in this one. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "config_fixture.h"
#include "harness.h"
#include "in_process.h"
#include "text/json_text.h"
#include "receiver.h"
#include "servers/script_server.h"

#define CLIENT_SECRET "s3cr3t-client-value"
#define BASIC_AUTH "Basic cGg6czNjcjN0LWJhc2lj"

static ph_script_server *
start_oauth_server (void)
{
  return ph_script_server_start ("oauth_server.py", NULL);
}

static char *
write_config (const char *text)
{
  char *path = ph_test_write_file ("printhook.conf", text);

  g_chmod (path, 0600);
  return path;
}

static ph_run_result *
send_test (const char *config, const char *hook)
{
  const char *argv[] = { "test", "-c", config, hook, "PrintDone", NULL };
  return ph_run_printhook (argv, NULL, 60);
}

static const char *
member (json_object *object, const char *key)
{
  return json_object_get_string (json_object_object_get (object, key));
}

/* The value of the first header called name in an oauth_server record. */
static const char *
record_header (json_object *record, const char *name)
{
  json_object *headers = json_object_object_get (record, "headers");

  for (size_t i = 0; i < json_object_array_length (headers); i++)
    {
      json_object *pair = json_object_array_get_idx (headers, i);
      if (g_ascii_strcasecmp (json_object_get_string (json_object_array_get_idx (pair, 0)), name) == 0)
        return json_object_get_string (json_object_array_get_idx (pair, 1));
    }
  return NULL;
}

static char *
compact (json_object *value)
{
  return ph_json_to_text (value, FALSE);
}

/* One hook sending to the receiver with a token from the OAuth server. */
static char *
hook_config (ph_receiver *r, ph_script_server *oauth, const char *token_path, const char *extra)
{
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *token_url = ph_script_server_url (oauth, token_path);

  return g_strdup_printf ("[hook o]\nurl = %s\n"
                          "headers = {\"Authorization\": \"Bearer @access_token\"}\n"
                          "oauth.url = %s\n%s", url, token_url, extra != NULL ? extra : "");
}

START_TEST (test_token_request_posts_json)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *text = hook_config (r, oauth, "/token",
      "oauth.data = {\"grant_type\": \"client_credentials\", \"client_id\": \"printhook\", "
      "\"client_secret\": \"" CLIENT_SECRET "\", \"scope\": [\"a\", \"b\"]}\n"
      "oauth.headers = {\"X-Tenant\": \"garage\", \"Content-Type\": \"text/plain\"}\n");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) tokens = ph_script_server_records_at (oauth, "/token");
  json_object *request;

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_int_eq (json_object_array_length (tokens), 1);
  request = json_object_array_get_idx (tokens, 0);
  ck_assert_str_eq (member (request, "method"), "POST");
  /* A configured Content-Type that does not say JSON is replaced. */
  ck_assert_str_eq (member (request, "content_type"), "application/json");
  ck_assert_str_eq (record_header (request, "X-Tenant"), "garage");
  ck_assert_str_eq (record_header (request, "Accept"), "application/json");
  ck_assert_str_eq (member (request, "body"),
                    "{\"grant_type\":\"client_credentials\",\"client_id\":\"printhook\","
                    "\"client_secret\":\"" CLIENT_SECRET "\",\"scope\":[\"a\",\"b\"]}");
}
END_TEST

START_TEST (test_token_request_posts_form)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *text = hook_config (r, oauth, "/token",
      "oauth.content_type = form\n"
      "oauth.data = {\"grant_type\": \"client_credentials\", \"client_secret\": \"a&b=c d\", \"n\": 5}\n");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) tokens = ph_script_server_records_at (oauth, "/token");
  json_object *request = json_object_array_get_idx (tokens, 0);
  g_autofree char *form = compact (json_object_object_get (request, "form"));

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_str_eq (member (request, "method"), "POST");
  ck_assert_str_eq (member (request, "content_type"), "application/x-www-form-urlencoded");
  ck_assert_str_eq (form, "[[\"grant_type\",\"client_credentials\"],[\"client_secret\",\"a&b=c d\"],[\"n\",\"5\"]]");
}
END_TEST

START_TEST (test_token_request_get_puts_data_in_the_query)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *text = hook_config (r, oauth, "/token?tenant=1",
      "oauth.method = GET\n"
      "oauth.data = {\"client_id\": \"printhook\", \"client_secret\": \"x y\"}\n");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) tokens = ph_script_server_records_at (oauth, "/token");
  json_object *request = json_object_array_get_idx (tokens, 0);

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_str_eq (member (request, "method"), "GET");
  ck_assert_str_eq (member (request, "query"), "tenant=1&client_id=printhook&client_secret=x%20y");
  ck_assert_str_eq (member (request, "body"), "");
  ck_assert_ptr_null (member (request, "content_type"));
}
END_TEST

START_TEST (test_bearer_token_reaches_the_receiver)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *text = hook_config (r, oauth, "/token?srv_expires_in=3600",
      "data = {\"topic\": \"@topic\", \"type\": \"@token_type\", \"ttl\": \"@expires_in\", "
      "\"same\": \"@oauth.access_token\"}\n");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  json_object *rec = json_object_array_get_idx (records, 0);
  g_autofree char *body = compact (json_object_object_get (rec, "json"));

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_str_eq (ph_record_header (rec, "Authorization"), "Bearer tok-1");
  ck_assert_str_eq (body, "{\"topic\":\"Print Done\",\"type\":\"Bearer\",\"ttl\":3600,\"same\":\"tok-1\"}");
}
END_TEST

START_TEST (test_token_in_the_url_is_not_printed)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *url = ph_receiver_url (r, "/hook/@access_token/x");
  g_autofree char *token_url = ph_script_server_url (oauth, "/token?srv_expires_in=3600");
  g_autofree char *text = g_strdup_printf ("[hook o]\nurl = %s\noauth.url = %s\n", url, token_url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (records, 0), "path")),
                    "/hook/tok-1/x");
  /* Sent in the URL, but never printed: the token came at run time. */
  assert_contains (out->out, "/hook/****/x");
  assert_lacks (out->out, "tok-1");
  assert_lacks (out->err, "tok-1");
}
END_TEST

START_TEST (test_clashing_key_is_kept_under_oauth_with_a_warning)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  /* srv_extra = {"message": "from oauth", "oauth": 7} */
  g_autofree char *text = hook_config (r, oauth,
      "/token?srv_extra=%7B%22message%22%3A%22from%20oauth%22%2C%22oauth%22%3A7%7D",
      "data = {\"m\": \"@message\", \"om\": \"@oauth.message\", \"oo\": \"@oauth.oauth\"}\n");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) records = ph_receiver_wait (r, 1, 5000);
  g_autofree char *body = compact (json_object_object_get (json_object_array_get_idx (records, 0), "json"));

  ck_assert_msg (out->exit_status == 0, "%s%s", out->out, out->err);
  ck_assert_str_eq (body, "{\"m\":\"Your print is done.\",\"om\":\"from oauth\",\"oo\":7}");
  assert_contains (out->err, "warning: oauth: hook o");
  assert_contains (out->err, "key 'message' has the name of a built-in parameter");
  assert_contains (out->err, "use @oauth.message");
}
END_TEST

/* What each kind of failure of the token request comes to: nothing is sent
 * to the receiver, the reason names the OAuth step, and transient ones
 * would be retried. */
static void
assert_token_failure (const char *token_path, gboolean transient, const char *reason)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *text = hook_config (r, oauth, token_path, NULL);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");
  g_autoptr (json_object) records = ph_receiver_records (r);

  ck_assert_msg (out->exit_status == 1, "%s: exit %d\n%s%s", token_path, out->exit_status, out->out, out->err);
  assert_contains (out->out, transient ? "(the daemon would retry it): oauth: "
                                       : "(permanent, the daemon would not retry it): oauth: ");
  assert_contains (out->out, reason);
  ck_assert_int_eq (json_object_array_length (records), 0);
}

START_TEST (test_token_endpoint_server_error_is_retried)
{
  assert_token_failure ("/status/503", TRUE, "answered HTTP 503: {\"error\": \"status 503\"}");
}
END_TEST

START_TEST (test_token_endpoint_refusal_is_permanent)
{
  assert_token_failure ("/status/400", FALSE, "the token endpoint http://127.0.0.1:");
  assert_token_failure ("/status/401", FALSE, "/status/401 answered HTTP 401");
}
END_TEST

START_TEST (test_token_response_must_be_a_json_object)
{
  assert_token_failure ("/text", FALSE, "/text is not JSON");
  assert_token_failure ("/array", FALSE, "/array is JSON but not an object");
}
END_TEST

START_TEST (test_unreachable_token_endpoint_is_retried_without_showing_secrets)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *token_url = ph_script_server_url (oauth, "/token");
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autofree char *text = NULL;
  g_autofree char *config = NULL;
  g_autoptr (ph_run_result) out = NULL;

  /* A port nobody listens on any more. */
  g_clear_pointer (&oauth, ph_script_server_stop);
  text = g_strdup_printf ("[hook o]\nurl = %s\noauth.url = %s\noauth.method = GET\n"
                          "oauth.data = {\"client_secret\": \"" CLIENT_SECRET "\"}\n"
                          "oauth.headers = {\"Authorization\": \"" BASIC_AUTH "\"}\n", url, token_url);
  config = write_config (text);
  out = send_test (config, "o");

  ck_assert_int_eq (out->exit_status, 1);
  assert_contains (out->out, "(the daemon would retry it): oauth: token request failed: ");
  assert_contains (out->out, "/token?****");
  assert_lacks (out->out, CLIENT_SECRET);
  assert_lacks (out->err, CLIENT_SECRET);
  assert_lacks (out->out, BASIC_AUTH);
  assert_lacks (out->err, BASIC_AUTH);
}
END_TEST

START_TEST (test_secret_values_are_hidden_where_the_endpoint_echoes_them)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  /* The error body quotes the request: the printed reason hides the
   * client_secret, while a plain word of oauth.data is left alone. */
  g_autofree char *text = hook_config (r, oauth, "/status/400?srv_echo=1",
      "oauth.data = {\"client_id\": \"printhook-garage\", \"client_secret\": \"" CLIENT_SECRET "\"}\n");
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "o");

  ck_assert_int_eq (out->exit_status, 1);
  assert_contains (out->out, "answered HTTP 400: ");
  assert_contains (out->out, "printhook-garage");
  assert_contains (out->out, "client_secret\\\":\\\"****");
  assert_lacks (out->out, CLIENT_SECRET);
}
END_TEST

START_TEST (test_bad_oauth_settings_are_config_errors)
{
  g_autoptr (ph_loaded) method = ph_load_text ("[hook a]\nurl = http://127.0.0.1:9/\n"
                                               "oauth.url = http://127.0.0.1:9/token\noauth.method = PUT\n", NULL);
  g_autoptr (ph_loaded) type = ph_load_text ("[hook a]\nurl = http://127.0.0.1:9/\n"
                                             "oauth.url = http://127.0.0.1:9/token\noauth.content_type = xml\n", NULL);
  g_autoptr (ph_loaded) scheme = ph_load_text ("[hook a]\nurl = http://127.0.0.1:9/\n"
                                               "oauth.url = ftp://127.0.0.1/token\n", NULL);
  g_autoptr (ph_loaded) header = ph_load_text ("[hook a]\nurl = http://127.0.0.1:9/\n"
                                               "oauth.url = http://127.0.0.1:9/token\n"
                                               "oauth.headers = {\"X\": {\"nested\": 1}}\n", NULL);

  ck_assert_ptr_null (method->config);
  ph_assert_diag (method, PH_DIAG_ERROR, "oauth.method: 'PUT' is not POST or GET", PH_END);
  ck_assert_ptr_null (type->config);
  ph_assert_diag (type, PH_DIAG_ERROR, "oauth.content_type: 'xml' is not json or form", PH_END);
  ck_assert_ptr_null (scheme->config);
  ph_assert_diag (scheme, PH_DIAG_ERROR, "oauth.url: 'ftp://127.0.0.1/token' is not an http", PH_END);
  ck_assert_ptr_null (header->config);
  ph_assert_diag (header, PH_DIAG_ERROR, "header 'X' must be a string, number or boolean", PH_END);
}
END_TEST

START_TEST (test_modules_lists_oauth_with_its_keys)
{
  const char *argv[] = { "modules", NULL };
  g_autoptr (ph_run_result) out = ph_run_printhook (argv, NULL, 30);

  assert_contains (out->out, "\noauth ");
  assert_contains (out->out, "prepare stage");
  assert_contains (out->out, "oauth.url (text, required)");
  assert_contains (out->out, "oauth.method (text, default POST)");
  assert_contains (out->out, "oauth.content_type (text, default json)");
  assert_contains (out->out, "oauth.headers (JSON object, secret)");
  assert_contains (out->out, "oauth.data (JSON object, secret)");
  assert_contains (out->out, "oauth.timeout (number, default 30");
}
END_TEST

/* In-process: several deliveries of one hook, one after the other, as the
 * daemon sends them. */

static ph_loaded *
load_oauth_hook (ph_script_server *oauth, const char *webhook_url, const char *token_path)
{
  g_autofree char *token_url = ph_script_server_url (oauth, token_path);
  g_autofree char *text = g_strdup_printf (
      "[hook o]\nurl = %s\nheaders = {\"Authorization\": \"Bearer @access_token\"}\n"
      "oauth.url = %s\n", webhook_url, token_url);
  ph_loaded *loaded = ph_load_text (text, NULL);

  ph_assert_no_diag (loaded, PH_DIAG_ERROR);
  ck_assert_ptr_nonnull (loaded->config);
  return loaded;
}

/* Sends n events to hook o one after the other; returns how many were
 * delivered. */
static guint
deliver_in_turn (ph_loaded *loaded, guint n)
{
  const ph_hook *hook = ph_config_find_hook (loaded->config, "o");
  guint delivered = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ph_event) event = ph_event_new ("PrintDone", "test", NULL, NULL);
      g_autoptr (printhook_delivery) d = ph_delivery_new (hook, event, 0);
      ph_outcome outcome = { 0 };

      ph_run_chains (&d, 1, &outcome, 20);
      delivered += outcome.result == PRINTHOOK_RESULT_DONE;
      ph_outcome_clear (&outcome);
    }
  return delivered;
}

/* The Authorization header of each record, joined with spaces. */
static char *
authorizations (json_object *records, const char *(*header) (json_object *, const char *))
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (records); i++)
    {
      const char *value = header (json_object_array_get_idx (records, i), "Authorization");
      g_string_append_printf (text, "%s%s", i > 0 ? "," : "", value != NULL ? value : "(none)");
    }
  return g_strdup (text->str);
}

START_TEST (test_token_is_cached_until_it_expires)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autoptr (ph_loaded) loaded = load_oauth_hook (oauth, url, "/token?srv_expires_in=3600");
  g_autoptr (json_object) tokens = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *sent = NULL;

  ck_assert_int_eq (deliver_in_turn (loaded, 3), 3);
  tokens = ph_script_server_records_at (oauth, "/token");
  records = ph_receiver_wait (r, 3, 5000);
  sent = authorizations (records, ph_record_header);
  ck_assert_int_eq (json_object_array_length (tokens), 1);
  ck_assert_str_eq (sent, "Bearer tok-1,Bearer tok-1,Bearer tok-1");
}
END_TEST

START_TEST (test_token_without_expires_in_is_fetched_for_every_delivery)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *url = ph_receiver_url (r, "/hook");
  g_autoptr (ph_loaded) loaded = load_oauth_hook (oauth, url, "/token");
  g_autoptr (json_object) tokens = NULL;
  g_autoptr (json_object) records = NULL;
  g_autofree char *sent = NULL;

  ck_assert_int_eq (deliver_in_turn (loaded, 3), 3);
  tokens = ph_script_server_records_at (oauth, "/token");
  records = ph_receiver_wait (r, 3, 5000);
  sent = authorizations (records, ph_record_header);
  ck_assert_int_eq (json_object_array_length (tokens), 3);
  ck_assert_str_eq (sent, "Bearer tok-1,Bearer tok-2,Bearer tok-3");
}
END_TEST

START_TEST (test_expired_token_is_fetched_again)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *url = ph_receiver_url (r, "/hook");
  /* expires_in 2 is kept 1.8 s (a tenth less, for flight time). */
  g_autoptr (ph_loaded) loaded = load_oauth_hook (oauth, url, "/token?srv_expires_in=2");
  g_autoptr (json_object) records = NULL;
  g_autofree char *sent = NULL;

  ck_assert_int_eq (deliver_in_turn (loaded, 2), 2);
  ph_spin (2100);
  ck_assert_int_eq (deliver_in_turn (loaded, 1), 1);
  records = ph_receiver_wait (r, 3, 5000);
  sent = authorizations (records, ph_record_header);
  ck_assert_str_eq (sent, "Bearer tok-1,Bearer tok-1,Bearer tok-2");
}
END_TEST

START_TEST (test_401_drops_the_cached_token_and_sends_once_more)
{
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  /* The resource takes each token once: the second delivery's cached
   * token is refused. */
  g_autofree char *url = ph_script_server_url (oauth, "/api/uses/1");
  g_autoptr (ph_loaded) loaded = load_oauth_hook (oauth, url, "/token?srv_expires_in=3600");
  g_autoptr (json_object) tokens = NULL;
  g_autoptr (json_object) calls = NULL;
  g_autofree char *sent = NULL;

  ck_assert_int_eq (deliver_in_turn (loaded, 2), 2);
  tokens = ph_script_server_records_at (oauth, "/token");
  calls = ph_script_server_records_at (oauth, "/api/uses/1");
  sent = authorizations (calls, record_header);
  ck_assert_int_eq (json_object_array_length (tokens), 2);
  ck_assert_str_eq (sent, "Bearer tok-1,Bearer tok-1,Bearer tok-2");
  ck_assert_int_eq (json_object_get_int (json_object_object_get (json_object_array_get_idx (calls, 1), "status")), 401);
  ck_assert_int_eq (json_object_get_int (json_object_object_get (json_object_array_get_idx (calls, 2), "status")), 200);
}
END_TEST

START_TEST (test_401_is_refreshed_only_once_per_attempt)
{
  g_autoptr (ph_script_server) oauth = start_oauth_server ();
  g_autofree char *url = ph_script_server_url (oauth, "/status/401");
  g_autoptr (ph_loaded) loaded = load_oauth_hook (oauth, url, "/token?srv_expires_in=3600");
  const ph_hook *hook = ph_config_find_hook (loaded->config, "o");
  g_autoptr (ph_event) event = ph_event_new ("PrintDone", "test", NULL, NULL);
  g_autoptr (printhook_delivery) d = ph_delivery_new (hook, event, 0);
  g_autoptr (json_object) tokens = NULL;
  g_autoptr (json_object) calls = NULL;
  ph_outcome outcome = { 0 };

  ph_run_chains (&d, 1, &outcome, 20);
  tokens = ph_script_server_records_at (oauth, "/token");
  calls = ph_script_server_records_at (oauth, "/status/401");
  ck_assert_int_eq (outcome.result, PRINTHOOK_RESULT_FAIL);
  ck_assert_str_eq (outcome.error, "http-webhook: HTTP 401: {\"error\": \"status 401\"}");
  ck_assert_int_eq (json_object_array_length (tokens), 2);
  ck_assert_int_eq (json_object_array_length (calls), 2);
  ck_assert_int_eq (d->response.status, 401);
  ph_outcome_clear (&outcome);
}
END_TEST

START_TEST (test_401_without_credentials_to_refresh_is_not_resent)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/status/401");
  g_autofree char *text = g_strdup_printf ("[hook plain]\nurl = %s\n", url);
  g_autofree char *config = write_config (text);
  g_autoptr (ph_run_result) out = send_test (config, "plain");
  g_autoptr (json_object) records = ph_receiver_records (r);

  ck_assert_int_eq (out->exit_status, 1);
  ck_assert_int_eq (json_object_array_length (records), 1);
}
END_TEST

static Suite *
oauth_suite (void)
{
  Suite *s = suite_create ("oauth");
  TCase *request = tcase_create ("token request");
  TCase *failures = tcase_create ("failures");
  TCase *cache = tcase_create ("cache");

  tcase_set_timeout (request, 60);
  tcase_add_test (request, test_token_request_posts_json);
  tcase_add_test (request, test_token_request_posts_form);
  tcase_add_test (request, test_token_request_get_puts_data_in_the_query);
  tcase_add_test (request, test_bearer_token_reaches_the_receiver);
  tcase_add_test (request, test_token_in_the_url_is_not_printed);
  tcase_add_test (request, test_clashing_key_is_kept_under_oauth_with_a_warning);
  tcase_add_test (request, test_modules_lists_oauth_with_its_keys);
  suite_add_tcase (s, request);

  tcase_set_timeout (failures, 60);
  tcase_add_test (failures, test_token_endpoint_server_error_is_retried);
  tcase_add_test (failures, test_token_endpoint_refusal_is_permanent);
  tcase_add_test (failures, test_token_response_must_be_a_json_object);
  tcase_add_test (failures, test_unreachable_token_endpoint_is_retried_without_showing_secrets);
  tcase_add_test (failures, test_secret_values_are_hidden_where_the_endpoint_echoes_them);
  tcase_add_test (failures, test_bad_oauth_settings_are_config_errors);
  suite_add_tcase (s, failures);

  tcase_set_timeout (cache, 60);
  tcase_add_test (cache, test_token_is_cached_until_it_expires);
  tcase_add_test (cache, test_token_without_expires_in_is_fetched_for_every_delivery);
  tcase_add_test (cache, test_expired_token_is_fetched_again);
  tcase_add_test (cache, test_401_drops_the_cached_token_and_sends_once_more);
  tcase_add_test (cache, test_401_is_refreshed_only_once_per_attempt);
  tcase_add_test (cache, test_401_without_credentials_to_refresh_is_not_resent);
  suite_add_tcase (s, cache);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  return ph_test_run (oauth_suite ());
}
