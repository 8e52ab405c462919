/* Third-party modules built with pkg-config alone.  printhook is
 * configured and installed into a temporary prefix; examples/module-hello
 * (a prepare module) and examples/module-tenant (a finish module, ABI 1.1)
 * are copied out of the tree and built and installed with their own
 * Makefiles, which know nothing but "pkg-config printhook"
 * (PKG_CONFIG_PATH points at the prefix); then the installed printhook,
 * with no module path given, finds the modules where pkg-config put them
 * and runs them in hooks' chains against the test receiver. */
#include "autoconfig.h"

#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "text/json_text.h"
#include "receiver.h"
#include "printhook/module.h"

static char *work;        /* everything below is in here */
static char *prefix;      /* the temporary installation */
static char *moduledir;   /* pkg-config --variable=moduledir printhook */
static char *pkg_config_path;

/* The environment for configure, make and pkg-config: the outer make's
 * job server does not reach them, so its flags go. */
static GStrv
child_environ (void)
{
  GStrv envp = g_get_environ ();

  envp = g_environ_unsetenv (envp, "MAKEFLAGS");
  envp = g_environ_unsetenv (envp, "MFLAGS");
  envp = g_environ_unsetenv (envp, "MAKELEVEL");
  envp = g_environ_unsetenv (envp, "PRINTHOOK_MODULE_PATH");
  envp = g_environ_setenv (envp, "PKG_CONFIG_PATH", pkg_config_path, TRUE);
  return envp;
}

/* Runs argv in dir and returns its standard output (transfer full); fails
 * the test with everything it printed if it fails. */
static char *
run_tool (const char *dir, const char *const *argv)
{
  g_auto (GStrv) envp = child_environ ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL, *cmd = g_strjoinv (" ", (char **) argv);
  int status;

  ck_assert_msg (g_spawn_sync (dir, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error),
                 "cannot run %s: %s", cmd, error->message);
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "'%s' in %s failed:\n%s\n%s", cmd, dir,
                 out, err);
  return g_steal_pointer (&out);
}

/* pkg-config OPTION printhook, as the example's Makefile runs it
 * (transfer full). */
static char *
pkg_config (const char *option)
{
  const char *argv[] = { "pkg-config", option, "printhook", NULL };

  return g_strstrip (run_tool (work, argv));
}

/* Copies the files of src (no subdirectories) into a new directory dst. */
static void
copy_dir (const char *src, const char *dst)
{
  g_autoptr (GDir) dir = g_dir_open (src, 0, NULL);
  const char *name;

  ck_assert_msg (dir != NULL, "cannot open %s", src);
  ck_assert_int_eq (g_mkdir_with_parents (dst, 0755), 0);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dst, name, NULL);
      g_autofree char *text = NULL;
      gsize length;

      ck_assert (g_file_get_contents (from, &text, &length, NULL));
      ck_assert (g_file_set_contents (to, text, length, NULL));
    }
}

/* Copies examples/NAME out of the tree into work, then builds and
 * installs it there with its own Makefile. */
static void
install_example (const char *name)
{
  g_autofree char *example = g_build_filename (ph_test_srcdir (), "examples", name, NULL);
  g_autofree char *copy = g_build_filename (work, name, NULL);

  copy_dir (example, copy);
  g_free (run_tool (copy, (const char *[]) { "make", "install", NULL }));
}

/* Once for the suite: install printhook, then build and install the
 * examples against it. */
static void
install_printhook_and_the_examples (void)
{
  g_autofree char *configure = g_build_filename (ph_test_srcdir (), "configure", NULL);
  g_autofree char *prefix_arg = NULL;
  g_autofree char *jobs = g_strdup_printf ("-j%u", g_get_num_processors ());
  g_autofree char *build = NULL, *binary = NULL;
  g_autoptr (GError) error = NULL;

  work = g_dir_make_tmp ("printhook-example-XXXXXX", &error);
  ck_assert_msg (work != NULL, "%s", error ? error->message : "");
  prefix = g_build_filename (work, "prefix", NULL);
  build = g_build_filename (work, "build", NULL);
  pkg_config_path = g_build_filename (prefix, "lib", "pkgconfig", NULL);
  prefix_arg = g_strdup_printf ("--prefix=%s", prefix);
  ck_assert_int_eq (g_mkdir_with_parents (build, 0755), 0);

  g_free (run_tool (build, (const char *[]) { configure, prefix_arg, NULL }));
  g_free (run_tool (build, (const char *[]) { "make", jobs, "install", NULL }));

  moduledir = pkg_config ("--variable=moduledir");
  install_example ("module-hello");
  install_example ("module-tenant");

  /* The printhook the suite runs is the installed one, with its
   * compiled-in module directory only. */
  binary = g_build_filename (prefix, "bin", "printhook", NULL);
  g_setenv ("PH_TEST_BINARY", binary, TRUE);
  g_unsetenv ("PRINTHOOK_MODULE_PATH");
}

static void
remove_work (void)
{
  const char *argv[] = { "rm", "-rf", work, NULL };

  if (work != NULL)
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  g_clear_pointer (&work, g_free);
}

START_TEST (test_install_puts_every_file_in_its_place)
{
  static const char *const files[] = {
    "bin/printhook", "include/printhook/module.h", "lib/pkgconfig/printhook.pc",
    "lib/printhook/modules/http-webhook.so", "lib/printhook/modules/form-encoder.so",
    "lib/printhook/modules/multipart.so", "etc/printhook/printhook.conf",
    "etc/printhook/hooks.d/README", "share/printhook/examples/discord.conf",
    "share/printhook/examples/node-red.conf", "share/man/man1/printhook.1",
    "share/man/man5/printhook.conf.5", "share/man/man7/printhook-modules.7",
    "lib/systemd/system/printhook.service",
  };
  g_autofree char *modules = g_build_filename (prefix, "lib", "printhook", "modules", NULL);
  g_autoptr (GDir) dir = g_dir_open (modules, 0, NULL);
  g_autofree char *unit = NULL;
  g_autofree char *unit_path = g_build_filename (prefix, "lib", "systemd", "system", "printhook.service", NULL);
  g_autofree char *exec_start = g_strdup_printf ("\nExecStart=%s/bin/printhook run\n", prefix);
  const char *name;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (prefix, files[i], NULL);
      ck_assert_msg (g_file_test (path, G_FILE_TEST_IS_REGULAR), "not installed: %s", path);
    }
  /* Modules are loaded from .so files: no libtool archives beside them. */
  while ((name = g_dir_read_name (dir)) != NULL)
    ck_assert_msg (!g_str_has_suffix (name, ".la"), "left in the module directory: %s", name);
  ck_assert (g_file_get_contents (unit_path, &unit, NULL, NULL));
  assert_contains (unit, exec_start);
}
END_TEST

START_TEST (test_pkg_config_gives_the_module_directory_and_abi)
{
  g_autofree char *expected_dir = g_build_filename (prefix, "lib", "printhook", "modules", NULL);
  g_autofree char *abi = pkg_config ("--variable=module_abi");
  g_autofree char *cflags = pkg_config ("--cflags");
  g_autofree char *include = g_strdup_printf ("-I%s/include", prefix);
  g_autofree char *abi_major = g_strdup_printf ("%d", PRINTHOOK_ABI_MAJOR);
  const char *argv[] = { "modules", "--help", NULL };
  g_autoptr (ph_run_result) help = ph_run_printhook (argv, NULL, 30);

  ck_assert_str_eq (moduledir, expected_dir);
  ck_assert_str_eq (abi, abi_major);
  assert_contains (cflags, include);
  assert_contains (cflags, "glib-2.0");
  /* The directory pkg-config names is the one printhook searches. */
  assert_contains (help->out, moduledir);
}
END_TEST

START_TEST (test_installed_printhook_lists_the_example)
{
  g_autofree char *so = g_build_filename (moduledir, "hello.so", NULL);
  g_autofree char *listed = g_strdup_printf ("hello 1.0 (module ABI %d.%d, prepare stage, MIT)\n"
                                             "  Adds @hello, a greeting with the file's name\n"
                                             "  file: %s\n",
                                             PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, so);
  const char *argv[] = { "modules", "-c", "/nonexistent/printhook.conf", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s", r->exit_status, r->err);
  assert_contains (r->out, listed);
  assert_contains (r->out, "    hello.greeting (text, default Hello)\n");
}
END_TEST

START_TEST (test_hello_adds_its_parameter_to_the_request)
{
  g_autoptr (ph_receiver) receiver = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (receiver, "/hello/@hello");
  g_autofree char *text = g_strdup_printf (
      "[hook greeter]\nurl = %s\nmodules = hello, http-webhook\nhello.greeting = Ahoy\n"
      "headers = {\"X-Hello\": \"@hello\"}\n"
      "data = {\"text\": \"@hello\", \"topic\": \"@topic\"}\n", url);
  g_autofree char *config = ph_test_write_file ("printhook.conf", text);
  const char *argv[] = { "test", "-c", config, "greeter", "PrintDone", "--payload",
                         "{\"name\": \"benchy.gcode\"}", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 60);
  g_autoptr (json_object) records = ph_receiver_wait (receiver, 1, 5000);
  json_object *record = json_object_array_get_idx (records, 0);
  g_autoptr (GBytes) body = ph_record_body (record);
  g_autofree char *body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s\n%s", r->exit_status, r->out, r->err);
  assert_contains (r->out, "delivered: HTTP 200");
  ck_assert_str_eq (json_object_get_string (json_object_object_get (record, "path")),
                    "/hello/Ahoy%2C%20benchy.gcode");
  ck_assert_str_eq (ph_record_header (record, "X-Hello"), "Ahoy, benchy.gcode");
  ck_assert_str_eq (body_text, "{\"text\":\"Ahoy, benchy.gcode\",\"topic\":\"Print Done\"}");
}
END_TEST

START_TEST (test_check_applies_the_example_rules)
{
  g_autofree char *config = ph_test_write_file (
      "printhook.conf",
      "[hook empty]\nurl = http://127.0.0.1:9/\nmodules = hello, http-webhook\nhello.greeting =\n"
      "[hook typo]\nurl = http://127.0.0.1:9/\nmodules = hello, http-webhook\nhello.greting = Hi\n");
  const char *argv[] = { "check", "-c", config, NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);

  ck_assert_int_eq (r->exit_status, 1);
  /* At the key's line: the module's message starts with the key. */
  assert_contains (r->err, "printhook.conf:4: error: [hook empty] hello.greeting: module 'hello': "
                           "hello.greeting must not be empty");
  assert_contains (r->err, "[hook typo] hello.greting: module 'hello' has no such key; "
                           "did you mean 'hello.greeting'?");
}
END_TEST

START_TEST (test_installed_printhook_lists_the_tenant_module)
{
  g_autofree char *so = g_build_filename (moduledir, "tenant.so", NULL);
  g_autofree char *listed = g_strdup_printf ("tenant 1.0 (module ABI %d.%d, finish stage, MIT)\n"
                                             "  Adds a tenant header and the body's SHA-256 after "
                                             "encoding\n"
                                             "  file: %s\n",
                                             PRINTHOOK_ABI_MAJOR, PRINTHOOK_ABI_MINOR, so);
  const char *argv[] = { "modules", "-c", "/nonexistent/printhook.conf", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s", r->exit_status, r->err);
  assert_contains (r->out, listed);
  assert_contains (r->out, "    tenant.id (text, required)\n");
  assert_contains (r->out, "    tenant.header (text, default X-Tenant)\n");
}
END_TEST

/* The form field number index that the receiver parsed is key=value. */
static void
assert_form_field (json_object *record, guint index, const char *key, const char *value)
{
  json_object *form = json_object_object_get (record, "form");
  json_object *field = json_object_is_type (form, json_type_array)
                           ? json_object_array_get_idx (form, index) : NULL;

  ck_assert_msg (json_object_is_type (field, json_type_array)
                     && json_object_array_length (field) == 2,
                 "no form field %u in %s", index, json_object_to_json_string (record));
  ck_assert_str_eq (json_object_get_string (json_object_array_get_idx (field, 0)), key);
  ck_assert_str_eq (json_object_get_string (json_object_array_get_idx (field, 1)), value);
}

/* The lower-case hex SHA-256 of the body bytes the receiver got
 * (transfer full). */
static char *
body_sha256 (json_object *record)
{
  g_autoptr (GBytes) body = ph_record_body (record);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);
}

/* The finish stage beside an encoder: form-encoder makes the body, then
 * tenant adds its headers over the body as sent, and both arrive. */
START_TEST (test_tenant_adds_its_headers_over_the_form_body)
{
  g_autoptr (ph_receiver) receiver = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (receiver, "/farm");
  g_autofree char *text = g_strdup_printf (
      "[hook farm]\nurl = %s\nmodules = tenant, form-encoder, http-webhook\n"
      "content_type = form\ntenant.id = farm-7\n"
      "data = {\"event\": \"@event\", \"file\": \"@extra.name\"}\n", url);
  g_autofree char *config = ph_test_write_file ("printhook.conf", text);
  const char *check_argv[] = { "check", "-c", config, NULL };
  const char *test_argv[] = { "test", "-c", config, "farm", "PrintDone", "--payload",
                              "{\"name\": \"benchy.gcode\"}", NULL };
  g_autoptr (ph_run_result) checked = ph_run_printhook (check_argv, NULL, 30);
  g_autoptr (ph_run_result) r = ph_run_printhook (test_argv, NULL, 60);
  g_autoptr (json_object) records = ph_receiver_wait (receiver, 1, 5000);
  json_object *record = json_object_array_get_idx (records, 0);
  g_autoptr (GBytes) body = ph_record_body (record);
  g_autofree char *body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autofree char *digest = body_sha256 (record);

  ck_assert_msg (checked->exit_status == 0, "%s%s", checked->out, checked->err);
  /* In stage order, whatever the order of the modules key. */
  assert_contains (checked->out, "chain:  form-encoder > tenant > http-webhook");
  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s\n%s", r->exit_status, r->out, r->err);
  assert_contains (r->out, "delivered: HTTP 200");
  ck_assert_uint_eq (json_object_array_length (records), 1);
  /* The encoder's work, a form body... */
  ck_assert_str_eq (ph_record_header (record, "Content-Type"), "application/x-www-form-urlencoded");
  ck_assert_str_eq (body_text, "event=PrintDone&file=benchy.gcode");
  ck_assert_uint_eq (json_object_array_length (json_object_object_get (record, "form")), 2);
  assert_form_field (record, 0, "event", "PrintDone");
  assert_form_field (record, 1, "file", "benchy.gcode");
  /* ...and the finish module's, over those very bytes. */
  ck_assert_str_eq (ph_record_header (record, "X-Tenant"), "farm-7");
  ck_assert_str_eq (ph_record_header (record, "X-Body-SHA256"), digest);
}
END_TEST

/* tenant.header renames the tenant header; with no encoder the body is
 * printhook's JSON, encoded before the finish stage; a header of that name
 * rendered from the hook's headers template is replaced. */
START_TEST (test_tenant_header_is_renamed_over_the_json_body)
{
  g_autoptr (ph_receiver) receiver = ph_receiver_start (NULL);
  g_autofree char *url = ph_receiver_url (receiver, "/farm");
  g_autofree char *text = g_strdup_printf (
      "[hook farm]\nurl = %s\nmodules = http-webhook, tenant\n"
      "tenant.id = farm-9\ntenant.header = X-Farm\n"
      "headers = {\"X-Farm\": \"from the template\"}\n"
      "data = {\"event\": \"@event\"}\n", url);
  g_autofree char *config = ph_test_write_file ("printhook.conf", text);
  const char *argv[] = { "test", "-c", config, "farm", "PrintFailed", NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 60);
  g_autoptr (json_object) records = ph_receiver_wait (receiver, 1, 5000);
  json_object *record = json_object_array_get_idx (records, 0);
  g_autoptr (GBytes) body = ph_record_body (record);
  g_autofree char *body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autofree char *digest = body_sha256 (record);

  ck_assert_msg (r->exit_status == 0, "exit %d:\n%s\n%s", r->exit_status, r->out, r->err);
  ck_assert_str_eq (body_text, "{\"event\":\"PrintFailed\"}");
  ck_assert_str_eq (ph_record_header (record, "Content-Type"), "application/json");
  ck_assert_str_eq (ph_record_header (record, "X-Farm"), "farm-9");
  ck_assert_ptr_null (ph_record_header (record, "X-Tenant"));
  ck_assert_str_eq (ph_record_header (record, "X-Body-SHA256"), digest);
}
END_TEST

/* The module's own rules, each reported at its key's line, and
 * printhook's check of the required key. */
START_TEST (test_check_applies_the_tenant_rules)
{
  g_autofree char *config = ph_test_write_file (
      "printhook.conf",
      "[hook spaced]\nurl = http://127.0.0.1:9/\nmodules = tenant, http-webhook\n"
      "tenant.id = farm-7\ntenant.header = X Tenant\n"
      "[hook taken]\nurl = http://127.0.0.1:9/\nmodules = tenant, http-webhook\n"
      "tenant.id = farm-7\ntenant.header = x-body-sha256\n"
      "[hook empty]\nurl = http://127.0.0.1:9/\nmodules = tenant, http-webhook\ntenant.id =\n"
      "[hook none]\nurl = http://127.0.0.1:9/\nmodules = tenant, http-webhook\n");
  const char *argv[] = { "check", "-c", config, NULL };
  g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);

  ck_assert_int_eq (r->exit_status, 1);
  assert_contains (r->err, "printhook.conf:5: error: [hook spaced] tenant.header: module 'tenant': "
                           "tenant.header: 'X Tenant' is not a header name");
  assert_contains (r->err, "printhook.conf:10: error: [hook taken] tenant.header: module 'tenant': "
                           "tenant.header: 'x-body-sha256' is not free for the tenant");
  assert_contains (r->err, "printhook.conf:14: error: [hook empty] tenant.id: module 'tenant': "
                           "tenant.id must not be empty");
  /* Before the module sees the hook: printhook's check of a required key,
   * at the hook's line. */
  assert_contains (r->err, "printhook.conf:15: error: [hook none]: module 'tenant' needs tenant.id");
}
END_TEST

static Suite *
example_suite (void)
{
  Suite *s = suite_create ("example-module");
  TCase *tc = tcase_create ("example-module");

  tcase_set_timeout (tc, 60);
  tcase_add_unchecked_fixture (tc, install_printhook_and_the_examples, remove_work);
  tcase_add_test (tc, test_install_puts_every_file_in_its_place);
  tcase_add_test (tc, test_pkg_config_gives_the_module_directory_and_abi);
  tcase_add_test (tc, test_installed_printhook_lists_the_example);
  tcase_add_test (tc, test_hello_adds_its_parameter_to_the_request);
  tcase_add_test (tc, test_check_applies_the_example_rules);
  tcase_add_test (tc, test_installed_printhook_lists_the_tenant_module);
  tcase_add_test (tc, test_tenant_adds_its_headers_over_the_form_body);
  tcase_add_test (tc, test_tenant_header_is_renamed_over_the_json_body);
  tcase_add_test (tc, test_check_applies_the_tenant_rules);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  g_autofree char *status = g_build_filename (ph_test_srcdir (), "config.status", NULL);
  g_autofree char *pkg_config_program = g_find_program_in_path ("pkg-config");

  ph_test_init ();
  /* configure refuses to build a source tree elsewhere once it was
   * configured in place. */
  if (g_file_test (status, G_FILE_TEST_EXISTS) || pkg_config_program == NULL)
    {
      g_printerr ("skipped: %s\n", pkg_config_program == NULL
                                       ? "pkg-config is not installed"
                                       : "the source tree is configured in place (build out of tree to run this)");
      return 77;
    }
  return ph_test_run (example_suite ());
}
