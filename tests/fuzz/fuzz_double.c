/* The number writer: every finite double is written in a form strtod
 * reads back to the very same bits (the shortest such form, which
 * tests/test_double_text.c checks against an oracle). */
#include "autoconfig.h"

#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "text/double_text.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  double d, back;
  GString *out;

  if (size != sizeof d)
    return 0;
  memcpy (&d, data, sizeof d);
  if (!isfinite (d))
    return 0;
  out = g_string_new (NULL);
  ph_double_append (out, d);
  back = g_ascii_strtod (out->str, NULL);
  if (memcmp (&back, &d, sizeof d) != 0)
    PH_FUZZ_FAIL ("%.17g is written as %s, which reads back as %.17g", d, out->str, back);
  g_string_free (out, TRUE);
  return 0;
}
