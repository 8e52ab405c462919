# libFuzzer targets (tests/fuzz/README.md).  Built only in a tree configured
# with --enable-fuzzing and CC=clang, as scripts/fuzz does; each is the real
# code behind a parser of outside input, with a seed corpus beside it.
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/fuzz.h tests/fuzz/corpus tests/fuzz/dict tests/fuzz/lsan.supp \
	tests/fuzz/fuzz_template.c tests/fuzz/fuzz_json.c tests/fuzz/fuzz_double.c \
	tests/fuzz/fuzz_config.c tests/fuzz/fuzz_control.c tests/fuzz/fuzz_moonraker.c \
	tests/fuzz/fuzz_listen.c tests/fuzz/fuzz_oauth.c tests/fuzz/fuzz_jpeg.c \
	tests/fuzz/fuzz_console.c tests/fuzz/fuzz_mqtt.c tests/fuzz/fuzz_hook_file.c \
	tests/fuzz/fuzz_bambu.c tests/fuzz/fuzz_bambu_camera.c tests/fuzz/fuzz_control_stream.c \
	tests/fuzz/fuzz_http_answer.c tests/fuzz/fuzz_farm.c tests/fuzz/fuzz_octoprint.c

if FUZZING
fuzz_ldflags = -fsanitize=fuzzer,address,undefined
fuzz_ldadd = core/libphcore.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS) $(SQLITE_LIBS) \
	$(MOSQUITTO_LIBS) $(LIBM)
noinst_PROGRAMS += tests/fuzz/fuzz-template tests/fuzz/fuzz-json tests/fuzz/fuzz-double \
	tests/fuzz/fuzz-config tests/fuzz/fuzz-control tests/fuzz/fuzz-moonraker \
	tests/fuzz/fuzz-listen tests/fuzz/fuzz-oauth tests/fuzz/fuzz-jpeg tests/fuzz/fuzz-console \
	tests/fuzz/fuzz-mqtt tests/fuzz/fuzz-hook-file tests/fuzz/fuzz-bambu \
	tests/fuzz/fuzz-bambu-camera tests/fuzz/fuzz-control-stream tests/fuzz/fuzz-http-answer \
	tests/fuzz/fuzz-farm tests/fuzz/fuzz-octoprint

tests_fuzz_fuzz_template_SOURCES = tests/fuzz/fuzz_template.c
tests_fuzz_fuzz_template_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_template_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_json_SOURCES = tests/fuzz/fuzz_json.c
tests_fuzz_fuzz_json_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_json_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_double_SOURCES = tests/fuzz/fuzz_double.c
tests_fuzz_fuzz_double_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_double_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_config_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_control_SOURCES = tests/fuzz/fuzz_control.c
tests_fuzz_fuzz_control_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_control_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_control_stream_SOURCES = tests/fuzz/fuzz_control_stream.c
tests_fuzz_fuzz_control_stream_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_control_stream_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_http_answer_SOURCES = tests/fuzz/fuzz_http_answer.c
tests_fuzz_fuzz_http_answer_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_http_answer_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_console_SOURCES = tests/fuzz/fuzz_console.c
tests_fuzz_fuzz_console_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_console_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_moonraker_SOURCES = tests/fuzz/fuzz_moonraker.c
tests_fuzz_fuzz_moonraker_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_moonraker_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_bambu_SOURCES = tests/fuzz/fuzz_bambu.c
tests_fuzz_fuzz_bambu_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_bambu_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_octoprint_SOURCES = tests/fuzz/fuzz_octoprint.c
tests_fuzz_fuzz_octoprint_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_octoprint_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_bambu_camera_SOURCES = tests/fuzz/fuzz_bambu_camera.c
tests_fuzz_fuzz_bambu_camera_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_bambu_camera_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_hook_file_SOURCES = tests/fuzz/fuzz_hook_file.c
tests_fuzz_fuzz_hook_file_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_hook_file_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_mqtt_SOURCES = tests/fuzz/fuzz_mqtt.c
tests_fuzz_fuzz_mqtt_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_mqtt_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_listen_SOURCES = tests/fuzz/fuzz_listen.c
tests_fuzz_fuzz_listen_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_listen_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_oauth_SOURCES = tests/fuzz/fuzz_oauth.c modules/oauth/token.c
tests_fuzz_fuzz_oauth_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/modules/oauth
tests_fuzz_fuzz_oauth_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_oauth_LDADD = $(fuzz_ldadd)

tests_fuzz_fuzz_jpeg_SOURCES = tests/fuzz/fuzz_jpeg.c modules/snapshot/jpeg.c modules/snapshot/image.c
tests_fuzz_fuzz_jpeg_CFLAGS = $(AM_CFLAGS) $(JPEG_CFLAGS) -I$(top_srcdir)/modules/snapshot
tests_fuzz_fuzz_jpeg_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_jpeg_LDADD = $(fuzz_ldadd) $(JPEG_LIBS)
tests_fuzz_fuzz_farm_SOURCES = tests/fuzz/fuzz_farm.c modules/mqtt/ack.c modules/mqtt/ack.h
tests_fuzz_fuzz_farm_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_farm_LDADD = $(fuzz_ldadd)

endif
