/* JSON text written by hand from json-c trees: json-c's own writer prints 0.1
 * as 0.10000000000000001, repeats a parsed double's original text ("0.10",
 * "1E5") and escapes "/", none of which receivers should see. */
#include "autoconfig.h"
#include "json_text.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "double_text.h"

#define PH_JSON_MAX_DEPTH 64

G_DEFINE_QUARK (ph-json-error-quark, ph_json_error)

static const char replacement_char[] = "\xef\xbf\xbd";   /* U+FFFD */

/* Appends the valid UTF-8 in [p, end), replacing each byte that does not
 * start a valid sequence with U+FFFD; escape decides how ASCII bytes are
 * written.  Linear: each g_utf8_validate_len call starts where the last
 * stopped. */
static void
append_utf8 (GString *out, const char *p, const char *end, gboolean escape)
{
  while (p < end)
    {
      const char *bad;

      g_utf8_validate_len (p, end - p, &bad);
      if (!escape)
        g_string_append_len (out, p, bad - p);
      else
        {
          const char *run = p;

          for (const char *c = p; c < bad; c++)
            {
              guchar b = (guchar) *c;

              if (b >= 0x20 && b != '"' && b != '\\')
                continue;
              g_string_append_len (out, run, c - run);
              run = c + 1;
              switch (b)
                {
                case '"': g_string_append (out, "\\\""); break;
                case '\\': g_string_append (out, "\\\\"); break;
                case '\b': g_string_append (out, "\\b"); break;
                case '\f': g_string_append (out, "\\f"); break;
                case '\n': g_string_append (out, "\\n"); break;
                case '\r': g_string_append (out, "\\r"); break;
                case '\t': g_string_append (out, "\\t"); break;
                default: g_string_append_printf (out, "\\u%04x", b); break;
                }
            }
          g_string_append_len (out, run, bad - run);
        }
      if (bad == end)
        break;
      /* g_utf8_validate_len stops at NUL too, and U+0000 is a real
       * character that a JSON string may hold. */
      if (*bad == '\0' && escape)
        g_string_append (out, "\\u0000");
      else if (*bad == '\0')
        g_string_append_c (out, '\0');
      else
        g_string_append (out, replacement_char);
      p = bad + 1;
    }
}

static void
append_string (GString *out, json_object *value, gboolean escape)
{
  const char *s = json_object_get_string (value);

  append_utf8 (out, s, s + json_object_get_string_len (value), escape);
}

static void
append_int (GString *out, json_object *value)
{
  gint64 i = json_object_get_int64 (value);

  /* json-c keeps integers above INT64_MAX as uint64 and saturates the
   * int64 getter for them. */
  if (i == G_MAXINT64)
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, (guint64) json_object_get_uint64 (value));
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, i);
}

static void
append_double (GString *out, double d)
{
  if (isfinite (d))
    ph_double_append (out, d);
  else
    g_string_append (out, "null");
}

static void
append_newline (GString *out, int depth)
{
  g_string_append_c (out, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

static void
append_value (GString *out, json_object *value, gboolean pretty, int depth)
{
  switch (json_object_get_type (value))
    {
    case json_type_null:
      g_string_append (out, "null");
      break;
    case json_type_boolean:
      g_string_append (out, json_object_get_boolean (value) ? "true" : "false");
      break;
    case json_type_int:
      append_int (out, value);
      break;
    case json_type_double:
      append_double (out, json_object_get_double (value));
      break;
    case json_type_string:
      g_string_append_c (out, '"');
      append_string (out, value, TRUE);
      g_string_append_c (out, '"');
      break;
    case json_type_array:
      {
        size_t n = json_object_array_length (value);

        g_string_append_c (out, '[');
        for (size_t i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            if (pretty)
              append_newline (out, depth + 1);
            append_value (out, json_object_array_get_idx (value, i), pretty, depth + 1);
          }
        if (pretty && n > 0)
          append_newline (out, depth);
        g_string_append_c (out, ']');
      }
      break;
    case json_type_object:
      {
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_object_foreach (value, key, member)
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            if (pretty)
              append_newline (out, depth + 1);
            g_string_append_c (out, '"');
            append_utf8 (out, key, key + strlen (key), TRUE);
            g_string_append (out, pretty ? "\": " : "\":");
            append_value (out, member, pretty, depth + 1);
          }
        if (pretty && !first)
          append_newline (out, depth);
        g_string_append_c (out, '}');
      }
      break;
    }
}

/* out: transfer none; value: transfer none. */
void
ph_json_append (GString *out, json_object *value, gboolean pretty)
{
  g_return_if_fail (out != NULL);

  append_value (out, value, pretty, 0);
}

/* value: transfer none.  Returns transfer full. */
char *
ph_json_to_text (json_object *value, gboolean pretty)
{
  GString *out = g_string_new (NULL);

  append_value (out, value, pretty, 0);
  return g_string_free (out, FALSE);
}

/* out: transfer none; value: transfer none. */
void
ph_json_append_plain (GString *out, json_object *value)
{
  g_return_if_fail (out != NULL);

  switch (json_object_get_type (value))
    {
    case json_type_null:
      break;
    case json_type_string:
      append_string (out, value, FALSE);
      break;
    case json_type_boolean:
    case json_type_int:
    case json_type_double:
    case json_type_array:
    case json_type_object:
      append_value (out, value, FALSE, 0);
      break;
    }
}

static gboolean
is_blank (const char *text, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
      return FALSE;
  return TRUE;
}

static void
set_parse_error (GError **error, const char *text, gsize offset, const char *what)
{
  guint line = 1, column = 1;

  for (gsize i = 0; i < offset; i++)
    {
      if (text[i] == '\n')
        {
          line++;
          column = 1;
        }
      else if (((guchar) text[i] & 0xc0) != 0x80)
        column++;   /* UTF-8 continuation bytes are part of the previous character */
    }
  g_set_error (error, PH_JSON_ERROR, PH_JSON_ERROR_INVALID, "line %u, column %u: %s", line,
               column, what);
}

/* text: transfer none.  Returns transfer full, NULL exactly when error is
 * set. */
json_object *
ph_json_parse (const char *text, gssize len, GError **error)
{
  json_tokener *tok;
  json_object *value;
  enum json_tokener_error jerr;
  gsize length, offset;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  length = len < 0 ? strlen (text) : (gsize) len;
  if (is_blank (text, length))
    {
      g_set_error_literal (error, PH_JSON_ERROR, PH_JSON_ERROR_INVALID, "empty");
      return NULL;
    }
  if (length > G_MAXINT - 1)
    {
      g_set_error_literal (error, PH_JSON_ERROR, PH_JSON_ERROR_INVALID, "too large");
      return NULL;
    }

  /* json-c's depth counts the outermost value too: new_ex (64) accepts 64
   * nested arrays and refuses 65. */
  tok = json_tokener_new_ex (PH_JSON_MAX_DEPTH);
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  value = json_tokener_parse_ex (tok, text, (int) length);
  jerr = json_tokener_get_error (tok);
  offset = json_tokener_get_parse_end (tok);
  if (jerr == json_tokener_continue && offset == length)
    {
      /* A number or literal at the very end is only complete once json-c is
       * told the input ended, which a NUL does. */
      value = json_tokener_parse_ex (tok, "", 1);
      jerr = json_tokener_get_error (tok);
    }
  else if (jerr == json_tokener_continue)
    {
      /* json-c stops at a NUL byte inside the text. */
      jerr = json_tokener_error_parse_unexpected;
    }
  else if (jerr == json_tokener_success && offset < length)
    {
      /* Strict mode refuses trailing characters, but not after a NUL. */
      json_object_put (value);
      value = NULL;
      jerr = json_tokener_error_parse_unexpected;
    }
  json_tokener_free (tok);

  if (jerr != json_tokener_success)
    {
      set_parse_error (error, text, MIN (offset, length), json_tokener_error_desc (jerr));
      return NULL;
    }
  if (value == NULL)
    {
      /* json-c's null is a NULL pointer; refusing a bare null keeps NULL
       * meaning "failed, see error" for every caller.  No document printhook
       * reads is a bare null. */
      set_parse_error (error, text, strspn (text, " \t\n\r"), "a bare null is not accepted");
      return NULL;
    }
  return value;
}
