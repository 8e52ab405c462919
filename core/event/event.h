/* One event from a source, shared by the deliveries it causes.
 *
 * Its payload and printer trees are shared, read-only, by all of them: each
 * delivery's parameters, and the data rendered from them, hold references
 * to the event's own values instead of copies (core/delivery/params.c,
 * core/text/template.c).  json-c's reference counts are not atomic, so:
 *   - nothing changes these trees once the event is dispatched;
 *   - references into them are taken and dropped on the main loop's thread
 *     only (modules' run_in_thread work never sees them: module.h);
 *   - a delivery drops its references before it releases the event
 *     (ph_delivery_free), so whichever thread releases the event last
 *     frees trees that nothing else points into.
 * Another thread may read them while it holds a reference to the event. */
#ifndef PH_EVENT_H
#define PH_EVENT_H

#include <glib.h>
#include <json-c/json.h>
#include "printhook/module.h"
#include "camera.h"

typedef struct {
  gint ref_count;
  char *name;            /* as the source named it: "PrintDone", "PrintResumed" */
  char *source;          /* the source's name (default @deviceIdentifier) */
  json_object *payload;  /* an object, never NULL; read-only once dispatched */
  json_object *printer;  /* state, job, progress, currentZ, offsets, meta, appearance
                            as far as known: an object, never NULL; read-only once
                            dispatched */
  gint64 time;           /* Unix seconds when it happened */
  GHashTable *shared;    /* values modules share across the event's deliveries */
  ph_camera *camera;     /* the printer's own camera (host->camera_fetch), NULL when
                            the source knows none; set before dispatch, owned */
  char *origin_id;       /* the id another printhook forwarded it under (the farm
                            envelope's), NULL for a source's own: each delivery's
                            webhook-id is then derived from it and the hook, the same
                            when the event comes again; set before dispatch, owned */
} ph_event;

/* payload and printer: transfer full, NULL or non-objects count as {}.
 * Transfer full. */
ph_event *ph_event_new (const char *name, const char *source, json_object *payload,
                        json_object *printer);
ph_event *ph_event_ref (ph_event *event);
void ph_event_unref (ph_event *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_event, ph_event_unref)

/* The shared value a source sets on its events when it knows the printer's
 * webcam: the snapshot URL (a char *), for the snapshot module to use when
 * a hook has no snapshot.url ("webcam.snapshot_url" through
 * host->shared_get). */
#define PH_EVENT_SHARED_WEBCAM_URL PRINTHOOK_SHARED_WEBCAM_URL

/* The printer's own camera for the event's deliveries (camera: transfer
 * none, a reference is taken; NULL clears it).  Before dispatch only. */
void ph_event_set_camera (ph_event *event, ph_camera *camera);

/* The shared values: transfer none / value transfer full. */
gpointer ph_event_shared_get (ph_event *event, const char *key);
void ph_event_shared_set (ph_event *event, const char *key, gpointer value,
                          GDestroyNotify destroy);

#endif
