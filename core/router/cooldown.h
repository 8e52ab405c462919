/* Cooldown: a hook does not send the same event again from the same source
 * until its cooldown seconds have passed (DESIGN.md §5). */
#ifndef PH_COOLDOWN_H
#define PH_COOLDOWN_H

#include <glib.h>

typedef struct ph_cooldown ph_cooldown;

/* Transfer full. */
ph_cooldown *ph_cooldown_new (void);
void ph_cooldown_free (ph_cooldown *cooldown);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_cooldown, ph_cooldown_free)

/* Whether hook may send event (names compare case-insensitively) from
 * source now (monotonic microseconds: real elapsed time, immune to clock
 * changes).  When it may, now is remembered as its last send.  When not,
 * *ago_s receives the seconds since the last send (may be NULL). */
gboolean ph_cooldown_admit (ph_cooldown *cooldown, const char *source, const char *hook,
                            const char *event, double seconds, gint64 now, double *ago_s);

#endif
