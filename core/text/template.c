/* The @param language (DESIGN.md §5).  It keeps what users wrote for the
 * OctoPrint-Webhooks plugin working while fixing that plugin's substitution:
 * names end at any character that cannot be part of a name (not only at a
 * space), "@" inside words stays text, and inserted values are never scanned
 * again, so nothing can loop.  One left-to-right pass over the template;
 * every byte is looked at a bounded number of times. */
#include "autoconfig.h"
#include "template.h"

#include <string.h>

#include "json_text.h"

G_DEFINE_QUARK (ph-template-error-quark, ph_template_error)

typedef enum {
  AT_TEXT,        /* the "@" is text */
  AT_ESCAPED,     /* "@@": one "@" of text */
  AT_PARAM,
  AT_BAD_BRACE,   /* a malformed "@{": text when rendering, an error when checking */
} at_kind;

typedef struct {
  at_kind kind;
  gsize name_start;   /* AT_PARAM: the name */
  gsize name_len;
  gsize end;          /* just past what this "@" stands for */
  gsize bad;          /* AT_BAD_BRACE: the offending byte (the NUL when unterminated) */
} at_token;

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* Length of the dotted name at s, 0 if none: a "." belongs to the name only
 * when a name character follows it, so "@extra.name." ends before the dot. */
static gsize
scan_name (const char *s)
{
  gsize i = 0;

  while (is_name_char (s[i]))
    {
      i++;
      if (s[i] == '.' && is_name_char (s[i + 1]))
        i++;
    }
  return i;
}

/* Classifies the "@" at tmpl[at]. */
static at_token
read_at (const char *tmpl, gsize at)
{
  at_token t = { AT_TEXT, 0, 0, at + 1, 0 };
  const char *after = tmpl + at + 1;

  if (*after == '@')
    {
      t.kind = AT_ESCAPED;
      t.end = at + 2;
    }
  else if (*after == '{')
    {
      gsize len = scan_name (after + 1);
      gsize close = at + 2 + len;

      if (len > 0 && tmpl[close] == '}')
        {
          t.kind = AT_PARAM;
          t.name_start = at + 2;
          t.name_len = len;
          t.end = close + 1;
        }
      else
        {
          t.kind = AT_BAD_BRACE;
          t.bad = close;
        }
    }
  else if (!(at > 0 && is_name_char (tmpl[at - 1])))
    {
      gsize len = scan_name (after);

      if (len > 0)
        {
          t.kind = AT_PARAM;
          t.name_start = at + 1;
          t.name_len = len;
          t.end = at + 1 + len;
        }
    }
  return t;
}

/* Parses a decimal array index: digits only, no sign, no overflow. */
static gboolean
parse_index (const char *step, gsize *index)
{
  gsize value = 0;

  if (*step == '\0')
    return FALSE;
  for (const char *c = step; *c != '\0'; c++)
    {
      if (!g_ascii_isdigit (*c) || value > (G_MAXSIZE - 9) / 10)
        return FALSE;
      value = value * 10 + (gsize) (*c - '0');
    }
  *index = value;
  return TRUE;
}

/* Finds name in params; *value (transfer none) may be NULL for JSON null,
 * which is why being found is told apart. */
static gboolean
lookup (json_object *params, const char *name, gsize len, json_object **value)
{
  g_autofree char *steps = g_strndup (name, len);
  json_object *current = params;
  char *step = steps;

  *value = NULL;
  if (len == 0 || strlen (steps) != len)
    return FALSE;
  while (step != NULL)
    {
      char *dot = strchr (step, '.');
      gsize index;

      if (dot != NULL)
        *dot = '\0';
      if (json_object_is_type (current, json_type_object))
        {
          if (*step == '\0' || !json_object_object_get_ex (current, step, &current))
            return FALSE;
        }
      else if (json_object_is_type (current, json_type_array))
        {
          if (!parse_index (step, &index) || index >= json_object_array_length (current))
            return FALSE;
          current = json_object_array_get_idx (current, index);
        }
      else
        return FALSE;
      step = dot != NULL ? dot + 1 : NULL;
    }
  *value = current;
  return TRUE;
}

/* params: transfer none; name: transfer none.  Returns transfer none. */
json_object *
ph_param_lookup (json_object *params, const char *name, gssize len)
{
  json_object *value;

  g_return_val_if_fail (name != NULL, NULL);

  if (!lookup (params, name, len < 0 ? strlen (name) : (gsize) len, &value))
    return NULL;
  return value;
}

/* Inserts a value percent-encoded, for URLs. */
static void
insert_url_escaped (GString *out, const char *text, gsize len, gpointer user_data)
{
  g_autofree char *escaped = g_uri_escape_bytes ((const guint8 *) text, len, NULL);

  g_string_append (out, escaped);
}

/* insert NULL: the value's text as it is, nothing for a missing one;
 * otherwise insert gets the text, "" for a missing value. */
static void
append_param (GString *out, const char *tmpl, const at_token *t, json_object *params,
              ph_template_insert_func insert, gpointer user_data)
{
  json_object *value;
  g_autoptr (GString) text = NULL;
  gboolean found = lookup (params, tmpl + t->name_start, t->name_len, &value);

  if (insert == NULL)
    {
      if (found)
        ph_json_append_plain (out, value);
      return;
    }
  text = g_string_new (NULL);
  if (found)
    ph_json_append_plain (text, value);
  insert (out, text->str, text->len, user_data);
}

/* The single pass shared by every render: text is copied, each parameter
 * is inserted once. */
static void
render (GString *out, const char *tmpl, json_object *params, ph_template_insert_func insert,
        gpointer user_data)
{
  gsize pos = 0;
  const char *at;

  while ((at = strchr (tmpl + pos, '@')) != NULL)
    {
      gsize offset = at - tmpl;
      at_token t = read_at (tmpl, offset);

      g_string_append_len (out, tmpl + pos, offset - pos);
      if (t.kind == AT_PARAM)
        append_param (out, tmpl, &t, params, insert, user_data);
      else
        g_string_append_c (out, '@');
      pos = t.end;
    }
  g_string_append (out, tmpl + pos);
}

/* A deep copy of value (transfer none; returns transfer full).  Written
 * out rather than json_object_deep_copy, which can fail on serializer data
 * that printhook never uses. */
static json_object *
copy_tree (json_object *value)
{
  json_object *result = NULL;

  switch (json_object_get_type (value))
    {
    case json_type_null:
      break;
    case json_type_boolean:
      result = json_object_new_boolean (json_object_get_boolean (value));
      break;
    case json_type_int:
      /* json-c saturates the int64 getter for values it holds as uint64. */
      if (json_object_get_int64 (value) == G_MAXINT64)
        result = json_object_new_uint64 (json_object_get_uint64 (value));
      else
        result = json_object_new_int64 (json_object_get_int64 (value));
      break;
    case json_type_double:
      result = json_object_new_double (json_object_get_double (value));
      break;
    case json_type_string:
      result = json_object_new_string_len (json_object_get_string (value),
                                           json_object_get_string_len (value));
      break;
    case json_type_array:
      {
        size_t n = json_object_array_length (value);

        result = json_object_new_array_ext ((int) MIN (n, (size_t) G_MAXINT));
        for (size_t i = 0; i < n; i++)
          json_object_array_add (result, copy_tree (json_object_array_get_idx (value, i)));
      }
      break;
    case json_type_object:
      result = json_object_new_object ();
      json_object_object_foreach (value, key, member)
        json_object_object_add_ex (result, key, copy_tree (member), JSON_C_OBJECT_ADD_KEY_IS_NEW);
      break;
    }
  return result;
}

/* ph_template_render_value, with a whole-value parameter given as the
 * parameter itself (a reference: shared, not copied) when share. */
static json_object *
render_value (const char *tmpl, json_object *params, gboolean share)
{
  g_autoptr (GString) out = NULL;

  if (tmpl[0] == '@')
    {
      at_token t = read_at (tmpl, 0);

      if (t.kind == AT_PARAM && tmpl[t.end] == '\0')
        {
          json_object *value;

          if (!lookup (params, tmpl + t.name_start, t.name_len, &value))
            return json_object_new_string ("");
          return share ? json_object_get (value) : copy_tree (value);
        }
    }
  out = g_string_new (NULL);
  render (out, tmpl, params, NULL, NULL);
  if (out->len > G_MAXINT)
    {
      /* json-c strings hold at most G_MAXINT bytes: cut at a character. */
      g_warning ("a rendered value of %" G_GSIZE_FORMAT " bytes was cut to %d bytes", out->len,
                 G_MAXINT);
      g_string_truncate (out, g_utf8_find_prev_char (out->str, out->str + (gsize) G_MAXINT + 1)
                              - out->str);
    }
  return json_object_new_string_len (out->str, (int) out->len);
}

/* tmpl: transfer none; params: transfer none.  Returns transfer full. */
json_object *
ph_template_render_value (const char *tmpl, json_object *params)
{
  g_return_val_if_fail (tmpl != NULL, NULL);

  return render_value (tmpl, params, FALSE);
}

/* tmpl: transfer none; params: transfer none.  Returns transfer full. */
char *
ph_template_render_text (const char *tmpl, json_object *params)
{
  GString *out;

  g_return_val_if_fail (tmpl != NULL, NULL);

  out = g_string_new (NULL);
  render (out, tmpl, params, NULL, NULL);
  return g_string_free (out, FALSE);
}

/* tmpl: transfer none; params: transfer none.  Returns transfer full. */
char *
ph_template_render_url (const char *tmpl, json_object *params)
{
  GString *out;

  g_return_val_if_fail (tmpl != NULL, NULL);

  out = g_string_new (NULL);
  render (out, tmpl, params, insert_url_escaped, NULL);
  return g_string_free (out, FALSE);
}

/* tmpl, params: transfer none.  Returns transfer full. */
char *
ph_template_render_with (const char *tmpl, json_object *params, ph_template_insert_func insert,
                         gpointer user_data)
{
  GString *out;

  g_return_val_if_fail (tmpl != NULL, NULL);
  g_return_val_if_fail (insert != NULL, NULL);

  out = g_string_new (NULL);
  render (out, tmpl, params, insert, user_data);
  return g_string_free (out, FALSE);
}

/* New containers down to every string of tmpl, which is rendered; the
 * template's other values and whole-value parameters are shared
 * (references), since a body is only ever read: copying the printer's data
 * for each delivery was a quarter of the daemon's work. */
static json_object *
render_tree (json_object *tmpl, json_object *params)
{
  json_object *result;

  switch (json_object_get_type (tmpl))
    {
    case json_type_string:
      return render_value (json_object_get_string (tmpl), params, TRUE);
    case json_type_array:
      {
        size_t n = json_object_array_length (tmpl);

        result = json_object_new_array_ext ((int) MIN (n, (size_t) G_MAXINT));
        for (size_t i = 0; i < n; i++)
          json_object_array_add (result, render_tree (json_object_array_get_idx (tmpl, i), params));
      }
      return result;
    case json_type_object:
      result = json_object_new_object ();
      json_object_object_foreach (tmpl, key, member)
        json_object_object_add_ex (result, key, render_tree (member, params),
                                   JSON_C_OBJECT_ADD_KEY_IS_NEW);
      return result;
    case json_type_null:
    case json_type_boolean:
    case json_type_int:
    case json_type_double:
      break;
    }
  return json_object_get (tmpl);
}

/* tmpl: transfer none; params: transfer none.  Returns transfer full. */
json_object *
ph_template_render_json (json_object *tmpl, json_object *params)
{
  return render_tree (tmpl, params);
}

/* Describes the character at s for an error message: transfer full. */
static char *
describe_char (const char *s)
{
  gunichar c = g_utf8_get_char_validated (s, -1);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    return g_strdup_printf ("byte 0x%02x", (guchar) *s);
  if (g_unichar_isprint (c))
    return g_strdup_printf ("'%.*s'", (int) (g_utf8_next_char (s) - s), s);
  return g_strdup_printf ("U+%04X", c);
}

/* tmpl: transfer none. */
gboolean
ph_template_check (const char *tmpl, GError **error)
{
  const char *at;
  gsize pos = 0;

  g_return_val_if_fail (tmpl != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  while ((at = strchr (tmpl + pos, '@')) != NULL)
    {
      at_token t = read_at (tmpl, at - tmpl);

      if (t.kind == AT_BAD_BRACE)
        {
          /* Positions count characters, as an editor shows them. */
          glong at_char = g_utf8_pointer_to_offset (tmpl, at) + 1;

          if (tmpl[t.bad] == '\0')
            g_set_error (error, PH_TEMPLATE_ERROR, PH_TEMPLATE_ERROR_SYNTAX,
                         "character %ld: \"@{\" is not closed by \"}\"", at_char);
          else if (tmpl[t.bad] == '}')
            g_set_error (error, PH_TEMPLATE_ERROR, PH_TEMPLATE_ERROR_SYNTAX,
                         "character %ld: \"@{}\" names no parameter", at_char);
          else
            {
              g_autofree char *what = describe_char (tmpl + t.bad);

              g_set_error (error, PH_TEMPLATE_ERROR, PH_TEMPLATE_ERROR_SYNTAX,
                           "character %ld: %s is not allowed in \"@{...}\", where a name is "
                           "letters, digits and \"_\" with \".\" between steps",
                           g_utf8_pointer_to_offset (tmpl, tmpl + t.bad) + 1, what);
            }
          return FALSE;
        }
      pos = t.end;
    }
  return TRUE;
}

/* tmpl: transfer none.  Returns transfer full. */
char **
ph_template_list_params (const char *tmpl)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *at;
  gsize pos = 0;

  g_return_val_if_fail (tmpl != NULL, NULL);

  while ((at = strchr (tmpl + pos, '@')) != NULL)
    {
      at_token t = read_at (tmpl, at - tmpl);

      if (t.kind == AT_PARAM)
        {
          char *name = g_strndup (tmpl + t.name_start, t.name_len);

          /* Not g_hash_table_add's answer: on a repeat it keeps the new key,
           * which would be freed here while the table still holds it. */
          if (g_hash_table_contains (seen, name))
            g_free (name);
          else
            {
              g_hash_table_add (seen, name);
              g_ptr_array_add (names, name);
            }
        }
      pos = t.end;
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_set_free_func (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}
