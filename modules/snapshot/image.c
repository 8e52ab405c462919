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

/* The filter is separable and works in integers.  Each source row is
 * added, weighted, into sums at source width as it arrives (a loop the
 * compiler makes vector code of), and each output row, once its sums are
 * complete, is shrunk horizontally: the horizontal pass, which cannot be
 * vectorised so simply, runs once per output row rather than once per
 * source row.
 *
 * Coordinates are integers: source pixel i spans [i * dst, (i + 1) * dst)
 * and output pixel j spans [j * src, (j + 1) * src) on a common axis, so
 * every overlap is exact.  Weights are fixed point, WEIGHT_ONE being a
 * whole output pixel; the weights of one output pixel along an axis are
 * differences of a rounded running total, so they add up to exactly
 * WEIGHT_ONE and a flat area stays flat.  15 bits keep every weight within
 * 16 bits, which the vertical pass multiplies eight samples at a time, and
 * keep the error of a weight within 1/65536 of the output pixel. */
#define WEIGHT_BITS 15
#define WEIGHT_ONE (1u << WEIGHT_BITS)
/* Samples the vertical pass takes at a time: a loop of a fixed count is
 * what -O2's cheap vectoriser turns into vector code. */
#define VECTOR_SAMPLES 16

/* The running total of the weights from the start of an output pixel of
 * length span (on the common axis) to offset into it, in WEIGHT_ONE units,
 * rounded. */
static guint32
weight_total (guint64 offset, guint64 span)
{
  return (offset * WEIGHT_ONE + span / 2) / span;
}

struct snapshot_shrinker {
  guint src_width, src_height, dst_width, dst_height, channels;
  guint taps;              /* source columns per output column, the same for all */
  guint *first_column;     /* per output column: its first source column */
  guint16 *column_weights; /* per output column: taps weights, 0 for columns outside it */
  guint32 *sums;           /* the output row being summed, at source width */
  gboolean sums_empty;     /* no source row added to sums yet */
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
  g_free (s->column_weights);
  g_free (s->sums);
  snapshot_image_free (s->result);
  g_free (s);
}

/* The most source columns an output column touches. */
static guint
count_taps (guint src_width, guint dst_width)
{
  const guint64 src = src_width, dst = dst_width;
  guint taps = 1;

  for (guint64 x = 0; x < dst; x++)
    taps = MAX (taps, ((x + 1) * src - 1) / dst - x * src / dst + 1);
  return taps;
}

/* Output column x takes taps source columns from first_column[x]; one that
 * touches fewer has zero weights for the others, and starts early when it
 * would end past the row, so that the horizontal pass has one loop count. */
static void
make_column_weights (snapshot_shrinker *s)
{
  const guint64 src = s->src_width, dst = s->dst_width;

  for (guint x = 0; x < s->dst_width; x++)
    {
      guint64 start = x * src, end = start + src;
      guint first = MIN (start / dst, src - s->taps);
      guint16 *w = s->column_weights + (gsize) x * s->taps;

      s->first_column[x] = first;
      for (guint t = 0; t < s->taps; t++)
        {
          guint64 lo = CLAMP ((first + t) * dst, start, end);
          guint64 hi = CLAMP ((first + t + 1) * dst, start, end);

          w[t] = weight_total (hi - start, src) - weight_total (lo - start, src);
        }
    }
}

snapshot_shrinker *
snapshot_shrinker_new (guint src_width, guint src_height, guint channels, guint dst_width,
                       guint dst_height)
{
  g_autoptr (snapshot_shrinker) s = NULL;

  g_return_val_if_fail (dst_width >= 1 && dst_width <= src_width, NULL);
  g_return_val_if_fail (dst_height >= 1 && dst_height <= src_height, NULL);
  g_return_val_if_fail (channels == 1 || channels == 3 || channels == 4, NULL);

  s = g_new0 (snapshot_shrinker, 1);
  s->src_width = src_width;
  s->src_height = src_height;
  s->dst_width = dst_width;
  s->dst_height = dst_height;
  s->channels = channels;
  s->taps = count_taps (src_width, dst_width);
  s->sums_empty = TRUE;
  s->result = snapshot_image_new (dst_width, dst_height, channels);
  s->first_column = g_try_new (guint, dst_width);
  /* taps is at most src / dst + 2, so this is at most src + 2 * dst. */
  s->column_weights = g_try_new (guint16, (gsize) dst_width * s->taps);
  s->sums = g_try_new (guint32, (gsize) src_width * channels);
  if (s->result == NULL || s->first_column == NULL || s->column_weights == NULL
      || s->sums == NULL)
    return NULL;
  make_column_weights (s);
  return g_steal_pointer (&s);
}

/* The complete sums shrunk horizontally into out, one output row.  The
 * channel and tap counts are constants in each instance, so the compiler
 * unrolls both loops and keeps the sums in registers.  A sum is at most
 * 255 * WEIGHT_ONE and a weight WEIGHT_ONE, hence 64-bit accumulators. */
static G_ALWAYS_INLINE inline void
shrink_sums_with (const snapshot_shrinker *s, guint8 *out, const guint c, const guint taps)
{
  const guint16 *w = s->column_weights;

  for (guint x = 0; x < s->dst_width; x++, w += taps, out += c)
    {
      const guint32 *p = s->sums + (gsize) s->first_column[x] * c;
      guint64 acc[4];

#pragma GCC unroll 4
      for (guint k = 0; k < c; k++)
        acc[k] = (guint64) 1 << (2 * WEIGHT_BITS - 1);   /* rounds to nearest */
#pragma GCC unroll 4
      for (guint t = 0; t < taps; t++, p += c)
#pragma GCC unroll 4
        for (guint k = 0; k < c; k++)
          acc[k] += (guint64) w[t] * p[k];
#pragma GCC unroll 4
      for (guint k = 0; k < c; k++)
        out[k] = acc[k] >> (2 * WEIGHT_BITS);
    }
}

/* Shrinking by up to 3 takes at most 4 taps: those counts get their own
 * unrolled instances; larger ones, which the DCT scaling makes rare, the
 * loop. */
static G_ALWAYS_INLINE inline void
shrink_sums_channels (const snapshot_shrinker *s, guint8 *out, const guint c)
{
  switch (s->taps)
    {
    case 1:
      shrink_sums_with (s, out, c, 1);
      break;
    case 2:
      shrink_sums_with (s, out, c, 2);
      break;
    case 3:
      shrink_sums_with (s, out, c, 3);
      break;
    case 4:
      shrink_sums_with (s, out, c, 4);
      break;
    default:
      shrink_sums_with (s, out, c, s->taps);
      break;
    }
}

static void
emit_row (snapshot_shrinker *s)
{
  guint8 *out = s->result->pixels + (gsize) s->next_output_row * s->dst_width * s->channels;

  switch (s->channels)
    {
    case 1:
      shrink_sums_channels (s, out, 1);
      break;
    case 3:
      shrink_sums_channels (s, out, 3);
      break;
    default:   /* 4: snapshot_shrinker_new takes no other count */
      shrink_sums_channels (s, out, 4);
      break;
    }
  s->sums_empty = TRUE;
  s->next_output_row++;
}

/* sums = weight * row (first) or sums += weight * row, n samples. */
static void
add_row (guint32 *restrict sums, const guint8 *restrict row, guint16 weight, gsize n,
         gboolean first)
{
  gsize i = 0;

  if (first)
    {
      for (; i + VECTOR_SAMPLES <= n; i += VECTOR_SAMPLES)
        for (guint j = 0; j < VECTOR_SAMPLES; j++)
          sums[i + j] = (guint32) row[i + j] * weight;
      for (; i < n; i++)
        sums[i] = (guint32) row[i] * weight;
    }
  else
    {
      for (; i + VECTOR_SAMPLES <= n; i += VECTOR_SAMPLES)
        for (guint j = 0; j < VECTOR_SAMPLES; j++)
          sums[i + j] += (guint32) row[i + j] * weight;
      for (; i < n; i++)
        sums[i] += (guint32) row[i] * weight;
    }
}

void
snapshot_shrinker_push_row (snapshot_shrinker *s, const guint8 *row)
{
  const guint64 src = s->src_height;
  guint64 lo = (guint64) s->next_source_row * s->dst_height;
  guint64 hi = lo + s->dst_height;

  g_return_if_fail (s->next_source_row < s->src_height);
  /* The source row's share of each output row it overlaps (one or two). */
  while (lo < hi)
    {
      guint64 start = (guint64) s->next_output_row * src;
      guint64 end = MIN (hi, start + src);

      add_row (s->sums, row, weight_total (end - start, src) - weight_total (lo - start, src),
               (gsize) s->src_width * s->channels, s->sums_empty);
      s->sums_empty = FALSE;
      if (end == start + src)
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
