/* A printer source behind a proxy: the proxy environment read as libcurl
 * reads it (core/sources/proxy_env.c), then printhook run whose OctoPrint
 * source reaches a fake OctoPrint through a real forward proxy
 * (tests/servers/fake_proxy.py), REST calls and websocket alike. */
#define _GNU_SOURCE 1   /* struct ucred */
#include "autoconfig.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "daemon_asserts.h"
#include "daemon_process.h"
#include "fake_octoprint.h"
#include "harness.h"
#include "text/json_text.h"
#include "sources/proxy_env.h"

#define PROXY "http://proxy.lan:3128"
#define OTHER "http://other.lan:8080"

/* Where resolver sends url: its first proxy URI (transfer full). */
static char *
lookup (GProxyResolver *resolver, const char *url)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) proxies = g_proxy_resolver_lookup (resolver, url, NULL, &error);

  ck_assert_msg (proxies != NULL, "%s: %s", url, error != NULL ? error->message : "nothing");
  return g_strdup (proxies[0]);
}

/* Asserts where the environment env (NULL-terminated "NAME=value") sends
 * url. */
#define assert_route(env, url, expected)                                          \
  do                                                                              \
    {                                                                             \
      g_autoptr (GProxyResolver) resolver_ = ph_proxy_env_resolver_new (env);     \
      g_autofree char *got_ = lookup (resolver_, url);                            \
      ck_assert_msg (strcmp (got_, expected) == 0, "%s: %s, not %s", url, got_, expected); \
    }                                                                             \
  while (0)

START_TEST (test_no_variable_means_no_proxy)
{
  const char *env[] = { "PATH=/usr/bin", NULL };

  assert_route (env, "http://octopi.lan/", "direct://");
  assert_route (env, "ws://octopi.lan/sockjs/websocket", "direct://");
  assert_route (env, "wss://octopi.lan/sockjs/websocket", "direct://");
  assert_route (NULL, "http://octopi.lan/", "direct://");
}
END_TEST

START_TEST (test_http_proxy_serves_http_and_ws_not_https)
{
  const char *env[] = { "http_proxy=" PROXY, NULL };

  assert_route (env, "http://octopi.lan:5000/", PROXY);
  assert_route (env, "ws://octopi.lan:5000/sockjs/websocket", PROXY);
  assert_route (env, "https://octopi.lan/", "direct://");
  assert_route (env, "wss://octopi.lan/sockjs/websocket", "direct://");
}
END_TEST

/* curl(1): "only the lower case version" of http_proxy, since a CGI
 * request can set HTTP_PROXY from its Proxy header ("httpoxy"). */
START_TEST (test_upper_case_http_proxy_is_ignored)
{
  const char *env[] = { "HTTP_PROXY=" PROXY, NULL };

  assert_route (env, "http://octopi.lan/", "direct://");
  assert_route (env, "ws://octopi.lan/", "direct://");
}
END_TEST

START_TEST (test_https_proxy_serves_https_and_wss_either_case)
{
  const char *lower[] = { "https_proxy=" PROXY, "HTTPS_PROXY=" OTHER, NULL };
  const char *upper[] = { "HTTPS_PROXY=" OTHER, NULL };

  assert_route (lower, "https://octopi.lan/", PROXY);
  assert_route (lower, "wss://octopi.lan/sockjs/websocket", PROXY);
  assert_route (lower, "ws://octopi.lan/sockjs/websocket", "direct://");
  assert_route (upper, "wss://octopi.lan/sockjs/websocket", OTHER);
}
END_TEST

START_TEST (test_all_proxy_serves_schemes_without_their_own)
{
  const char *env[] = { "ALL_PROXY=" OTHER, "all_proxy=" PROXY, "https_proxy=" OTHER, NULL };

  assert_route (env, "ws://octopi.lan/", PROXY);
  assert_route (env, "wss://octopi.lan/", OTHER);
}
END_TEST

/* curl: a variable that is set but empty means no proxy, even with an
 * all_proxy. */
START_TEST (test_empty_variable_means_direct)
{
  const char *env[] = { "http_proxy=", "all_proxy=" PROXY, NULL };

  assert_route (env, "ws://octopi.lan/", "direct://");
  assert_route (env, "wss://octopi.lan/", PROXY);
}
END_TEST

START_TEST (test_proxy_without_scheme_is_http)
{
  const char *env[] = { "http_proxy= proxy.lan:3128 ", "https_proxy=socks5h://user:pw@10.0.0.1:1080",
                        NULL };

  assert_route (env, "ws://octopi.lan/", PROXY);
  assert_route (env, "wss://octopi.lan/", "socks5://user:pw@10.0.0.1:1080");
}
END_TEST

START_TEST (test_no_proxy_names_hosts_and_their_subdomains)
{
  const char *env[] = { "http_proxy=" PROXY, "no_proxy=printer.lan, .farm.example,localhost", NULL };

  assert_route (env, "ws://printer.lan/", "direct://");
  assert_route (env, "ws://octopi.printer.lan:5000/", "direct://");
  assert_route (env, "ws://mk4.farm.example/", "direct://");
  assert_route (env, "ws://farm.example/", "direct://");
  assert_route (env, "ws://localhost:7125/", "direct://");
  assert_route (env, "ws://notprinter.lan/", PROXY);
  assert_route (env, "ws://printer.lan.evil.example/", PROXY);
}
END_TEST

START_TEST (test_no_proxy_takes_addresses_and_ranges)
{
  const char *env[] = { "http_proxy=" PROXY, "NO_PROXY=127.0.0.1 192.168.0.0/16\t::1", NULL };

  assert_route (env, "ws://127.0.0.1:5000/", "direct://");
  assert_route (env, "ws://192.168.1.20/", "direct://");
  assert_route (env, "ws://[::1]:5000/", "direct://");
  assert_route (env, "ws://10.0.0.5/", PROXY);
}
END_TEST

START_TEST (test_lower_case_no_proxy_wins)
{
  const char *env[] = { "http_proxy=" PROXY, "no_proxy=a.lan", "NO_PROXY=b.lan", NULL };

  assert_route (env, "ws://a.lan/", "direct://");
  assert_route (env, "ws://b.lan/", PROXY);
}
END_TEST

START_TEST (test_no_proxy_star_means_no_proxy_anywhere)
{
  const char *env[] = { "all_proxy=" PROXY, "no_proxy= * ", NULL };

  assert_route (env, "ws://octopi.lan/", "direct://");
  assert_route (env, "wss://octopi.lan/", "direct://");
}
END_TEST

/* A source that goes direct gets no resolver at all: GIO would load its
 * own default one for any resolver (proxy_env.h). */
START_TEST (test_resolver_only_for_a_proxied_url)
{
  const char *env[] = { "http_proxy=" PROXY, "no_proxy=127.0.0.1", NULL };
  g_autoptr (GProxyResolver) direct = ph_proxy_env_resolver_for (env, "http://127.0.0.1:5000");
  g_autoptr (GProxyResolver) via = ph_proxy_env_resolver_for (env, "http://octopi.lan:5000");
  g_autoptr (GProxyResolver) https = ph_proxy_env_resolver_for (env, "https://octopi.lan");

  ck_assert_ptr_null (direct);
  ck_assert_ptr_nonnull (via);
  ck_assert_ptr_null (https);
  {
    g_autofree char *got = lookup (via, "ws://octopi.lan:5000/sockjs/websocket");

    ck_assert_str_eq (got, PROXY);
  }
}
END_TEST

/* The daemon. */

/* A config with one OctoPrint source at f and a hook nothing fires;
 * *socket is its control socket.  Transfer full. */
static char *
write_config (ph_fake_octoprint *f, char **socket)
{
  g_autofree char *dir = ph_test_tmpdir ();
  g_autofree char *url = ph_fake_octoprint_url (f);
  char *path = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *text = NULL;

  *socket = g_build_filename (dir, "control.sock", NULL);
  text = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s/spool.db\n\n"
                          "[source mk3]\ntype = octoprint\nurl = %s\napi_key = %s\n\n"
                          "[hook main]\nurl = http://127.0.0.1:9/never\nevents = PrintFailed\n",
                          *socket, dir, url, PH_FAKE_OCTOPRINT_KEY);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  g_chmod (path, 0600);
  return path;
}

/* Starts printhook run with config and the proxy variables of env
 * ("NAME=value", NULL-terminated), every other one set but empty (no
 * proxy, whatever the suite's own environment says), and waits until its
 * source is connected. */
static ph_daemon_process *
start_daemon (const char *config, const char *const *env)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  ph_daemon_process *d;

  for (guint i = 0; ph_proxy_env_variables[i] != NULL; i++)
    {
      g_autofree char *prefix = g_strconcat (ph_proxy_env_variables[i], "=", NULL);
      const char *given = NULL;

      for (guint j = 0; env[j] != NULL && given == NULL; j++)
        if (g_str_has_prefix (env[j], prefix))
          given = env[j];
      g_ptr_array_add (all, given != NULL ? g_strdup (given) : g_steal_pointer (&prefix));
    }
  g_ptr_array_add (all, NULL);
  d = ph_daemon_process_start_with_env (config, (const char *const *) all->pdata);
  ph_daemon_process_wait_log (d, "source mk3: connected to OctoPrint at", 1, 10000);
  return d;
}

/* The targets of the requests the proxy got, one per line (transfer full). */
static char *
proxied (ph_fake_server *proxy)
{
  g_autoptr (json_object) requests = ph_fake_server_records_of (proxy, "request");
  g_autoptr (GString) text = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (requests); i++)
    {
      json_object *r = json_object_array_get_idx (requests, i);

      g_string_append_printf (text, "%s %s\n",
                              json_object_get_string (json_object_object_get (r, "method")),
                              json_object_get_string (json_object_object_get (r, "target")));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

START_TEST (test_source_goes_through_http_proxy_websocket_too)
{
  g_autoptr (ph_fake_server) proxy = ph_fake_server_start ("fake_proxy.py", "forward", NULL);
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("idle", NULL);
  g_autofree char *proxy_url = ph_fake_server_url (proxy);
  g_autofree char *setting = g_strconcat ("http_proxy=", proxy_url, NULL);
  const char *env[] = { setting, NULL };
  g_autofree char *socket = NULL;
  g_autofree char *config = write_config (f, &socket);
  g_autoptr (ph_daemon_process) d = start_daemon (config, env);
  g_autofree char *base = ph_fake_octoprint_url (f);
  g_autofree char *login = g_strdup_printf ("POST %s/api/login\n", base);
  g_autofree char *websocket = g_strdup_printf ("GET ws://%s/sockjs/websocket\n",
                                                base + strlen ("http://"));
  g_autofree char *seen = NULL;

  ph_fake_octoprint_wait (f, "ws_open", 1, 5000 * ph_test_slowness ());
  seen = proxied (proxy);
  assert_contains (seen, login);
  assert_contains (seen, websocket);
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

START_TEST (test_no_proxy_sends_the_source_direct)
{
  g_autoptr (ph_fake_server) proxy = ph_fake_server_start ("fake_proxy.py", "forward", NULL);
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("idle", NULL);
  g_autofree char *proxy_url = ph_fake_server_url (proxy);
  g_autofree char *setting = g_strconcat ("http_proxy=", proxy_url, NULL);
  const char *env[] = { setting, "no_proxy=localhost,127.0.0.1", NULL };
  g_autofree char *socket = NULL;
  g_autofree char *config = write_config (f, &socket);
  g_autoptr (ph_daemon_process) d = start_daemon (config, env);
  g_autofree char *seen = NULL;

  ph_fake_octoprint_wait (f, "ws_open", 1, 5000 * ph_test_slowness ());
  seen = proxied (proxy);
  ck_assert_str_eq (seen, "");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

/* The pid of the process listening on the Unix socket at path. */
static pid_t
socket_owner (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  struct ucred cred;
  socklen_t size = sizeof cred;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  ck_assert_int_ge (fd, 0);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  ck_assert_int_eq (connect (fd, (struct sockaddr *) &address, sizeof address), 0);
  ck_assert_int_eq (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &size), 0);
  close (fd);
  return cred.pid;
}

/* Fails with the line of maps (a /proc/PID/maps) that names path. */
static void
assert_not_mapped (const char *maps, const char *path)
{
  const char *at = strstr (maps, path);
  const char *start = at;

  if (at == NULL)
    return;
  while (start > maps && start[-1] != '\n')
    start--;
  ck_abort_msg ("mapped: %.*s", (int) strcspn (start, "\n"), start);
}

/* GIO's default proxy resolver loads every proxy module: libproxy (and
 * libstdc++ with it), the GNOME one (and dconf): 2.4 MB of RSS that a
 * source without a proxy does not need. */
START_TEST (test_direct_source_loads_no_gio_proxy_module)
{
  g_autoptr (ph_fake_octoprint) f = ph_fake_octoprint_start ("idle", NULL);
  const char *env[] = { NULL };
  g_autofree char *socket = NULL;
  g_autofree char *config = write_config (f, &socket);
  g_autoptr (ph_daemon_process) d = start_daemon (config, env);
  g_autofree char *maps_path = NULL;
  g_autofree char *maps = NULL;

  ph_fake_octoprint_wait (f, "ws_open", 1, 5000 * ph_test_slowness ());
  maps_path = g_strdup_printf ("/proc/%d/maps", (int) socket_owner (socket));
  ck_assert (g_file_get_contents (maps_path, &maps, NULL, NULL));
  ck_assert (strstr (maps, "/libsoup-3.0.so") != NULL);
  assert_not_mapped (maps, "/gio/modules/");
  assert_not_mapped (maps, "/libproxy.so");
  ck_assert_int_eq (ph_daemon_process_stop (d, 15), 0);
}
END_TEST

static Suite *
proxy_suite (void)
{
  Suite *s = suite_create ("proxy");
  TCase *env = tcase_create ("environment");
  TCase *daemon = tcase_create ("daemon");

  tcase_add_test (env, test_no_variable_means_no_proxy);
  tcase_add_test (env, test_http_proxy_serves_http_and_ws_not_https);
  tcase_add_test (env, test_upper_case_http_proxy_is_ignored);
  tcase_add_test (env, test_https_proxy_serves_https_and_wss_either_case);
  tcase_add_test (env, test_all_proxy_serves_schemes_without_their_own);
  tcase_add_test (env, test_empty_variable_means_direct);
  tcase_add_test (env, test_proxy_without_scheme_is_http);
  tcase_add_test (env, test_no_proxy_names_hosts_and_their_subdomains);
  tcase_add_test (env, test_no_proxy_takes_addresses_and_ranges);
  tcase_add_test (env, test_lower_case_no_proxy_wins);
  tcase_add_test (env, test_no_proxy_star_means_no_proxy_anywhere);
  tcase_add_test (env, test_resolver_only_for_a_proxied_url);
  suite_add_tcase (s, env);
  tcase_set_timeout (daemon, 30 * ph_test_slowness ());
  tcase_add_test (daemon, test_source_goes_through_http_proxy_websocket_too);
  tcase_add_test (daemon, test_no_proxy_sends_the_source_direct);
  tcase_add_test (daemon, test_direct_source_loads_no_gio_proxy_module);
  suite_add_tcase (s, daemon);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (proxy_suite ());
}
