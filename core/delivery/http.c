/* One libcurl multi handle driven by a GMainContext (the multi-socket API,
 * curl's docs/libcurl/opts/CURLMOPT_SOCKETFUNCTION.md and
 * CURLMOPT_TIMERFUNCTION.md):
 *
 * - libcurl tells the socket callback which sockets to watch; each watched
 *   socket gets one socket_watch, attached to the socket with
 *   curl_multi_assign and freed only on CURL_POLL_REMOVE.
 * - libcurl tells the timer callback when to call it back; there is one
 *   timer GSource, replaced or deleted as told.
 * - After every curl_multi_socket_action the finished transfers are read
 *   with curl_multi_info_read, removed from the multi handle and queued; an
 *   idle source then runs their callbacks.  So user code never runs inside
 *   libcurl or inside ph_http_submit, and a callback may submit or free. */
#include "autoconfig.h"
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib-unix.h>
#include <string.h>

#include "version.h"

/* A server sending headers without end must not eat our memory. */
#define MAX_HEADER_BYTES (256 * 1024)
#define MAX_REDIRECTS 5L

G_DEFINE_QUARK (ph-http-error-quark, ph_http_error)

typedef struct {
  char *name;
  char *value;
} header_field;

struct ph_http_request {
  char *method;
  char *url;
  GPtrArray *headers;          /* header_field */
  GBytes *body;                /* NULL: none */
  double connect_s;
  double total_s;
  gboolean tls_verify;
  char *ca_file;
  gboolean follow_redirects;
  gsize max_response_bytes;
};

struct ph_http_response {
  GError *error;
  long status;
  GPtrArray *headers;          /* header_field, of the last response */
  GBytes *body;
  gboolean truncated;
  char *redirect_url;
  gint64 retry_after;
  double total_time;
};

typedef struct {
  CURL *easy;
  GList link;                  /* in http->running or http->finished */
  ph_http_request *req;        /* owns the body libcurl sends from */
  char *log_url;               /* the URL without userinfo, for messages */
  struct curl_slist *header_list;
  ph_http_callback callback;
  gpointer user_data;
  GByteArray *body;            /* the response body while it arrives */
  gsize header_bytes;
  gboolean header_overflow;
  char errbuf[CURL_ERROR_SIZE];
  ph_http_response response;
} transfer;

typedef struct {
  ph_http *http;
  GIOCondition condition;
  GSource *source;
} socket_watch;

struct ph_http {
  GMainContext *context;
  CURLM *multi;
  GSource *timer;              /* the one libcurl timer; NULL when none */
  guint n_watches;
  GQueue running;              /* transfers in the multi handle */
  GQueue finished;             /* transfers whose callback is due */
  GSource *dispatcher;         /* idle source running those callbacks */
  guint dispatch_depth;        /* callbacks running right now (nested by ph_http_free) */
  gboolean closing;
};

static void
header_field_free (gpointer data)
{
  header_field *h = data;

  g_free (h->name);
  g_free (h->value);
  g_free (h);
}

static void
add_header_field (GPtrArray *headers, char *name, char *value)
{
  header_field *h = g_new (header_field, 1);

  h->name = name;
  h->value = value;
  g_ptr_array_add (headers, h);
}

static const char *
find_header (GPtrArray *headers, const char *name)
{
  for (guint i = 0; i < headers->len; i++)
    {
      header_field *h = g_ptr_array_index (headers, i);
      if (g_ascii_strcasecmp (h->name, name) == 0)
        return h->value;
    }
  return NULL;
}

/* RFC 9110 §5.6.2: methods and field names are tokens. */
static gboolean
is_token (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isalnum (*s) && strchr ("!#$%&'*+-.^_`|~", *s) == NULL)
      return FALSE;
  return TRUE;
}

/* The URL as it may appear in a message: without "user:password@".  Works
 * on URLs libcurl rejects too, since those are the ones we report. */
static char *
url_for_log (const char *url)
{
  const char *authority = strstr (url, "://");
  const char *end, *at;

  authority = authority != NULL ? authority + 3 : url;
  end = authority + strcspn (authority, "/?#");
  at = g_strrstr_len (authority, end - authority, "@");
  if (at == NULL)
    return g_strdup (url);
  return g_strdup_printf ("%.*s%s", (int) (authority - url), url, at + 1);
}

ph_http_request *
ph_http_request_new (const char *method, const char *url)
{
  ph_http_request *req;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  req = g_new0 (ph_http_request, 1);
  req->method = g_strdup (method);
  req->url = g_strdup (url);
  req->headers = g_ptr_array_new_with_free_func (header_field_free);
  req->connect_s = 5;
  req->total_s = 15;
  req->tls_verify = TRUE;
  req->max_response_bytes = 65536;
  return req;
}

void
ph_http_request_add_header (ph_http_request *req, const char *name, const char *value)
{
  g_return_if_fail (req != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  add_header_field (req->headers, g_strdup (name), g_strdup (value));
}

void
ph_http_request_set_body (ph_http_request *req, GBytes *body)
{
  g_return_if_fail (req != NULL);

  if (body != NULL)
    g_bytes_ref (body);
  g_clear_pointer (&req->body, g_bytes_unref);
  req->body = body;
}

void
ph_http_request_set_timeouts (ph_http_request *req, double connect_s, double total_s)
{
  g_return_if_fail (req != NULL);
  g_return_if_fail (connect_s > 0 && total_s > 0);

  req->connect_s = connect_s;
  req->total_s = total_s;
}

void
ph_http_request_set_tls (ph_http_request *req, gboolean verify, const char *ca_file)
{
  g_return_if_fail (req != NULL);

  req->tls_verify = verify;
  g_free (req->ca_file);
  req->ca_file = g_strdup (ca_file);
}

void
ph_http_request_set_follow_redirects (ph_http_request *req, gboolean follow)
{
  g_return_if_fail (req != NULL);

  req->follow_redirects = follow;
}

void
ph_http_request_set_max_response_bytes (ph_http_request *req, gsize max)
{
  g_return_if_fail (req != NULL);

  req->max_response_bytes = max;
}

void
ph_http_request_free (ph_http_request *req)
{
  if (req == NULL)
    return;
  g_free (req->method);
  g_free (req->url);
  g_ptr_array_unref (req->headers);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req->ca_file);
  g_free (req);
}

const GError *
ph_http_response_get_error (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->error;
}

long
ph_http_response_get_status (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, 0);
  return r->status;
}

const char *
ph_http_response_get_header (const ph_http_response *r, const char *name)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return find_header (r->headers, name);
}

GBytes *
ph_http_response_get_body (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->body;
}

gboolean
ph_http_response_is_truncated (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, FALSE);
  return r->truncated;
}

const char *
ph_http_response_get_redirect_url (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->redirect_url;
}

gint64
ph_http_response_get_retry_after (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, -1);
  return r->retry_after;
}

double
ph_http_response_get_total_time (const ph_http_response *r)
{
  g_return_val_if_fail (r != NULL, 0);
  return r->total_time;
}

/* Transfers. */

static transfer *
transfer_new (ph_http_request *req, ph_http_callback callback, gpointer user_data)
{
  transfer *t = g_new0 (transfer, 1);

  t->link.data = t;
  t->req = req;
  t->log_url = url_for_log (req->url);
  t->callback = callback;
  t->user_data = user_data;
  t->body = g_byte_array_new ();
  t->response.headers = g_ptr_array_new_with_free_func (header_field_free);
  t->response.retry_after = -1;
  return t;
}

static void
transfer_free (transfer *t)
{
  if (t->easy != NULL)
    curl_easy_cleanup (t->easy);
  curl_slist_free_all (t->header_list);
  ph_http_request_free (t->req);
  g_free (t->log_url);
  if (t->body != NULL)
    g_byte_array_unref (t->body);
  g_clear_error (&t->response.error);
  g_ptr_array_unref (t->response.headers);
  g_clear_pointer (&t->response.body, g_bytes_unref);
  g_free (t->response.redirect_url);
  g_free (t);
}

/* Receives each response header line, the status line and the blank line
 * that ends the block included (CURLOPT_HEADERFUNCTION). */
static size_t
on_header_line (char *data, size_t size, size_t n, void *user_data)
{
  transfer *t = user_data;
  size_t len = size * n;
  const char *colon;
  char *line;

  /* A status line starts a new response (a 1xx, a followed redirect):
   * only the last one's headers and body are kept. */
  if (len >= 5 && memcmp (data, "HTTP/", 5) == 0)
    {
      g_ptr_array_set_size (t->response.headers, 0);
      g_byte_array_set_size (t->body, 0);
      t->response.truncated = FALSE;
      t->header_bytes = 0;
      return len;
    }
  t->header_bytes += len;
  if (t->header_bytes > MAX_HEADER_BYTES)
    {
      t->header_overflow = TRUE;
      return 0;
    }

  line = g_strstrip (g_strndup (data, len));
  if (*line != '\0' && (data[0] == ' ' || data[0] == '\t') && t->response.headers->len > 0)
    {
      /* An obsolete folded continuation (RFC 9112 §5.2) joins the field
       * before it. */
      header_field *last = g_ptr_array_index (t->response.headers, t->response.headers->len - 1);
      char *joined = g_strconcat (last->value, " ", line, NULL);
      g_free (last->value);
      last->value = joined;
    }
  else if ((colon = strchr (line, ':')) != NULL)
    {
      char *value = g_strdup (colon + 1);
      add_header_field (t->response.headers, g_strndup (line, colon - line),
                        g_strstrip (value));
    }
  g_free (line);
  return len;
}

/* Keeps the body up to the request's cap; returning less than given makes
 * libcurl stop the transfer with CURLE_WRITE_ERROR (CURLOPT_WRITEFUNCTION). */
static size_t
on_body_data (char *data, size_t size, size_t n, void *user_data)
{
  transfer *t = user_data;
  size_t len = size * n;
  gsize room = t->req->max_response_bytes - t->body->len;

  if (len > room)
    {
      g_byte_array_append (t->body, (const guint8 *) data, room);
      t->response.truncated = TRUE;
      return 0;
    }
  g_byte_array_append (t->body, (const guint8 *) data, len);
  return len;
}

static gboolean
check_request (const transfer *t, GError **error)
{
  const ph_http_request *req = t->req;
  CURLU *url = curl_url ();
  char *scheme = NULL;
  CURLUcode rc;
  gboolean ok = FALSE;

  if (!is_token (req->method))
    {
      g_autofree char *escaped = g_strescape (req->method, NULL);
      g_set_error (error, PH_HTTP_ERROR, PH_HTTP_ERROR_URL, "invalid method \"%s\" for %s",
                   escaped, t->log_url);
      goto out;
    }
  for (guint i = 0; i < req->headers->len; i++)
    {
      const header_field *h = g_ptr_array_index (req->headers, i);
      if (!is_token (h->name))
        {
          g_autofree char *escaped = g_strescape (h->name, NULL);
          g_set_error (error, PH_HTTP_ERROR, PH_HTTP_ERROR_URL,
                       "invalid header name \"%s\" for %s", escaped, t->log_url);
          goto out;
        }
      /* The value is not quoted: it may be a secret. */
      if (strpbrk (h->value, "\r\n") != NULL)
        {
          g_set_error (error, PH_HTTP_ERROR, PH_HTTP_ERROR_URL,
                       "header %s for %s has a line break in its value", h->name, t->log_url);
          goto out;
        }
    }

  rc = curl_url_set (url, CURLUPART_URL, req->url, 0);
  if (rc != CURLUE_OK)
    {
      g_set_error (error, PH_HTTP_ERROR, PH_HTTP_ERROR_URL, "invalid URL %s: %s", t->log_url,
                   curl_url_strerror (rc));
      goto out;
    }
  /* libcurl lower-cases the scheme it returns. */
  if (curl_url_get (url, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
      || (strcmp (scheme, "http") != 0 && strcmp (scheme, "https") != 0))
    {
      g_set_error (error, PH_HTTP_ERROR, PH_HTTP_ERROR_URL,
                   "unsupported URL scheme in %s (only http and https)", t->log_url);
      goto out;
    }
  ok = TRUE;

out:
  curl_free (scheme);
  curl_url_cleanup (url);
  return ok;
}

static gboolean
has_header (const ph_http_request *req, const char *name)
{
  return find_header (req->headers, name) != NULL;
}

static gboolean
method_sends_body (const ph_http_request *req)
{
  if (strcmp (req->method, "GET") == 0 || strcmp (req->method, "HEAD") == 0)
    return FALSE;
  return req->body != NULL || strcmp (req->method, "POST") == 0
         || strcmp (req->method, "PUT") == 0 || strcmp (req->method, "PATCH") == 0;
}

/* Fills the easy handle from the request.  Only options taking strings can
 * fail with a libcurl that has them, so only those are checked. */
static gboolean
configure_easy (transfer *t, GError **error)
{
  const ph_http_request *req = t->req;
  CURL *easy = t->easy;
  g_autofree char *user_agent = g_strdup_printf ("printhook/%s", ph_version ());
  CURLcode rc;

  for (guint i = 0; i < req->headers->len; i++)
    {
      const header_field *h = g_ptr_array_index (req->headers, i);
      /* "Name:" would remove the header; "Name;" sends it empty
       * (CURLOPT_HTTPHEADER.md). */
      g_autofree char *line = *h->value == '\0' ? g_strconcat (h->name, ";", NULL)
                                                : g_strconcat (h->name, ": ", h->value, NULL);
      t->header_list = curl_slist_append (t->header_list, line);
    }
  /* libcurl would add "Expect: 100-continue" to large bodies and wait for
   * an answer many receivers never send. */
  if (!has_header (req, "Expect"))
    t->header_list = curl_slist_append (t->header_list, "Expect:");
  /* CURLOPT_POSTFIELDS implies application/x-www-form-urlencoded unless
   * removed: the body's type is the caller's to say. */
  if (!has_header (req, "Content-Type"))
    t->header_list = curl_slist_append (t->header_list, "Content-Type:");

  rc = curl_easy_setopt (easy, CURLOPT_URL, req->url);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
  if (rc == CURLE_OK)
    rc = curl_easy_setopt (easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (rc == CURLE_OK)
    rc = curl_easy_setopt (easy, CURLOPT_USERAGENT, user_agent);
  if (rc == CURLE_OK && req->tls_verify && req->ca_file != NULL)
    {
      /* Only the given file is trusted: drop the built-in CA directory. */
      rc = curl_easy_setopt (easy, CURLOPT_CAINFO, req->ca_file);
      if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CAPATH, NULL);
    }
  if (rc == CURLE_OK && strcmp (req->method, "GET") != 0 && strcmp (req->method, "HEAD") != 0
      && strcmp (req->method, "POST") != 0)
    rc = curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, req->method);
  if (rc != CURLE_OK)
    {
      g_set_error (error, PH_HTTP_ERROR, PH_HTTP_ERROR_OTHER, "cannot set up the request to %s: %s",
                   t->log_url, curl_easy_strerror (rc));
      return FALSE;
    }

  curl_easy_setopt (easy, CURLOPT_PRIVATE, t);
  curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (easy, CURLOPT_HTTPHEADER, t->header_list);
  curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long) (req->connect_s * 1000));
  curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) (req->total_s * 1000));
  curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
  curl_easy_setopt (easy, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, req->tls_verify ? 1L : 0L);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, req->tls_verify ? 2L : 0L);
  curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, on_header_line);
  curl_easy_setopt (easy, CURLOPT_HEADERDATA, t);
  curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, on_body_data);
  curl_easy_setopt (easy, CURLOPT_WRITEDATA, t);
  if (strcmp (req->method, "HEAD") == 0)
    curl_easy_setopt (easy, CURLOPT_NOBODY, 1L);
  else if (method_sends_body (req))
    {
      gsize size = 0;
      const char *data = req->body != NULL ? g_bytes_get_data (req->body, &size) : NULL;

      /* POSTFIELDS does not copy: req->body lives as long as the transfer.
       * The explicit size lets the body hold NUL bytes. */
      curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
      curl_easy_setopt (easy, CURLOPT_POSTFIELDS, data != NULL ? data : "");
    }
  return TRUE;
}

/* Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
static gint64
parse_retry_after (const char *value)
{
  guint64 seconds;
  time_t date;
  gint64 now;

  if (value == NULL || *value == '\0')
    return -1;
  if (g_ascii_isdigit (*value))
    return g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &seconds, NULL)
           ? (gint64) seconds : -1;
  date = curl_getdate (value, NULL);
  if (date == -1)
    return -1;
  now = g_get_real_time () / G_USEC_PER_SEC;
  return MAX ((gint64) date - now, 0);
}

static GError *
error_from_curl (transfer *t, CURLcode code)
{
  const char *detail = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror (code);
  long os_errno = 0;
  double connect_time = 0;
  double total_time = 0;

  switch (code)
    {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_URL, "invalid URL %s: %s", t->log_url,
                          detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_DNS, "cannot resolve the host of %s: %s",
                          t->log_url, detail);
    case CURLE_COULDNT_CONNECT:
      curl_easy_getinfo (t->easy, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == ECONNREFUSED)
        return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_CONNECT, "connection refused to %s",
                            t->log_url);
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_CONNECT, "cannot connect to %s: %s",
                          t->log_url, os_errno != 0 ? g_strerror (os_errno) : detail);
    case CURLE_OPERATION_TIMEDOUT:
      curl_easy_getinfo (t->easy, CURLINFO_CONNECT_TIME, &connect_time);
      curl_easy_getinfo (t->easy, CURLINFO_TOTAL_TIME, &total_time);
      if (connect_time == 0)
        return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_TIMEOUT,
                            "no connection to %s after %.1f s", t->log_url, total_time);
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_TIMEOUT,
                          "no complete response from %s after %.1f s", t->log_url, total_time);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_TLS, "TLS failure with %s: %s",
                          t->log_url, detail);
    case CURLE_SEND_ERROR:
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_SEND, "cannot send the request to %s: %s",
                          t->log_url, detail);
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
      return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_RECEIVE,
                          "bad or incomplete response from %s: %s", t->log_url, detail);
    case CURLE_WRITE_ERROR:
      if (t->header_overflow)
        return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_RECEIVE,
                            "response headers from %s exceed %d bytes", t->log_url,
                            MAX_HEADER_BYTES);
      break;
    default:
      break;
    }
  return g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_OTHER, "request to %s failed: %s", t->log_url,
                      detail);
}

/* Moves what libcurl knows about the finished transfer into the response. */
static void
fill_response (transfer *t, CURLcode code)
{
  ph_http_response *r = &t->response;
  char *redirect = NULL;

  curl_easy_getinfo (t->easy, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_getinfo (t->easy, CURLINFO_TOTAL_TIME, &r->total_time);
  if (r->status >= 300 && r->status < 400
      && curl_easy_getinfo (t->easy, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK
      && redirect != NULL)
    r->redirect_url = g_strdup (redirect);
  r->retry_after = parse_retry_after (find_header (r->headers, "Retry-After"));
  /* A body cut at the cap is a response, not a failure. */
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && r->truncated && !t->header_overflow))
    r->error = error_from_curl (t, code);
  /* libcurl reads "HTTP/2555...5.1 301" as status -1 and "HTTP/2 1 204" as
   * 1, without an error (found by tests/fuzz/fuzz_http_answer.c): no
   * receiver meant those; a status is three digits. */
  else if (r->status < 100 || r->status > 999)
    r->error = g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_RECEIVE,
                            "bad response from %s: the status line has no status of three "
                            "digits", t->log_url);
  if (r->status < 100 || r->status > 999)
    r->status = 0;
}

/* The completion queue. */

static void destroy (ph_http *http);

/* Runs every due callback.  Callbacks may submit (their transfers queue up
 * behind) or free http, which nests here through ph_http_free: whoever
 * leaves the outermost run destroys a closing http. */
static void
run_finished (ph_http *http)
{
  GList *link;

  http->dispatch_depth++;
  while ((link = g_queue_pop_head_link (&http->finished)) != NULL)
    {
      transfer *t = link->data;

      t->callback (&t->response, t->user_data);
      transfer_free (t);
    }
  http->dispatch_depth--;
  if (http->closing && http->dispatch_depth == 0)
    destroy (http);
}

static gboolean
on_dispatch (gpointer user_data)
{
  ph_http *http = user_data;

  g_clear_pointer (&http->dispatcher, g_source_unref);
  run_finished (http);
  return G_SOURCE_REMOVE;
}

/* Queues t's callback; the body, if any, becomes the response's. */
static void
finish (ph_http *http, transfer *t)
{
  t->response.body = g_byte_array_free_to_bytes (t->body);
  t->body = NULL;
  g_queue_push_tail_link (&http->finished, &t->link);
  /* While closing, ph_http_free runs the queue itself. */
  if (http->dispatcher == NULL && !http->closing)
    {
      http->dispatcher = g_idle_source_new ();
      /* Answers are not background work: no lower priority than I/O. */
      g_source_set_priority (http->dispatcher, G_PRIORITY_DEFAULT);
      g_source_set_callback (http->dispatcher, on_dispatch, http, NULL);
      g_source_attach (http->dispatcher, http->context);
    }
}

static void
finish_with_error (ph_http *http, transfer *t, GError *error)
{
  t->response.error = error;
  finish (http, t);
}

/* Driving libcurl. */

static void
collect_done (ph_http *http)
{
  CURLMsg *msg;
  int queued;

  while ((msg = curl_multi_info_read (http->multi, &queued)) != NULL)
    {
      transfer *t = NULL;
      CURLcode code;

      if (msg->msg != CURLMSG_DONE)
        continue;
      /* msg is invalid once the handle is removed. */
      code = msg->data.result;
      curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
      g_queue_unlink (&http->running, &t->link);
      curl_multi_remove_handle (http->multi, t->easy);
      fill_response (t, code);
      /* Never reset and kept for the next request: libcurl 7.88 (Debian
       * 12) keeps a pointer to the last header of a handle's previous
       * response, and a folded header line at the start of the next one
       * reads it after it was freed (found by tests/fuzz/fuzz_http_answer.c).
       * A handle of its own for each request costs some 3 % of a delivery
       * (bench/profile-delivery: 481 k -> 495 k instructions, side by side,
       * bench/README.md); connections stay in the multi handle's cache. */
      g_clear_pointer (&t->easy, curl_easy_cleanup);
      finish (http, t);
    }
}

static void
drive (ph_http *http, curl_socket_t fd, int events)
{
  int running;
  CURLMcode rc = curl_multi_socket_action (http->multi, fd, events, &running);

  if (rc != CURLM_OK)
    g_warning ("curl_multi_socket_action: %s", curl_multi_strerror (rc));
  collect_done (http);
}

static gboolean
on_socket_ready (int fd, GIOCondition condition, gpointer user_data)
{
  /* The watch may be freed inside drive(): read it first. */
  socket_watch *watch = user_data;
  ph_http *http = watch->http;
  int events = 0;

  if (condition & G_IO_IN)
    events |= CURL_CSELECT_IN;
  if (condition & G_IO_OUT)
    events |= CURL_CSELECT_OUT;
  if (condition & (G_IO_ERR | G_IO_HUP))
    events |= CURL_CSELECT_ERR;
  drive (http, fd, events);
  return G_SOURCE_CONTINUE;
}

static void
socket_watch_free (socket_watch *watch)
{
  g_source_destroy (watch->source);
  g_source_unref (watch->source);
  watch->http->n_watches--;
  g_free (watch);
}

/* CURLMOPT_SOCKETFUNCTION: what to watch on fd, or stop watching it.
 * watch is what curl_multi_assign attached to fd, NULL the first time. */
static int
on_curl_socket (CURL *easy, curl_socket_t fd, int what, void *user_data, void *socket_data)
{
  ph_http *http = user_data;
  socket_watch *watch = socket_data;
  GIOCondition condition = G_IO_ERR | G_IO_HUP;

  if (what == CURL_POLL_REMOVE)
    {
      if (watch != NULL)
        socket_watch_free (watch);
      return 0;
    }
  if (what & CURL_POLL_IN)
    condition |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    condition |= G_IO_OUT;

  if (watch == NULL)
    {
      watch = g_new0 (socket_watch, 1);
      watch->http = http;
      http->n_watches++;
      curl_multi_assign (http->multi, fd, watch);
    }
  else if (watch->condition == condition)
    return 0;
  else
    {
      g_source_destroy (watch->source);
      g_source_unref (watch->source);
    }
  /* A GUnixFDSource watches fixed conditions: a change means a new one. */
  watch->condition = condition;
  watch->source = g_unix_fd_source_new (fd, condition);
  g_source_set_callback (watch->source, G_SOURCE_FUNC (on_socket_ready), watch, NULL);
  g_source_attach (watch->source, http->context);
  return 0;
}

static gboolean
on_timer (gpointer user_data)
{
  ph_http *http = user_data;

  /* Cleared first: drive() may install the next timer. */
  g_clear_pointer (&http->timer, g_source_unref);
  drive (http, CURL_SOCKET_TIMEOUT, 0);
  return G_SOURCE_REMOVE;
}

/* CURLMOPT_TIMERFUNCTION: replace the timer, -1 deletes it.  libcurl must
 * not be called from here, so 0 ms is a timeout source like any other. */
static int
on_curl_timer (CURLM *multi, long timeout_ms, void *user_data)
{
  ph_http *http = user_data;

  if (http->timer != NULL)
    {
      g_source_destroy (http->timer);
      g_clear_pointer (&http->timer, g_source_unref);
    }
  if (timeout_ms < 0 || http->closing)
    return 0;
  http->timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (http->timer, on_timer, http, NULL);
  g_source_attach (http->timer, http->context);
  return 0;
}

ph_http *
ph_http_new (GMainContext *context)
{
  ph_http *http = g_new0 (ph_http, 1);

  /* Reference-counted by libcurl, and thread-safe since 7.84. */
  curl_global_init (CURL_GLOBAL_DEFAULT);
  http->context = context != NULL ? g_main_context_ref (context)
                                  : g_main_context_ref_thread_default ();
  http->multi = curl_multi_init ();
  curl_multi_setopt (http->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt (http->multi, CURLMOPT_SOCKETDATA, http);
  curl_multi_setopt (http->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt (http->multi, CURLMOPT_TIMERDATA, http);
  return http;
}

void
ph_http_submit (ph_http *http, ph_http_request *req, ph_http_callback callback,
                gpointer user_data)
{
  transfer *t;
  GError *error = NULL;
  CURLMcode rc;

  g_return_if_fail (http != NULL);
  g_return_if_fail (req != NULL);
  g_return_if_fail (callback != NULL);

  t = transfer_new (req, callback, user_data);
  if (http->closing)
    {
      finish_with_error (http, t, g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_CANCELLED,
                                               "request to %s cancelled", t->log_url));
      return;
    }
  if (!check_request (t, &error))
    {
      finish_with_error (http, t, error);
      return;
    }
  t->easy = curl_easy_init ();
  if (!configure_easy (t, &error))
    {
      finish_with_error (http, t, error);
      return;
    }
  /* libcurl answers through on_curl_timer: the transfer starts from the
   * loop, not from here. */
  rc = curl_multi_add_handle (http->multi, t->easy);
  if (rc != CURLM_OK)
    {
      finish_with_error (http, t, g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_OTHER,
                                               "cannot start the request to %s: %s",
                                               t->log_url, curl_multi_strerror (rc)));
      return;
    }
  g_queue_push_tail_link (&http->running, &t->link);
}

static void
destroy (ph_http *http)
{
  if (http->dispatcher != NULL)
    {
      g_source_destroy (http->dispatcher);
      g_clear_pointer (&http->dispatcher, g_source_unref);
    }
  curl_multi_cleanup (http->multi);
  /* Every watched socket belonged to a transfer, and all were removed. */
  g_warn_if_fail (http->n_watches == 0);
  if (http->timer != NULL)
    {
      g_source_destroy (http->timer);
      g_clear_pointer (&http->timer, g_source_unref);
    }
  g_main_context_unref (http->context);
  g_free (http);
  curl_global_cleanup ();
}

void
ph_http_free (ph_http *http)
{
  GList *link;

  if (http == NULL)
    return;
  g_return_if_fail (!http->closing);

  http->closing = TRUE;
  while ((link = g_queue_pop_head_link (&http->running)) != NULL)
    {
      transfer *t = link->data;

      curl_multi_remove_handle (http->multi, t->easy);
      curl_easy_getinfo (t->easy, CURLINFO_TOTAL_TIME, &t->response.total_time);
      finish_with_error (http, t, g_error_new (PH_HTTP_ERROR, PH_HTTP_ERROR_CANCELLED,
                                               "request to %s cancelled", t->log_url));
    }
  run_finished (http);
}
