/* What the Moonraker source reads from its websocket: a JSON-RPC message
 * (replies and notifications), a printer status and file metadata turned
 * into OctoPrint's shapes, and the G-code tail read before a pause. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "sources/jsonrpc.h"
#include "sources/moonraker_api.h"
#include "text/json_text.h"

static void
on_reply (json_object *result, const GError *error, gpointer data)
{
  (void) result;
  (void) error;
  (*(int *) data)++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (json_object) message = ph_json_parse ((const char *) data, size, NULL);
  g_autofree char *command = ph_moonraker_last_command ((const char *) data, size, size % 2 == 0);

  (void) ph_moonraker_pause_needs_user (command);
  if (message != NULL)
    {
      g_autoptr (ph_jsonrpc) rpc = ph_jsonrpc_new ();
      g_autoptr (json_object) printer = ph_moonraker_printer (message, "ready");
      const char *method = NULL;
      json_object *params = NULL;
      int replies = 0;

      /* Two requests in flight, ids 1 and 2, so that replies find one. */
      g_free (ph_jsonrpc_request (rpc, "server.info", NULL, on_reply, &replies));
      g_free (ph_jsonrpc_request (rpc, "printer.objects.query", NULL, on_reply, &replies));
      (void) ph_jsonrpc_feed (rpc, message, &method, &params);
      ph_moonraker_add_metadata (printer, message);
      json_object_put (ph_moonraker_meta (message));
      g_free (ph_moonraker_webcam_url (message, "http://127.0.0.1:7125"));
      (void) ph_moonraker_completion (message);
      ph_jsonrpc_fail_all (rpc);
      if (replies != 2)
        PH_FUZZ_FAIL ("%d answers to 2 requests", replies);
    }
  return 0;
}
