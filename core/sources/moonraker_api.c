#include "autoconfig.h"
#include "moonraker_api.h"

#include <string.h>

#include "json_member.h"

/* A number as JSON, or null when below 0 (unknown). */
static json_object *
number_or_null (double value)
{
  return value >= 0 ? json_object_new_double (value) : NULL;
}

/* Rounded to whole seconds.  The values are never negative, so a cast
 * rounds down, and the core needs no libm. */
static gint64
whole (double value)
{
  return (gint64) (value + 0.5);
}

static double
two_decimals (double value)
{
  return (double) (gint64) (value * 100 + 0.5) / 100;
}

double
ph_moonraker_completion (json_object *status)
{
  json_object *source = ph_json_member (status, "virtual_sdcard", json_type_object);
  double progress;

  /* display_status.progress prefers M73 over the file position
   * (printer-apis.md §5.6): only a printer without virtual_sdcard uses it. */
  if (source == NULL)
    source = ph_json_member (status, "display_status", json_type_object);
  progress = ph_json_number (source, "progress", -1);
  if (progress < 0)
    return -1;
  return two_decimals (MIN (progress, 1.0) * 100);
}

/* OctoPrint's state text and flags (printer-apis.md §1.5) for Klippy's
 * state and print_stats.state. */
static json_object *
state_of (json_object *status, const char *klippy_state)
{
  json_object *stats = ph_json_member (status, "print_stats", json_type_object);
  const char *job = ph_json_string (stats, "state");
  gboolean ready = g_strcmp0 (klippy_state, "ready") == 0;
  gboolean klippy_error = g_strcmp0 (klippy_state, "shutdown") == 0
                          || g_strcmp0 (klippy_state, "error") == 0;
  gboolean printing = ready && g_strcmp0 (job, "printing") == 0;
  gboolean paused = ready && g_strcmp0 (job, "paused") == 0;
  gboolean job_error = ready && g_strcmp0 (job, "error") == 0;
  json_object *state = json_object_new_object ();
  json_object *flags = json_object_new_object ();
  const char *text, *error = "";

  if (klippy_error)
    {
      text = "Error";
      error = ph_json_string (ph_json_member (status, "webhooks", json_type_object), "state_message");
    }
  else if (!ready)
    text = "Offline";
  else if (printing)
    text = "Printing";
  else if (paused)
    text = "Paused";
  else if (job_error)
    {
      text = "Error";
      error = ph_json_string (stats, "message");
    }
  else
    text = "Operational";
  json_object_object_add (state, "text", json_object_new_string (text));
  json_object_object_add (flags, "operational", json_object_new_boolean (ready));
  json_object_object_add (flags, "printing", json_object_new_boolean (printing));
  json_object_object_add (flags, "cancelling", json_object_new_boolean (FALSE));
  json_object_object_add (flags, "pausing", json_object_new_boolean (FALSE));
  json_object_object_add (flags, "resuming", json_object_new_boolean (FALSE));
  json_object_object_add (flags, "finishing", json_object_new_boolean (FALSE));
  json_object_object_add (flags, "closedOrError", json_object_new_boolean (!ready || job_error));
  json_object_object_add (flags, "error", json_object_new_boolean (klippy_error || job_error));
  json_object_object_add (flags, "paused", json_object_new_boolean (paused));
  json_object_object_add (flags, "ready", json_object_new_boolean (ready && !printing && !paused));
  json_object_object_add (flags, "sdReady", json_object_new_boolean (ready));
  json_object_object_add (state, "flags", flags);
  json_object_object_add (state, "error", json_object_new_string (error != NULL ? error : ""));
  return state;
}

static json_object *
job_of (json_object *status)
{
  const char *filename = ph_json_string (ph_json_member (status, "print_stats", json_type_object),
                                         "filename");
  json_object *sdcard = ph_json_member (status, "virtual_sdcard", json_type_object);
  json_object *job = json_object_new_object ();
  json_object *file = json_object_new_object ();
  gboolean known = filename != NULL && *filename != '\0';
  double size = ph_json_number (sdcard, "file_size", -1);
  g_autofree char *name = known ? g_path_get_basename (filename) : NULL;

  json_object_object_add (file, "name", known ? json_object_new_string (name) : NULL);
  json_object_object_add (file, "path", known ? json_object_new_string (filename) : NULL);
  json_object_object_add (file, "display", known ? json_object_new_string (name) : NULL);
  json_object_object_add (file, "origin", known ? json_object_new_string ("local") : NULL);
  json_object_object_add (file, "size", known && size > 0 ? json_object_new_int64 ((gint64) size) : NULL);
  json_object_object_add (file, "date", NULL);
  json_object_object_add (job, "file", file);
  json_object_object_add (job, "estimatedPrintTime", NULL);
  json_object_object_add (job, "averagePrintTime", NULL);
  json_object_object_add (job, "lastPrintTime", NULL);
  json_object_object_add (job, "filament", NULL);
  json_object_object_add (job, "user", NULL);
  return job;
}

/* Without the slicer's estimate, the time left is a straight line from
 * the time so far (OctoPrint's "linear"). */
static json_object *
progress_of (json_object *status)
{
  json_object *stats = ph_json_member (status, "print_stats", json_type_object);
  json_object *sdcard = ph_json_member (status, "virtual_sdcard", json_type_object);
  const char *filename = ph_json_string (stats, "filename");
  gboolean known = filename != NULL && *filename != '\0';
  double completion = known ? ph_moonraker_completion (status) : -1;
  double printed = known ? ph_json_number (stats, "print_duration", -1) : -1;
  double position = ph_json_number (sdcard, "file_position", -1);
  json_object *progress = json_object_new_object ();
  gboolean linear = printed >= 0 && completion > 0;

  json_object_object_add (progress, "completion", number_or_null (completion));
  json_object_object_add (progress, "filepos", known && position >= 0
                                               ? json_object_new_int64 ((gint64) position) : NULL);
  json_object_object_add (progress, "printTime", printed >= 0
                                                 ? json_object_new_int64 (whole (printed)) : NULL);
  json_object_object_add (progress, "printTimeLeft",
                          linear ? json_object_new_int64 (whole (printed * 100 / completion - printed))
                                 : NULL);
  json_object_object_add (progress, "printTimeLeftOrigin",
                          linear ? json_object_new_string ("linear") : NULL);
  return progress;
}

void
ph_moonraker_add_metadata (json_object *printer, json_object *metadata)
{
  json_object *job = ph_json_member (printer, "job", json_type_object);
  json_object *file = ph_json_member (job, "file", json_type_object);
  json_object *progress = ph_json_member (printer, "progress", json_type_object);
  json_object *print_time = ph_json_member (progress, "printTime", json_type_int);
  double size = ph_json_number (metadata, "size", -1);
  double modified = ph_json_number (metadata, "modified", -1);
  double estimate = ph_json_number (metadata, "estimated_time", -1);
  double filament = ph_json_number (metadata, "filament_total", -1);

  if (file == NULL || ph_json_string (file, "path") == NULL)
    return;
  if (size >= 0 && ph_json_member (file, "size", json_type_int) == NULL)
    json_object_object_add (file, "size", json_object_new_int64 ((gint64) size));
  if (modified >= 0)
    json_object_object_add (file, "date", json_object_new_int64 ((gint64) modified));
  if (estimate >= 0)
    json_object_object_add (job, "estimatedPrintTime", json_object_new_double (estimate));
  if (filament >= 0)
    {
      json_object *filaments = json_object_new_object ();
      json_object *tool = json_object_new_object ();

      json_object_object_add (tool, "length", json_object_new_double (filament));
      json_object_object_add (tool, "volume", NULL);
      json_object_object_add (filaments, "tool0", tool);
      json_object_object_add (job, "filament", filaments);
    }
  /* The slicer's estimate beats the straight line ("estimate"). */
  if (estimate > 0 && print_time != NULL)
    {
      double left = MAX (estimate - json_object_get_double (print_time), 0);

      json_object_object_add (progress, "printTimeLeft", json_object_new_int64 (whole (left)));
      json_object_object_add (progress, "printTimeLeftOrigin", json_object_new_string ("estimate"));
    }
}

json_object *
ph_moonraker_printer (json_object *status, const char *klippy_state)
{
  json_object *printer = json_object_new_object ();
  json_object *position = ph_json_member (ph_json_member (status, "toolhead", json_type_object),
                                          "position", json_type_array);
  json_object *z = position != NULL ? json_object_array_get_idx (position, 2) : NULL;

  json_object_object_add (printer, "state", state_of (status, klippy_state));
  json_object_object_add (printer, "job", job_of (status));
  json_object_object_add (printer, "progress", progress_of (status));
  json_object_object_add (printer, "currentZ",
                          json_object_is_type (z, json_type_double) || json_object_is_type (z, json_type_int)
                          ? json_object_new_double (json_object_get_double (z)) : NULL);
  json_object_object_add (printer, "offsets", json_object_new_object ());
  return printer;
}

json_object *
ph_moonraker_job_payload (const char *filename, gint64 size)
{
  json_object *payload = json_object_new_object ();
  g_autofree char *name = g_path_get_basename (filename);

  json_object_object_add (payload, "name", json_object_new_string (name));
  json_object_object_add (payload, "path", json_object_new_string (filename));
  json_object_object_add (payload, "origin", json_object_new_string ("local"));
  if (size >= 0)
    json_object_object_add (payload, "size", json_object_new_int64 (size));
  return payload;
}

json_object *
ph_moonraker_meta (json_object *metadata)
{
  json_object *meta = json_object_new_object ();
  json_object *analysis = json_object_new_object ();
  double estimate = ph_json_number (metadata, "estimated_time", -1);
  double filament = ph_json_number (metadata, "filament_total", -1);
  double height = ph_json_number (metadata, "object_height", -1);

  if (estimate >= 0)
    json_object_object_add (analysis, "estimatedPrintTime", json_object_new_double (estimate));
  if (filament >= 0)
    {
      json_object *filaments = json_object_new_object ();
      json_object *tool = json_object_new_object ();

      json_object_object_add (tool, "length", json_object_new_double (filament));
      json_object_object_add (filaments, "tool0", tool);
      json_object_object_add (analysis, "filament", filaments);
    }
  if (height >= 0)
    {
      json_object *dimensions = json_object_new_object ();

      json_object_object_add (dimensions, "height", json_object_new_double (height));
      json_object_object_add (analysis, "dimensions", dimensions);
    }
  json_object_object_add (meta, "analysis", analysis);
  if (json_object_is_type (metadata, json_type_object))
    {
      json_object_object_foreach (metadata, key, value)
        if (strcmp (key, "analysis") != 0)
          json_object_object_add (meta, key, ph_json_copy (value));
    }
  return meta;
}

static gboolean
enabled (json_object *webcam)
{
  json_object *value = ph_json_member (webcam, "enabled", json_type_boolean);

  return value == NULL || json_object_get_boolean (value);
}

char *
ph_moonraker_webcam_url (json_object *result, const char *base_url)
{
  json_object *webcams = ph_json_member (result, "webcams", json_type_array);
  g_autofree char *base = g_strconcat (base_url, "/", NULL);

  for (size_t i = 0; webcams != NULL && i < json_object_array_length (webcams); i++)
    {
      json_object *webcam = json_object_array_get_idx (webcams, i);
      const char *url = ph_json_string (webcam, "snapshot_url");

      /* "/webcam/?action=snapshot" is relative to the web host
       * (printer-apis.md §5.7); the source's URL is the host we know. */
      if (enabled (webcam) && url != NULL && *url != '\0')
        return g_uri_resolve_relative (base, url, G_URI_FLAGS_NONE, NULL);
    }
  return NULL;
}

char *
ph_moonraker_last_command (const char *tail, gsize size, gboolean whole_file)
{
  gsize end = size, start;
  g_autofree char *line = NULL;
  char *comment, *word;

  while (end > 0 && g_ascii_isspace (tail[end - 1]))
    end--;
  start = end;
  while (start > 0 && tail[start - 1] != '\n')
    start--;
  if (end == 0 || (start == 0 && !whole_file))
    return NULL;
  line = g_strndup (tail + start, end - start);
  if ((comment = strchr (line, ';')) != NULL)
    *comment = '\0';
  word = g_strstrip (line);
  word[strcspn (word, " \t")] = '\0';
  if (*word == '\0')
    return NULL;
  return g_ascii_strup (word, -1);
}

gboolean
ph_moonraker_pause_needs_user (const char *command)
{
  static const char *const asking[] = { "M600", "M601", "PAUSE", "M0", "M1", NULL };

  return command != NULL && g_strv_contains (asking, command);
}
