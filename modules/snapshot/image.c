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
 * Weights are fixed point, WEIGHT_ONE being a whole output pixel; the
 * weights of one output pixel along an axis are differences of a rounded
 * running total, so they add up to exactly WEIGHT_ONE and a flat area
 * stays flat.  15 bits keep every weight within 16 bits, which the
 * vertical pass multiplies eight samples at a time, and keep the error of
 * a weight within 1/65536 of the output pixel. */
#define WEIGHT_BITS 15
#define WEIGHT_ONE (1u << WEIGHT_BITS)
/* Samples the vertical pass takes at a time: a loop of a fixed count is
 * what -O2's cheap vectoriser turns into vector code. */
#define VECTOR_SAMPLES 16
/* Bounds of a span's numerator and denominator, so that positions on the
 * common axis fit 64 bits: pixel counts are below 2^32. */
#define SPAN_TERM_LIMIT ((guint64) 1 << 24)

/* One direction of a shrink, in integers: source pixel i spans [i * src_unit,
 * (i + 1) * src_unit) and output pixel j spans [j * dst_unit, (j + 1) *
 * dst_unit) on a common axis, so that every overlap is exact.  The last
 * source pixel reaches as far as the output does. */
typedef struct {
  guint src, dst;
  guint64 src_unit, dst_unit;
} axis;

/* The running total of an output pixel's weights from its start to offset
 * (0 to dst_unit) into it, in WEIGHT_ONE units, rounded. */
static guint32
weight_total (const axis *a, guint64 offset)
{
  return (offset * WEIGHT_ONE + a->dst_unit / 2) / a->dst_unit;
}

/* The first and last source pixels output pixel j touches. */
static guint
first_source (const axis *a, guint j)
{
  return MIN (j * a->dst_unit / a->src_unit, a->src - 1);
}

static guint
last_source (const axis *a, guint j)
{
  return MIN (((j + 1) * a->dst_unit - 1) / a->src_unit, a->src - 1);
}

/* The weight output pixel j gives source pixel i. */
static guint16
weight (const axis *a, guint j, guint i)
{
  guint64 start = j * a->dst_unit, end = start + a->dst_unit;
  guint64 lo = CLAMP (i * a->src_unit, start, end);
  guint64 hi = i + 1 == a->src ? end : CLAMP ((i + 1) * a->src_unit, start, end);

  return weight_total (a, hi - start) - weight_total (a, lo - start);
}

struct snapshot_shrinker {
  axis x, y;
  guint channels;
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
count_taps (const axis *a)
{
  guint taps = 1;

  for (guint j = 0; j < a->dst; j++)
    taps = MAX (taps, last_source (a, j) - first_source (a, j) + 1);
  return taps;
}

/* Output column j takes taps source columns from first_column[j]; one that
 * touches fewer has zero weights for the others, and starts early when it
 * would end past the row, so that the horizontal pass has one loop count. */
static void
make_column_weights (snapshot_shrinker *s)
{
  for (guint j = 0; j < s->x.dst; j++)
    {
      guint first = MIN (first_source (&s->x, j), s->x.src - s->taps);
      guint16 *w = s->column_weights + (gsize) j * s->taps;

      s->first_column[j] = first;
      for (guint t = 0; t < s->taps; t++)
        w[t] = weight (&s->x, j, first + t);
    }
}

snapshot_shrinker *
snapshot_shrinker_new_spans (guint src_width, guint src_height, guint channels, guint dst_width,
                             guint dst_height, guint64 x_num, guint64 x_den, guint64 y_num,
                             guint64 y_den)
{
  g_autoptr (snapshot_shrinker) s = NULL;

  g_return_val_if_fail (src_width >= 1 && src_height >= 1, NULL);
  g_return_val_if_fail (dst_width >= 1 && dst_height >= 1, NULL);
  g_return_val_if_fail (x_den >= 1 && x_num >= x_den && x_num < SPAN_TERM_LIMIT, NULL);
  g_return_val_if_fail (y_den >= 1 && y_num >= y_den && y_num < SPAN_TERM_LIMIT, NULL);
  g_return_val_if_fail (channels == 1 || channels == 3 || channels == 4, NULL);

  s = g_new0 (snapshot_shrinker, 1);
  s->x = (axis) { src_width, dst_width, x_den, x_num };
  s->y = (axis) { src_height, dst_height, y_den, y_num };
  s->channels = channels;
  s->taps = count_taps (&s->x);
  s->sums_empty = TRUE;
  s->result = snapshot_image_new (dst_width, dst_height, channels);
  s->first_column = g_try_new (guint, dst_width);
  /* taps is at most a span + 2, so this is about src + 2 * dst. */
  s->column_weights = g_try_new (guint16, (gsize) dst_width * s->taps);
  s->sums = g_try_new (guint32, (gsize) src_width * channels);
  if (s->result == NULL || s->first_column == NULL || s->column_weights == NULL
      || s->sums == NULL)
    return NULL;
  make_column_weights (s);
  return g_steal_pointer (&s);
}

snapshot_shrinker *
snapshot_shrinker_new (guint src_width, guint src_height, guint channels, guint dst_width,
                       guint dst_height)
{
  g_return_val_if_fail (dst_width >= 1 && dst_width <= src_width, NULL);
  g_return_val_if_fail (dst_height >= 1 && dst_height <= src_height, NULL);
  return snapshot_shrinker_new_spans (src_width, src_height, channels, dst_width, dst_height,
                                      src_width, dst_width, src_height, dst_height);
}

/* The complete sums shrunk horizontally into out, one output row.  The
 * channel and tap counts are constants in each instance, so the compiler
 * unrolls both loops and keeps the sums in registers.  A sum is at most
 * 255 * WEIGHT_ONE and a weight WEIGHT_ONE, hence 64-bit accumulators. */
static G_ALWAYS_INLINE inline void
shrink_sums_with (const snapshot_shrinker *s, guint8 *restrict out, const guint c, const guint taps)
{
  /* In locals: the stores through out could alias s's fields. */
  const guint16 *restrict w = s->column_weights;
  const guint *restrict first = s->first_column;
  const guint32 *restrict sums = s->sums;
  const guint n = s->x.dst;

  for (guint x = 0; x < n; x++, w += taps, out += c)
    {
      const guint32 *p = sums + (gsize) first[x] * c;
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
  guint8 *out = s->result->pixels + (gsize) s->next_output_row * s->x.dst * s->channels;

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
  const axis *a = &s->y;
  guint64 lo = s->next_source_row * a->src_unit;
  guint64 hi = s->next_source_row + 1 == a->src ? a->dst * a->dst_unit
                                                : MIN ((s->next_source_row + 1) * a->src_unit,
                                                       a->dst * a->dst_unit);

  g_return_if_fail (s->next_source_row < a->src);
  /* The source row's share of each output row it overlaps. */
  while (lo < hi)
    {
      guint64 start = s->next_output_row * a->dst_unit;
      guint64 end = MIN (hi, start + a->dst_unit);

      add_row (s->sums, row, weight_total (a, end - start) - weight_total (a, lo - start),
               (gsize) s->x.src * s->channels, s->sums_empty);
      s->sums_empty = FALSE;
      if (end == start + a->dst_unit)
        emit_row (s);
      lo = end;
    }
  s->next_source_row++;
}

snapshot_image *
snapshot_shrinker_steal_result (snapshot_shrinker *s)
{
  if (s->next_output_row < s->y.dst)
    return NULL;
  return g_steal_pointer (&s->result);
}

/* n pixels of c bytes into dst, from src on, step bytes apart (backwards
 * when negative).  c is a constant in each instance: a pixel is then a few
 * moves, not a call to memcpy. */
static G_ALWAYS_INLINE inline void
copy_pixels (guint8 *restrict dst, const guint8 *restrict src, gssize step, guint n, const guint c)
{
  for (guint i = 0; i < n; i++, dst += c)
    {
      const guint8 *p = src + (gssize) i * step;

#pragma GCC unroll 4
      for (guint k = 0; k < c; k++)
        dst[k] = p[k];
    }
}

void
snapshot_orient_row (const snapshot_image *image, gboolean flip_h, gboolean flip_v,
                     gboolean rotate90, guint y, guint8 *out)
{
  const guint w = image->width, h = image->height, c = image->channels;
  const guint n = rotate90 ? h : w;
  /* The row is a source row or, turned, a source column, walked forwards
   * or backwards: step bytes from one pixel to the next.  Where its first
   * pixel comes from: undo the turn, then the flips; counter-clockwise,
   * the source's right column becomes the top row. */
  const gssize row = (gssize) w * c;
  const gssize step = rotate90 ? (flip_v ? -row : row) : (flip_h ? -(gssize) c : (gssize) c);
  const guint sx = rotate90 ? (flip_h ? y : w - 1 - y) : (flip_h ? w - 1 : 0);
  const guint sy = rotate90 ? (flip_v ? h - 1 : 0) : (flip_v ? h - 1 - y : y);
  const guint8 *src = image->pixels + ((gsize) sy * w + sx) * c;

  g_return_if_fail (y < (rotate90 ? w : h));
  if (step == (gssize) c)
    memcpy (out, src, (gsize) n * c);
  else if (c == 1)
    copy_pixels (out, src, step, n, 1);
  else if (c == 3)
    copy_pixels (out, src, step, n, 3);
  else
    copy_pixels (out, src, step, n, c);
}
