/* The running daemon: one configuration generation at a time, the router,
 * the sources, the control socket and the spool, all on the default main
 * loop. */
#ifndef PH_DAEMON_H
#define PH_DAEMON_H

#include <glib.h>
#include "config/config.h"

typedef struct ph_daemon ph_daemon;

/* Starts everything config (transfer full) asks for: its sources connect,
 * its control socket listens, and the deliveries its spool holds are
 * resumed.  path: the file to read again on reload.  Transfer full, or
 * NULL with error (the control socket or the spool could not be opened). */
ph_daemon *ph_daemon_new (const char *path, ph_config *config, GError **error);

/* Reads the configuration again.  When it is valid, events go to the new
 * hooks from now on (deliveries already running finish with the old ones),
 * sources whose settings changed reconnect, and the others keep their
 * state.  When it is not, every problem is logged and the old one stays. */
void ph_daemon_reload (ph_daemon *daemon);

/* Stops intake (sources and the control socket) and retries, and calls
 * done (once, from the loop) when the deliveries in flight have finished,
 * or after grace_s seconds when some have not.  What is not delivered stays
 * in the spool for the next start. */
void ph_daemon_shut_down (ph_daemon *daemon, guint grace_s, GSourceFunc done, gpointer user_data);

/* Gives up whatever is still in flight (it stays in the spool, sent again
 * at the next start) and frees the daemon. */
void ph_daemon_free (ph_daemon *daemon);

#endif
