# The manual pages, written in roff by hand.  tests/test_docs.c checks that
# they name every command, option, configuration key and event the code has.
dist_man_MANS = man/printhook.1 man/printhook.conf.5 man/printhook-console.7 \
	man/printhook-modules.7
