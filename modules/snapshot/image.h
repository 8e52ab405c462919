/* Pixel work on decoded snapshots: fitting into a box, area-averaging
 * shrink, flips and rotation.  Pure functions, safe in a worker thread. */
#ifndef PH_SNAPSHOT_IMAGE_H
#define PH_SNAPSHOT_IMAGE_H

#include <glib.h>

/* Decoded pixels: height rows of width * channels bytes, top to bottom
 * (channels: 1 gray, 3 RGB, 4 CMYK). */
typedef struct {
  guint width;
  guint height;
  guint channels;
  guint8 *pixels;
} snapshot_image;

/* A new image with uninitialised pixels, or NULL when that much memory is
 * not to be had.  Transfer full. */
snapshot_image *snapshot_image_new (guint width, guint height, guint channels);
void snapshot_image_free (snapshot_image *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (snapshot_image, snapshot_image_free)

/* The size of a width x height image shrunk to fit max_width x max_height,
 * keeping its aspect ratio (rounded, at least 1 x 1).  Returns FALSE, with
 * the size unchanged, when it already fits. */
gboolean snapshot_fit (guint width, guint height, guint max_width, guint max_height,
                       guint *fit_width, guint *fit_height);

/* Shrinks rows as they are decoded, by area averaging: each output pixel is
 * the mean of the source area it covers, partial pixels weighted by the
 * part covered, so no source pixel is skipped and none counts twice. */
typedef struct snapshot_shrinker snapshot_shrinker;

/* For a src_width x src_height source shrunk to dst (each at most its
 * source size, at least 1, below 2^24).  NULL when out of memory.
 * Transfer full. */
snapshot_shrinker *snapshot_shrinker_new (guint src_width, guint src_height, guint channels,
                                          guint dst_width, guint dst_height);
/* The same for a plane whose pixels are not the image's shape, such as a
 * JPEG's chroma at half the size of its luma: each output pixel covers
 * x_num / x_den source pixels across and y_num / y_den down (each ratio
 * at least 1, its terms below 2^24), from the top left corner, and the
 * source's last column and row reach as far as the output does. */
snapshot_shrinker *snapshot_shrinker_new_spans (guint src_width, guint src_height, guint channels,
                                                guint dst_width, guint dst_height, guint64 x_num,
                                                guint64 x_den, guint64 y_num, guint64 y_den);
/* The next source row, src_width * channels bytes (transfer none). */
void snapshot_shrinker_push_row (snapshot_shrinker *shrinker, const guint8 *row);
/* Takes the result out once every source row was pushed (transfer full);
 * NULL when rows are missing or it was taken already. */
snapshot_image *snapshot_shrinker_steal_result (snapshot_shrinker *shrinker);
void snapshot_shrinker_free (snapshot_shrinker *shrinker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (snapshot_shrinker, snapshot_shrinker_free)

/* Row y of the image as it is once mirrored left-right (flip_h), then
 * top-bottom (flip_v), then turned 90 degrees counter-clockwise
 * (rotate90), the old plugin's order; a turn swaps width and height and
 * crops nothing.  Writes the turned image's width * channels bytes to out.
 * Row by row, so that the encoder reads the image turned and no turned
 * copy is made. */
void snapshot_orient_row (const snapshot_image *image, gboolean flip_h, gboolean flip_v,
                          gboolean rotate90, guint y, guint8 *out);

#endif
