/* What a Bambu Lab printer's reports mean (core/sources/bambu_report.h):
 * the exact events and their parameters for a P1 sending deltas and an X1
 * sending whole objects, through a print, a user pause, a filament
 * runout, a cancel, a failure and a finish missed while disconnected; and
 * hostile reports that must change nothing. */
#include "autoconfig.h"

#include <gio/gio.h>
#include <string.h>

#include "harness.h"
#include "sources/bambu_report.h"
#include "text/json_text.h"

#define T0 1765000000

typedef struct {
  ph_bambu_state *state;
  GPtrArray *events;        /* of the last feed */
} printer;

static void
printer_clear (printer *p)
{
  ph_bambu_state_free (p->state);
  if (p->events != NULL)
    g_ptr_array_unref (p->events);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (printer, printer_clear)

static void
printer_init (printer *p)
{
  p->state = ph_bambu_state_new ();
}

/* Feeds one push_status with these print fields (a JSON object's inside,
 * without braces) and returns the names of its events joined with ' '. */
static char *
feed (printer *p, gint64 now, const char *fields)
{
  g_autofree char *report = g_strdup_printf ("{\"print\": {\"command\": \"push_status\"%s%s}}",
                                             *fields != '\0' ? ", " : "", fields);
  g_autoptr (GError) error = NULL;
  GString *names = g_string_new (NULL);

  if (p->events != NULL)
    g_ptr_array_unref (p->events);
  p->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_bambu_event_free);
  ck_assert_msg (ph_bambu_state_apply (p->state, report, strlen (report), now, p->events, &error),
                 "%s: %s", report, error ? error->message : "");
  for (guint i = 0; i < p->events->len; i++)
    {
      const ph_bambu_event *e = g_ptr_array_index (p->events, i);

      g_string_append_printf (names, "%s%s", i ? " " : "", e->name);
      if (e->completion >= 0)
        g_string_append_printf (names, "(%.0f)", e->completion);
    }
  return g_string_free (names, FALSE);
}

#define assert_feed(p, now, fields, expected)                         \
  do                                                                  \
    {                                                                 \
      g_autofree char *got_ = feed ((p), (now), (fields));            \
      ck_assert_msg (strcmp (got_, (expected)) == 0,                  \
                     "after %s: events '%s', expected '%s'", (fields), got_, (expected)); \
    }                                                                 \
  while (0)

/* The payload of event i of the last feed (transfer none). */
static json_object *
payload (printer *p, guint i)
{
  ck_assert_uint_lt (i, p->events->len);
  return ((ph_bambu_event *) g_ptr_array_index (p->events, i))->payload;
}

static const char *
pstr (json_object *o, const char *key)
{
  json_object *v = NULL;

  ck_assert_msg (json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_string),
                 "no string %s in %s", key, json_object_to_json_string (o));
  return json_object_get_string (v);
}

static gint64
pint (json_object *o, const char *key)
{
  json_object *v = NULL;

  ck_assert_msg (json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_int),
                 "no integer %s in %s", key, json_object_to_json_string (o));
  return json_object_get_int64 (v);
}

/* What a P1 says at connection (pushall): everything, idle. */
#define P1_IDLE "\"gcode_state\": \"IDLE\", \"mc_percent\": 0, \"mc_remaining_time\": 0, " \
  "\"subtask_name\": \"\", \"gcode_file\": \"\", \"task_id\": \"0\", \"subtask_id\": \"0\", " \
  "\"print_error\": 0, \"hms\": [], \"nozzle_temper\": 24.5, \"bed_temper\": 23.0, " \
  "\"layer_num\": 0, \"total_layer_num\": 0, \"print_type\": \"idle\""

START_TEST (test_p1_deltas_through_a_print)
{
  g_auto (printer) p = { 0 };

  printer_init (&p);
  assert_feed (&p, T0, P1_IDLE, "");
  /* Only what changed, as a P1 sends it. */
  assert_feed (&p, T0 + 1, "\"gcode_state\": \"PREPARE\", \"subtask_name\": \"benchy\", "
               "\"gcode_file\": \"/data/Metadata/plate_1.gcode\", \"task_id\": \"4711\", "
               "\"subtask_id\": \"4712\", \"print_type\": \"local\", \"total_layer_num\": 240, "
               "\"gcode_start_time\": \"1765000001\"", "PrintStarted");
  ck_assert_str_eq (pstr (payload (&p, 0), "name"), "benchy");
  ck_assert_str_eq (pstr (payload (&p, 0), "path"), "/data/Metadata/plate_1.gcode");
  ck_assert_str_eq (pstr (payload (&p, 0), "origin"), "local");
  ck_assert_int_eq (pint (payload (&p, 0), "total_layers"), 240);
  assert_feed (&p, T0 + 2, "\"nozzle_temper\": 150.0", "");
  assert_feed (&p, T0 + 60, "\"gcode_state\": \"RUNNING\", \"mc_percent\": 1, "
               "\"mc_remaining_time\": 42, \"layer_num\": 1", "PrintProgress(1)");
  assert_feed (&p, T0 + 61, "\"mc_percent\": 1", "");
  assert_feed (&p, T0 + 600, "\"mc_percent\": 25, \"layer_num\": 60", "PrintProgress(25)");
  ck_assert_int_eq (pint (payload (&p, 0), "layer"), 60);
  {
    g_autoptr (json_object) printer_tree = ph_bambu_state_printer (p.state, T0 + 600);
    json_object *state = json_object_object_get (printer_tree, "state");
    json_object *progress = json_object_object_get (printer_tree, "progress");
    json_object *file = json_object_object_get (json_object_object_get (printer_tree, "job"),
                                                "file");
    json_object *tool0 = json_object_object_get (json_object_object_get (printer_tree,
                                                                         "temperature"), "tool0");

    ck_assert_str_eq (pstr (state, "text"), "Printing");
    ck_assert_str_eq (pstr (file, "name"), "benchy");
    ck_assert_int_eq (pint (progress, "printTimeLeft"), 42 * 60);
    ck_assert_int_eq (pint (progress, "printTime"), 599);
    ck_assert (json_object_get_double (json_object_object_get (progress, "completion")) == 25);
    ck_assert (json_object_get_double (json_object_object_get (tool0, "actual")) == 150.0);
  }
  /* A pause the user asked for: no error, no hms. */
  assert_feed (&p, T0 + 700, "\"gcode_state\": \"PAUSE\"", "PrintPaused");
  assert_feed (&p, T0 + 800, "\"gcode_state\": \"RUNNING\"", "PrintResumed");
  assert_feed (&p, T0 + 900, "\"mc_percent\": 100, \"mc_remaining_time\": 0", "PrintProgress(100)");
  assert_feed (&p, T0 + 901, "\"gcode_state\": \"FINISH\"", "PrintDone");
  ck_assert_str_eq (pstr (payload (&p, 0), "name"), "benchy");
  ck_assert_int_eq (pint (payload (&p, 0), "time"), 900);
  /* FINISH stays until the next job: nothing more. */
  assert_feed (&p, T0 + 960, "\"nozzle_temper\": 40.0", "");
  /* The same file again, task ids "0" as local prints have on some
   * firmware: a new job all the same. */
  assert_feed (&p, T0 + 1000, "\"gcode_state\": \"PREPARE\", \"mc_percent\": 0", "PrintStarted");
}
END_TEST

START_TEST (test_filament_runout_is_a_pause_that_needs_the_user)
{
  g_auto (printer) p = { 0 };

  printer_init (&p);
  assert_feed (&p, T0, P1_IDLE, "");
  assert_feed (&p, T0 + 1, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"vase\", "
               "\"task_id\": \"9\", \"mc_percent\": 40", "PrintStarted PrintProgress(40)");
  assert_feed (&p, T0 + 2, "\"gcode_state\": \"PAUSE\", \"print_error\": 117473297, "
               "\"hms\": [{\"attr\": 117440512, \"code\": 196625}]",
               "PrintPaused UserActionNeeded");
  {
    json_object *extra = payload (&p, 1);
    json_object *hms = json_object_object_get (extra, "hms");

    ck_assert_int_eq (pint (extra, "print_error"), 117473297);
    ck_assert_str_eq (pstr (extra, "reason"), "print_error 0x07008011");
    ck_assert_uint_eq (json_object_array_length (hms), 1);
    ck_assert_str_eq (json_object_get_string (json_object_array_get_idx (hms, 0)),
                      "HMS_0700_0000_0003_0011");
  }
  /* The same hms entry again is not new. */
  assert_feed (&p, T0 + 3, "\"hms\": [{\"attr\": 117440512, \"code\": 196625}]", "");
  assert_feed (&p, T0 + 100, "\"gcode_state\": \"RUNNING\", \"print_error\": 0, \"hms\": []",
               "PrintResumed");
  /* A fatal hms entry (severity 1 in the code's high half): Error. */
  assert_feed (&p, T0 + 101, "\"hms\": [{\"attr\": 50331904, \"code\": 65537}]", "Error");
  ck_assert_str_eq (pstr (payload (&p, 0), "error"), "HMS_0300_0100_0001_0001");
}
END_TEST

START_TEST (test_cancel_and_failure)
{
  g_auto (printer) p = { 0 };

  printer_init (&p);
  assert_feed (&p, T0, P1_IDLE, "");
  assert_feed (&p, T0 + 1, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"a\", \"task_id\": \"1\"",
               "PrintStarted PrintProgress(0)");
  assert_feed (&p, T0 + 2, "\"gcode_state\": \"FAILED\", \"print_error\": 50348044",
               "PrintCancelled PrintFailed");
  ck_assert_str_eq (pstr (payload (&p, 1), "reason"), "cancelled");
  ck_assert_str_eq (pstr (payload (&p, 0), "name"), "a");
  assert_feed (&p, T0 + 3, "\"gcode_state\": \"FAILED\"", "");
  assert_feed (&p, T0 + 10, "\"gcode_state\": \"PREPARE\", \"subtask_name\": \"b\", "
               "\"task_id\": \"2\", \"print_error\": 0", "PrintStarted");
  assert_feed (&p, T0 + 20, "\"gcode_state\": \"FAILED\", \"print_error\": 83902465",
               "PrintFailed");
  ck_assert_str_eq (pstr (payload (&p, 0), "reason"), "error");
  ck_assert_int_eq (pint (payload (&p, 0), "print_error"), 83902465);
}
END_TEST

/* An X1 sends the whole object every time: nothing is doubled. */
START_TEST (test_x1_full_objects_give_each_event_once)
{
  g_auto (printer) p = { 0 };
  const char *running = "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"x\", \"task_id\": \"7\", "
                        "\"subtask_id\": \"8\", \"mc_percent\": 10, \"hms\": [], \"print_error\": 0";

  printer_init (&p);
  assert_feed (&p, T0, "\"gcode_state\": \"IDLE\", \"hms\": [], \"print_error\": 0", "");
  assert_feed (&p, T0 + 1, running, "PrintStarted PrintProgress(10)");
  for (guint i = 0; i < 5; i++)
    assert_feed (&p, T0 + 2 + i, running, "");
  /* A new task id while running: another job. */
  assert_feed (&p, T0 + 10, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"y\", "
               "\"task_id\": \"9\", \"subtask_id\": \"10\", \"mc_percent\": 0", "PrintStarted PrintProgress(0)");
  ck_assert_str_eq (pstr (payload (&p, 0), "name"), "y");
}
END_TEST

START_TEST (test_a_finish_missed_while_disconnected_gives_one_print_done)
{
  g_auto (printer) p = { 0 };

  printer_init (&p);
  /* Printing at the first report: taken as it is, no PrintStarted. */
  assert_feed (&p, T0, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"long\", "
               "\"task_id\": \"3\", \"mc_percent\": 50, \"hms\": []", "");
  assert_feed (&p, T0 + 1, "\"mc_percent\": 51", "PrintProgress(51)");
  ph_bambu_state_reconnected (p.state);
  /* A P1's delta before the pushall's answer: merged, not taken for the
   * whole state (it would look like a job without a name, a new one). */
  assert_feed (&p, T0 + 3599, "\"gcode_state\": \"RUNNING\", \"mc_percent\": 99", "PrintProgress(99)");
  /* The pushall's answer after the gap: finished meanwhile. */
  assert_feed (&p, T0 + 3600, "\"gcode_state\": \"FINISH\", \"subtask_name\": \"long\", "
               "\"task_id\": \"3\", \"mc_percent\": 100, \"hms\": []", "PrintDone");
  ph_bambu_state_reconnected (p.state);
  assert_feed (&p, T0 + 3700, "\"gcode_state\": \"FINISH\", \"subtask_name\": \"long\", "
               "\"task_id\": \"3\", \"mc_percent\": 100, \"hms\": []", "");
  /* A reconnect replaces what was merged: a field no longer sent is gone. */
  {
    g_autoptr (json_object) tree = ph_bambu_state_printer (p.state, T0 + 3700);

    ck_assert_str_eq (pstr (json_object_object_get (tree, "state"), "text"), "Operational");
  }
}
END_TEST

/* Hostile reports change nothing and give no event. */
START_TEST (test_hostile_reports)
{
  g_auto (printer) p = { 0 };
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_bambu_event_free);
  const char *refused[] = { "", "{\"print\": {\"command\": \"push_status\", \"gcode_state\": \"RUN",
                            "[1, 2]", "\"print\"", "{\"print\": {}} trailing", NULL };
  GString *big = g_string_new ("{\"print\": {\"command\": \"push_status\", \"gcode_file\": \"");

  printer_init (&p);
  assert_feed (&p, T0, "\"gcode_state\": \"RUNNING\", \"subtask_name\": \"s\", \"task_id\": \"1\", "
               "\"mc_percent\": 5", "");
  for (guint i = 0; refused[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;

      ck_assert_msg (!ph_bambu_state_apply (p.state, refused[i], strlen (refused[i]), T0, events,
                                            &error), "took '%s'", refused[i]);
      ck_assert (error != NULL);
      ck_assert_uint_eq (events->len, 0);
    }
  /* Wrong types and unknown states: no event, no crash. */
  assert_feed (&p, T0 + 1, "\"gcode_state\": 5, \"mc_percent\": \"many\", \"hms\": \"x\", "
               "\"print_error\": [1], \"task_id\": {}, \"gcode_start_time\": 1e300", "");
  assert_feed (&p, T0 + 2, "\"gcode_state\": \"EXPLODED\"", "");
  assert_feed (&p, T0 + 3, "\"hms\": [1, {\"attr\": -1, \"code\": 5}, {\"attr\": 1e20}, null]", "");
  assert_feed (&p, T0 + 4, "\"mc_percent\": 1000", "");
  /* Other report kinds share the topic. */
  {
    const char *other = "{\"print\": {\"command\": \"push_info\", \"gcode_state\": \"FINISH\"}}";
    const char *info = "{\"info\": {\"command\": \"get_version\", \"module\": []}}";

    ck_assert (ph_bambu_state_apply (p.state, other, strlen (other), T0, events, NULL));
    ck_assert (ph_bambu_state_apply (p.state, info, strlen (info), T0, events, NULL));
    ck_assert_uint_eq (events->len, 0);
  }
  /* A megabyte: taken, merged, nothing to say. */
  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (big, 'a' + i % 26);
  g_string_append (big, "\"}}");
  ck_assert (ph_bambu_state_apply (p.state, big->str, big->len, T0, events, NULL));
  ck_assert_uint_eq (events->len, 0);
  g_string_free (big, TRUE);
  /* And the job goes on as before. */
  assert_feed (&p, T0 + 5, "\"gcode_state\": \"FINISH\"", "PrintDone");
}
END_TEST

/* The CA bundle the package ships for the printers' TLS (conf/bambu-ca.pem):
 * five certificates GLib can load, Bambu Lab's three CAs among them. */
START_TEST (test_shipped_ca_bundle_loads)
{
  g_autofree char *path = g_build_filename (ph_test_srcdir (), "conf", "bambu-ca.pem", NULL);
  g_autoptr (GError) error = NULL;
  GList *certs = g_tls_certificate_list_new_from_file (path, &error);
  guint self_signed = 0;

  ck_assert_msg (certs != NULL, "%s: %s", path, error ? error->message : "no certificate");
  ck_assert_uint_eq (g_list_length (certs), 5);
  for (GList *l = certs; l != NULL; l = l->next)
    {
      g_autofree char *subject = g_tls_certificate_get_subject_name (l->data);
      g_autofree char *issuer = g_tls_certificate_get_issuer_name (l->data);

      assert_contains (subject, "BBL");
      if (g_strcmp0 (subject, issuer) == 0)
        self_signed++;
    }
  ck_assert_uint_eq (self_signed, 3);
  g_list_free_full (certs, g_object_unref);
}
END_TEST

static Suite *
bambu_suite (void)
{
  Suite *s = suite_create ("bambu-report");
  TCase *tc = tcase_create ("report");

  tcase_add_test (tc, test_p1_deltas_through_a_print);
  tcase_add_test (tc, test_filament_runout_is_a_pause_that_needs_the_user);
  tcase_add_test (tc, test_cancel_and_failure);
  tcase_add_test (tc, test_x1_full_objects_give_each_event_once);
  tcase_add_test (tc, test_a_finish_missed_while_disconnected_gives_one_print_done);
  tcase_add_test (tc, test_hostile_reports);
  tcase_add_test (tc, test_shipped_ca_bundle_loads);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (bambu_suite ());
}
