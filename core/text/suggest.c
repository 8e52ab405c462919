#include "autoconfig.h"
#include "suggest.h"

#include <string.h>

/* Optimal string alignment distance (Levenshtein plus adjacent swaps, the
 * most common typo), case-insensitive on ASCII. */
static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *prev2 = g_new0 (guint, lb + 1);
  g_autofree guint *prev = g_new0 (guint, lb + 1);
  g_autofree guint *cur = g_new0 (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    prev[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      cur[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;
          guint best = MIN (prev[j] + 1, cur[j - 1] + 1);
          best = MIN (best, prev[j - 1] + cost);
          if (i > 1 && j > 1 && g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 2])
              && g_ascii_tolower (a[i - 2]) == g_ascii_tolower (b[j - 1]))
            best = MIN (best, prev2[j - 2] + 1);
          cur[j] = best;
        }
      guint *t = prev2;
      prev2 = prev;
      prev = cur;
      cur = t;
    }
  return prev[lb];
}

const char *
ph_suggest (const char *word, const char *const *candidates)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  /* A third of the word's length, at least one edit: "metod" finds "method",
   * "x" does not find "url". */
  guint limit = MAX (1, (guint) strlen (word) / 3);

  for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++)
    {
      guint d = edit_distance (word, candidates[i]);
      if (d < best_distance)
        {
          best_distance = d;
          best = candidates[i];
        }
    }
  return best_distance <= limit ? best : NULL;
}
