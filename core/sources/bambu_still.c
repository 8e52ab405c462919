#include "autoconfig.h"
#include "bambu_still.h"

#include <gio/gio.h>

#include "bambu_camera.h"

#define RTSP_ONLY \
  "this printer streams its camera as RTSP only (an X1, P2S or H2), which has no still " \
  "image printhook can take; set snapshot.url, for example to a go2rtc bridge's frame.jpeg"

struct ph_bambu_still {
  ph_camera *jpeg;             /* NULL unless camera = auto or jpeg */
  ph_camera *rtsp;             /* NULL unless camera = auto or rtsp */
};

/* What a JPEG camera fetch needs of the source, owned by the camera. */
typedef struct {
  char *host;
  guint16 port;
  char *access_code;           /* secret */
  char *ca_file;
  gboolean tls_verify;
  char *serial;
  gboolean guessed;            /* camera = auto: it may be an X1 that did not say so */
} jpeg_camera;

static void
jpeg_camera_free (gpointer data)
{
  jpeg_camera *c = data;

  g_free (c->host);
  g_free (c->access_code);
  g_free (c->ca_file);
  g_free (c->serial);
  g_free (c);
}

typedef struct {
  gboolean guessed;
  ph_camera_done done;
  gpointer user_data;
} jpeg_fetch;

static void
on_frame (GBytes *jpeg, const GError *error, gpointer user_data)
{
  jpeg_fetch *f = user_data;

  /* Nothing at port 6000: an X1 whose reports have not named its RTSP
   * camera (yet), or a P1 off the network; both want the same advice. */
  if (error != NULL && f->guessed && g_error_matches (error, G_IO_ERROR,
                                                      G_IO_ERROR_CONNECTION_REFUSED))
    {
      g_autoptr (GError) advised = g_error_new (error->domain, error->code,
                                                "%s (a P1 or A1 serves its camera there; "
                                                "for an X1, P2S or H2 set camera = rtsp and "
                                                "snapshot.url)", error->message);

      f->done (NULL, advised, f->user_data);
    }
  else
    f->done (jpeg, error, f->user_data);
  g_free (f);
}

static void
jpeg_camera_fetch (gpointer data, guint timeout_ms, gsize max_bytes, ph_camera_done done,
                   gpointer user_data)
{
  const jpeg_camera *c = data;
  jpeg_fetch *f = g_new0 (jpeg_fetch, 1);
  ph_bambu_camera_options options = {
    .host = c->host,
    .port = c->port,
    .access_code = c->access_code,
    .ca_file = c->ca_file,
    .tls_verify = c->tls_verify,
    .serial = c->serial,
    .timeout_ms = timeout_ms,
    .max_frame_bytes = max_bytes,
  };

  f->guessed = c->guessed;
  f->done = done;
  f->user_data = user_data;
  ph_bambu_camera_fetch (&options, NULL, on_frame, f);
}

ph_bambu_still *
ph_bambu_still_new (const ph_source_config *config)
{
  ph_bambu_still *still = g_new0 (ph_bambu_still, 1);

  if (config->camera == PH_BAMBU_CAMERA_AUTO || config->camera == PH_BAMBU_CAMERA_JPEG)
    {
      jpeg_camera *c = g_new0 (jpeg_camera, 1);

      c->host = g_strdup (config->host);
      c->port = (guint16) config->camera_port;
      c->access_code = g_strdup (config->access_code);
      c->ca_file = g_strdup (config->tls_ca_file);
      c->tls_verify = config->tls_verify;
      c->serial = g_strdup (config->serial);
      c->guessed = config->camera == PH_BAMBU_CAMERA_AUTO;
      still->jpeg = ph_camera_new (jpeg_camera_fetch, c, jpeg_camera_free);
    }
  if (config->camera == PH_BAMBU_CAMERA_AUTO || config->camera == PH_BAMBU_CAMERA_RTSP)
    still->rtsp = ph_camera_new_unavailable (RTSP_ONLY);
  return still;
}

void
ph_bambu_still_free (ph_bambu_still *still)
{
  if (still == NULL)
    return;
  ph_camera_unref (still->jpeg);
  ph_camera_unref (still->rtsp);
  g_free (still);
}

ph_camera *
ph_bambu_still_camera (ph_bambu_still *still, gboolean reports_rtsp)
{
  if (still->jpeg != NULL && still->rtsp != NULL)
    return reports_rtsp ? still->rtsp : still->jpeg;
  return still->jpeg != NULL ? still->jpeg : still->rtsp;
}
