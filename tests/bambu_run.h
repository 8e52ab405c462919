/* A Bambu Lab printer for the daemon's tests: a real mosquitto playing
 * the printer's broker (PH_BROKER_BAMBU: TLS, a certificate whose CN is
 * the serial, user bblp with the access code), a subscriber recording
 * what the daemon asks the printer, a receiver for the webhooks, and the
 * daemon with [source p1] pointed at them.  Shared by test-bambu and
 * test-bambu-snapshot. */
#ifndef PH_TEST_BAMBU_RUN_H
#define PH_TEST_BAMBU_RUN_H

#include <json-c/json.h>

#include "daemon_process.h"
#include "mqtt_broker.h"
#include "mqtt_subscriber.h"
#include "receiver.h"

#define PH_BAMBU_REPORT_TOPIC "device/" PH_BAMBU_SERIAL "/report"
#define PH_BAMBU_REQUEST_TOPIC "device/" PH_BAMBU_SERIAL "/request"

typedef struct {
  ph_broker *broker;
  ph_mqtt_subscriber *requests;   /* what the daemon asked the printer */
  ph_receiver *receiver;
  char *dir;
  char *config;
  ph_daemon_process *daemon;
} ph_bambu_run;

/* Starts the broker, the subscriber and the receiver (no daemon yet). */
void ph_bambu_run_prepare (ph_bambu_run *r);

/* Writes the configuration and starts the daemon (pushalls allowed every
 * second): [source p1] for the broker with serial and access_code and
 * the lines of source_extra (may be NULL); [hook main] for events (NULL:
 * no such hook) sending the event, milestone, file, completion, state,
 * time left, device and @extra as JSON; then extra_hooks (may be NULL),
 * where "@RECEIVER@" stands for the receiver's URL. */
void ph_bambu_run_daemon (ph_bambu_run *r, const char *serial, const char *access_code,
                          const char *events, const char *source_extra, const char *extra_hooks);

/* Both: ph_bambu_run_prepare, then the daemon with [hook main] only. */
void ph_bambu_run_start (ph_bambu_run *r, const char *serial, const char *access_code,
                         const char *events);

/* Stops the daemon (which must exit 0) and everything else; frees r's
 * members. */
void ph_bambu_run_finish (ph_bambu_run *r);

/* Publishes one push_status report with members (a JSON fragment, may be
 * ""), as the printer does. */
void ph_bambu_report (ph_bambu_run *r, const char *members);

/* How many pushall requests the daemon sent so far. */
guint ph_bambu_pushalls (ph_bambu_run *r);

/* The webhooks so far, once n came and no more followed for a moment;
 * fails the test with a summary of them otherwise.  Transfer full. */
json_object *ph_bambu_exactly (ph_bambu_run *r, guint n);

#endif
