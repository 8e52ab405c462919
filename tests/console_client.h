/* The web console's client in the tests: one HTTP request with libcurl's
 * easy interface, and the reply exactly as it arrived (status, every
 * header line in order, body).  Redirects are never followed, so a 303 is
 * seen as a 303. */
#ifndef PH_TEST_CONSOLE_CLIENT_H
#define PH_TEST_CONSOLE_CLIENT_H

#include <glib.h>
#include <json-c/json.h>

typedef struct {
  long status;
  GPtrArray *headers;   /* "Name: value" texts of the final response, in order */
  GString *body;        /* NUL-terminated; may hold other NULs */
} ph_console_reply;

/* Sends method to url with the extra header lines ("Name: value",
 * NULL-terminated, may be NULL) and body (length bytes, or up to its NUL
 * when length is -1; NULL for none, which a POST sends as an empty one).  Fails the test when no HTTP reply
 * came within 10 s.  Transfer full. */
ph_console_reply *ph_console_request (const char *method, const char *url,
                                      const char *const *headers, const char *body,
                                      gssize length);

/* The same over https, trusting the certificates of ca_file (a PEM file)
 * only.  Transfer full. */
ph_console_reply *ph_console_request_tls (const char *method, const char *url,
                                          const char *const *headers, const char *body,
                                          gssize length, const char *ca_file);

/* ph_console_request for a request that may get no reply (the daemon
 * ends meanwhile): NULL then, with libcurl's reason in *failure
 * (transfer full). */
ph_console_reply *ph_console_try_request (const char *method, const char *url,
                                          const char *const *headers, const char *body,
                                          char **failure);

/* The first value of the header called name, compared case-insensitively,
 * or NULL (transfer none: valid while r lives). */
const char *ph_console_reply_header (const ph_console_reply *r, const char *name);

/* How many header lines are called name (case-insensitively). */
guint ph_console_reply_count_headers (const ph_console_reply *r, const char *name);

/* The body parsed as JSON; fails the test unless it is JSON and the
 * Content-Type says application/json.  Transfer full. */
json_object *ph_console_reply_json (const ph_console_reply *r);

void ph_console_reply_free (ph_console_reply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_console_reply, ph_console_reply_free)

#endif
