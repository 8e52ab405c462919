/* The receiving end of printhook's HTTP tests: runs tests/servers/receiver.py
 * (an HTTP server that shares no code with printhook) and reads back what
 * really arrived.
 *
 * Each record is a JSON object, one per request, in arrival order:
 *   seq          1, 2, ... in the order requests were fully received
 *   method, target ("/path?query" as sent), path, query (raw text after
 *   the first "?", "" when none), version ("HTTP/1.1")
 *   query_form   the query as [[key, value], ...] (parse_qsl, blanks kept)
 *   headers      [[name, value], ...] in the order received, names as sent
 *                (case kept), duplicates kept; trailers likewise for
 *                chunked bodies
 *   head_b64     the exact bytes of the request line and headers
 *   body_b64, body_len   the body, de-chunked
 *   remote_port  the client's source port (keep-alive checks)
 *   tls          whether it came over TLS
 *   time         Unix time, as a float, when the request was complete
 *   json         the parsed body for application/json, else null
 *   form         [[key, value], ...] for application/x-www-form-urlencoded
 *   multipart    for multipart/form-data, parsed by Python's email package:
 *                [{name, filename, content_type, headers, size, sha256,
 *                  data_b64}, ...]
 *   signature    {standard, github}: true/false, or null without a secret
 *   errors       what the receiver found wrong (broken framing, a body
 *                that does not parse as its content type says); [] if
 *                nothing.  Broken framing is answered with a 4xx.
 */
#ifndef PH_TEST_RECEIVER_H
#define PH_TEST_RECEIVER_H

#include <glib.h>
#include <json-c/json.h>

typedef struct ph_receiver ph_receiver;

/* Starts receiver.py (from ph_test_srcdir()/tests/servers/) with extra
 * arguments (NULL-terminated, may be NULL), such as "--secret", "whsec_...".
 * Waits up to 10 s for it to listen; fails the test if it cannot.
 * Returns transfer full; free with ph_receiver_stop. */
ph_receiver *ph_receiver_start (const char *const *extra_args);

/* The same over TLS, with a self-signed certificate for 127.0.0.1 and
 * localhost made by the openssl command.  *ca_file_out receives the path
 * of that certificate, to trust (transfer full); the file lives until
 * ph_receiver_stop. */
ph_receiver *ph_receiver_start_tls (const char *const *extra_args, char **ca_file_out);

guint16 ph_receiver_port (ph_receiver *r);

/* "http://127.0.0.1:PORT/path" ("https" for TLS); path should start with
 * "/".  Transfer full. */
char *ph_receiver_url (ph_receiver *r, const char *path);

/* Waits until at least n requests are recorded and returns all records so
 * far as a json-c array (transfer full: json_object_put).  Fails the test
 * if fewer than n arrived within timeout_ms, or if the receiver died.
 * While waiting it iterates the thread-default main context, so a sender
 * running in this thread makes progress. */
json_object *ph_receiver_wait (ph_receiver *r, guint n, guint timeout_ms);

/* The records so far, without waiting (transfer full). */
json_object *ph_receiver_records (ph_receiver *r);

/* The first value of the header called name, compared case-insensitively
 * (transfer none: valid while record lives), or NULL. */
const char *ph_record_header (json_object *record, const char *name);

/* The body of a record, decoded (transfer full). */
GBytes *ph_record_body (json_object *record);

/* Stops the server (SIGTERM, then SIGKILL after 2 s), removes its files
 * and frees r.  NULL is allowed. */
void ph_receiver_stop (ph_receiver *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_receiver, ph_receiver_stop)

#endif
