/* The snapshot module's JPEG pipeline (decode, shrink, flip and turn,
 * encode), as the worker thread runs it on what a webcam sent.  The first
 * byte picks the box and the turns; the rest is the image. */
#include "autoconfig.h"

#include "fuzz.h"
#include "jpeg.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) jpeg = NULL;
  g_autoptr (GBytes) result = NULL;
  g_autoptr (GError) error = NULL;
  snapshot_options options;

  if (size < 1)
    return 0;
  options.max_width = 8 + (data[0] & 0x0f) * 16;
  options.max_height = 8 + (data[0] >> 4) * 12;
  options.quality = 10 + data[0] % 90;
  options.flip_h = data[0] & 1;
  options.flip_v = (data[0] >> 1) & 1;
  options.rotate90 = (data[0] >> 2) & 1;
  jpeg = g_bytes_new (data + 1, size - 1);
  result = snapshot_jpeg_process (jpeg, &options, &error);
  if ((result == NULL) == (error == NULL))
    PH_FUZZ_FAIL ("an image and an error, or neither");
  return 0;
}
