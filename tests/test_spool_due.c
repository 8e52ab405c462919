/* What the daemon's scheduler asks the spool (core/spool/spool_due.c): which
 * hooks have deliveries due, one hook's due deliveries, and when the next
 * delivery falls due. */
#include "autoconfig.h"

#include "harness.h"
#include "spool_fixture.h"

#define S ((gint64) G_USEC_PER_SEC)
#define T0 ((gint64) 1700000000 * S)

/* Puts a delivery of hook created at created and due at due. */
static void
put (ph_spool *spool, const char *id, const char *hook, gint64 created, gint64 due)
{
  ph_spool_entry *entry = ph_spool_test_entry (id, hook, "PrintDone", created);

  entry->next_attempt = due;
  ph_spool_test_put (spool, entry);
}

static char *
due_hooks (ph_spool *spool, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) hooks = ph_spool_due_hooks (spool, now, &error);

  ck_assert_msg (hooks != NULL, "due hooks: %s", error ? error->message : "?");
  return g_strjoinv (" ", hooks);
}

static char *
due_for_hook (ph_spool *spool, const char *hook, gint64 now, guint limit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) due = ph_spool_due_for_hook (spool, hook, now, limit, &error);
  GString *ids = g_string_new (NULL);

  ck_assert_msg (due != NULL, "due for %s: %s", hook, error ? error->message : "?");
  for (guint i = 0; i < due->len; i++)
    {
      const ph_spool_entry *e = g_ptr_array_index (due, i);

      /* Complete, as an attempt needs it. */
      ck_assert_ptr_nonnull (e->payload);
      g_string_append_printf (ids, "%s%s", i > 0 ? " " : "", e->id);
    }
  return g_string_free (ids, FALSE);
}

static gint64
next_after (ph_spool *spool, gint64 after)
{
  g_autoptr (GError) error = NULL;
  gint64 when = 0;

  ck_assert_msg (ph_spool_next_wakeup_after (spool, after, &when, &error), "next: %s",
                 error ? error->message : "?");
  return when;
}

START_TEST (test_due_hooks_are_named_once_and_sorted)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;
  g_autofree char *none = NULL, *at_t0 = NULL, *later = NULL, *without_dead = NULL;

  none = due_hooks (spool, T0);
  ck_assert_str_eq (none, "");
  put (spool, "msg_1", "ntfy", T0 - 3 * S, T0 - 3 * S);
  put (spool, "msg_2", "discord", T0 - 2 * S, T0);
  put (spool, "msg_3", "ntfy", T0 - 1 * S, T0 - 1 * S);
  put (spool, "msg_4", "slack", T0, T0 + 60 * S);
  at_t0 = due_hooks (spool, T0);
  ck_assert_str_eq (at_t0, "discord ntfy");
  later = due_hooks (spool, T0 + 60 * S);
  ck_assert_str_eq (later, "discord ntfy slack");
  /* Dead letters are never due. */
  ck_assert (ph_spool_mark_dead (spool, "msg_2", 400, "HTTP 400", "permanent", &error));
  without_dead = due_hooks (spool, T0);
  ck_assert_str_eq (without_dead, "ntfy");
}
END_TEST

START_TEST (test_due_for_hook_is_that_hooks_oldest_first_and_bounded)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;
  g_autofree char *all = NULL, *two = NULL, *other = NULL, *running = NULL;

  put (spool, "msg_c", "a", T0 - 1 * S, T0 - 1 * S);
  put (spool, "msg_a", "a", T0 - 3 * S, T0 - 3 * S);
  put (spool, "msg_x", "b", T0 - 4 * S, T0 - 4 * S);
  put (spool, "msg_b", "a", T0 - 2 * S, T0 - 2 * S);
  put (spool, "msg_later", "a", T0 - 5 * S, T0 + 60 * S);
  all = due_for_hook (spool, "a", T0, 100);
  ck_assert_str_eq (all, "msg_a msg_b msg_c");
  two = due_for_hook (spool, "a", T0, 2);
  ck_assert_str_eq (two, "msg_a msg_b");
  other = due_for_hook (spool, "b", T0, 100);
  ck_assert_str_eq (other, "msg_x");
  /* An attempt under way is not due until its lease runs out. */
  ck_assert (ph_spool_begin_attempt (spool, "msg_a", T0, 30 * S, &error));
  running = due_for_hook (spool, "a", T0, 100);
  ck_assert_str_eq (running, "msg_b msg_c");
}
END_TEST

START_TEST (test_next_wakeup_after_skips_what_is_due_already)
{
  g_autofree char *path = ph_spool_test_path ();
  g_autoptr (ph_spool) spool = ph_spool_test_open (path);
  g_autoptr (GError) error = NULL;

  ck_assert_int_eq (next_after (spool, T0), -1);
  put (spool, "msg_now", "a", T0 - S, T0 - S);
  /* Due already: a timer for it would fire at once, again and again. */
  ck_assert_int_eq (next_after (spool, T0), -1);
  put (spool, "msg_soon", "a", T0, T0 + 5 * S);
  put (spool, "msg_later", "b", T0, T0 + 30 * S);
  ck_assert_int_eq (next_after (spool, T0), T0 + 5 * S);
  ck_assert_int_eq (next_after (spool, T0 + 5 * S), T0 + 30 * S);
  /* A dead letter has no next attempt. */
  ck_assert (ph_spool_mark_dead (spool, "msg_soon", 0, NULL, "gone", &error));
  ck_assert_int_eq (next_after (spool, T0), T0 + 30 * S);
  ck_assert (ph_spool_remove (spool, "msg_later", &error));
  ck_assert_int_eq (next_after (spool, T0), -1);
}
END_TEST

static Suite *
spool_due_suite (void)
{
  Suite *s = suite_create ("spool-due");
  TCase *tc = tcase_create ("due");

  tcase_add_test (tc, test_due_hooks_are_named_once_and_sorted);
  tcase_add_test (tc, test_due_for_hook_is_that_hooks_oldest_first_and_bounded);
  tcase_add_test (tc, test_next_wakeup_after_skips_what_is_due_already);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (spool_due_suite ());
}
