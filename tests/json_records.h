/* The records the tests' helper scripts write (tests/servers/ scripts): one
 * JSON object a line in a file, each with a "kind". */
#ifndef PH_TEST_JSON_RECORDS_H
#define PH_TEST_JSON_RECORDS_H

#include <json-c/json.h>

/* Every complete line of path as a json-c array (transfer full); an empty
 * array while the file does not exist.  The last line is left out while
 * it is still being written.  A line that is not JSON fails the test,
 * naming who wrote it. */
json_object *ph_json_records_read (const char *path, const char *who);

/* The records of all (transfer none) whose "kind" is kind, with new
 * references (transfer full). */
json_object *ph_json_records_of (json_object *all, const char *kind);

#endif
