/* hello: a printhook module built out of tree, with pkg-config alone.
 *
 * A prepare-stage module: before the hook's templates are rendered it adds
 * the parameter @hello, "GREETING, FILE" ("Hello, benchy.gcode"), which
 * the hook's url, headers and data can then use:
 *
 *   [hook chat]
 *   url = https://chat.example/hooks/printer
 *   modules = hello, http-webhook
 *   hello.greeting = Ahoy
 *   headers = {"X-Hello": "@hello"}
 *   data = {"text": "@hello"}
 *
 * Everything a module may use is in <printhook/module.h>, which documents
 * the life cycle, the stages, the ABI promise and who owns what. */
#include <printhook/module.h>

static const printhook_host *host;

/* name, type, default, required, secret, min, max, summary.  In a hook the
 * key is written with the module's name in front: hello.greeting. */
static const printhook_config_key keys[] = {
  { "greeting", PRINTHOOK_KEY_STRING, "Hello", FALSE, FALSE, 0, 0,
    "the first word of @hello" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

typedef struct {
  char *greeting;
} hello_instance;

static gboolean
hello_init (const printhook_host *h, GError **error)
{
  /* The host table stays valid until shutdown: keep it. */
  host = h;
  return TRUE;
}

/* Once per hook whose chain names the module ("printhook check" calls it
 * too, so no I/O here).  Types are checked by printhook already; rules
 * across keys, or on the shape of a value, are the module's. */
static gpointer
hello_instance_new (const printhook_config *config, GError **error)
{
  const char *greeting = host->config_get_string (config, "hello.greeting");
  hello_instance *inst;

  if (greeting == NULL || *greeting == '\0')
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "hello.greeting must not be empty");
      return NULL;
    }
  inst = g_new0 (hello_instance, 1);
  inst->greeting = g_strdup (greeting);
  return inst;
}

/* Once per delivery attempt, on the main loop: never block here. */
static printhook_result
hello_run (gpointer instance, printhook_delivery *d, GError **error)
{
  hello_instance *inst = instance;
  /* transfer none: printhook keeps the parameter. */
  json_object *name = host->param_get (d, "extra.name");
  const char *file = json_object_is_type (name, json_type_string) ? json_object_get_string (name)
                                                                   : "no file";
  char *text = g_strdup_printf ("%s, %s", inst->greeting, file);

  host->log (d, G_LOG_LEVEL_DEBUG, "@hello is '%s'", text);
  /* transfer full: printhook now owns the new string object. */
  host->param_set (d, "hello", json_object_new_string (text));
  g_free (text);
  return PRINTHOOK_RESULT_DONE;
}

static void
hello_instance_free (gpointer instance)
{
  hello_instance *inst = instance;

  g_free (inst->greeting);
  g_free (inst);
}

static const printhook_module_ops ops = {
  .init = hello_init,
  .instance_new = hello_instance_new,
  .run = hello_run,
  .instance_free = hello_instance_free,
};

/* The module's one exported symbol.  The name must be the file's name
 * without ".so". */
PRINTHOOK_MODULE_DEFINE ("hello", "1.0", "Adds @hello, a greeting with the file's name", "MIT",
                         PRINTHOOK_STAGE_PREPARE, keys, &ops)
