/* What OctoPrint's push messages do to the OctoPrint source
 * (core/sources/octoprint.c, octoprint_printer.c): the input is a session
 * of messages as the websocket brings them, one a line, into
 * ph_octoprint_on_message.  "RECONNECT" is a lost connection (the next
 * line comes on a new one, after a login) and "TIMEOUT" the end of
 * PrintStarted's wait for @meta (nothing answers the source's REST
 * calls).  Whatever the messages hold: one that is not a JSON object, or
 * has no type the source knows, changes nothing; every event is named as
 * events are named, by a type an event message carried or as the source
 * derives one (PrintProgress, UserActionNeeded); the completion handed on
 * is a percentage; the printer tree holds only what
 * ph_octoprint_make_event promises, each part as the latest current or
 * history message had it; current and history make the source connected,
 * reauthRequired and a lost connection make it not. */
#include "autoconfig.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "fuzz.h"
#include "delivery/host.h"
#include "event/events.h"
#include "sources/octoprint_private.h"
#include "text/json_text.h"

#define SOURCE "fuzz"

/* The parts of the printer's state a current or history message sets. */
static const char *const kept[] = { "state", "job", "progress", "currentZ", "offsets", NULL };
/* What else the tree may hold (ph_octoprint_make_event). */
static const char *const added[] = { "meta", "appearance", NULL };
static const char *const derived[] = { "PrintProgress", "UserActionNeeded", NULL };

static struct {
  ph_generation *gen;
  ph_deliverer *deliverer;
} world;

/* What one session has seen and what came out of the source. */
typedef struct {
  ph_octoprint *op;
  GHashTable *expected;       /* kept name -> json_object * as last sent */
  GHashTable *types;          /* the event messages' types so far */
  GPtrArray *out;             /* names of the events the router got on this line */
} session;

/* Only criticals matter (fatal, G_DEBUG=fatal-criticals); the source's
 * warnings and notes about odd messages would slow every run. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if ((level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) == 0)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, data);
}

/* A configuration without hooks: the router counts the events in the
 * activity (where the session sees them) and delivers none. */
static void
set_up (void)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autofree char *dir = g_dir_make_tmp ("printhook-fuzz-octoprint-XXXXXX", NULL);
  g_autofree char *conf = g_build_filename (dir, "printhook.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[printhook]\nspool = %s/spool.db\n", dir);
  ph_config *config;

  g_log_set_writer_func (quiet_writer, NULL, NULL);
  if (!g_file_set_contents (conf, text, -1, NULL) || g_chmod (conf, 0600) != 0)
    abort ();
  config = ph_config_load (conf, ph_host (), diag);
  if (config == NULL)
    {
      ph_diag_print (diag, stderr);
      abort ();
    }
  world.gen = ph_generation_new (config);
  world.deliverer = ph_deliverer_new (NULL);
}

static void
on_event (const char *source, const char *event, gint64 time, gpointer data)
{
  session *s = data;

  (void) time;
  if (g_strcmp0 (source, SOURCE) != 0)
    PH_FUZZ_FAIL ("%s from source %s", event, source);
  g_ptr_array_add (s->out, g_strdup (event));
}

/* What on_login does with OctoPrint's answer to a good key, but for
 * opening the websocket: the next line is that connection's first
 * message.  A connection that was lost is first tried again, as the
 * link's retry timer does. */
static void
connect_session (ph_octoprint *op)
{
  if (op->phase == PHASE_WAITING)
    ph_ws_link_start (op->link);
  if (op->phase != PHASE_LOGGING_IN)
    return;
  g_free (op->auth);
  op->auth = g_strdup ("fuzz:0123456789abcdef");
  g_free (op->user);
  op->user = g_strdup ("fuzz");
  op->phase = PHASE_CONNECTING;
}

/* The printer tree an event gets now.  Transfer full. */
static json_object *
printer_tree (ph_octoprint *op)
{
  ph_event *event = ph_octoprint_make_event (op, "FuzzCheck", NULL);
  json_object *tree = json_object_get (event->printer);

  ph_event_unref (event);
  return tree;
}

static void
check_tree (session *s)
{
  g_autoptr (json_object) tree = printer_tree (s->op);

  if (!json_object_is_type (tree, json_type_object))
    PH_FUZZ_FAIL ("a printer tree that is no object");
  json_object_object_foreach (tree, key, value)
    {
      json_object *want = g_hash_table_lookup (s->expected, key);

      if (!g_strv_contains (kept, key) && !g_strv_contains (added, key))
        PH_FUZZ_FAIL ("the printer tree holds %s: %s", key, json_object_to_json_string (tree));
      /* A member sent as null is kept as null (NULL in json-c). */
      if (g_strv_contains (kept, key)
          && (!g_hash_table_contains (s->expected, key) || !json_object_equal (want, value)))
        PH_FUZZ_FAIL ("the tree's %s is not the one last sent: %s", key,
                      json_object_to_json_string (tree));
    }
  for (guint i = 0; kept[i] != NULL; i++)
    if (g_hash_table_contains (s->expected, kept[i]) && !json_object_object_get_ex (tree, kept[i], NULL))
      PH_FUZZ_FAIL ("the tree lost %s", kept[i]);
  if (s->op->last_percent < -1 || s->op->last_percent > 100)
    PH_FUZZ_FAIL ("a completion of %d %% handed on", s->op->last_percent);
}

static void
check_events (session *s)
{
  for (guint i = 0; i < s->out->len; i++)
    {
      const char *name = g_ptr_array_index (s->out, i);

      if (!ph_event_name_is_valid (name))
        PH_FUZZ_FAIL ("an event named \"%s\"", name);
      if (!g_hash_table_contains (s->types, name) && !g_strv_contains (derived, name))
        PH_FUZZ_FAIL ("an event %s no message carried", name);
    }
  g_ptr_array_set_size (s->out, 0);
}

/* What the source should make of message (a JSON object) by its types,
 * in the order of its members: the parts of the state it keeps, the event
 * types, and whether it is connected after it (*connected untouched when
 * no member says).  TRUE when any member has a type the source knows. */
static gboolean
expect (session *s, json_object *message, gboolean *connected)
{
  gboolean known = FALSE;

  json_object_object_foreach (message, kind, payload)
    {
      if (strcmp (kind, "reauthRequired") == 0)
        {
          *connected = FALSE;
          return TRUE;
        }
      if (strcmp (kind, "connected") == 0)
        *connected = FALSE;
      else if (strcmp (kind, "history") == 0 || strcmp (kind, "current") == 0)
        {
          *connected = TRUE;
          for (guint i = 0; kept[i] != NULL && json_object_is_type (payload, json_type_object); i++)
            {
              json_object *value;

              if (json_object_object_get_ex (payload, kept[i], &value))
                g_hash_table_replace (s->expected, (gpointer) kept[i], ph_json_copy (value));
            }
        }
      else if (strcmp (kind, "event") == 0)
        {
          const char *type = ph_json_string (payload, "type");

          if (type != NULL)
            g_hash_table_add (s->types, g_strdup (type));
        }
      else if (strcmp (kind, "plugin") != 0)
        continue;
      known = TRUE;
    }
  return known;
}

/* A message the source ignores: nothing changes. */
static void
feed_ignored (session *s, const char *line)
{
  g_autoptr (json_object) before = printer_tree (s->op);
  g_autoptr (json_object) after = NULL;
  gboolean connected = ph_octoprint_connected (s->op);
  int percent = s->op->last_percent;
  gboolean held = ph_event_queue_held (s->op->queue);

  ph_octoprint_on_message (s->op, line, strlen (line));
  after = printer_tree (s->op);
  if (!json_object_equal (before, after) || s->out->len > 0 || percent != s->op->last_percent
      || connected != ph_octoprint_connected (s->op) || held != ph_event_queue_held (s->op->queue))
    PH_FUZZ_FAIL ("an ignored message changed the source: %s", line);
}

/* A new percentage was handed on after message: it is the floor of the
 * completion the printer tree holds (when message was one state, which
 * nothing after it in the message changed), and a PrintProgress went to
 * the router unless PrintStarted holds the queue. */
static void
check_progress (session *s, json_object *message)
{
  g_autoptr (json_object) tree = printer_tree (s->op);
  double completion = ph_json_number (ph_json_member (tree, "progress", json_type_object), "completion", -1);
  gboolean sent = FALSE;

  if (json_object_object_length (message) == 1
      && !(completion >= 0 && completion <= 100 && (int) floor (completion) == s->op->last_percent))
    PH_FUZZ_FAIL ("%d %% handed on for a completion of %g", s->op->last_percent, completion);
  for (guint i = 0; i < s->out->len; i++)
    sent = sent || strcmp (g_ptr_array_index (s->out, i), "PrintProgress") == 0;
  if (!sent && !ph_event_queue_held (s->op->queue))
    PH_FUZZ_FAIL ("%d %% handed on without a PrintProgress", s->op->last_percent);
}

static void
feed (session *s, const char *line)
{
  g_autoptr (json_object) message = ph_json_parse (line, strlen (line), NULL);
  gboolean connected = ph_octoprint_connected (s->op);
  int percent = s->op->last_percent;

  connect_session (s->op);
  if (message == NULL || !json_object_is_type (message, json_type_object)
      || !expect (s, message, &connected))
    {
      feed_ignored (s, line);
      return;
    }
  ph_octoprint_on_message (s->op, line, strlen (line));
  if (connected != ph_octoprint_connected (s->op))
    PH_FUZZ_FAIL ("%s after %s", connected ? "not connected" : "connected", line);
  if (s->op->last_percent != percent && s->op->last_percent >= 0)
    check_progress (s, message);
}

/* As the websocket's close does (ws_link.c's on_closed). */
static void
lose_connection (session *s)
{
  g_autoptr (json_object) before = printer_tree (s->op);
  g_autoptr (json_object) after = NULL;

  ph_ws_link_fail (s->op->link, "fuzzing: the connection closed");
  after = printer_tree (s->op);
  if (ph_octoprint_connected (s->op) || !json_object_equal (before, after) || s->out->len > 0)
    PH_FUZZ_FAIL ("losing the connection changed more than that");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ph_source_config config = { .name = SOURCE, .type = PH_SOURCE_OCTOPRINT, .enabled = TRUE,
                              .url = "http://127.0.0.1:9", .api_key = "fuzzkey" };
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_auto (GStrv) lines = g_strsplit (input, "\n", 64);
  ph_http *http;
  ph_router *router;
  ph_activity *activity = ph_activity_new ();
  session s = { 0 };

  if (world.gen == NULL)
    set_up ();
  /* Never run: its requests wait unanswered until it is freed. */
  http = ph_http_new (NULL);
  router = ph_router_new (world.deliverer);
  ph_router_set_generation (router, world.gen);
  ph_router_set_activity (router, activity);
  ph_activity_listen (activity, on_event, NULL, &s);
  s.expected = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) json_object_put);
  s.types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s.out = g_ptr_array_new_with_free_func (g_free);
  s.op = ph_octoprint_new (&config, http, router);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strcmp (lines[i], "RECONNECT") == 0)
        lose_connection (&s);
      else if (strcmp (lines[i], "TIMEOUT") == 0)
        ph_event_queue_release (s.op->queue);
      else
        feed (&s, lines[i]);
      check_events (&s);
      check_tree (&s);
    }
  ph_event_queue_release (s.op->queue);
  check_events (&s);

  ph_octoprint_free (s.op);
  ph_http_free (http);
  ph_router_free (router);
  ph_activity_free (activity);
  g_ptr_array_unref (s.out);
  g_hash_table_unref (s.types);
  g_hash_table_unref (s.expected);
  return 0;
}
