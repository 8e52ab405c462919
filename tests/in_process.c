#include "autoconfig.h"
#include "in_process.h"

#include <check.h>

#include "delivery/chain_run.h"
#include "delivery/host.h"
#include "delivery/http.h"

typedef struct {
  GMainLoop *loop;
  guint running;
  gboolean timed_out;
} run_state;

typedef struct {
  run_state *state;
  ph_outcome *outcome;
} slot;

static void
on_done (printhook_delivery *d, printhook_result result, const GError *error, gpointer user_data)
{
  slot *s = user_data;

  s->outcome->result = result;
  s->outcome->error = error != NULL ? g_strdup (error->message) : NULL;
  if (--s->state->running == 0)
    g_main_loop_quit (s->state->loop);
}

static gboolean
on_timeout (gpointer user_data)
{
  run_state *state = user_data;

  state->timed_out = TRUE;
  g_main_loop_quit (state->loop);
  return G_SOURCE_REMOVE;
}

void
ph_run_chains (printhook_delivery *const *deliveries, guint n, ph_outcome *outcomes,
               guint timeout_s)
{
  run_state state = { g_main_loop_new (NULL, FALSE), n, FALSE };
  g_autofree slot *slots = g_new0 (slot, n);
  ph_http *http = ph_http_new (NULL);
  guint timer;

  ph_host_set_http (http);
  for (guint i = 0; i < n; i++)
    {
      slots[i].state = &state;
      slots[i].outcome = &outcomes[i];
      ph_chain_run (deliveries[i], on_done, &slots[i]);
    }
  timer = g_timeout_add_seconds (timeout_s, on_timeout, &state);
  if (state.running > 0)
    g_main_loop_run (state.loop);
  if (!state.timed_out)
    g_source_remove (timer);
  ph_http_free (http);
  ph_host_set_http (NULL);
  g_main_loop_unref (state.loop);
  ck_assert_msg (!state.timed_out, "%u of %u deliveries still running after %u s",
                 state.running, n, timeout_s);
}

void
ph_outcome_clear (ph_outcome *outcome)
{
  g_clear_pointer (&outcome->error, g_free);
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
ph_spin (guint ms)
{
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
}
