#include "autoconfig.h"
#include "sample_delivery.h"

#include "event/sample.h"

printhook_delivery *
ph_sample_delivery_new (const ph_hook *hook, const char *event_name, json_object *payload,
                        int milestone)
{
  g_autoptr (ph_event) event = ph_event_new (event_name, g_get_host_name (),
                                             payload != NULL ? payload : ph_sample_payload (),
                                             ph_sample_printer ());

  return ph_delivery_new (hook, event, milestone);
}
