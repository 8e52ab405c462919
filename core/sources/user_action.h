/* UserActionNeeded from what a printer says on its serial line (DESIGN.md
 * §7): Marlin/Prusa's "echo:busy: paused for user", repeated every 2 s while
 * the firmware waits, and the host action commands "//action:prompt_begin"
 * and "//action:paused".  One pause gives one event, however many lines it
 * repeats. */
#ifndef PH_USER_ACTION_H
#define PH_USER_ACTION_H

#include <glib.h>
#include <json-c/json.h>

/* The busy lines must have stopped for this long before another one counts
 * as a new pause (the firmware repeats them every 2 s). */
#define PH_USER_ACTION_QUIET_US (6 * G_USEC_PER_SEC)

typedef struct {
  gboolean armed;          /* the next trigger fires */
  gint64 last_seen;        /* monotonic us of the last trigger or busy line, 0: never */
  gint64 filepos;          /* file position when it fired; -1: unknown */
} ph_user_action;

void ph_user_action_init (ph_user_action *ua);

/* What fired: the reason ("busy", "prompt" or "paused") and, for a prompt,
 * its text (transfer full, may be NULL). */
typedef struct {
  const char *reason;
  char *text;
} ph_user_action_trigger;

/* The UserActionNeeded payload of what fired: {"reason"}, with "text"
 * when it has one.  Transfer full. */
json_object *ph_user_action_payload (const ph_user_action_trigger *trigger);

/* Feeds one terminal log line ("Recv: echo:busy: paused for user") seen at
 * now (monotonic us) while the job's file position is filepos (-1 when not
 * known).  TRUE when it starts a new pause: *trigger is filled then
 * (free its text). */
gboolean ph_user_action_feed_line (ph_user_action *ua, const char *line, gint64 filepos,
                                   gint64 now, ph_user_action_trigger *trigger);

/* Feeds a pause that the job's G-code asked for (command: "M600", copied)
 * seen at now: TRUE when it starts a new pause, with reason "paused" and
 * the command as text in *trigger (free its text). */
gboolean ph_user_action_feed_pause (ph_user_action *ua, const char *command, gint64 now,
                                    ph_user_action_trigger *trigger);

/* Feeds the printer's state: a file position past the one the pause began
 * at means the printer went on, so the next pause counts again. */
void ph_user_action_feed_position (ph_user_action *ua, gint64 filepos);

/* The printer left the pause by itself (a prompt was closed, the job
 * resumed): the next trigger counts. */
void ph_user_action_rearm (ph_user_action *ua);

#endif
