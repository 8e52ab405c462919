#include "autoconfig.h"
#include "spool_private.h"

/* The event ids a central daemon committed (the farm's dedupe window, see
 * spool.h).  Each function but the prune is one statement, so inside a
 * batch it joins the batch's transaction and a failure undoes only itself;
 * recorded in the batch of the event's deliveries, a record means that
 * they are in the spool. */

gboolean
ph_spool_seen_lookup (ph_spool *spool, const char *id, gboolean *found, char **digest,
                      GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (id != NULL && found != NULL, FALSE);

  stmt = ph_spool_prepare (spool, "SELECT digest FROM seen WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ph_spool_fail (spool, rc, "looking up an event id", error);
  *found = rc == SQLITE_ROW;
  if (digest != NULL)
    *digest = *found ? g_strdup ((const char *) sqlite3_column_text (stmt, 0)) : NULL;
  return TRUE;
}

gboolean
ph_spool_seen_add (ph_spool *spool, const char *id, const char *digest, gint64 now,
                   GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (id != NULL && digest != NULL, FALSE);

  /* The first record of an id stays: a later one would move the id's
   * place in the window, or hide the digest it was delivered with. */
  stmt = ph_spool_prepare (spool,
      "INSERT OR IGNORE INTO seen (id, digest, at) VALUES (?1, ?2, ?3)", error);
  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, id);
  ph_spool_bind_text (stmt, 2, digest);
  sqlite3_bind_int64 (stmt, 3, now);
  return ph_spool_step_done (spool, stmt, "recording an event id", error);
}

gboolean
ph_spool_seen_prune (ph_spool *spool, gint64 before, guint keep, guint *removed,
                     GError **error)
{
  g_autoptr (sqlite3_stmt) old = NULL;
  g_autoptr (sqlite3_stmt) beyond = NULL;
  guint changes;

  if (!ph_spool_begin (spool, error))
    return FALSE;
  old = ph_spool_prepare (spool, "DELETE FROM seen WHERE at < ?1", error);
  if (old == NULL)
    goto failed;
  sqlite3_bind_int64 (old, 1, before);
  if (!ph_spool_step_done (spool, old, "forgetting old event ids", error))
    goto failed;
  changes = (guint) sqlite3_changes (spool->db);
  if (keep > 0)
    {
      /* Records of the same time go in the order they came (rowid), as
       * the deliveries do. */
      beyond = ph_spool_prepare (spool,
          "DELETE FROM seen WHERE rowid IN (SELECT rowid FROM seen "
          "ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?1)", error);
      if (beyond == NULL)
        goto failed;
      sqlite3_bind_int64 (beyond, 1, keep);
      if (!ph_spool_step_done (spool, beyond, "forgetting the oldest event ids", error))
        goto failed;
      changes += (guint) sqlite3_changes (spool->db);
    }
  if (!ph_spool_commit (spool, error))
    goto failed;
  if (removed != NULL)
    *removed = changes;
  return TRUE;

failed:
  ph_spool_rollback (spool);
  return FALSE;
}

gboolean
ph_spool_seen_count (ph_spool *spool, guint *count, GError **error)
{
  sqlite3_int64 n = 0;

  g_return_val_if_fail (count != NULL, FALSE);

  if (!ph_spool_read_int (spool, "SELECT count(*) FROM seen", &n, error))
    return FALSE;
  *count = (guint) n;
  return TRUE;
}
