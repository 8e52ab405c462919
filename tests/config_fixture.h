/* Loading a configuration written by a test, and asserting on what the
 * loader said about it. */
#ifndef PH_TEST_CONFIG_FIXTURE_H
#define PH_TEST_CONFIG_FIXTURE_H

#include "config/config.h"
#include "config/diag.h"

typedef struct {
  char *dir;          /* the temporary directory holding the files */
  char *path;         /* its printhook.conf */
  ph_config *config;  /* NULL when loading failed */
  ph_diag *diag;
} ph_loaded;

/* Makes the test modules (and the real ones of the build) loadable. */
void ph_fixture_use_test_modules (void);

/* Writes main as printhook.conf in a new directory, and each pair of
 * (name, text) of hook_files (NULL-terminated, may be NULL) into hooks.d/,
 * then loads it.  Transfer full. */
ph_loaded *ph_load_text (const char *main, const char *const *hook_files);
void ph_loaded_free (ph_loaded *loaded);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_loaded, ph_loaded_free)

/* Fails the test unless some diagnostic of that level contains every one
 * of the NULL-terminated substrings; returns its line. */
guint ph_assert_diag (const ph_loaded *loaded, ph_diag_level level, ...) G_GNUC_NULL_TERMINATED;

/* Fails the test unless there is no diagnostic of that level. */
void ph_assert_no_diag (const ph_loaded *loaded, ph_diag_level level);

#endif
