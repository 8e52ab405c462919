#include "autoconfig.h"
#include "octoprint_mqtt.h"

#include <math.h>
#include <string.h>
#include <gio/gio.h>

#include "event/events.h"
#include "json_member.h"
#include "text/json_text.h"

/* Bigger messages are no plugin's. */
#define MAX_MESSAGE_BYTES (256 * 1024)
#define MAX_EVENT_NAME 128

struct ph_octoprint_mqtt {
  const char *state;           /* OctoPrint's state text: static */
  const char *next_state;      /* what it becomes at the next message, or NULL */
  gboolean printing, paused;
  json_object *file;           /* the job's file as PrintStarted named it, or NULL */
  double completion;           /* -1: none */
  int last_percent;            /* the last PrintProgress's, -1 before */
};

void
ph_octoprint_mqtt_event_free (ph_octoprint_mqtt_event *event)
{
  g_free (event->name);
  json_object_put (event->payload);
  g_free (event);
}

ph_octoprint_mqtt *
ph_octoprint_mqtt_new (void)
{
  ph_octoprint_mqtt *state = g_new0 (ph_octoprint_mqtt, 1);

  state->state = "Operational";
  state->completion = -1;
  state->last_percent = -1;
  return state;
}

void
ph_octoprint_mqtt_free (ph_octoprint_mqtt *state)
{
  if (state == NULL)
    return;
  json_object_put (state->file);
  g_free (state);
}

static void
add_event (GPtrArray *events, const char *name, json_object *payload, double completion)
{
  ph_octoprint_mqtt_event *event = g_new0 (ph_octoprint_mqtt_event, 1);

  event->name = g_strdup (name);
  event->payload = payload;
  event->completion = completion;
  g_ptr_array_add (events, event);
}

/* The job's file from a PrintStarted payload, as the push source keeps it. */
static void
start_job (ph_octoprint_mqtt *state, json_object *payload)
{
  const char *name = ph_json_string (payload, "name");
  const char *path = ph_json_string (payload, "path");
  const char *origin = ph_json_string (payload, "origin");
  json_object *size = NULL;

  g_clear_pointer (&state->file, json_object_put);
  state->completion = 0;
  state->last_percent = -1;
  if (path == NULL)
    return;
  state->file = json_object_new_object ();
  json_object_object_add (state->file, "name", json_object_new_string (name ? name : path));
  json_object_object_add (state->file, "path", json_object_new_string (path));
  json_object_object_add (state->file, "display", json_object_new_string (name ? name : path));
  if (origin != NULL)
    json_object_object_add (state->file, "origin", json_object_new_string (origin));
  if (json_object_object_get_ex (payload, "size", &size)
      && json_object_is_type (size, json_type_int))
    json_object_object_add (state->file, "size", json_object_get (size));
}

/* What an event says of the printer's state. */
static void
follow (ph_octoprint_mqtt *state, const char *name, json_object *payload)
{
  if (strcmp (name, "PrintStarted") == 0)
    start_job (state, payload);
  if (strcmp (name, "PrintStarted") == 0 || strcmp (name, "PrintResumed") == 0)
    {
      state->state = "Printing";
      state->printing = TRUE;
      state->paused = FALSE;
    }
  else if (strcmp (name, "PrintPaused") == 0)
    {
      state->state = "Paused";
      state->printing = FALSE;
      state->paused = TRUE;
    }
  else if (strcmp (name, "PrintDone") == 0)
    {
      /* OctoPrint says PrintDone while it is Finishing, then goes
       * Operational: the push API's parameters show the same. */
      state->state = "Finishing";
      state->next_state = "Operational";
      state->printing = state->paused = FALSE;
      state->completion = 100;
    }
  else if (strcmp (name, "PrintFailed") == 0 || strcmp (name, "PrintCancelled") == 0)
    {
      state->state = "Operational";
      state->printing = state->paused = FALSE;
    }
  else if (strcmp (name, "Disconnected") == 0)
    {
      state->state = "Offline";
      state->printing = state->paused = FALSE;
    }
  else if (strcmp (name, "Connected") == 0 && !state->printing)
    state->state = "Operational";
}

/* A refusal: FALSE with error (G_IO_ERROR_INVALID_DATA). */
#define REFUSE(error, ...) \
  (g_set_error ((error), G_IO_ERROR, G_IO_ERROR_INVALID_DATA, __VA_ARGS__), FALSE)

gboolean
ph_octoprint_mqtt_apply (ph_octoprint_mqtt *state, const char *topic, const char *payload,
                         gsize len, GPtrArray *events, GError **error)
{
  gboolean is_event = g_str_has_prefix (topic, "event/");
  g_autoptr (GError) why = NULL;
  json_object *object;

  if (state->next_state != NULL)
    {
      state->state = state->next_state;
      state->next_state = NULL;
    }
  if (!is_event && strcmp (topic, "progress/printing") != 0)
    return TRUE;
  for (const char *p = topic; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return REFUSE (error, "the topic holds a control character");
  /* Hooks subscribe by event names as the configuration allows them, and
   * the activity's counts are keyed on them: "event/Print Done" names
   * no event of ours (as in the push API's source). */
  if (is_event && (strlen (topic + 6) > MAX_EVENT_NAME || !ph_event_name_is_valid (topic + 6)))
    return REFUSE (error, "'%.60s' is no event topic of the OctoPrint-MQTT plugin (an event "
                   "is named in letters, digits and '_')", topic);
  if (len > MAX_MESSAGE_BYTES)
    return REFUSE (error, "%" G_GSIZE_FORMAT " bytes on %s, more than the %d taken", len, topic,
                   MAX_MESSAGE_BYTES);
  object = ph_json_parse (payload, (gssize) len, &why);
  if (object == NULL)
    return REFUSE (error, "%s is not JSON: %s", topic, why->message);
  if (!json_object_is_type (object, json_type_object))
    {
      json_object_put (object);
      return REFUSE (error, "%s is not a JSON object", topic);
    }
  /* The plugin's own members are not the event's. */
  json_object_object_del (object, "_event");
  json_object_object_del (object, "_timestamp");
  if (is_event)
    {
      follow (state, topic + 6, object);
      add_event (events, topic + 6, object, -1);
      return TRUE;
    }
  {
    double completion = ph_json_number (object, "progress", -1);
    int percent;

    json_object_put (object);
    if (!(completion >= 0 && completion <= 100))
      return REFUSE (error, "progress/printing without a progress from 0 to 100");
    state->completion = completion;
    percent = (int) floor (completion);
    if (percent == state->last_percent)
      return TRUE;
    state->last_percent = percent;
    add_event (events, "PrintProgress", json_object_new_object (), completion);
  }
  return TRUE;
}

json_object *
ph_octoprint_mqtt_printer (const ph_octoprint_mqtt *state)
{
  json_object *printer = json_object_new_object ();
  json_object *st = json_object_new_object ();
  json_object *flags = json_object_new_object ();
  json_object *job = json_object_new_object ();
  json_object *progress = json_object_new_object ();

  json_object_object_add (flags, "operational",
                          json_object_new_boolean (strcmp (state->state, "Offline") != 0));
  json_object_object_add (flags, "printing", json_object_new_boolean (state->printing));
  json_object_object_add (flags, "paused", json_object_new_boolean (state->paused));
  json_object_object_add (st, "text", json_object_new_string (state->state));
  json_object_object_add (st, "flags", flags);
  json_object_object_add (printer, "state", st);
  json_object_object_add (job, "file", state->file != NULL ? ph_json_copy (state->file)
                                                           : NULL);
  json_object_object_add (printer, "job", job);
  json_object_object_add (progress, "completion",
                          state->completion >= 0 ? json_object_new_double (state->completion)
                                                 : NULL);
  json_object_object_add (printer, "progress", progress);
  return printer;
}
