/* Proves the test receiver right before printhook's HTTP tests rely on it:
 * libcurl sends known requests and the records must say exactly what was
 * sent. */
#include "autoconfig.h"
#include "harness.h"
#include "receiver.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define WAIT_MS 10000

/* The Standard Webhooks test vector (docs/reference webhook-delivery.md
 * §1.6, from the spec's own library tests). */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TIMESTAMP "1614265330"
#define SW_BODY "{\"test\": 2432232314}"
#define SW_GOOD "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SW_BAD "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
#define SW_OTHER "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

/* GitHub's documented example ("Validating webhook deliveries"). */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_GOOD "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define GH_BAD "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18"

/* One exchange as the client saw it. */
typedef struct {
  CURLcode code;
  long status;
  GString *body;       /* response body */
  GString *head;       /* response header lines */
  GString *sent_head;  /* request line and headers, as curl sent them */
} reply;

static size_t
append_data (char *data, size_t size, size_t nmemb, void *user_data)
{
  g_string_append_len (user_data, data, size * nmemb);
  return size * nmemb;
}

static int
on_debug (CURL *curl, curl_infotype type, char *data, size_t size, void *user_data)
{
  if (type == CURLINFO_HEADER_OUT)
    g_string_append_len (user_data, data, size);
  return 0;
}

/* A handle for url with timeouts that fail a stuck test instead of hanging
 * it.  Transfer full: curl_easy_cleanup. */
static CURL *
new_easy (const char *url)
{
  CURL *curl = curl_easy_init ();

  ck_assert_ptr_nonnull (curl);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 20000L);
  return curl;
}

/* Runs curl once, collecting into out (clear with reply_clear). */
static void
perform (CURL *curl, reply *out)
{
  out->body = g_string_new (NULL);
  out->head = g_string_new (NULL);
  out->sent_head = g_string_new (NULL);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, append_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out->body);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, append_data);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, out->head);
  curl_easy_setopt (curl, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt (curl, CURLOPT_DEBUGDATA, out->sent_head);
  /* The debug function is called only in verbose mode; it prints nothing
   * itself. */
  curl_easy_setopt (curl, CURLOPT_VERBOSE, 1L);
  out->code = curl_easy_perform (curl);
  out->status = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &out->status);
}

static void
reply_clear (reply *out)
{
  g_string_free (out->body, TRUE);
  g_string_free (out->head, TRUE);
  g_string_free (out->sent_head, TRUE);
}

/* The value at key, which must exist (transfer none). */
static json_object *
field (json_object *obj, const char *key)
{
  json_object *value = NULL;

  ck_assert_msg (json_object_object_get_ex (obj, key, &value), "no \"%s\" in a record", key);
  return value;
}

static const char *
field_string (json_object *obj, const char *key)
{
  return json_object_get_string (field (obj, key));
}

static gint64
field_int (json_object *obj, const char *key)
{
  return json_object_get_int64 (field (obj, key));
}

static json_object *
record_at (json_object *records, size_t i)
{
  ck_assert_uint_gt (json_object_array_length (records), i);
  return json_object_array_get_idx (records, i);
}

/* Asserts that pairs is [[k, v], ...] equal to expected, a NULL-terminated
 * list k, v, k, v, ... */
static void
assert_pairs (json_object *pairs, const char *const *expected)
{
  guint n = g_strv_length ((char **) expected) / 2;

  ck_assert_msg (json_object_is_type (pairs, json_type_array), "not a list of pairs");
  ck_assert_uint_eq (json_object_array_length (pairs), n);
  for (guint i = 0; i < n; i++)
    {
      json_object *pair = json_object_array_get_idx (pairs, i);

      ck_assert_uint_eq (json_object_array_length (pair), 2);
      ck_assert_str_eq (json_object_get_string (json_object_array_get_idx (pair, 0)),
                        expected[2 * i]);
      ck_assert_str_eq (json_object_get_string (json_object_array_get_idx (pair, 1)),
                        expected[2 * i + 1]);
    }
}

static void
assert_body (json_object *record, const void *data, gsize length)
{
  g_autoptr (GBytes) body = ph_record_body (record);
  g_autoptr (GBytes) expected = g_bytes_new_static (data, length);

  ck_assert_int_eq (field_int (record, "body_len"), length);
  ck_assert_msg (g_bytes_equal (body, expected), "body differs from what was sent");
}

static void
assert_no_errors (json_object *record)
{
  json_object *errors = field (record, "errors");

  ck_assert_msg (json_object_array_length (errors) == 0, "receiver found errors: %s",
                 json_object_to_json_string (errors));
}

static gboolean
signature_is (json_object *record, const char *kind, json_type type, gboolean value)
{
  json_object *result = field (field (record, "signature"), kind);

  return json_object_is_type (result, type)
         && (type == json_type_null || json_object_get_boolean (result) == value);
}

START_TEST (test_exact_bytes_and_headers)
{
  static const char body[] = "bin\0ary\r\n--x\r\n\xff\xfe end";
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/hook/a%20b?x=1&y=%C3%A9&flag");
  const char *query_pairs[] = { "x", "1", "y", "\xc3\xa9", "flag", "", NULL };
  CURL *curl = new_easy (url);
  struct curl_slist *headers = NULL;
  reply out;
  json_object *records, *rec, *list;
  g_autofree guchar *head = NULL;
  gsize head_len = 0;
  long local_port = 0;
  size_t one = 0;

  headers = curl_slist_append (headers, "Content-Type: application/octet-stream");
  headers = curl_slist_append (headers, "X-One: 1");
  headers = curl_slist_append (headers, "X-Two: two  words");
  headers = curl_slist_append (headers, "x-one: again");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) sizeof body - 1);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  ck_assert_str_eq (out.body->str, "ok");
  curl_easy_getinfo (curl, CURLINFO_LOCAL_PORT, &local_port);

  records = ph_receiver_wait (r, 1, WAIT_MS);
  ck_assert_uint_eq (json_object_array_length (records), 1);
  rec = record_at (records, 0);
  ck_assert_int_eq (field_int (rec, "seq"), 1);
  ck_assert_str_eq (field_string (rec, "method"), "POST");
  ck_assert_str_eq (field_string (rec, "target"), "/hook/a%20b?x=1&y=%C3%A9&flag");
  ck_assert_str_eq (field_string (rec, "path"), "/hook/a%20b");
  ck_assert_str_eq (field_string (rec, "query"), "x=1&y=%C3%A9&flag");
  assert_pairs (field (rec, "query_form"), query_pairs);
  ck_assert_str_eq (field_string (rec, "version"), "HTTP/1.1");
  assert_body (rec, body, sizeof body - 1);

  /* The head arrived byte for byte as curl says it sent it. */
  head = g_base64_decode (field_string (rec, "head_b64"), &head_len);
  ck_assert_uint_eq (head_len, out.sent_head->len);
  ck_assert_msg (memcmp (head, out.sent_head->str, head_len) == 0, "head differs");

  /* Names keep their case, duplicates stay, order is kept. */
  list = field (rec, "headers");
  while (one < json_object_array_length (list)
         && g_strcmp0 (json_object_get_string (json_object_array_get_idx (
                         json_object_array_get_idx (list, one), 0)), "X-One") != 0)
    one++;
  ck_assert_uint_lt (one + 2, json_object_array_length (list));
  {
    json_object *run = json_object_new_array ();
    const char *expected[] = { "X-One", "1", "X-Two", "two  words", "x-one", "again", NULL };

    for (size_t i = one; i < one + 3; i++)
      json_object_array_add (run, json_object_get (json_object_array_get_idx (list, i)));
    assert_pairs (run, expected);
    json_object_put (run);
  }
  ck_assert_str_eq (ph_record_header (rec, "x-ONE"), "1");
  ck_assert_str_eq (ph_record_header (rec, "content-type"), "application/octet-stream");
  ck_assert_ptr_null (ph_record_header (rec, "X-Missing"));

  ck_assert (json_object_is_type (field (rec, "json"), json_type_null));
  ck_assert (json_object_is_type (field (rec, "form"), json_type_null));
  ck_assert (json_object_is_type (field (rec, "multipart"), json_type_null));
  ck_assert (signature_is (rec, "standard", json_type_null, FALSE));
  ck_assert (signature_is (rec, "github", json_type_null, FALSE));
  ck_assert (!json_object_get_boolean (field (rec, "tls")));
  ck_assert_int_eq (field_int (rec, "remote_port"), local_port);
  ck_assert (ABS (json_object_get_double (field (rec, "time"))
                  - g_get_real_time () / (double) G_USEC_PER_SEC) < 30);
  assert_no_errors (rec);

  json_object_put (records);
  reply_clear (&out);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
}
END_TEST

/* POSTs body with content_type (NULL: curl's default, form) to path. */
static void
post (ph_receiver *r, const char *path, const char *content_type, const char *body)
{
  g_autofree char *url = ph_receiver_url (r, path);
  CURL *curl = new_easy (url);
  struct curl_slist *headers = NULL;
  reply out;

  if (content_type != NULL)
    {
      g_autofree char *type_header = g_strdup_printf ("Content-Type: %s", content_type);
      headers = curl_slist_append (headers, type_header);
    }
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
}

START_TEST (test_json_and_form_views)
{
  static const char json_text[] =
    "{\"n\": 0.1, \"s\": \"caf\\u00e9 \xe2\x9c\x93\", \"l\": [1, null, true], \"o\": {}}";
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  const char *form_pairs[] = { "a", "1", "b", "x y", "c", "\xc3\xa9", "d", "", "e", "",
                               "a", "2", NULL };
  const char *query_pairs[] = { "k", "v", "k", "w", NULL };
  g_autofree char *get_url = ph_receiver_url (r, "/get?k=v&k=w");
  CURL *curl = new_easy (get_url);
  json_object *records, *expected;
  reply out;

  post (r, "/json", "application/json; charset=utf-8", json_text);
  post (r, "/bad-json", "application/json", "{bad");
  post (r, "/form", NULL, "a=1&b=x+y&c=%C3%A9&d=&e&a=2");
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);

  records = ph_receiver_wait (r, 4, WAIT_MS);
  expected = json_tokener_parse (json_text);
  ck_assert_ptr_nonnull (expected);
  ck_assert_msg (json_object_equal (field (record_at (records, 0), "json"), expected),
                 "json view: %s", json_object_to_json_string (field (record_at (records, 0), "json")));
  assert_no_errors (record_at (records, 0));

  /* A body that is not JSON gets no view, and is reported. */
  ck_assert (json_object_is_type (field (record_at (records, 1), "json"), json_type_null));
  ck_assert_uint_eq (json_object_array_length (field (record_at (records, 1), "errors")), 1);

  ck_assert_str_eq (ph_record_header (record_at (records, 2), "Content-Type"),
                    "application/x-www-form-urlencoded");
  assert_pairs (field (record_at (records, 2), "form"), form_pairs);
  ck_assert (json_object_is_type (field (record_at (records, 2), "json"), json_type_null));

  ck_assert_str_eq (field_string (record_at (records, 3), "method"), "GET");
  assert_pairs (field (record_at (records, 3), "query_form"), query_pairs);
  ck_assert (json_object_is_type (field (record_at (records, 3), "form"), json_type_null));
  ck_assert_int_eq (field_int (record_at (records, 3), "body_len"), 0);

  json_object_put (expected);
  json_object_put (records);
  reply_clear (&out);
  curl_easy_cleanup (curl);
}
END_TEST

typedef struct {
  const char *data;
  gsize length;
  gsize offset;
} upload;

/* Hands out at most 7 bytes per call, so the body goes in many chunks. */
static size_t
read_upload (char *buffer, size_t size, size_t nitems, void *user_data)
{
  upload *u = user_data;
  size_t n = MIN (MIN (size * nitems, 7), u->length - u->offset);

  memcpy (buffer, u->data + u->offset, n);
  u->offset += n;
  return n;
}

static int
add_trailer (struct curl_slist **list, void *user_data)
{
  *list = curl_slist_append (*list, "X-Trailer: done");
  return CURL_TRAILERFUNC_OK;
}

START_TEST (test_methods_chunked_and_expect)
{
  static const char chunked_body[] = "a body sent in chunks of seven bytes, \r\n and more";
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  const char *methods[] = { "DELETE", "PATCH", "GET", "PUT" };
  g_autofree char *url = ph_receiver_url (r, "/m");
  const char *trailers[] = { "X-Trailer", "done", NULL };
  gsize big_length = 2 * 1024 * 1024;
  g_autofree char *big = g_malloc (big_length);
  g_autofree char *big_sha = NULL;
  upload u = { chunked_body, sizeof chunked_body - 1, 0 };
  struct curl_slist *headers = NULL;
  json_object *records;
  double seconds = 0;
  reply out;
  CURL *curl;

  /* Any method may carry a body, GET included. */
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *body = g_strdup_printf ("body of %s", methods[i]);

      curl = new_easy (url);
      curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, methods[i]);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
      perform (curl, &out);
      ck_assert_int_eq (out.code, CURLE_OK);
      ck_assert_int_eq (out.status, 200);
      reply_clear (&out);
      curl_easy_cleanup (curl);
    }

  /* No length given: curl sends chunked, with a trailer. */
  curl = new_easy (url);
  headers = curl_slist_append (headers, "Content-Type: text/plain");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POST, 1L);
  curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt (curl, CURLOPT_READDATA, &u);
  curl_easy_setopt (curl, CURLOPT_TRAILERFUNCTION, add_trailer);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  reply_clear (&out);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);

  /* Expect: 100-continue must be answered, or curl would wait out its
   * (here long) timeout before sending the body. */
  for (gsize i = 0; i < big_length; i++)
    big[i] = (char) (i * 131 + i / 7);
  big_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) big, big_length);
  curl = new_easy (url);
  headers = curl_slist_append (NULL, "Expect: 100-continue");
  headers = curl_slist_append (headers, "Content-Type: application/octet-stream");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 15000L);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) big_length);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, big);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  curl_easy_getinfo (curl, CURLINFO_TOTAL_TIME, &seconds);
  ck_assert_msg (seconds < 10, "100-continue not answered (%.1f s)", seconds);
  reply_clear (&out);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);

  records = ph_receiver_wait (r, G_N_ELEMENTS (methods) + 2, WAIT_MS);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *body = g_strdup_printf ("body of %s", methods[i]);
      json_object *rec = record_at (records, i);

      ck_assert_str_eq (field_string (rec, "method"), methods[i]);
      assert_body (rec, body, strlen (body));
    }
  {
    json_object *rec = record_at (records, G_N_ELEMENTS (methods));

    ck_assert_str_eq (ph_record_header (rec, "Transfer-Encoding"), "chunked");
    ck_assert_ptr_null (ph_record_header (rec, "Content-Length"));
    assert_body (rec, chunked_body, sizeof chunked_body - 1);
    assert_pairs (field (rec, "trailers"), trailers);
    assert_no_errors (rec);
  }
  {
    json_object *rec = record_at (records, G_N_ELEMENTS (methods) + 1);
    g_autoptr (GBytes) body = ph_record_body (rec);
    g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);

    ck_assert_str_eq (ph_record_header (rec, "Expect"), "100-continue");
    ck_assert_int_eq (field_int (rec, "body_len"), big_length);
    ck_assert_str_eq (sha, big_sha);
  }
  json_object_put (records);
}
END_TEST

START_TEST (test_multipart)
{
  static const char message[] = "Your print is done. \xe2\x9c\x93";
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/upload");
  guchar image[4096];
  g_autofree char *image_sha = NULL;
  CURL *curl = new_easy (url);
  curl_mime *mime = curl_mime_init (curl);
  curl_mimepart *part;
  json_object *records, *parts, *p;
  reply out;

  /* Every byte value, and line ends and dashes next to the boundaries,
   * where a careless parser loses or gains bytes. */
  for (gsize i = 0; i < sizeof image; i++)
    image[i] = (guchar) (i * 131 + 7);
  memcpy (image, "\r\n--\r\n", 6);
  memcpy (image + sizeof image - 2, "\r\n", 2);
  image_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, image, sizeof image);

  part = curl_mime_addpart (mime);
  curl_mime_name (part, "deviceIdentifier");
  curl_mime_data (part, "printer-1", CURL_ZERO_TERMINATED);
  part = curl_mime_addpart (mime);
  /* Non-ASCII field names are common (data keys are the user's). */
  curl_mime_name (part, "m\xc3\xa9ssage");
  curl_mime_data (part, message, CURL_ZERO_TERMINATED);
  part = curl_mime_addpart (mime);
  curl_mime_name (part, "snapshot");
  curl_mime_data (part, (const char *) image, sizeof image);
  curl_mime_filename (part, "snapshot.jpg");
  curl_mime_type (part, "image/jpeg");
  curl_easy_setopt (curl, CURLOPT_MIMEPOST, mime);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);

  records = ph_receiver_wait (r, 1, WAIT_MS);
  assert_no_errors (record_at (records, 0));
  ck_assert (g_str_has_prefix (ph_record_header (record_at (records, 0), "Content-Type"),
                               "multipart/form-data; boundary="));
  parts = field (record_at (records, 0), "multipart");
  ck_assert_msg (json_object_is_type (parts, json_type_array), "no multipart view");
  ck_assert_uint_eq (json_object_array_length (parts), 3);

  p = json_object_array_get_idx (parts, 0);
  ck_assert_str_eq (field_string (p, "name"), "deviceIdentifier");
  ck_assert (json_object_is_type (field (p, "filename"), json_type_null));
  ck_assert (json_object_is_type (field (p, "content_type"), json_type_null));
  ck_assert_int_eq (field_int (p, "size"), 9);
  {
    g_autofree char *expected = g_base64_encode ((const guchar *) "printer-1", 9);
    ck_assert_str_eq (field_string (p, "data_b64"), expected);
  }

  p = json_object_array_get_idx (parts, 1);
  ck_assert_str_eq (field_string (p, "name"), "m\xc3\xa9ssage");
  ck_assert_int_eq (field_int (p, "size"), sizeof message - 1);
  {
    g_autofree char *expected = g_base64_encode ((const guchar *) message, sizeof message - 1);
    ck_assert_str_eq (field_string (p, "data_b64"), expected);
  }

  p = json_object_array_get_idx (parts, 2);
  ck_assert_str_eq (field_string (p, "name"), "snapshot");
  ck_assert_str_eq (field_string (p, "filename"), "snapshot.jpg");
  ck_assert_str_eq (field_string (p, "content_type"), "image/jpeg");
  ck_assert_int_eq (field_int (p, "size"), sizeof image);
  ck_assert_str_eq (field_string (p, "sha256"), image_sha);
  {
    g_autofree char *expected = g_base64_encode (image, sizeof image);
    const char *disposition[] = {
      "Content-Disposition", "form-data; name=\"snapshot\"; filename=\"snapshot.jpg\"",
      "Content-Type", "image/jpeg", NULL
    };

    ck_assert_str_eq (field_string (p, "data_b64"), expected);
    assert_pairs (field (p, "headers"), disposition);
  }

  json_object_put (records);
  reply_clear (&out);
  curl_mime_free (mime);
  curl_easy_cleanup (curl);
}
END_TEST

/* POSTs the Standard Webhooks vector's body with its id and timestamp and
 * the given signature header (NULL: no signature headers at all). */
static void
post_standard (ph_receiver *r, const char *signature)
{
  g_autofree char *url = ph_receiver_url (r, "/signed");
  CURL *curl = new_easy (url);
  struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
  reply out;

  if (signature != NULL)
    {
      g_autofree char *signature_header = g_strdup_printf ("webhook-signature: %s", signature);

      headers = curl_slist_append (headers, "webhook-id: " SW_ID);
      headers = curl_slist_append (headers, "webhook-timestamp: " SW_TIMESTAMP);
      headers = curl_slist_append (headers, signature_header);
    }
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, SW_BODY);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  reply_clear (&out);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
}

START_TEST (test_standard_signature)
{
  const char *args[] = { "--secret", SW_SECRET, NULL };
  g_autoptr (ph_receiver) r = ph_receiver_start (args);
  json_object *records;

  post_standard (r, SW_GOOD);
  post_standard (r, SW_BAD);
  /* Rotation: any one matching v1 entry is enough. */
  post_standard (r, SW_OTHER " " SW_GOOD);
  post_standard (r, SW_OTHER);
  /* Only v1 entries count. */
  post_standard (r, "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  post_standard (r, NULL);

  records = ph_receiver_wait (r, 6, WAIT_MS);
  ck_assert (signature_is (record_at (records, 0), "standard", json_type_boolean, TRUE));
  ck_assert (signature_is (record_at (records, 1), "standard", json_type_boolean, FALSE));
  ck_assert (signature_is (record_at (records, 2), "standard", json_type_boolean, TRUE));
  ck_assert (signature_is (record_at (records, 3), "standard", json_type_boolean, FALSE));
  ck_assert (signature_is (record_at (records, 4), "standard", json_type_boolean, FALSE));
  ck_assert (signature_is (record_at (records, 5), "standard", json_type_boolean, FALSE));
  ck_assert (signature_is (record_at (records, 0), "github", json_type_null, FALSE));
  ck_assert_str_eq (ph_record_header (record_at (records, 0), "webhook-id"), SW_ID);
  assert_body (record_at (records, 0), SW_BODY, strlen (SW_BODY));
  json_object_put (records);
}
END_TEST

static void
post_github (ph_receiver *r, const char *signature)
{
  g_autofree char *url = ph_receiver_url (r, "/github");
  CURL *curl = new_easy (url);
  struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: text/plain");
  reply out;

  if (signature != NULL)
    {
      g_autofree char *signature_header = g_strdup_printf ("X-Hub-Signature-256: %s",
                                                           signature);
      headers = curl_slist_append (headers, signature_header);
    }
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, GH_BODY);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  reply_clear (&out);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
}

START_TEST (test_github_signature)
{
  const char *args[] = { "--github-secret", GH_SECRET, NULL };
  g_autoptr (ph_receiver) r = ph_receiver_start (args);
  json_object *records;

  post_github (r, GH_GOOD);
  post_github (r, GH_BAD);
  post_github (r, NULL);

  records = ph_receiver_wait (r, 3, WAIT_MS);
  ck_assert (signature_is (record_at (records, 0), "github", json_type_boolean, TRUE));
  ck_assert (signature_is (record_at (records, 1), "github", json_type_boolean, FALSE));
  ck_assert (signature_is (record_at (records, 2), "github", json_type_boolean, FALSE));
  ck_assert (signature_is (record_at (records, 0), "standard", json_type_null, FALSE));
  json_object_put (records);
}
END_TEST

/* GETs path on curl (reused, so on one connection) into out. */
static void
get (ph_receiver *r, CURL *curl, const char *path, reply *out)
{
  g_autofree char *url = ph_receiver_url (r, path);

  curl_easy_setopt (curl, CURLOPT_URL, url);
  perform (curl, out);
  ck_assert_int_eq (out->code, CURLE_OK);
}

static gboolean
has_header_line (reply *out, const char *line)
{
  g_autofree char *needle = g_strdup_printf ("\r\n%s\r\n", line);

  return strstr (out->head->str, needle) != NULL;
}

START_TEST (test_routes)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *base = ph_receiver_url (r, "/");
  g_autofree char *elsewhere = ph_receiver_url (r, "/elsewhere?a=1");
  CURL *curl = new_easy (base);
  char *redirect_url = NULL;
  double seconds = 0;
  json_object *records;
  reply out;

  get (r, curl, "/status/503", &out);
  ck_assert_int_eq (out.status, 503);
  ck_assert_str_eq (out.body->str, "status 503");
  reply_clear (&out);

  get (r, curl, "/status/404", &out);
  ck_assert_int_eq (out.status, 404);
  ck_assert_str_eq (out.body->str, "status 404");
  reply_clear (&out);

  /* curl does not follow, so the 302 itself is what comes back. */
  get (r, curl, "/redirect/302?to=%2Felsewhere%3Fa%3D1", &out);
  ck_assert_int_eq (out.status, 302);
  ck_assert (has_header_line (&out, "Location: /elsewhere?a=1"));
  curl_easy_getinfo (curl, CURLINFO_REDIRECT_URL, &redirect_url);
  ck_assert_str_eq (redirect_url, elsewhere);
  reply_clear (&out);

  get (r, curl, "/retry-after/429/7", &out);
  ck_assert_int_eq (out.status, 429);
  ck_assert (has_header_line (&out, "Retry-After: 7"));
  reply_clear (&out);

  get (r, curl, "/retry-after/503/Wed,%2021%20Oct%202015%2007:28:00%20GMT", &out);
  ck_assert_int_eq (out.status, 503);
  ck_assert (has_header_line (&out, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"));
  reply_clear (&out);

  get (r, curl, "/empty", &out);
  ck_assert_int_eq (out.status, 204);
  ck_assert_uint_eq (out.body->len, 0);
  reply_clear (&out);

  get (r, curl, "/slow/300", &out);
  ck_assert_int_eq (out.status, 200);
  ck_assert_str_eq (out.body->str, "ok");
  curl_easy_getinfo (curl, CURLINFO_TOTAL_TIME, &seconds);
  ck_assert_msg (seconds >= 0.3, "/slow/300 answered after %.3f s", seconds);
  reply_clear (&out);

  get (r, curl, "/anything/else", &out);
  ck_assert_int_eq (out.status, 200);
  ck_assert_str_eq (out.body->str, "ok");
  reply_clear (&out);

  /* Every request is recorded, answered or not, whatever its status. */
  records = ph_receiver_wait (r, 8, WAIT_MS);
  ck_assert_uint_eq (json_object_array_length (records), 8);
  ck_assert_str_eq (field_string (record_at (records, 2), "path"), "/redirect/302");
  ck_assert_int_eq (field_int (record_at (records, 7), "seq"), 8);
  json_object_put (records);
  curl_easy_cleanup (curl);
}
END_TEST

typedef struct {
  gsize count;
  gboolean only_x;
} big_count;

static size_t
count_x (char *data, size_t size, size_t nmemb, void *user_data)
{
  big_count *c = user_data;

  for (size_t i = 0; i < size * nmemb; i++)
    c->only_x = c->only_x && data[i] == 'x';
  c->count += size * nmemb;
  return size * nmemb;
}

START_TEST (test_big_response)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/big/10485760");
  CURL *curl = new_easy (url);
  big_count c = { 0, TRUE };
  long status = 0;
  json_object *records;

  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, count_x);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &c);
  ck_assert_int_eq (curl_easy_perform (curl), CURLE_OK);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  ck_assert_int_eq (status, 200);
  ck_assert_uint_eq (c.count, 10485760);
  ck_assert (c.only_x);

  records = ph_receiver_wait (r, 1, WAIT_MS);
  ck_assert_str_eq (field_string (record_at (records, 0), "path"), "/big/10485760");
  json_object_put (records);
  curl_easy_cleanup (curl);
}
END_TEST

START_TEST (test_hang)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *hang_url = ph_receiver_url (r, "/hang");
  g_autofree char *slow_url = ph_receiver_url (r, "/slow/200");
  CURLM *multi = curl_multi_init ();
  CURL *hang = new_easy (hang_url);
  CURL *slow = new_easy (slow_url);
  g_autoptr (GString) hang_body = g_string_new (NULL);
  g_autoptr (GString) slow_body = g_string_new (NULL);
  CURLcode hang_code = CURLE_OK, slow_code = CURLE_OK;
  gboolean hang_done = FALSE, slow_done = FALSE, hang_pending_when_slow_done = FALSE;
  gint64 start = g_get_monotonic_time (), hang_elapsed = 0;
  json_object *records;
  int running = 1;
  reply out;

  curl_easy_setopt (hang, CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt (hang, CURLOPT_WRITEFUNCTION, append_data);
  curl_easy_setopt (hang, CURLOPT_WRITEDATA, hang_body);
  curl_easy_setopt (slow, CURLOPT_WRITEFUNCTION, append_data);
  curl_easy_setopt (slow, CURLOPT_WRITEDATA, slow_body);
  curl_multi_add_handle (multi, hang);
  curl_multi_add_handle (multi, slow);

  /* Both at once: the hanging request must not hold up the other one. */
  while (running > 0)
    {
      CURLMsg *msg;
      int left;

      ck_assert_int_eq (curl_multi_perform (multi, &running), CURLM_OK);
      while ((msg = curl_multi_info_read (multi, &left)) != NULL)
        {
          if (msg->msg != CURLMSG_DONE)
            continue;
          if (msg->easy_handle == slow)
            {
              slow_done = TRUE;
              slow_code = msg->data.result;
              hang_pending_when_slow_done = !hang_done;
            }
          else
            {
              hang_done = TRUE;
              hang_code = msg->data.result;
              hang_elapsed = g_get_monotonic_time () - start;
            }
        }
      if (running > 0)
        curl_multi_poll (multi, NULL, 0, 100, NULL);
    }

  ck_assert (slow_done && hang_done);
  ck_assert_int_eq (slow_code, CURLE_OK);
  ck_assert_str_eq (slow_body->str, "ok");
  ck_assert (hang_pending_when_slow_done);
  ck_assert_int_eq (hang_code, CURLE_OPERATION_TIMEDOUT);
  ck_assert_int_ge (hang_elapsed, 900 * 1000);
  ck_assert_uint_eq (hang_body->len, 0);

  records = ph_receiver_wait (r, 2, WAIT_MS);
  ck_assert_msg (g_strcmp0 (field_string (record_at (records, 0), "path"), "/hang") == 0
                 || g_strcmp0 (field_string (record_at (records, 1), "path"), "/hang") == 0,
                 "/hang was not recorded");
  json_object_put (records);

  /* Still serving after the client gave up. */
  curl_multi_remove_handle (multi, hang);
  curl_multi_remove_handle (multi, slow);
  get (r, slow, "/after", &out);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);

  curl_easy_cleanup (hang);
  curl_easy_cleanup (slow);
  curl_multi_cleanup (multi);
}
END_TEST

START_TEST (test_keep_alive)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (r, "/first");
  CURL *curl = new_easy (url);
  long local_port = 0, connects = -1;
  json_object *records;
  reply out;

  get (r, curl, "/first", &out);
  reply_clear (&out);
  curl_easy_getinfo (curl, CURLINFO_LOCAL_PORT, &local_port);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, "second");
  get (r, curl, "/second", &out);
  ck_assert_int_eq (out.status, 200);
  reply_clear (&out);
  curl_easy_getinfo (curl, CURLINFO_NUM_CONNECTS, &connects);
  ck_assert_int_eq (connects, 0);

  records = ph_receiver_wait (r, 2, WAIT_MS);
  ck_assert_int_eq (field_int (record_at (records, 0), "remote_port"), local_port);
  ck_assert_int_eq (field_int (record_at (records, 1), "remote_port"), local_port);
  ck_assert_str_eq (field_string (record_at (records, 1), "method"), "POST");
  json_object_put (records);
  curl_easy_cleanup (curl);
}
END_TEST

START_TEST (test_tls)
{
  g_autofree char *ca = NULL;
  g_autoptr (ph_receiver) r = ph_receiver_start_tls (NULL, &ca);
  g_autofree char *url = ph_receiver_url (r, "/secure");
  g_autofree char *host = g_strdup_printf ("localhost:%u", (guint) ph_receiver_port (r));
  g_autofree char *by_name = g_strdup_printf ("https://%s/named", host);
  g_autofree char *wrong_name = g_strdup_printf ("https://wrong.example:%u/x",
                                                 (guint) ph_receiver_port (r));
  g_autofree char *resolve_localhost = g_strdup_printf ("localhost:%u:127.0.0.1",
                                                        (guint) ph_receiver_port (r));
  g_autofree char *resolve_wrong = g_strdup_printf ("wrong.example:%u:127.0.0.1",
                                                    (guint) ph_receiver_port (r));
  struct curl_slist *resolve = NULL;
  json_object *records;
  reply out;
  CURL *curl;

  ck_assert (g_str_has_prefix (url, "https://127.0.0.1:"));

  curl = new_easy (url);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  ck_assert_int_eq (out.status, 200);
  ck_assert_str_eq (out.body->str, "ok");
  reply_clear (&out);
  curl_easy_cleanup (curl);

  /* The certificate names localhost too; pin the name to 127.0.0.1 so that
   * no other address is tried. */
  resolve = curl_slist_append (NULL, resolve_localhost);
  resolve = curl_slist_append (resolve, resolve_wrong);
  curl = new_easy (by_name);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt (curl, CURLOPT_RESOLVE, resolve);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_OK);
  reply_clear (&out);
  curl_easy_cleanup (curl);

  /* Verification is real: a name the certificate lacks fails, and so does
   * a client that does not trust it. */
  curl = new_easy (wrong_name);
  curl_easy_setopt (curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt (curl, CURLOPT_RESOLVE, resolve);
  perform (curl, &out);
  ck_assert_int_eq (out.code, CURLE_PEER_FAILED_VERIFICATION);
  reply_clear (&out);
  curl_easy_cleanup (curl);

  curl = new_easy (url);
  perform (curl, &out);
  ck_assert_int_ne (out.code, CURLE_OK);
  reply_clear (&out);
  curl_easy_cleanup (curl);

  records = ph_receiver_wait (r, 2, WAIT_MS);
  ck_assert_uint_eq (json_object_array_length (records), 2);
  ck_assert (json_object_get_boolean (field (record_at (records, 0), "tls")));
  ck_assert_str_eq (field_string (record_at (records, 1), "path"), "/named");
  ck_assert_str_eq (ph_record_header (record_at (records, 1), "Host"), host);
  json_object_put (records);
  curl_slist_free_all (resolve);
}
END_TEST

/* Sends request bytes on a fresh connection and returns everything the
 * server sends back until it closes (transfer full). */
static char *
raw_exchange (guint16 port, const char *request)
{
  struct sockaddr_in address = { 0 };
  struct timeval timeout = { 10, 0 };
  GString *response = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  ck_assert_int_ge (fd, 0);
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ck_assert_msg (connect (fd, (struct sockaddr *) &address, sizeof address) == 0,
                 "connect: %s", g_strerror (errno));
  ck_assert_int_eq (send (fd, request, strlen (request), 0), (ssize_t) strlen (request));
  while ((n = recv (fd, buf, sizeof buf, 0)) > 0)
    g_string_append_len (response, buf, n);
  ck_assert_msg (n == 0, "recv: %s", g_strerror (errno));
  close (fd);
  return g_string_free (response, FALSE);
}

START_TEST (test_raw_framing)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  guint16 port = ph_receiver_port (r);
  const char *first_headers[] = { "Host", "h", "X-B", "2", "X-A", "1", "x-b", "3", NULL };
  g_autofree char *pipelined = NULL;
  g_autofree char *bare_lf = NULL;
  g_autofree char *smuggle = NULL;
  json_object *records;

  /* Two requests in one write; the second closes the connection.  The
   * first one's headers are in no sorted order, with a duplicate apart from
   * its twin, so a receiver that sorts or groups them is caught. */
  pipelined = raw_exchange (port,
                            "GET /one HTTP/1.1\r\nHost: h\r\nX-B: 2\r\nX-A: 1\r\nx-b: 3\r\n\r\n"
                            "GET /two HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  ck_assert (g_str_has_prefix (pipelined, "HTTP/1.1 200 OK\r\n"));
  ck_assert_ptr_nonnull (strstr (pipelined + 1, "HTTP/1.1 200 OK\r\n"));

  /* Broken framing is answered 400 and recorded with the reason. */
  bare_lf = raw_exchange (port, "POST /bad HTTP/1.1\r\nHost: h\r\nX-Bad: a\nb: c\r\n\r\n");
  ck_assert (g_str_has_prefix (bare_lf, "HTTP/1.1 400 "));
  smuggle = raw_exchange (port,
                          "POST /smuggle HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ck_assert (g_str_has_prefix (smuggle, "HTTP/1.1 400 "));

  records = ph_receiver_wait (r, 4, WAIT_MS);
  ck_assert_str_eq (field_string (record_at (records, 0), "path"), "/one");
  assert_pairs (field (record_at (records, 0), "headers"), first_headers);
  ck_assert_str_eq (ph_record_header (record_at (records, 0), "x-B"), "2");
  ck_assert_str_eq (field_string (record_at (records, 1), "path"), "/two");
  ck_assert_int_eq (field_int (record_at (records, 0), "remote_port"),
                    field_int (record_at (records, 1), "remote_port"));
  assert_no_errors (record_at (records, 1));
  ck_assert_str_eq (field_string (record_at (records, 2), "path"), "/bad");
  ck_assert_uint_eq (json_object_array_length (field (record_at (records, 2), "errors")), 1);
  ck_assert_str_eq (field_string (record_at (records, 3), "path"), "/smuggle");
  ck_assert_uint_eq (json_object_array_length (field (record_at (records, 3), "errors")), 1);
  json_object_put (records);
}
END_TEST

static Suite *
receiver_suite (void)
{
  Suite *s = suite_create ("receiver");
  TCase *tc = tcase_create ("receiver");

  /* Generous for valgrind; each test takes well under a second otherwise
   * (the hang test about one). */
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_exact_bytes_and_headers);
  tcase_add_test (tc, test_json_and_form_views);
  tcase_add_test (tc, test_methods_chunked_and_expect);
  tcase_add_test (tc, test_multipart);
  tcase_add_test (tc, test_standard_signature);
  tcase_add_test (tc, test_github_signature);
  tcase_add_test (tc, test_routes);
  tcase_add_test (tc, test_big_response);
  tcase_add_test (tc, test_hang);
  tcase_add_test (tc, test_keep_alive);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_raw_framing);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  int status;

  ph_test_init ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  status = ph_test_run (receiver_suite ());
  curl_global_cleanup ();
  return status;
}
