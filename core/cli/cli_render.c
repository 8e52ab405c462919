/* printhook render: show what a hook would send for an event, without
 * sending it. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "delivery/delivery.h"
#include "text/json_text.h"
#include "config/redact.h"

/* Encode modules only turn data into bytes: running them is safe here.
 * Prepare modules may talk to the network (OAuth, a webcam), so they are
 * left out and said to be. */
static gboolean
run_encode_stage (printhook_delivery *d)
{
  for (guint i = 0; i < d->hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (d->hook->chain, i);
      g_autoptr (GError) error = NULL;
      printhook_result result;

      if (link->module->desc->stage != PRINTHOOK_STAGE_ENCODE)
        continue;
      d->module_name = link->module->name;
      result = link->module->desc->ops->run (link->instance, d, &error);
      d->module_name = NULL;
      if (result == PRINTHOOK_RESULT_PENDING)
        {
          fprintf (stderr, "printhook render: module '%s' encodes asynchronously; render cannot "
                           "show its body\n", link->module->name);
          return FALSE;
        }
      if (result != PRINTHOOK_RESULT_DONE)
        {
          fprintf (stderr, "printhook render: module '%s' failed: %s\n", link->module->name,
                   error != NULL ? error->message : "no reason given");
          return FALSE;
        }
    }
  return TRUE;
}

static void
print_body (printhook_delivery *d, const ph_redactor *redactor)
{
  const char *content_type = ph_delivery_get_header (d, "Content-Type");
  gsize size = 0;
  const char *bytes;
  g_autofree char *text = NULL;

  if (d->body == NULL)
    {
      printf ("(no body: a %s request sends the data in the URL's query string)\n", d->method);
      return;
    }
  bytes = g_bytes_get_data (d->body, &size);
  if (content_type != NULL && strstr (content_type, "json") != NULL)
    {
      g_autoptr (json_object) parsed = ph_json_parse (bytes, size, NULL);
      if (parsed != NULL)
        text = ph_json_to_text (parsed, TRUE);
    }
  if (text == NULL && g_utf8_validate_len (bytes, size, NULL) && memchr (bytes, '\0', size) == NULL)
    text = g_strndup (bytes, size);
  if (text != NULL)
    {
      g_autofree char *shown = ph_redactor_apply (redactor, text);
      printf ("%s\n", shown);
    }
  else
    printf ("<%" G_GSIZE_FORMAT " bytes of binary data>\n", size);
}

int
ph_cmd_render (int argc, char **argv)
{
  g_auto (ph_cli_sample) sample = { 0 };
  g_autoptr (ph_redactor) redactor = ph_redactor_new ();
  g_autofree char *url = NULL;
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

  ph_delivery_render (d);
  if (!run_encode_stage (d))
    return PH_EXIT_FAILURE;
  ph_delivery_encode_default (d);

  if (!sample.show_secrets)
    ph_redactor_add_hook (redactor, hook);
  url = sample.show_secrets ? g_strdup (d->url) : ph_redactor_apply (redactor, d->url);
  printf ("%s %s\n", d->method, url);
  for (guint i = 0; i < d->headers->len; i++)
    {
      const ph_header *h = g_ptr_array_index (d->headers, i);
      g_autofree char *value = sample.show_secrets ? g_strdup (h->value)
                               : ph_header_is_sensitive (h->name) ? g_strdup (PH_REDACTED)
                               : ph_redactor_apply (redactor, h->value);
      printf ("%s: %s\n", h->name, value);
    }
  printf ("\n");
  print_body (d, redactor);
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
