/* What a print farm reads from its broker: the farm envelope a central
 * daemon takes (core/event/envelope.c), the acknowledgement an edge
 * takes back (modules/mqtt/ack.c), and a session of the OctoPrint-MQTT
 * plugin's messages (core/sources/octoprint_mqtt.c: lines of TOPIC, a
 * tab, PAYLOAD).  The input's first byte picks which: A, O, else the
 * envelope.  Plugin messages: a PrintProgress is within 0-100, the
 * printer tree always has a state text.
 * Properties: an envelope taken meets every bound the reader promises
 * (id of [A-Za-z0-9_.:-], names without control characters, time in
 * range, payload and printer objects); written again as the edge writes
 * it (ph_envelope_build from the event it makes), it reads back to the
 * same content and the same digest; a refused one leaves nothing behind.
 * An acknowledgement taken has an id and one of the three results. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "event/envelope.h"
#include "sources/octoprint_mqtt.h"
#include "text/json_text.h"
#include "../../modules/mqtt/ack.h"

static void
check_names (const ph_envelope *e)
{
  const char *names[] = { e->id, e->name, e->source, e->source_type };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      gsize len = strlen (names[i]);

      if (len == 0 || len > PH_ENVELOPE_MAX_NAME)
        PH_FUZZ_FAIL ("a name of %zu bytes taken: %s", len, names[i]);
      for (const char *p = names[i]; *p; p++)
        if ((guchar) *p < 0x20 || *p == 0x7f)
          PH_FUZZ_FAIL ("a control character taken in %s", names[i]);
    }
  for (const char *p = e->id; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-.:", *p) == NULL)
      PH_FUZZ_FAIL ("id '%s' taken", e->id);
  if (e->time < 0 || !json_object_is_type (e->payload, json_type_object)
      || !json_object_is_type (e->printer, json_type_object) || e->digest == NULL)
    PH_FUZZ_FAIL ("an envelope taken with time %" G_GINT64_FORMAT " or no objects", e->time);
}

static void
envelope (const char *text, size_t size)
{
  g_auto (ph_envelope) e = { 0 };
  g_auto (ph_envelope) again = { 0 };
  g_autoptr (GError) error = NULL;
  ph_event *event;
  json_object *built;
  g_autofree char *written = NULL;

  if (!ph_envelope_parse (text, size, &e, &error))
    {
      if (e.id != NULL || error == NULL)
        PH_FUZZ_FAIL ("a refused envelope left an id or no reason");
      return;
    }
  check_names (&e);
  event = ph_envelope_to_event (&e);
  if (g_strcmp0 (event->origin_id, e.id) != 0 || event->time != e.time)
    PH_FUZZ_FAIL ("the event of %s has another id or time", e.id);
  built = ph_envelope_build (event, e.id, e.source_type);
  written = ph_json_to_text (built, FALSE);
  json_object_put (built);
  ph_event_unref (event);
  if (!ph_envelope_parse (written, strlen (written), &again, &error))
    PH_FUZZ_FAIL ("written again, the envelope is refused: %s: %s", error->message, written);
  if (strcmp (again.digest, e.digest) != 0 || strcmp (again.name, e.name) != 0
      || strcmp (again.source, e.source) != 0 || again.time != e.time)
    PH_FUZZ_FAIL ("written again, the envelope changed: %s", written);
}

static void
acknowledgement (const char *text, size_t size)
{
  g_autofree char *id = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *by = NULL;
  mqtt_ack_result result = (mqtt_ack_result) 99;

  if (!mqtt_forward_parse_ack (text, size, &id, &result, &reason, &by))
    {
      if (id != NULL)
        PH_FUZZ_FAIL ("a refused acknowledgement left an id");
      return;
    }
  if (id == NULL || *id == '\0'
      || (result != MQTT_ACK_COMMITTED && result != MQTT_ACK_DUPLICATE
          && result != MQTT_ACK_REFUSED))
    PH_FUZZ_FAIL ("an acknowledgement taken without an id or a result");
}

static void
plugin_session (const char *text, size_t size)
{
  g_autofree char *copy = g_strndup (text, size);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", 64);
  ph_octoprint_mqtt *state = ph_octoprint_mqtt_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (
          (GDestroyNotify) ph_octoprint_mqtt_event_free);
      char *tab = strchr (lines[i], '\t');
      json_object *printer, *st = NULL, *label = NULL;

      if (tab == NULL)
        continue;
      *tab = '\0';
      ph_octoprint_mqtt_apply (state, lines[i], tab + 1, strlen (tab + 1), events, NULL);
      for (guint k = 0; k < events->len; k++)
        {
          ph_octoprint_mqtt_event *e = g_ptr_array_index (events, k);

          if (!json_object_is_type (e->payload, json_type_object)
              || (e->completion != -1 && !(e->completion >= 0 && e->completion <= 100))
              || (strcmp (e->name, "PrintProgress") == 0) != (e->completion >= 0))
            PH_FUZZ_FAIL ("event %s with completion %g", e->name, e->completion);
        }
      printer = ph_octoprint_mqtt_printer (state);
      if (!json_object_object_get_ex (printer, "state", &st)
          || !json_object_object_get_ex (st, "text", &label)
          || !json_object_is_type (label, json_type_string))
        PH_FUZZ_FAIL ("a printer without state.text");
      json_object_put (printer);
    }
  ph_octoprint_mqtt_free (state);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  if (data[0] == 'A')
    acknowledgement ((const char *) data + 1, size - 1);
  else if (data[0] == 'O')
    plugin_session ((const char *) data + 1, size - 1);
  else
    envelope ((const char *) data + 1, size - 1);
  return 0;
}
