#ifndef PH_VERSION_H
#define PH_VERSION_H

/* The version string printed by --version and in logs: transfer none. */
const char *ph_version (void);

#endif
