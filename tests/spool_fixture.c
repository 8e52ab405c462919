#include "autoconfig.h"
#include "spool_fixture.h"

#include <sqlite3.h>

#include "harness.h"

char *
ph_spool_test_path (void)
{
  g_autofree char *dir = ph_test_tmpdir ();

  return g_build_filename (dir, "spool.db", NULL);
}

ph_spool *
ph_spool_test_open (const char *path)
{
  g_autoptr (GError) recovered = NULL;
  g_autoptr (GError) error = NULL;
  ph_spool *spool = ph_spool_open (path, PH_SPOOL_OPEN_CREATE | PH_SPOOL_OPEN_RECOVER,
                                   &recovered, &error);

  ck_assert_msg (spool != NULL, "open %s: %s", path, error ? error->message : "?");
  ck_assert_msg (recovered == NULL, "open %s recovered: %s", path,
                 recovered ? recovered->message : "");
  return spool;
}

ph_spool_entry *
ph_spool_test_entry (const char *id, const char *hook, const char *event, gint64 created)
{
  ph_spool_entry *entry = ph_spool_entry_new ();

  entry->id = g_strdup (id);
  entry->hook = g_strdup (hook);
  entry->event = g_strdup (event);
  entry->source = g_strdup ("octoprint");
  entry->payload = g_strdup_printf ("{\"name\":\"%s.gcode\"}", id);
  entry->printer = g_strdup ("{\"state\":{\"text\":\"Printing\"}}");
  entry->event_time = created / G_USEC_PER_SEC;
  entry->created = created;
  entry->next_attempt = created;
  return entry;
}

void
ph_spool_test_put (ph_spool *spool, ph_spool_entry *entry)
{
  g_autoptr (ph_spool_entry) owned = entry;
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_put (spool, owned, 0, NULL, &error), "put %s: %s", owned->id,
                 error ? error->message : "?");
}

gint64
ph_spool_test_query_int (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;
  int rc;

  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
  ck_assert_msg (rc == SQLITE_OK, "sqlite3_open %s: %s", path, sqlite3_errstr (rc));
  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  ck_assert_msg (rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg (db));
  rc = sqlite3_step (stmt);
  ck_assert_msg (rc == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg (db));
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}
