/* "Did you mean ...?" for misspelt names in config files. */
#ifndef PH_SUGGEST_H
#define PH_SUGGEST_H

#include <glib.h>

/* Returns the candidate closest to word (case-insensitive edit distance), or
 * NULL when none is close enough to be a likely typo.  candidates:
 * NULL-terminated, transfer none; the result points into it. */
const char *ph_suggest (const char *word, const char *const *candidates);

#endif
