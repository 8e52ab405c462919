/* The spool's group commit and its kept statements (core/spool/spool_sql.c):
 * a batch is one transaction that another process sees only once it is
 * committed, a function that fails inside it undoes only its own changes,
 * closing commits it, and a delivery can be written with its first
 * attempt already started. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "spool_fixture.h"
#include "spool/spool_private.h"

#define S ((gint64) G_USEC_PER_SEC)
#define T0 ((gint64) 1700000000 * S)

#define COUNT_DELIVERIES "SELECT count(*) FROM deliveries"

static void
begin (ph_spool *spool)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_batch_begin (spool, &error), "batch: %s",
                 error ? error->message : "?");
  ck_assert (ph_spool_batch_open (spool));
}

static void
commit (ph_spool *spool)
{
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_batch_commit (spool, &error), "commit: %s",
                 error ? error->message : "?");
  ck_assert (!ph_spool_batch_open (spool));
}

static gboolean
has (ph_spool *spool, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_spool_entry) e = ph_spool_get (spool, id, &error);

  if (e == NULL)
    ck_assert_msg (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND), "get %s: %s",
                   id, error->message);
  return e != NULL;
}

START_TEST (test_a_batch_is_seen_by_others_only_once_committed)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);

  begin (spool);
  /* A second begin joins the batch that is open. */
  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_a", "h", "PrintDone", T0));
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_b", "h", "PrintDone", T0));
  /* The daemon's own connection sees its batch... */
  ck_assert (has (spool, "msg_a"));
  /* ...printhook spool does not, yet. */
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_DELIVERIES), 0);
  commit (spool);
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_DELIVERIES), 2);
  /* Committing with no batch open is nothing to do. */
  commit (spool);
}
END_TEST

START_TEST (test_a_failure_in_a_batch_undoes_only_its_own_changes)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) again = ph_spool_test_entry ("msg_a", "h", "PrintDone", T0);
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_a", "h", "PrintDone", T0));
  ck_assert (!ph_spool_put (spool, again, 0, NULL, &error));
  ck_assert (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_EXISTS));
  g_clear_error (&error);
  ck_assert (!ph_spool_set_attachments (spool, "msg_nobody", none, &error));
  ck_assert (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND));
  g_clear_error (&error);
  ck_assert (!ph_spool_remove (spool, "msg_nobody", &error));
  g_clear_error (&error);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_b", "h", "PrintDone", T0 + S));
  ck_assert (ph_spool_batch_open (spool));
  commit (spool);
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_DELIVERIES), 2);
  ck_assert (has (spool, "msg_a") && has (spool, "msg_b"));
}
END_TEST

START_TEST (test_closing_commits_an_open_batch)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool) reopened = NULL;

  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_a", "h", "PrintDone", T0));
  g_clear_pointer (&spool, ph_spool_close);
  reopened = ph_spool_test_open (path);
  ck_assert (has (reopened, "msg_a"));
}
END_TEST

START_TEST (test_a_batch_that_sqlite_undid_is_reported)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;

  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_a", "h", "PrintDone", T0));
  /* What SQLite does on a full disk or an I/O error: the transaction is
   * rolled back under the caller. */
  ck_assert_int_eq (sqlite3_exec (spool->db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_b", "h", "PrintDone", T0));
  ck_assert (!ph_spool_batch_commit (spool, &error));
  ck_assert (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_FAILED));
  ck_assert_msg (strstr (error->message, "undid the changes since the last commit") != NULL,
                 "%s", error->message);
  ck_assert (strstr (error->message, path) != NULL);
  ck_assert (!ph_spool_batch_open (spool));
  /* msg_b was written on its own after the rollback; msg_a is gone. */
  ck_assert (!has (spool, "msg_a"));
  ck_assert (has (spool, "msg_b"));
  /* The spool goes on working. */
  begin (spool);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_c", "h", "PrintDone", T0));
  commit (spool);
  ck_assert_int_eq (ph_spool_test_query_int (path, COUNT_DELIVERIES), 2);
}
END_TEST

START_TEST (test_a_delivery_written_with_its_first_attempt_started)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) e = ph_spool_test_entry ("msg_a", "h", "PrintDone", T0);
  g_autoptr (ph_spool_entry) back = NULL;
  g_autoptr (GPtrArray) due = NULL;
  g_autoptr (GError) error = NULL;
  guint count = 0;

  e->in_progress = TRUE;
  e->last_attempt = T0;
  e->next_attempt = T0 + 60 * S;    /* the end of the attempt's lease */
  ck_assert (ph_spool_put (spool, e, 0, NULL, &error));
  back = ph_spool_get (spool, "msg_a", &error);
  ck_assert_ptr_nonnull (back);
  ck_assert (back->in_progress);
  ck_assert_uint_eq (back->attempts, 1);
  ck_assert_int_eq (back->last_attempt, T0);
  ck_assert_int_eq (back->next_attempt, T0 + 60 * S);
  ck_assert_int_eq (back->window_start, T0);
  /* Not handed out again while its attempt runs... */
  due = ph_spool_due (spool, T0 + S, 10, &error);
  ck_assert_uint_eq (due->len, 0);
  g_clear_pointer (&due, g_ptr_array_unref);
  /* ...and due at once after a crash. */
  ck_assert (ph_spool_recover (spool, T0 + 2 * S, &count, &error));
  ck_assert_uint_eq (count, 1);
  due = ph_spool_due (spool, T0 + 2 * S, 10, &error);
  ck_assert_uint_eq (due->len, 1);
}
END_TEST

START_TEST (test_statements_are_kept_and_never_shared_while_running)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  const char *sql = "SELECT id FROM deliveries ORDER BY id";
  sqlite3_stmt *first;
  sqlite3_stmt *second;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_a", "h", "PrintDone", T0));
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_b", "h", "PrintDone", T0));
  {
    g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool, sql, NULL);

    first = stmt;
    ck_assert_int_eq (sqlite3_step (stmt), SQLITE_ROW);
    {
      /* The same SQL while the first runs: a statement of its own. */
      g_autoptr (sqlite3_stmt) inner = ph_spool_prepare (spool, sql, NULL);

      second = inner;
      ck_assert_ptr_ne (first, second);
      ck_assert_int_eq (sqlite3_step (inner), SQLITE_ROW);
      ck_assert_str_eq ((const char *) sqlite3_column_text (inner, 0), "msg_a");
    }
    ck_assert_int_eq (sqlite3_step (stmt), SQLITE_ROW);
    ck_assert_str_eq ((const char *) sqlite3_column_text (stmt, 0), "msg_b");
  }
  /* Released, reset: the kept one again, from its first row. */
  {
    g_autoptr (sqlite3_stmt) stmt = ph_spool_prepare (spool, sql, NULL);

    ck_assert_ptr_eq (stmt, first);
    ck_assert_int_eq (sqlite3_step (stmt), SQLITE_ROW);
    ck_assert_str_eq ((const char *) sqlite3_column_text (stmt, 0), "msg_a");
  }
  /* A released statement holds no read transaction: another connection's
   * commit shows. */
  {
    g_autoptr (ph_spool) other = ph_spool_test_open (path);

    ph_spool_test_put (other, ph_spool_test_entry ("msg_c", "h", "PrintDone", T0));
  }
  ck_assert (has (spool, "msg_c"));
}
END_TEST

static Suite *
spool_batch_suite (void)
{
  Suite *s = suite_create ("spool-batch");
  TCase *batch = tcase_create ("batch");
  TCase *statements = tcase_create ("statements");

  tcase_add_test (batch, test_a_batch_is_seen_by_others_only_once_committed);
  tcase_add_test (batch, test_a_failure_in_a_batch_undoes_only_its_own_changes);
  tcase_add_test (batch, test_closing_commits_an_open_batch);
  tcase_add_test (batch, test_a_batch_that_sqlite_undid_is_reported);
  tcase_add_test (batch, test_a_delivery_written_with_its_first_attempt_started);
  suite_add_tcase (s, batch);
  tcase_add_test (statements, test_statements_are_kept_and_never_shared_while_running);
  suite_add_tcase (s, statements);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (spool_batch_suite ());
}
