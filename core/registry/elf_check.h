/* A look at a module file before dlopen() maps it.  glibc maps an ELF file's
 * segments as its headers describe them; a file cut short (a failed copy, a
 * full disk) then faults with SIGBUS inside dlopen instead of failing. */
#ifndef PH_ELF_CHECK_H
#define PH_ELF_CHECK_H

#include <glib.h>

/* TRUE when path is a shared object of this machine (ELF class, byte
 * order and machine, as printhook itself was built) whose program headers
 * and loadable segments lie within the file; else FALSE with an error
 * saying what is wrong (not naming the path): for a module of another
 * machine, which machine it and this printhook are ("built for aarch64
 * (arm64 ...), but this printhook is x86-64 (amd64)"). */
gboolean ph_elf_check_file (const char *path, GError **error);

#endif
