/* The hook editor's writer (core/config/hook_file.c): the input is the
 * "keys" object a browser sends with PUT hooks/NAME/config.  Whatever it
 * holds, the file written is one [hook fuzz] group that the loader's INI
 * scan accepts, every key the client sent reads back as sent (JSON ones
 * with the same meaning), nothing else appears but the secret kept from
 * the previous file, and line breaks never start a group or key of their
 * own. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "config/hook_file.h"
#include "config/ini_scan.h"
#include "registry/registry.h"
#include "text/json_text.h"

#define GROUP "hook fuzz"
/* As the file has it: GKeyFile escapes and all. */
#define KEPT_SECRET_RAW "kept\\nsecret"

static ph_registry *registry;

static void
free_registry (void)
{
  ph_registry_free (registry);
}

/* What value becomes once read back: sent was text, read its reading. */
static void
check_value (const char *key, const char *sent, const char *read)
{
  const printhook_config_key *spec = ph_hook_key_spec (registry, key);

  if (read == NULL)
    PH_FUZZ_FAIL ("key '%s' (value '%s') is not in the file", key, sent);
  if (spec != NULL && spec->type == PRINTHOOK_KEY_JSON)
    {
      g_autoptr (json_object) a = ph_json_parse (sent, -1, NULL);
      g_autoptr (json_object) b = ph_json_parse (read, -1, NULL);

      if (a != NULL && !json_object_equal (a, b))
        PH_FUZZ_FAIL ("JSON key '%s': sent %s, reads back %s", key, sent, read);
      if (a == NULL && strpbrk (read, "\r\n") != NULL)
        PH_FUZZ_FAIL ("JSON key '%s' kept a line break: '%s'", key, read);
      return;
    }
  if (strcmp (sent, read) != 0)
    PH_FUZZ_FAIL ("key '%s': sent '%s', reads back '%s'", key, sent, read);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autoptr (json_object) keys = json_tokener_parse (input);
  g_autoptr (GKeyFile) previous = g_key_file_new ();
  g_autoptr (GKeyFile) written = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_ini_map) map = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) groups = NULL;
  g_auto (GStrv) names = NULL;

  if (registry == NULL)
    {
      g_auto (GStrv) path = ph_module_search_path (NULL);

      registry = ph_registry_new ((const char *const *) path);
      atexit (free_registry);
    }
  if (!json_object_is_type (keys, json_type_object))
    return 0;
  if (!g_key_file_load_from_data (previous, "[" GROUP "]\napi_secret = " KEPT_SECRET_RAW "\n", -1,
                                  G_KEY_FILE_NONE, NULL))
    abort ();
  text = ph_hook_file_text ("fuzz", keys, NULL, previous, GROUP, registry, &error);
  if (text == NULL)
    {
      if (error == NULL || error->message[0] == '\0')
        PH_FUZZ_FAIL ("refused without a reason");
      return 0;
    }
  map = ph_ini_scan (text);
  if (ph_ini_problems (map)->len > 0)
    PH_FUZZ_FAIL ("the loader's scan refuses the file: %s\n%s",
                  ((const ph_ini_problem *) g_ptr_array_index (ph_ini_problems (map), 0))->message,
                  text);
  if (!g_key_file_load_from_data (written, text, -1, G_KEY_FILE_NONE, &error))
    PH_FUZZ_FAIL ("GKeyFile cannot read the file: %s\n%s", error->message, text);
  groups = g_key_file_get_groups (written, NULL);
  if (g_strv_length (groups) != 1 || strcmp (groups[0], GROUP) != 0)
    PH_FUZZ_FAIL ("the file does not hold exactly [" GROUP "]:\n%s", text);
  json_object_object_foreach (keys, key, value)
    {
      g_autofree char *read = ph_hook_file_value (written, GROUP, key, registry);
      const char *sent = json_object_get_string (value);

      const printhook_config_key *spec = ph_hook_key_spec (registry, key);

      /* An empty secret keeps the previous value, or none. */
      if (spec != NULL && spec->secret && *sent == '\0')
        continue;
      check_value (key, sent, read);
    }
  names = g_key_file_get_keys (written, GROUP, NULL, NULL);
  for (guint i = 0; names[i] != NULL; i++)
    if (json_object_object_get (keys, names[i]) == NULL && strcmp (names[i], "api_secret") != 0)
      PH_FUZZ_FAIL ("key '%s' appeared from nowhere:\n%s", names[i], text);
  {
    json_object *sent = json_object_object_get (keys, "api_secret");
    g_autofree char *raw = g_key_file_get_value (written, GROUP, "api_secret", NULL);

    if ((sent == NULL || json_object_get_string_len (sent) == 0)
        && g_strcmp0 (raw, KEPT_SECRET_RAW) != 0)
      PH_FUZZ_FAIL ("the previous secret was not kept: '%s'", raw ? raw : "(none)");
  }
  return 0;
}
