/* The job a Klipper printer runs, from start to end: its metadata and
 * @meta, the payloads of its events in OctoPrint's shapes (printer-apis.md
 * §2), and how it ended when nobody saw it end, from Moonraker's job
 * history (§5.5). */
#include "autoconfig.h"
#include "moonraker_private.h"

#include <string.h>

#include "moonraker_api.h"

/* How many jobs of the history to look through for the one that ended. */
#define HISTORY_LIMIT 10

/* ---- the job's metadata ---- */

static void
on_metadata (json_object *result, const GError *error, gpointer data)
{
  ph_moonraker *mr = data;
  const char *filename = ph_json_string (result, "filename");

  if (error != NULL)
    g_info ("source %s: no @meta for %s: %s", mr->config.name, mr->meta_file, error->message);
  else if (json_object_is_type (result, json_type_object)
           && (filename == NULL || g_strcmp0 (filename, mr->meta_file) == 0))
    {
      json_object_put (mr->metadata);
      mr->metadata = ph_json_copy (result);
      json_object_put (mr->meta);
      mr->meta = ph_moonraker_meta (result);
    }
  if (mr->meta_held)
    {
      mr->meta_held = FALSE;
      ph_event_queue_release (mr->queue);
    }
}

void
ph_moonraker_fetch_metadata (ph_moonraker *mr, const char *filename, gboolean wait)
{
  json_object *params = json_object_new_object ();

  g_free (mr->meta_file);
  mr->meta_file = g_strdup (filename);
  g_clear_pointer (&mr->metadata, json_object_put);
  g_clear_pointer (&mr->meta, json_object_put);
  if (wait)
    {
      g_autofree char *what = g_strdup_printf ("@meta for %s", filename);

      ph_event_queue_hold (mr->queue, MOONRAKER_WAIT_MS, what);
      mr->meta_held = TRUE;
    }
  json_object_object_add (params, "filename", json_object_new_string (filename));
  ph_moonraker_call (mr, "server.files.metadata", params, on_metadata);
}

/* ---- the job ---- */

/* The payload of a print-job event as OctoPrint's (printer-apis.md §2):
 * name, path, origin, size, and time when with_time. */
json_object *
ph_moonraker_job_event (ph_moonraker *mr, gboolean with_time)
{
  json_object *payload = ph_moonraker_job_payload (mr->job_file, mr->job_size);

  if (with_time)
    json_object_object_add (payload, "time", json_object_new_double (mr->job_time));
  return payload;
}

void
ph_moonraker_begin_job (ph_moonraker *mr, const char *filename, gboolean announce)
{
  json_object *sdcard = ph_json_member (mr->status, "virtual_sdcard", json_type_object);
  double size = ph_json_number (sdcard, "file_size", -1);

  g_free (mr->job_file);
  mr->job_file = g_strdup (filename);
  g_clear_pointer (&mr->job_id, g_free);
  mr->job_size = size > 0 ? (gint64) size : -1;
  mr->job_time = ph_json_number (ph_moonraker_stats (mr), "print_duration", 0);
  mr->job_completion = -1;
  mr->last_percent = -1;
  ph_user_action_init (&mr->user_action);
  if (!announce)
    {
      /* Joined mid-print: @meta anyway, milestones from here on. */
      if (g_strcmp0 (mr->meta_file, filename) != 0)
        ph_moonraker_fetch_metadata (mr, filename, FALSE);
      return;
    }
  ph_moonraker_fetch_metadata (mr, filename, TRUE);
  g_info ("source %s: print of %s started", mr->config.name, filename);
  ph_moonraker_emit (mr, "PrintStarted", ph_moonraker_job_event (mr, FALSE));
}

static void
end_job (ph_moonraker *mr, const char *how)
{
  g_info ("source %s: print of %s %s", mr->config.name, mr->job_file, how);
  g_clear_pointer (&mr->job_file, g_free);
  g_clear_pointer (&mr->job_id, g_free);
}

void
ph_moonraker_job_done (ph_moonraker *mr)
{
  ph_moonraker_emit (mr, "PrintDone", ph_moonraker_job_event (mr, TRUE));
  end_job (mr, "done");
}

/* As OctoPrint: PrintCancelled, then PrintFailed with reason cancelled
 * (printer-apis.md §2.1). */
void
ph_moonraker_job_cancelled (ph_moonraker *mr)
{
  json_object *payload = ph_moonraker_job_event (mr, TRUE);
  json_object *failed;

  if (mr->job_completion >= 0)
    json_object_object_add (payload, "progress", json_object_new_int ((int) mr->job_completion));
  failed = ph_json_copy (payload);
  json_object_object_add (failed, "reason", json_object_new_string ("cancelled"));
  ph_moonraker_emit (mr, "PrintCancelled", payload);
  ph_moonraker_emit (mr, "PrintFailed", failed);
  end_job (mr, "cancelled");
}

/* An Error (when error_too) with message, then PrintFailed with reason
 * error; OctoPrint fires them in this order too. */
void
ph_moonraker_job_failed (ph_moonraker *mr, const char *message, gboolean error_too)
{
  json_object *payload = ph_moonraker_job_event (mr, TRUE);

  json_object_object_add (payload, "reason", json_object_new_string ("error"));
  if (message != NULL)
    json_object_object_add (payload, "error", json_object_new_string (message));
  if (error_too)
    {
      json_object *error = json_object_new_object ();

      json_object_object_add (error, "error", json_object_new_string (message != NULL ? message : ""));
      json_object_object_add (error, "reason", json_object_new_string ("print"));
      ph_moonraker_emit (mr, "Error", error);
    }
  ph_moonraker_emit (mr, "PrintFailed", payload);
  end_job (mr, "failed");
}

void
ph_moonraker_set_last_state (ph_moonraker *mr, const char *state)
{
  g_free (mr->last_state);
  mr->last_state = g_strdup (state);
}

/* A history job (notify_history_changed, server.history.list) that is our
 * job and has ended: its status says how (printer-apis.md §5.5). */
static void
finish_from_history (ph_moonraker *mr, json_object *job)
{
  const char *status = ph_json_string (job, "status");
  double duration = ph_json_number (job, "print_duration", -1);
  double size = ph_json_number (ph_json_member (job, "metadata", json_type_object), "size", -1);

  if (duration >= 0)
    mr->job_time = duration;
  if (mr->job_size < 0 && size >= 0)
    mr->job_size = (gint64) size;
  if (g_strcmp0 (status, "completed") == 0)
    {
      ph_moonraker_job_done (mr);
      ph_moonraker_set_last_state (mr, "complete");
    }
  else if (g_strcmp0 (status, "cancelled") == 0)
    {
      ph_moonraker_job_cancelled (mr);
      ph_moonraker_set_last_state (mr, "cancelled");
    }
  else
    {
      const char *message = NULL;

      if (g_strcmp0 (ph_json_string (ph_moonraker_stats (mr), "state"), "error") == 0)
        message = ph_json_string (ph_moonraker_stats (mr), "message");
      else if (g_strcmp0 (mr->klippy_state, "shutdown") == 0)
        message = ph_json_string (ph_json_member (mr->status, "webhooks", json_type_object),
                                  "state_message");

      /* error, klippy_shutdown, klippy_disconnect, server_exit,
       * interrupted: the job did not finish. */
      ph_moonraker_job_failed (mr, message != NULL ? message : status, g_strcmp0 (status, "error") == 0);
      ph_moonraker_set_last_state (mr, "error");
    }
}

/* Whether a history job is the one being watched. */
static gboolean
is_our_job (ph_moonraker *mr, json_object *job)
{
  const char *id = ph_json_string (job, "job_id");

  if (mr->job_file == NULL)
    return FALSE;
  if (mr->job_id != NULL && id != NULL)
    return strcmp (mr->job_id, id) == 0;
  return g_strcmp0 (ph_json_string (job, "filename"), mr->job_file) == 0;
}

/* No history to ask: what print_stats says now is all there is. */
static void
finish_from_state (ph_moonraker *mr)
{
  const char *state = ph_json_string (ph_moonraker_stats (mr), "state");
  gboolean same = g_strcmp0 (ph_json_string (ph_moonraker_stats (mr), "filename"), mr->job_file) == 0;

  if (same && g_strcmp0 (state, "complete") == 0)
    ph_moonraker_job_done (mr);
  else if (same && g_strcmp0 (state, "cancelled") == 0)
    ph_moonraker_job_cancelled (mr);
  else
    ph_moonraker_job_failed (mr, same && g_strcmp0 (state, "error") == 0
                    ? ph_json_string (ph_moonraker_stats (mr), "message") : "interrupted",
                same && g_strcmp0 (state, "error") == 0);
  ph_moonraker_set_last_state (mr, g_strcmp0 (state, "printing") == 0 || g_strcmp0 (state, "paused") == 0
                      ? "standby" : state);
}

static void
on_history_list (json_object *result, const GError *error, gpointer data)
{
  ph_moonraker *mr = data;
  json_object *jobs = ph_json_member (result, "jobs", json_type_array);
  json_object *found = NULL;

  mr->reconciling = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return;   /* asked again after the next subscription */
  for (size_t i = 0; jobs != NULL && i < json_object_array_length (jobs) && found == NULL; i++)
    if (is_our_job (mr, json_object_array_get_idx (jobs, i)))
      found = json_object_array_get_idx (jobs, i);
  if (found != NULL && g_strcmp0 (ph_json_string (found, "status"), "in_progress") != 0)
    finish_from_history (mr, found);
  else
    {
      g_info ("source %s: the history %s; going by the printer's state", mr->config.name,
              error != NULL ? error->message : "does not tell how the print ended");
      finish_from_state (mr);
    }
  ph_moonraker_apply_state (mr);
}

/* The job that was printing is not any more, and nobody saw it end: the
 * history says how it did; state changes wait until then. */
void
ph_moonraker_reconcile (ph_moonraker *mr)
{
  json_object *params = json_object_new_object ();

  mr->reconciling = TRUE;
  json_object_object_add (params, "limit", json_object_new_int (HISTORY_LIMIT));
  json_object_object_add (params, "order", json_object_new_string ("desc"));
  ph_moonraker_call (mr, "server.history.list", params, on_history_list);
}

void
ph_moonraker_on_history (ph_moonraker *mr, json_object *change)
{
  const char *action = ph_json_string (change, "action");
  json_object *job = ph_json_member (change, "job", json_type_object);

  if (job == NULL || mr->job_file == NULL)
    return;
  /* "added" tells the id of the job just started. */
  if (g_strcmp0 (action, "added") == 0
      && g_strcmp0 (ph_json_string (job, "filename"), mr->job_file) == 0 && mr->job_id == NULL)
    mr->job_id = g_strdup (ph_json_string (job, "job_id"));
  else if (g_strcmp0 (action, "finished") == 0 && is_our_job (mr, job) && !mr->reconciling)
    finish_from_history (mr, job);
}
