/* The steps of a simulated print (simulate_step.h). */
#include "autoconfig.h"
#include "simulate_step.h"

void
ph_sim_step_free (gpointer data)
{
  ph_sim_step *s = data;

  g_free (s->event);
  json_object_put (s->payload);
  json_object_put (s->printer);
  g_free (s);
}

void
ph_sim_step_add (GPtrArray *steps, guint delay_ms, const char *event, json_object *payload,
                 json_object *printer)
{
  ph_sim_step *s = g_new0 (ph_sim_step, 1);

  s->delay_ms = delay_ms;
  s->event = g_strdup (event);
  s->payload = payload;
  s->printer = printer;
  g_ptr_array_add (steps, s);
}
