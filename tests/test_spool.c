/* The spool as the daemon uses it: what goes in comes out, the life of a
 * delivery from its first attempt to delivered or dead, what is due, the
 * size bound, and a delivery turned into an entry and back. */
#include "autoconfig.h"

#include <string.h>

#include "config_fixture.h"
#include "delivery/delivery.h"
#include "harness.h"
#include "text/json_text.h"
#include "event/sample.h"
#include "delivery/spool_delivery.h"
#include "spool_fixture.h"

#define S ((gint64) G_USEC_PER_SEC)
#define T0 ((gint64) 1700000000 * S)

static void
assert_error (const GError *error, ph_spool_error code, const char *text)
{
  ck_assert_msg (g_error_matches (error, PH_SPOOL_ERROR, code), "expected error %d, got %s",
                 code, error != NULL ? error->message : "none");
  ck_assert_msg (strstr (error->message, text) != NULL, "expected '%s' in: %s", text,
                 error->message);
}

static ph_spool_entry *
get (ph_spool *spool, const char *id)
{
  g_autoptr (GError) error = NULL;
  ph_spool_entry *entry = ph_spool_get (spool, id, &error);

  ck_assert_msg (entry != NULL, "get %s: %s", id, error ? error->message : "?");
  return entry;
}

/* The ids of entries (ph_spool_entry *), joined by spaces (transfer full). */
static char *
ids_of (GPtrArray *entries)
{
  GString *ids = g_string_new (NULL);

  for (guint i = 0; i < entries->len; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index (entries, i);
      g_string_append_printf (ids, "%s%s", i > 0 ? " " : "", e->id);
    }
  return g_string_free (ids, FALSE);
}

static char *
due_ids (ph_spool *spool, gint64 now, guint limit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) due = ph_spool_due (spool, now, limit, &error);

  ck_assert_msg (due != NULL, "due: %s", error ? error->message : "?");
  return ids_of (due);
}

static void
add_attachment (ph_spool_entry *entry, const char *field, const char *filename,
                const char *type, const void *data, gsize size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);

  g_ptr_array_add (entry->attachments, ph_spool_attachment_new (field, filename, type, bytes));
}

static void
assert_bytes (GBytes *bytes, const void *data, gsize size)
{
  ck_assert_ptr_nonnull (bytes);
  ck_assert_uint_eq (g_bytes_get_size (bytes), size);
  /* An empty GBytes may hold a NULL pointer, which memcmp must not see. */
  ck_assert (size == 0 || memcmp (g_bytes_get_data (bytes, NULL), data, size) == 0);
}

/* Delivered ones move to the history (the console's list), newest first,
 * bounded; they can be read back whole and forgotten. */
START_TEST (test_complete_moves_to_bounded_history)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) of_b = NULL;
  g_autoptr (ph_spool_entry) got = NULL;
  g_autofree char *ids = NULL;
  guint pending = 9, dead = 9;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%d", i);
      ph_spool_test_put (spool, ph_spool_test_entry (id, i == 4 ? "b" : "a", "PrintDone",
                                                     T0 + i * S));
    }
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%d", i);
      ck_assert_msg (ph_spool_complete (spool, id, 200 + i, "ok\nmore", 0.25, T0 + 10 * S + i,
                                        3, &error),
                     "complete %s: %s", id, error ? error->message : "?");
    }
  ck_assert (ph_spool_count (spool, &pending, &dead, NULL));
  ck_assert_uint_eq (pending, 0);
  ck_assert_uint_eq (dead, 0);
  all = ph_spool_history_list (spool, NULL, 10, &error);
  ck_assert_ptr_nonnull (all);
  ids = ids_of (all);
  ck_assert_str_eq (ids, "msg_4 msg_3 msg_2");
  of_b = ph_spool_history_list (spool, "b", 10, &error);
  ck_assert_uint_eq (of_b->len, 1);
  got = ph_spool_history_get (spool, "msg_3", &error);
  ck_assert_ptr_nonnull (got);
  ck_assert_int_eq (got->state, PH_SPOOL_DELIVERED);
  ck_assert_int_eq (got->last_status, 203);
  ck_assert_str_eq (got->response, "ok\nmore");
  ck_assert (got->duration == 0.25);
  ck_assert_int_eq (got->finished, T0 + 10 * S + 3);
  ck_assert_int_eq (got->created, T0 + 3 * S);
  ck_assert_ptr_nonnull (got->payload);
  ck_assert_ptr_nonnull (got->printer);
  ck_assert (ph_spool_history_get (spool, "msg_0", &error) == NULL);
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_0");
  g_clear_error (&error);
  ck_assert (ph_spool_history_remove (spool, "msg_3", &error));
  ck_assert (!ph_spool_history_remove (spool, "msg_3", &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_3");
  g_clear_error (&error);
  /* Not in the queue: nothing to complete. */
  ck_assert (!ph_spool_complete (spool, "msg_9", 200, NULL, 0, T0, 3, &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_9");
}
END_TEST

/* keep 0 (console off, or history = 0): a delivered one is removed only. */
START_TEST (test_complete_without_history_removes_only)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "a", "PrintDone", T0));
  ck_assert (ph_spool_complete (spool, "msg_1", 200, NULL, 0.1, T0 + S, 0, &error));
  all = ph_spool_history_list (spool, NULL, 10, &error);
  ck_assert_uint_eq (all->len, 0);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM deliveries"), 0);
}
END_TEST

START_TEST (test_put_then_get_gives_every_field_back)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  ph_spool_entry *in = ph_spool_test_entry ("msg_1", "home-assistant", "PrintProgress", T0);
  static const guint8 jpeg[] = { 0xff, 0xd8, 0x00, 0x01, 0x00, 0xff, 0xd9 };
  g_autoptr (ph_spool_entry) out = NULL;
  const ph_spool_attachment *a;

  in->milestone = 40;
  in->event_time = 1699999999;
  in->next_attempt = T0 + 3;
  add_attachment (in, "snapshot", "snapshot.jpg", "image/jpeg", jpeg, sizeof jpeg);
  add_attachment (in, "empty", NULL, NULL, "", 0);
  ph_spool_test_put (spool, in);

  out = get (spool, "msg_1");
  ck_assert_str_eq (out->id, "msg_1");
  ck_assert_str_eq (out->hook, "home-assistant");
  ck_assert_str_eq (out->event, "PrintProgress");
  ck_assert_str_eq (out->source, "octoprint");
  ck_assert_str_eq (out->payload, "{\"name\":\"msg_1.gcode\"}");
  ck_assert_str_eq (out->printer, "{\"state\":{\"text\":\"Printing\"}}");
  ck_assert_int_eq (out->event_time, 1699999999);
  ck_assert_int_eq (out->milestone, 40);
  ck_assert_int_eq (out->created, T0);
  ck_assert_int_eq (out->window_start, T0);
  ck_assert_int_eq (out->next_attempt, T0 + 3);
  ck_assert_uint_eq (out->attempts, 0);
  ck_assert_int_eq (out->last_attempt, 0);
  ck_assert (!out->in_progress);
  ck_assert_int_eq (out->state, PH_SPOOL_PENDING);
  ck_assert_int_eq (out->last_status, 0);
  ck_assert_ptr_null (out->last_outcome);
  ck_assert_ptr_null (out->dead_reason);
  ck_assert_uint_eq (out->attachments->len, 2);
  a = g_ptr_array_index (out->attachments, 0);
  ck_assert_str_eq (a->field, "snapshot");
  ck_assert_str_eq (a->filename, "snapshot.jpg");
  ck_assert_str_eq (a->content_type, "image/jpeg");
  ck_assert_uint_eq (a->size, sizeof jpeg);
  assert_bytes (a->bytes, jpeg, sizeof jpeg);
  a = g_ptr_array_index (out->attachments, 1);
  ck_assert_str_eq (a->field, "empty");
  ck_assert_ptr_null (a->filename);
  ck_assert_ptr_null (a->content_type);
  assert_bytes (a->bytes, "", 0);
}
END_TEST

START_TEST (test_same_id_twice_is_refused)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) again = ph_spool_test_entry ("msg_1", "other", "PrintDone", T0 + S);
  g_autoptr (ph_spool_entry) kept = NULL;
  g_autoptr (GError) error = NULL;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintStarted", T0));
  ck_assert (!ph_spool_put (spool, again, 0, NULL, &error));
  assert_error (error, PH_SPOOL_ERROR_EXISTS, "msg_1");
  kept = get (spool, "msg_1");
  ck_assert_str_eq (kept->event, "PrintStarted");
}
END_TEST

START_TEST (test_unknown_ids_are_not_found)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  GError *error = NULL;

  ck_assert_ptr_null (ph_spool_get (spool, "msg_nope", &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
  ck_assert (!ph_spool_remove (spool, "msg_nope", &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
  ck_assert (!ph_spool_retry (spool, "msg_nope", T0, &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
  ck_assert (!ph_spool_begin_attempt (spool, "msg_nope", T0, S, &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
  ck_assert (!ph_spool_schedule_retry (spool, "msg_nope", 503, "HTTP 503", T0, &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
  ck_assert (!ph_spool_mark_dead (spool, "msg_nope", 404, "HTTP 404", "gone", &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
  ck_assert (!ph_spool_set_attachments (spool, "msg_nope", none, &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_nope");
  g_clear_error (&error);
}
END_TEST

START_TEST (test_due_is_oldest_first_and_bounded)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  ph_spool_entry *later = ph_spool_test_entry ("msg_later", "h", "PrintDone", T0 - 10 * S);
  g_autofree char *all = NULL, *two = NULL, *at_t0 = NULL, *before = NULL;

  /* Put out of order: due() sorts by creation, not by insertion. */
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_c", "h", "PrintDone", T0 - 1 * S));
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_a", "h", "PrintDone", T0 - 3 * S));
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_b", "other", "PrintDone", T0 - 2 * S));
  later->next_attempt = T0 + 60 * S;
  ph_spool_test_put (spool, later);

  all = due_ids (spool, T0, 100);
  ck_assert_str_eq (all, "msg_a msg_b msg_c");
  two = due_ids (spool, T0, 2);
  ck_assert_str_eq (two, "msg_a msg_b");
  before = due_ids (spool, T0 - 3 * S - 1, 100);
  ck_assert_str_eq (before, "");
  at_t0 = due_ids (spool, T0 + 60 * S, 100);
  ck_assert_str_eq (at_t0, "msg_later msg_a msg_b msg_c");
}
END_TEST

START_TEST (test_an_attempt_is_not_due_twice)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) running = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *during = NULL, *after_lease = NULL;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0 + S, 30 * S, &error));
  running = get (spool, "msg_1");
  ck_assert (running->in_progress);
  ck_assert_uint_eq (running->attempts, 1);
  ck_assert_int_eq (running->last_attempt, T0 + S);
  during = due_ids (spool, T0 + 30 * S, 10);
  ck_assert_str_eq (during, "");
  /* A lost attempt (a bug, a hung module) is not lost for good. */
  after_lease = due_ids (spool, T0 + 31 * S, 10);
  ck_assert_str_eq (after_lease, "msg_1");
}
END_TEST

START_TEST (test_a_transient_failure_schedules_the_next_attempt)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *early = NULL, *on_time = NULL;
  gint64 when = 0;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0, 30 * S, &error));
  ck_assert (ph_spool_schedule_retry (spool, "msg_1", 503, "HTTP 503: busy", T0 + 5 * S, &error));
  e = get (spool, "msg_1");
  ck_assert (!e->in_progress);
  ck_assert_int_eq (e->state, PH_SPOOL_PENDING);
  ck_assert_int_eq (e->next_attempt, T0 + 5 * S);
  ck_assert_int_eq (e->last_status, 503);
  ck_assert_str_eq (e->last_outcome, "HTTP 503: busy");
  ck_assert (ph_spool_next_wakeup (spool, &when, &error));
  ck_assert_int_eq (when, T0 + 5 * S);
  early = due_ids (spool, T0 + 5 * S - 1, 10);
  ck_assert_str_eq (early, "");
  on_time = due_ids (spool, T0 + 5 * S, 10);
  ck_assert_str_eq (on_time, "msg_1");
}
END_TEST

START_TEST (test_a_dead_letter_keeps_its_last_outcome)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *due = NULL;
  guint pending = 9, dead = 9;
  gint64 when = 0;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_2", "h", "PrintDone", T0));
  ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0, 30 * S, &error));
  ck_assert (ph_spool_mark_dead (spool, "msg_1", 410, "HTTP 410: gone",
                                 "the receiver answered 410 Gone", &error));
  e = get (spool, "msg_1");
  ck_assert_int_eq (e->state, PH_SPOOL_DEAD);
  ck_assert (!e->in_progress);
  ck_assert_int_eq (e->last_status, 410);
  ck_assert_str_eq (e->last_outcome, "HTTP 410: gone");
  ck_assert_str_eq (e->dead_reason, "the receiver answered 410 Gone");
  due = due_ids (spool, T0 + 3600 * S, 10);
  ck_assert_str_eq (due, "msg_2");
  ck_assert (ph_spool_count (spool, &pending, &dead, &error));
  ck_assert_uint_eq (pending, 1);
  ck_assert_uint_eq (dead, 1);
  /* A dead letter wakes nobody. */
  ck_assert (ph_spool_remove (spool, "msg_2", &error));
  ck_assert (ph_spool_next_wakeup (spool, &when, &error));
  ck_assert_int_eq (when, -1);
  /* Nor does it take a retry schedule. */
  ck_assert (!ph_spool_schedule_retry (spool, "msg_1", 0, NULL, T0, &error));
  assert_error (error, PH_SPOOL_ERROR_NOT_FOUND, "msg_1");
}
END_TEST

START_TEST (test_delivered_is_removed_with_its_attachments)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  ph_spool_entry *e = ph_spool_test_entry ("msg_1", "h", "PrintDone", T0);
  g_autoptr (GError) error = NULL;
  guint pending = 9;

  add_attachment (e, "snapshot", "snapshot.jpg", "image/jpeg", "jpeg", 4);
  ph_spool_test_put (spool, e);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM attachments"), 1);
  ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0, 30 * S, &error));
  ck_assert (ph_spool_remove (spool, "msg_1", &error));
  ck_assert (ph_spool_count (spool, &pending, NULL, &error));
  ck_assert_uint_eq (pending, 0);
  ck_assert_int_eq (ph_spool_test_query_int (path, "SELECT count(*) FROM attachments"), 0);
}
END_TEST

START_TEST (test_attachments_captured_later_are_kept)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GPtrArray) first = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_spool_attachment_free);
  g_autoptr (GPtrArray) second = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_spool_attachment_free);
  g_autoptr (GBytes) a = g_bytes_new_static ("AAAA", 4);
  g_autoptr (GBytes) b = g_bytes_new_static ("BB", 2);
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  g_ptr_array_add (first, ph_spool_attachment_new ("snapshot", "snapshot.jpg", "image/jpeg", a));
  g_ptr_array_add (first, ph_spool_attachment_new ("extra", "x.bin", NULL, b));
  ck_assert (ph_spool_set_attachments (spool, "msg_1", first, &error));
  g_ptr_array_add (second, ph_spool_attachment_new ("snapshot", "snapshot.jpg", "image/jpeg", b));
  ck_assert (ph_spool_set_attachments (spool, "msg_1", second, &error));
  e = get (spool, "msg_1");
  ck_assert_uint_eq (e->attachments->len, 1);
  assert_bytes (((ph_spool_attachment *) g_ptr_array_index (e->attachments, 0))->bytes, "BB", 2);
}
END_TEST

START_TEST (test_retry_reopens_the_window)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *due = NULL;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  for (int i = 0; i < 3; i++)
    {
      ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0 + i * S, 30 * S, &error));
      ck_assert (ph_spool_schedule_retry (spool, "msg_1", 0, "connection refused",
                                          T0 + (i + 1) * S, &error));
    }
  ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0 + 3 * S, 30 * S, &error));
  ck_assert (ph_spool_mark_dead (spool, "msg_1", 0, "connection refused",
                                 "retry.max_age reached", &error));

  ck_assert (ph_spool_retry (spool, "msg_1", T0 + 7200 * S, &error));
  e = get (spool, "msg_1");
  ck_assert_int_eq (e->state, PH_SPOOL_PENDING);
  ck_assert_ptr_null (e->dead_reason);
  ck_assert_uint_eq (e->attempts, 0);
  ck_assert_int_eq (e->window_start, T0 + 7200 * S);
  ck_assert_int_eq (e->next_attempt, T0 + 7200 * S);
  /* History stays: when it was made, and what happened last. */
  ck_assert_int_eq (e->created, T0);
  ck_assert_str_eq (e->last_outcome, "connection refused");
  due = due_ids (spool, T0 + 7200 * S, 10);
  ck_assert_str_eq (due, "msg_1");
}
END_TEST

START_TEST (test_retry_leaves_a_running_attempt_alone)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_1", "h", "PrintDone", T0));
  ck_assert (ph_spool_begin_attempt (spool, "msg_1", T0, 30 * S, &error));
  ck_assert (!ph_spool_retry (spool, "msg_1", T0 + S, &error));
  assert_error (error, PH_SPOOL_ERROR_BUSY, "msg_1 is being attempted");
  e = get (spool, "msg_1");
  ck_assert (e->in_progress);
  ck_assert_int_eq (e->next_attempt, T0 + 30 * S);
}
END_TEST

START_TEST (test_retry_all_dead_letters)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;
  g_autofree char *due = NULL;
  guint count = 0, dead = 9;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%d", i);
      ph_spool_test_put (spool, ph_spool_test_entry (id, "h", "PrintDone", T0 + i * S));
      if (i != 2)
        ck_assert (ph_spool_mark_dead (spool, id, 404, "HTTP 404", "permanent", &error));
    }
  ck_assert (ph_spool_retry_dead (spool, T0 + 100 * S, &count, &error));
  ck_assert_uint_eq (count, 3);
  ck_assert (ph_spool_count (spool, NULL, &dead, &error));
  ck_assert_uint_eq (dead, 0);
  due = due_ids (spool, T0 + 100 * S, 10);
  ck_assert_str_eq (due, "msg_0 msg_1 msg_2 msg_3");
  ck_assert (ph_spool_retry_dead (spool, T0 + 100 * S, &count, &error));
  ck_assert_uint_eq (count, 0);
}
END_TEST

START_TEST (test_recover_sends_interrupted_attempts_at_once)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool) restarted = NULL;
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *due = NULL;
  guint count = 0;

  ph_spool_test_put (spool, ph_spool_test_entry ("msg_sent", "h", "PrintDone", T0));
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_waiting", "h", "PrintDone", T0));
  ck_assert (ph_spool_begin_attempt (spool, "msg_sent", T0, 60 * S, &error));
  ck_assert (ph_spool_begin_attempt (spool, "msg_waiting", T0, 60 * S, &error));
  ck_assert (ph_spool_schedule_retry (spool, "msg_waiting", 0, "refused", T0 + 600 * S, &error));
  /* The daemon dies here: the connection goes without a word. */
  g_clear_pointer (&spool, ph_spool_close);

  restarted = ph_spool_test_open (path);
  ck_assert (ph_spool_recover (restarted, T0 + 2 * S, &count, &error));
  ck_assert_uint_eq (count, 1);
  e = get (restarted, "msg_sent");
  ck_assert (!e->in_progress);
  ck_assert_uint_eq (e->attempts, 1);
  due = due_ids (restarted, T0 + 2 * S, 10);
  ck_assert_str_eq (due, "msg_sent");
}
END_TEST

START_TEST (test_everything_survives_a_reopen)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_spool_entry) e = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ids = NULL;
  ph_spool_entry *in = ph_spool_test_entry ("msg_1", "h", "PrintDone", T0);

  add_attachment (in, "snapshot", "snapshot.jpg", "image/jpeg", "\xff\xd8\xff\xd9", 4);
  ph_spool_test_put (spool, in);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_2", "h", "PrintFailed", T0 + S));
  ck_assert (ph_spool_begin_attempt (spool, "msg_2", T0 + S, 30 * S, &error));
  ck_assert (ph_spool_mark_dead (spool, "msg_2", 400, "HTTP 400", "permanent", &error));
  g_clear_pointer (&spool, ph_spool_close);

  spool = ph_spool_test_open (path);
  list = ph_spool_list (spool, &error);
  ck_assert_ptr_nonnull (list);
  ids = ids_of (list);
  ck_assert_str_eq (ids, "msg_1 msg_2");
  e = get (spool, "msg_1");
  assert_bytes (((ph_spool_attachment *) g_ptr_array_index (e->attachments, 0))->bytes,
                "\xff\xd8\xff\xd9", 4);
  g_clear_pointer (&e, ph_spool_entry_free);
  e = get (spool, "msg_2");
  ck_assert_int_eq (e->state, PH_SPOOL_DEAD);
  ck_assert_uint_eq (e->attempts, 1);
  ck_assert_str_eq (e->last_outcome, "HTTP 400");
}
END_TEST

START_TEST (test_list_has_sizes_but_no_bodies)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  ph_spool_entry *in = ph_spool_test_entry ("msg_1", "h", "PrintDone", T0);
  const ph_spool_entry *e;
  const ph_spool_attachment *a;
  char big[5000];

  memset (big, 'j', sizeof big);
  add_attachment (in, "snapshot", "snapshot.jpg", "image/jpeg", big, sizeof big);
  ph_spool_test_put (spool, in);
  ph_spool_test_put (spool, ph_spool_test_entry ("msg_2", "h", "PrintDone", T0 + S));
  list = ph_spool_list (spool, &error);
  ck_assert_uint_eq (list->len, 2);
  e = g_ptr_array_index (list, 0);
  ck_assert_str_eq (e->event, "PrintDone");
  ck_assert_ptr_null (e->payload);
  ck_assert_ptr_null (e->printer);
  ck_assert_uint_eq (e->attachments->len, 1);
  a = g_ptr_array_index (e->attachments, 0);
  ck_assert_str_eq (a->filename, "snapshot.jpg");
  ck_assert_uint_eq (a->size, sizeof big);
  ck_assert_ptr_null (a->bytes);
  e = g_ptr_array_index (list, 1);
  ck_assert_uint_eq (e->attachments->len, 0);
}
END_TEST

/* Fills a spool bounded at 5 with PrintProgress and other deliveries. */
static void
put_bounded (ph_spool *spool, const char *id, const char *event, gint64 created,
             GPtrArray **dropped)
{
  g_autoptr (ph_spool_entry) e = ph_spool_test_entry (id, "h", event, created);
  g_autoptr (GError) error = NULL;

  ck_assert_msg (ph_spool_put (spool, e, 5, dropped, &error), "put %s: %s", id,
                 error ? error->message : "?");
}

START_TEST (test_a_full_spool_drops_progress_first)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GPtrArray) dropped = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dropped_ids = NULL, *kept = NULL;

  put_bounded (spool, "msg_started", "PrintStarted", T0, &dropped);
  put_bounded (spool, "msg_p20", "PrintProgress", T0 + 1 * S, &dropped);
  put_bounded (spool, "msg_p40", "PrintProgress", T0 + 2 * S, &dropped);
  put_bounded (spool, "msg_paused", "PrintPaused", T0 + 3 * S, &dropped);
  put_bounded (spool, "msg_p60", "printprogress", T0 + 4 * S, &dropped);
  ck_assert_ptr_null (dropped);

  /* Full: each new one pushes out the oldest progress delivery... */
  put_bounded (spool, "msg_p80", "PrintProgress", T0 + 5 * S, &dropped);
  put_bounded (spool, "msg_done", "PrintDone", T0 + 6 * S, &dropped);
  ck_assert_ptr_nonnull (dropped);
  dropped_ids = ids_of (dropped);
  ck_assert_str_eq (dropped_ids, "msg_p20 msg_p40");
  ck_assert_str_eq (((ph_spool_entry *) g_ptr_array_index (dropped, 0))->event, "PrintProgress");
  ck_assert_str_eq (((ph_spool_entry *) g_ptr_array_index (dropped, 0))->hook, "h");
  g_ptr_array_set_size (dropped, 0);

  /* ... and once none is left, the oldest of the others. */
  put_bounded (spool, "msg_x1", "Error", T0 + 7 * S, &dropped);
  put_bounded (spool, "msg_x2", "Error", T0 + 8 * S, &dropped);
  put_bounded (spool, "msg_x3", "Error", T0 + 9 * S, &dropped);
  g_free (dropped_ids);
  dropped_ids = ids_of (dropped);
  ck_assert_str_eq (dropped_ids, "msg_p60 msg_p80 msg_started");

  list = ph_spool_list (spool, &error);
  kept = ids_of (list);
  ck_assert_str_eq (kept, "msg_paused msg_done msg_x1 msg_x2 msg_x3");
}
END_TEST

START_TEST (test_a_full_spool_never_drops_a_running_attempt)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GPtrArray) dropped = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dropped_ids = NULL;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%d", i);
      put_bounded (spool, id, "PrintProgress", T0 + i * S, &dropped);
    }
  ck_assert (ph_spool_begin_attempt (spool, "msg_0", T0 + 10 * S, 30 * S, &error));
  ck_assert (ph_spool_mark_dead (spool, "msg_1", 500, "HTTP 500", "retry.max_age reached",
                                 &error));
  put_bounded (spool, "msg_new", "PrintDone", T0 + 11 * S, &dropped);
  dropped_ids = ids_of (dropped);
  /* Dead letters count towards the bound, and go by age like the rest. */
  ck_assert_str_eq (dropped_ids, "msg_1");
}
END_TEST

START_TEST (test_unbounded_when_max_is_zero)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GPtrArray) dropped = NULL;
  g_autoptr (GError) error = NULL;
  guint pending = 0;

  for (int i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("msg_%d", i);
      g_autoptr (ph_spool_entry) e = ph_spool_test_entry (id, "h", "PrintProgress", T0 + i);

      ck_assert (ph_spool_put (spool, e, 0, &dropped, &error));
    }
  ck_assert_ptr_null (dropped);
  ck_assert (ph_spool_count (spool, &pending, NULL, &error));
  ck_assert_uint_eq (pending, 20);
}
END_TEST

/* ---- A delivery and its entry ---------------------------------------- */

#define HOOK_CONFIG \
  "[printhook]\ntest-sender.label = L\n" \
  "[hook h]\nurl = http://127.0.0.1:9/@extra.name\nmodules = test-sender\nevents = *\n" \
  "data = {\"file\": \"@extra.name\", \"at\": \"@currentTime\", \"m\": \"@percentCompleteMilestone\"}\n"

START_TEST (test_a_delivery_comes_back_from_the_spool_the_same)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (ph_loaded) loaded = ph_load_text (HOOK_CONFIG, NULL);
  g_autoptr (ph_event) event = NULL;
  g_autoptr (printhook_delivery) d = NULL;
  g_autoptr (printhook_delivery) back = NULL;
  g_autoptr (ph_spool_entry) entry = NULL;
  g_autoptr (ph_spool_entry) stored = NULL;
  g_autoptr (GBytes) jpeg = g_bytes_new_static ("\xff\xd8\x00\xff\xd9", 5);
  g_autoptr (GError) error = NULL;
  g_autofree char *params_before = NULL, *params_after = NULL;
  const ph_hook *hook;
  const ph_attachment *a;

  ck_assert_ptr_nonnull (loaded->config);
  hook = g_ptr_array_index (loaded->config->hooks, 0);
  event = ph_event_new ("PrintProgress", "octoprint", ph_sample_payload (), ph_sample_printer ());
  event->time = 1690000000;
  d = ph_delivery_new (hook, event, 60);
  ph_delivery_add_attachment (d, "snapshot", "snapshot.jpg", "image/jpeg", jpeg);

  entry = ph_spool_entry_from_delivery (d, T0);
  ck_assert_str_eq (entry->id, d->id);
  ck_assert_str_eq (entry->hook, "h");
  ck_assert_int_eq (entry->milestone, 60);
  ck_assert_int_eq (entry->event_time, 1690000000);
  ck_assert_int_eq (entry->next_attempt, T0);
  ck_assert (ph_spool_put (spool, entry, 0, NULL, &error));
  stored = get (spool, d->id);

  back = ph_spool_entry_to_delivery (stored, hook, &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "?");
  ck_assert_str_eq (back->id, d->id);
  ck_assert_str_eq (back->event->name, "PrintProgress");
  ck_assert_str_eq (back->event->source, "octoprint");
  ck_assert_int_eq (back->event->time, 1690000000);
  params_before = ph_json_to_text (d->params, FALSE);
  params_after = ph_json_to_text (back->params, FALSE);
  ck_assert_str_eq (params_after, params_before);
  ck_assert_uint_eq (back->attachments->len, 1);
  a = g_ptr_array_index (back->attachments, 0);
  ck_assert_str_eq (a->field, "snapshot");
  ck_assert_str_eq (a->filename, "snapshot.jpg");
  ck_assert_str_eq (a->content_type, "image/jpeg");
  assert_bytes (a->bytes, "\xff\xd8\x00\xff\xd9", 5);

  /* Rendered afresh, it renders the same. */
  ph_delivery_render (d);
  ph_delivery_render (back);
  ck_assert_str_eq (back->url, d->url);
  {
    g_autofree char *before = ph_json_to_text (d->data, FALSE);
    g_autofree char *after = ph_json_to_text (back->data, FALSE);
    ck_assert_str_eq (after, before);
    ck_assert (strstr (after, "\"m\":60") != NULL);
  }
}
END_TEST

START_TEST (test_a_damaged_stored_event_is_a_permanent_failure)
{
  g_autoptr (ph_loaded) loaded = ph_load_text (HOOK_CONFIG, NULL);
  g_autoptr (ph_spool_entry) entry = ph_spool_test_entry ("msg_1", "h", "PrintDone", T0);
  g_autoptr (GError) error = NULL;
  printhook_delivery *d;

  ck_assert_ptr_nonnull (loaded->config);
  g_free (entry->printer);
  entry->printer = g_strdup ("[1, 2");
  d = ph_spool_entry_to_delivery (entry, g_ptr_array_index (loaded->config->hooks, 0), &error);
  ck_assert_ptr_null (d);
  ck_assert (g_error_matches (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT));
  ck_assert_msg (strstr (error->message, "printer state of delivery msg_1") != NULL, "%s",
                 error->message);
}
END_TEST

static Suite *
spool_suite (void)
{
  Suite *s = suite_create ("spool");
  TCase *store = tcase_create ("store");
  TCase *bound = tcase_create ("bound");
  TCase *delivery = tcase_create ("delivery");

  tcase_add_test (store, test_put_then_get_gives_every_field_back);
  tcase_add_test (store, test_same_id_twice_is_refused);
  tcase_add_test (store, test_unknown_ids_are_not_found);
  tcase_add_test (store, test_due_is_oldest_first_and_bounded);
  tcase_add_test (store, test_an_attempt_is_not_due_twice);
  tcase_add_test (store, test_a_transient_failure_schedules_the_next_attempt);
  tcase_add_test (store, test_a_dead_letter_keeps_its_last_outcome);
  tcase_add_test (store, test_delivered_is_removed_with_its_attachments);
  tcase_add_test (store, test_complete_moves_to_bounded_history);
  tcase_add_test (store, test_complete_without_history_removes_only);
  tcase_add_test (store, test_attachments_captured_later_are_kept);
  tcase_add_test (store, test_retry_reopens_the_window);
  tcase_add_test (store, test_retry_leaves_a_running_attempt_alone);
  tcase_add_test (store, test_retry_all_dead_letters);
  tcase_add_test (store, test_recover_sends_interrupted_attempts_at_once);
  tcase_add_test (store, test_everything_survives_a_reopen);
  tcase_add_test (store, test_list_has_sizes_but_no_bodies);
  suite_add_tcase (s, store);
  tcase_add_test (bound, test_a_full_spool_drops_progress_first);
  tcase_add_test (bound, test_a_full_spool_never_drops_a_running_attempt);
  tcase_add_test (bound, test_unbounded_when_max_is_zero);
  suite_add_tcase (s, bound);
  tcase_add_test (delivery, test_a_delivery_comes_back_from_the_spool_the_same);
  tcase_add_test (delivery, test_a_damaged_stored_event_is_a_permanent_failure);
  suite_add_tcase (s, delivery);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  return ph_test_run (spool_suite ());
}
