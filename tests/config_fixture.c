#include "autoconfig.h"
#include "config_fixture.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "delivery/host.h"

void
ph_fixture_use_test_modules (void)
{
  const char *test_dir = g_getenv ("PH_TEST_MODULE_DIR");
  const char *real_dir = g_getenv ("PRINTHOOK_MODULE_PATH");
  g_autofree char *path = NULL;

  /* Called before any test runs, where ck_assert cannot report. */
  if (test_dir == NULL)
    g_error ("PH_TEST_MODULE_DIR is not set: run the suite through make check");
  path = g_strdup_printf ("%s%s%s", test_dir, real_dir ? ":" : "", real_dir ? real_dir : "");
  g_setenv ("PRINTHOOK_MODULE_PATH", path, TRUE);
}

ph_loaded *
ph_load_text (const char *main, const char *const *hook_files)
{
  ph_loaded *loaded = g_new0 (ph_loaded, 1);
  g_autoptr (GError) error = NULL;

  loaded->dir = ph_test_tmpdir ();
  loaded->path = g_build_filename (loaded->dir, "printhook.conf", NULL);
  ck_assert (g_file_set_contents (loaded->path, main, -1, &error));
  /* Secrets in test files: keep them private so the warning about
   * world-readable files appears only where a test asks for it. */
  g_chmod (loaded->path, 0600);
  if (hook_files != NULL)
    {
      g_autofree char *hooks_dir = g_build_filename (loaded->dir, "hooks.d", NULL);

      g_mkdir (hooks_dir, 0700);
      for (guint i = 0; hook_files[i] != NULL; i += 2)
        {
          g_autofree char *file = g_build_filename (hooks_dir, hook_files[i], NULL);
          ck_assert (g_file_set_contents (file, hook_files[i + 1], -1, &error));
          g_chmod (file, 0600);
        }
    }
  loaded->diag = ph_diag_new ();
  loaded->config = ph_config_load (loaded->path, ph_host (), loaded->diag);
  return loaded;
}

void
ph_loaded_free (ph_loaded *loaded)
{
  if (loaded == NULL)
    return;
  ph_config_free (loaded->config);
  ph_diag_free (loaded->diag);
  g_free (loaded->dir);
  g_free (loaded->path);
  g_free (loaded);
}

static char *
dump (const ph_loaded *loaded)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < loaded->diag->entries->len; i++)
    {
      const ph_diag_entry *e = g_ptr_array_index (loaded->diag->entries, i);
      g_string_append_printf (text, "  %s line %u: %s\n", e->level == PH_DIAG_ERROR ? "error" : "warning",
                              e->line, e->text);
    }
  return g_string_free (text, FALSE);
}

guint
ph_assert_diag (const ph_loaded *loaded, ph_diag_level level, ...)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  g_autofree char *all = NULL;
  const char *part;
  va_list args;

  va_start (args, level);
  while ((part = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);

  for (guint i = 0; i < loaded->diag->entries->len; i++)
    {
      const ph_diag_entry *e = g_ptr_array_index (loaded->diag->entries, i);
      gboolean all_found = e->level == level;

      for (guint j = 0; all_found && j < parts->len; j++)
        all_found = strstr (e->text, g_ptr_array_index (parts, j)) != NULL;
      if (all_found)
        return e->line;
    }
  all = dump (loaded);
  ck_abort_msg ("no %s containing '%s'%s; the loader said:\n%s",
                level == PH_DIAG_ERROR ? "error" : "warning",
                parts->len > 0 ? (char *) g_ptr_array_index (parts, 0) : "",
                parts->len > 1 ? " (and more)" : "", all);
  return 0;
}

void
ph_assert_no_diag (const ph_loaded *loaded, ph_diag_level level)
{
  g_autofree char *all = dump (loaded);

  ck_assert_msg (ph_diag_count (loaded->diag, level) == 0, "unexpected %s:\n%s",
                 level == PH_DIAG_ERROR ? "errors" : "warnings", all);
}
