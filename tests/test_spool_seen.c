/* The farm's dedupe window (core/spool/spool_seen.c): the event ids a
 * central daemon committed, each with the digest it came with.  An id's
 * first record stays; records join the batch of the deliveries they go
 * with, so they are durable, and lost, with them; the window is pruned by
 * age and count; and a spool of schema 2 gets the table on open. */
#include "autoconfig.h"

#include <sqlite3.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"
#include "spool_fixture.h"

#define S ((gint64) G_USEC_PER_SEC)
#define T0 ((gint64) 1700000000 * S)

#define DIGEST_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define DIGEST_B "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

#define COUNT_SEEN "SELECT count(*) FROM seen"

static void
add (ph_spool *spool, const char *id, const char *digest, gint64 now)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_seen_add (spool, id, digest, now, &error), "add %s: %s", id,
                 error ? error->message : "?");
}

/* The digest id was recorded with, or NULL when it was not (transfer
 * full). */
static char *
lookup (ph_spool *spool, const char *id)
{
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;
  static char unset[] = "unset";
  char *digest = unset;

  ck_assert_msg (ph_spool_seen_lookup (spool, id, &found, &digest, &error), "lookup %s: %s", id,
                 error ? error->message : "?");
  ck_assert (found == (digest != NULL));
  return digest;
}

static gboolean
recorded (ph_spool *spool, const char *id)
{
  g_autofree char *digest = lookup (spool, id);

  return digest != NULL;
}

static guint
count (ph_spool *spool)
{
  g_autoptr (GError) error = NULL;
  guint n = 99;

  ck_assert_msg (ph_spool_seen_count (spool, &n, &error), "count: %s",
                 error ? error->message : "?");
  return n;
}

static guint
prune (ph_spool *spool, gint64 before, guint keep)
{
  g_autoptr (GError) error = NULL;
  guint removed = 99;

  ck_assert_msg (ph_spool_seen_prune (spool, before, keep, &removed, &error), "prune: %s",
                 error ? error->message : "?");
  return removed;
}

static void
begin (ph_spool *spool)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_batch_begin (spool, &error), "batch: %s",
                 error ? error->message : "?");
}

static void
commit (ph_spool *spool)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_batch_commit (spool, &error), "commit: %s",
                 error ? error->message : "?");
}

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

/* Whether the seen table has an index whose first column is at, whatever
 * its name. */
static gboolean
seen_is_indexed_by_time (const char *path)
{
  return ph_spool_test_query_int (path, "SELECT count(*) FROM pragma_index_list ('seen') AS l, "
                                  "pragma_index_info (l.name) AS i "
                                  "WHERE i.seqno = 0 AND i.name = 'at'") == 1;
}

START_TEST (test_an_empty_spool_has_no_id_recorded)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autofree char *digest = lookup (spool, "msg_0123");

  ck_assert_ptr_null (digest);
  ck_assert_uint_eq (count (spool), 0);
}
END_TEST

START_TEST (test_a_recorded_id_is_found_with_its_digest)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  gboolean found = FALSE;

  add (spool, "msg_0123", DIGEST_A, T0);
  digest = lookup (spool, "msg_0123");
  ck_assert_str_eq (digest, DIGEST_A);
  ck_assert_uint_eq (count (spool), 1);
  /* Whether, without the digest. */
  ck_assert (ph_spool_seen_lookup (spool, "msg_0123", &found, NULL, &error));
  ck_assert (found);
  ck_assert (ph_spool_seen_lookup (spool, "msg_4567", &found, NULL, &error));
  ck_assert (!found);
}
END_TEST

/* A member that reuses an id for other content must not overwrite what
 * was delivered, nor move the id's place in the window. */
START_TEST (test_a_second_record_of_an_id_keeps_its_first_digest_and_time)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autofree char *digest = NULL;

  add (spool, "msg_0123", DIGEST_A, T0);
  add (spool, "msg_0123", DIGEST_B, T0 + 10 * S);
  digest = lookup (spool, "msg_0123");
  ck_assert_str_eq (digest, DIGEST_A);
  ck_assert_uint_eq (count (spool), 1);
  /* Still recorded at T0: older than T0 + 1 s. */
  ck_assert_uint_eq (prune (spool, T0 + S, 0), 1);
  ck_assert (!recorded (spool, "msg_0123"));
}
END_TEST

START_TEST (test_ids_are_matched_byte_for_byte)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autofree char *longest = g_strnfill (128, 'z');
  g_autofree char *longer = g_strnfill (129, 'z');
  const char *hostile = "msg_'); DROP TABLE seen; --";

  add (spool, "msg_abc", DIGEST_A, T0);
  add (spool, hostile, DIGEST_B, T0);
  add (spool, longest, DIGEST_A, T0);
  ck_assert (!recorded (spool, "MSG_ABC"));
  ck_assert (!recorded (spool, "msg_ab"));
  ck_assert (!recorded (spool, "msg_abc "));
  ck_assert (!recorded (spool, longer));
  ck_assert (recorded (spool, longest));
  ck_assert (recorded (spool, hostile));
  ck_assert_uint_eq (count (spool), 3);
}
END_TEST

/* Two copies of one event in one turn of the loop: the second finds the
 * first's record in the batch not yet committed. */
START_TEST (test_a_record_in_a_batch_is_found_at_once_and_shown_to_others_at_commit)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);

  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_0123-h", "h", "PrintDone", T0));
  add (spool, "msg_0123", DIGEST_A, T0);
  ck_assert (recorded (spool, "msg_0123"));
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_SEEN), 0);
  commit (spool);
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_SEEN), 1);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM deliveries"), 1);
}
END_TEST

START_TEST (test_records_of_a_committed_batch_survive_a_reopen)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autofree char *digest = NULL;

  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_0123-h", "h", "PrintDone", T0));
  add (spool, "msg_0123", DIGEST_A, T0);
  add (spool, "msg_4567", DIGEST_B, T0 + S);
  commit (spool);
  g_clear_pointer (&spool, ph_spool_close);
  spool = ph_spool_test_open (path);
  digest = lookup (spool, "msg_0123");
  ck_assert_str_eq (digest, DIGEST_A);
  ck_assert (recorded (spool, "msg_4567"));
  ck_assert_uint_eq (count (spool), 2);
}
END_TEST

/* The spool of a process that dies in the middle of a batch: kept
 * reachable, as a crashed daemon's would be, so that valgrind does not
 * call it a leak. */
static ph_spool *dying;

/* In a child: a batch with a delivery and its event's record, and the
 * process ends before the commit (nothing closes the spool, which would
 * commit).  The exit status says how far it got. */
G_NORETURN static void
die_in_a_batch (const char *path)
{
  ph_spool_entry *entry = ph_spool_test_entry ("msg_0123-h", "h", "PrintDone", T0);
  gboolean found = FALSE;

  dying = ph_spool_open (path, PH_SPOOL_OPEN_EXISTING, NULL, NULL);
  if (dying == NULL || !ph_spool_batch_begin (dying, NULL))
    _exit (2);
  if (!ph_spool_put (dying, entry, 0, NULL, NULL)
      || !ph_spool_seen_add (dying, "msg_0123", DIGEST_A, T0, NULL))
    _exit (3);
  ph_spool_entry_free (entry);
  if (!ph_spool_seen_lookup (dying, "msg_0123", &found, NULL, NULL) || !found)
    _exit (4);
  _exit (0);
}

START_TEST (test_records_of_a_batch_never_committed_are_lost_with_its_deliveries)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = NULL;
  int status = 0;
  pid_t pid;

  /* The file exists, and no connection is open across the fork. */
  ph_spool_close (ph_spool_test_open (path));
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    die_in_a_batch (path);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the child ended with %d",
                 status);
  spool = ph_spool_test_open (path);
  ck_assert (!recorded (spool, "msg_0123"));
  ck_assert_uint_eq (count (spool), 0);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM deliveries"), 0);
}
END_TEST

START_TEST (test_prune_forgets_the_records_older_than_before)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;

  add (spool, "msg_1", DIGEST_A, T0);
  add (spool, "msg_2", DIGEST_A, T0 + S);
  add (spool, "msg_3", DIGEST_A, T0 + 2 * S);
  ck_assert_uint_eq (prune (spool, T0, 0), 0);
  /* A record made at before itself stays. */
  ck_assert_uint_eq (prune (spool, T0 + S, 0), 1);
  ck_assert (!recorded (spool, "msg_1"));
  ck_assert (recorded (spool, "msg_2"));
  ck_assert (recorded (spool, "msg_3"));
  ck_assert (ph_spool_seen_prune (spool, T0 + 2 * S, 0, NULL, &error));
  ck_assert (!recorded (spool, "msg_2"));
  ck_assert_uint_eq (count (spool), 1);
}
END_TEST

START_TEST (test_prune_keeps_the_newest_keep_records)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);

  /* Recorded out of time order, and two at the same time. */
  add (spool, "msg_3", DIGEST_A, T0 + 3 * S);
  add (spool, "msg_1", DIGEST_A, T0 + S);
  add (spool, "msg_4", DIGEST_A, T0 + 4 * S);
  add (spool, "msg_2a", DIGEST_A, T0 + 2 * S);
  add (spool, "msg_2b", DIGEST_A, T0 + 2 * S);
  ck_assert_uint_eq (prune (spool, 0, 5), 0);
  ck_assert_uint_eq (prune (spool, 0, 4), 1);
  ck_assert (!recorded (spool, "msg_1"));
  /* Of two at the same time, the one recorded first goes first. */
  ck_assert_uint_eq (prune (spool, 0, 2), 2);
  ck_assert (!recorded (spool, "msg_2a"));
  ck_assert (!recorded (spool, "msg_2b"));
  ck_assert (recorded (spool, "msg_3"));
  ck_assert (recorded (spool, "msg_4"));
  add (spool, "msg_5a", DIGEST_A, T0 + 5 * S);
  add (spool, "msg_5b", DIGEST_A, T0 + 5 * S);
  ck_assert_uint_eq (prune (spool, 0, 3), 1);
  ck_assert_uint_eq (prune (spool, 0, 1), 2);
  ck_assert (recorded (spool, "msg_5b"));
  ck_assert_uint_eq (count (spool), 1);
}
END_TEST

START_TEST (test_prune_counts_what_both_bounds_removed)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);

  for (int i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%d", i);

      add (spool, id, DIGEST_A, T0 + i * S);
    }
  /* Three by age (0, 1, 2), then all but the newest four of the rest. */
  ck_assert_uint_eq (prune (spool, T0 + 3 * S, 4), 6);
  ck_assert_uint_eq (count (spool), 4);
  ck_assert (!recorded (spool, "msg_5"));
  ck_assert (recorded (spool, "msg_6"));
  ck_assert (recorded (spool, "msg_9"));
  /* The age bound, when it is the stricter one. */
  ck_assert_uint_eq (prune (spool, T0 + 9 * S, 3), 3);
  ck_assert (recorded (spool, "msg_9"));
  ck_assert_uint_eq (count (spool), 1);
}
END_TEST

/* Prune inside a batch joins it, like the records it forgets. */
START_TEST (test_prune_in_a_batch_is_shown_to_others_at_commit)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);

  add (spool, "msg_1", DIGEST_A, T0);
  add (spool, "msg_2", DIGEST_A, T0 + S);
  begin (spool);
  ck_assert_uint_eq (prune (spool, T0 + S, 0), 1);
  add (spool, "msg_3", DIGEST_A, T0 + 2 * S);
  ck_assert_uint_eq (count (spool), 2);
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_SEEN), 2);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM seen WHERE id = 'msg_1'"),
                    1);
  commit (spool);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM seen WHERE id = 'msg_1'"),
                    0);
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_SEEN), 2);
}
END_TEST

START_TEST (test_a_new_spool_indexes_its_records_by_time)
{
  g_autofree char *path = ph_spool_test_path ();
  ph_spool *spool = ph_spool_test_open (path);

  ph_spool_close (spool);
  ck_assert (seen_is_indexed_by_time (path));
}
END_TEST

/* A spool of schema 2 (printhook before the farm), as that printhook's
 * migrations made it, with one delivery in it. */
static const char schema_2[] =
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
  ");"
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
  ");"
  "INSERT INTO deliveries (id, hook, event, source, payload, printer, event_time, created, "
  "  window_start, next_attempt) VALUES ('msg_old', 'h', 'PrintDone', 'octoprint', "
  "  '{\"name\":\"old.gcode\"}', '{}', 1700000000, 1700000000000000, 1700000000000000, "
  "  1700000000000000);"
  "INSERT INTO attachments (delivery, position, field, data) "
  "  VALUES ('msg_old', 0, 'snapshot', x'ffd8ffd9');"
  "PRAGMA user_version = 2;";

START_TEST (test_a_version_2_spool_gets_the_table_and_keeps_its_deliveries)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = NULL;
  g_autoptr (ph_spool_entry) old = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;

  raw_exec (path, schema_2);
  spool = ph_spool_test_open (path);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT user_version FROM pragma_user_version"),
                    PH_SPOOL_SCHEMA_VERSION);
  old = ph_spool_get (spool, "msg_old", &error);
  ck_assert_msg (old != NULL, "%s", error ? error->message : "?");
  ck_assert_str_eq (old->payload, "{\"name\":\"old.gcode\"}");
  ck_assert_uint_eq (old->attachments->len, 1);
  ck_assert (seen_is_indexed_by_time (path));
  ck_assert_uint_eq (count (spool), 0);
  add (spool, "msg_0123", DIGEST_A, T0);
  digest = lookup (spool, "msg_0123");
  ck_assert_str_eq (digest, DIGEST_A);
  /* Opened again, the migrated file is left as it is. */
  g_clear_pointer (&spool, ph_spool_close);
  spool = ph_spool_test_open (path);
  ck_assert (recorded (spool, "msg_0123"));
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM deliveries"), 1);
}
END_TEST

static Suite *
spool_seen_suite (void)
{
  Suite *s = suite_create ("spool-seen");
  TCase *records = tcase_create ("records");
  TCase *batch = tcase_create ("batch");
  TCase *window = tcase_create ("prune");
  TCase *schema = tcase_create ("schema");

  tcase_add_test (records, test_an_empty_spool_has_no_id_recorded);
  tcase_add_test (records, test_a_recorded_id_is_found_with_its_digest);
  tcase_add_test (records, test_a_second_record_of_an_id_keeps_its_first_digest_and_time);
  tcase_add_test (records, test_ids_are_matched_byte_for_byte);
  suite_add_tcase (s, records);
  tcase_add_test (batch, test_a_record_in_a_batch_is_found_at_once_and_shown_to_others_at_commit);
  tcase_add_test (batch, test_records_of_a_committed_batch_survive_a_reopen);
  tcase_add_test (batch, test_records_of_a_batch_never_committed_are_lost_with_its_deliveries);
  suite_add_tcase (s, batch);
  tcase_add_test (window, test_prune_forgets_the_records_older_than_before);
  tcase_add_test (window, test_prune_keeps_the_newest_keep_records);
  tcase_add_test (window, test_prune_counts_what_both_bounds_removed);
  tcase_add_test (window, test_prune_in_a_batch_is_shown_to_others_at_commit);
  suite_add_tcase (s, window);
  tcase_add_test (schema, test_a_new_spool_indexes_its_records_by_time);
  tcase_add_test (schema, test_a_version_2_spool_gets_the_table_and_keeps_its_deliveries);
  suite_add_tcase (s, schema);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (spool_seen_suite ());
}
