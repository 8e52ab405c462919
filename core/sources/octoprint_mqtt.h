/* What the OctoPrint-MQTT plugin publishes (shared/reference/
 * mqtt-and-bambu.md §4) as OctoPrint's events, for a [source] of type =
 * mqtt with format = octoprint-mqtt: BASE/event/NAME carries an event of
 * that name (its payload the plugin's JSON without _event and
 * _timestamp), BASE/progress/printing the job's completion.  The plugin
 * publishes no printer state, so the state, job and progress that the
 * parameters show are kept here from the events themselves, in the
 * shapes the push API gives (core/sources/octoprint_printer.c). */
#ifndef PH_OCTOPRINT_MQTT_H
#define PH_OCTOPRINT_MQTT_H

#include <glib.h>
#include <json-c/json.h>

typedef struct ph_octoprint_mqtt ph_octoprint_mqtt;

/* One event a message makes. */
typedef struct {
  char *name;
  json_object *payload;      /* an object, owned */
  double completion;         /* PrintProgress: the percentage; else -1 */
} ph_octoprint_mqtt_event;

void ph_octoprint_mqtt_event_free (ph_octoprint_mqtt_event *event);

/* Transfer full. */
ph_octoprint_mqtt *ph_octoprint_mqtt_new (void);
void ph_octoprint_mqtt_free (ph_octoprint_mqtt *state);

/* Takes one message: topic is what follows the plugin's base ("event/
 * PrintDone", "progress/printing"; transfer none), payload len bytes.
 * The events it makes are appended to events (ph_octoprint_mqtt_event *,
 * transfer full); other topics (temperatures, the plugin's own status)
 * make none.  FALSE with error (G_IO_ERROR_INVALID_DATA) for a message on
 * an event or progress topic that is not a JSON object of the plugin's
 * shape, which changes nothing. */
gboolean ph_octoprint_mqtt_apply (ph_octoprint_mqtt *state, const char *topic,
                                  const char *payload, gsize len, GPtrArray *events,
                                  GError **error);

/* The printer as the messages so far describe it: state, job, progress.
 * Transfer full (a copy of its own). */
json_object *ph_octoprint_mqtt_printer (const ph_octoprint_mqtt *state);

#endif
