/* A well-formed encode module for tests: the body is "encoded:" followed by
 * the rendered data as JSON. */
#include <string.h>
#include "printhook/module.h"

static const printhook_host *host;

static gboolean
test_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static printhook_result
test_run (gpointer data, printhook_delivery *d, GError **error)
{
  char *json = host->json_to_text (host->request_get_data (d), FALSE);
  char *text = g_strconcat ("encoded:", json, NULL);
  GBytes *body = g_bytes_new_take (text, strlen (text));

  host->request_set_body (d, body, "text/x-test");
  g_bytes_unref (body);
  g_free (json);
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = { .init = test_init, .run = test_run };

PRINTHOOK_MODULE_DEFINE ("test-encode", "1.0", "Encodes the data as text (test module)",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_ENCODE, NULL, &ops)
