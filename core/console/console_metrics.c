/* GET /metrics: Prometheus' text format (version 0.0.4), what a scrape
 * needs to graph and alert on deliveries. */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#include "text/double_text.h"

/* A label value with \, " and newlines escaped, as the format asks. */
static void
put_label (GString *out, const char *value)
{
  for (const char *p = value != NULL ? value : ""; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        {
          g_string_append (out, "\\n");
          continue;
        }
      g_string_append_c (out, *p);
    }
}

static void
put_help (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
put_double (GString *out, double value)
{
  ph_double_append (out, value);
}

static void
put_event (const char *source, const char *event, guint64 count, gpointer data)
{
  GString *out = data;

  g_string_append (out, "printhook_events_total{source=\"");
  put_label (out, source);
  g_string_append (out, "\",event=\"");
  put_label (out, event);
  g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", count);
}

/* Every hook of the configuration, and those that had attempts under an
 * earlier one: a counter must not vanish because a hook was renamed. */
static char **
hook_names (ph_console *console)
{
  g_autofree const char **seen = ph_activity_hooks (console->daemon.activity);
  GPtrArray *hooks = console->gen->config->hooks;
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < hooks->len; i++)
    if (g_hash_table_add (names, ((ph_hook *) g_ptr_array_index (hooks, i))->name))
      g_ptr_array_add (out, g_strdup (((ph_hook *) g_ptr_array_index (hooks, i))->name));
  for (guint i = 0; seen[i] != NULL; i++)
    if (g_hash_table_add (names, (gpointer) seen[i]))
      g_ptr_array_add (out, g_strdup (seen[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static void
put_hooks (ph_console *console, GString *out, char **hooks)
{
  static const ph_activity_outcome outcomes[] = { PH_ACTIVITY_DELIVERED, PH_ACTIVITY_RETRYING,
                                                  PH_ACTIVITY_DEAD };

  put_help (out, "printhook_deliveries_total", "counter",
            "Attempts by hook and outcome (delivered, retrying: failed and tried again later, "
            "dead: failed for good).");
  for (guint i = 0; hooks[i] != NULL; i++)
    {
      const ph_hook_activity *h = ph_activity_hook (console->daemon.activity, hooks[i]);

      for (guint o = 0; o < G_N_ELEMENTS (outcomes); o++)
        {
          g_string_append (out, "printhook_deliveries_total{hook=\"");
          put_label (out, hooks[i]);
          g_string_append_printf (out, "\",outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
                                  ph_activity_outcome_name (outcomes[o]),
                                  h != NULL ? h->outcomes[outcomes[o]] : 0);
        }
    }
  put_help (out, "printhook_attempt_duration_seconds", "histogram",
            "How long attempts took, by hook.");
  for (guint i = 0; hooks[i] != NULL; i++)
    {
      const ph_hook_activity *h = ph_activity_hook (console->daemon.activity, hooks[i]);
      guint64 cumulative = 0;

      for (guint b = 0; b < PH_ACTIVITY_BUCKETS; b++)
        {
          cumulative += h != NULL ? h->buckets[b] : 0;
          g_string_append (out, "printhook_attempt_duration_seconds_bucket{hook=\"");
          put_label (out, hooks[i]);
          g_string_append (out, "\",le=\"");
          put_double (out, ph_activity_bucket_bounds[b]);
          g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
        }
      g_string_append (out, "printhook_attempt_duration_seconds_bucket{hook=\"");
      put_label (out, hooks[i]);
      g_string_append_printf (out, "\",le=\"+Inf\"} %" G_GUINT64_FORMAT "\n",
                              h != NULL ? h->attempts : 0);
      g_string_append (out, "printhook_attempt_duration_seconds_sum{hook=\"");
      put_label (out, hooks[i]);
      g_string_append (out, "\"} ");
      put_double (out, h != NULL ? h->seconds : 0);
      g_string_append (out, "\nprinthook_attempt_duration_seconds_count{hook=\"");
      put_label (out, hooks[i]);
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", h != NULL ? h->attempts : 0);
    }
  put_help (out, "printhook_last_delivery_timestamp_seconds", "gauge",
            "When the hook's last webhook was delivered (Unix time; 0: none since the start).");
  for (guint i = 0; hooks[i] != NULL; i++)
    {
      const ph_hook_activity *h = ph_activity_hook (console->daemon.activity, hooks[i]);

      g_string_append (out, "printhook_last_delivery_timestamp_seconds{hook=\"");
      put_label (out, hooks[i]);
      g_string_append (out, "\"} ");
      put_double (out, h != NULL ? h->last_delivered / (double) G_USEC_PER_SEC : 0);
      g_string_append_c (out, '\n');
    }
}

/* A farm's figures: an edge's forwarding hooks (mqtt.format = event) and
 * a central daemon's mqtt sources. */
static void
put_farm (ph_console *console, GString *out, GHashTable *running, GPtrArray *sources)
{
  GPtrArray *hooks = console->gen->config->hooks;
  static const char *const results[] = { "committed", "duplicate", "refused",
                                         "unacknowledged" };

  put_help (out, "printhook_farm_forwarded_total", "counter",
            "Edge: attempts to forward an event to the central printhooks, by hook.");
  put_help (out, "printhook_farm_acknowledged_total", "counter",
            "Edge: forwarded events a central printhook acknowledged, by hook.");
  put_help (out, "printhook_farm_pending", "gauge",
            "Edge: forwarded events waiting for an acknowledgement, by hook.");
  for (guint i = 0; i < hooks->len; i++)
    {
      const ph_hook *hook = g_ptr_array_index (hooks, i);
      const ph_hook_activity *h = ph_activity_hook (console->daemon.activity, hook->name);
      guint pending = 0;

      if (g_strcmp0 (ph_hook_config_get_string (hook->config, "mqtt.format"), "event") != 0)
        continue;
      ph_spool_count_pending_for_hook (console->daemon.spool, hook->name, &pending, NULL);
      g_string_append (out, "printhook_farm_forwarded_total{hook=\"");
      put_label (out, hook->name);
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", h != NULL ? h->attempts : 0);
      g_string_append (out, "printhook_farm_acknowledged_total{hook=\"");
      put_label (out, hook->name);
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n",
                              h != NULL ? h->outcomes[PH_ACTIVITY_DELIVERED] : 0);
      g_string_append (out, "printhook_farm_pending{hook=\"");
      put_label (out, hook->name);
      g_string_append_printf (out, "\"} %u\n", pending);
    }
  put_help (out, "printhook_farm_received_total", "counter",
            "Central: envelopes that arrived, by mqtt source.");
  put_help (out, "printhook_farm_taken_total", "counter",
            "Central: envelopes by source and what came of them (committed and acknowledged, "
            "duplicate: committed before, refused, unacknowledged: the spool did not commit).");
  for (guint i = 0; i < sources->len; i++)
    {
      const ph_source_config *sc = g_ptr_array_index (sources, i);
      ph_source *source = g_hash_table_lookup (running, sc->name);
      const ph_farm *farm = source != NULL ? ph_source_get_farm (source) : NULL;
      ph_farm_counts c;
      guint64 values[4];

      if (farm == NULL)
        continue;
      ph_farm_get_counts (farm, &c);
      values[0] = c.committed;
      values[1] = c.duplicates;
      values[2] = c.refused;
      values[3] = c.unacknowledged;
      g_string_append (out, "printhook_farm_received_total{source=\"");
      put_label (out, sc->name);
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", c.received);
      for (guint r = 0; r < G_N_ELEMENTS (results); r++)
        {
          g_string_append (out, "printhook_farm_taken_total{source=\"");
          put_label (out, sc->name);
          g_string_append_printf (out, "\",result=\"%s\"} %" G_GUINT64_FORMAT "\n", results[r],
                                  values[r]);
        }
    }
}

void
ph_console_metrics (ph_console *console, SoupServerMessage *msg)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_auto (GStrv) hooks = hook_names (console);
  GHashTable *running = console->daemon.sources (console->daemon.daemon);
  GPtrArray *sources = console->gen->config->sources;
  guint pending = 0, dead = 0;

  put_help (out, "printhook_uptime_seconds", "gauge", "Seconds since the console started.");
  g_string_append (out, "printhook_uptime_seconds ");
  put_double (out, (g_get_monotonic_time () - console->started) / (double) G_USEC_PER_SEC);
  g_string_append_c (out, '\n');
  put_help (out, "printhook_events_total", "counter", "Events received, by source and name.");
  ph_activity_foreach_event (console->daemon.activity, put_event, out);
  put_hooks (console, out, hooks);
  if (ph_spool_count (console->daemon.spool, &pending, &dead, NULL))
    {
      put_help (out, "printhook_spool_pending", "gauge", "Deliveries waiting to be sent.");
      g_string_append_printf (out, "printhook_spool_pending %u\n", pending);
      put_help (out, "printhook_spool_dead", "gauge", "Dead letters in the spool.");
      g_string_append_printf (out, "printhook_spool_dead %u\n", dead);
    }
  put_help (out, "printhook_source_connected", "gauge",
            "1 when the source is connected to its printer server.");
  for (guint i = 0; i < sources->len; i++)
    {
      const ph_source_config *sc = g_ptr_array_index (sources, i);
      ph_source *source = g_hash_table_lookup (running, sc->name);

      g_string_append (out, "printhook_source_connected{source=\"");
      put_label (out, sc->name);
      g_string_append_printf (out, "\"} %d\n", source != NULL && ph_source_connected (source));
    }
  put_farm (console, out, running, sources);
  {
    g_autofree char *masked = ph_console_mask (console, out->str);
    ph_console_send_text (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                          masked);
  }
}
