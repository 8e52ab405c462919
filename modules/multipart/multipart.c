/* multipart: the encode stage for content_type = multipart and for hooks
 * that send a webcam snapshot.  One form field per top-level key of the
 * data (nested values as JSON text, nulls left out), then each attachment
 * as a file part.  The body is built once, here, so that a signature covers
 * exactly the bytes sent.  libsoup writes the MIME format. */
#include <libsoup/soup.h>

#include "printhook/module.h"

static const printhook_host *host;

static gboolean
multipart_init (const printhook_host *h, GError **error)
{
  host = h;
  return TRUE;
}

static char *
field_text (json_object *value)
{
  if (json_object_is_type (value, json_type_string))
    return g_strdup (json_object_get_string (value));
  return host->json_to_text (value, FALSE);
}

static printhook_result
multipart_run (gpointer instance, printhook_delivery *d, GError **error)
{
  json_object *data = host->request_get_data (d);
  SoupMultipart *multipart = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  GBytes *body = NULL;
  guint parts = 0;

  json_object_object_foreach (data, key, value)
    {
      char *text;

      if (value == NULL)
        continue;
      text = field_text (value);
      soup_multipart_append_form_string (multipart, key, text);
      g_free (text);
      parts++;
    }
  for (guint i = 0; i < host->request_get_n_attachments (d); i++)
    {
      const char *field, *filename, *content_type;
      GBytes *bytes;

      host->request_get_attachment (d, i, &field, &filename, &content_type, &bytes);
      soup_multipart_append_form_file (multipart, field, filename, content_type, bytes);
      parts++;
    }
  /* A multipart body needs at least one part (RFC 2046 §5.1.1): with no
   * field and no image (a snapshot that failed, for data holding only
   * "@snapshot") the request goes with an empty body instead. */
  if (parts == 0)
    {
      body = g_bytes_new_static ("", 0);
      host->request_set_body (d, body, NULL);
      host->request_set_header (d, "Content-Type", NULL);
      host->log (d, G_LOG_LEVEL_INFO, "nothing to put in the multipart body: sending it empty");
      g_bytes_unref (body);
      soup_message_headers_unref (headers);
      soup_multipart_free (multipart);
      return PRINTHOOK_RESULT_DONE;
    }
  soup_multipart_to_message (multipart, headers, &body);
  host->request_set_body (d, body, soup_message_headers_get_one (headers, "Content-Type"));
  g_bytes_unref (body);
  soup_message_headers_unref (headers);
  soup_multipart_free (multipart);
  return PRINTHOOK_RESULT_DONE;
}

static const printhook_module_ops ops = { .init = multipart_init, .run = multipart_run };

PRINTHOOK_MODULE_DEFINE ("multipart", PACKAGE_VERSION,
                         "Encodes the data and attachments (the snapshot) as multipart/form-data",
                         "GPL-2.0-or-later", PRINTHOOK_STAGE_ENCODE, NULL, &ops)
