/* The fake Moonraker of the daemon's tests: tests/servers/fake_moonraker.py
 * (Moonraker's JSON-RPC websocket and G-code file downloads), run through
 * fake_server.h. */
#ifndef PH_TEST_FAKE_MOONRAKER_H
#define PH_TEST_FAKE_MOONRAKER_H

#include "fake_server.h"

/* Starts the fake playing scenario (print, pause, cancel, shutdown, error,
 * gap, gap-running, idle) with extra arguments (NULL-terminated, may be
 * NULL), such as "--api-key", "KEY".  Records: "ws_open", "rpc", "http",
 * "sent", "gap", "back", "done".  Transfer full. */
static inline ph_fake_server *
ph_fake_moonraker_start (const char *scenario, const char *const *extra_args)
{
  return ph_fake_server_start ("fake_moonraker.py", scenario, extra_args);
}

#endif
