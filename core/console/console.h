/* The web console (printhook-console(7)): an HTTP server on the daemon's
 * main loop (libsoup) with a JSON API, a live feed, Prometheus metrics and
 * one page, behind a token.  It only looks at the daemon's parts and asks
 * them to act; a console that cannot listen logs why and leaves the
 * deliveries alone. */
#ifndef PH_CONSOLE_H
#define PH_CONSOLE_H

#include <glib.h>
#include "config/diag.h"
#include "delivery/activity.h"
#include "delivery/deliverer.h"
#include "delivery/generation.h"
#include "sources/source.h"
#include "spool/spool.h"

/* What the console reaches of the daemon.  Pointers: transfer none; they
 * outlive the console. */
typedef struct {
  ph_spool *spool;
  ph_deliverer *deliverer;
  ph_activity *activity;
  /* The sources running now: name -> ph_source * (transfer none). */
  GHashTable *(*sources) (gpointer daemon);
  /* Reads the configuration again, as SIGHUP does; on errors every
   * problem goes to diag and the running configuration stays.  Returns
   * whether the new one runs now. */
  gboolean (*reload) (gpointer daemon, ph_diag *diag);
  gpointer daemon;
} ph_console_daemon;

typedef struct ph_console ph_console;

/* A console for gen's [console] group (a reference is taken), listening
 * at once; NULL when the group says enabled = false.  A console that
 * cannot listen or has no token logs it and serves nothing (deliveries go
 * on).  daemon: copied.  Transfer full. */
ph_console *ph_console_new (ph_generation *gen, const ph_console_daemon *daemon);

/* The configuration the console shows and acts on from now on (a
 * reference is taken); it listens again when [console] changed.  Returns
 * the console to keep: NULL when it is now disabled (console is freed),
 * a new one when it was off before (console NULL). */
ph_console *ph_console_update (ph_console *console, ph_generation *gen,
                               const ph_console_daemon *daemon);

/* The token in path: read, or when create is set and the file is missing,
 * made (256 random bits as 64 hex digits, mode 0600).  Transfer full, or
 * NULL with error. */
char *ph_console_read_token (const char *path, gboolean create, GError **error);

/* The URLs a console of config serves at (port 0 as 0: only the running
 * daemon knows which it got), for printhook console.  Transfer full. */
char **ph_console_urls (const ph_console_config *config);

/* Closes every connection and frees it.  NULL is allowed. */
void ph_console_free (ph_console *console);

#endif
