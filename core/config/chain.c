/* A hook's chain of modules: derived from its settings when it names none,
 * sorted by stage, and checked to make sense. */
#include "autoconfig.h"

#include <string.h>

#include "config_private.h"
#include "text/suggest.h"

char **
ph_chain_derive (gboolean has_oauth, gboolean has_snapshot, const char *method,
                 ph_content_type content_type)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  gboolean is_get = strcmp (method, "GET") == 0;

  /* The only place where the core knows modules by name (STYLE.md). */
  if (has_oauth)
    g_strv_builder_add (builder, "oauth");
  /* A GET carries no body, so neither a snapshot nor an encoder. */
  if (has_snapshot && !is_get)
    g_strv_builder_add (builder, "snapshot");
  if (!is_get && (has_snapshot || content_type == PH_CONTENT_MULTIPART))
    g_strv_builder_add (builder, "multipart");
  else if (!is_get && content_type == PH_CONTENT_FORM)
    g_strv_builder_add (builder, "form-encoder");
  g_strv_builder_add (builder, "http-webhook");
  return g_strv_builder_end (builder);
}

gboolean
ph_chain_sends_http (ph_config_loader *loader, const char *const *names)
{
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      /* A module that cannot load is reported with the chain, later. */
      const ph_module *module = ph_registry_load (loader->registry, names[i], NULL);

      if (module == NULL || module->desc->stage != PRINTHOOK_STAGE_SEND
          || module->desc->keys == NULL)
        continue;
      for (const printhook_config_key *key = module->desc->keys; key->name != NULL; key++)
        if (strcmp (key->name, "url") == 0)
          return FALSE;
    }
  return TRUE;
}

static int
compare_stage (gconstpointer a, gconstpointer b)
{
  const ph_module *ma = *(const ph_module *const *) a;
  const ph_module *mb = *(const ph_module *const *) b;
  return ph_stage_order (ma->desc->stage) - ph_stage_order (mb->desc->stage);
}

static void
report_missing_module (ph_config_loader *loader, ph_config_file *file, const char *group,
                       const char *name, const GError *error)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) available = ph_registry_scan (loader->registry, problems);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *hint;

  for (guint i = 0; i < available->len; i++)
    g_ptr_array_add (names, ((ph_module *) g_ptr_array_index (available, i))->name);
  g_ptr_array_add (names, NULL);
  hint = ph_suggest (name, (const char *const *) names->pdata);
  if (hint != NULL && strcmp (hint, name) != 0)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "modules", "%s; did you mean '%s'?",
                      error->message, hint);
  else
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "modules", "%s", error->message);
}

GPtrArray *
ph_chain_resolve (ph_config_loader *loader, ph_config_file *file, const char *group,
                  const char *const *names)
{
  g_autoptr (GPtrArray) modules = g_ptr_array_new ();
  const ph_module *encoder = NULL, *sender = NULL;
  gboolean ok = TRUE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      const ph_module *module = ph_registry_load (loader->registry, names[i], &error);
      gboolean twice = FALSE;

      if (module == NULL)
        {
          report_missing_module (loader, file, group, names[i], error);
          ok = FALSE;
          continue;
        }
      for (guint j = 0; j < modules->len; j++)
        twice |= g_ptr_array_index (modules, j) == module;
      if (twice)
        {
          ph_config_report (loader, PH_DIAG_ERROR, file, group, "modules",
                            "'%s' is listed twice", names[i]);
          ok = FALSE;
          continue;
        }
      g_ptr_array_add (modules, (gpointer) module);
    }
  if (!ok)
    return NULL;
  /* Stable for modules of one stage: the user's order among prepare
   * modules is kept. */
  g_ptr_array_sort (modules, compare_stage);
  for (guint i = 0; i < modules->len; i++)
    {
      const ph_module *module = g_ptr_array_index (modules, i);
      const ph_module **slot = module->desc->stage == PRINTHOOK_STAGE_ENCODE ? &encoder
                               : module->desc->stage == PRINTHOOK_STAGE_SEND ? &sender : NULL;

      if (slot == NULL)
        continue;
      if (*slot != NULL)
        {
          ph_config_report (loader, PH_DIAG_ERROR, file, group, "modules",
                            "'%s' and '%s' are both %s modules; a chain has at most one",
                            (*slot)->name, module->name, ph_stage_name (module->desc->stage));
          ok = FALSE;
        }
      *slot = module;
    }
  if (ok && sender == NULL)
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, "modules",
                        "no send module: the chain needs one (such as http-webhook)");
      ok = FALSE;
    }
  return ok ? g_steal_pointer (&modules) : NULL;
}

char *
ph_hook_describe_sending (const ph_hook *hook, printhook_delivery *d)
{
  for (guint i = 0; hook->chain != NULL && i < hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (hook->chain, i);
      const printhook_module_desc *desc = link->module->desc;

      if (desc->stage == PRINTHOOK_STAGE_SEND && desc->ops->describe != NULL)
        return desc->ops->describe (link->instance, d);
    }
  return NULL;
}
