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

sqlite3_stmt *
ph_spool_prepare (ph_spool *spool, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (spool->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      ph_spool_fail (spool, rc, "preparing a statement", error);
      return NULL;
    }
  return stmt;
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

gboolean
ph_spool_begin (ph_spool *spool, GError **error)
{
  /* IMMEDIATE takes the write lock now, so a transaction that reads
   * before it writes cannot fail half-way on another writer. */
  return ph_spool_exec (spool, "BEGIN IMMEDIATE", error);
}

gboolean
ph_spool_commit (ph_spool *spool, GError **error)
{
  return ph_spool_exec (spool, "COMMIT", error);
}

void
ph_spool_rollback (ph_spool *spool)
{
  if (!sqlite3_get_autocommit (spool->db))
    sqlite3_exec (spool->db, "ROLLBACK", NULL, NULL, NULL);
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
