/* An OctoPrint server as a source of events (DESIGN.md §7): REST login with
 * the API key, then OctoPrint's push API on /sockjs/websocket, with the
 * printer's latest state kept for the parameters, @meta fetched when a job
 * starts, milestones from the job's completion, UserActionNeeded from the
 * terminal log, and reconnection with backoff.  Wire formats:
 * shared/reference/printer-apis.md §1-§3. */
#ifndef PH_OCTOPRINT_H
#define PH_OCTOPRINT_H

#include "config/config.h"
#include "event/event.h"
#include "delivery/http.h"
#include "router/router.h"

typedef struct ph_octoprint ph_octoprint;

/* A source for config (copied) that sends its REST calls through http and
 * its events to router (both transfer none, outliving the source).  It
 * connects at once and keeps connecting until freed.  Transfer full. */
ph_octoprint *ph_octoprint_new (const ph_source_config *config, ph_http *http, ph_router *router);

/* Disconnects; nothing it started calls back afterwards. */
void ph_octoprint_free (ph_octoprint *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_octoprint, ph_octoprint_free)

/* The settings it runs with (its own copy): transfer none. */
const ph_source_config *ph_octoprint_config (const ph_octoprint *op);

/* Whether it is connected and hears the printer's news now. */
gboolean ph_octoprint_connected (const ph_octoprint *op);

/* An event of this printer: payload (transfer full, NULL for {}) with the
 * printer's latest state, job, progress, currentZ, offsets, @meta and
 * @appearance, and the webcam's snapshot URL shared for the snapshot
 * module.  Transfer full. */
ph_event *ph_octoprint_make_event (ph_octoprint *op, const char *name, json_object *payload);

/* The snapshot URL OctoPrint's settings name, or NULL: transfer none. */
const char *ph_octoprint_webcam_url (const ph_octoprint *op);

#endif
