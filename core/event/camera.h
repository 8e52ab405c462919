/* A camera of the printer that is not an HTTP URL: a Bambu Lab P1's or
 * A1's JPEG stream on port 6000.  The source that knows it makes one
 * ph_camera and puts a reference on each of its events (ph_event.camera);
 * the snapshot module asks it for one frame through host->camera_fetch
 * (ABI 1.2).  A camera that cannot give a still (an X1's, which streams
 * RTSP only) is made with ph_camera_new_unavailable, so that the hook's
 * log says why and what to set instead of a bare "no webcam".
 *
 * The reference count is atomic: an event may be released on another
 * thread, and with it its camera; the fetch itself runs on the main loop. */
#ifndef PH_CAMERA_H
#define PH_CAMERA_H

#include <glib.h>

typedef struct ph_camera ph_camera;

/* jpeg: transfer none, NULL on error; error: transfer none, NULL with a
 * frame.  Both valid during the call only. */
typedef void (*ph_camera_done) (GBytes *jpeg, const GError *error, gpointer user_data);

/* Reads one frame within timeout_ms, refusing one larger than max_bytes,
 * and calls done exactly once, from the thread-default main context and
 * never from inside this call.  data: the camera's, transfer none. */
typedef void (*ph_camera_fetch_func) (gpointer data, guint timeout_ms, gsize max_bytes,
                                      ph_camera_done done, gpointer user_data);

/* A camera that fetch reads, with data (transfer full, freed with
 * destroy when the last reference goes, on whichever thread that is).
 * Transfer full. */
ph_camera *ph_camera_new (ph_camera_fetch_func fetch, gpointer data, GDestroyNotify destroy);

/* A camera whose every fetch fails with why (copied; shown to the user,
 * so it says what to do).  Transfer full. */
ph_camera *ph_camera_new_unavailable (const char *why);

ph_camera *ph_camera_ref (ph_camera *camera);
void ph_camera_unref (ph_camera *camera);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_camera, ph_camera_unref)

/* One frame, as ph_camera_fetch_func says; the camera is kept alive until
 * done has run. */
void ph_camera_fetch (ph_camera *camera, guint timeout_ms, gsize max_bytes, ph_camera_done done,
                      gpointer user_data);

#endif
