#include "autoconfig.h"
#include "delivery.h"

#include <curl/curl.h>
#include <string.h>

#include "text/json_text.h"
#include "params.h"
#include "text/template.h"

static void
header_free (gpointer data)
{
  ph_header *h = data;

  g_free (h->name);
  g_free (h->value);
  g_free (h);
}

static void
attachment_free (gpointer data)
{
  ph_attachment *a = data;

  g_free (a->field);
  g_free (a->filename);
  g_free (a->content_type);
  g_bytes_unref (a->bytes);
  g_free (a);
}

/* "msg_" and a random (version 4) UUID's 32 hex digits, as
 * g_uuid_string_random makes one but formatted by hand: its printf was a
 * fifth of building a delivery.  Standard Webhooks ids must not contain
 * '.', the signature separator; the dashes go too. */
char *
ph_delivery_new_id (void)
{
  static const char hex[] = "0123456789abcdef";
  guint8 uuid[16];
  char *id = g_malloc (sizeof "msg_" + 2 * sizeof uuid);
  char *p = id + sizeof "msg_" - 1;

  for (guint i = 0; i < sizeof uuid; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (uuid + i, &r, sizeof r);
    }
  uuid[6] = (guint8) ((uuid[6] & 0x0f) | 0x40);   /* version 4 (RFC 9562 §5.4) */
  uuid[8] = (guint8) ((uuid[8] & 0x3f) | 0x80);   /* variant 10 (§4.1) */
  memcpy (id, "msg_", sizeof "msg_" - 1);
  for (guint i = 0; i < sizeof uuid; i++)
    {
      *p++ = hex[uuid[i] >> 4];
      *p++ = hex[uuid[i] & 0xf];
    }
  *p = '\0';
  return id;
}

/* The webhook-id of an event forwarded by another printhook (a farm's
 * central daemon): the same for the same event id and hook, on whichever
 * central daemon, so that a receiver sees one id even for a duplicate the
 * central side could not recognize (another daemon of the group took the
 * republication, or it came beyond the window).  Not the milestone: two
 * daemons may number one job's milestones differently, and an event makes
 * one delivery per hook anyway. */
static char *
derived_id (const char *origin, const char *hook)
{
  g_autofree char *seed = g_strdup_printf ("printhook-farm\n%s\n%s", origin, hook);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  return g_strdup_printf ("msg_%.32s", hash);
}

printhook_delivery *
ph_delivery_new (const ph_hook *hook, ph_event *event, int milestone)
{
  printhook_delivery *d = g_new0 (printhook_delivery, 1);

  d->id = event->origin_id != NULL ? derived_id (event->origin_id, hook->name)
                                   : ph_delivery_new_id ();
  d->hook = hook;
  d->event = ph_event_ref (event);
  d->params = ph_params_build (hook, event, milestone);
  d->method = g_strdup (hook->method);
  d->headers = g_ptr_array_new_with_free_func (header_free);
  d->attachments = g_ptr_array_new_with_free_func (attachment_free);
  return d;
}

void
ph_delivery_free (printhook_delivery *d)
{
  if (d == NULL)
    return;
  /* params and data point into the event's trees: they go first (event.h). */
  json_object_put (d->data);
  json_object_put (d->params);
  ph_event_unref (d->event);
  g_free (d->id);
  g_free (d->method);
  g_free (d->url);
  g_ptr_array_unref (d->headers);
  if (d->body != NULL)
    g_bytes_unref (d->body);
  g_ptr_array_unref (d->attachments);
  g_free (d->response.error);
  g_free (d->response.excerpt);
  g_free (d->response.location);
  g_free (d->response.outcome);
  g_free (d);
}

gboolean
ph_delivery_in_stage (printhook_delivery *d, printhook_stage stage)
{
  const GPtrArray *chain = d->hook->chain;
  const ph_chain_link *link;

  if (chain == NULL || d->next_link >= chain->len)
    return FALSE;
  link = g_ptr_array_index (chain, d->next_link);
  return link->module->desc->stage == stage;
}

void
ph_delivery_reset_attempt (printhook_delivery *d)
{
  g_clear_pointer (&d->body, g_bytes_unref);
  g_clear_pointer (&d->response.error, g_free);
  g_clear_pointer (&d->response.excerpt, g_free);
  g_clear_pointer (&d->response.location, g_free);
  g_clear_pointer (&d->response.outcome, g_free);
  memset (&d->response, 0, sizeof d->response);
  d->response.retry_after = -1;
  d->encoded = FALSE;
}

/* Enough of a response body to say what the receiver meant. */
#define EXCERPT_BYTES 1024

void
ph_delivery_note_response (printhook_delivery *d, long status, const char *error, GBytes *body,
                           const char *location, gint64 retry_after, double seconds)
{
  ph_response_note *note = &d->response;
  gsize size = 0;
  const char *bytes = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  g_free (note->error);
  g_free (note->excerpt);
  g_free (note->location);
  note->seen = TRUE;
  note->status = status;
  note->error = g_strdup (error);
  note->body_size = size;
  note->excerpt = bytes != NULL ? g_strndup (bytes, MIN (size, EXCERPT_BYTES)) : NULL;
  note->location = g_strdup (location);
  note->retry_after = retry_after;
  note->seconds = seconds;
}

/* A value from the printer (a file name, a message) may hold a line
 * break, which would start another header; HTTP allows no control
 * character but tab in a field value (RFC 9110 §5.5).  check refuses them
 * in what the user wrote, so these came with the event: each becomes a
 * space, and the webhook still goes out.  Returns whether any did. */
static gboolean
make_header_value_safe (char *text)
{
  gboolean mended = FALSE;

  for (guchar *p = (guchar *) text; *p != '\0'; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      {
        *p = ' ';
        mended = TRUE;
      }
  return mended;
}

/* Says once per hook and header for the life of the process (every
 * progress event of a print with such a file name would say it again),
 * without the value, which may hold a secret. */
static void
say_once_header_was_mended (const ph_hook *hook, const char *header)
{
  static GMutex lock;
  static GHashTable *said;   /* "hook\nheader", kept for the process's life */
  g_autofree char *key = g_strdup_printf ("%s\n%s", hook->name, header);
  gboolean first;

  g_mutex_lock (&lock);
  if (said == NULL)
    said = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  first = !g_hash_table_contains (said, key);
  if (first)
    g_hash_table_add (said, g_steal_pointer (&key));
  g_mutex_unlock (&lock);
  if (first)
    g_message ("hook %s: header '%s' held a line break or control character from the event's "
               "data; each is sent as a space (said once)", hook->name, header);
}

void
ph_delivery_render (printhook_delivery *d)
{
  g_free (d->url);
  d->url = ph_template_render_url (d->hook->url, d->params);
  g_ptr_array_set_size (d->headers, 0);
  json_object_object_foreach (d->hook->headers, name, value)
    {
      g_autofree char *text = NULL;

      if (json_object_is_type (value, json_type_string))
        text = ph_template_render_text (json_object_get_string (value), d->params);
      else
        {
          GString *plain = g_string_new (NULL);
          ph_json_append_plain (plain, value);
          text = g_string_free (plain, FALSE);
        }
      if (make_header_value_safe (text))
        say_once_header_was_mended (d->hook, name);
      ph_delivery_set_header (d, name, text);
    }
  json_object_put (d->data);
  d->data = ph_template_render_json (d->hook->data, d->params);
}

char *
ph_form_encode (json_object *data)
{
  GString *out = g_string_new (NULL);

  json_object_object_foreach (data, key, value)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      char *k, *v;

      if (value == NULL)
        continue;
      ph_json_append_plain (text, value);
      k = curl_easy_escape (NULL, key, 0);
      v = curl_easy_escape (NULL, text->str, text->len);
      if (out->len > 0)
        g_string_append_c (out, '&');
      g_string_append_printf (out, "%s=%s", k, v);
      curl_free (k);
      curl_free (v);
    }
  return g_string_free (out, FALSE);
}

static void
append_query (printhook_delivery *d)
{
  g_autofree char *query = ph_form_encode (d->data);
  g_autofree char *base = NULL;
  const char *hash;
  char *url;

  if (*query == '\0')
    return;
  /* A fragment, if the URL has one, stays last. */
  hash = strchr (d->url, '#');
  base = hash != NULL ? g_strndup (d->url, hash - d->url) : g_strdup (d->url);
  url = g_strconcat (base, strchr (base, '?') != NULL ? "&" : "?", query, hash, NULL);
  g_free (d->url);
  d->url = url;
}

/* "application/json; charset=utf-8" is kept as the user wrote it. */
static gboolean
contains_json_type (const char *content_type)
{
  g_autofree char *lower = g_ascii_strdown (content_type, -1);
  return strstr (lower, "application/json") != NULL;
}

void
ph_delivery_encode_default (printhook_delivery *d)
{
  const char *content_type;

  /* Once per attempt: before the finish stage, and again before send for
   * a chain without finish modules. */
  if (d->encoded)
    return;
  d->encoded = TRUE;
  if (strcmp (d->method, "GET") == 0)
    {
      append_query (d);
      return;
    }
  if (d->body != NULL)
    return;
  {
    g_autofree char *text = ph_json_to_text (d->data, FALSE);
    gsize length = strlen (text);
    d->body = g_bytes_new_take (g_steal_pointer (&text), length);
  }
  content_type = ph_delivery_get_header (d, "Content-Type");
  if (content_type == NULL || !contains_json_type (content_type))
    ph_delivery_set_header (d, "Content-Type", "application/json");
}

const char *
ph_delivery_get_header (printhook_delivery *d, const char *name)
{
  for (guint i = 0; i < d->headers->len; i++)
    {
      ph_header *h = g_ptr_array_index (d->headers, i);
      if (g_ascii_strcasecmp (h->name, name) == 0)
        return h->value;
    }
  return NULL;
}

void
ph_delivery_set_header (printhook_delivery *d, const char *name, const char *value)
{
  gboolean replaced = FALSE;

  for (guint i = 0; i < d->headers->len;)
    {
      ph_header *h = g_ptr_array_index (d->headers, i);

      if (g_ascii_strcasecmp (h->name, name) != 0)
        {
          i++;
          continue;
        }
      /* The first header of that name keeps its place; repeats go. */
      if (value != NULL && !replaced)
        {
          g_free (h->value);
          h->value = g_strdup (value);
          replaced = TRUE;
          i++;
        }
      else
        g_ptr_array_remove_index (d->headers, i);
    }
  if (value != NULL && !replaced)
    {
      ph_header *h = g_new0 (ph_header, 1);
      h->name = g_strdup (name);
      h->value = g_strdup (value);
      g_ptr_array_add (d->headers, h);
    }
}

void
ph_delivery_set_body (printhook_delivery *d, GBytes *body, const char *content_type)
{
  if (d->body != NULL)
    g_bytes_unref (d->body);
  d->body = body != NULL ? g_bytes_ref (body) : NULL;
  if (content_type != NULL)
    ph_delivery_set_header (d, "Content-Type", content_type);
}

void
ph_delivery_add_attachment (printhook_delivery *d, const char *field, const char *filename,
                            const char *content_type, GBytes *bytes)
{
  ph_attachment *a = g_new0 (ph_attachment, 1);

  a->field = g_strdup (field);
  a->filename = g_strdup (filename);
  a->content_type = g_strdup (content_type);
  a->bytes = g_bytes_ref (bytes);
  g_ptr_array_add (d->attachments, a);
}
