#include "autoconfig.h"
#include "jsonrpc.h"

#include <string.h>

#include "text/json_text.h"

G_DEFINE_QUARK (ph-jsonrpc-error-quark, ph_jsonrpc_error)

typedef struct {
  gint64 id;
  char *method;
  ph_jsonrpc_reply reply;
  gpointer data;
} pending;

struct ph_jsonrpc {
  gint64 next_id;
  GQueue waiting;           /* pending *, oldest first */
};

static void
pending_free (pending *p)
{
  g_free (p->method);
  g_free (p);
}

ph_jsonrpc *
ph_jsonrpc_new (void)
{
  ph_jsonrpc *rpc = g_new0 (ph_jsonrpc, 1);

  rpc->next_id = 1;
  g_queue_init (&rpc->waiting);
  return rpc;
}

void
ph_jsonrpc_free (ph_jsonrpc *rpc)
{
  if (rpc == NULL)
    return;
  g_queue_clear_full (&rpc->waiting, (GDestroyNotify) pending_free);
  g_free (rpc);
}

char *
ph_jsonrpc_request (ph_jsonrpc *rpc, const char *method, json_object *params,
                    ph_jsonrpc_reply reply, gpointer data)
{
  g_autoptr (json_object) message = json_object_new_object ();
  pending *p = g_new0 (pending, 1);

  p->id = rpc->next_id++;
  p->method = g_strdup (method);
  p->reply = reply;
  p->data = data;
  g_queue_push_tail (&rpc->waiting, p);
  json_object_object_add (message, "jsonrpc", json_object_new_string ("2.0"));
  json_object_object_add (message, "method", json_object_new_string (method));
  if (params != NULL)
    json_object_object_add (message, "params", params);
  json_object_object_add (message, "id", json_object_new_int64 (p->id));
  return ph_json_to_text (message, FALSE);
}

static pending *
take (ph_jsonrpc *rpc, gint64 id)
{
  for (GList *l = rpc->waiting.head; l != NULL; l = l->next)
    {
      pending *p = l->data;

      if (p->id == id)
        {
          g_queue_delete_link (&rpc->waiting, l);
          return p;
        }
    }
  return NULL;
}

/* The server's error object as a GError naming the method. */
static GError *
server_error (const char *method, json_object *error)
{
  json_object *code = NULL, *message = NULL;
  const char *text;

  if (json_object_is_type (error, json_type_object))
    {
      json_object_object_get_ex (error, "code", &code);
      json_object_object_get_ex (error, "message", &message);
    }
  text = json_object_is_type (message, json_type_string) ? json_object_get_string (message)
                                                          : "no message";
  return g_error_new (PH_JSONRPC_ERROR, json_object_is_type (code, json_type_int)
                                        ? json_object_get_int (code) : 0,
                      "%s: %s (error %d)", method, text,
                      json_object_is_type (code, json_type_int) ? json_object_get_int (code) : 0);
}

gboolean
ph_jsonrpc_feed (ph_jsonrpc *rpc, json_object *message, const char **method,
                 json_object **params)
{
  json_object *id, *value;
  pending *p;

  if (!json_object_is_type (message, json_type_object))
    return FALSE;
  /* A notification has a method and no id (printer-apis.md §5.5). */
  if (json_object_object_get_ex (message, "method", &value)
      && json_object_is_type (value, json_type_string)
      && !json_object_object_get_ex (message, "id", NULL))
    {
      *method = json_object_get_string (value);
      *params = json_object_object_get_ex (message, "params", params) ? *params : NULL;
      return TRUE;
    }
  if (!json_object_object_get_ex (message, "id", &id) || !json_object_is_type (id, json_type_int)
      || (p = take (rpc, json_object_get_int64 (id))) == NULL)
    return FALSE;
  if (json_object_object_get_ex (message, "error", &value))
    {
      g_autoptr (GError) error = server_error (p->method, value);

      p->reply (NULL, error, p->data);
    }
  else
    {
      value = NULL;
      json_object_object_get_ex (message, "result", &value);
      p->reply (value, NULL, p->data);
    }
  pending_free (p);
  return FALSE;
}

void
ph_jsonrpc_fail_all (ph_jsonrpc *rpc)
{
  pending *p;

  /* A callback may send a new request: that one waits for a reply of its
   * own, so only those waiting now are failed. */
  for (guint left = g_queue_get_length (&rpc->waiting);
       left > 0 && (p = g_queue_pop_head (&rpc->waiting)) != NULL; left--)
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                              "%s: the connection closed before the answer came",
                                              p->method);

      p->reply (NULL, error, p->data);
      pending_free (p);
    }
}
