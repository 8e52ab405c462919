/* The @param language: a template against a params tree.  The input is
 * the params as JSON and the template, split at the first NUL byte; params
 * that are no JSON object are the sample printer's.  A template that
 * passes ph_template_check is rendered as text, URL and value, as the
 * daemon renders the hooks the loader accepted. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "event/sample.h"
#include "text/json_text.h"
#include "text/template.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *params_text = NULL;
  g_autofree char *tmpl = NULL;
  g_auto (GStrv) names = NULL;
  g_autoptr (json_object) params = NULL;
  g_autoptr (GError) error = NULL;

  ph_fuzz_split (data, size, &params_text, &tmpl);
  if (params_text != NULL)
    params = ph_json_parse (params_text, -1, NULL);
  if (params == NULL || !json_object_is_type (params, json_type_object))
    {
      g_clear_pointer (&params, json_object_put);
      params = ph_sample_printer ();
    }
  names = ph_template_list_params (tmpl);
  if (!ph_template_check (tmpl, &error))
    return 0;
  for (guint i = 0; names[i] != NULL; i++)
    (void) ph_param_lookup (params, names[i], -1);
  g_free (ph_template_render_text (tmpl, params));
  g_free (ph_template_render_url (tmpl, params));
  json_object_put (ph_template_render_value (tmpl, params));
  return 0;
}
