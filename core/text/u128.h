/* Unsigned 128-bit integers for the double writer (core/text/double_text.c),
 * portable to the 32-bit ARM of older Raspberry Pis, where the compiler has
 * no __int128. */
#ifndef PH_U128_H
#define PH_U128_H

#include <stdint.h>

typedef struct {
  uint64_t hi, lo;
} ph_u128;

static inline ph_u128
ph_u128_make (uint64_t hi, uint64_t lo)
{
  ph_u128 r = { hi, lo };
  return r;
}

/* The full product a × b from 32-bit halves: what ph_u128_mul64 does where
 * the compiler has no 128-bit type (and what the tests check it against
 * everywhere). */
static inline ph_u128
ph_u128_mul64_portable (uint64_t a, uint64_t b)
{
  uint64_t a_lo = (uint32_t) a, a_hi = a >> 32, b_lo = (uint32_t) b, b_hi = b >> 32;
  uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  /* At most 2 (2^32 - 1) + (2^32 - 1)^2 = 2^64 - 1: nothing carries out. */
  uint64_t middle = (lo_lo >> 32) + (uint32_t) hi_lo + lo_hi;

  return ph_u128_make (hi_hi + (hi_lo >> 32) + (middle >> 32),
                       (middle << 32) | (uint32_t) lo_lo);
}

/* The full product a × b. */
static inline ph_u128
ph_u128_mul64 (uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
  unsigned __int128 p = (unsigned __int128) a * b;
  return ph_u128_make ((uint64_t) (p >> 64), (uint64_t) p);
#else
  return ph_u128_mul64_portable (a, b);
#endif
}

static inline ph_u128
ph_u128_add (ph_u128 a, ph_u128 b)
{
  uint64_t lo = a.lo + b.lo;
  return ph_u128_make (a.hi + b.hi + (lo < a.lo), lo);
}

/* a - b, for a >= b. */
static inline ph_u128
ph_u128_sub (ph_u128 a, ph_u128 b)
{
  return ph_u128_make (a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo);
}

/* -1, 0 or 1 as a is below, equal to or above b. */
static inline int
ph_u128_cmp (ph_u128 a, ph_u128 b)
{
  if (a.hi != b.hi)
    return a.hi < b.hi ? -1 : 1;
  return a.lo < b.lo ? -1 : a.lo > b.lo;
}

/* a × b when the product fits in 128 bits (a.hi × b < 2^64). */
static inline ph_u128
ph_u128_mul_small (ph_u128 a, uint64_t b)
{
  ph_u128 low = ph_u128_mul64 (a.lo, b);
  return ph_u128_make (low.hi + a.hi * b, low.lo);
}

#endif
