/* The control socket's reading of a client's bytes (daemon/control_socket.c):
 * partial lines put together across reads, several lines in one read,
 * CR LF, a last line without newline at the end of input, pipelined
 * requests answered in batches.  The input's first byte sets the size of
 * the pieces the rest is written in (1 to 64 bytes), with the loop run
 * between pieces so that the socket reads them apart.  The property: one
 * reply line per request line, in order, each a JSON object whose
 * "accepted" says what ph_control_request_parse says of that line. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "fuzz.h"
#include "daemon/control_socket.h"
#include "text/json_text.h"

#define ANSWER_LIMIT_MS 2000

static ph_control_socket *control;

static gboolean
accept_all (const ph_control_request *request, guint *deliveries, GError **error,
            gpointer user_data)
{
  (void) request;
  (void) error;
  (void) user_data;
  *deliveries = 0;
  return TRUE;
}

/* Refused requests are logged as warnings: thousands a second here. */
static GLogWriterOutput
quiet (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  (void) level;
  (void) fields;
  (void) n_fields;
  (void) user_data;
  return G_LOG_WRITER_HANDLED;
}

static void
set_up (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ph-fuzz-control-XXXXXX", &error);
  g_autofree char *path = NULL;

  if (dir == NULL)
    abort ();
  g_log_set_writer_func (quiet, NULL, NULL);
  path = g_build_filename (dir, "control.sock", NULL);
  control = ph_control_socket_new (path, accept_all, NULL, NULL, &error);
  if (control == NULL)
    PH_FUZZ_FAIL ("cannot listen on %s: %s", path, error->message);
}

static int
connect_client (void)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  g_strlcpy (address.sun_path, ph_control_socket_path (control), sizeof address.sun_path);
  if (fd < 0 || (connect (fd, (struct sockaddr *) &address, sizeof address) != 0
                 && errno != EINPROGRESS && errno != EAGAIN))
    abort ();
  return fd;
}

/* Runs the loop until nothing is left to do for now. */
static void
settle (void)
{
  for (int i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Writes stream to the socket in pieces of piece bytes, then ends it, and
 * returns everything the socket answered until it closed.  Transfer full. */
static GString *
exchange (const uint8_t *stream, size_t size, size_t piece)
{
  GString *answer = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + ANSWER_LIMIT_MS * 1000;
  int fd = connect_client ();
  size_t sent = 0;
  gboolean closed = FALSE;

  settle ();
  while (!closed && g_get_monotonic_time () < deadline)
    {
      char buffer[4096];
      ssize_t n;

      if (sent < size)
        {
          n = write (fd, stream + sent, MIN (piece, size - sent));
          if (n > 0)
            sent += (size_t) n;
          if (sent == size)
            shutdown (fd, SHUT_WR);
        }
      else if (size == 0)
        shutdown (fd, SHUT_WR);
      settle ();
      while ((n = read (fd, buffer, sizeof buffer)) > 0)
        g_string_append_len (answer, buffer, n);
      if (n == 0)
        closed = TRUE;
      else if (sent == size)
        g_usleep (100);
    }
  close (fd);
  settle ();
  if (!closed)
    PH_FUZZ_FAIL ("the control socket did not answer and close within %d ms; %zu of %zu bytes "
                  "sent; answered so far:\n%s", ANSWER_LIMIT_MS, sent, size, answer->str);
  return answer;
}

/* Whether the socket must accept line (as it strips one CR before the
 * newline). */
static gboolean
acceptable (const char *line, size_t len)
{
  g_autoptr (ph_control_request) request = NULL;

  if (len > 0 && line[len - 1] == '\r')
    len--;
  request = ph_control_request_parse (line, len, NULL);
  return request != NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GString) answer = NULL;
  g_auto (GStrv) replies = NULL;
  const char *stream = (const char *) data + 1;
  size_t stream_size = size > 0 ? size - 1 : 0;
  size_t start = 0;
  guint line = 0;

  if (size == 0)
    return 0;
  /* A line of 64 KiB without its end is refused as too large and the
   * connection closed: another property, not this one's. */
  for (size_t i = 0, run = 0; i < stream_size; i++)
    if ((run = stream[i] == '\n' ? 0 : run + 1) >= PH_CONTROL_MAX_MESSAGE)
      return 0;
  if (control == NULL)
    set_up ();
  answer = exchange ((const uint8_t *) stream, stream_size, 1 + data[0] % 64);
  replies = g_strsplit (answer->str, "\n", -1);
  for (size_t i = 0; i <= stream_size; i++)
    {
      gboolean end = i == stream_size;

      if (!end && stream[i] != '\n')
        continue;
      /* The last piece is a line only when it is not empty. */
      if (!(end && i == start))
        {
          g_autoptr (json_object) reply = NULL;
          json_object *accepted = NULL;

          if (replies[line] == NULL || replies[line + 1] == NULL)
            PH_FUZZ_FAIL ("no reply to line %u; the replies:\n%s", line + 1, answer->str);
          reply = ph_json_parse (replies[line], -1, NULL);
          if (reply == NULL || !json_object_object_get_ex (reply, "accepted", &accepted)
              || !json_object_is_type (accepted, json_type_boolean))
            PH_FUZZ_FAIL ("reply %u is not a control reply: %s", line + 1, replies[line]);
          if (json_object_get_boolean (accepted) != acceptable (stream + start, i - start))
            PH_FUZZ_FAIL ("line %u was %s, but it parses %s: %s", line + 1,
                          json_object_get_boolean (accepted) ? "accepted" : "refused",
                          acceptable (stream + start, i - start) ? "well" : "not at all",
                          replies[line]);
          line++;
        }
      start = i + 1;
    }
  if (replies[line] == NULL || replies[line][0] != '\0' || replies[line + 1] != NULL)
    PH_FUZZ_FAIL ("%u request lines but more replies:\n%s", line, answer->str);
  return 0;
}
