/* What the daemon's tests assert about text and about a running daemon's
 * log (daemon_process.h). */
#ifndef PH_TEST_DAEMON_ASSERTS_H
#define PH_TEST_DAEMON_ASSERTS_H

#include <string.h>

#include "daemon_process.h"
#include "harness.h"

#define assert_log_contains(d, needle)                   \
  do                                                     \
    {                                                    \
      g_autofree char *log_ = ph_daemon_process_log (d); \
      assert_contains (log_, (needle));                  \
    }                                                    \
  while (0)

#define assert_log_lacks(d, needle)                                                       \
  do                                                                                      \
    {                                                                                     \
      g_autofree char *log_ = ph_daemon_process_log (d);                                  \
      ck_assert_msg (strstr (log_, (needle)) == NULL, "'%s' in the log:\n%s", (needle), log_); \
    }                                                                                     \
  while (0)

#endif
