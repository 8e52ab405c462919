#include "autoconfig.h"
#include "daemon_setup.h"

#include <glib/gstdio.h>

#include "daemon/control_protocol.h"
#include "daemon_process.h"
#include "harness.h"
#include "spool_fixture.h"
#include "text/json_text.h"

void
ph_setup_write_config (ph_setup *s, const char *extra, const char *hooks)
{
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;

  if (s->dir == NULL)
    {
      s->dir = ph_test_tmpdir ();
      s->config = g_build_filename (s->dir, "printhook.conf", NULL);
      s->socket = g_build_filename (s->dir, "control.sock", NULL);
      s->spool = g_build_filename (s->dir, "spool.db", NULL);
    }
  raw = g_strdup_printf ("[printhook]\ncontrol_socket = %s\nspool = %s\n%s\n%s", s->socket,
                         s->spool, extra != NULL ? extra : "", hooks);
  text = ph_test_config_text (raw);
  ck_assert (g_file_set_contents (s->config, text, -1, NULL));
  g_chmod (s->config, 0600);
}

void
ph_setup_send_event (const ph_setup *s, const char *event, const char *payload, guint expected)
{
  ph_setup_send_event_from (s, event, payload, NULL, expected);
}

void
ph_setup_send_event_from (const ph_setup *s, const char *event, const char *payload,
                          const char *source, guint expected)
{
  g_autoptr (json_object) object = payload != NULL ? ph_json_parse (payload, -1, NULL) : NULL;
  g_autofree char *line = ph_control_request_to_line (event, object, source, NULL);
  g_autoptr (GError) error = NULL;
  guint deliveries = 0;

  ck_assert_msg (ph_control_send (s->socket, line, 30 * ph_test_slowness (),
                                  &deliveries, &error),
                 "%s: %s", event, error->message);
  ck_assert_uint_eq (deliveries, expected);
}

guint
ph_setup_count (const ph_setup *s, const char *where)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM deliveries%s%s",
                                          where != NULL ? " WHERE " : "", where ? where : "");

  return (guint) ph_spool_test_query_int (s->spool, sql);
}

void
ph_setup_wait_count (const ph_setup *s, const char *where, guint expected, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) timeout_s * G_USEC_PER_SEC * ph_test_slowness ();
  guint count;

  while ((count = ph_setup_count (s, where)) != expected && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  ck_assert_msg (count == expected, "the spool holds %u deliveries%s%s, not %u", count,
                 where != NULL ? " where " : "", where != NULL ? where : "", expected);
}

void
ph_setup_clear (ph_setup *s)
{
  g_free (s->dir);
  g_free (s->config);
  g_free (s->socket);
  g_free (s->spool);
}
