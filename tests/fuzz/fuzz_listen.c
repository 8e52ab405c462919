/* What printhook listen parses of a request it receives: the body by its
 * Content-Type (JSON, form, multipart, text), and the signature headers.
 * The input is the Content-Type and the body, split at the first NUL
 * byte; the Content-Type also serves as a signing secret and as the
 * signature headers' values. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "cli/listen_format.h"
#include "cli/signature_verify.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *content_type = NULL;
  g_autofree char *body_text = NULL;
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) key = NULL;
  GString *out = g_string_new (NULL);
  const uint8_t *nul = memchr (data, '\0', size);
  gsize body_offset = nul != NULL ? (gsize) (nul + 1 - data) : 0;

  ph_fuzz_split (data, size, &content_type, &body_text);
  body = g_bytes_new (data + body_offset, size - body_offset);
  /* A header that arrived has no line break in it: libsoup split there. */
  if (content_type != NULL && g_utf8_validate (content_type, -1, NULL)
      && strpbrk (content_type, "\r\n") == NULL)
    soup_message_headers_append (headers, "Content-Type", content_type);
  /* The receiver keeps at most its limit of a body; say that more came. */
  ph_listen_format_body (out, headers, body, g_bytes_get_size (body) + (size % 3 == 0 ? 17 : 0));
  /* The terminal sees no byte that could drive it. */
  if (!g_utf8_validate (out->str, out->len, NULL))
    PH_FUZZ_FAIL ("listen would print bytes that are not UTF-8");
  for (const char *p = out->str; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Tabs and carriage returns are text (listen_format.c says so). */
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || (c >= 0x7f && c < 0xa0))
        PH_FUZZ_FAIL ("listen would print the control character U+%04X", c);
    }
  if (content_type != NULL)
    {
      key = ph_signature_decode_secret (content_type, NULL);
      if (key != NULL)
        (void) ph_signature_verify_standard (key, "msg_1", content_type, content_type,
                                             data + body_offset, size - body_offset, 1700000000, NULL);
      (void) ph_signature_verify_github (content_type, content_type, data + body_offset,
                                         size - body_offset, NULL);
    }
  soup_message_headers_unref (headers);
  g_string_free (out, TRUE);
  return 0;
}
