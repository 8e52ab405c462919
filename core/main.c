#include "config.h"
#include <stdio.h>
#include "version.h"

int
main (int argc, char **argv)
{
  printf ("printhook %s\n", ph_version ());
  return 0;
}
