# What printhook installs besides its programs: the configuration and the
# hook presets.

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
	conf/examples/node-red.conf conf/examples/signed.conf
