/* All outgoing HTTP of the daemon: one libcurl multi handle driven by a
 * GMainContext through the multi-socket API.  Nothing here blocks the loop. */
#ifndef PH_HTTP_H
#define PH_HTTP_H

#include <glib.h>

/* One curl multi handle on one GMainContext.  It owns the connection pool,
 * so connections are reused across requests.  Use it from the thread that
 * runs its context. */
typedef struct ph_http ph_http;
/* What to send: method, URL, headers, body and per-request limits. */
typedef struct ph_http_request ph_http_request;
/* What came back; only exists during a ph_http_callback. */
typedef struct ph_http_response ph_http_response;

#define PH_HTTP_ERROR ph_http_error_quark ()

typedef enum {
  PH_HTTP_ERROR_URL,        /* rejected before sending: bad URL, scheme, method or header */
  PH_HTTP_ERROR_DNS,        /* the host name did not resolve */
  PH_HTTP_ERROR_CONNECT,    /* no TCP connection (refused, unreachable) */
  PH_HTTP_ERROR_TIMEOUT,    /* connect or total timeout */
  PH_HTTP_ERROR_TLS,        /* handshake or certificate verification failed */
  PH_HTTP_ERROR_SEND,       /* the request could not be written */
  PH_HTTP_ERROR_RECEIVE,    /* no valid or complete response */
  PH_HTTP_ERROR_CANCELLED,  /* ph_http_free ran before the transfer ended */
  PH_HTTP_ERROR_OTHER
} ph_http_error_code;

GQuark ph_http_error_quark (void);

/* Creates the multi handle on context, or on the thread-default context
 * (the global default when none is pushed) when context is NULL; context is
 * referenced.  Returns transfer full. */
ph_http *ph_http_new (GMainContext *context);

/* Cancels every transfer still running and runs the callback of every
 * request not yet answered (cancelled ones with PH_HTTP_ERROR_CANCELLED)
 * before it returns, then frees http.  A callback that submits while http is
 * being freed gets PH_HTTP_ERROR_CANCELLED.  May be called from a callback;
 * http must not be used after.  http: transfer full; NULL is a no-op. */
void ph_http_free (ph_http *http);

/* A request for method (an HTTP token such as "POST") and url (http or https
 * only; checked at submit).  Both are copied.  Returns transfer full. */
ph_http_request *ph_http_request_new (const char *method, const char *url);

/* Appends a header sent exactly as given (name and value copied, order
 * kept); an empty value sends an empty header.  Names and values with CR or
 * LF make the submit fail with PH_HTTP_ERROR_URL. */
void ph_http_request_add_header (ph_http_request *req, const char *name, const char *value);

/* The request body, sent byte for byte (it may contain NUL bytes) for every
 * method but GET and HEAD, which never send one.  body: transfer none (a
 * reference is taken); NULL removes it.  POST, PUT and PATCH without a body
 * send an empty one. */
void ph_http_request_set_body (ph_http_request *req, GBytes *body);

/* Seconds allowed to connect (TCP and TLS) and for the whole transfer; both
 * must be positive.  Defaults 5 and 15. */
void ph_http_request_set_timeouts (ph_http_request *req, double connect_s, double total_s);

/* verify FALSE accepts any certificate and host name.  With verify TRUE,
 * ca_file (copied; NULL for the system CAs) names a PEM file whose
 * certificates are the only ones trusted.  Default: verify, system CAs. */
void ph_http_request_set_tls (ph_http_request *req, gboolean verify, const char *ca_file);

/* Follow up to 5 redirects (http and https only).  Default FALSE: a 3xx is
 * the response, with its target in ph_http_response_get_redirect_url. */
void ph_http_request_set_follow_redirects (ph_http_request *req, gboolean follow);

/* Response body bytes kept; beyond them the transfer stops and the response
 * is marked truncated (not an error).  Default 65536. */
void ph_http_request_set_max_response_bytes (ph_http_request *req, gsize max);

/* req: transfer full; NULL is a no-op. */
void ph_http_request_free (ph_http_request *req);

/* Receives the outcome of one request.  response is transfer none and valid
 * only until the callback returns.  The callback may submit new requests
 * and may free the ph_http. */
typedef void (*ph_http_callback) (const ph_http_response *response, gpointer user_data);

/* Starts the transfer.  req: transfer full.  callback runs exactly once,
 * from http's main context, never from inside this call, even when req is
 * rejected at once. */
void ph_http_submit (ph_http *http, ph_http_request *req, ph_http_callback callback,
                     gpointer user_data);

/* NULL when an HTTP response arrived (whatever its status), else why not.
 * Messages name the URL without its userinfo.  Transfer none. */
const GError *ph_http_response_get_error (const ph_http_response *r);

/* The status of the last response received, 0 when none.  It may be set
 * alongside an error when the failure came after the status line. */
long ph_http_response_get_status (const ph_http_response *r);

/* First value of the header called name (case-insensitive) in the last
 * response, whitespace trimmed; NULL when absent.  Transfer none. */
const char *ph_http_response_get_header (const ph_http_response *r, const char *name);

/* The body of the last response, at most max_response_bytes; empty, never
 * NULL, when there is none.  Transfer none. */
GBytes *ph_http_response_get_body (const ph_http_response *r);

/* TRUE when the body went beyond max_response_bytes and was cut. */
gboolean ph_http_response_is_truncated (const ph_http_response *r);

/* For a 3xx that was not followed, the absolute URL it points to (from
 * Location, resolved against the request URL, userinfo included); else NULL.
 * Transfer none. */
const char *ph_http_response_get_redirect_url (const ph_http_response *r);

/* Seconds to wait from Retry-After (delay-seconds, or an HTTP-date counted
 * from now, 0 when past); -1 when absent or unparsable.  Not clamped. */
gint64 ph_http_response_get_retry_after (const ph_http_response *r);

/* Seconds from the start of the transfer to its end; 0 when it never
 * started. */
double ph_http_response_get_total_time (const ph_http_response *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_http, ph_http_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_http_request, ph_http_request_free)

#endif
