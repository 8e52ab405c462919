#include "autoconfig.h"
#include "elf_check.h"

#include <elf.h>
#include <link.h>
#include <string.h>

#include "printhook/module.h"

static gboolean
fail (GError **error, const char *message)
{
  g_set_error_literal (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE, message);
  return FALSE;
}

/* The linker's name for this object's own ELF header (GNU ld, gold, lld):
 * the machine, class and byte order printhook was built for. */
extern const ElfW (Ehdr) __ehdr_start;

/* A machine as users and Debian name it. */
static const char *
machine_name (guint machine, guint elf_class)
{
  switch (machine)
    {
    case EM_X86_64:
      return "x86-64 (amd64)";
    case EM_386:
      return "x86 (i386)";
    case EM_AARCH64:
      return "aarch64 (arm64: Raspberry Pi 3, 4, 5, Zero 2 W on 64-bit OS)";
    case EM_ARM:
      return "32-bit ARM (armhf or armel)";
    case EM_RISCV:
      return elf_class == ELFCLASS64 ? "riscv64" : "riscv32";
    case EM_PPC64:
      return "ppc64";
    case EM_S390:
      return "s390x";
    case EM_MIPS:
      return "mips";
    default:
      return NULL;
    }
}

/* The machine of a header, read in its own class and byte order (e_type
 * and e_machine sit at the same offsets in 32- and 64-bit headers); its
 * class said when it is not this printhook's. */
static char *
describe (const unsigned char *ident_and_more)
{
  gboolean other_class = ident_and_more[EI_CLASS] != __ehdr_start.e_ident[EI_CLASS];
  guint elf_class = ident_and_more[EI_CLASS];
  gboolean little = ident_and_more[EI_DATA] == ELFDATA2LSB;
  guint machine = little ? ident_and_more[18] | (guint) ident_and_more[19] << 8
                         : (guint) ident_and_more[18] << 8 | ident_and_more[19];
  const char *name = machine_name (machine, elf_class);

  if (name != NULL)
    return other_class ? g_strdup_printf ("%s, %s-bit ELF", name,
                                          elf_class == ELFCLASS64 ? "64" : "32")
                       : g_strdup (name);
  return g_strdup_printf ("ELF machine %u, %s-bit, %s-endian", machine,
                          elf_class == ELFCLASS64 ? "64" : "32", little ? "little" : "big");
}

gboolean
ph_elf_check_file (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mapped = g_mapped_file_new (path, FALSE, error);
  const ElfW (Ehdr) *header;
  const char *bytes;
  gsize size;

  if (mapped == NULL)
    return FALSE;
  bytes = g_mapped_file_get_contents (mapped);
  size = g_mapped_file_get_length (mapped);
  if (size < sizeof *header || memcmp (bytes, ELFMAG, SELFMAG) != 0)
    return fail (error, "not an ELF shared object");
  header = (const ElfW (Ehdr) *) bytes;
  /* glibc says "cannot open shared object file: No such file or directory"
   * for a file of another machine: say which, and which this is. */
  if (size >= 20
      && (header->e_ident[EI_CLASS] != __ehdr_start.e_ident[EI_CLASS]
          || header->e_ident[EI_DATA] != __ehdr_start.e_ident[EI_DATA]
          || header->e_machine != __ehdr_start.e_machine))
    {
      g_autofree char *theirs = describe ((const unsigned char *) bytes);
      g_autofree char *ours = describe ((const unsigned char *) &__ehdr_start);

      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_MODULE,
                   "built for %s, but this printhook is %s: install the module built for "
                   "this machine", theirs, ours);
      return FALSE;
    }
  if (header->e_type != ET_DYN)
    return fail (error, "not a shared object");
  if (header->e_phentsize != sizeof (ElfW (Phdr)) || header->e_phoff > size
      || (gsize) header->e_phnum * sizeof (ElfW (Phdr)) > size - header->e_phoff)
    return fail (error, "its program headers are damaged or cut off");
  for (guint i = 0; i < header->e_phnum; i++)
    {
      const ElfW (Phdr) *ph = (const ElfW (Phdr) *) (bytes + header->e_phoff) + i;

      if (ph->p_type == PT_LOAD && (ph->p_offset > size || ph->p_filesz > size - ph->p_offset))
        return fail (error, "the file is cut off (shorter than its segments)");
    }
  /* The section headers come last in the file (strip keeps them): a copy
   * cut anywhere loses them, even where what is loaded survived (on
   * 32-bit ARM the loaded part is often the first third of the file). */
  if (header->e_shoff != 0
      && (header->e_shoff > size
          || (gsize) header->e_shnum * header->e_shentsize > size - header->e_shoff))
    return fail (error, "the file is cut off (shorter than its section headers)");
  return TRUE;
}
