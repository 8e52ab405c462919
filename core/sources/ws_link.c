#include "autoconfig.h"
#include "ws_link.h"
#include "proxy_env.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <libsoup/soup.h>

/* Client pings (OctoPrint never pings; Moonraker does only on tornado
 * 6.5, printer-apis.md §1.1, §5.1); no message and no pong for
 * LIVENESS_PINGS intervals means the link is dead, since libsoup 3.2 has
 * no pong timeout of its own (§7 finding 4). */
#define KEEPALIVE_S 10
#define LIVENESS_PINGS 3
/* Not a config key: only the tests need another interval, so that a dead
 * link is found in seconds rather than half a minute (printhook(1),
 * ENVIRONMENT). */
#define KEEPALIVE_ENV "PRINTHOOK_WS_KEEPALIVE_S"
#define KEEPALIVE_MAX_S 3600
/* OctoPrint's history alone passes libsoup's 128 KiB default (§1.5, §7
 * finding 1). */
#define MAX_INCOMING_PAYLOAD (64 * 1024 * 1024)
/* A message at least this large is followed by a malloc_trim. */
#define TRIM_AFTER_BYTES (64 * 1024)
#define BACKOFF_MAX_S PH_WS_LINK_BACKOFF_MAX_S

struct ph_ws_link {
  char *source;
  char *peer;
  char *base_url;
  const ph_ws_link_handler *handler;
  gpointer owner;

  SoupSession *session;
  SoupWebsocketConnection *ws;
  GCancellable *connecting;
  char *path;                 /* of the websocket being opened or open */
  gboolean live;
  guint attempt;              /* attempts failed in a row */
  guint retry_timer;
  guint liveness_timer;
  guint keepalive_s;
  gint64 last_heard;
};

/* The ping interval in seconds: KEEPALIVE_S, or $PRINTHOOK_WS_KEEPALIVE_S
 * when it is a number of seconds in range; read once, warned about once. */
static guint
keepalive_seconds (void)
{
  static gsize seconds;

  if (g_once_init_enter (&seconds))
    {
      const char *text = g_getenv (KEEPALIVE_ENV);
      guint64 value = KEEPALIVE_S;

      if (text != NULL
          && !g_ascii_string_to_unsigned (text, 10, 1, KEEPALIVE_MAX_S, &value, NULL))
        {
          g_warning ("%s=%s is not a number of seconds from 1 to %d; pinging every %d s",
                     KEEPALIVE_ENV, text, KEEPALIVE_MAX_S, KEEPALIVE_S);
          value = KEEPALIVE_S;
        }
      g_once_init_leave (&seconds, value);
    }
  return seconds;
}

double
ph_ws_link_backoff (guint attempt, gboolean longest, double jitter)
{
  double seconds = longest ? BACKOFF_MAX_S : MIN (BACKOFF_MAX_S, 1 << MIN (MAX (attempt, 1) - 1, 6));

  return CLAMP (seconds * jitter, 1, BACKOFF_MAX_S);
}

static gboolean
unref_later (gpointer object)
{
  g_object_unref (object);
  return G_SOURCE_REMOVE;
}

void
ph_ws_link_drop (ph_ws_link *link)
{
  link->live = FALSE;
  g_clear_handle_id (&link->liveness_timer, g_source_remove);
  if (link->connecting != NULL)
    {
      g_cancellable_cancel (link->connecting);
      g_clear_object (&link->connecting);
    }
  if (link->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (link->ws, link);
      if (soup_websocket_connection_get_state (link->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (link->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      /* Often called from the connection's own "message" or "closed"
       * handler, after which libsoup still uses it: let go from the loop. */
      g_idle_add (unref_later, g_steal_pointer (&link->ws));
    }
}

static gboolean
on_retry (gpointer data)
{
  ph_ws_link *link = data;

  link->retry_timer = 0;
  link->handler->start (link->owner);
  return G_SOURCE_REMOVE;
}

/* The jitter keeps a farm of daemons from knocking on a restarted server
 * all at once. */
void
ph_ws_link_retry_later (ph_ws_link *link, gboolean longest)
{
  double seconds;

  ph_ws_link_drop (link);
  link->attempt++;
  seconds = ph_ws_link_backoff (link->attempt, longest, g_random_double_range (1.0, 1.25));
  g_debug ("source %s: next connection attempt in %.1f s", link->source, seconds);
  g_clear_handle_id (&link->retry_timer, g_source_remove);
  link->retry_timer = g_timeout_add ((guint) (seconds * 1000), on_retry, link);
  if (link->handler->lost != NULL)
    link->handler->lost (link->owner);
}

void
ph_ws_link_fail (ph_ws_link *link, const char *what)
{
  if (link->attempt == 0)
    g_warning ("source %s: %s; reconnecting with backoff", link->source, what);
  else
    g_debug ("source %s: %s (attempt %u)", link->source, what, link->attempt + 1);
  ph_ws_link_retry_later (link, FALSE);
}

void
ph_ws_link_set_live (ph_ws_link *link)
{
  link->live = TRUE;
  link->attempt = 0;
}

gboolean
ph_ws_link_is_live (const ph_ws_link *link)
{
  return link->live;
}

void
ph_ws_link_start (ph_ws_link *link)
{
  ph_ws_link_drop (link);
  g_clear_handle_id (&link->retry_timer, g_source_remove);
  link->handler->start (link->owner);
}

gboolean
ph_ws_link_send (ph_ws_link *link, const char *text)
{
  if (link->ws == NULL || soup_websocket_connection_get_state (link->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  soup_websocket_connection_send_text (link->ws, text);
  return TRUE;
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer data)
{
  ph_ws_link *link = data;
  gsize size;
  const char *text = g_bytes_get_data (bytes, &size);

  link->last_heard = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  link->handler->text (link->owner, text, size);
#ifdef __GLIBC__
  /* OctoPrint's history (30 minutes of temperatures and the terminal
   * backlog, some 300 kB) parses into megabytes of small json-c objects;
   * freed, glibc keeps them in the heap for good: 5.5 MB of a 8 MB
   * Private_Dirty (bench/README.md).  Give them back. */
  if (size >= TRIM_AFTER_BYTES)
    malloc_trim (0);
#endif
}

static void
on_pong (SoupWebsocketConnection *ws, GBytes *message, gpointer data)
{
  ((ph_ws_link *) data)->last_heard = g_get_monotonic_time ();
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, gpointer data)
{
  ph_ws_link *link = data;

  g_debug ("source %s: websocket: %s", link->source, error->message);
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  ph_ws_link *link = data;
  g_autofree char *what = g_strdup_printf ("the connection to %s at %s closed (code %u)",
                                           link->peer, link->base_url,
                                           soup_websocket_connection_get_close_code (ws));

  /* A link that worked gets a fresh backoff. */
  if (link->live)
    link->attempt = 0;
  ph_ws_link_fail (link, what);
}

static gboolean
check_liveness (gpointer data)
{
  ph_ws_link *link = data;
  gint64 quiet = g_get_monotonic_time () - link->last_heard;

  if (quiet < (gint64) LIVENESS_PINGS * link->keepalive_s * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  link->liveness_timer = 0;
  g_warning ("source %s: no answer from %s for %d s; reconnecting", link->source, link->peer,
             (int) (quiet / G_USEC_PER_SEC));
  link->attempt = 0;
  ph_ws_link_retry_later (link, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_websocket (GObject *object, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;
  ph_ws_link *link;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (ws == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the link is gone or started over */
  link = data;
  g_clear_object (&link->connecting);
  if (ws == NULL)
    {
      g_autofree char *what = g_strdup_printf ("no websocket at %s%s: %s", link->base_url,
                                               link->path, error->message);
      ph_ws_link_fail (link, what);
      return;
    }
  link->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (ws, link->keepalive_s);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), link);
  g_signal_connect (ws, "pong", G_CALLBACK (on_pong), link);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), link);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), link);
  link->last_heard = g_get_monotonic_time ();
  link->liveness_timer = g_timeout_add_seconds (link->keepalive_s, check_liveness, link);
  if (link->handler->opened != NULL)
    link->handler->opened (link->owner);
}

/* ws:// or wss:// for the base URL's http:// or https://. */
static char *
websocket_url (const char *base, const char *path)
{
  if (g_ascii_strncasecmp (base, "https://", 8) == 0)
    return g_strconcat ("wss://", base + 8, path, NULL);
  return g_strconcat ("ws://", base + strlen ("http://"), path, NULL);
}

void
ph_ws_link_connect (ph_ws_link *link, const char *path, const char *api_key)
{
  g_autofree char *url = websocket_url (link->base_url, path);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);

  ph_ws_link_drop (link);
  g_free (link->path);
  link->path = g_strdup (path);
  if (msg == NULL)
    {
      g_warning ("source %s: %s is not a usable websocket URL", link->source, url);
      ph_ws_link_retry_later (link, TRUE);
      return;
    }
  if (api_key != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), "X-Api-Key", api_key);
  link->connecting = g_cancellable_new ();
  /* No Origin: tornado accepts a client without one as a non-browser
   * client, and rejects a foreign one (printer-apis.md §1.1, §7). */
  soup_session_websocket_connect_async (link->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        link->connecting, on_websocket, link);
}

/* The proxy libcurl takes for the source's REST calls, or none, rather
 * than GIO's default resolver and the modules it loads (proxy_env.h). */
static void
use_environment_proxy (SoupSession *session, const char *url)
{
  g_auto (GStrv) env = g_get_environ ();
  g_autoptr (GProxyResolver) resolver = ph_proxy_env_resolver_for ((const char *const *) env, url);

  soup_session_set_proxy_resolver (session, resolver);
}

ph_ws_link *
ph_ws_link_new (const char *source, const char *peer, const char *base_url,
                const ph_ws_link_handler *handler, gpointer owner)
{
  ph_ws_link *link = g_new0 (ph_ws_link, 1);

  link->source = g_strdup (source);
  link->peer = g_strdup (peer);
  link->base_url = g_strdup (base_url);
  link->handler = handler;
  link->owner = owner;
  link->keepalive_s = keepalive_seconds ();
  link->session = soup_session_new_with_options ("timeout", 15, "idle-timeout", 0,
                                                 "user-agent", "printhook/" PACKAGE_VERSION, NULL);
  use_environment_proxy (link->session, base_url);
  return link;
}

void
ph_ws_link_free (ph_ws_link *link)
{
  if (link == NULL)
    return;
  ph_ws_link_drop (link);
  g_clear_handle_id (&link->retry_timer, g_source_remove);
  g_object_unref (link->session);
  g_free (link->source);
  g_free (link->peer);
  g_free (link->base_url);
  g_free (link->path);
  g_free (link);
}
