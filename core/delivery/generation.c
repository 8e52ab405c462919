#include "autoconfig.h"
#include "generation.h"

ph_generation *
ph_generation_new (ph_config *config)
{
  ph_generation *gen = g_new0 (ph_generation, 1);

  gen->ref_count = 1;
  gen->config = config;
  gen->redactor = ph_redactor_new ();
  gen->policies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) ph_retry_policy_free);
  for (guint i = 0; i < config->hooks->len; i++)
    ph_redactor_add_hook (gen->redactor, g_ptr_array_index (config->hooks, i));
  for (guint i = 0; i < config->sources->len; i++)
    {
      const ph_source_config *source = g_ptr_array_index (config->sources, i);

      ph_redactor_add (gen->redactor, source->api_key);
      ph_redactor_add (gen->redactor, source->access_code);
    }
  return gen;
}

ph_generation *
ph_generation_ref (ph_generation *gen)
{
  gen->ref_count++;
  return gen;
}

void
ph_generation_unref (ph_generation *gen)
{
  if (gen == NULL || --gen->ref_count > 0)
    return;
  ph_redactor_free (gen->redactor);
  g_hash_table_unref (gen->policies);
  ph_config_free (gen->config);
  g_free (gen);
}

const ph_retry_policy *
ph_generation_retry_policy (ph_generation *gen, const ph_hook *hook, GError **error)
{
  ph_retry_policy *policy = g_hash_table_lookup (gen->policies, hook->name);

  if (policy != NULL)
    return policy;
  policy = ph_retry_policy_new_from_config (hook->config, error);
  if (policy != NULL)
    g_hash_table_insert (gen->policies, g_strdup (hook->name), policy);
  return policy;
}
