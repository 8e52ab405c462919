#include "autoconfig.h"
#include "generation.h"

ph_generation *
ph_generation_new (ph_config *config)
{
  ph_generation *gen = g_new0 (ph_generation, 1);

  gen->ref_count = 1;
  gen->config = config;
  gen->redactor = ph_redactor_new ();
  for (guint i = 0; i < config->hooks->len; i++)
    ph_redactor_add_hook (gen->redactor, g_ptr_array_index (config->hooks, i));
  for (guint i = 0; i < config->sources->len; i++)
    ph_redactor_add (gen->redactor,
                     ((const ph_source_config *) g_ptr_array_index (config->sources, i))->api_key);
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
  ph_config_free (gen->config);
  g_free (gen);
}
