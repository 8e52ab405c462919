# Modules: one libtool module (.so) per directory, built with the module_*
# flags of Makefile.am.  PACKAGE_VERSION comes from -include autoconfig.h.

module_LTLIBRARIES += modules/http-webhook.la
modules_http_webhook_la_SOURCES = modules/http-webhook/http-webhook.c \
	modules/http-webhook/sign.c modules/http-webhook/sign.h
modules_http_webhook_la_CFLAGS = $(module_compile_flags)
modules_http_webhook_la_LDFLAGS = $(module_link_flags)
modules_http_webhook_la_LIBADD = $(module_libs)

module_LTLIBRARIES += modules/form-encoder.la
modules_form_encoder_la_SOURCES = modules/form-encoder/form-encoder.c
modules_form_encoder_la_CFLAGS = $(module_compile_flags)
modules_form_encoder_la_LDFLAGS = $(module_link_flags)
modules_form_encoder_la_LIBADD = $(module_libs)

module_LTLIBRARIES += modules/multipart.la
modules_multipart_la_SOURCES = modules/multipart/multipart.c
modules_multipart_la_CFLAGS = $(module_compile_flags)
modules_multipart_la_LDFLAGS = $(module_link_flags)
modules_multipart_la_LIBADD = $(module_libs) $(SOUP_LIBS)

module_LTLIBRARIES += modules/oauth.la
modules_oauth_la_SOURCES = modules/oauth/oauth.c modules/oauth/token.c modules/oauth/token.h
modules_oauth_la_CFLAGS = $(module_compile_flags)
modules_oauth_la_LDFLAGS = $(module_link_flags)
modules_oauth_la_LIBADD = $(module_libs)

module_LTLIBRARIES += modules/snapshot.la
modules_snapshot_la_SOURCES = modules/snapshot/snapshot.c modules/snapshot/jpeg.c \
	modules/snapshot/jpeg.h modules/snapshot/image.c modules/snapshot/image.h
modules_snapshot_la_CFLAGS = $(module_compile_flags) $(JPEG_CFLAGS)
modules_snapshot_la_LDFLAGS = $(module_link_flags)
modules_snapshot_la_LIBADD = $(module_libs) $(JPEG_LIBS)

# mqtt signs with http-webhook's sign.c: the same signature over either.
module_LTLIBRARIES += modules/mqtt.la
modules_mqtt_la_SOURCES = modules/mqtt/mqtt.c modules/mqtt/broker.c modules/mqtt/broker.h \
	modules/mqtt/discovery.c modules/mqtt/discovery.h \
	modules/mqtt/forward.c modules/mqtt/forward.h modules/mqtt/ack.c modules/mqtt/ack.h \
	modules/http-webhook/sign.c modules/http-webhook/sign.h
modules_mqtt_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/modules/http-webhook
modules_mqtt_la_CFLAGS = $(module_compile_flags) $(MOSQUITTO_CFLAGS)
modules_mqtt_la_LDFLAGS = $(module_link_flags)
modules_mqtt_la_LIBADD = lib/mqtt/libphmqtt.la $(module_libs) $(MOSQUITTO_LIBS)
