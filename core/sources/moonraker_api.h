/* What Moonraker's answers mean in OctoPrint's shapes, so that the same
 * templates serve both (DESIGN.md §5, §7; wire formats: shared/reference/
 * printer-apis.md §5).  Pure functions over parsed JSON. */
#ifndef PH_MOONRAKER_API_H
#define PH_MOONRAKER_API_H

#include <glib.h>
#include <json-c/json.h>

/* state, job, progress, currentZ and offsets as OctoPrint's current
 * message has them (printer-apis.md §1.5), from Klipper's printer objects
 * (status: print_stats, virtual_sdcard, display_status, toolhead, webhooks
 * as merged so far) and Klippy's state ("ready", "shutdown", ...; NULL:
 * unknown).  All transfer none.  Transfer full. */
json_object *ph_moonraker_printer (json_object *status, const char *klippy_state);

/* Adds to such a printer (transfer none, changed in place) what the job
 * file's metadata (server.files.metadata's result, transfer none) tells:
 * the file's size and date, job.estimatedPrintTime, job.filament, and the
 * time left from the slicer's estimate. */
void ph_moonraker_add_metadata (json_object *printer, json_object *metadata);

/* The job's completion in percent (0 to 100, two decimals): from
 * virtual_sdcard.progress, or display_status.progress when there is no
 * virtual_sdcard; a negative number when neither is known. */
double ph_moonraker_completion (json_object *status);

/* The print-job part of an event payload as OctoPrint has it (printer-apis.md
 * §2): name (the basename), path (below the gcodes root), origin "local",
 * size (-1: unknown, left out).  Transfer full. */
json_object *ph_moonraker_job_payload (const char *filename, gint64 size);

/* @meta in the old plugin's shape from server.files.metadata: analysis
 * (estimatedPrintTime, filament.tool0.length, dimensions.height) as far as
 * the slicer told, plus every key of the metadata itself.  metadata:
 * transfer none.  Transfer full. */
json_object *ph_moonraker_meta (json_object *metadata);

/* The snapshot URL of server.webcams.list's result: the first enabled
 * webcam with one, resolved against base_url when relative.  NULL when
 * there is none.  Transfer full. */
char *ph_moonraker_webcam_url (json_object *result, const char *base_url);

/* The command word of the last G-code line in tail (the bytes of a file
 * just before a position; whole_file: tail starts at the file's start),
 * upper case, without its comment: "M600" for "M600 ; change\n".  NULL when
 * tail holds no whole line.  Transfer full. */
char *ph_moonraker_last_command (const char *tail, gsize size, gboolean whole_file);

/* Whether a pause after command (NULL: not known) is one the G-code file
 * asked for, which a person must attend to: a filament change (M600), a
 * slicer's pause (M601, PAUSE) or an unconditional stop (M0, M1). */
gboolean ph_moonraker_pause_needs_user (const char *command);

#endif
