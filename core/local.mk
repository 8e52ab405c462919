# The core: everything but main() lives in a convenience library so that the
# test suites link the very code the daemon runs.
noinst_LTLIBRARIES += core/libphcore.la
core_libphcore_la_SOURCES = \
	core/version.c core/version.h \
	core/suggest.c core/suggest.h \
	core/events.c core/events.h \
	core/diag.c core/diag.h \
	core/ini_scan.c core/ini_scan.h \
	core/registry.c core/registry.h core/elf_check.c core/elf_check.h \
	core/config_value.c core/config_value.h \
	core/config_keys.c core/config_keys.h \
	core/hook_config.c core/hook_config.h \
	core/config.c core/config.h core/config_private.h \
	core/config_hook.c core/chain.c \
	core/event.c core/event.h \
	core/params.c core/params.h \
	core/delivery.c core/delivery.h \
	core/host.c core/host.h \
	core/redact.c core/redact.h \
	core/sample.c core/sample.h \
	core/chain_run.c core/chain_run.h \
	core/cli_common.c core/cli_common.h core/cli.h
core_libphcore_la_SOURCES += core/json_text.c core/json_text.h
core_libphcore_la_SOURCES += core/double_text.c core/double_text.h core/pow10.c core/pow10.h \
	core/string_put.h \
	core/u128.h
core_libphcore_la_SOURCES += core/template.c core/template.h
core_libphcore_la_SOURCES += core/http.c core/http.h
core_libphcore_la_SOURCES += core/listen_format.c core/listen_format.h core/signature_verify.c core/signature_verify.h
core_libphcore_la_SOURCES += core/config_source.c \
	core/progress.c core/progress.h core/cooldown.c core/cooldown.h \
	core/generation.c core/generation.h core/deliverer.c core/deliverer.h \
	core/router.c core/router.h \
	core/control_protocol.c core/control_protocol.h \
	core/control_socket.c core/control_socket.h \
	core/sources/user_action.c core/sources/user_action.h \
	core/sources/ws_link.c core/sources/ws_link.h \
	core/sources/proxy_env.c core/sources/proxy_env.h \
	core/sources/event_queue.c core/sources/event_queue.h core/sources/json_member.h \
	core/sources/octoprint_api.c core/sources/octoprint_api.h \
	core/sources/octoprint.c core/sources/octoprint.h core/sources/octoprint_private.h \
	core/sources/octoprint_printer.c \
	core/sources/jsonrpc.c core/sources/jsonrpc.h \
	core/sources/moonraker_api.c core/sources/moonraker_api.h \
	core/sources/moonraker.c core/sources/moonraker.h core/sources/moonraker_private.h \
	core/sources/moonraker_printer.c core/sources/moonraker_job.c \
	core/sources/source.c core/sources/source.h \
	core/daemon.c core/daemon.h
core_libphcore_la_LIBADD = $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS)

bin_PROGRAMS += printhook
printhook_SOURCES = core/main.c core/cli_check.c core/cli_modules.c core/cli_render.c \
	core/cli_test.c
printhook_SOURCES += core/cli_listen.c
printhook_SOURCES += core/cli_run.c core/cli_emit.c core/cli_simulate.c
printhook_LDADD = core/libphcore.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS)

# The spool (issue 6): SQLite store, retry schedule, and printhook spool.
core_libphcore_la_SOURCES += core/backoff.c core/backoff.h \
	core/spool.c core/spool.h core/spool_private.h core/spool_sql.c core/spool_entry.c \
	core/spool_open.c core/spool_delivery.c core/spool_delivery.h
core_libphcore_la_SOURCES += core/spool_due.c core/deliverer_schedule.c core/deliverer_batch.c \
	core/deliverer_private.h
core_libphcore_la_LIBADD += $(SQLITE_LIBS)
printhook_SOURCES += core/cli_spool.c
printhook_LDADD += $(SQLITE_LIBS)
