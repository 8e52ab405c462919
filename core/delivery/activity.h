/* What the daemon did since it started, for the web console and its
 * metrics: events per source and name, and per hook its attempts'
 * outcomes, durations and the last one.  It also hands each event and
 * outcome, as it happens, to one listener (the console's live feed).
 * Everything here lives on the main loop's thread. */
#ifndef PH_ACTIVITY_H
#define PH_ACTIVITY_H

#include <glib.h>

typedef enum {
  PH_ACTIVITY_DELIVERED,
  PH_ACTIVITY_RETRYING,      /* failed; attempted again later */
  PH_ACTIVITY_DEAD           /* failed; kept as a dead letter */
} ph_activity_outcome;

/* The upper bounds (seconds) of the attempt duration histogram's
 * buckets; a last one, +Inf, counts every attempt. */
#define PH_ACTIVITY_BUCKETS 10
extern const double ph_activity_bucket_bounds[PH_ACTIVITY_BUCKETS];

/* One attempt's outcome.  Strings: transfer none. */
typedef struct {
  const char *id;
  const char *hook;
  const char *event;
  ph_activity_outcome outcome;
  long status;               /* the receiver's HTTP status, 0 when none */
  const char *error;         /* what went wrong, secrets masked; NULL when delivered */
  double seconds;
  gint64 time;               /* real time (microseconds) when it ended */
} ph_activity_attempt;

/* A hook's figures since the start.  Strings owned by the activity. */
typedef struct {
  guint64 outcomes[3];       /* by ph_activity_outcome */
  guint64 buckets[PH_ACTIVITY_BUCKETS]; /* attempts that took at most the bound (not cumulative) */
  guint64 attempts;
  double seconds;            /* summed over the attempts */
  gboolean has_last;
  ph_activity_outcome last_outcome;
  char *last_event;
  long last_status;
  char *last_error;          /* NULL when delivered */
  double last_seconds;
  gint64 last_time;          /* real time, microseconds */
  gint64 last_delivered;     /* real time of the last delivered one; 0 before */
} ph_hook_activity;

typedef void (*ph_activity_event_func) (const char *source, const char *event, gint64 time,
                                        gpointer user_data);
typedef void (*ph_activity_attempt_func) (const ph_activity_attempt *attempt,
                                          gpointer user_data);

typedef struct ph_activity ph_activity;

/* Transfer full. */
ph_activity *ph_activity_new (void);
void ph_activity_free (ph_activity *activity);

/* An event came from source (NULL: printhook emit without one). */
void ph_activity_event (ph_activity *activity, const char *source, const char *event);

/* An attempt ended. */
void ph_activity_attempt_done (ph_activity *activity, const ph_activity_attempt *attempt);

/* The one listener of both (NULL functions remove it). */
void ph_activity_listen (ph_activity *activity, ph_activity_event_func on_event,
                         ph_activity_attempt_func on_attempt, gpointer user_data);

/* The figures of hook, or NULL when nothing happened to it yet.
 * Transfer none; valid until the next attempt ends. */
const ph_hook_activity *ph_activity_hook (const ph_activity *activity, const char *hook);

/* Every hook name with figures (a sorted, NULL-terminated array of strings
 * the activity owns; free the array only, with g_free). */
const char **ph_activity_hooks (const ph_activity *activity);

/* Calls func for each (source, event) counted, sorted. */
void ph_activity_foreach_event (const ph_activity *activity,
                                void (*func) (const char *source, const char *event,
                                              guint64 count, gpointer user_data),
                                gpointer user_data);

/* "delivered", "retrying", "dead". */
const char *ph_activity_outcome_name (ph_activity_outcome outcome);

#endif
