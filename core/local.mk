# The core: everything but main() lives in a convenience library so that the
# test suites link the very code the daemon runs.  One block per folder, in
# the order of core/README.md: each folder uses only the ones above it.
noinst_LTLIBRARIES += core/libphcore.la
core_libphcore_la_SOURCES = core/version.c core/version.h

# text/: pure functions on strings and JSON, no I/O.
core_libphcore_la_SOURCES += \
	core/text/template.c core/text/template.h \
	core/text/json_text.c core/text/json_text.h \
	core/text/double_text.c core/text/double_text.h \
	core/text/pow10.c core/text/pow10.h core/text/u128.h core/text/string_put.h \
	core/text/suggest.c core/text/suggest.h

# event/: what an event is, the names printhook knows, the sample printer.
core_libphcore_la_SOURCES += \
	core/event/camera.c core/event/camera.h \
	core/event/envelope.c core/event/envelope.h \
	core/event/event.c core/event/event.h \
	core/event/events.c core/event/events.h \
	core/event/sample.c core/event/sample.h

# registry/: finding, checking and loading module .so files.
core_libphcore_la_SOURCES += \
	core/registry/registry.c core/registry/registry.h \
	core/registry/elf_check.c core/registry/elf_check.h

# spool/: the SQLite store of deliveries.
core_libphcore_la_SOURCES += \
	core/spool/spool.c core/spool/spool.h core/spool/spool_private.h \
	core/spool/spool_sql.c core/spool/spool_entry.c core/spool/spool_open.c \
	core/spool/spool_due.c core/spool/spool_history.c core/spool/spool_seen.c

# config/: the INI files, their keys and values, hooks and sources, secrets.
core_libphcore_la_SOURCES += \
	core/config/ini_scan.c core/config/ini_scan.h \
	core/config/diag.c core/config/diag.h \
	core/config/config.c core/config/config.h core/config/config_private.h \
	core/config/config_hook.c core/config/config_source.c core/config/config_console.c \
	core/config/chain.c \
	core/config/config_keys.c core/config/config_keys.h \
	core/config/config_value.c core/config/config_value.h \
	core/config/hook_config.c core/config/hook_config.h \
	core/config/redact.c core/config/redact.h \
	core/config/hook_file.c core/config/hook_file.h

# delivery/: one event x one hook, through its chain, to the receiver.
core_libphcore_la_SOURCES += \
	core/delivery/delivery.c core/delivery/delivery.h \
	core/delivery/params.c core/delivery/params.h \
	core/delivery/chain_run.c core/delivery/chain_run.h \
	core/delivery/host.c core/delivery/host.h \
	core/delivery/http.c core/delivery/http.h \
	core/delivery/backoff.c core/delivery/backoff.h \
	core/delivery/generation.c core/delivery/generation.h \
	core/delivery/sample_delivery.c core/delivery/sample_delivery.h \
	core/delivery/spool_delivery.c core/delivery/spool_delivery.h \
	core/delivery/deliverer.c core/delivery/deliverer.h core/delivery/deliverer_private.h \
	core/delivery/deliverer_batch.c core/delivery/deliverer_intake.c \
	core/delivery/deliverer_schedule.c \
	core/delivery/activity.c core/delivery/activity.h \
	core/delivery/preview.c core/delivery/preview.h

# router/: which hooks an event goes to.
core_libphcore_la_SOURCES += \
	core/router/router.c core/router/router.h \
	core/router/cooldown.c core/router/cooldown.h \
	core/router/progress.c core/router/progress.h

# sources/: the printers, as events for the router.
core_libphcore_la_SOURCES += \
	core/sources/user_action.c core/sources/user_action.h \
	core/sources/ws_link.c core/sources/ws_link.h \
	core/sources/proxy_env.c core/sources/proxy_env.h \
	core/sources/event_queue.c core/sources/event_queue.h core/sources/json_member.h \
	core/sources/farm.c core/sources/farm.h \
	core/sources/octoprint_mqtt.c core/sources/octoprint_mqtt.h \
	core/sources/octoprint_api.c core/sources/octoprint_api.h \
	core/sources/octoprint.c core/sources/octoprint.h core/sources/octoprint_private.h \
	core/sources/octoprint_printer.c \
	core/sources/jsonrpc.c core/sources/jsonrpc.h \
	core/sources/bambu_report.c core/sources/bambu_report.h \
	core/sources/bambu.c core/sources/bambu.h \
	core/sources/bambu_camera.c core/sources/bambu_camera.h \
	core/sources/bambu_still.c core/sources/bambu_still.h \
	core/sources/moonraker_api.c core/sources/moonraker_api.h \
	core/sources/moonraker.c core/sources/moonraker.h core/sources/moonraker_private.h \
	core/sources/moonraker_printer.c core/sources/moonraker_job.c \
	core/sources/source.c core/sources/source.h

# console/: the web console, its API and its page (a GResource).
core_libphcore_la_SOURCES += \
	core/console/console.c core/console/console.h core/console/console_private.h \
	core/console/console_http.c core/console/console_auth.c \
	core/console/console_api.c core/console/console_test.c \
	core/console/console_deliveries.c core/console/console_feed.c \
	core/console/console_metrics.c core/console/console_page.c \
	core/console/console_hook_edit.c core/console/console_catalog.c
nodist_core_libphcore_la_SOURCES = core/console/console_resources.c
console_page_files = core/console/page/index.html core/console/page/login.html \
	core/console/page/console.css core/console/page/console.js core/console/page/login.js \
	core/console/page/editor.js
BUILT_SOURCES += core/console/console_resources.c
CLEANFILES += core/console/console_resources.c
EXTRA_DIST += core/console/page/console.gresource.xml $(console_page_files) core/console/API.md
core/console/console_resources.c: $(srcdir)/core/console/page/console.gresource.xml \
		$(console_page_files)
	$(AM_V_GEN)$(MKDIR_P) core/console && $(GLIB_COMPILE_RESOURCES) --target=$@ \
		--sourcedir=$(srcdir)/core/console/page --generate-source --c-name ph_console $<

# daemon/: the running daemon and its control socket.
core_libphcore_la_SOURCES += \
	core/daemon/daemon.c core/daemon/daemon.h \
	core/daemon/control_protocol.c core/daemon/control_protocol.h \
	core/daemon/control_socket.c core/daemon/control_socket.h

# cli/: what the subcommands share (the suites test it too).
core_libphcore_la_SOURCES += \
	core/cli/cli_common.c core/cli/cli_common.h core/cli/cli.h \
	core/cli/listen_format.c core/cli/listen_format.h \
	core/cli/listen_mqtt.c core/cli/listen_mqtt.h \
	core/cli/signature_verify.c core/cli/signature_verify.h \
	core/cli/simulate_step.c core/cli/simulate_step.h core/cli/simulate_bambu.c

core_libphcore_la_LIBADD = lib/mqtt/libphmqtt.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) \
	$(SOUP_LIBS) $(SQLITE_LIBS) $(MOSQUITTO_LIBS) $(LIBM)

# The command: main() and one file per subcommand.
bin_PROGRAMS += printhook
printhook_SOURCES = core/main.c \
	core/cli/cli_check.c core/cli/cli_modules.c core/cli/cli_render.c core/cli/cli_test.c \
	core/cli/cli_listen.c core/cli/cli_run.c core/cli/cli_emit.c core/cli/cli_simulate.c \
	core/cli/cli_spool.c core/cli/cli_console.c
printhook_LDADD = core/libphcore.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS) \
	$(SQLITE_LIBS) $(MOSQUITTO_LIBS)

EXTRA_DIST += core/README.md
