/* JSON-RPC 2.0 as Moonraker speaks it over its websocket (shared/reference/
 * printer-apis.md §5.3-§5.5): requests numbered by id and matched to their
 * replies, notifications told apart from replies.  Knows nothing of the
 * transport: the caller sends the text and feeds what arrives. */
#ifndef PH_JSONRPC_H
#define PH_JSONRPC_H

#include <gio/gio.h>
#include <json-c/json.h>

/* An error object from the server: the code is the server's own (404,
 * 503, -32601 ...), the message names the method.  A connection that went
 * before the reply came is G_IO_ERROR_CONNECTION_CLOSED instead. */
#define PH_JSONRPC_ERROR ph_jsonrpc_error_quark ()

GQuark ph_jsonrpc_error_quark (void);

typedef struct ph_jsonrpc ph_jsonrpc;

/* A reply: result (transfer none, may be NULL: JSON null) or error (transfer
 * none), never both.  Runs once per request. */
typedef void (*ph_jsonrpc_reply) (json_object *result, const GError *error, gpointer data);

/* Transfer full. */
ph_jsonrpc *ph_jsonrpc_new (void);

/* Requests still waiting are dropped without their callbacks. */
void ph_jsonrpc_free (ph_jsonrpc *rpc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_jsonrpc, ph_jsonrpc_free)

/* The text of a request for method with params (transfer full, may be NULL
 * for none), whose reply goes to reply with data.  Transfer full. */
char *ph_jsonrpc_request (ph_jsonrpc *rpc, const char *method, json_object *params,
                          ph_jsonrpc_reply reply, gpointer data);

/* Feeds one message that arrived (transfer none).  A reply runs its
 * callback and returns FALSE; a notification returns TRUE with its method
 * and params (transfer none, params NULL when absent).  Anything else
 * (a reply nobody waits for, not JSON-RPC) returns FALSE. */
gboolean ph_jsonrpc_feed (ph_jsonrpc *rpc, json_object *message, const char **method,
                          json_object **params);

/* Every request still waiting gets G_IO_ERROR_CONNECTION_CLOSED, in the
 * order they were sent. */
void ph_jsonrpc_fail_all (ph_jsonrpc *rpc);

#endif
