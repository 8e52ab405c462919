/* The page, the login page and their script and style, built into the
 * binary (core/console/page/, a GResource): the console works on a LAN
 * without internet, and nothing outside /static/ is served from it. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#define PREFIX "/org/printhook/console/"

static const struct {
  const char *name;
  const char *content_type;
} files[] = {
  { "index.html", "text/html; charset=utf-8" },
  { "login.html", "text/html; charset=utf-8" },
  { "console.css", "text/css; charset=utf-8" },
  { "console.js", "text/javascript; charset=utf-8" },
  { "editor.js", "text/javascript; charset=utf-8" },
  { "login.js", "text/javascript; charset=utf-8" },
};

void
ph_console_page (ph_console *console, SoupServerMessage *msg, const char *name)
{
  g_autofree char *path = g_strconcat (PREFIX, name, NULL);
  g_autoptr (GBytes) bytes = NULL;
  const char *content_type = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (strcmp (files[i].name, name) == 0)
      content_type = files[i].content_type;
  if (content_type != NULL)
    bytes = g_resource_lookup_data (ph_console_get_resource (), path,
                                    G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND, "no file %s", name);
      return;
    }
  ph_console_secure_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}
