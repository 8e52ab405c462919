/* A Klipper printer's Moonraker as a source of events (DESIGN.md §7):
 * JSON-RPC 2.0 on Moonraker's /websocket, the printer objects print_stats,
 * virtual_sdcard, display_status, toolhead and webhooks subscribed and
 * mapped onto the same events and OctoPrint-shaped parameters as the
 * OctoPrint source, the subscription renewed whenever Klippy comes back,
 * and a job that ended while the link was down reported from Moonraker's
 * job history.  Wire formats: shared/reference/printer-apis.md §5. */
#ifndef PH_MOONRAKER_H
#define PH_MOONRAKER_H

#include "config/config.h"
#include "event/event.h"
#include "delivery/http.h"
#include "router/router.h"

typedef struct ph_moonraker ph_moonraker;

/* A source for config (copied) that sends its HTTP fetches through http
 * and its events to router (both transfer none, outliving the source).  It
 * connects at once and keeps connecting until freed.  Transfer full. */
ph_moonraker *ph_moonraker_new (const ph_source_config *config, ph_http *http, ph_router *router);

/* Disconnects; nothing it started calls back afterwards. */
void ph_moonraker_free (ph_moonraker *mr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_moonraker, ph_moonraker_free)

/* The settings it runs with (its own copy): transfer none. */
const ph_source_config *ph_moonraker_config (const ph_moonraker *mr);

/* Whether it is connected and hears the printer's news now. */
gboolean ph_moonraker_connected (const ph_moonraker *mr);

/* An event of this printer: payload (transfer full, NULL for {}) with the
 * printer's latest state, job, progress, currentZ and offsets in
 * OctoPrint's shapes, @meta, and the webcam's snapshot URL shared for the
 * snapshot module.  Transfer full. */
ph_event *ph_moonraker_make_event (ph_moonraker *mr, const char *name, json_object *payload);

#endif
