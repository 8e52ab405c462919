/* The JSON reader and writer: what ph_json_parse accepts is written by
 * ph_json_to_text in a form that parses back to the same value, so that
 * writing it again gives the same text (compact and pretty alike). */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "text/json_text.h"

static void
round_trip (json_object *value, gboolean pretty)
{
  g_autofree char *text = ph_json_to_text (value, pretty);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_object) again = ph_json_parse (text, -1, &error);
  g_autofree char *text_again = NULL;

  if (again == NULL && value != NULL)
    PH_FUZZ_FAIL ("what was written does not parse back (%s): %s", error->message, text);
  text_again = ph_json_to_text (again, pretty);
  if (strcmp (text, text_again) != 0)
    PH_FUZZ_FAIL ("written twice, two texts:\n%s\n%s", text, text_again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (json_object) value = ph_json_parse ((const char *) data, size, NULL);
  GString *plain = g_string_new (NULL);

  if (value == NULL)
    {
      g_string_free (plain, TRUE);
      return 0;
    }
  round_trip (value, FALSE);
  round_trip (value, TRUE);
  ph_json_append_plain (plain, value);
  g_string_free (plain, TRUE);
  return 0;
}
