/* The powers of ten the double writer needs, computed once with exact
 * integers rather than kept as a generated table: 10^k by repeated
 * multiplication, 10^-k as floor(2^1100 / 10^k) by repeated division, each
 * cut to its top 128 bits. */
#include "autoconfig.h"
#include "pow10.h"

#include <string.h>

/* 32-bit limbs, least significant first: 10^324 < 2^1077 and 2^1100 fit. */
#define LIMBS 36
#define DIVIDEND_BITS 1100

typedef struct {
  uint32_t limb[LIMBS];
} bignum;

static ph_pow10 table[PH_POW10_MAX - PH_POW10_MIN + 1];

static int
bit_length (const bignum *b)
{
  for (int i = LIMBS - 1; i >= 0; i--)
    if (b->limb[i] != 0)
      return i * 32 + g_bit_nth_msf (b->limb[i], -1) + 1;
  return 0;
}

static gboolean
bit_at (const bignum *b, int i)
{
  return i >= 0 && (b->limb[i / 32] >> (i % 32) & 1) != 0;
}

/* The top 128 bits of b × 2^scale, truncated. */
static void
take_top (const bignum *b, int scale, ph_pow10 *out)
{
  int n = bit_length (b);
  ph_u128 m = ph_u128_make (0, 0);

  for (int i = n - 1; i >= n - 128; i--)
    m = ph_u128_make (m.hi << 1 | m.lo >> 63, m.lo << 1 | bit_at (b, i));
  out->mantissa = m;
  out->exponent = n - 128 + scale;
  out->exact = TRUE;
  for (int i = n - 129; i >= 0 && out->exact; i--)
    out->exact = !bit_at (b, i);
}

static void
multiply_by_10 (bignum *b)
{
  uint64_t carry = 0;

  for (int i = 0; i < LIMBS; i++)
    {
      uint64_t v = (uint64_t) b->limb[i] * 10 + carry;
      b->limb[i] = (uint32_t) v;
      carry = v >> 32;
    }
}

static void
divide_by_10 (bignum *b)
{
  uint64_t rest = 0;

  for (int i = LIMBS - 1; i >= 0; i--)
    {
      uint64_t v = rest << 32 | b->limb[i];
      b->limb[i] = (uint32_t) (v / 10);
      rest = v % 10;
    }
}

static void
fill_table (void)
{
  bignum b = { { 0 } };

  b.limb[0] = 1;
  for (int k = 0; k <= PH_POW10_MAX; k++)
    {
      take_top (&b, 0, &table[k - PH_POW10_MIN]);
      multiply_by_10 (&b);
    }
  /* floor (floor (x / 10) / 10) is floor (x / 100): each step is exact, and
   * the floor and the cut to 128 bits (of at least 130) each lose less than
   * one unit of the mantissa's last place. */
  memset (&b, 0, sizeof b);
  b.limb[DIVIDEND_BITS / 32] = 1u << (DIVIDEND_BITS % 32);
  for (int k = -1; k >= PH_POW10_MIN; k--)
    {
      ph_pow10 *p = &table[k - PH_POW10_MIN];

      divide_by_10 (&b);
      take_top (&b, -DIVIDEND_BITS, p);
      p->exact = FALSE;
    }
}

const ph_pow10 *
ph_pow10_get (int k)
{
  static gsize filled = 0;

  g_return_val_if_fail (k >= PH_POW10_MIN && k <= PH_POW10_MAX, NULL);

  if (g_once_init_enter (&filled))
    {
      fill_table ();
      g_once_init_leave (&filled, 1);
    }
  return &table[k - PH_POW10_MIN];
}
