# What printhook installs besides its programs: the configuration, the
# hook presets and the systemd unit.

# printhook.conf is the administrator's file once installed: "make install"
# puts it in place only when there is none, and "make uninstall" removes it
# only while it is still the shipped one.
printhookconfdir = $(sysconfdir)/printhook
printhookhooksdir = $(printhookconfdir)/hooks.d
dist_printhookhooks_DATA = conf/hooks.d/README
EXTRA_DIST += conf/printhook.conf

install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(printhookconfdir)'
	@if test -f '$(DESTDIR)$(printhookconfdir)/printhook.conf'; then \
	  echo "keeping the existing $(DESTDIR)$(printhookconfdir)/printhook.conf"; \
	else \
	  echo " $(INSTALL_DATA) conf/printhook.conf '$(DESTDIR)$(printhookconfdir)'"; \
	  $(INSTALL_DATA) $(srcdir)/conf/printhook.conf '$(DESTDIR)$(printhookconfdir)/printhook.conf'; \
	fi

uninstall-local:
	if cmp -s $(srcdir)/conf/printhook.conf '$(DESTDIR)$(printhookconfdir)/printhook.conf'; then \
	  rm -f '$(DESTDIR)$(printhookconfdir)/printhook.conf'; \
	fi

# Ready hooks for common services, to copy into hooks.d/.
presetsdir = $(pkgdatadir)/examples
dist_presets_DATA = conf/examples/discord.conf conf/examples/slack.conf \
	conf/examples/telegram.conf conf/examples/ntfy.conf conf/examples/gotify.conf \
	conf/examples/home-assistant.conf conf/examples/ifttt.conf \
	conf/examples/node-red.conf conf/examples/signed.conf conf/examples/mqtt.conf \
	conf/examples/home-assistant-mqtt.conf conf/examples/farm-edge.conf \
	conf/examples/farm-central.conf

# Bambu Lab's CAs: what a bambu source's TLS trusts by default; a print as
# a P1 reports it, for printhook simulate --bambu.
dist_pkgdata_DATA = conf/bambu-ca.pem conf/bambu-p1-print.jsonl

# The unit names the installed binary, so it is made at build time.
if INSTALL_SYSTEMD_UNIT
nodist_systemdsystemunit_DATA = conf/printhook.service
else
nodist_noinst_DATA = conf/printhook.service
endif
EXTRA_DIST += conf/printhook.service.in
CLEANFILES += conf/printhook.service
conf/printhook.service: $(srcdir)/conf/printhook.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && \
	sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	  $(srcdir)/conf/printhook.service.in >$@.tmp && mv $@.tmp $@
