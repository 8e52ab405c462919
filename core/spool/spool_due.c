#include "autoconfig.h"
#include "spool_private.h"

/* What the daemon's scheduler asks the spool: which hooks have deliveries
 * due, the due deliveries of one hook, and when the next one falls due.
 * Per hook, so that one hook's backlog never hides another's. */

char **
ph_spool_due_hooks (ph_spool *spool, gint64 now, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT DISTINCT hook FROM deliveries WHERE state = 'pending' AND next_attempt <= ?1 "
      "ORDER BY hook", error);
  g_autoptr (GPtrArray) hooks = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (hooks, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      ph_spool_fail (spool, rc, "finding the hooks with due deliveries", error);
      return NULL;
    }
  g_ptr_array_add (hooks, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&hooks), FALSE);
}

GPtrArray *
ph_spool_due_for_hook (ph_spool *spool, const char *hook, gint64 now, guint limit,
                       GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT " PH_SPOOL_FULL_COLUMNS " FROM deliveries "
      "WHERE state = 'pending' AND hook = ?1 AND next_attempt <= ?2"
      PH_SPOOL_OLDEST_FIRST " LIMIT ?3", error);

  if (stmt == NULL)
    return NULL;
  ph_spool_bind_text (stmt, 1, hook);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, limit);
  return ph_spool_collect_entries (spool, stmt, TRUE, error);
}

gboolean
ph_spool_next_wakeup_after (ph_spool *spool, gint64 after, gint64 *when, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT min (next_attempt) FROM deliveries WHERE state = 'pending' AND next_attempt > ?1",
      error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, after);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return ph_spool_fail (spool, rc, "finding the next attempt", error);
  *when = sqlite3_column_type (stmt, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 0);
  return TRUE;
}
