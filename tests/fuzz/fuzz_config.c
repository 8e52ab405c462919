/* The configuration loader, through the path printhook check takes: the
 * input is a whole printhook.conf (hooks and sources, module keys checked
 * against the real modules of PRINTHOOK_MODULE_PATH); every problem is a
 * diagnostic, never a crash. */
#include "autoconfig.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fuzz.h"
#include "config/config.h"
#include "delivery/host.h"

static char *path;

/* The file and its folder go when libFuzzer exits. */
static void
remove_file (void)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (ph_diag) diag = ph_diag_new ();
  g_autoptr (ph_config) config = NULL;

  if (path == NULL)
    {
      g_autofree char *dir = g_dir_make_tmp ("printhook-fuzz-XXXXXX", NULL);

      if (dir == NULL)
        abort ();
      path = g_build_filename (dir, "printhook.conf", NULL);
      atexit (remove_file);
    }
  if (!g_file_set_contents (path, (const char *) data, size, NULL))
    abort ();
  config = ph_config_load (path, ph_host (), diag);
  if (config == NULL && diag->entries->len == 0)
    PH_FUZZ_FAIL ("a configuration was refused without a word");
  return 0;
}
