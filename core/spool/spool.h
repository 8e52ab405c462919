/* The spool: every delivery written down before its first attempt, so that
 * neither a flaky receiver nor a restart loses a webhook (DESIGN.md §6).
 * One SQLite file in WAL mode, shared by the daemon and "printhook spool";
 * each function is one transaction (or, inside a batch, part of the
 * batch's), and another process's changes show through
 * ph_spool_changed_externally.
 *
 * Times are Unix microseconds (g_get_real_time) unless said otherwise.  A
 * delivery is pending (waiting for its next attempt, or being attempted) or
 * dead (a dead letter, kept until retried or dropped); a delivered one is
 * removed. */
#ifndef PH_SPOOL_H
#define PH_SPOOL_H

#include <glib.h>

/* The schema this code writes (PRAGMA user_version): 1 the deliveries, 2
 * their history, 3 the event ids seen (ph_spool_seen_*).  Older files are
 * migrated on open; newer ones are not touched. */
#define PH_SPOOL_SCHEMA_VERSION 3

/* spool.max_deliveries when the config does not say. */
#define PH_SPOOL_DEFAULT_MAX_DELIVERIES 10000

/* The event name whose deliveries go first when the spool is full. */
#define PH_SPOOL_PROGRESS_EVENT "PrintProgress"

#define PH_SPOOL_ERROR ph_spool_error_quark ()

typedef enum {
  PH_SPOOL_ERROR_OPEN,       /* no usable spool at that path (missing, unreadable, not one) */
  PH_SPOOL_ERROR_NEWER,      /* written by a newer printhook: a schema this one does not know */
  PH_SPOOL_ERROR_CORRUPT,    /* SQLite found the file damaged */
  PH_SPOOL_ERROR_NOT_FOUND,  /* no delivery with that id */
  PH_SPOOL_ERROR_EXISTS,     /* put: a delivery with that id is there already */
  PH_SPOOL_ERROR_BUSY,       /* retry: an attempt of that delivery is running */
  PH_SPOOL_ERROR_FAILED      /* any other SQLite failure (disk full, locked too long) */
} ph_spool_error;

GQuark ph_spool_error_quark (void);

typedef enum {
  PH_SPOOL_PENDING,
  PH_SPOOL_DEAD,
  PH_SPOOL_DELIVERED         /* only in the history (ph_spool_history_*) */
} ph_spool_state;

/* An attachment kept with a delivery (the snapshot taken at event time). */
typedef struct {
  char *field;
  char *filename;           /* may be NULL */
  char *content_type;       /* may be NULL */
  GBytes *bytes;            /* NULL in ph_spool_list results */
  gsize size;
} ph_spool_attachment;

/* Transfer full; strings copied, bytes referenced (NULL allowed). */
ph_spool_attachment *ph_spool_attachment_new (const char *field, const char *filename,
                                              const char *content_type, GBytes *bytes);
void ph_spool_attachment_free (ph_spool_attachment *attachment);

/* One delivery as the spool keeps it: everything needed to render its
 * request again under the hook's current config. */
typedef struct {
  char *id;                 /* the webhook-id, stable across attempts ("msg_...") */
  char *hook;               /* the hook's name */
  char *event;              /* the event's name ("PrintDone") */
  char *source;             /* the event's source name, may be NULL */
  char *payload;            /* the event payload, JSON text of an object; NULL in list results */
  char *printer;            /* the printer state, JSON text of an object; NULL in list results */
  gint64 event_time;        /* Unix seconds when the event happened (@currentTime) */
  int milestone;            /* the hook's PrintProgress milestone, 0 for other events */
  GPtrArray *attachments;   /* ph_spool_attachment *, in order; never NULL */
  gint64 created;
  gint64 window_start;      /* retry.max_age counts from here: created, or the last manual retry */
  guint attempts;           /* attempts started since window_start */
  gint64 next_attempt;      /* pending: when it is due (in the future while attempted) */
  gint64 last_attempt;      /* when the last attempt started; 0 before the first */
  gboolean in_progress;     /* an attempt started and its outcome is not recorded yet */
  ph_spool_state state;
  long last_status;         /* the receiver's last HTTP status, 0 when none */
  char *last_outcome;       /* what the last attempt came to; NULL before the first */
  char *dead_reason;        /* dead letters: why; else NULL */
  /* The history's delivered ones only: */
  gint64 finished;          /* when the receiver's answer came */
  double duration;          /* seconds the delivering attempt took */
  char *response;           /* the first lines of the answer, masked; may be NULL */
} ph_spool_entry;

/* An empty entry (attachments an empty array).  Transfer full. */
ph_spool_entry *ph_spool_entry_new (void);
void ph_spool_entry_free (ph_spool_entry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_spool_entry, ph_spool_entry_free)

typedef struct ph_spool ph_spool;

typedef enum {
  PH_SPOOL_OPEN_EXISTING = 0,      /* the file must exist and be a spool ("printhook spool") */
  PH_SPOOL_OPEN_CREATE = 1 << 0,   /* create the file (and its directory) when missing */
  PH_SPOOL_OPEN_RECOVER = 1 << 1   /* move a file that is no usable spool aside and start afresh */
} ph_spool_open_flags;

/* Opens the spool at path: WAL, a busy timeout, the schema created or
 * migrated, and a quick integrity check.  With PH_SPOOL_OPEN_RECOVER, a
 * file that is not a database, is damaged, cannot be opened, or has a
 * schema from a newer printhook is renamed to PATH.corrupt-<UTC time>
 * (with its -wal and -shm files) and a fresh spool is created: the daemon
 * never crash-loops on its spool, and the old file stays for inspection.
 * *recovered (may be NULL) then receives an error saying what was wrong
 * and where the file went, for the caller to log; it stays NULL otherwise.
 * Returns transfer full, or NULL with error. */
ph_spool *ph_spool_open (const char *path, ph_spool_open_flags flags, GError **recovered,
                         GError **error);
void ph_spool_close (ph_spool *spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_spool, ph_spool_close)

/* Transfer none. */
const char *ph_spool_path (const ph_spool *spool);

/* Group commit.  Every commit waits for the disk (synchronous = FULL: a
 * printer's Pi is often switched off at the wall), so the daemon gathers
 * the changes of one turn of its loop into one transaction: from
 * ph_spool_batch_begin (which takes the write lock; nothing happens when a
 * batch is open already) to ph_spool_batch_commit, every function's
 * changes join the batch, and none is durable, nor visible to another
 * process, before the commit.  A function that fails inside a batch undoes
 * its own changes only.  When the commit fails, or an earlier failure made
 * SQLite undo the transaction (a full disk), every change of the batch is
 * lost and ph_spool_batch_commit says so.  ph_spool_close commits a batch
 * left open. */
gboolean ph_spool_batch_begin (ph_spool *spool, GError **error);
gboolean ph_spool_batch_commit (ph_spool *spool, GError **error);
gboolean ph_spool_batch_open (const ph_spool *spool);

/* Records a new delivery, pending and due at entry->next_attempt, with
 * entry (transfer none)'s id, hook, event, source, payload, printer,
 * event_time, milestone, attachments and created (window_start = created,
 * no attempts; the other fields are ignored).  With entry->in_progress,
 * its first attempt is recorded as started at entry->last_attempt, as
 * ph_spool_begin_attempt would (attempts 1, not due before
 * entry->next_attempt, the end of the attempt's lease).  When the spool already
 * holds max_deliveries (0: no bound), the oldest PrintProgress deliveries
 * are dropped to make room, then the oldest others, never one being
 * attempted; each dropped delivery is added to *dropped (may be NULL;
 * created when needed; ph_spool_entry * as in ph_spool_list, transfer
 * full) for the caller to log. */
gboolean ph_spool_put (ph_spool *spool, const ph_spool_entry *entry, guint max_deliveries,
                       GPtrArray **dropped, GError **error);

/* The delivery with that id, with payload, printer and attachment bytes.
 * Transfer full, or NULL with PH_SPOOL_ERROR_NOT_FOUND or another error. */
ph_spool_entry *ph_spool_get (ph_spool *spool, const char *id, GError **error);

/* Pending deliveries due at now (next_attempt <= now), oldest first, at
 * most limit, complete as ph_spool_get gives them.  Transfer full (an
 * empty array when none), or NULL with error. */
GPtrArray *ph_spool_due (ph_spool *spool, gint64 now, guint limit, GError **error);

/* Every delivery, pending and dead, oldest first, without payload, printer
 * and attachment bytes (attachments keep their names and sizes).
 * Transfer full, or NULL with error. */
GPtrArray *ph_spool_list (ph_spool *spool, GError **error);

/* *pending and *dead (either may be NULL) receive the counts. */
gboolean ph_spool_count (ph_spool *spool, guint *pending, guint *dead, GError **error);

/* *pending receives the number of hook's (transfer none) pending
 * deliveries: a farm edge's events not acknowledged yet. */
gboolean ph_spool_count_pending_for_hook (ph_spool *spool, const char *hook, guint *pending,
                                          GError **error);

/* *when receives the earliest next_attempt of a pending delivery, or -1
 * when there is none. */
gboolean ph_spool_next_wakeup (ph_spool *spool, gint64 *when, GError **error);

/* The daemon's scheduler (core/spool/spool_due.c), per hook, so that one hook's
 * backlog never hides another hook's due deliveries. */

/* The names of the hooks with pending deliveries due at now, each once,
 * sorted.  Transfer full (NULL-terminated, empty when none), or NULL with
 * error. */
char **ph_spool_due_hooks (ph_spool *spool, gint64 now, GError **error);

/* ph_spool_due for the deliveries of hook (transfer none) only. */
GPtrArray *ph_spool_due_for_hook (ph_spool *spool, const char *hook, gint64 now, guint limit,
                                  GError **error);

/* *when receives the earliest next_attempt of a pending delivery that is
 * later than after, or -1 when there is none: what a timer waits for when
 * every delivery due already is being attempted or waits for a free
 * slot. */
gboolean ph_spool_next_wakeup_after (ph_spool *spool, gint64 after, gint64 *when,
                                     GError **error);

/* An attempt of id starts now: its attempt count goes up, and until
 * now + lease it is not due again (so ph_spool_due does not hand it out
 * twice, while a daemon that dies mid-attempt still leaves it pending).
 * PH_SPOOL_ERROR_NOT_FOUND when it was dropped meanwhile: do not send. */
gboolean ph_spool_begin_attempt (ph_spool *spool, const char *id, gint64 now, gint64 lease,
                                 GError **error);

/* Replaces the attachments of id with attachments (ph_spool_attachment *,
 * transfer none): what a prepare stage captured during the first attempt,
 * so that every retry sends the same snapshot. */
gboolean ph_spool_set_attachments (ph_spool *spool, const char *id,
                                   const GPtrArray *attachments, GError **error);

/* The attempt failed transiently: id stays pending, due at next_attempt,
 * with status (0: none) and outcome (transfer none, may be NULL) as its
 * last outcome. */
gboolean ph_spool_schedule_retry (ph_spool *spool, const char *id, long status,
                                  const char *outcome, gint64 next_attempt, GError **error);

/* id becomes a dead letter, with its last outcome (as above) and reason
 * (transfer none). */
gboolean ph_spool_mark_dead (ph_spool *spool, const char *id, long status, const char *outcome,
                             const char *reason, GError **error);

/* Deletes id and its attachments: it was delivered, or "printhook spool
 * drop" asked.  PH_SPOOL_ERROR_NOT_FOUND when there is no such delivery. */
gboolean ph_spool_remove (ph_spool *spool, const char *id, GError **error);

/* The history (core/spool/spool_history.c): the newest delivered
 * deliveries, for the web console.  ph_spool_complete replaces
 * ph_spool_remove for a delivery that was delivered: it moves id into the
 * history as delivered at finished, with the receiver's status, the first
 * lines of its answer (response: transfer none, may be NULL, masked by
 * the caller) and the attempt's duration, and keeps the newest keep rows
 * of the history (0: keeps none, removes id only).
 * PH_SPOOL_ERROR_NOT_FOUND when id is not in the spool. */
gboolean ph_spool_complete (ph_spool *spool, const char *id, long status, const char *response,
                            double duration, gint64 finished, guint keep, GError **error);

/* The history's entries, newest first, at most limit, those of hook only
 * unless it is NULL; without payload and printer.  Transfer full (an empty
 * array when none), or NULL with error. */
GPtrArray *ph_spool_history_list (ph_spool *spool, const char *hook, guint limit,
                                  GError **error);

/* The newest history entry with that id, with payload and printer.
 * Transfer full, or NULL with PH_SPOOL_ERROR_NOT_FOUND or another error. */
ph_spool_entry *ph_spool_history_get (ph_spool *spool, const char *id, GError **error);

/* Forgets id's history rows.  PH_SPOOL_ERROR_NOT_FOUND when there are none. */
gboolean ph_spool_history_remove (ph_spool *spool, const char *id, GError **error);

/* The farm's dedupe window (core/spool/spool_seen.c).  A central daemon
 * takes events that other daemons forward over MQTT at least once: the
 * broker sends again what it saw no acknowledgement for, and a member
 * publishes again what it is not sure went out.  So the central daemon
 * records the id of every event it committed, with a digest of its
 * content, in the transaction (the batch) that holds the deliveries the
 * event caused: either both are durable or neither is, so an id found
 * here has its deliveries in the spool (or delivered) already, even
 * across a crash, and is dropped; found with another digest, it is an id
 * reused for other content, and is refused.  ph_spool_seen_prune bounds
 * the window by age and count; an id forwarded again after it left the
 * window counts as new. */

/* Looks id up among the recorded event ids: *found TRUE with *digest (may
 * be NULL; transfer full, g_free) the digest it was recorded with, else
 * *found FALSE (and *digest NULL). */
gboolean ph_spool_seen_lookup (ph_spool *spool, const char *id, gboolean *found, char **digest,
                               GError **error);

/* Records id with digest at now (Unix µs); an id already recorded keeps
 * its first digest and time (INSERT OR IGNORE). */
gboolean ph_spool_seen_add (ph_spool *spool, const char *id, const char *digest, gint64 now,
                            GError **error);

/* Forgets the records older than before (Unix µs) and, beyond the newest
 * keep ones, the oldest (keep 0: no count bound); *removed (may be NULL)
 * receives how many. */
gboolean ph_spool_seen_prune (ph_spool *spool, gint64 before, guint keep, guint *removed,
                              GError **error);

/* *count receives the number of records. */
gboolean ph_spool_seen_count (ph_spool *spool, guint *count, GError **error);

/* "printhook spool retry ID": id (pending or dead) becomes pending, due at
 * now, with a fresh retry window (window_start = now, no attempts), so the
 * schedule and retry.max_age start over.  PH_SPOOL_ERROR_BUSY when an
 * attempt of it is running. */
gboolean ph_spool_retry (ph_spool *spool, const char *id, gint64 now, GError **error);

/* ph_spool_retry for every dead letter; *count (may be NULL) receives how
 * many. */
gboolean ph_spool_retry_dead (ph_spool *spool, gint64 now, guint *count, GError **error);

/* At daemon start: attempts that were running when the last daemon died
 * are over.  Those deliveries become due at now, so they are sent again
 * at once (at least once; same webhook-id).  *count (may be NULL)
 * receives how many. */
gboolean ph_spool_recover (ph_spool *spool, gint64 now, guint *count, GError **error);

/* TRUE when another connection (another process, such as "printhook
 * spool") committed a change since the previous call, or since the open;
 * also TRUE when it cannot tell.  Cheap enough for a timer. */
gboolean ph_spool_changed_externally (ph_spool *spool);

#endif
