/* Diagnostics of a config check: every problem found, not just the first,
 * each with the file and line it is about. */
#ifndef PH_DIAG_H
#define PH_DIAG_H

#include <glib.h>
#include <stdio.h>

typedef enum {
  PH_DIAG_ERROR,
  PH_DIAG_WARNING
} ph_diag_level;

typedef struct {
  ph_diag_level level;
  char *file;      /* NULL when not about a file */
  guint line;      /* 0 when unknown */
  char *text;
} ph_diag_entry;

typedef struct {
  GPtrArray *entries;   /* ph_diag_entry *, owned */
} ph_diag;

ph_diag *ph_diag_new (void);
void ph_diag_free (ph_diag *diag);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_diag, ph_diag_free)

/* Records one problem.  file: transfer none, may be NULL. */
void ph_diag_add (ph_diag *diag, ph_diag_level level, const char *file, guint line,
                  const char *format, ...) G_GNUC_PRINTF (5, 6);

guint ph_diag_count (const ph_diag *diag, ph_diag_level level);

/* Prints every entry as "FILE:LINE: error: TEXT", in the order found. */
void ph_diag_print (const ph_diag *diag, FILE *out);

#endif
