/* printhook listen: a local receiver that prints what it is sent, decoded,
 * checks signatures, and answers as told.  The server tests run the real
 * binary and talk to it with libcurl. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "harness.h"
#include "cli/listen_format.h"
#include "cli/listen_mqtt.h"
#include <mqtt_protocol.h>
#include "cli/signature_verify.h"

/* The Standard Webhooks test vector (webhook-delivery.md §1.6). */
#define SPEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TIMESTAMP "1614265330"
#define SPEC_TIME G_GINT64_CONSTANT (1614265330)
#define SPEC_BODY "{\"test\": 2432232314}"
#define SPEC_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SPEC_SIGNATURE_LAST_CHAR_CHANGED "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
#define SPEC_WRONG_SIGNATURE "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

/* GitHub's documented example (docs.github.com, "Validating webhook
 * deliveries"). */
#define GITHUB_SECRET "It's a Secret to Everybody"
#define GITHUB_BODY "Hello, World!"
#define GITHUB_SIGNATURE "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

#define WAIT_S 10

/* ---------------------------------------------------------------------- */
/* The signature verifier                                                 */

static GBytes *
spec_key (void)
{
  g_autoptr (GError) error = NULL;
  GBytes *key = ph_signature_decode_secret (SPEC_SECRET, &error);

  ck_assert_msg (key != NULL, "%s", error ? error->message : "?");
  return key;
}

static gboolean
verify_spec (const char *signatures, gint64 now, GError **error)
{
  g_autoptr (GBytes) key = spec_key ();

  return ph_signature_verify_standard (key, SPEC_ID, SPEC_TIMESTAMP, signatures,
                                       (const guint8 *) SPEC_BODY, strlen (SPEC_BODY), now, error);
}

START_TEST (test_standard_spec_vector_is_valid)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (verify_spec (SPEC_SIGNATURE, SPEC_TIME, &error), "%s",
                 error ? error->message : "");
}
END_TEST

START_TEST (test_standard_spec_vector_with_last_char_changed_is_invalid)
{
  g_autoptr (GError) error = NULL;

  ck_assert (!verify_spec (SPEC_SIGNATURE_LAST_CHAR_CHANGED, SPEC_TIME, &error));
  ck_assert (g_error_matches (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISMATCH));
}
END_TEST

START_TEST (test_standard_key_is_the_decoded_secret_not_its_text)
{
  g_autoptr (GBytes) key = spec_key ();

  ck_assert_uint_eq (g_bytes_get_size (key), 24);
}
END_TEST

START_TEST (test_standard_any_v1_entry_may_match)
{
  g_autoptr (GError) error = NULL;

  /* Key rotation sends several entries; other versions are skipped. */
  ck_assert_msg (verify_spec ("v1a,bm90IGNoZWNrZWQ= " SPEC_WRONG_SIGNATURE "  " SPEC_SIGNATURE,
                              SPEC_TIME, &error), "%s", error ? error->message : "");
}
END_TEST

START_TEST (test_standard_only_other_versions_is_malformed)
{
  g_autoptr (GError) error = NULL;

  ck_assert (!verify_spec ("v1a,bm90IGNoZWNrZWQ= v2,abc", SPEC_TIME, &error));
  ck_assert (g_error_matches (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MALFORMED));
}
END_TEST

START_TEST (test_standard_timestamp_five_minutes_off_is_accepted)
{
  ck_assert (verify_spec (SPEC_SIGNATURE, SPEC_TIME + 300, NULL));
  ck_assert (verify_spec (SPEC_SIGNATURE, SPEC_TIME - 300, NULL));
}
END_TEST

START_TEST (test_standard_timestamp_one_second_more_is_expired)
{
  g_autoptr (GError) old = NULL;
  g_autoptr (GError) future = NULL;

  ck_assert (!verify_spec (SPEC_SIGNATURE, SPEC_TIME + 301, &old));
  ck_assert (g_error_matches (old, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_EXPIRED));
  ck_assert_msg (strstr (old->message, "301 s in the past") != NULL, "%s", old->message);
  ck_assert (!verify_spec (SPEC_SIGNATURE, SPEC_TIME - 301, &future));
  ck_assert (g_error_matches (future, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_EXPIRED));
  ck_assert_msg (strstr (future->message, "301 s in the future") != NULL, "%s", future->message);
}
END_TEST

START_TEST (test_standard_missing_header_is_named)
{
  g_autoptr (GBytes) key = spec_key ();
  g_autoptr (GError) error = NULL;

  ck_assert (!ph_signature_verify_standard (key, SPEC_ID, NULL, SPEC_SIGNATURE,
                                            (const guint8 *) SPEC_BODY, strlen (SPEC_BODY),
                                            SPEC_TIME, &error));
  ck_assert (g_error_matches (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISSING));
  ck_assert_str_eq (error->message, "no webhook-timestamp header");
}
END_TEST

START_TEST (test_standard_non_numeric_timestamp_is_malformed)
{
  g_autoptr (GBytes) key = spec_key ();
  g_autoptr (GError) error = NULL;

  ck_assert (!ph_signature_verify_standard (key, SPEC_ID, "-1614265330", SPEC_SIGNATURE,
                                            (const guint8 *) SPEC_BODY, strlen (SPEC_BODY),
                                            SPEC_TIME, &error));
  ck_assert (g_error_matches (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MALFORMED));
}
END_TEST

START_TEST (test_standard_unusable_secrets_are_refused)
{
  const char *const bad[] = { "", "whsec_", "whsec_===", "whsec_!!!!", "whsec_a",
                              "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL };

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) key = ph_signature_decode_secret (bad[i], &error);

      ck_assert_msg (key == NULL, "accepted \"%s\"", bad[i]);
      ck_assert (g_error_matches (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_BAD_SECRET));
    }
}
END_TEST

START_TEST (test_standard_secret_padding_is_optional)
{
  g_autoptr (GBytes) padded = ph_signature_decode_secret ("whsec_YWI=", NULL);
  g_autoptr (GBytes) unpadded = ph_signature_decode_secret ("whsec_YWI", NULL);

  ck_assert (padded != NULL && unpadded != NULL);
  ck_assert (g_bytes_equal (padded, unpadded));
  ck_assert_uint_eq (g_bytes_get_size (unpadded), 2);
}
END_TEST

static gboolean
verify_github (const char *header, GError **error)
{
  return ph_signature_verify_github (GITHUB_SECRET, header, (const guint8 *) GITHUB_BODY,
                                     strlen (GITHUB_BODY), error);
}

START_TEST (test_github_documented_example_is_valid)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *upper = g_ascii_strup (&GITHUB_SIGNATURE[strlen ("sha256=")], -1);
  g_autofree char *upper_header = g_strconcat ("sha256=", upper, NULL);

  ck_assert_msg (verify_github (GITHUB_SIGNATURE, &error), "%s", error ? error->message : "");
  ck_assert (verify_github (upper_header, NULL));
}
END_TEST

START_TEST (test_github_wrong_or_missing_signature_is_invalid)
{
  g_autoptr (GError) wrong = NULL;
  g_autoptr (GError) missing = NULL;
  g_autoptr (GError) sha1 = NULL;

  ck_assert (!verify_github ("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18", &wrong));
  ck_assert (g_error_matches (wrong, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISMATCH));
  ck_assert (!verify_github (NULL, &missing));
  ck_assert (g_error_matches (missing, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISSING));
  ck_assert (!verify_github ("sha1=0123", &sha1));
  ck_assert (g_error_matches (sha1, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MALFORMED));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The formatter, fed directly                                            */

static char *
format_body (const char *content_type, const void *data, gsize len)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GBytes) body = g_bytes_new (data, len);
  GString *out = g_string_new (NULL);

  if (content_type != NULL)
    soup_message_headers_append (headers, "Content-Type", content_type);
  ph_listen_format_body (out, headers, body, len);
  return g_string_free (out, FALSE);
}

START_TEST (test_format_json_keeps_values_as_sent)
{
  const char *json = "{\"url\":\"a\\/b\",\"e\":\"\\u00e9\",\"n\":1.10,\"big\":123456789012345678901234}";
  g_autofree char *out = format_body ("application/json; charset=utf-8", json, strlen (json));

  ck_assert_str_eq (out, "  {\n"
                         "    \"url\": \"a\\/b\",\n"
                         "    \"e\": \"\\u00e9\",\n"
                         "    \"n\": 1.10,\n"
                         "    \"big\": 123456789012345678901234\n"
                         "  }\n");
}
END_TEST

START_TEST (test_format_json_without_content_type_is_recognised)
{
  const char *json = " [1, {\"a\": []}, {}]";
  g_autofree char *out = format_body (NULL, json, strlen (json));

  ck_assert_str_eq (out, "  [\n"
                         "    1,\n"
                         "    {\n"
                         "      \"a\": []\n"
                         "    },\n"
                         "    {}\n"
                         "  ]\n");
}
END_TEST

START_TEST (test_format_invalid_json_is_noted_and_shown_as_text)
{
  const char *json = "{\"topic\": \"Print Done\",}";
  g_autofree char *out = format_body ("application/json", json, strlen (json));

  ck_assert_msg (g_str_has_prefix (out, "  [not valid JSON: "), "%s", out);
  ck_assert_msg (strstr (out, "\n  {\"topic\": \"Print Done\",}\n") != NULL, "%s", out);
}
END_TEST

START_TEST (test_format_json_that_only_json_c_accepts_is_not_json)
{
  const char *single = "{'a': 1}";
  const char *nan = "[NaN]";
  g_autofree char *single_out = format_body ("application/json", single, strlen (single));
  g_autofree char *nan_out = format_body ("application/json", nan, strlen (nan));

  ck_assert_msg (strstr (single_out, "[not valid JSON: single-quoted string]") != NULL, "%s", single_out);
  ck_assert_msg (strstr (nan_out, "[not valid JSON: ") != NULL, "%s", nan_out);
}
END_TEST

START_TEST (test_format_deeply_nested_json_does_not_crash)
{
  g_autoptr (GString) json = g_string_new (NULL);
  g_autofree char *out = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append_c (json, '[');
  out = format_body ("application/json", json->str, json->len);
  ck_assert_msg (g_str_has_prefix (out, "  [not valid JSON: "), "%.200s", out);
}
END_TEST

START_TEST (test_format_form_fields_in_order_with_duplicates)
{
  const char *form = "topic=Print+Done&message=50%25%20done&topic=again&empty=";
  g_autofree char *out = format_body ("application/x-www-form-urlencoded", form, strlen (form));

  ck_assert_str_eq (out, "  topic = Print Done\n"
                         "  message = 50% done\n"
                         "  topic = again\n"
                         "  empty = \n");
}
END_TEST

START_TEST (test_format_form_value_with_controls_is_escaped)
{
  const char *form = "a=line1%0Aline2%1B%5B2J&b=%09";
  g_autofree char *out = format_body ("application/x-www-form-urlencoded", form, strlen (form));

  ck_assert_str_eq (out, "  a = line1\\nline2\\x1b[2J\n"
                         "  b = \\t\n");
}
END_TEST

START_TEST (test_format_form_that_is_not_utf8_is_shown_raw)
{
  const char *form = "name=caf%E9";
  g_autofree char *out = format_body ("application/x-www-form-urlencoded", form, strlen (form));

  ck_assert_msg (g_str_has_prefix (out, "  [not valid form encoding: "), "%s", out);
  ck_assert_msg (g_str_has_suffix (out, "]\n  name=caf%E9\n"), "%s", out);
}
END_TEST

START_TEST (test_format_broken_multipart_falls_back)
{
  const char *body = "--nope\r\nnot a part";
  g_autofree char *out = format_body ("multipart/form-data; boundary=xyz", body, strlen (body));

  ck_assert_msg (g_str_has_prefix (out, "  [not valid multipart: "), "%s", out);
  ck_assert_msg (strstr (out, "  --nope\n  not a part\n") != NULL, "%s", out);
}
END_TEST

/* Found by tests/fuzz/fuzz-listen: libsoup's multipart parser runs strstr
 * over the body, which read past the end of a body that does not end in a
 * NUL (as listen's kept bytes do not; format_body copies exactly len
 * bytes, so valgrind and ASan see any read beyond). */
START_TEST (test_format_multipart_cut_short_reads_only_the_body)
{
  const char *body = "--XyZ\r\nContent-Disposition: form-data; name=\"topic\"\r"
                     "isposition: form-data; name=\"snapshot\"\r\n--XyZ--\r\n";
  g_autofree char *out = format_body ("multipart/form-data; boundary=XyZ", body, strlen (body));

  ck_assert_msg (g_str_has_prefix (out, "  [not valid multipart: "), "%s", out);
}
END_TEST

/* Found by tests/fuzz/fuzz-listen: a part whose headers end past the
 * next boundary comes from libsoup 3.2 with a length of -2, read as huge. */
START_TEST (test_format_multipart_part_running_into_the_boundary_is_damaged)
{
  const char *body = "--XyZ\r\nContent-Disposition: form-data; name=\"topic\"\r\n\r\nPrint Done\r\n"
                     "--XyZ\r\nX-A: 1\r\n\r\n--XyZ--\r\n";
  g_autofree char *out = format_body ("multipart/form-data; boundary=XyZ", body, strlen (body));

  assert_contains (out, "part 1: name=\"topic\"");
  assert_contains (out, "part 2: damaged (its headers run into the next boundary)\n");
}
END_TEST

START_TEST (test_format_multipart_without_boundary_falls_back)
{
  const char *body = "whatever";
  g_autofree char *out = format_body ("multipart/form-data", body, strlen (body));

  ck_assert_msg (g_str_has_prefix (out, "  [not valid multipart: "), "%s", out);
}
END_TEST

START_TEST (test_format_binary_is_its_size)
{
  guint8 data[300];
  g_autofree char *out = NULL;

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) i;
  out = format_body ("text/plain", data, sizeof data);
  ck_assert_str_eq (out, "  <300 bytes binary>\n");
}
END_TEST

START_TEST (test_format_text_keeps_lines_and_drops_crlf)
{
  const char *text = "first line\r\n\tsecond line\nthird \xe2\x80\xae reversed";
  g_autofree char *out = format_body ("text/plain", text, strlen (text));

  ck_assert_str_eq (out, "  first line\n  \tsecond line\n  third \\u{202e} reversed\n");
}
END_TEST

START_TEST (test_format_long_body_is_cut_with_a_note)
{
  g_autofree char *text = g_strnfill (100 * 1024, 'x');
  g_autofree char *out = format_body ("text/plain", text, strlen (text));

  ck_assert_uint_lt (strlen (out), PH_LISTEN_PRINT_LIMIT + 200);
  ck_assert_msg (g_str_has_suffix (out, "x\n  [... printing stops after 64 KiB; the body is 102400 bytes]\n"),
                 "%s", out + strlen (out) - 100);
}
END_TEST

START_TEST (test_format_partly_kept_body_is_not_decoded)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GBytes) body = g_bytes_new_static ("{\"a\":", 5);
  g_autoptr (GString) out = g_string_new (NULL);

  soup_message_headers_append (headers, "Content-Type", "application/json");
  ph_listen_format_body (out, headers, body, 1000);
  ck_assert_str_eq (out->str, "  [only the first 5 bytes were kept]\n  {\"a\":\n");
}
END_TEST

/* Found by tests/fuzz/fuzz-listen: an empty GBytes holds NULL, and the
 * formatter did NULL + 0 (undefined behaviour) with it. */
START_TEST (test_format_nothing_kept_of_a_body)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GBytes) body = g_bytes_new (NULL, 0);
  g_autoptr (GString) out = g_string_new (NULL);

  ph_listen_format_body (out, headers, body, 17);
  ck_assert_str_eq (out->str, "  [only the first 0 bytes were kept]\n");
}
END_TEST

START_TEST (test_format_head_escapes_header_controls)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GDateTime) when = g_date_time_new_local (2025, 5, 1, 12, 0, 1.25);
  ph_listen_request request = { 0 };

  soup_message_headers_append (headers, "X-Evil", "\x1b]0;title\x07 bell");
  request.number = 7;
  request.method = "POST";
  request.path = "/hook";
  request.query = "a=1";
  request.peer = "127.0.0.1:4242";
  request.received = when;
  request.headers = headers;
  request.body_size = 1;
  ph_listen_format_head (out, &request);
  ck_assert_str_eq (out->str, "#7 POST /hook?a=1  (from 127.0.0.1:4242, 1 byte)  2025-05-01 12:00:01.250\n"
                              "  X-Evil: \\x1b]0;title\\x07 bell\n");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The real binary                                                        */

typedef struct {
  GPid pid;
  int port;
  char *out_path;
  char *err_path;
  char *out;            /* what it printed, once finished */
  char *err;
  int exit_status;
  gboolean finished;
} listener;

static void
listener_clear (listener *l)
{
  if (!l->finished && l->pid > 0)
    {
      kill (l->pid, SIGKILL);
      waitpid (l->pid, NULL, 0);
    }
  g_free (l->out_path);
  g_free (l->err_path);
  g_free (l->out);
  g_free (l->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (listener, listener_clear)

static int
open_output (const char *path)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  ck_assert_msg (fd >= 0, "open %s: %s", path, g_strerror (errno));
  return fd;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* Starts `printhook listen --port 0 --port-file F` plus args (NULL-terminated)
 * and waits until it has written the port. */
static void
listener_start (listener *l, const char *const *args)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *port_file = g_build_filename (dir, "port", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  int out_fd, err_fd;

  memset (l, 0, sizeof *l);
  l->out_path = g_build_filename (dir, "out", NULL);
  l->err_path = g_build_filename (dir, "err", NULL);
  g_ptr_array_add (argv, (char *) ph_test_binary ());
  g_ptr_array_add (argv, "listen");
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, "0");
  g_ptr_array_add (argv, "--port-file");
  g_ptr_array_add (argv, port_file);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  /* Files, not pipes: nobody reads while the server runs. */
  out_fd = open_output (l->out_path);
  err_fd = open_output (l->err_path);
  if (!g_spawn_async_with_fds (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                               NULL, NULL, &l->pid, -1, out_fd, err_fd, &error))
    ck_abort_msg ("cannot run %s: %s", ph_test_binary (), error->message);
  close (out_fd);
  close (err_fd);

  while (l->port == 0)
    {
      g_autofree char *text = NULL;
      int status;

      if (g_file_get_contents (port_file, &text, NULL, NULL))
        l->port = atoi (text);
      else if (waitpid (l->pid, &status, WNOHANG) == l->pid)
        {
          g_autofree char *err = read_text (l->err_path);
          l->finished = TRUE;
          ck_abort_msg ("printhook listen exited early; stderr:\n%s", err);
        }
      else if (g_get_monotonic_time () > deadline)
        ck_abort_msg ("printhook listen wrote no port file within %d s", WAIT_S);
      else
        g_usleep (5000);
    }
}

/* Waits for the listener to exit on its own (--count, or a signal sent by
 * the test) and collects its output. */
static void
listener_finish (listener *l)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  int status;

  while (waitpid (l->pid, &status, WNOHANG) != l->pid)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *err = read_text (l->err_path);
          ck_abort_msg ("printhook listen did not exit within %d s; stderr:\n%s", WAIT_S, err);
        }
      g_usleep (5000);
    }
  l->finished = TRUE;
  l->exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  l->out = read_text (l->out_path);
  l->err = read_text (l->err_path);
}

static size_t
collect (char *data, size_t size, size_t n, void *user_data)
{
  g_string_append_len (user_data, data, size * n);
  return size * n;
}

/* Sends one request to the listener.  headers: NULL-terminated "Name: value"
 * lines, may be NULL; body (len bytes) or mime, or neither.  Returns curl's
 * result; *status and *reply (transfer full) when not NULL. */
static CURLcode
try_request (const listener *l, const char *method, const char *path, const char *const *headers,
             const void *body, gsize len, curl_mime *mime, long *status, char **reply)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%d%s", l->port, path);
  g_autoptr (GString) text = g_string_new (NULL);
  struct curl_slist *list = NULL;
  CURL *curl = curl_easy_init ();
  CURLcode rc;

  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    list = curl_slist_append (list, headers[i]);
  /* Waiting for "100 Continue" only slows the suite down. */
  list = curl_slist_append (list, "Expect:");
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) WAIT_S);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, text);
  if (mime != NULL)
    curl_easy_setopt (curl, CURLOPT_MIMEPOST, mime);
  else if (body != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    }
  if (method != NULL)
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  rc = curl_easy_perform (curl);
  if (status != NULL)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, status);
  if (reply != NULL)
    *reply = g_strdup (text->str);
  curl_easy_cleanup (curl);
  curl_slist_free_all (list);
  return rc;
}

/* Like try_request, for requests that must get an answer; returns the
 * status. */
static long
request (const listener *l, const char *path, const char *const *headers, const void *body,
         gsize len)
{
  long status = 0;
  CURLcode rc = try_request (l, NULL, path, headers, body, len, NULL, &status, NULL);

  ck_assert_msg (rc == CURLE_OK, "request to %s: %s", path, curl_easy_strerror (rc));
  return status;
}

START_TEST (test_listen_prints_json_reindented)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "1", NULL };
  const char *headers[] = { "Content-Type: application/json", "X-Token: abc", NULL };
  const char *json = "{\"topic\":\"Print Done\",\"extra\":{\"name\":\"a.gcode\",\"size\":242038},\"list\":[]}";
  g_autofree char *reply = NULL;
  long status = 0;

  listener_start (&l, args);
  ck_assert_int_eq (try_request (&l, NULL, "/hook?src=test", headers, json, strlen (json), NULL,
                                 &status, &reply), CURLE_OK);
  ck_assert_int_eq (status, 200);
  ck_assert_str_eq (reply, "ok\n");
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  ck_assert_msg (g_str_has_prefix (l.out, "#1 POST /hook?src=test  (from 127.0.0.1:"), "%s", l.out);
  assert_contains (l.out, ", 73 bytes)  ");
  assert_contains (l.out, "\n  Content-Type: application/json\n");
  assert_contains (l.out, "\n  X-Token: abc\n");
  assert_contains (l.out, "\n  {\n"
                          "    \"topic\": \"Print Done\",\n"
                          "    \"extra\": {\n"
                          "      \"name\": \"a.gcode\",\n"
                          "      \"size\": 242038\n"
                          "    },\n"
                          "    \"list\": []\n"
                          "  }\n\n");
}
END_TEST

START_TEST (test_listen_prints_form_fields_decoded)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "1", NULL };
  const char *form = "topic=Print+Done&message=Your+print+is+50%25+complete.";

  listener_start (&l, args);
  /* libcurl labels POSTFIELDS as application/x-www-form-urlencoded. */
  ck_assert_int_eq (request (&l, "/", NULL, form, strlen (form)), 200);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.out, "\n  Content-Type: application/x-www-form-urlencoded\n");
  assert_contains (l.out, "\n  topic = Print Done\n  message = Your print is 50% complete.\n");
}
END_TEST

START_TEST (test_listen_lists_multipart_parts_with_sizes)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "1", NULL };
  CURL *curl = curl_easy_init ();
  curl_mime *mime = curl_mime_init (curl);
  curl_mimepart *part;
  guint8 jpeg[1000];
  long status = 0;

  for (guint i = 0; i < sizeof jpeg; i++)
    jpeg[i] = (guint8) (i * 7);
  part = curl_mime_addpart (mime);
  curl_mime_name (part, "topic");
  curl_mime_data (part, "Print Done", CURL_ZERO_TERMINATED);
  part = curl_mime_addpart (mime);
  curl_mime_name (part, "snapshot");
  curl_mime_filename (part, "snapshot.jpg");
  curl_mime_type (part, "image/jpeg");
  curl_mime_data (part, (const char *) jpeg, sizeof jpeg);

  listener_start (&l, args);
  ck_assert_int_eq (try_request (&l, NULL, "/upload", NULL, NULL, 0, mime, &status, NULL), CURLE_OK);
  ck_assert_int_eq (status, 200);
  curl_mime_free (mime);
  curl_easy_cleanup (curl);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.out, "\n  part 1: name=\"topic\", 10 bytes = Print Done\n"
                          "  part 2: name=\"snapshot\", filename=\"snapshot.jpg\", image/jpeg, 1000 bytes\n\n");
}
END_TEST

START_TEST (test_listen_reports_binary_body_as_binary)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "1", NULL };
  const char *headers[] = { "Content-Type: application/octet-stream", NULL };
  guint8 data[512];

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) i;
  listener_start (&l, args);
  ck_assert_int_eq (request (&l, "/bin", headers, data, sizeof data), 200);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.out, "\n  <512 bytes binary>\n\n");
}
END_TEST

START_TEST (test_listen_quiet_body_prints_no_body)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "1", "--quiet-body", NULL };
  const char *headers[] = { "Content-Type: text/plain", NULL };

  listener_start (&l, args);
  ck_assert_int_eq (request (&l, "/", headers, "secret body", 11), 200);
  listener_finish (&l);

  assert_contains (l.out, "\n  Content-Type: text/plain\n");
  ck_assert_msg (strstr (l.out, "secret body") == NULL, "%s", l.out);
}
END_TEST

START_TEST (test_listen_answers_with_status_option)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "1", "--status", "503", NULL };
  g_autofree char *reply = NULL;
  long status = 0;

  listener_start (&l, args);
  ck_assert_int_eq (try_request (&l, NULL, "/", NULL, "x=1", 3, NULL, &status, &reply), CURLE_OK);
  listener_finish (&l);

  ck_assert_int_eq (status, 503);
  ck_assert_str_eq (reply, "503 Service Unavailable\n");
  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
}
END_TEST

/* Signs as a Standard Webhooks sender would, without the code under test. */
static char *
sign_standard (const char *id, const char *timestamp, const char *body)
{
  gsize key_len;
  g_autofree guchar *key = g_base64_decode (&SPEC_SECRET[strlen ("whsec_")], &key_len);
  g_autofree char *content = g_strdup_printf ("%s.%s.%s", id, timestamp, body);
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autofree char *b64 = NULL;

  g_hmac_update (hmac, (const guchar *) content, strlen (content));
  g_hmac_get_digest (hmac, digest, &digest_len);
  b64 = g_base64_encode (digest, digest_len);
  return g_strconcat ("v1,", b64, NULL);
}

START_TEST (test_sign_standard_helper_reproduces_spec_vector)
{
  g_autofree char *signature = sign_standard (SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);

  ck_assert_str_eq (signature, SPEC_SIGNATURE);
}
END_TEST

START_TEST (test_listen_checks_standard_signatures)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "3", "--secret", SPEC_SECRET, NULL };
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *signature = sign_standard ("msg_1", now, SPEC_BODY);
  g_autofree char *id_header = g_strdup ("webhook-id: msg_1");
  g_autofree char *ts_header = g_strconcat ("webhook-timestamp: ", now, NULL);
  g_autofree char *good = g_strconcat ("webhook-signature: ", signature, NULL);
  const char *valid[] = { "Content-Type: application/json", id_header, ts_header, good, NULL };
  const char *forged[] = { "Content-Type: application/json", id_header, ts_header,
                           "webhook-signature: " SPEC_SIGNATURE_LAST_CHAR_CHANGED, NULL };
  const char *stale[] = { "Content-Type: application/json", "webhook-id: " SPEC_ID,
                          "webhook-timestamp: " SPEC_TIMESTAMP,
                          "webhook-signature: " SPEC_SIGNATURE, NULL };
  g_auto (GStrv) blocks = NULL;

  listener_start (&l, args);
  ck_assert_int_eq (request (&l, "/", valid, SPEC_BODY, strlen (SPEC_BODY)), 200);
  ck_assert_int_eq (request (&l, "/", forged, SPEC_BODY, strlen (SPEC_BODY)), 200);
  ck_assert_int_eq (request (&l, "/", stale, SPEC_BODY, strlen (SPEC_BODY)), 200);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  blocks = g_strsplit (l.out, "\n\n", -1);
  ck_assert_uint_ge (g_strv_length (blocks), 3);
  assert_contains (blocks[0], "\n  signature: valid (standard webhooks)\n");
  assert_contains (blocks[1], "\n  signature: INVALID (standard webhooks: no v1 signature matches");
  assert_contains (blocks[2], "\n  signature: INVALID (standard webhooks: the signature matches "
                              "but webhook-timestamp is ");
}
END_TEST

START_TEST (test_listen_checks_github_signatures)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "3", "--github-secret", GITHUB_SECRET, NULL };
  const char *valid[] = { "Content-Type: text/plain", "X-Hub-Signature-256: " GITHUB_SIGNATURE, NULL };
  const char *forged[] = { "Content-Type: text/plain",
                           "X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000",
                           NULL };
  const char *unsigned_headers[] = { "Content-Type: text/plain", NULL };
  g_auto (GStrv) blocks = NULL;

  listener_start (&l, args);
  ck_assert_int_eq (request (&l, "/", valid, GITHUB_BODY, strlen (GITHUB_BODY)), 200);
  ck_assert_int_eq (request (&l, "/", forged, GITHUB_BODY, strlen (GITHUB_BODY)), 200);
  ck_assert_int_eq (request (&l, "/", unsigned_headers, GITHUB_BODY, strlen (GITHUB_BODY)), 200);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  blocks = g_strsplit (l.out, "\n\n", -1);
  ck_assert_uint_ge (g_strv_length (blocks), 3);
  assert_contains (blocks[0], "\n  signature: valid (github)\n  Hello, World!");
  assert_contains (blocks[1], "\n  signature: INVALID (github: the sha256 signature does not match");
  assert_contains (blocks[2], "\n  signature: none (no X-Hub-Signature-256 header)\n");
}
END_TEST

START_TEST (test_listen_count_exits_zero_after_n_requests)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "2", NULL };
  g_autofree char *banner = NULL;

  listener_start (&l, args);
  ck_assert_int_eq (request (&l, "/one", NULL, NULL, 0), 200);
  ck_assert_int_eq (request (&l, "/two", NULL, NULL, 0), 200);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  banner = g_strdup_printf ("Listening on http://127.0.0.1:%d/ (Ctrl-C to stop)\n", l.port);
  assert_contains (l.err, banner);
  ck_assert_msg (g_str_has_prefix (l.out, "#1 GET /one  (from 127.0.0.1:"), "%s", l.out);
  assert_contains (l.out, "\n\n#2 GET /two  (from 127.0.0.1:");
  ck_assert_msg (strstr (l.out, "#3") == NULL, "%s", l.out);
}
END_TEST

START_TEST (test_listen_sigterm_exits_zero)
{
  g_auto (listener) l = { 0 };

  listener_start (&l, NULL);
  ck_assert_int_eq (request (&l, "/", NULL, NULL, 0), 200);
  kill (l.pid, SIGTERM);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.out, "#1 GET / ");
}
END_TEST

static guint
count_open_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  ck_assert_msg (dir != NULL, "cannot list %s", path);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

START_TEST (test_listen_does_not_keep_closed_connections)
{
  g_auto (listener) l = { 0 };
  guint before, after;

  listener_start (&l, NULL);
  ck_assert_int_eq (request (&l, "/", NULL, NULL, 0), 200);
  before = count_open_fds (l.pid);
  for (int i = 0; i < 50; i++)
    ck_assert_int_eq (request (&l, "/", NULL, NULL, 0), 200);
  after = count_open_fds (l.pid);
  kill (l.pid, SIGTERM);
  listener_finish (&l);

  /* libsoup 3.2 would hold one socket per finished connection. */
  ck_assert_uint_le (after, before + 1);
}
END_TEST

START_TEST (test_listen_survives_huge_headers)
{
  g_auto (listener) l = { 0 };
  g_autofree char *filler = g_strnfill (200 * 1024, 'a');
  g_autofree char *huge = g_strconcat ("X-Huge: ", filler, NULL);
  const char *headers[] = { huge, NULL };

  listener_start (&l, NULL);
  /* libsoup refuses it or drops the connection; either way no crash, and
   * the next request is served. */
  try_request (&l, NULL, "/huge", headers, "x", 1, NULL, NULL, NULL);
  ck_assert_int_eq (request (&l, "/after", NULL, NULL, 0), 200);
  kill (l.pid, SIGINT);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.out, " GET /after  (from ");
}
END_TEST

START_TEST (test_listen_survives_hostile_bodies)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--count", "3", NULL };
  const char *json_headers[] = { "Content-Type: application/json", NULL };
  const char *multipart_headers[] = { "Content-Type: multipart/form-data; boundary=b", NULL };
  const char *bad_json = "{\"a\": [1, 2";
  const char *bad_multipart = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end";
  g_autofree char *deep = g_strnfill (50000, '[');

  listener_start (&l, args);
  ck_assert_int_eq (request (&l, "/", json_headers, bad_json, strlen (bad_json)), 200);
  ck_assert_int_eq (request (&l, "/", multipart_headers, bad_multipart, strlen (bad_multipart)), 200);
  ck_assert_int_eq (request (&l, "/", json_headers, deep, strlen (deep)), 200);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.out, "  [not valid JSON: unexpected end of data at byte 11]\n  {\"a\": [1, 2\n");
  assert_contains (l.out, "  [not valid multipart: ");
  assert_contains (l.out, "#3 POST /  (from ");
  assert_contains (l.out, "  [not valid JSON: nesting too deep at byte ");
}
END_TEST

START_TEST (test_listen_port_in_use_exits_one)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (ph_run_result) r = NULL;
  g_autofree char *port = NULL;
  g_autofree char *expected = NULL;
  const char *argv[] = { "listen", "--port", NULL, NULL };

  ck_assert (socket != NULL);
  ck_assert (g_socket_bind (socket, any_port, FALSE, NULL));
  ck_assert (g_socket_listen (socket, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  argv[2] = port;

  r = ph_run_printhook (argv, NULL, WAIT_S);
  ck_assert_int_eq (r->exit_status, PH_EXIT_FAILURE);
  expected = g_strdup_printf ("printhook listen: cannot listen on 127.0.0.1:%s: ", port);
  assert_contains (r->err, expected);
  ck_assert_str_eq (r->out, "");
}
END_TEST

START_TEST (test_listen_bad_command_lines_are_usage_errors)
{
  const char *const cases[][4] = {
    { "listen", "--port", "nope", NULL },
    { "listen", "--port", "70000", NULL },
    { "listen", "--status", "99", NULL },
    { "listen", "--count", "-1", NULL },
    { "listen", "--bind", "localhost", NULL },
    { "listen", "--secret", "plain-text", NULL },
    { "listen", "--no-such-option", NULL, NULL },
    { "listen", "extra", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ph_run_result) r = ph_run_printhook (cases[i], NULL, WAIT_S);

      ck_assert_msg (r->exit_status == PH_EXIT_USAGE, "%s %s: exit %d", cases[i][1],
                     cases[i][2] ? cases[i][2] : "", r->exit_status);
      ck_assert_msg (g_str_has_prefix (r->err, "printhook listen: "), "%s", r->err);
      assert_contains (r->err, "Try 'printhook listen --help'");
    }
}
END_TEST

START_TEST (test_listen_help_documents_options_examples_and_exit_status)
{
  const char *argv[] = { "listen", "--help", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, WAIT_S);
  const char *const expected[] = { "Usage:\n  printhook listen [OPTION", "--port=PORT", "--bind=ADDRESS",
                                   "--status=CODE", "--secret=whsec_...", "--github-secret=TEXT",
                                   "--count=N", "--port-file=PATH", "--quiet-body",
                                   "Examples:", "Exit status:", NULL };

  ck_assert_int_eq (r->exit_status, PH_EXIT_OK);
  for (guint i = 0; expected[i] != NULL; i++)
    assert_contains (r->out, expected[i]);
}
END_TEST

START_TEST (test_listen_warns_about_non_loopback_bind)
{
  g_auto (listener) l = { 0 };
  const char *args[] = { "--bind", "0.0.0.0", NULL };

  listener_start (&l, args);
  kill (l.pid, SIGTERM);
  listener_finish (&l);

  ck_assert_int_eq (l.exit_status, PH_EXIT_OK);
  assert_contains (l.err, "printhook listen: warning: 0.0.0.0 is not a loopback address");
}
END_TEST

/* listen --mqtt: a broker may hand over user properties with line breaks,
 * spaces and colons in them (found by the mqtt fuzz target: libsoup refused
 * them as header lines, with a critical warning); they are printed mended,
 * the rest of the message as usual. */
START_TEST (test_format_mqtt_message_with_line_breaks_in_properties)
{
  mosquitto_property *props = NULL;
  struct mosquitto_message message = { 0 };
  ph_listen_mqtt_options o = { "mqtt://127.0.0.1", NULL, NULL, NULL, NULL, 0, FALSE };
  g_autoptr (GString) out = g_string_new (NULL);

  message.topic = (char *) "printhook/farm1/PrintDone";
  message.payload = (void *) "{\"a\": 1}";
  message.payloadlen = 8;
  message.qos = 1;
  mosquitto_property_add_string_pair (&props, MQTT_PROP_USER_PROPERTY, "webhook-id", "a\r\nb");
  mosquitto_property_add_string_pair (&props, MQTT_PROP_USER_PROPERTY, "bad name:", "x");
  mosquitto_property_add_string (&props, MQTT_PROP_CONTENT_TYPE, "application/json\r\nX: y");
  ph_listen_mqtt_format (out, &o, 3, "mqtt://127.0.0.1:1883", &message, props);
  mosquitto_property_free_all (&props);
  assert_contains (out->str, "#3 PUBLISH printhook/farm1/PrintDone  (from mqtt://127.0.0.1:1883, "
                             "8 bytes)");
  assert_contains (out->str, "  QoS: 1\n  Retain: no\n  webhook-id: a\\r\\nb\n  bad_name_: x\n");
  assert_contains (out->str, "  {\n    \"a\": 1\n  }\n");
}
END_TEST

static Suite *
listen_suite (void)
{
  Suite *s = suite_create ("listen");
  TCase *verify = tcase_create ("signature verification");
  TCase *format = tcase_create ("formatting");
  TCase *server = tcase_create ("server");

  tcase_add_test (verify, test_standard_spec_vector_is_valid);
  tcase_add_test (verify, test_standard_spec_vector_with_last_char_changed_is_invalid);
  tcase_add_test (verify, test_standard_key_is_the_decoded_secret_not_its_text);
  tcase_add_test (verify, test_standard_any_v1_entry_may_match);
  tcase_add_test (verify, test_standard_only_other_versions_is_malformed);
  tcase_add_test (verify, test_standard_timestamp_five_minutes_off_is_accepted);
  tcase_add_test (verify, test_standard_timestamp_one_second_more_is_expired);
  tcase_add_test (verify, test_standard_missing_header_is_named);
  tcase_add_test (verify, test_standard_non_numeric_timestamp_is_malformed);
  tcase_add_test (verify, test_standard_unusable_secrets_are_refused);
  tcase_add_test (verify, test_standard_secret_padding_is_optional);
  tcase_add_test (verify, test_github_documented_example_is_valid);
  tcase_add_test (verify, test_github_wrong_or_missing_signature_is_invalid);
  tcase_add_test (verify, test_sign_standard_helper_reproduces_spec_vector);
  suite_add_tcase (s, verify);

  tcase_add_test (format, test_format_json_keeps_values_as_sent);
  tcase_add_test (format, test_format_json_without_content_type_is_recognised);
  tcase_add_test (format, test_format_invalid_json_is_noted_and_shown_as_text);
  tcase_add_test (format, test_format_json_that_only_json_c_accepts_is_not_json);
  tcase_add_test (format, test_format_deeply_nested_json_does_not_crash);
  tcase_add_test (format, test_format_form_fields_in_order_with_duplicates);
  tcase_add_test (format, test_format_form_value_with_controls_is_escaped);
  tcase_add_test (format, test_format_form_that_is_not_utf8_is_shown_raw);
  tcase_add_test (format, test_format_broken_multipart_falls_back);
  tcase_add_test (format, test_format_multipart_without_boundary_falls_back);
  tcase_add_test (format, test_format_binary_is_its_size);
  tcase_add_test (format, test_format_text_keeps_lines_and_drops_crlf);
  tcase_add_test (format, test_format_long_body_is_cut_with_a_note);
  tcase_add_test (format, test_format_partly_kept_body_is_not_decoded);
  tcase_add_test (format, test_format_nothing_kept_of_a_body);
  tcase_add_test (format, test_format_multipart_cut_short_reads_only_the_body);
  tcase_add_test (format, test_format_multipart_part_running_into_the_boundary_is_damaged);
  tcase_add_test (format, test_format_head_escapes_header_controls);
  tcase_add_test (format, test_format_mqtt_message_with_line_breaks_in_properties);
  suite_add_tcase (s, format);

  tcase_set_timeout (server, 3 * WAIT_S);
  tcase_add_test (server, test_listen_prints_json_reindented);
  tcase_add_test (server, test_listen_prints_form_fields_decoded);
  tcase_add_test (server, test_listen_lists_multipart_parts_with_sizes);
  tcase_add_test (server, test_listen_reports_binary_body_as_binary);
  tcase_add_test (server, test_listen_quiet_body_prints_no_body);
  tcase_add_test (server, test_listen_answers_with_status_option);
  tcase_add_test (server, test_listen_checks_standard_signatures);
  tcase_add_test (server, test_listen_checks_github_signatures);
  tcase_add_test (server, test_listen_count_exits_zero_after_n_requests);
  tcase_add_test (server, test_listen_sigterm_exits_zero);
  tcase_add_test (server, test_listen_does_not_keep_closed_connections);
  tcase_add_test (server, test_listen_survives_huge_headers);
  tcase_add_test (server, test_listen_survives_hostile_bodies);
  tcase_add_test (server, test_listen_port_in_use_exits_one);
  tcase_add_test (server, test_listen_bad_command_lines_are_usage_errors);
  tcase_add_test (server, test_listen_help_documents_options_examples_and_exit_status);
  tcase_add_test (server, test_listen_warns_about_non_loopback_bind);
  suite_add_tcase (s, server);

  return s;
}

int
main (void)
{
  int status;

  ph_test_init ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  status = ph_test_run (listen_suite ());
  curl_global_cleanup ();
  return status;
}
