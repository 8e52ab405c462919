/* The @param language of data, headers and url (DESIGN.md §5).
 *
 * "@name" or "@{name}" refers to a parameter; a name is steps of
 * [A-Za-z0-9_]+ joined by "." and numeric steps index arrays.  A bare "@name"
 * counts only where the "@" does not follow a letter, digit or "_"; "@@" is
 * a literal "@"; anything else after "@" leaves the "@" as text.  Inserted
 * values are never scanned again. */
#ifndef PH_TEMPLATE_H
#define PH_TEMPLATE_H

#include <glib.h>
#include <json-c/json.h>

#define PH_TEMPLATE_ERROR ph_template_error_quark ()

typedef enum {
  PH_TEMPLATE_ERROR_SYNTAX,   /* a malformed "@{...}" */
} ph_template_error;

GQuark ph_template_error_quark (void);

/* Looks up a dotted name (len bytes, or up to the NUL when len is negative)
 * in params (transfer none): objects by key, arrays by decimal index.
 * Returns transfer none, NULL when the name is missing, leads through
 * something that is not an object or array, or the value is JSON null. */
json_object *ph_param_lookup (json_object *params, const char *name, gssize len);

/* Renders one string value (tmpl and params: transfer none).  When tmpl is
 * exactly one parameter ("@x.y" or "@{x.y}") the result is a deep copy of
 * the value with its JSON type, or "" when it is missing; otherwise a string
 * with the parameters inserted as text.  Returns transfer full; NULL only
 * when the whole value is a parameter holding JSON null. */
json_object *ph_template_render_value (const char *tmpl, json_object *params);

/* Renders tmpl as text, even when it is one parameter (header values,
 * messages).  tmpl and params: transfer none.  Returns transfer full; an
 * inserted string holding U+0000 ends the text there. */
char *ph_template_render_text (const char *tmpl, json_object *params);

/* Renders a URL: inserted values are percent-encoded (everything but
 * A-Z a-z 0-9 - . _ ~), the template's own text is left as written.  tmpl
 * and params: transfer none.  Returns transfer full. */
char *ph_template_render_url (const char *tmpl, json_object *params);

/* Appends the text of one inserted value (len bytes, "" for a missing
 * parameter) to out its own way: escaped, with characters replaced. */
typedef void (*ph_template_insert_func) (GString *out, const char *text, gsize len,
                                         gpointer user_data);

/* Renders tmpl as text with every inserted value going through insert
 * (MQTT topics: a value cannot add levels or wildcards).  tmpl and params:
 * transfer none.  Returns transfer full. */
char *ph_template_render_with (const char *tmpl, json_object *params,
                               ph_template_insert_func insert, gpointer user_data);

/* Renders a JSON template (tmpl and params: transfer none): every string
 * value goes through ph_template_render_value, except that a whole-value
 * parameter is the parameter itself rather than a copy; object keys and
 * other values are kept as they are.  Returns transfer full: new objects
 * and arrays down to each rendered string, holding references to the
 * template's other values and to the parameters' (read-only: they are
 * shared with the template and the parameters, event.h). */
json_object *ph_template_render_json (json_object *tmpl, json_object *params);

/* For the config loader: FALSE with a PH_TEMPLATE_ERROR naming the 1-based
 * character position for an unterminated "@{", an empty "@{}" or a character
 * not allowed inside "@{...}" (at render time these stay literal text).
 * tmpl: transfer none. */
gboolean ph_template_check (const char *tmpl, GError **error);

/* The dotted names tmpl refers to, each once, in order of appearance, for
 * "did you mean" warnings.  Returns transfer full, NULL-terminated (free
 * with g_strfreev). */
char **ph_template_list_params (const char *tmpl);

#endif
