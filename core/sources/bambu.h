/* A Bambu Lab printer (X1, P1, A1, H2) as a source of events: one MQTT
 * connection to the printer's own broker (TLS on 8883, user bblp, the LAN
 * access code as password, the certificate checked against Bambu's CA and
 * the printer's serial), device/SERIAL/report subscribed, a pushall asked
 * for on each connection (never more often than every 5 minutes), and the
 * reports turned into OctoPrint's events by bambu_report.c.  Wire facts:
 * shared/reference/mqtt-and-bambu.md §3. */
#ifndef PH_BAMBU_H
#define PH_BAMBU_H

#include "config/config.h"
#include "event/event.h"
#include "router/router.h"

typedef struct ph_bambu ph_bambu;

/* A source for config (copied) that hands its events to router (transfer
 * none, outliving the source).  It connects at once and keeps connecting,
 * with back-off, until freed.  Transfer full. */
ph_bambu *ph_bambu_new (const ph_source_config *config, ph_router *router);

/* Disconnects; nothing it started calls back afterwards. */
void ph_bambu_free (ph_bambu *bambu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_bambu, ph_bambu_free)

/* The settings it runs with (its own copy): transfer none. */
const ph_source_config *ph_bambu_config (const ph_bambu *bambu);

/* Whether it is connected to the printer now. */
gboolean ph_bambu_connected (const ph_bambu *bambu);

/* An event of this printer (payload: transfer full, NULL for {}) with its
 * latest state, job, progress and temperatures in OctoPrint's shapes.
 * Transfer full. */
ph_event *ph_bambu_make_event (ph_bambu *bambu, const char *name, json_object *payload);

#endif
