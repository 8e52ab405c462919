/* The proxy of a printer source's websocket, chosen from the environment
 * by libcurl's rules, so that the websocket goes the way the source's REST
 * calls and the webhooks (libcurl) go, rather than the way GIO's default
 * resolver would.  That one is made by loading every GIO proxy module
 * (libproxy, which brings libstdc++, and the GNOME one, which brings
 * dconf): some 2.4 MB of the daemon's RSS.  GIO makes it on any proxied
 * connection, even one with a resolver of its own, so a source that goes
 * direct gets no resolver at all. */
#ifndef PH_PROXY_ENV_H
#define PH_PROXY_ENV_H

#include <gio/gio.h>

/* The variables read, in the order looked at (NULL-terminated). */
extern const char *const ph_proxy_env_variables[];

/* A resolver for http, ws, https and wss URIs from envp (as g_get_environ
 * gives it; NULL is an empty environment), as curl(1) reads it:
 * http_proxy (lower case only: a CGI request sets HTTP_PROXY, "httpoxy")
 * for http and ws; https_proxy, else HTTPS_PROXY, for https and wss;
 * all_proxy, else ALL_PROXY, for any scheme without its own.  A variable
 * set but empty means no proxy; a proxy without "scheme://" is http://,
 * socks5h:// is socks5:// (GIO's SOCKS5 always lets the proxy resolve the
 * name).  no_proxy, else NO_PROXY: "*" for no proxy at all, or host names
 * (each also matching its subdomains, a leading '.' ignored), addresses
 * and CIDR ranges, separated by commas or blanks.  Transfer full. */
GProxyResolver *ph_proxy_env_resolver_new (const char *const *envp);

/* The resolver of ph_proxy_env_resolver_new if it gives url (http://,
 * https://, ws:// or wss://) a proxy, else NULL: no proxy at all (what
 * soup_session_set_proxy_resolver takes NULL for).  Transfer full. */
GProxyResolver *ph_proxy_env_resolver_for (const char *const *envp, const char *url);

#endif
