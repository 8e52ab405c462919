/* What a Bambu Lab printer's reports mean (core/sources/bambu_report.c):
 * the input is a session of reports, one a line, "RECONNECT" for a lost
 * connection.  Whatever they hold: a refused report changes nothing; the
 * events are the known ones, in an order a print can have (nothing of a
 * job after its PrintDone or PrintFailed until the next PrintStarted),
 * progress within 0-100; the printer tree is always OctoPrint's shape. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "sources/bambu_report.h"

#define T0 1765000000

static const char *const job_events[] = {
  "PrintPaused", "PrintResumed", "PrintProgress", "PrintDone", "PrintFailed", "PrintCancelled",
  "UserActionNeeded", NULL
};

static const char *
printer_text (ph_bambu_state *state, gint64 now, char **copy)
{
  json_object *tree = ph_bambu_state_printer (state, now);
  json_object *st = NULL, *text = NULL;

  /* What the camera is read from the same merged state (any answer). */
  (void) ph_bambu_state_has_rtsp_camera (state);

  if (!json_object_object_get_ex (tree, "state", &st)
      || !json_object_object_get_ex (st, "text", &text) || !json_object_is_type (text, json_type_string))
    PH_FUZZ_FAIL ("a printer tree without state.text: %s", json_object_to_json_string (tree));
  *copy = g_strdup (json_object_to_json_string_ext (tree, JSON_C_TO_STRING_PLAIN));
  json_object_put (tree);
  return *copy;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (ph_bambu_state) state = ph_bambu_state_new ();
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_auto (GStrv) lines = g_strsplit (input, "\n", 64);
  /* Unknown at first: a job may be running when printhook starts. */
  int open = -1;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_bambu_event_free);
      g_autoptr (GError) error = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      gint64 now = T0 + i * 60;

      if (strcmp (lines[i], "RECONNECT") == 0)
        {
          ph_bambu_state_reconnected (state);
          continue;
        }
      printer_text (state, now, &before);
      if (!ph_bambu_state_apply (state, lines[i], strlen (lines[i]), now, events, &error))
        {
          if (error == NULL || events->len > 0)
            PH_FUZZ_FAIL ("a refused report without a reason, or with events");
          printer_text (state, now, &after);
          if (strcmp (before, after) != 0)
            PH_FUZZ_FAIL ("a refused report changed the state:\n%s\n%s", before, after);
          continue;
        }
      for (guint j = 0; j < events->len; j++)
        {
          const ph_bambu_event *e = g_ptr_array_index (events, j);

          if (!json_object_is_type (e->payload, json_type_object))
            PH_FUZZ_FAIL ("%s without a payload object", e->name);
          if (strcmp (e->name, "PrintStarted") == 0)
            open = 1;
          else if (g_strv_contains (job_events, e->name))
            {
              if (open == 0)
                PH_FUZZ_FAIL ("%s after the job ended", e->name);
              if (strcmp (e->name, "PrintDone") == 0 || strcmp (e->name, "PrintFailed") == 0)
                open = 0;
              if (strcmp (e->name, "PrintProgress") == 0 && !(e->completion >= 0 && e->completion <= 100))
                PH_FUZZ_FAIL ("progress %g", e->completion);
            }
          else if (strcmp (e->name, "Error") != 0)
            PH_FUZZ_FAIL ("an unknown event %s", e->name);
        }
      printer_text (state, now, &after);
    }
  return 0;
}
