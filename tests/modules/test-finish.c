/* A finish-stage module for the tests (ABI 1.1): after encoding, it adds
 * a header computed from the body as it will be sent, its length, and one
 * from its own key, which the hook's header templates do not replace. */
#include "printhook/module.h"

static const printhook_host *host;

static const printhook_config_key keys[] = {
  { "tenant", PRINTHOOK_KEY_STRING, "t0", FALSE, FALSE, 0, 0, "the X-Tenant header" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static gboolean
finish_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static gpointer
finish_instance_new (const printhook_config *config, GError **error)
{
  return (gpointer) config;
}

static void
finish_instance_free (gpointer instance)
{
}

static printhook_result
finish_run (gpointer instance, printhook_delivery *d, GError **error)
{
  GBytes *body = host->request_get_body (d);
  char *length = g_strdup_printf ("%" G_GSIZE_FORMAT, body != NULL ? g_bytes_get_size (body) : 0);

  host->request_set_header (d, "X-Body-Length", length);
  host->request_set_header (d, "X-Tenant", host->config_get_string (instance, "test-finish.tenant"));
  g_free (length);
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = {
  .init = finish_init,
  .instance_new = finish_instance_new,
  .run = finish_run,
  .instance_free = finish_instance_free,
};

PRINTHOOK_MODULE_DEFINE ("test-finish", "1.0", "Adds headers after encoding (test module)",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_FINISH, keys, &ops)
