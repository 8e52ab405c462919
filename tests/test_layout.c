/* The layout of core/ stays as core/README.md draws it: each folder
 * includes its own headers and those of the folders below it, never one
 * above; a *_private.h is included only in its own folder; modules include
 * nothing of the core but the public ABI; core/ itself holds only main()
 * and the version.  Read from the #include lines of the tree as text, so
 * an upward include fails here before anyone builds on it. */
#include "autoconfig.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "harness.h"

/* What each folder of core/ may include besides its own headers: the
 * folders below it (core/README.md, bottom up).  core/version.h may be
 * included from anywhere; core/main.c may include everything. */
static const struct {
  const char *folder;
  const char *may_use;   /* space-separated folders */
} layers[] = {
  { "text", "" },
  { "event", "text" },
  { "registry", "text" },
  { "spool", "text" },
  { "config", "text event registry spool" },
  { "delivery", "text event registry spool config" },
  { "router", "text event registry spool config delivery" },
  { "sources", "text event registry spool config delivery router" },
  { "console", "text event registry spool config delivery router sources" },
  { "daemon", "text event registry spool config delivery router sources console" },
  { "cli", "text event registry spool config delivery router sources console daemon" },
};

/* The files core/ may hold outside its folders. */
static const char *const top_files[] = { "main.c", "version.c", "version.h", "local.mk",
                                         "README.md", NULL };

/* The layer of folder, or NULL when the layout has no such folder. */
static const char *
layer_may_use (const char *folder)
{
  for (gsize i = 0; i < G_N_ELEMENTS (layers); i++)
    if (strcmp (layers[i].folder, folder) == 0)
      return layers[i].may_use;
  return NULL;
}

static gboolean
word_in (const char *words, const char *word)
{
  g_auto (GStrv) list = g_strsplit (words, " ", -1);
  return g_strv_contains ((const char *const *) list, word);
}

/* The folder of core/ a path relative to the top lies in ("" for core/
 * itself), or NULL outside core/.  Transfer full. */
static char *
core_folder (const char *rel)
{
  const char *rest, *slash;

  if (!g_str_has_prefix (rel, "core/"))
    return NULL;
  rest = rel + strlen ("core/");
  slash = strchr (rest, '/');
  return slash != NULL ? g_strndup (rest, slash - rest) : g_strdup ("");
}

/* Where `#include "name"` in file rel (relative to root) leads, relative
 * to root, as the build's include path finds it: the file's own folder,
 * then core/, then include/.  NULL when none of them has it (autoconfig.h,
 * made by configure).  Transfer full. */
static char *
resolve (const char *root, const char *rel, const char *name)
{
  g_autofree char *dir = g_path_get_dirname (rel);
  const char *const bases[] = { dir, "core", "include", "lib" };

  for (gsize i = 0; i < G_N_ELEMENTS (bases); i++)
    {
      g_autofree char *candidate = g_build_filename (bases[i], name, NULL);
      g_autofree char *full = g_build_filename (root, candidate, NULL);
      if (g_file_test (full, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

/* The folder name check_include gets for a file of lib/. */
#define LIB_FOLDER "@lib"

/* Checks one include of file rel, in folder (of core/, NULL for a module,
 * LIB_FOLDER for lib/), and adds what it breaks to problems. */
static void
check_include (GPtrArray *problems, const char *root, const char *rel, const char *folder,
               guint line, const char *name)
{
  g_autofree char *target = resolve (root, rel, name);
  g_autofree char *target_folder = NULL;
  g_autofree char *base = NULL;
  const char *may_use;

  if (target == NULL)
    return;
  /* lib/ stands alone, under the core and the modules that both use it. */
  if (folder != NULL && strcmp (folder, LIB_FOLDER) == 0)
    {
      if (!g_str_has_prefix (target, "lib/"))
        g_ptr_array_add (problems, g_strdup_printf ("%s:%u: includes %s: lib/ uses nothing of "
                                                    "core/ or the module ABI (core/README.md)",
                                                    rel, line, target));
      return;
    }
  if (g_str_has_prefix (target, "lib/"))
    return;
  target_folder = core_folder (target);
  if (target_folder == NULL)
    return;   /* the public ABI, or a file of the module itself */
  base = g_path_get_basename (target);
  if (folder == NULL)
    {
      g_ptr_array_add (problems, g_strdup_printf ("%s:%u: includes %s: a module uses the host "
                                                  "table of printhook/module.h, not the core",
                                                  rel, line, target));
      return;
    }
  if (strcmp (target_folder, folder) == 0 || *folder == '\0')
    return;
  if (*target_folder == '\0')
    {
      if (strcmp (base, "version.h") != 0)
        g_ptr_array_add (problems, g_strdup_printf ("%s:%u: includes %s: only version.h of core/ "
                                                    "itself is for every folder", rel, line, target));
      return;
    }
  if (g_str_has_suffix (base, "_private.h"))
    {
      g_ptr_array_add (problems, g_strdup_printf ("%s:%u: includes %s: a private header of %s/, "
                                                  "for that folder's files only",
                                                  rel, line, target, target_folder));
      return;
    }
  may_use = layer_may_use (folder);
  if (may_use != NULL && !word_in (may_use, target_folder))
    g_ptr_array_add (problems, g_strdup_printf ("%s:%u: includes %s: %s/ may use %s, not %s/ "
                                                "(core/README.md)", rel, line, target, folder,
                                                *may_use != '\0' ? may_use : "nothing of ours",
                                                target_folder));
}

static void
check_file (GPtrArray *problems, const char *root, const char *rel, const char *folder)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = lines[i];
      const char *end;
      g_autofree char *name = NULL;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p != '#')
        continue;
      for (p++; *p == ' ' || *p == '\t'; p++)
        ;
      if (!g_str_has_prefix (p, "include"))
        continue;
      for (p += strlen ("include"); *p == ' ' || *p == '\t'; p++)
        ;
      if (*p != '"' || (end = strchr (p + 1, '"')) == NULL)
        continue;   /* <system> headers */
      name = g_strndup (p + 1, end - p - 1);
      check_include (problems, root, rel, folder, i + 1, name);
    }
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every .c and .h below dir (relative to root), in name order so the
 * report reads the same every time. */
static void
walk (GPtrArray *problems, const char *root, const char *dir, gboolean in_modules,
      gboolean in_lib)
{
  g_autofree char *full = g_build_filename (root, dir, NULL);
  g_autoptr (GDir) d = g_dir_open (full, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  ck_assert_msg (d != NULL, "cannot open %s", full);
  while ((entry = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *rel = g_build_filename (dir, name, NULL);
      g_autofree char *path = g_build_filename (root, rel, NULL);
      g_autofree char *folder = in_lib ? g_strdup (LIB_FOLDER)
                                : in_modules ? NULL : core_folder (rel);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (!in_modules && strcmp (dir, "core") == 0 && layer_may_use (name) == NULL)
            g_ptr_array_add (problems, g_strdup_printf ("%s/: not a folder of the layout (add it "
                                                        "to core/README.md and tests/test_layout.c)",
                                                        rel));
          walk (problems, root, rel, in_modules, in_lib);
          continue;
        }
      if (!in_modules && !in_lib && strcmp (dir, "core") == 0
          && !g_strv_contains (top_files, name))
        g_ptr_array_add (problems, g_strdup_printf ("%s: core/ holds only main() and the version; "
                                                    "this file belongs in the folder of its "
                                                    "subsystem", rel));
      if (g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h"))
        check_file (problems, root, rel, folder);
    }
}

/* What the tree at root breaks of the layout, one line each (transfer
 * full). */
static GPtrArray *
layout_problems (const char *root)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);

  g_autofree char *lib = g_build_filename (root, "lib", NULL);

  walk (problems, root, "core", FALSE, FALSE);
  walk (problems, root, "modules", TRUE, FALSE);
  if (g_file_test (lib, G_FILE_TEST_IS_DIR))
    walk (problems, root, "lib", FALSE, TRUE);
  return problems;
}

/* The problems, a line each (transfer full). */
static char *
problems_text (const GPtrArray *problems)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < problems->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "\n" : "", (const char *) problems->pdata[i]);
  return g_string_free (text, FALSE);
}

/* A small tree to break: pairs of path and content, NULL-terminated.
 * Returns its root (transfer full). */
static char *
make_tree (const char *first_path, ...)
{
  char *root = ph_test_tmpdir ();
  va_list ap;

  va_start (ap, first_path);
  for (const char *rel = first_path; rel != NULL; rel = va_arg (ap, const char *))
    {
      const char *content = va_arg (ap, const char *);
      g_autofree char *path = g_build_filename (root, rel, NULL);
      g_autofree char *dir = g_path_get_dirname (path);

      ck_assert_int_eq (g_mkdir_with_parents (dir, 0700), 0);
      ck_assert (g_file_set_contents (path, content, -1, NULL));
    }
  va_end (ap);
  {
    g_autofree char *modules = g_build_filename (root, "modules", NULL);
    ck_assert_int_eq (g_mkdir_with_parents (modules, 0700), 0);
  }
  return root;
}

/* The one problem of the tree at root (fails the test if there are more or
 * none).  Transfer full. */
static char *
the_problem (const char *root)
{
  g_autoptr (GPtrArray) problems = layout_problems (root);
  char *text = problems_text (problems);

  ck_assert_msg (problems->len == 1, "expected one problem, got %u:\n%s", problems->len, text);
  return text;
}

START_TEST (test_tree_includes_only_downward)
{
  g_autoptr (GPtrArray) problems = layout_problems (ph_test_srcdir ());
  g_autofree char *text = problems_text (problems);

  ck_assert_msg (problems->len == 0, "the layout is broken:\n%s", text);
}
END_TEST

START_TEST (test_upward_include_is_reported)
{
  g_autofree char *root = make_tree ("core/text/a.c", "#include \"autoconfig.h\"\n#include \"a.h\"\n"
                                                      "  #  include \"cli/cli.h\"\n",
                                     "core/text/a.h", "", "core/cli/cli.h", "", PH_END);
  g_autofree char *text = the_problem (root);

  ck_assert_str_eq (text, "core/text/a.c:3: includes core/cli/cli.h: text/ may use nothing of "
                          "ours, not cli/ (core/README.md)");
}
END_TEST

START_TEST (test_spool_may_not_use_delivery)
{
  g_autofree char *root = make_tree ("core/spool/spool.c", "#include \"delivery/delivery.h\"\n",
                                     "core/delivery/delivery.h", "#include \"spool/spool.h\"\n",
                                     "core/spool/spool.h", "", PH_END);
  g_autofree char *text = the_problem (root);

  ck_assert_str_eq (text, "core/spool/spool.c:1: includes core/delivery/delivery.h: spool/ may "
                          "use text, not delivery/ (core/README.md)");
}
END_TEST

START_TEST (test_private_header_of_another_folder_is_reported)
{
  g_autofree char *root = make_tree ("core/cli/cli_spool.c", "#include \"spool/spool_private.h\"\n",
                                     "core/spool/spool_private.h", "", "core/spool/spool.c",
                                     "#include \"spool_private.h\"\n", PH_END);
  g_autofree char *text = the_problem (root);

  ck_assert_str_eq (text, "core/cli/cli_spool.c:1: includes core/spool/spool_private.h: a "
                          "private header of spool/, for that folder's files only");
}
END_TEST

START_TEST (test_module_including_the_core_is_reported)
{
  g_autofree char *root = make_tree ("modules/m/m.c", "#include \"printhook/module.h\"\n#include \"m.h\"\n"
                                                      "#include \"text/json_text.h\"\n",
                                     "modules/m/m.h", "", "include/printhook/module.h", "",
                                     "core/text/json_text.h", "", PH_END);
  g_autofree char *text = the_problem (root);

  ck_assert_str_eq (text, "modules/m/m.c:3: includes core/text/json_text.h: a module uses the host "
                          "table of printhook/module.h, not the core");
}
END_TEST

START_TEST (test_lib_including_the_core_is_reported)
{
  g_autofree char *root = make_tree ("lib/mqtt/link.c", "#include \"link.h\"\n"
                                                        "#include \"text/json_text.h\"\n",
                                     "lib/mqtt/link.h", "", "core/text/json_text.h", "",
                                     "modules/m/m.c", "#include \"mqtt/link.h\"\n",
                                     "core/cli/c.c", "#include \"mqtt/link.h\"\n",
                                     "core/cli/cli.h", "", PH_END);
  g_autofree char *text = the_problem (root);

  /* The core and the modules may use lib/; lib/ uses neither. */
  ck_assert_str_eq (text, "lib/mqtt/link.c:2: includes core/text/json_text.h: lib/ uses nothing "
                          "of core/ or the module ABI (core/README.md)");
}
END_TEST

START_TEST (test_files_outside_the_folders_are_reported)
{
  g_autofree char *root = make_tree ("core/main.c", "#include \"cli/cli.h\"\n#include \"version.h\"\n",
                                     "core/version.h", "", "core/cli/cli.h", "",
                                     "core/helpers.c", "", "core/misc/x.c", "",
                                     "core/text/t.c", "#include \"main.c\"\n#include \"version.h\"\n",
                                     PH_END);
  g_autoptr (GPtrArray) problems = layout_problems (root);
  g_autofree char *text = problems_text (problems);

  ck_assert_msg (problems->len == 3, "%s", text);
  assert_contains (text, "core/helpers.c: core/ holds only main() and the version");
  assert_contains (text, "core/misc/: not a folder of the layout");
  assert_contains (text, "core/text/t.c:1: includes core/main.c: only version.h of core/ itself");
}
END_TEST

static Suite *
layout_suite (void)
{
  Suite *s = suite_create ("layout");
  TCase *tc = tcase_create ("includes");

  tcase_add_test (tc, test_tree_includes_only_downward);
  tcase_add_test (tc, test_upward_include_is_reported);
  tcase_add_test (tc, test_spool_may_not_use_delivery);
  tcase_add_test (tc, test_private_header_of_another_folder_is_reported);
  tcase_add_test (tc, test_module_including_the_core_is_reported);
  tcase_add_test (tc, test_lib_including_the_core_is_reported);
  tcase_add_test (tc, test_files_outside_the_folders_are_reported);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return ph_test_run (layout_suite ());
}
