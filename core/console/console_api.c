/* /api/v1/: the daemon's state, its hooks, a hook's render, reload.  The
 * test, the deliveries and the feed have files of their own. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#include "delivery/preview.h"
#include "delivery/sample_delivery.h"
#include "event/events.h"
#include "version.h"

/* TRUE when msg's method is method (GET takes HEAD too); else answers 405. */
static gboolean
only (ph_console *console, SoupServerMessage *msg, const char *method)
{
  if (ph_console_method_is (msg, method)
      || (strcmp (method, "GET") == 0 && ph_console_method_is (msg, "HEAD")))
    return TRUE;
  ph_console_not_allowed (console, msg, method);
  return FALSE;
}

/* The printer's state as the sources keep it (OctoPrint's shapes:
 * state.text, job.file.name, progress.completion). */
static void
add_printer (ph_console *console, json_object *out, ph_source *source)
{
  g_autoptr (ph_event) now = ph_source_make_event (source, "status", NULL);
  json_object *state = ph_console_member (now->printer, "state");
  json_object *file = ph_console_member (ph_console_member (ph_console_member (now->printer, "job"), "file"), "name");
  json_object *completion = ph_console_member (ph_console_member (now->printer, "progress"), "completion");
  const char *state_text = NULL;

  if (json_object_is_type (state, json_type_string))
    state_text = json_object_get_string (state);
  else if (json_object_is_type (ph_console_member (state, "text"), json_type_string))
    state_text = json_object_get_string (ph_console_member (state, "text"));
  json_object_object_add (out, "state", ph_console_json_string (console, state_text));
  if (json_object_is_type (file, json_type_string))
    {
      json_object *job = json_object_new_object ();

      json_object_object_add (job, "file",
                              ph_console_json_string (console, json_object_get_string (file)));
      json_object_object_add (job, "progress",
                              json_object_is_type (completion, json_type_double)
                                      || json_object_is_type (completion, json_type_int)
                                  ? json_object_new_double (json_object_get_double (completion))
                                  : NULL);
      json_object_object_add (out, "job", job);
    }
  else
    json_object_object_add (out, "job", NULL);
}

static void
get_status (ph_console *console, SoupServerMessage *msg)
{
  const ph_config *config = console->gen->config;
  GHashTable *running = console->daemon.sources (console->daemon.daemon);
  json_object *body = json_object_new_object ();
  json_object *spool = json_object_new_object ();
  json_object *sources = json_object_new_array ();
  guint pending = 0, dead = 0;

  json_object_object_add (body, "version", json_object_new_string (ph_version ()));
  json_object_object_add (body, "uptime_s",
                          json_object_new_double ((g_get_monotonic_time () - console->started)
                                                  / (double) G_USEC_PER_SEC));
  if (ph_spool_count (console->daemon.spool, &pending, &dead, NULL))
    {
      json_object_object_add (spool, "pending", json_object_new_int64 (pending));
      json_object_object_add (spool, "dead", json_object_new_int64 (dead));
    }
  json_object_object_add (body, "spool", spool);
  for (guint i = 0; i < config->sources->len; i++)
    {
      const ph_source_config *sc = g_ptr_array_index (config->sources, i);
      ph_source *source = g_hash_table_lookup (running, sc->name);
      json_object *out = json_object_new_object ();

      json_object_object_add (out, "name", json_object_new_string (sc->name));
      json_object_object_add (out, "type", json_object_new_string (ph_source_type_name (sc->type)));
      if (sc->type == PH_SOURCE_BAMBU)
        {
          g_autofree char *url = g_strdup_printf ("mqtts://%s:%u", sc->host, sc->port);

          json_object_object_add (out, "url", ph_console_json_string (console, url));
        }
      else
        json_object_object_add (out, "url", ph_console_json_string (console, sc->url));
      json_object_object_add (out, "enabled", json_object_new_boolean (sc->enabled));
      json_object_object_add (out, "connected",
                              json_object_new_boolean (source != NULL
                                                       && ph_source_connected (source)));
      if (source != NULL && ph_source_get_farm (source) != NULL)
        {
          ph_farm_counts c;
          json_object *farm = json_object_new_object ();

          ph_farm_get_counts (ph_source_get_farm (source), &c);
          json_object_object_add (farm, "received", json_object_new_int64 ((gint64) c.received));
          json_object_object_add (farm, "committed", json_object_new_int64 ((gint64) c.committed));
          json_object_object_add (farm, "duplicates",
                                  json_object_new_int64 ((gint64) c.duplicates));
          json_object_object_add (farm, "refused", json_object_new_int64 ((gint64) c.refused));
          json_object_object_add (farm, "unacknowledged",
                                  json_object_new_int64 ((gint64) c.unacknowledged));
          json_object_object_add (out, "farm", farm);
          json_object_object_add (out, "state", NULL);
          json_object_object_add (out, "job", NULL);
        }
      else if (source != NULL)
        add_printer (console, out, source);
      else
        {
          json_object_object_add (out, "state", NULL);
          json_object_object_add (out, "job", NULL);
        }
      json_object_array_add (sources, out);
    }
  json_object_object_add (body, "sources", sources);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

static json_object *
string_array (const char *const *items)
{
  json_object *array = json_object_new_array ();

  for (guint i = 0; items != NULL && items[i] != NULL; i++)
    json_object_array_add (array, json_object_new_string (items[i]));
  return array;
}

static json_object *
hook_last (ph_console *console, const ph_hook_activity *h)
{
  json_object *last;

  if (h == NULL || !h->has_last)
    return NULL;
  last = json_object_new_object ();
  json_object_object_add (last, "time", ph_console_json_time (h->last_time));
  json_object_object_add (last, "event", json_object_new_string (h->last_event));
  json_object_object_add (last, "outcome",
                          json_object_new_string (ph_activity_outcome_name (h->last_outcome)));
  json_object_object_add (last, "status", json_object_new_int64 (h->last_status));
  json_object_object_add (last, "error", ph_console_json_string (console, h->last_error));
  json_object_object_add (last, "duration_s", json_object_new_double (h->last_seconds));
  return last;
}

static void
get_hooks (ph_console *console, SoupServerMessage *msg)
{
  GPtrArray *hooks = console->gen->config->hooks;
  json_object *body = json_object_new_object ();
  json_object *list = json_object_new_array ();

  for (guint i = 0; i < hooks->len; i++)
    {
      const ph_hook *hook = g_ptr_array_index (hooks, i);
      const ph_hook_activity *h = ph_activity_hook (console->daemon.activity, hook->name);
      json_object *out = json_object_new_object ();
      json_object *modules = json_object_new_array ();
      static const char *const all[] = { "*", NULL };

      for (guint m = 0; m < hook->chain->len; m++)
        json_object_array_add (modules, json_object_new_string (
            ((const ph_chain_link *) g_ptr_array_index (hook->chain, m))->module->name));
      json_object_object_add (out, "name", json_object_new_string (hook->name));
      json_object_object_add (out, "url", ph_console_json_string (console, hook->url));
      {
        /* A send module other than http-webhook says where it sends. */
        g_autofree char *sends = ph_hook_describe_sending (hook, NULL);

        json_object_object_add (out, "sends", ph_console_json_string (console, sends));
      }
      json_object_object_add (out, "events", string_array (hook->all_events
                                                               ? all
                                                               : (const char *const *) hook->events));
      json_object_object_add (out, "modules", modules);
      json_object_object_add (out, "enabled", json_object_new_boolean (hook->enabled));
      json_object_object_add (out, "gone", json_object_new_boolean (
          ph_deliverer_hook_gone (console->daemon.deliverer, hook->name)));
      json_object_object_add (out, "delivered", json_object_new_int64 (
          h != NULL ? (gint64) h->outcomes[PH_ACTIVITY_DELIVERED] : 0));
      json_object_object_add (out, "retrying", json_object_new_int64 (
          h != NULL ? (gint64) h->outcomes[PH_ACTIVITY_RETRYING] : 0));
      json_object_object_add (out, "dead", json_object_new_int64 (
          h != NULL ? (gint64) h->outcomes[PH_ACTIVITY_DEAD] : 0));
      json_object_object_add (out, "last", hook_last (console, h));
      json_object_object_add (out, "file", json_object_new_string (hook->file));
      json_object_object_add (out, "line", json_object_new_int64 (hook->line));
      json_object_array_add (list, out);
    }
  json_object_object_add (body, "hooks", list);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

/* A valid event name, or an answer 400 and NULL. */
static const char *
event_name (ph_console *console, SoupServerMessage *msg, const char *name)
{
  if (name == NULL || name[0] == '\0')
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "say which event: PrintDone, PrintStarted, ... or a custom name");
      return NULL;
    }
  if (!ph_event_name_is_valid (name))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "'%s' is not an event name: letters, digits and '_' only", name);
      return NULL;
    }
  return ph_event_builtin (name) != NULL ? ph_event_builtin (name) : name;
}

json_object *
ph_console_request_json (ph_console *console, printhook_delivery *d)
{
  json_object *out = json_object_new_object ();
  json_object *headers = json_object_new_object ();
  g_autoptr (GError) error = NULL;
  g_autofree char *body = NULL;

  if (!ph_delivery_preview (d, &error))
    json_object_object_add (out, "error", ph_console_json_string (console, error->message));
  body = ph_delivery_body_text (d, console->gen->redactor);
  json_object_object_add (out, "method", json_object_new_string (d->method));
  json_object_object_add (out, "url", ph_console_json_string (console, d->url));
  {
    g_autofree char *sends = ph_hook_describe_sending (d->hook, d);

    json_object_object_add (out, "sends", ph_console_json_string (console, sends));
  }
  for (guint i = 0; i < d->headers->len; i++)
    {
      const ph_header *h = g_ptr_array_index (d->headers, i);
      g_autofree char *value = ph_delivery_header_text (h, console->gen->redactor);

      json_object_object_add (headers, h->name, ph_console_json_string (console, value));
    }
  json_object_object_add (out, "headers", headers);
  json_object_object_add (out, "content_type", ph_console_json_string (
                                                   console, ph_delivery_get_header (d, "Content-Type")));
  json_object_object_add (out, "body", ph_console_json_string (console, body));
  return out;
}

static void
get_render (ph_console *console, SoupServerMessage *msg, const ph_hook *hook, GHashTable *query)
{
  const char *name = event_name (console, msg,
                                 query != NULL ? g_hash_table_lookup (query, "event") : NULL);
  g_autoptr (printhook_delivery) d = NULL;
  json_object *body;

  if (name == NULL)
    return;
  d = ph_sample_delivery_new (hook, name, NULL, strcmp (name, "PrintProgress") == 0 ? 50 : 0);
  body = ph_console_request_json (console, d);
  json_object_object_add (body, "hook", json_object_new_string (hook->name));
  json_object_object_add (body, "event", json_object_new_string (name));
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

static void
post_test (ph_console *console, SoupServerMessage *msg, const ph_hook *hook)
{
  g_autoptr (json_object) request = ph_console_read_json (console, msg);
  json_object *event;

  if (request == NULL)
    return;
  event = ph_console_member (request, "event");
  if (!json_object_is_type (event, json_type_string)
      || event_name (console, msg, json_object_get_string (event)) == NULL)
    {
      if (soup_server_message_get_status (msg) == 0)
        ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                               "the body must be {\"event\": \"PrintDone\"} (any event name)");
      return;
    }
  if (ph_console_member (request, "payload") != NULL
      && !json_object_is_type (ph_console_member (request, "payload"), json_type_object))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "\"payload\" must be a JSON object (the event's @extra)");
      return;
    }
  ph_console_test_hook (console, msg, console->gen, hook, event_name (console, msg, json_object_get_string (event)),
                        ph_console_member (request, "payload"));
}

/* hooks/NAME[/render|/test] */
static void
hooks_route (ph_console *console, SoupServerMessage *msg, const char *rest, GHashTable *query)
{
  g_auto (GStrv) parts = g_strsplit (rest, "/", 3);
  const ph_hook *hook;

  if (parts[0] == NULL || parts[0][0] == '\0')
    {
      if (only (console, msg, "GET"))
        get_hooks (console, msg);
      return;
    }
  if (ph_console_hook_edit_route (console, msg, parts, query))
    return;
  if ((hook = ph_console_find_hook (console, msg, parts[0])) == NULL)
    return;
  if (parts[1] != NULL && strcmp (parts[1], "render") == 0 && parts[2] == NULL)
    {
      if (only (console, msg, "GET"))
        get_render (console, msg, hook, query);
    }
  else if (parts[1] != NULL && strcmp (parts[1], "test") == 0 && parts[2] == NULL)
    {
      if (only (console, msg, "POST"))
        post_test (console, msg, hook);
    }
  else
    ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND,
                           "a hook has config, render and test: /api/v1/hooks/%s/render?event=PrintDone",
                           hook->name);
}

static void
post_reload (ph_console *console, SoupServerMessage *msg)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();
  json_object *body;

  if (console->daemon.reload (console->daemon.daemon, diag))
    {
      /* The reload gave the console its new generation already. */
      body = json_object_new_object ();
      json_object_object_add (body, "reloaded", json_object_new_boolean (TRUE));
      json_object_object_add (body, "hooks",
                              json_object_new_int64 (console->gen->config->hooks->len));
      json_object_object_add (body, "sources",
                              json_object_new_int64 (console->gen->config->sources->len));
      ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
      return;
    }
  {
    json_object *problems = json_object_new_array ();
    guint errors = ph_diag_count (diag, PH_DIAG_ERROR);

    for (guint i = 0; i < diag->entries->len; i++)
      {
        const ph_diag_entry *e = g_ptr_array_index (diag->entries, i);
        const char *level = e->level == PH_DIAG_ERROR ? "error" : "warning";
        g_autofree char *line = e->file != NULL && e->line > 0
                                    ? g_strdup_printf ("%s:%u: %s: %s", e->file, e->line, level,
                                                       e->text)
                                    : g_strdup_printf ("%s: %s: %s",
                                                       e->file != NULL ? e->file : "config",
                                                       level, e->text);

        json_object_array_add (problems, ph_console_json_string (console, line));
      }
    body = json_object_new_object ();
    json_object_object_add (body, "error", ph_console_json_string (console, errors > 0
        ? "the configuration has errors; the running one is kept"
        : "the configuration was not reloaded; the running one is kept"));
    json_object_object_add (body, "problems", problems);
    ph_console_send_json (console, msg, 422, body);
  }
}

static void
get_session (ph_console *console, SoupServerMessage *msg, const char *csrf)
{
  json_object *body = json_object_new_object ();

  json_object_object_add (body, "csrf", csrf != NULL ? json_object_new_string (csrf) : NULL);
  /* The CSRF token is the session's own: the answer is sent unmasked. */
  {
    g_autofree char *text = g_strdup (json_object_to_json_string_ext (body, JSON_C_TO_STRING_PLAIN));
    json_object_put (body);
    ph_console_send_text (msg, SOUP_STATUS_OK, "application/json", text);
  }
}

void
ph_console_api (ph_console *console, SoupServerMessage *msg, const char *path,
                GHashTable *query, const char *csrf)
{
  if (strcmp (path, "status") == 0)
    {
      if (only (console, msg, "GET"))
        get_status (console, msg);
    }
  else if (strcmp (path, "session") == 0)
    {
      if (only (console, msg, "GET"))
        get_session (console, msg, csrf);
    }
  else if (strcmp (path, "events/known") == 0)
    {
      if (only (console, msg, "GET"))
        {
          json_object *body = json_object_new_object ();
          json_object_object_add (body, "events", string_array (ph_event_builtin_names ()));
          ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
        }
    }
  else if (strcmp (path, "keys") == 0)
    {
      if (only (console, msg, "GET"))
        ph_console_key_catalog (console, msg);
    }
  else if (strcmp (path, "presets") == 0)
    {
      if (only (console, msg, "GET"))
        ph_console_presets (console, msg);
    }
  else if (strcmp (path, "events") == 0)
    {
      if (only (console, msg, "GET"))
        ph_console_feed_open (console->feed, msg);
    }
  else if (strcmp (path, "hooks") == 0 || g_str_has_prefix (path, "hooks/"))
    hooks_route (console, msg, path[5] == '/' ? path + 6 : "", query);
  else if (strcmp (path, "deliveries") == 0 || g_str_has_prefix (path, "deliveries/"))
    ph_console_deliveries (console, msg, path + strlen ("deliveries"), query);
  else if (strcmp (path, "reload") == 0)
    {
      if (only (console, msg, "POST"))
        post_reload (console, msg);
    }
  else
    ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND, "no API at /api/v1/%s", path);
}
