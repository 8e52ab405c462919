/* Between a delivery and its spool entry: what the deliverer writes down
 * before the first attempt, and how it builds the delivery again for a
 * retry or after a restart (same webhook-id, same event, same snapshot;
 * parameters, url, headers and body rendered afresh from the hook's
 * current config). */
#ifndef PH_SPOOL_DELIVERY_H
#define PH_SPOOL_DELIVERY_H

#include "delivery.h"
#include "spool/spool.h"

/* The entry of d (transfer none), created and due at now: its id, hook
 * name, event (name, source, payload and printer as JSON text, time), its
 * @percentCompleteMilestone, and its attachments (bytes referenced).
 * Transfer full. */
ph_spool_entry *ph_spool_entry_from_delivery (const printhook_delivery *d, gint64 now);

/* d's attachments as the spool keeps them (bytes referenced), for
 * ph_spool_set_attachments once a prepare stage has captured them.
 * Transfer full. */
GPtrArray *ph_spool_attachments_from_delivery (const printhook_delivery *d);

/* The delivery of entry (transfer none, complete as ph_spool_get gives it)
 * for hook (transfer none; the current config's hook named entry->hook;
 * must outlive the delivery): the event rebuilt with its stored time, the
 * parameters built again, the entry's id and attachments.  Transfer full,
 * or NULL with a PRINTHOOK_ERROR_PERMANENT error when the stored event is
 * not valid JSON (a file edited by hand): a dead letter. */
printhook_delivery *ph_spool_entry_to_delivery (const ph_spool_entry *entry, const ph_hook *hook,
                                                GError **error);

#endif
