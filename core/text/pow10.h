/* Powers of ten as 128-bit binary floating point, for the double writer
 * (core/text/double_text.c). */
#ifndef PH_POW10_H
#define PH_POW10_H

#include <glib.h>
#include "u128.h"

/* The powers the double writer scales by: 10^(16 - floor(log10 2^E)) for
 * every binary exponent E of a normal double. */
#define PH_POW10_MIN (-291)
#define PH_POW10_MAX 324

typedef struct {
  ph_u128 mantissa;   /* its top bit set */
  int exponent;       /* 10^k lies in [mantissa, mantissa + 2) × 2^exponent */
  gboolean exact;     /* 10^k is mantissa × 2^exponent */
} ph_pow10;

/* 10^k for PH_POW10_MIN <= k <= PH_POW10_MAX.  Transfer none, static; the
 * table is computed on the first call, from any thread. */
const ph_pow10 *ph_pow10_get (int k);

#endif
