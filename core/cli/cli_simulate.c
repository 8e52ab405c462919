/* printhook simulate: plays a whole print (start, progress every 1 %, a
 * pause that needs the user, resume, done) into the running daemon, or
 * with --direct through the configuration without one; with --bambu, a
 * Bambu Lab printer's recorded reports (simulate_bambu.c). */
#include "autoconfig.h"

#include <stdio.h>

#include "cli.h"
#include "cli_common.h"
#include "simulate_step.h"
#include "daemon/control_protocol.h"
#include "delivery/deliverer.h"
#include "delivery/generation.h"
#include "delivery/host.h"
#include "delivery/http.h"
#include "text/json_text.h"
#include "router/router.h"

/* At --speed 1 the print takes about a minute: 0.6 s a percent, and the
 * pause 5 s. */
#define STEP_MS 600
#define PAUSE_MS 5000
#define PAUSE_AT 50
#define FILE_SIZE 1183897
#define PRINT_TIME_S 3600
#define DRAIN_TIMEOUT_S 30
/* A print as a Bambu Lab P1 reports it, changes only (conf/bambu-p1-print.jsonl). */
#define BAMBU_RECORDING PKGDATADIR "/bambu-p1-print.jsonl"

typedef struct {
  GPtrArray *steps;         /* ph_sim_step * */
  guint next;
  double speed;
  const char *socket_path;  /* daemon mode */
  const char *source;
  ph_router *router;        /* --direct */
  ph_deliverer *deliverer;
  ph_generation *gen;
  GMainLoop *loop;
  int status;
  guint drain_timer;
} player;

static json_object *
job_payload (void)
{
  json_object *payload = json_object_new_object ();

  json_object_object_add (payload, "name", json_object_new_string ("benchy.gcode"));
  json_object_object_add (payload, "path", json_object_new_string ("simulated/benchy.gcode"));
  json_object_object_add (payload, "origin", json_object_new_string ("local"));
  json_object_object_add (payload, "size", json_object_new_int64 (FILE_SIZE));
  json_object_object_add (payload, "owner", json_object_new_string ("printhook"));
  return payload;
}

/* The printer in OctoPrint's shapes, at percent done, in state text. */
static json_object *
printer_at (int percent, const char *text)
{
  g_autofree char *json = g_strdup_printf (
      "{\"state\": {\"text\": \"%s\", \"flags\": {\"operational\": true, \"printing\": %s,"
      " \"cancelling\": false, \"pausing\": false, \"resuming\": false, \"finishing\": false,"
      " \"closedOrError\": false, \"error\": false, \"paused\": %s, \"ready\": %s,"
      " \"sdReady\": true}, \"error\": \"\"},"
      " \"job\": {\"file\": {\"name\": \"benchy.gcode\", \"path\": \"simulated/benchy.gcode\","
      " \"display\": \"benchy.gcode\", \"origin\": \"local\", \"size\": %d, \"date\": 1700000000},"
      " \"estimatedPrintTime\": %d, \"averagePrintTime\": null, \"lastPrintTime\": null,"
      " \"filament\": {\"tool0\": {\"length\": 4012.3, \"volume\": 9.65}}, \"user\": \"printhook\"},"
      " \"progress\": {\"completion\": %d, \"filepos\": %d, \"printTime\": %d,"
      " \"printTimeLeft\": %d, \"printTimeLeftOrigin\": \"estimate\"},"
      " \"currentZ\": %.1f, \"offsets\": {},"
      " \"meta\": {\"hash\": \"9b0e5a1f4c2d\", \"analysis\": {\"estimatedPrintTime\": %d,"
      " \"dimensions\": {\"width\": 60.1, \"depth\": 31.0, \"height\": 48.0},"
      " \"filament\": {\"tool0\": {\"length\": 4012.3, \"volume\": 9.65}}}}}",
      text, g_str_equal (text, "Printing") ? "true" : "false",
      g_str_equal (text, "Paused") ? "true" : "false",
      g_str_equal (text, "Operational") ? "true" : "false", FILE_SIZE, PRINT_TIME_S, percent,
      (int) ((gint64) FILE_SIZE * percent / 100), PRINT_TIME_S * percent / 100,
      PRINT_TIME_S * (100 - percent) / 100, 0.2 + 0.48 * percent, PRINT_TIME_S);
  json_object *printer = ph_json_parse (json, -1, NULL);

  g_assert (printer != NULL);
  return printer;
}

/* The whole print, as OctoPrint would tell it. */
static GPtrArray *
script (void)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func (ph_sim_step_free);

  ph_sim_step_add (steps, 0, "PrintStarted", job_payload (), printer_at (0, "Printing"));
  for (int percent = 1; percent <= 100; percent++)
    {
      json_object *payload = json_object_new_object ();

      json_object_object_add (payload, "progress", json_object_new_int (percent));
      ph_sim_step_add (steps, STEP_MS, "PrintProgress", payload, printer_at (percent, "Printing"));
      if (percent == PAUSE_AT)
        {
          json_object *paused = job_payload ();

          json_object_object_add (paused, "progress", json_object_new_int (percent));
          ph_sim_step_add (steps, STEP_MS / 2, "PrintPaused", paused, printer_at (percent, "Paused"));
          payload = json_object_new_object ();
          json_object_object_add (payload, "reason", json_object_new_string ("busy"));
          ph_sim_step_add (steps, STEP_MS / 2, "UserActionNeeded", payload,
                    printer_at (percent, "Paused"));
          ph_sim_step_add (steps, PAUSE_MS, "PrintResumed", job_payload (),
                    printer_at (percent, "Printing"));
        }
    }
  {
    json_object *done = job_payload ();

    json_object_object_add (done, "time", json_object_new_double (PRINT_TIME_S + PAUSE_MS / 1000.0));
    ph_sim_step_add (steps, STEP_MS, "PrintDone", done, printer_at (100, "Operational"));
  }
  return steps;
}

static gboolean
on_drained (gpointer data)
{
  player *p = data;

  g_clear_handle_id (&p->drain_timer, g_source_remove);
  g_main_loop_quit (p->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_drain_timeout (gpointer data)
{
  player *p = data;

  p->drain_timer = 0;
  fprintf (stderr, "printhook simulate: %u deliveries still running after %d s; giving up\n",
           ph_deliverer_in_flight (p->deliverer), DRAIN_TIMEOUT_S);
  p->status = PH_EXIT_FAILURE;
  g_main_loop_quit (p->loop);
  return G_SOURCE_REMOVE;
}

/* Sends one step; FALSE when the daemon refused it or is not there. */
static gboolean
play_step (player *p, const ph_sim_step *s)
{
  guint deliveries = 0;

  if (p->router != NULL)
    {
      json_object *payload = NULL, *printer = NULL;
      g_autoptr (ph_event) event = NULL;

      json_object_deep_copy (s->payload, &payload, NULL);
      json_object_deep_copy (s->printer, &printer, NULL);
      event = ph_event_new (s->event, p->source, payload, printer);
      if (g_str_equal (s->event, "PrintProgress"))
        deliveries = ph_router_progress (p->router, event,
                                         json_object_get_double (json_object_object_get (s->payload, "progress")));
      else
        deliveries = ph_router_dispatch (p->router, event);
    }
  else
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *line = ph_control_request_to_line (s->event, s->payload, p->source,
                                                          s->printer);

      if (!ph_control_send (p->socket_path, line, 10, &deliveries, &error))
        {
          fprintf (stderr, "printhook simulate: %s: %s\n", s->event, error->message);
          return FALSE;
        }
    }
  /* 100 progress lines would drown the rest: only those that fired. */
  if (!g_str_equal (s->event, "PrintProgress") || deliveries > 0)
    {
      json_object *progress = json_object_object_get (s->payload, "progress");

      if (g_str_equal (s->event, "PrintProgress"))
        printf ("%s %d %%: %u %s\n", s->event, json_object_get_int (progress), deliveries,
                deliveries == 1 ? "delivery" : "deliveries");
      else
        printf ("%s: %u %s\n", s->event, deliveries, deliveries == 1 ? "delivery" : "deliveries");
      fflush (stdout);
    }
  return TRUE;
}

static gboolean
on_step (gpointer data)
{
  player *p = data;
  const ph_sim_step *s = g_ptr_array_index (p->steps, p->next);

  p->next++;
  if (!play_step (p, s))
    {
      p->status = PH_EXIT_FAILURE;
      g_main_loop_quit (p->loop);
      return G_SOURCE_REMOVE;
    }
  if (p->next < p->steps->len)
    {
      s = g_ptr_array_index (p->steps, p->next);
      g_timeout_add ((guint) (s->delay_ms / p->speed), on_step, p);
      return G_SOURCE_REMOVE;
    }
  if (p->deliverer == NULL || ph_deliverer_in_flight (p->deliverer) == 0)
    {
      g_main_loop_quit (p->loop);
      return G_SOURCE_REMOVE;
    }
  ph_deliverer_set_idle_func (p->deliverer, on_drained, p);
  p->drain_timer = g_timeout_add_seconds (DRAIN_TIMEOUT_S, on_drain_timeout, p);
  return G_SOURCE_REMOVE;
}

int
ph_cmd_simulate (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *source = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *recording = NULL;
  double speed = 1;
  gboolean direct = FALSE;
  gboolean bambu = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read FILE and the hooks.d/ directory beside it (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed,
      "Play X times faster than the one-minute print (default 1)", "X" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &direct,
      "Send through the configuration's hooks from this process, without a daemon", NULL },
    { "source", 's', 0, G_OPTION_ARG_STRING, &source,
      "Name the events' source (default: this host's name; with a daemon, a configured "
      "[source NAME])", "NAME" },
    { "bambu", 0, 0, G_OPTION_ARG_NONE, &bambu,
      "Play a Bambu Lab P1's reports of a print through the Bambu source's rules", NULL },
    { "recording", 0, 0, G_OPTION_ARG_FILENAME, &recording,
      "With --bambu: play FILE instead (one device/SERIAL/report message per line)", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GPtrArray) steps = NULL;
  g_autoptr (ph_http) http = NULL;
  g_autoptr (GError) error = NULL;
  player p = { 0 };

  if (!ph_cli_parse (&argc, &argv, NULL, "Plays a simulated print through the hooks.",
                     "Plays a whole print of benchy.gcode as OctoPrint would report it:\n"
                     "PrintStarted, PrintProgress at every percent (each hook fires its own\n"
                     "milestones), PrintPaused with UserActionNeeded at 50 %, PrintResumed, and\n"
                     "PrintDone, with the printer's state, job, progress and @meta filled in.\n"
                     "By default the events go to the running daemon through its control\n"
                     "socket; --direct sends them through the configuration's hooks from this\n"
                     "process.  At --speed 1 the print takes about a minute.\n"
                     "\n"
                     "--bambu plays a print as a Bambu Lab P1 reports it (" BAMBU_RECORDING ":\n"
                     "a start, progress, a pause by the user, a filament runout, the end)\n"
                     "through the same rules as a [source NAME] of type bambu, a report every\n"
                     "0.6 s at --speed 1; --recording plays a file of your own, one report per\n"
                     "line as the printer publishes it on device/SERIAL/report (as mosquitto_sub\n"
                     "prints them without -v).\n"
                     "\n"
                     "Examples:\n"
                     "  printhook simulate --speed 10\n"
                     "  printhook simulate -c ./printhook.conf --direct --speed 60\n"
                     "  printhook simulate --bambu --direct --speed 20\n"
                     "\n"
                     "Exit status: 0 when every event was accepted (and, with --direct, every\n"
                     "delivery finished), 1 otherwise, 2 on a command-line error.",
                     entries, &status))
    return status;
  if (argc != 1)
    {
      fprintf (stderr, "printhook simulate: unexpected argument '%s'\n", argv[1]);
      return PH_EXIT_USAGE;
    }
  if (!(speed > 0 && speed <= 100000))
    {
      fprintf (stderr, "printhook simulate: --speed must be above 0 (and at most 100000)\n");
      return PH_EXIT_USAGE;
    }
  if (config_path == NULL)
    config_path = g_strdup (PH_DEFAULT_CONFIG);
  ph_cli_setup_logging ();

  if (recording != NULL && !bambu)
    {
      fprintf (stderr, "printhook simulate: --recording goes with --bambu\n");
      return PH_EXIT_USAGE;
    }
  if (bambu)
    {
      steps = ph_simulate_bambu_steps (recording != NULL ? recording : BAMBU_RECORDING, STEP_MS,
                                       &error);
      if (steps == NULL)
        {
          fprintf (stderr, "printhook simulate: %s\n", error->message);
          return PH_EXIT_FAILURE;
        }
    }
  else
    steps = script ();
  loop = g_main_loop_new (NULL, FALSE);
  p.steps = steps;
  p.speed = speed;
  p.loop = loop;
  p.status = PH_EXIT_OK;
  if (direct)
    {
      ph_config *config;

      ph_host_set_instance (NULL, TRUE);
      config = ph_cli_load_config (config_path);

      if (config == NULL)
        return PH_EXIT_FAILURE;
      http = ph_http_new (NULL);
      ph_host_set_http (http);
      p.gen = ph_generation_new (config);
      /* Without the daemon's spool: each webhook is attempted once. */
      p.deliverer = ph_deliverer_new (NULL);
      p.router = ph_router_new (p.deliverer);
      ph_router_set_generation (p.router, p.gen);
      p.source = source != NULL ? source : g_get_host_name ();
    }
  else
    {
      socket_path = ph_control_socket_from_config (config_path, &error);
      if (socket_path == NULL)
        {
          fprintf (stderr, "printhook simulate: %s\n", error->message);
          return PH_EXIT_FAILURE;
        }
      p.socket_path = socket_path;
      p.source = source;
    }
  g_idle_add (on_step, &p);
  g_main_loop_run (loop);
  if (direct)
    {
      g_clear_handle_id (&p.drain_timer, g_source_remove);
      ph_deliverer_set_idle_func (p.deliverer, NULL, NULL);
      /* Finishes (cancelled) whatever the drain timeout left running. */
      g_clear_pointer (&http, ph_http_free);
      ph_host_set_http (NULL);
      ph_router_free (p.router);
      ph_deliverer_free (p.deliverer);
      ph_generation_unref (p.gen);
    }
  return p.status;
}
