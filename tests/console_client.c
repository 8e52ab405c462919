#include "autoconfig.h"
#include "console_client.h"

#include <check.h>
#include <string.h>
#include <curl/curl.h>

#define REQUEST_TIMEOUT_MS 10000L

static size_t
on_header (char *data, size_t size, size_t count, void *user_data)
{
  ph_console_reply *r = user_data;
  size_t length = size * count;
  g_autofree char *line = g_strndup (data, length);

  g_strchomp (line);
  /* A new status line starts a new response (after a 100 Continue). */
  if (g_str_has_prefix (line, "HTTP/"))
    g_ptr_array_set_size (r->headers, 0);
  else if (line[0] != '\0')
    g_ptr_array_add (r->headers, g_steal_pointer (&line));
  return length;
}

static size_t
on_body (char *data, size_t size, size_t count, void *user_data)
{
  ph_console_reply *r = user_data;

  g_string_append_len (r->body, data, size * count);
  return size * count;
}

ph_console_reply *
ph_console_request (const char *method, const char *url, const char *const *headers,
                    const char *body, gssize length)
{
  return ph_console_request_tls (method, url, headers, body, length, NULL);
}

/* The request; with failure not NULL, a request without an HTTP reply
 * gives NULL and the reason in *failure instead of failing the test. */
static ph_console_reply *
request (const char *method, const char *url, const char *const *headers, const char *body,
         gssize length, const char *ca_file, char **failure)
{
  ph_console_reply *r = g_new0 (ph_console_reply, 1);
  struct curl_slist *list = NULL;
  CURL *curl = curl_easy_init ();
  char error[CURL_ERROR_SIZE] = "";
  CURLcode code;

  r->headers = g_ptr_array_new_with_free_func (g_free);
  r->body = g_string_new (NULL);
  ck_assert (curl != NULL);
  /* libcurl would hold a large body back for a 100 Continue. */
  list = curl_slist_append (list, "Expect:");
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    list = curl_slist_append (list, headers[i]);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, r);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, r);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  if (ca_file != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, ca_file);
  if (strcmp (method, "GET") != 0)
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  /* A POST says how long its body is, even when it has none. */
  if (body == NULL && strcmp (method, "POST") == 0)
    body = "";
  if (body != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE,
                        (curl_off_t) (length < 0 ? (gssize) strlen (body) : length));
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    }
  code = curl_easy_perform (curl);
  if (code == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all (list);
  curl_easy_cleanup (curl);
  if (code != CURLE_OK && failure != NULL)
    {
      *failure = g_strdup (error[0] != '\0' ? error : curl_easy_strerror (code));
      ph_console_reply_free (r);
      return NULL;
    }
  ck_assert_msg (code == CURLE_OK, "%s %s: %s", method, url,
                 error[0] != '\0' ? error : curl_easy_strerror (code));
  return r;
}

ph_console_reply *
ph_console_request_tls (const char *method, const char *url, const char *const *headers,
                        const char *body, gssize length, const char *ca_file)
{
  return request (method, url, headers, body, length, ca_file, NULL);
}

ph_console_reply *
ph_console_try_request (const char *method, const char *url, const char *const *headers,
                        const char *body, char **failure)
{
  return request (method, url, headers, body, -1, NULL, failure);
}

static const char *
header_value (const char *line, const char *name)
{
  size_t n = strlen (name);

  if (g_ascii_strncasecmp (line, name, n) != 0 || line[n] != ':')
    return NULL;
  line += n + 1;
  while (*line == ' ' || *line == '\t')
    line++;
  return line;
}

const char *
ph_console_reply_header (const ph_console_reply *r, const char *name)
{
  for (guint i = 0; i < r->headers->len; i++)
    {
      const char *value = header_value (g_ptr_array_index (r->headers, i), name);

      if (value != NULL)
        return value;
    }
  return NULL;
}

guint
ph_console_reply_count_headers (const ph_console_reply *r, const char *name)
{
  guint count = 0;

  for (guint i = 0; i < r->headers->len; i++)
    if (header_value (g_ptr_array_index (r->headers, i), name) != NULL)
      count++;
  return count;
}

json_object *
ph_console_reply_json (const ph_console_reply *r)
{
  const char *type = ph_console_reply_header (r, "Content-Type");
  json_tokener *tok = json_tokener_new ();
  json_object *json = json_tokener_parse_ex (tok, r->body->str, (int) r->body->len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);

  json_tokener_free (tok);
  ck_assert_msg (json != NULL && jerr == json_tokener_success,
                 "HTTP %ld: the body is not JSON (%s):\n%s", r->status,
                 json_tokener_error_desc (jerr), r->body->str);
  ck_assert_msg (type != NULL && g_str_has_prefix (type, "application/json"),
                 "HTTP %ld: JSON with Content-Type %s:\n%s", r->status,
                 type != NULL ? type : "(none)", r->body->str);
  return json;
}

void
ph_console_reply_free (ph_console_reply *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref (r->headers);
  g_string_free (r->body, TRUE);
  g_free (r);
}
