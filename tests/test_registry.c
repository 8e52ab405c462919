/* Loading modules: real .so files, good and broken, each broken one giving
 * one clear error and never a crash. */
#include "autoconfig.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "delivery/host.h"
#include "registry/registry.h"

static char *
module_file (const char *name)
{
  return g_strdup_printf ("%s/%s.so", g_getenv ("PH_TEST_MODULE_DIR"), name);
}

/* Opens a module and expects it to fail with a message containing every
 * NULL-terminated fragment. */
static void
assert_open_fails (const char *name, ...)
{
  g_autofree char *path = module_file (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_module) module = ph_module_open (path, &error);
  const char *fragment;
  va_list args;

  ck_assert_msg (module == NULL, "%s loaded but should not have", name);
  ck_assert (g_error_matches (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE));
  /* Every message names the file. */
  ck_assert_msg (strstr (error->message, path) != NULL, "'%s' does not name %s", error->message, path);
  va_start (args, name);
  while ((fragment = va_arg (args, const char *)) != NULL)
    ck_assert_msg (strstr (error->message, fragment) != NULL, "'%s' lacks '%s'", error->message, fragment);
  va_end (args);
}

START_TEST (test_good_module_loads_with_its_descriptor)
{
  g_autofree char *path = module_file ("test-prepare");
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_module) module = ph_module_open (path, &error);

  ck_assert_msg (module != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (module->name, "test-prepare");
  ck_assert_str_eq (module->desc->version, "1.2");
  ck_assert_int_eq (module->desc->stage, PRINTHOOK_STAGE_PREPARE);
  ck_assert_int_eq (module->desc->abi_major, PRINTHOOK_ABI_MAJOR);
  ck_assert_str_eq (module->desc->keys[0].name, "greeting");
  ck_assert_ptr_nonnull (module->desc->ops->run);
}
END_TEST

START_TEST (test_module_exports_only_its_descriptor)
{
  g_autofree char *path = module_file ("test-prepare");
  g_autofree char *out = NULL;
  g_autofree char *command = g_strdup_printf ("nm -D --defined-only %s", path);
  g_auto (GStrv) lines = NULL;
  guint exported = 0;

  ck_assert (g_spawn_command_line_sync (command, &out, NULL, NULL, NULL));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], " T ") != NULL || strstr (lines[i], " D ") != NULL
        || strstr (lines[i], " B ") != NULL || strstr (lines[i], " R ") != NULL)
      {
        ck_assert_msg (strstr (lines[i], "printhook_module_get_desc") != NULL, "exports %s", lines[i]);
        exported++;
      }
  ck_assert_uint_eq (exported, 1);
}
END_TEST

START_TEST (test_wrong_abi_major_is_refused)
{
  assert_open_fails ("bad-abi-major", "built for module ABI 99.0", "major version must match", PH_END);
}
END_TEST

START_TEST (test_newer_abi_minor_is_refused)
{
  g_autofree char *expected = g_strdup_printf ("built for module ABI %d.%d", PRINTHOOK_ABI_MAJOR,
                                               PRINTHOOK_ABI_MINOR + 1);
  assert_open_fails ("bad-abi-minor", expected, "minor may not be newer", PH_END);
}
END_TEST

START_TEST (test_name_must_match_file)
{
  assert_open_fails ("bad-name", "declares the name 'some-other-name'", "'bad-name.so'", PH_END);
}
END_TEST

START_TEST (test_unknown_stage_is_refused)
{
  assert_open_fails ("bad-stage", "unknown stage 7", PH_END);
}
END_TEST

START_TEST (test_missing_mandatory_ops_are_named)
{
  assert_open_fails ("bad-no-run", "lacks mandatory fields: ops.run", PH_END);
}
END_TEST

START_TEST (test_null_descriptor_is_refused)
{
  assert_open_fails ("bad-null-desc", "returned no descriptor", PH_END);
}
END_TEST

START_TEST (test_missing_symbol_is_refused)
{
  assert_open_fails ("bad-no-symbol", "not a printhook module", "printhook_module_get_desc", PH_END);
}
END_TEST

START_TEST (test_unresolved_symbol_fails_at_load)
{
  assert_open_fails ("bad-undefined", "cannot be loaded", "printhook_test_symbol_that_does_not_exist", PH_END);
  /* Nothing of printhook's own is exported to modules (configure.ac). */
  assert_open_fails ("bad-internal", "cannot be loaded", "ph_backoff_step", PH_END);
}
END_TEST

START_TEST (test_text_file_named_so_is_refused)
{
  g_autofree char *path = ph_test_write_file ("fake.so", "#!/bin/sh\necho not a library\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_module) module = ph_module_open (path, &error);

  ck_assert_ptr_null (module);
  ck_assert_ptr_nonnull (strstr (error->message, "cannot be loaded"));
  ck_assert_ptr_nonnull (strstr (error->message, path));
}
END_TEST

/* The module's first LENGTH bytes under its own name in a new folder (so
 * only the cut can be what refuses it): NULL, or ph_module_open's error
 * (transfer full). */
static char *
open_module_copy (const char *bytes, gsize length)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "test-prepare.so", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ph_module) module = NULL;

  ck_assert (g_file_set_contents (path, bytes, (gssize) length, NULL));
  module = ph_module_open (path, &error);
  ck_assert ((module == NULL) == (error != NULL));
  return error != NULL ? g_strdup (error->message) : NULL;
}

/* An empty file, and a real module cut short: at a third (what survives is
 * the loaded part on 32-bit ARM, whose segments are packed at the front),
 * inside its last loaded segment, and inside its section headers. Each
 * is refused before glibc maps it; the whole copy loads. */
START_TEST (test_empty_and_truncated_files_are_refused)
{
  g_autofree char *good = module_file ("test-prepare");
  g_autofree char *bytes = NULL;
  gsize length;
  g_autofree char *empty = ph_test_write_file ("empty.so", "");
  g_autoptr (GError) e1 = NULL;
  g_autoptr (ph_module) m1 = NULL;
  const ElfW (Ehdr) *header;
  gsize last_load_middle = 0;

  ck_assert (g_file_get_contents (good, &bytes, &length, NULL));
  header = (const ElfW (Ehdr) *) bytes;
  for (guint i = 0; i < header->e_phnum; i++)
    {
      const ElfW (Phdr) *ph = (const ElfW (Phdr) *) (bytes + header->e_phoff) + i;

      if (ph->p_type == PT_LOAD && ph->p_filesz > 1)
        last_load_middle = ph->p_offset + ph->p_filesz / 2;
    }
  ck_assert_uint_gt (last_load_middle, 0);
  ck_assert_uint_gt (header->e_shoff, last_load_middle);
  ck_assert_uint_gt (header->e_shnum, 1);

  m1 = ph_module_open (empty, &e1);
  ck_assert_ptr_null (m1);
  ck_assert_ptr_nonnull (strstr (e1->message, "cannot be loaded"));
  {
    g_autofree char *third = open_module_copy (bytes, length / 3);
    g_autofree char *in_segment = open_module_copy (bytes, last_load_middle);
    g_autofree char *in_sections = open_module_copy (bytes, header->e_shoff + header->e_shentsize);
    g_autofree char *whole = open_module_copy (bytes, length);

    ck_assert_ptr_nonnull (third);
    ck_assert_ptr_nonnull (in_segment);
    ck_assert_ptr_nonnull (in_sections);
    ck_assert_ptr_nonnull (strstr (third, "cannot be loaded: the file is cut off"));
    ck_assert_ptr_nonnull (strstr (in_segment, "cannot be loaded: the file is cut off (shorter than its segments)"));
    ck_assert_ptr_nonnull (strstr (in_sections,
                                   "cannot be loaded: the file is cut off (shorter than its section headers)"));
    /* The whole file, copied the same way, loads. */
    ck_assert_msg (whole == NULL, "%s", whole);
  }
}
END_TEST

/* A module of another machine (a copy of a real one with its ELF header's
 * machine, or class, changed) is named as such, with this printhook's
 * machine, instead of glibc's "No such file or directory". */
START_TEST (test_a_module_of_another_machine_is_named)
{
  /* e_machine values; the one of the machine the tests run on is left
   * out (under qemu for arm64, EM_AARCH64 is this printhook's). */
  static const struct {
    guint16 machine;
    const char *expected;
  } cases[] = {
    { 183, "built for aarch64 (arm64" },
    { 62, "built for x86-64 (amd64)" },
    { 40, "built for 32-bit ARM (armhf or armel)" },
    { 200, "built for ELF machine 200, " },
  };
  g_autofree char *good = module_file ("test-prepare");
  g_autofree char *bytes = NULL;
  gsize length;
  g_autofree char *dir = ph_test_tmpdir ();
  gboolean little;
  guint host, tried = 0;

  ck_assert (g_file_get_contents (good, &bytes, &length, NULL));
  little = bytes[5] == 1;   /* EI_DATA: ELFDATA2LSB */
  host = little ? (guint8) bytes[18] | (guint) (guint8) bytes[19] << 8
                : (guint) (guint8) bytes[18] << 8 | (guint8) bytes[19];
  for (guint i = 0; i <= G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/other-%u.so", dir, i);
      g_autofree char *copy = g_memdup2 (bytes, length);
      g_autoptr (GError) error = NULL;
      g_autoptr (ph_module) module = NULL;
      const char *expected;

      if (i < G_N_ELEMENTS (cases))
        {
          if (cases[i].machine == host)
            continue;
          copy[little ? 18 : 19] = (char) (cases[i].machine & 0xff);
          copy[little ? 19 : 18] = (char) (cases[i].machine >> 8);
          expected = cases[i].expected;
        }
      else
        {
          /* The other ELF class, machine as it was. */
          copy[4] = (char) (bytes[4] == 2 ? 1 : 2);
          expected = bytes[4] == 2 ? ", 32-bit ELF, but" : ", 64-bit ELF, but";
        }
      tried++;
      ck_assert (g_file_set_contents (path, copy, (gssize) length, NULL));
      module = ph_module_open (path, &error);
      ck_assert_ptr_null (module);
      ck_assert_msg (strstr (error->message, expected) != NULL, "%s", error->message);
      ck_assert_msg (strstr (error->message, "but this printhook is ") != NULL, "%s",
                     error->message);
      ck_assert_msg (strstr (error->message, "No such file") == NULL, "%s", error->message);
    }
  ck_assert_uint_ge (tried, 4);
}
END_TEST

START_TEST (test_load_by_name_follows_the_search_path)
{
  g_autofree char *first = ph_test_tmpdir ();
  g_autofree char *copy = g_build_filename (first, "test-encode.so", NULL);
  g_autofree char *original = module_file ("test-encode");
  g_autofree char *bytes = NULL;
  gsize length;
  const char *dirs[] = { first, g_getenv ("PH_TEST_MODULE_DIR"), NULL };
  g_autoptr (ph_registry) registry = ph_registry_new (dirs);
  g_autoptr (GError) error = NULL;
  const ph_module *encode, *prepare, *again;

  ck_assert (g_file_get_contents (original, &bytes, &length, NULL));
  ck_assert (g_file_set_contents (copy, bytes, length, NULL));
  encode = ph_registry_load (registry, "test-encode", &error);
  ck_assert_ptr_nonnull (encode);
  ck_assert_str_eq (encode->path, copy);
  prepare = ph_registry_load (registry, "test-prepare", &error);
  ck_assert_ptr_nonnull (prepare);
  again = ph_registry_load (registry, "test-prepare", &error);
  ck_assert_ptr_eq (prepare, again);
}
END_TEST

START_TEST (test_unknown_module_names_the_path_searched)
{
  const char *dirs[] = { "/nonexistent/a", "/nonexistent/b", NULL };
  g_autoptr (ph_registry) registry = ph_registry_new (dirs);
  g_autoptr (GError) error = NULL;

  ck_assert_ptr_null (ph_registry_load (registry, "snapshot", &error));
  ck_assert_ptr_nonnull (strstr (error->message, "no module named 'snapshot'"));
  ck_assert_ptr_nonnull (strstr (error->message, "/nonexistent/a, /nonexistent/b"));
  g_clear_error (&error);
  ck_assert_ptr_null (ph_registry_load (registry, "../etc/passwd", &error));
  ck_assert_ptr_nonnull (strstr (error->message, "not a valid module name"));
}
END_TEST

START_TEST (test_scan_lists_good_modules_and_each_problem_once)
{
  g_autofree char *other = ph_test_tmpdir ();
  g_autofree char *shadowed = g_build_filename (other, "test-encode.so", NULL);
  const char *dirs[] = { g_getenv ("PH_TEST_MODULE_DIR"), other, NULL };
  g_autoptr (ph_registry) registry = ph_registry_new (dirs);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) modules = NULL;
  g_autoptr (GString) names = g_string_new (NULL);
  guint shadow_reports = 0;

  ck_assert (g_file_set_contents (shadowed, "junk", -1, NULL));
  modules = ph_registry_scan (registry, problems);
  for (guint i = 0; i < modules->len; i++)
    g_string_append_printf (names, "%s ", ((ph_module *) g_ptr_array_index (modules, i))->name);
  ck_assert_str_eq (names->str, "bad-init test-encode test-finish test-prepare test-sender ");
  /* Nine broken files, plus the shadowed copy. */
  ck_assert_uint_eq (problems->len, 10);
  for (guint i = 0; i < problems->len; i++)
    shadow_reports += strstr (g_ptr_array_index (problems, i), "shadowed by") != NULL;
  ck_assert_uint_eq (shadow_reports, 1);
}
END_TEST

START_TEST (test_init_runs_once_and_failure_is_reported)
{
  const char *dirs[] = { g_getenv ("PH_TEST_MODULE_DIR"), NULL };
  g_autoptr (ph_registry) registry = ph_registry_new (dirs);
  g_autoptr (GError) error = NULL;
  const ph_module *good = ph_registry_load (registry, "test-sender", &error);
  const ph_module *bad = ph_registry_load (registry, "bad-init", &error);

  ck_assert (ph_registry_init_module (registry, good, ph_host (), &error));
  ck_assert (good->initialized);
  ck_assert (ph_registry_init_module (registry, good, ph_host (), &error));
  ck_assert (!ph_registry_init_module (registry, bad, ph_host (), &error));
  ck_assert_ptr_nonnull (strstr (error->message, "module 'bad-init'"));
  ck_assert_ptr_nonnull (strstr (error->message, "failed to start: no webcam here"));
}
END_TEST

START_TEST (test_search_path_order)
{
  g_auto (GStrv) path = NULL;

  g_setenv ("PRINTHOOK_MODULE_PATH", "/one::/two", TRUE);
  path = ph_module_search_path ("/from-config");
  ck_assert_str_eq (path[0], "/one");
  ck_assert_str_eq (path[1], "/two");
  ck_assert_str_eq (path[2], "/from-config");
  ck_assert_str_eq (path[3], MODULEDIR);
  ck_assert_ptr_null (path[4]);
}
END_TEST

static Suite *
registry_suite (void)
{
  Suite *s = suite_create ("registry");
  TCase *tc = tcase_create ("loader");

  tcase_add_test (tc, test_good_module_loads_with_its_descriptor);
  tcase_add_test (tc, test_module_exports_only_its_descriptor);
  tcase_add_test (tc, test_wrong_abi_major_is_refused);
  tcase_add_test (tc, test_newer_abi_minor_is_refused);
  tcase_add_test (tc, test_name_must_match_file);
  tcase_add_test (tc, test_unknown_stage_is_refused);
  tcase_add_test (tc, test_missing_mandatory_ops_are_named);
  tcase_add_test (tc, test_null_descriptor_is_refused);
  tcase_add_test (tc, test_missing_symbol_is_refused);
  tcase_add_test (tc, test_unresolved_symbol_fails_at_load);
  tcase_add_test (tc, test_text_file_named_so_is_refused);
  tcase_add_test (tc, test_empty_and_truncated_files_are_refused);
  tcase_add_test (tc, test_a_module_of_another_machine_is_named);
  tcase_add_test (tc, test_load_by_name_follows_the_search_path);
  tcase_add_test (tc, test_unknown_module_names_the_path_searched);
  tcase_add_test (tc, test_scan_lists_good_modules_and_each_problem_once);
  tcase_add_test (tc, test_init_runs_once_and_failure_is_reported);
  tcase_add_test (tc, test_search_path_order);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  if (g_getenv ("PH_TEST_MODULE_DIR") == NULL)
    g_error ("PH_TEST_MODULE_DIR is not set: run the suite through make check");
  return ph_test_run (registry_suite ());
}
