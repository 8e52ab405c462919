/* What a Bambu Lab source gives its events for @snapshot (the source's
 * camera key, printhook.conf(5)): the JPEG camera of a P1 or A1 read
 * with bambu_camera.c, or for an X1, P2S or H2, which stream RTSP only, a
 * camera that says so and what to set instead. */
#ifndef PH_BAMBU_STILL_H
#define PH_BAMBU_STILL_H

#include "config/config.h"
#include "event/camera.h"

typedef struct ph_bambu_still ph_bambu_still;

/* The cameras for config (what they need of it is copied).  Transfer
 * full. */
ph_bambu_still *ph_bambu_still_new (const ph_source_config *config);
void ph_bambu_still_free (ph_bambu_still *still);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_bambu_still, ph_bambu_still_free)

/* The camera for an event now, knowing whether the printer's reports name
 * an RTSP camera (ph_bambu_state_has_rtsp_camera); NULL with camera =
 * none.  Transfer none: ph_camera_ref what an event keeps. */
ph_camera *ph_bambu_still_camera (ph_bambu_still *still, gboolean reports_rtsp);

#endif
