#include "autoconfig.h"
#include "user_action.h"

#include <string.h>

#define BUSY "echo:busy: paused for user"
#define PROMPT_BEGIN "//action:prompt_begin"
#define PROMPT_END "//action:prompt_end"
#define PAUSED "//action:paused"
#define RESUMED "//action:resumed"

void
ph_user_action_init (ph_user_action *ua)
{
  ua->armed = TRUE;
  ua->last_seen = 0;
  ua->filepos = -1;
}

void
ph_user_action_rearm (ph_user_action *ua)
{
  ua->armed = TRUE;
}

void
ph_user_action_feed_position (ph_user_action *ua, gint64 filepos)
{
  if (!ua->armed && ua->filepos >= 0 && filepos > ua->filepos)
    ua->armed = TRUE;
}

static gboolean
fire (ph_user_action *ua, gint64 filepos, gint64 now, const char *reason, char *text,
      ph_user_action_trigger *trigger)
{
  /* Quiet long enough: whatever this is, it is a new pause. */
  if (!ua->armed && ua->last_seen != 0 && now - ua->last_seen > PH_USER_ACTION_QUIET_US)
    ua->armed = TRUE;
  ua->last_seen = now;
  if (!ua->armed)
    {
      g_free (text);
      return FALSE;
    }
  ua->armed = FALSE;
  ua->filepos = filepos;
  trigger->reason = reason;
  trigger->text = text;
  return TRUE;
}

gboolean
ph_user_action_feed_line (ph_user_action *ua, const char *line, gint64 filepos, gint64 now,
                          ph_user_action_trigger *trigger)
{
  const char *found;

  if (strstr (line, BUSY) != NULL)
    return fire (ua, filepos, now, "busy", NULL, trigger);
  if ((found = strstr (line, PROMPT_BEGIN)) != NULL)
    {
      g_autofree char *text = g_strdup (found + strlen (PROMPT_BEGIN));

      return fire (ua, filepos, now, "prompt", g_strdup (g_strstrip (text)), trigger);
    }
  if (strstr (line, PAUSED) != NULL)
    return fire (ua, filepos, now, "paused", NULL, trigger);
  if (strstr (line, PROMPT_END) != NULL || strstr (line, RESUMED) != NULL)
    ph_user_action_rearm (ua);
  return FALSE;
}

gboolean
ph_user_action_feed_pause (ph_user_action *ua, const char *command, gint64 now,
                           ph_user_action_trigger *trigger)
{
  return fire (ua, -1, now, "paused", g_strdup (command), trigger);
}

json_object *
ph_user_action_payload (const ph_user_action_trigger *trigger)
{
  json_object *payload = json_object_new_object ();

  json_object_object_add (payload, "reason", json_object_new_string (trigger->reason));
  if (trigger->text != NULL)
    json_object_object_add (payload, "text", json_object_new_string (trigger->text));
  return payload;
}
