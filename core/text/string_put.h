/* Appending a few bytes to a GString without a function call: GLib 2.74's
 * g_string_append_len is not inline (2.76's is), and the JSON writer
 * appends a few bytes at a time, several hundred times a body. */
#ifndef PH_STRING_PUT_H
#define PH_STRING_PUT_H

#include <glib.h>
#include <string.h>

static inline void
ph_string_put (GString *out, const char *bytes, gsize n)
{
  if (out->len + n < out->allocated_len)
    {
      memcpy (out->str + out->len, bytes, n);
      out->len += n;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, bytes, n);
}

/* A string literal, its length counted by the compiler. */
#define PH_STRING_PUT_LITERAL(out, literal) ph_string_put ((out), "" literal, sizeof (literal) - 1)

#endif
