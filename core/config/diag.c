#include "autoconfig.h"
#include "diag.h"

static void
entry_free (gpointer data)
{
  ph_diag_entry *entry = data;

  g_free (entry->file);
  g_free (entry->text);
  g_free (entry);
}

ph_diag *
ph_diag_new (void)
{
  ph_diag *diag = g_new0 (ph_diag, 1);

  diag->entries = g_ptr_array_new_with_free_func (entry_free);
  return diag;
}

void
ph_diag_free (ph_diag *diag)
{
  if (diag == NULL)
    return;
  g_ptr_array_unref (diag->entries);
  g_free (diag);
}

void
ph_diag_add (ph_diag *diag, ph_diag_level level, const char *file, guint line,
             const char *format, ...)
{
  ph_diag_entry *entry = g_new0 (ph_diag_entry, 1);
  va_list args;

  entry->level = level;
  entry->file = g_strdup (file);
  entry->line = line;
  va_start (args, format);
  entry->text = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (diag->entries, entry);
}

guint
ph_diag_count (const ph_diag *diag, ph_diag_level level)
{
  guint n = 0;

  for (guint i = 0; i < diag->entries->len; i++)
    if (((ph_diag_entry *) g_ptr_array_index (diag->entries, i))->level == level)
      n++;
  return n;
}

void
ph_diag_print (const ph_diag *diag, FILE *out)
{
  for (guint i = 0; i < diag->entries->len; i++)
    {
      const ph_diag_entry *e = g_ptr_array_index (diag->entries, i);
      const char *level = e->level == PH_DIAG_ERROR ? "error" : "warning";

      if (e->file != NULL && e->line > 0)
        fprintf (out, "%s:%u: %s: %s\n", e->file, e->line, level, e->text);
      else if (e->file != NULL)
        fprintf (out, "%s: %s: %s\n", e->file, level, e->text);
      else
        fprintf (out, "printhook: %s: %s\n", level, e->text);
    }
}
