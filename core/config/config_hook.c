/* One [hook NAME] group: its keys, checked and typed, its templates, and the
 * chain of modules that will deliver it. */
#include "autoconfig.h"

#include <string.h>

#include "config_keys.h"
#include "config_private.h"
#include "event/events.h"
#include "text/json_text.h"
#include "text/suggest.h"
#include "text/template.h"

static void
chain_link_free (gpointer data)
{
  ph_chain_link *link = data;

  if (link->instance != NULL && link->module->desc->ops->instance_free != NULL)
    link->module->desc->ops->instance_free (link->instance);
  g_free (link);
}

void
ph_hook_free (ph_hook *hook)
{
  if (hook == NULL)
    return;
  if (hook->chain != NULL)
    g_ptr_array_unref (hook->chain);
  ph_hook_config_free (hook->config);
  g_free (hook->name);
  g_free (hook->file);
  g_free (hook->url);
  g_strfreev (hook->events);
  g_free (hook->method);
  json_object_put (hook->headers);
  json_object_put (hook->data);
  g_free (hook->snapshot_field);
  if (hook->messages != NULL)
    g_hash_table_unref (hook->messages);
  g_free (hook);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ph_hook, ph_hook_free)

/* What building one hook needs at hand. */
typedef struct {
  ph_config_loader *loader;
  ph_config_file *file;
  const char *group;
  ph_hook *hook;
  GHashTable *module_keys;   /* module prefix -> GPtrArray of full keys the hook set */
  guint errors_before;
} hook_builder;

#define REPORT(b, level, key, ...) \
  ph_config_report ((b)->loader, (level), (b)->file, (b)->group, (key), __VA_ARGS__)

static gboolean
failed (hook_builder *b)
{
  return ph_diag_count (b->loader->diag, PH_DIAG_ERROR) > b->errors_before;
}

/* The value of a key for this hook: the hook's own, else [printhook]'s,
 * else the declared default (NULL when none).  Transfer full. */
static ph_value *
resolve_value (hook_builder *b, const char *full_key, const printhook_config_key *spec,
               gboolean *is_set)
{
  ph_default_entry *fallback = g_hash_table_lookup (b->loader->defaults, full_key);
  g_autoptr (GError) error = NULL;

  *is_set = TRUE;
  if (g_key_file_has_key (b->file->keyfile, b->group, full_key, NULL))
    return ph_config_read_value (b->loader, b->file, b->group, full_key, spec);
  if (fallback != NULL)
    {
      /* Its errors were reported when [printhook] was read. */
      g_autoptr (ph_diag) quiet = ph_diag_new ();
      ph_config_loader silent = *b->loader;

      silent.diag = quiet;
      return ph_config_read_value (&silent, fallback->file, PH_DAEMON_GROUP, full_key, spec);
    }
  *is_set = FALSE;
  if (spec->default_value == NULL)
    return NULL;
  return ph_value_parse (spec, spec->default_value, NULL, &error);
}

static void
put_resolved (hook_builder *b, const char *full_key, const printhook_config_key *spec)
{
  gboolean is_set;
  ph_value *value = resolve_value (b, full_key, spec, &is_set);

  /* A value that failed to parse (already reported) is replaced by the
   * default, so that the other keys can still be checked and every
   * problem reported in one go. */
  if (value == NULL && is_set && spec->default_value != NULL)
    {
      value = ph_value_parse (spec, spec->default_value, NULL, NULL);
      is_set = FALSE;
    }
  if (value != NULL)
    ph_hook_config_put (b->hook->config, full_key, value, is_set);
}

static void
report_unknown_key (hook_builder *b, const char *key)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *hint;

  for (const printhook_config_key *k = ph_hook_keys (); k->name != NULL; k++)
    g_ptr_array_add (names, (gpointer) k->name);
  g_ptr_array_add (names, NULL);
  hint = ph_suggest (key, (const char *const *) names->pdata);
  if (hint != NULL)
    REPORT (b, PH_DIAG_ERROR, key, "unknown key; did you mean '%s'?", hint);
  else
    REPORT (b, PH_DIAG_ERROR, key, "unknown key (module keys are written MODULE.KEY, "
                                   "messages message.EVENT; see printhook modules)");
}

static void
read_message_key (hook_builder *b, const char *key)
{
  const char *event = key + strlen ("message.");
  g_autoptr (ph_value) value = NULL;
  g_autoptr (GError) error = NULL;

  if (!ph_event_name_is_valid (event))
    {
      REPORT (b, PH_DIAG_ERROR, key, "'%s' is not an event name (letters, digits and '_')", event);
      return;
    }
  value = ph_config_read_value (b->loader, b->file, b->group, key, ph_message_key ());
  if (value == NULL)
    return;
  if (!ph_template_check (value->text, &error))
    {
      REPORT (b, PH_DIAG_ERROR, key, "%s", error->message);
      return;
    }
  g_hash_table_insert (b->hook->messages, g_ascii_strdown (event, -1), g_strdup (value->text));
}

/* First pass over the group: core keys parsed into the hook's config,
 * message keys stored, module keys set aside until the chain is known. */
static void
sort_keys (hook_builder *b)
{
  g_auto (GStrv) keys = g_key_file_get_keys (b->file->keyfile, b->group, NULL, NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *key = keys[i];
      const char *dot = strchr (key, '.');

      if (g_str_has_prefix (key, "message."))
        read_message_key (b, key);
      else if (ph_find_key (ph_hook_keys (), key) != NULL)
        continue;
      else if (dot != NULL && dot != key)
        {
          g_autofree char *prefix = g_strndup (key, dot - key);
          GPtrArray *list = g_hash_table_lookup (b->module_keys, prefix);

          if (list == NULL)
            {
              list = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (b->module_keys, g_strdup (prefix), list);
            }
          g_ptr_array_add (list, g_strdup (key));
        }
      else
        report_unknown_key (b, key);
    }
  for (const printhook_config_key *k = ph_hook_keys (); k->name != NULL; k++)
    put_resolved (b, k->name, k);
  /* [printhook] may give default messages too. */
  {
    GHashTableIter iter;
    const char *key;

    g_hash_table_iter_init (&iter, b->loader->defaults);
    while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
      if (g_str_has_prefix (key, "message."))
        {
          ph_default_entry *entry = g_hash_table_lookup (b->loader->defaults, key);
          g_autofree char *event = g_ascii_strdown (key + strlen ("message."), -1);
          g_autofree char *text = NULL;

          if (g_hash_table_contains (b->hook->messages, event) || !ph_event_name_is_valid (event))
            continue;
          text = g_key_file_get_string (entry->file->keyfile, PH_DAEMON_GROUP, key, NULL);
          if (text != NULL && ph_template_check (text, NULL))
            g_hash_table_insert (b->hook->messages, g_steal_pointer (&event), g_steal_pointer (&text));
        }
  }
}

static const char *
config_string (hook_builder *b, const char *key)
{
  return ph_hook_config_get_string (b->hook->config, key);
}

static void
check_url (hook_builder *b)
{
  const char *url = config_string (b, "url");
  g_autoptr (GError) error = NULL;

  gboolean http = ph_chain_sends_http (b->loader,
                                       ph_hook_config_get_list (b->hook->config, "modules"));

  b->hook->url = g_strstrip (g_strdup (url != NULL ? url : ""));
  if (*b->hook->url == '\0')
    {
      if (b->hook->enabled && http)
        REPORT (b, PH_DIAG_ERROR, url == NULL ? NULL : "url",
                "an enabled hook needs a url (or set enabled = false)");
      return;
    }
  if (!ph_template_check (b->hook->url, &error))
    REPORT (b, PH_DIAG_ERROR, "url", "%s", error->message);
  else if (http && b->hook->url[0] != '@'
           && g_ascii_strncasecmp (b->hook->url, "http://", 7) != 0
           && g_ascii_strncasecmp (b->hook->url, "https://", 8) != 0)
    REPORT (b, PH_DIAG_ERROR, "url", "'%s' is not an http:// or https:// URL", b->hook->url);
}

static void
check_events (hook_builder *b)
{
  const char *const *events = ph_hook_config_get_list (b->hook->config, "events");
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; events != NULL && events[i] != NULL; i++)
    {
      const char *event = events[i];
      const char *builtin;

      if (strcmp (event, "*") == 0)
        {
          b->hook->all_events = TRUE;
          continue;
        }
      if (!ph_event_name_is_valid (event))
        {
          REPORT (b, PH_DIAG_ERROR, "events",
                  "'%s' is not an event name (letters, digits and '_', or * for all)", event);
          continue;
        }
      builtin = ph_event_builtin (event);
      if (builtin == NULL)
        {
          const char *hint = ph_suggest (event, ph_event_builtin_names ());
          if (hint != NULL)
            REPORT (b, PH_DIAG_WARNING, "events",
                    "'%s' is not a built-in event, so it is taken as a custom event; "
                    "did you mean '%s'?", event, hint);
        }
      g_strv_builder_add (names, builtin != NULL ? builtin : event);
    }
  b->hook->events = g_strv_builder_end (names);
  if (!b->hook->all_events && b->hook->events[0] == NULL)
    REPORT (b, PH_DIAG_WARNING, "events", "no events: this hook will never be sent");
}

static void
check_method_and_content_type (hook_builder *b)
{
  static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE", "GET", NULL };
  static const char *const content_types[] = { "json", "form", "multipart", NULL };
  g_autofree char *method = g_ascii_strup (config_string (b, "method"), -1);
  const char *content_type = config_string (b, "content_type");

  g_strstrip (method);
  if (!g_strv_contains (methods, method))
    REPORT (b, PH_DIAG_ERROR, "method", "'%s' is not one of POST, PUT, PATCH, DELETE, GET",
            config_string (b, "method"));
  b->hook->method = g_steal_pointer (&method);

  if (g_ascii_strcasecmp (content_type, "json") == 0)
    b->hook->content_type = PH_CONTENT_JSON;
  else if (g_ascii_strcasecmp (content_type, "form") == 0)
    b->hook->content_type = PH_CONTENT_FORM;
  else if (g_ascii_strcasecmp (content_type, "multipart") == 0)
    b->hook->content_type = PH_CONTENT_MULTIPART;
  else
    {
      const char *hint = ph_suggest (content_type, content_types);
      REPORT (b, PH_DIAG_ERROR, "content_type", "'%s' is not json, form or multipart%s%s%s",
              content_type, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    }
}

/* RFC 9110 token characters. */
static gboolean
header_name_is_valid (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

static void
check_headers (hook_builder *b)
{
  json_object *headers = ph_hook_config_get_json (b->hook->config, "headers");

  b->hook->headers = headers != NULL ? json_object_get (headers) : json_object_new_object ();
  json_object_object_foreach (b->hook->headers, name, value)
    {
      g_autoptr (GError) error = NULL;

      if (!header_name_is_valid (name))
        REPORT (b, PH_DIAG_ERROR, "headers", "'%s' is not a valid header name", name);
      else if (json_object_is_type (value, json_type_object)
               || json_object_is_type (value, json_type_array) || value == NULL)
        REPORT (b, PH_DIAG_ERROR, "headers", "the value of header '%s' must be a string, "
                                             "number or boolean", name);
      else if (json_object_is_type (value, json_type_string)
               && strpbrk (json_object_get_string (value), "\r\n") != NULL)
        REPORT (b, PH_DIAG_ERROR, "headers", "the value of header '%s' holds a line break, "
                                             "which would start another header", name);
      else if (json_object_is_type (value, json_type_string)
               && !ph_template_check (json_object_get_string (value), &error))
        REPORT (b, PH_DIAG_ERROR, "headers", "header '%s': %s", name, error->message);
    }
}

static void
check_templates_in (hook_builder *b, const char *key, json_object *value, const char *where)
{
  g_autoptr (GError) error = NULL;

  switch (json_object_get_type (value))
    {
    case json_type_string:
      if (!ph_template_check (json_object_get_string (value), &error))
        REPORT (b, PH_DIAG_ERROR, key, "at %s: %s", where, error->message);
      break;
    case json_type_object:
      {
        json_object_object_foreach (value, name, child)
          {
            g_autofree char *path = g_strdup_printf ("%s.%s", where, name);
            check_templates_in (b, key, child, path);
          }
        break;
      }
    case json_type_array:
      for (size_t i = 0; i < json_object_array_length (value); i++)
        {
          g_autofree char *path = g_strdup_printf ("%s[%zu]", where, i);
          check_templates_in (b, key, json_object_array_get_idx (value, i), path);
        }
      break;
    default:
      break;
    }
}

/* The plugin's documented default body. */
static json_object *
default_data (void)
{
  static const char *const names[] = { "deviceIdentifier", "apiSecret", "topic", "message", "extra" };
  json_object *data = json_object_new_object ();

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *param = g_strconcat ("@", names[i], NULL);
      json_object_object_add (data, names[i], json_object_new_string (param));
    }
  return data;
}

static void
check_data (hook_builder *b)
{
  json_object *data = ph_hook_config_get_json (b->hook->config, "data");
  const char *data_file = config_string (b, "data_file");
  const char *key = "data";
  g_autoptr (json_object) template = NULL;

  if (data != NULL && data_file != NULL && ph_hook_config_is_set (b->hook->config, "data_file"))
    {
      REPORT (b, PH_DIAG_ERROR, "data_file", "set either data or data_file, not both");
      return;
    }
  if (data_file != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;

      key = "data_file";
      if (!g_file_get_contents (data_file, &text, NULL, &error))
        {
          REPORT (b, PH_DIAG_ERROR, key, "cannot read: %s", error->message);
          return;
        }
      template = ph_json_parse (text, -1, &error);
      if (template == NULL)
        {
          REPORT (b, PH_DIAG_ERROR, key, "%s: invalid JSON: %s", data_file, error->message);
          return;
        }
      if (!json_object_is_type (template, json_type_object))
        {
          REPORT (b, PH_DIAG_ERROR, key, "%s: must hold a JSON object ({...})", data_file);
          return;
        }
    }
  else if (data != NULL)
    template = json_object_get (data);
  else
    template = default_data ();

  /* "@snapshot" counts only as the whole value of a top-level key, and only
   * the first such key (DESIGN.md §5); it is taken out of the template. */
  b->hook->data = json_object_new_object ();
  json_object_object_foreach (template, name, value)
    {
      if (json_object_is_type (value, json_type_string)
          && strcmp (json_object_get_string (value), "@snapshot") == 0)
        {
          if (b->hook->snapshot_field == NULL)
            {
              b->hook->snapshot_field = g_strdup (name);
              continue;
            }
          REPORT (b, PH_DIAG_WARNING, key, "only the first \"@snapshot\" key (%s) gets the "
                                           "image; '%s' is sent empty", b->hook->snapshot_field,
                  name);
        }
      json_object_object_add (b->hook->data, name, json_object_get (value));
    }
  check_templates_in (b, key, b->hook->data, "data");
}

static void
check_signing (hook_builder *b)
{
  const char *signature = config_string (b, "signature");
  const char *secret = config_string (b, "signing_secret");

  if (strcmp (signature, "standard") != 0 && strcmp (signature, "github") != 0)
    {
      REPORT (b, PH_DIAG_ERROR, "signature", "'%s' is not standard or github", signature);
      return;
    }
  if (secret == NULL)
    return;
  if (*secret == '\0')
    REPORT (b, PH_DIAG_ERROR, "signing_secret", "is empty");
  else if (strcmp (signature, "standard") == 0)
    {
      gsize length = 0;
      g_autofree guchar *key = NULL;
      g_autoptr (GString) padded = NULL;
      const char *b64 = secret + strlen ("whsec_");

      if (!g_str_has_prefix (secret, "whsec_"))
        {
          REPORT (b, PH_DIAG_ERROR, "signing_secret",
                  "a Standard Webhooks secret starts with whsec_ followed by base64 "
                  "(or set signature = github)");
          return;
        }
      for (const char *p = b64; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
          {
            REPORT (b, PH_DIAG_ERROR, "signing_secret", "the part after whsec_ is not base64");
            return;
          }
      /* Decoded as the signer and listen's verifier decode it: padding
       * optional. */
      padded = g_string_new (b64);
      while (padded->len % 4 != 0)
        g_string_append_c (padded, '=');
      key = g_base64_decode (padded->str, &length);
      if (length == 0)
        REPORT (b, PH_DIAG_ERROR, "signing_secret", "the part after whsec_ is empty");
      else if (length < 24)
        REPORT (b, PH_DIAG_WARNING, "signing_secret",
                "the key is %zu bytes; Standard Webhooks asks for 24 to 64 random bytes", length);
      /* The signature is right, but the spec's own verifiers parse the
       * payload as JSON once it checks out, and fail on a form. */
      if (b->hook->content_type != PH_CONTENT_JSON)
        REPORT (b, PH_DIAG_WARNING, "signing_secret",
                "Standard Webhooks verifiers read the body as JSON, and this hook sends %s: "
                "set signature = github to sign a non-JSON body",
                b->hook->content_type == PH_CONTENT_FORM ? "a form" : "multipart");
    }
}

/* libcurl reads tls_ca_file as PEM only when it sends: without a
 * certificate in it, every delivery would fail with "error setting
 * certificate file" until it is a dead letter. */
static void
check_ca_file (hook_builder *b, const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, &text, NULL, &error))
    REPORT (b, PH_DIAG_ERROR, "tls_ca_file", "%s", error->message);
  else if (strstr (text, "-----BEGIN CERTIFICATE-----") == NULL)
    REPORT (b, PH_DIAG_ERROR, "tls_ca_file", "%s holds no PEM certificate "
                                             "(-----BEGIN CERTIFICATE-----)", path);
}

static void
check_transport (hook_builder *b)
{
  const char *ca_file = config_string (b, "tls_ca_file");
  const char *const *schedule = ph_hook_config_get_list (b->hook->config, "retry.schedule");

  if (!ph_hook_config_get_bool (b->hook->config, "tls_verify"))
    REPORT (b, PH_DIAG_WARNING, "tls_verify",
            "TLS certificates are not checked for this hook: anyone on the path can read "
            "and change its requests (prefer tls_ca_file)");
  if (ca_file != NULL && !g_file_test (ca_file, G_FILE_TEST_IS_REGULAR))
    REPORT (b, PH_DIAG_ERROR, "tls_ca_file", "%s does not exist or is not a file", ca_file);
  else if (ca_file != NULL)
    check_ca_file (b, ca_file);
  if (schedule != NULL && schedule[0] == NULL)
    REPORT (b, PH_DIAG_ERROR, "retry.schedule", "needs at least one delay in seconds");
  for (guint i = 0; schedule != NULL && schedule[i] != NULL; i++)
    {
      char *end = NULL;
      double seconds = g_ascii_strtod (schedule[i], &end);

      if (end == schedule[i] || *end != '\0' || !(seconds > 0) || seconds > 31536000)
        REPORT (b, PH_DIAG_ERROR, "retry.schedule", "'%s' is not a number of seconds above 0",
                schedule[i]);
    }
}

static void
check_messages (hook_builder *b)
{
  GHashTableIter iter;
  const char *event;

  if (b->hook->all_events)
    return;
  g_hash_table_iter_init (&iter, b->hook->messages);
  while (g_hash_table_iter_next (&iter, (gpointer *) &event, NULL))
    if (!ph_hook_subscribes (b->hook, event))
      {
        g_autofree char *key = NULL;
        g_auto (GStrv) keys = g_key_file_get_keys (b->file->keyfile, b->group, NULL, NULL);

        for (guint i = 0; keys[i] != NULL && key == NULL; i++)
          if (g_str_has_prefix (keys[i], "message.")
              && g_ascii_strcasecmp (keys[i] + strlen ("message."), event) == 0)
            key = g_strdup (keys[i]);
        if (key != NULL)
          REPORT (b, PH_DIAG_WARNING, key, "this hook does not subscribe to %s (see events), "
                                           "so this message is never used",
                  key + strlen ("message."));
      }
}

/* The module keys the hook set: each module must be in the chain and
 * declare the key; module keys of modules outside the chain are checked
 * and reported as having no effect. */
static void
check_module_keys (hook_builder *b, GPtrArray *modules)
{
  GHashTableIter iter;
  const char *prefix;
  GPtrArray *keys;

  g_hash_table_iter_init (&iter, b->module_keys);
  while (g_hash_table_iter_next (&iter, (gpointer *) &prefix, (gpointer *) &keys))
    {
      g_autoptr (GError) error = NULL;
      const ph_module *module = NULL;
      gboolean in_chain = FALSE;

      for (guint i = 0; modules != NULL && i < modules->len; i++)
        if (strcmp (((const ph_module *) g_ptr_array_index (modules, i))->name, prefix) == 0)
          {
            module = g_ptr_array_index (modules, i);
            in_chain = TRUE;
          }
      if (module == NULL)
        module = ph_registry_load (b->loader->registry, prefix, &error);
      if (module == NULL)
        {
          const char *const *names = ph_hook_config_get_list (b->hook->config, "modules");
          g_autoptr (GString) list = g_string_new (NULL);

          /* One error per module that cannot be used: the chain said why
           * already when it names the module; its keys are not unknown. */
          if (names != NULL && g_strv_contains (names, prefix))
            continue;
          for (guint i = 0; i < keys->len; i++)
            g_string_append_printf (list, "%s%s", i > 0 ? ", " : "",
                                    (const char *) g_ptr_array_index (keys, i));
          REPORT (b, PH_DIAG_ERROR, g_ptr_array_index (keys, 0), "%s %s: %s",
                  keys->len > 1 ? "keys" : "key", list->str, error->message);
          continue;
        }
      for (guint i = 0; i < keys->len; i++)
        {
          const char *key = g_ptr_array_index (keys, i);
          const printhook_config_key *spec;

          spec = ph_find_key (module->desc->keys, key + strlen (prefix) + 1);
          if (spec == NULL)
            {
              g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
              const char *hint;

              for (const printhook_config_key *k = module->desc->keys; k != NULL && k->name != NULL; k++)
                g_ptr_array_add (names, g_strdup_printf ("%s.%s", prefix, k->name));
              g_ptr_array_add (names, NULL);
              hint = ph_suggest (key, (const char *const *) names->pdata);
              REPORT (b, PH_DIAG_ERROR, key, "module '%s' has no such key%s%s%s", prefix,
                      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
              continue;
            }
          if (!in_chain)
            {
              g_autoptr (ph_value) value = ph_config_read_value (b->loader, b->file, b->group,
                                                                 key, spec);
              if (value != NULL)
                REPORT (b, PH_DIAG_WARNING, key, "module '%s' is not in this hook's chain, "
                                                 "so this key has no effect", prefix);
            }
        }
    }
}

static const char *
content_type_word (ph_content_type type)
{
  return type == PH_CONTENT_FORM ? "form" : type == PH_CONTENT_MULTIPART ? "multipart" : "json";
}

/* A chain the user wrote and content_type must say the same: the chain's
 * encoder decides what is sent (form-encoder a form, multipart a
 * multipart body, none JSON), so a content_type it cannot honour is an
 * error, and one it contradicts a warning. */
static void
check_chain_content_type (hook_builder *b, GPtrArray *modules)
{
  ph_content_type said = b->hook->content_type;
  gboolean set = ph_hook_config_is_set (b->hook->config, "content_type");
  const ph_module *encoder = NULL, *sender = NULL;
  ph_content_type made;

  for (guint i = 0; i < modules->len; i++)
    {
      const ph_module *module = g_ptr_array_index (modules, i);

      if (module->desc->stage == PRINTHOOK_STAGE_ENCODE)
        encoder = module;
      else if (module->desc->stage == PRINTHOOK_STAGE_SEND)
        sender = module;
    }
  if (encoder == NULL)
    {
      /* Another send module may encode by content_type itself. */
      if (said != PH_CONTENT_JSON && sender != NULL && strcmp (sender->name, "http-webhook") == 0)
        REPORT (b, PH_DIAG_ERROR, "content_type", "content_type = %s, but the chain has no "
                "encoder: the body would go out as JSON (add %s to modules)",
                content_type_word (said), said == PH_CONTENT_FORM ? "form-encoder" : "multipart");
      return;
    }
  if (strcmp (encoder->name, "form-encoder") == 0)
    made = PH_CONTENT_FORM;
  else if (strcmp (encoder->name, "multipart") == 0)
    made = PH_CONTENT_MULTIPART;
  else
    return;   /* a third party's encoder says what it makes */
  if (made != said)
    REPORT (b, PH_DIAG_WARNING, set ? "content_type" : "modules",
            "%s in the chain sends %s, while content_type %s %s; set content_type = %s",
            encoder->name, made == PH_CONTENT_FORM ? "a form" : "a multipart body",
            set ? "says" : "is, by default,", content_type_word (said), content_type_word (made));
}

/* The key a module's message is about: the longest key the hook set that
 * the message starts with, followed by a space, ':' or '=' ("mqtt.url:
 * ...", "content_type = form: ..."), or NULL (module.h asks modules to
 * start so).  Transfer none. */
static const char *
key_of_message (hook_builder *b, const ph_module *module, const char *message)
{
  const char *best = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);

  for (const printhook_config_key *k = module->desc->keys; k != NULL && k->name != NULL; k++)
    g_ptr_array_add (candidates, g_strdup_printf ("%s.%s", module->name, k->name));
  for (const printhook_config_key *k = ph_hook_keys (); k->name != NULL; k++)
    g_ptr_array_add (candidates, g_strdup (k->name));
  for (guint i = 0; i < candidates->len; i++)
    {
      const char *key = g_ptr_array_index (candidates, i);
      gsize len = strlen (key);

      if (strncmp (message, key, len) == 0 && strchr (" :=", message[len]) != NULL
          && message[len] != '\0' && ph_hook_config_is_set (b->hook->config, key)
          && (best == NULL || len > strlen (best)))
        best = g_intern_string (key);
    }
  return best;
}

/* Fills in every key of every module of the chain and creates the
 * modules' instances for this hook. */
static void
build_chain (hook_builder *b, GPtrArray *modules)
{
  b->hook->chain = g_ptr_array_new_with_free_func (chain_link_free);
  for (guint i = 0; i < modules->len; i++)
    {
      const ph_module *module = g_ptr_array_index (modules, i);

      for (const printhook_config_key *k = module->desc->keys; k != NULL && k->name != NULL; k++)
        {
          g_autofree char *full = g_strdup_printf ("%s.%s", module->name, k->name);

          put_resolved (b, full, k);
          if (k->required && ph_hook_config_get (b->hook->config, full) == NULL)
            REPORT (b, PH_DIAG_ERROR, NULL, "module '%s' needs %s", module->name, full);
        }
    }
  if (failed (b))
    return;
  for (guint i = 0; i < modules->len; i++)
    {
      const ph_module *module = g_ptr_array_index (modules, i);
      g_autoptr (GError) error = NULL;
      ph_chain_link *link;

      if (!ph_registry_init_module (b->loader->registry, module, b->loader->host, &error))
        {
          REPORT (b, PH_DIAG_ERROR, NULL, "%s", error->message);
          continue;
        }
      link = g_new0 (ph_chain_link, 1);
      link->module = module;
      if (module->desc->ops->instance_new != NULL)
        {
          link->instance = module->desc->ops->instance_new (b->hook->config, &error);
          if (link->instance == NULL)
            {
              const char *said = error != NULL ? error->message : "rejected this hook's settings";

              REPORT (b, PH_DIAG_ERROR, key_of_message (b, module, said), "module '%s': %s",
                      module->name, said);
              g_free (link);
              continue;
            }
        }
      g_ptr_array_add (b->hook->chain, link);
    }
}

ph_hook *
ph_config_build_hook (ph_config_loader *loader, ph_config_file *file, const char *group,
                      const char *name)
{
  g_autoptr (ph_hook) hook = g_new0 (ph_hook, 1);
  g_autoptr (GHashTable) module_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                              (GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GPtrArray) modules = NULL;
  hook_builder b = { loader, file, group, hook, module_keys,
                     ph_diag_count (loader->diag, PH_DIAG_ERROR) };
  const char *const *names;
  gboolean core_failed;

  hook->name = g_strdup (name);
  hook->file = g_strdup (file->path);
  hook->line = ph_ini_group_line (file->map, group);
  hook->config = ph_hook_config_new (name);
  hook->messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  sort_keys (&b);
  hook->enabled = ph_hook_config_get_bool (hook->config, "enabled");
  check_url (&b);
  check_events (&b);
  check_method_and_content_type (&b);
  check_headers (&b);
  check_data (&b);
  check_signing (&b);
  check_transport (&b);
  check_messages (&b);
  /* A hook with errors in its own keys still has its chain's keys checked:
   * every problem of a hook is reported at once, a module key's typo too.
   * Only its modules are not set up for it. */
  core_failed = failed (&b);

  names = ph_hook_config_get_list (hook->config, "modules");
  if (names != NULL)
    modules = ph_chain_resolve (loader, file, group, names);
  else
    {
      gboolean has_oauth = g_key_file_has_key (file->keyfile, group, "oauth.url", NULL)
                           || g_hash_table_contains (loader->defaults, "oauth.url");
      g_auto (GStrv) derived = ph_chain_derive (has_oauth,
                                                hook->snapshot_field != NULL, hook->method,
                                                hook->content_type);
      modules = ph_chain_resolve (loader, file, group, (const char *const *) derived);
    }
  if (hook->snapshot_field != NULL && strcmp (hook->method, "GET") == 0)
    REPORT (&b, PH_DIAG_WARNING, "method", "a GET request carries no file: the snapshot "
                                           "in '%s' is never sent", hook->snapshot_field);
  check_module_keys (&b, modules);
  if (names != NULL && modules != NULL)
    check_chain_content_type (&b, modules);
  if (modules == NULL || core_failed)
    return NULL;
  /* Even after an error: the module keys' own problems get reported too. */
  build_chain (&b, modules);
  if (failed (&b))
    return NULL;
  return g_steal_pointer (&hook);
}
