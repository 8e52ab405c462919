/* What a receiver answers, as printhook's HTTP client takes it
 * (delivery/http.c on libcurl): the input is the whole answer, bytes as
 * they come over the wire, sent by a server thread on 127.0.0.1 to a real
 * request; its header lines (folded ones too), Retry-After as seconds or
 * an HTTP-date, the body cut at the cap, a redirect's Location; then the
 * delay the retry schedule makes of it (delivery/backoff.c).  The
 * properties: the callback runs exactly once, a response has a status (of
 * up to three digits) or an error, the body is never over the cap, Retry-After's delay-seconds
 * come through as sent, and the retry delay is never sooner than the
 * receiver asked (up to the ceiling) nor later than the ceiling allows. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "delivery/backoff.h"
#include "delivery/http.h"

#define MAX_BODY 1024
#define SCHEDULE_DELAY 10.0
#define MAX_RETRY_AFTER 3600.0
#define ANSWER_LIMIT_MS 5000

static struct {
  ph_http *http;
  int listener;
  char *url;
  GMutex lock;
  GCond ready;
  GBytes *answer;              /* what the server sends next; NULL: none asked */
} world;

/* Reads the request's head (or gives up after a second) and answers. */
static gpointer
serve (gpointer data)
{
  (void) data;
  for (;;)
    {
      int fd = accept (world.listener, NULL, NULL);
      struct timeval second = { 1, 0 };
      GString *head = g_string_new (NULL);
      g_autoptr (GBytes) answer = NULL;
      char buffer[4096];
      ssize_t n;

      if (fd < 0)
        continue;
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
      while (strstr (head->str, "\r\n\r\n") == NULL
             && (n = read (fd, buffer, sizeof buffer - 1)) > 0)
        g_string_append_len (head, buffer, n);
      g_string_free (head, TRUE);
      g_mutex_lock (&world.lock);
      answer = g_steal_pointer (&world.answer);
      g_mutex_unlock (&world.lock);
      if (answer != NULL)
        {
          gsize size;
          const char *bytes = g_bytes_get_data (answer, &size);

          for (gsize sent = 0; sent < size && (n = write (fd, bytes + sent, size - sent)) > 0;)
            sent += (gsize) n;
        }
      shutdown (fd, SHUT_WR);
      /* Until the client is done with it, so that it sees the end. */
      while (read (fd, buffer, sizeof buffer) > 0)
        ;
      close (fd);
    }
  return NULL;
}

static void
set_up (void)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof address;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  world.listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (world.listener < 0 || bind (world.listener, (struct sockaddr *) &address, sizeof address) != 0
      || listen (world.listener, 8) != 0
      || getsockname (world.listener, (struct sockaddr *) &address, &length) != 0)
    abort ();
  world.url = g_strdup_printf ("http://127.0.0.1:%u/hook", ntohs (address.sin_port));
  world.http = ph_http_new (NULL);
  g_mutex_init (&world.lock);
  g_thread_unref (g_thread_new ("answers", serve, NULL));
}

typedef struct {
  guint calls;
  gboolean has_error;
  long status;
  gsize body_size;
  gboolean truncated;
  gint64 retry_after;
  char *retry_after_header;
} outcome;

static void
on_response (const ph_http_response *response, gpointer user_data)
{
  outcome *o = user_data;
  const char *header = ph_http_response_get_header (response, "Retry-After");

  o->calls++;
  o->has_error = ph_http_response_get_error (response) != NULL;
  o->status = ph_http_response_get_status (response);
  o->body_size = g_bytes_get_size (ph_http_response_get_body (response));
  o->truncated = ph_http_response_is_truncated (response);
  o->retry_after = ph_http_response_get_retry_after (response);
  o->retry_after_header = g_strdup (header);
  (void) ph_http_response_get_redirect_url (response);
}

/* The delay-seconds of a Retry-After value, or -1 for anything else. */
static gint64
delay_seconds (const char *value)
{
  guint64 seconds;

  if (value == NULL || !g_ascii_isdigit (*value)
      || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &seconds, NULL))
    return -1;
  return (gint64) seconds;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ph_http_request *request;
  outcome o = { 0 };
  gint64 deadline;
  double delay;

  if (world.http == NULL)
    set_up ();
  g_mutex_lock (&world.lock);
  g_clear_pointer (&world.answer, g_bytes_unref);
  world.answer = g_bytes_new (data, size);
  g_mutex_unlock (&world.lock);
  request = ph_http_request_new ("GET", world.url);
  ph_http_request_set_timeouts (request, 2, 3);
  ph_http_request_set_max_response_bytes (request, MAX_BODY);
  ph_http_submit (world.http, request, on_response, &o);
  if (o.calls != 0)
    PH_FUZZ_FAIL ("the callback ran inside ph_http_submit");
  deadline = g_get_monotonic_time () + ANSWER_LIMIT_MS * 1000;
  while (o.calls == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (o.calls != 1)
    PH_FUZZ_FAIL ("the callback ran %u times within %d ms", o.calls, ANSWER_LIMIT_MS);
  if (!o.has_error && (o.status < 100 || o.status > 999))
    PH_FUZZ_FAIL ("a response without an error has status %ld", o.status);
  if (o.body_size > MAX_BODY || (o.truncated && o.body_size != MAX_BODY))
    PH_FUZZ_FAIL ("a body of %zu bytes kept (cap %d, truncated %d)", o.body_size, MAX_BODY,
                  o.truncated);
  if (o.retry_after < -1)
    PH_FUZZ_FAIL ("Retry-After gave %" G_GINT64_FORMAT, o.retry_after);
  if (delay_seconds (o.retry_after_header) != -1
      && o.retry_after != delay_seconds (o.retry_after_header))
    PH_FUZZ_FAIL ("Retry-After: %s came through as %" G_GINT64_FORMAT, o.retry_after_header,
                  o.retry_after);
  delay = ph_backoff_limit_retry_after (SCHEDULE_DELAY, o.retry_after, o.status, MAX_RETRY_AFTER);
  if (delay < SCHEDULE_DELAY
      || (o.retry_after >= 0 && delay < MIN ((double) o.retry_after, MAX_RETRY_AFTER))
      || delay > MAX (MAX_RETRY_AFTER, (double) PH_BACKOFF_429_FLOOR_S))
    PH_FUZZ_FAIL ("a retry %g s after asking for %" G_GINT64_FORMAT " s (status %ld)", delay,
                  o.retry_after, o.status);
  g_free (o.retry_after_header);
  return 0;
}
