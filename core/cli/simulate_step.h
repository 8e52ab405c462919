/* One event of a simulated print (printhook simulate): what it is, when
 * it comes and the printer as it is then. */
#ifndef PH_SIMULATE_STEP_H
#define PH_SIMULATE_STEP_H

#include <glib.h>
#include <json-c/json.h>

typedef struct {
  guint delay_ms;           /* at speed 1, before this step */
  char *event;
  json_object *payload;     /* owned; PrintProgress: with "progress" (percent) */
  json_object *printer;     /* owned */
} ph_sim_step;

/* A step appended to steps (which frees it with ph_sim_step_free);
 * payload and printer: transfer full. */
void ph_sim_step_add (GPtrArray *steps, guint delay_ms, const char *event, json_object *payload,
                      json_object *printer);
void ph_sim_step_free (gpointer step);

/* A Bambu Lab printer's recording played through the Bambu source's
 * rules: path holds one report per line as the printer publishes it on
 * device/SERIAL/report (blank lines and lines starting with '#' skipped),
 * each line step_ms after the one before.  A line that is not a report is
 * said on stderr with its line number and skipped, as the daemon would
 * skip it.  Returns the steps (transfer full), or NULL with error when
 * the file cannot be read or gives no event at all. */
GPtrArray *ph_simulate_bambu_steps (const char *path, guint step_ms, GError **error);

#endif
