#include "autoconfig.h"
#include "sample.h"

#include <glib.h>

/* As JSON text, so that the shapes read like OctoPrint's documentation. */
static const char sample_payload[] =
  "{\"name\": \"example.gcode\", \"path\": \"example.gcode\", \"origin\": \"local\","
  " \"size\": 242038, \"owner\": \"example_user\", \"time\": 50.237335886}";

static const char sample_printer[] =
  "{"
  "\"state\": {\"text\": \"Printing\", \"flags\": {\"operational\": true, \"printing\": true,"
  " \"cancelling\": false, \"pausing\": false, \"resuming\": false, \"finishing\": false,"
  " \"closedOrError\": false, \"error\": false, \"paused\": false, \"ready\": false,"
  " \"sdReady\": true}, \"error\": \"\"},"
  "\"job\": {\"file\": {\"name\": \"example.gcode\", \"path\": \"example.gcode\","
  " \"display\": \"example.gcode\", \"origin\": \"local\", \"size\": 242038, \"date\": 1588195405},"
  " \"estimatedPrintTime\": 476.05552375713864, \"averagePrintTime\": 48.8202253183409,"
  " \"lastPrintTime\": 31.290278981000007,"
  " \"filament\": {\"tool0\": {\"length\": 335.8269600000015, \"volume\": 0.8077585001602579}},"
  " \"user\": \"example_user\"},"
  "\"progress\": {\"completion\": 14.496484023169915, \"filepos\": 35087, \"printTime\": 29,"
  " \"printTimeLeft\": 40, \"printTimeLeftOrigin\": \"average\"},"
  "\"currentZ\": 0.3,"
  "\"offsets\": {},"
  "\"meta\": {\"hash\": \"2d2f2c6a410f8786b62604422799c9f3c0721367\","
  " \"analysis\": {\"estimatedPrintTime\": 476.05552375713864,"
  " \"printingArea\": {\"maxX\": 136.67, \"maxY\": 116.672, \"maxZ\": 5.6, \"minX\": 0.0,"
  " \"minY\": -3.0, \"minZ\": 0.0},"
  " \"dimensions\": {\"width\": 136.67, \"depth\": 119.672, \"height\": 5.6},"
  " \"filament\": {\"tool0\": {\"length\": 335.8269600000015, \"volume\": 0.8077585001602579}}},"
  " \"statistics\": {\"averagePrintTime\": {\"_default\": 49.04197595574509},"
  " \"lastPrintTime\": {\"_default\": 50.53992706}},"
  " \"history\": [{\"timestamp\": 1588195498.7716029, \"printTime\": 50.352958230999995,"
  " \"printerProfile\": \"_default\", \"success\": true}]}"
  "}";

json_object *
ph_sample_payload (void)
{
  json_object *payload = json_tokener_parse (sample_payload);

  g_assert (payload != NULL);
  return payload;
}

json_object *
ph_sample_printer (void)
{
  json_object *printer = json_tokener_parse (sample_printer);

  g_assert (printer != NULL);
  return printer;
}
