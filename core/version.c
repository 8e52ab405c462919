#include "autoconfig.h"
#include "version.h"

const char *
ph_version (void)
{
  return PACKAGE_VERSION;
}
