#include "autoconfig.h"

#include <string.h>
#include <sys/stat.h>

#include "config_keys.h"
#include "config_private.h"
#include "redact.h"
#include "event/events.h"
#include "text/suggest.h"

static void
config_file_free (ph_config_file *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_free (file->dir);
  if (file->keyfile != NULL)
    g_key_file_unref (file->keyfile);
  ph_ini_map_free (file->map);
  g_free (file);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_config_file, config_file_free)

static void
default_entry_free (gpointer data)
{
  ph_default_entry *entry = data;

  g_free (entry->key);
  g_free (entry);
}

void
ph_config_report (ph_config_loader *loader, ph_diag_level level, ph_config_file *file,
                  const char *group, const char *key, const char *format, ...)
{
  g_autofree char *written = NULL;
  g_autofree char *text = NULL;
  guint line = 0;
  va_list args;

  va_start (args, format);
  written = g_strdup_vprintf (format, args);
  va_end (args);
  /* A message may quote a URL the user wrote, password and all; through
   * systemctl reload it reaches the journal. */
  text = ph_redact_urls (written);
  if (group != NULL && key != NULL)
    line = ph_ini_key_line (file->map, group, key);
  else if (group != NULL)
    line = ph_ini_group_line (file->map, group);
  if (group != NULL && key != NULL)
    ph_diag_add (loader->diag, level, file->path, line, "[%s] %s: %s", group, key, text);
  else if (group != NULL)
    ph_diag_add (loader->diag, level, file->path, line, "[%s]: %s", group, text);
  else
    ph_diag_add (loader->diag, level, file->path, line, "%s", text);
}

static void
warn_if_world_readable (ph_config_loader *loader, ph_config_file *file, const char *group,
                        const char *key)
{
  struct stat st;

  if (file->warned_world_readable || stat (file->path, &st) != 0 || !(st.st_mode & S_IROTH))
    return;
  file->warned_world_readable = TRUE;
  ph_config_report (loader, PH_DIAG_WARNING, file, group, key,
                    "this file holds a secret but every user can read it "
                    "(chmod o-r %s)", file->path);
}

ph_value *
ph_config_read_value (ph_config_loader *loader, ph_config_file *file, const char *group,
                      const char *key, const printhook_config_key *spec)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  ph_value *value;

  /* JSON keeps its own escapes (\" and \u00e9) for the JSON parser; other
   * values get GKeyFile's (\n, \t, \s, \\). */
  if (spec->type == PRINTHOOK_KEY_JSON)
    text = g_key_file_get_value (file->keyfile, group, key, &error);
  else
    text = g_key_file_get_string (file->keyfile, group, key, &error);
  if (text == NULL)
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, key, "%s", error->message);
      return NULL;
    }
  value = ph_value_parse (spec, text, file->dir, &error);
  if (value == NULL)
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, key, "%s", error->message);
      return NULL;
    }
  if (spec->secret && *text != '\0')
    warn_if_world_readable (loader, file, group, key);
  return value;
}

static ph_config_file *
open_file (ph_config_loader *loader, const char *path)
{
  g_autoptr (ph_config_file) file = g_new0 (ph_config_file, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  const GPtrArray *problems;

  file->path = g_strdup (path);
  file->dir = g_path_get_dirname (path);
  if (loader->overlay != NULL && g_hash_table_contains (loader->overlay, path))
    {
      text = g_strdup (g_hash_table_lookup (loader->overlay, path));
      length = strlen (text);
    }
  else if (!g_file_get_contents (path, &text, &length, &error))
    {
      ph_diag_add (loader->diag, PH_DIAG_ERROR, path, 0, "cannot read: %s", error->message);
      return NULL;
    }
  if (!g_utf8_validate_len (text, length, NULL))
    {
      ph_diag_add (loader->diag, PH_DIAG_ERROR, path, 0, "not UTF-8 text");
      return NULL;
    }
  file->map = ph_ini_scan (text);
  problems = ph_ini_problems (file->map);
  for (guint i = 0; i < problems->len; i++)
    {
      const ph_ini_problem *p = g_ptr_array_index (problems, i);
      ph_diag_add (loader->diag, PH_DIAG_ERROR, path, p->line, "%s", p->message);
    }
  if (problems->len > 0)
    return NULL;
  file->keyfile = g_key_file_new ();
  if (!g_key_file_load_from_data (file->keyfile, text, length, G_KEY_FILE_NONE, &error))
    {
      ph_diag_add (loader->diag, PH_DIAG_ERROR, path, 0, "%s", error->message);
      return NULL;
    }
  return g_steal_pointer (&file);
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
is_hook_file_name (const char *name)
{
  return g_str_has_suffix (name, ".conf") && name[0] != '.';
}

/* The *.conf files of dir, sorted by name, as the overlay has them (its
 * files of dir added, its NULL ones left out), appended to paths; a
 * missing directory is fine. */
static void
list_hook_dir (GPtrArray *paths, const char *dir_name, GHashTable *overlay)
{
  g_autoptr (GDir) dir = g_dir_open (dir_name, 0, NULL);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_hook_file_name (name))
      {
        char *path = g_build_filename (dir_name, name, NULL);

        if (overlay != NULL && g_hash_table_contains (overlay, path)
            && g_hash_table_lookup (overlay, path) == NULL)
          g_free (path);
        else
          g_ptr_array_add (found, path);
      }
  if (overlay != NULL)
    {
      GHashTableIter iter;
      const char *path;
      const char *text;

      g_hash_table_iter_init (&iter, overlay);
      while (g_hash_table_iter_next (&iter, (gpointer *) &path, (gpointer *) &text))
        {
          g_autofree char *parent = g_path_get_dirname (path);
          g_autofree char *base = g_path_get_basename (path);

          if (text != NULL && strcmp (parent, dir_name) == 0 && is_hook_file_name (base)
              && !g_ptr_array_find_with_equal_func (found, path, g_str_equal, NULL))
            g_ptr_array_add (found, g_strdup (path));
        }
    }
  g_ptr_array_sort (found, compare_strings);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (paths, g_strdup (g_ptr_array_index (found, i)));
}

/* Whether two paths name one directory (both may be missing). */
static gboolean
same_directory (const char *a, const char *b)
{
  struct stat sa, sb;

  if (strcmp (a, b) == 0)
    return TRUE;
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev
         && sa.st_ino == sb.st_ino;
}

/* hooks.d/ beside the main file, then [console] hooks_dir: the files the
 * console writes come after the administrator's. */
static GPtrArray *
list_hook_files (const char *main_path, const char *console_dir, GHashTable *overlay)
{
  g_autofree char *dir_name = g_path_get_dirname (main_path);
  g_autofree char *hooks_dir = g_build_filename (dir_name, "hooks.d", NULL);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  list_hook_dir (paths, hooks_dir, overlay);
  if (console_dir != NULL && !same_directory (console_dir, hooks_dir))
    list_hook_dir (paths, console_dir, overlay);
  return paths;
}

static char *
daemon_string (ph_config_loader *loader, const char *key)
{
  const printhook_config_key *spec = ph_find_key (ph_daemon_keys (), key);
  ph_config_file *file = loader->main_file;
  g_autoptr (ph_value) value = NULL;

  if (g_key_file_has_key (file->keyfile, PH_DAEMON_GROUP, key, NULL))
    value = ph_config_read_value (loader, file, PH_DAEMON_GROUP, key, spec);
  if (value != NULL)
    return g_strdup (value->text);
  return g_strdup (spec->default_value);
}

static guint
daemon_uint (ph_config_loader *loader, const char *key)
{
  const printhook_config_key *spec = ph_find_key (ph_daemon_keys (), key);
  ph_config_file *file = loader->main_file;
  g_autoptr (ph_value) value = NULL;

  if (g_key_file_has_key (file->keyfile, PH_DAEMON_GROUP, key, NULL))
    value = ph_config_read_value (loader, file, PH_DAEMON_GROUP, key, spec);
  if (value != NULL)
    return (guint) value->integer;
  return (guint) g_ascii_strtoull (spec->default_value, NULL, 10);
}

static void
collect_key_names (GPtrArray *names, const printhook_config_key *table)
{
  for (const printhook_config_key *k = table; k->name != NULL; k++)
    g_ptr_array_add (names, (gpointer) k->name);
}

/* [printhook]: the daemon's keys, and defaults for every hook.  Module keys
 * are checked once the registry exists (check_module_defaults). */
static void
read_daemon_group (ph_config_loader *loader, ph_config *config)
{
  ph_config_file *file = loader->main_file;
  g_auto (GStrv) keys = NULL;

  config->module_dir = NULL;
  if (!g_key_file_has_group (file->keyfile, PH_DAEMON_GROUP))
    {
      config->spool = g_strdup (ph_find_key (ph_daemon_keys (), "spool")->default_value);
      config->control_socket = g_strdup (ph_find_key (ph_daemon_keys (), "control_socket")->default_value);
      config->spool_max_deliveries = daemon_uint (loader, "spool.max_deliveries");
      return;
    }
  keys = g_key_file_get_keys (file->keyfile, PH_DAEMON_GROUP, NULL, NULL);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *key = keys[i];
      const printhook_config_key *hook_spec = ph_find_key (ph_hook_keys (), key);

      if (ph_find_key (ph_daemon_keys (), key) != NULL)
        continue;
      if ((hook_spec != NULL && !ph_hook_key_is_per_hook_only (key))
          || g_str_has_prefix (key, "message.") || strchr (key, '.') != NULL)
        {
          ph_default_entry *entry = g_new0 (ph_default_entry, 1);

          entry->file = file;
          entry->key = g_strdup (key);
          g_hash_table_insert (loader->defaults, g_strdup (key), entry);
          if (hook_spec != NULL)
            {
              /* Parse it once here so that its errors are reported once. */
              ph_value_free (ph_config_read_value (loader, file, PH_DAEMON_GROUP, key, hook_spec));
            }
          continue;
        }
      if (hook_spec != NULL)
        {
          ph_config_report (loader, PH_DIAG_ERROR, file, PH_DAEMON_GROUP, key,
                            "can only be set in a [hook NAME] group");
          continue;
        }
      {
        g_autoptr (GPtrArray) names = g_ptr_array_new ();
        const char *hint;

        collect_key_names (names, ph_daemon_keys ());
        collect_key_names (names, ph_hook_keys ());
        g_ptr_array_add (names, NULL);
        hint = ph_suggest (key, (const char *const *) names->pdata);
        ph_config_report (loader, PH_DIAG_ERROR, file, PH_DAEMON_GROUP, key,
                          "unknown key%s%s%s", hint ? "; did you mean '" : "", hint ? hint : "",
                          hint ? "'?" : "");
      }
    }
  config->module_dir = g_key_file_has_key (file->keyfile, PH_DAEMON_GROUP, "module_dir", NULL)
                           ? daemon_string (loader, "module_dir") : NULL;
  config->spool = daemon_string (loader, "spool");
  config->spool_max_deliveries = daemon_uint (loader, "spool.max_deliveries");
  config->control_socket = daemon_string (loader, "control_socket");
}

/* Module keys given as defaults in [printhook]: the module must exist and
 * declare the key, and the value must parse, even if no hook uses it yet. */
static void
check_module_defaults (ph_config_loader *loader)
{
  GHashTableIter iter;
  ph_default_entry *entry;

  g_hash_table_iter_init (&iter, loader->defaults);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      const char *dot = strchr (entry->key, '.');
      g_autofree char *prefix = NULL;
      g_autoptr (GError) error = NULL;
      const ph_module *module;
      const printhook_config_key *spec;

      if (dot == NULL || g_str_has_prefix (entry->key, "message.")
          || ph_find_key (ph_hook_keys (), entry->key) != NULL)
        continue;
      prefix = g_strndup (entry->key, dot - entry->key);
      module = ph_registry_load (loader->registry, prefix, &error);
      if (module == NULL)
        {
          ph_config_report (loader, PH_DIAG_ERROR, entry->file, PH_DAEMON_GROUP, entry->key,
                            "unknown key: %s", error->message);
          continue;
        }
      spec = ph_find_key (module->desc->keys, dot + 1);
      if (spec == NULL)
        {
          ph_config_report (loader, PH_DIAG_ERROR, entry->file, PH_DAEMON_GROUP, entry->key,
                            "module '%s' has no key '%s' (see printhook modules)", prefix, dot + 1);
          continue;
        }
      /* Parsed for its reports only: hooks read the value themselves. */
      ph_value_free (ph_config_read_value (loader, entry->file, PH_DAEMON_GROUP, entry->key, spec));
    }
}

static gboolean
hook_name_is_valid (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* The NAME of a [KIND NAME] group (kind: "hook" or "source"), once it is
 * valid and no other group of that kind has it (names: name -> path of
 * the file that defined it, for the report).  Transfer full, or NULL after
 * reporting why not. */
static char *
claim_group_name (ph_config_loader *loader, ph_config_file *file, const char *group,
                  const char *kind, GHashTable *names)
{
  g_autofree char *name = g_strstrip (g_strdup (group + strlen (kind)));
  const char *other;

  if (!hook_name_is_valid (name))
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                        "a %s needs a name of letters, digits, '-', '_' and '.': [%s %s]",
                        kind, kind, strcmp (kind, "hook") == 0 ? "my-hook" : "octoprint");
      return NULL;
    }
  other = g_hash_table_lookup (names, name);
  if (other != NULL)
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                        "%s '%s' is already defined in %s; %s names must be unique", kind, name,
                        other, kind);
      return NULL;
    }
  g_hash_table_insert (names, g_strdup (name), g_strdup (file->path));
  return g_steal_pointer (&name);
}

static void
read_hook_groups (ph_config_loader *loader, ph_config *config, ph_config_file *file,
                  GHashTable *hook_files, GHashTable *source_files)
{
  g_auto (GStrv) groups = g_key_file_get_groups (file->keyfile, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *group = groups[i];
      ph_hook *hook;

      if (strcmp (group, PH_DAEMON_GROUP) == 0)
        {
          if (file != loader->main_file)
            ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                              "[printhook] belongs in %s, not in hooks.d", loader->main_file->path);
          continue;
        }
      if (strcmp (group, "console") == 0)
        {
          if (file != loader->main_file)
            ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                              "[console] belongs in %s, not in hooks.d", loader->main_file->path);
          continue;
        }
      if (g_str_has_prefix (group, "source ") || strcmp (group, "source") == 0)
        {
          g_autofree char *name = claim_group_name (loader, file, group, "source", source_files);
          ph_source_config *source;

          if (name != NULL && (source = ph_config_build_source (loader, file, group, name)) != NULL)
            g_ptr_array_add (config->sources, source);
          continue;
        }
      if (!g_str_has_prefix (group, "hook ") && strcmp (group, "hook") != 0)
        {
          const char *hint = NULL;
          static const char *const known[] = { "printhook", "hook", "source", "console", NULL };
          g_autofree char *first_word = g_strndup (group, strcspn (group, " "));

          hint = ph_suggest (first_word, known);
          ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                            "unknown group; groups are [printhook], [console], [source NAME] "
                            "and [hook NAME]%s%s%s",
                            hint ? " (did you mean [" : "", hint ? hint : "",
                            hint ? (strcmp (hint, "printhook") == 0 || strcmp (hint, "console") == 0
                                        ? "]?)" : " NAME]?)") : "");
          continue;
        }
      {
        g_autofree char *name = claim_group_name (loader, file, group, "hook", hook_files);

        if (name != NULL && (hook = ph_config_build_hook (loader, file, group, name)) != NULL)
          g_ptr_array_add (config->hooks, hook);
      }
    }
}

/* A hook wanting @snapshot without snapshot.url gets the source's webcam;
 * a Bambu Lab printer set as camera = rtsp (X1, P2S, H2) or none has none
 * printhook can use, so say what to set.  (With camera = auto the source
 * finds out from the printer's reports, and a delivery's log says it.) */
static void
warn_bambu_snapshots (ph_config *config, ph_diag *diag)
{
  const ph_source_config *bambu = NULL;

  for (guint i = 0; i < config->sources->len && bambu == NULL; i++)
    {
      const ph_source_config *source = g_ptr_array_index (config->sources, i);

      if (source->type == PH_SOURCE_BAMBU && source->enabled
          && (source->camera == PH_BAMBU_CAMERA_RTSP || source->camera == PH_BAMBU_CAMERA_NONE))
        bambu = source;
    }
  for (guint i = 0; bambu != NULL && i < config->hooks->len; i++)
    {
      const ph_hook *hook = g_ptr_array_index (config->hooks, i);

      if (hook->enabled && hook->snapshot_field != NULL
          && ph_hook_config_get (hook->config, "snapshot.url") == NULL)
        ph_diag_add (diag, PH_DIAG_WARNING, hook->file, hook->line,
                     "[hook %s] data: @snapshot of a Bambu Lab printer's event (source %s) is "
                     "sent empty: %s; set snapshot.url, for example to a go2rtc bridge's "
                     "frame.jpeg", hook->name, bambu->name,
                     bambu->camera == PH_BAMBU_CAMERA_RTSP
                         ? "its camera = rtsp (X1, P2S, H2) has no still image printhook can take"
                         : "its camera = none");
    }
}

static ph_config *
load (const char *path, const printhook_host *host, ph_registry *reuse, GHashTable *overlay,
      ph_diag *diag)
{
  g_autoptr (ph_config) config = g_new0 (ph_config, 1);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) config_file_free);
  g_autoptr (GPtrArray) hook_paths = NULL;
  g_autoptr (GHashTable) hook_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) source_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) search_path = NULL;
  ph_config_loader loader = { 0 };
  guint errors_before = ph_diag_count (diag, PH_DIAG_ERROR);
  ph_config_file *main_file;

  loader.diag = diag;
  loader.host = host;
  loader.overlay = overlay;
  loader.defaults = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, default_entry_free);
  config->path = g_strdup (path);
  config->files = g_ptr_array_new_with_free_func (g_free);
  config->hooks = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_hook_free);
  config->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_source_config_free);

  main_file = open_file (&loader, path);
  if (main_file == NULL)
    {
      g_hash_table_unref (loader.defaults);
      return NULL;
    }
  g_ptr_array_add (files, main_file);
  g_ptr_array_add (config->files, g_strdup (path));
  loader.main_file = main_file;
  read_daemon_group (&loader, config);
  ph_config_read_console (&loader, config);
  hook_paths = list_hook_files (path, config->console.hooks_dir, overlay);
  for (guint i = 0; i < hook_paths->len; i++)
    {
      ph_config_file *file = open_file (&loader, g_ptr_array_index (hook_paths, i));
      g_ptr_array_add (config->files, g_strdup (g_ptr_array_index (hook_paths, i)));
      if (file != NULL)
        g_ptr_array_add (files, file);
    }
  search_path = ph_module_search_path (config->module_dir);
  if (reuse != NULL && g_strv_equal ((const char *const *) search_path, ph_registry_dirs (reuse)))
    {
      config->registry = reuse;
      config->registry_borrowed = TRUE;
    }
  else
    config->registry = ph_registry_new ((const char *const *) search_path);
  loader.registry = config->registry;
  check_module_defaults (&loader);
  for (guint i = 0; i < files->len; i++)
    read_hook_groups (&loader, config, g_ptr_array_index (files, i), hook_files, source_files);
  warn_bambu_snapshots (config, diag);
  if (config->hooks->len == 0 && ph_diag_count (diag, PH_DIAG_ERROR) == errors_before)
    ph_diag_add (diag, PH_DIAG_WARNING, path, 0,
                 "no hooks are configured: add a [hook NAME] group here or a file in hooks.d/");

  g_hash_table_unref (loader.defaults);
  if (ph_diag_count (diag, PH_DIAG_ERROR) > errors_before)
    return NULL;
  return g_steal_pointer (&config);
}

void
ph_config_free (ph_config *config)
{
  if (config == NULL)
    return;
  /* Hooks hold module instances: free them before the registry shuts the
   * modules down. */
  if (config->hooks != NULL)
    g_ptr_array_unref (config->hooks);
  if (config->sources != NULL)
    g_ptr_array_unref (config->sources);
  if (!config->registry_borrowed)
    ph_registry_free (config->registry);
  if (config->files != NULL)
    g_ptr_array_unref (config->files);
  g_free (config->path);
  g_free (config->module_dir);
  g_free (config->spool);
  g_free (config->control_socket);
  ph_console_config_clear (&config->console);
  g_free (config);
}

ph_config *
ph_config_load (const char *path, const printhook_host *host, ph_diag *diag)
{
  return load (path, host, NULL, NULL, diag);
}

ph_config *
ph_config_reload (const char *path, const printhook_host *host, ph_registry *registry,
                  ph_diag *diag)
{
  return load (path, host, registry, NULL, diag);
}

ph_config *
ph_config_load_overlay (const char *path, const printhook_host *host, ph_registry *registry,
                        GHashTable *overlay, ph_diag *diag)
{
  return load (path, host, registry, overlay, diag);
}

void
ph_config_take_registry (ph_config *to, ph_config *from)
{
  if (!to->registry_borrowed || to->registry != from->registry || from->registry_borrowed)
    return;
  to->registry_borrowed = FALSE;
  from->registry_borrowed = TRUE;
}

const ph_source_config *
ph_config_find_source (const ph_config *config, const char *name)
{
  for (guint i = 0; i < config->sources->len; i++)
    {
      const ph_source_config *source = g_ptr_array_index (config->sources, i);
      if (strcmp (source->name, name) == 0)
        return source;
    }
  return NULL;
}

const ph_hook *
ph_config_find_hook (const ph_config *config, const char *name)
{
  for (guint i = 0; i < config->hooks->len; i++)
    {
      const ph_hook *hook = g_ptr_array_index (config->hooks, i);
      if (strcmp (hook->name, name) == 0)
        return hook;
    }
  return NULL;
}

gboolean
ph_hook_subscribes (const ph_hook *hook, const char *event)
{
  if (hook->all_events)
    return TRUE;
  for (guint i = 0; hook->events[i] != NULL; i++)
    if (g_ascii_strcasecmp (hook->events[i], event) == 0)
      return TRUE;
  return FALSE;
}

const char *
ph_hook_message_template (const ph_hook *hook, const char *event)
{
  g_autofree char *lower = g_ascii_strdown (event, -1);
  const char *message = g_hash_table_lookup (hook->messages, lower);

  return message != NULL ? message : ph_event_default_message (event);
}
