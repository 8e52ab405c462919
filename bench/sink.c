/* The bench's receiver: a single-threaded epoll HTTP/1.1 server on
 * 127.0.0.1 that answers every request "204 No Content", keeping the
 * connection alive.  For each request it notes when the last byte of the
 * body arrived (CLOCK_MONOTONIC, the clock "emit" stamps events with) and,
 * when the body holds "bench_t": NANOSECONDS, the time from that stamp.
 *
 *   sink --port-file PATH [--out PATH] [--dump PATH] [--expect N] [--seconds S]
 *
 * Writes the port to --port-file once it listens.  Stops after --expect
 * requests, after --seconds, or on SIGTERM/SIGINT, then writes one line
 * per stamped request to --out (nanoseconds from stamp to arrival) and
 * prints {"requests": N, "stamped": M} to stdout.  --dump keeps the first
 * request as it came (headers and body), for wrk to send the same. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 4096
#define BUF_SIZE (256 * 1024)
#define MAX_STAMPS 1000000

static const char reply[] = "HTTP/1.1 204 No Content\r\nServer: sink\r\n\r\n";

typedef struct {
  int fd;
  size_t len;
  char *buf;
} conn;

static volatile sig_atomic_t stop;
static int64_t *stamps;
static size_t n_stamps;
static unsigned long n_requests;
static const char *dump_path;

static void
on_signal (int sig)
{
  (void) sig;
  stop = 1;
}

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die (const char *what)
{
  perror (what);
  exit (1);
}

/* The value of the Content-Length field in the header block, 0 if none. */
static size_t
content_length (const char *head, size_t head_len)
{
  const char *p = head, *end = head + head_len;

  while (p < end)
    {
      const char *eol = memmem (p, end - p, "\r\n", 2);

      if (eol == NULL)
        break;
      if ((size_t) (eol - p) > 15 && strncasecmp (p, "Content-Length:", 15) == 0)
        return strtoul (p + 15, NULL, 10);
      p = eol + 2;
    }
  return 0;
}

static void
note_request (const char *req, size_t head_len, size_t body_len, int64_t arrival)
{
  static const char key[] = "\"bench_t\":";
  const char *body = req + head_len;
  const char *hit = memmem (body, body_len, key, sizeof key - 1);

  n_requests++;
  if (hit != NULL && n_stamps < MAX_STAMPS)
    {
      int64_t t = strtoll (hit + sizeof key - 1, NULL, 10);

      if (t > 0)
        stamps[n_stamps++] = arrival - t;
    }
  if (dump_path != NULL)
    {
      FILE *f = fopen (dump_path, "wb");

      if (f != NULL)
        {
          fwrite (req, 1, head_len + body_len, f);
          fclose (f);
        }
      dump_path = NULL;
    }
}

/* Handles every complete request in c's buffer; FALSE when c is to close. */
static int
serve (conn *c)
{
  size_t off = 0;

  for (;;)
    {
      char *head_end = memmem (c->buf + off, c->len - off, "\r\n\r\n", 4);
      size_t head_len, body_len;

      if (head_end == NULL)
        break;
      head_len = head_end + 4 - (c->buf + off);
      body_len = content_length (c->buf + off, head_len);
      if (head_len + body_len > BUF_SIZE)
        return 0;
      if (c->len - off < head_len + body_len)
        break;
      note_request (c->buf + off, head_len, body_len, now_ns ());
      if (write (c->fd, reply, sizeof reply - 1) != (ssize_t) (sizeof reply - 1))
        return 0;
      off += head_len + body_len;
    }
  memmove (c->buf, c->buf + off, c->len - off);
  c->len -= off;
  return c->len < BUF_SIZE;
}

int
main (int argc, char **argv)
{
  const char *port_file = NULL, *out_path = NULL;
  unsigned long expect = 0;
  double seconds = 600;
  struct sockaddr_in addr = { 0 };
  socklen_t addr_len = sizeof addr;
  struct epoll_event ev, events[64];
  int lfd, ep, one = 1;
  int64_t deadline;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--port-file") == 0)
        port_file = argv[i + 1];
      else if (strcmp (argv[i], "--out") == 0)
        out_path = argv[i + 1];
      else if (strcmp (argv[i], "--dump") == 0)
        dump_path = argv[i + 1];
      else if (strcmp (argv[i], "--expect") == 0)
        expect = strtoul (argv[i + 1], NULL, 10);
      else if (strcmp (argv[i], "--seconds") == 0)
        seconds = atof (argv[i + 1]);
      else
        {
          fprintf (stderr, "sink: unknown option %s\n", argv[i]);
          return 2;
        }
    }
  if (port_file == NULL)
    {
      fprintf (stderr, "usage: sink --port-file PATH [--out PATH] [--dump PATH] "
                       "[--expect N] [--seconds S]\n");
      return 2;
    }
  stamps = calloc (MAX_STAMPS, sizeof *stamps);
  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);
  signal (SIGPIPE, SIG_IGN);

  lfd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (lfd < 0)
    die ("socket");
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (lfd, 1024) < 0)
    die ("bind/listen");
  getsockname (lfd, (struct sockaddr *) &addr, &addr_len);
  {
    char tmp[4096];
    FILE *f;

    snprintf (tmp, sizeof tmp, "%s.tmp", port_file);
    f = fopen (tmp, "w");
    if (f == NULL)
      die (tmp);
    fprintf (f, "%d\n", ntohs (addr.sin_port));
    fclose (f);
    rename (tmp, port_file);
  }

  ep = epoll_create1 (0);
  ev.events = EPOLLIN;
  ev.data.ptr = NULL;
  epoll_ctl (ep, EPOLL_CTL_ADD, lfd, &ev);
  deadline = now_ns () + (int64_t) (seconds * 1e9);

  while (!stop && (expect == 0 || n_requests < expect) && now_ns () < deadline)
    {
      int n = epoll_wait (ep, events, 64, 100);

      for (int i = 0; i < n; i++)
        {
          conn *c = events[i].data.ptr;

          if (c == NULL)
            {
              int fd;

              while ((fd = accept4 (lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
                {
                  if (fd >= MAX_CONN)
                    {
                      close (fd);
                      continue;
                    }
                  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                  c = calloc (1, sizeof *c);
                  c->fd = fd;
                  c->buf = malloc (BUF_SIZE);
                  ev.events = EPOLLIN;
                  ev.data.ptr = c;
                  epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev);
                }
              continue;
            }
          for (;;)
            {
              ssize_t got = read (c->fd, c->buf + c->len, BUF_SIZE - c->len);

              if (got > 0)
                {
                  c->len += got;
                  if (!serve (c))
                    got = 0;
                  else
                    continue;
                }
              if (got == 0 || (errno != EAGAIN && errno != EINTR))
                {
                  epoll_ctl (ep, EPOLL_CTL_DEL, c->fd, NULL);
                  close (c->fd);
                  free (c->buf);
                  free (c);
                }
              break;
            }
        }
    }

  if (out_path != NULL)
    {
      FILE *f = fopen (out_path, "w");

      if (f == NULL)
        die (out_path);
      for (size_t i = 0; i < n_stamps; i++)
        fprintf (f, "%lld\n", (long long) stamps[i]);
      fclose (f);
    }
  printf ("{\"requests\": %lu, \"stamped\": %zu}\n", n_requests, n_stamps);
  return 0;
}
