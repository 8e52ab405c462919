/* A hook in a file of its own (hook_file.h): the console's editor reads
 * one, writes one, and never leaves half a file behind. */
#include "autoconfig.h"
#include "hook_file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "config_keys.h"
#include "text/json_text.h"

const printhook_config_key *
ph_hook_key_spec (ph_registry *registry, const char *key)
{
  const printhook_config_key *spec = ph_find_key (ph_hook_keys (), key);
  const char *dot = strchr (key, '.');
  g_autofree char *prefix = NULL;
  const ph_module *module;

  if (spec != NULL)
    return spec;
  if (g_str_has_prefix (key, "message."))
    return ph_message_key ();
  if (dot == NULL || registry == NULL)
    return NULL;
  prefix = g_strndup (key, dot - key);
  module = ph_registry_load (registry, prefix, NULL);
  if (module == NULL)
    return NULL;
  return ph_find_key (module->desc->keys, dot + 1);
}

/* JSON keys are read raw by the loader (their own escapes belong to the
 * JSON parser), every other key through GKeyFile's unescaping. */
static gboolean
is_raw (ph_registry *registry, const char *key)
{
  const printhook_config_key *spec = ph_hook_key_spec (registry, key);

  return spec != NULL && spec->type == PRINTHOOK_KEY_JSON;
}

static gboolean
is_secret (ph_registry *registry, const char *key)
{
  const printhook_config_key *spec = ph_hook_key_spec (registry, key);

  return spec != NULL && spec->secret;
}

char *
ph_hook_file_value (GKeyFile *keyfile, const char *group, const char *key,
                    ph_registry *registry)
{
  if (!g_key_file_has_key (keyfile, group, key, NULL))
    return NULL;
  if (is_raw (registry, key))
    return g_key_file_get_value (keyfile, group, key, NULL);
  return g_key_file_get_string (keyfile, group, key, NULL);
}

json_object *
ph_hook_file_keys (GKeyFile *keyfile, const char *group, ph_registry *registry,
                   json_object **secrets)
{
  g_auto (GStrv) keys = g_key_file_get_keys (keyfile, group, NULL, NULL);
  json_object *out = json_object_new_object ();

  if (secrets != NULL)
    *secrets = json_object_new_array ();
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = ph_hook_file_value (keyfile, group, keys[i], registry);

      if (value == NULL)
        continue;
      if (is_secret (registry, keys[i]))
        {
          if (secrets != NULL && *value != '\0')
            json_object_array_add (*secrets, json_object_new_string (keys[i]));
          continue;
        }
      json_object_object_add (out, keys[i], json_object_new_string (value));
    }
  return out;
}

static gboolean
key_name_is_valid (const char *key)
{
  if (*key == '\0')
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

/* A JSON value fits one INI line: valid JSON is written compact (its
 * meaning kept); text that is not JSON keeps its characters, line breaks
 * turned to spaces, so that the checker can say where it is wrong. */
static char *
one_line_json (const char *text)
{
  /* The loader's own strict parser: json-c alone would take "4x" as 4
   * and so change what the user wrote. */
  g_autoptr (json_object) parsed = ph_json_parse (text, -1, NULL);

  if (parsed != NULL)
    return g_strdup (json_object_to_json_string_ext (parsed, JSON_C_TO_STRING_PLAIN
                                                                 | JSON_C_TO_STRING_NOSLASHESCAPE));
  return g_strdelimit (g_strdup (text), "\r\n", ' ');
}

/* out as text, once it reads back as keys says.  GKeyFile escapes line
 * breaks, tabs and a leading space, but its reader still trims other
 * white space (a form feed, a trailing space after an escape...): a value
 * that would read back otherwise is refused, never changed behind the
 * user's back.  Transfer full, or NULL with error. */
static char *
checked_text (GKeyFile *out, const char *group, json_object *keys, ph_registry *registry,
              GError **error)
{
  g_autofree char *text = g_key_file_to_data (out, NULL, NULL);
  g_autoptr (GKeyFile) back = g_key_file_new ();

  if (!g_key_file_load_from_data (back, text, -1, G_KEY_FILE_NONE, error))
    return NULL;
  json_object_object_foreach (keys, key, value)
    {
      const char *sent = json_object_get_string (value);
      g_autofree char *read = NULL;

      if (*sent == '\0' && is_secret (registry, key))
        continue;
      if (is_raw (registry, key))
        {
          g_autofree char *line = one_line_json (sent);

          /* White space around JSON means nothing, and GKeyFile trims
           * some of it. */
          read = g_key_file_get_value (back, group, key, NULL);
          if (read != NULL && strcmp (g_strstrip (read), g_strstrip (line)) == 0)
            continue;
        }
      else
        {
          read = g_key_file_get_string (back, group, key, NULL);
          if (g_strcmp0 (read, sent) == 0)
            continue;
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: the value has control characters or white space that a "
                   "configuration file cannot keep", key);
      return NULL;
    }
  return g_steal_pointer (&text);
}

char *
ph_hook_file_text (const char *name, json_object *keys, const char *const *unset,
                   GKeyFile *previous, const char *previous_group, ph_registry *registry,
                   GError **error)
{
  g_autoptr (GKeyFile) out = g_key_file_new ();
  g_autofree char *group = g_strdup_printf ("hook %s", name);
  g_auto (GStrv) old_keys = NULL;

  g_key_file_set_comment (out, NULL, NULL,
                          " Written by the printhook web console (printhook-console(7)).\n"
                          " Edits by hand are fine too: the console shows them.", NULL);
  /* The group exists even when it has no key yet. */
  g_key_file_set_value (out, group, "enabled", "true");
  g_key_file_remove_key (out, group, "enabled", NULL);
  json_object_object_foreach (keys, key, value)
    {
      const char *text;

      if (!key_name_is_valid (key))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "'%s' is not a key name: letters, digits, '.', '_' and '-' only", key);
          return NULL;
        }
      if (!json_object_is_type (value, json_type_string))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "%s: a value must be given as a JSON string", key);
          return NULL;
        }
      text = json_object_get_string (value);
      if (!g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not UTF-8", key);
          return NULL;
        }
      if (*text == '\0' && is_secret (registry, key))
        continue;   /* kept from previous below */
      if (is_raw (registry, key))
        {
          g_autofree char *line = one_line_json (text);

          g_key_file_set_value (out, group, key, line);
        }
      else
        g_key_file_set_string (out, group, key, text);
    }
  if (previous != NULL && previous_group != NULL)
    old_keys = g_key_file_get_keys (previous, previous_group, NULL, NULL);
  for (guint i = 0; old_keys != NULL && old_keys[i] != NULL; i++)
    {
      const char *old = old_keys[i];
      g_autofree char *raw = NULL;

      if (!is_secret (registry, old) || g_key_file_has_key (out, group, old, NULL)
          || (unset != NULL && g_strv_contains (unset, old)))
        continue;
      /* As written, escapes and all: it is moved, not re-read. */
      raw = g_key_file_get_value (previous, previous_group, old, NULL);
      if (raw != NULL && *raw != '\0')
        g_key_file_set_value (out, group, old, raw);
    }
  return checked_text (out, group, keys, registry, error);
}

char *
ph_hook_file_version (const char *text)
{
  if (text == NULL)
    return g_strdup ("none");
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

static gboolean
sync_directory (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot sync %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* Writes all of text to fd; FALSE with errno set. */
static gboolean
write_all (int fd, const char *text, gsize length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, text, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      text += n;
      length -= (gsize) n;
    }
  return TRUE;
}

gboolean
ph_hook_file_write (const char *path, const char *text, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *temporary = g_strdup_printf ("%s/.%s.tmp", dir, base);
  int fd;
  int saved;

  fd = open (temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot write %s: %s",
                   temporary, g_strerror (saved));
      return FALSE;
    }
  /* The umask must not open it further or close it to the group. */
  if (fchmod (fd, 0640) != 0 || !write_all (fd, text, strlen (text)) || fsync (fd) != 0)
    {
      saved = errno;
      close (fd);
      g_unlink (temporary);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot write %s: %s",
                   temporary, g_strerror (saved));
      return FALSE;
    }
  if (close (fd) != 0 || g_rename (temporary, path) != 0)
    {
      saved = errno;
      g_unlink (temporary);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot replace %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  return sync_directory (path, error);
}

gboolean
ph_hook_file_remove (const char *path, GError **error)
{
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot remove %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  return sync_directory (path, error);
}
