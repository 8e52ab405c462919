/* What OctoPrint's REST answers mean to printhook (shared/reference/
 * printer-apis.md §1.4, §3): pure functions over parsed JSON. */
#ifndef PH_OCTOPRINT_API_H
#define PH_OCTOPRINT_API_H

#include <glib.h>
#include <json-c/json.h>

/* The "name:session" of a passive login answer (transfer none), or NULL
 * when it holds no user: OctoPrint answers 200 with an anonymous record to
 * a key it does not know.  Transfer full. */
char *ph_octoprint_login_auth (json_object *answer);

/* @meta from a /api/files/{origin}/{path} entry, in the old plugin's shape:
 * hash, analysis (REST's gcodeAnalysis), statistics, history (from
 * prints.last, the only print REST tells of), plus prints and any key a
 * plugin stored (thumbnail).  entry: transfer none.  Transfer full. */
json_object *ph_octoprint_meta_from_file (json_object *entry);

/* The webcam snapshot URL of /api/settings: the snapshot webcam's
 * compat.snapshot (1.9 and later), else webcam.snapshotUrl; relative URLs
 * are resolved against base_url.  NULL when there is none or the webcam
 * is disabled.  Transfer full. */
char *ph_octoprint_settings_webcam_url (json_object *settings, const char *base_url);

/* @appearance from /api/settings: {"name", "color"}, or NULL when
 * absent.  Transfer full. */
json_object *ph_octoprint_settings_appearance (json_object *settings);

/* The REST path of a file: /api/files/ORIGIN/PATH with each path segment
 * percent-encoded.  Transfer full. */
char *ph_octoprint_file_path (const char *origin, const char *path);

#endif
