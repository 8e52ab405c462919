/* printhook test: send one simulated event to one hook, for real, and say
 * what happened. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "delivery/chain_run.h"
#include "cli.h"
#include "cli_common.h"
#include "delivery/host.h"
#include "delivery/http.h"
#include "text/json_text.h"
#include "config/redact.h"

typedef struct {
  GMainLoop *loop;
  printhook_result result;
  GError *error;
} outcome;

static void
on_done (printhook_delivery *d, printhook_result result, const GError *error, gpointer user_data)
{
  outcome *o = user_data;

  o->result = result;
  o->error = error != NULL ? g_error_copy (error) : NULL;
  g_main_loop_quit (o->loop);
}

/* The first lines of the response, indented, at most about 1 KiB. */
static void
print_response_excerpt (const ph_response_note *note, const ph_redactor *redactor)
{
  g_auto (GStrv) lines = NULL;
  g_autofree char *shown = NULL;
  guint count = 0;

  if (note->excerpt == NULL || note->body_size == 0)
    {
      printf ("response: empty body\n");
      return;
    }
  if (!g_utf8_validate (note->excerpt, -1, NULL) || strlen (note->excerpt) < MIN (note->body_size, 1024))
    {
      printf ("response: %" G_GSIZE_FORMAT " bytes, not text\n", note->body_size);
      return;
    }
  shown = ph_redactor_apply (redactor, note->excerpt);
  g_strchomp (shown);
  lines = g_strsplit (shown, "\n", -1);
  printf ("response (%" G_GSIZE_FORMAT " bytes):\n", note->body_size);
  for (guint i = 0; lines[i] != NULL && count < 10; i++, count++)
    printf ("  %s\n", g_strchomp (lines[i]));
  if (note->body_size > strlen (note->excerpt) || (lines[0] != NULL && g_strv_length (lines) > 10))
    printf ("  ...\n");
}

int
ph_cmd_test (int argc, char **argv)
{
  g_auto (ph_cli_sample) sample = { 0 };
  g_autoptr (ph_redactor) redactor = ph_redactor_new ();
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *url = NULL;
  g_autofree char *described = NULL;
  outcome o = { 0 };
  ph_http *http;
  const ph_hook *hook;
  printhook_delivery *d;
  gint64 started;
  double seconds;
  int status;

  /* Never a running daemon's identity on a broker (an MQTT client id). */
  ph_host_set_instance (NULL, TRUE);
  status = ph_cli_sample_prepare (
    argc, argv, "Sends one simulated event to one hook.",
    "Sends HOOK's request for EVENT, for real, through the hook's whole chain\n"
    "(OAuth, snapshot, encoding, signing), with the old plugin's test payload\n"
    "(example.gcode, 242038 bytes, ...) or --payload, and prints what came of\n"
    "it: the HTTP status and the time it took with the first lines of the\n"
    "response, or the precise error (bad JSON in the data, DNS, refused\n"
    "connection, TLS, timeout).  The hook need not subscribe to EVENT.\n"
    "Nothing is retried: a test is one attempt.\n"
    "\n"
    "Examples:\n"
    "  printhook test home-assistant PrintDone\n"
    "  printhook test -c ./printhook.conf chat PrintFailed --payload '{\"name\":\"a.gcode\"}'\n"
    "\n"
    "Exit status: 0 when the receiver answered 200-399 (delivered), 1 when\n"
    "the webhook was not delivered or the configuration has errors, 2 on a\n"
    "command-line error.",
    "sending it", &sample);
  if (status != PH_EXIT_OK)
    return status;
  hook = sample.hook;
  d = sample.delivery;
  ph_host_set_config (sample.config);
  if (!hook->enabled)
    fprintf (stderr, "note: hook '%s' is disabled; sending it anyway\n", hook->name);

  loop = g_main_loop_new (NULL, FALSE);
  http = ph_http_new (NULL);
  ph_host_set_http (http);
  if (!sample.show_secrets)
    ph_redactor_add_hook (redactor, hook);

  o.loop = loop;
  started = g_get_monotonic_time ();
  ph_chain_run (d, on_done, &o);
  if (d->done != NULL)
    g_main_loop_run (loop);
  seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  ph_http_free (http);
  ph_host_set_http (NULL);

  if (!sample.show_secrets)
    ph_redactor_add_params (redactor, d->params);
  url = d->url != NULL ? ph_redactor_apply (redactor, d->url) : g_strdup (hook->url);
  described = ph_hook_describe_sending (hook, d);
  if (described != NULL)
    printf ("%s %s\n", hook->name, described);
  else
    printf ("%s %s %s\n", hook->name, d->method, sample.show_secrets && d->url ? d->url : url);
  if (o.result == PRINTHOOK_RESULT_DONE && d->response.outcome != NULL)
    {
      g_autofree char *said = ph_redactor_apply (redactor, d->response.outcome);

      printf ("delivered: %s in %.3f s\n", said, seconds);
      return PH_EXIT_OK;
    }
  if (o.result == PRINTHOOK_RESULT_DONE)
    {
      printf ("delivered: HTTP %ld in %.3f s\n", d->response.status, seconds);
      if (d->response.location != NULL)
        printf ("redirect (not followed): %s\n", d->response.location);
      print_response_excerpt (&d->response, redactor);
      return PH_EXIT_OK;
    }
  {
    g_autofree char *reason = ph_redactor_apply (redactor, o.error->message);

    printf ("NOT delivered after %.3f s (%s): %s\n", seconds,
            o.result == PRINTHOOK_RESULT_RETRY ? "the daemon would retry it"
                                               : "permanent, the daemon would not retry it",
            reason);
  }
  if (d->response.seen && d->response.status != 0)
    print_response_excerpt (&d->response, redactor);
  g_error_free (o.error);
  return PH_EXIT_FAILURE;
}
