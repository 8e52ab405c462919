/* JSON text written by hand from json-c trees: json-c's own writer prints 0.1
 * as 0.10000000000000001, repeats a parsed double's original text ("0.10",
 * "1E5") and escapes "/", none of which receivers should see. */
#include "autoconfig.h"
#include "json_text.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "double_text.h"
#include "string_put.h"

#define PH_JSON_MAX_DEPTH 64

G_DEFINE_QUARK (ph-json-error-quark, ph_json_error)

static const char replacement_char[] = "\xef\xbf\xbd";   /* U+FFFD */

/* The bytes append_utf8 stops at: when escaping, controls, '"', '\\' and
 * anything not ASCII; otherwise only what is not ASCII. */
static const guint8 stops_escaped[256] = {
  [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};
static const guint8 stops_plain[256] = { [0x80 ... 0xff] = 1 };

/* Appends the valid UTF-8 in [p, end), replacing each byte that does not
 * start a valid sequence with U+FFFD; escape decides how ASCII bytes are
 * written (U+0000 is a character like any other).  One pass that copies
 * runs: g_utf8_validate_len only starts at a non-ASCII byte not yet known
 * valid and stops at the first invalid one, so plain ASCII, nearly all of
 * what printers report, is never validated. */
static void
append_utf8 (GString *out, const char *p, const char *end, gboolean escape)
{
  static const char hex[] = "0123456789abcdef";
  const guint8 *stops = escape ? stops_escaped : stops_plain;
  const char *run = p, *valid_end = p;

  for (;; p++)
    {
      guchar b;

      while (p < end && !stops[(guchar) *p])
        p++;
      if (p == end)
        break;
      b = (guchar) *p;
      if (b >= 0x80)
        {
          if (p >= valid_end)
            {
              g_utf8_validate_len (p, end - p, &valid_end);
              if (valid_end == p)
                {
                  ph_string_put (out, run, p - run);
                  ph_string_put (out, replacement_char, sizeof replacement_char - 1);
                  run = p + 1;
                }
            }
          continue;
        }
      ph_string_put (out, run, p - run);
      run = p + 1;
      switch (b)
        {
        case '"': PH_STRING_PUT_LITERAL (out, "\\\""); break;
        case '\\': PH_STRING_PUT_LITERAL (out, "\\\\"); break;
        case '\b': PH_STRING_PUT_LITERAL (out, "\\b"); break;
        case '\f': PH_STRING_PUT_LITERAL (out, "\\f"); break;
        case '\n': PH_STRING_PUT_LITERAL (out, "\\n"); break;
        case '\r': PH_STRING_PUT_LITERAL (out, "\\r"); break;
        case '\t': PH_STRING_PUT_LITERAL (out, "\\t"); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[b >> 4], hex[b & 0xf] };
            ph_string_put (out, u, sizeof u);
          }
          break;
        }
    }
  ph_string_put (out, run, p - run);
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
  char digits[24];
  char *p = digits + sizeof digits;
  /* json-c keeps integers above INT64_MAX as uint64 and saturates the
   * int64 getter for them. */
  guint64 magnitude = i == G_MAXINT64 ? json_object_get_uint64 (value)
                      : i < 0 ? -(guint64) i : (guint64) i;

  /* By hand: printf's machinery costs more than the number. */
  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude != 0);
  if (i < 0)
    *--p = '-';
  ph_string_put (out, p, digits + sizeof digits - p);
}

static void
append_double (GString *out, double d)
{
  if (isfinite (d))
    ph_double_append (out, d);
  else
    PH_STRING_PUT_LITERAL (out, "null");
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
      PH_STRING_PUT_LITERAL (out, "null");
      break;
    case json_type_boolean:
      if (json_object_get_boolean (value))
        PH_STRING_PUT_LITERAL (out, "true");
      else
        PH_STRING_PUT_LITERAL (out, "false");
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
            if (pretty)
              PH_STRING_PUT_LITERAL (out, "\": ");
            else
              PH_STRING_PUT_LITERAL (out, "\":");
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
  /* A webhook body is rarely much smaller: fewer reallocations. */
  GString *out = g_string_sized_new (1024);

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

/* The first number under value that is not finite, or NULL.  json-c's
 * strict mode lets NaN, Infinity and 1e400 (which overflows to infinity)
 * through; what printhook writes must parse back, and JSON has no such
 * numbers (RFC 8259 §6). */
static json_object *
first_non_finite (json_object *value)
{
  json_object *found = NULL;

  switch (json_object_get_type (value))
    {
    case json_type_double:
      return isfinite (json_object_get_double (value)) ? NULL : value;
    case json_type_object:
      {
        json_object_object_foreach (value, name, child)
          {
            (void) name;
            if (found == NULL)
              found = first_non_finite (child);
          }
        return found;
      }
    case json_type_array:
      for (size_t i = 0; found == NULL && i < json_object_array_length (value); i++)
        found = first_non_finite (json_object_array_get_idx (value, i));
      return found;
    default:
      return NULL;
    }
}

/* text: transfer none.  Returns transfer full, NULL exactly when error is
 * set. */
json_object *
ph_json_parse (const char *text, gssize len, GError **error)
{
  json_tokener *tok;
  json_object *value, *bad;
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

  /* json-c's VALIDATE_UTF8 lets overlong forms through ("\xc0\xa3"), which
   * the writer then replaces, so that what was read would not be written
   * back the same (the farm fuzz target found it).  A NUL is left to the
   * tokener below, which refuses it in its own words. */
  {
    const char *end = NULL;

    if (!g_utf8_validate_len (text, length, &end) && *end != '\0')
      {
        set_parse_error (error, text, (gsize) (end - text), "invalid utf-8 string");
        return NULL;
      }
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
  bad = first_non_finite (value);
  if (bad != NULL)
    {
      /* json-c keeps a number's text as written: point at its first
       * occurrence. */
      const char *written = json_object_get_string (bad);
      const char *at = g_strstr_len (text, length, written);
      g_autofree char *what = g_strdup_printf ("%s is not a finite number", written);

      set_parse_error (error, text, at != NULL ? (gsize) (at - text) : 0, what);
      json_object_put (value);
      return NULL;
    }
  return value;
}
