#include "autoconfig.h"
#include "spool_delivery.h"

#include "text/json_text.h"

static int
milestone_of (const printhook_delivery *d)
{
  json_object *value = NULL;

  if (d->params != NULL
      && json_object_object_get_ex (d->params, "percentCompleteMilestone", &value)
      && json_object_is_type (value, json_type_int))
    return json_object_get_int (value);
  return 0;
}

GPtrArray *
ph_spool_attachments_from_delivery (const printhook_delivery *d)
{
  GPtrArray *attachments = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ph_spool_attachment_free);

  for (guint i = 0; i < d->attachments->len; i++)
    {
      const ph_attachment *a = g_ptr_array_index (d->attachments, i);
      g_ptr_array_add (attachments, ph_spool_attachment_new (a->field, a->filename,
                                                             a->content_type, a->bytes));
    }
  return attachments;
}

/* The event's value (payload or printer) as JSON text, written once per
 * event under key and shared by its deliveries: writing the printer's
 * doubles costs more than anything else in a spool entry.  Transfer none. */
static const char *
event_text (ph_event *event, const char *key, json_object *value)
{
  char *text = ph_event_shared_get (event, key);

  if (text == NULL)
    {
      text = ph_json_to_text (value, FALSE);
      ph_event_shared_set (event, key, text, g_free);
    }
  return text;
}

ph_spool_entry *
ph_spool_entry_from_delivery (const printhook_delivery *d, gint64 now)
{
  ph_spool_entry *entry = ph_spool_entry_new ();

  entry->id = g_strdup (d->id);
  entry->hook = g_strdup (d->hook->name);
  entry->event = g_strdup (d->event->name);
  entry->source = g_strdup (d->event->source);
  entry->payload = g_strdup (event_text (d->event, "printhook.spool.payload",
                                         d->event->payload));
  entry->printer = g_strdup (event_text (d->event, "printhook.spool.printer",
                                         d->event->printer));
  entry->event_time = d->event->time;
  entry->milestone = milestone_of (d);
  g_ptr_array_unref (entry->attachments);
  entry->attachments = ph_spool_attachments_from_delivery (d);
  entry->created = now;
  entry->window_start = now;
  entry->next_attempt = now;
  return entry;
}

/* One stored JSON object (transfer full), or NULL with error. */
static json_object *
parse_object (const ph_spool_entry *entry, const char *what, const char *text, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (json_object) value = ph_json_parse (text != NULL ? text : "{}", -1, &local_error);

  if (value == NULL || !json_object_is_type (value, json_type_object))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the spooled %s of delivery %s is not a JSON object%s%s", what, entry->id,
                   local_error != NULL ? ": " : "",
                   local_error != NULL ? local_error->message : "");
      return NULL;
    }
  return g_steal_pointer (&value);
}

printhook_delivery *
ph_spool_entry_to_delivery (const ph_spool_entry *entry, const ph_hook *hook, GError **error)
{
  g_autoptr (json_object) payload = parse_object (entry, "payload", entry->payload, error);
  g_autoptr (json_object) printer = NULL;
  g_autoptr (ph_event) event = NULL;
  printhook_delivery *d;

  if (payload == NULL)
    return NULL;
  printer = parse_object (entry, "printer state", entry->printer, error);
  if (printer == NULL)
    return NULL;
  event = ph_event_new (entry->event, entry->source, g_steal_pointer (&payload),
                        g_steal_pointer (&printer));
  event->time = entry->event_time;
  d = ph_delivery_new (hook, event, entry->milestone);
  g_free (d->id);
  d->id = g_strdup (entry->id);
  for (guint i = 0; i < entry->attachments->len; i++)
    {
      const ph_spool_attachment *a = g_ptr_array_index (entry->attachments, i);
      g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);

      ph_delivery_add_attachment (d, a->field, a->filename, a->content_type,
                                  a->bytes != NULL ? a->bytes : empty);
    }
  return d;
}
