#include "autoconfig.h"
#include "camera.h"

#include <gio/gio.h>

struct ph_camera {
  gint ref_count;
  ph_camera_fetch_func fetch;  /* NULL: unavailable, for why */
  gpointer data;
  GDestroyNotify destroy;
  char *why;
};

/* One fetch in flight: holds the camera until done has run. */
typedef struct {
  ph_camera *camera;
  ph_camera_done done;
  gpointer user_data;
} pending;

ph_camera *
ph_camera_new (ph_camera_fetch_func fetch, gpointer data, GDestroyNotify destroy)
{
  ph_camera *camera = g_new0 (ph_camera, 1);

  g_return_val_if_fail (fetch != NULL, NULL);
  camera->ref_count = 1;
  camera->fetch = fetch;
  camera->data = data;
  camera->destroy = destroy;
  return camera;
}

ph_camera *
ph_camera_new_unavailable (const char *why)
{
  ph_camera *camera = g_new0 (ph_camera, 1);

  camera->ref_count = 1;
  camera->why = g_strdup (why);
  return camera;
}

ph_camera *
ph_camera_ref (ph_camera *camera)
{
  g_atomic_int_inc (&camera->ref_count);
  return camera;
}

void
ph_camera_unref (ph_camera *camera)
{
  if (camera == NULL || !g_atomic_int_dec_and_test (&camera->ref_count))
    return;
  if (camera->destroy != NULL)
    camera->destroy (camera->data);
  g_free (camera->why);
  g_free (camera);
}

static void
on_fetched (GBytes *jpeg, const GError *error, gpointer user_data)
{
  pending *p = user_data;

  p->done (jpeg, error, p->user_data);
  ph_camera_unref (p->camera);
  g_free (p);
}

/* An unavailable camera answers from the loop too, as a real one does. */
static gboolean
answer_unavailable (gpointer user_data)
{
  pending *p = user_data;
  g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                  p->camera->why);

  on_fetched (NULL, error, p);
  return G_SOURCE_REMOVE;
}

/* The unavailable camera's fetch: on_fetched on the loop, with its why. */
static void
schedule_unavailable (pending *p)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, answer_unavailable, p, NULL);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

void
ph_camera_fetch (ph_camera *camera, guint timeout_ms, gsize max_bytes, ph_camera_done done,
                 gpointer user_data)
{
  pending *p = g_new0 (pending, 1);

  p->camera = ph_camera_ref (camera);
  p->done = done;
  p->user_data = user_data;
  /* p is freed by on_fetched, which either way runs exactly once. */
  if (camera->fetch == NULL)
    schedule_unavailable (p);
  else
    camera->fetch (camera->data, timeout_ms, max_bytes, on_fetched, p);
}
