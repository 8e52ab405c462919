/* What a Bambu Lab P1/A1 camera streams (core/sources/bambu_camera.c):
 * the input is the bytes after the login, frames of a 16-byte header and
 * a payload, read as the client reads them, with a limit taken from the
 * input's first byte.  Whatever they hold: a header is accepted exactly
 * when it announces 1 to limit bytes, a payload exactly when it runs from
 * FF D8 to FF D9; every refusal says why, and an accepted one does not. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "sources/bambu_camera.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize max, offset = 1;

  if (size == 0)
    return 0;
  /* Small limits reach the refusal; 0 means none worth the name. */
  max = data[0] == 0 ? G_MAXSIZE : (gsize) data[0] * 64;
  while (size - offset >= PH_BAMBU_CAMERA_HEADER_SIZE)
    {
      const guint8 *header = data + offset;
      guint32 announced = (guint32) header[0] | (guint32) header[1] << 8
                          | (guint32) header[2] << 16 | (guint32) header[3] << 24;
      g_autoptr (GError) error = NULL;
      gsize frame = 0;
      gboolean accepted = ph_bambu_camera_parse_header (header, max, &frame, &error);
      gboolean jpeg;

      if (accepted != (announced >= 1 && announced <= max))
        PH_FUZZ_FAIL ("header of %u bytes, limit %zu: %s", announced, max,
                      accepted ? "accepted" : "refused");
      if (accepted == (error != NULL))
        PH_FUZZ_FAIL ("a header %s with%s an error", accepted ? "accepted" : "refused",
                      accepted ? "" : "out");
      if (!accepted)
        {
          if (strstr (error->message, "frame header") == NULL)
            PH_FUZZ_FAIL ("a refused header says: %s", error->message);
          return 0;
        }
      if (frame != announced)
        PH_FUZZ_FAIL ("a header of %u bytes read as %zu", announced, frame);
      offset += PH_BAMBU_CAMERA_HEADER_SIZE;
      /* A stream cut short is the client's to report, not the parser's. */
      if (size - offset < frame)
        return 0;
      jpeg = ph_bambu_camera_check_frame (data + offset, frame, &error);
      if (jpeg != (frame >= 4 && data[offset] == 0xFF && data[offset + 1] == 0xD8
                   && data[offset + frame - 2] == 0xFF && data[offset + frame - 1] == 0xD9))
        PH_FUZZ_FAIL ("a frame of %zu bytes %s", frame, jpeg ? "accepted" : "refused");
      if (jpeg == (error != NULL) || (!jpeg && strstr (error->message, "not a JPEG") == NULL))
        PH_FUZZ_FAIL ("a frame %s, error: %s", jpeg ? "accepted" : "refused",
                      error != NULL ? error->message : "none");
      offset += frame;
    }
  return 0;
}
