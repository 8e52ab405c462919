/* The manual pages cover what the code has: every command and option of
 * printhook(1); every configuration key (in the section of its group, with
 * its default, and said to be a secret or required when it is), every key
 * of every module "printhook modules" finds, and every built-in event with
 * its topic and message in printhook.conf(5); every proxy variable the
 * printer sources read in printhook(1)'s ENVIRONMENT; every function of the
 * module ABI (include/printhook/module.h: the host table, the module's
 * ops) and the built-in parameters in printhook-modules(7).  A key added to
 * the code without its paragraph in the page fails here, and so does a
 * paragraph left behind for a key that is gone.
 *
 * The pages' conventions (see the comment at the top of each): a key is a
 * ".TP" paragraph tagged ".B KEY"; a command is a ".SS printhook COMMAND"
 * section; a function of the module ABI is named in the tag of a ".TP"
 * paragraph, several in one tag separated by ", ". */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "config/config_keys.h"
#include "event/events.h"
#include "delivery/params.h"
#include "sources/proxy_env.h"

/* The roff source of a page, split into lines (transfer full). */
static GStrv
page_lines (const char *name)
{
  g_autofree char *path = g_build_filename (ph_test_srcdir (), "man", name, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, &error), "%s", error ? error->message : "");
  return g_strsplit (text, "\n", -1);
}

/* Macro arguments, quotes removed: ".BR \"a b\" c" gives "a b", "c". */
static GStrv
macro_args (const char *line)
{
  g_autoptr (GStrvBuilder) args = g_strv_builder_new ();
  const char *p = strchr (line, ' ');

  while (p != NULL && *p != '\0')
    {
      GString *arg = g_string_new (NULL);

      while (*p == ' ')
        p++;
      if (*p == '\0')
        {
          g_string_free (arg, TRUE);
          break;
        }
      if (*p == '"')
        {
          for (p++; *p != '\0' && *p != '"'; p++)
            g_string_append_c (arg, *p);
          if (*p == '"')
            p++;
        }
      else
        for (; *p != '\0' && *p != ' '; p++)
          g_string_append_c (arg, *p);
      g_strv_builder_add (args, arg->str);
      g_string_free (arg, TRUE);
    }
  return g_strv_builder_end (args);
}

/* A roff line as the reader sees its words: font macros joined as they
 * render (".BR a ," gives "a,"), escapes replaced, comments and other
 * requests dropped.  Transfer full. */
static char *
plain_line (const char *line)
{
  static const char *const escapes[][2] = {
    { "\\-", "-" }, { "\\(dq", "\"" }, { "\\(lq", "\"" }, { "\\(rq", "\"" }, { "\\(aq", "'" },
    { "\\(bu", "*" }, { "\\fB", "" }, { "\\fI", "" }, { "\\fR", "" }, { "\\fP", "" },
    { "\\&", "" }, { "\\e", "\\" },
  };
  g_autofree char *joined = NULL;
  GString *out;

  if (line[0] == '.' || line[0] == '\'')
    {
      g_auto (GStrv) args = NULL;
      const char *macro = line + 1;

      if (!g_str_has_prefix (macro, "B") && !g_str_has_prefix (macro, "I")
          && !g_str_has_prefix (macro, "R"))
        return g_strdup ("");
      if (g_str_has_prefix (macro, "IP") || g_str_has_prefix (macro, "in"))
        return g_strdup ("");
      args = macro_args (line);
      /* .B and .I keep their spaces; the alternating ones join. */
      joined = (macro[1] == ' ' || macro[1] == '\0') ? g_strjoinv (" ", args) : g_strjoinv ("", args);
    }
  else
    joined = g_strdup (line);

  out = g_string_new (joined);
  for (guint i = 0; i < G_N_ELEMENTS (escapes); i++)
    g_string_replace (out, escapes[i][0], escapes[i][1], 0);
  return g_string_free (out, FALSE);
}

static gboolean
is_break (const char *line)
{
  return g_str_has_prefix (line, ".TP") || g_str_has_prefix (line, ".SH")
         || g_str_has_prefix (line, ".SS") || g_str_has_prefix (line, ".PP")
         || g_str_has_prefix (line, ".IP");
}

/* The lines of the section whose heading (.SH or .SS, as given by macro)
 * renders to a text starting with title, up to the next heading of the
 * same or a higher level; NULL when there is none.  Transfer full. */
static GPtrArray *
section (const GStrv lines, const char *macro, const char *title)
{
  GPtrArray *body = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean heading = g_str_has_prefix (lines[i], ".SH") || g_str_has_prefix (lines[i], ".SS");

      if (body != NULL)
        {
          if (g_str_has_prefix (lines[i], ".SH")
              || (heading && strcmp (macro, ".SS") == 0))
            break;
          g_ptr_array_add (body, lines[i]);
          continue;
        }
      if (g_str_has_prefix (lines[i], macro))
        {
          g_auto (GStrv) args = macro_args (lines[i]);
          g_autofree char *text = g_strjoinv (" ", args);
          g_autofree char *plain = plain_line (text);

          if (g_str_has_prefix (plain, title))
            body = g_ptr_array_new ();
        }
    }
  return body;
}

/* The words of the .TP paragraph of lines tagged tag (the tag as it
 * renders), one space between words; NULL when there is none.  Transfer
 * full. */
static char *
tagged_paragraph (GPtrArray *lines, const char *tag)
{
  for (guint i = 0; i + 1 < lines->len; i++)
    {
      g_autofree char *plain_tag = NULL;
      GString *text;

      if (!g_str_has_prefix (g_ptr_array_index (lines, i), ".TP"))
        continue;
      plain_tag = plain_line (g_ptr_array_index (lines, i + 1));
      if (strcmp (plain_tag, tag) != 0)
        continue;
      text = g_string_new (NULL);
      for (guint j = i + 2; j < lines->len && !is_break (g_ptr_array_index (lines, j)); j++)
        {
          g_autofree char *plain = plain_line (g_ptr_array_index (lines, j));

          if (*plain != '\0')
            g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", plain);
        }
      return g_string_free (text, FALSE);
    }
  return NULL;
}

/* The tags of every .TP paragraph of lines (transfer full). */
static GPtrArray *
tags (GPtrArray *lines)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i + 1 < lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (lines, i), ".TP"))
      g_ptr_array_add (found, plain_line (g_ptr_array_index (lines, i + 1)));
  return found;
}

/* All of lines as the reader sees them (transfer full). */
static char *
plain_text (GPtrArray *lines)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    {
      g_autofree char *plain = plain_line (g_ptr_array_index (lines, i));

      g_string_append_printf (text, "%s ", plain);
    }
  return g_string_free (text, FALSE);
}

/* What the paragraph of one key must say: its default after the word
 * "Default", "Required" and "secret" when the code says so. */
static void
assert_key_paragraph (const char *key, const char *paragraph, const char *default_value,
                      gboolean required, gboolean secret)
{
  ck_assert_msg (paragraph != NULL, "printhook.conf(5) has no paragraph for the key %s", key);
  if (default_value != NULL && *default_value != '\0')
    {
      const char *said = g_strrstr (paragraph, "Default");

      ck_assert_msg (said != NULL && strstr (said, default_value) != NULL,
                     "printhook.conf(5): %s should say \"Default %s\"; it says: %s", key,
                     default_value, paragraph);
    }
  if (required)
    ck_assert_msg (strstr (paragraph, "Required") != NULL,
                   "printhook.conf(5): %s is required; its paragraph does not say so: %s", key, paragraph);
  if (secret)
    ck_assert_msg (strstr (paragraph, "secret") != NULL,
                   "printhook.conf(5): %s is a secret; its paragraph does not say so: %s", key, paragraph);
}

typedef struct {
  const char *heading;
  const printhook_config_key *(*keys) (void);
} key_group;

static const key_group core_groups[] = {
  { "THE [printhook] GROUP", ph_daemon_keys },
  { "THE [console] GROUP", ph_console_keys },
  { "THE [source NAME] GROUP", ph_source_keys },
  { "THE [hook NAME] GROUP", ph_hook_keys },
};

START_TEST (test_every_core_key_is_in_its_group_section)
{
  g_auto (GStrv) lines = page_lines ("printhook.conf.5");
  const key_group *group = &core_groups[_i];
  g_autoptr (GPtrArray) body = section (lines, ".SH", group->heading);

  ck_assert_msg (body != NULL, "printhook.conf(5) has no section %s", group->heading);
  for (const printhook_config_key *k = group->keys (); k->name != NULL; k++)
    {
      g_autofree char *paragraph = tagged_paragraph (body, k->name);

      assert_key_paragraph (k->name, paragraph, k->default_value, k->required, k->secret);
    }
  if (group->keys == ph_hook_keys)
    {
      g_autofree char *tag = g_strdup_printf ("%s.EVENT", ph_message_key ()->name);
      g_autofree char *paragraph = tagged_paragraph (body, tag);

      ck_assert_msg (paragraph != NULL, "printhook.conf(5) has no paragraph for %s", tag);
    }
}
END_TEST

START_TEST (test_every_documented_core_key_exists)
{
  g_auto (GStrv) lines = page_lines ("printhook.conf.5");
  const key_group *group = &core_groups[_i];
  g_autoptr (GPtrArray) body = section (lines, ".SH", group->heading);
  g_autoptr (GPtrArray) documented = NULL;
  g_autofree char *message_tag = g_strdup_printf ("%s.EVENT", ph_message_key ()->name);

  ck_assert_msg (body != NULL, "printhook.conf(5) has no section %s", group->heading);
  documented = tags (body);
  for (guint i = 0; i < documented->len; i++)
    {
      const char *tag = g_ptr_array_index (documented, i);

      if (group->keys == ph_hook_keys && strcmp (tag, message_tag) == 0)
        continue;
      ck_assert_msg (ph_find_key (group->keys (), tag) != NULL,
                     "printhook.conf(5) documents '%s' under %s, which the code does not have",
                     tag, group->heading);
    }
}
END_TEST

/* One module key as "printhook modules" lists it:
 *   "    oauth.timeout (number, default 30, 0.1 to 3600)" */
typedef struct {
  char *module;
  char *key;           /* full name: "oauth.timeout" */
  char *default_value; /* or NULL */
  gboolean required, secret;
} listed_key;

static void
listed_key_free (gpointer data)
{
  listed_key *k = data;

  g_free (k->module);
  g_free (k->key);
  g_free (k->default_value);
  g_free (k);
}

/* The modules and keys "printhook modules" lists, with the modules of the
 * build on the path (the test environment's PRINTHOOK_MODULE_PATH).
 * modules: out, the module names (transfer full). */
static GPtrArray *
listed_keys (GPtrArray **modules)
{
  const char *argv[] = { "modules", "-c", "/nonexistent/printhook.conf", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);
  g_auto (GStrv) out = g_strsplit (r->out, "\n", -1);
  g_autoptr (GRegex) module_re = g_regex_new ("^([a-z0-9-]+) \\S+ \\(module ABI", 0, 0, NULL);
  g_autoptr (GRegex) key_re = g_regex_new ("^    ([a-z0-9-]+)\\.(\\S+) \\((.*)\\)$", 0, 0, NULL);
  GPtrArray *keys = g_ptr_array_new_with_free_func (listed_key_free);

  *modules = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; out[i] != NULL; i++)
    {
      g_autoptr (GMatchInfo) m = NULL;

      if (g_regex_match (module_re, out[i], 0, &m))
        g_ptr_array_add (*modules, g_match_info_fetch (m, 1));
      g_clear_pointer (&m, g_match_info_free);
      if (g_regex_match (key_re, out[i], 0, &m))
        {
          listed_key *k = g_new0 (listed_key, 1);
          g_autofree char *key = g_match_info_fetch (m, 2);
          g_autofree char *info = g_match_info_fetch (m, 3);
          g_auto (GStrv) parts = g_strsplit (info, ", ", -1);

          k->module = g_match_info_fetch (m, 1);
          k->key = g_strdup_printf ("%s.%s", k->module, key);
          for (guint j = 0; parts[j] != NULL; j++)
            {
              if (g_str_has_prefix (parts[j], "default "))
                k->default_value = g_strdup (parts[j] + strlen ("default "));
              k->required |= strcmp (parts[j], "required") == 0;
              k->secret |= strcmp (parts[j], "secret") == 0;
            }
          g_ptr_array_add (keys, k);
        }
    }
  return keys;
}

START_TEST (test_every_module_key_is_in_printhook_conf_5)
{
  g_auto (GStrv) lines = page_lines ("printhook.conf.5");
  g_autoptr (GPtrArray) modules = NULL;
  g_autoptr (GPtrArray) keys = listed_keys (&modules);

  /* The shipped modules at least: an empty listing would prove nothing. */
  ck_assert_uint_ge (modules->len, 3);
  for (guint i = 0; i < modules->len; i++)
    {
      const char *module = g_ptr_array_index (modules, i);
      g_autoptr (GPtrArray) body = section (lines, ".SS", module);

      ck_assert_msg (body != NULL, "printhook.conf(5) has no section for the module %s", module);
    }
  for (guint i = 0; i < keys->len; i++)
    {
      const listed_key *k = g_ptr_array_index (keys, i);
      g_autoptr (GPtrArray) body = section (lines, ".SS", k->module);
      g_autofree char *paragraph = tagged_paragraph (body, k->key);

      assert_key_paragraph (k->key, paragraph, k->default_value, k->required, k->secret);
    }
}
END_TEST

START_TEST (test_every_documented_module_key_exists)
{
  g_auto (GStrv) lines = page_lines ("printhook.conf.5");
  g_autoptr (GPtrArray) modules = NULL;
  g_autoptr (GPtrArray) keys = listed_keys (&modules);

  for (guint i = 0; i < modules->len; i++)
    {
      const char *module = g_ptr_array_index (modules, i);
      g_autoptr (GPtrArray) body = section (lines, ".SS", module);
      g_autoptr (GPtrArray) documented = tags (body);

      for (guint j = 0; j < documented->len; j++)
        {
          const char *tag = g_ptr_array_index (documented, j);
          gboolean found = FALSE;

          for (guint k = 0; k < keys->len && !found; k++)
            found = strcmp (((listed_key *) g_ptr_array_index (keys, k))->key, tag) == 0;
          ck_assert_msg (found, "printhook.conf(5) documents '%s', which the module %s does not have",
                         tag, module);
        }
    }
}
END_TEST

START_TEST (test_every_builtin_event_is_in_printhook_conf_5)
{
  g_auto (GStrv) lines = page_lines ("printhook.conf.5");
  g_autoptr (GPtrArray) body = section (lines, ".SH", "EVENTS");
  const char *const *names = ph_event_builtin_names ();

  ck_assert_ptr_nonnull (body);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *paragraph = tagged_paragraph (body, names[i]);
      g_autofree char *topic = g_strdup_printf ("Topic \"%s\"", ph_event_topic (names[i]));
      g_autofree char *message = g_strdup_printf ("message \"%s\"", ph_event_default_message (names[i]));

      ck_assert_msg (paragraph != NULL, "printhook.conf(5) does not list the event %s", names[i]);
      ck_assert_msg (strstr (paragraph, topic) != NULL, "%s: expected '%s' in: %s", names[i], topic, paragraph);
      ck_assert_msg (strstr (paragraph, message) != NULL, "%s: expected '%s' in: %s", names[i], message, paragraph);
    }
}
END_TEST

START_TEST (test_every_documented_parameter_is_builtin)
{
  g_auto (GStrv) lines = page_lines ("printhook.conf.5");
  g_autoptr (GPtrArray) body = section (lines, ".SH", "PARAMETERS");
  g_autoptr (GPtrArray) documented = NULL;

  ck_assert_ptr_nonnull (body);
  documented = tags (body);
  ck_assert_uint_ge (documented->len, 10);
  for (guint i = 0; i < documented->len; i++)
    {
      const char *tag = g_ptr_array_index (documented, i);

      ck_assert_msg (tag[0] == '@' && ph_param_is_builtin (tag + 1),
                     "printhook.conf(5) lists '%s' as a parameter, which printhook does not have", tag);
    }
}
END_TEST

/* The command names of "printhook --help" (transfer full). */
static GPtrArray *
commands (void)
{
  const char *argv[] = { "--help", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);
  g_auto (GStrv) out = g_strsplit (r->out, "\n", -1);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  gboolean in_list = FALSE;

  for (guint i = 0; out[i] != NULL; i++)
    {
      if (strcmp (out[i], "Commands:") == 0)
        in_list = TRUE;
      else if (in_list && *out[i] == '\0')
        break;
      else if (in_list)
        {
          g_auto (GStrv) words = g_strsplit_set (g_strstrip (out[i]), " ", 2);
          g_ptr_array_add (names, g_strdup (words[0]));
        }
    }
  return names;
}

START_TEST (test_every_command_and_option_is_in_printhook_1)
{
  g_auto (GStrv) lines = page_lines ("printhook.1");
  g_autoptr (GPtrArray) names = commands ();
  g_autoptr (GRegex) option_re = g_regex_new ("^\\s+(-[a-zA-Z], )?--([a-z][a-z0-9-]*)", 0, 0, NULL);

  ck_assert_uint_ge (names->len, 5);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *heading = g_strdup_printf ("printhook %s", name);
      g_autoptr (GPtrArray) body = section (lines, ".SS", heading);
      g_autofree char *text = NULL;
      const char *argv[] = { name, "--help", NULL };
      g_autoptr (ph_run_result) help = ph_run_printhook (argv, NULL, 30);
      g_auto (GStrv) out = g_strsplit (help->out, "\n", -1);

      ck_assert_msg (body != NULL, "printhook(1) has no section \"%s\"", heading);
      text = plain_text (body);
      for (guint j = 0; out[j] != NULL; j++)
        {
          g_autoptr (GMatchInfo) m = NULL;
          g_autofree char *option = NULL;
          g_autofree char *written = NULL;

          if (!g_regex_match (option_re, out[j], 0, &m))
            continue;
          option = g_match_info_fetch (m, 2);
          if (g_str_has_prefix (option, "help"))
            continue;
          written = g_strdup_printf ("--%s", option);
          ck_assert_msg (strstr (text, written) != NULL,
                         "printhook(1): the section of %s does not mention %s", name, written);
        }
    }
}
END_TEST

/* A tag such as "https_proxy, HTTPS_PROXY" documents both. */
START_TEST (test_every_proxy_variable_is_in_printhook_1)
{
  g_auto (GStrv) lines = page_lines ("printhook.1");
  g_autoptr (GPtrArray) body = section (lines, ".SH", "ENVIRONMENT");
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  ck_assert_msg (body != NULL, "printhook(1) has no ENVIRONMENT section");
  found = tags (body);
  for (guint i = 0; i < found->len; i++)
    {
      g_auto (GStrv) each = g_strsplit (g_ptr_array_index (found, i), ", ", -1);

      for (guint j = 0; each[j] != NULL; j++)
        g_ptr_array_add (names, g_strdup (each[j]));
    }
  for (guint i = 0; ph_proxy_env_variables[i] != NULL; i++)
    ck_assert_msg (g_ptr_array_find_with_equal_func (names, ph_proxy_env_variables[i], g_str_equal, NULL),
                   "printhook(1): ENVIRONMENT has no paragraph for %s", ph_proxy_env_variables[i]);
}
END_TEST

/* The members of the structure NAME of include/printhook/module.h
 * ("struct NAME {" or "typedef struct { ... } NAME;"): its functions (the
 * names of "(*name)"), and in *fields, when not NULL, its other fields,
 * the reserved padding left out.  Transfer full. */
static GPtrArray *
abi_members (const char *name, GPtrArray **fields)
{
  g_autofree char *path = g_build_filename (ph_test_srcdir (), "include", "printhook", "module.h",
                                            NULL);
  g_autofree char *text = NULL;
  g_autofree char *opening = g_strdup_printf ("struct %s {", name);
  g_autofree char *closing = g_strdup_printf ("} %s;", name);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) function_re = g_regex_new ("\\(\\*\\s*([a-z0-9_]+)\\s*\\)", 0, 0, NULL);
  g_autoptr (GRegex) field_re = g_regex_new ("^\\s+[a-z0-9_]+\\s+([a-z0-9_]+)\\s*;", 0, 0, NULL);
  g_auto (GStrv) lines = NULL;
  int start = -1;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, &error), "%s", error ? error->message : "");
  lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    {
      GPtrArray *functions;

      if (g_str_has_suffix (lines[i], "{") && lines[i][0] != ' ')
        start = i;
      if (lines[i][0] != '}' || start < 0)
        continue;
      if (strcmp (lines[start], opening) != 0 && strcmp (lines[i], closing) != 0)
        {
          start = -1;
          continue;
        }
      functions = g_ptr_array_new_with_free_func (g_free);
      if (fields != NULL)
        *fields = g_ptr_array_new_with_free_func (g_free);
      for (int j = start + 1; j < i; j++)
        {
          g_autoptr (GMatchInfo) m = NULL;
          g_autoptr (GMatchInfo) f = NULL;

          /* Each match has its own match info: g_regex_match always sets
           * it, and a second call would overwrite (leak) the first. */
          if (g_regex_match (function_re, lines[j], 0, &m))
            g_ptr_array_add (functions, g_match_info_fetch (m, 1));
          else if (fields != NULL && g_regex_match (field_re, lines[j], 0, &f))
            g_ptr_array_add (*fields, g_match_info_fetch (f, 1));
        }
      return functions;
    }
  ck_abort_msg ("include/printhook/module.h does not define %s", name);
  return NULL;
}

/* The names in the tags of the ".TP" paragraphs of lines, a tag naming
 * several as "a, b" (transfer full). */
static GPtrArray *
tagged_names (GPtrArray *lines)
{
  g_autoptr (GPtrArray) found = tags (lines);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < found->len; i++)
    {
      g_auto (GStrv) each = g_strsplit (g_ptr_array_index (found, i), ", ", -1);

      for (guint j = 0; each[j] != NULL; j++)
        g_ptr_array_add (names, g_strdup (each[j]));
    }
  return names;
}

static gboolean
has_name (GPtrArray *names, const char *name)
{
  return g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL);
}

/* Every function of the host table is named under THE HOST TABLE, and
 * every name there is a member of the table. */
START_TEST (test_every_host_function_is_in_printhook_modules_7)
{
  g_auto (GStrv) lines = page_lines ("printhook-modules.7");
  g_autoptr (GPtrArray) body = section (lines, ".SH", "THE HOST TABLE");
  g_autoptr (GPtrArray) fields = NULL;
  g_autoptr (GPtrArray) functions = abi_members ("printhook_host", &fields);
  g_autoptr (GPtrArray) documented = NULL;

  ck_assert_msg (body != NULL, "printhook-modules(7) has no section THE HOST TABLE");
  /* ABI 1.1 has 53: a parse that found few would prove nothing. */
  ck_assert_uint_ge (functions->len, 53);
  documented = tagged_names (body);
  for (guint i = 0; i < functions->len; i++)
    ck_assert_msg (has_name (documented, g_ptr_array_index (functions, i)),
                   "printhook-modules(7): THE HOST TABLE does not name host->%s",
                   (const char *) g_ptr_array_index (functions, i));
  for (guint i = 0; i < documented->len; i++)
    {
      const char *name = g_ptr_array_index (documented, i);

      ck_assert_msg (has_name (functions, name) || has_name (fields, name),
                     "printhook-modules(7) names '%s' under THE HOST TABLE, which the host "
                     "table does not have", name);
    }
}
END_TEST

/* Every function a module gives the host has its paragraph in
 * DESCRIPTION (its life cycle). */
START_TEST (test_every_module_function_is_in_printhook_modules_7)
{
  g_auto (GStrv) lines = page_lines ("printhook-modules.7");
  g_autoptr (GPtrArray) body = section (lines, ".SH", "DESCRIPTION");
  g_autoptr (GPtrArray) functions = abi_members ("printhook_module_ops", NULL);
  g_autoptr (GPtrArray) documented = NULL;

  ck_assert_msg (body != NULL, "printhook-modules(7) has no section DESCRIPTION");
  ck_assert_uint_ge (functions->len, 7);
  documented = tagged_names (body);
  for (guint i = 0; i < functions->len; i++)
    ck_assert_msg (has_name (documented, g_ptr_array_index (functions, i)),
                   "printhook-modules(7): DESCRIPTION has no paragraph for ops->%s",
                   (const char *) g_ptr_array_index (functions, i));
}
END_TEST

/* printhook-modules(7) lists the parameters a module reads, by the names
 * param_get takes: the built-in ones, the same as printhook.conf(5). */
START_TEST (test_printhook_modules_7_lists_the_parameters)
{
  g_auto (GStrv) conf_lines = page_lines ("printhook.conf.5");
  g_auto (GStrv) lines = page_lines ("printhook-modules.7");
  g_autoptr (GPtrArray) conf_body = section (conf_lines, ".SH", "PARAMETERS");
  g_autoptr (GPtrArray) body = section (lines, ".SH", "PARAMETERS");
  g_autoptr (GPtrArray) in_conf = NULL;
  g_autoptr (GPtrArray) listed = NULL;

  ck_assert_ptr_nonnull (conf_body);
  ck_assert_msg (body != NULL, "printhook-modules(7) has no section PARAMETERS");
  in_conf = tags (conf_body);
  listed = tags (body);
  for (guint i = 0; i < listed->len; i++)
    ck_assert_msg (ph_param_is_builtin (g_ptr_array_index (listed, i)),
                   "printhook-modules(7) lists '%s' as a parameter, which printhook does not have",
                   (const char *) g_ptr_array_index (listed, i));
  for (guint i = 0; i < in_conf->len; i++)
    {
      const char *tag = g_ptr_array_index (in_conf, i);

      ck_assert_msg (tag[0] == '@' && has_name (listed, tag + 1),
                     "printhook.conf(5) lists the parameter %s, printhook-modules(7) does not",
                     tag);
    }
  ck_assert_uint_eq (listed->len, in_conf->len);
}
END_TEST

static Suite *
docs_suite (void)
{
  Suite *s = suite_create ("docs");
  TCase *tc = tcase_create ("docs");

  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_every_core_key_is_in_its_group_section, 0, G_N_ELEMENTS (core_groups));
  tcase_add_loop_test (tc, test_every_documented_core_key_exists, 0, G_N_ELEMENTS (core_groups));
  tcase_add_test (tc, test_every_module_key_is_in_printhook_conf_5);
  tcase_add_test (tc, test_every_documented_module_key_exists);
  tcase_add_test (tc, test_every_builtin_event_is_in_printhook_conf_5);
  tcase_add_test (tc, test_every_documented_parameter_is_builtin);
  tcase_add_test (tc, test_every_command_and_option_is_in_printhook_1);
  tcase_add_test (tc, test_every_proxy_variable_is_in_printhook_1);
  tcase_add_test (tc, test_every_host_function_is_in_printhook_modules_7);
  tcase_add_test (tc, test_every_module_function_is_in_printhook_modules_7);
  tcase_add_test (tc, test_printhook_modules_7_lists_the_parameters);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (docs_suite ());
}
