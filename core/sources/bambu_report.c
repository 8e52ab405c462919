/* What a Bambu Lab printer's reports mean (bambu_report.h).  The rules,
 * from issue 19 and the reference's §3:
 *   a job starts when gcode_state is PREPARE, RUNNING or PAUSE and no job
 *   was active, or the job's ids or name changed: PrintStarted;
 *   RUNNING or PREPARE → PAUSE: PrintPaused, and UserActionNeeded when a
 *   print_error or new hms entries come with it (filament runout, jam);
 *   PAUSE → RUNNING: PrintResumed; → FINISH: PrintDone; → FAILED:
 *   PrintCancelled then PrintFailed (reason cancelled) for the cancel
 *   code, else PrintFailed (reason error);
 *   a new hms entry of fatal severity: Error;
 *   mc_percent changing while printing: PrintProgress.
 * A job found running at the first report is taken as it is (no
 * PrintStarted), as the other sources do. */
#include "autoconfig.h"
#include "bambu_report.h"

#include <gio/gio.h>
#include <string.h>

#include "json_member.h"
#include "text/json_text.h"

/* The severity in the high half of an hms code (as ha-bambulab reads
 * it): 1 fatal, 2 serious, 3 common, 4 info. */
#define HMS_FATAL 1

struct ph_bambu_state {
  json_object *print;          /* the push_status fields, merged; never NULL */
  gboolean fresh;              /* the next push_status replaces print (a reconnect) */
  char *last_state;            /* the gcode_state last handled; NULL: none yet */
  gboolean job_active;         /* a job started (or was found) and has not ended */
  char *job_key;               /* its task_id/subtask_id/subtask_name */
  int last_percent;            /* the completion last handed on, -1: none */
  GHashTable *hms;             /* "HMS_..." codes present in the last report */
};

void
ph_bambu_event_free (ph_bambu_event *event)
{
  if (event == NULL)
    return;
  g_free (event->name);
  if (event->payload != NULL)
    json_object_put (event->payload);
  g_free (event);
}

ph_bambu_state *
ph_bambu_state_new (void)
{
  ph_bambu_state *state = g_new0 (ph_bambu_state, 1);

  state->print = json_object_new_object ();
  state->last_percent = -1;
  state->hms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return state;
}

void
ph_bambu_state_free (ph_bambu_state *state)
{
  if (state == NULL)
    return;
  json_object_put (state->print);
  g_free (state->last_state);
  g_free (state->job_key);
  g_hash_table_unref (state->hms);
  g_free (state);
}

void
ph_bambu_state_reconnected (ph_bambu_state *state)
{
  state->fresh = TRUE;
}

/* ---- reading fields that may be missing or of another type ---- */

/* A number, or a string that is one (some firmware quotes them), within
 * PH_JSON_NUMBER_LIMIT; else fallback. */
static double
number_of (json_object *object, const char *key, double fallback)
{
  const char *text = ph_json_string (object, key);
  char *end = NULL;
  double value;

  if (text == NULL)
    return ph_json_number (object, key, fallback);
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(value >= -PH_JSON_NUMBER_LIMIT && value <= PH_JSON_NUMBER_LIMIT))
    return fallback;
  return value;
}

/* A member as text: strings as they are, numbers written; else "". */
static char *
text_of (json_object *object, const char *key)
{
  const char *text = ph_json_string (object, key);
  double number;

  if (text != NULL)
    return g_strdup (text);
  number = ph_json_number (object, key, G_MAXDOUBLE);
  if (number == G_MAXDOUBLE)
    return g_strdup ("");
  return g_strdup_printf ("%.0f", number);
}

static const char *const known_states[] = {
  "IDLE", "PREPARE", "RUNNING", "PAUSE", "FINISH", "FAILED", "SLICING", "INIT", NULL
};

/* gcode_state when it is one of the known ones, else NULL. */
static const char *
gcode_state (ph_bambu_state *state)
{
  const char *value = ph_json_string (state->print, "gcode_state");

  for (guint i = 0; value != NULL && known_states[i] != NULL; i++)
    if (strcmp (value, known_states[i]) == 0)
      return known_states[i];
  return NULL;
}

static gboolean
is_active (const char *gcode)
{
  return g_strcmp0 (gcode, "PREPARE") == 0 || g_strcmp0 (gcode, "RUNNING") == 0
         || g_strcmp0 (gcode, "PAUSE") == 0;
}

/* The job as the user knows it: subtask_name, else gcode_file.
 * Transfer full. */
static char *
job_name (ph_bambu_state *state)
{
  const char *name = ph_json_string (state->print, "subtask_name");

  if (name == NULL || *name == '\0')
    name = ph_json_string (state->print, "gcode_file");
  return g_strdup (name != NULL ? name : "");
}

static char *
job_key (ph_bambu_state *state)
{
  g_autofree char *task = text_of (state->print, "task_id");
  g_autofree char *subtask = text_of (state->print, "subtask_id");
  g_autofree char *name = job_name (state);

  return g_strdup_printf ("%s/%s/%s", task, subtask, name);
}

/* The hms entries of the report as "HMS_AAAA_AAAA_CCCC_CCCC" codes, with
 * whether each is fatal.  Transfer full. */
static GPtrArray *
hms_codes (ph_bambu_state *state, GArray *fatal)
{
  json_object *list = ph_json_member (state->print, "hms", json_type_array);
  GPtrArray *codes = g_ptr_array_new_with_free_func (g_free);

  for (size_t i = 0; list != NULL && i < json_object_array_length (list); i++)
    {
      json_object *entry = json_object_array_get_idx (list, i);
      double attr = number_of (entry, "attr", -1);
      double code = number_of (entry, "code", -1);
      guint32 a, c;
      gboolean is_fatal;

      if (attr < 0 || code < 0 || attr > G_MAXUINT32 || code > G_MAXUINT32)
        continue;
      a = (guint32) attr;
      c = (guint32) code;
      is_fatal = (c >> 16) == HMS_FATAL;
      g_ptr_array_add (codes, g_strdup_printf ("HMS_%04X_%04X_%04X_%04X", a >> 16, a & 0xFFFF,
                                               c >> 16, c & 0xFFFF));
      g_array_append_val (fatal, is_fatal);
    }
  return codes;
}

/* ---- merging ---- */

/* Whether a push_status is the whole state (an X1's every report, a P1's
 * answer to a pushall) rather than a P1's delta: it names the state and
 * the job. */
static gboolean
looks_whole (json_object *print)
{
  return ph_json_string (print, "gcode_state") != NULL
         && (json_object_object_get_ex (print, "subtask_name", NULL)
             || json_object_object_get_ex (print, "gcode_file", NULL));
}

/* Objects merge member by member; anything else replaces. */
static void
merge (json_object *into, json_object *from)
{
  json_object_object_foreach (from, key, value)
    {
      json_object *old = NULL;

      if (json_object_is_type (value, json_type_object)
          && json_object_object_get_ex (into, key, &old)
          && json_object_is_type (old, json_type_object))
        merge (old, value);
      else
        json_object_object_add (into, key, ph_json_copy (value));
    }
}

gboolean
ph_bambu_state_has_rtsp_camera (ph_bambu_state *state)
{
  json_object *ipcam = NULL;
  const char *url;

  if (!json_object_object_get_ex (state->print, "ipcam", &ipcam))
    return FALSE;
  url = ph_json_string (ipcam, "rtsp_url");
  return url != NULL && *url != '\0';
}

/* ---- events ---- */

static json_object *
temperatures (ph_bambu_state *state)
{
  static const char *const keys[] = { "nozzle_temper", "nozzle_target_temper", "bed_temper",
                                      "bed_target_temper", "chamber_temper", NULL };
  static const char *const names[] = { "nozzle", "nozzle_target", "bed", "bed_target",
                                       "chamber", NULL };
  json_object *out = json_object_new_object ();

  for (guint i = 0; keys[i] != NULL; i++)
    {
      double value = number_of (state->print, keys[i], G_MAXDOUBLE);

      if (value != G_MAXDOUBLE)
        json_object_object_add (out, names[i], json_object_new_double (value));
    }
  return out;
}

static gint64
print_error (ph_bambu_state *state)
{
  double value = number_of (state->print, "print_error", 0);

  return value >= 0 && value <= G_MAXUINT32 ? (gint64) value : 0;
}

/* The payload every event of the job carries: OctoPrint's name, path and
 * origin, and what a Bambu printer adds.  Transfer full. */
static json_object *
job_payload (ph_bambu_state *state, GPtrArray *hms)
{
  json_object *payload = json_object_new_object ();
  g_autofree char *name = job_name (state);
  const char *file = ph_json_string (state->print, "gcode_file");
  const char *type = ph_json_string (state->print, "print_type");
  double layer = number_of (state->print, "layer_num", -1);
  double layers = number_of (state->print, "total_layer_num", -1);
  gint64 error = print_error (state);
  json_object *codes = json_object_new_array ();

  json_object_object_add (payload, "name", json_object_new_string (name));
  json_object_object_add (payload, "path", json_object_new_string (file != NULL && *file != '\0'
                                                                       ? file : name));
  json_object_object_add (payload, "origin", json_object_new_string (
                                                 g_strcmp0 (type, "cloud") == 0 ? "cloud"
                                                                                 : "local"));
  json_object_object_add (payload, "layer", layer >= 0 ? json_object_new_int64 ((gint64) layer)
                                                       : NULL);
  json_object_object_add (payload, "total_layers",
                          layers >= 0 ? json_object_new_int64 ((gint64) layers) : NULL);
  json_object_object_add (payload, "temperatures", temperatures (state));
  json_object_object_add (payload, "print_error", error != 0 ? json_object_new_int64 (error) : NULL);
  for (guint i = 0; hms != NULL && i < hms->len; i++)
    json_object_array_add (codes, json_object_new_string (g_ptr_array_index (hms, i)));
  json_object_object_add (payload, "hms", codes);
  return payload;
}

/* Seconds since gcode_start_time, or -1. */
static gint64
print_time (ph_bambu_state *state, gint64 now)
{
  double start = number_of (state->print, "gcode_start_time", -1);

  if (start <= 0 || start > (double) now)
    return -1;
  return now - (gint64) start;
}

static void
add_event (GPtrArray *events, const char *name, json_object *payload, double completion)
{
  ph_bambu_event *event = g_new0 (ph_bambu_event, 1);

  event->name = g_strdup (name);
  event->payload = payload != NULL ? payload : json_object_new_object ();
  event->completion = completion;
  g_ptr_array_add (events, event);
}

static void
end_job (ph_bambu_state *state)
{
  state->job_active = FALSE;
  g_clear_pointer (&state->job_key, g_free);
  state->last_percent = -1;
}

/* The events from the state last handled to the one now. */
static void
transitions (ph_bambu_state *state, const char *before, const char *now_state, gint64 now,
             GPtrArray *hms, gboolean new_hms, GPtrArray *events)
{
  g_autofree char *key = job_key (state);
  gint64 error = print_error (state);
  gint64 time = print_time (state, now);

  if (is_active (now_state)
      && (!state->job_active || (state->job_key != NULL && strcmp (key, state->job_key) != 0)))
    {
      gboolean found = before == NULL;   /* the first report: it was printing already */

      g_free (state->job_key);
      state->job_key = g_strdup (key);
      state->job_active = TRUE;
      state->last_percent = -1;
      if (found)
        {
          state->last_percent = (int) number_of (state->print, "mc_percent", -1);
          return;
        }
      add_event (events, "PrintStarted", job_payload (state, hms), -1);
      before = "PREPARE";
    }
  if (!state->job_active || g_strcmp0 (before, now_state) == 0)
    return;
  if (strcmp (now_state, "PAUSE") == 0)
    {
      add_event (events, "PrintPaused", job_payload (state, hms), -1);
      if (error != 0 || new_hms)
        {
          json_object *payload = job_payload (state, hms);
          g_autofree char *reason = error != 0
                                        ? g_strdup_printf ("print_error 0x%08" G_GINT64_MODIFIER "X",
                                                           error)
                                        : g_strdup ("a new hms message");

          json_object_object_add (payload, "reason", json_object_new_string (reason));
          add_event (events, "UserActionNeeded", payload, -1);
        }
    }
  else if (g_strcmp0 (before, "PAUSE") == 0 && strcmp (now_state, "RUNNING") == 0)
    add_event (events, "PrintResumed", job_payload (state, hms), -1);
  else if (strcmp (now_state, "FINISH") == 0)
    {
      json_object *payload = job_payload (state, hms);

      json_object_object_add (payload, "time", time >= 0 ? json_object_new_int64 (time) : NULL);
      add_event (events, "PrintDone", payload, -1);
      end_job (state);
    }
  else if (strcmp (now_state, "FAILED") == 0)
    {
      gboolean cancelled = error == PH_BAMBU_ERROR_CANCELLED;
      json_object *payload = job_payload (state, hms);

      json_object_object_add (payload, "time", time >= 0 ? json_object_new_int64 (time) : NULL);
      if (cancelled)
        add_event (events, "PrintCancelled", ph_json_copy (payload), -1);
      json_object_object_add (payload, "reason", json_object_new_string (cancelled ? "cancelled"
                                                                                    : "error"));
      add_event (events, "PrintFailed", payload, -1);
      end_job (state);
    }
  else if (strcmp (now_state, "IDLE") == 0)
    end_job (state);   /* how it ended was not reported: nothing to say */
}

static void
progress (ph_bambu_state *state, const char *now_state, GPtrArray *hms, GPtrArray *events)
{
  double percent = number_of (state->print, "mc_percent", -1);

  if (!state->job_active || g_strcmp0 (now_state, "RUNNING") != 0 || percent < 0 || percent > 100
      || (int) percent == state->last_percent)
    return;
  state->last_percent = (int) percent;
  add_event (events, "PrintProgress", job_payload (state, hms), (double) (int) percent);
}

gboolean
ph_bambu_state_apply (ph_bambu_state *state, const char *text, gsize len, gint64 now,
                      GPtrArray *events, GError **error)
{
  g_autoptr (json_object) report = ph_json_parse (text, (gssize) len, error);
  g_autoptr (GPtrArray) hms = NULL;
  g_autoptr (GArray) fatal = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr (GHashTable) seen = NULL;
  json_object *print;
  const char *now_state;
  gboolean new_hms = FALSE;

  if (report == NULL)
    return FALSE;
  if (!json_object_is_type (report, json_type_object))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a report is a JSON object");
      return FALSE;
    }
  print = ph_json_member (report, "print", json_type_object);
  if (print == NULL || g_strcmp0 (ph_json_string (print, "command"), "push_status") != 0)
    return TRUE;
  /* After a reconnect only the pushall's answer replaces what was merged:
   * a P1's delta may come first, and taken as the whole state it would
   * lack the job's name and look like a new job. */
  if (state->fresh && looks_whole (print))
    {
      json_object_put (state->print);
      state->print = json_object_new_object ();
      state->fresh = FALSE;
    }
  merge (state->print, print);

  /* hms: what is new since the last report that listed them. */
  hms = hms_codes (state, fatal);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < hms->len; i++)
    {
      const char *code = g_ptr_array_index (hms, i);

      g_hash_table_add (seen, g_strdup (code));
      if (g_hash_table_contains (state->hms, code))
        continue;
      new_hms = TRUE;
      if (g_array_index (fatal, gboolean, i) && state->last_state != NULL)
        {
          json_object *payload = job_payload (state, hms);

          json_object_object_add (payload, "error", json_object_new_string (code));
          add_event (events, "Error", payload, -1);
        }
    }
  if (ph_json_member (state->print, "hms", json_type_array) != NULL)
    {
      g_hash_table_unref (state->hms);
      state->hms = g_steal_pointer (&seen);
    }

  now_state = gcode_state (state);
  if (now_state == NULL)
    return TRUE;
  transitions (state, state->last_state, now_state, now, hms, new_hms && state->last_state != NULL,
               events);
  progress (state, now_state, hms, events);
  g_free (state->last_state);
  state->last_state = g_strdup (now_state);
  return TRUE;
}

json_object *
ph_bambu_state_printer (ph_bambu_state *state, gint64 now)
{
  const char *gcode = gcode_state (state);
  const char *text = gcode == NULL ? "Offline"
                     : strcmp (gcode, "RUNNING") == 0 ? "Printing"
                     : strcmp (gcode, "PAUSE") == 0 ? "Paused"
                     : is_active (gcode) || strcmp (gcode, "SLICING") == 0
                             || strcmp (gcode, "INIT") == 0 ? "Starting"
                                                           : "Operational";
  json_object *printer = json_object_new_object ();
  json_object *st = json_object_new_object ();
  json_object *flags = json_object_new_object ();
  json_object *job = json_object_new_object ();
  json_object *file = json_object_new_object ();
  json_object *prog = json_object_new_object ();
  json_object *temperature = json_object_new_object ();
  double percent = number_of (state->print, "mc_percent", -1);
  double left = number_of (state->print, "mc_remaining_time", -1);
  /* A finished or failed job stays the printer's job until the next, as
   * OctoPrint's does: PrintDone names its file. */
  gboolean has_job = state->job_active || g_strcmp0 (gcode, "FINISH") == 0
                     || g_strcmp0 (gcode, "FAILED") == 0;
  gint64 time = has_job ? print_time (state, now) : -1;

  json_object_object_add (flags, "operational", json_object_new_boolean (gcode != NULL));
  json_object_object_add (flags, "printing", json_object_new_boolean (g_strcmp0 (gcode, "RUNNING") == 0));
  json_object_object_add (flags, "paused", json_object_new_boolean (g_strcmp0 (gcode, "PAUSE") == 0));
  json_object_object_add (flags, "ready", json_object_new_boolean (gcode != NULL && !is_active (gcode)));
  json_object_object_add (flags, "error", json_object_new_boolean (FALSE));
  json_object_object_add (st, "text", json_object_new_string (text));
  json_object_object_add (st, "flags", flags);
  json_object_object_add (printer, "state", st);
  if (has_job)
    {
      g_autofree char *name = job_name (state);
      const char *path = ph_json_string (state->print, "gcode_file");

      json_object_object_add (file, "name", json_object_new_string (name));
      json_object_object_add (file, "path", json_object_new_string (path != NULL && *path != '\0'
                                                                        ? path : name));
      json_object_object_add (file, "origin", json_object_new_string ("local"));
    }
  json_object_object_add (job, "file", file);
  json_object_object_add (printer, "job", job);
  json_object_object_add (prog, "completion", has_job && percent >= 0
                                                  ? json_object_new_double (percent) : NULL);
  json_object_object_add (prog, "printTime", time >= 0 ? json_object_new_int64 (time) : NULL);
  json_object_object_add (prog, "printTimeLeft", has_job && left >= 0
                                                     ? json_object_new_int64 ((gint64) left * 60)
                                                     : NULL);
  json_object_object_add (printer, "progress", prog);
  {
    json_object *t = temperatures (state);
    json_object *value = NULL;
    json_object *tool0 = json_object_new_object ();
    json_object *bed = json_object_new_object ();
    json_object *chamber = json_object_new_object ();

    json_object_object_add (tool0, "actual", json_object_object_get_ex (t, "nozzle", &value)
                                                 ? json_object_get (value) : NULL);
    json_object_object_add (tool0, "target", json_object_object_get_ex (t, "nozzle_target", &value)
                                                 ? json_object_get (value) : NULL);
    json_object_object_add (bed, "actual", json_object_object_get_ex (t, "bed", &value)
                                               ? json_object_get (value) : NULL);
    json_object_object_add (bed, "target", json_object_object_get_ex (t, "bed_target", &value)
                                               ? json_object_get (value) : NULL);
    json_object_object_add (chamber, "actual", json_object_object_get_ex (t, "chamber", &value)
                                                   ? json_object_get (value) : NULL);
    json_object_object_add (temperature, "tool0", tool0);
    json_object_object_add (temperature, "bed", bed);
    json_object_object_add (temperature, "chamber", chamber);
    json_object_put (t);
  }
  json_object_object_add (printer, "temperature", temperature);
  return printer;
}
