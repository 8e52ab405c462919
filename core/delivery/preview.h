/* A delivery built for showing, not sending: what "printhook render" prints
 * and the web console shows (a hook's render, a delivery's request). */
#ifndef PH_PREVIEW_H
#define PH_PREVIEW_H

#include "delivery.h"
#include "config/redact.h"

/* Renders d's url, headers and data, and runs its encode stage: encode
 * modules only turn data into bytes, so running them is safe.  Prepare
 * modules may talk to the network (OAuth, a webcam) and are left out:
 * their parameters and attachments are missing.  FALSE with error (a
 * module failed, or encodes asynchronously) when the body cannot be
 * shown; url and headers are rendered all the same. */
gboolean ph_delivery_preview (printhook_delivery *d, GError **error);

/* d's body as text to show, secrets masked by redactor (NULL: not
 * masked): JSON pretty-printed, other text as it is, binary data as
 * "<N bytes of binary data>", no body as NULL.  Transfer full. */
char *ph_delivery_body_text (printhook_delivery *d, const ph_redactor *redactor);

/* A header's value to show: credential headers as ****, others masked
 * by redactor (NULL: as they are).  Transfer full. */
char *ph_delivery_header_text (const ph_header *header, const ph_redactor *redactor);

#endif
