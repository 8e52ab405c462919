/* Keeping secrets out of logs and printed output (DESIGN.md §6). */
#ifndef PH_REDACT_H
#define PH_REDACT_H

#include <glib.h>
#include "config.h"

#define PH_REDACTED "****"

typedef struct ph_redactor ph_redactor;

/* Transfer full. */
ph_redactor *ph_redactor_new (void);
void ph_redactor_free (ph_redactor *redactor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_redactor, ph_redactor_free)

/* Adds one secret value (copied); empty values are ignored. */
void ph_redactor_add (ph_redactor *redactor, const char *secret);

/* Adds every secret of the hook: api_secret, signing_secret, and each
 * module key declared secret. */
void ph_redactor_add_hook (ph_redactor *redactor, const ph_hook *hook);

/* Adds the values of a delivery's parameters whose names say they are
 * credentials (access_token, refresh_token, @oauth.client_secret...), as
 * an OAuth module sets them at run time.  params: transfer none. */
void ph_redactor_add_params (ph_redactor *redactor, json_object *params);

/* text with every secret replaced by ****, longest secrets first, and the
 * credentials of every URL in it hidden: userinfo ("user:password@"), the
 * token of a ".../webhooks/ID/TOKEN" path (Discord, Slack-style), a
 * "/botID:TOKEN" segment (Telegram), and the values of query parameters
 * such as key, token, secret or signature.  Transfer full. */
char *ph_redactor_apply (const ph_redactor *redactor, const char *text);

/* text with the credentials of every URL in it hidden, as
 * ph_redactor_apply hides them, for messages that no redactor knows the
 * secrets of (the configuration's own problems).  Transfer full. */
char *ph_redact_urls (const char *text);

/* TRUE for headers that carry credentials (Authorization, Cookie, API keys,
 * tokens, signatures): their values are never shown. */
gboolean ph_header_is_sensitive (const char *name);

#endif
