/* What the spool's own files share (core/spool*.c): the connection, SQLite
 * calls that report GErrors, and entries read from rows.  Nothing outside
 * the spool includes this. */
#ifndef PH_SPOOL_PRIVATE_H
#define PH_SPOOL_PRIVATE_H

#include <sqlite3.h>
#include "spool.h"

struct ph_spool {
  sqlite3 *db;
  char *path;
  sqlite3_int64 data_version;   /* PRAGMA data_version when last looked at */
  gboolean batch;               /* a group commit's transaction is open (ph_spool_batch_begin) */
  GHashTable *statements;       /* SQL text -> GPtrArray of its prepared statements */
};

/* Statements are prepared once and kept (ph_spool_prepare): g_autoptr
 * hands them back, reset, when they go out of scope. */
void ph_spool_release (sqlite3_stmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, ph_spool_release)

/* The columns of ph_spool_entry, in the order ph_spool_collect_entries
 * reads them; FULL adds what only a complete entry carries. */
#define PH_SPOOL_ENTRY_COLUMNS \
  "id, hook, event, source, event_time, milestone, created, window_start, attempts, " \
  "next_attempt, last_attempt, in_progress, state, last_status, last_outcome, dead_reason"
#define PH_SPOOL_FULL_COLUMNS PH_SPOOL_ENTRY_COLUMNS ", payload, printer"

/* Oldest first; rowid breaks ties in insertion order. */
#define PH_SPOOL_OLDEST_FIRST " ORDER BY created, rowid"

/* Sets error from the connection's last failure (rc: its result code):
 * "FILE: SQLITE'S MESSAGE (what)"; returns FALSE. */
gboolean ph_spool_fail (ph_spool *spool, int rc, const char *what, GError **error);

/* A statement for sql, ready to bind, or NULL with error.  Parsing SQL
 * costs more than running these small statements, so each is prepared
 * once and kept until the spool closes: hold it in a g_autoptr, which
 * resets it (and clears its bindings) at the end of the scope.  A
 * statement for the same SQL that is running (stepped and not reset)
 * gets a second one beside it. */
sqlite3_stmt *ph_spool_prepare (ph_spool *spool, const char *sql, GError **error);

/* Finalizes every kept statement (before the connection closes). */
void ph_spool_forget_statements (ph_spool *spool);

/* Runs SQL without results. */
gboolean ph_spool_exec (ph_spool *spool, const char *sql, GError **error);

/* Runs a statement that returns no rows. */
gboolean ph_spool_step_done (ph_spool *spool, sqlite3_stmt *stmt, const char *what,
                             GError **error);

/* Binds text (NULL: SQL NULL) without copying: it must outlive the
 * statement's next step. */
void ph_spool_bind_text (sqlite3_stmt *stmt, int index, const char *text);

/* The first column of the first row. */
gboolean ph_spool_read_int (ph_spool *spool, const char *sql, sqlite3_int64 *out,
                            GError **error);

/* A write transaction, taken at once; rollback does nothing outside one.
 * Inside a batch, a savepoint instead: a failed function undoes its own
 * changes and leaves the batch's others. */
gboolean ph_spool_begin (ph_spool *spool, GError **error);
gboolean ph_spool_commit (ph_spool *spool, GError **error);
void ph_spool_rollback (ph_spool *spool);

/* An empty array that frees its ph_spool_entry elements.  Transfer full. */
GPtrArray *ph_spool_entry_array_new (void);

/* Runs stmt (selecting PH_SPOOL_ENTRY_COLUMNS, or PH_SPOOL_FULL_COLUMNS
 * when full) and returns its rows as entries; full ones get their
 * attachments, bytes included.  Transfer full, or NULL with error. */
GPtrArray *ph_spool_collect_entries (ph_spool *spool, sqlite3_stmt *stmt, gboolean full,
                                     GError **error);

/* Adds the names and sizes of their attachments to entries, without the
 * bytes: a list must not read every snapshot. */
gboolean ph_spool_add_attachment_summaries (ph_spool *spool, GPtrArray *entries,
                                            GError **error);

#endif
