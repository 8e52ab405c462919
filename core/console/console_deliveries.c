/* deliveries: the spool's pending and dead ones with the history's
 * delivered ones, newest first; one with its request; and what can be done
 * to one (retry, resend, drop). */
#include "autoconfig.h"
#include "console_private.h"

#include <string.h>

#include "delivery/spool_delivery.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

static const char *
state_name (ph_spool_state state)
{
  static const char *const names[] = { "pending", "dead", "delivered" };

  return names[state];
}

static json_object *
entry_json (ph_console *console, const ph_spool_entry *e)
{
  json_object *out = json_object_new_object ();
  const char *error = e->state == PH_SPOOL_DELIVERED ? NULL : e->last_outcome;

  json_object_object_add (out, "id", json_object_new_string (e->id));
  json_object_object_add (out, "hook", json_object_new_string (e->hook));
  json_object_object_add (out, "event", json_object_new_string (e->event));
  json_object_object_add (out, "source", ph_console_json_string (console, e->source));
  json_object_object_add (out, "state", json_object_new_string (state_name (e->state)));
  json_object_object_add (out, "in_progress", json_object_new_boolean (e->in_progress));
  json_object_object_add (out, "created", ph_console_json_time (e->created));
  json_object_object_add (out, "last_attempt", ph_console_json_time (e->last_attempt));
  json_object_object_add (out, "next_attempt",
                          e->state == PH_SPOOL_PENDING ? ph_console_json_time (e->next_attempt)
                                                       : NULL);
  json_object_object_add (out, "finished", e->state == PH_SPOOL_DELIVERED
                                               ? ph_console_json_time (e->finished) : NULL);
  json_object_object_add (out, "attempts", json_object_new_int64 (e->attempts));
  json_object_object_add (out, "status", json_object_new_int64 (e->last_status));
  json_object_object_add (out, "error", ph_console_json_string (console, error));
  json_object_object_add (out, "duration_s", e->state == PH_SPOOL_DELIVERED
                                                 ? json_object_new_double (e->duration) : NULL);
  return out;
}

static int
newest_first (gconstpointer a, gconstpointer b)
{
  const ph_spool_entry *x = *(const ph_spool_entry *const *) a;
  const ph_spool_entry *y = *(const ph_spool_entry *const *) b;

  return (y->created > x->created) - (y->created < x->created);
}

static gboolean
parse_state (const char *text, int *state)
{
  if (text == NULL || strcmp (text, "") == 0 || strcmp (text, "all") == 0)
    *state = -1;
  else if (strcmp (text, "pending") == 0)
    *state = PH_SPOOL_PENDING;
  else if (strcmp (text, "dead") == 0)
    *state = PH_SPOOL_DEAD;
  else if (strcmp (text, "delivered") == 0)
    *state = PH_SPOOL_DELIVERED;
  else
    return FALSE;
  return TRUE;
}

static void
list (ph_console *console, SoupServerMessage *msg, GHashTable *query)
{
  const char *hook = query != NULL ? g_hash_table_lookup (query, "hook") : NULL;
  const char *state_text = query != NULL ? g_hash_table_lookup (query, "state") : NULL;
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  g_autoptr (GPtrArray) queued = NULL;
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ph_spool_entry_free);
  g_autoptr (GError) error = NULL;
  guint64 limit = DEFAULT_LIMIT;
  json_object *body, *items;
  int state;

  if (hook != NULL && hook[0] == '\0')
    hook = NULL;
  if (!parse_state (state_text, &state))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "state must be pending, dead, delivered or all, not '%s'",
                             state_text);
      return;
    }
  if (limit_text != NULL && limit_text[0] != '\0'
      && (!g_ascii_string_to_unsigned (limit_text, 10, 1, MAX_LIMIT, &limit, NULL)))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_BAD_REQUEST,
                             "limit must be a number from 1 to %d", MAX_LIMIT);
      return;
    }
  if (state != PH_SPOOL_DELIVERED)
    {
      queued = ph_spool_list (console->daemon.spool, &error);
      if (queued == NULL)
        goto failed;
      for (guint i = 0; i < queued->len; i++)
        {
          ph_spool_entry *e = g_ptr_array_index (queued, i);

          if ((hook == NULL || strcmp (e->hook, hook) == 0) && (state < 0 || (int) e->state == state))
            g_ptr_array_add (all, g_ptr_array_steal_index (queued, i--));
        }
    }
  if (state < 0 || state == PH_SPOOL_DELIVERED)
    {
      g_autoptr (GPtrArray) delivered = ph_spool_history_list (console->daemon.spool, hook,
                                                               (guint) limit, &error);
      if (delivered == NULL)
        goto failed;
      g_ptr_array_extend_and_steal (all, g_steal_pointer (&delivered));
    }
  g_ptr_array_sort (all, newest_first);
  body = json_object_new_object ();
  items = json_object_new_array ();
  for (guint i = 0; i < all->len && i < limit; i++)
    json_object_array_add (items, entry_json (console, g_ptr_array_index (all, i)));
  json_object_object_add (body, "deliveries", items);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
  return;

failed:
  ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the spool: %s",
                         error->message);
}

/* The delivery id, from the queue or the history: transfer full, or NULL
 * after answering 404 (or 500). */
static ph_spool_entry *
find (ph_console *console, SoupServerMessage *msg, const char *id)
{
  g_autoptr (GError) error = NULL;
  ph_spool_entry *e = ph_spool_get (console->daemon.spool, id, &error);

  if (e == NULL && g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND))
    {
      g_clear_error (&error);
      e = ph_spool_history_get (console->daemon.spool, id, &error);
    }
  if (e != NULL)
    return e;
  if (g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_NOT_FOUND))
    ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND,
                           "no delivery %s (pending, dead, or among the last delivered)", id);
  else
    ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the spool: %s",
                           error->message);
  return NULL;
}

static void
show (ph_console *console, SoupServerMessage *msg, const char *id)
{
  g_autoptr (ph_spool_entry) e = find (console, msg, id);
  const ph_hook *hook;
  json_object *body;

  if (e == NULL)
    return;
  body = entry_json (console, e);
  json_object_object_add (body, "dead_reason", ph_console_json_string (console, e->dead_reason));
  hook = ph_config_find_hook (console->gen->config, e->hook);
  if (hook != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (printhook_delivery) d = ph_spool_entry_to_delivery (e, hook, &error);

      json_object_object_add (body, "request", d != NULL ? ph_console_request_json (console, d)
                                                         : NULL);
      if (d == NULL)
        json_object_object_add (body, "request_error",
                                ph_console_json_string (console, error->message));
    }
  else
    {
      json_object_object_add (body, "request", NULL);
      json_object_object_add (body, "request_error", ph_console_json_string (
          console, "the hook is no longer in the configuration"));
    }
  if (e->state == PH_SPOOL_DELIVERED)
    {
      json_object *response = json_object_new_object ();

      json_object_object_add (response, "status", json_object_new_int64 (e->last_status));
      json_object_object_add (response, "excerpt", ph_console_json_string (console, e->response));
      json_object_object_add (body, "response", response);
    }
  else
    json_object_object_add (body, "response", NULL);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

static void
answer_state (ph_console *console, SoupServerMessage *msg, const char *id, const char *key,
              json_object *value)
{
  json_object *body = json_object_new_object ();

  json_object_object_add (body, "id", json_object_new_string (id));
  json_object_object_add (body, key, value);
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

static void
retry (ph_console *console, SoupServerMessage *msg, const char *id)
{
  g_autoptr (ph_spool_entry) e = find (console, msg, id);
  g_autoptr (GError) error = NULL;

  if (e == NULL)
    return;
  if (e->state == PH_SPOOL_DELIVERED)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                             "%s was delivered; resend it to send it again", id);
      return;
    }
  if (!ph_spool_retry (console->daemon.spool, id, g_get_real_time (), &error))
    {
      ph_console_send_error (console, msg,
                             g_error_matches (error, PH_SPOOL_ERROR, PH_SPOOL_ERROR_BUSY)
                                 ? SOUP_STATUS_CONFLICT : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                             "%s", error->message);
      return;
    }
  g_info ("console: retrying %s (hook %s, %s) now", id, e->hook, e->event);
  ph_deliverer_kick (console->daemon.deliverer);
  answer_state (console, msg, id, "state", json_object_new_string ("pending"));
}

static void
resend (ph_console *console, SoupServerMessage *msg, const char *id)
{
  g_autoptr (ph_spool_entry) e = find (console, msg, id);
  g_autoptr (GError) error = NULL;
  printhook_delivery *d;
  const ph_hook *hook;
  g_autofree char *new_id = NULL;

  if (e == NULL)
    return;
  if (e->state != PH_SPOOL_DELIVERED)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                             "%s is not delivered yet (%s); retry it instead", id,
                             e->state == PH_SPOOL_DEAD ? "a dead letter" : "pending");
      return;
    }
  hook = ph_config_find_hook (console->gen->config, e->hook);
  if (hook == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                             "hook %s is no longer in the configuration", e->hook);
      return;
    }
  d = ph_spool_entry_to_delivery (e, hook, &error);
  if (d == NULL)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT, "%s", error->message);
      return;
    }
  g_free (d->id);
  d->id = ph_delivery_new_id ();
  new_id = g_strdup (d->id);
  g_info ("console: resending %s of hook %s (%s) as %s", e->event, e->hook, id, new_id);
  ph_deliverer_submit (console->daemon.deliverer, d, console->gen);
  answer_state (console, msg, new_id, "state", json_object_new_string ("pending"));
}

static void
drop (ph_console *console, SoupServerMessage *msg, const char *id)
{
  g_autoptr (ph_spool_entry) e = find (console, msg, id);
  g_autoptr (GError) error = NULL;
  gboolean done;

  if (e == NULL)
    return;
  if (e->in_progress)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_CONFLICT,
                             "%s is being attempted; drop it when the attempt is over", id);
      return;
    }
  done = e->state == PH_SPOOL_DELIVERED
             ? ph_spool_history_remove (console->daemon.spool, id, &error)
             : ph_spool_remove (console->daemon.spool, id, &error);
  if (!done)
    {
      ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the spool: %s",
                             error->message);
      return;
    }
  g_info ("console: dropped %s (hook %s, %s, %s)", id, e->hook, e->event, state_name (e->state));
  answer_state (console, msg, id, "deleted", json_object_new_boolean (TRUE));
}

static void
retry_dead (ph_console *console, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  json_object *body;
  guint count = 0;

  if (!ph_spool_retry_dead (console->daemon.spool, g_get_real_time (), &count, &error))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the spool: %s",
                             error->message);
      return;
    }
  g_info ("console: retrying %u dead %s now", count, count == 1 ? "letter" : "letters");
  ph_deliverer_kick (console->daemon.deliverer);
  body = json_object_new_object ();
  json_object_object_add (body, "count", json_object_new_int64 (count));
  ph_console_send_json (console, msg, SOUP_STATUS_OK, body);
}

void
ph_console_deliveries (ph_console *console, SoupServerMessage *msg, const char *rest,
                       GHashTable *query)
{
  g_auto (GStrv) parts = NULL;
  gboolean reads = ph_console_method_is (msg, "GET") || ph_console_method_is (msg, "HEAD");

  if (rest[0] == '\0' || strcmp (rest, "/") == 0)
    {
      if (reads)
        list (console, msg, query);
      else
        ph_console_not_allowed (console, msg, "GET");
      return;
    }
  parts = g_strsplit (rest + 1, "/", 3);
  if (strcmp (parts[0], "retry-dead") == 0 && parts[1] == NULL)
    {
      if (ph_console_method_is (msg, "POST"))
        retry_dead (console, msg);
      else
        ph_console_not_allowed (console, msg, "POST");
    }
  else if (parts[1] == NULL)
    {
      if (reads)
        show (console, msg, parts[0]);
      else if (ph_console_method_is (msg, "DELETE"))
        drop (console, msg, parts[0]);
      else
        ph_console_not_allowed (console, msg, "GET, DELETE");
    }
  else if (parts[2] == NULL && (strcmp (parts[1], "retry") == 0 || strcmp (parts[1], "resend") == 0))
    {
      if (!ph_console_method_is (msg, "POST"))
        ph_console_not_allowed (console, msg, "POST");
      else if (strcmp (parts[1], "retry") == 0)
        retry (console, msg, parts[0]);
      else
        resend (console, msg, parts[0]);
    }
  else
    ph_console_send_error (console, msg, SOUP_STATUS_NOT_FOUND,
                           "a delivery has retry and resend: /api/v1/deliveries/ID/retry");
}
