/* The bench's event source: hands events to a running "printhook run"
 * through its control socket, one connection, one request line per event
 * (core/daemon/control_protocol.h), as "printhook emit" does once per process.
 *
 *   emit --socket PATH --mode burst --events N --window D [--per-event K]
 *        [--timeout S] [common options]
 *      Sends N events as fast as the daemon takes them while at most D
 *      deliveries are unfinished.  It learns how many deliveries each event
 *      made from the daemon's reply, and when each finished from the
 *      daemon's log on stdin ("... delivered ..." / "... NOT delivered ...",
 *      the lines "printhook run" writes at log level info).  Reports the
 *      deliveries per second from the first event sent to the last
 *      delivery logged.  At most D events wait for their reply; with
 *      --per-event 0 (events no hook takes) it measures the socket alone.
 *
 *   emit --socket PATH --mode rate --rate R --seconds T [common options]
 *      Sends R events a second for T seconds on a fixed schedule, each
 *      stamped in its payload with "bench_t": CLOCK_MONOTONIC nanoseconds
 *      taken just before the write (bench/sink measures arrival against it).
 *
 *   emit --mode http --port P --rate R --seconds T [--per-event K]
 *        [--payload JSON] [--printer JSON]
 *      The floor to compare with: no printhook.  Keeps K connections to
 *      127.0.0.1:P alive and at each tick POSTs one stamped JSON body of
 *      about the size printhook sends on each, as a sender that does
 *      nothing else would; bench/sink measures arrival the same way.
 *
 *   common: --event NAME (default PrintDone), --payload JSON (an object),
 *           --printer JSON (an object, or "" for none), --sources K (events
 *           go round-robin to sources src1..srcK, which then supply the
 *           printer data).
 *
 * Prints one JSON object with what happened. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  const char *socket_path;
  const char *mode;
  const char *event;
  const char *payload;
  const char *printer;
  unsigned long events;
  unsigned long window;
  unsigned long per_event;
  unsigned long sources;
  unsigned long port;
  double rate;
  double seconds;
  double timeout;
} options;

typedef struct {
  char data[65536];
  size_t len;
} line_reader;

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
connect_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  if (fd < 0)
    return -1;
  strncpy (addr.sun_path, path, sizeof addr.sun_path - 1);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* The request line for event number i, newline included, into buf. */
static size_t
make_line (char *buf, size_t size, const options *o, unsigned long i, int64_t stamp)
{
  const char *inner = strchr (o->payload, '{');
  char source[64] = "";
  char stamp_text[64] = "";
  int n;

  inner = inner != NULL ? inner + 1 : "}";
  while (*inner == ' ')
    inner++;
  if (o->sources > 0)
    snprintf (source, sizeof source, ",\"source\":\"src%lu\"", 1 + i % o->sources);
  if (stamp > 0)
    snprintf (stamp_text, sizeof stamp_text, "\"bench_t\":%lld%s", (long long) stamp,
              *inner == '}' ? "" : ",");
  n = snprintf (buf, size, "{\"event\":\"%s\"%s,\"payload\":{%s%s%s%s}\n", o->event, source,
                stamp_text, inner, *o->printer != '\0' ? ",\"printer\":" : "", o->printer);
  if (n < 0 || (size_t) n >= size)
    {
      fprintf (stderr, "emit: the request line is too long\n");
      exit (1);
    }
  return n;
}

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          perror ("emit: writing to the control socket");
          exit (1);
        }
      buf += n;
      len -= n;
    }
}

/* Reads what fd has and calls on_line for each complete line; returns
 * FALSE at end of file. */
static int
read_lines (int fd, line_reader *r, void (*on_line) (const char *, void *), void *data)
{
  ssize_t n = read (fd, r->data + r->len, sizeof r->data - 1 - r->len);
  char *start, *nl;

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n <= 0)
    return 0;
  r->len += n;
  r->data[r->len] = '\0';
  start = r->data;
  while ((nl = memchr (start, '\n', r->data + r->len - start)) != NULL)
    {
      *nl = '\0';
      on_line (start, data);
      start = nl + 1;
    }
  r->len -= start - r->data;
  memmove (r->data, start, r->len);
  if (r->len == sizeof r->data - 1)
    r->len = 0;   /* a line longer than the buffer: dropped */
  return 1;
}

typedef struct {
  unsigned long replies;
  unsigned long accepted;
  unsigned long deliveries;   /* as the replies counted them */
  unsigned long delivered;
  unsigned long failed;
  int64_t last_delivery;
  int64_t last_reply;
  char first_refusal[256];
} counts;

static void
on_reply (const char *line, void *data)
{
  counts *c = data;
  const char *d = strstr (line, "\"deliveries\":");

  c->replies++;
  c->last_reply = now_ns ();
  if (strstr (line, "\"accepted\":true") != NULL || strstr (line, "\"accepted\": true") != NULL)
    {
      c->accepted++;
      if (d != NULL)
        c->deliveries += strtoul (d + 13, NULL, 10);
    }
  else if (c->first_refusal[0] == '\0')
    snprintf (c->first_refusal, sizeof c->first_refusal, "%s", line);
}

static void
on_log_line (const char *line, void *data)
{
  counts *c = data;

  if (strstr (line, " NOT delivered ") != NULL)
    c->failed++;
  else if (strstr (line, " delivered") != NULL)
    c->delivered++;
  else
    return;
  c->last_delivery = now_ns ();
}

static void
print_counts (const options *o, const counts *c, unsigned long sent, int64_t t0, int64_t t1)
{
  double seconds = (t1 - t0) / 1e9;
  unsigned long finished = c->delivered + c->failed;

  printf ("{\"mode\": \"%s\", \"sent\": %lu, \"replies\": %lu, \"accepted\": %lu, "
          "\"deliveries\": %lu, \"delivered\": %lu, \"failed\": %lu, \"seconds\": %.6f, "
          "\"events_per_s\": %.1f, \"deliveries_per_s\": %.1f, \"refusal\": \"",
          o->mode, sent, c->replies, c->accepted, c->deliveries, c->delivered, c->failed,
          seconds, seconds > 0 ? c->replies / seconds : 0,
          seconds > 0 ? finished / seconds : 0);
  for (const char *p = c->first_refusal; *p != '\0'; p++)
    if (*p != '"' && *p != '\\')
      putchar (*p);
  printf ("\"}\n");
}

static int
run_burst (const options *o, int fd)
{
  static char line[1 << 17];
  line_reader replies = { 0 }, log = { 0 };
  counts c = { 0 };
  unsigned long sent = 0;
  int64_t t0 = now_ns (), deadline = t0 + (int64_t) (o->timeout * 1e9);
  int log_open = 1;

  c.last_delivery = t0;
  while (now_ns () < deadline)
    {
      unsigned long expected = c.deliveries + (sent - c.replies) * o->per_event;
      unsigned long finished = c.delivered + c.failed;
      unsigned long in_flight = expected > finished ? expected - finished : 0;
      int want_send = sent < o->events && (in_flight + o->per_event <= o->window || in_flight == 0)
                      && sent - c.replies < o->window;
      struct pollfd fds[2] = { { fd, POLLIN | (want_send ? POLLOUT : 0), 0 },
                               { 0, log_open ? POLLIN : 0, 0 } };

      if (sent == o->events && c.replies == sent && finished >= c.deliveries)
        break;
      if (poll (fds, 2, 100) < 0 && errno != EINTR)
        break;
      if (fds[1].revents & (POLLIN | POLLHUP))
        log_open = read_lines (0, &log, on_log_line, &c);
      if (fds[0].revents & POLLIN)
        if (!read_lines (fd, &replies, on_reply, &c))
          {
            fprintf (stderr, "emit: the daemon closed the control socket\n");
            break;
          }
      if (want_send && (fds[0].revents & POLLOUT))
        {
          write_all (fd, line, make_line (line, sizeof line, o, sent, 0));
          sent++;
        }
    }
  print_counts (o, &c, sent, t0, c.last_delivery > c.last_reply ? c.last_delivery : c.last_reply);
  return c.replies == o->events && c.failed == 0 && c.delivered == c.deliveries ? 0 : 1;
}

static int
run_rate (const options *o, int fd)
{
  static char line[1 << 17];
  line_reader replies = { 0 };
  counts c = { 0 };
  unsigned long total = (unsigned long) (o->rate * o->seconds + 0.5), sent;
  int64_t period = (int64_t) (1e9 / o->rate), t0 = now_ns () + 20000000, t_end;

  for (sent = 0; sent < total; sent++)
    {
      int64_t target = t0 + (int64_t) sent * period;
      struct timespec ts = { target / 1000000000, target % 1000000000 };
      struct pollfd pfd = { fd, POLLIN, 0 };

      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
      write_all (fd, line, make_line (line, sizeof line, o, sent, now_ns ()));
      while (poll (&pfd, 1, 0) > 0 && (pfd.revents & POLLIN))
        if (!read_lines (fd, &replies, on_reply, &c))
          break;
    }
  t_end = now_ns () + (int64_t) (o->timeout * 1e9);
  while (c.replies < sent && now_ns () < t_end)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      if (poll (&pfd, 1, 100) > 0 && !read_lines (fd, &replies, on_reply, &c))
        break;
    }
  print_counts (o, &c, sent, t0, now_ns ());
  return c.accepted == total ? 0 : 1;
}

static int
run_http (const options *o)
{
  static char body[1 << 17], request[1 << 17];
  char drain[4096];
  unsigned long n = o->per_event > 0 ? o->per_event : 1;
  unsigned long total = (unsigned long) (o->rate * o->seconds + 0.5), sent;
  int64_t period = (int64_t) (1e9 / o->rate), t0 = now_ns () + 20000000;
  int fds[64];

  if (n > 64)
    n = 64;
  for (unsigned long k = 0; k < n; k++)
    {
      struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (o->port) };
      int one = 1;

      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      fds[k] = socket (AF_INET, SOCK_STREAM, 0);
      if (fds[k] < 0 || connect (fds[k], (struct sockaddr *) &addr, sizeof addr) < 0)
        {
          perror ("emit: connecting to the receiver");
          return 1;
        }
      setsockopt (fds[k], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  for (sent = 0; sent < total; sent++)
    {
      int64_t target = t0 + (int64_t) sent * period;
      struct timespec ts = { target / 1000000000, target % 1000000000 };

      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
      for (unsigned long k = 0; k < n; k++)
        {
          size_t len = make_line (body, sizeof body, o, sent, now_ns ());
          int head = snprintf (request, sizeof request,
                               "POST /h%lu HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                               k + 1, len);

          memcpy (request + head, body, len);
          write_all (fds[k], request, head + len);
        }
      for (unsigned long k = 0; k < n; k++)
        {
          struct pollfd pfd = { fds[k], POLLIN, 0 };

          while (poll (&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)
                 && read (fds[k], drain, sizeof drain) > 0)
            ;
        }
    }
  printf ("{\"mode\": \"http\", \"sent\": %lu}\n", sent * n);
  return 0;
}

int
main (int argc, char **argv)
{
  options o = { .mode = "burst", .event = "PrintDone", .payload = "{}", .printer = "",
                .events = 1000, .window = 24, .per_event = 3, .rate = 200, .seconds = 10,
                .timeout = 60 };
  int fd;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      const char *k = argv[i], *v = argv[i + 1];

      if (strcmp (k, "--socket") == 0)
        o.socket_path = v;
      else if (strcmp (k, "--mode") == 0)
        o.mode = v;
      else if (strcmp (k, "--event") == 0)
        o.event = v;
      else if (strcmp (k, "--payload") == 0)
        o.payload = v;
      else if (strcmp (k, "--printer") == 0)
        o.printer = v;
      else if (strcmp (k, "--events") == 0)
        o.events = strtoul (v, NULL, 10);
      else if (strcmp (k, "--window") == 0)
        o.window = strtoul (v, NULL, 10);
      else if (strcmp (k, "--per-event") == 0)
        o.per_event = strtoul (v, NULL, 10);
      else if (strcmp (k, "--sources") == 0)
        o.sources = strtoul (v, NULL, 10);
      else if (strcmp (k, "--port") == 0)
        o.port = strtoul (v, NULL, 10);
      else if (strcmp (k, "--rate") == 0)
        o.rate = atof (v);
      else if (strcmp (k, "--seconds") == 0)
        o.seconds = atof (v);
      else if (strcmp (k, "--timeout") == 0)
        o.timeout = atof (v);
      else
        {
          fprintf (stderr, "emit: unknown option %s\n", k);
          return 2;
        }
    }
  if ((o.socket_path == NULL && strcmp (o.mode, "http") != 0) || o.rate <= 0)
    {
      fprintf (stderr, "usage: emit --socket PATH --mode burst|rate ... (see bench/emit.c)\n");
      return 2;
    }
  if (strcmp (o.mode, "http") == 0)
    return run_http (&o);
  fd = connect_socket (o.socket_path);
  if (fd < 0)
    {
      perror ("emit: connecting to the control socket");
      return 1;
    }
  if (strcmp (o.mode, "rate") == 0)
    return run_rate (&o, fd);
  return run_burst (&o, fd);
}
