/* What every fuzz target shares.  A target is one function libFuzzer
 * calls with each input; it runs the real code on it and aborts (so that
 * libFuzzer saves the input) when a property the code promises fails.
 * Crashes, leaks and undefined behaviour are found by the sanitizers the
 * fuzz build has. */
#ifndef PH_FUZZ_H
#define PH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A property the code promises does not hold: say which, with the
 * texts involved, and abort. */
#define PH_FUZZ_FAIL(...) \
  do { fprintf (stderr, "property failed: " __VA_ARGS__); fputc ('\n', stderr); abort (); } while (0)

/* The input split at its first NUL byte: the part before (NULL when there
 * is no NUL) and the part after, or all of it.  Both NUL-terminated copies,
 * transfer full. */
static inline void
ph_fuzz_split (const uint8_t *data, size_t size, char **first, char **rest)
{
  const uint8_t *nul = memchr (data, '\0', size);

  *first = nul != NULL ? g_strndup ((const char *) data, nul - data) : NULL;
  *rest = nul != NULL ? g_strndup ((const char *) nul + 1, size - (nul + 1 - data))
                      : g_strndup ((const char *) data, size);
}

#endif
