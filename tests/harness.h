/* Shared by every Check suite: fatal GLib warnings, running a suite,
 * running the real printhook binary, and asserting on text. */
#ifndef PH_TEST_HARNESS_H
#define PH_TEST_HARNESS_H

#include <string.h>
#include <check.h>
#include <glib.h>

/* Text (a NUL-terminated string) has needle in it, or has not; the failure
 * shows the whole text. */
#define assert_contains(haystack, needle) \
  ck_assert_msg (strstr ((haystack), (needle)) != NULL, "expected '%s' in:\n%s", (needle), \
                 (haystack))
#define assert_lacks(haystack, needle) \
  ck_assert_msg (strstr ((haystack), (needle)) == NULL, "did not expect '%s' in:\n%s", \
                 (needle), (haystack))

/* Ends the argument list of a variadic helper: a plain NULL may be an int
 * in a variadic call. */
#define PH_END ((const char *) NULL)

/* Makes g_warning and g_critical abort the test, as GStreamer's check
 * library does: an unexpected warning is a failure. */
void ph_test_init (void);

/* A GSpawnChildSetupFunc for every process a test starts, user_data
 * GINT_TO_POINTER (getpid ()): the kernel SIGKILLs the child when the
 * test process dies, or when a failed test's cleanup never ran (under
 * CK_FORK=no a failed assertion jumps to the next test) by the end of the
 * suite at the latest.  The kernel watches the thread that forked: start
 * children from the test's own thread. */
void ph_test_die_with_parent (gpointer user_data);

/* Runs the suite (transfer full) and returns the process exit status. */
int ph_test_run (Suite *suite);

/* Directory of the source tree, the build tree, and the built binary, from
 * the environment the Makefile sets (transfer none). */
const char *ph_test_srcdir (void);
const char *ph_test_builddir (void);
const char *ph_test_binary (void);

/* How many times slower than natively the code under test runs, the scale
 * of every timeout and the divisor of the heaviest loops: PH_TEST_SLOW
 * when set (scripts/cross sets it under qemu-user), 10 under valgrind
 * (PH_TEST_VALGRIND), else 1. */
guint ph_test_slowness (void);

/* Result of running the printhook binary. */
typedef struct {
  int exit_status;   /* the exit code, or 128 + signal */
  char *out;         /* everything written to stdout */
  char *err;         /* everything written to stderr */
} ph_run_result;

/* Runs printhook with argv (NULL-terminated, without the program name) and
 * extra environment entries ("NAME=value", NULL-terminated, may be NULL),
 * waits at most timeout_s seconds.  Returns transfer full; free with
 * ph_run_result_free. */
ph_run_result *ph_run_printhook (const char *const *argv, const char *const *env,
                                 guint timeout_s);
void ph_run_result_free (ph_run_result *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_run_result, ph_run_result_free)

/* Writes text to a new file in a fresh temporary directory and returns its
 * path (transfer full); the directory is removed at exit. */
char *ph_test_write_file (const char *name, const char *text);

/* A fresh temporary directory removed at exit (transfer full). */
char *ph_test_tmpdir (void);

#endif
