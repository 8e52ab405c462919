/* "printhook run" as a child process of a test: started, watched through
 * its log, signalled, and stopped with its exit status. */
#ifndef PH_TEST_DAEMON_PROCESS_H
#define PH_TEST_DAEMON_PROCESS_H

#include <glib.h>

typedef struct ph_daemon_process ph_daemon_process;

/* text, a config a test writes, with "[console] enabled = false" added
 * when it has no [console] group: a test's daemon must never serve the
 * machine's console port nor write its token (/var/lib/printhook), at
 * start nor at a reload of a rewritten file.  Transfer full. */
char *ph_test_config_text (const char *text);

/* Runs "printhook run -c config -v" (under valgrind too with
 * PH_TEST_VALGRIND), its stderr going to a file, and waits until it logs
 * that it runs (failing the test after 10 s, or 100 s under valgrind).
 * Transfer full. */
ph_daemon_process *ph_daemon_process_start (const char *config);

/* The same with extra environment entries ("NAME=value", NULL-terminated,
 * may be NULL) on top of the test's own.  Transfer full. */
ph_daemon_process *ph_daemon_process_start_with_env (const char *config,
                                                     const char *const *env);

/* The same with the directory read_only_dir (the configuration's, as
 * /etc/printhook is for the packaged daemon) not writable by the daemon,
 * even when the tests run as root (then in a mount namespace where it is
 * bound read-only: needs unshare(1)).  Transfer full. */
ph_daemon_process *ph_daemon_process_start_read_only (const char *config,
                                                      const char *read_only_dir);

/* Runs it as above but expects it to exit at once (a bad config): returns
 * its exit status, with its log in *log (transfer full). */
int ph_daemon_process_run_to_exit (const char *config, char **log);

/* What it logged so far.  Transfer full. */
char *ph_daemon_process_log (ph_daemon_process *d);

/* Waits until the log holds text count times; fails the test after
 * timeout_ms (ten times that under valgrind). */
void ph_daemon_process_wait_log (ph_daemon_process *d, const char *text, guint count,
                                 guint timeout_ms);

/* How many times text is in the log. */
guint ph_daemon_process_count_log (ph_daemon_process *d, const char *text);

void ph_daemon_process_signal (ph_daemon_process *d, int sig);

/* The daemon's process id (for /proc/PID/...). */
GPid ph_daemon_process_pid (const ph_daemon_process *d);

/* SIGTERM, then waits for the exit (at most timeout_s, then SIGKILL and a
 * test failure).  Returns the exit status (128 + signal when killed). */
int ph_daemon_process_stop (ph_daemon_process *d, guint timeout_s);

/* Kills it if still running and frees d.  NULL is allowed. */
void ph_daemon_process_free (ph_daemon_process *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_daemon_process, ph_daemon_process_free)

#endif
