/* [console]: where the web console listens, its TLS files and token
 * (printhook-console(7)).  Read from the main file only; every problem is
 * reported with the file, line and key, as for hooks. */
#include "autoconfig.h"
#include "config_private.h"

#include <gio/gio.h>
#include <string.h>

#include "config_keys.h"
#include "text/suggest.h"

#define CONSOLE_GROUP "console"

gboolean
ph_console_parse_listen (const char *text, char **host, guint16 *port, GError **error)
{
  const char *colon;
  g_autofree char *name = NULL;
  guint64 number;
  char *end = NULL;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'%s' is not an address: an IPv6 one is written [ADDRESS]:PORT, "
                       "such as [::]:7130", text);
          return FALSE;
        }
      name = g_strndup (text + 1, close - text - 1);
      colon = close + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL || colon == text || memchr (text, ':', colon - text) != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'%s' is not an address: write HOST:PORT, such as 127.0.0.1:7130, "
                       "0.0.0.0:7130 or [::]:7130", text);
          return FALSE;
        }
      name = g_strndup (text, colon - text);
    }
  if (name[0] == '\0' || strpbrk (name, " /@?#") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not an address: the host before the port is missing or not a "
                   "name", text);
      return FALSE;
    }
  if (!g_ascii_isdigit (colon[1]))
    number = G_MAXUINT64;
  else
    number = g_ascii_strtoull (colon + 1, &end, 10);
  if (number > 65535 || end == NULL || *end != '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s': the port must be a number from 0 to 65535 (0: any free port)",
                   text);
      return FALSE;
    }
  *host = g_steal_pointer (&name);
  *port = (guint16) number;
  return TRUE;
}

static ph_value *
console_value (ph_config_loader *loader, const char *key)
{
  ph_config_file *file = loader->main_file;

  if (!g_key_file_has_key (file->keyfile, CONSOLE_GROUP, key, NULL))
    return NULL;
  return ph_config_read_value (loader, file, CONSOLE_GROUP, key,
                               ph_find_key (ph_console_keys (), key));
}

static void
check_unknown_keys (ph_config_loader *loader)
{
  ph_config_file *file = loader->main_file;
  g_auto (GStrv) keys = g_key_file_get_keys (file->keyfile, CONSOLE_GROUP, NULL, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (const printhook_config_key *k = ph_console_keys (); k->name != NULL; k++)
    g_ptr_array_add (names, (gpointer) k->name);
  g_ptr_array_add (names, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (ph_find_key (ph_console_keys (), keys[i]) == NULL)
      {
        const char *hint = ph_suggest (keys[i], (const char *const *) names->pdata);

        ph_config_report (loader, PH_DIAG_ERROR, file, CONSOLE_GROUP, keys[i],
                          "unknown key%s%s%s", hint ? "; did you mean '" : "",
                          hint ? hint : "", hint ? "'?" : "");
      }
}

static void
check_listen (ph_config_loader *loader, char **listen)
{
  for (guint i = 0; listen[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port;

      if (!ph_console_parse_listen (listen[i], &host, &port, &error))
        ph_config_report (loader, PH_DIAG_ERROR, loader->main_file, CONSOLE_GROUP, "listen",
                          "%s", error->message);
    }
}

/* Both files, each loadable as what it claims to be: found by check
 * rather than at the first start. */
static void
check_tls (ph_config_loader *loader, const ph_console_config *console)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  ph_config_file *file = loader->main_file;

  if ((console->tls_cert == NULL) != (console->tls_key == NULL))
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, CONSOLE_GROUP,
                        console->tls_cert == NULL ? "tls_key" : "tls_cert",
                        "HTTPS needs both tls_cert and tls_key");
      return;
    }
  if (console->tls_cert == NULL || !console->enabled)
    return;
  certificate = g_tls_certificate_new_from_files (console->tls_cert, console->tls_key, &error);
  if (certificate == NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, CONSOLE_GROUP, "tls_cert",
                      "cannot use %s with %s: %s", console->tls_cert, console->tls_key,
                      error->message);
}

static char *
console_path (ph_config_loader *loader, const char *key)
{
  g_autoptr (ph_value) value = console_value (loader, key);
  const printhook_config_key *spec = ph_find_key (ph_console_keys (), key);

  if (value != NULL)
    return g_strdup (value->text);
  return g_strdup (spec->default_value);
}

void
ph_config_read_console (ph_config_loader *loader, ph_config *config)
{
  ph_console_config *console = &config->console;
  g_autoptr (ph_value) enabled = NULL;
  g_autoptr (ph_value) listen = NULL;
  g_autoptr (ph_value) history = NULL;
  gboolean present = g_key_file_has_group (loader->main_file->keyfile, CONSOLE_GROUP);

  console->enabled = TRUE;
  console->history = PH_CONSOLE_DEFAULT_HISTORY;
  if (present)
    {
      check_unknown_keys (loader);
      enabled = console_value (loader, "enabled");
      listen = console_value (loader, "listen");
      history = console_value (loader, "history");
    }
  if (enabled != NULL)
    console->enabled = enabled->boolean;
  if (history != NULL)
    console->history = (guint) history->integer;
  if (listen != NULL && listen->list != NULL && listen->list[0] != NULL)
    console->listen = g_strdupv (listen->list);
  else
    console->listen = g_strsplit (PH_CONSOLE_DEFAULT_LISTEN, ",", -1);
  check_listen (loader, console->listen);
  console->token_file = present ? console_path (loader, "token_file")
                                : g_strdup (ph_find_key (ph_console_keys (),
                                                         "token_file")->default_value);
  if (present)
    {
      g_autoptr (ph_value) cert = console_value (loader, "tls_cert");
      g_autoptr (ph_value) key = console_value (loader, "tls_key");

      g_autoptr (ph_value) hooks_dir = console_value (loader, "hooks_dir");

      console->hooks_dir = hooks_dir != NULL ? g_strdup (hooks_dir->text) : NULL;
      console->tls_cert = cert != NULL ? g_strdup (cert->text) : NULL;
      console->tls_key = key != NULL ? g_strdup (key->text) : NULL;
      check_tls (loader, console);
    }
}

void
ph_console_config_clear (ph_console_config *console)
{
  g_clear_pointer (&console->listen, g_strfreev);
  g_clear_pointer (&console->tls_cert, g_free);
  g_clear_pointer (&console->tls_key, g_free);
  g_clear_pointer (&console->token_file, g_free);
  g_clear_pointer (&console->hooks_dir, g_free);
}

gboolean
ph_console_config_equal (const ph_console_config *a, const ph_console_config *b)
{
  return a->enabled == b->enabled
         && g_strv_equal ((const char *const *) a->listen, (const char *const *) b->listen)
         && g_strcmp0 (a->tls_cert, b->tls_cert) == 0 && g_strcmp0 (a->tls_key, b->tls_key) == 0
         && g_strcmp0 (a->token_file, b->token_file) == 0;
}
