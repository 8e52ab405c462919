/* Opening the spool: a new file is WAL, private and versioned; a file that
 * is no usable spool is moved aside by the daemon and refused by the CLI;
 * and two connections share one file, each seeing the other's changes. */
#include "autoconfig.h"

#include <sqlite3.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "spool_fixture.h"

#define S ((gint64) G_USEC_PER_SEC)
#define T0 ((gint64) 1700000000 * S)

/* Runs SQL on a connection of its own, as another program would. */
static void
raw_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;
  int rc = sqlite3_open (path, &db);

  ck_assert_msg (rc == SQLITE_OK, "open %s: %s", path, sqlite3_errstr (rc));
  rc = sqlite3_exec (db, sql, NULL, NULL, &message);
  ck_assert_msg (rc == SQLITE_OK, "%s: %s", sql, message ? message : "?");
  sqlite3_close (db);
}

static void
write_bytes (const char *path, const char *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (g_file_set_contents (path, data, size, &error), "%s",
                 error ? error->message : "?");
}

static char *
read_bytes (const char *path, gsize *size)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;

  ck_assert_msg (g_file_get_contents (path, &data, size, &error), "%s",
                 error ? error->message : "?");
  return data;
}

/* The one PATH.corrupt-* file beside path, which must exist (transfer
 * full). */
static char *
aside_file (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strconcat (base, ".corrupt-", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  char *found = NULL;
  const char *name;

  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix) && !g_str_has_suffix (name, "-wal")
        && !g_str_has_suffix (name, "-shm"))
      {
        ck_assert_msg (found == NULL, "two files moved aside");
        found = g_build_filename (dir, name, NULL);
      }
  ck_assert_msg (found != NULL, "nothing was moved aside next to %s", path);
  return found;
}

/* Opens path as the daemon does and expects it to be recovered; returns
 * the recovery's message (transfer full).  The fresh spool must work. */
static char *
open_recovering (const char *path)
{
  g_autoptr (GError) recovered = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_spool) spool = ph_spool_open (path, PH_SPOOL_OPEN_CREATE | PH_SPOOL_OPEN_RECOVER,
                                              &recovered, &error);
  g_autoptr (ph_spool_entry) back = NULL;
  guint pending = 9;

  ck_assert_msg (spool != NULL, "recovering open failed: %s", error ? error->message : "?");
  ck_assert_msg (recovered != NULL, "%s was not recovered", path);
  ck_assert (ph_spool_count (spool, &pending, NULL, &error));
  ck_assert_uint_eq (pending, 0);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_after", "h", "PrintDone", T0));
  back = ph_spool_get (spool, "msg_after", &error);
  ck_assert_ptr_nonnull (back);
  return g_strdup (recovered->message);
}

/* Opens path as "printhook spool" does and expects code. */
static void
assert_cli_refuses (const char *path, ph_spool_error code, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_spool) spool = ph_spool_open (path, PH_SPOOL_OPEN_EXISTING, NULL, &error);

  ck_assert_ptr_null (spool);
  ck_assert_msg (g_error_matches (error, PH_SPOOL_ERROR, code), "expected error %d, got %s",
                 code, error ? error->message : "none");
  assert_contains (error->message, text);
}

START_TEST (test_a_new_spool_is_wal_private_and_versioned)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "var", "lib", "printhook", "spool.db", NULL);
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autofree char *version = g_strdup_printf ("SELECT %d = (SELECT user_version FROM pragma_user_version)",
                                              PH_SPOOL_SCHEMA_VERSION);
  GStatBuf st;

  ck_assert_str_eq (ph_spool_path (spool), path);
  ck_assert_int_eq (g_stat (path, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0600);
  ck_assert_int_eq (ph_spool_test_query_int (path, version), 1);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}
END_TEST

START_TEST (test_the_cli_never_creates_a_spool)
{
  g_autofree char *path = ph_spool_test_path ();

  assert_cli_refuses (path, PH_SPOOL_ERROR_OPEN, "there is no spool at");
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_an_empty_file_is_migrated_from_version_0)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = NULL;
  g_autoptr (GError) error = NULL;

  write_bytes (path, "", 0);
  spool = ph_spool_open (path, PH_SPOOL_OPEN_EXISTING, NULL, &error);
  ck_assert_msg (spool != NULL, "%s", error ? error->message : "?");
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT user_version FROM pragma_user_version"),
                    PH_SPOOL_SCHEMA_VERSION);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM sqlite_schema "
                                                   "WHERE name IN ('deliveries', 'attachments')"), 2);
}
END_TEST

START_TEST (test_garbage_is_moved_aside)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *message = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *kept = NULL;
  GString *garbage = g_string_new (NULL);
  gsize size = 0;

  while (garbage->len < 8192)
    g_string_append (garbage, "this is not an SQLite database\n");
  write_bytes (path, garbage->str, garbage->len);

  /* The CLI says so and touches nothing. */
  assert_cli_refuses (path, PH_SPOOL_ERROR_CORRUPT, "not a database");
  kept = read_bytes (path, &size);
  ck_assert_uint_eq (size, garbage->len);

  message = open_recovering (path);
  aside = aside_file (path);
  assert_contains (message, path);
  assert_contains (message, "not a database");
  assert_contains (message, "moved it to ");
  assert_contains (message, aside);
  assert_contains (message, "started an empty spool");
  g_free (kept);
  kept = read_bytes (aside, &size);
  ck_assert_uint_eq (size, garbage->len);
  ck_assert (memcmp (kept, garbage->str, size) == 0);
  g_string_free (garbage, TRUE);
}
END_TEST

/* A spool of a few hundred kilobytes, closed cleanly (its WAL folded in). */
static void
fill (const char *path)
{
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  char block[8192];

  memset (block, 'x', sizeof block);
  for (int i = 0; i < 40; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%02d", i);
      g_autoptr (GBytes) bytes = g_bytes_new (block, sizeof block);
      ph_spool_entry *e = ph_spool_test_entry (id, "h", "PrintDone", T0 + i * S);

      g_ptr_array_add (e->attachments,
                       ph_spool_attachment_new ("snapshot", "snapshot.jpg", "image/jpeg", bytes));
      ph_spool_test_put (spool, e);
    }
}

START_TEST (test_a_truncated_spool_is_moved_aside)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *message = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  fill (path);
  /* Closed cleanly: everything is in the file being cut. */
  ck_assert (!g_file_test (wal, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (g_stat (path, &st), 0);
  ck_assert_int_gt (st.st_size, 300000);
  ck_assert_int_eq (truncate (path, st.st_size / 2), 0);

  message = open_recovering (path);
  aside = aside_file (path);
  assert_contains (message, aside);
  ck_assert_int_eq (g_stat (aside, &st), 0);
  ck_assert_int_gt (st.st_size, 100000);
}
END_TEST

START_TEST (test_a_spool_cut_inside_its_header_is_moved_aside)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *message = NULL;

  fill (path);
  ck_assert_int_eq (truncate (path, 50), 0);
  assert_cli_refuses (path, PH_SPOOL_ERROR_CORRUPT, path);
  message = open_recovering (path);
  assert_contains (message, "moved it to");
}
END_TEST

START_TEST (test_a_stale_wal_never_reaches_the_fresh_spool)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *message = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *aside_wal = NULL;

  write_bytes (path, "garbage garbage garbage garbage garbage garbage garbage garbage garbage "
                     "garbage garbage garbage", 95);
  write_bytes (wal, "an old write-ahead log", 22);
  message = open_recovering (path);
  aside = aside_file (path);
  aside_wal = g_strconcat (aside, "-wal", NULL);
  /* SQLite drops a log it cannot use when the failed connection closes;
   * one it leaves goes aside with its file.  Either way the fresh spool
   * never starts from it. */
  if (g_file_test (wal, G_FILE_TEST_EXISTS))
    {
      gsize size = 0;
      g_autofree char *data = read_bytes (wal, &size);
      ck_assert (size != 22 || memcmp (data, "an old write-ahead log", 22) != 0);
    }
  if (g_file_test (aside_wal, G_FILE_TEST_EXISTS))
    {
      gsize size = 0;
      g_autofree char *data = read_bytes (aside_wal, &size);
      ck_assert_uint_eq (size, 22);
      ck_assert_int_eq (memcmp (data, "an old write-ahead log", 22), 0);
    }
}
END_TEST

START_TEST (test_another_programs_database_is_not_taken_over)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *message = NULL;
  g_autofree char *aside = NULL;

  raw_exec (path, "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('bread');");
  assert_cli_refuses (path, PH_SPOOL_ERROR_OPEN, "an SQLite database but not a printhook spool");
  message = open_recovering (path);
  assert_contains (message, "not a printhook spool");
  aside = aside_file (path);
  ck_assert_int_eq (ph_spool_test_query_int (aside, "SELECT count(*) FROM recipes"), 1);
}
END_TEST

/* A spool of the first schema (printhook before the console) keeps its
 * deliveries and gets the tables of the later ones. */
START_TEST (test_a_version_1_spool_is_migrated_with_its_deliveries)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) history = NULL;
  guint seen = 9;

  fill (path);
  raw_exec (path, "DROP TABLE history; DROP TABLE seen; PRAGMA user_version = 1");
  spool = ph_spool_test_open (path);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT user_version FROM pragma_user_version"),
                    PH_SPOOL_SCHEMA_VERSION);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM deliveries"), 40);
  history = ph_spool_history_list (spool, NULL, 10, &error);
  ck_assert_msg (history != NULL, "%s", error ? error->message : "?");
  ck_assert_uint_eq (history->len, 0);
  ck_assert_msg (ph_spool_seen_count (spool, &seen, &error), "%s", error ? error->message : "?");
  ck_assert_uint_eq (seen, 0);
}
END_TEST

START_TEST (test_a_newer_schema_is_kept_for_the_newer_printhook)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *message = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *expected = g_strdup_printf (
      "written by a newer printhook (spool schema 99; this one knows up to %d)",
      PH_SPOOL_SCHEMA_VERSION);

  fill (path);
  raw_exec (path, "PRAGMA user_version = 99");
  assert_cli_refuses (path, PH_SPOOL_ERROR_NEWER, expected);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT user_version FROM pragma_user_version"), 99);
  message = open_recovering (path);
  assert_contains (message, "newer printhook");
  aside = aside_file (path);
  ck_assert_int_eq (ph_spool_test_query_int (aside, "SELECT count(*) FROM deliveries"), 40);
}
END_TEST

START_TEST (test_a_hand_edited_schema_is_caught_at_open)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autofree char *message = NULL;

  fill (path);
  raw_exec (path, "ALTER TABLE deliveries DROP COLUMN dead_reason");
  assert_cli_refuses (path, PH_SPOOL_ERROR_CORRUPT, "tables are not as printhook made them");
  message = open_recovering (path);
  assert_contains (message, "dead_reason");
}
END_TEST

START_TEST (test_changes_by_another_connection_are_noticed)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) daemon = ph_spool_test_open (path);
  g_autoptr (ph_spool) cli = NULL;
  g_autoptr (ph_spool_entry) seen = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (!ph_spool_changed_externally (daemon));
  ph_spool_test_put (daemon, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  ck_assert (ph_spool_mark_dead (daemon, "msg_1", 404, "HTTP 404", "permanent", &error));
  /* Its own writes are not news to it. */
  ck_assert (!ph_spool_changed_externally (daemon));

  cli = ph_spool_open (path, PH_SPOOL_OPEN_EXISTING, NULL, &error);
  ck_assert_ptr_nonnull (cli);
  ck_assert (!ph_spool_changed_externally (daemon));
  ck_assert (ph_spool_retry (cli, "msg_1", T0 + 60 * S, &error));
  ck_assert (ph_spool_changed_externally (daemon));
  ck_assert (!ph_spool_changed_externally (daemon));
  seen = ph_spool_get (daemon, "msg_1", &error);
  ck_assert_int_eq (seen->state, PH_SPOOL_PENDING);
  ck_assert_int_eq (seen->next_attempt, T0 + 60 * S);

  ck_assert (ph_spool_remove (cli, "msg_1", &error));
  ck_assert (ph_spool_changed_externally (daemon));
  ck_assert_ptr_null (ph_spool_get (daemon, "msg_1", NULL));
}
END_TEST

typedef struct {
  const char *path;
  gint locked;        /* set once the other writer holds the lock */
  guint hold_ms;
} lock_holder;

static gpointer
hold_write_lock (gpointer data)
{
  lock_holder *h = data;
  sqlite3 *db = NULL;

  sqlite3_open (h->path, &db);
  sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  g_atomic_int_set (&h->locked, 1);
  g_usleep (h->hold_ms * 1000);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (db);
  return NULL;
}

START_TEST (test_a_writer_waits_for_the_other_writer)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  lock_holder h = { path, 0, 400 };
  GThread *thread;
  gint64 start, waited;
  guint pending = 0;
  g_autoptr (GError) error = NULL;

  thread = g_thread_new ("lock-holder", hold_write_lock, &h);
  while (!g_atomic_int_get (&h.locked))
    g_usleep (1000);
  start = g_get_monotonic_time ();
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  waited = g_get_monotonic_time () - start;
  g_thread_join (thread);
  ck_assert_int_ge (waited, 300 * 1000);
  ck_assert (ph_spool_count (spool, &pending, NULL, &error));
  ck_assert_uint_eq (pending, 1);
}
END_TEST

typedef struct {
  const char *path;
  const char *prefix;
} writer;

static gpointer
write_many (gpointer data)
{
  const writer *w = data;
  g_autoptr (ph_spool) spool = NULL;
  gpointer failed = NULL;

  spool = ph_spool_open (w->path, PH_SPOOL_OPEN_EXISTING, NULL, NULL);
  if (spool == NULL)
    return GINT_TO_POINTER (1);
  for (int i = 0; i < 100 && failed == NULL; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s%03d", w->prefix, i);
      g_autoptr (ph_spool_entry) e = ph_spool_test_entry (id, "h", "PrintProgress", T0 + i);

      if (!ph_spool_put (spool, e, 0, NULL, NULL)
          || !ph_spool_begin_attempt (spool, id, T0, S, NULL)
          || !ph_spool_schedule_retry (spool, id, 503, "HTTP 503", T0 + S, NULL))
        failed = GINT_TO_POINTER (1);
    }
  return failed;
}

START_TEST (test_two_connections_writing_at_once_lose_nothing)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  writer a = { path, "msg_a" }, b = { path, "msg_b" };
  GThread *ta = g_thread_new ("writer-a", write_many, &a);
  GThread *tb = g_thread_new ("writer-b", write_many, &b);
  g_autoptr (GError) error = NULL;
  guint pending = 0;

  ck_assert_ptr_null (g_thread_join (ta));
  ck_assert_ptr_null (g_thread_join (tb));
  ck_assert (ph_spool_count (spool, &pending, NULL, &error));
  ck_assert_uint_eq (pending, 200);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM deliveries "
                                                   "WHERE attempts = 1 AND last_status = 503"), 200);
}
END_TEST

static Suite *
spool_open_suite (void)
{
  Suite *s = suite_create ("spool-open");
  TCase *fresh = tcase_create ("fresh");
  TCase *broken = tcase_create ("broken");
  TCase *shared = tcase_create ("shared");

  tcase_add_test (fresh, test_a_new_spool_is_wal_private_and_versioned);
  tcase_add_test (fresh, test_the_cli_never_creates_a_spool);
  tcase_add_test (fresh, test_an_empty_file_is_migrated_from_version_0);
  tcase_add_test (fresh, test_a_version_1_spool_is_migrated_with_its_deliveries);
  suite_add_tcase (s, fresh);
  tcase_add_test (broken, test_garbage_is_moved_aside);
  tcase_add_test (broken, test_a_truncated_spool_is_moved_aside);
  tcase_add_test (broken, test_a_spool_cut_inside_its_header_is_moved_aside);
  tcase_add_test (broken, test_a_stale_wal_never_reaches_the_fresh_spool);
  tcase_add_test (broken, test_another_programs_database_is_not_taken_over);
  tcase_add_test (broken, test_a_newer_schema_is_kept_for_the_newer_printhook);
  tcase_add_test (broken, test_a_hand_edited_schema_is_caught_at_open);
  suite_add_tcase (s, broken);
  tcase_add_test (shared, test_changes_by_another_connection_are_noticed);
  tcase_add_test (shared, test_a_writer_waits_for_the_other_writer);
  tcase_add_test (shared, test_two_connections_writing_at_once_lose_nothing);
  tcase_set_timeout (shared, 60);
  suite_add_tcase (s, shared);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (spool_open_suite ());
}
