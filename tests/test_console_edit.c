/* The hook editor's API (core/console/API.md: hooks/NAME/config,
 * hooks/validate) over real HTTP: hooks created, edited, renamed and
 * deleted in [console] hooks_dir, checked before anything is written,
 * applied by a reload, the webhooks of a simulated print arriving through
 * them at the receiver; the configuration directory itself never
 * touched. */
#include "autoconfig.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <glib/gstdio.h>

#include "console_fixture.h"
#include "daemon_asserts.h"
#include "text/json_text.h"

#define EDIT_DIR "hooks_dir = console-hooks.d\n"

/* --- helpers ------------------------------------------------------------- */

/* A PUT or validate body: {"version": version, "keys": {k: v, ...}} with
 * the NULL-terminated key/value pairs, version left out when NULL.
 * Transfer full. */
static char *
edit_body (const char *version, const char *first_key, ...)
{
  g_autoptr (json_object) body = json_object_new_object ();
  json_object *keys = json_object_new_object ();
  va_list args;

  if (version != NULL)
    json_object_object_add (body, "version", json_object_new_string (version));
  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    json_object_object_add (keys, key, json_object_new_string (va_arg (args, const char *)));
  va_end (args);
  json_object_object_add (body, "keys", keys);
  return g_strdup (json_object_to_json_string_ext (body, JSON_C_TO_STRING_PLAIN));
}

/* body with member name set to value (a JSON text).  Transfer full. */
static char *
with_member (const char *body, const char *name, const char *value)
{
  g_autoptr (json_object) json = json_tokener_parse (body);

  json_object_object_add (json, name, json_tokener_parse (value));
  return g_strdup (json_object_to_json_string_ext (json, JSON_C_TO_STRING_PLAIN));
}

static char *
edit_dir (console *c)
{
  return g_build_filename (c->dir, "console-hooks.d", NULL);
}

static char *
hook_path (console *c, const char *name)
{
  g_autofree char *dir = edit_dir (c);
  g_autofree char *base = g_strconcat (name, ".conf", NULL);

  return g_build_filename (dir, base, NULL);
}

static char *
file_text (const char *path)
{
  char *text = NULL;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  return text;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in dir, sorted and joined with ' '.  Transfer full. */
static char *
dir_listing (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* The hook called name in GET hooks, or NULL (transfer none). */
static json_object *
listed_hook (json_object *hooks, const char *name)
{
  json_object *list = array_member (hooks, "hooks");

  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      json_object *h = json_object_array_get_idx (list, i);

      if (strcmp (str_member (h, "name"), name) == 0)
        return h;
    }
  return NULL;
}

/* The problems of a 422 or validate answer as "KEY: message" lines
 * ("-" for a problem of no key).  Transfer full. */
static char *
problem_lines (json_object *answer)
{
  json_object *problems = array_member (answer, "problems");
  GString *out = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (problems); i++)
    {
      json_object *p = json_object_array_get_idx (problems, i);
      json_object *key = member (p, "key");

      g_string_append_printf (out, "%s: %s\n", key != NULL ? json_object_get_string (key) : "-",
                              str_member (p, "message"));
    }
  return g_string_free (out, FALSE);
}

static char *
version_of (console *c, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/hooks/%s/config", name);
  g_autoptr (json_object) json = call (c, "GET", path, NULL, 200);

  return g_strdup (str_member (json, "version"));
}

/* The receiver's records whose path is path. */
static guint
count_path (json_object *records, const char *path)
{
  guint n = 0;

  for (size_t i = 0; i < json_object_array_length (records); i++)
    if (g_strcmp0 (json_object_get_string (json_object_object_get (
                       json_object_array_get_idx (records, i), "path")), path) == 0)
      n++;
  return n;
}

/* A simulated print: started, then done; the receiver's records once n
 * have arrived.  Transfer full. */
static json_object *
print_and_wait (console *c, ph_receiver *rec, guint n)
{
  emit_ok (c, "PrintStarted", NULL);
  emit_ok (c, "PrintDone", NULL);
  return receiver_wait (rec, n);
}

/* --- tests --------------------------------------------------------------- */

START_TEST (test_create_edit_rename_and_delete)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url1 = ph_receiver_url (rec, "/one");
  g_autofree char *url2 = ph_receiver_url (rec, "/two");
  g_autofree char *body = NULL;
  g_autofree char *version = NULL;
  g_autofree char *path = NULL;
  g_auto (console) c = { 0 };
  GStatBuf st;

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  path = hook_path (&c, "one");

  /* Created from nothing: the version of a file that does not exist. */
  body = edit_body ("none", "url", url1, "events", "PrintStarted", "data",
                    "{\n  \"what\": \"@event\",\n  \"file\": \"@file\"\n}", PH_END);
  {
    g_autoptr (json_object) json = call (&c, "PUT", "/api/v1/hooks/one/config", body, 201);
    g_autofree char *text = file_text (path);

    ck_assert (bool_member (json, "saved"));
    ck_assert_str_eq (str_member (json, "file"), path);
    assert_contains (text, "[hook one]");
    assert_contains (text, "data={\"what\":\"@event\",\"file\":\"@file\"}");
    ck_assert (g_stat (path, &st) == 0);
    ck_assert_int_eq (st.st_mode & 0777, 0640);
  }
  {
    g_autoptr (json_object) hooks = call (&c, "GET", "/api/v1/hooks", NULL, 200);
    json_object *one = listed_hook (hooks, "one");

    ck_assert_ptr_nonnull (one);
    ck_assert_str_eq (str_member (one, "file"), path);
  }
  {
    g_autoptr (json_object) records = print_and_wait (&c, rec, 2);
    json_object *json = NULL;

    ck_assert_uint_eq (count_path (records, "/one"), 1);
    ck_assert_uint_eq (count_path (records, "/fixed"), 1);
    for (size_t i = 0; i < json_object_array_length (records); i++)
      if (strcmp (json_object_get_string (json_object_object_get (
                      json_object_array_get_idx (records, i), "path")), "/one") == 0)
        json = json_object_object_get (json_object_array_get_idx (records, i), "json");
    ck_assert_str_eq (str_member (json, "what"), "PrintStarted");
  }

  /* GET gives the keys as written and the version. */
  {
    g_autoptr (json_object) json = call (&c, "GET", "/api/v1/hooks/one/config", NULL, 200);
    json_object *keys = member (json, "keys");

    ck_assert (bool_member (json, "editable"));
    ck_assert_str_eq (str_member (keys, "url"), url1);
    ck_assert_str_eq (str_member (keys, "events"), "PrintStarted");
    version = g_strdup (str_member (json, "version"));
    ck_assert_uint_eq (strlen (version), 64);
  }

  /* A stale version is refused and nothing changes. */
  {
    g_autofree char *stale = edit_body ("0000", "url", url2, "events", "PrintDone", PH_END);
    g_autofree char *before = file_text (path);
    g_autoptr (ph_console_reply) r = send_bearer (&c, "PUT", "/api/v1/hooks/one/config", stale);
    g_autofree char *after = file_text (path);

    assert_error_json (r, 409);
    ck_assert_str_eq (before, after);
  }
  /* Creating what exists is a conflict too. */
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "PUT", "/api/v1/hooks/one/config", body);

    assert_error_json (r, 409);
  }

  /* An edit with the right version: applied at once. */
  {
    g_autofree char *edit = edit_body (version, "url", url2, "events", "PrintDone", PH_END);
    g_autoptr (json_object) json = call (&c, "PUT", "/api/v1/hooks/one/config", edit, 200);
    g_autoptr (json_object) records = print_and_wait (&c, rec, 4);

    ck_assert_str_ne (str_member (json, "version"), version);
    ck_assert_uint_eq (count_path (records, "/two"), 1);
    ck_assert_uint_eq (count_path (records, "/one"), 1);
    g_free (version);
    version = g_strdup (str_member (json, "version"));
  }

  /* Renamed: the old file goes, the new one comes, in one reload. */
  {
    g_autofree char *edit = edit_body (version, "url", url2, "events", "PrintDone", PH_END);
    g_autofree char *rename = with_member (edit, "rename_from", "\"one\"");
    g_autofree char *renamed_path = hook_path (&c, "renamed");
    g_autoptr (json_object) json = call (&c, "PUT", "/api/v1/hooks/renamed/config", rename, 201);
    g_autoptr (json_object) hooks = call (&c, "GET", "/api/v1/hooks", NULL, 200);

    ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
    ck_assert (g_file_test (renamed_path, G_FILE_TEST_EXISTS));
    ck_assert_ptr_null (listed_hook (hooks, "one"));
    ck_assert_ptr_nonnull (listed_hook (hooks, "renamed"));
    g_free (version);
    version = g_strdup (str_member (json, "version"));
  }

  /* Deleted: only with the version, and the hook is gone. */
  {
    g_autoptr (ph_console_reply) none = send_bearer (&c, "DELETE", "/api/v1/hooks/renamed/config",
                                                     NULL);
    g_autoptr (ph_console_reply) stale = send_bearer (&c, "DELETE",
                                                      "/api/v1/hooks/renamed/config?version=00",
                                                      NULL);
    g_autofree char *right = g_strdup_printf ("/api/v1/hooks/renamed/config?version=%s", version);
    g_autoptr (json_object) json = NULL;
    g_autoptr (json_object) hooks = NULL;
    g_autofree char *renamed_path = hook_path (&c, "renamed");

    assert_error_json (none, 400);
    assert_error_json (stale, 409);
    ck_assert (g_file_test (renamed_path, G_FILE_TEST_EXISTS));
    json = call (&c, "DELETE", right, NULL, 200);
    ck_assert (bool_member (json, "deleted"));
    ck_assert (!g_file_test (renamed_path, G_FILE_TEST_EXISTS));
    hooks = call (&c, "GET", "/api/v1/hooks", NULL, 200);
    ck_assert_ptr_null (listed_hook (hooks, "renamed"));
    ck_assert_ptr_nonnull (listed_hook (hooks, "fixed"));
  }
  /* Nothing but the hooks' files was left in the directory. */
  {
    g_autofree char *dir = edit_dir (&c);
    g_autofree char *listing = dir_listing (dir);

    ck_assert_str_eq (listing, "");
  }
  console_stop (&c);
}
END_TEST

/* A browser's session edits under the console's CSRF rule, as every
 * state-changing request does. */
START_TEST (test_cookie_edits_need_the_csrf_token_and_own_origin)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url = ph_receiver_url (rec, "/c");
  g_autofree char *body = edit_body ("none", "url", url, "events", "PrintDone", PH_END);
  g_autofree char *cookie = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *csrf_header = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *path = NULL;
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  path = hook_path (&c, "c");
  cookie = log_in (&c);
  csrf = csrf_of (&c, cookie);
  csrf_header = g_strdup_printf ("X-CSRF-Token: %s", csrf);
  origin = g_strdup_printf ("Origin: %s", c.base);
  {
    const char *no_token[] = { cookie, origin, "Content-Type: application/json", NULL };
    const char *evil[] = { cookie, csrf_header, "Origin: http://evil.example",
                           "Content-Type: application/json", NULL };
    g_autoptr (ph_console_reply) a = send_as (&c, "PUT", "/api/v1/hooks/c/config", no_token, body);
    g_autoptr (ph_console_reply) b = send_as (&c, "PUT", "/api/v1/hooks/c/config", evil, body);
    g_autoptr (ph_console_reply) v = send_as (&c, "POST", "/api/v1/hooks/validate", no_token, body);

    assert_error_json (a, 403);
    assert_error_json (b, 403);
    assert_error_json (v, 403);
    ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  }
  {
    const char *good[] = { cookie, csrf_header, origin, "Content-Type: application/json", NULL };
    g_autoptr (ph_console_reply) r = send_as (&c, "PUT", "/api/v1/hooks/c/config", good, body);

    assert_status (r, 201);
    ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  console_stop (&c);
}
END_TEST

/* The daemon's configuration directory as the package has it: /etc,
 * which the daemon cannot write (read-only even for a root test: see
 * ph_daemon_process_start_read_only); the editor writes beside it only. */
START_TEST (test_hooks_of_the_config_directory_are_read_only)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\napi_secret = s3cr3t-api\n");
  g_autofree char *etc = NULL;
  g_autofree char *etc_hooks = NULL;
  g_autofree char *etc_before = NULL;
  g_autofree char *etc_listing = NULL;
  g_autofree char *keys = NULL;
  g_auto (console) c = { 0 };

  /* write_config's files, but the configuration in DIR/etc. */
  c.dir = ph_test_tmpdir ();
  etc = g_build_filename (c.dir, "etc", NULL);
  etc_hooks = g_build_filename (etc, "hooks.d", NULL);
  ck_assert_int_eq (g_mkdir_with_parents (etc_hooks, 0750), 0);
  c.config = g_build_filename (etc, "printhook.conf", NULL);
  c.socket = g_build_filename (c.dir, "control.sock", NULL);
  c.token_file = g_build_filename (c.dir, "console.token", NULL);
  keys = g_strdup_printf (ANY_PORT "hooks_dir = %s/console-hooks.d\n", c.dir);
  write_config (&c, keys, fixed);
  {
    g_autofree char *more = g_build_filename (etc_hooks, "more.conf", NULL);
    g_autofree char *url = ph_receiver_url (rec, "/more");
    g_autofree char *text = g_strdup_printf ("[hook more]\nurl = %s\nevents = PrintDone\n", url);

    ck_assert (g_file_set_contents (more, text, -1, NULL));
  }
  c.daemon = ph_daemon_process_start_read_only (c.config, etc);
  ph_daemon_process_wait_log (c.daemon, LISTENING, 1, 10000);
  c.port = logged_port (c.daemon, LISTENING);
  c.base = g_strdup_printf ("http://127.0.0.1:%u", (guint) c.port);
  c.token = read_token (c.token_file);
  c.bearer = g_strdup_printf ("Authorization: Bearer %s", c.token);
  etc_before = file_text (c.config);
  etc_listing = dir_listing (etc_hooks);
  /* Read-only for the daemon indeed: as root its mount of DIR/etc says
   * "ro"; as anyone else nobody may write there. */
  if (geteuid () == 0)
    {
      g_autofree char *where = g_strdup_printf ("/proc/%d/mountinfo",
                                                (int) ph_daemon_process_pid (c.daemon));
      g_autofree char *mounts = file_text (where);
      g_auto (GStrv) lines = g_strsplit (mounts, "\n", -1);
      gboolean ro = FALSE;

      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_auto (GStrv) f = g_strsplit (lines[i], " ", -1);

          if (g_strv_length (f) > 5 && strcmp (f[4], etc) == 0
              && (g_str_has_prefix (f[5], "ro,") || strcmp (f[5], "ro") == 0))
            ro = TRUE;
        }
      ck_assert_msg (ro, "the daemon's %s is not mounted read-only:\n%s", etc, mounts);
    }
  else
    ck_assert (access (etc, W_OK) != 0);

  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "fixed" : "more";
      g_autofree char *path = g_strdup_printf ("/api/v1/hooks/%s/config", name);
      g_autoptr (json_object) json = call (&c, "GET", path, NULL, 200);

      ck_assert (!bool_member (json, "editable"));
      ck_assert_int_gt (int_member (json, "line"), 0);
      assert_contains (str_member (json, "read_only_because"), "copy it to an editable hook");
      assert_null_member (json, "version");
    }
  {
    g_autoptr (json_object) json = call (&c, "GET", "/api/v1/hooks/fixed/config", NULL, 200);

    ck_assert_str_eq (str_member (json, "file"), c.config);
    ck_assert_str_eq (json_object_to_json_string (array_member (json, "secrets_set")),
                      "[ \"api_secret\" ]");
  }
  {
    g_autofree char *edit = edit_body ("none", "url", "http://127.0.0.1:1/x", PH_END);
    g_autoptr (ph_console_reply) del = send_bearer (&c, "DELETE",
                                                    "/api/v1/hooks/more/config?version=none",
                                                    NULL);
    g_autoptr (ph_console_reply) put = send_bearer (&c, "PUT", "/api/v1/hooks/fixed/config", edit);
    g_autoptr (json_object) json = NULL;
    g_autofree char *problems = NULL;

    assert_error_json (del, 403);
    /* The same name in both places: the checker's duplicate error. */
    assert_error_json (put, 422);
    json = ph_console_reply_json (put);
    problems = problem_lines (json);
    assert_contains (problems, "hook 'fixed' is already defined in");
  }
  /* "Copy to an editable hook": its keys under a new name, and its
   * secret kept without the client ever seeing it. */
  {
    g_autoptr (json_object) old = call (&c, "GET", "/api/v1/hooks/fixed/config", NULL, 200);
    json_object *old_keys = member (old, "keys");
    g_autofree char *copy = edit_body ("none", "url", str_member (old_keys, "url"), "events",
                                       str_member (old_keys, "events"), PH_END);
    g_autofree char *body = with_member (copy, "secrets_from", "\"fixed\"");
    g_autofree char *path = hook_path (&c, "fixed-copy");
    g_autofree char *text = NULL;

    json_object_put (call (&c, "PUT", "/api/v1/hooks/fixed-copy/config", body, 201));
    text = file_text (path);
    assert_contains (text, "api_secret=s3cr3t-api");
  }
  emit_ok (&c, "PrintDone", NULL);
  {
    g_autoptr (json_object) records = receiver_wait (rec, 3);

    ck_assert_uint_eq (count_path (records, "/fixed"), 2);
    ck_assert_uint_eq (count_path (records, "/more"), 1);
  }
  {
    g_autofree char *etc_after = file_text (c.config);
    g_autofree char *listing = dir_listing (etc_hooks);
    g_autofree char *top = dir_listing (etc);

    ck_assert_str_eq (etc_before, etc_after);
    ck_assert_str_eq (listing, etc_listing);
    ck_assert_str_eq (top, "hooks.d printhook.conf");
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_invalid_hook_is_refused_by_key_and_nothing_written)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *bad = edit_body ("none", "url", "ftp://127.0.0.1/x", "events", "PrintDone",
                                    "retry.max_attempts", "many", "evnets", "PrintDone",
                                    "data", "{\"a\": ", PH_END);
  g_autofree char *dir = NULL;
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  dir = edit_dir (&c);
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "PUT", "/api/v1/hooks/bad/config", bad);
    g_autoptr (json_object) json = NULL;
    g_autofree char *problems = NULL;
    g_autofree char *listing = dir_listing (dir);

    assert_error_json (r, 422);
    json = ph_console_reply_json (r);
    problems = problem_lines (json);
    assert_contains (problems, "url: 'ftp://127.0.0.1/x' is not an http:// or https:// URL");
    assert_contains (problems, "retry.max_attempts: ");
    assert_contains (problems, "evnets: unknown key; did you mean 'events'?");
    assert_contains (problems, "data: ");
    ck_assert_str_eq (listing, "");
  }
  /* validate says the same, writes nothing either. */
  {
    g_autofree char *named = with_member (bad, "name", "\"bad\"");
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/hooks/validate", named, 200);
    g_autofree char *problems = problem_lines (json);
    g_autofree char *listing = dir_listing (dir);

    ck_assert (!bool_member (json, "valid"));
    assert_contains (problems, "evnets: unknown key");
    ck_assert_str_eq (listing, "");
  }
  /* Bad requests: not JSON keys, a bad name, no version, a bad key name. */
  {
    g_autoptr (ph_console_reply) no_keys = send_bearer (&c, "PUT", "/api/v1/hooks/x/config",
                                                        "{\"version\": \"none\"}");
    g_autoptr (ph_console_reply) bad_name = send_bearer (&c, "PUT", "/api/v1/hooks/..x/config",
                                                         "{\"version\": \"none\", \"keys\": {}}");
    g_autoptr (ph_console_reply) no_version = send_bearer (&c, "PUT", "/api/v1/hooks/x/config",
                                                           "{\"keys\": {}}");
    g_autoptr (ph_console_reply) bad_key = send_bearer (
        &c, "PUT", "/api/v1/hooks/x/config",
        "{\"version\": \"none\", \"keys\": {\"url\\n[hook y]\": \"z\"}}");
    g_autoptr (ph_console_reply) number = send_bearer (
        &c, "PUT", "/api/v1/hooks/x/config",
        "{\"version\": \"none\", \"keys\": {\"timeout\": 5}}");
    g_autofree char *listing = dir_listing (dir);

    assert_error_json (no_keys, 400);
    assert_error_json (bad_name, 400);
    assert_error_json (no_version, 400);
    assert_error_json (bad_key, 400);
    assert_error_json (number, 400);
    ck_assert_str_eq (listing, "");
  }
  /* What fuzz-hook-file found: a value a file cannot keep is refused, not
   * changed; JSON with text after it is not cut to its first value. */
  {
    g_autoptr (ph_console_reply) form_feed = send_bearer (
        &c, "PUT", "/api/v1/hooks/x/config",
        "{\"version\": \"none\", \"keys\": {\"url\": \"\\f\"}}");
    g_autofree char *trailing = edit_body ("none", "url", "http://127.0.0.1:9/x", "data",
                                           "{\"a\": 1} tail", PH_END);
    g_autoptr (ph_console_reply) r = send_bearer (&c, "PUT", "/api/v1/hooks/x/config", trailing);
    g_autoptr (json_object) json = NULL;
    g_autofree char *problems = NULL;
    g_autofree char *listing = dir_listing (dir);

    assert_error_json (form_feed, 400);
    assert_contains (form_feed->body->str, "url: the value has control characters");
    assert_error_json (r, 422);
    json = ph_console_reply_json (r);
    problems = problem_lines (json);
    assert_contains (problems, "data: invalid JSON");
    ck_assert_str_eq (listing, "");
  }
  /* Without credentials: refused like every other API. */
  {
    g_autofree char *url = g_strconcat (c.base, "/api/v1/hooks/x/config", NULL);
    g_autoptr (ph_console_reply) r = ph_console_request ("PUT", url, NULL, bad, -1);

    assert_status (r, 401);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_validate_previews_and_sends_the_unsaved_hook)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url = ph_receiver_url (rec, "/draft");
  g_autofree char *draft = edit_body (NULL, "url", url, "events", "PrintDone", "data",
                                      "{\"said\": \"@message\", \"id\": \"@deviceIdentifier\"}",
                                      PH_END);
  g_autofree char *named = with_member (draft, "name", "\"draft\"");
  g_autofree char *preview = with_member (named, "event", "\"PrintDone\"");
  g_autofree char *send = with_member (preview, "send", "true");
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/hooks/validate", preview, 200);
    json_object *request = member (json, "preview");

    ck_assert (bool_member (json, "valid"));
    ck_assert_str_eq (str_member (request, "url"), url);
    ck_assert_str_eq (str_member (request, "method"), "POST");
    assert_contains (str_member (request, "body"), "\"said\"");
  }
  {
    g_autoptr (json_object) json = call (&c, "POST", "/api/v1/hooks/validate", send, 200);
    g_autoptr (json_object) records = receiver_wait (rec, 1);
    json_object *body = json_object_object_get (json_object_array_get_idx (records, 0), "json");

    ck_assert (bool_member (json, "delivered"));
    ck_assert_int_eq (int_member (json, "status"), 200);
    ck_assert_str_eq (json_object_get_string (json_object_object_get (
                          json_object_array_get_idx (records, 0), "path")), "/draft");
    ck_assert_ptr_nonnull (strstr (str_member (body, "said"), "done"));
  }
  /* Unsaved: no file, no hook. */
  {
    g_autofree char *dir = edit_dir (&c);
    g_autofree char *listing = dir_listing (dir);
    g_autoptr (json_object) hooks = call (&c, "GET", "/api/v1/hooks", NULL, 200);

    ck_assert_str_eq (listing, "");
    ck_assert_ptr_null (listed_hook (hooks, "draft"));
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_secrets_are_write_only)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url = ph_receiver_url (rec, "/api/webhooks/42/TOKENxyz123");
  g_autofree char *body = edit_body ("none", "url", url, "events", "PrintDone", "api_secret",
                                     "k3y-abcdef", "headers",
                                     "{\"Authorization\": \"Bearer b34r3r-tok\", \"X-Plain\": \"1\"}",
                                     PH_END);
  g_autofree char *path = NULL;
  g_autofree char *version = NULL;
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  path = hook_path (&c, "s");
  json_object_put (call (&c, "PUT", "/api/v1/hooks/s/config", body, 201));
  {
    g_autoptr (ph_console_reply) r = send_bearer (&c, "GET", "/api/v1/hooks/s/config", NULL);
    g_autoptr (json_object) json = ph_console_reply_json (r);
    json_object *keys = member (json, "keys");

    assert_status (r, 200);
    ck_assert_ptr_null (strstr (r->body->str, "k3y-abcdef"));
    ck_assert_ptr_null (strstr (r->body->str, "b34r3r-tok"));
    ck_assert_ptr_null (strstr (r->body->str, "TOKENxyz123"));
    ck_assert (!json_object_object_get_ex (keys, "api_secret", NULL));
    ck_assert_str_eq (json_object_to_json_string (array_member (json, "secrets_set")),
                      "[ \"api_secret\" ]");
    /* Send back what was shown, one header added: every hidden value
     * stays as it was. */
    {
      g_autoptr (json_object) headers = json_tokener_parse (str_member (keys, "headers"));
      g_autofree char *edit = NULL;

      json_object_object_add (headers, "X-Added", json_object_new_string ("2"));
      version = g_strdup (str_member (json, "version"));
      edit = edit_body (version, "url", str_member (keys, "url"), "events", "PrintDone",
                        "api_secret", "", "headers", json_object_to_json_string (headers), PH_END);
      json_object_put (call (&c, "PUT", "/api/v1/hooks/s/config", edit, 200));
    }
  }
  {
    g_autofree char *text = file_text (path);

    assert_contains (text, "api_secret=k3y-abcdef");
    assert_contains (text, "TOKENxyz123");
    assert_contains (text, "\"Authorization\":\"Bearer b34r3r-tok\"");
    assert_contains (text, "\"X-Added\":\"2\"");
  }
  {
    g_autoptr (json_object) records = print_and_wait (&c, rec, 2);
    json_object *record = NULL;

    for (size_t i = 0; i < json_object_array_length (records); i++)
      if (strcmp (json_object_get_string (json_object_object_get (
                      json_object_array_get_idx (records, i), "path")), "/fixed") != 0)
        record = json_object_array_get_idx (records, i);
    ck_assert_ptr_nonnull (record);
    ck_assert_str_eq (ph_record_header (record, "Authorization"), "Bearer b34r3r-tok");
    ck_assert_str_eq (ph_record_header (record, "X-Added"), "2");
  }
  /* unset clears a secret. */
  {
    g_autofree char *v = version_of (&c, "s");
    g_autofree char *edit = edit_body (v, "url", url, "events", "PrintDone", PH_END);
    g_autofree char *unset = with_member (edit, "unset", "[\"api_secret\"]");
    g_autofree char *text = NULL;

    json_object_put (call (&c, "PUT", "/api/v1/hooks/s/config", unset, 200));
    text = file_text (path);
    ck_assert_ptr_null (strstr (text, "api_secret"));
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_crash_between_write_and_reload_leaves_a_valid_config)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url = ph_receiver_url (rec, "/crash");
  g_autofree char *body = edit_body ("none", "url", url, "events", "PrintDone", PH_END);
  const char *env[] = { "PRINTHOOK_CONSOLE_FAULT=exit-after-write", NULL };
  g_autofree char *failure = NULL;
  g_auto (console) c = { 0 };

  console_start_with_env (&c, ANY_PORT EDIT_DIR, fixed, env);
  {
    g_autofree char *target = g_strconcat (c.base, "/api/v1/hooks/crash/config", NULL);
    const char *headers[] = { c.bearer, "Content-Type: application/json", NULL };
    g_autoptr (ph_console_reply) r = ph_console_try_request ("PUT", target, headers, body,
                                                             &failure);

    ck_assert_msg (r == NULL, "the daemon answered HTTP %ld instead of ending", r ? r->status : 0);
  }
  ck_assert_int_eq (ph_daemon_process_stop (c.daemon, 10), 128 + SIGKILL);
  g_clear_pointer (&c.daemon, ph_daemon_process_free);
  {
    const char *argv[] = { "check", "-c", c.config, NULL };
    g_autoptr (ph_run_result) r = ph_run_printhook (argv, NULL, 30);
    g_autofree char *dir = edit_dir (&c);
    g_autofree char *listing = dir_listing (dir);

    ck_assert_msg (r->exit_status == 0, "check after the crash: %d\n%s%s", r->exit_status, r->out,
                   r->err);
    assert_contains (r->out, "crash");
    ck_assert_str_eq (listing, "crash.conf");
  }
  /* Started again, it runs the hook written before the crash. */
  c.daemon = ph_daemon_process_start (c.config);
  ph_daemon_process_wait_log (c.daemon, LISTENING, 1, 10000);
  emit_ok (&c, "PrintDone", NULL);
  {
    g_autoptr (json_object) records = receiver_wait (rec, 2);

    ck_assert_uint_eq (count_path (records, "/crash"), 1);
  }
  console_stop (&c);
}
END_TEST

START_TEST (test_failed_reload_puts_the_previous_file_back)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url = ph_receiver_url (rec, "/kept");
  g_autofree char *other = ph_receiver_url (rec, "/lost");
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  const char *env[] = { "PRINTHOOK_CONSOLE_FAULT=spoil-after-write", NULL };
  g_auto (console) c = { 0 };

  /* The hook exists before the daemon starts, as if made by hand. */
  write_config (&c, ANY_PORT EDIT_DIR, fixed);
  {
    g_autofree char *dir = edit_dir (&c);
    g_autofree char *text = g_strdup_printf ("[hook kept]\nurl = %s\nevents = PrintDone\n", url);

    path = hook_path (&c, "kept");
    ck_assert_int_eq (g_mkdir (dir, 0750), 0);
    ck_assert (g_file_set_contents (path, text, -1, NULL));
    before = g_strdup (text);
  }
  console_start_with_env (&c, ANY_PORT EDIT_DIR, fixed, env);
  {
    g_autofree char *version = version_of (&c, "kept");
    g_autofree char *edit = edit_body (version, "url", other, "events", "PrintDone", PH_END);
    g_autoptr (ph_console_reply) r = send_bearer (&c, "PUT", "/api/v1/hooks/kept/config", edit);
    g_autofree char *after = file_text (path);

    assert_error_json (r, 422);
    ck_assert_str_eq (after, before);
  }
  emit_ok (&c, "PrintDone", NULL);
  {
    g_autoptr (json_object) records = receiver_wait (rec, 2);

    ck_assert_uint_eq (count_path (records, "/kept"), 1);
    ck_assert_uint_eq (count_path (records, "/lost"), 0);
  }
  assert_log_contains (c.daemon, "did not load; the previous files are back");
  console_stop (&c);
}
END_TEST

START_TEST (test_deleted_hook_leaves_its_deliveries_as_dead_letters)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_autofree char *url = ph_receiver_url (rec, "/back");
  /* Nobody listens on port 1: the delivery waits for its retry. */
  g_autofree char *body = edit_body ("none", "url", "http://127.0.0.1:1/away", "events",
                                     "PrintFailed", "retry.schedule", "60", PH_END);
  g_autofree char *id = NULL;
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  json_object_put (call (&c, "PUT", "/api/v1/hooks/gone/config", body, 201));
  emit_ok (&c, "PrintFailed", NULL);
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * slowness ();

    for (;;)
      {
        g_autoptr (json_object) list = call (&c, "GET", "/api/v1/deliveries?hook=gone", NULL, 200);
        json_object *items = array_member (list, "deliveries");

        if (json_object_array_length (items) == 1
            && int_member (json_object_array_get_idx (items, 0), "attempts") >= 1)
          {
            id = g_strdup (str_member (json_object_array_get_idx (items, 0), "id"));
            break;
          }
        ck_assert_msg (g_get_monotonic_time () < deadline, "no attempted delivery of hook gone");
        g_usleep (50 * 1000);
      }
  }
  {
    g_autofree char *version = version_of (&c, "gone");
    g_autofree char *del = g_strdup_printf ("/api/v1/hooks/gone/config?version=%s", version);

    json_object_put (call (&c, "DELETE", del, NULL, 200));
  }
  {
    g_autofree char *one = g_strdup_printf ("/api/v1/deliveries/%s", id);
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * slowness ();

    for (;;)
      {
        g_autoptr (json_object) json = call (&c, "GET", one, NULL, 200);

        if (g_strcmp0 (str_member (json, "state"), "dead") == 0)
          {
            assert_contains (str_member (json, "dead_reason"), "hook removed");
            break;
          }
        /* A removed hook's deliveries are buried at their next due time:
         * ask for it now. */
        {
          g_autofree char *retry = g_strdup_printf ("/api/v1/deliveries/%s/retry", id);
          g_autoptr (ph_console_reply) r = send_bearer (&c, "POST", retry, NULL);

          /* 409 while it is being attempted: asked again next round. */
          ck_assert_msg (r->status == 200 || r->status == 409, "retry: HTTP %ld", r->status);
        }
        ck_assert_msg (g_get_monotonic_time () < deadline, "the delivery did not become dead");
        g_usleep (50 * 1000);
      }
  }
  /* The hook comes back, reachable now: the dead letter can be retried. */
  {
    g_autofree char *back = edit_body ("none", "url", url, "events", "PrintFailed", PH_END);
    g_autofree char *retry = g_strdup_printf ("/api/v1/deliveries/%s/retry", id);
    g_autoptr (json_object) records = NULL;

    json_object_put (call (&c, "PUT", "/api/v1/hooks/gone/config", back, 201));
    json_object_put (call (&c, "POST", retry, NULL, 200));
    records = receiver_wait (rec, 1);
    ck_assert_uint_eq (count_path (records, "/back"), 1);
  }
  console_stop (&c);
}
END_TEST

/* The key of name in a keys list, or NULL (transfer none). */
static json_object *
find_key (json_object *keys, const char *name)
{
  for (size_t i = 0; i < json_object_array_length (keys); i++)
    if (strcmp (str_member (json_object_array_get_idx (keys, i), "name"), name) == 0)
      return json_object_array_get_idx (keys, i);
  return NULL;
}

START_TEST (test_keys_and_presets_for_the_form)
{
  g_autoptr (ph_receiver) rec = ph_receiver_start (NULL);
  g_autofree char *fixed = hook (rec, "fixed", "events = PrintDone\n");
  g_auto (console) c = { 0 };

  console_start (&c, ANY_PORT EDIT_DIR, fixed);
  {
    g_autoptr (json_object) json = call (&c, "GET", "/api/v1/keys", NULL, 200);
    json_object *hook_keys = array_member (json, "hook");
    json_object *modules = array_member (json, "modules");
    json_object *oauth = NULL;

    ck_assert (bool_member (find_key (hook_keys, "api_secret"), "secret"));
    ck_assert_str_eq (str_member (find_key (hook_keys, "data"), "type"), "JSON object");
    ck_assert_str_eq (str_member (find_key (hook_keys, "method"), "default"), "POST");
    for (size_t i = 0; i < json_object_array_length (modules); i++)
      if (strcmp (str_member (json_object_array_get_idx (modules, i), "name"), "oauth") == 0)
        oauth = json_object_array_get_idx (modules, i);
    ck_assert_ptr_nonnull (oauth);
    ck_assert (bool_member (find_key (array_member (oauth, "keys"), "oauth.data"),
                            "secret"));
  }
  {
    g_autoptr (json_object) json = call (&c, "GET", "/api/v1/presets", NULL, 200);
    json_object *presets = array_member (json, "presets");
    json_object *discord = NULL;

    ck_assert_uint_ge (json_object_array_length (presets), 10);
    for (size_t i = 0; i < json_object_array_length (presets); i++)
      if (strcmp (str_member (json_object_array_get_idx (presets, i), "file"), "discord.conf") == 0)
        discord = json_object_array_get_idx (presets, i);
    ck_assert_ptr_nonnull (discord);
    assert_contains (str_member (discord, "title"), "Discord");
    {
      json_object *first = json_object_array_get_idx (array_member (discord, "hooks"), 0);
      json_object *keys = member (first, "keys");

      ck_assert_str_eq (str_member (first, "name"), "discord");
      assert_contains (str_member (keys, "data"), "allowed_mentions");
      assert_contains (str_member (keys, "events"), "PrintDone");
    }
  }
  console_stop (&c);
}
END_TEST

static Suite *
console_edit_suite (void)
{
  Suite *s = suite_create ("console-edit");
  TCase *api = tcase_create ("api");
  TCase *safety = tcase_create ("safety");

  tcase_set_timeout (api, 60 * slowness ());
  tcase_add_test (api, test_create_edit_rename_and_delete);
  tcase_add_test (api, test_cookie_edits_need_the_csrf_token_and_own_origin);
  tcase_add_test (api, test_hooks_of_the_config_directory_are_read_only);
  tcase_add_test (api, test_invalid_hook_is_refused_by_key_and_nothing_written);
  tcase_add_test (api, test_validate_previews_and_sends_the_unsaved_hook);
  tcase_add_test (api, test_secrets_are_write_only);
  tcase_add_test (api, test_keys_and_presets_for_the_form);
  suite_add_tcase (s, api);

  tcase_set_timeout (safety, 60 * slowness ());
  tcase_add_test (safety, test_crash_between_write_and_reload_leaves_a_valid_config);
  tcase_add_test (safety, test_failed_reload_puts_the_previous_file_back);
  tcase_add_test (safety, test_deleted_hook_leaves_its_deliveries_as_dead_letters);
  suite_add_tcase (s, safety);
  return s;
}

int
main (void)
{
  int status;

  ph_test_init ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  status = ph_test_run (console_edit_suite ());
  curl_global_cleanup ();
  return status;
}
