/* The snapshot module's pixel work (modules/snapshot/image.c, compiled in):
 * fitting a size into the box, the area-averaging shrink checked against a
 * plain reference, and flips and turns on labelled pixels. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "image.h"

START_TEST (test_fit_keeps_the_aspect_ratio)
{
  static const struct { guint w, h, box_w, box_h, fit_w, fit_h; } cases[] = {
    { 3280, 2464, 1640, 1232, 1640, 1232 },
    { 4000, 1000, 1640, 1232, 1640, 410 },
    { 1000, 3000, 1640, 1232, 411, 1232 },    /* 410.67 rounds up */
    { 1641, 1232, 1640, 1232, 1640, 1231 },   /* 1231.25 rounds down */
    { 2400, 3200, 1640, 1232, 924, 1232 },
    { 100000, 10, 1640, 1232, 1640, 1 },      /* never below one pixel */
    { 10, 100000, 1640, 1232, 1, 1232 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint w = 0, h = 0;

      ck_assert (snapshot_fit (cases[i].w, cases[i].h, cases[i].box_w, cases[i].box_h, &w, &h));
      ck_assert_msg (w == cases[i].fit_w && h == cases[i].fit_h, "%ux%u: %ux%u", cases[i].w,
                     cases[i].h, w, h);
    }
}
END_TEST

START_TEST (test_fit_leaves_images_within_the_box_alone)
{
  guint w = 0, h = 0;

  ck_assert (!snapshot_fit (1640, 1232, 1640, 1232, &w, &h));
  ck_assert_uint_eq (w, 1640);
  ck_assert_uint_eq (h, 1232);
  ck_assert (!snapshot_fit (1, 1, 1640, 1232, &w, &h));
  ck_assert_uint_eq (w, 1);
}
END_TEST

static snapshot_image *
shrink (const guint8 *pixels, guint w, guint h, guint channels, guint dst_w, guint dst_h)
{
  g_autoptr (snapshot_shrinker) s = snapshot_shrinker_new (w, h, channels, dst_w, dst_h);

  ck_assert_ptr_nonnull (s);
  for (guint y = 0; y < h; y++)
    snapshot_shrinker_push_row (s, pixels + (gsize) y * w * channels);
  return snapshot_shrinker_steal_result (s);
}

START_TEST (test_shrink_averages_whole_and_partial_pixels)
{
  static const guint8 halves[] = { 0, 100, 200, 250 };
  /* Three into two: each output covers one and a half source pixels. */
  static const guint8 thirds[] = { 0, 90, 180 };
  static const guint8 square[] = { 0, 40, 80, 120 };
  g_autoptr (snapshot_image) a = shrink (halves, 4, 1, 1, 2, 1);
  g_autoptr (snapshot_image) b = shrink (thirds, 3, 1, 1, 2, 1);
  g_autoptr (snapshot_image) c = shrink (thirds, 1, 3, 1, 1, 2);
  g_autoptr (snapshot_image) d = shrink (square, 2, 2, 1, 1, 1);

  ck_assert_uint_eq (a->pixels[0], 50);
  ck_assert_uint_eq (a->pixels[1], 225);
  ck_assert_uint_eq (b->pixels[0], 30);     /* (0 + 90 / 2) / 1.5 */
  ck_assert_uint_eq (b->pixels[1], 150);    /* (90 / 2 + 180) / 1.5 */
  ck_assert_uint_eq (c->pixels[0], 30);
  ck_assert_uint_eq (c->pixels[1], 150);
  ck_assert_uint_eq (d->pixels[0], 60);
}
END_TEST

/* The area average computed the plain way: every output pixel sums every
 * source pixel times the area they share. */
static double
reference (const guint8 *src, guint w, guint h, guint channels, guint dst_w, guint dst_h,
           guint x, guint y, guint k)
{
  double fx = (double) w / dst_w, fy = (double) h / dst_h;
  double x0 = x * fx, x1 = (x + 1) * fx, y0 = y * fy, y1 = (y + 1) * fy;
  double sum = 0;

  for (guint sy = (guint) y0; sy < h && sy < y1; sy++)
    for (guint sx = (guint) x0; sx < w && sx < x1; sx++)
      {
        double ox = MIN (x1, sx + 1.0) - MAX (x0, (double) sx);
        double oy = MIN (y1, sy + 1.0) - MAX (y0, (double) sy);

        if (ox > 0 && oy > 0)
          sum += ox * oy * src[((gsize) sy * w + sx) * channels + k];
      }
  return sum / (fx * fy);
}

START_TEST (test_shrink_matches_the_plain_area_average)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240517);

  for (guint round = 0; round < 60; round++)
    {
      static const guint channel_counts[] = { 1, 3, 4 };
      guint channels = channel_counts[round % 3];
      guint w = g_rand_int_range (rand, 1, 90), h = g_rand_int_range (rand, 1, 90);
      guint dst_w = g_rand_int_range (rand, 1, w + 1), dst_h = g_rand_int_range (rand, 1, h + 1);
      g_autofree guint8 *src = g_malloc ((gsize) w * h * channels);
      g_autoptr (snapshot_image) out = NULL;

      for (gsize i = 0; i < (gsize) w * h * channels; i++)
        src[i] = g_rand_int_range (rand, 0, 256);
      out = shrink (src, w, h, channels, dst_w, dst_h);
      ck_assert_uint_eq (out->width, dst_w);
      ck_assert_uint_eq (out->height, dst_h);
      for (guint y = 0; y < dst_h; y++)
        for (guint x = 0; x < dst_w; x++)
          for (guint k = 0; k < channels; k++)
            {
              double want = reference (src, w, h, channels, dst_w, dst_h, x, y, k);
              int got = out->pixels[((gsize) y * dst_w + x) * channels + k];

              ck_assert_msg (ABS (got - want) <= 0.51, "%ux%u -> %ux%u at (%u,%u,%u): %d, want %.3f",
                             w, h, dst_w, dst_h, x, y, k, got, want);
            }
    }
}
END_TEST

/* Gray, RGB and CMYK: each channel is filtered on its own.  Five pixels
 * into two: each output pixel covers two and a half source pixels. */
START_TEST (test_shrink_filters_every_channel_alone)
{
  static const guint8 rgb[] = { 10, 0, 255, 20, 0, 255, 30, 255, 255, 40, 255, 0, 50, 255, 0 };
  static const guint8 cmyk[] = { 0, 255, 7, 200, 100, 255, 7, 0, 200, 255, 7, 100 };
  g_autoptr (snapshot_image) wide = shrink (rgb, 5, 1, 3, 2, 1);
  g_autoptr (snapshot_image) tall = shrink (rgb, 1, 5, 3, 1, 2);
  g_autoptr (snapshot_image) four = shrink (cmyk, 3, 1, 4, 2, 1);
  static const guint8 rgb_want[] = { 18, 51, 255, 42, 255, 51 };   /* (10 + 20 + 30 / 2) / 2.5 ... */
  static const guint8 cmyk_want[] = { 33, 255, 7, 133, 167, 255, 7, 67 };

  ck_assert_mem_eq (wide->pixels, rgb_want, sizeof rgb_want);
  ck_assert_mem_eq (tall->pixels, rgb_want, sizeof rgb_want);
  ck_assert_uint_eq (four->channels, 4);
  ck_assert_mem_eq (four->pixels, cmyk_want, sizeof cmyk_want);
}
END_TEST

/* The weights of an output pixel add up to exactly one, whatever the
 * ratio: a flat image stays flat, at both ends of the range. */
START_TEST (test_shrink_keeps_flat_areas_exact)
{
  static const guint8 levels[] = { 0, 1, 128, 254, 255 };

  for (guint w = 1; w <= 33; w++)
    for (guint dst = 1; dst <= w; dst++)
      for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
        {
          g_autofree guint8 *src = g_malloc ((gsize) w * 3 * 3);
          g_autoptr (snapshot_image) out = NULL;

          memset (src, levels[i], (gsize) w * 3 * 3);
          out = shrink (src, w, 3, 3, dst, 2);
          for (gsize k = 0; k < (gsize) dst * 2 * 3; k++)
            ck_assert_msg (out->pixels[k] == levels[i], "%u -> %u, level %u: %u at %zu", w, dst,
                           levels[i], out->pixels[k], k);
        }
}
END_TEST

START_TEST (test_shrink_one_pixel_wide_or_high)
{
  static const guint8 line[] = { 0, 30, 60, 90, 120, 150, 180 };
  g_autoptr (snapshot_image) column = shrink (line, 1, 7, 1, 1, 3);
  g_autoptr (snapshot_image) row = shrink (line, 7, 1, 1, 3, 1);
  g_autoptr (snapshot_image) dot = shrink (line, 7, 1, 1, 1, 1);
  g_autoptr (snapshot_image) same = shrink (line, 1, 1, 1, 1, 1);
  /* Each of three outputs covers 7/3 sources: (0 + 30 + 60/3) * 3/7 ... */
  static const guint8 want[] = { 21, 90, 159 };

  ck_assert_uint_eq (column->width, 1);
  ck_assert_uint_eq (column->height, 3);
  ck_assert_mem_eq (column->pixels, want, 3);
  ck_assert_mem_eq (row->pixels, want, 3);
  ck_assert_uint_eq (dot->pixels[0], 90);
  ck_assert_uint_eq (same->pixels[0], 0);
}
END_TEST

/* Far beyond what a JPEG holds: the sums and weights must not overflow
 * nor lose the average. */
START_TEST (test_shrink_survives_hostile_sizes)
{
  const guint n = 1000000;
  g_autofree guint8 *stripes = g_malloc (n);
  g_autofree guint8 *white = g_malloc (n);
  g_autoptr (snapshot_image) wide = NULL;
  g_autoptr (snapshot_image) tall = NULL;
  g_autoptr (snapshot_image) three = NULL;
  g_autoptr (snapshot_image) almost = NULL;

  for (guint i = 0; i < n; i++)
    stripes[i] = i % 2 ? 255 : 0;
  memset (white, 255, n);
  wide = shrink (stripes, n, 1, 1, 1, 1);
  tall = shrink (white, 1, n, 1, 1, 1);
  three = shrink (stripes, n, 1, 1, 3, 1);
  almost = shrink (white, 65535, 1, 1, 65534, 1);
  ck_assert_uint_eq (wide->pixels[0], 128);   /* 127.5 */
  ck_assert_uint_eq (tall->pixels[0], 255);
  for (guint x = 0; x < 3; x++)
    ck_assert_int_le (ABS (three->pixels[x] - 127), 1);
  for (guint x = 0; x < 65534; x++)
    ck_assert_uint_eq (almost->pixels[x], 255);
}
END_TEST

START_TEST (test_shrink_wants_every_row)
{
  static const guint8 rows[] = { 1, 2, 3, 4 };
  g_autoptr (snapshot_shrinker) s = snapshot_shrinker_new (2, 2, 1, 1, 1);

  snapshot_shrinker_push_row (s, rows);
  ck_assert_ptr_null (snapshot_shrinker_steal_result (s));
}
END_TEST

/* A 3x2 image whose pixels are 1 to 6, row by row:
 *   1 2 3
 *   4 5 6 */
static snapshot_image *
labelled (void)
{
  snapshot_image *image = snapshot_image_new (3, 2, 1);

  for (guint i = 0; i < 6; i++)
    image->pixels[i] = i + 1;
  return image;
}

static void
assert_oriented (gboolean flip_h, gboolean flip_v, gboolean rotate90, guint w, guint h,
                 const char *expected)
{
  g_autoptr (snapshot_image) image = labelled ();
  g_autoptr (GString) seen = g_string_new (NULL);
  guint8 row[3];

  for (guint y = 0; y < h; y++)
    {
      memset (row, 0, sizeof row);
      snapshot_orient_row (image, flip_h, flip_v, rotate90, y, row);
      for (guint x = 0; x < w; x++)
        g_string_append_printf (seen, "%u", row[x]);
      for (guint x = w; x < sizeof row; x++)
        ck_assert_uint_eq (row[x], 0);   /* nothing written past the row */
    }
  ck_assert_str_eq (seen->str, expected);
}

START_TEST (test_orient_flips_and_turns_counter_clockwise)
{
  assert_oriented (FALSE, FALSE, FALSE, 3, 2, "123456");
  assert_oriented (TRUE, FALSE, FALSE, 3, 2, "321654");
  assert_oriented (FALSE, TRUE, FALSE, 3, 2, "456123");
  assert_oriented (TRUE, TRUE, FALSE, 3, 2, "654321");
  /* Turned counter-clockwise:  3 6
   *                            2 5
   *                            1 4 */
  assert_oriented (FALSE, FALSE, TRUE, 2, 3, "362514");
  /* Flipped left-right first, then turned. */
  assert_oriented (TRUE, FALSE, TRUE, 2, 3, "142536");
  assert_oriented (TRUE, TRUE, TRUE, 2, 3, "415263");
}
END_TEST

/* A pixel's channels move together, whichever way it goes. */
START_TEST (test_orient_keeps_the_channels_of_a_pixel_together)
{
  g_autoptr (snapshot_image) rgb = snapshot_image_new (2, 2, 3);
  g_autoptr (snapshot_image) cmyk = snapshot_image_new (2, 1, 4);
  guint8 row[8];

  for (guint i = 0; i < 12; i++)
    rgb->pixels[i] = i;
  for (guint i = 0; i < 8; i++)
    cmyk->pixels[i] = 10 + i;
  snapshot_orient_row (rgb, TRUE, FALSE, FALSE, 0, row);
  ck_assert_mem_eq (row, ((guint8[]) { 3, 4, 5, 0, 1, 2 }), 6);
  snapshot_orient_row (rgb, FALSE, TRUE, TRUE, 1, row);   /* upside down, then turned */
  ck_assert_mem_eq (row, ((guint8[]) { 6, 7, 8, 0, 1, 2 }), 6);
  snapshot_orient_row (cmyk, TRUE, FALSE, FALSE, 0, row);
  ck_assert_mem_eq (row, ((guint8[]) { 14, 15, 16, 17, 10, 11, 12, 13 }), 8);
  snapshot_orient_row (cmyk, FALSE, FALSE, TRUE, 1, row);
  ck_assert_mem_eq (row, ((guint8[]) { 10, 11, 12, 13 }), 4);
}
END_TEST

START_TEST (test_huge_images_fail_softly)
{
  ck_assert_ptr_null (snapshot_image_new (G_MAXUINT, G_MAXUINT, 4));
  ck_assert_ptr_null (snapshot_image_new (0, 10, 3));
}
END_TEST

static Suite *
image_suite (void)
{
  Suite *s = suite_create ("snapshot-image");
  TCase *t = tcase_create ("image");

  tcase_add_test (t, test_fit_keeps_the_aspect_ratio);
  tcase_add_test (t, test_fit_leaves_images_within_the_box_alone);
  tcase_add_test (t, test_shrink_averages_whole_and_partial_pixels);
  tcase_add_test (t, test_shrink_matches_the_plain_area_average);
  tcase_add_test (t, test_shrink_filters_every_channel_alone);
  tcase_add_test (t, test_shrink_keeps_flat_areas_exact);
  tcase_add_test (t, test_shrink_one_pixel_wide_or_high);
  tcase_add_test (t, test_shrink_survives_hostile_sizes);
  tcase_add_test (t, test_shrink_wants_every_row);
  tcase_add_test (t, test_orient_flips_and_turns_counter_clockwise);
  tcase_add_test (t, test_orient_keeps_the_channels_of_a_pixel_together);
  tcase_add_test (t, test_huge_images_fail_softly);
  suite_add_tcase (s, t);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (image_suite ());
}
