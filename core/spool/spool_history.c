#include "autoconfig.h"
#include "spool_private.h"

/* The history: delivered deliveries, moved out of the queue by the
 * database itself (INSERT ... SELECT), so that remembering one costs no
 * JSON text in C; the newest keep rows stay. */

#define HISTORY_COLUMNS \
  "id, hook, event, source, event_time, milestone, created, attempts, last_attempt, " \
  "finished, status, response, duration"

gboolean
ph_spool_complete (ph_spool *spool, const char *id, long status, const char *response,
                   double duration, gint64 finished, guint keep, GError **error)
{
  g_autoptr (sqlite3_stmt) copy = NULL;
  g_autoptr (sqlite3_stmt) remove = NULL;
  g_autoptr (sqlite3_stmt) prune = NULL;

  if (keep == 0)
    return ph_spool_remove (spool, id, error);
  if (!ph_spool_begin (spool, error))
    return FALSE;
  copy = ph_spool_prepare (spool,
      "INSERT INTO history (id, hook, event, source, payload, printer, event_time, milestone, "
      "created, attempts, last_attempt, finished, status, response, duration) "
      "SELECT id, hook, event, source, payload, printer, event_time, milestone, created, "
      "attempts, last_attempt, ?2, ?3, ?4, ?5 FROM deliveries WHERE id = ?1", error);
  if (copy == NULL)
    goto failed;
  ph_spool_bind_text (copy, 1, id);
  sqlite3_bind_int64 (copy, 2, finished);
  sqlite3_bind_int64 (copy, 3, status);
  ph_spool_bind_text (copy, 4, response);
  sqlite3_bind_double (copy, 5, duration);
  if (!ph_spool_step_done (spool, copy, "remembering a delivery", error))
    goto failed;
  if (sqlite3_changes (spool->db) == 0)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND, "no delivery %s in %s", id,
                   spool->path);
      goto failed;
    }
  remove = ph_spool_prepare (spool, "DELETE FROM deliveries WHERE id = ?1", error);
  if (remove == NULL)
    goto failed;
  ph_spool_bind_text (remove, 1, id);
  if (!ph_spool_step_done (spool, remove, "removing a delivery", error))
    goto failed;
  /* seq only grows, so the rows below max - keep are the older ones. */
  prune = ph_spool_prepare (spool,
      "DELETE FROM history WHERE seq <= (SELECT max(seq) FROM history) - ?1", error);
  if (prune == NULL)
    goto failed;
  sqlite3_bind_int64 (prune, 1, keep);
  if (!ph_spool_step_done (spool, prune, "forgetting old deliveries", error)
      || !ph_spool_commit (spool, error))
    goto failed;
  return TRUE;

failed:
  ph_spool_rollback (spool);
  return FALSE;
}

static ph_spool_entry *
history_from_row (sqlite3_stmt *stmt, gboolean full)
{
  ph_spool_entry *entry = ph_spool_entry_new ();

  entry->id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  entry->hook = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  entry->event = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  entry->source = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  entry->event_time = sqlite3_column_int64 (stmt, 4);
  entry->milestone = sqlite3_column_int (stmt, 5);
  entry->created = sqlite3_column_int64 (stmt, 6);
  entry->window_start = entry->created;
  entry->attempts = (guint) sqlite3_column_int64 (stmt, 7);
  entry->last_attempt = sqlite3_column_int64 (stmt, 8);
  entry->finished = sqlite3_column_int64 (stmt, 9);
  entry->last_status = (long) sqlite3_column_int64 (stmt, 10);
  entry->response = g_strdup ((const char *) sqlite3_column_text (stmt, 11));
  entry->duration = sqlite3_column_double (stmt, 12);
  entry->state = PH_SPOOL_DELIVERED;
  if (full)
    {
      entry->payload = g_strdup ((const char *) sqlite3_column_text (stmt, 13));
      entry->printer = g_strdup ((const char *) sqlite3_column_text (stmt, 14));
    }
  return entry;
}

GPtrArray *
ph_spool_history_list (ph_spool *spool, const char *hook, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT " HISTORY_COLUMNS " FROM history WHERE ?1 IS NULL OR hook = ?1 "
      "ORDER BY seq DESC LIMIT ?2", error);
  g_autoptr (GPtrArray) entries = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  ph_spool_bind_text (stmt, 1, hook);
  sqlite3_bind_int64 (stmt, 2, limit);
  entries = ph_spool_entry_array_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, history_from_row (stmt, FALSE));
  if (rc != SQLITE_DONE)
    {
      ph_spool_fail (spool, rc, "listing delivered deliveries", error);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

ph_spool_entry *
ph_spool_history_get (ph_spool *spool, const char *id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT " HISTORY_COLUMNS ", payload, printer FROM history WHERE id = ?1 "
      "ORDER BY seq DESC LIMIT 1", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  ph_spool_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return history_from_row (stmt, TRUE);
  if (rc == SQLITE_DONE)
    g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND,
                 "no delivered delivery %s in %s", id, spool->path);
  else
    ph_spool_fail (spool, rc, "reading a delivered delivery", error);
  return NULL;
}

gboolean
ph_spool_history_remove (ph_spool *spool, const char *id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "DELETE FROM history WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  if (!ph_spool_step_done (spool, stmt, "forgetting a delivered delivery", error))
    return FALSE;
  if (sqlite3_changes (spool->db) == 0)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND,
                   "no delivered delivery %s in %s", id, spool->path);
      return FALSE;
    }
  return TRUE;
}
