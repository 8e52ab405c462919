/* POST hooks/NAME/test: what "printhook test" does, from the browser: one
 * real attempt of a sample event through the hook's whole chain, answered
 * when it is over.  Nothing is spooled or retried. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#include "delivery/chain_run.h"
#include "delivery/sample_delivery.h"

typedef struct {
  ph_console *console;         /* NULL once the console is gone */
  SoupServerMessage *msg;      /* a reference; NULL once the client is gone */
  ph_generation *gen;          /* holds the hook */
  ph_generation *running;      /* the console's, whose registry gen may borrow */
  char *event;
  gint64 started;              /* monotonic */
  gulong finished_handler;
} test;

static void
test_free (test *t)
{
  if (t->msg != NULL)
    {
      g_signal_handler_disconnect (t->msg, t->finished_handler);
      g_object_unref (t->msg);
    }
  ph_generation_unref (t->gen);
  ph_generation_unref (t->running);
  g_free (t->event);
  g_free (t);
}

static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  test *t = data;

  (void) msg;
  /* The client went away first. */
  g_signal_handler_disconnect (t->msg, t->finished_handler);
  g_clear_object (&t->msg);
}

/* The first lines of the answer, at most ten, masked; NULL when there is
 * no text to show. */
static char *
response_lines (ph_console *console, const printhook_delivery *d)
{
  g_auto (GStrv) lines = NULL;
  g_autofree char *shown = NULL;
  GString *out;

  if (d->response.outcome != NULL)
    return ph_console_mask (console, d->response.outcome);
  if (d->response.excerpt == NULL || d->response.body_size == 0
      || !g_utf8_validate (d->response.excerpt, -1, NULL))
    return NULL;
  shown = ph_console_mask (console, d->response.excerpt);
  lines = g_strsplit (shown, "\n", 11);
  out = g_string_new (NULL);
  for (guint i = 0; i < 10 && lines[i] != NULL; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "\n" : "", g_strchomp (lines[i]));
  if (g_strv_length (lines) > 10 || d->response.body_size > strlen (d->response.excerpt))
    g_string_append (out, "\n...");
  return g_string_free (out, FALSE);
}

static void
on_done (printhook_delivery *d, printhook_result result, const GError *error, gpointer user_data)
{
  test *t = user_data;
  ph_console *console = t->console;
  double seconds = (g_get_monotonic_time () - t->started) / (double) G_USEC_PER_SEC;
  json_object *body;
  g_autofree char *lines = NULL;

  if (console == NULL || t->msg == NULL)
    {
      ph_delivery_free (d);
      if (console != NULL)
        g_ptr_array_remove (console->tests, t);
      test_free (t);
      return;
    }
  lines = response_lines (console, d);
  body = json_object_new_object ();
  json_object_object_add (body, "hook", json_object_new_string (d->hook->name));
  json_object_object_add (body, "event", json_object_new_string (t->event));
  json_object_object_add (body, "delivered",
                          json_object_new_boolean (result == PRINTHOOK_RESULT_DONE));
  json_object_object_add (body, "status", json_object_new_int64 (d->response.status));
  json_object_object_add (body, "duration_s", json_object_new_double (seconds));
  json_object_object_add (body, "response", ph_console_json_string (console, lines));
  json_object_object_add (body, "error",
                          result == PRINTHOOK_RESULT_DONE
                              ? NULL
                              : ph_console_json_string (console, error != NULL ? error->message
                                                                               : "no reason given"));
  json_object_object_add (body, "retried_by_daemon",
                          json_object_new_boolean (result == PRINTHOOK_RESULT_RETRY));
  g_info ("console: test of hook %s with %s: %s", d->hook->name, t->event,
          result == PRINTHOOK_RESULT_DONE ? "delivered" : "NOT delivered");
  ph_delivery_free (d);
  ph_console_send_json (console, t->msg, SOUP_STATUS_OK, body);
  soup_server_message_unpause (t->msg);
  g_ptr_array_remove (console->tests, t);
  test_free (t);
}

void
ph_console_test_hook (ph_console *console, SoupServerMessage *msg, ph_generation *gen,
                      const ph_hook *hook, const char *event, json_object *payload)
{
  test *t = g_new0 (test, 1);
  printhook_delivery *d;

  t->console = console;
  t->msg = g_object_ref (msg);
  t->gen = ph_generation_ref (gen);
  t->running = ph_generation_ref (console->gen);
  t->event = g_strdup (event);
  t->started = g_get_monotonic_time ();
  t->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), t);
  g_ptr_array_add (console->tests, t);
  d = ph_sample_delivery_new (hook, event, payload != NULL ? json_object_get (payload) : NULL,
                              strcmp (event, "PrintProgress") == 0 ? 50 : 0);
  soup_server_message_pause (msg);
  ph_chain_run (d, on_done, t);
}

void
ph_console_tests_cancel (ph_console *console)
{
  /* Their attempts finish on their own; nobody is told. */
  for (guint i = 0; i < console->tests->len; i++)
    ((test *) g_ptr_array_index (console->tests, i))->console = NULL;
  g_ptr_array_set_size (console->tests, 0);
}
