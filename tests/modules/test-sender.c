/* A send module for config tests that must not touch the network: it only
 * logs what it would send. */
#include "printhook/module.h"

static const printhook_host *host;

static const printhook_config_key keys[] = {
  { "label", PRINTHOOK_KEY_STRING, NULL, TRUE, FALSE, 0, 0, "required label" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static gboolean
test_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static printhook_result
test_run (gpointer data, printhook_delivery *d, GError **error)
{
  host->log (d, G_LOG_LEVEL_INFO, "would send %s %s", host->request_get_method (d),
             host->request_get_url (d));
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = { .init = test_init, .run = test_run };

PRINTHOOK_MODULE_DEFINE ("test-sender", "1.0", "Logs instead of sending (test module)",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_SEND, keys, &ops)
