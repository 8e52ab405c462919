/* The printhook_host table the core hands to every module. */
#ifndef PH_HOST_H
#define PH_HOST_H

#include "http.h"
#include "config/config.h"
#include "printhook/module.h"

/* The one table, valid for the life of the process: transfer none. */
const printhook_host *ph_host (void);

/* Sets the module that calls into the host outside a delivery (init,
 * instance_new), so its log lines say who is speaking.  NULL clears. */
void ph_host_set_current_module (const char *name);

/* The HTTP client behind host->http_submit (transfer none: the caller keeps
 * it alive while deliveries run).  NULL: no HTTP (render). */
void ph_host_set_http (ph_http *http);

/* What host->instance_name says: the host name and a hash of path (the
 * daemon's configuration file, transfer none; NULL: no hash), with
 * "-test-PID" added when one_shot.  Call before the configuration is
 * loaded (modules read it in instance_new); the default is the host name
 * alone.  host->is_daemon says !one_shot (FALSE until this is called). */
void ph_host_set_instance (const char *path, gboolean one_shot);

/* The configuration whose sources host->foreach_source lists (transfer
 * none: the caller keeps it alive until it sets another or NULL). */
void ph_host_set_config (const ph_config *config);

#endif
