#include "autoconfig.h"
#include "spool_private.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* How long a statement waits for another process's write lock.  Writes
 * here are single small transactions, so a wait this long means trouble. */
#define BUSY_TIMEOUT_MS 5000

G_DEFINE_QUARK (ph-spool-error-quark, ph_spool_error)

/* Schema migrations: migrations[v] takes a file from user_version v to
 * v + 1.  Append new steps; never edit a released one.  Times are Unix
 * microseconds.  Deleting a delivery deletes its attachments (foreign_keys
 * is on for every connection this code opens). */
static const char *const migrations[] = {
  "CREATE TABLE deliveries ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  hook TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  source TEXT,"
  "  payload TEXT NOT NULL,"
  "  printer TEXT NOT NULL,"
  "  event_time INTEGER NOT NULL,"
  "  milestone INTEGER NOT NULL DEFAULT 0,"
  "  created INTEGER NOT NULL,"
  "  window_start INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt INTEGER NOT NULL,"
  "  last_attempt INTEGER NOT NULL DEFAULT 0,"
  "  in_progress INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),"
  "  last_status INTEGER NOT NULL DEFAULT 0,"
  "  last_outcome TEXT,"
  "  dead_reason TEXT"
  ");"
  "CREATE INDEX deliveries_due ON deliveries (state, next_attempt);"
  "CREATE INDEX deliveries_created ON deliveries (created);"
  "CREATE TABLE attachments ("
  "  delivery TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  field TEXT NOT NULL,"
  "  filename TEXT,"
  "  content_type TEXT,"
  "  data BLOB NOT NULL,"
  "  PRIMARY KEY (delivery, position)"
  ");",
  /* 1 -> 2: delivered deliveries, the newest console.history of them, for
   * the web console's list and its "resend" (core/spool/spool_history.c).
   * No index but the rowid: it is small, and every delivery adds a row. */
  "CREATE TABLE history ("
  "  seq INTEGER PRIMARY KEY,"
  "  id TEXT NOT NULL,"
  "  hook TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  source TEXT,"
  "  payload TEXT NOT NULL,"
  "  printer TEXT NOT NULL,"
  "  event_time INTEGER NOT NULL,"
  "  milestone INTEGER NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL,"
  "  last_attempt INTEGER NOT NULL,"
  "  finished INTEGER NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  response TEXT,"
  "  duration REAL NOT NULL"
  ");",
  /* 2 -> 3: the event ids a central daemon committed, with the digest of
   * each event's content, so that an event a farm member forwards again is
   * not delivered twice (core/spool/spool_seen.c).  Pruned by age, oldest
   * first: hence the index on at. */
  "CREATE TABLE seen ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  digest TEXT NOT NULL,"
  "  at INTEGER NOT NULL"
  ");"
  "CREATE INDEX seen_at ON seen (at);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == PH_SPOOL_SCHEMA_VERSION);

/* Brings the schema to PH_SPOOL_SCHEMA_VERSION.  The version is read again
 * inside the write transaction: another process may have migrated first. */
static gboolean
migrate (ph_spool *spool, GError **error)
{
  sqlite3_int64 version = 0;
  sqlite3_int64 objects = 0;
  g_autofree char *set_version = NULL;

  /* The usual case needs no write lock. */
  if (!ph_spool_read_int (spool, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version == PH_SPOOL_SCHEMA_VERSION)
    return TRUE;
  if (!ph_spool_begin (spool, error))
    return FALSE;
  if (!ph_spool_read_int (spool, "PRAGMA user_version", &version, error))
    goto failed;
  if (version > PH_SPOOL_SCHEMA_VERSION)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NEWER,
                   "%s was written by a newer printhook (spool schema %" G_GINT64_FORMAT
                   "; this one knows up to %d)", spool->path, (gint64) version,
                   PH_SPOOL_SCHEMA_VERSION);
      goto failed;
    }
  if (version == PH_SPOOL_SCHEMA_VERSION)
    {
      ph_spool_rollback (spool);
      return TRUE;
    }
  if (version == 0)
    {
      /* A version-0 file with tables is some other program's database. */
      if (!ph_spool_read_int (spool, "SELECT count(*) FROM sqlite_schema", &objects, error))
        goto failed;
      if (objects > 0)
        {
          g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN,
                       "%s is an SQLite database but not a printhook spool", spool->path);
          goto failed;
        }
    }
  for (sqlite3_int64 v = version; v < PH_SPOOL_SCHEMA_VERSION; v++)
    if (!ph_spool_exec (spool, migrations[v], error))
      goto failed;
  set_version = g_strdup_printf ("PRAGMA user_version = %d", PH_SPOOL_SCHEMA_VERSION);
  if (!ph_spool_exec (spool, set_version, error) || !ph_spool_commit (spool, error))
    goto failed;
  return TRUE;

failed:
  ph_spool_rollback (spool);
  return FALSE;
}

/* The tables have every column this code uses: a file whose schema was
 * edited by hand fails here, at open, rather than on some later write. */
static gboolean
check_schema (ph_spool *spool, GError **error)
{
  g_autoptr (sqlite3_stmt) deliveries = NULL;
  g_autoptr (sqlite3_stmt) attachments = NULL;
  g_autoptr (sqlite3_stmt) history = NULL;
  g_autoptr (sqlite3_stmt) seen = NULL;
  g_autoptr (GError) local_error = NULL;

  deliveries = ph_spool_prepare (spool, "SELECT " PH_SPOOL_FULL_COLUMNS " FROM deliveries LIMIT 0",
                                 &local_error);
  if (deliveries != NULL)
    attachments = ph_spool_prepare (spool, "SELECT delivery, position, field, filename, "
                                    "content_type, data FROM attachments LIMIT 0", &local_error);
  if (attachments != NULL)
    history = ph_spool_prepare (spool, "SELECT seq, id, hook, event, source, payload, printer, "
                                "event_time, milestone, created, attempts, last_attempt, "
                                "finished, status, response, duration FROM history LIMIT 0",
                                &local_error);
  if (history != NULL)
    seen = ph_spool_prepare (spool, "SELECT id, digest, at FROM seen LIMIT 0", &local_error);
  if (seen == NULL)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_CORRUPT,
                   "%s: the spool's tables are not as printhook made them: %s", spool->path,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
quick_check (ph_spool *spool, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool, "PRAGMA quick_check (1)", error);
  const char *result;
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return ph_spool_fail (spool, rc, "checking integrity", error);
  result = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (result, "ok") != 0)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_CORRUPT, "%s is damaged: %s",
                   spool->path, result != NULL ? result : "integrity check failed");
      return FALSE;
    }
  return TRUE;
}

static void
spool_free (ph_spool *spool)
{
  ph_spool_forget_statements (spool);
  if (spool->db != NULL)
    {
      int rc = sqlite3_close (spool->db);
      /* Every statement was kept by ph_spool_prepare, and is finalized. */
      g_warn_if_fail (rc == SQLITE_OK);
    }
  g_free (spool->path);
  g_free (spool);
}

/* Creates path with mode 0600 when it is missing, so that the spool (event
 * data, snapshots) is private: SQLite's own default would be 0644, and its
 * -wal and -shm files take the mode of the database. */
static gboolean
create_private_file (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "cannot create directory %s: %s",
                   dir, g_strerror (saved));
      return FALSE;
    }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    {
      int saved = errno;
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "cannot create %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  if (fd >= 0)
    close (fd);
  return TRUE;
}

/* One attempt at opening path as a spool. */
static ph_spool *
try_open (const char *path, ph_spool_open_flags flags, GError **error)
{
  ph_spool *spool = g_new0 (ph_spool, 1);
  sqlite3_int64 version = 0;
  int rc;

  spool->path = g_strdup (path);
  if (!(flags & PH_SPOOL_OPEN_CREATE) && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN,
                   "there is no spool at %s (the daemon creates it)", path);
      goto failed;
    }
  if ((flags & PH_SPOOL_OPEN_CREATE) && !create_private_file (path, error))
    goto failed;
  rc = sqlite3_open_v2 (path, &spool->db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    {
      ph_spool_fail (spool, rc, "opening it", error);
      goto failed;
    }
  sqlite3_extended_result_codes (spool->db, 1);
  sqlite3_busy_timeout (spool->db, BUSY_TIMEOUT_MS);
  if (sqlite3_db_readonly (spool->db, "main") == 1)
    {
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "%s: cannot write to it", path);
      goto failed;
    }
  /* WAL lets "printhook spool" read while the daemon writes; synchronous
   * FULL makes every commit durable, even across a power cut (a printer is
   * often switched off at the wall). */
  if (!ph_spool_exec (spool, "PRAGMA journal_mode = WAL", error)
      || !ph_spool_exec (spool, "PRAGMA synchronous = FULL", error)
      || !ph_spool_exec (spool, "PRAGMA foreign_keys = ON", error)
      || !migrate (spool, error)
      || !check_schema (spool, error))
    goto failed;
  /* Reading every page takes a while on a big spool: only the daemon,
   * which can recover, pays for it. */
  if ((flags & PH_SPOOL_OPEN_RECOVER) && !quick_check (spool, error))
    goto failed;
  if (!ph_spool_read_int (spool, "PRAGMA data_version", &version, error))
    goto failed;
  spool->data_version = version;
  return spool;

failed:
  spool_free (spool);
  return NULL;
}

/* Whether moving the file aside and starting afresh can cure error: not
 * for a busy lock or a full disk, which would lose a healthy spool. */
static gboolean
recoverable (const GError *error, const char *path)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  return g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN)
         || g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_CORRUPT)
         || g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NEWER);
}

/* Renames path, and the -wal, -shm and -journal files beside it, to
 * PATH.corrupt-<time>[-N].  The companions must go too: SQLite would
 * otherwise apply an old write-ahead log to the fresh file.  Returns the
 * new path (transfer full), or NULL with error. */
static char *
move_aside (const char *path, GError **error)
{
  static const char *const companions[] = { "-wal", "-shm", "-journal" };
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", path, stamp);

  for (guint n = 2; g_file_test (target, G_FILE_TEST_EXISTS); n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, n);
    }
  if (g_rename (path, target) != 0)
    {
      int saved = errno;
      g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "cannot rename %s to %s: %s",
                   path, target, g_strerror (saved));
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (companions); i++)
    {
      g_autofree char *from = g_strconcat (path, companions[i], NULL);
      g_autofree char *to = g_strconcat (target, companions[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_OPEN, "cannot rename %s to %s: %s",
                       from, to, g_strerror (saved));
          return NULL;
        }
    }
  return g_steal_pointer (&target);
}

ph_spool *
ph_spool_open (const char *path, ph_spool_open_flags flags, GError **recovered, GError **error)
{
  g_autoptr (GError) first_error = NULL;
  g_autofree char *aside = NULL;
  ph_spool *spool;

  g_return_val_if_fail (path != NULL, NULL);

  spool = try_open (path, flags, &first_error);
  if (spool != NULL)
    return spool;
  if (!(flags & PH_SPOOL_OPEN_RECOVER) || !recoverable (first_error, path))
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return NULL;
    }
  aside = move_aside (path, error);
  if (aside == NULL)
    return NULL;
  spool = try_open (path, flags | PH_SPOOL_OPEN_CREATE, error);
  if (spool == NULL)
    return NULL;
  g_set_error (recovered, PH_SPOOL_ERROR, first_error->code,
               "%s; moved it to %s and started an empty spool (the deliveries it held, if "
               "any, are not sent)", first_error->message, aside);
  return spool;
}

void
ph_spool_close (ph_spool *spool)
{
  g_autoptr (GError) error = NULL;

  if (spool == NULL)
    return;
  /* Closing with a transaction open would undo it. */
  if (!ph_spool_batch_commit (spool, &error))
    g_warning ("spool: %s", error->message);
  spool_free (spool);
}

const char *
ph_spool_path (const ph_spool *spool)
{
  return spool->path;
}

gboolean
ph_spool_changed_externally (ph_spool *spool)
{
  sqlite3_int64 version = 0;

  if (!ph_spool_read_int (spool, "PRAGMA data_version", &version, NULL))
    return TRUE;
  if (version == spool->data_version)
    return FALSE;
  spool->data_version = version;
  return TRUE;
}
