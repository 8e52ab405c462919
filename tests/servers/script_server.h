/* The OAuth and camera servers of the tests (oauth_server.py,
 * camera_server.py, bambu_camera.py): started on a free port of
 * 127.0.0.1 by the test that needs one, asked what they recorded, and
 * stopped by it. */
#ifndef PH_TEST_SCRIPT_SERVER_H
#define PH_TEST_SCRIPT_SERVER_H

#include <glib.h>
#include <json-c/json.h>

typedef struct ph_script_server ph_script_server;

/* Runs /usr/bin/python3 -I tests/servers/SCRIPT --port-file ... --record
 * ... followed by extra_args (NULL-terminated, may be NULL) and waits up
 * to 10 s for it to listen; fails the test if it does not.  Transfer full:
 * ph_script_server_stop. */
ph_script_server *ph_script_server_start (const char *script, const char *const *extra_args);

/* The port it listens on (of 127.0.0.1). */
guint16 ph_script_server_port (const ph_script_server *s);

/* "http://127.0.0.1:PORT" followed by path.  Transfer full. */
char *ph_script_server_url (ph_script_server *s, const char *path);

/* Every record so far, one JSON object per request in order (transfer
 * full: json_object_put). */
json_object *ph_script_server_records (ph_script_server *s);

/* The records whose "path" is path (transfer full). */
json_object *ph_script_server_records_at (ph_script_server *s, const char *path);

/* Stops it (SIGTERM, then SIGKILL after 2 s) and frees s; NULL is a no-op. */
void ph_script_server_stop (ph_script_server *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_script_server, ph_script_server_stop)

#endif
