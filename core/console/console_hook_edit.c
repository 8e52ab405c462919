/* hooks/NAME/config (GET, PUT, DELETE) and hooks/validate: the hook
 * editor's API (API.md).  Edits go to [console] hooks_dir only, one file
 * per hook (NAME.conf).  Each edit is first checked by the loader itself,
 * with the edit laid over the files on disk (what printhook check would
 * say of the result), then written atomically and applied by a reload;
 * a reload that fails puts the previous files back.  Secrets are never
 * answered: the editor learns which are set, and an empty field keeps
 * the value. */
#include "autoconfig.h"
#include "console_private.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "config/hook_file.h"
#include "config/redact.h"
#include "delivery/host.h"
#include "delivery/sample_delivery.h"
#include "event/events.h"

/* For the tests only, set in the daemon's environment: "exit-after-write"
 * ends the daemon between the write and the reload (a crash there leaves
 * a valid configuration); "spoil-after-write" makes the written file
 * unreadable before the reload, as another writer could (the reload fails
 * and the previous files come back). */
#define FAULT_ENV "PRINTHOOK_CONSOLE_FAULT"

/* A request to change a hook, as PUT and validate read it. */
typedef struct {
  char *name;
  char *rename_from;            /* NULL: not a rename */
  json_object *keys;            /* a reference */
  char **unset;                 /* secret keys to clear */
  char *secrets_from;           /* the hook whose secrets an empty field keeps */
  char *version;                /* NULL when the client sent none */
} edit;

static void
edit_free (edit *e)
{
  g_free (e->name);
  g_free (e->rename_from);
  if (e->keys != NULL)
    json_object_put (e->keys);
  g_strfreev (e->unset);
  g_free (e->secrets_from);
  g_free (e->version);
  g_free (e);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (edit, edit_free)

static gboolean
name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 200)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  /* "." and ".." would be files of no hook. */
  return name[0] != '.';
}

static const char *
hooks_dir (ph_console *console)
{
  return console->gen->config->console.hooks_dir;
}

/* hooks_dir/NAME.conf.  Transfer full. */
static char *
editable_path (ph_console *console, const char *name)
{
  g_autofree char *base = g_strconcat (name, ".conf", NULL);

  return g_build_filename (hooks_dir (console), base, NULL);
}

/* The file's text, or NULL when it does not exist (or cannot be read:
 * *error then says why). */
static char *
read_text (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  char *text = NULL;

  if (g_file_get_contents (path, &text, NULL, &local))
    return text;
  if (!g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_propagate_error (error, g_steal_pointer (&local));
  return NULL;
}

static GKeyFile *
parse_keyfile (const char *text)
{
  GKeyFile *keyfile = g_key_file_new ();

  if (text == NULL || !g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, NULL))
    {
      g_key_file_unref (keyfile);
      return NULL;
    }
  return keyfile;
}

/* The group of keyfile that defines hook name ("[hook NAME]", spaces as
 * the loader allows them).  Transfer full, or NULL. */
static char *
hook_group (GKeyFile *keyfile, const char *name)
{
  g_auto (GStrv) groups = keyfile != NULL ? g_key_file_get_groups (keyfile, NULL) : NULL;

  for (guint i = 0; groups != NULL && groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], "hook "))
      {
        g_autofree char *rest = g_strstrip (g_strdup (groups[i] + strlen ("hook ")));

        if (strcmp (rest, name) == 0)
          return g_strdup (groups[i]);
      }
  return NULL;
}

/* Why the console may not edit hook in place, or NULL when it may: it
 * lives in hooks_dir/NAME.conf, alone.  Transfer full. */
static char *
why_read_only (ph_console *console, const ph_hook *hook)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GKeyFile) keyfile = NULL;
  gsize groups = 0;

  if (hooks_dir (console) == NULL)
    return g_strdup ("editing in the console is off: [console] hooks_dir is not set");
  path = editable_path (console, hook->name);
  if (strcmp (hook->file, path) != 0)
    return g_strdup_printf ("it comes from %s, which the console does not write; copy it to "
                            "an editable hook", hook->file);
  text = read_text (path, NULL);
  keyfile = parse_keyfile (text);
  if (keyfile != NULL)
    g_strfreev (g_key_file_get_groups (keyfile, &groups));
  if (groups != 1)
    return g_strdup_printf ("%s holds more than this hook; edit it by hand", path);
  return NULL;
}

/* A JSON value as the console shows it: masked string by string, so that
 * it stays JSON, and in headers the values of credential headers hidden.
 * Transfer full. */
static json_object *
shown_json (ph_console *console, json_object *value, gboolean headers)
{
  json_object *out;

  switch (json_object_get_type (value))
    {
    case json_type_string:
      {
        g_autofree char *masked = ph_console_mask (console, json_object_get_string (value));
        return json_object_new_string (masked);
      }
    case json_type_object:
      out = json_object_new_object ();
      json_object_object_foreach (value, name, item)
        {
          if (headers && json_object_is_type (item, json_type_string)
              && ph_header_is_sensitive (name))
            json_object_object_add (out, name, json_object_new_string (PH_REDACTED));
          else
            json_object_object_add (out, name, shown_json (console, item, FALSE));
        }
      return out;
    case json_type_array:
      out = json_object_new_array ();
      for (size_t i = 0; i < json_object_array_length (value); i++)
        json_object_array_add (out, shown_json (console, json_object_array_get_idx (value, i),
                                                FALSE));
      return out;
    default:
      return json_object_get (value);
    }
}

/* A key's value as the console shows it (see shown_json).  Transfer
 * full. */
static char *
shown_value (ph_console *console, const char *key, const char *value, ph_registry *registry)
{
  const printhook_config_key *spec = ph_hook_key_spec (registry, key);

  if (spec != NULL && spec->type == PRINTHOOK_KEY_JSON)
    {
      g_autoptr (json_object) parsed = ph_json_parse (value, -1, NULL);
      g_autoptr (json_object) shown = NULL;

      if (parsed != NULL)
        {
          shown = shown_json (console, parsed, strcmp (key, "headers") == 0);
          return g_strdup (json_object_to_json_string_ext (shown, JSON_C_TO_STRING_PLAIN
                                                                      | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
    }
  return ph_console_mask (console, value);
}

/* What the client sent back for a value it was shown masked is the
 * value itself: a masked string the client left as it was shown becomes
 * the stored one again, in JSON string by string (an edited header keeps
 * its neighbour's hidden value).  Transfer full. */
static json_object *
restore_json (ph_console *console, json_object *sent, json_object *stored, gboolean headers)
{
  json_object *out;

  if (stored == NULL || json_object_get_type (sent) != json_object_get_type (stored))
    return json_object_get (sent);
  switch (json_object_get_type (sent))
    {
    case json_type_string:
      {
        g_autofree char *masked = ph_console_mask (console, json_object_get_string (stored));

        if (strcmp (json_object_get_string (sent), masked) == 0)
          return json_object_get (stored);
        return json_object_get (sent);
      }
    case json_type_object:
      out = json_object_new_object ();
      json_object_object_foreach (sent, name, item)
        {
          json_object *old = ph_console_member (stored, name);

          if (headers && old != NULL && json_object_is_type (item, json_type_string)
              && strcmp (json_object_get_string (item), PH_REDACTED) == 0)
            json_object_object_add (out, name, json_object_get (old));
          else
            json_object_object_add (out, name, restore_json (console, item, old, FALSE));
        }
      return out;
    case json_type_array:
      out = json_object_new_array ();
      for (size_t i = 0; i < json_object_array_length (sent); i++)
        json_object_array_add (out, restore_json (console, json_object_array_get_idx (sent, i),
                                                  json_object_array_get_idx (stored, i), FALSE));
      return out;
    default:
      return json_object_get (sent);
    }
}

/* e's keys with what came back masked replaced by what previous holds. */
static void
restore_masked (ph_console *console, edit *e, GKeyFile *previous, const char *group,
                ph_registry *registry)
{
  json_object *restored = json_object_new_object ();

  json_object_object_foreach (e->keys, key, value)
    {
      g_autofree char *stored = previous != NULL && group != NULL
                                    ? ph_hook_file_value (previous, group, key, registry)
                                    : NULL;
      const printhook_config_key *spec = ph_hook_key_spec (registry, key);
      g_autofree char *shown = NULL;

      if (stored == NULL || !json_object_is_type (value, json_type_string))
        {
          json_object_object_add (restored, key, json_object_get (value));
          continue;
        }
      if (spec != NULL && spec->type == PRINTHOOK_KEY_JSON)
        {
          g_autoptr (json_object) sent = ph_json_parse (json_object_get_string (value), -1, NULL);
          g_autoptr (json_object) old = ph_json_parse (stored, -1, NULL);

          if (sent != NULL && old != NULL)
            {
              g_autoptr (json_object) back = restore_json (console, sent, old,
                                                           strcmp (key, "headers") == 0);

              json_object_object_add (restored, key, json_object_new_string (
                  json_object_to_json_string_ext (back, JSON_C_TO_STRING_PLAIN
                                                            | JSON_C_TO_STRING_NOSLASHESCAPE)));
              continue;
            }
        }
      shown = ph_console_mask (console, stored);
      if (strcmp (shown, stored) != 0 && strcmp (json_object_get_string (value), shown) == 0)
        json_object_object_add (restored, key, json_object_new_string (stored));
      else
        json_object_object_add (restored, key, json_object_get (value));
    }
  json_object_put (e->keys);
  e->keys = restored;
}

static char **
string_list (json_object *array)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (size_t i = 0; array != NULL && i < json_object_array_length (array); i++)
    {
      json_object *item = json_object_array_get_idx (array, i);

      if (json_object_is_type (item, json_type_string))
        g_strv_builder_add (builder, json_object_get_string (item));
    }
  return g_strv_builder_end (builder);
}

/* The edit body (transfer none) asks for, of hook name (NULL: the body's
 * "name"), or an answer 400 and NULL. */
static edit *
read_edit (ph_console *console, SoupServerMessage *msg, json_object *body, const char *name)
{
  g_autoptr (edit) e = g_new0 (edit, 1);
  json_object *value;

  value = ph_console_member (body, "name");
  e->name = g_strdup (name != NULL ? name
                      : json_object_is_type (value, json_type_string) ? json_object_get_string (value)
                                                                       : NULL);
  if (!name_is_valid (e->name))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "a hook needs a name of letters, digits, '-', '_' and '.'");
      return NULL;
    }
  value = ph_console_member (body, "keys");
  if (!json_object_is_type (value, json_type_object))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "\"keys\" must be an object of the hook's keys: "
                             "{\"url\": \"https://...\", \"events\": \"PrintDone\"}");
      return NULL;
    }
  e->keys = json_object_get (value);
  e->unset = string_list (json_object_is_type (ph_console_member (body, "unset"), json_type_array)
                              ? ph_console_member (body, "unset") : NULL);
  value = ph_console_member (body, "rename_from");
  if (json_object_is_type (value, json_type_string))
    {
      e->rename_from = g_strdup (json_object_get_string (value));
      if (!name_is_valid (e->rename_from))
        {
          ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                                 "\"rename_from\" is not a hook name");
          return NULL;
        }
      if (strcmp (e->rename_from, e->name) == 0)
        g_clear_pointer (&e->rename_from, g_free);
    }
  value = ph_console_member (body, "secrets_from");
  if (json_object_is_type (value, json_type_string))
    e->secrets_from = g_strdup (json_object_get_string (value));
  value = ph_console_member (body, "version");
  if (json_object_is_type (value, json_type_string))
    e->version = g_strdup (json_object_get_string (value));
  return g_steal_pointer (&e);
}

/* What an edit becomes: the files it writes and removes, checked. */
typedef struct {
  char *path;                 /* hooks_dir/NAME.conf */
  char *text;                 /* its new text */
  char *old_text;             /* its text before, NULL: it did not exist */
  char *removed_path;         /* a rename's old file, or NULL */
  char *removed_text;
  ph_config *config;          /* the configuration with the edit, NULL when it has errors */
  ph_diag *diag;
} plan;

static void
plan_free (plan *p)
{
  g_free (p->path);
  g_free (p->text);
  g_free (p->old_text);
  g_free (p->removed_path);
  g_free (p->removed_text);
  ph_config_free (p->config);
  if (p->diag != NULL)
    ph_diag_free (p->diag);
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (plan, plan_free)

/* The file and group whose secrets an empty field keeps: secrets_from's
 * hook (anywhere, /etc too: "copy to an editable hook"), else the hook
 * renamed, else the file itself.  *group: transfer full. */
static GKeyFile *
secrets_source (ph_console *console, const edit *e, const plan *p, char **group)
{
  g_autofree char *text = NULL;
  GKeyFile *keyfile;
  const char *name = e->rename_from != NULL ? e->rename_from : e->name;

  if (e->secrets_from != NULL)
    {
      const ph_hook *from = ph_config_find_hook (console->gen->config, e->secrets_from);

      if (from == NULL)
        return NULL;
      text = read_text (from->file, NULL);
      name = e->secrets_from;
    }
  else
    text = g_strdup (e->rename_from != NULL ? p->removed_text : p->old_text);
  keyfile = parse_keyfile (text);
  *group = hook_group (keyfile, name);
  return keyfile;
}

/* Makes the edit's plan and checks it with the loader; answers the
 * request's own faults (403, 404, 409, 400) itself and returns NULL. */
static plan *
make_plan (ph_console *console, SoupServerMessage *msg, edit *e, gboolean check_version)
{
  g_autoptr (plan) p = g_new0 (plan, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) overlay = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GKeyFile) previous = NULL;
  g_autofree char *previous_group = NULL;
  g_autofree char *current = NULL;
  ph_registry *registry = console->gen->config->registry;

  if (hooks_dir (console) == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_FORBIDDEN,
                             "editing hooks in the console is off: set hooks_dir in [console] "
                             "of %s (the shipped file has /var/lib/printhook/hooks.d)",
                             console->gen->config->path);
      return NULL;
    }
  p->path = editable_path (console, e->name);
  p->old_text = read_text (p->path, &error);
  if (error == NULL && e->rename_from != NULL)
    {
      p->removed_path = editable_path (console, e->rename_from);
      p->removed_text = read_text (p->removed_path, &error);
    }
  if (error != NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s",
                             error->message);
      return NULL;
    }
  if (e->rename_from != NULL && p->removed_text == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND,
                             "there is no editable hook %s to rename", e->rename_from);
      return NULL;
    }
  if (e->rename_from != NULL && p->old_text != NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                             "cannot rename %s to %s: %s exists already", e->rename_from,
                             e->name, p->path);
      return NULL;
    }
  if (e->secrets_from != NULL && ph_config_find_hook (console->gen->config, e->secrets_from) == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND,
                             "there is no hook %s to keep the secrets of", e->secrets_from);
      return NULL;
    }
  if (check_version)
    {
      current = ph_hook_file_version (e->rename_from != NULL ? p->removed_text : p->old_text);
      if (e->version == NULL)
        {
          ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                                 "say which version you edited: \"version\" from GET "
                                 "/api/v1/hooks/NAME/config, or \"none\" for a new hook");
          return NULL;
        }
      if (strcmp (e->version, current) != 0)
        {
          ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                                 strcmp (current, "none") == 0
                                     ? "hook %s was removed since you opened it"
                                     : strcmp (e->version, "none") == 0
                                         ? "hook %s exists already: open it to edit it"
                                         : "hook %s was changed since you opened it: load it "
                                           "again and redo your change",
                                 e->rename_from != NULL ? e->rename_from : e->name);
          return NULL;
        }
    }
  previous = secrets_source (console, e, p, &previous_group);
  restore_masked (console, e, previous, previous_group, registry);
  p->text = ph_hook_file_text (e->name, e->keys, (const char *const *) e->unset, previous,
                               previous_group, registry, &error);
  if (p->text == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return NULL;
    }
  g_hash_table_insert (overlay, p->path, p->text);
  if (p->removed_path != NULL)
    g_hash_table_insert (overlay, p->removed_path, NULL);
  p->diag = ph_diag_new ();
  p->config = ph_config_load_overlay (console->gen->config->path, ph_host (), registry, overlay,
                                      p->diag);
  return g_steal_pointer (&p);
}

/* One problem of a check as the editor shows it: beside the key it is
 * about when it is in the edited file ("[hook NAME] KEY: text"). */
static json_object *
problem_json (ph_console *console, const ph_diag_entry *entry, const char *edited_path,
              const char *name)
{
  json_object *out = json_object_new_object ();
  g_autofree char *prefix = g_strdup_printf ("[hook %s]", name);
  const char *text = entry->text;
  g_autofree char *key = NULL;

  if (g_strcmp0 (entry->file, edited_path) == 0 && g_str_has_prefix (text, prefix))
    {
      const char *rest = text + strlen (prefix);

      if (rest[0] == ' ' && strstr (rest, ": ") != NULL)
        {
          key = g_strndup (rest + 1, strstr (rest, ": ") - rest - 1);
          text = strstr (rest, ": ") + 2;
        }
      else if (g_str_has_prefix (rest, ": "))
        text = rest + 2;
    }
  json_object_object_add (out, "level", json_object_new_string (
                                            entry->level == PH_DIAG_ERROR ? "error" : "warning"));
  json_object_object_add (out, "key", key != NULL ? json_object_new_string (key) : NULL);
  json_object_object_add (out, "message", ph_console_json_string (console, text));
  json_object_object_add (out, "file", entry->file != NULL ? json_object_new_string (entry->file)
                                                           : NULL);
  json_object_object_add (out, "line", json_object_new_int64 (entry->line));
  return out;
}

static json_object *
problems_json (ph_console *console, const ph_diag *diag, const char *edited_path,
               const char *name)
{
  json_object *out = json_object_new_array ();

  for (guint i = 0; diag != NULL && i < diag->entries->len; i++)
    json_object_array_add (out, problem_json (console, g_ptr_array_index (diag->entries, i),
                                              edited_path, name));
  return out;
}

static void
send_problems (ph_console *console, SoupServerMessage *msg, const char *error,
               const ph_diag *diag, const char *edited_path, const char *name)
{
  json_object *body = json_object_new_object ();

  json_object_object_add (body, "error", json_object_new_string (error));
  json_object_object_add (body, "problems", problems_json (console, diag, edited_path, name));
  ph_console_send_json (console, msg, 422, body);
}

static void
get_config (ph_console *console, SoupServerMessage *msg, const char *name)
{
  const ph_hook *hook = ph_console_find_hook (console, msg, name);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *group = NULL;
  g_autofree char *why = NULL;
  g_autoptr (GKeyFile) keyfile = NULL;
  json_object *secrets = NULL;
  json_object *keys;
  json_object *shown;
  json_object *body;
  ph_registry *registry = console->gen->config->registry;

  if (hook == NULL)
    return;
  text = read_text (hook->file, &error);
  keyfile = parse_keyfile (text);
  group = hook_group (keyfile, hook->name);
  if (group == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                             "%s no longer holds hook %s as it runs: reload, then open it again",
                             hook->file, hook->name);
      return;
    }
  why = why_read_only (console, hook);
  keys = ph_hook_file_keys (keyfile, group, registry, &secrets);
  shown = json_object_new_object ();
  json_object_object_foreach (keys, key, value)
    {
      g_autofree char *masked = shown_value (console, key, json_object_get_string (value),
                                             registry);
      json_object_object_add (shown, key, json_object_new_string (masked));
    }
  json_object_put (keys);
  body = json_object_new_object ();
  json_object_object_add (body, "name", json_object_new_string (hook->name));
  json_object_object_add (body, "file", json_object_new_string (hook->file));
  json_object_object_add (body, "line", json_object_new_int64 (hook->line));
  json_object_object_add (body, "editable", json_object_new_boolean (why == NULL));
  json_object_object_add (body, "read_only_because", why != NULL ? json_object_new_string (why)
                                                                 : NULL);
  {
    g_autofree char *version = why == NULL ? ph_hook_file_version (text) : NULL;

    json_object_object_add (body, "version", version != NULL ? json_object_new_string (version)
                                                             : NULL);
  }
  json_object_object_add (body, "keys", shown);
  json_object_object_add (body, "secrets_set", secrets);
  /* The answer is masked once more as a whole; masking twice changes
   * nothing. */
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

/* Puts the files of p back as they were and reloads (best effort: the
 * files were valid before). */
static void
restore_files (ph_console *console, const plan *p)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_diag) diag = ph_diag_new ();

  if (p->old_text != NULL ? !ph_hook_file_write (p->path, p->old_text, &error)
                          : !ph_hook_file_remove (p->path, &error))
    g_warning ("console: cannot put %s back: %s", p->path, error->message);
  g_clear_error (&error);
  if (p->removed_path != NULL && !ph_hook_file_write (p->removed_path, p->removed_text, &error))
    g_warning ("console: cannot put %s back: %s", p->removed_path, error->message);
  console->daemon.reload (console->daemon.daemon, diag);
}

/* Writes p's files, then reloads; answers the client either way. */
static void
apply_plan (ph_console *console, SoupServerMessage *msg, const plan *p, const char *name,
            const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_diag) diag = ph_diag_new ();
  const char *fault = g_getenv (FAULT_ENV);
  gboolean written;
  json_object *body;

  /* The package makes it; a hand-made configuration may not have. */
  if (g_mkdir_with_parents (hooks_dir (console), 0750) != 0)
    g_debug ("console: cannot make %s: %s", hooks_dir (console), g_strerror (errno));
  written = p->text != NULL ? ph_hook_file_write (p->path, p->text, &error)
                            : ph_hook_file_remove (p->path, &error);

  if (written && p->removed_path != NULL)
    written = ph_hook_file_remove (p->removed_path, &error);
  if (!written)
    {
      g_warning ("console: %s of hook %s failed: %s", what, name, error->message);
      restore_files (console, p);
      ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                             "nothing was changed: %s", error->message);
      return;
    }
  if (g_strcmp0 (fault, "exit-after-write") == 0)
    raise (SIGKILL);
  if (g_strcmp0 (fault, "spoil-after-write") == 0 && p->text != NULL)
    {
      g_autofree char *spoiled = g_strconcat (p->text, "\n[hook", NULL);

      g_file_set_contents (p->path, spoiled, -1, NULL);
    }
  if (!console->daemon.reload (console->daemon.daemon, diag))
    {
      g_warning ("console: %s of hook %s did not load; the previous files are back", what, name);
      restore_files (console, p);
      send_problems (console, msg, "the edited configuration did not load; nothing was changed",
                     diag, p->path, name);
      return;
    }
  g_info ("console: %s hook %s (%s)", what, name, p->path);
  body = json_object_new_object ();
  json_object_object_add (body, "name", json_object_new_string (name));
  json_object_object_add (body, p->text != NULL ? "saved" : "deleted",
                          json_object_new_boolean (TRUE));
  json_object_object_add (body, "file", json_object_new_string (p->path));
  {
    g_autofree char *version = ph_hook_file_version (p->text);

    json_object_object_add (body, "version", json_object_new_string (version));
  }
  json_object_object_add (body, "problems", problems_json (console, diag, p->path, name));
  ph_console_send_json (console, msg, p->text != NULL && p->old_text == NULL
                                          ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, body);
}

static void
put_config (ph_console *console, SoupServerMessage *msg, const char *name)
{
  g_autoptr (json_object) body = ph_console_read_json (console, msg);
  g_autoptr (edit) e = NULL;
  g_autoptr (plan) p = NULL;

  if (body == NULL || (e = read_edit (console, msg, body, name)) == NULL
      || (p = make_plan (console, msg, e, TRUE)) == NULL)
    return;
  if (p->config == NULL)
    {
      send_problems (console, msg, "the hook has errors; nothing was written", p->diag, p->path,
                     e->name);
      return;
    }
  /* The check's configuration goes before the reload makes its own. */
  g_clear_pointer (&p->config, ph_config_free);
  apply_plan (console, msg, p, e->name, e->rename_from != NULL ? "renamed" : "saved");
}

static void
delete_config (ph_console *console, SoupServerMessage *msg, const char *name, GHashTable *query)
{
  g_autoptr (plan) p = g_new0 (plan, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) overlay = g_hash_table_new (g_str_hash, g_str_equal);
  const ph_hook *hook = ph_config_find_hook (console->gen->config, name);
  const char *version = query != NULL ? g_hash_table_lookup (query, "version") : NULL;
  g_autofree char *current = NULL;
  g_autofree char *why = NULL;

  if (!name_is_valid (name))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND, "no hook %s", name);
      return;
    }
  why = hook != NULL ? why_read_only (console, hook) : NULL;
  if (hooks_dir (console) == NULL || why != NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_FORBIDDEN, "hook %s cannot be deleted "
                             "here: %s", name, why != NULL ? why : "[console] hooks_dir is not set");
      return;
    }
  p->path = editable_path (console, name);
  p->old_text = read_text (p->path, &error);
  if (p->old_text == NULL)
    {
      ph_console_send_error (console, msg, error != NULL ? SOUP_STATUS_INTERNAL_SERVER_ERROR
                                                         : SOUP_STATUS_NOT_FOUND,
                             "no editable hook %s%s%s", name, error != NULL ? ": " : "",
                             error != NULL ? error->message : "");
      return;
    }
  current = ph_hook_file_version (p->old_text);
  if (version == NULL || strcmp (version, current) != 0)
    {
      ph_console_send_error (console, msg, version == NULL ? SOUP_STATUS_BAD_REQUEST
                                                           : SOUP_STATUS_CONFLICT,
                             version == NULL ? "say which version you delete: ?version= from "
                                               "GET /api/v1/hooks/%s/config"
                                             : "hook %s was changed since you opened it",
                             name);
      return;
    }
  g_hash_table_insert (overlay, p->path, NULL);
  p->diag = ph_diag_new ();
  p->config = ph_config_load_overlay (console->gen->config->path, ph_host (),
                                      console->gen->config->registry, overlay, p->diag);
  if (p->config == NULL)
    {
      send_problems (console, msg, "the configuration would have errors without it; nothing "
                     "was removed", p->diag, p->path, name);
      return;
    }
  g_clear_pointer (&p->config, ph_config_free);
  apply_plan (console, msg, p, name, "deleted");
}

/* POST hooks/validate: the check without the write; with "event", the
 * request that event would make; with "send": true, one real attempt of
 * it (answered as hooks/NAME/test is). */
static void
post_validate (ph_console *console, SoupServerMessage *msg)
{
  g_autoptr (json_object) request = NULL;
  g_autoptr (edit) e = NULL;
  g_autoptr (plan) p = NULL;
  const char *event = NULL;
  gboolean send = FALSE;
  json_object *body;
  const ph_hook *hook;

  request = ph_console_read_json (console, msg);
  if (request == NULL || (e = read_edit (console, msg, request, NULL)) == NULL)
    return;
  if (json_object_is_type (ph_console_member (request, "event"), json_type_string))
    event = json_object_get_string (ph_console_member (request, "event"));
  send = json_object_get_boolean (ph_console_member (request, "send"));
  if (event != NULL && !ph_event_name_is_valid (event))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "'%s' is not an event name: letters, digits and '_' only", event);
      return;
    }
  if ((p = make_plan (console, msg, e, FALSE)) == NULL)
    return;
  hook = p->config != NULL ? ph_config_find_hook (p->config, e->name) : NULL;
  if (send && hook != NULL)
    {
      ph_generation *gen = ph_generation_new (g_steal_pointer (&p->config));
      const char *name = event != NULL && ph_event_builtin (event) != NULL ? ph_event_builtin (event)
                         : event != NULL ? event : "PrintDone";

      ph_console_test_hook (console, msg, gen, hook, name, NULL);
      ph_generation_unref (gen);
      return;
    }
  body = json_object_new_object ();
  json_object_object_add (body, "name", json_object_new_string (e->name));
  json_object_object_add (body, "valid", json_object_new_boolean (hook != NULL));
  json_object_object_add (body, "problems", problems_json (console, p->diag, p->path, e->name));
  if (hook != NULL && event != NULL)
    {
      const char *name = ph_event_builtin (event) != NULL ? ph_event_builtin (event) : event;
      g_autoptr (printhook_delivery) d = ph_sample_delivery_new (
          hook, name, NULL, strcmp (name, "PrintProgress") == 0 ? 50 : 0);
      json_object *preview = ph_console_request_json (console, d);

      json_object_object_add (preview, "event", json_object_new_string (name));
      json_object_object_add (body, "preview", preview);
    }
  ph_console_send_json (console, msg, send && hook == NULL ? 422 : SOUP_STATUS_OK, body);
}

gboolean
ph_console_hook_edit_route (ph_console *console, SoupServerMessage *msg, char **parts,
                            GHashTable *query)
{
  if (strcmp (parts[0], "validate") == 0 && parts[1] == NULL)
    {
      if (ph_console_method_is (msg, "POST"))
        post_validate (console, msg);
      else
        ph_console_not_allowed (console, msg, "POST");
      return TRUE;
    }
  if (parts[1] == NULL || strcmp (parts[1], "config") != 0 || parts[2] != NULL)
    return FALSE;
  if (ph_console_method_is (msg, "GET") || ph_console_method_is (msg, "HEAD"))
    get_config (console, msg, parts[0]);
  else if (ph_console_method_is (msg, "PUT"))
    put_config (console, msg, parts[0]);
  else if (ph_console_method_is (msg, "DELETE"))
    delete_config (console, msg, parts[0], query);
  else
    ph_console_not_allowed (console, msg, "GET, PUT, DELETE");
  return TRUE;
}
