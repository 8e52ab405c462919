#include "autoconfig.h"
#include "source.h"

#include "bambu.h"
#include "farm.h"
#include "moonraker.h"
#include "octoprint.h"

struct ph_source {
  ph_source_type type;
  ph_octoprint *octoprint;
  ph_moonraker *moonraker;
  ph_bambu *bambu;
  ph_farm *farm;
};

ph_source *
ph_source_new (const ph_source_config *config, ph_http *http, ph_router *router)
{
  ph_source *source = g_new0 (ph_source, 1);

  source->type = config->type;
  switch (config->type)
    {
    case PH_SOURCE_OCTOPRINT:
      source->octoprint = ph_octoprint_new (config, http, router);
      break;
    case PH_SOURCE_MOONRAKER:
      source->moonraker = ph_moonraker_new (config, http, router);
      break;
    case PH_SOURCE_BAMBU:
      source->bambu = ph_bambu_new (config, router);
      break;
    case PH_SOURCE_MQTT:
      source->farm = ph_farm_new (config, router);
      break;
    }
  return source;
}

void
ph_source_free (ph_source *source)
{
  if (source == NULL)
    return;
  ph_octoprint_free (source->octoprint);
  ph_moonraker_free (source->moonraker);
  ph_bambu_free (source->bambu);
  ph_farm_free (source->farm);
  g_free (source);
}

const ph_source_config *
ph_source_get_config (const ph_source *source)
{
  if (source->type == PH_SOURCE_MOONRAKER)
    return ph_moonraker_config (source->moonraker);
  if (source->type == PH_SOURCE_BAMBU)
    return ph_bambu_config (source->bambu);
  if (source->type == PH_SOURCE_MQTT)
    return ph_farm_config (source->farm);
  return ph_octoprint_config (source->octoprint);
}

const ph_farm *
ph_source_get_farm (const ph_source *source)
{
  return source->farm;
}

gboolean
ph_source_connected (const ph_source *source)
{
  if (source->type == PH_SOURCE_MOONRAKER)
    return ph_moonraker_connected (source->moonraker);
  if (source->type == PH_SOURCE_BAMBU)
    return ph_bambu_connected (source->bambu);
  if (source->type == PH_SOURCE_MQTT)
    return ph_farm_connected (source->farm);
  return ph_octoprint_connected (source->octoprint);
}

ph_event *
ph_source_make_event (ph_source *source, const char *name, json_object *payload)
{
  if (source->type == PH_SOURCE_MOONRAKER)
    return ph_moonraker_make_event (source->moonraker, name, payload);
  if (source->type == PH_SOURCE_BAMBU)
    return ph_bambu_make_event (source->bambu, name, payload);
  if (source->type == PH_SOURCE_MQTT)
    return ph_farm_make_event (source->farm, name, payload);
  return ph_octoprint_make_event (source->octoprint, name, payload);
}
