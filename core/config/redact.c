#include "autoconfig.h"
#include "redact.h"

#include <string.h>

#include "config_keys.h"
#include "registry/registry.h"

struct ph_redactor {
  GPtrArray *secrets;   /* char *, longest first once applied */
};

ph_redactor *
ph_redactor_new (void)
{
  ph_redactor *redactor = g_new0 (ph_redactor, 1);

  redactor->secrets = g_ptr_array_new_with_free_func (g_free);
  return redactor;
}

void
ph_redactor_free (ph_redactor *redactor)
{
  if (redactor == NULL)
    return;
  g_ptr_array_unref (redactor->secrets);
  g_free (redactor);
}

static int
longest_first (gconstpointer a, gconstpointer b)
{
  gsize la = strlen (*(const char *const *) a), lb = strlen (*(const char *const *) b);
  return la < lb ? 1 : la > lb ? -1 : 0;
}

void
ph_redactor_add (ph_redactor *redactor, const char *secret)
{
  if (secret == NULL || *secret == '\0')
    return;
  g_ptr_array_add (redactor->secrets, g_strdup (secret));
  /* A secret that contains another must be replaced whole, not in part. */
  g_ptr_array_sort (redactor->secrets, longest_first);
}

/* Every string under value (numbers too: a PIN is a secret). */
static void
add_json_leaves (ph_redactor *redactor, json_object *value)
{
  switch (json_object_get_type (value))
    {
    case json_type_object:
      {
        json_object_object_foreach (value, name, child)
          {
            (void) name;
            add_json_leaves (redactor, child);
          }
        break;
      }
    case json_type_array:
      for (size_t i = 0; i < json_object_array_length (value); i++)
        add_json_leaves (redactor, json_object_array_get_idx (value, i));
      break;
    case json_type_string:
    case json_type_int:
    case json_type_double:
      ph_redactor_add (redactor, json_object_get_string (value));
      break;
    default:
      break;
    }
}

/* A secret JSON object (oauth.data, oauth.headers) mixes secrets with
 * plain words ("grant_type": "client_credentials"): only the values under
 * names that say secret (client_secret, Authorization, password...) are
 * hidden, or every "read" in every message would be starred out. */
static void
add_json_secrets (ph_redactor *redactor, json_object *object)
{
  json_object_object_foreach (object, name, value)
    {
      if (ph_header_is_sensitive (name))
        add_json_leaves (redactor, value);
      else if (json_object_is_type (value, json_type_object))
        add_json_secrets (redactor, value);
    }
}

void
ph_redactor_add_params (ph_redactor *redactor, json_object *params)
{
  add_json_secrets (redactor, params);
}

/* The values of hook's keys that table (one of the key tables every key is
 * declared in: the hook's own, a module's) marks secret; prefix: the
 * module's name, NULL for the hook's own keys. */
static void
add_table_secrets (ph_redactor *redactor, const ph_hook *hook, const printhook_config_key *table,
                   const char *prefix)
{
  for (const printhook_config_key *k = table; k != NULL && k->name != NULL; k++)
    {
      g_autofree char *full = NULL;

      if (!k->secret)
        continue;
      full = prefix != NULL ? g_strdup_printf ("%s.%s", prefix, k->name) : g_strdup (k->name);
      if (k->type == PRINTHOOK_KEY_JSON)
        {
          json_object *json = ph_hook_config_get_json (hook->config, full);

          if (json != NULL)
            add_json_secrets (redactor, json);
        }
      else
        ph_redactor_add (redactor, ph_hook_config_get_string (hook->config, full));
    }
}

void
ph_redactor_add_hook (ph_redactor *redactor, const ph_hook *hook)
{
  add_table_secrets (redactor, hook, ph_hook_keys (), NULL);
  for (guint i = 0; hook->chain != NULL && i < hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (hook->chain, i);

      add_table_secrets (redactor, hook, link->module->desc->keys, link->module->name);
    }
}

/* Query parameters whose values are credentials: "?key=...&token=...". */
static gboolean
query_name_is_sensitive (const char *name, gsize length)
{
  static const char *const names[] = {
    "key", "apikey", "api_key", "token", "access_token", "auth", "secret", "password",
    "pass", "sig", "signature", NULL
  };

  for (guint i = 0; names[i] != NULL; i++)
    if (strlen (names[i]) == length && g_ascii_strncasecmp (name, names[i], length) == 0)
      return TRUE;
  return FALSE;
}

/* Services that keep their secret in the URL path, by the step that names
 * them and how many steps later the secret comes: Discord's (and others')
 * .../webhooks/ID/TOKEN, Slack's /services/T.../B.../SECRET, IFTTT's
 * .../with/key/KEY. */
static const struct {
  const char *marker;
  int distance;
} path_secrets[] = {
  { "webhooks", 2 },
  { "services", 3 },
  { "key", 1 },
};

/* Appends one URL (without its scheme) with its credentials hidden: the
 * userinfo, the path secrets above, a Telegram-style "/botID:TOKEN"
 * segment, and credential query values (webhook-delivery.md §5.2: these
 * services keep the secret in the URL). */
static void
append_redacted_url (GString *out, const char *url, gsize length)
{
  gsize authority = strcspn (url, "/?#");
  const char *at = g_strrstr_len (url, MIN (authority, length), "@");
  int since[G_N_ELEMENTS (path_secrets)];
  gsize i = 0;

  for (gsize k = 0; k < G_N_ELEMENTS (path_secrets); k++)
    since[k] = -1;
  if (at != NULL)
    {
      g_string_append (out, PH_REDACTED);
      i = at - url;
    }
  /* The path, one segment at a time. */
  while (i < length && url[i] != '?' && url[i] != '#')
    {
      gboolean secret = FALSE;
      gsize segment;

      g_string_append_c (out, url[i]);   /* the '/' or the host's first byte */
      if (url[i] != '/')
        {
          i++;
          continue;
        }
      i++;
      segment = strcspn (url + i, "/?#");
      segment = MIN (segment, length - i);
      for (gsize k = 0; k < G_N_ELEMENTS (path_secrets); k++)
        {
          if (since[k] >= 0)
            since[k]++;
          secret |= since[k] == path_secrets[k].distance && segment > 0;
          if (segment == strlen (path_secrets[k].marker)
              && g_ascii_strncasecmp (url + i, path_secrets[k].marker, segment) == 0)
            since[k] = 0;
        }
      if (secret)
        g_string_append (out, PH_REDACTED);
      else if (segment > 3 && strncmp (url + i, "bot", 3) == 0
               && memchr (url + i, ':', segment) != NULL)
        g_string_append (out, "bot" PH_REDACTED);
      else
        g_string_append_len (out, url + i, segment);
      i += segment;
    }
  /* The query, one parameter at a time. */
  while (i < length && url[i] != '#')
    {
      gsize param, name_length;

      g_string_append_c (out, url[i]);   /* '?' or '&' */
      i++;
      param = strcspn (url + i, "&#");
      param = MIN (param, length - i);
      name_length = strcspn (url + i, "=");
      if (name_length < param && query_name_is_sensitive (url + i, name_length))
        {
          g_string_append_len (out, url + i, name_length + 1);
          g_string_append (out, PH_REDACTED);
        }
      else
        g_string_append_len (out, url + i, param);
      i += param;
    }
  g_string_append_len (out, url + i, length - i);
}

/* Hides the credentials of every URL in text (see append_redacted_url). */
char *
ph_redact_urls (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *scheme_end;

  while ((scheme_end = strstr (p, "://")) != NULL)
    {
      const char *url = scheme_end + 3;
      gsize span = strcspn (url, " \t\r\n\"'<>");

      g_string_append_len (out, p, url - p);
      append_redacted_url (out, url, span);
      p = url + span;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

char *
ph_redactor_apply (const ph_redactor *redactor, const char *text)
{
  char *result = ph_redact_urls (text);

  for (guint i = 0; i < redactor->secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (redactor->secrets, i);
      g_autoptr (GString) out = NULL;
      const char *p, *hit;

      if (strstr (result, secret) == NULL)
        continue;
      out = g_string_new (NULL);
      for (p = result; (hit = strstr (p, secret)) != NULL; p = hit + strlen (secret))
        {
          g_string_append_len (out, p, hit - p);
          g_string_append (out, PH_REDACTED);
        }
      g_string_append (out, p);
      g_free (result);
      result = g_strdup (out->str);
    }
  return result;
}

gboolean
ph_header_is_sensitive (const char *name)
{
  static const char *const parts[] = {
    "authorization", "cookie", "token", "secret", "password", "passwd", "api-key", "apikey",
    "api_key", "signature", "session", NULL
  };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (strstr (lower, parts[i]) != NULL)
      return TRUE;
  return FALSE;
}
