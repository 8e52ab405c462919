/* The bench's MQTT receiver (bench part 7): a libmosquitto client that
 * subscribes to a topic filter on a broker at 127.0.0.1 and, for each
 * message, notes when it arrived (CLOCK_MONOTONIC, the clock "emit" stamps
 * events with) and, when the payload holds "bench_t": NANOSECONDS, the time
 * from that stamp -- what bench/sink does for HTTP.
 *
 *   mqtt_sink --port P [--topic FILTER] [--qos Q] [--ready-file PATH]
 *             [--out PATH] [--dump PATH] [--expect N] [--seconds S]
 *
 * Connects (MQTT 5, clean start, TCP_NODELAY), subscribes to FILTER
 * (default bench/#) with QoS Q (default 1), and writes "ready" to
 * --ready-file once the broker granted the subscription.  Stops after
 * --expect messages, after --seconds (from the start), or on SIGTERM/SIGINT,
 * then writes one line per stamped message to --out (nanoseconds from stamp
 * to arrival) and prints {"messages": N, "stamped": M} to stdout.  --dump
 * keeps the first message's payload as it came. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define MAX_STAMPS 1000000

typedef struct {
  const char *topic;
  int qos;
  const char *ready_path;
  const char *dump_path;
  unsigned long expect;
  unsigned long messages;
  int64_t *stamps;
  size_t n_stamps;
  int failed;
} sink;

static volatile sig_atomic_t stop;

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
write_file (const char *path, const void *data, size_t len)
{
  char tmp[4096];
  FILE *f;

  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  f = fopen (tmp, "wb");
  if (f == NULL)
    {
      perror (tmp);
      exit (1);
    }
  fwrite (data, 1, len, f);
  fclose (f);
  rename (tmp, path);
}

static void
on_connect (struct mosquitto *mosq, void *data, int rc, int flags, const mosquitto_property *props)
{
  sink *s = data;

  if (rc != 0)
    {
      fprintf (stderr, "mqtt_sink: the broker refused the connection: %s\n",
               mosquitto_reason_string (rc));
      s->failed = 1;
      return;
    }
  if (mosquitto_subscribe_v5 (mosq, NULL, s->topic, s->qos, 0, NULL) != MOSQ_ERR_SUCCESS)
    {
      fprintf (stderr, "mqtt_sink: could not subscribe to %s\n", s->topic);
      s->failed = 1;
    }
}

static void
on_subscribe (struct mosquitto *mosq, void *data, int mid, int count, const int *granted,
              const mosquitto_property *props)
{
  sink *s = data;

  if (count < 1 || granted[0] > 2)
    {
      fprintf (stderr, "mqtt_sink: the broker refused the subscription to %s\n", s->topic);
      s->failed = 1;
      return;
    }
  if (s->ready_path != NULL)
    write_file (s->ready_path, "ready\n", 6);
}

static void
on_message (struct mosquitto *mosq, void *data, const struct mosquitto_message *m,
            const mosquitto_property *props)
{
  static const char key[] = "\"bench_t\":";
  sink *s = data;
  int64_t arrival = now_ns ();
  const char *hit = m->payloadlen > 0 ? memmem (m->payload, m->payloadlen, key, sizeof key - 1)
                                      : NULL;

  s->messages++;
  if (hit != NULL && s->n_stamps < MAX_STAMPS)
    {
      const char *p = hit + sizeof key - 1, *end = (const char *) m->payload + m->payloadlen;
      int64_t t = 0;

      while (p < end && *p >= '0' && *p <= '9')
        t = t * 10 + (*p++ - '0');

      if (t > 0)
        s->stamps[s->n_stamps++] = arrival - t;
    }
  if (s->dump_path != NULL)
    {
      write_file (s->dump_path, m->payload, m->payloadlen);
      s->dump_path = NULL;
    }
}

int
main (int argc, char **argv)
{
  sink s = { .topic = "bench/#", .qos = 1 };
  const char *out_path = NULL;
  int port = 0, rc, one = 1;
  double seconds = 600;
  struct mosquitto *mosq;
  int64_t deadline;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      const char *k = argv[i], *v = argv[i + 1];

      if (strcmp (k, "--port") == 0)
        port = atoi (v);
      else if (strcmp (k, "--topic") == 0)
        s.topic = v;
      else if (strcmp (k, "--qos") == 0)
        s.qos = atoi (v);
      else if (strcmp (k, "--ready-file") == 0)
        s.ready_path = v;
      else if (strcmp (k, "--out") == 0)
        out_path = v;
      else if (strcmp (k, "--dump") == 0)
        s.dump_path = v;
      else if (strcmp (k, "--expect") == 0)
        s.expect = strtoul (v, NULL, 10);
      else if (strcmp (k, "--seconds") == 0)
        seconds = atof (v);
      else
        {
          fprintf (stderr, "mqtt_sink: unknown option %s\n", k);
          return 2;
        }
    }
  if (port <= 0 || s.qos < 0 || s.qos > 2)
    {
      fprintf (stderr, "usage: mqtt_sink --port P [--topic FILTER] [--qos Q] [--ready-file PATH] "
                       "[--out PATH] [--dump PATH] [--expect N] [--seconds S]\n");
      return 2;
    }
  s.stamps = calloc (MAX_STAMPS, sizeof *s.stamps);
  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);
  signal (SIGPIPE, SIG_IGN);
  deadline = now_ns () + (int64_t) (seconds * 1e9);

  mosquitto_lib_init ();
  mosq = mosquitto_new (NULL, true, &s);
  if (mosq == NULL || s.stamps == NULL)
    {
      fprintf (stderr, "mqtt_sink: out of memory\n");
      return 1;
    }
  mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option (mosq, MOSQ_OPT_TCP_NODELAY, one);
  mosquitto_connect_v5_callback_set (mosq, on_connect);
  mosquitto_subscribe_v5_callback_set (mosq, on_subscribe);
  mosquitto_message_v5_callback_set (mosq, on_message);
  rc = mosquitto_connect (mosq, "127.0.0.1", port, 60);
  if (rc != MOSQ_ERR_SUCCESS)
    {
      fprintf (stderr, "mqtt_sink: connecting to 127.0.0.1:%d: %s\n", port,
               mosquitto_strerror (rc));
      return 1;
    }
  while (!stop && !s.failed && (s.expect == 0 || s.messages < s.expect) && now_ns () < deadline)
    {
      rc = mosquitto_loop (mosq, 100, 1);
      if (rc != MOSQ_ERR_SUCCESS)
        {
          fprintf (stderr, "mqtt_sink: %s\n", mosquitto_strerror (rc));
          break;
        }
    }
  /* The PUBACK of the last message goes out in the loop that read it;
   * one more turn lets a disconnect reach the broker. */
  mosquitto_disconnect (mosq);
  mosquitto_loop (mosq, 100, 1);
  mosquitto_destroy (mosq);
  mosquitto_lib_cleanup ();

  if (out_path != NULL)
    {
      FILE *f = fopen (out_path, "w");

      if (f == NULL)
        {
          perror (out_path);
          return 1;
        }
      for (size_t i = 0; i < s.n_stamps; i++)
        fprintf (f, "%lld\n", (long long) s.stamps[i]);
      fclose (f);
    }
  printf ("{\"messages\": %lu, \"stamped\": %zu}\n", s.messages, s.n_stamps);
  return s.failed;
}
