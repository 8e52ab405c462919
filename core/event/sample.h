/* The sample event of "printhook render" and "printhook test": the old
 * plugin's test payload and a printer in the middle of printing it. */
#ifndef PH_SAMPLE_H
#define PH_SAMPLE_H

#include <json-c/json.h>

/* The payload the old plugin sent with its test webhooks (example.gcode,
 * 242038 bytes, ...).  Transfer full. */
json_object *ph_sample_payload (void);

/* state, job, progress, currentZ, offsets and meta of a printer printing
 * example.gcode, in OctoPrint's shapes.  Transfer full. */
json_object *ph_sample_printer (void);

#endif
