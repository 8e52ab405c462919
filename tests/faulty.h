/* A receiver that fails on request: runs tests/servers/faulty.py (see its
 * docstring for the steps it knows), switches its behaviour while a test
 * runs, and reads back every request it got, webhook-id included.
 *
 * Each record is a JSON object: seq, time, connection, method, target,
 * path, webhook_id (or null), headers [[name, value], ...], body_len,
 * body_b64, action (what the server did: status, redirect, hang, drip,
 * reset, drop) and status (what it answered, or null).  ph_record_header
 * and ph_record_body (receiver.h) work on them. */
#ifndef PH_TEST_FAULTY_H
#define PH_TEST_FAULTY_H

#include <glib.h>
#include <json-c/json.h>

typedef struct ph_faulty ph_faulty;

/* Starts faulty.py; waits up to 10 s for both its ports; fails the test if
 * it cannot.  It answers 200 to everything until told otherwise.  Transfer
 * full; free with ph_faulty_stop. */
ph_faulty *ph_faulty_start (void);

/* Stops the server (SIGTERM, then SIGKILL after 2 s) and frees f.  NULL is
 * allowed. */
void ph_faulty_stop (ph_faulty *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_faulty, ph_faulty_stop)

guint16 ph_faulty_port (ph_faulty *f);

/* "http://127.0.0.1:PORT/path".  Transfer full. */
char *ph_faulty_url (ph_faulty *f, const char *path);

/* Sends a control order: method ("GET" or "POST"), path ("/script"), body
 * (JSON text, or NULL).  Returns the HTTP status of the answer (200, or 400
 * with a reason on a bad order) and, when answer is not NULL, the parsed
 * answer (transfer full).  Fails the test if the control port does not
 * answer. */
long ph_faulty_order (ph_faulty *f, const char *method, const char *path, const char *body,
                      json_object **answer);

/* The same for orders that must succeed.  steps: a JSON array of steps,
 * step: one step (JSON text). */
void ph_faulty_script (ph_faulty *f, const char *steps);
void ph_faulty_default (ph_faulty *f, const char *step);

/* Stops listening (connections refused, open ones closed), for seconds
 * (then it listens again by itself) or, when seconds <= 0, until
 * ph_faulty_up. */
void ph_faulty_down (ph_faulty *f, double seconds);
void ph_faulty_up (ph_faulty *f);

/* The records so far (transfer full: json_object_put). */
json_object *ph_faulty_records (ph_faulty *f);

/* Waits until at least n requests are recorded and returns all records;
 * fails the test after timeout_ms or if the server died.  While waiting it
 * iterates the thread-default main context, so a sender running in this
 * thread makes progress. */
json_object *ph_faulty_wait (ph_faulty *f, guint n, guint timeout_ms);

#endif
