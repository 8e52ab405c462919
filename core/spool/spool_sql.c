#include "autoconfig.h"
#include "spool_private.h"

/* The spool's SQLite plumbing: every failure becomes a GError naming the
 * file. */

static ph_spool_error
error_code_of (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return PH_SPOOL_ERROR_CORRUPT;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return PH_SPOOL_ERROR_OPEN;
    default:
      return PH_SPOOL_ERROR_FAILED;
    }
}

gboolean
ph_spool_fail (ph_spool *spool, int rc, const char *what, GError **error)
{
  g_set_error (error, PH_SPOOL_ERROR, error_code_of (rc), "%s: %s (%s)", spool->path,
               spool->db != NULL ? sqlite3_errmsg (spool->db) : sqlite3_errstr (rc), what);
  return FALSE;
}

static void
finalize_all (gpointer data)
{
  GPtrArray *kept = data;

  for (guint i = 0; i < kept->len; i++)
    sqlite3_finalize (g_ptr_array_index (kept, i));
  g_ptr_array_unref (kept);
}

sqlite3_stmt *
ph_spool_prepare (ph_spool *spool, const char *sql, GError **error)
{
  GPtrArray *kept;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (spool->statements == NULL)
    spool->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_all);
  kept = g_hash_table_lookup (spool->statements, sql);
  for (guint i = 0; kept != NULL && i < kept->len; i++)
    if (!sqlite3_stmt_busy (g_ptr_array_index (kept, i)))
      return g_ptr_array_index (kept, i);
  rc = sqlite3_prepare_v3 (spool->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      ph_spool_fail (spool, rc, "preparing a statement", error);
      return NULL;
    }
  if (kept == NULL)
    {
      kept = g_ptr_array_new ();
      g_hash_table_insert (spool->statements, g_strdup (sql), kept);
    }
  g_ptr_array_add (kept, stmt);
  return stmt;
}

void
ph_spool_release (sqlite3_stmt *stmt)
{
  /* A statement that failed keeps its error: reset reports it again, and
   * it was reported already. */
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

void
ph_spool_forget_statements (ph_spool *spool)
{
  g_clear_pointer (&spool->statements, g_hash_table_unref);
}

gboolean
ph_spool_exec (ph_spool *spool, const char *sql, GError **error)
{
  int rc = sqlite3_exec (spool->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return ph_spool_fail (spool, rc, sql, error);
  return TRUE;
}

gboolean
ph_spool_step_done (ph_spool *spool, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return ph_spool_fail (spool, rc, what, error);
  return TRUE;
}

/* Without a copy: every caller's strings outlive its statements. */
void
ph_spool_bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

/* The savepoint each multi-statement function takes inside a batch. */
#define SAVEPOINT "ph_spool_op"

/* A transaction statement, kept prepared: a savepoint for every put was a
 * quarter of the spool's cost when sqlite3_exec parsed it each time. */
static gboolean
transaction_step (ph_spool *spool, const char *sql, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool, sql, error);

  return stmt != NULL && ph_spool_step_done (spool, stmt, sql, error);
}

gboolean
ph_spool_begin (ph_spool *spool, GError **error)
{
  if (spool->batch)
    return transaction_step (spool, "SAVEPOINT " SAVEPOINT, error);
  /* IMMEDIATE takes the write lock now, so a transaction that reads
   * before it writes cannot fail half-way on another writer. */
  return transaction_step (spool, "BEGIN IMMEDIATE", error);
}

gboolean
ph_spool_commit (ph_spool *spool, GError **error)
{
  if (spool->batch)
    return transaction_step (spool, "RELEASE " SAVEPOINT, error);
  return transaction_step (spool, "COMMIT", error);
}

void
ph_spool_rollback (ph_spool *spool)
{
  if (sqlite3_get_autocommit (spool->db))
    return;
  if (spool->batch)
    sqlite3_exec (spool->db, "ROLLBACK TO " SAVEPOINT "; RELEASE " SAVEPOINT, NULL, NULL, NULL);
  else
    sqlite3_exec (spool->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
ph_spool_batch_begin (ph_spool *spool, GError **error)
{
  if (spool->batch)
    return TRUE;
  if (!transaction_step (spool, "BEGIN IMMEDIATE", error))
    return FALSE;
  spool->batch = TRUE;
  return TRUE;
}

gboolean
ph_spool_batch_open (const ph_spool *spool)
{
  return spool->batch;
}

gboolean
ph_spool_batch_commit (ph_spool *spool, GError **error)
{
  if (!spool->batch)
    return TRUE;
  spool->batch = FALSE;
  /* SQLite rolls a whole transaction back on some failures (a full disk,
   * an I/O error) and goes on in autocommit mode: what the batch held
   * before that is gone. */
  if (sqlite3_get_autocommit (spool->db))
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_FAILED,
                   "%s: an earlier failure undid the changes since the last commit",
                   spool->path);
      return FALSE;
    }
  if (!transaction_step (spool, "COMMIT", error))
    {
      sqlite3_exec (spool->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
ph_spool_read_int (ph_spool *spool, const char *sql, sqlite3_int64 *out, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return ph_spool_fail (spool, rc, sql, error);
  *out = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}
