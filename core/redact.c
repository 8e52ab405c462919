#include "autoconfig.h"
#include "redact.h"

#include <string.h>

#include "registry.h"

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

void
ph_redactor_add_hook (ph_redactor *redactor, const ph_hook *hook)
{
  ph_redactor_add (redactor, ph_hook_config_get_string (hook->config, "api_secret"));
  ph_redactor_add (redactor, ph_hook_config_get_string (hook->config, "signing_secret"));
  for (guint i = 0; hook->chain != NULL && i < hook->chain->len; i++)
    {
      const ph_chain_link *link = g_ptr_array_index (hook->chain, i);
      const printhook_config_key *k;

      for (k = link->module->desc->keys; k != NULL && k->name != NULL; k++)
        if (k->secret)
          {
            g_autofree char *full = g_strdup_printf ("%s.%s", link->module->name, k->name);
            ph_redactor_add (redactor, ph_hook_config_get_string (hook->config, full));
          }
    }
}

/* Hides "user:pass@" after a "scheme:" and two slashes, wherever it appears. */
static char *
hide_userinfo (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *scheme_end;

  while ((scheme_end = strstr (p, "://")) != NULL)
    {
      const char *authority = scheme_end + 3;
      gsize span = strcspn (authority, "/?# \t\r\n\"'");
      const char *at = g_strrstr_len (authority, span, "@");

      g_string_append_len (out, p, authority - p);
      if (at != NULL)
        {
          g_string_append (out, PH_REDACTED);
          p = at;
        }
      else
        p = authority;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

char *
ph_redactor_apply (const ph_redactor *redactor, const char *text)
{
  char *result = hide_userinfo (text);

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
