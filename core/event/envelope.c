#include "autoconfig.h"
#include "envelope.h"

#include <string.h>
#include <gio/gio.h>

#include "events.h"
#include "text/json_text.h"

/* 9999-12-31T23:59:59Z: a time the central side can still print. */
#define MAX_TIME G_GINT64_CONSTANT (253402300799)

/* payload, printer: transfer none (references are taken). */
static json_object *
build (const char *id, const char *name, const char *source_name, const char *source_type,
       gint64 time, json_object *payload, json_object *printer)
{
  json_object *envelope = json_object_new_object ();
  json_object *source = json_object_new_object ();

  json_object_object_add (source, "name", json_object_new_string (source_name));
  json_object_object_add (source, "type", json_object_new_string (source_type));
  json_object_object_add (envelope, "v", json_object_new_int (PH_ENVELOPE_VERSION));
  json_object_object_add (envelope, "id", json_object_new_string (id));
  json_object_object_add (envelope, "name", json_object_new_string (name));
  json_object_object_add (envelope, "source", source);
  json_object_object_add (envelope, "time", json_object_new_int64 (time));
  json_object_object_add (envelope, "payload", json_object_get (payload));
  json_object_object_add (envelope, "printer", json_object_get (printer));
  return envelope;
}

json_object *
ph_envelope_build (const ph_event *event, const char *id, const char *source_type)
{
  return build (id, event->name, event->source != NULL ? event->source : "",
                source_type != NULL ? source_type : "external", event->time, event->payload,
                event->printer);
}

gboolean
ph_envelope_id_valid (const char *id, gsize len)
{
  if (len == 0 || len > PH_ENVELOPE_MAX_NAME)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && (id[i] == '\0' || strchr ("_-.:", id[i]) == NULL))
      return FALSE;
  return TRUE;
}

static gboolean
refuse (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *fmt, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, fmt);
  text = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, text);
  return FALSE;
}

static json_object *
member (json_object *object, const char *key, json_type type, const char *where,
        GError **error)
{
  json_object *value = NULL;

  if (!json_object_object_get_ex (object, key, &value) || value == NULL)
    {
      refuse (error, "%s%s has no \"%s\"", where, *where ? "" : "the envelope", key);
      return NULL;
    }
  if (!json_object_is_type (value, type))
    {
      refuse (error, "%s\"%s\" is not a%s %s", where, key, type == json_type_object ? "n" : "",
              json_type_to_name (type));
      return NULL;
    }
  return value;
}

/* A name (event, source, type): 1 to PH_ENVELOPE_MAX_NAME bytes of
 * UTF-8 (ph_json_parse checked that) without control characters. */
static const char *
name_member (json_object *object, const char *key, const char *where, GError **error)
{
  json_object *value = member (object, key, json_type_string, where, error);
  const char *text;
  gsize len;

  if (value == NULL)
    return NULL;
  text = json_object_get_string (value);
  len = (gsize) json_object_get_string_len (value);
  if (len == 0 || len > PH_ENVELOPE_MAX_NAME)
    {
      refuse (error, "%s\"%s\" must have 1 to %d bytes, not %" G_GSIZE_FORMAT, where, key,
              PH_ENVELOPE_MAX_NAME, len);
      return NULL;
    }
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] < 0x20 || text[i] == 0x7f)
      {
        refuse (error, "%s\"%s\" holds a control character", where, key);
        return NULL;
      }
  return text;
}

static gboolean
only_members (json_object *object, const char *const *known, const char *where, GError **error)
{
  json_object_object_foreach (object, key, value)
    {
      (void) value;
      if (!g_strv_contains (known, key))
        return refuse (error, "%sunknown member \"%.40s\"%s", where,
                       key, strlen (key) > 40 ? "..." : "");
    }
  return TRUE;
}

static gboolean
read_envelope (json_object *root, ph_envelope *out, GError **error)
{
  static const char *const known[] = { "v", "id", "name", "source", "time", "payload",
                                       "printer", NULL };
  static const char *const source_known[] = { "name", "type", NULL };
  json_object *v, *source, *time, *payload, *printer;
  const char *id, *name, *source_name, *source_type;
  gint64 seconds;

  if (!json_object_is_type (root, json_type_object))
    return refuse (error, "the envelope is not a JSON object");
  v = member (root, "v", json_type_int, "", error);
  if (v == NULL)
    return FALSE;
  if (json_object_get_int64 (v) != PH_ENVELOPE_VERSION)
    return refuse (error, "envelope version %" G_GINT64_FORMAT " is not %d (a newer printhook "
                          "sent it? upgrade this one)", json_object_get_int64 (v),
                   PH_ENVELOPE_VERSION);
  if (!only_members (root, known, "", error))
    return FALSE;
  if ((id = name_member (root, "id", "", error)) == NULL)
    return FALSE;
  if (!ph_envelope_id_valid (id, strlen (id)))
    return refuse (error, "\"id\" may hold letters, digits and _-.: only");
  if ((name = name_member (root, "name", "", error)) == NULL)
    return FALSE;
  /* Hooks subscribe by event names as the configuration allows them, and
   * the activity's counts are keyed on them. */
  if (!ph_event_name_is_valid (name))
    return refuse (error, "\"name\" may hold letters, digits and _ only (an event's name)");
  if ((source = member (root, "source", json_type_object, "", error)) == NULL)
    return FALSE;
  if (!only_members (source, source_known, "\"source\": ", error)
      || (source_name = name_member (source, "name", "\"source\": ", error)) == NULL
      || (source_type = name_member (source, "type", "\"source\": ", error)) == NULL)
    return FALSE;
  if ((time = member (root, "time", json_type_int, "", error)) == NULL)
    return FALSE;
  seconds = json_object_get_int64 (time);
  if (seconds < 0 || seconds > MAX_TIME)
    return refuse (error, "\"time\" %" G_GINT64_FORMAT " is not Unix seconds from 1970 to "
                          "9999", seconds);
  if ((payload = member (root, "payload", json_type_object, "", error)) == NULL
      || (printer = member (root, "printer", json_type_object, "", error)) == NULL)
    return FALSE;
  out->id = g_strdup (id);
  out->name = g_strdup (name);
  out->source = g_strdup (source_name);
  out->source_type = g_strdup (source_type);
  out->time = seconds;
  out->payload = json_object_get (payload);
  out->printer = json_object_get (printer);
  return TRUE;
}

gboolean
ph_envelope_parse (const char *text, gsize len, ph_envelope *envelope, GError **error)
{
  g_autoptr (GError) why = NULL;
  json_object *root;
  ph_envelope out = { 0 };
  g_autofree char *canonical = NULL;

  if (len > PH_ENVELOPE_MAX_BYTES)
    return refuse (error, "the envelope has %" G_GSIZE_FORMAT " bytes, more than the %d taken",
                   len, PH_ENVELOPE_MAX_BYTES);
  root = ph_json_parse (text, (gssize) len, &why);
  if (root == NULL)
    return refuse (error, "the envelope is not JSON: %s", why->message);
  if (!read_envelope (root, &out, error))
    {
      json_object_put (root);
      ph_envelope_clear (&out);
      return FALSE;
    }
  json_object_put (root);
  /* Written again as an edge writes it: the digest does not depend on the
   * sender's spacing, number forms or order of the envelope's members. */
  {
    json_object *again = build (out.id, out.name, out.source, out.source_type, out.time,
                                out.payload, out.printer);

    canonical = ph_json_to_text (again, FALSE);
    json_object_put (again);
  }
  out.digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  *envelope = out;
  return TRUE;
}

ph_event *
ph_envelope_to_event (const ph_envelope *envelope)
{
  ph_event *event = ph_event_new (envelope->name, envelope->source,
                                  json_object_get (envelope->payload),
                                  json_object_get (envelope->printer));

  event->time = envelope->time;
  event->origin_id = g_strdup (envelope->id);
  return event;
}

void
ph_envelope_clear (ph_envelope *envelope)
{
  g_clear_pointer (&envelope->id, g_free);
  g_clear_pointer (&envelope->name, g_free);
  g_clear_pointer (&envelope->source, g_free);
  g_clear_pointer (&envelope->source_type, g_free);
  g_clear_pointer (&envelope->digest, g_free);
  g_clear_pointer (&envelope->payload, json_object_put);
  g_clear_pointer (&envelope->printer, json_object_put);
}
