#include "mqtt_link.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <mqtt_protocol.h>

/* Back-off between connection attempts: doubles from the first to the
 * last, and starts again from the first after a connection that worked. */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_LAST_MS 30000

typedef enum { LINK_IDLE, LINK_CONNECTING, LINK_CONNECTED, LINK_WAITING } link_state;

typedef struct {
  GSource source;
  ph_mqtt_link *link;
  gpointer fd_tag;
  GIOCondition events;         /* what fd_tag waits for now */
} socket_source;

struct ph_mqtt_link {
  /* Options, owned copies. */
  char *host, *username, *password, *client_id, *ca_file, *cert_file, *key_file;
  char *will_topic, *will_payload, *name, *tls_name;
  SSL_CTX *ssl_ctx;              /* with tls_name: checks the certificate against it */
  char *tls_problem;             /* what the check of this attempt found wrong, or NULL */
  char *tls_refused_name;        /* the CN of a certificate refused for its name, or NULL */
  guint16 port;
  gboolean tls, tls_verify, clean_session;
  int protocol;
  guint keepalive_s;
  double connect_timeout_s;

  const ph_mqtt_link_callbacks *callbacks;
  gpointer user_data;
  GMainContext *context;

  link_state state;
  struct mosquitto *mosq;        /* this attempt's client; NULL when idle/waiting */
  socket_source *socket;         /* watches mosq's socket while it has one */
  guint misc_timer;              /* keep-alive: loop_misc once a second */
  guint attempt_timer;           /* no CONNACK in time */
  guint retry_timer;             /* end of the back-off */
  guint backoff_ms;
  char *last_error;
  /* QoS 0 messages count as published when written, which libmosquitto
   * may do inside mosquitto_publish, before our caller knows the mid: those
   * are told from an idle callback instead. */
  gboolean publishing;
  GArray *early_mids;
  guint early_idle;
};

static void link_connect (ph_mqtt_link *link);

void
ph_mqtt_lib_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      mosquitto_lib_init ();
      g_once_init_leave (&once, 1);
    }
}

static void
set_error (ph_mqtt_link *link, const char *why)
{
  g_free (link->last_error);
  link->last_error = g_strdup (why);
}

static void
remove_source (GMainContext *context, guint *id)
{
  if (*id == 0)
    return;
  {
    GSource *source = g_main_context_find_source_by_id (context, *id);

    if (source != NULL)
      g_source_destroy (source);
  }
  *id = 0;
}

/* Drops this attempt's client and its socket watch; nothing is sent. */
static void
drop_client (ph_mqtt_link *link)
{
  if (link->socket != NULL)
    {
      g_source_destroy (&link->socket->source);
      g_source_unref (&link->socket->source);
      link->socket = NULL;
    }
  remove_source (link->context, &link->misc_timer);
  remove_source (link->context, &link->attempt_timer);
  if (link->mosq != NULL)
    {
      mosquitto_destroy (link->mosq);
      link->mosq = NULL;
    }
}

static gboolean
retry_due (gpointer user_data)
{
  ph_mqtt_link *link = user_data;

  link->retry_timer = 0;
  link_connect (link);
  return G_SOURCE_REMOVE;
}

/* The link went down for why: tell the owner, then wait out the back-off.
 * The client is destroyed from an idle callback when we are inside one of
 * libmosquitto's calls, which still uses it. */
static gboolean
destroy_later (gpointer mosq)
{
  mosquitto_destroy (mosq);
  return G_SOURCE_REMOVE;
}

static void
link_down (ph_mqtt_link *link, const char *why, gboolean refused, gboolean inside_library)
{
  GSource *retry;

  set_error (link, why);
  if (inside_library && link->mosq != NULL)
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, destroy_later, link->mosq, NULL);
      g_source_attach (idle, link->context);
      g_source_unref (idle);
      link->mosq = NULL;
    }
  drop_client (link);
  link->state = LINK_WAITING;
  retry = g_timeout_source_new (link->backoff_ms);
  g_source_set_callback (retry, retry_due, link, NULL);
  link->retry_timer = g_source_attach (retry, link->context);
  g_source_unref (retry);
  link->backoff_ms = MIN (link->backoff_ms * 2, BACKOFF_LAST_MS);
  if (link->callbacks->down != NULL)
    link->callbacks->down (link, why, refused, link->user_data);
}

/* A libmosquitto call on the socket failed: the connection is gone. */
static void
socket_failed (ph_mqtt_link *link, int rc)
{
  g_autofree char *why = NULL;

  if (link->state == LINK_CONNECTING && link->tls_problem != NULL)
    why = g_strdup (link->tls_problem);
  else if (link->state == LINK_CONNECTING)
    why = g_strdup_printf ("could not connect to %s: %s", link->name,
                           rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
  else
    why = g_strdup_printf ("lost the connection to %s: %s", link->name,
                           rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
  link_down (link, why, FALSE, FALSE);
}

static gboolean
socket_prepare (GSource *source, gint *timeout)
{
  socket_source *s = (socket_source *) source;
  ph_mqtt_link *link = s->link;

  *timeout = -1;
  /* Wait for "writable" only while libmosquitto has bytes queued: a
   * connect in progress, a publish made inside a callback, a big packet.
   * Only when that changes: g_source_modify_unix_fd wakes the loop, and
   * calling it on every turn kept an idle daemon spinning. */
  if (link->mosq != NULL)
    {
      GIOCondition wanted = G_IO_IN | G_IO_HUP | G_IO_ERR
                            | (mosquitto_want_write (link->mosq) ? G_IO_OUT : 0);

      if (wanted != s->events)
        {
          g_source_modify_unix_fd (source, s->fd_tag, wanted);
          s->events = wanted;
        }
    }
  return FALSE;
}

static gboolean
socket_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  socket_source *s = (socket_source *) source;
  ph_mqtt_link *link = s->link;
  GIOCondition ready = g_source_query_unix_fd (source, s->fd_tag);
  int rc = MOSQ_ERR_SUCCESS;

  if (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      rc = mosquitto_loop_read (link->mosq, 16);
#ifdef TCP_QUICKACK
      /* Acknowledge what came at once, not after Linux's delayed-ACK wait
       * (up to 40 ms): a broker that does not set TCP_NODELAY (mosquitto's
       * default) holds its next message to us until our ACK of the last
       * one it sent, so a subscriber that publishes back (a farm's central
       * daemon answering each event) got its events in 40 ms bunches.
       * Linux clears the flag again after a while, hence after every read. */
      if (rc == MOSQ_ERR_SUCCESS && link->socket == s)
        {
          int one = 1;

          setsockopt (mosquitto_socket (link->mosq), IPPROTO_TCP, TCP_QUICKACK, &one,
                      sizeof one);
        }
#endif
    }
  /* A callback run by loop_read may have taken the link down. */
  if (rc == MOSQ_ERR_SUCCESS && link->socket == s && (ready & G_IO_OUT))
    rc = mosquitto_loop_write (link->mosq, 16);
  if (rc != MOSQ_ERR_SUCCESS && link->socket == s)
    socket_failed (link, rc);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs socket_funcs = { socket_prepare, NULL, socket_dispatch, NULL, NULL, NULL };

static void
watch_socket (ph_mqtt_link *link)
{
  int fd = mosquitto_socket (link->mosq);
  socket_source *s;

  if (fd < 0)
    return;
  s = (socket_source *) g_source_new (&socket_funcs, sizeof (socket_source));
  s->link = link;
  s->events = G_IO_IN | G_IO_OUT;
  s->fd_tag = g_source_add_unix_fd (&s->source, fd, s->events);
  g_source_set_name (&s->source, "printhook mqtt socket");
  g_source_attach (&s->source, link->context);
  link->socket = s;
}

static gboolean
misc_tick (gpointer user_data)
{
  ph_mqtt_link *link = user_data;
  int rc = mosquitto_loop_misc (link->mosq);

  if (rc != MOSQ_ERR_SUCCESS)
    {
      link->misc_timer = 0;   /* this source ends with G_SOURCE_REMOVE */
      socket_failed (link, rc == MOSQ_ERR_NO_CONN ? MOSQ_ERR_KEEPALIVE : rc);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
attempt_expired (gpointer user_data)
{
  ph_mqtt_link *link = user_data;
  g_autofree char *why = g_strdup_printf ("no CONNACK from %s within %.0f s", link->name,
                                          link->connect_timeout_s);

  link->attempt_timer = 0;
  link_down (link, why, FALSE, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_connect (struct mosquitto *mosq, void *user_data, int rc, int flags,
            const mosquitto_property *props)
{
  ph_mqtt_link *link = user_data;
  g_autofree char *why = NULL;

  if (mosq != link->mosq)
    return;
  if (rc == 0)
    {
      remove_source (link->context, &link->attempt_timer);
      link->state = LINK_CONNECTED;
      link->backoff_ms = BACKOFF_FIRST_MS;
      g_clear_pointer (&link->last_error, g_free);
      if (link->callbacks->connected != NULL)
        link->callbacks->connected (link, (flags & 1) != 0, link->user_data);
      return;
    }
  /* 3.1.1 CONNACK return codes and MQTT 5 reason codes have their own
   * words; both say "not authorized" or "bad user name or password". */
  why = g_strdup_printf ("%s refused the connection: %s", link->name,
                         link->protocol == MQTT_PROTOCOL_V5 ? mosquitto_reason_string (rc)
                                                            : mosquitto_connack_string (rc));
  link_down (link, why, TRUE, TRUE);
}

static void
on_disconnect (struct mosquitto *mosq, void *user_data, int rc, const mosquitto_property *props)
{
  ph_mqtt_link *link = user_data;
  g_autofree char *why = NULL;

  if (mosq != link->mosq || link->state == LINK_IDLE)
    return;
  why = g_strdup_printf ("%s closed the connection: %s", link->name,
                         rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
  link_down (link, why, FALSE, TRUE);
}

static void
on_publish (struct mosquitto *mosq, void *user_data, int mid, int reason,
            const mosquitto_property *props)
{
  ph_mqtt_link *link = user_data;

  if (mosq != link->mosq || link->callbacks->published == NULL)
    return;
  if (link->publishing)
    {
      g_array_append_val (link->early_mids, mid);
      return;
    }
  link->callbacks->published (link, mid, reason, link->user_data);
}

static gboolean
tell_early_mids (gpointer user_data)
{
  ph_mqtt_link *link = user_data;
  g_autoptr (GArray) mids = link->early_mids;

  link->early_idle = 0;
  link->early_mids = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < mids->len; i++)
    link->callbacks->published (link, g_array_index (mids, int, i), 0, link->user_data);
  return G_SOURCE_REMOVE;
}

static void
on_message (struct mosquitto *mosq, void *user_data, const struct mosquitto_message *message,
            const mosquitto_property *props)
{
  ph_mqtt_link *link = user_data;

  if (mosq == link->mosq && link->callbacks->message != NULL)
    link->callbacks->message (link, message, props, link->user_data);
}

/* Sets up this attempt's client; FALSE with why set when an option is
 * unusable (a TLS file that does not load). */
/* The ex_data slot of an SSL_CTX that points back at its link. */
static int
link_slot (void)
{
  static gsize slot = 0;

  if (g_once_init_enter (&slot))
    g_once_init_leave (&slot, (gsize) SSL_CTX_get_ex_new_index (0, NULL, NULL, NULL, NULL) + 1);
  return (int) slot - 1;
}

/* OpenSSL's verdict on each certificate of the chain: the first refusal
 * is kept in words for link_down, with the name the certificate holds
 * when it is the name that is wrong. */
static int
verify_peer (int ok, X509_STORE_CTX *store)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store, SSL_get_ex_data_X509_STORE_CTX_idx ());
  ph_mqtt_link *link = SSL_CTX_get_ex_data (SSL_get_SSL_CTX (ssl), link_slot ());
  int error = X509_STORE_CTX_get_error (store);
  X509 *cert = X509_STORE_CTX_get_current_cert (store);
  char cn[256] = "";

  if (ok || link == NULL || link->tls_problem != NULL)
    return ok;
  if (cert != NULL)
    X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, cn, sizeof cn);
  if (error == X509_V_ERR_HOSTNAME_MISMATCH)
    {
      link->tls_refused_name = g_strdup (cn);
      link->tls_problem = g_strdup_printf ("the certificate of %s is for '%s', not '%s'",
                                           link->name, cn, link->tls_name);
    }
  else
    link->tls_problem = g_strdup_printf ("the certificate of %s (CN '%s') does not verify: %s",
                                         link->name, cn, X509_verify_cert_error_string (error));
  return ok;
}

/* A TLS context that checks the broker's chain against ca_file (or the
 * system's CAs) and its name against tls_name, not against the address
 * libmosquitto would check.  FALSE with *why. */
static gboolean
make_named_context (ph_mqtt_link *link, char **why)
{
  SSL_CTX *ctx;

  if (link->ssl_ctx != NULL)
    return TRUE;
  ctx = SSL_CTX_new (TLS_client_method ());
  if (ctx == NULL)
    {
      *why = g_strdup_printf ("TLS for %s: cannot make an OpenSSL context", link->name);
      return FALSE;
    }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  if (link->ca_file != NULL ? SSL_CTX_load_verify_locations (ctx, link->ca_file, NULL) != 1
                            : SSL_CTX_set_default_verify_paths (ctx) != 1)
    {
      *why = g_strdup_printf ("TLS for %s: cannot load the CAs of %s", link->name,
                              link->ca_file != NULL ? link->ca_file : "the system");
      SSL_CTX_free (ctx);
      return FALSE;
    }
  if (link->cert_file != NULL
      && (SSL_CTX_use_certificate_chain_file (ctx, link->cert_file) != 1
          || SSL_CTX_use_PrivateKey_file (ctx, link->key_file, SSL_FILETYPE_PEM) != 1))
    {
      *why = g_strdup_printf ("TLS for %s: cannot use the client certificate %s", link->name,
                              link->cert_file);
      SSL_CTX_free (ctx);
      return FALSE;
    }
  X509_VERIFY_PARAM_set_hostflags (SSL_CTX_get0_param (ctx), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host (SSL_CTX_get0_param (ctx), link->tls_name, 0);
  SSL_CTX_set_verify (ctx, link->tls_verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, verify_peer);
  SSL_CTX_set_ex_data (ctx, link_slot (), link);
  link->ssl_ctx = ctx;
  return TRUE;
}

static gboolean
configure_client (ph_mqtt_link *link, char **why)
{
  struct mosquitto *mosq = link->mosq;
  int rc;

  mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION, link->protocol);
  mosquitto_int_option (mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_with_flags_callback_set (mosq, NULL);
  mosquitto_connect_v5_callback_set (mosq, on_connect);
  mosquitto_disconnect_v5_callback_set (mosq, on_disconnect);
  mosquitto_publish_v5_callback_set (mosq, on_publish);
  mosquitto_message_v5_callback_set (mosq, on_message);
  if (link->username != NULL)
    mosquitto_username_pw_set (mosq, link->username, link->password);
  if (link->will_topic != NULL)
    mosquitto_will_set (mosq, link->will_topic, (int) strlen (link->will_payload),
                        link->will_payload, 1, true);
  if (!link->tls)
    return TRUE;
  if (link->tls_name != NULL)
    {
      g_clear_pointer (&link->tls_problem, g_free);
      g_clear_pointer (&link->tls_refused_name, g_free);
      if (!make_named_context (link, why))
        return FALSE;
      /* Our context alone (no defaults over it), and libmosquitto's own
       * check of the address off: the context checks tls_name. */
      mosquitto_void_option (mosq, MOSQ_OPT_SSL_CTX, link->ssl_ctx);
      mosquitto_int_option (mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
      mosquitto_tls_insecure_set (mosq, true);
      return TRUE;
    }
  if (link->ca_file != NULL)
    rc = mosquitto_tls_set (mosq, link->ca_file, NULL, link->cert_file, link->key_file, NULL);
  else
    {
      /* No CA file: the system's CAs, as curl does for https. */
      mosquitto_int_option (mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
      rc = mosquitto_tls_set (mosq, NULL, "/etc/ssl/certs", link->cert_file, link->key_file,
                              NULL);
    }
  if (rc != MOSQ_ERR_SUCCESS)
    {
      *why = g_strdup_printf ("TLS for %s: %s (ca_file %s, client certificate %s)", link->name,
                              mosquitto_strerror (rc),
                              link->ca_file != NULL ? link->ca_file : "the system's",
                              link->cert_file != NULL ? link->cert_file : "none");
      return FALSE;
    }
  if (!link->tls_verify)
    {
      mosquitto_tls_opts_set (mosq, 0, NULL, NULL);
      mosquitto_tls_insecure_set (mosq, true);
    }
  return TRUE;
}

static void
link_connect (ph_mqtt_link *link)
{
  g_autofree char *why = NULL;
  GSource *timer;
  int rc;

  remove_source (link->context, &link->retry_timer);
  drop_client (link);
  link->state = LINK_CONNECTING;
  link->mosq = mosquitto_new (link->client_id, link->clean_session, link);
  if (link->mosq == NULL)
    {
      link_down (link, "could not create an MQTT client (out of memory or a bad client id)",
                 FALSE, FALSE);
      return;
    }
  if (!configure_client (link, &why))
    {
      link_down (link, why, FALSE, FALSE);
      return;
    }
  /* Resolves the name on the loop's thread (getaddrinfo): instant for an
   * address or /etc/hosts, a stall of the loop for a slow DNS server. */
  rc = mosquitto_connect_async (link->mosq, link->host, link->port, (int) link->keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING)
    {
      /* The handshake may be over already (a fast broker): its verdict. */
      why = link->tls_problem != NULL
                ? g_strdup (link->tls_problem)
                : g_strdup_printf ("could not connect to %s: %s", link->name,
                                   rc == MOSQ_ERR_ERRNO ? g_strerror (errno)
                                                        : mosquitto_strerror (rc));
      link_down (link, why, FALSE, FALSE);
      return;
    }
  watch_socket (link);
  timer = g_timeout_source_new_seconds (1);
  g_source_set_callback (timer, misc_tick, link, NULL);
  link->misc_timer = g_source_attach (timer, link->context);
  g_source_unref (timer);
  timer = g_timeout_source_new ((guint) (link->connect_timeout_s * 1000));
  g_source_set_callback (timer, attempt_expired, link, NULL);
  link->attempt_timer = g_source_attach (timer, link->context);
  g_source_unref (timer);
}

ph_mqtt_link *
ph_mqtt_link_new (const ph_mqtt_link_options *options, const ph_mqtt_link_callbacks *callbacks,
                  gpointer user_data)
{
  ph_mqtt_link *link = g_new0 (ph_mqtt_link, 1);

  ph_mqtt_lib_init ();
  link->host = g_strdup (options->host);
  link->port = options->port;
  link->tls = options->tls;
  link->username = g_strdup (options->username);
  link->password = g_strdup (options->password);
  link->client_id = g_strdup (options->client_id);
  link->protocol = options->protocol == 4 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
  link->keepalive_s = CLAMP (options->keepalive_s, 5, 65535);
  link->connect_timeout_s = options->connect_timeout_s > 0 ? options->connect_timeout_s : 10;
  link->clean_session = options->clean_session;
  link->ca_file = g_strdup (options->ca_file);
  link->tls_verify = options->tls_verify;
  link->tls_name = g_strdup (options->tls_name);
  link->cert_file = g_strdup (options->cert_file);
  link->key_file = g_strdup (options->key_file);
  link->will_topic = g_strdup (options->will_topic);
  link->will_payload = g_strdup (options->will_payload != NULL ? options->will_payload : "");
  link->name = g_strdup_printf ("%s://%s:%u", link->tls ? "mqtts" : "mqtt", link->host,
                                link->port);
  link->callbacks = callbacks;
  link->user_data = user_data;
  link->context = g_main_context_ref_thread_default ();
  link->backoff_ms = BACKOFF_FIRST_MS;
  link->early_mids = g_array_new (FALSE, FALSE, sizeof (int));
  return link;
}

void
ph_mqtt_link_start (ph_mqtt_link *link)
{
  if (link->state == LINK_CONNECTING || link->state == LINK_CONNECTED)
    return;
  link_connect (link);
}

gboolean
ph_mqtt_link_is_connected (const ph_mqtt_link *link)
{
  return link->state == LINK_CONNECTED;
}

gboolean
ph_mqtt_link_is_connecting (const ph_mqtt_link *link)
{
  return link->state == LINK_CONNECTING;
}

const char *
ph_mqtt_link_last_error (const ph_mqtt_link *link)
{
  return link->last_error;
}

const char *
ph_mqtt_link_refused_name (const ph_mqtt_link *link)
{
  return link->tls_refused_name;
}

const char *
ph_mqtt_link_name (const ph_mqtt_link *link)
{
  return link->name;
}

static gboolean
check_connected (ph_mqtt_link *link, GError **error)
{
  if (link->state == LINK_CONNECTED)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "not connected to %s%s%s",
               link->name, link->last_error != NULL ? ": " : "",
               link->last_error != NULL ? link->last_error : "");
  return FALSE;
}

gboolean
ph_mqtt_link_publish (ph_mqtt_link *link, const char *topic, const void *payload, gsize size,
                      int qos, gboolean retain, const mosquitto_property *props, int *mid,
                      GError **error)
{
  int rc;

  if (!check_connected (link, error))
    return FALSE;
  if (size > 268435455)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "%" G_GSIZE_FORMAT " bytes are more than an MQTT message holds", size);
      return FALSE;
    }
  link->publishing = TRUE;
  rc = mosquitto_publish_v5 (link->mosq, mid, topic, (int) size, payload, qos, retain,
                             link->protocol == MQTT_PROTOCOL_V5 ? props : NULL);
  link->publishing = FALSE;
  if (link->early_mids->len > 0 && link->early_idle == 0)
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, tell_early_mids, link, NULL);
      link->early_idle = g_source_attach (idle, link->context);
      g_source_unref (idle);
    }
  if (rc == MOSQ_ERR_SUCCESS)
    return TRUE;
  if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "lost the connection to %s: %s",
                   link->name, rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
      socket_failed (link, rc);
      return FALSE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s refused to publish to "
               "'%s': %s", link->name, topic, mosquitto_strerror (rc));
  return FALSE;
}

gboolean
ph_mqtt_link_subscribe (ph_mqtt_link *link, const char *filter, int qos, GError **error)
{
  int rc;

  if (!check_connected (link, error))
    return FALSE;
  rc = mosquitto_subscribe (link->mosq, NULL, filter, qos);
  if (rc == MOSQ_ERR_SUCCESS)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "cannot subscribe to '%s' on "
               "%s: %s", filter, link->name, mosquitto_strerror (rc));
  return FALSE;
}

void
ph_mqtt_link_stop (ph_mqtt_link *link, const char *final_topic, const char *final_payload,
                   guint timeout_ms)
{
  if (link->state == LINK_CONNECTED)
    {
      gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

      if (final_topic != NULL)
        mosquitto_publish (link->mosq, NULL, final_topic, (int) strlen (final_payload),
                           final_payload, 1, true);
      /* IDLE first: the disconnect callback then knows it was ours. */
      link->state = LINK_IDLE;
      mosquitto_disconnect (link->mosq);
      /* Write out what is queued; loop() polls the socket itself, so this
       * does not need the main loop, which may be ending. */
      while (mosquitto_want_write (link->mosq) && g_get_monotonic_time () < deadline)
        if (mosquitto_loop (link->mosq, 50, 1) != MOSQ_ERR_SUCCESS)
          break;
    }
  link->state = LINK_IDLE;
  remove_source (link->context, &link->retry_timer);
  drop_client (link);
}

void
ph_mqtt_link_free (ph_mqtt_link *link)
{
  if (link == NULL)
    return;
  link->state = LINK_IDLE;
  remove_source (link->context, &link->retry_timer);
  remove_source (link->context, &link->early_idle);
  drop_client (link);
  g_array_unref (link->early_mids);
  g_main_context_unref (link->context);
  g_free (link->host);
  g_free (link->username);
  g_free (link->password);
  g_free (link->client_id);
  g_free (link->ca_file);
  g_free (link->tls_name);
  g_free (link->tls_problem);
  g_free (link->tls_refused_name);
  if (link->ssl_ctx != NULL)
    SSL_CTX_free (link->ssl_ctx);
  g_free (link->cert_file);
  g_free (link->key_file);
  g_free (link->will_topic);
  g_free (link->will_payload);
  g_free (link->name);
  g_free (link->last_error);
  g_free (link);
}
