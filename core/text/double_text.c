/* Doubles in JSON text.  The text is fixed by what the writer printed from
 * the start: the correctly rounded decimal of 15, 16 or 17 digits, the
 * first that reads back (glibc's printf "%.Ng", then strtod, per length).
 * That is not always what Ryu or Grisu call shortest (next to a power of
 * two, the nearest 16-digit decimal can miss d while another reads back),
 * so this runs the same search, but with integer arithmetic instead of
 * three rounds of multi-precision printf and strtod.
 *
 * w = d × 10^(16 - floor(log10 2^E)) puts d's first 17 or 18 digits
 * before the point.  Scaled by a 128-bit power of ten (core/text/pow10.c), w is
 * known to 2^-64 or better: between lo and lo + 2 units of 2^-64 (exactly,
 * or within one unit, when the power of ten is exact, as for every d from
 * 1e-39 to 1e17).  Rounding to N digits is monotonic in w, and so is each
 * half of "the rounded decimal lies between the midpoints to d's
 * neighbours", which strtod's round-to-nearest-even makes the test for
 * reading back; so when the whole search comes out the same at both ends
 * of the bracket, it is what exact arithmetic gives.  Whole numbers from
 * 1e17 to 2^64 are searched in integers instead: a round decimal there
 * often lies exactly on a midpoint.  What is left to the printf/strtod
 * search: subnormals, a decimal within 2^-64 of a tie or a midpoint (a few
 * in a million arbitrary doubles), and round decimals above 2^64 lying
 * exactly on a midpoint. */
#include "autoconfig.h"
#include "double_text.h"

#include <math.h>
#include <string.h>

#include "pow10.h"
#include "string_put.h"

#define FIRST_LENGTH 15   /* DBL_DIG: any shorter decimal reads back padded to 15 */
#define LENGTHS 3         /* 15, 16, 17 */

static const uint64_t pow10_u64[] = {
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
  10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
  1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
  10000000000000000000u,
};

/* floor (e × log10 2): 78913 / 2^18 is close enough to log10 2 for every
 * exponent a double has (the tests try each). */
static int
floor_log10_pow2 (int e)
{
  int64_t scaled = (int64_t) e * 78913;
  return (int) (scaled >= 0 ? scaled / 262144 : -((-scaled + 262143) / 262144));
}

/* What the search finds for one value of w (units of 2^-64). */
typedef struct {
  gboolean above;                /* w >= 10^17: 18 digits before the point */
  uint64_t digits[LENGTHS];      /* rounded to 15, 16, 17 digits */
  gboolean reads_back[LENGTHS];
} search;

typedef struct {
  uint64_t m;            /* d = m × 2^e, 2^52 <= m < 2^53 */
  gboolean even;         /* strtod's ties go to even mantissas: both midpoints read back */
  gboolean lower_half;   /* m = 2^52: the neighbour below is half as far away */
} binary;

/* Whether the decimal c (units of w) reads back as d, that is lies between
 * the midpoints to d's neighbours, w ± w / 2m (below: w / 4m at a power of
 * two).  |c - w| is at most 500 units, so every product stays below 2^127. */
static gboolean
reads_back (const binary *b, uint64_t c, ph_u128 w)
{
  ph_u128 cw = ph_u128_make (c, 0);
  gboolean up = ph_u128_cmp (cw, w) >= 0;
  ph_u128 gap = up ? ph_u128_sub (cw, w) : ph_u128_sub (w, cw);
  uint64_t scale = up || !b->lower_half ? 2 * b->m : 4 * b->m;
  int cmp = ph_u128_cmp (ph_u128_mul_small (gap, scale), w);

  return b->even ? cmp <= 0 : cmp < 0;
}

static void
run_search (const binary *b, ph_u128 w, search *s)
{
  s->above = w.hi >= pow10_u64[17];
  for (int i = 0; i < LENGTHS; i++)
    {
      /* w's integer part rounded to FIRST_LENGTH + i digits: to a multiple
       * of unit, half to even, as printf does. */
      uint64_t unit = pow10_u64[17 - FIRST_LENGTH - i + s->above];
      uint64_t q = w.hi / unit;
      ph_u128 rest = ph_u128_make (w.hi % unit, w.lo);
      int cmp = ph_u128_cmp (rest, ph_u128_make (unit >> 1, (unit & 1) << 63));

      if (cmp > 0 || (cmp == 0 && (q & 1) != 0))
        q++;
      s->digits[i] = q;
      s->reads_back[i] = reads_back (b, q * unit, w);
    }
}

static gboolean
same_search (const search *x, const search *y)
{
  if (x->above != y->above)
    return FALSE;
  for (int i = 0; i < LENGTHS; i++)
    if (x->digits[i] != y->digits[i] || x->reads_back[i] != y->reads_back[i])
      return FALSE;
  return TRUE;
}

/* n / unit rounded half to even, as printf rounds. */
static uint64_t
rounded_quotient (uint64_t n, uint64_t unit)
{
  uint64_t q = n / unit, twice_rest = n % unit * 2;

  return q + (twice_rest > unit || (twice_rest == unit && (q & 1) != 0));
}

/* The search for a whole number n = m × 2^e from 10^17 to 2^64, in
 * integers: its midpoints n ± 2^(e - 1) are whole too, and often a round
 * decimal such as 5821088191e9 lies exactly on one, which the 128-bit
 * bracket of w could not tell from either side. */
static gboolean
search_whole (const binary *b, int e, guint64 *digits, int *length, int *exponent)
{
  uint64_t n = b->m << e;
  int x = 17;

  while (x < 19 && n >= pow10_u64[x + 1])
    x++;
  for (int i = 0; i < LENGTHS; i++)
    {
      uint64_t unit = pow10_u64[x + 1 - FIRST_LENGTH - i];
      uint64_t q = rounded_quotient (n, unit);
      ph_u128 c = ph_u128_mul64 (q, unit), nn = ph_u128_make (0, n);
      gboolean up = ph_u128_cmp (c, nn) >= 0;
      ph_u128 gap = up ? ph_u128_sub (c, nn) : ph_u128_sub (nn, c);
      int half_gap_bits = up || !b->lower_half ? e - 1 : e - 2;
      int cmp = ph_u128_cmp (gap, ph_u128_make (0, UINT64_C (1) << half_gap_bits));

      if (b->even ? cmp <= 0 : cmp < 0)
        {
          *digits = q;
          *length = FIRST_LENGTH + i;
          *exponent = x;
          return TRUE;
        }
    }
  return FALSE;
}

/* The search for w = d × 10^k, known within lo + [0, error] units of 2^-64:
 * the index of the first length that reads back, or -1 when the two ends
 * of the bracket disagree. */
static int
search_scaled (const binary *b, ph_u128 lo, guint error, search *s)
{
  search at_hi;

  run_search (b, lo, s);
  if (error > 0)
    {
      run_search (b, ph_u128_add (lo, ph_u128_make (0, error)), &at_hi);
      if (!same_search (s, &at_hi))
        return -1;
    }
  for (int i = 0; i < LENGTHS; i++)
    if (s->reads_back[i])
      return i;
  return -1;
}

/* d: positive and normal. */
gboolean
ph_double_shortest_fast (double d, guint64 *digits, int *length, int *exponent)
{
  uint64_t bits;
  binary b;
  int e, k;
  const ph_pow10 *p;

  g_return_val_if_fail (isnormal (d) && d > 0, FALSE);

  memcpy (&bits, &d, sizeof bits);
  b.m = (bits & ((UINT64_C (1) << 52) - 1)) | UINT64_C (1) << 52;
  e = (int) (bits >> 52) - 1075;
  b.even = (b.m & 1) == 0;
  b.lower_half = b.m == UINT64_C (1) << 52 && (bits >> 52) > 1;

  /* 10^k puts w in [10^16, 2 × 10^17). */
  k = 16 - floor_log10_pow2 (e + 52);
  p = ph_pow10_get (k);
  if (k < 0 && e <= 11)
    {
      if (!search_whole (&b, e, digits, length, exponent))
        return FALSE;
    }
  else
    {
      /* m × mantissa (179 to 181 bits), shifted to units of 2^-64 of w
       * (117 to 122 bits). */
      ph_u128 low = ph_u128_mul64 (b.m, p->mantissa.lo);
      ph_u128 high = ph_u128_add (ph_u128_mul64 (b.m, p->mantissa.hi),
                                  ph_u128_make (0, low.hi));
      int shift = -(e + p->exponent + 64);
      gboolean cut;
      search s;
      int found;

      /* Never so for a finite double; if it were, the shifts below would
       * be undefined: leave it to the slow path (a plain check, not
       * g_return_val_if_fail, which G_DISABLE_CHECKS compiles out). */
      if (shift < 1 || shift > 63 || high.hi >> shift != 0)
        return FALSE;
      cut = (low.lo & ((UINT64_C (1) << shift) - 1)) != 0;
      found = search_scaled (&b,
                             ph_u128_make (high.hi << (64 - shift) | high.lo >> shift,
                                           high.lo << (64 - shift) | low.lo >> shift),
                             !p->exact ? 2 : cut ? 1 : 0, &s);
      if (found < 0)
        return FALSE;
      *length = FIRST_LENGTH + found;
      *digits = s.digits[found];
      *exponent = 16 - k + s.above;
    }
  /* Rounding up to 10^length carries into the exponent. */
  if (*digits == pow10_u64[*length])
    {
      *digits /= 10;
      ++*exponent;
    }
  return TRUE;
}

/* The writer as it was: %.Ng for N from 1 (subnormals and zero) or 15 until
 * strtod reads it back; g_ascii_* never follow the process locale.  Every
 * decimal of at most 15 significant digits survives a trip through a
 * normal double (DBL_DIG), so when %.15g reads back, %g's dropping of
 * trailing zeros has already made it the shortest. */
static void
append_by_printf (GString *out, double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *exponent;

  for (int precision = isnormal (d) ? FIRST_LENGTH : 1; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  /* Plain digits below 1e16 ("100000.0", not "1e+05"), as Python's repr
   * showed the plugin's users.  %g chose an exponent here only because the
   * value is a whole number, which %.0f prints exactly. */
  exponent = strchr (buf, 'e');
  if (exponent != NULL && exponent[1] == '+' && g_ascii_strtoll (exponent + 2, NULL, 10) < 16)
    g_ascii_formatd (buf, sizeof buf, "%.0f", d);
  g_string_append (out, buf);
  /* A receiver must still see a double: 5.0 must not read back as 5. */
  if (strpbrk (buf, ".e") == NULL)
    g_string_append (out, ".0");
}

/* The digits (length of them, first at 10^exponent) as append_by_printf
 * writes them: %g's choice between plain and exponent notation, except
 * that plain goes on to 1e16 for 15 digits (where %.15g would say 1e+15
 * only for a whole number, which "%.0f" then writes plainly). */
static void
append_digits (GString *out, guint64 digits, int length, int exponent)
{
  char text[20] = "";
  int n = length;

  for (int i = length - 1; i >= 0; i--, digits /= 10)
    text[i] = (char) ('0' + digits % 10);
  while (n > 1 && text[n - 1] == '0')
    n--;
  if (exponent < -4 || exponent >= MAX (length, 16))
    {
      /* printf's exponent: a sign and at least two digits. */
      int magnitude = ABS (exponent);
      char e[5] = { 'e', exponent < 0 ? '-' : '+', (char) ('0' + magnitude / 100),
                    (char) ('0' + magnitude / 10 % 10), (char) ('0' + magnitude % 10) };

      ph_string_put (out, text, 1);
      if (n > 1)
        {
          g_string_append_c (out, '.');
          ph_string_put (out, text + 1, n - 1);
        }
      ph_string_put (out, e, 2);
      ph_string_put (out, e + (magnitude >= 100 ? 2 : 3), magnitude >= 100 ? 3 : 2);
    }
  else if (exponent < 0)
    {
      static const char zeros[] = "0.0000";

      ph_string_put (out, zeros, 1 - exponent);   /* "0." and -exponent - 1 zeros */
      ph_string_put (out, text, n);
    }
  else if (n <= exponent + 1)
    {
      static const char zeros[] = "0000000000000000";

      ph_string_put (out, text, n);
      ph_string_put (out, zeros, exponent + 1 - n);
      PH_STRING_PUT_LITERAL (out, ".0");
    }
  else
    {
      ph_string_put (out, text, exponent + 1);
      g_string_append_c (out, '.');
      ph_string_put (out, text + exponent + 1, n - exponent - 1);
    }
}

/* out: transfer none. */
void
ph_double_append (GString *out, double d)
{
  guint64 digits;
  int length, exponent;

  g_return_if_fail (isfinite (d));

  if (d == 0)
    {
      if (signbit (d))
        g_string_append_c (out, '-');
      PH_STRING_PUT_LITERAL (out, "0.0");
    }
  else if (isnormal (d) && ph_double_shortest_fast (fabs (d), &digits, &length, &exponent))
    {
      if (d < 0)
        g_string_append_c (out, '-');
      append_digits (out, digits, length, exponent);
    }
  else
    append_by_printf (out, d);
}
