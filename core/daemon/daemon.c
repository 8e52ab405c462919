#include "autoconfig.h"
#include "daemon.h"

#include <string.h>

#include "console/console.h"
#include "control_socket.h"
#include "delivery/activity.h"
#include "delivery/deliverer.h"
#include "delivery/generation.h"
#include "delivery/host.h"
#include "delivery/http.h"
#include "router/router.h"
#include "sources/source.h"
#include "spool/spool.h"

struct ph_daemon {
  char *path;
  ph_spool *spool;
  ph_http *http;
  ph_deliverer *deliverer;
  ph_router *router;
  ph_generation *gen;
  GHashTable *sources;            /* name -> ph_source * */
  ph_control_socket *control;
  ph_activity *activity;          /* what the console shows */
  ph_console *console;            /* NULL when [console] enabled = false */
  gboolean stopping;
  GSourceFunc done;
  gpointer done_data;
  guint grace_timer;
};

static gboolean
handle_request (const ph_control_request *request, guint *deliveries, GError **error,
                gpointer data)
{
  ph_daemon *daemon = data;
  ph_source *op = NULL;
  g_autoptr (ph_event) event = NULL;

  if (daemon->stopping)
    {
      g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID, "the daemon is stopping");
      return FALSE;
    }
  if (request->source != NULL)
    {
      op = g_hash_table_lookup (daemon->sources, request->source);
      if (op == NULL)
        {
          const ph_source_config *known = ph_config_find_source (daemon->gen->config,
                                                                 request->source);
          g_autoptr (GString) names = g_string_new (NULL);

          if (known != NULL)
            {
              g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID,
                           "source '%s' is disabled (enabled = false)", request->source);
              return FALSE;
            }
          for (guint i = 0; i < daemon->gen->config->sources->len; i++)
            g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "",
                                    ((ph_source_config *) g_ptr_array_index (
                                        daemon->gen->config->sources, i))->name);
          g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID,
                       "unknown source '%s' (configured: %s)", request->source,
                       names->len > 0 ? names->str : "none");
          return FALSE;
        }
    }
  /* The request was parsed for this event alone and goes when this
   * returns: the event takes its trees rather than copies. */
  if (op != NULL)
    event = ph_source_make_event (op, request->event, json_object_get (request->payload));
  else
    event = ph_event_new (request->event, g_get_host_name (), json_object_get (request->payload),
                          NULL);
  if (request->printer != NULL)
    {
      json_object_put (event->printer);
      event->printer = json_object_get (request->printer);
    }

  if (strcmp (request->event, "PrintProgress") == 0)
    {
      json_object *progress = json_object_object_get (request->payload, "progress");
      double completion;

      if (progress == NULL || !(json_object_is_type (progress, json_type_int)
                                || json_object_is_type (progress, json_type_double)))
        {
          g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID,
                       "PrintProgress needs the job's completion: {\"progress\": PERCENT}");
          return FALSE;
        }
      completion = json_object_get_double (progress);
      if (!(completion >= 0 && completion <= 100))
        {
          g_set_error (error, PH_CONTROL_ERROR, PH_CONTROL_ERROR_INVALID,
                       "the progress must be a percentage from 0 to 100");
          return FALSE;
        }
      *deliveries = ph_router_progress (daemon->router, event, completion);
    }
  else
    *deliveries = ph_router_dispatch (daemon->router, event);
  g_info ("control socket: %s from %s: %u %s", event->name, event->source, *deliveries,
          *deliveries == 1 ? "delivery" : "deliveries");
  return TRUE;
}

/* After the control socket handled the requests that came together and
 * before it answers them: "accepted" promises that the deliveries are in
 * the spool, so that once printhook emit returns not even a power cut
 * loses them.  One commit for all of them. */
static void
flush_requests (gpointer data)
{
  ph_daemon *daemon = data;

  ph_deliverer_commit (daemon->deliverer);
}

/* Starts or keeps a source for each enabled [source NAME] of the current
 * generation; a source whose settings did not change keeps its connection
 * and state. */
static void
update_sources (ph_daemon *daemon)
{
  GPtrArray *configs = daemon->gen->config->sources;
  g_autoptr (GHashTable) kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) ph_source_free);

  for (guint i = 0; i < configs->len; i++)
    {
      const ph_source_config *config = g_ptr_array_index (configs, i);
      ph_source *op = NULL;
      char *name = NULL;

      if (!config->enabled)
        continue;
      if (g_hash_table_steal_extended (daemon->sources, config->name, (gpointer *) &name,
                                       (gpointer *) &op)
          && !ph_source_config_equal (ph_source_get_config (op), config))
        {
          g_info ("source %s: settings changed; reconnecting", config->name);
          g_clear_pointer (&op, ph_source_free);
        }
      g_free (name);
      if (op == NULL)
        op = ph_source_new (config, daemon->http, daemon->router);
      g_hash_table_insert (kept, g_strdup (config->name), op);
    }
  /* What is left was removed or disabled. */
  g_hash_table_remove_all (daemon->sources);
  g_hash_table_unref (daemon->sources);
  daemon->sources = g_steal_pointer (&kept);
}

/* The spool at path, created when missing; a file that is no usable spool
 * is moved aside rather than stopping the daemon for good (a crash loop
 * under systemd).  Attempts that a killed daemon left running are due
 * again at once.  Transfer full, or NULL with error. */
static ph_spool *
open_spool (const char *path, GError **error)
{
  g_autoptr (GError) recovered = NULL;
  g_autoptr (GError) local_error = NULL;
  ph_spool *spool = ph_spool_open (path, PH_SPOOL_OPEN_CREATE | PH_SPOOL_OPEN_RECOVER,
                                   &recovered, error);
  guint resumed = 0, pending = 0, dead = 0;

  if (spool == NULL)
    {
      g_prefix_error (error, "cannot open the spool: ");
      return NULL;
    }
  if (recovered != NULL)
    g_warning ("SPOOL RECOVERED: %s", recovered->message);
  if (!ph_spool_recover (spool, g_get_real_time (), &resumed, &local_error))
    g_warning ("spool: %s", local_error->message);
  else if (resumed > 0)
    g_info ("spool: %u %s being sent when printhook last stopped; sending %s again", resumed,
            resumed == 1 ? "delivery was" : "deliveries were", resumed == 1 ? "it" : "them");
  if (ph_spool_count (spool, &pending, &dead, NULL))
    g_info ("spool %s: %u pending, %u dead %s", path, pending, dead,
            dead == 1 ? "letter" : "letters");
  return spool;
}

static GHashTable *
running_sources (gpointer data)
{
  return ((ph_daemon *) data)->sources;
}

static gboolean reload (ph_daemon *daemon, ph_diag *diag);

static gboolean
reload_for_console (gpointer data, ph_diag *diag)
{
  return reload (data, diag);
}

static ph_console_daemon
console_view (ph_daemon *daemon)
{
  ph_console_daemon view = { daemon->spool, daemon->deliverer, daemon->activity,
                             running_sources, reload_for_console, daemon };

  return view;
}

ph_daemon *
ph_daemon_new (const char *path, ph_config *config, GError **error)
{
  ph_daemon *daemon = g_new0 (ph_daemon, 1);

  daemon->path = g_strdup (path);
  /* The control socket first: a second daemon started by mistake stops
   * there, before it touches the first one's spool. */
  daemon->control = ph_control_socket_new (config->control_socket, handle_request, flush_requests,
                                           daemon, error);
  if (daemon->control != NULL)
    daemon->spool = open_spool (config->spool, error);
  if (daemon->spool == NULL)
    {
      g_clear_pointer (&daemon->control, ph_control_socket_free);
      ph_config_free (config);
      g_free (daemon->path);
      g_free (daemon);
      return NULL;
    }
  daemon->gen = ph_generation_new (config);
  ph_host_set_config (config);
  daemon->http = ph_http_new (NULL);
  ph_host_set_http (daemon->http);
  daemon->deliverer = ph_deliverer_new (daemon->spool);
  daemon->activity = ph_activity_new ();
  ph_deliverer_set_activity (daemon->deliverer, daemon->activity);
  daemon->router = ph_router_new (daemon->deliverer);
  ph_router_set_activity (daemon->router, daemon->activity);
  ph_router_set_generation (daemon->router, daemon->gen);
  /* Resumes what the spool holds. */
  ph_deliverer_set_generation (daemon->deliverer, daemon->gen);
  daemon->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) ph_source_free);
  update_sources (daemon);
  {
    ph_console_daemon view = console_view (daemon);
    daemon->console = ph_console_new (daemon->gen, &view);
  }
  g_info ("running with %u hooks and %u sources from %s; control socket %s",
          config->hooks->len, g_hash_table_size (daemon->sources), path,
          config->control_socket);
  return daemon;
}

static void
log_diagnostics (const ph_diag *diag)
{
  for (guint i = 0; i < diag->entries->len; i++)
    {
      const ph_diag_entry *e = g_ptr_array_index (diag->entries, i);
      const char *level = e->level == PH_DIAG_ERROR ? "error" : "warning";

      if (e->file != NULL && e->line > 0)
        g_warning ("%s:%u: %s: %s", e->file, e->line, level, e->text);
      else
        g_warning ("%s: %s: %s", e->file != NULL ? e->file : "config", level, e->text);
    }
}

/* SIGHUP's reload and the console's: problems go to diag (and the log). */
static gboolean
reload (ph_daemon *daemon, ph_diag *diag)
{
  ph_config *config;
  ph_generation *old = daemon->gen;

  if (daemon->stopping)
    {
      ph_diag_add (diag, PH_DIAG_ERROR, daemon->path, 0, "the daemon is stopping");
      return FALSE;
    }
  g_info ("reloading %s", daemon->path);
  config = ph_config_reload (daemon->path, ph_host (), old->config->registry, diag);
  log_diagnostics (diag);
  if (config == NULL)
    {
      guint errors = ph_diag_count (diag, PH_DIAG_ERROR);

      g_warning ("reload: %s has %u error%s; still running the previous configuration",
                 daemon->path, errors, errors == 1 ? "" : "s");
      return FALSE;
    }
  if (g_strcmp0 (config->control_socket, old->config->control_socket) != 0)
    {
      g_autoptr (GError) error = NULL;
      ph_control_socket *control = ph_control_socket_new (config->control_socket, handle_request,
                                                          flush_requests, daemon, &error);

      if (control == NULL)
        {
          g_warning ("reload: %s; still running the previous configuration", error->message);
          ph_diag_add (diag, PH_DIAG_ERROR, daemon->path, 0, "%s", error->message);
          ph_config_free (config);
          return FALSE;
        }
      ph_control_socket_free (daemon->control);
      daemon->control = control;
    }
  if (g_strcmp0 (config->spool, old->config->spool) != 0)
    g_warning ("reload: the spool stays %s until printhook restarts (the configuration now "
               "says %s)", ph_spool_path (daemon->spool), config->spool);
  ph_config_take_registry (config, old->config);
  daemon->gen = ph_generation_new (config);
  ph_host_set_config (config);
  ph_router_set_generation (daemon->router, daemon->gen);
  ph_deliverer_set_generation (daemon->deliverer, daemon->gen);
  update_sources (daemon);
  {
    ph_console_daemon view = console_view (daemon);
    daemon->console = ph_console_update (daemon->console, daemon->gen, &view);
  }
  /* Deliveries still running hold their own references. */
  ph_generation_unref (old);
  g_info ("reloaded: %u hooks and %u sources", config->hooks->len,
          g_hash_table_size (daemon->sources));
  return TRUE;
}

void
ph_daemon_reload (ph_daemon *daemon)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();

  reload (daemon, diag);
}

static gboolean
finish_shutdown (gpointer data)
{
  ph_daemon *daemon = data;
  GSourceFunc done = daemon->done;

  if (done == NULL)
    return G_SOURCE_REMOVE;
  daemon->done = NULL;
  g_clear_handle_id (&daemon->grace_timer, g_source_remove);
  ph_deliverer_set_idle_func (daemon->deliverer, NULL, NULL);
  done (daemon->done_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_grace_over (gpointer data)
{
  ph_daemon *daemon = data;
  guint left = ph_deliverer_in_flight (daemon->deliverer);

  daemon->grace_timer = 0;
  g_warning ("%u %s still running after the grace period; giving %s up", left,
             left == 1 ? "delivery" : "deliveries", left == 1 ? "it" : "them");
  return finish_shutdown (daemon);
}

void
ph_daemon_shut_down (ph_daemon *daemon, guint grace_s, GSourceFunc done, gpointer user_data)
{
  guint left;

  if (daemon->stopping)
    return;
  daemon->stopping = TRUE;
  daemon->done = done;
  daemon->done_data = user_data;
  ph_router_stop (daemon->router);
  /* Retries due later wait in the spool for the next start. */
  ph_deliverer_stop (daemon->deliverer);
  g_hash_table_remove_all (daemon->sources);
  g_clear_pointer (&daemon->control, ph_control_socket_free);
  g_clear_pointer (&daemon->console, ph_console_free);
  left = ph_deliverer_in_flight (daemon->deliverer);
  if (left == 0)
    {
      g_idle_add (finish_shutdown, daemon);
      return;
    }
  g_info ("stopping: waiting up to %u s for %u %s", grace_s, left,
          left == 1 ? "delivery" : "deliveries");
  ph_deliverer_set_idle_func (daemon->deliverer, finish_shutdown, daemon);
  daemon->grace_timer = g_timeout_add_seconds (grace_s, on_grace_over, daemon);
}

void
ph_daemon_free (ph_daemon *daemon)
{
  if (daemon == NULL)
    return;
  g_clear_handle_id (&daemon->grace_timer, g_source_remove);
  g_clear_pointer (&daemon->console, ph_console_free);
  g_hash_table_unref (daemon->sources);
  g_clear_pointer (&daemon->control, ph_control_socket_free);
  ph_deliverer_set_idle_func (daemon->deliverer, NULL, NULL);
  ph_deliverer_abandon (daemon->deliverer);
  /* Runs the callback of every transfer still going, so every delivery
   * finishes (as cancelled) and lets go of its generation. */
  ph_http_free (daemon->http);
  ph_host_set_http (NULL);
  ph_router_free (daemon->router);
  ph_deliverer_free (daemon->deliverer);
  ph_activity_free (daemon->activity);
  ph_spool_close (daemon->spool);
  ph_host_set_config (NULL);
  ph_generation_unref (daemon->gen);
  g_free (daemon->path);
  g_free (daemon);
}
