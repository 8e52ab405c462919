#include "autoconfig.h"
#include "registry.h"

#include <string.h>

#include "elf_check.h"

struct ph_registry {
  char **dirs;
  GHashTable *modules;   /* name -> ph_module *, owned */
};

char **
ph_module_search_path (const char *module_dir)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *env = g_getenv ("PRINTHOOK_MODULE_PATH");

  if (env != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; parts[i] != NULL; i++)
        if (*parts[i] != '\0')
          g_strv_builder_add (builder, parts[i]);
    }
  if (module_dir != NULL && *module_dir != '\0')
    g_strv_builder_add (builder, module_dir);
  g_strv_builder_add (builder, MODULEDIR);
  return g_strv_builder_end (builder);
}

static gboolean
name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
key_type_is_valid (printhook_key_type type)
{
  return type >= PRINTHOOK_KEY_STRING && type <= PRINTHOOK_KEY_PATH;
}

static gboolean
key_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Everything that can be checked without running the module's code. */
static gboolean
check_desc (const char *path, const char *file_name, const printhook_module_desc *desc,
            GError **error)
{
  const printhook_module_ops *ops = desc->ops;
  g_autoptr (GString) missing = g_string_new (NULL);

  if (desc->abi_major != PRINTHOOK_ABI_MAJOR || desc->abi_minor > PRINTHOOK_ABI_MINOR)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: built for module ABI %u.%u, but this printhook provides %d.%d "
                   "(the major version must match and the minor may not be newer); "
                   "rebuild the module against this printhook",
                   path, desc->abi_major, desc->abi_minor, PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR);
      return FALSE;
    }
  if (!name_is_valid (desc->name))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: the module's name is missing or invalid (lower-case letters, "
                   "digits and '-' only)", path);
      return FALSE;
    }
  if (strcmp (desc->name, file_name) != 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: declares the name '%s' but its file is named '%s.so'; "
                   "modules are loaded by name, so the two must match",
                   path, desc->name, file_name);
      return FALSE;
    }
  /* finish is ABI 1.1's: a module of 1.0 cannot have meant it. */
  if (desc->stage < PRINTHOOK_STAGE_PREPARE || desc->stage > PRINTHOOK_STAGE_FINISH
      || (desc->stage == PRINTHOOK_STAGE_FINISH && desc->abi_minor < 1))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: module '%s' declares an unknown stage %d", path, desc->name, desc->stage);
      return FALSE;
    }
  if (desc->version == NULL)
    g_string_append (missing, ", version");
  if (desc->license == NULL)
    g_string_append (missing, ", license");
  if (ops == NULL)
    g_string_append (missing, ", ops");
  else
    {
      if (ops->init == NULL)
        g_string_append (missing, ", ops.init");
      if (ops->run == NULL)
        g_string_append (missing, ", ops.run");
      if (ops->instance_new != NULL && ops->instance_free == NULL)
        g_string_append (missing, ", ops.instance_free (required with ops.instance_new)");
    }
  if (missing->len > 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: module '%s' lacks mandatory fields: %s", path, desc->name,
                   missing->str + 2);
      return FALSE;
    }
  for (const printhook_config_key *k = desc->keys; k != NULL && k->name != NULL; k++)
    {
      if (!key_name_is_valid (k->name) || !key_type_is_valid (k->type))
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                       "%s: module '%s' declares an invalid config key '%s'", path,
                       desc->name, k->name);
          return FALSE;
        }
      for (const printhook_config_key *j = desc->keys; j != k; j++)
        if (strcmp (j->name, k->name) == 0)
          {
            g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                         "%s: module '%s' declares the config key '%s' twice", path,
                         desc->name, k->name);
            return FALSE;
          }
    }
  return TRUE;
}

ph_module *
ph_module_open (const char *path, GError **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *file_name = NULL;
  g_autoptr (GError) local_error = NULL;
  printhook_module_get_desc_func get_desc = NULL;
  const printhook_module_desc *desc;
  GModule *handle;
  ph_module *module;

  if (!g_str_has_suffix (base, ".so"))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: not a module file (module files end in .so)", path);
      return NULL;
    }
  file_name = g_strndup (base, strlen (base) - 3);

  if (!ph_elf_check_file (path, &local_error))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE, "%s: cannot be loaded: %s",
                   path, local_error->message);
      return NULL;
    }
  /* Local binding keeps one module's symbols from resolving another's;
   * immediate binding makes a missing symbol fail here, not mid-delivery. */
  handle = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (handle == NULL)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE, "%s: cannot be loaded: %s",
                   path, g_module_error ());
      return NULL;
    }
  if (!g_module_symbol (handle, PRINTHOOK_MODULE_SYMBOL, (gpointer *) &get_desc) || get_desc == NULL)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: not a printhook module (it does not export %s)", path,
                   PRINTHOOK_MODULE_SYMBOL);
      g_module_close (handle);
      return NULL;
    }
  desc = get_desc ();
  if (desc == NULL)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "%s: %s returned no descriptor", path, PRINTHOOK_MODULE_SYMBOL);
      g_module_close (handle);
      return NULL;
    }
  if (!check_desc (path, file_name, desc, error))
    {
      g_module_close (handle);
      return NULL;
    }
  /* Modules may register GTypes or keep threads: never unload them. */
  g_module_make_resident (handle);

  module = g_new0 (ph_module, 1);
  module->name = g_strdup (desc->name);
  module->path = g_strdup (path);
  module->desc = desc;
  module->handle = handle;
  return module;
}

void
ph_module_free (ph_module *module)
{
  if (module == NULL)
    return;
  /* The handle is resident; closing it only drops our reference. */
  g_module_close (module->handle);
  g_free (module->name);
  g_free (module->path);
  g_free (module);
}

ph_registry *
ph_registry_new (const char *const *dirs)
{
  ph_registry *registry = g_new0 (ph_registry, 1);

  registry->dirs = g_strdupv ((char **) dirs);
  registry->modules = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) ph_module_free);
  return registry;
}

void
ph_registry_free (ph_registry *registry)
{
  GHashTableIter iter;
  ph_module *module;

  if (registry == NULL)
    return;
  g_hash_table_iter_init (&iter, registry->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    if (module->initialized && module->desc->ops->shutdown != NULL)
      module->desc->ops->shutdown ();
  g_hash_table_unref (registry->modules);
  g_strfreev (registry->dirs);
  g_free (registry);
}

const char *const *
ph_registry_dirs (ph_registry *registry)
{
  return (const char *const *) registry->dirs;
}

const ph_module *
ph_registry_load (ph_registry *registry, const char *name, GError **error)
{
  ph_module *module = g_hash_table_lookup (registry->modules, name);
  g_autofree char *file = NULL;

  if (module != NULL)
    return module;
  if (!name_is_valid (name))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "'%s' is not a valid module name (lower-case letters, digits and '-')", name);
      return NULL;
    }
  file = g_strconcat (name, ".so", NULL);
  for (guint i = 0; registry->dirs[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (registry->dirs[i], file, NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      module = ph_module_open (path, error);
      if (module == NULL)
        return NULL;
      g_hash_table_insert (registry->modules, module->name, module);
      return module;
    }
  {
    g_autofree char *searched = g_strjoinv (", ", registry->dirs);
    g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                 "no module named '%s' (looked for %s in %s)", name, file, searched);
  }
  return NULL;
}

gboolean
ph_registry_init_module (ph_registry *registry, const ph_module *module,
                         const printhook_host *host, GError **error)
{
  ph_module *owned = g_hash_table_lookup (registry->modules, module->name);
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (owned == module, FALSE);
  if (owned->initialized)
    return TRUE;
  if (!owned->desc->ops->init (host, &local_error))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "module '%s' (%s) failed to start: %s", module->name, module->path,
                   local_error != NULL ? local_error->message : "no reason given");
      return FALSE;
    }
  owned->initialized = TRUE;
  return TRUE;
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
compare_module_names (gconstpointer a, gconstpointer b)
{
  const ph_module *ma = *(const ph_module *const *) a;
  const ph_module *mb = *(const ph_module *const *) b;
  return strcmp (ma->name, mb->name);
}

GPtrArray *
ph_registry_scan (ph_registry *registry, GPtrArray *problems)
{
  GPtrArray *found = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; registry->dirs[i] != NULL; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (registry->dirs[i], 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *entry;

      if (dir == NULL)
        continue;
      while ((entry = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (entry, ".so"))
          g_ptr_array_add (names, g_strdup (entry));
      g_ptr_array_sort (names, compare_strings);
      for (guint j = 0; j < names->len; j++)
        {
          const char *file = g_ptr_array_index (names, j);
          g_autofree char *path = g_build_filename (registry->dirs[i], file, NULL);
          g_autofree char *name = g_strndup (file, strlen (file) - 3);
          const char *earlier = g_hash_table_lookup (seen, name);
          g_autoptr (GError) error = NULL;
          const ph_module *module;

          if (earlier != NULL)
            {
              g_ptr_array_add (problems, g_strdup_printf ("%s: shadowed by %s, which comes "
                                                          "first in the module path", path, earlier));
              continue;
            }
          g_hash_table_insert (seen, g_strdup (name), g_strdup (path));
          module = g_hash_table_lookup (registry->modules, name);
          if (module == NULL)
            {
              ph_module *opened = ph_module_open (path, &error);
              if (opened == NULL)
                {
                  g_ptr_array_add (problems, g_strdup (error->message));
                  continue;
                }
              g_hash_table_insert (registry->modules, opened->name, opened);
              module = opened;
            }
          g_ptr_array_add (found, (gpointer) module);
        }
    }
  g_ptr_array_sort (found, compare_module_names);
  return found;
}

const char *
ph_stage_name (printhook_stage stage)
{
  switch (stage)
    {
    case PRINTHOOK_STAGE_PREPARE: return "prepare";
    case PRINTHOOK_STAGE_ENCODE: return "encode";
    case PRINTHOOK_STAGE_FINISH: return "finish";
    case PRINTHOOK_STAGE_SEND: return "send";
    default: return "?";
    }
}

int
ph_stage_order (printhook_stage stage)
{
  switch (stage)
    {
    case PRINTHOOK_STAGE_PREPARE: return 0;
    case PRINTHOOK_STAGE_ENCODE: return 1;
    case PRINTHOOK_STAGE_FINISH: return 2;
    default: return 3;
    }
}
