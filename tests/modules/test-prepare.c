/* A well-formed prepare module for the loader and config tests: it declares
 * keys of every type and adds a "greeting" parameter. */
#include "printhook/module.h"

static const printhook_host *host;

typedef struct {
  char *greeting;
  gint64 count;
} instance;

static const printhook_config_key keys[] = {
  { "greeting", PRINTHOOK_KEY_STRING, "hello", FALSE, FALSE, 0, 0, "the greeting" },
  { "count", PRINTHOOK_KEY_INT, "1", FALSE, FALSE, 1, 10, "how many times" },
  { "loud", PRINTHOOK_KEY_BOOL, "false", FALSE, FALSE, 0, 0, "shout it" },
  { "ratio", PRINTHOOK_KEY_DOUBLE, "0.5", FALSE, FALSE, 0, 1, "a ratio" },
  { "extra", PRINTHOOK_KEY_JSON, NULL, FALSE, FALSE, 0, 0, "a JSON object" },
  { "token", PRINTHOOK_KEY_STRING, NULL, FALSE, TRUE, 0, 0, "a secret" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static gboolean
test_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static gpointer
test_instance_new (const printhook_config *config, GError **error)
{
  instance *inst;

  /* A cross-field rule, as collectd's write_http checks its blocks. */
  if (host->config_get_bool (config, "test-prepare.loud")
      && host->config_get_int (config, "test-prepare.count") > 5)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "test-prepare.count may be at most 5 when test-prepare.loud is true");
      return NULL;
    }
  inst = g_new0 (instance, 1);
  inst->greeting = g_strdup (host->config_get_string (config, "test-prepare.greeting"));
  inst->count = host->config_get_int (config, "test-prepare.count");
  return inst;
}

static printhook_result
test_run (gpointer data, printhook_delivery *d, GError **error)
{
  instance *inst = data;
  GString *text = g_string_new (NULL);

  for (gint64 i = 0; i < inst->count; i++)
    g_string_append (text, inst->greeting);
  host->param_set (d, "greeting", json_object_new_string (text->str));
  g_string_free (text, TRUE);
  return PRINTHOOK_RESULT_DONE;
}

static void
test_instance_free (gpointer data)
{
  instance *inst = data;

  g_free (inst->greeting);
  g_free (inst);
}

static const printhook_module_ops ops = {
  .init = test_init,
  .instance_new = test_instance_new,
  .run = test_run,
  .instance_free = test_instance_free,
};

PRINTHOOK_MODULE_DEFINE ("test-prepare", "1.2", "Adds a greeting parameter (test module)",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_PREPARE, keys, &ops)
