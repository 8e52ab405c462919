/* Proves the failing receiver (tests/servers/faulty.py) fails as it says
 * before retry tests rely on it: libcurl sends each request and sees the
 * failure, and the records say what arrived, webhook-id included.  The
 * last test takes Retry-After through the daemon's own HTTP layer and the
 * backoff clamp. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <string.h>

#include "delivery/backoff.h"
#include "faulty.h"
#include "harness.h"
#include "delivery/http.h"
#include "text/json_text.h"
#include "receiver.h"

#define WAIT_MS 10000

/* One exchange as the client saw it. */
typedef struct {
  CURLcode code;
  long status;
  GString *body;
  curl_off_t retry_after;   /* seconds; 0 when absent or unparsable, as curl says */
  char *redirect_url;       /* where a 3xx points, not followed */
  double seconds;
} reply;

static size_t
append_data (char *data, size_t size, size_t nmemb, void *user_data)
{
  g_string_append_len (user_data, data, size * nmemb);
  return size * nmemb;
}

/* POSTs a small JSON body to path with a webhook-id, as a webhook sender
 * does; timeout_ms bounds the whole exchange. */
static void
send_webhook (ph_faulty *f, const char *path, const char *webhook_id, long timeout_ms,
              reply *out)
{
  g_autofree char *url = ph_faulty_url (f, path);
  g_autofree char *id_header = g_strdup_printf ("webhook-id: %s", webhook_id);
  struct curl_slist *headers = NULL;
  CURL *curl = curl_easy_init ();
  const char *redirect = NULL;

  ck_assert_ptr_nonnull (curl);
  headers = curl_slist_append (headers, id_header);
  headers = curl_slist_append (headers, "Content-Type: application/json");
  out->body = g_string_new (NULL);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, "{\"event\":\"PrintDone\"}");
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, append_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out->body);
  out->code = curl_easy_perform (curl);
  out->status = 0;
  out->retry_after = -1;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &out->status);
  if (out->code == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RETRY_AFTER, &out->retry_after);
  curl_easy_getinfo (curl, CURLINFO_REDIRECT_URL, &redirect);
  out->redirect_url = g_strdup (redirect);
  curl_easy_getinfo (curl, CURLINFO_TOTAL_TIME, &out->seconds);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
}

static void
reply_clear (reply *r)
{
  g_string_free (r->body, TRUE);
  g_free (r->redirect_url);
}

static json_object *
record_at (json_object *records, guint index)
{
  ck_assert_uint_gt (json_object_array_length (records), index);
  return json_object_array_get_idx (records, index);
}

static const char *
field_string (json_object *record, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (record, key, &value), "no \"%s\" in a record", key);
  return json_object_get_string (value);
}

static gint64
field_int (json_object *record, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (record, key, &value), "no \"%s\" in a record", key);
  return json_object_get_int64 (value);
}

START_TEST (test_it_answers_200_and_records_the_webhook_id)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  json_object *r;
  reply out;

  send_webhook (f, "/hook", "msg_first", 5000, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);
  records = ph_faulty_wait (f, 1, WAIT_MS);
  r = record_at (records, 0);
  ck_assert_int_eq (field_int (r, "seq"), 1);
  ck_assert_str_eq (field_string (r, "method"), "POST");
  ck_assert_str_eq (field_string (r, "path"), "/hook");
  ck_assert_str_eq (field_string (r, "webhook_id"), "msg_first");
  ck_assert_str_eq (ph_record_header (r, "webhook-id"), "msg_first");
  ck_assert_str_eq (field_string (r, "action"), "status");
  ck_assert_int_eq (field_int (r, "status"), 200);
  ck_assert_int_eq (field_int (r, "body_len"), strlen ("{\"event\":\"PrintDone\"}"));
}
END_TEST

START_TEST (test_a_script_runs_in_order_then_the_default_applies)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  g_autoptr (json_object) state = NULL;
  static const long expected[] = { 503, 503, 500, 200, 200 };

  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 503, \"count\": 2},"
                       " {\"action\": \"status\", \"code\": 500}]");
  ck_assert_int_eq (ph_faulty_order (f, "GET", "/state", NULL, &state), 200);
  ck_assert_int_eq (json_object_get_int (json_object_object_get (state, "script_left")), 3);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%u", i);
      reply out;

      send_webhook (f, "/", id, 5000, &out);
      ck_assert_int_eq (out.code, CURLE_OK);
      ck_assert_msg (out.status == expected[i], "request %u: HTTP %ld", i, out.status);
      reply_clear (&out);
    }
  records = ph_faulty_wait (f, 5, WAIT_MS);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%u", i);
      ck_assert_str_eq (field_string (record_at (records, i), "webhook_id"), id);
      ck_assert_int_eq (field_int (record_at (records, i), "status"), expected[i]);
    }
}
END_TEST

static const struct {
  long code;
  const char *retry_after;   /* NULL: no header */
  curl_off_t low, high;      /* what curl makes of it */
} retry_after_table[] = {
  { 500, NULL, 0, 0 },
  { 503, NULL, 0, 0 },
  { 503, "0", 0, 0 },
  { 503, "5", 5, 5 },
  { 500, "999999", 999999, 999999 },
  { 503, "date+30", 28, 31 },     /* an HTTP date, 30 s after the answer */
};

START_TEST (test_5xx_with_and_without_retry_after)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  g_autofree char *step = NULL;
  g_autofree char *body = g_strdup_printf ("status %ld", retry_after_table[_i].code);
  reply out;

  if (retry_after_table[_i].retry_after != NULL)
    step = g_strdup_printf ("{\"action\": \"status\", \"code\": %ld, \"retry_after\": \"%s\"}",
                            retry_after_table[_i].code, retry_after_table[_i].retry_after);
  else
    step = g_strdup_printf ("{\"action\": \"status\", \"code\": %ld}", retry_after_table[_i].code);
  ph_faulty_default (f, step);
  send_webhook (f, "/", "msg_ra", 5000, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, retry_after_table[_i].code);
  ck_assert_msg (out.retry_after >= retry_after_table[_i].low
                 && out.retry_after <= retry_after_table[_i].high,
                 "Retry-After %s: curl says %" CURL_FORMAT_CURL_OFF_T,
                 retry_after_table[_i].retry_after, out.retry_after);
  ck_assert_str_eq (out.body->str, body);
  reply_clear (&out);
  records = ph_faulty_wait (f, 1, WAIT_MS);
  ck_assert_str_eq (field_string (record_at (records, 0), "webhook_id"), "msg_ra");
}
END_TEST

START_TEST (test_a_429_burst_then_ok)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;

  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 429, \"count\": 4,"
                       "  \"retry_after\": \"1\"}]");
  for (guint i = 0; i < 5; i++)
    {
      reply out;

      send_webhook (f, "/", "msg_same", 5000, &out);
      ck_assert_int_eq (out.code, CURLE_OK);
      ck_assert_int_eq (out.status, i < 4 ? 429 : 200);
      ck_assert_int_eq (out.retry_after, i < 4 ? 1 : 0);
      reply_clear (&out);
    }
  records = ph_faulty_wait (f, 5, WAIT_MS);
  ck_assert_uint_eq (json_object_array_length (records), 5);
  for (guint i = 0; i < 5; i++)
    ck_assert_str_eq (field_string (record_at (records, i), "webhook_id"), "msg_same");
}
END_TEST

START_TEST (test_410_gone)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  reply out;

  ph_faulty_script (f, "[{\"action\": \"status\", \"code\": 410, \"body\": \"endpoint removed\"}]");
  send_webhook (f, "/", "msg_gone", 5000, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 410);
  ck_assert_str_eq (out.body->str, "endpoint removed");
  reply_clear (&out);
}
END_TEST

START_TEST (test_a_301_points_elsewhere)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  g_autofree char *elsewhere = ph_faulty_url (f, "/elsewhere");
  reply out;

  ph_faulty_script (f, "[{\"action\": \"redirect\"},"
                       " {\"action\": \"redirect\", \"code\": 308,"
                       "  \"location\": \"https://example.invalid/moved\"}]");
  send_webhook (f, "/old", "msg_r1", 5000, &out);
  ck_assert_int_eq (out.status, 301);
  ck_assert_str_eq (out.redirect_url, elsewhere);
  reply_clear (&out);
  send_webhook (f, "/old", "msg_r2", 5000, &out);
  ck_assert_int_eq (out.status, 308);
  ck_assert_str_eq (out.redirect_url, "https://example.invalid/moved");
  reply_clear (&out);
  /* Not followed: only the two requests to /old arrived. */
  records = ph_faulty_wait (f, 2, WAIT_MS);
  ck_assert_uint_eq (json_object_array_length (records), 2);
  ck_assert_str_eq (field_string (record_at (records, 1), "path"), "/old");
  ck_assert_str_eq (field_string (record_at (records, 1), "action"), "redirect");
}
END_TEST

START_TEST (test_hang_until_the_client_gives_up)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  reply out;

  ph_faulty_script (f, "[{\"action\": \"hang\"}]");
  send_webhook (f, "/", "msg_hang", 500, &out);
  ck_assert_int_eq (out.code, CURLE_OPERATION_TIMEDOUT);
  ck_assert_int_eq (out.status, 0);
  ck_assert_double_ge (out.seconds, 0.45);
  reply_clear (&out);
  records = ph_faulty_wait (f, 1, WAIT_MS);
  ck_assert_str_eq (field_string (record_at (records, 0), "action"), "hang");
  ck_assert_str_eq (field_string (record_at (records, 0), "webhook_id"), "msg_hang");
  ck_assert (json_object_get_type (json_object_object_get (record_at (records, 0), "status"))
             == json_type_null);
  /* The next request is served. */
  send_webhook (f, "/", "msg_next", 5000, &out);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);
}
END_TEST

START_TEST (test_drip_sends_the_response_slowly)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  reply out;

  ph_faulty_script (f, "[{\"action\": \"drip\", \"body\": \"0123456789\", \"interval_ms\": 60},"
                       " {\"action\": \"drip\", \"body\": \"0123456789\", \"interval_ms\": 200}]");
  send_webhook (f, "/", "msg_drip", 5000, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  ck_assert_str_eq (out.body->str, "0123456789");
  ck_assert_double_ge (out.seconds, 0.55);
  reply_clear (&out);
  /* A total timeout cuts a drip off half-way. */
  send_webhook (f, "/", "msg_drip_cut", 700, &out);
  ck_assert_int_eq (out.code, CURLE_OPERATION_TIMEDOUT);
  ck_assert_int_eq (out.status, 200);
  ck_assert_uint_gt (out.body->len, 0);
  ck_assert_uint_lt (out.body->len, 10);
  reply_clear (&out);
}
END_TEST

START_TEST (test_reset_mid_response)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  reply out;

  ph_faulty_script (f, "[{\"action\": \"reset\"}]");
  send_webhook (f, "/", "msg_reset", 5000, &out);
  ck_assert_msg (out.code == CURLE_RECV_ERROR, "curl said %s", curl_easy_strerror (out.code));
  reply_clear (&out);
  records = ph_faulty_wait (f, 1, WAIT_MS);
  ck_assert_str_eq (field_string (record_at (records, 0), "action"), "reset");
}
END_TEST

START_TEST (test_drop_resets_without_an_answer)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) records = NULL;
  reply out;

  ph_faulty_script (f, "[{\"action\": \"drop\", \"count\": 2}]");
  for (guint i = 0; i < 2; i++)
    {
      send_webhook (f, "/", "msg_drop", 5000, &out);
      ck_assert_msg (out.code == CURLE_RECV_ERROR || out.code == CURLE_GOT_NOTHING
                     || out.code == CURLE_SEND_ERROR,
                     "curl said %s", curl_easy_strerror (out.code));
      ck_assert_int_eq (out.status, 0);
      reply_clear (&out);
    }
  send_webhook (f, "/", "msg_drop", 5000, &out);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);
  records = ph_faulty_wait (f, 3, WAIT_MS);
  ck_assert_str_eq (field_string (record_at (records, 0), "action"), "drop");
  ck_assert_str_eq (field_string (record_at (records, 1), "action"), "drop");
  ck_assert_str_eq (field_string (record_at (records, 2), "action"), "status");
}
END_TEST

START_TEST (test_down_refuses_then_up_on_the_same_port)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (json_object) state = NULL;
  g_autoptr (json_object) records = NULL;
  guint16 port = ph_faulty_port (f);
  reply out;

  ph_faulty_down (f, 0);
  ck_assert_int_eq (ph_faulty_order (f, "GET", "/state", NULL, &state), 200);
  ck_assert (!json_object_get_boolean (json_object_object_get (state, "listening")));
  send_webhook (f, "/", "msg_refused", 5000, &out);
  ck_assert_msg (out.code == CURLE_COULDNT_CONNECT, "curl said %s", curl_easy_strerror (out.code));
  reply_clear (&out);

  ph_faulty_up (f);
  ck_assert_uint_eq (ph_faulty_port (f), port);
  send_webhook (f, "/", "msg_back", 5000, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);
  /* A refused connection never reaches the server: one record. */
  records = ph_faulty_wait (f, 1, WAIT_MS);
  ck_assert_uint_eq (json_object_array_length (records), 1);
  ck_assert_str_eq (field_string (record_at (records, 0), "webhook_id"), "msg_back");
}
END_TEST

START_TEST (test_down_for_a_while_comes_back_by_itself)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  gint64 start = g_get_monotonic_time ();
  reply out;

  ph_faulty_down (f, 0.5);
  send_webhook (f, "/", "msg_early", 5000, &out);
  ck_assert_int_eq (out.code, CURLE_COULDNT_CONNECT);
  reply_clear (&out);
  for (;;)
    {
      send_webhook (f, "/", "msg_later", 5000, &out);
      if (out.code == CURLE_OK)
        break;
      reply_clear (&out);
      ck_assert_msg (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC,
                     "still refused after 5 s");
      g_usleep (50 * 1000);
    }
  ck_assert_int_eq (out.status, 200);
  ck_assert_int_ge (g_get_monotonic_time () - start, 400 * 1000);
  reply_clear (&out);
}
END_TEST

START_TEST (test_bad_orders_are_refused)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  static const char *const bad[][2] = {
    { "/script", "{\"action\": \"status\"}" },
    { "/script", "[{\"action\": \"explode\"}]" },
    { "/script", "[{\"action\": \"status\", \"code\": 100}]" },
    { "/script", "[{\"action\": \"status\", \"count\": 0}]" },
    { "/script", "[{\"action\": \"status\", \"retry_after\": \"1\\r\\nX: y\"}]" },
    { "/default", "not json" },
    { "/down", "{\"seconds\": -1}" },
    { "/nowhere", "{}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (json_object) answer = NULL;
      long status = ph_faulty_order (f, "POST", bad[i][0], bad[i][1], &answer);

      ck_assert_msg (status == 400, "%s %s: HTTP %ld", bad[i][0], bad[i][1], status);
      ck_assert_ptr_nonnull (json_object_object_get (answer, "error"));
    }
}
END_TEST

/* ---- Retry-After through the daemon's HTTP and the backoff clamp ------ */

typedef struct {
  GMainLoop *loop;
  long status;
  gint64 retry_after;
} http_outcome;

static void
on_response (const ph_http_response *response, gpointer user_data)
{
  http_outcome *o = user_data;

  o->status = ph_http_response_get_status (response);
  o->retry_after = ph_http_response_get_retry_after (response);
  g_main_loop_quit (o->loop);
}

static const struct {
  const char *step;
  long status;
  double delay;          /* what the next attempt waits after a 5 s step */
} clamp_table[] = {
  { "{\"action\": \"status\", \"code\": 503}", 503, 5 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"0\"}", 503, 5 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"5\"}", 503, 5 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"8\"}", 503, 8 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"100\"}", 503, 100 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"999999\"}", 503, 600 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"date+3600\"}", 503, 600 },
  { "{\"action\": \"status\", \"code\": 503, \"retry_after\": \"not a number\"}", 503, 5 },
  { "{\"action\": \"status\", \"code\": 429}", 429, 60 },
  { "{\"action\": \"status\", \"code\": 429, \"retry_after\": \"120\"}", 429, 120 },
  { "{\"action\": \"status\", \"code\": 429, \"retry_after\": \"999999\"}", 429, 600 },
};

START_TEST (test_retry_after_reaches_the_backoff_clamped)
{
  g_autoptr (ph_faulty) f = ph_faulty_start ();
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autofree char *url = ph_faulty_url (f, "/hook");
  http_outcome o = { loop, 0, -2 };
  ph_http *http;
  ph_http_request *req;

  ph_faulty_default (f, clamp_table[_i].step);
  g_main_context_push_thread_default (context);
  http = ph_http_new (context);
  req = ph_http_request_new ("POST", url);
  ph_http_request_add_header (req, "webhook-id", "msg_clamp");
  ph_http_submit (http, req, on_response, &o);
  g_main_loop_run (loop);
  ph_http_free (http);
  g_main_context_pop_thread_default (context);

  ck_assert_int_eq (o.status, clamp_table[_i].status);
  ck_assert_double_eq (ph_backoff_limit_retry_after (5, o.retry_after, o.status, 600),
                       clamp_table[_i].delay);
}
END_TEST

static Suite *
faulty_suite (void)
{
  Suite *s = suite_create ("faulty");
  TCase *answers = tcase_create ("answers");
  TCase *transport = tcase_create ("transport");
  TCase *clamp = tcase_create ("clamp");

  tcase_add_test (answers, test_it_answers_200_and_records_the_webhook_id);
  tcase_add_test (answers, test_a_script_runs_in_order_then_the_default_applies);
  tcase_add_loop_test (answers, test_5xx_with_and_without_retry_after, 0,
                       G_N_ELEMENTS (retry_after_table));
  tcase_add_test (answers, test_a_429_burst_then_ok);
  tcase_add_test (answers, test_410_gone);
  tcase_add_test (answers, test_a_301_points_elsewhere);
  tcase_add_test (answers, test_bad_orders_are_refused);
  tcase_set_timeout (answers, 30);
  suite_add_tcase (s, answers);
  tcase_add_test (transport, test_hang_until_the_client_gives_up);
  tcase_add_test (transport, test_drip_sends_the_response_slowly);
  tcase_add_test (transport, test_reset_mid_response);
  tcase_add_test (transport, test_drop_resets_without_an_answer);
  tcase_add_test (transport, test_down_refuses_then_up_on_the_same_port);
  tcase_add_test (transport, test_down_for_a_while_comes_back_by_itself);
  tcase_set_timeout (transport, 30);
  suite_add_tcase (s, transport);
  tcase_add_loop_test (clamp, test_retry_after_reaches_the_backoff_clamped, 0,
                       G_N_ELEMENTS (clamp_table));
  tcase_set_timeout (clamp, 30);
  suite_add_tcase (s, clamp);
  return s;
}

int
main (void)
{
  ph_test_init ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  return ph_test_run (faulty_suite ());
}
