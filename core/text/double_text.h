/* A double as printhook writes it in JSON text: its shortest round-trip
 * form (DESIGN.md §5), computed without printf and strtod. */
#ifndef PH_DOUBLE_TEXT_H
#define PH_DOUBLE_TEXT_H

#include <glib.h>

/* Appends finite d to out (transfer none) as printhook's JSON writer has
 * always written it: the correctly rounded decimal of 15, 16 or 17
 * significant digits (from 1 for subnormals and zero), the first of those
 * lengths that reads back as d, in %g's notation with trailing zeros
 * dropped, except that whole numbers below 1e16 keep plain digits
 * ("100000.0", not "1e+05"), and with ".0" added when the text would read
 * as an integer ("5.0", "-0.0").  NaN and infinities are the caller's
 * business. */
void ph_double_append (GString *out, double d);

/* What ph_double_append decides without the slow path, for the tests that
 * compare the two: the digits (D, with *exponent the power of ten of its
 * first digit, and *length of them, 15 to 17) for a positive normal d, or
 * FALSE when the 128-bit bracket of d's decimal expansion was too wide to
 * decide, and the printf/strtod search must. */
gboolean ph_double_shortest_fast (double d, guint64 *digits, int *length, int *exponent);

#endif
