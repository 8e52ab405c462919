/* A farm's central side: [source NAME] with type = mqtt.  It subscribes
 * to the envelopes edge printhooks forward (printhook/events/#, shared by
 * the daemons of one group through $share/GROUP/), dispatches each to
 * this daemon's hooks as if a source of its own had produced it, and
 * acknowledges it to its edge on the MQTT 5 response topic once its
 * deliveries and its id are committed to the spool.  An id committed
 * before is acknowledged again and not dispatched: a republished event is
 * not delivered twice within dedupe_window.  printhook(1) PRINT FARMS.
 *
 * With format = octoprint-mqtt it takes the OctoPrint-MQTT plugin's
 * topics instead (octoprint_mqtt.c), as the events of one printer named
 * after the source: nothing to acknowledge, nothing to deduplicate. */
#ifndef PH_FARM_H
#define PH_FARM_H

#include "config/config.h"
#include "event/event.h"
#include "router/router.h"

typedef struct ph_farm ph_farm;

/* A source for config (copied) that hands its events to router (transfer
 * none, outliving it).  It connects at once and keeps connecting, with
 * back-off, until freed.  Transfer full. */
ph_farm *ph_farm_new (const ph_source_config *config, ph_router *router);

/* Disconnects; acknowledgements not sent yet are not sent (the edges
 * republish those events, and the spool recognizes them). */
void ph_farm_free (ph_farm *farm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_farm, ph_farm_free)

/* Transfer none. */
const ph_source_config *ph_farm_config (const ph_farm *farm);
gboolean ph_farm_connected (const ph_farm *farm);

/* What it took since it started. */
typedef struct {
  guint64 received;          /* envelopes that arrived */
  guint64 committed;         /* new events dispatched and acknowledged */
  guint64 duplicates;        /* ids committed before, acknowledged again */
  guint64 refused;           /* envelopes it will never take */
  guint64 unacknowledged;    /* taken, but the commit failed: not acknowledged */
} ph_farm_counts;
void ph_farm_get_counts (const ph_farm *farm, ph_farm_counts *counts);

/* An event of this source (payload: transfer full, NULL for {}) without a
 * printer state: the printers are the edges'.  Transfer full. */
ph_event *ph_farm_make_event (ph_farm *farm, const char *name, json_object *payload);

#endif
