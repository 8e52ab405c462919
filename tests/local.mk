# Check suites.  Every suite runs the real code; GLib warnings and criticals
# are fatal (tests/harness.c).

# Helpers every suite links.
check_LTLIBRARIES += tests/libphtest.la
tests_libphtest_la_SOURCES = tests/harness.c tests/harness.h \
	tests/json_records.c tests/json_records.h
tests_libphtest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_libphtest_la_LIBADD = $(GLIB_LIBS) $(CHECK_LIBS)

# What every suite links and how every suite is run.
test_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests
test_ldadd = tests/libphtest.la core/libphcore.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS) $(MOSQUITTO_LIBS) $(CHECK_LIBS)
AM_TESTS_ENVIRONMENT = \
	PH_TEST_SRCDIR='$(abs_top_srcdir)' PH_TEST_BUILDDIR='$(abs_top_builddir)' \
	PH_TEST_BINARY='$(abs_top_builddir)/printhook' \
	PRINTHOOK_MODULE_PATH='$(abs_top_builddir)/modules/.libs' \
	PH_TEST_MODULE_DIR='$(abs_top_builddir)/tests/modules/.libs' \
	PRINTHOOK_PRESETS_DIR='$(abs_top_srcdir)/conf/examples' \
	G_DEBUG=fatal-criticals ; export PH_TEST_SRCDIR PH_TEST_BUILDDIR PH_TEST_BINARY \
	PRINTHOOK_MODULE_PATH PH_TEST_MODULE_DIR PRINTHOOK_PRESETS_DIR G_DEBUG ;

check_PROGRAMS += tests/test-listen
TESTS += tests/test-listen
tests_test_listen_SOURCES = tests/test_listen.c
tests_test_listen_CFLAGS = $(test_cflags)
tests_test_listen_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-json-text
TESTS += tests/test-json-text
tests_test_json_text_SOURCES = tests/test_json_text.c
tests_test_json_text_CFLAGS = $(test_cflags)
tests_test_json_text_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-double-text
TESTS += tests/test-double-text
tests_test_double_text_SOURCES = tests/test_double_text.c
tests_test_double_text_CFLAGS = $(test_cflags)
tests_test_double_text_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-template
TESTS += tests/test-template
tests_test_template_SOURCES = tests/test_template.c
tests_test_template_CFLAGS = $(test_cflags)
tests_test_template_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-http
TESTS += tests/test-http
tests_test_http_SOURCES = tests/test_http.c
tests_test_http_CFLAGS = $(test_cflags)
tests_test_http_LDADD = $(test_ldadd)

# The receiving end of the HTTP tests (tests/receiver.h) and its own suite.
tests_libphtest_la_SOURCES += tests/receiver.c tests/receiver.h
tests_libphtest_la_LIBADD += $(JSONC_LIBS)
EXTRA_DIST += tests/servers/receiver.py
check_PROGRAMS += tests/test-receiver
TESTS += tests/test-receiver
tests_test_receiver_SOURCES = tests/test_receiver.c
tests_test_receiver_CFLAGS = $(test_cflags)
tests_test_receiver_LDADD = $(test_ldadd)

# Modules only the tests load: real shared objects, good and broken, built
# as hwloc does with -rpath /nowhere so that libtool makes .so files.
test_module_link = -module -avoid-version -shared -rpath /nowhere
test_module_strict = $(test_module_link) -Wl,--no-undefined \
	-export-symbols-regex '^printhook_module_get_desc$$'
check_LTLIBRARIES += tests/modules/test-prepare.la tests/modules/test-encode.la \
	tests/modules/test-finish.la \
	tests/modules/test-sender.la tests/modules/bad-abi-major.la \
	tests/modules/bad-abi-minor.la tests/modules/bad-name.la tests/modules/bad-stage.la \
	tests/modules/bad-no-run.la tests/modules/bad-init.la tests/modules/bad-null-desc.la \
	tests/modules/bad-no-symbol.la tests/modules/bad-undefined.la \
	tests/modules/bad-internal.la
tests_modules_test_prepare_la_SOURCES = tests/modules/test-prepare.c
tests_modules_test_prepare_la_CFLAGS = $(module_compile_flags)
tests_modules_test_prepare_la_LDFLAGS = $(test_module_strict)
tests_modules_test_prepare_la_LIBADD = $(module_libs)
tests_modules_test_encode_la_SOURCES = tests/modules/test-encode.c
tests_modules_test_encode_la_CFLAGS = $(module_compile_flags)
tests_modules_test_encode_la_LDFLAGS = $(test_module_strict)
tests_modules_test_encode_la_LIBADD = $(module_libs)
tests_modules_test_finish_la_SOURCES = tests/modules/test-finish.c
tests_modules_test_finish_la_CFLAGS = $(module_compile_flags)
tests_modules_test_finish_la_LDFLAGS = $(test_module_strict)
tests_modules_test_finish_la_LIBADD = $(module_libs)
tests_modules_test_sender_la_SOURCES = tests/modules/test-sender.c
tests_modules_test_sender_la_CFLAGS = $(module_compile_flags)
tests_modules_test_sender_la_LDFLAGS = $(test_module_strict)
tests_modules_test_sender_la_LIBADD = $(module_libs)
tests_modules_bad_abi_major_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_abi_major_la_CFLAGS = $(module_compile_flags) -DBAD_ABI_MAJOR
tests_modules_bad_abi_major_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_abi_major_la_LIBADD = $(module_libs)
tests_modules_bad_abi_minor_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_abi_minor_la_CFLAGS = $(module_compile_flags) -DBAD_ABI_MINOR
tests_modules_bad_abi_minor_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_abi_minor_la_LIBADD = $(module_libs)
tests_modules_bad_name_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_name_la_CFLAGS = $(module_compile_flags) -DBAD_NAME
tests_modules_bad_name_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_name_la_LIBADD = $(module_libs)
tests_modules_bad_stage_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_stage_la_CFLAGS = $(module_compile_flags) -DBAD_STAGE
tests_modules_bad_stage_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_stage_la_LIBADD = $(module_libs)
tests_modules_bad_no_run_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_no_run_la_CFLAGS = $(module_compile_flags) -DBAD_NO_RUN
tests_modules_bad_no_run_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_no_run_la_LIBADD = $(module_libs)
tests_modules_bad_init_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_init_la_CFLAGS = $(module_compile_flags) -DBAD_INIT
tests_modules_bad_init_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_init_la_LIBADD = $(module_libs)
tests_modules_bad_null_desc_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_null_desc_la_CFLAGS = $(module_compile_flags) -DBAD_NULL_DESC
tests_modules_bad_null_desc_la_LDFLAGS = $(test_module_strict)
tests_modules_bad_null_desc_la_LIBADD = $(module_libs)
tests_modules_bad_no_symbol_la_SOURCES = tests/modules/bad-modules.c
tests_modules_bad_no_symbol_la_CFLAGS = $(module_compile_flags) -DBAD_NO_SYMBOL
tests_modules_bad_no_symbol_la_LDFLAGS = $(test_module_link) -Wl,--no-undefined
tests_modules_bad_no_symbol_la_LIBADD = $(module_libs)
tests_modules_bad_undefined_la_SOURCES = tests/modules/bad-undefined.c
tests_modules_bad_undefined_la_CFLAGS = $(module_compile_flags)
tests_modules_bad_undefined_la_LDFLAGS = $(test_module_link)
tests_modules_bad_undefined_la_LIBADD = $(module_libs)
# Today's example module built against the frozen header of module ABI 1.0
# (tests/modules/abi-1.0/, the header as released): a module built before a
# minor bump must load and run unchanged (test-webhook).
check_LTLIBRARIES += tests/old-abi/hello.la
tests_old_abi_hello_la_SOURCES = examples/module-hello/hello.c
tests_old_abi_hello_la_CPPFLAGS = -I$(top_srcdir)/tests/modules/abi-1.0 $(AM_CPPFLAGS)
tests_old_abi_hello_la_CFLAGS = $(module_compile_flags)
tests_old_abi_hello_la_LDFLAGS = $(test_module_strict)
tests_old_abi_hello_la_LIBADD = $(module_libs)
EXTRA_DIST += tests/modules/abi-1.0/printhook/module.h

tests_modules_bad_internal_la_SOURCES = tests/modules/bad-internal.c
tests_modules_bad_internal_la_CFLAGS = $(module_compile_flags)
tests_modules_bad_internal_la_LDFLAGS = $(test_module_link)
tests_modules_bad_internal_la_LIBADD = $(module_libs)

tests_libphtest_la_SOURCES += tests/config_fixture.c tests/config_fixture.h

check_PROGRAMS += tests/test-config
TESTS += tests/test-config
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CFLAGS = $(test_cflags)
tests_test_config_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-registry
TESTS += tests/test-registry
tests_test_registry_SOURCES = tests/test_registry.c
tests_test_registry_CFLAGS = $(test_cflags)
tests_test_registry_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-cli
TESTS += tests/test-cli
tests_test_cli_SOURCES = tests/test_cli.c
tests_test_cli_CFLAGS = $(test_cflags)
tests_test_cli_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-request
TESTS += tests/test-request
tests_test_request_SOURCES = tests/test_request.c
tests_test_request_CFLAGS = $(test_cflags)
tests_test_request_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-webhook
TESTS += tests/test-webhook
tests_test_webhook_SOURCES = tests/test_webhook.c
tests_test_webhook_CFLAGS = $(test_cflags)
tests_test_webhook_LDADD = $(test_ldadd)

# The signing functions, compiled in from the module's own source.
check_PROGRAMS += tests/test-sign
TESTS += tests/test-sign
tests_test_sign_SOURCES = tests/test_sign.c modules/http-webhook/sign.c
tests_test_sign_CFLAGS = $(test_cflags) -I$(top_srcdir)/modules/http-webhook
tests_test_sign_LDADD = $(test_ldadd)

# What the suites read from the source tree.
EXTRA_DIST += tests/valgrind-wrapper tests/servers/receiver.py \
	tests/configs/broken/bad-content-type.conf \
	tests/configs/broken/bad-json.conf \
	tests/configs/broken/bad-method.conf \
	tests/configs/broken/data-not-object.conf \
	tests/configs/broken/duplicate-hooks/hooks.d/other.conf \
	tests/configs/broken/duplicate-hooks/printhook.conf \
	tests/configs/broken/empty-url.conf \
	tests/configs/broken/progress-step.conf \
	tests/configs/broken/several-errors.conf \
	tests/configs/broken/unknown-key.conf \
	tests/configs/broken/unknown-module.conf \
	tests/configs/good/hooks.d/20-chat.conf \
	tests/configs/good/hooks.d/30-query.conf \
	tests/configs/good/printhook.conf

check_PROGRAMS += tests/test-redact
TESTS += tests/test-redact
tests_test_redact_SOURCES = tests/test_redact.c
tests_test_redact_CFLAGS = $(test_cflags)
tests_test_redact_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-chain
TESTS += tests/test-chain
tests_test_chain_SOURCES = tests/test_chain.c
tests_test_chain_CFLAGS = $(test_cflags)
tests_test_chain_LDADD = $(test_ldadd)

# The oauth and snapshot modules, against test servers of their own
# (tests/servers/oauth_server.py, camera_server.py) and the receiver.
EXTRA_DIST += tests/servers/oauth_server.py tests/servers/camera_server.py \
	tests/servers/jpeg_tool.py
ph_test_helpers = tests/in_process.c tests/in_process.h \
	tests/servers/script_server.c tests/servers/script_server.h

check_PROGRAMS += tests/test-oauth
TESTS += tests/test-oauth
tests_test_oauth_SOURCES = tests/test_oauth.c $(ph_test_helpers)
tests_test_oauth_CFLAGS = $(test_cflags)
tests_test_oauth_LDADD = $(test_ldadd)

# The daemon, run as a child process and fed through its control socket
# (test-daemon) or by a fake OctoPrint (test-octoprint).
tests_libphtest_la_SOURCES += tests/daemon_process.c tests/daemon_process.h \
	tests/fake_server.c tests/fake_server.h tests/fake_octoprint.h \
	tests/source_records.c tests/source_records.h tests/daemon_asserts.h
EXTRA_DIST += tests/servers/fake_octoprint.py tests/servers/fake_server.py
check_PROGRAMS += tests/test-daemon tests/test-octoprint
TESTS += tests/test-daemon tests/test-octoprint
tests_test_daemon_SOURCES = tests/test_daemon.c
tests_test_daemon_CFLAGS = $(test_cflags)
tests_test_daemon_LDADD = $(test_ldadd)
tests_test_octoprint_SOURCES = tests/test_octoprint.c
tests_test_octoprint_CFLAGS = $(test_cflags)
tests_test_octoprint_LDADD = $(test_ldadd)

check_PROGRAMS += tests/test-snapshot
TESTS += tests/test-snapshot
tests_test_snapshot_SOURCES = tests/test_snapshot.c $(ph_test_helpers)
tests_test_snapshot_CFLAGS = $(test_cflags)
tests_test_snapshot_LDADD = $(test_ldadd)

# The snapshot module's pixel code, compiled in from the module's source.
check_PROGRAMS += tests/test-snapshot-image
TESTS += tests/test-snapshot-image
tests_test_snapshot_image_SOURCES = tests/test_snapshot_image.c modules/snapshot/image.c
tests_test_snapshot_image_CFLAGS = $(test_cflags) -I$(top_srcdir)/modules/snapshot
tests_test_snapshot_image_LDADD = $(test_ldadd)
check_PROGRAMS += tests/test-router
TESTS += tests/test-router
tests_test_router_SOURCES = tests/test_router.c
tests_test_router_CFLAGS = $(test_cflags)
tests_test_router_LDADD = $(test_ldadd)

# The spool, the retry schedule and printhook spool (issue 6).
check_PROGRAMS += tests/test-backoff
TESTS += tests/test-backoff
tests_test_backoff_SOURCES = tests/test_backoff.c
tests_test_backoff_CFLAGS = $(test_cflags)
tests_test_backoff_LDADD = $(test_ldadd) $(SQLITE_LIBS)

ph_spool_test_helpers = tests/spool_fixture.c tests/spool_fixture.h
check_PROGRAMS += tests/test-spool
TESTS += tests/test-spool
tests_test_spool_SOURCES = tests/test_spool.c $(ph_spool_test_helpers)
tests_test_spool_CFLAGS = $(test_cflags)
tests_test_spool_LDADD = $(test_ldadd) $(SQLITE_LIBS)
check_PROGRAMS += tests/test-spool-open
TESTS += tests/test-spool-open
tests_test_spool_open_SOURCES = tests/test_spool_open.c $(ph_spool_test_helpers)
tests_test_spool_open_CFLAGS = $(test_cflags)
tests_test_spool_open_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# The failing receiver (tests/servers/faulty.py), its helper and its suite.
tests_libphtest_la_SOURCES += tests/faulty.c tests/faulty.h
tests_libphtest_la_LIBADD += $(CURL_LIBS)
EXTRA_DIST += tests/servers/faulty.py
check_PROGRAMS += tests/test-faulty
TESTS += tests/test-faulty
tests_test_faulty_SOURCES = tests/test_faulty.c
tests_test_faulty_CFLAGS = $(test_cflags)
tests_test_faulty_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# printhook spool, run as the real binary.
check_PROGRAMS += tests/test-spool-cli
TESTS += tests/test-spool-cli
tests_test_spool_cli_SOURCES = tests/test_spool_cli.c $(ph_spool_test_helpers)
tests_test_spool_cli_CFLAGS = $(test_cflags)
tests_test_spool_cli_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# The manual pages against the code: commands, options, keys, events.
check_PROGRAMS += tests/test-docs
TESTS += tests/test-docs
tests_test_docs_SOURCES = tests/test_docs.c
tests_test_docs_CFLAGS = $(test_cflags)
tests_test_docs_LDADD = $(test_ldadd)

# The layout of core/ (core/README.md): folders include only downward.
check_PROGRAMS += tests/test-layout
TESTS += tests/test-layout
tests_test_layout_SOURCES = tests/test_layout.c
tests_test_layout_CFLAGS = $(test_cflags)
tests_test_layout_LDADD = $(test_ldadd)

# The systemd unit as built (needs systemd-analyze, Debian package systemd).
check_PROGRAMS += tests/test-unit-file
TESTS += tests/test-unit-file
tests_test_unit_file_SOURCES = tests/test_unit_file.c
tests_test_unit_file_CFLAGS = $(test_cflags)
tests_test_unit_file_LDADD = $(test_ldadd)

# A third-party module built with pkg-config alone against printhook
# installed in a temporary prefix (configures and builds printhook again).
check_PROGRAMS += tests/test-example-module
TESTS += tests/test-example-module
tests_test_example_module_SOURCES = tests/test_example_module.c
tests_test_example_module_CFLAGS = $(test_cflags)
tests_test_example_module_LDADD = $(test_ldadd)
EXTRA_DIST += examples/module-hello/Makefile examples/module-hello/hello.c \
	examples/module-hello/README.md
EXTRA_DIST += examples/module-tenant/Makefile examples/module-tenant/tenant.c \
	examples/module-tenant/README.md

# The spool's group commit and kept statements (core/spool/spool_sql.c).
check_PROGRAMS += tests/test-spool-batch
TESTS += tests/test-spool-batch
tests_test_spool_batch_SOURCES = tests/test_spool_batch.c $(ph_spool_test_helpers)
tests_test_spool_batch_CFLAGS = $(test_cflags)
tests_test_spool_batch_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# The scheduler's queries of the spool (core/spool/spool_due.c).
check_PROGRAMS += tests/test-spool-due
TESTS += tests/test-spool-due
tests_test_spool_due_SOURCES = tests/test_spool_due.c $(ph_spool_test_helpers)
tests_test_spool_due_CFLAGS = $(test_cflags)
tests_test_spool_due_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# The farm's dedupe window in the spool (core/spool/spool_seen.c).
check_PROGRAMS += tests/test-spool-seen
TESTS += tests/test-spool-seen
tests_test_spool_seen_SOURCES = tests/test_spool_seen.c $(ph_spool_test_helpers)
tests_test_spool_seen_CFLAGS = $(test_cflags)
tests_test_spool_seen_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# The daemon's reliability end to end: spool, retries, dead letters, crashes
# (issue 6), against the failing receiver.
check_PROGRAMS += tests/test-reliability
TESTS += tests/test-reliability
tests_test_reliability_SOURCES = tests/test_reliability.c $(ph_spool_test_helpers) \
	$(ph_test_helpers) tests/daemon_setup.c tests/daemon_setup.h
tests_test_reliability_CFLAGS = $(test_cflags)
tests_test_reliability_LDADD = $(test_ldadd) $(SQLITE_LIBS)

# The Moonraker source against a fake Moonraker (tests/servers/
# fake_moonraker.py), its pure parts, and the same hooks for both sources.
tests_libphtest_la_SOURCES += tests/fake_moonraker.h
EXTRA_DIST += tests/servers/fake_moonraker.py tests/configs/same-hooks.conf
check_PROGRAMS += tests/test-moonraker tests/test-moonraker-api tests/test-same-hooks
TESTS += tests/test-moonraker tests/test-moonraker-api tests/test-same-hooks
tests_test_moonraker_SOURCES = tests/test_moonraker.c
tests_test_moonraker_CFLAGS = $(test_cflags)
tests_test_moonraker_LDADD = $(test_ldadd)
tests_test_moonraker_api_SOURCES = tests/test_moonraker_api.c
tests_test_moonraker_api_CFLAGS = $(test_cflags)
tests_test_moonraker_api_LDADD = $(test_ldadd)
tests_test_same_hooks_SOURCES = tests/test_same_hooks.c
tests_test_same_hooks_CFLAGS = $(test_cflags)
tests_test_same_hooks_LDADD = $(test_ldadd)

# The Bambu Lab source's pure part: what the printer's reports mean.
check_PROGRAMS += tests/test-bambu-report
TESTS += tests/test-bambu-report
tests_test_bambu_report_SOURCES = tests/test_bambu_report.c
tests_test_bambu_report_CFLAGS = $(test_cflags)
tests_test_bambu_report_LDADD = $(test_ldadd)

# The P1/A1 camera (one JPEG frame from port 6000) against a fake camera
# with certificates of its own (tests/servers/bambu_camera.py).
EXTRA_DIST += tests/servers/bambu_camera.py
check_PROGRAMS += tests/test-bambu-camera
TESTS += tests/test-bambu-camera
tests_test_bambu_camera_SOURCES = tests/test_bambu_camera.c $(ph_test_helpers) \
	tests/printer_cert.c tests/printer_cert.h
tests_test_bambu_camera_CFLAGS = $(test_cflags)
tests_test_bambu_camera_LDADD = $(test_ldadd)

# Printer sources behind a proxy: the environment as libcurl reads it, and
# the daemon through a real forward proxy (tests/servers/fake_proxy.py).
EXTRA_DIST += tests/servers/fake_proxy.py
check_PROGRAMS += tests/test-proxy
TESTS += tests/test-proxy
tests_test_proxy_SOURCES = tests/test_proxy.c
tests_test_proxy_CFLAGS = $(test_cflags)
tests_test_proxy_LDADD = $(test_ldadd)

# The web console (core/console/API.md) over real HTTP: the daemon as a
# child process, libcurl as the browser, the receiver as the webhooks' end.
check_PROGRAMS += tests/test-console
TESTS += tests/test-console
console_test_fixture = tests/console_fixture.c tests/console_fixture.h \
	tests/console_client.c tests/console_client.h
tests_test_console_SOURCES = tests/test_console.c $(console_test_fixture)
tests_test_console_CFLAGS = $(test_cflags)
tests_test_console_LDADD = $(test_ldadd)

# The hook editor's API (hooks/NAME/config, hooks/validate): edits to
# [console] hooks_dir beside a read-only configuration directory.
check_PROGRAMS += tests/test-console-edit
TESTS += tests/test-console-edit
tests_test_console_edit_SOURCES = tests/test_console_edit.c $(console_test_fixture)
tests_test_console_edit_CFLAGS = $(test_cflags)
tests_test_console_edit_LDADD = $(test_ldadd)

# The web console's page, checked offline and in headless Chromium (run by
# scripts/test, not by make check: they need tidy and a browser).
EXTRA_DIST += tests/page_validate.sh tests/browser/console_test.py tests/browser/README.md

# The armhf package's refusal of ARMv6 boards (debian/printhook.preinst).
TESTS += tests/package/preinst-test
EXTRA_DIST += tests/package/preinst-test

# The MQTT output's fixtures: a real mosquitto broker (tests/mqtt_broker.h)
# and a paho subscriber that records what arrives (tests/mqtt_subscriber.h,
# tests/servers/mqtt_subscriber.py), proved by their own suite.  They need
# Debian's mosquitto, mosquitto-clients, python3-paho-mqtt and openssl.
ph_mqtt_test_helpers = tests/mqtt_broker.c tests/mqtt_broker.h \
	tests/mqtt_subscriber.c tests/mqtt_subscriber.h
EXTRA_DIST += tests/servers/mqtt_subscriber.py
check_PROGRAMS += tests/test-mqtt-fixtures
TESTS += tests/test-mqtt-fixtures
tests_test_mqtt_fixtures_SOURCES = tests/test_mqtt_fixtures.c $(ph_mqtt_test_helpers)
tests_test_mqtt_fixtures_CFLAGS = $(test_cflags)
tests_test_mqtt_fixtures_LDADD = $(test_ldadd)

# lib/mqtt's link against a real mosquitto (TLS names).
check_PROGRAMS += tests/test-mqtt-link
TESTS += tests/test-mqtt-link
tests_test_mqtt_link_SOURCES = tests/test_mqtt_link.c $(ph_mqtt_test_helpers)
tests_test_mqtt_link_CFLAGS = $(test_cflags)
tests_test_mqtt_link_LDADD = $(test_ldadd) lib/mqtt/libphmqtt.la

# The Bambu Lab source end to end, against a mosquitto playing the printer.
check_PROGRAMS += tests/test-bambu
TESTS += tests/test-bambu
ph_bambu_test_helpers = tests/bambu_run.c tests/bambu_run.h $(ph_mqtt_test_helpers)
tests_test_bambu_SOURCES = tests/test_bambu.c $(ph_bambu_test_helpers)
tests_test_bambu_CFLAGS = $(test_cflags)
tests_test_bambu_LDADD = $(test_ldadd)

# A Bambu P1's camera as @snapshot: the daemon, the broker and the fake
# camera on port 6000's protocol (tests/servers/bambu_camera.py).
check_PROGRAMS += tests/test-bambu-snapshot
TESTS += tests/test-bambu-snapshot
tests_test_bambu_snapshot_SOURCES = tests/test_bambu_snapshot.c $(ph_bambu_test_helpers) \
	tests/servers/script_server.c tests/servers/script_server.h \
	tests/printer_cert.c tests/printer_cert.h
tests_test_bambu_snapshot_CFLAGS = $(test_cflags)
tests_test_bambu_snapshot_LDADD = $(test_ldadd)

# The mqtt module against a real mosquitto (tests/test_mqtt.c).
check_PROGRAMS += tests/test-mqtt
TESTS += tests/test-mqtt
tests_test_mqtt_SOURCES = tests/test_mqtt.c $(ph_mqtt_test_helpers) tests/daemon_setup.c \
	tests/daemon_setup.h $(ph_spool_test_helpers) $(ph_test_helpers) \
	tests/console_client.c tests/console_client.h \
	modules/http-webhook/sign.c modules/http-webhook/sign.h
tests_test_mqtt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/modules/http-webhook
tests_test_mqtt_CFLAGS = $(test_cflags)
tests_test_mqtt_LDADD = $(test_ldadd) $(SQLITE_LIBS)
EXTRA_DIST += tests/servers/bad_broker.py

# A print farm (tests/test_farm.c): edges forwarding events over a real
# mosquitto to central daemons, acknowledgements, duplicates, hostile
# envelopes, and daemons and the broker killed during thousands of events.
check_PROGRAMS += tests/test-farm
TESTS += tests/test-farm
tests_test_farm_SOURCES = tests/test_farm.c $(ph_mqtt_test_helpers) tests/daemon_setup.c \
	tests/console_client.c tests/console_client.h \
	tests/daemon_setup.h $(ph_spool_test_helpers)
tests_test_farm_CFLAGS = $(test_cflags)
tests_test_farm_LDADD = $(test_ldadd) $(SQLITE_LIBS)
