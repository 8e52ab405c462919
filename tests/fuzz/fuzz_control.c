/* The control socket's request lines (what printhook emit and any local
 * program send): what the parser accepts, written again as a request
 * line, parses to the same request. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "daemon/control_protocol.h"
#include "text/json_text.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (ph_control_request) request = ph_control_request_parse ((const char *) data, size, NULL);
  g_autoptr (ph_control_request) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *payload = NULL, *payload_again = NULL;

  if (request == NULL)
    return 0;
  line = ph_control_request_to_line (request->event, request->payload, request->source,
                                     request->printer);
  again = ph_control_request_parse (line, strlen (line) - 1, &error);
  if (again == NULL)
    PH_FUZZ_FAIL ("the request written again is refused (%s): %s", error->message, line);
  payload = ph_json_to_text (request->payload, FALSE);
  payload_again = ph_json_to_text (again->payload, FALSE);
  if (strcmp (request->event, again->event) != 0 || g_strcmp0 (request->source, again->source) != 0
      || strcmp (payload, payload_again) != 0)
    PH_FUZZ_FAIL ("the request written again differs: %s", line);
  return 0;
}
