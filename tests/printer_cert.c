#include "autoconfig.h"
#include "printer_cert.h"

#include <check.h>
#include <glib.h>

static void
run_ok (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error)
                 && g_spawn_check_wait_status (status, &error),
                 "%s %s: %s\n%s", argv[0], argv[1], error ? error->message : "", err ? err : "");
}

void
ph_test_printer_certificate (const char *dir, const char *serial, const char *ca_pem,
                             const char *ca_key)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *key = g_build_filename (dir, "camera.key", NULL);
  g_autofree char *csr = g_build_filename (dir, "camera.csr", NULL);
  g_autofree char *cert = g_build_filename (dir, "camera.pem", NULL);
  g_autofree char *ext = g_build_filename (dir, "camera.ext", NULL);
  g_autofree char *subject = g_strdup_printf ("/CN=%s/O=printhook test printer", serial);
  g_autoptr (GError) error = NULL;
  const char *request[] = {
    openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", csr, "-subj", subject, NULL
  };
  const char *sign[] = {
    openssl, "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
    "-out", cert, "-days", "2", "-extfile", ext, NULL
  };

  ck_assert_msg (openssl != NULL, "the tests need the openssl command");
  run_ok (request);
  /* openssl x509 -req takes extensions from a file only (before 3.2). */
  ck_assert_msg (g_file_set_contents (ext, "basicConstraints = critical, CA:FALSE\n"
                                      "extendedKeyUsage = serverAuth\n", -1, &error),
                 "%s: %s", ext, error->message);
  run_ok (sign);
}
