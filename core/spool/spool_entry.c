#include "autoconfig.h"
#include "spool_private.h"

/* Spool entries and attachments, and reading them from rows. */

ph_spool_attachment *
ph_spool_attachment_new (const char *field, const char *filename, const char *content_type,
                         GBytes *bytes)
{
  ph_spool_attachment *a = g_new0 (ph_spool_attachment, 1);

  a->field = g_strdup (field);
  a->filename = g_strdup (filename);
  a->content_type = g_strdup (content_type);
  a->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  a->size = bytes != NULL ? g_bytes_get_size (bytes) : 0;
  return a;
}

void
ph_spool_attachment_free (ph_spool_attachment *attachment)
{
  if (attachment == NULL)
    return;
  g_free (attachment->field);
  g_free (attachment->filename);
  g_free (attachment->content_type);
  if (attachment->bytes != NULL)
    g_bytes_unref (attachment->bytes);
  g_free (attachment);
}

ph_spool_entry *
ph_spool_entry_new (void)
{
  ph_spool_entry *entry = g_new0 (ph_spool_entry, 1);

  entry->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_spool_attachment_free);
  return entry;
}

void
ph_spool_entry_free (ph_spool_entry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->hook);
  g_free (entry->event);
  g_free (entry->source);
  g_free (entry->payload);
  g_free (entry->printer);
  g_ptr_array_unref (entry->attachments);
  g_free (entry->last_outcome);
  g_free (entry->dead_reason);
  g_free (entry->response);
  g_free (entry);
}

GPtrArray *
ph_spool_entry_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ph_spool_entry_free);
}

static char *
column_text (sqlite3_stmt *stmt, int index)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, index));
}

/* A row of PH_SPOOL_ENTRY_COLUMNS, then PH_SPOOL_FULL_COLUMNS' two more
 * when full. */
static ph_spool_entry *
entry_from_row (sqlite3_stmt *stmt, gboolean full)
{
  ph_spool_entry *entry = ph_spool_entry_new ();

  entry->id = column_text (stmt, 0);
  entry->hook = column_text (stmt, 1);
  entry->event = column_text (stmt, 2);
  entry->source = column_text (stmt, 3);
  entry->event_time = sqlite3_column_int64 (stmt, 4);
  entry->milestone = sqlite3_column_int (stmt, 5);
  entry->created = sqlite3_column_int64 (stmt, 6);
  entry->window_start = sqlite3_column_int64 (stmt, 7);
  entry->attempts = (guint) sqlite3_column_int64 (stmt, 8);
  entry->next_attempt = sqlite3_column_int64 (stmt, 9);
  entry->last_attempt = sqlite3_column_int64 (stmt, 10);
  entry->in_progress = sqlite3_column_int (stmt, 11) != 0;
  entry->state = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 12), "dead") == 0
                     ? PH_SPOOL_DEAD : PH_SPOOL_PENDING;
  entry->last_status = (long) sqlite3_column_int64 (stmt, 13);
  entry->last_outcome = column_text (stmt, 14);
  entry->dead_reason = column_text (stmt, 15);
  if (full)
    {
      entry->payload = column_text (stmt, 16);
      entry->printer = column_text (stmt, 17);
    }
  return entry;
}

/* Fills entry's attachments, bytes included. */
static gboolean
load_attachments (ph_spool *spool, ph_spool_entry *entry, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool,
      "SELECT field, filename, content_type, data FROM attachments WHERE delivery = ?1 "
      "ORDER BY position", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  ph_spool_bind_text (stmt, 1, entry->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (sqlite3_column_blob (stmt, 3),
                                              sqlite3_column_bytes (stmt, 3));

      g_ptr_array_add (entry->attachments,
                       ph_spool_attachment_new ((const char *) sqlite3_column_text (stmt, 0),
                                                (const char *) sqlite3_column_text (stmt, 1),
                                                (const char *) sqlite3_column_text (stmt, 2),
                                                bytes));
    }
  if (rc != SQLITE_DONE)
    return ph_spool_fail (spool, rc, "reading attachments", error);
  return TRUE;
}

GPtrArray *
ph_spool_collect_entries (ph_spool *spool, sqlite3_stmt *stmt, gboolean full, GError **error)
{
  g_autoptr (GPtrArray) entries = ph_spool_entry_array_new ();
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, entry_from_row (stmt, full));
  if (rc != SQLITE_DONE)
    {
      ph_spool_fail (spool, rc, "reading deliveries", error);
      return NULL;
    }
  for (guint i = 0; full && i < entries->len; i++)
    if (!load_attachments (spool, g_ptr_array_index (entries, i), error))
      return NULL;
  return g_steal_pointer (&entries);
}

gboolean
ph_spool_add_attachment_summaries (ph_spool *spool, GPtrArray *entries, GError **error)
{
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  if (entries->len == 0)
    return TRUE;
  for (guint i = 0; i < entries->len; i++)
    {
      ph_spool_entry *entry = g_ptr_array_index (entries, i);
      g_hash_table_insert (by_id, entry->id, entry);
    }
  stmt = ph_spool_prepare (spool,
      "SELECT delivery, field, filename, content_type, length (data) FROM attachments "
      "ORDER BY delivery, position", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ph_spool_entry *entry = g_hash_table_lookup (by_id, sqlite3_column_text (stmt, 0));
      ph_spool_attachment *a;

      if (entry == NULL)
        continue;
      a = ph_spool_attachment_new ((const char *) sqlite3_column_text (stmt, 1),
                                   (const char *) sqlite3_column_text (stmt, 2),
                                   (const char *) sqlite3_column_text (stmt, 3), NULL);
      a->size = (gsize) sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (entry->attachments, a);
    }
  if (rc != SQLITE_DONE)
    return ph_spool_fail (spool, rc, "reading attachments", error);
  return TRUE;
}
