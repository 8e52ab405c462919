#include "autoconfig.h"
#include "spool_private.h"

/* The deliveries in the spool: writing them down, their attempts, and the
 * queries the daemon and "printhook spool" make. */

static gboolean
exists (ph_spool *spool, const char *id, gboolean *found, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT 1 FROM deliveries WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ph_spool_fail (spool, rc, "looking up a delivery", error);
  *found = rc == SQLITE_ROW;
  return TRUE;
}

/* Deletes the oldest deliveries until one more fits under max, progress
 * first, never one being attempted; adds each to dropped. */
static gboolean
make_room (ph_spool *spool, guint max, GPtrArray *dropped, GError **error)
{
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) delete = NULL;
  g_autoptr (GPtrArray) victims = NULL;
  sqlite3_int64 count = 0;

  if (!ph_spool_read_int (spool, "SELECT count(*) FROM deliveries", &count, error))
    return FALSE;
  if (count < max)
    return TRUE;
  select = ph_spool_prepare (spool,
      "SELECT " PH_SPOOL_ENTRY_COLUMNS " FROM deliveries WHERE in_progress = 0 "
      "ORDER BY event = ?1 COLLATE NOCASE DESC, created, rowid LIMIT ?2", error);
  if (select == NULL)
    return FALSE;
  ph_spool_bind_text (select, 1, PH_SPOOL_PROGRESS_EVENT);
  sqlite3_bind_int64 (select, 2, count - max + 1);
  victims = ph_spool_collect_entries (spool, select, FALSE, error);
  if (victims == NULL || !ph_spool_add_attachment_summaries (spool, victims, error))
    return FALSE;
  delete = ph_spool_prepare (spool, "DELETE FROM deliveries WHERE id = ?1", error);
  if (delete == NULL)
    return FALSE;
  for (guint i = 0; i < victims->len; i++)
    {
      ph_spool_entry *victim = g_ptr_array_index (victims, i);

      sqlite3_reset (delete);
      ph_spool_bind_text (delete, 1, victim->id);
      if (!ph_spool_step_done (spool, delete, "dropping a delivery", error))
        return FALSE;
    }
  g_ptr_array_extend_and_steal (dropped, g_steal_pointer (&victims));
  return TRUE;
}

static gboolean
insert_attachments (ph_spool *spool, const char *id, const GPtrArray *attachments,
                    GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (attachments == NULL || attachments->len == 0)
    return TRUE;
  stmt = ph_spool_prepare (spool,
      "INSERT INTO attachments (delivery, position, field, filename, content_type, "
      "data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < attachments->len; i++)
    {
      const ph_spool_attachment *a = g_ptr_array_index ((GPtrArray *) attachments, i);
      gsize size = 0;
      gconstpointer data = a->bytes != NULL ? g_bytes_get_data (a->bytes, &size) : NULL;

      sqlite3_reset (stmt);
      ph_spool_bind_text (stmt, 1, id);
      sqlite3_bind_int (stmt, 2, (int) i);
      ph_spool_bind_text (stmt, 3, a->field != NULL ? a->field : "");
      ph_spool_bind_text (stmt, 4, a->filename);
      ph_spool_bind_text (stmt, 5, a->content_type);
      /* A NULL pointer would bind SQL NULL; an empty attachment is "". */
      sqlite3_bind_blob64 (stmt, 6, data != NULL ? data : "", size, SQLITE_STATIC);
      if (!ph_spool_step_done (spool, stmt, "storing an attachment", error))
        return FALSE;
    }
  return TRUE;
}

gboolean
ph_spool_put (ph_spool *spool, const ph_spool_entry *entry, guint max_deliveries,
              GPtrArray **dropped, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) gone = ph_spool_entry_array_new ();
  int rc;

  g_return_val_if_fail (entry->id != NULL && entry->hook != NULL && entry->event != NULL, FALSE);

  if (!ph_spool_begin (spool, error))
    return FALSE;
  if (max_deliveries > 0 && !make_room (spool, max_deliveries, gone, error))
    goto failed;
  stmt = ph_spool_prepare (spool,
      "INSERT INTO deliveries (id, hook, event, source, payload, printer, event_time, "
      "milestone, created, window_start, next_attempt, attempts, in_progress, last_attempt) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?11, ?12)", error);
  if (stmt == NULL)
    goto failed;
  ph_spool_bind_text (stmt, 1, entry->id);
  ph_spool_bind_text (stmt, 2, entry->hook);
  ph_spool_bind_text (stmt, 3, entry->event);
  ph_spool_bind_text (stmt, 4, entry->source);
  ph_spool_bind_text (stmt, 5, entry->payload != NULL ? entry->payload : "{}");
  ph_spool_bind_text (stmt, 6, entry->printer != NULL ? entry->printer : "{}");
  sqlite3_bind_int64 (stmt, 7, entry->event_time);
  sqlite3_bind_int (stmt, 8, entry->milestone);
  sqlite3_bind_int64 (stmt, 9, entry->created);
  sqlite3_bind_int64 (stmt, 10, entry->next_attempt);
  sqlite3_bind_int (stmt, 11, entry->in_progress ? 1 : 0);
  sqlite3_bind_int64 (stmt, 12, entry->in_progress ? entry->last_attempt : 0);
  /* The primary key finds a delivery with that id (and the rollback
   * undoes whatever make_room dropped for it). */
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_EXISTS,
                   "%s: a delivery %s is there already", spool->path, entry->id);
      goto failed;
    }
  if (rc != SQLITE_DONE)
    {
      ph_spool_fail (spool, rc, "storing a delivery", error);
      goto failed;
    }
  if (!insert_attachments (spool, entry->id, entry->attachments, error)
      || !ph_spool_commit (spool, error))
    goto failed;
  if (dropped != NULL && gone->len > 0)
    {
      if (*dropped == NULL)
        *dropped = ph_spool_entry_array_new ();
      g_ptr_array_extend_and_steal (*dropped, g_steal_pointer (&gone));
    }
  return TRUE;

failed:
  ph_spool_rollback (spool);
  return FALSE;
}

/* Runs an UPDATE or DELETE of one delivery whose id is bound as ?1;
 * PH_SPOOL_ERROR_NOT_FOUND when it touched no row. */
static gboolean
change_one (ph_spool *spool, sqlite3_stmt *stmt, const char *id, const char *what,
            GError **error)
{
  if (!ph_spool_step_done (spool, stmt, what, error))
    return FALSE;
  if (sqlite3_changes (spool->db) == 0)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND,
                   "no delivery %s in %s", id, spool->path);
      return FALSE;
    }
  return TRUE;
}

gboolean
ph_spool_begin_attempt (ph_spool *spool, const char *id, gint64 now, gint64 lease,
                        GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "UPDATE deliveries SET attempts = attempts + 1, last_attempt = ?2, in_progress = 1, "
      "next_attempt = ?3 WHERE id = ?1 AND state = 'pending'", error);

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, now + lease);
  return change_one (spool, stmt, id, "starting an attempt", error);
}

gboolean
ph_spool_set_attachments (ph_spool *spool, const char *id, const GPtrArray *attachments,
                          GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gboolean found = FALSE;

  if (!ph_spool_begin (spool, error))
    return FALSE;
  if (!exists (spool, id, &found, error))
    goto failed;
  if (!found)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND, "no delivery %s in %s", id,
                   spool->path);
      goto failed;
    }
  stmt = ph_spool_prepare (spool, "DELETE FROM attachments WHERE delivery = ?1", error);
  if (stmt == NULL)
    goto failed;
  ph_spool_bind_text (stmt, 1, id);
  if (!ph_spool_step_done (spool, stmt, "replacing attachments", error)
      || !insert_attachments (spool, id, attachments, error)
      || !ph_spool_commit (spool, error))
    goto failed;
  return TRUE;

failed:
  ph_spool_rollback (spool);
  return FALSE;
}

gboolean
ph_spool_schedule_retry (ph_spool *spool, const char *id, long status, const char *outcome,
                         gint64 next_attempt, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "UPDATE deliveries SET in_progress = 0, next_attempt = ?2, last_status = ?3, "
      "last_outcome = ?4 WHERE id = ?1 AND state = 'pending'", error);

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, next_attempt);
  sqlite3_bind_int64 (stmt, 3, status);
  ph_spool_bind_text (stmt, 4, outcome);
  return change_one (spool, stmt, id, "scheduling a retry", error);
}

gboolean
ph_spool_mark_dead (ph_spool *spool, const char *id, long status, const char *outcome,
                    const char *reason, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "UPDATE deliveries SET state = 'dead', in_progress = 0, last_status = ?2, "
      "last_outcome = ?3, dead_reason = ?4 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, status);
  ph_spool_bind_text (stmt, 3, outcome);
  ph_spool_bind_text (stmt, 4, reason);
  return change_one (spool, stmt, id, "keeping a dead letter", error);
}

gboolean
ph_spool_remove (ph_spool *spool, const char *id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "DELETE FROM deliveries WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  return change_one (spool, stmt, id, "removing a delivery", error);
}

/* The UPDATE that puts a delivery back in the queue with a fresh window. */
#define REQUEUE \
  "UPDATE deliveries SET state = 'pending', next_attempt = ?1, window_start = ?1, " \
  "attempts = 0, dead_reason = NULL "

gboolean
ph_spool_retry (ph_spool *spool, const char *id, gint64 now, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gboolean found = FALSE;

  if (!ph_spool_begin (spool, error))
    return FALSE;
  stmt = ph_spool_prepare (spool, REQUEUE "WHERE id = ?2 AND in_progress = 0", error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_int64 (stmt, 1, now);
  ph_spool_bind_text (stmt, 2, id);
  if (!ph_spool_step_done (spool, stmt, "retrying a delivery", error))
    goto failed;
  if (sqlite3_changes (spool->db) == 0)
    {
      if (!exists (spool, id, &found, error))
        goto failed;
      if (!found)
        g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND, "no delivery %s in %s",
                     id, spool->path);
      else
        g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_BUSY,
                     "delivery %s is being attempted right now", id);
      goto failed;
    }
  if (!ph_spool_commit (spool, error))
    goto failed;
  return TRUE;

failed:
  ph_spool_rollback (spool);
  return FALSE;
}

gboolean
ph_spool_retry_dead (ph_spool *spool, gint64 now, guint *count, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool, REQUEUE "WHERE state = 'dead'", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  if (!ph_spool_step_done (spool, stmt, "retrying dead letters", error))
    return FALSE;
  if (count != NULL)
    *count = (guint) sqlite3_changes (spool->db);
  return TRUE;
}

gboolean
ph_spool_recover (ph_spool *spool, gint64 now, guint *count, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "UPDATE deliveries SET in_progress = 0, next_attempt = ?1 "
      "WHERE in_progress = 1 AND state = 'pending'", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  if (!ph_spool_step_done (spool, stmt, "recovering interrupted attempts", error))
    return FALSE;
  if (count != NULL)
    *count = (guint) sqlite3_changes (spool->db);
  return TRUE;
}

ph_spool_entry *
ph_spool_get (ph_spool *spool, const char *id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT " PH_SPOOL_FULL_COLUMNS " FROM deliveries WHERE id = ?1", error);
  g_autoptr (GPtrArray) entries = NULL;

  if (stmt == NULL)
    return NULL;
  ph_spool_bind_text (stmt, 1, id);
  entries = ph_spool_collect_entries (spool, stmt, TRUE, error);
  if (entries == NULL)
    return NULL;
  if (entries->len == 0)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND, "no delivery %s in %s", id,
                   spool->path);
      return NULL;
    }
  return g_ptr_array_steal_index (entries, 0);
}

GPtrArray *
ph_spool_due (ph_spool *spool, gint64 now, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT " PH_SPOOL_FULL_COLUMNS " FROM deliveries "
      "WHERE state = 'pending' AND next_attempt <= ?1" PH_SPOOL_OLDEST_FIRST " LIMIT ?2", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_int64 (stmt, 2, limit);
  return ph_spool_collect_entries (spool, stmt, TRUE, error);
}

GPtrArray *
ph_spool_list (ph_spool *spool, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT " PH_SPOOL_ENTRY_COLUMNS " FROM deliveries" PH_SPOOL_OLDEST_FIRST, error);
  g_autoptr (GPtrArray) entries = NULL;

  if (stmt == NULL)
    return NULL;
  entries = ph_spool_collect_entries (spool, stmt, FALSE, error);
  if (entries == NULL || !ph_spool_add_attachment_summaries (spool, entries, error))
    return NULL;
  return g_steal_pointer (&entries);
}

gboolean
ph_spool_count (ph_spool *spool, guint *pending, guint *dead, GError **error)
{
  sqlite3_int64 n_pending = 0, n_dead = 0;

  if (!ph_spool_read_int (spool, "SELECT count(*) FROM deliveries WHERE state = 'pending'",
                          &n_pending, error)
      || !ph_spool_read_int (spool, "SELECT count(*) FROM deliveries WHERE state = 'dead'",
                             &n_dead, error))
    return FALSE;
  if (pending != NULL)
    *pending = (guint) n_pending;
  if (dead != NULL)
    *dead = (guint) n_dead;
  return TRUE;
}

gboolean
ph_spool_count_pending_for_hook (ph_spool *spool, const char *hook, guint *pending,
                                 GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT count(*) FROM deliveries WHERE state = 'pending' AND hook = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, hook);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return ph_spool_fail (spool, rc, "counting a hook's deliveries", error);
  *pending = (guint) sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

gboolean
ph_spool_next_wakeup (ph_spool *spool, gint64 *when, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT min (next_attempt) FROM deliveries WHERE state = 'pending'", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return ph_spool_fail (spool, rc, "finding the next attempt", error);
  *when = sqlite3_column_type (stmt, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 0);
  return TRUE;
}
