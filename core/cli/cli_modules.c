/* printhook modules: what modules there are and what each accepts. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "config/config_value.h"
#include "registry/registry.h"

/* module_dir of [printhook], read without checking the rest: "modules"
 * must work even when the config has errors. */
static char *
read_module_dir (const char *config_path, gboolean explicit)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;

  if (!g_key_file_load_from_file (keyfile, config_path, G_KEY_FILE_NONE, &error))
    {
      if (explicit)
        fprintf (stderr, "printhook modules: warning: %s: %s\n", config_path, error->message);
      return NULL;
    }
  dir = g_key_file_get_string (keyfile, "printhook", "module_dir", NULL);
  if (dir == NULL)
    return NULL;
  g_strstrip (dir);
  if (g_path_is_absolute (dir))
    return g_steal_pointer (&dir);
  base = g_path_get_dirname (config_path);
  return g_build_filename (base, dir, NULL);
}

static void
print_module (const ph_module *module)
{
  const printhook_module_desc *desc = module->desc;

  printf ("%s %s (module ABI %u.%u, %s stage, %s)\n", desc->name, desc->version,
          desc->abi_major, desc->abi_minor, ph_stage_name (desc->stage), desc->license);
  if (desc->summary != NULL)
    printf ("  %s\n", desc->summary);
  printf ("  file: %s\n", module->path);
  if (desc->keys == NULL || desc->keys->name == NULL)
    {
      printf ("  keys: none\n\n");
      return;
    }
  printf ("  keys:\n");
  for (const printhook_config_key *k = desc->keys; k->name != NULL; k++)
    {
      g_autoptr (GString) notes = g_string_new (NULL);

      g_string_append (notes, ph_key_type_name (k->type));
      if (k->default_value != NULL)
        g_string_append_printf (notes, ", default %s", *k->default_value ? k->default_value : "\"\"");
      if (k->min != k->max)
        g_string_append_printf (notes, ", %g to %g", k->min, k->max);
      if (k->required)
        g_string_append (notes, ", required");
      if (k->secret)
        g_string_append (notes, ", secret");
      printf ("    %s.%s (%s)\n", desc->name, k->name, notes->str);
      if (k->summary != NULL)
        printf ("        %s\n", k->summary);
    }
  printf ("\n");
}

int
ph_cmd_modules (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *module_dir = NULL;
  g_auto (GStrv) search_path = NULL;
  g_autoptr (ph_registry) registry = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) modules = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Also search the module_dir of FILE (default " PH_DEFAULT_CONFIG ")", "FILE" },
    G_OPTION_ENTRY_NULL
  };

  if (!ph_cli_parse (&argc, &argv, "", "Lists the modules printhook can load.",
                     "Searches $PRINTHOOK_MODULE_PATH (directories separated by ':'), the\n"
                     "module_dir of the configuration, then " MODULEDIR ", and\n"
                     "prints each module's name, version, module ABI, stage, summary and the\n"
                     "configuration keys it accepts (written MODULE.KEY in a hook).  Files\n"
                     "that are not usable modules are listed on stderr with the reason.\n"
                     "\n"
                     "Examples:\n"
                     "  printhook modules\n"
                     "  PRINTHOOK_MODULE_PATH=$HOME/my-modules printhook modules\n"
                     "\n"
                     "Exit status: 0 when every module file is usable, 1 when some are not,\n"
                     "2 on a command-line error.",
                     entries, &status))
    return status;
  if (argc > 1)
    {
      fprintf (stderr, "printhook modules: unexpected argument '%s'\n", argv[1]);
      return PH_EXIT_USAGE;
    }
  module_dir = read_module_dir (config_path != NULL ? config_path : PH_DEFAULT_CONFIG,
                                config_path != NULL);
  search_path = ph_module_search_path (module_dir);
  registry = ph_registry_new ((const char *const *) search_path);
  modules = ph_registry_scan (registry, problems);

  for (guint i = 0; i < modules->len; i++)
    print_module (g_ptr_array_index (modules, i));
  if (modules->len == 0)
    {
      g_autofree char *dirs = g_strjoinv (", ", search_path);
      printf ("no modules found in %s\n", dirs);
    }
  for (guint i = 0; i < problems->len; i++)
    fprintf (stderr, "printhook modules: warning: %s\n", (char *) g_ptr_array_index (problems, i));
  return problems->len == 0 ? PH_EXIT_OK : PH_EXIT_FAILURE;
}
