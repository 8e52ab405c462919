/* What a Klipper printer's objects mean: the merged printer objects,
 * print_stats.state transitions as events (printer-apis.md §5.6; the job's
 * own part is moonraker_job.c), the completion as milestones, Klippy's
 * shutdown as an Error, and prompts and pauses the G-code asked for as
 * UserActionNeeded.  Events go to the router in the order they happened. */
#include "autoconfig.h"
#include "moonraker_private.h"

#include <string.h>

#include "moonraker_api.h"

/* The bytes before the file position that hold the last G-code line run. */
#define TAIL_BYTES 256

ph_event *
ph_moonraker_make_event (ph_moonraker *mr, const char *name, json_object *payload)
{
  json_object *printer = ph_moonraker_printer (mr->status, mr->klippy_state);
  ph_event *event = ph_event_new (name, mr->config.name, payload, printer);

  if (mr->webcam_url != NULL)
    ph_event_shared_set (event, PH_EVENT_SHARED_WEBCAM_URL, g_strdup (mr->webcam_url), g_free);
  return event;
}

/* What became known while an event waited: the job file's metadata and
 * @meta, and Klippy's shutdown message. */
static void
complete_event (gpointer data, ph_event *event)
{
  ph_moonraker *mr = data;
  json_object *file = ph_json_member (ph_json_member (event->printer, "job", json_type_object),
                                      "file", json_type_object);
  const char *message;

  if (mr->metadata != NULL && g_strcmp0 (ph_json_string (file, "path"), mr->meta_file) == 0)
    {
      ph_moonraker_add_metadata (event->printer, mr->metadata);
      if (!json_object_object_get_ex (event->printer, "meta", NULL))
        json_object_object_add (event->printer, "meta", ph_json_copy (mr->meta));
    }
  message = ph_json_string (ph_json_member (mr->status, "webhooks", json_type_object), "state_message");
  if (strcmp (event->name, "Error") == 0 && !json_object_object_get_ex (event->payload, "error", NULL)
      && message != NULL)
    {
      json_object *state = ph_json_member (event->printer, "state", json_type_object);

      json_object_object_add (event->payload, "error", json_object_new_string (message));
      if (state != NULL)
        json_object_object_add (state, "error", json_object_new_string (message));
    }
}

void
ph_moonraker_emit (ph_moonraker *mr, const char *name, json_object *payload)
{
  ph_event_queue_event (mr->queue, ph_moonraker_make_event (mr, name, payload));
}

/* ---- pauses that need the user ---- */

static void
user_action (ph_moonraker *mr, const ph_user_action_trigger *trigger)
{
  g_info ("source %s: the printer waits for the user (%s)", mr->config.name, trigger->reason);
  ph_moonraker_emit (mr, "UserActionNeeded", ph_user_action_payload (trigger));
}

static void
on_tail (ph_moonraker *mr, const ph_http_response *response, gpointer data)
{
  gint64 start = GPOINTER_TO_SIZE (data);
  long status = ph_http_response_get_status (response);
  GBytes *body = ph_http_response_get_body (response);
  g_autofree char *command = NULL;
  ph_user_action_trigger trigger = { 0 };
  gsize size;
  const char *bytes;

  if (ph_http_response_get_error (response) != NULL || status != 206 || body == NULL)
    {
      g_debug ("source %s: cannot read the G-code before the pause (HTTP %ld)", mr->config.name,
               status);
      return;
    }
  bytes = g_bytes_get_data (body, &size);
  command = ph_moonraker_last_command (bytes, size, start == 0);
  if (!ph_moonraker_pause_needs_user (command)
      || g_strcmp0 (ph_json_string (ph_moonraker_stats (mr), "state"), "paused") != 0)
    return;
  if (ph_user_action_feed_pause (&mr->user_action, command, g_get_monotonic_time (), &trigger))
    {
      user_action (mr, &trigger);
      g_free (trigger.text);
    }
}

/* Whether the G-code file itself paused (an M600 filament change, a
 * slicer's pause): Klipper leaves virtual_sdcard.file_position just past
 * the line that paused, so its last line is read back with a Range
 * request. */
static void
check_pause_reason (ph_moonraker *mr)
{
  json_object *sdcard = ph_json_member (mr->status, "virtual_sdcard", json_type_object);
  double position = ph_json_number (sdcard, "file_position", -1);
  gint64 start;
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *range = NULL;

  if (position <= 0 || mr->job_file == NULL)
    return;
  start = MAX ((gint64) position - TAIL_BYTES, 0);
  escaped = g_uri_escape_string (mr->job_file, "/", FALSE);
  path = g_strconcat ("/server/files/gcodes/", escaped, NULL);
  range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, start,
                           (gint64) position - 1);
  ph_moonraker_fetch (mr, path, range, on_tail, GSIZE_TO_POINTER ((gsize) start), NULL);
}

void
ph_moonraker_on_gcode_response (ph_moonraker *mr, const char *line)
{
  ph_user_action_trigger trigger = { 0 };
  g_autofree char *command = NULL;

  /* Klipper writes "// action:prompt_begin ..." (printer-apis.md §5.8);
   * the latch knows Marlin's "//action:". */
  if (g_str_has_prefix (line, "// action:"))
    command = g_strconcat ("//", line + 3, NULL);
  if (command != NULL
      && ph_user_action_feed_line (&mr->user_action, command, -1, g_get_monotonic_time (), &trigger))
    {
      user_action (mr, &trigger);
      g_free (trigger.text);
    }
}

/* ---- print_stats.state ---- */

static void
report_progress (ph_moonraker *mr)
{
  double completion = ph_moonraker_completion (mr->status);
  int percent;

  if (completion < 0)
    return;
  mr->job_completion = completion;
  percent = (int) completion;   /* never negative: rounds down */
  if (percent == mr->last_percent)
    return;
  mr->last_percent = percent;
  ph_event_queue_progress (mr->queue, ph_moonraker_make_event (mr, "PrintProgress", NULL),
                           completion);
}

/* The events between the state last handled and the one now
 * (printer-apis.md §5.6). */
void
ph_moonraker_apply_state (ph_moonraker *mr)
{
  const char *state = ph_json_string (ph_moonraker_stats (mr), "state");
  const char *filename = ph_json_string (ph_moonraker_stats (mr), "filename");
  const char *before = mr->last_state;
  gboolean active = g_strcmp0 (state, "printing") == 0 || g_strcmp0 (state, "paused") == 0;
  gboolean ours = mr->job_file != NULL && g_strcmp0 (filename, mr->job_file) == 0;

  if (state == NULL || mr->reconciling || g_strcmp0 (mr->klippy_state, "ready") != 0)
    return;
  if (ours)
    mr->job_time = ph_json_number (ph_moonraker_stats (mr), "print_duration", mr->job_time);
  if (mr->fresh && mr->job_file != NULL && !(active && ours))
    {
      /* It ended while the link or Klippy was away: the history says how. */
      mr->fresh = FALSE;
      ph_moonraker_reconcile (mr);
      return;
    }
  mr->fresh = FALSE;
  if (before == NULL)
    {
      /* The first look only says where things stand. */
      if (active && filename != NULL && *filename != '\0')
        ph_moonraker_begin_job (mr, filename, FALSE);
    }
  else if (active && !ours)
    {
      if (mr->job_file != NULL)
        {
          ph_moonraker_reconcile (mr);
          return;
        }
      if (filename != NULL && *filename != '\0')
        {
          ph_moonraker_begin_job (mr, filename, TRUE);
          if (g_strcmp0 (state, "paused") == 0)
            ph_moonraker_emit (mr, "PrintPaused", ph_moonraker_job_event (mr, FALSE));
        }
    }
  else if (active && g_strcmp0 (state, before) != 0 && ours)
    {
      if (g_strcmp0 (state, "paused") == 0)
        {
          json_object *payload = ph_moonraker_job_event (mr, FALSE);

          if (mr->job_completion >= 0)
            json_object_object_add (payload, "progress",
                                    json_object_new_int ((int) mr->job_completion));
          ph_moonraker_emit (mr, "PrintPaused", payload);
          check_pause_reason (mr);
        }
      else if (g_strcmp0 (state, "printing") == 0)
        {
          ph_user_action_rearm (&mr->user_action);
          ph_moonraker_emit (mr, "PrintResumed", ph_moonraker_job_event (mr, FALSE));
        }
    }
  else if (!active && mr->job_file != NULL)
    {
      if (g_strcmp0 (state, "complete") == 0 && ours)
        ph_moonraker_job_done (mr);
      else if (g_strcmp0 (state, "cancelled") == 0 && ours)
        ph_moonraker_job_cancelled (mr);
      else if (g_strcmp0 (state, "error") == 0 && ours)
        ph_moonraker_job_failed (mr, ph_json_string (ph_moonraker_stats (mr), "message"), TRUE);
      else
        {
          /* standby: reset, or ended some way the state no longer shows. */
          ph_moonraker_reconcile (mr);
          return;
        }
    }
  if (g_strcmp0 (state, "printing") == 0 && mr->job_file != NULL)
    report_progress (mr);
  ph_moonraker_set_last_state (mr, state);
}

/* Merges changes (transfer none) into into: objects member by member,
 * everything else replaced (printer-apis.md §5.5: only changed fields). */
static void
merge (json_object *into, json_object *changes)
{
  json_object_object_foreach (changes, key, value)
    {
      json_object *old = ph_json_member (into, key, json_type_object);

      if (old != NULL && json_object_is_type (value, json_type_object))
        merge (old, value);
      else
        json_object_object_add (into, key, ph_json_copy (value));
    }
}

void
ph_moonraker_on_status (ph_moonraker *mr, json_object *changes)
{
  const char *message;

  if (mr->status == NULL)
    return;
  merge (mr->status, changes);
  /* The shutdown message comes after notify_klippy_shutdown. */
  message = ph_json_string (ph_json_member (changes, "webhooks", json_type_object), "state_message");
  if (message != NULL && g_strcmp0 (mr->klippy_state, "shutdown") == 0)
    ph_event_queue_release (mr->queue);
  ph_moonraker_apply_state (mr);
}

void
ph_moonraker_on_subscribed (ph_moonraker *mr, json_object *status)
{
  const char *state = ph_json_string (ph_json_member (status, "print_stats", json_type_object), "state");

  json_object_put (mr->status);
  mr->status = ph_json_copy (status);
  mr->fresh = TRUE;
  g_debug ("source %s: subscribed; print_stats.state %s", mr->config.name,
           state != NULL ? state : "unknown");
  ph_moonraker_apply_state (mr);
}

/* Klippy shut down (an MCU error, an emergency stop): an Error, whose
 * message comes with the webhooks object right after. */
void
ph_moonraker_on_shutdown (ph_moonraker *mr)
{
  json_object *payload = json_object_new_object ();

  g_warning ("source %s: Klippy shut down", mr->config.name);
  json_object_object_add (payload, "reason", json_object_new_string ("shutdown"));
  ph_event_queue_hold (mr->queue, MOONRAKER_WAIT_MS, "Klippy's shutdown message");
  ph_moonraker_emit (mr, "Error", payload);
}

void
ph_moonraker_printer_init (ph_moonraker *mr)
{
  mr->last_percent = -1;
  mr->job_size = -1;
  mr->job_completion = -1;
  ph_user_action_init (&mr->user_action);
  mr->queue = ph_event_queue_new (mr->router, mr->config.name, complete_event, mr);
}

void
ph_moonraker_printer_clear (ph_moonraker *mr)
{
  ph_event_queue_free (mr->queue);
  json_object_put (mr->status);
  json_object_put (mr->metadata);
  json_object_put (mr->meta);
  g_free (mr->webcam_url);
  g_free (mr->meta_file);
  g_free (mr->last_state);
  g_free (mr->job_file);
  g_free (mr->job_id);
}
