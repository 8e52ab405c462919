/* lib/mqtt/mqtt_link.c against a real mosquitto over TLS: a certificate
 * checked against a name other than the broker's address (tls_name), as a
 * Bambu Lab printer's is against its serial — accepted when the name is
 * the certificate's, refused before any CONNECT (so before the password
 * goes out) when it is not, with a message that says which name the
 * certificate holds. */
#include "autoconfig.h"

#include <string.h>

#include "harness.h"
#include "daemon_process.h"
#include "mqtt/mqtt_link.h"
#include "mqtt_broker.h"

typedef struct {
  gboolean connected;
  char *down;                  /* the first reason it went down */
  char *refused_name;          /* ph_mqtt_link_refused_name then */
} outcome;

static void
on_connected (ph_mqtt_link *link, gboolean session_present, gpointer user_data)
{
  outcome *o = user_data;

  (void) link;
  (void) session_present;
  o->connected = TRUE;
}

static void
on_down (ph_mqtt_link *link, const char *why, gboolean refused, gpointer user_data)
{
  outcome *o = user_data;

  (void) refused;
  if (o->down == NULL)
    {
      o->down = g_strdup (why);
      o->refused_name = g_strdup (ph_mqtt_link_refused_name (link));
    }
}

static const ph_mqtt_link_callbacks callbacks = { on_connected, on_down, NULL, NULL };

/* Connects to b with tls_name and ca_file (NULL: the broker's CA) and runs
 * the loop until the link is up or down (10 s at most). */
static void
attempt (ph_broker *b, const char *client_id, const char *tls_name, const char *ca_file,
         outcome *o)
{
  ph_mqtt_link_options options = {
    .host = "127.0.0.1", .port = ph_broker_port (b), .tls = TRUE,
    .username = PH_BROKER_USER, .password = PH_BROKER_PASSWORD_TEXT, .client_id = client_id,
    .protocol = 4, .keepalive_s = 30, .connect_timeout_s = 5, .clean_session = TRUE,
    .ca_file = ca_file != NULL ? ca_file : ph_broker_ca_file (b), .tls_verify = TRUE,
    .tls_name = tls_name,
  };
  g_autoptr (ph_mqtt_link) link = ph_mqtt_link_new (&options, &callbacks, o);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC * ph_test_slowness ();

  ph_mqtt_link_start (link);
  while (!o->connected && o->down == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_msg (o->connected || o->down != NULL, "neither up nor down within 10 s");
}

START_TEST (test_certificate_name_other_than_the_address)
{
  g_autoptr (ph_broker) b = ph_broker_start (PH_BROKER_TLS | PH_BROKER_PASSWORD);
  outcome right = { 0 }, wrong = { 0 }, untrusted = { 0 };
  g_autofree char *bambu_ca = g_build_filename (ph_test_srcdir (), "conf", "bambu-ca.pem", NULL);
  g_autofree char *log = NULL;

  /* The broker's certificate names 127.0.0.1 and localhost. */
  attempt (b, "named-right", "localhost", NULL, &right);
  ck_assert_msg (right.connected, "not connected: %s", right.down);

  attempt (b, "named-wrong", "01P00A123456789", NULL, &wrong);
  ck_assert (!wrong.connected);
  assert_contains (wrong.down, "is for '127.0.0.1', not '01P00A123456789'");
  ck_assert_str_eq (wrong.refused_name, "127.0.0.1");

  /* Bambu's CAs did not sign the test broker's certificate. */
  attempt (b, "untrusted", "localhost", bambu_ca, &untrusted);
  ck_assert (!untrusted.connected);
  assert_contains (untrusted.down, "does not verify");
  /* Its name was never the problem. */
  ck_assert_ptr_null (untrusted.refused_name);

  /* The refused ones never got as far as CONNECT: the broker saw no
   * client of theirs, so no password went to the wrong host. */
  log = ph_broker_log (b);
  assert_contains (log, "named-right");
  ck_assert_msg (strstr (log, "named-wrong") == NULL && strstr (log, "untrusted") == NULL,
                 "the broker saw a refused client:\n%s", ph_mqtt_tail (log, PH_MQTT_SHOWN));
  g_free (right.down);
  g_free (wrong.down);
  g_free (untrusted.down);
  g_free (wrong.refused_name);
  g_free (untrusted.refused_name);
}
END_TEST

static Suite *
link_suite (void)
{
  Suite *s = suite_create ("mqtt-link");
  TCase *tc = tcase_create ("tls");

  tcase_set_timeout (tc, 60 * ph_test_slowness ());
  tcase_add_test (tc, test_certificate_name_other_than_the_address);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  return ph_test_run (link_suite ());
}
