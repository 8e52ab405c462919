/* What the spool suites share: a fresh spool file, entries to put in it,
 * and a look at the file with SQLite itself. */
#ifndef PH_TEST_SPOOL_FIXTURE_H
#define PH_TEST_SPOOL_FIXTURE_H

#include <glib.h>
#include "spool/spool.h"

/* A path for a spool in a fresh temporary directory (transfer full). */
char *ph_spool_test_path (void);

/* Opens path as the daemon does (create, recover); fails the test on
 * error or if the file had to be recovered.  Transfer full. */
ph_spool *ph_spool_test_open (const char *path);

/* An entry for id and event, created at created (µs), due then, with a
 * small payload and printer state.  Transfer full. */
ph_spool_entry *ph_spool_test_entry (const char *id, const char *hook, const char *event,
                                     gint64 created);

/* Puts entry (transfer full) without a bound; fails the test on error. */
void ph_spool_test_put (ph_spool *spool, ph_spool_entry *entry);

/* The integer the SQL gives on a separate connection to path, read-only
 * (what another program would see). */
gint64 ph_spool_test_query_int (const char *path, const char *sql);

#endif
