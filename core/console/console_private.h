/* What the console's files share (core/console/): the console itself and
 * the helpers every handler uses.  Nothing outside core/console/ includes
 * this. */
#ifndef PH_CONSOLE_PRIVATE_H
#define PH_CONSOLE_PRIVATE_H

#include <libsoup/soup.h>
#include <json-c/json.h>
#include "console.h"
#include "delivery/delivery.h"
#include "text/json_text.h"

/* Request bodies above this are refused (413). */
#define PH_CONSOLE_MAX_BODY (64 * 1024)

typedef struct ph_console_auth ph_console_auth;
typedef struct ph_console_feed ph_console_feed;

struct ph_console {
  ph_generation *gen;          /* the configuration shown and acted on */
  ph_console_daemon daemon;
  SoupServer *server;          /* NULL when it could not listen */
  GSocketService *service;     /* accepts the connections, for server */
  guint listening;             /* addresses it listens on */
  GTlsCertificate *certificate; /* NULL: plain HTTP */
  gboolean tls;
  ph_console_auth *auth;       /* NULL without a token: nothing but /healthz is served */
  ph_console_feed *feed;
  gint64 started;              /* monotonic */
  GPtrArray *tests;            /* console_test.c: tests running (SoupServerMessage *) */
};

/* How a request proved who it is. */
typedef enum {
  PH_CONSOLE_ANONYMOUS,
  PH_CONSOLE_BEARER,
  PH_CONSOLE_COOKIE
} ph_console_who;

/* console_http.c: answers.  Every answer carries the security headers
 * (ph_console_secure_headers); JSON answers are masked with the running
 * configuration's secrets and the token before they go. */
void ph_console_secure_headers (SoupServerMessage *msg);
void ph_console_send_json (ph_console *console, SoupServerMessage *msg, guint status,
                           json_object *body);  /* body: transfer full */
void ph_console_send_error (ph_console *console, SoupServerMessage *msg, guint status,
                            const char *format, ...) G_GNUC_PRINTF (4, 5);
void ph_console_send_text (SoupServerMessage *msg, guint status, const char *content_type,
                           const char *text);
void ph_console_redirect (SoupServerMessage *msg, const char *location);
/* Whether msg's method is method. */
gboolean ph_console_method_is (SoupServerMessage *msg, const char *method);
/* 405 with the Allow header (allow: "GET", "GET, POST"). */
void ph_console_not_allowed (ph_console *console, SoupServerMessage *msg, const char *allow);
/* The request body as a JSON object; answers 400 (and returns NULL) when
 * it is not one.  An empty body is {}.  Transfer full. */
json_object *ph_console_read_json (ph_console *console, SoupServerMessage *msg);
/* The text masked as JSON answers are.  Transfer full. */
char *ph_console_mask (ph_console *console, const char *text);
/* A JSON string of text, masked; NULL text gives JSON null. */
json_object *ph_console_json_string (ph_console *console, const char *text);
/* The member name of a request's object (NULL object allowed), or NULL.
 * Transfer none. */
json_object *ph_console_member (json_object *object, const char *name);
/* Unix microseconds as JSON seconds; 0 or less gives null. */
json_object *ph_console_json_time (gint64 usec);

/* console_auth.c: the token, sessions, failed logins. */
ph_console_auth *ph_console_auth_new (const char *token_file, GError **error);
void ph_console_auth_free (ph_console_auth *auth);
/* Who sent msg; answers 401/429 itself (and returns ANONYMOUS) when it
 * carries a wrong token.  *csrf receives the session's CSRF token for a
 * cookie (transfer none). */
ph_console_who ph_console_auth_check (ph_console *console, SoupServerMessage *msg,
                                      const char **csrf);
/* A state-changing request with a cookie: its Origin is this console and
 * it carries the session's CSRF token (header, or form field given).
 * Answers 403 itself when not. */
gboolean ph_console_auth_csrf (ph_console *console, SoupServerMessage *msg, const char *csrf,
                               const char *form_csrf);
void ph_console_login (ph_console *console, SoupServerMessage *msg);
void ph_console_logout (ph_console *console, SoupServerMessage *msg);
/* The token, for masking it out of every answer.  Transfer none. */
const char *ph_console_auth_token (const ph_console_auth *auth);

/* console_api.c: /api/v1/ (path without that prefix). */
void ph_console_api (ph_console *console, SoupServerMessage *msg, const char *path,
                     GHashTable *query, const char *csrf);

/* d's request as the console shows it: method, url, headers, body,
 * content_type, masked (console_api.c).  Transfer full. */
json_object *ph_console_request_json (ph_console *console, printhook_delivery *d);

/* console_test.c: POST hooks/NAME/test: sends hook's request for event
 * (transfer none) with payload (transfer none; NULL: the sample's) and
 * answers when it is done.  gen holds hook (a reference is taken): the
 * running generation, or one made of an edit being checked. */
void ph_console_test_hook (ph_console *console, SoupServerMessage *msg, ph_generation *gen,
                           const ph_hook *hook, const char *event, json_object *payload);
void ph_console_tests_cancel (ph_console *console);

/* console_deliveries.c: deliveries and deliveries/... (rest: after
 * "deliveries", "" or "/ID..." ). */
void ph_console_deliveries (ph_console *console, SoupServerMessage *msg, const char *rest,
                            GHashTable *query);

/* console_feed.c: GET events, the live feed. */
ph_console_feed *ph_console_feed_new (ph_console *console);
void ph_console_feed_free (ph_console_feed *feed);
void ph_console_feed_open (ph_console_feed *feed, SoupServerMessage *msg);

/* console_hook_edit.c: hooks/NAME/config and hooks/validate (parts: the
 * path after "hooks/", split at '/').  FALSE when the path is none of
 * them. */
gboolean ph_console_hook_edit_route (ph_console *console, SoupServerMessage *msg, char **parts,
                                     GHashTable *query);

/* console_catalog.c: GET keys (every hook key, the core's and each
 * module's) and GET presets (the shipped examples). */
void ph_console_key_catalog (ph_console *console, SoupServerMessage *msg);
void ph_console_presets (ph_console *console, SoupServerMessage *msg);

/* console_metrics.c: GET /metrics. */
void ph_console_metrics (ph_console *console, SoupServerMessage *msg);

/* The page's files (console_resources.c, made by glib-compile-resources
 * from core/console/page/console.gresource.xml).  Transfer none. */
GResource *ph_console_get_resource (void);

/* console_page.c: the page, the login page and their files. */
void ph_console_page (ph_console *console, SoupServerMessage *msg, const char *name);

/* The hook name of a path segment, or an answer 404 and NULL. */
const ph_hook *ph_console_find_hook (ph_console *console, SoupServerMessage *msg,
                                     const char *name);

#endif
