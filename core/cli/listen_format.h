/* Turning one request `printhook listen` received into the text it prints.
 * Every byte that came from the network is escaped before it is printed, so
 * a hostile request cannot drive the user's terminal. */
#ifndef PH_LISTEN_FORMAT_H
#define PH_LISTEN_FORMAT_H

#include <glib.h>
#include <libsoup/soup.h>

/* The printed form of a body stops after this many bytes, with a note. */
#define PH_LISTEN_PRINT_LIMIT (64 * 1024)

/* What the first line and the header lines need; every member is transfer
 * none and may be NULL where said. */
typedef struct {
  guint number;                   /* 1 for the first request */
  const char *method;
  const char *path;               /* as sent, percent-encoding kept */
  const char *query;              /* NULL when there is none */
  const char *peer;               /* "127.0.0.1:40312", NULL when unknown */
  GDateTime *received;
  SoupMessageHeaders *headers;
  guint64 body_size;              /* bytes of body received */
} ph_listen_request;

/* Appends "#N METHOD /path?query  (from PEER, N bytes)  TIME" and one
 * "  Name: value" line per header to out.  Both arguments transfer none. */
void ph_listen_format_head (GString *out, const ph_listen_request *request);

/* Appends the body, each line indented by two spaces: JSON re-indented
 * (values exactly as sent), form fields one "key = value" per line,
 * multipart parts one per line, other UTF-8 text as it is, anything else as
 * "<N bytes binary>".  headers give the Content-Type.  body holds the first
 * bytes received, body_size how many arrived: when the receiver kept fewer
 * than arrived, the body is shown as text or binary only, with a note.
 * Nothing is appended for an empty body.  All arguments transfer none. */
void ph_listen_format_body (GString *out, SoupMessageHeaders *headers, GBytes *body,
                            guint64 body_size);

#endif
