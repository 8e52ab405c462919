/* The floor of bench part 7's latency: stamped messages published straight
 * to the broker by a sender that does nothing else, as part 2's floor
 * POSTs straight to the receiver.  bench/mqtt_sink measures their arrival
 * the same way as printhook's.
 *
 *   mqtt_pub --port P --payload-file PATH [--topic T] [--rate R] [--seconds S]
 *
 * Connects to 127.0.0.1:P (MQTT 5, TCP_NODELAY, as printhook's mqtt module
 * does) and publishes R messages a second for S seconds on a fixed
 * schedule, QoS 1, on topic T (default bench/floor): each the payload of
 * PATH (a JSON object: printhook's body, from a subscriber) with
 * "bench_t": CLOCK_MONOTONIC nanoseconds inserted after its first "{",
 * stamped just before the publish, with the Content-Type property
 * printhook sends.  One thread: between ticks it waits in poll() on the
 * client's socket and does the client's reading and writing itself.  Then
 * waits (at most 10 s) for the last PUBACK and prints
 * {"sent": N, "acked": M}. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

static int connected;
static int refused;
static unsigned long acked;

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
on_connect (struct mosquitto *mosq, void *data, int rc, int flags, const mosquitto_property *props)
{
  if (rc == 0)
    connected = 1;
  else
    refused = 1;
}

static void
on_publish (struct mosquitto *mosq, void *data, int mid, int rc, const mosquitto_property *props)
{
  acked++;
}

/* Serves the client's socket until deadline (CLOCK_MONOTONIC ns); FALSE
 * when the connection failed. */
static int
serve_until (struct mosquitto *mosq, int64_t deadline)
{
  for (;;)
    {
      int64_t left = deadline - now_ns ();
      struct pollfd pfd = { mosquitto_socket (mosq), POLLIN, 0 };
      struct timespec ts;
      int n;

      if (mosquitto_want_write (mosq))
        pfd.events |= POLLOUT;
      if (left <= 0)
        return 1;
      ts.tv_sec = left / 1000000000;
      ts.tv_nsec = left % 1000000000;
      n = ppoll (&pfd, 1, &ts, NULL);
      if (n < 0 && errno != EINTR)
        return 0;
      if (n > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))
          && mosquitto_loop_read (mosq, 1) != MOSQ_ERR_SUCCESS)
        return 0;
      if (n > 0 && (pfd.revents & POLLOUT) && mosquitto_loop_write (mosq, 1) != MOSQ_ERR_SUCCESS)
        return 0;
      if (mosquitto_loop_misc (mosq) != MOSQ_ERR_SUCCESS)
        return 0;
    }
}

int
main (int argc, char **argv)
{
  const char *topic = "bench/floor", *payload_path = NULL;
  int port = 0;
  double rate = 200, seconds = 10;
  static char payload[1 << 17], message[(1 << 17) + 64];
  size_t payload_len;
  const char *brace;
  unsigned long total, sent;
  int64_t period, t0, deadline;
  mosquitto_property *props = NULL;
  struct mosquitto *mosq;
  FILE *f;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      const char *k = argv[i], *v = argv[i + 1];

      if (strcmp (k, "--port") == 0)
        port = atoi (v);
      else if (strcmp (k, "--topic") == 0)
        topic = v;
      else if (strcmp (k, "--payload-file") == 0)
        payload_path = v;
      else if (strcmp (k, "--rate") == 0)
        rate = atof (v);
      else if (strcmp (k, "--seconds") == 0)
        seconds = atof (v);
      else
        {
          fprintf (stderr, "mqtt_pub: unknown option %s\n", k);
          return 2;
        }
    }
  if (port <= 0 || payload_path == NULL || rate <= 0)
    {
      fprintf (stderr, "usage: mqtt_pub --port P --payload-file PATH [--topic T] [--rate R] "
                       "[--seconds S]\n");
      return 2;
    }
  f = fopen (payload_path, "rb");
  if (f == NULL)
    {
      perror (payload_path);
      return 1;
    }
  payload_len = fread (payload, 1, sizeof payload - 1, f);
  fclose (f);
  payload[payload_len] = '\0';
  brace = memchr (payload, '{', payload_len);
  if (brace == NULL)
    {
      fprintf (stderr, "mqtt_pub: %s holds no JSON object\n", payload_path);
      return 1;
    }

  mosquitto_lib_init ();
  mosq = mosquitto_new (NULL, true, NULL);
  if (mosq == NULL)
    return 1;
  mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option (mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_v5_callback_set (mosq, on_connect);
  mosquitto_publish_v5_callback_set (mosq, on_publish);
  mosquitto_property_add_string (&props, MQTT_PROP_CONTENT_TYPE, "application/json");
  if (mosquitto_connect (mosq, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS)
    {
      fprintf (stderr, "mqtt_pub: could not connect to 127.0.0.1:%d\n", port);
      return 1;
    }
  deadline = now_ns () + 10000000000LL;
  while (!connected && !refused && now_ns () < deadline)
    if (!serve_until (mosq, now_ns () + 10000000))
      break;
  if (!connected)
    {
      fprintf (stderr, "mqtt_pub: no CONNACK from 127.0.0.1:%d\n", port);
      return 1;
    }

  total = (unsigned long) (rate * seconds + 0.5);
  period = (int64_t) (1e9 / rate);
  t0 = now_ns () + 20000000;
  for (sent = 0; sent < total; sent++)
    {
      size_t head = brace + 1 - payload;
      int n;

      if (!serve_until (mosq, t0 + (int64_t) sent * period))
        break;
      memcpy (message, payload, head);
      n = snprintf (message + head, 64, "\"bench_t\":%lld%s", (long long) now_ns (),
                    brace[1] == '}' ? "" : ",");
      memcpy (message + head + n, payload + head, payload_len - head);
      if (mosquitto_publish_v5 (mosq, NULL, topic, (int) (payload_len + n), message, 1, false,
                                props) != MOSQ_ERR_SUCCESS)
        break;
      if (mosquitto_want_write (mosq) && mosquitto_loop_write (mosq, 1) != MOSQ_ERR_SUCCESS)
        break;
    }
  deadline = now_ns () + 10000000000LL;
  while (acked < sent && now_ns () < deadline)
    if (!serve_until (mosq, now_ns () + 10000000))
      break;
  printf ("{\"sent\": %lu, \"acked\": %lu}\n", sent, acked);
  mosquitto_disconnect (mosq);
  mosquitto_loop_write (mosq, 1);
  mosquitto_property_free_all (&props);
  mosquitto_destroy (mosq);
  mosquitto_lib_cleanup ();
  return acked == total ? 0 : 1;
}
