/* The fake OctoPrint of the daemon's tests: tests/servers/fake_octoprint.py
 * (OctoPrint 1.11's push API and REST calls), run through fake_server.h. */
#ifndef PH_TEST_FAKE_OCTOPRINT_H
#define PH_TEST_FAKE_OCTOPRINT_H

#include "fake_server.h"

typedef ph_fake_server ph_fake_octoprint;

/* The API key the fake accepts unless --api-key says otherwise. */
#define PH_FAKE_OCTOPRINT_KEY "GOODKEY0123456789"

/* Starts the fake playing scenario (print, midprint, cancel, busy, restart,
 * reauth, silent, idle) with extra arguments (NULL-terminated, may be
 * NULL).  Records: "login", "ws_open", "ws_message", "rest", "sent",
 * "restart", "waiting", "done".  Transfer full. */
static inline ph_fake_octoprint *
ph_fake_octoprint_start (const char *scenario, const char *const *extra_args)
{
  return ph_fake_server_start ("fake_octoprint.py", scenario, extra_args);
}

#define ph_fake_octoprint_url ph_fake_server_url
#define ph_fake_octoprint_records ph_fake_server_records
#define ph_fake_octoprint_records_of ph_fake_server_records_of
#define ph_fake_octoprint_wait ph_fake_server_wait
#define ph_fake_octoprint_signal ph_fake_server_signal
#define ph_fake_octoprint_stop ph_fake_server_stop
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_fake_octoprint, ph_fake_server_stop)

#endif
