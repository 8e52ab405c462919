/* Who may use the console: the token from token_file, as a Bearer header
 * or exchanged for a session cookie at /login; a CSRF check for what a
 * cookie changes; and a limit on wrong tokens per address. */
#include "autoconfig.h"
#include "console_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define COOKIE "printhook_session"
#define SESSION_SECONDS (12 * 3600)
#define MAX_SESSIONS 64
#define FAILURE_WINDOW_S 60
#define MAX_FAILURES 5
#define MAX_ADDRESSES 1024
#define TOKEN_BYTES 32           /* 256 bits; 64 hex digits */

typedef struct {
  char *csrf;
  gint64 expires;                /* monotonic */
} session;

typedef struct {
  gint64 window_start;           /* monotonic */
  guint failures;
} failures;

struct ph_console_auth {
  char *token;
  GHashTable *sessions;          /* cookie value -> session * */
  GHashTable *failures;          /* address -> failures * */
};

static void
session_free (session *s)
{
  g_free (s->csrf);
  g_free (s);
}

static gboolean
random_hex (char *out, gsize bytes, GError **error)
{
  guint8 buffer[64];
  gsize got = 0;

  g_assert (bytes <= sizeof buffer);
  while (got < bytes)
    {
      ssize_t n = getrandom (buffer + got, bytes - got, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "no random numbers: %s", g_strerror (saved));
          return FALSE;
        }
      got += (gsize) n;
    }
  for (gsize i = 0; i < bytes; i++)
    g_snprintf (out + 2 * i, 3, "%02x", buffer[i]);
  return TRUE;
}

/* A new token in path: created, never replaced, private from the first
 * byte (mode 0600), and on the disk before the console says it exists. */
static char *
create_token (const char *path, GError **error)
{
  char token[2 * TOKEN_BYTES + 1];
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *line = NULL;
  int fd;

  if (!random_hex (token, TOKEN_BYTES, error))
    return NULL;
  if (g_mkdir_with_parents (dir, 0750) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create directory %s: %s", dir, g_strerror (saved));
      return NULL;
    }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot create %s: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  line = g_strconcat (token, "\n", NULL);
  if (write (fd, line, strlen (line)) != (ssize_t) strlen (line) || fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot write %s: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  close (fd);
  g_info ("console: created a new access token in %s (printhook console --token shows it)",
          path);
  return g_strdup (token);
}

char *
ph_console_read_token (const char *path, gboolean create, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local_error = NULL;
  GStatBuf st;

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      if (create && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return create_token (path, error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_strstrip (text);
  if (strlen (text) < 32 || strpbrk (text, " \t\r\n") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s holds no usable token: one line of at least 32 characters, no spaces "
                   "(remove the file and printhook makes a new one)", path);
      return NULL;
    }
  if (create && g_stat (path, &st) == 0 && (st.st_mode & 0077) != 0)
    g_warning ("console: %s can be read by other users (mode %03o); chmod 600 it", path,
               (unsigned) (st.st_mode & 0777));
  return g_steal_pointer (&text);
}

ph_console_auth *
ph_console_auth_new (const char *token_file, GError **error)
{
  g_autofree char *token = ph_console_read_token (token_file, TRUE, error);
  ph_console_auth *auth;

  if (token == NULL)
    return NULL;
  auth = g_new0 (ph_console_auth, 1);
  auth->token = g_steal_pointer (&token);
  auth->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) session_free);
  auth->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return auth;
}

void
ph_console_auth_free (ph_console_auth *auth)
{
  if (auth == NULL)
    return;
  g_hash_table_unref (auth->sessions);
  g_hash_table_unref (auth->failures);
  /* Not left in freed memory. */
  memset (auth->token, 0, strlen (auth->token));
  g_free (auth->token);
  g_free (auth);
}

const char *
ph_console_auth_token (const ph_console_auth *auth)
{
  return auth->token;
}

/* Compares without an early exit, so that the time taken says nothing
 * about how much of a guess was right. */
static gboolean
same_secret (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  guint8 diff = la != lb;

  for (gsize i = 0; i < la; i++)
    diff |= (guint8) (a[i] ^ b[i % (lb > 0 ? lb : 1)]);
  return diff == 0;
}

static const char *
remote (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "unknown";
}

/* Whether address made too many wrong guesses in the last minute. */
static gboolean
limited (ph_console_auth *auth, const char *address)
{
  failures *f = g_hash_table_lookup (auth->failures, address);

  if (f == NULL)
    return FALSE;
  if (g_get_monotonic_time () - f->window_start > FAILURE_WINDOW_S * G_USEC_PER_SEC)
    {
      g_hash_table_remove (auth->failures, address);
      return FALSE;
    }
  return f->failures >= MAX_FAILURES;
}

static gboolean
forget_old_failures (gpointer key, gpointer value, gpointer now)
{
  const failures *f = value;

  (void) key;
  return *(gint64 *) now - f->window_start > FAILURE_WINDOW_S * G_USEC_PER_SEC;
}

static void
count_failure (ph_console_auth *auth, const char *address, const char *how)
{
  failures *f = g_hash_table_lookup (auth->failures, address);
  gint64 now = g_get_monotonic_time ();

  if (f == NULL || now - f->window_start > FAILURE_WINDOW_S * G_USEC_PER_SEC)
    {
      /* Bounded: a flood from many addresses cannot grow it for ever. */
      if (g_hash_table_size (auth->failures) >= MAX_ADDRESSES)
        g_hash_table_foreach_remove (auth->failures, forget_old_failures, &now);
      if (g_hash_table_size (auth->failures) >= MAX_ADDRESSES)
        g_hash_table_remove_all (auth->failures);
      f = g_new0 (failures, 1);
      f->window_start = now;
      g_hash_table_replace (auth->failures, g_strdup (address), f);
    }
  f->failures++;
  g_warning ("console: wrong token from %s (%s, %u in the last minute%s)", address, how,
             f->failures, f->failures >= MAX_FAILURES ? "; refusing it for a minute" : "");
}

static char *
cookie_value (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_list (
      soup_server_message_get_request_headers (msg), "Cookie");
  g_auto (GStrv) parts = NULL;

  if (header == NULL)
    return NULL;
  parts = g_strsplit (header, ";", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);

      if (g_str_has_prefix (part, COOKIE "="))
        return g_strdup (part + strlen (COOKIE "="));
    }
  return NULL;
}

static session *
find_session (ph_console_auth *auth, const char *value)
{
  session *s = g_hash_table_lookup (auth->sessions, value);

  if (s != NULL && s->expires < g_get_monotonic_time ())
    {
      g_hash_table_remove (auth->sessions, value);
      return NULL;
    }
  return s;
}

ph_console_who
ph_console_auth_check (ph_console *console, SoupServerMessage *msg, const char **csrf)
{
  ph_console_auth *auth = console->auth;
  const char *authorization = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Authorization");
  g_autofree char *cookie = NULL;
  session *s;

  *csrf = NULL;
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    {
      const char *given = authorization + 7;

      if (limited (auth, remote (msg)))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", G_STRINGIFY (FAILURE_WINDOW_S));
          ph_console_send_error (console, msg, 429 /* Too Many Requests: libsoup 3.2 has no name for it */,
                                 "too many wrong tokens from %s; wait a minute", remote (msg));
          return PH_CONSOLE_ANONYMOUS;
        }
      while (*given == ' ')
        given++;
      if (same_secret (given, auth->token))
        return PH_CONSOLE_BEARER;
      count_failure (auth, remote (msg), "Bearer");
      ph_console_send_error (console, msg, SOUP_STATUS_UNAUTHORIZED, "wrong token");
      return PH_CONSOLE_ANONYMOUS;
    }
  cookie = cookie_value (msg);
  if (cookie != NULL && (s = find_session (auth, cookie)) != NULL)
    {
      *csrf = s->csrf;
      return PH_CONSOLE_COOKIE;
    }
  return PH_CONSOLE_ANONYMOUS;
}

/* scheme://host[:port] of the console as this request reached it. */
static char *
own_origin (ph_console *console, SoupServerMessage *msg)
{
  const char *host = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Host");

  if (host == NULL)
    return NULL;
  return g_strconcat (console->tls ? "https://" : "http://", host, NULL);
}

gboolean
ph_console_auth_csrf (ph_console *console, SoupServerMessage *msg, const char *csrf,
                      const char *form_csrf)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  const char *given = soup_message_headers_get_one (headers, "X-CSRF-Token");
  g_autofree char *own = own_origin (console, msg);

  if (given == NULL)
    given = form_csrf;
  if (origin == NULL || own == NULL || g_ascii_strcasecmp (origin, own) != 0)
    {
      g_warning ("console: refused %s %s from %s: Origin %s is not the console's own", 
                 soup_server_message_get_method (msg),
                 g_uri_get_path (soup_server_message_get_uri (msg)), remote (msg),
                 origin != NULL ? origin : "missing");
      ph_console_send_error (console, msg, SOUP_STATUS_FORBIDDEN,
                             "cross-origin request refused (Origin must be %s)",
                             own != NULL ? own : "this console");
      return FALSE;
    }
  if (given == NULL || csrf == NULL || !same_secret (given, csrf))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_FORBIDDEN,
                             "the X-CSRF-Token header is missing or wrong (GET /api/v1/session "
                             "gives it)");
      return FALSE;
    }
  return TRUE;
}

static void
drop_oldest_session (ph_console_auth *auth)
{
  GHashTableIter iter;
  gpointer key, value;
  const char *oldest = NULL;
  gint64 oldest_expiry = G_MAXINT64;

  g_hash_table_iter_init (&iter, auth->sessions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((session *) value)->expires < oldest_expiry)
      {
        oldest_expiry = ((session *) value)->expires;
        oldest = key;
      }
  if (oldest != NULL)
    g_hash_table_remove (auth->sessions, oldest);
}

void
ph_console_login (ph_console *console, SoupServerMessage *msg)
{
  ph_console_auth *auth = console->auth;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr (GHashTable) form = soup_form_decode (text);
  const char *given = g_hash_table_lookup (form, "token");
  char value[2 * TOKEN_BYTES + 1];
  char csrf[2 * TOKEN_BYTES + 1];
  g_autoptr (GError) error = NULL;
  g_autofree char *cookie = NULL;
  session *s;

  if (limited (auth, remote (msg)))
    {
      ph_console_redirect (msg, "/login?failed=limit");
      return;
    }
  if (given == NULL || !same_secret (g_strstrip ((char *) given), auth->token))
    {
      count_failure (auth, remote (msg), "login");
      ph_console_redirect (msg, "/login?failed=1");
      return;
    }
  if (!random_hex (value, TOKEN_BYTES, &error) || !random_hex (csrf, TOKEN_BYTES, &error))
    {
      ph_console_send_error (console, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s",
                             error->message);
      return;
    }
  if (g_hash_table_size (auth->sessions) >= MAX_SESSIONS)
    drop_oldest_session (auth);
  s = g_new0 (session, 1);
  s->csrf = g_strdup (csrf);
  s->expires = g_get_monotonic_time () + (gint64) SESSION_SECONDS * G_USEC_PER_SEC;
  g_hash_table_replace (auth->sessions, g_strdup (value), s);
  cookie = g_strdup_printf (COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", value,
                            SESSION_SECONDS, console->tls ? "; Secure" : "");
  g_info ("console: %s logged in", remote (msg));
  ph_console_redirect (msg, "/");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               cookie);
}

void
ph_console_logout (ph_console *console, SoupServerMessage *msg)
{
  g_autofree char *cookie = cookie_value (msg);

  if (cookie != NULL)
    g_hash_table_remove (console->auth->sessions, cookie);
  ph_console_redirect (msg, "/login");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               console->tls
                                   ? COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
                                   : COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}
