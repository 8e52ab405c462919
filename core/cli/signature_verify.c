/* Standard Webhooks and GitHub signature checks for `printhook listen`.
 * Spec: standard-webhooks/standard-webhooks spec/standard-webhooks.md
 * (summarised in webhook-delivery.md §1). */
#include "autoconfig.h"
#include "signature_verify.h"

#include <string.h>

G_DEFINE_QUARK (ph-signature-error-quark, ph_signature_error)

#define WHSEC_PREFIX "whsec_"
#define GITHUB_PREFIX "sha256="

/* Compares without an early exit, so the time taken does not tell an
 * attacker how many leading characters of a forged signature were right. */
static gboolean
equal_constant_time (const char *a, gsize a_len, const char *b, gsize b_len)
{
  volatile guint8 diff = a_len != b_len;
  gsize n = MIN (a_len, b_len);

  for (gsize i = 0; i < n; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];
  return diff == 0;
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

GBytes *
ph_signature_decode_secret (const char *secret, GError **error)
{
  const char *b64;
  gsize len, data_len;
  g_autoptr (GString) padded = NULL;
  guchar *key;
  gsize key_len;

  if (secret == NULL || !g_str_has_prefix (secret, WHSEC_PREFIX))
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_BAD_SECRET,
                   "a Standard Webhooks secret starts with \"" WHSEC_PREFIX "\"");
      return NULL;
    }
  b64 = secret + strlen (WHSEC_PREFIX);
  len = strlen (b64);
  data_len = len;
  while (data_len > 0 && b64[data_len - 1] == '=')
    data_len--;
  for (gsize i = 0; i < data_len; i++)
    if (!is_base64_char (b64[i]))
      {
        g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_BAD_SECRET,
                     "the secret after \"" WHSEC_PREFIX "\" is not base64");
        return NULL;
      }
  /* g_base64_decode silently skips what it cannot read, so the shape is
   * checked here: a lone trailing character or too much padding is not
   * base64. */
  if (data_len == 0 || data_len % 4 == 1 || len - data_len > 2)
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_BAD_SECRET,
                   data_len == 0 ? "the secret is empty after \"" WHSEC_PREFIX "\""
                                 : "the secret after \"" WHSEC_PREFIX "\" is not base64");
      return NULL;
    }
  padded = g_string_new_len (b64, data_len);
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');
  key = g_base64_decode (padded->str, &key_len);
  return g_bytes_new_take (key, key_len);
}

/* Unix seconds as the header carries them: digits only. */
static gboolean
parse_timestamp (const char *text, gint64 *seconds)
{
  guint64 value;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *seconds = (gint64) value;
  return TRUE;
}

static char *
sign_standard (GBytes *key, const char *msg_id, const char *timestamp, const guint8 *body,
               gsize body_len)
{
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  gsize key_len;
  const guint8 *key_data = g_bytes_get_data (key, &key_len);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key_data, key_len);
  g_hmac_update (hmac, (const guchar *) msg_id, strlen (msg_id));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, (const guchar *) timestamp, strlen (timestamp));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, body, body_len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  return g_base64_encode (digest, digest_len);
}

gboolean
ph_signature_verify_standard (GBytes *key, const char *msg_id, const char *timestamp,
                              const char *signatures, const guint8 *body, gsize body_len,
                              gint64 now, GError **error)
{
  g_autofree char *expected = NULL;
  g_auto (GStrv) entries = NULL;
  gint64 sent_at, age;
  guint n_v1 = 0;
  gboolean matched = FALSE;

  g_return_val_if_fail (key != NULL, FALSE);

  if (msg_id == NULL || timestamp == NULL || signatures == NULL)
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISSING, "no %s header",
                   msg_id == NULL ? "webhook-id"
                   : timestamp == NULL ? "webhook-timestamp" : "webhook-signature");
      return FALSE;
    }
  if (!parse_timestamp (timestamp, &sent_at))
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MALFORMED,
                   "webhook-timestamp is not a number of seconds");
      return FALSE;
    }

  expected = sign_standard (key, msg_id, timestamp, body, body_len);
  entries = g_strsplit (signatures, " ", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      const char *comma = strchr (entries[i], ',');

      /* Other versions (v1a is ed25519) are not ours to check; the
       * reference libraries skip them too. */
      if (comma == NULL || comma - entries[i] != 2 || strncmp (entries[i], "v1", 2) != 0)
        continue;
      n_v1++;
      /* No early exit either: every entry is compared. */
      if (equal_constant_time (comma + 1, strlen (comma + 1), expected, strlen (expected)))
        matched = TRUE;
    }
  if (n_v1 == 0)
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MALFORMED,
                   "webhook-signature has no v1,<base64> entry");
      return FALSE;
    }
  if (!matched)
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISMATCH,
                   "no v1 signature matches: another secret, or other bytes were signed");
      return FALSE;
    }

  /* Checked after the signature so that the report says which of the two
   * is wrong: a right signature with a stale timestamp is a clock or replay
   * problem, not a secret problem. */
  age = now - sent_at;
  if (age > PH_STANDARD_WEBHOOKS_TOLERANCE_S || age < -PH_STANDARD_WEBHOOKS_TOLERANCE_S)
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_EXPIRED,
                   "the signature matches but webhook-timestamp is %" G_GINT64_FORMAT
                   " s in the %s (more than %d s)", age > 0 ? age : -age,
                   age > 0 ? "past" : "future", PH_STANDARD_WEBHOOKS_TOLERANCE_S);
      return FALSE;
    }
  return TRUE;
}

gboolean
ph_signature_verify_github (const char *secret, const char *header, const guint8 *body,
                            gsize body_len, GError **error)
{
  g_autofree char *expected = NULL;
  g_autofree char *given = NULL;

  if (secret == NULL || *secret == '\0')
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_BAD_SECRET, "the secret is empty");
      return FALSE;
    }
  if (header == NULL)
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISSING,
                   "no X-Hub-Signature-256 header");
      return FALSE;
    }
  if (!g_str_has_prefix (header, GITHUB_PREFIX))
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MALFORMED,
                   "X-Hub-Signature-256 does not start with \"" GITHUB_PREFIX "\"");
      return FALSE;
    }

  expected = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret,
                                      strlen (secret), body, body_len);
  /* GLib writes lower-case hex; a sender writing upper case is still right. */
  given = g_ascii_strdown (header + strlen (GITHUB_PREFIX), -1);
  if (!equal_constant_time (given, strlen (given), expected, strlen (expected)))
    {
      g_set_error (error, PH_SIGNATURE_ERROR, PH_SIGNATURE_ERROR_MISMATCH,
                   "the sha256 signature does not match: another secret, or other bytes were signed");
      return FALSE;
    }
  return TRUE;
}
