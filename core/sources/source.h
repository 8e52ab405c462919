/* One [source NAME] as the daemon runs it, whatever its type (DESIGN.md
 * §7): the daemon starts, reloads and stops sources through this alone. */
#ifndef PH_SOURCE_H
#define PH_SOURCE_H

#include "config/config.h"
#include "event/event.h"
#include "delivery/http.h"
#include "router/router.h"
#include "farm.h"

typedef struct ph_source ph_source;

/* The source config->type says, running at once (see ph_octoprint_new,
 * ph_moonraker_new; config copied, http and router transfer none and
 * outlive it).  Transfer full. */
ph_source *ph_source_new (const ph_source_config *config, ph_http *http, ph_router *router);
void ph_source_free (ph_source *source);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_source, ph_source_free)

/* The settings it runs with: transfer none. */
const ph_source_config *ph_source_get_config (const ph_source *source);

/* The farm's central side when the source is one (type = mqtt), else
 * NULL: for its counts.  Transfer none. */
const ph_farm *ph_source_get_farm (const ph_source *source);

/* Whether it is connected to its printer server now. */
gboolean ph_source_connected (const ph_source *source);

/* An event of this printer with its latest state (payload: transfer full,
 * NULL for {}).  Transfer full. */
ph_event *ph_source_make_event (ph_source *source, const char *name, json_object *payload);

#endif
