/* Checking the signatures webhook senders put on their requests, so that
 * `printhook listen` can tell a user whether a receiver would accept what it
 * was sent.  Pure functions: no clock, no I/O. */
#ifndef PH_SIGNATURE_VERIFY_H
#define PH_SIGNATURE_VERIFY_H

#include <glib.h>

#define PH_SIGNATURE_ERROR (ph_signature_error_quark ())
GQuark ph_signature_error_quark (void);

typedef enum {
  PH_SIGNATURE_ERROR_BAD_SECRET,   /* the secret itself is unusable */
  PH_SIGNATURE_ERROR_MISSING,      /* a header the scheme needs is absent */
  PH_SIGNATURE_ERROR_MALFORMED,    /* a header is there but cannot be read */
  PH_SIGNATURE_ERROR_MISMATCH,     /* no signature matches the body */
  PH_SIGNATURE_ERROR_EXPIRED       /* the signature matches, the timestamp is too far off */
} ph_signature_error;

/* Every Standard Webhooks reference library accepts timestamps this many
 * seconds either side of now (webhook-delivery.md §1.3). */
#define PH_STANDARD_WEBHOOKS_TOLERANCE_S 300

/* Decodes a Standard Webhooks secret ("whsec_" + base64, padding optional
 * as in the Python library) into the HMAC key.  secret: transfer none.
 * Returns the key (transfer full), or NULL with error set
 * (PH_SIGNATURE_ERROR_BAD_SECRET). */
GBytes *ph_signature_decode_secret (const char *secret, GError **error);

/* Verifies a Standard Webhooks request: one of the space-separated
 * "v1,<base64>" entries of signatures must be the HMAC-SHA256, under key, of
 * "msg_id.timestamp.body", and timestamp (Unix seconds) must be within
 * PH_STANDARD_WEBHOOKS_TOLERANCE_S of now.  Entries of other versions are
 * skipped, so a "v1a" entry next to a "v1" one is fine.  msg_id, timestamp
 * and signatures are the header values, NULL when absent.  All arguments
 * transfer none.  Returns TRUE when valid, else FALSE with error saying why. */
gboolean ph_signature_verify_standard (GBytes *key, const char *msg_id, const char *timestamp,
                                       const char *signatures, const guint8 *body,
                                       gsize body_len, gint64 now, GError **error);

/* Verifies GitHub's "X-Hub-Signature-256: sha256=<hex>" (header: the value,
 * NULL when absent): the hex HMAC-SHA256 of body keyed with the secret's
 * text.  All arguments transfer none.  Returns TRUE when valid, else FALSE
 * with error saying why. */
gboolean ph_signature_verify_github (const char *secret, const char *header,
                                     const guint8 *body, gsize body_len, GError **error);

#endif
