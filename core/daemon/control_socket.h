/* The daemon's control socket: a UNIX socket (mode 0660) where "printhook
 * emit" hands events to the running daemon (core/daemon/control_protocol.h). */
#ifndef PH_CONTROL_SOCKET_H
#define PH_CONTROL_SOCKET_H

#include <gio/gio.h>
#include "control_protocol.h"

typedef struct ph_control_socket ph_control_socket;

/* Handles one checked request (transfer none): TRUE with *deliveries set
 * when it was accepted, FALSE with an error (its message goes back to the
 * client) when not. */
typedef gboolean (*ph_control_handler) (const ph_control_request *request, guint *deliveries,
                                        GError **error, gpointer user_data);

/* Runs once after a client's requests that arrived together were handled
 * and before their replies go back: what makes "accepted" true (the
 * daemon commits the spool here, once for all of them). */
typedef void (*ph_control_flush) (gpointer user_data);

/* Listens on path.  A stale socket file left by a daemon that died is
 * replaced; a live one, or a path that is not a socket, is an error.
 * flush may be NULL.  Transfer full, or NULL with error. */
ph_control_socket *ph_control_socket_new (const char *path, ph_control_handler handler,
                                          ph_control_flush flush, gpointer user_data,
                                          GError **error);

/* Stops listening, drops the connections and removes the socket file. */
void ph_control_socket_free (ph_control_socket *control);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_control_socket, ph_control_socket_free)

/* Transfer none. */
const char *ph_control_socket_path (const ph_control_socket *control);

#endif
