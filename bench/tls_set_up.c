/* What OpenSSL's first TLS client context costs a process, against a
 * second one, after libcurl's global set-up as the daemon does it (part 8
 * of bench/README.md): the first SSL_CTX loads the default provider's
 * algorithms, which every later context shares, so whatever first uses
 * TLS in the daemon (an https hook, an mqtts hook, a Bambu source) pays
 * it once.  Prints {"after_curl_kb", "first_kb", "second_kb"}: the
 * Private_Dirty growth of one context with the CA file argv[1] loaded and
 * one SSL object. */
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long
private_dirty_kb (void)
{
  FILE *f = fopen ("/proc/self/smaps_rollup", "r");
  char line[256];
  long kb = -1;

  while (f != NULL && fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, "Private_Dirty:", 14) == 0)
      kb = atol (line + 14);
  if (f != NULL)
    fclose (f);
  return kb;
}

/* One context with ca_file's CAs and one connection object, kept. */
static void
client (const char *ca_file)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());

  if (ctx == NULL || SSL_CTX_load_verify_locations (ctx, ca_file, NULL) != 1
      || SSL_new (ctx) == NULL)
    {
      fprintf (stderr, "tls_set_up: cannot make a TLS client with %s\n", ca_file);
      exit (1);
    }
}

int
main (int argc, char **argv)
{
  long base, first, second;

  if (argc != 2)
    {
      fprintf (stderr, "usage: tls_set_up CA_FILE\n");
      return 2;
    }
  curl_global_init (CURL_GLOBAL_DEFAULT);
  base = private_dirty_kb ();
  client (argv[1]);
  first = private_dirty_kb ();
  client (argv[1]);
  second = private_dirty_kb ();
  printf ("{\"after_curl_kb\": %ld, \"first_kb\": %ld, \"second_kb\": %ld}\n", base,
          first - base, second - first);
  return 0;
}
