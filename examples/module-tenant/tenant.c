/* tenant: a finish-stage printhook module (module ABI 1.1), built out of
 * tree with pkg-config alone.
 *
 * The finish stage runs after the body is encoded (by the chain's encoder,
 * or as JSON by printhook) and before the send module, so a module there
 * sees the request exactly as it will go out.  This one adds two headers:
 *
 *   X-Tenant: farm-7             the hook's tenant.id, under the name
 *                                tenant.header (default X-Tenant)
 *   X-Body-SHA256: 9f86d08...    the SHA-256 of the body bytes as sent,
 *                                in lower-case hex
 *
 * beside any encoder, in any hook:
 *
 *   [hook farm]
 *   url = https://farm.example/hooks/printer
 *   modules = tenant, form-encoder, http-webhook
 *   content_type = form
 *   tenant.id = farm-7
 *
 * X-Body-SHA256 lets a receiver (or a proxy in between) see that the body
 * arrived whole; it is no proof of who sent it: anyone can compute it.
 * For that, give the hook a signing_secret.
 *
 * Everything a module may use is in <printhook/module.h>, and
 * printhook-modules(7) is the guide. */
#include <string.h>

#include <printhook/module.h>

/* The finish stage came with module ABI 1.1: a printhook-dev that is
 * older cannot build this module (and an older printhook would not load
 * it). */
#if PRINTHOOK_ABI_MAJOR == 1 && PRINTHOOK_ABI_MINOR < 1
#error "module-tenant needs printhook's module ABI 1.1 or newer (the finish stage)"
#endif

#define BODY_HEADER "X-Body-SHA256"

static const printhook_host *host;

/* name, type, default, required, secret, min, max, summary.  In a hook the
 * keys are written with the module's name in front: tenant.id,
 * tenant.header. */
static const printhook_config_key keys[] = {
  { "id", PRINTHOOK_KEY_STRING, NULL, TRUE, FALSE, 0, 0,
    "the tenant, sent as the value of the tenant header" },
  { "header", PRINTHOOK_KEY_STRING, "X-Tenant", FALSE, FALSE, 0, 0,
    "the name of the tenant header" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

typedef struct {
  char *id;
  char *header;
} tenant_instance;

static gboolean
tenant_init (const printhook_host *h, G_GNUC_UNUSED GError **error)
{
  /* The host table stays valid until shutdown: keep it. */
  host = h;
  return TRUE;
}

/* A header name is an HTTP token (RFC 9110 §5.6.2): letters, digits and
 * !#$%&'*+-.^_`|~, at least one. */
static gboolean
is_token (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* Headers that the tenant header must not take the place of: this
 * module's other one, those that frame the request or say what the body
 * is, and the signature headers, which http-webhook sets itself (it drops
 * any other header of those names). */
static gboolean
is_reserved (const char *name)
{
  static const char *const reserved[] = {
    BODY_HEADER, "Content-Type", "Content-Length", "Transfer-Encoding", "Host",
    "X-Hub-Signature-256", NULL
  };

  if (g_ascii_strncasecmp (name, "webhook-", strlen ("webhook-")) == 0)
    return TRUE;
  for (guint i = 0; reserved[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, reserved[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Once per hook whose chain names the module, with the hook's validated
 * settings ("printhook check" calls it too, so no I/O here).  printhook
 * has checked the types and that tenant.id is there; the shape of the
 * values is the module's to check.  Each error starts with the key's full
 * name, so that printhook reports it at that key's line of the file. */
static gpointer
tenant_instance_new (const printhook_config *config, GError **error)
{
  const char *id = host->config_get_string (config, "tenant.id");
  const char *header = host->config_get_string (config, "tenant.header");
  tenant_instance *inst;

  if (id == NULL || *id == '\0')
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "tenant.id must not be empty");
      return NULL;
    }
  for (const guchar *p = (const guchar *) id; *p != '\0'; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      {
        g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                     "tenant.id must not hold a line break or other control character "
                     "(it is sent as a header value)");
        return NULL;
      }
  if (header == NULL || !is_token (header))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "tenant.header: '%s' is not a header name (letters, digits and "
                   "!#$%%&'*+-.^_`|~ only)", header != NULL ? header : "");
      return NULL;
    }
  if (is_reserved (header))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_CONFIG,
                   "tenant.header: '%s' is not free for the tenant (choose a header of "
                   "your own, such as X-Tenant)", header);
      return NULL;
    }
  inst = g_new0 (tenant_instance, 1);
  inst->id = g_strdup (id);
  inst->header = g_strdup (header);
  return inst;
}

/* Once per delivery attempt, on the main loop, after the body was encoded
 * and before the send module runs: never block here. */
static printhook_result
tenant_run (gpointer instance, printhook_delivery *d, G_GNUC_UNUSED GError **error)
{
  tenant_instance *inst = instance;
  /* transfer none: the body stays printhook's.  NULL when there is none
   * (a GET sends its data in the URL): the digest is then the empty
   * body's. */
  GBytes *body = host->request_get_body (d);
  gsize size = 0;
  const guchar *bytes = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  GChecksum *sha256 = g_checksum_new (G_CHECKSUM_SHA256);

  if (size > 0)
    g_checksum_update (sha256, bytes, size);
  /* request_set_header copies both strings and replaces any header of
   * that name, one the hook's headers template rendered included. */
  host->request_set_header (d, inst->header, inst->id);
  host->request_set_header (d, BODY_HEADER, g_checksum_get_string (sha256));
  host->log (d, G_LOG_LEVEL_DEBUG, "%s: %s, " BODY_HEADER " over %" G_GSIZE_FORMAT " bytes",
             inst->header, inst->id, size);
  g_checksum_free (sha256);
  return PRINTHOOK_RESULT_DONE;
}

static void
tenant_instance_free (gpointer instance)
{
  tenant_instance *inst = instance;

  g_free (inst->id);
  g_free (inst->header);
  g_free (inst);
}

static const printhook_module_ops ops = {
  .init = tenant_init,
  .instance_new = tenant_instance_new,
  .run = tenant_run,
  .instance_free = tenant_instance_free,
};

/* The module's one exported symbol.  The name must be the file's name
 * without ".so". */
PRINTHOOK_MODULE_DEFINE ("tenant", "1.0", "Adds a tenant header and the body's SHA-256 after encoding",
                         "MIT", PRINTHOOK_STAGE_FINISH, keys, &ops)
