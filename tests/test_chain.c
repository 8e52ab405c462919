/* Many deliveries at once on the one main loop, through the real modules:
 * none waits for another, and a slow receiver holds back nobody else. */
#include "autoconfig.h"

#include <string.h>

#include "delivery/chain_run.h"
#include "config_fixture.h"
#include "harness.h"
#include "delivery/host.h"
#include "delivery/http.h"
#include "text/json_text.h"
#include "receiver.h"
#include "event/sample.h"

typedef struct {
  guint done;
  guint delivered;
  GHashTable *ids;
} tally;

static void
on_done (printhook_delivery *d, printhook_result result, const GError *error, gpointer user_data)
{
  tally *t = user_data;

  t->done++;
  if (result == PRINTHOOK_RESULT_DONE)
    t->delivered++;
  else
    g_printerr ("delivery %s: %s\n", d->id, error ? error->message : "?");
  ph_delivery_free (d);
}

START_TEST (test_ninety_deliveries_run_concurrently)
{
  g_autoptr (ph_receiver) r = ph_receiver_start (NULL);
  g_autofree char *fast = ph_receiver_url (r, "/fast/@event");
  g_autofree char *slow = ph_receiver_url (r, "/slow/700");
  g_autofree char *form = ph_receiver_url (r, "/form");
  g_autofree char *text = g_strdup_printf ("[hook fast]\nurl = %s\nevents = *\n\n"
                                           "[hook slow]\nurl = %s\nevents = *\n\n"
                                           "[hook form]\nurl = %s\ncontent_type = form\nevents = *\n",
                                           fast, slow, form);
  g_autoptr (ph_loaded) l = ph_load_text (text, NULL);
  g_autoptr (ph_http) http = ph_http_new (NULL);
  g_autoptr (ph_event) event = NULL;
  g_autoptr (json_object) records = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  tally t = { 0 };
  double last_fast = 0, first_slow = G_MAXDOUBLE;
  gint64 deadline;

  ck_assert_msg (l->config != NULL, "config did not load");
  ph_host_set_http (http);
  event = ph_event_new ("PrintDone", "test", ph_sample_payload (), ph_sample_printer ());
  for (guint i = 0; i < 30; i++)
    for (guint h = 0; h < l->config->hooks->len; h++)
      ph_chain_run (ph_delivery_new (g_ptr_array_index (l->config->hooks, h), event, 0), on_done, &t);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (t.done < 90 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_uint_eq (t.done, 90);
  ck_assert_uint_eq (t.delivered, 90);

  records = ph_receiver_wait (r, 90, 10000);
  ck_assert_uint_eq (json_object_array_length (records), 90);
  for (guint i = 0; i < 90; i++)
    {
      json_object *rec = json_object_array_get_idx (records, i);
      const char *path = json_object_get_string (json_object_object_get (rec, "path"));
      double time = json_object_get_double (json_object_object_get (rec, "time"));

      /* Every delivery has an id of its own. */
      ck_assert (g_hash_table_add (ids, (gpointer) ph_record_header (rec, "webhook-id")));
      if (strcmp (path, "/fast/PrintDone") == 0)
        last_fast = MAX (last_fast, time);
      else if (strcmp (path, "/slow/700") == 0)
        first_slow = MIN (first_slow, time);
    }
  /* The thirty slow requests were all on their way before the fast ones
   * were done: nothing waited for the slow receiver's answers. */
  ck_assert_msg (first_slow < last_fast + 0.7, "slow requests started %.3f s after the last fast one",
                 first_slow - last_fast);
  ph_host_set_http (NULL);
}
END_TEST

static Suite *
chain_suite (void)
{
  Suite *s = suite_create ("chain");
  TCase *tc = tcase_create ("chain");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_ninety_deliveries_run_concurrently);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  return ph_test_run (chain_suite ());
}
