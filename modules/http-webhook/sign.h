/* Request signatures: Standard Webhooks and GitHub's X-Hub-Signature-256.
 * Pure functions, compiled into the http-webhook module and its test. */
#ifndef PH_SIGN_H
#define PH_SIGN_H

#include <glib.h>

/* The webhook-signature header value "v1,<base64 HMAC-SHA256>" over
 * "id.timestamp.body", keyed with the base64 bytes after "whsec_".
 * Returns transfer full, or NULL with an error for a malformed secret. */
char *ph_sign_standard (const char *secret, const char *id, gint64 timestamp,
                        const guint8 *body, gsize body_size, GError **error);

/* The X-Hub-Signature-256 value "sha256=<hex>", keyed with the secret's
 * text as GitHub does.  Transfer full. */
char *ph_sign_github (const char *secret, const guint8 *body, gsize body_size);

#endif
