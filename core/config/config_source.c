/* One [source NAME] group: where the events come from (DESIGN.md §7). */
#include "autoconfig.h"

#include <string.h>

#include "config_keys.h"
#include "config_private.h"
#include "text/suggest.h"

void
ph_source_config_free (ph_source_config *source)
{
  if (source == NULL)
    return;
  ph_source_config_clear (source);
  g_free (source);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_source_config, ph_source_config_free)

void
ph_source_config_copy (ph_source_config *to, const ph_source_config *from)
{
  *to = *from;
  to->name = g_strdup (from->name);
  to->file = g_strdup (from->file);
  to->url = g_strdup (from->url);
  to->api_key = g_strdup (from->api_key);
}

void
ph_source_config_clear (ph_source_config *config)
{
  g_free (config->name);
  g_free (config->file);
  g_free (config->url);
  g_free (config->api_key);
}

gboolean
ph_source_config_equal (const ph_source_config *a, const ph_source_config *b)
{
  return strcmp (a->name, b->name) == 0 && a->type == b->type && a->enabled == b->enabled
         && g_strcmp0 (a->url, b->url) == 0 && g_strcmp0 (a->api_key, b->api_key) == 0;
}

/* The value of a source key, or NULL when the group does not set it (or it
 * did not parse, which was reported).  Transfer full. */
static ph_value *
read_key (ph_config_loader *loader, ph_config_file *file, const char *group, const char *key)
{
  if (!g_key_file_has_key (file->keyfile, group, key, NULL))
    return NULL;
  return ph_config_read_value (loader, file, group, key, ph_find_key (ph_source_keys (), key));
}

static void
check_unknown_keys (ph_config_loader *loader, ph_config_file *file, const char *group)
{
  g_auto (GStrv) keys = g_key_file_get_keys (file->keyfile, group, NULL, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (const printhook_config_key *k = ph_source_keys (); k->name != NULL; k++)
    g_ptr_array_add (names, (gpointer) k->name);
  g_ptr_array_add (names, NULL);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *hint;

      if (ph_find_key (ph_source_keys (), keys[i]) != NULL)
        continue;
      hint = ph_suggest (keys[i], (const char *const *) names->pdata);
      ph_config_report (loader, PH_DIAG_ERROR, file, group, keys[i],
                        "unknown key%s%s%s (a source has type, url, api_key and enabled; "
                        "webhook settings belong in a [hook NAME] group)",
                        hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    }
}

static gboolean
check_type (ph_config_loader *loader, ph_config_file *file, const char *group,
            ph_source_config *source)
{
  static const char *const types[] = { "octoprint", "moonraker", NULL };
  g_autoptr (ph_value) value = read_key (loader, file, group, "type");
  const char *hint;

  if (value == NULL)
    {
      if (!g_key_file_has_key (file->keyfile, group, "type", NULL))
        ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                          "a source needs a type: type = octoprint");
      return FALSE;
    }
  g_strstrip (value->text);
  if (g_ascii_strcasecmp (value->text, "octoprint") == 0)
    {
      source->type = PH_SOURCE_OCTOPRINT;
      return TRUE;
    }
  if (g_ascii_strcasecmp (value->text, "moonraker") == 0)
    {
      source->type = PH_SOURCE_MOONRAKER;
      return TRUE;
    }
  hint = ph_suggest (value->text, types);
  ph_config_report (loader, PH_DIAG_ERROR, file, group, "type",
                    "'%s' is not a source type (known: octoprint, moonraker)%s%s%s", value->text,
                    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
  return FALSE;
}

/* A base URL: http or https, a host, no query or fragment, no userinfo
 * (the API key is the credential).  The trailing '/' is dropped so that
 * paths can be appended. */
static void
check_url (ph_config_loader *loader, ph_config_file *file, const char *group,
           ph_source_config *source)
{
  g_autoptr (ph_value) value = read_key (loader, file, group, "url");
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;
  const char *scheme;
  char *text;

  if (value == NULL)
    {
      if (!g_key_file_has_key (file->keyfile, group, "url", NULL))
        ph_config_report (loader, PH_DIAG_ERROR, file, group, NULL,
                          "a source needs a url: url = http://octopi.local");
      return;
    }
  text = g_strstrip (value->text);
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, &error);
  if (uri == NULL)
    {
      ph_config_report (loader, PH_DIAG_ERROR, file, group, "url", "'%s' is not a URL: %s",
                        text, error->message);
      return;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url",
                      "'%s' is not an http:// or https:// URL", text);
  else if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url", "'%s' has no host", text);
  else if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url",
                      "'%s': give the base URL only, without '?' or '#'", text);
  else if (g_uri_get_userinfo (uri) != NULL)
    ph_config_report (loader, PH_DIAG_ERROR, file, group, "url",
                      "the URL must not hold a user or password; the api_key is the credential");
  else
    {
      gsize length = strlen (text);

      while (length > 0 && text[length - 1] == '/')
        length--;
      source->url = g_strndup (text, length);
    }
}

ph_source_config *
ph_config_build_source (ph_config_loader *loader, ph_config_file *file, const char *group,
                        const char *name)
{
  g_autoptr (ph_source_config) source = g_new0 (ph_source_config, 1);
  g_autoptr (ph_value) enabled = NULL;
  g_autoptr (ph_value) api_key = NULL;
  guint errors_before = ph_diag_count (loader->diag, PH_DIAG_ERROR);
  gboolean typed;

  source->name = g_strdup (name);
  source->file = g_strdup (file->path);
  source->line = ph_ini_group_line (file->map, group);
  source->enabled = TRUE;

  check_unknown_keys (loader, file, group);
  typed = check_type (loader, file, group, source);
  check_url (loader, file, group, source);
  enabled = read_key (loader, file, group, "enabled");
  if (enabled != NULL)
    source->enabled = enabled->boolean;
  api_key = read_key (loader, file, group, "api_key");
  if (api_key != NULL)
    source->api_key = g_strdup (g_strstrip (api_key->text));
  /* OctoPrint always needs a key, Moonraker only with [authorization]:
   * say so even when the type is wrong. */
  if ((!typed || source->type == PH_SOURCE_OCTOPRINT)
      && (source->api_key == NULL || *source->api_key == '\0')
      && !(g_key_file_has_key (file->keyfile, group, "api_key", NULL) && api_key == NULL))
    ph_config_report (loader, PH_DIAG_ERROR, file, group,
                      source->api_key != NULL ? "api_key" : NULL,
                      "an OctoPrint source needs an api_key (OctoPrint: Settings > "
                      "Application Keys, or your user's API key)");
  if (ph_diag_count (loader->diag, PH_DIAG_ERROR) > errors_before)
    return NULL;
  return g_steal_pointer (&source);
}
