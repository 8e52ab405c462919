#include "sign.h"

#include <string.h>

#include "printhook/module.h"

/* standard-webhooks spec, "Signature scheme": the key is the base64-decoded
 * part after the whsec_ prefix, the content id.timestamp.body. */
char *
ph_sign_standard (const char *secret, const char *id, gint64 timestamp, const guint8 *body,
                  gsize body_size, GError **error)
{
  g_autofree guchar *key = NULL;
  g_autoptr (GHmac) hmac = NULL;
  g_autofree char *prefix = NULL;
  guint8 digest[32];
  gsize key_size = 0, digest_size = sizeof digest;
  g_autofree char *b64 = NULL;
  g_autoptr (GString) padded = NULL;

  if (!g_str_has_prefix (secret, "whsec_") || secret[6] == '\0')
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "signing_secret must be whsec_ followed by base64");
      return NULL;
    }
  /* Padding is optional, as the Standard Webhooks libraries read it:
   * g_base64_decode drops an incomplete last group, which would sign with
   * 30 bytes of a 32-byte key. */
  padded = g_string_new (secret + 6);
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');
  key = g_base64_decode (padded->str, &key_size);
  if (key_size == 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "signing_secret has no key bytes after whsec_");
      return NULL;
    }
  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_size);
  prefix = g_strdup_printf ("%s.%" G_GINT64_FORMAT ".", id, timestamp);
  g_hmac_update (hmac, (const guchar *) prefix, strlen (prefix));
  g_hmac_update (hmac, body, body_size);
  g_hmac_get_digest (hmac, digest, &digest_size);
  b64 = g_base64_encode (digest, digest_size);
  return g_strconcat ("v1,", b64, NULL);
}

char *
ph_sign_github (const char *secret, const guint8 *body, gsize body_size)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));

  g_hmac_update (hmac, body, body_size);
  return g_strconcat ("sha256=", g_hmac_get_string (hmac), NULL);
}
