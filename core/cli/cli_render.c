/* printhook render: show what a hook would send for an event, without
 * sending it. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "delivery/delivery.h"
#include "delivery/preview.h"
#include "config/redact.h"

int
ph_cmd_render (int argc, char **argv)
{
  g_auto (ph_cli_sample) sample = { 0 };
  g_autoptr (ph_redactor) redactor = ph_redactor_new ();
  g_autofree char *url = NULL;
  g_autofree char *described = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GError) error = NULL;
  const ph_hook *hook;
  printhook_delivery *d;
  int status;

  status = ph_cli_sample_prepare (
    argc, argv, "Shows what a hook would send, without sending it.",
    "Builds the request HOOK would send for EVENT from a sample event (the\n"
    "old plugin's test payload: example.gcode, 242038 bytes, and a printer\n"
    "14% into printing it) and prints its method and URL, its headers and\n"
    "its body.  Nothing is sent: modules of the prepare stage (oauth,\n"
    "snapshot) are not run, so their parameters are empty here.  Secrets are\n"
    "shown as **** unless --show-secrets is given.\n"
    "\n"
    "EVENT is a built-in event (PrintStarted, PrintDone, PrintFailed,\n"
    "PrintPaused, PrintProgress, UserActionNeeded, Error) or any custom name.\n"
    "\n"
    "Examples:\n"
    "  printhook render home-assistant PrintDone\n"
    "  printhook render -c ./printhook.conf chat PrintProgress --milestone 30\n"
    "  printhook render chat PrintFailed --payload '{\"name\":\"a.gcode\",\"reason\":\"error\"}'\n"
    "\n"
    "Exit status: 0 when the request could be built, 1 when the configuration\n"
    "or the templates fail, 2 on a command-line error.",
    "showing it", &sample);
  if (status != PH_EXIT_OK)
    return status;
  hook = sample.hook;
  d = sample.delivery;
  for (guint i = 0; i < hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (hook->chain, i);
      if (link->module->desc->stage == PRINTHOOK_STAGE_PREPARE)
        fprintf (stderr, "note: module '%s' is not run by render (it may use the network); "
                         "its parameters and attachments are missing here\n", link->module->name);
    }

  if (!ph_delivery_preview (d, &error))
    {
      fprintf (stderr, "printhook render: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }

  if (!sample.show_secrets)
    ph_redactor_add_hook (redactor, hook);
  url = sample.show_secrets ? g_strdup (d->url) : ph_redactor_apply (redactor, d->url);
  described = ph_hook_describe_sending (hook, d);
  if (described != NULL)
    printf ("%s\n", described);
  else
    printf ("%s %s\n", d->method, url);
  for (guint i = 0; i < d->headers->len; i++)
    {
      const ph_header *h = g_ptr_array_index (d->headers, i);
      g_autofree char *value = ph_delivery_header_text (h, sample.show_secrets ? NULL : redactor);
      printf ("%s: %s\n", h->name, value);
    }
  printf ("\n");
  body = ph_delivery_body_text (d, sample.show_secrets ? NULL : redactor);
  if (body != NULL)
    printf ("%s\n", body);
  else
    printf ("(no body: a %s request sends the data in the URL's query string)\n", d->method);
  for (guint i = 0; i < d->attachments->len; i++)
    {
      const ph_attachment *a = g_ptr_array_index (d->attachments, i);
      printf ("attachment %s: %s, %s, %" G_GSIZE_FORMAT " bytes\n", a->field, a->filename, a->content_type,
              g_bytes_get_size (a->bytes));
    }
  if (hook->snapshot_field != NULL)
    fprintf (stderr, "note: the webcam snapshot goes in field '%s' when sent\n", hook->snapshot_field);
  return PH_EXIT_OK;
}
