/* GET keys and GET presets: what the hook editor builds its form from.
 * keys: every key a [hook NAME] group may hold, the core's and each
 * module's (what printhook modules lists); presets: the shipped examples
 * (conf/examples/, installed in PRESETSDIR) as starting points. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#include "config/config_keys.h"
#include "config/config_value.h"
#include "config/hook_file.h"
#include "registry/registry.h"

/* Where the presets are; the tests and scripts/demo point it at the
 * source tree. */
#define PRESETS_ENV "PRINTHOOK_PRESETS_DIR"

static json_object *
key_json (const printhook_config_key *k, const char *prefix)
{
  json_object *out = json_object_new_object ();
  g_autofree char *name = prefix != NULL ? g_strdup_printf ("%s.%s", prefix, k->name)
                                         : g_strdup (k->name);

  json_object_object_add (out, "name", json_object_new_string (name));
  json_object_object_add (out, "type", json_object_new_string (ph_key_type_name (k->type)));
  json_object_object_add (out, "default", k->default_value != NULL
                                              ? json_object_new_string (k->default_value) : NULL);
  json_object_object_add (out, "required", json_object_new_boolean (k->required));
  json_object_object_add (out, "secret", json_object_new_boolean (k->secret));
  if (k->min != k->max)
    {
      json_object_object_add (out, "min", json_object_new_double (k->min));
      json_object_object_add (out, "max", json_object_new_double (k->max));
    }
  json_object_object_add (out, "summary", k->summary != NULL ? json_object_new_string (k->summary)
                                                             : NULL);
  return out;
}

static json_object *
keys_json (const printhook_config_key *table, const char *prefix)
{
  json_object *out = json_object_new_array ();

  for (const printhook_config_key *k = table; k != NULL && k->name != NULL; k++)
    json_object_array_add (out, key_json (k, prefix));
  return out;
}

void
ph_console_key_catalog (ph_console *console, SoupServerMessage *msg)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) modules = ph_registry_scan (console->gen->config->registry, problems);
  json_object *body = json_object_new_object ();
  json_object *list = json_object_new_array ();

  json_object_object_add (body, "hook", keys_json (ph_hook_keys (), NULL));
  json_object_object_add (body, "message", key_json (ph_message_key (), NULL));
  for (guint i = 0; i < modules->len; i++)
    {
      const ph_module *module = g_ptr_array_index (modules, i);
      const printhook_module_desc *desc = module->desc;
      json_object *out = json_object_new_object ();

      json_object_object_add (out, "name", json_object_new_string (desc->name));
      json_object_object_add (out, "version", json_object_new_string (desc->version));
      json_object_object_add (out, "stage", json_object_new_string (ph_stage_name (desc->stage)));
      json_object_object_add (out, "summary", desc->summary != NULL
                                                  ? json_object_new_string (desc->summary) : NULL);
      json_object_object_add (out, "keys", keys_json (desc->keys, desc->name));
      json_object_array_add (list, out);
    }
  json_object_object_add (body, "modules", list);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

static const char *
presets_dir (void)
{
  const char *dir = g_getenv (PRESETS_ENV);

  return dir != NULL && *dir != '\0' ? dir : PRESETSDIR;
}

/* The first comment line of text without "# ", the preset's title
 * ("Discord: a message in a channel, ..."). Transfer full. */
static char *
preset_title (const char *text)
{
  const char *end;

  if (!g_str_has_prefix (text, "# "))
    return NULL;
  text += 2;
  end = strchr (text, '\n');
  return g_strndup (text, end != NULL ? (gsize) (end - text) : strlen (text));
}

static json_object *
preset_json (ph_console *console, const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  g_autofree char *title = NULL;
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_auto (GStrv) groups = NULL;
  json_object *out;
  json_object *hooks;

  if (!g_file_get_contents (path, &text, NULL, NULL)
      || !g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL))
    return NULL;
  title = preset_title (text);
  out = json_object_new_object ();
  hooks = json_object_new_array ();
  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      json_object *hook;

      if (!g_str_has_prefix (groups[i], "hook "))
        continue;
      hook = json_object_new_object ();
      json_object_object_add (hook, "name", json_object_new_string (
                                                g_strstrip (groups[i] + strlen ("hook "))));
      /* Presets hold placeholders, not secrets: their secret keys are
       * left out like any hook's, and shown as keys to fill in. */
      {
        json_object *secrets = NULL;
        g_autofree char *group = g_strdup_printf ("hook %s", groups[i] + strlen ("hook "));

        json_object_object_add (hook, "keys",
                                ph_hook_file_keys (keyfile, group, console->gen->config->registry,
                                                   &secrets));
        json_object_object_add (hook, "secrets", secrets);
      }
      json_object_array_add (hooks, hook);
    }
  json_object_object_add (out, "file", json_object_new_string (name));
  json_object_object_add (out, "title", title != NULL ? json_object_new_string (title) : NULL);
  json_object_object_add (out, "hooks", hooks);
  return out;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
ph_console_presets (ph_console *console, SoupServerMessage *msg)
{
  const char *dir = presets_dir ();
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  json_object *body = json_object_new_object ();
  json_object *list = json_object_new_array ();
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, ".conf") && name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      json_object *preset = preset_json (console, dir, g_ptr_array_index (names, i));

      if (preset != NULL)
        json_object_array_add (list, preset);
    }
  json_object_object_add (body, "directory", json_object_new_string (dir));
  json_object_object_add (body, "presets", list);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}
