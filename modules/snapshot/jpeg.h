/* Checking and reshaping a webcam JPEG with libjpeg(-turbo).  Runs in a
 * worker thread: it touches nothing but its arguments. */
#ifndef PH_SNAPSHOT_JPEG_H
#define PH_SNAPSHOT_JPEG_H

#include <glib.h>

/* Images claiming more pixels than this are refused before any pixel
 * memory is allocated: 64 Mpx holds the largest camera sensors (9152 x
 * 6944), while a forged header can claim 65500 x 65500. */
#define SNAPSHOT_PIXEL_LIMIT (64u * 1024 * 1024)

typedef struct {
  guint max_width;        /* the box the image must fit */
  guint max_height;
  int quality;            /* 1-100, for a re-encoded image */
  gboolean flip_h;
  gboolean flip_v;
  gboolean rotate90;      /* counter-clockwise */
} snapshot_options;

/* Decodes jpeg completely (a truncated or damaged image, or anything that
 * is not a JPEG, is an error) and returns the image to send: jpeg itself
 * when it fits the box and is neither flipped nor turned, else a new JPEG,
 * shrunk to fit keeping its aspect ratio (libjpeg's DCT scaling to the
 * smallest of 1/8, 1/4, 1/2 and 1 still at least the target, then an
 * area-averaging filter to the exact size), flipped and turned, encoded at
 * quality.  A YCbCr JPEG is worked on as Y, Cb and Cr planes and sent
 * 4:2:0, with no colour conversion either way; others (gray, CMYK, and
 * samplings whose chroma is too coarse for 4:2:0) as decoded pixels.
 * jpeg: transfer none.  Returns transfer full, or NULL with error saying
 * why in words fit for a log. */
GBytes *snapshot_jpeg_process (GBytes *jpeg, const snapshot_options *options, GError **error);

#endif
