/* What an OctoPrint printer's messages mean: the latest state for the
 * parameters, milestones from the job's completion, @meta when a job
 * starts, UserActionNeeded from the terminal log, and events handed to the
 * router in the order they happened. */
#include "autoconfig.h"
#include "octoprint_private.h"

#include <math.h>
#include <string.h>

#include "event/events.h"
#include "text/json_text.h"
#include "octoprint_api.h"

/* ---- the printer's state ---- */

static gboolean
flag (ph_octoprint *op, const char *name)
{
  json_object *flags = ph_json_member (ph_json_member (op->printer, "state", json_type_object), "flags",
                               json_type_object);
  json_object *value = ph_json_member (flags, name, json_type_boolean);

  return value != NULL && json_object_get_boolean (value);
}

static json_object *
deep_copy (json_object *value)
{
  json_object *out = NULL;

  json_object_deep_copy (value, &out, NULL);
  return out;
}

ph_event *
ph_octoprint_make_event (ph_octoprint *op, const char *name, json_object *payload)
{
  json_object *printer = deep_copy (op->printer);
  ph_event *event;

  if (op->meta != NULL)
    json_object_object_add (printer, "meta", deep_copy (op->meta));
  if (op->appearance != NULL)
    json_object_object_add (printer, "appearance", deep_copy (op->appearance));
  event = ph_event_new (name, op->config.name, payload, printer);
  if (op->webcam_url != NULL)
    ph_event_shared_set (event, PH_EVENT_SHARED_WEBCAM_URL, g_strdup (op->webcam_url), g_free);
  return event;
}

static void
on_meta (ph_octoprint *op, const ph_http_response *response)
{
  g_autofree char *why = NULL;
  g_autoptr (json_object) entry = ph_octoprint_answer (response, &why);

  if (entry == NULL)
    g_info ("source %s: no @meta for %s: %s", op->config.name, op->meta_job, why);
  else
    {
      json_object_put (op->meta);
      op->meta = ph_octoprint_meta_from_file (entry);
    }
  ph_event_queue_release (op->queue);
}

/* Fetches the metadata of a job's file; wait: PrintStarted holds the
 * events behind it until it is there (at most META_WAIT_MS). */
static void
fetch_meta (ph_octoprint *op, const char *origin, const char *path, gboolean wait)
{
  g_autofree char *rest_path = ph_octoprint_file_path (origin, path);

  g_free (op->meta_job);
  op->meta_job = g_strdup_printf ("%s/%s", origin, path);
  g_clear_pointer (&op->meta, json_object_put);
  ph_octoprint_rest (op, "GET", rest_path, NULL, META_WAIT_MS / 1000.0 + 3, on_meta);
  if (wait)
    {
      g_autofree char *what = g_strdup_printf ("@meta for %s", op->meta_job);

      ph_event_queue_hold (op->queue, META_WAIT_MS, what);
    }
}

/* "origin/path" of the job in the state, or NULL.  Transfer full. */
static char *
job_key (ph_octoprint *op)
{
  json_object *file = ph_json_member (ph_json_member (op->printer, "job", json_type_object), "file",
                              json_type_object);
  const char *origin = ph_json_string (file, "origin");
  const char *path = ph_json_string (file, "path");

  if (origin == NULL || path == NULL)
    return NULL;
  return g_strdup_printf ("%s/%s", origin, path);
}

static void
user_action (ph_octoprint *op, const ph_user_action_trigger *trigger)
{
  g_info ("source %s: the printer waits for the user (%s)", op->config.name, trigger->reason);
  ph_event_queue_event (op->queue, ph_octoprint_make_event (op, "UserActionNeeded",
                                                            ph_user_action_payload (trigger)));
}

static void
scan_logs (ph_octoprint *op, json_object *logs, gint64 filepos)
{
  gint64 now = g_get_monotonic_time ();

  for (size_t i = 0; logs != NULL && i < json_object_array_length (logs); i++)
    {
      json_object *line = json_object_array_get_idx (logs, i);
      ph_user_action_trigger trigger = { 0 };

      if (!json_object_is_type (line, json_type_string))
        continue;
      if (ph_user_action_feed_line (&op->user_action, json_object_get_string (line), filepos,
                                    now, &trigger))
        {
          user_action (op, &trigger);
          g_free (trigger.text);
        }
    }
}

/* current and history: the latest state for the parameters, progress for
 * the milestones; only current's logs are new (history's are backlog). */
void
ph_octoprint_on_state (ph_octoprint *op, json_object *state, gboolean is_history)
{
  static const char *const kept[] = { "state", "job", "progress", "currentZ", "offsets", NULL };
  g_autofree char *job = NULL;
  json_object *progress, *filepos;
  double completion;
  gint64 position = -1;

  if (!json_object_is_type (state, json_type_object))
    return;
  for (guint i = 0; kept[i] != NULL; i++)
    {
      json_object *value;

      if (json_object_object_get_ex (state, kept[i], &value))
        json_object_object_add (op->printer, kept[i], deep_copy (value));
    }
  progress = ph_json_member (op->printer, "progress", json_type_object);
  filepos = progress != NULL ? json_object_object_get (progress, "filepos") : NULL;
  if (filepos != NULL && json_object_is_type (filepos, json_type_int))
    position = json_object_get_int64 (filepos);

  job = job_key (op);
  if (flag (op, "printing") && job != NULL)
    {
      /* A job that began while we were away, or without a PrintStarted. */
      if (op->job != NULL && strcmp (op->job, job) != 0)
        {
          op->last_percent = -1;
          ph_event_queue_new_job (op->queue);
        }
      if (g_strcmp0 (op->meta_job, job) != 0)
        {
          json_object *file = ph_json_member (ph_json_member (op->printer, "job", json_type_object), "file",
                                      json_type_object);
          fetch_meta (op, ph_json_string (file, "origin"), ph_json_string (file, "path"), FALSE);
        }
      g_free (op->job);
      op->job = g_strdup (job);
      /* A percentage: anything outside 0..100 is no news of progress
       * (and 1e300 would not even convert to an int). */
      completion = ph_json_number (progress, "completion", -1);
      if (completion >= 0 && completion <= 100)
        {
          int percent = (int) floor (completion);

          if (percent != op->last_percent)
            {
              op->last_percent = percent;
              ph_event_queue_progress (op->queue, ph_octoprint_make_event (op, "PrintProgress", NULL),
                                       completion);
            }
        }
    }
  if (op->was_paused && !flag (op, "paused"))
    ph_user_action_rearm (&op->user_action);
  op->was_paused = flag (op, "paused");
  if (position >= 0)
    ph_user_action_feed_position (&op->user_action, position);
  if (!is_history)
    scan_logs (op, ph_json_member (state, "logs", json_type_array), position);
}

void
ph_octoprint_on_event (ph_octoprint *op, json_object *message)
{
  const char *type = ph_json_string (message, "type");
  json_object *payload = ph_json_member (message, "payload", json_type_object);
  ph_event *event;

  /* Hooks subscribe by event names as the configuration allows them,
   * and the activity's counts are keyed on them: a type OctoPrint (or a
   * plugin) named otherwise, "Print Done\n" say, is no event of ours. */
  if (!ph_event_name_is_valid (type))
    {
      g_autofree char *shown = g_strescape (type != NULL ? type : "(none)", NULL);

      g_debug ("source %s: ignoring an event named \"%s\"", op->config.name, shown);
      return;
    }
  payload = payload != NULL ? deep_copy (payload) : json_object_new_object ();
  if (strcmp (type, "PrintStarted") == 0)
    {
      const char *origin = ph_json_string (payload, "origin");
      const char *path = ph_json_string (payload, "path");

      op->last_percent = -1;
      event = ph_octoprint_make_event (op, type, payload);
      if (origin != NULL && path != NULL)
        {
          json_object *file = json_object_new_object ();
          json_object *job = ph_json_member (event->printer, "job", json_type_object);
          json_object *value;

          /* The current message that names the new file may come after
           * the event: the event's own payload says which file it is. */
          json_object_object_add (file, "name",
                                  json_object_new_string (ph_json_string (payload, "name")
                                                          ? ph_json_string (payload, "name") : path));
          json_object_object_add (file, "path", json_object_new_string (path));
          json_object_object_add (file, "display",
                                  json_object_new_string (ph_json_string (payload, "name")
                                                          ? ph_json_string (payload, "name") : path));
          json_object_object_add (file, "origin", json_object_new_string (origin));
          if (json_object_object_get_ex (payload, "size", &value))
            json_object_object_add (file, "size", deep_copy (value));
          if (job == NULL)
            {
              job = json_object_new_object ();
              json_object_object_add (event->printer, "job", job);
            }
          json_object_object_add (job, "file", file);
          json_object_object_del (event->printer, "meta");
          g_free (op->job);
          op->job = g_strdup_printf ("%s/%s", origin, path);
          fetch_meta (op, origin, path, TRUE);
        }
      ph_event_queue_event (op->queue, event);
      return;
    }
  if (strcmp (type, "PrintResumed") == 0)
    ph_user_action_rearm (&op->user_action);
  ph_event_queue_event (op->queue, ph_octoprint_make_event (op, type, payload));
}

/* The bundled action_command_prompt plugin shows a firmware's question
 * (printer-apis.md §2.3). */
void
ph_octoprint_on_plugin (ph_octoprint *op, json_object *message)
{
  json_object *data = ph_json_member (message, "data", json_type_object);
  const char *action = ph_json_string (data, "action");
  ph_user_action_trigger trigger = { 0 };

  if (g_strcmp0 (ph_json_string (message, "plugin"), "action_command_prompt") != 0 || action == NULL)
    return;
  if (strcmp (action, "close") == 0)
    ph_user_action_rearm (&op->user_action);
  else if (strcmp (action, "show") == 0)
    {
      g_autofree char *line = g_strdup_printf ("//action:prompt_begin %s",
                                               ph_json_string (data, "text") ? ph_json_string (data, "text") : "");
      gint64 filepos = -1;

      if (ph_user_action_feed_line (&op->user_action, line, filepos, g_get_monotonic_time (),
                                    &trigger))
        {
          user_action (op, &trigger);
          g_free (trigger.text);
        }
    }
}


/* What became known while an event waited: the file's @meta. */
static void
complete_event (gpointer data, ph_event *event)
{
  ph_octoprint *op = data;

  if (op->meta != NULL && !json_object_object_get_ex (event->printer, "meta", NULL))
    json_object_object_add (event->printer, "meta", deep_copy (op->meta));
}

void
ph_octoprint_printer_init (ph_octoprint *op)
{
  op->printer = json_object_new_object ();
  op->last_percent = -1;
  ph_user_action_init (&op->user_action);
  op->queue = ph_event_queue_new (op->router, op->config.name, complete_event, op);
}

void
ph_octoprint_printer_clear (ph_octoprint *op)
{
  ph_event_queue_free (op->queue);
  json_object_put (op->printer);
  json_object_put (op->appearance);
  json_object_put (op->meta);
  g_free (op->webcam_url);
  g_free (op->meta_job);
  g_free (op->job);
}
