/* printhook simulate --bambu: a recording of a Bambu Lab printer's reports
 * turned into events by the same code as the Bambu source
 * (sources/bambu_report.c), so hooks can be tried without a printer. */
#include "autoconfig.h"
#include "simulate_step.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "sources/bambu_report.h"

/* A simulated job began a few minutes ago, for @progress.printTime. */
#define START_OFFSET_S 600

GPtrArray *
ph_simulate_bambu_steps (const char *path, guint step_ms, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (ph_bambu_state) state = ph_bambu_state_new ();
  g_autoptr (GPtrArray) steps = g_ptr_array_new_with_free_func (ph_sim_step_free);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC - START_OFFSET_S;
  guint delay = 0;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (
          (GDestroyNotify) ph_bambu_event_free);
      g_autoptr (GError) local_error = NULL;
      const char *line = g_strstrip (lines[i]);

      if (*line == '\0' || *line == '#')
        continue;
      delay += step_ms;
      now++;
      if (!ph_bambu_state_apply (state, line, strlen (line), now, events, &local_error))
        {
          fprintf (stderr, "printhook simulate: %s:%u: not a report, skipped: %s\n", path, i + 1,
                   local_error->message);
          continue;
        }
      for (guint j = 0; j < events->len; j++)
        {
          ph_bambu_event *e = g_ptr_array_index (events, j);
          json_object *payload = g_steal_pointer (&e->payload);

          if (e->completion >= 0)
            json_object_object_add (payload, "progress",
                                    json_object_new_int ((int) e->completion));
          ph_sim_step_add (steps, delay, e->name, payload, ph_bambu_state_printer (state, now));
          delay = 0;
        }
    }
  if (steps->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s gives no event: it should hold a Bambu Lab printer's push_status "
                   "reports, one per line", path);
      return NULL;
    }
  return g_steal_pointer (&steps);
}
