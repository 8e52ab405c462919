# Modules: one libtool module (.so) per directory, built with the module_* flags of Makefile.am.
