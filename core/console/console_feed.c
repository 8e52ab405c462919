/* GET /api/v1/events: Server-Sent Events of every event received and
 * every attempt's outcome.  A client that stopped reading is dropped (see
 * PH_CONSOLE_FEED_BACKLOG): the feed never holds the loop or the memory
 * for it. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#include "text/json_text.h"

/* A client is dropped when it holds this much not yet written and has
 * read nothing for STALL_S, or at once when it holds HARD_BACKLOG: a
 * client that keeps reading is never dropped by a burst, one that stopped
 * costs at most a few megabytes for a few seconds. */
#define PH_CONSOLE_FEED_BACKLOG (64 * 1024)
#define HARD_BACKLOG (4 * 1024 * 1024)
#define STALL_S 5
#define MAX_CLIENTS 16
#define KEEPALIVE_S 15

typedef struct {
  ph_console_feed *feed;
  SoupServerMessage *msg;      /* a reference */
  gsize queued;                /* appended, not yet written */
  gint64 progress;             /* monotonic: when libsoup last wrote some of it */
  gboolean dropped;            /* its stream is being closed */
  gulong wrote_handler;
  gulong finished_handler;
} client;

struct ph_console_feed {
  ph_console *console;
  GPtrArray *clients;          /* client * */
  guint keepalive;
  GString *pending;            /* messages of this turn of the loop, not sent yet */
  guint stall_check;           /* timer: drop clients that stopped reading */
  guint flush;                 /* idle: send pending */
};

static void
client_free (client *c)
{
  g_signal_handler_disconnect (c->msg, c->wrote_handler);
  g_signal_handler_disconnect (c->msg, c->finished_handler);
  g_object_unref (c->msg);
  g_free (c);
}

static void
on_wrote (SoupServerMessage *msg, guint size, gpointer data)
{
  client *c = data;

  (void) msg;
  c->queued -= MIN (c->queued, size);
  c->progress = g_get_monotonic_time ();
}

static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  client *c = data;

  (void) msg;
  g_ptr_array_remove (c->feed->clients, c);
}

/* Ends the stream of a client that stopped reading: the connection is
 * shut, so that libsoup gives up the data it holds for it. */
static void
drop (client *c)
{
  GSocket *socket = soup_server_message_get_socket (c->msg);

  c->dropped = TRUE;
  g_warning ("console: dropping a slow event stream client (%s: %" G_GSIZE_FORMAT
             " bytes not read)", soup_server_message_get_remote_host (c->msg), c->queued);
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  soup_message_body_complete (soup_server_message_get_response_body (c->msg));
  soup_server_message_unpause (c->msg);
}

static gboolean
stalled (const client *c)
{
  return c->queued > PH_CONSOLE_FEED_BACKLOG
         && g_get_monotonic_time () - c->progress > STALL_S * G_USEC_PER_SEC;
}

/* Every second while a client lags: it is dropped once it stalled, even
 * when nothing more is sent. */
static gboolean
check_stalled (gpointer data)
{
  ph_console_feed *feed = data;
  gboolean lagging = FALSE;

  for (guint i = feed->clients->len; i-- > 0;)
    {
      client *c = g_ptr_array_index (feed->clients, i);

      if (c->dropped)
        continue;
      if (stalled (c))
        drop (c);
      else if (c->queued > PH_CONSOLE_FEED_BACKLOG)
        lagging = TRUE;
    }
  if (lagging)
    return G_SOURCE_CONTINUE;
  feed->stall_check = 0;
  return G_SOURCE_REMOVE;
}

static void
send_all (ph_console_feed *feed, const char *text)
{
  gsize size = strlen (text);

  /* Backwards: a drop may remove the client from the array. */
  for (guint i = feed->clients->len; i-- > 0;)
    {
      client *c = g_ptr_array_index (feed->clients, i);

      if (c->dropped)
        continue;
      if (c->queued + size > HARD_BACKLOG || stalled (c))
        {
          drop (c);
          continue;
        }
      c->queued += size;
      soup_message_body_append (soup_server_message_get_response_body (c->msg),
                                SOUP_MEMORY_COPY, text, size);
      soup_server_message_unpause (c->msg);
      if (c->queued > PH_CONSOLE_FEED_BACKLOG && feed->stall_check == 0)
        feed->stall_check = g_timeout_add_seconds (1, check_stalled, feed);
    }
}

/* The messages of one turn of the loop go out together, once it is over:
 * one write per client for a burst of outcomes, not one per outcome. */
static gboolean
flush_pending (gpointer data)
{
  ph_console_feed *feed = data;

  feed->flush = 0;
  if (feed->pending->len > 0)
    send_all (feed, feed->pending->str);
  g_string_truncate (feed->pending, 0);
  return G_SOURCE_REMOVE;
}

/* data: transfer full.  Its strings are names, ids, numbers and errors the
 * deliverer has masked already: nothing to mask again here. */
static void
send_event (ph_console_feed *feed, const char *kind, json_object *data)
{
  g_autofree char *json = ph_json_to_text (data, FALSE);

  json_object_put (data);
  g_string_append_printf (feed->pending, "event: %s\ndata: %s\n\n", kind, json);
  if (feed->flush == 0)
    feed->flush = g_idle_add (flush_pending, feed);
}

static void
on_event (const char *source, const char *event, gint64 time, gpointer data)
{
  ph_console_feed *feed = data;
  json_object *out;

  if (feed->clients->len == 0)
    return;
  out = json_object_new_object ();
  json_object_object_add (out, "time", ph_console_json_time (time));
  json_object_object_add (out, "source", source != NULL ? json_object_new_string (source) : NULL);
  json_object_object_add (out, "name", json_object_new_string (event));
  send_event (feed, "event", out);
}

static void
on_attempt (const ph_activity_attempt *a, gpointer data)
{
  ph_console_feed *feed = data;
  json_object *out;

  if (feed->clients->len == 0)
    return;
  out = json_object_new_object ();
  json_object_object_add (out, "time", ph_console_json_time (a->time));
  json_object_object_add (out, "id", json_object_new_string (a->id));
  json_object_object_add (out, "hook", json_object_new_string (a->hook));
  json_object_object_add (out, "event", json_object_new_string (a->event));
  json_object_object_add (out, "outcome",
                          json_object_new_string (ph_activity_outcome_name (a->outcome)));
  json_object_object_add (out, "status", json_object_new_int64 (a->status));
  json_object_object_add (out, "duration_s", json_object_new_double (a->seconds));
  json_object_object_add (out, "error", a->error != NULL ? json_object_new_string (a->error)
                                                         : NULL);
  send_event (feed, "delivery", out);
}

static gboolean
keepalive (gpointer data)
{
  ph_console_feed *feed = data;

  if (feed->clients->len == 0)
    {
      feed->keepalive = 0;
      return G_SOURCE_REMOVE;
    }
  send_all (feed, ": keepalive\n\n");
  return G_SOURCE_CONTINUE;
}

ph_console_feed *
ph_console_feed_new (ph_console *console)
{
  ph_console_feed *feed = g_new0 (ph_console_feed, 1);

  feed->console = console;
  feed->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_free);
  feed->pending = g_string_new (NULL);
  ph_activity_listen (console->daemon.activity, on_event, on_attempt, feed);
  return feed;
}

void
ph_console_feed_free (ph_console_feed *feed)
{
  if (feed == NULL)
    return;
  ph_activity_listen (feed->console->daemon.activity, NULL, NULL, NULL);
  g_clear_handle_id (&feed->keepalive, g_source_remove);
  g_clear_handle_id (&feed->flush, g_source_remove);
  g_clear_handle_id (&feed->stall_check, g_source_remove);
  g_string_free (feed->pending, TRUE);
  /* The server closes the connections; their "finished" must not find
   * the feed. */
  g_ptr_array_unref (feed->clients);
  g_free (feed);
}

void
ph_console_feed_open (ph_console_feed *feed, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  client *c;

  if (feed->clients->len >= MAX_CLIENTS)
    {
      ph_console_send_error (feed->console, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                             "%d event streams are open already", MAX_CLIENTS);
      return;
    }
  ph_console_secure_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  c = g_new0 (client, 1);
  c->feed = feed;
  c->progress = g_get_monotonic_time ();
  c->msg = g_object_ref (msg);
  c->wrote_handler = g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote), c);
  c->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), c);
  g_ptr_array_add (feed->clients, c);
  if (feed->keepalive == 0)
    feed->keepalive = g_timeout_add_seconds (KEEPALIVE_S, keepalive, feed);
  /* The first bytes go at once, so that the client sees the stream open. */
  c->queued += strlen (": printhook events\n\n");
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                            ": printhook events\n\n", strlen (": printhook events\n\n"));
}
