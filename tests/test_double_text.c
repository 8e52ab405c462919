/* Doubles as the JSON writer prints them (core/text/double_text.c), checked
 * against the writer they replace: %.Ng from N = 15 (1 for subnormals and
 * zero) until strtod reads it back.
 *
 * Each sampling test checks PH_DOUBLE_TEST_COUNT doubles (default 20000, a
 * tenth under valgrind) from seed PH_DOUBLE_TEST_SEED (default 20261127);
 * for a long run:
 *   PH_DOUBLE_TEST_COUNT=10000000 CK_DEFAULT_TIMEOUT=0 tests/test-double-text */
#include "autoconfig.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/double_text.h"
#include "harness.h"
#include "text/pow10.h"
#include "text/u128.h"

/* The JSON writer's doubles as they were written before core/text/double_text.c:
 * the reference, kept verbatim. */
static char *
reference_text (double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *exponent;

  for (int precision = isnormal (d) ? 15 : 1; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  exponent = strchr (buf, 'e');
  if (exponent != NULL && exponent[1] == '+' && g_ascii_strtoll (exponent + 2, NULL, 10) < 16)
    g_ascii_formatd (buf, sizeof buf, "%.0f", d);
  if (strpbrk (buf, ".e") == NULL)
    return g_strconcat (buf, ".0", NULL);
  return g_strdup (buf);
}

static guint
sample_count (void)
{
  const char *text = g_getenv ("PH_DOUBLE_TEST_COUNT");
  guint count = text != NULL ? (guint) g_ascii_strtoull (text, NULL, 10) : 20000;

  return MAX (count / ph_test_slowness (), 1);
}

static GRand *
sample_rand (void)
{
  const char *text = g_getenv ("PH_DOUBLE_TEST_SEED");

  return g_rand_new_with_seed (text != NULL ? (guint32) g_ascii_strtoull (text, NULL, 10)
                                            : 20261127);
}

static guint64
rand_u64 (GRand *rand)
{
  return (guint64) g_rand_int (rand) << 32 | g_rand_int (rand);
}

static double
from_bits (guint64 bits)
{
  double d;

  memcpy (&d, &bits, sizeof d);
  return d;
}

/* Fast path decisions seen, and those left to printf/strtod. */
static guint decided, undecided;

/* ph_double_append gives the reference's bytes for d; for positive normal
 * d the fast path's digits, when it decides, are the reference's too. */
static void
assert_same_text (double d)
{
  g_autofree char *expected = reference_text (d);
  g_autoptr (GString) out = g_string_new (NULL);

  ph_double_append (out, d);
  ck_assert_msg (strcmp (out->str, expected) == 0, "%a: \"%s\", expected \"%s\"", d, out->str,
                 expected);
  if (isnormal (d))
    {
      guint64 digits;
      int length, exponent;

      if (ph_double_shortest_fast (fabs (d), &digits, &length, &exponent))
        {
          /* The same correctly rounded digits as printf's %.Ne. */
          g_autofree char *printed = g_strdup_printf ("%.*e", length - 1, fabs (d));
          g_autofree char *mine = g_strdup_printf ("%" G_GUINT64_FORMAT "e%d", digits, exponent);
          g_autofree char *expected_digits = g_strdup_printf (
              "%c%.*se%d", printed[0], length - 1, printed + 2, atoi (strchr (printed, 'e') + 1));

          ck_assert_msg (strcmp (mine, expected_digits) == 0, "%a: digits %s, printf %s", d,
                         mine, expected_digits);
          decided++;
        }
      else
        undecided++;
    }
}

static void
assert_same_text_both_signs (double d)
{
  assert_same_text (d);
  assert_same_text (-d);
}

START_TEST (test_portable_product_matches_the_native_one)
{
  g_autoptr (GRand) rand = sample_rand ();
  const guint64 edges[] = { 0, 1, 2, G_MAXUINT32, (guint64) G_MAXUINT32 + 1, G_MAXUINT64,
                            G_MAXUINT64 - 1, UINT64_C (1) << 63 };
  ph_u128 max = ph_u128_mul64_portable (G_MAXUINT64, G_MAXUINT64);

  ck_assert_uint_eq (max.hi, G_MAXUINT64 - 1);
  ck_assert_uint_eq (max.lo, 1);
  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    for (guint j = 0; j < G_N_ELEMENTS (edges); j++)
      {
        ph_u128 a = ph_u128_mul64_portable (edges[i], edges[j]);
        ph_u128 b = ph_u128_mul64 (edges[i], edges[j]);

        ck_assert (a.hi == b.hi && a.lo == b.lo);
      }
  for (guint i = 0; i < sample_count (); i++)
    {
      guint64 x = rand_u64 (rand), y = rand_u64 (rand) >> g_rand_int_range (rand, 0, 64);
      ph_u128 a = ph_u128_mul64_portable (x, y);
      ph_u128 b = ph_u128_mul64 (x, y);

      ck_assert (a.hi == b.hi && a.lo == b.lo);
    }
}
END_TEST

START_TEST (test_powers_of_ten_are_exact_up_to_10_to_the_55)
{
  ph_u128 power = ph_u128_make (0, 1);

  for (int k = PH_POW10_MIN; k <= PH_POW10_MAX; k++)
    {
      const ph_pow10 *p = ph_pow10_get (k);

      ck_assert_msg (p->mantissa.hi >> 63 == 1, "10^%d is not normalised", k);
      ck_assert_msg (p->exact == (k >= 0 && k <= 55), "10^%d exact: %d", k, p->exact);
    }
  /* 10^38 is the largest power of ten below 2^128. */
  for (int k = 0; k <= 38; k++)
    {
      const ph_pow10 *p = ph_pow10_get (k);
      int shift = -p->exponent;
      ph_u128 m = p->mantissa, value;

      if (shift >= 64)
        value = ph_u128_make (0, m.hi >> (shift - 64));
      else if (shift > 0)
        value = ph_u128_make (m.hi >> shift, m.lo >> shift | m.hi << (64 - shift));
      else
        value = m;

      ck_assert_msg (ph_u128_cmp (value, power) == 0, "10^%d", k);
      power = ph_u128_mul_small (power, 10);
    }
}
END_TEST

START_TEST (test_powers_of_ten_and_their_reciprocals_multiply_to_one)
{
  for (int k = 1; k <= -PH_POW10_MIN; k++)
    {
      const ph_pow10 *up = ph_pow10_get (k), *down = ph_pow10_get (-k);
      /* The top 128 bits of the 256-bit product, which lies within a few
       * units of 2^255 or just below 2^254 × 4 = 1 × 2^-(exponents). */
      ph_u128 hh = ph_u128_mul64 (up->mantissa.hi, down->mantissa.hi);
      double product = ldexp ((double) hh.hi, 64 + 128 + up->exponent + down->exponent);

      ck_assert_msg (fabs (product - 1) < 1e-15, "10^%d × 10^-%d = %.17g", k, k, product);
    }
}
END_TEST

START_TEST (test_whole_and_short_values_match_printf)
{
  const double values[] = {
    0.0, 0.1, 0.3, 1.0, 5.0, 10.0, 100000.0, 1700000000.0, 1e15, 1e16, 1e17, 1e21, 1e22,
    1e23, 1e300, 2.5e-7, 1e-5, 1e-4, 9.5367431640625e-07, 14.496484023169915, 0.1 + 0.2,
    476.05552375713864, 48.8202253183409, 31.290278981000007, 335.8269600000015,
    0.8077585001602579, 136.67, 119.672, 5.6, 49.04197595574509, 50.53992706,
    1588195498.7716029, 50.352958230999995, 50.237335886, 9007199254740992.0,
    9007199254740993.0, 18014398509481984.0, 999999999999999.9, 9999999999999998.0,
    123456789012345678.0, 0.000123456789012345678, DBL_MAX, DBL_MIN, DBL_TRUE_MIN,
    DBL_EPSILON, 1.0 + DBL_EPSILON, 1.000030517578125, 1000000000000000.5,
  };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    assert_same_text_both_signs (values[i]);
}
END_TEST

START_TEST (test_every_binary_exponent_matches_printf)
{
  g_autoptr (GRand) rand = sample_rand ();
  const guint64 mantissas[] = { 0, 1, 2, 3, (UINT64_C (1) << 52) - 1, (UINT64_C (1) << 52) - 2,
                                UINT64_C (1) << 51, (UINT64_C (1) << 51) + 1 };

  for (guint64 biased = 0; biased <= 2046; biased++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (mantissas); i++)
        assert_same_text_both_signs (from_bits (biased << 52 | mantissas[i]));
      for (guint i = 0; i < 8; i++)
        assert_same_text (from_bits (biased << 52 | (rand_u64 (rand) >> 12)));
    }
}
END_TEST

START_TEST (test_random_bit_patterns_match_printf)
{
  g_autoptr (GRand) rand = sample_rand ();

  for (guint i = 0; i < sample_count (); i++)
    {
      double d = from_bits (rand_u64 (rand));

      if (isfinite (d))
        assert_same_text (d);
    }
}
END_TEST

/* Decimals of 1 to 17 digits from 1e-30 to 1e30, as a printer reports
 * lengths, times and temperatures, and their neighbours. */
START_TEST (test_random_decimals_match_printf)
{
  g_autoptr (GRand) rand = sample_rand ();

  for (guint i = 0; i < sample_count (); i++)
    {
      int length = g_rand_int_range (rand, 1, 18);
      guint64 digits = rand_u64 (rand) % (guint64) pow (10, length);
      g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "e%d", digits,
                                               g_rand_int_range (rand, -30 - length, 31 - length));
      double d = g_ascii_strtod (text, NULL);

      assert_same_text (d);
      assert_same_text (nextafter (d, INFINITY));
      assert_same_text (nextafter (d, 0));
    }
}
END_TEST

START_TEST (test_powers_of_ten_and_neighbours_match_printf)
{
  for (int k = -323; k <= 308; k++)
    {
      g_autofree char *text = g_strdup_printf ("1e%d", k);
      double d = g_ascii_strtod (text, NULL), up = d, down = d;

      assert_same_text (d);
      for (int i = 0; i < 3; i++)
        {
          up = nextafter (up, INFINITY);
          down = nextafter (down, 0);
          assert_same_text (up);
          assert_same_text (down);
        }
    }
}
END_TEST

/* Dyadic values k × 2^-j whose decimal has exactly 16, 17 or 18 digits,
 * the last a 5: halfway between two decimals of one digit less, where
 * printf rounds to even. */
START_TEST (test_exact_ties_match_printf)
{
  g_autoptr (GRand) rand = sample_rand ();

  for (guint i = 0; i < sample_count (); i++)
    {
      int j = g_rand_int_range (rand, 1, 23);
      int length = g_rand_int_range (rand, 16, 19);
      double five_j = pow (5, j);
      /* k odd, k × 5^j of length digits, k below 2^53. */
      double low = ceil (pow (10, length - 1) / five_j), high = floor (pow (10, length) / five_j);
      guint64 k;

      if (high > 9007199254740991.0)
        high = 9007199254740991.0;
      if (low > high)
        continue;
      k = (guint64) (low + g_rand_double (rand) * (high - low)) | 1;
      assert_same_text_both_signs (ldexp ((double) k, -j));
    }
}
END_TEST

/* Large doubles where the midpoint to the next one up is itself a decimal
 * of 15, 16 or 17 digits: it reads back only when the mantissa is even.
 * The midpoint (2m + 1) × 2^(e - 1) of `digits` digits ends in t =
 * digits - length zeros when 5^t divides 2m + 1 and t < e. */
START_TEST (test_midpoints_that_are_short_decimals_match_printf)
{
  g_autoptr (GRand) rand = sample_rand ();
  guint tried = 0;

  for (guint i = 0; i < sample_count (); i++)
    {
      int e = g_rand_int_range (rand, 2, 40);
      int length = g_rand_int_range (rand, 15, 18);
      int digits = (int) floor (log10 (ldexp (1.5, 52 + e))) + 1;
      int t = digits - length;
      double five_t = pow (5, t);
      double low, high, r;
      guint64 m;

      if (t < 1 || t >= e || t > 21)
        continue;
      /* 2m + 1 = 5^t × r, r odd, m a normal mantissa. */
      low = ceil (9007199254740993.0 / five_t);
      high = floor (18014398509481983.0 / five_t);
      r = floor (low + g_rand_double (rand) * (high - low));
      if (fmod (r, 2) == 0)
        r += r + 1 <= high ? 1 : -1;
      m = ((guint64) five_t * (guint64) r - 1) / 2;
      if ((int) floor (log10 ((2.0 * m + 1) * ldexp (1, e - 1))) + 1 != digits)
        continue;
      assert_same_text_both_signs (ldexp ((double) m, e));
      assert_same_text_both_signs (ldexp ((double) (m + 1), e));
      tried++;
    }
  ck_assert_uint_gt (tried, 0);
}
END_TEST

/* Whole numbers up to 2^64 and beyond, with and without fractions. */
START_TEST (test_large_whole_numbers_match_printf)
{
  g_autoptr (GRand) rand = sample_rand ();

  for (guint i = 0; i < sample_count (); i++)
    {
      guint64 m = rand_u64 (rand) >> g_rand_int_range (rand, 11, 64);

      assert_same_text_both_signs (ldexp ((double) m, g_rand_int_range (rand, -8, 30)));
    }
}
END_TEST

START_TEST (test_zero_and_subnormals_match_printf)
{
  g_autoptr (GRand) rand = sample_rand ();

  assert_same_text_both_signs (0.0);
  for (guint i = 0; i < sample_count (); i++)
    assert_same_text (from_bits (rand_u64 (rand) >> 12));
}
END_TEST

/* The slow path is for a decimal the 128-bit bracket cannot place: one
 * within 2^-64 of a tie or a midpoint (a few in a million arbitrary
 * doubles), or a round decimal above 2^64 lying exactly on one.  Printers
 * report neither: never more than one in ten thousand of arbitrary doubles
 * and decimals below 1e17. */
START_TEST (test_fast_path_decides_nearly_always)
{
  g_autoptr (GRand) rand = sample_rand ();

  decided = undecided = 0;
  for (guint i = 0; i < sample_count (); i++)
    {
      double d = from_bits (rand_u64 (rand) & ~(UINT64_C (1) << 63));
      int length = g_rand_int_range (rand, 1, 18);
      g_autofree char *text = g_strdup_printf (
          "%" G_GUINT64_FORMAT "e%d", rand_u64 (rand) % (guint64) pow (10, length),
          g_rand_int_range (rand, -30 - length, 17 - length));

      if (isnormal (d))
        assert_same_text (d);
      if (isnormal (g_ascii_strtod (text, NULL)))
        assert_same_text (g_ascii_strtod (text, NULL));
    }
  ck_assert_uint_gt (decided, 0);
  ck_assert_msg (undecided <= decided / 10000, "%u of %u undecided", undecided,
                 decided + undecided);
}
END_TEST

static Suite *
double_text_suite (void)
{
  Suite *suite = suite_create ("double-text");
  TCase *parts = tcase_create ("parts");
  TCase *text = tcase_create ("text");

  tcase_add_test (parts, test_portable_product_matches_the_native_one);
  tcase_add_test (parts, test_powers_of_ten_are_exact_up_to_10_to_the_55);
  tcase_add_test (parts, test_powers_of_ten_and_their_reciprocals_multiply_to_one);
  suite_add_tcase (suite, parts);

  tcase_add_test (text, test_whole_and_short_values_match_printf);
  tcase_add_test (text, test_every_binary_exponent_matches_printf);
  tcase_add_test (text, test_random_bit_patterns_match_printf);
  tcase_add_test (text, test_random_decimals_match_printf);
  tcase_add_test (text, test_powers_of_ten_and_neighbours_match_printf);
  tcase_add_test (text, test_exact_ties_match_printf);
  tcase_add_test (text, test_midpoints_that_are_short_decimals_match_printf);
  tcase_add_test (text, test_large_whole_numbers_match_printf);
  tcase_add_test (text, test_zero_and_subnormals_match_printf);
  tcase_add_test (text, test_fast_path_decides_nearly_always);
  suite_add_tcase (suite, text);
  return suite;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (double_text_suite ());
}
