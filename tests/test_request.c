/* From an event to the request a hook sends: the parameter table, the
 * rendered url/headers/data, and the default encodings. */
#include "autoconfig.h"

#include <string.h>

#include "config_fixture.h"
#include "delivery/delivery.h"
#include "harness.h"
#include "text/json_text.h"
#include "delivery/params.h"
#include "event/sample.h"

#define HEADER "[printhook]\ntest-sender.label = L\n\n"
#define HOOK(body) HEADER "[hook h]\nurl = http://127.0.0.1:9/x\nmodules = test-sender\n" body

typedef struct {
  ph_loaded *loaded;
  ph_event *event;
  printhook_delivery *d;
} fixture;

/* Loads a one-hook config and makes a delivery of event with payload
 * (JSON text, NULL: the sample) and the sample printer. */
static void
make (fixture *f, const char *config, const char *event, const char *payload, int milestone)
{
  g_autoptr (GError) error = NULL;
  json_object *p = payload != NULL ? ph_json_parse (payload, -1, &error) : ph_sample_payload ();

  ck_assert_msg (p != NULL, "%s", error ? error->message : "");
  f->loaded = ph_load_text (config, NULL);
  ck_assert_msg (f->loaded->config != NULL, "config did not load");
  f->event = ph_event_new (event, "octoprint", p, ph_sample_printer ());
  f->d = ph_delivery_new (g_ptr_array_index (f->loaded->config->hooks, 0), f->event, milestone);
}

static void
clear (fixture *f)
{
  ph_delivery_free (f->d);
  ph_event_unref (f->event);
  ph_loaded_free (f->loaded);
}

static const char *
param_text (fixture *f, const char *name)
{
  json_object *value = json_object_object_get (f->d->params, name);
  ck_assert_msg (value != NULL, "no parameter %s", name);
  return json_object_get_string (value);
}

START_TEST (test_builtin_parameters)
{
  fixture f;

  make (&f, HOOK ("api_secret = s3\n"), "PrintDone", NULL, 0);
  ck_assert_str_eq (param_text (&f, "topic"), "Print Done");
  ck_assert_str_eq (param_text (&f, "message"), "Your print is done.");
  ck_assert_str_eq (param_text (&f, "apiSecret"), "s3");
  ck_assert_str_eq (param_text (&f, "event"), "PrintDone");
  /* No device_identifier anywhere: the source's name. */
  ck_assert_str_eq (param_text (&f, "deviceIdentifier"), "octoprint");
  ck_assert_int_eq (json_object_get_int (json_object_object_get (f.d->params, "percentCompleteMilestone")), 0);
  ck_assert (json_object_is_type (json_object_object_get (f.d->params, "currentTime"), json_type_int));
  ck_assert (json_object_is_type (json_object_object_get (f.d->params, "meta"), json_type_object));
  clear (&f);
}
END_TEST

START_TEST (test_custom_event_topic_and_message)
{
  fixture f;

  make (&f, HOOK ("events = PrintResumed\n"), "PrintResumed", NULL, 0);
  ck_assert_str_eq (param_text (&f, "topic"), "Custom Event");
  ck_assert_str_eq (param_text (&f, "message"), "PrintResumed");
  clear (&f);
}
END_TEST

START_TEST (test_message_is_a_template_rendered_first)
{
  fixture f;

  make (&f, HOOK ("message.PrintProgress = @percentCompleteMilestone% of @extra.name, not @message.\n"),
        "PrintProgress", NULL, 30);
  /* Inside the message, @message is empty: no loop. */
  ck_assert_str_eq (param_text (&f, "message"), "30% of example.gcode, not .");
  clear (&f);
}
END_TEST

START_TEST (test_default_progress_message)
{
  fixture f;

  make (&f, HOOK (""), "PrintProgress", NULL, 50);
  ck_assert_str_eq (param_text (&f, "message"), "Your print is 50 % complete.");
  clear (&f);
}
END_TEST

START_TEST (test_payload_keys_at_top_level_unless_builtin)
{
  fixture f;

  make (&f, HOOK (""), "PrintPaused", "{\"name\": \"a.gcode\", \"progress\": 33, \"topic\": \"evil\", \"user\": \"bob\"}", 0);
  ck_assert_str_eq (param_text (&f, "name"), "a.gcode");
  ck_assert_str_eq (param_text (&f, "user"), "bob");
  /* Clashes keep the built-in; the payload's value is still in @extra. */
  ck_assert_str_eq (param_text (&f, "topic"), "Print Paused");
  ck_assert (json_object_is_type (json_object_object_get (f.d->params, "progress"), json_type_object));
  ck_assert_int_eq (json_object_get_int (json_object_object_get (json_object_object_get (f.d->params, "extra"),
                                                                 "progress")), 33);
  clear (&f);
}
END_TEST

START_TEST (test_device_identifier_hook_over_default)
{
  fixture f, g;

  make (&f, "[printhook]\ntest-sender.label = L\ndevice_identifier = Garage\n\n"
            "[hook h]\nurl = http://127.0.0.1:9/\nmodules = test-sender\n", "PrintDone", NULL, 0);
  make (&g, HOOK ("device_identifier = Shed\n"), "PrintDone", NULL, 0);
  ck_assert_str_eq (param_text (&f, "deviceIdentifier"), "Garage");
  ck_assert_str_eq (param_text (&g, "deviceIdentifier"), "Shed");
  clear (&f);
  clear (&g);
}
END_TEST

START_TEST (test_render_url_headers_and_data)
{
  fixture f;
  g_autofree char *data = NULL;

  make (&f, HEADER "[hook h]\nurl = https://maker.example/trigger/@topic/with/key/k?file=@extra.name\n"
                   "modules = test-sender\n"
                   "headers = {\"X-Device\": \"@deviceIdentifier\", \"X-Size\": \"@extra.size\", \"X-Num\": 5, \"X-Obj\": \"@extra.position\"}\n"
                   "data = {\"@topic\": \"@topic\", \"nested\": [{\"z\": \"@currentZ\"}], \"n\": null, \"b\": true}\n",
        "PrintPaused", "{\"name\": \"my file.gcode\", \"size\": 10, \"position\": {\"x\": 1.5}}", 0);
  ph_delivery_render (f.d);
  ck_assert_str_eq (f.d->url, "https://maker.example/trigger/Print%20Paused/with/key/k?file=my%20file.gcode");
  ck_assert_str_eq (ph_delivery_get_header (f.d, "x-device"), "octoprint");
  ck_assert_str_eq (ph_delivery_get_header (f.d, "X-Size"), "10");
  ck_assert_str_eq (ph_delivery_get_header (f.d, "X-Num"), "5");
  ck_assert_str_eq (ph_delivery_get_header (f.d, "X-Obj"), "{\"x\":1.5}");
  data = ph_json_to_text (f.d->data, FALSE);
  ck_assert_str_eq (data, "{\"@topic\":\"Print Paused\",\"nested\":[{\"z\":0.3}],\"n\":null,\"b\":true}");
  clear (&f);
}
END_TEST

/* A line break from the printer's data cannot start another header: it is
 * sent as a space (check refuses one written in the configuration). */
START_TEST (test_header_line_break_from_the_event_becomes_a_space)
{
  fixture f;

  make (&f, HOOK ("headers = {\"X-Name\": \"@extra.name\", \"X-Tab\": \"a\\tb\"}\n"), "PrintDone",
        "{\"name\": \"a\\r\\nX-Evil: 1\\u007f\"}", 0);
  ph_delivery_render (f.d);
  ck_assert_str_eq (ph_delivery_get_header (f.d, "X-Name"), "a  X-Evil: 1 ");
  ck_assert_str_eq (ph_delivery_get_header (f.d, "X-Tab"), "a\tb");
  ck_assert_ptr_null (ph_delivery_get_header (f.d, "X-Evil"));
  clear (&f);
}
END_TEST

START_TEST (test_json_default_sets_content_type)
{
  fixture plain, kept, replaced, lookalike;
  gsize size;

  make (&plain, HOOK ("data = {\"t\": \"@topic\", \"f\": 0.1}\n"), "PrintDone", NULL, 0);
  make (&kept, HOOK ("headers = {\"content-TYPE\": \"application/json; charset=utf-8\"}\n"), "PrintDone", NULL, 0);
  make (&replaced, HOOK ("headers = {\"Content-Type\": \"text/plain\"}\n"), "PrintDone", NULL, 0);
  make (&lookalike, HOOK ("headers = {\"X-Content-Type-Options\": \"nosniff\"}\n"), "PrintDone", NULL, 0);
  for (fixture *f = &plain; f != NULL; f = f == &plain ? &kept : f == &kept ? &replaced : f == &replaced ? &lookalike : NULL)
    {
      ph_delivery_render (f->d);
      ph_delivery_encode_default (f->d);
    }
  ck_assert_str_eq (g_bytes_get_data (plain.d->body, &size), "{\"t\":\"Print Done\",\"f\":0.1}");
  ck_assert_str_eq (ph_delivery_get_header (plain.d, "Content-Type"), "application/json");
  ck_assert_str_eq (ph_delivery_get_header (kept.d, "Content-Type"), "application/json; charset=utf-8");
  ck_assert_uint_eq (kept.d->headers->len, 1);
  ck_assert_str_eq (ph_delivery_get_header (replaced.d, "Content-Type"), "application/json");
  /* The old plugin matched any header name containing "content-type". */
  ck_assert_str_eq (ph_delivery_get_header (lookalike.d, "X-Content-Type-Options"), "nosniff");
  ck_assert_str_eq (ph_delivery_get_header (lookalike.d, "Content-Type"), "application/json");
  clear (&plain);
  clear (&kept);
  clear (&replaced);
  clear (&lookalike);
}
END_TEST

START_TEST (test_get_appends_form_encoded_query)
{
  fixture f;

  make (&f, HEADER "[hook h]\nmodules = test-sender\n" "method = GET\nurl = http://127.0.0.1:9/x?a=1#frag\n"
                  "data = {\"s\": \"a b&c\", \"n\": null, \"o\": {\"k\": [1, 2]}, \"t\": true, \"e\": \"é\"}\n",
        "PrintDone", NULL, 0);
  ph_delivery_render (f.d);
  ph_delivery_encode_default (f.d);
  ck_assert_ptr_null (f.d->body);
  ck_assert_str_eq (f.d->url, "http://127.0.0.1:9/x?a=1&s=a%20b%26c&o=%7B%22k%22%3A%5B1%2C2%5D%7D&t=true&e=%C3%A9#frag");
  clear (&f);
}
END_TEST

START_TEST (test_set_header_replaces_all_of_a_name)
{
  fixture f;

  make (&f, HOOK ("headers = {\"A\": \"1\", \"B\": \"2\"}\n"), "PrintDone", NULL, 0);
  ph_delivery_render (f.d);
  ph_delivery_set_header (f.d, "a", "one");
  ph_delivery_set_header (f.d, "C", "3");
  ph_delivery_set_header (f.d, "b", NULL);
  ck_assert_uint_eq (f.d->headers->len, 2);
  ck_assert_str_eq (((ph_header *) g_ptr_array_index (f.d->headers, 0))->name, "A");
  ck_assert_str_eq (((ph_header *) g_ptr_array_index (f.d->headers, 0))->value, "one");
  ck_assert_str_eq (((ph_header *) g_ptr_array_index (f.d->headers, 1))->name, "C");
  clear (&f);
}
END_TEST

START_TEST (test_delivery_ids_are_unique_and_dotless)
{
  fixture f, g;

  make (&f, HOOK (""), "PrintDone", NULL, 0);
  make (&g, HOOK (""), "PrintDone", NULL, 0);
  ck_assert (g_str_has_prefix (f.d->id, "msg_"));
  ck_assert_ptr_null (strchr (f.d->id, '.'));
  ck_assert_str_ne (f.d->id, g.d->id);
  clear (&f);
  clear (&g);
}
END_TEST

/* "msg_" and the 32 hex digits of a random UUID (version 4, variant 10),
 * as g_uuid_string_random gives them without the dashes. */
START_TEST (test_delivery_id_is_a_random_uuid)
{
  fixture f;

  make (&f, HOOK (""), "PrintDone", NULL, 0);
  for (guint i = 0; i < 64; i++)
    {
      printhook_delivery *d = ph_delivery_new (f.d->hook, f.event, 0);
      const char *hex = d->id + 4;
      g_autofree char *dashed = g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
                                                 hex + 12, hex + 16, hex + 20);

      ck_assert (g_str_has_prefix (d->id, "msg_"));
      ck_assert_uint_eq (strlen (hex), 32);
      ck_assert_uint_eq (strspn (hex, "0123456789abcdef"), 32);
      ck_assert (g_uuid_string_is_valid (dashed));
      ck_assert_int_eq (hex[12], '4');
      ck_assert_ptr_nonnull (strchr ("89ab", hex[16]));
      ph_delivery_free (d);
    }
  clear (&f);
}
END_TEST

/* Every delivery of an event reads the event's own payload and printer
 * values (core/event/event.h), and leaves them as they were when it goes. */
START_TEST (test_deliveries_share_the_event_values)
{
  fixture f;
  printhook_delivery *other;
  g_autofree char *payload_before = NULL, *printer_before = NULL;
  g_autofree char *payload_after = NULL, *printer_after = NULL;

  make (&f, HOOK ("data = {\"extra\": \"@extra\", \"job\": \"@job\"}\n"), "PrintDone", NULL, 0);
  payload_before = ph_json_to_text (f.event->payload, FALSE);
  printer_before = ph_json_to_text (f.event->printer, FALSE);
  other = ph_delivery_new (f.d->hook, f.event, 0);
  ck_assert_ptr_eq (json_object_object_get (f.d->params, "extra"), f.event->payload);
  ck_assert_ptr_eq (json_object_object_get (other->params, "extra"), f.event->payload);
  ck_assert_ptr_eq (json_object_object_get (f.d->params, "job"),
                    json_object_object_get (f.event->printer, "job"));
  ck_assert_ptr_eq (json_object_object_get (f.d->params, "name"),
                    json_object_object_get (f.event->payload, "name"));
  ph_delivery_render (f.d);
  ph_delivery_render (other);
  ck_assert_ptr_eq (json_object_object_get (f.d->data, "job"),
                    json_object_object_get (f.event->printer, "job"));
  ph_delivery_free (other);
  payload_after = ph_json_to_text (f.event->payload, FALSE);
  printer_after = ph_json_to_text (f.event->printer, FALSE);
  ck_assert_str_eq (payload_after, payload_before);
  ck_assert_str_eq (printer_after, printer_before);
  clear (&f);
}
END_TEST

static Suite *
request_suite (void)
{
  Suite *s = suite_create ("request");
  TCase *tc = tcase_create ("request");

  tcase_add_test (tc, test_builtin_parameters);
  tcase_add_test (tc, test_deliveries_share_the_event_values);
  tcase_add_test (tc, test_custom_event_topic_and_message);
  tcase_add_test (tc, test_message_is_a_template_rendered_first);
  tcase_add_test (tc, test_default_progress_message);
  tcase_add_test (tc, test_payload_keys_at_top_level_unless_builtin);
  tcase_add_test (tc, test_device_identifier_hook_over_default);
  tcase_add_test (tc, test_render_url_headers_and_data);
  tcase_add_test (tc, test_header_line_break_from_the_event_becomes_a_space);
  tcase_add_test (tc, test_json_default_sets_content_type);
  tcase_add_test (tc, test_get_appends_form_encoded_query);
  tcase_add_test (tc, test_set_header_replaces_all_of_a_name);
  tcase_add_test (tc, test_delivery_ids_are_unique_and_dotless);
  tcase_add_test (tc, test_delivery_id_is_a_random_uuid);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  ph_test_init ();
  ph_fixture_use_test_modules ();
  return ph_test_run (request_suite ());
}
