/* JSON text as printhook writes and reads it everywhere: bodies, embedded
 * parameter values, config values, event payloads. */
#ifndef PH_JSON_TEXT_H
#define PH_JSON_TEXT_H

#include <glib.h>
#include <json-c/json.h>

/* json-c has no g_autoptr support of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

#define PH_JSON_ERROR ph_json_error_quark ()

typedef enum {
  PH_JSON_ERROR_INVALID,   /* the text is not one well-formed JSON value */
} ph_json_error;

GQuark ph_json_error_quark (void);

/* Appends value (transfer none; NULL is JSON null) to out as JSON text:
 * compact (no spaces at all) or pretty (two-space indent, "key": value), never
 * with a trailing newline.  Strings are written as raw UTF-8 without "\/",
 * each invalid UTF-8 byte becomes U+FFFD; doubles take their shortest
 * round-trip form and keep a ".0" so they stay doubles; NaN and infinities
 * become null. */
void ph_json_append (GString *out, json_object *value, gboolean pretty);

/* The same text as a new string: transfer full. */
char *ph_json_to_text (json_object *value, gboolean pretty);

/* Appends the text of value (transfer none) as it reads inside a string:
 * strings without quotes or escapes (invalid UTF-8 bytes become U+FFFD),
 * numbers as ph_json_append writes them, true/false, nothing for null, and
 * objects and arrays as compact JSON. */
void ph_json_append_plain (GString *out, json_object *value);

/* Parses exactly one JSON value from text (len bytes, or up to the NUL when
 * len is negative): strict JSON, valid UTF-8, nesting at most 64 deep, only
 * whitespace after the value, no number that is not finite (NaN, Infinity,
 * 1e400), and not a bare null (json-c's null is a NULL pointer, which here
 * always means failure).  Returns transfer full, or NULL
 * with a PH_JSON_ERROR whose message starts with "line L, column C: " (1-based,
 * columns in characters), or is "empty" for a blank text. */
json_object *ph_json_parse (const char *text, gssize len, GError **error);

#endif
