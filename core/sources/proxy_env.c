#include "autoconfig.h"
#include "proxy_env.h"

#include <string.h>

const char *const ph_proxy_env_variables[] = {
  "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
  NULL
};

/* The value of the first of names set in envp (maybe ""), or NULL. */
static const char *
first_set (const char *const *envp, const char *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *value = g_environ_getenv ((char **) envp, names[i]);

      if (value != NULL)
        return value;
    }
  return NULL;
}

/* value as a proxy URI for GIO: "direct://" for "", http:// added to a
 * bare host[:port] (curl does the same).  Transfer full. */
static char *
proxy_uri (const char *value)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (value));

  if (*trimmed == '\0')
    return g_strdup ("direct://");
  if (strstr (trimmed, "://") == NULL)
    return g_strconcat ("http://", trimmed, NULL);
  if (g_ascii_strncasecmp (trimmed, "socks5h://", 10) == 0)
    return g_strconcat ("socks5://", trimmed + 10, NULL);
  return g_steal_pointer (&trimmed);
}

/* The entries of a no_proxy list: separated by commas or blanks, empty
 * ones dropped (GSimpleProxyResolver would take one for a host).
 * Transfer full. */
static GStrv
split_hosts (const char *list)
{
  g_auto (GStrv) tokens = g_strsplit_set (list, ", \t", -1);
  GPtrArray *hosts = g_ptr_array_new ();

  for (guint i = 0; tokens[i] != NULL; i++)
    if (*tokens[i] != '\0')
      g_ptr_array_add (hosts, g_strdup (tokens[i]));
  g_ptr_array_add (hosts, NULL);
  return (GStrv) g_ptr_array_free (hosts, FALSE);
}

/* Points scheme and its websocket twin at the proxy of value (NULL: none
 * of their own, the default applies). */
static void
set_scheme_proxy (GSimpleProxyResolver *resolver, const char *scheme, const char *ws_scheme,
                  const char *value)
{
  g_autofree char *uri = NULL;

  if (value == NULL)
    return;
  uri = proxy_uri (value);
  g_simple_proxy_resolver_set_uri_proxy (resolver, scheme, uri);
  g_simple_proxy_resolver_set_uri_proxy (resolver, ws_scheme, uri);
}

GProxyResolver *
ph_proxy_env_resolver_new (const char *const *envp)
{
  static const char *const http_names[] = { "http_proxy", NULL };
  static const char *const https_names[] = { "https_proxy", "HTTPS_PROXY", NULL };
  static const char *const all_names[] = { "all_proxy", "ALL_PROXY", NULL };
  static const char *const no_names[] = { "no_proxy", "NO_PROXY", NULL };
  const char *all = first_set (envp, all_names);
  const char *no_proxy = first_set (envp, no_names);
  g_autofree char *default_uri = all != NULL ? proxy_uri (all) : NULL;
  g_auto (GStrv) ignore = NULL;
  GProxyResolver *resolver;

  if (no_proxy != NULL)
    {
      g_autofree char *list = g_strstrip (g_strdup (no_proxy));

      /* Every host bypasses the proxy: a resolver without any. */
      if (strcmp (list, "*") == 0)
        return g_simple_proxy_resolver_new (NULL, NULL);
      ignore = split_hosts (list);
    }
  resolver = g_simple_proxy_resolver_new (default_uri, ignore);
  set_scheme_proxy (G_SIMPLE_PROXY_RESOLVER (resolver), "http", "ws",
                    first_set (envp, http_names));
  set_scheme_proxy (G_SIMPLE_PROXY_RESOLVER (resolver), "https", "wss",
                    first_set (envp, https_names));
  return resolver;
}

GProxyResolver *
ph_proxy_env_resolver_for (const char *const *envp, const char *url)
{
  g_autoptr (GProxyResolver) resolver = ph_proxy_env_resolver_new (envp);
  g_auto (GStrv) proxies = g_proxy_resolver_lookup (resolver, url, NULL, NULL);

  if (proxies == NULL || g_strcmp0 (proxies[0], "direct://") == 0)
    return NULL;
  return g_steal_pointer (&resolver);
}
