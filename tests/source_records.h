/* What the tests of the printer sources (test-octoprint, test-moonraker,
 * test-same-hooks) read from the receiver: the webhooks a scripted print
 * turned into, field by field. */
#ifndef PH_TEST_SOURCE_RECORDS_H
#define PH_TEST_SOURCE_RECORDS_H

#include <glib.h>
#include <json-c/json.h>

#include "fake_server.h"
#include "harness.h"
#include "receiver.h"

/* The text of member name of the JSON body of record i (transfer none);
 * fails the test when there is none. */
const char *ph_records_field (json_object *records, guint i, const char *name);

/* The same member as compact JSON.  Transfer full. */
char *ph_records_field_json (json_object *records, guint i, const char *name);

#define assert_field_json(records, i, name, expected)                          \
  do                                                                           \
    {                                                                          \
      g_autofree char *text_ = ph_records_field_json ((records), (i), (name)); \
      ck_assert_str_eq (text_, (expected));                                    \
    }                                                                          \
  while (0)

/* "event:milestone" of every webhook whose "hook" member is hook (all when
 * NULL), in order, from the members "event" and "m".  Transfer full. */
char *ph_records_summary (json_object *records, const char *hook);

/* Waits for the fake's scenario to end and for n webhooks, then makes sure
 * no more come; fails the test otherwise.  Transfer full. */
json_object *ph_records_exactly (ph_fake_server *f, ph_receiver *r, guint n);

/* How many records of kind the fake has. */
guint ph_fake_server_count (ph_fake_server *f, const char *kind);

#endif
