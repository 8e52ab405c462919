/* The token endpoint's answer: what it means, and how long it may be kept. */
#ifndef PH_OAUTH_TOKEN_H
#define PH_OAUTH_TOKEN_H

#include "printhook/module.h"

/* url without userinfo, query or fragment, which may hold credentials: fit
 * for messages.  Transfer full. */
char *oauth_url_for_messages (const char *url);

/* The token response as a JSON object (transfer full), or NULL with error
 * set and *transient telling whether trying again later may help
 * (connection trouble, 408, 429, 5xx).  A token is a 2xx whose body is a
 * JSON object.  shown_url names the endpoint in messages; hidden_query (may
 * be NULL) is the query the request carried, replaced by **** wherever a
 * transport error quotes it. */
json_object *oauth_read_response (const printhook_host *host,
                                  const printhook_http_response *response,
                                  const char *shown_url, const char *hidden_query,
                                  gboolean *transient, GError **error);

/* Seconds the token may be reused: its expires_in (a number or numeric
 * text) less a margin for clocks and flight time, min (60 s, a tenth); 0
 * when it has no usable expires_in, which means fetch for every delivery. */
double oauth_cache_seconds (json_object *token);

#endif
