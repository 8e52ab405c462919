/* form-encoder: the encode stage for content_type = form.  The body is the
 * data as application/x-www-form-urlencoded, nested values as JSON text,
 * nulls left out (DESIGN.md §5). */
#include <string.h>

#include "printhook/module.h"

static const printhook_host *host;

static gboolean
form_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

/* A Content-Type the user wrote is kept when it already says form
 * ("...; charset=utf-8"), as the old plugin did. */
static gboolean
says_form (const char *content_type)
{
  g_autofree char *lower = content_type != NULL ? g_ascii_strdown (content_type, -1) : NULL;
  return lower != NULL && strstr (lower, "application/x-www-form-urlencoded") != NULL;
}

static printhook_result
form_run (gpointer instance, printhook_delivery *d, GError **error)
{
  char *text = host->form_encode (host->request_get_data (d));
  gsize length = strlen (text);
  GBytes *body = g_bytes_new_take (text, length);

  host->request_set_body (d, body, says_form (host->request_get_header (d, "Content-Type"))
                                       ? NULL : "application/x-www-form-urlencoded");
  g_bytes_unref (body);
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = { .init = form_init, .run = form_run };

PRINTHOOK_MODULE_DEFINE ("form-encoder", PACKAGE_VERSION,
                         "Encodes the data as application/x-www-form-urlencoded",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_ENCODE, NULL, &ops)
