#include "autoconfig.h"
#include "bambu_run.h"

#include <check.h>
#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "source_records.h"
#include "text/json_text.h"

#define DATA \
  "data = {\"hook\": \"main\", \"event\": \"@event\", \"m\": \"@percentCompleteMilestone\", " \
  "\"file\": \"@job.file.name\", \"completion\": \"@progress.completion\", " \
  "\"state\": \"@state.text\", \"left\": \"@progress.printTimeLeft\", " \
  "\"dev\": \"@deviceIdentifier\", \"extra\": \"@extra\"}\n"

void
ph_bambu_run_prepare (ph_bambu_run *r)
{
  const char *args[] = { "--topic", PH_BAMBU_REQUEST_TOPIC, NULL };

  r->broker = ph_broker_start (PH_BROKER_BAMBU);
  r->requests = ph_mqtt_subscriber_start (r->broker, args);
  r->receiver = ph_receiver_start (NULL);
  r->dir = ph_test_tmpdir ();
  r->config = g_build_filename (r->dir, "printhook.conf", NULL);
}

void
ph_bambu_run_daemon (ph_bambu_run *r, const char *serial, const char *access_code,
                     const char *events, const char *source_extra, const char *extra_hooks)
{
  const char *env[] = { "PRINTHOOK_BAMBU_PUSHALL_S=1", NULL };
  g_autofree char *url = ph_receiver_url (r->receiver, "/hook");
  g_autoptr (GString) text = g_string_new (NULL);

  g_string_append_printf (text, "[printhook]\ncontrol_socket = %s/control.sock\n"
                          "spool = %s/spool.db\n\n"
                          "[source p1]\ntype = bambu\nhost = 127.0.0.1\nport = %u\n"
                          "serial = %s\naccess_code = %s\ntls_ca_file = %s\n%s\n",
                          r->dir, r->dir, (guint) ph_broker_port (r->broker), serial,
                          access_code, ph_broker_ca_file (r->broker),
                          source_extra != NULL ? source_extra : "");
  if (events != NULL)
    g_string_append_printf (text, "[hook main]\nurl = %s\nevents = %s\nprogress_step = 25\n"
                            DATA "\n", url, events);
  if (extra_hooks != NULL)
    {
      g_autoptr (GString) hooks = g_string_new (extra_hooks);

      g_string_replace (hooks, "@RECEIVER@", url, 0);
      g_string_append (text, hooks->str);
    }
  ck_assert (g_file_set_contents (r->config, text->str, -1, NULL));
  g_chmod (r->config, 0600);
  r->daemon = ph_daemon_process_start_with_env (r->config, env);
}

void
ph_bambu_run_start (ph_bambu_run *r, const char *serial, const char *access_code,
                    const char *events)
{
  ph_bambu_run_prepare (r);
  ph_bambu_run_daemon (r, serial, access_code, events, NULL, NULL);
}

void
ph_bambu_run_finish (ph_bambu_run *r)
{
  if (r->daemon != NULL)
    ck_assert_int_eq (ph_daemon_process_stop (r->daemon, 10), 0);
  g_clear_pointer (&r->daemon, ph_daemon_process_free);
  g_clear_pointer (&r->requests, ph_mqtt_subscriber_stop);
  g_clear_pointer (&r->receiver, ph_receiver_stop);
  g_clear_pointer (&r->broker, ph_broker_stop);
  g_clear_pointer (&r->dir, g_free);
  g_clear_pointer (&r->config, g_free);
}

void
ph_bambu_report (ph_bambu_run *r, const char *members)
{
  g_autofree char *payload = g_strdup_printf ("{\"print\": {\"command\": \"push_status\"%s%s}}",
                                              *members != '\0' ? ", " : "", members);

  ph_mqtt_publish (r->broker, PH_BAMBU_REPORT_TOPIC, payload, FALSE);
}

guint
ph_bambu_pushalls (ph_bambu_run *r)
{
  g_autoptr (json_object) messages = ph_mqtt_subscriber_messages (r->requests);
  guint count = 0;

  for (size_t i = 0; i < json_object_array_length (messages); i++)
    {
      json_object *m = json_object_array_get_idx (messages, i);
      json_object *payload = NULL;

      if (json_object_object_get_ex (m, "payload", &payload)
          && strstr (json_object_get_string (payload), "\"command\": \"pushall\"") != NULL)
        count++;
    }
  return count;
}

json_object *
ph_bambu_exactly (ph_bambu_run *r, guint n)
{
  json_object *records;

  json_object_put (ph_receiver_wait (r->receiver, n, 10000 * ph_test_slowness ()));
  g_usleep (300 * 1000);
  records = ph_receiver_records (r->receiver);
  if (json_object_array_length (records) != n)
    {
      g_autofree char *seen = ph_records_summary (records, NULL);

      ck_abort_msg ("expected %u webhooks, got %zu: %s", n, json_object_array_length (records),
                    seen);
    }
  return records;
}
