#include "autoconfig.h"
#include "preview.h"

#include <string.h>

#include "text/json_text.h"

static gboolean
run_encode_stage (printhook_delivery *d, GError **error)
{
  for (guint i = 0; i < d->hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (d->hook->chain, i);
      g_autoptr (GError) module_error = NULL;
      printhook_result result;

      if (link->module->desc->stage != PRINTHOOK_STAGE_ENCODE)
        continue;
      d->module_name = link->module->name;
      result = link->module->desc->ops->run (link->instance, d, &module_error);
      d->module_name = NULL;
      if (result == PRINTHOOK_RESULT_PENDING)
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                       "module '%s' encodes asynchronously; its body cannot be shown",
                       link->module->name);
          return FALSE;
        }
      if (result != PRINTHOOK_RESULT_DONE)
        {
          g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT, "module '%s' failed: %s",
                       link->module->name,
                       module_error != NULL ? module_error->message : "no reason given");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ph_delivery_preview (printhook_delivery *d, GError **error)
{
  ph_delivery_render (d);
  if (!run_encode_stage (d, error))
    return FALSE;
  ph_delivery_encode_default (d);
  return TRUE;
}

static char *
masked (const ph_redactor *redactor, const char *text)
{
  return redactor != NULL ? ph_redactor_apply (redactor, text) : g_strdup (text);
}

char *
ph_delivery_body_text (printhook_delivery *d, const ph_redactor *redactor)
{
  const char *content_type = ph_delivery_get_header (d, "Content-Type");
  g_autofree char *text = NULL;
  const char *bytes;
  gsize size = 0;

  if (d->body == NULL)
    return NULL;
  bytes = g_bytes_get_data (d->body, &size);
  if (content_type != NULL && strstr (content_type, "json") != NULL)
    {
      g_autoptr (json_object) parsed = ph_json_parse (bytes, size, NULL);

      if (parsed != NULL)
        text = ph_json_to_text (parsed, TRUE);
    }
  if (text == NULL && g_utf8_validate_len (bytes, size, NULL) && memchr (bytes, '\0', size) == NULL)
    text = g_strndup (bytes, size);
  if (text == NULL)
    return g_strdup_printf ("<%" G_GSIZE_FORMAT " bytes of binary data>", size);
  return masked (redactor, text);
}

char *
ph_delivery_header_text (const ph_header *header, const ph_redactor *redactor)
{
  if (redactor != NULL && ph_header_is_sensitive (header->name))
    return g_strdup (PH_REDACTED);
  return masked (redactor, header->value);
}
