#include "autoconfig.h"
#include "host.h"

#include <stdarg.h>

#include "delivery.h"
#include "hook_config.h"
#include "json_text.h"
#include "template.h"

static const char *current_module;

void
ph_host_set_current_module (const char *name)
{
  current_module = name;
}

static void
host_log (printhook_delivery *d, GLogLevelFlags level, const char *fmt, ...)
{
  g_autofree char *text = NULL;
  const char *module = d != NULL && d->module_name != NULL ? d->module_name : current_module;
  va_list args;

  va_start (args, fmt);
  text = g_strdup_vprintf (fmt, args);
  va_end (args);
  /* A module's g_error must not abort the daemon. */
  level &= ~G_LOG_FLAG_FATAL;
  if (level & G_LOG_LEVEL_ERROR)
    level = G_LOG_LEVEL_CRITICAL;
  if (d != NULL)
    g_log ("printhook", level, "%s: hook %s, delivery %s: %s", module ? module : "module",
           d->hook->name, d->id, text);
  else
    g_log ("printhook", level, "%s: %s", module ? module : "module", text);
}

static json_object *
host_param_get (printhook_delivery *d, const char *name)
{
  return ph_param_lookup (d->params, name, -1);
}

static void
host_param_set (printhook_delivery *d, const char *name, json_object *value)
{
  json_object_object_add (d->params, name, value);
}

static const char *
host_request_get_method (printhook_delivery *d)
{
  return d->method;
}

static const char *
host_request_get_url (printhook_delivery *d)
{
  return d->url;
}

static void
host_request_set_url (printhook_delivery *d, const char *url)
{
  g_free (d->url);
  d->url = g_strdup (url);
}

static void
host_request_foreach_header (printhook_delivery *d, printhook_header_func func, gpointer user_data)
{
  for (guint i = 0; i < d->headers->len; i++)
    {
      ph_header *h = g_ptr_array_index (d->headers, i);
      if (!func (h->name, h->value, user_data))
        break;
    }
}

static json_object *
host_request_get_data (printhook_delivery *d)
{
  return d->data;
}

static GBytes *
host_request_get_body (printhook_delivery *d)
{
  return d->body;
}

static guint
host_request_get_n_attachments (printhook_delivery *d)
{
  return d->attachments->len;
}

static gboolean
host_request_get_attachment (printhook_delivery *d, guint index, const char **field,
                             const char **filename, const char **content_type, GBytes **bytes)
{
  ph_attachment *a;

  if (index >= d->attachments->len)
    return FALSE;
  a = g_ptr_array_index (d->attachments, index);
  if (field != NULL)
    *field = a->field;
  if (filename != NULL)
    *filename = a->filename;
  if (content_type != NULL)
    *content_type = a->content_type;
  if (bytes != NULL)
    *bytes = a->bytes;
  return TRUE;
}

static gpointer
host_shared_get (printhook_delivery *d, const char *key)
{
  return ph_event_shared_get (d->event, key);
}

static void
host_shared_set (printhook_delivery *d, const char *key, gpointer value, GDestroyNotify destroy)
{
  ph_event_shared_set (d->event, key, value, destroy);
}

static const printhook_host host = {
  .abi_major = PRINTHOOK_ABI_MAJOR,
  .abi_minor = PRINTHOOK_ABI_MINOR,
  .log = host_log,
  .config_get_string = ph_hook_config_get_string,
  .config_get_int = ph_hook_config_get_int,
  .config_get_double = ph_hook_config_get_double,
  .config_get_bool = ph_hook_config_get_bool,
  .config_get_json = ph_hook_config_get_json,
  .config_get_list = ph_hook_config_get_list,
  .config_is_set = ph_hook_config_is_set,
  .config_hook_name = ph_hook_config_hook_name,
  .param_get = host_param_get,
  .param_set = host_param_set,
  .request_get_method = host_request_get_method,
  .request_get_url = host_request_get_url,
  .request_set_url = host_request_set_url,
  .request_get_header = ph_delivery_get_header,
  .request_set_header = ph_delivery_set_header,
  .request_foreach_header = host_request_foreach_header,
  .request_get_data = host_request_get_data,
  .request_get_body = host_request_get_body,
  .request_set_body = ph_delivery_set_body,
  .request_add_attachment = ph_delivery_add_attachment,
  .request_get_n_attachments = host_request_get_n_attachments,
  .request_get_attachment = host_request_get_attachment,
  .json_to_text = ph_json_to_text,
  .resume = NULL,
  .shared_get = host_shared_get,
  .shared_set = host_shared_set,
};

const printhook_host *
ph_host (void)
{
  return &host;
}
