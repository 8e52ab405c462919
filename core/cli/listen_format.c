/* The text `printhook listen` prints for one request. */
#include "autoconfig.h"
#include "listen_format.h"

#include <json-c/json.h>
#include <string.h>

/* Deeper JSON than this is shown as text; json-c's own default is 32. */
#define JSON_DEPTH_LIMIT 64
/* A text part of a multipart body shows this much of its value. */
#define PART_PREVIEW_LIMIT 200

/* Characters a terminal would act on instead of showing: C0/C1 controls,
 * DEL, and the Unicode controls that reorder or break lines (the "Trojan
 * Source" characters). */
static gboolean
is_unsafe_char (gunichar c)
{
  return g_unichar_type (c) == G_UNICODE_CONTROL
         || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
         || c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029;
}

/* Appends len bytes of text (-1: up to the NUL), escaping invalid UTF-8 as
 * \xNN and unsafe characters as \xNN or \u{NNNN}.  With keep_lines, newlines
 * and tabs stay as they are; otherwise they are escaped too, so the result
 * is one line. */
static void
append_escaped (GString *out, const char *text, gssize len, gboolean keep_lines)
{
  const char *p = text;
  const char *end = text + (len < 0 ? (gssize) strlen (text) : len);

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);
      const char *next;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      next = g_utf8_next_char (p);
      if (keep_lines && (c == '\n' || c == '\t'))
        g_string_append_c (out, (char) c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c < 0x80 && is_unsafe_char (c))
        g_string_append_printf (out, "\\x%02x", c);
      else if (is_unsafe_char (c))
        g_string_append_printf (out, "\\u{%04x}", c);
      else
        g_string_append_len (out, p, next - p);
      p = next;
    }
}

/* Text, for printing purposes: valid UTF-8 without controls other than
 * newlines, tabs and carriage returns. */
static gboolean
looks_like_text (const char *data, gsize len)
{
  const char *p = data;
  const char *end = data + len;

  if (len == 0)
    return TRUE;
  if (!g_utf8_validate_len (data, len, NULL))
    return FALSE;
  for (; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_type (c) == G_UNICODE_CONTROL && c != '\n' && c != '\t' && c != '\r')
        return FALSE;
    }
  return TRUE;
}

static void
append_size (GString *out, guint64 size)
{
  g_string_append_printf (out, "%" G_GUINT64_FORMAT " %s", size, size == 1 ? "byte" : "bytes");
}

/* Appends text as lines indented by two spaces, at most
 * PH_LISTEN_PRINT_LIMIT bytes of it, then a note when it was cut. */
static void
append_block (GString *out, const char *text, gsize len, guint64 body_size)
{
  gsize shown = len;
  const char *line = text;
  const char *end;

  if (shown > PH_LISTEN_PRINT_LIMIT)
    {
      shown = PH_LISTEN_PRINT_LIMIT;
      /* Cut between characters, not inside one. */
      while (shown > 0 && ((guchar) text[shown] & 0xc0) == 0x80)
        shown--;
    }
  end = text + shown;
  while (line < end)
    {
      const char *nl = memchr (line, '\n', end - line);
      const char *stop = nl != NULL ? nl : end;

      /* A CRLF line ends like any other. */
      if (nl != NULL && stop > line && stop[-1] == '\r')
        stop--;

      g_string_append (out, "  ");
      append_escaped (out, line, stop - line, TRUE);
      g_string_append_c (out, '\n');
      line = nl != NULL ? nl + 1 : end;
    }
  if (shown < len)
    {
      g_string_append_printf (out, "  [... printing stops after %d KiB; the body is ",
                              PH_LISTEN_PRINT_LIMIT / 1024);
      append_size (out, body_size);
      g_string_append (out, "]\n");
    }
}

/* The body as text, or as its size when it is not text. */
static void
append_raw (GString *out, const char *data, gsize len, guint64 body_size)
{
  if (looks_like_text (data, len))
    append_block (out, data, len, body_size);
  else
    {
      g_string_append (out, "  <");
      append_size (out, body_size);
      g_string_append (out, " binary>\n");
    }
}

static gsize
skip_json_space (const char *text, gsize len, gsize i)
{
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
    i++;
  return i;
}

static void
append_newline_indent (GString *out, guint depth)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

/* Re-indents JSON that json-c has accepted, copying strings and numbers
 * byte for byte so the user sees exactly what was sent (a "\/" escape or a
 * float's digits), which re-serialising would hide.  json-c accepts a few
 * things RFC 8259 does not, even in strict mode (single quotes, raw control
 * characters in strings, NaN): those make this return FALSE with *reason. */
static gboolean
reindent_json (GString *out, const char *text, gsize len, const char **reason)
{
  guint depth = 0;

  for (gsize i = skip_json_space (text, len, 0); i < len; i = skip_json_space (text, len, i))
    {
      char c = text[i];

      if (c == '"')
        {
          gsize start = i++;

          while (i < len && text[i] != '"')
            {
              if ((guchar) text[i] < 0x20)
                {
                  *reason = "raw control character in a string";
                  return FALSE;
                }
              i += text[i] == '\\' ? 2 : 1;
            }
          g_string_append_len (out, text + start, MIN (i + 1, len) - start);
          i++;
        }
      else if (c == '{' || c == '[')
        {
          gsize next = skip_json_space (text, len, i + 1);

          g_string_append_c (out, c);
          if (next < len && (text[next] == '}' || text[next] == ']'))
            {
              g_string_append_c (out, text[next]);
              i = next + 1;
              continue;
            }
          append_newline_indent (out, ++depth);
          i++;
        }
      else if (c == '}' || c == ']')
        {
          append_newline_indent (out, depth > 0 ? --depth : 0);
          g_string_append_c (out, c);
          i++;
        }
      else if (c == ',')
        {
          g_string_append_c (out, ',');
          append_newline_indent (out, depth);
          i++;
        }
      else if (c == ':')
        {
          g_string_append (out, ": ");
          i++;
        }
      else if (c == '-' || g_ascii_isalnum (c))
        {
          gsize start = i;

          while (i < len && (text[i] == '-' || text[i] == '+' || text[i] == '.' || g_ascii_isalnum (text[i])))
            i++;
          if (g_ascii_isalpha (c) && !(i - start == 4 && strncmp (text + start, "true", 4) == 0)
              && !(i - start == 5 && strncmp (text + start, "false", 5) == 0)
              && !(i - start == 4 && strncmp (text + start, "null", 4) == 0))
            {
              *reason = "a word that is not true, false or null";
              return FALSE;
            }
          g_string_append_len (out, text + start, i - start);
        }
      else
        {
          *reason = c == '\'' ? "single-quoted string" : "unexpected character";
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
is_json_type (const char *media_type, const char *data, gsize len)
{
  gsize first;

  if (media_type != NULL)
    return g_ascii_strcasecmp (media_type, "application/json") == 0
           || (strlen (media_type) > 5
               && g_ascii_strcasecmp (media_type + strlen (media_type) - 5, "+json") == 0);
  /* Without a Content-Type, a body that starts like JSON is tried as JSON. */
  first = skip_json_space (data, len, 0);
  return first < len && (data[first] == '{' || data[first] == '[');
}

/* Appends the body as re-indented JSON, or a note saying why it is not JSON
 * and FALSE. */
static gboolean
append_json (GString *out, const char *data, gsize len, guint64 body_size)
{
  g_autofree char *text = NULL;
  g_autoptr (GString) pretty = NULL;
  struct json_tokener *tok;
  json_object *value;
  enum json_tokener_error parse_error;
  gsize parse_end;
  const char *reason = NULL;

  if (len >= G_MAXINT || !g_utf8_validate_len (data, len, NULL))
    {
      g_string_append (out, "  [not valid JSON: not UTF-8 text]\n");
      return FALSE;
    }
  text = g_strndup (data, len);
  tok = json_tokener_new_ex (JSON_DEPTH_LIMIT);
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  /* len + 1 includes the NUL, which ends a top-level number. */
  value = json_tokener_parse_ex (tok, text, (int) len + 1);
  parse_error = json_tokener_get_error (tok);
  parse_end = json_tokener_get_parse_end (tok);
  json_object_put (value);
  json_tokener_free (tok);
  if (parse_error != json_tokener_success)
    {
      g_string_append_printf (out, "  [not valid JSON: %s at byte %" G_GSIZE_FORMAT "]\n",
                              json_tokener_error_desc (parse_error), parse_end);
      return FALSE;
    }

  pretty = g_string_new (NULL);
  if (!reindent_json (pretty, text, len, &reason))
    {
      g_string_append_printf (out, "  [not valid JSON: %s]\n", reason);
      return FALSE;
    }
  append_block (out, pretty->str, pretty->len, body_size);
  return TRUE;
}

/* Appends one "key = value" line per field, in the order sent, or a note
 * and FALSE when the body is not form encoding. */
static gboolean
append_form (GString *out, const char *data, gsize len, guint64 body_size)
{
  g_autoptr (GString) fields = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  GUriParamsIter iter;
  char *key, *value;

  if (len >= G_MAXSSIZE)
    return FALSE;
  g_uri_params_iter_init (&iter, data, (gssize) len, "&", G_URI_PARAMS_WWW_FORM);
  while (g_uri_params_iter_next (&iter, &key, &value, &error))
    {
      append_escaped (fields, key, -1, FALSE);
      g_string_append (fields, " = ");
      append_escaped (fields, value, -1, FALSE);
      g_string_append_c (fields, '\n');
      g_free (key);
      g_free (value);
    }
  if (error != NULL)
    {
      g_string_append (out, "  [not valid form encoding: ");
      append_escaped (out, error->message, -1, FALSE);
      g_string_append (out, "]\n");
      return FALSE;
    }
  append_block (out, fields->str, fields->len, body_size);
  return TRUE;
}

static void
append_part (GString *out, guint number, SoupMessageHeaders *headers, GBytes *body)
{
  g_autofree char *disposition = NULL;
  g_autoptr (GHashTable) params = NULL;
  const char *name = NULL, *filename = NULL, *type;
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  if (soup_message_headers_get_content_disposition (headers, &disposition, &params))
    {
      name = g_hash_table_lookup (params, "name");
      filename = g_hash_table_lookup (params, "filename");
    }
  /* The raw header, not libsoup's parse of it: the point is to show what
   * the sender wrote. */
  type = soup_message_headers_get_one (headers, "Content-Type");

  g_string_append_printf (out, "part %u: ", number);
  if (name != NULL)
    {
      g_string_append (out, "name=\"");
      append_escaped (out, name, -1, FALSE);
      g_string_append (out, "\", ");
    }
  else
    g_string_append (out, "no name, ");
  if (filename != NULL)
    {
      g_string_append (out, "filename=\"");
      append_escaped (out, filename, -1, FALSE);
      g_string_append (out, "\", ");
    }
  if (type != NULL)
    {
      append_escaped (out, type, -1, FALSE);
      g_string_append (out, ", ");
    }
  append_size (out, size);
  /* A short form field is worth seeing whole; a file never is. */
  if (filename == NULL && looks_like_text (data, size))
    {
      gsize shown = MIN (size, PART_PREVIEW_LIMIT);

      while (shown > 0 && shown < size && ((guchar) data[shown] & 0xc0) == 0x80)
        shown--;
      g_string_append (out, " = ");
      append_escaped (out, data, shown, FALSE);
      if (shown < size)
        g_string_append (out, "...");
    }
  g_string_append_c (out, '\n');
}

/* Appends one line per part, or a note and FALSE when libsoup cannot split
 * the body with the boundary of the Content-Type. */
static gboolean
append_multipart (GString *out, SoupMessageHeaders *headers, GBytes *body, guint64 body_size)
{
  /* libsoup's parser runs strstr over the body, so it reads past a body
   * that does not end in a NUL (a heap over-read found by
   * tests/fuzz/fuzz-listen): give it a copy that does. */
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  char *copy = g_malloc (len + 1);
  g_autoptr (GBytes) terminated = NULL;
  g_autoptr (SoupMultipart) multipart = NULL;
  g_autoptr (GString) parts = NULL;
  int n;

  if (len > 0)
    memcpy (copy, data, len);
  copy[len] = '\0';
  terminated = g_bytes_new_take (copy, len);
  multipart = soup_multipart_new_from_message (headers, terminated);
  if (multipart == NULL)
    {
      g_string_append (out, "  [not valid multipart: no boundary parameter, or no part "
                            "delimited by it]\n");
      return FALSE;
    }
  parts = g_string_new (NULL);
  n = soup_multipart_get_length (multipart);
  for (int i = 0; i < n; i++)
    {
      SoupMessageHeaders *part_headers;
      GBytes *part_body;

      if (!soup_multipart_get_part (multipart, i, &part_headers, &part_body))
        continue;
      /* libsoup 3.2 makes a part whose headers run past the next boundary
       * with a negative length, which reads as a huge one (found by
       * tests/fuzz/fuzz-listen): no byte of it can be trusted. */
      if (g_bytes_get_size (part_body) > len)
        g_string_append_printf (parts, "part %d: damaged (its headers run into the next "
                                       "boundary)\n", i + 1);
      else
        append_part (parts, (guint) i + 1, part_headers, part_body);
    }
  if (n == 0)
    g_string_append (parts, "no parts\n");
  append_block (out, parts->str, parts->len, body_size);
  return TRUE;
}

void
ph_listen_format_head (GString *out, const ph_listen_request *request)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_string_append_printf (out, "#%u ", request->number);
  append_escaped (out, request->method != NULL ? request->method : "?", -1, FALSE);
  g_string_append_c (out, ' ');
  append_escaped (out, request->path != NULL ? request->path : "", -1, FALSE);
  if (request->query != NULL)
    {
      g_string_append_c (out, '?');
      append_escaped (out, request->query, -1, FALSE);
    }
  g_string_append (out, "  (from ");
  append_escaped (out, request->peer != NULL ? request->peer : "unknown", -1, FALSE);
  g_string_append (out, ", ");
  append_size (out, request->body_size);
  g_string_append_c (out, ')');
  if (request->received != NULL)
    {
      g_autofree char *time = g_date_time_format (request->received, "%Y-%m-%d %H:%M:%S");
      g_string_append_printf (out, "  %s.%03d", time,
                              g_date_time_get_microsecond (request->received) / 1000);
    }
  g_string_append_c (out, '\n');

  if (request->headers == NULL)
    return;
  soup_message_headers_iter_init (&iter, request->headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_string_append (out, "  ");
      append_escaped (out, name, -1, FALSE);
      g_string_append (out, ": ");
      append_escaped (out, value, -1, FALSE);
      g_string_append_c (out, '\n');
    }
}

void
ph_listen_format_body (GString *out, SoupMessageHeaders *headers, GBytes *body,
                       guint64 body_size)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  const char *media_type;

  if (body_size == 0)
    return;
  /* An empty GBytes may hold NULL, and even NULL + 0 is undefined. */
  if (data == NULL)
    data = "";
  if (len < body_size)
    {
      /* Decoding half a body would only mislead. */
      g_string_append_printf (out, "  [only the first %" G_GSIZE_FORMAT " bytes were kept]\n", len);
      append_raw (out, data, len, body_size);
      return;
    }

  media_type = soup_message_headers_get_content_type (headers, NULL);
  if (is_json_type (media_type, data, len))
    {
      if (append_json (out, data, len, body_size))
        return;
    }
  else if (media_type != NULL
           && g_ascii_strcasecmp (media_type, "application/x-www-form-urlencoded") == 0)
    {
      if (append_form (out, data, len, body_size))
        return;
    }
  else if (media_type != NULL && g_ascii_strncasecmp (media_type, "multipart/", 10) == 0)
    {
      if (append_multipart (out, headers, body, body_size))
        return;
    }
  append_raw (out, data, len, body_size);
}
