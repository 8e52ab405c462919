# The core: everything but main() lives in a convenience library so that the
# test suites link the very code the daemon runs.
noinst_LTLIBRARIES += core/libphcore.la
core_libphcore_la_SOURCES = \
	core/version.c core/version.h
core_libphcore_la_SOURCES += core/json_text.c core/json_text.h
core_libphcore_la_SOURCES += core/template.c core/template.h
core_libphcore_la_SOURCES += core/http.c core/http.h
core_libphcore_la_SOURCES += core/listen_format.c core/listen_format.h core/signature_verify.c core/signature_verify.h
core_libphcore_la_LIBADD = $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS)

bin_PROGRAMS += printhook
printhook_SOURCES = core/main.c
printhook_SOURCES += core/cli_listen.c
printhook_LDADD = core/libphcore.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS)
