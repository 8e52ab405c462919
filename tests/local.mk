# Check suites.  Every suite runs the real code; GLib warnings and criticals
# are fatal (tests/harness.c).

# Helpers every suite links.
check_LTLIBRARIES += tests/libphtest.la
tests_libphtest_la_SOURCES = tests/harness.c tests/harness.h
tests_libphtest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_libphtest_la_LIBADD = $(GLIB_LIBS) $(CHECK_LIBS)

# What every suite links and how every suite is run.
test_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests
test_ldadd = tests/libphtest.la core/libphcore.la $(GLIB_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SOUP_LIBS) $(CHECK_LIBS)
AM_TESTS_ENVIRONMENT = \
	PH_TEST_SRCDIR='$(abs_top_srcdir)' PH_TEST_BUILDDIR='$(abs_top_builddir)' \
	PH_TEST_BINARY='$(abs_top_builddir)/printhook' \
	PRINTHOOK_MODULE_PATH='$(abs_top_builddir)/modules/.libs' \
	G_DEBUG=fatal-criticals ; export PH_TEST_SRCDIR PH_TEST_BUILDDIR PH_TEST_BINARY \
	PRINTHOOK_MODULE_PATH G_DEBUG ;

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
