/* The WebSocket a printer source listens on, and how it keeps coming back
 * (DESIGN.md §7): libsoup 3 with no Origin and a raised payload limit,
 * client pings with a liveness timer, and reconnection with exponential
 * backoff and jitter.  The OctoPrint and the Moonraker source each own
 * one.  Facts about libsoup 3.2: shared/reference/printer-apis.md §7. */
#ifndef PH_WS_LINK_H
#define PH_WS_LINK_H

#include <glib.h>

/* The longest wait between two attempts, in seconds. */
#define PH_WS_LINK_BACKOFF_MAX_S 60

typedef struct ph_ws_link ph_ws_link;

/* What the owner does at each step; owner is the pointer given to
 * ph_ws_link_new. */
typedef struct {
  /* A (new) attempt begins: do what comes before the websocket (a REST
   * login, say), then call ph_ws_link_connect. */
  void (*start) (gpointer owner);
  /* The websocket is open. */
  void (*opened) (gpointer owner);
  /* One text message (not NUL-terminated). */
  void (*text) (gpointer owner, const char *text, gsize size);
  /* The connection is gone and the next attempt is scheduled: anything
   * that waited for an answer on it will not get one.  May be NULL. */
  void (*lost) (gpointer owner);
} ph_ws_link_handler;

/* A link for the source called source (for the log) to a peer ("OctoPrint",
 * "Moonraker") at base_url (http:// or https://, no trailing '/').  The
 * strings are copied; handler and owner must outlive the link.  Nothing
 * happens until ph_ws_link_start.  Transfer full. */
ph_ws_link *ph_ws_link_new (const char *source, const char *peer, const char *base_url,
                            const ph_ws_link_handler *handler, gpointer owner);

/* Closes the connection; no handler runs afterwards. */
void ph_ws_link_free (ph_ws_link *link);

/* Drops any connection and begins an attempt now (handler->start). */
void ph_ws_link_start (ph_ws_link *link);

/* Opens the websocket at path (below the base URL), with an X-Api-Key
 * header on the upgrade when api_key is not NULL. */
void ph_ws_link_connect (ph_ws_link *link, const char *path, const char *api_key);

/* Sends one text message; FALSE when there is no open websocket. */
gboolean ph_ws_link_send (ph_ws_link *link, const char *text);

/* The peer answered as it should: the link counts as working, so losing it
 * later starts the backoff afresh. */
void ph_ws_link_set_live (ph_ws_link *link);

/* Whether ph_ws_link_set_live was said since the connection opened. */
gboolean ph_ws_link_is_live (const ph_ws_link *link);

/* The attempt failed because of what: logged once as a warning (later
 * failures in a row only as debug output, so a long outage does not flood
 * the log), then the next attempt waits with backoff. */
void ph_ws_link_fail (ph_ws_link *link, const char *what);

/* The next attempt waits with backoff, or the longest when retrying will
 * not help soon (a rejected key); the caller has said why. */
void ph_ws_link_retry_later (ph_ws_link *link, gboolean longest);

/* Drops the connection without scheduling anything (the owner starts over
 * itself). */
void ph_ws_link_drop (ph_ws_link *link);

/* The delay before attempt number attempt (1, 2, ...): 1 s doubling up to
 * 60 s, times a jitter factor from 1 to 1.25; the longest is 60 s. */
double ph_ws_link_backoff (guint attempt, gboolean longest, double jitter);

#endif
