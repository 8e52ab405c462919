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
  if (header->e_ident[EI_CLASS] != (sizeof (void *) == 8 ? ELFCLASS64 : ELFCLASS32)
      || header->e_ident[EI_DATA] != (G_BYTE_ORDER == G_LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB))
    return fail (error, "built for another kind of machine");
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
  return TRUE;
}
