#include "image.h"

#include <string.h>

snapshot_image *
snapshot_image_new (guint width, guint height, guint channels)
{
  snapshot_image *image;
  gsize row = (gsize) width * channels;
  guint8 *pixels;

  if (width == 0 || height == 0 || row / channels != width || height > G_MAXSIZE / row)
    return NULL;
  /* A big image must fail softly, not abort the daemon as g_malloc would. */
  pixels = g_try_malloc (row * height);
  if (pixels == NULL)
    return NULL;
  image = g_new0 (snapshot_image, 1);
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->pixels = pixels;
  return image;
}

void
snapshot_image_free (snapshot_image *image)
{
  if (image == NULL)
    return;
  g_free (image->pixels);
  g_free (image);
}

gboolean
snapshot_fit (guint width, guint height, guint max_width, guint max_height, guint *fit_width,
              guint *fit_height)
{
  guint64 w = width, h = height;

  *fit_width = width;
  *fit_height = height;
  if (width <= max_width && height <= max_height)
    return FALSE;
  /* w / h > max_w / max_h: the width limits, else the height does. */
  if (w * max_height > h * max_width)
    {
      *fit_width = max_width;
      *fit_height = MAX (1, (2 * h * max_width + w) / (2 * w));
    }
  else
    {
      *fit_height = max_height;
      *fit_width = MAX (1, (2 * w * max_height + h) / (2 * h));
    }
  return TRUE;
}

/* Coordinates are kept in integers: source pixel i spans [i * dst, (i + 1)
 * * dst) and output pixel j spans [j * src, (j + 1) * src) on a common
 * axis, so every overlap, and every weight (overlap / src), is exact. */
struct snapshot_shrinker {
  guint src_width, src_height, dst_width, dst_height, channels;
  guint *first_column;     /* per output column: its first source column */
  guint *column_count;     /* per output column: how many source columns */
  float *column_weights;   /* their weights, output column after column */
  float *row;              /* the current source row, shrunk horizontally */
  float *sum;              /* the output row being summed */
  guint next_source_row;
  guint next_output_row;
  snapshot_image *result;
};

void
snapshot_shrinker_free (snapshot_shrinker *s)
{
  if (s == NULL)
    return;
  g_free (s->first_column);
  g_free (s->column_count);
  g_free (s->column_weights);
  g_free (s->row);
  g_free (s->sum);
  snapshot_image_free (s->result);
  g_free (s);
}

snapshot_shrinker *
snapshot_shrinker_new (guint src_width, guint src_height, guint channels, guint dst_width,
                       guint dst_height)
{
  g_autoptr (snapshot_shrinker) s = NULL;
  gsize n_weights = 0;

  g_return_val_if_fail (dst_width >= 1 && dst_width <= src_width, NULL);
  g_return_val_if_fail (dst_height >= 1 && dst_height <= src_height, NULL);
  g_return_val_if_fail (channels == 1 || channels == 3 || channels == 4, NULL);

  s = g_new0 (snapshot_shrinker, 1);
  s->src_width = src_width;
  s->src_height = src_height;
  s->dst_width = dst_width;
  s->dst_height = dst_height;
  s->channels = channels;
  s->result = snapshot_image_new (dst_width, dst_height, channels);
  s->first_column = g_try_new (guint, dst_width);
  s->column_count = g_try_new (guint, dst_width);
  /* An output column touches at most src / dst + 2 source columns. */
  s->column_weights = g_try_new (float, (gsize) src_width + 2 * (gsize) dst_width);
  s->row = g_try_new0 (float, (gsize) dst_width * channels);
  s->sum = g_try_new0 (float, (gsize) dst_width * channels);
  if (s->result == NULL || s->first_column == NULL || s->column_count == NULL
      || s->column_weights == NULL || s->row == NULL || s->sum == NULL)
    return NULL;

  for (guint x = 0; x < dst_width; x++)
    {
      guint64 start = (guint64) x * src_width, end = start + src_width;
      guint first = start / dst_width;

      s->first_column[x] = first;
      s->column_count[x] = 0;
      for (guint64 sx = first; sx < src_width && sx * dst_width < end; sx++)
        {
          guint64 lo = MAX (start, sx * dst_width), hi = MIN (end, (sx + 1) * dst_width);

          s->column_weights[n_weights++] = (float) (hi - lo) / (float) src_width;
          s->column_count[x]++;
        }
    }
  return g_steal_pointer (&s);
}

/* One source row shrunk horizontally into s->row.  The channel count is a
 * constant in each instance, so the compiler unrolls the channel loop and
 * keeps the sums in registers: a runtime count made this the slowest step
 * of a resize. */
static inline void
shrink_row_channels (snapshot_shrinker *s, const guint8 *src, const guint c)
{
  const float *weight = s->column_weights;

  for (guint x = 0; x < s->dst_width; x++)
    {
      const guint8 *p = src + (gsize) s->first_column[x] * c;
      float acc[4] = { 0, 0, 0, 0 };

      for (guint i = 0; i < s->column_count[x]; i++, weight++, p += c)
#pragma GCC unroll 4
        for (guint k = 0; k < c; k++)
          acc[k] += *weight * p[k];
#pragma GCC unroll 4
      for (guint k = 0; k < c; k++)
        s->row[(gsize) x * c + k] = acc[k];
    }
}

static void
shrink_row (snapshot_shrinker *s, const guint8 *src)
{
  switch (s->channels)
    {
    case 1:
      shrink_row_channels (s, src, 1);
      break;
    case 3:
      shrink_row_channels (s, src, 3);
      break;
    default:   /* 4: snapshot_shrinker_new takes no other count */
      shrink_row_channels (s, src, 4);
      break;
    }
}

static void
emit_row (snapshot_shrinker *s)
{
  gsize n = (gsize) s->dst_width * s->channels;
  guint8 *out = s->result->pixels + (gsize) s->next_output_row * n;

  for (gsize i = 0; i < n; i++)
    {
      float v = s->sum[i] + 0.5f;
      out[i] = v <= 0 ? 0 : v >= 255 ? 255 : (guint8) v;
      s->sum[i] = 0;
    }
  s->next_output_row++;
}

/* sum += weight * row, n floats.  Written four at a time, with restrict,
 * so that -O2's cheap vectoriser makes vector code of it: it leaves a
 * plain loop with a remainder scalar. */
static void
accumulate (float *restrict sum, const float *restrict row, float weight, gsize n)
{
  gsize i = 0;

  for (; i + 4 <= n; i += 4)
    {
      sum[i] += weight * row[i];
      sum[i + 1] += weight * row[i + 1];
      sum[i + 2] += weight * row[i + 2];
      sum[i + 3] += weight * row[i + 3];
    }
  for (; i < n; i++)
    sum[i] += weight * row[i];
}

void
snapshot_shrinker_push_row (snapshot_shrinker *s, const guint8 *row)
{
  guint64 lo = (guint64) s->next_source_row * s->dst_height;
  guint64 hi = lo + s->dst_height;
  gsize n = (gsize) s->dst_width * s->channels;

  g_return_if_fail (s->next_source_row < s->src_height);
  shrink_row (s, row);
  /* The source row's share of each output row it overlaps (one or two). */
  while (lo < hi)
    {
      guint64 boundary = (guint64) (s->next_output_row + 1) * s->src_height;
      guint64 end = MIN (hi, boundary);
      float weight = (float) (end - lo) / (float) s->src_height;

      accumulate (s->sum, s->row, weight, n);
      if (end == boundary)
        emit_row (s);
      lo = end;
    }
  s->next_source_row++;
}

snapshot_image *
snapshot_shrinker_steal_result (snapshot_shrinker *s)
{
  if (s->next_output_row < s->dst_height)
    return NULL;
  return g_steal_pointer (&s->result);
}

snapshot_image *
snapshot_orient (const snapshot_image *image, gboolean flip_h, gboolean flip_v, gboolean rotate90)
{
  const guint w = image->width, h = image->height, c = image->channels;
  snapshot_image *out = rotate90 ? snapshot_image_new (h, w, c) : snapshot_image_new (w, h, c);

  if (out == NULL)
    return NULL;
  for (guint y = 0; y < out->height; y++)
    for (guint x = 0; x < out->width; x++)
      {
        /* Where the output pixel comes from: undo the turn, then the flips.
         * Counter-clockwise, the source's right column becomes the top row. */
        guint sx = rotate90 ? w - 1 - y : x;
        guint sy = rotate90 ? x : y;

        if (flip_h)
          sx = w - 1 - sx;
        if (flip_v)
          sy = h - 1 - sy;
        memcpy (out->pixels + ((gsize) y * out->width + x) * c,
                image->pixels + ((gsize) sy * w + sx) * c, c);
      }
  return out;
}
