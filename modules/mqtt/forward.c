#include "forward.h"

#include <string.h>


struct mqtt_forward {
  int refs;
  mqtt_broker *broker;
  char *topic;
  GHashTable *waits;           /* id -> mqtt_ack_wait *, owned */
};

struct mqtt_ack_wait {
  mqtt_forward *forward;
  char *id;
  mqtt_ack_func done;
  gpointer user_data;
  gint64 started;
  guint timer;
  gboolean armed;
  gboolean answered;           /* the answer below came */
  mqtt_ack_result result;
  char *reason, *by;
};

static GList *all;             /* mqtt_forward *, to share them */

static const mqtt_broker_watch_funcs watch_funcs;

static void
wait_free (gpointer data)
{
  mqtt_ack_wait *w = data;

  if (w->timer != 0)
    g_source_remove (w->timer);
  g_free (w->id);
  g_free (w->reason);
  g_free (w->by);
  g_free (w);
}

/* Takes w out of the table (which frees it) after telling its owner. */
static void
finish (mqtt_ack_wait *w, gboolean timed_out)
{
  double ms = (g_get_monotonic_time () - w->started) / 1000.0;
  mqtt_ack_func done = w->done;
  gpointer user_data = w->user_data;
  mqtt_ack_result result = w->result;
  g_autofree char *reason = g_steal_pointer (&w->reason);
  g_autofree char *by = g_steal_pointer (&w->by);

  if (w->timer != 0)
    {
      g_source_remove (w->timer);
      w->timer = 0;
    }
  g_hash_table_remove (w->forward->waits, w->id);
  done (timed_out, result, reason, by, ms, user_data);
}

static gboolean
on_timeout (gpointer data)
{
  mqtt_ack_wait *w = data;

  w->timer = 0;
  finish (w, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
on_answered (gpointer data)
{
  mqtt_ack_wait *w = data;

  w->timer = 0;
  finish (w, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_connected (mqtt_broker *broker, gpointer user_data)
{
  mqtt_forward *f = user_data;

  mqtt_broker_subscribe (broker, f->topic);
}

static void
on_message (mqtt_broker *broker, const char *topic, const void *payload, gsize size,
            gboolean retained, gpointer user_data)
{
  mqtt_forward *f = user_data;
  g_autofree char *id = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *by = NULL;
  mqtt_ack_result result = MQTT_ACK_COMMITTED;
  mqtt_ack_wait *w;

  if (strcmp (topic, f->topic) != 0 || retained)
    return;
  if (!mqtt_forward_parse_ack (payload, size, &id, &result, &reason, &by))
    {
      g_warning ("mqtt: a message on the ack topic %s is not an acknowledgement (%" G_GSIZE_FORMAT
                 " bytes): ignored", f->topic, size);
      return;
    }
  w = g_hash_table_lookup (f->waits, id);
  if (w == NULL || w->answered)
    return;   /* a late one, after its timeout, or one of a republication */
  w->answered = TRUE;
  w->result = result;
  w->reason = g_steal_pointer (&reason);
  w->by = g_steal_pointer (&by);
  if (w->armed)
    finish (w, FALSE);
}

static const mqtt_broker_watch_funcs watch_funcs = {
  .connected = on_connected,
  .message = on_message,
};

mqtt_forward *
mqtt_forward_get (mqtt_broker *broker, const char *ack_topic)
{
  mqtt_forward *f;

  for (GList *l = all; l != NULL; l = l->next)
    {
      f = l->data;
      if (f->broker == broker && strcmp (f->topic, ack_topic) == 0)
        {
          f->refs++;
          return f;
        }
    }
  f = g_new0 (mqtt_forward, 1);
  f->refs = 1;
  f->broker = broker;
  mqtt_broker_ref (broker);
  f->topic = g_strdup (ack_topic);
  f->waits = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, wait_free);
  all = g_list_prepend (all, f);
  mqtt_broker_watch (broker, &watch_funcs, f);
  return f;
}

void
mqtt_forward_unref (mqtt_forward *f)
{
  if (f == NULL || --f->refs > 0)
    return;
  all = g_list_remove (all, f);
  mqtt_broker_unwatch (f->broker, f);
  mqtt_broker_unref (f->broker);
  /* Hooks go away only when their deliveries have finished. */
  g_hash_table_unref (f->waits);
  g_free (f->topic);
  g_free (f);
}

mqtt_ack_wait *
mqtt_forward_expect (mqtt_forward *f, const char *id, mqtt_ack_func done, gpointer user_data)
{
  mqtt_ack_wait *w = g_new0 (mqtt_ack_wait, 1);
  mqtt_ack_wait *old = g_hash_table_lookup (f->waits, id);

  /* Two attempts of one delivery never overlap; should they, the older
   * one is given up (retried) rather than left waiting forever. */
  if (old != NULL)
    finish (old, TRUE);
  w->forward = f;
  w->id = g_strdup (id);
  w->done = done;
  w->user_data = user_data;
  w->started = g_get_monotonic_time ();
  g_hash_table_insert (f->waits, w->id, w);
  return w;
}

void
mqtt_forward_arm (mqtt_ack_wait *w, double timeout_s)
{
  w->armed = TRUE;
  if (w->answered)
    w->timer = g_idle_add (on_answered, w);
  else
    w->timer = g_timeout_add ((guint) CLAMP (timeout_s * 1000, 1, G_MAXUINT), on_timeout, w);
}

void
mqtt_forward_cancel (mqtt_ack_wait *w)
{
  g_hash_table_remove (w->forward->waits, w->id);
}

const char *
mqtt_forward_topic (const mqtt_forward *f)
{
  return f->topic;
}
