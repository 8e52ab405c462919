/* printhook emit: hands one event to the running daemon through its
 * control socket; what OctoPrint's own event manager can call. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "config/config.h"
#include "daemon/control_protocol.h"
#include "event/events.h"
#include "text/json_text.h"

#define REPLY_TIMEOUT_S 10

int
ph_cmd_emit (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *payload_text = NULL;
  g_autofree char *source = NULL;
  g_autofree char *socket_path = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Find the daemon's control_socket in FILE (default " PH_DEFAULT_CONFIG ")", "FILE" },
    { "payload", 'p', 0, G_OPTION_ARG_STRING, &payload_text,
      "The event's payload (@extra), a JSON object; an empty text counts as {}", "JSON" },
    { "source", 's', 0, G_OPTION_ARG_STRING, &source,
      "The [source NAME] the event is from: the event then carries that printer's "
      "state, job and @meta", "NAME" },
    { "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
      "Talk to the daemon on this socket instead of the config's control_socket", "PATH" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (json_object) payload = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  guint deliveries = 0;

  if (!ph_cli_parse (&argc, &argv, "EVENT", "Hands one event to the running daemon.",
                     "Sends EVENT, with --payload as its payload, to the daemon listening on\n"
                     "the control_socket of the configuration, which sends it to every hook\n"
                     "that subscribes to it, as if a source had seen it.  PrintProgress takes\n"
                     "the job's completion, {\"progress\": PERCENT}, and each hook fires its own\n"
                     "milestones.  Prints whether the daemon accepted the event.\n"
                     "\n"
                     "OctoPrint's event manager can call it for every event (config.yaml):\n"
                     "  events:\n"
                     "    subscriptions:\n"
                     "    - event: [PrintStarted, PrintDone, PrintFailed, PrintPaused]\n"
                     "      type: system\n"
                     "      command: printhook emit {__eventname} --payload {__json}\n"
                     "\n"
                     "Examples:\n"
                     "  printhook emit PrintDone --payload '{\"name\": \"benchy.gcode\", \"time\": 3625}'\n"
                     "  printhook emit FilamentChange --source octoprint\n"
                     "\n"
                     "Exit status: 0 when the daemon accepted the event, 1 when it refused it\n"
                     "or no daemon answers, 2 on a command-line error.",
                     entries, &status))
    return status;
  if (argc != 2)
    {
      fprintf (stderr, "printhook emit: expected one EVENT (see printhook emit --help)\n");
      return PH_EXIT_USAGE;
    }
  if (!ph_event_name_is_valid (argv[1]))
    {
      fprintf (stderr, "printhook emit: '%s' is not an event name (letters, digits and '_')\n",
               argv[1]);
      return PH_EXIT_USAGE;
    }
  /* OctoPrint's {__json} is "" when a payload cannot be serialised. */
  if (payload_text != NULL && *g_strstrip (payload_text) != '\0')
    {
      payload = ph_json_parse (payload_text, -1, &error);
      if (payload == NULL || !json_object_is_type (payload, json_type_object))
        {
          fprintf (stderr, "printhook emit: --payload must be a JSON object%s%s\n",
                   error ? ": " : "", error ? error->message : "");
          return PH_EXIT_USAGE;
        }
    }
  if (socket_path == NULL)
    {
      socket_path = ph_control_socket_from_config (config_path != NULL ? config_path
                                                                       : PH_DEFAULT_CONFIG,
                                                   &error);
      if (socket_path == NULL)
        {
          fprintf (stderr, "printhook emit: %s\n", error->message);
          return PH_EXIT_FAILURE;
        }
    }
  line = ph_control_request_to_line (argv[1], payload, source, NULL);
  if (strlen (line) > PH_CONTROL_MAX_MESSAGE)
    {
      fprintf (stderr, "printhook emit: the event is %zu bytes; the daemon takes at most %d\n",
               strlen (line), PH_CONTROL_MAX_MESSAGE);
      return PH_EXIT_FAILURE;
    }
  if (!ph_control_send (socket_path, line, REPLY_TIMEOUT_S, &deliveries, &error))
    {
      if (g_error_matches (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID))
        fprintf (stderr, "printhook emit: refused: %s\n", error->message);
      else
        fprintf (stderr, "printhook emit: %s\n", error->message);
      return PH_EXIT_FAILURE;
    }
  if (deliveries == 0)
    printf ("accepted: %s (no hook takes it now)\n", argv[1]);
  else
    printf ("accepted: %s, %u %s\n", argv[1], deliveries, deliveries == 1 ? "delivery" : "deliveries");
  return PH_EXIT_OK;
}
