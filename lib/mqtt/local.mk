# lib/mqtt: MQTT connections on the GLib loop (libmosquitto), shared by the
# mqtt module and, later, the daemon's MQTT sources and listen --mqtt.  A
# libtool convenience library, built PIC so that a module can take it in.
noinst_LTLIBRARIES += lib/mqtt/libphmqtt.la
lib_mqtt_libphmqtt_la_SOURCES = lib/mqtt/mqtt_link.c lib/mqtt/mqtt_link.h \
	lib/mqtt/mqtt_url.c lib/mqtt/mqtt_url.h
lib_mqtt_libphmqtt_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(MOSQUITTO_CFLAGS) \
	$(OPENSSL_CFLAGS)
lib_mqtt_libphmqtt_la_LIBADD = $(GLIB_LIBS) $(MOSQUITTO_LIBS) $(OPENSSL_LIBS)
