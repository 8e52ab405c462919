#include "autoconfig.h"
#include "mqtt_broker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#ifdef __linux__
#endif

#include "daemon_process.h"
#include "harness.h"

/* Debian's packages mosquitto and mosquitto-clients. */
#define MOSQUITTO "/usr/sbin/mosquitto"
#define MOSQUITTO_PUB "/usr/bin/mosquitto_pub"
#define MOSQUITTO_PASSWD "/usr/bin/mosquitto_passwd"

#define POLL_MS 10
#define START_TIMEOUT_MS 10000
#define TOOL_TIMEOUT_MS 10000
#define STOP_GRACE_MS 5000
/* A free port can be taken by another test between our probe and
 * mosquitto's bind: then another port, a few times. */
#define PORT_ATTEMPTS 5
/* A restart must keep the port (the daemon under test reconnects to it),
 * which another test's probe like free_port may hold for a moment while
 * the broker is down: the same port again, for two seconds. */
#define RESTART_ATTEMPTS 20
#define RESTART_PAUSE_MS 100

/* Logged once mosquitto listens on every listener ("mosquitto version
 * 2.0.11 running"), when its port is taken, and as a save begins. */
#define LOG_RUNNING " running\n"
#define LOG_PORT_TAKEN "Address already in use"
#define LOG_SAVING "Saving in-memory database"
#define LOG_RECEIVED "Received PUBLISH from "
/* ph_broker_wait_settled: how long the count must hold still. */
#define SETTLED_MS 300

struct ph_broker {
  ph_broker_flags flags;
  char *dir;
  char *conf;          /* DIR/mosquitto.conf */
  char *log;           /* DIR/mosquitto.log, its log_dest */
  char *out;           /* DIR/mosquitto.out, its stdout and stderr */
  char *ca_file;       /* DIR/ca.pem with TLS, else NULL */
  char *client_cert;   /* DIR/client.pem with PH_BROKER_CLIENT_CERT, else NULL */
  char *client_key;
  char *extra_config;  /* appended to the config, or NULL */
  guint16 port;
  GPid pid;
  gboolean running;
};

/* ---- Children, stopped by pid whatever happens to the test ---- */

typedef struct {
  pid_t owner;   /* the process that started it: a forked test, or main */
  GPid pid;
  gboolean reaped;
  int wait_status;
} child;

static GArray *children;   /* of child */

static child *
find_child (GPid pid)
{
  for (guint i = 0; children != NULL && i < children->len; i++)
    {
      child *c = &g_array_index (children, child, i);

      if (c->pid == pid && c->owner == getpid ())
        return c;
    }
  return NULL;
}

static void
reap_blocking (child *c)
{
  pid_t got;

  do
    got = waitpid (c->pid, &c->wait_status, 0);
  while (got < 0 && errno == EINTR);
  c->reaped = TRUE;
}

/* At exit: under CK_FORK=no a failed assertion longjmps past the test's
 * cleanup, and its children would outlive the suite.  The array is copied
 * into every forked test: each process kills only its own children. */
static void
kill_children (void)
{
  for (guint i = 0; children != NULL && i < children->len; i++)
    {
      child *c = &g_array_index (children, child, i);

      if (c->owner != getpid () || c->reaped)
        continue;
      kill (c->pid, SIGKILL);
      reap_blocking (c);
    }
}

GPid
ph_mqtt_child_spawn (const char *const *argv, int out_fd)
{
  g_autoptr (GError) error = NULL;
  child c = { 0 };

  if (children == NULL)
    {
      children = g_array_new (FALSE, TRUE, sizeof (child));
      atexit (kill_children);
    }
  if (!g_spawn_async_with_fds (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                               ph_test_die_with_parent, GINT_TO_POINTER ((int) getpid ()), &c.pid, -1,
                               out_fd, out_fd, &error))
    ck_abort_msg ("cannot run %s: %s", argv[0], error->message);
  c.owner = getpid ();
  g_array_append_val (children, c);
  return c.pid;
}

gboolean
ph_mqtt_child_exited (GPid pid, int *wait_status)
{
  child *c = find_child (pid);

  ck_assert_msg (c != NULL, "pid %d is not a child of these fixtures", (int) pid);
  if (!c->reaped && waitpid (c->pid, &c->wait_status, WNOHANG) == c->pid)
    c->reaped = TRUE;
  if (c->reaped && wait_status != NULL)
    *wait_status = c->wait_status;
  return c->reaped;
}

int
ph_mqtt_child_end (GPid pid, int sig, guint grace_ms)
{
  child *c = find_child (pid);
  gint64 deadline = g_get_monotonic_time () + (gint64) grace_ms * 1000;
  int wait_status;

  ck_assert_msg (c != NULL, "pid %d is not a child of these fixtures", (int) pid);
  if (!ph_mqtt_child_exited (pid, NULL))
    {
      kill (pid, sig);
      while (!ph_mqtt_child_exited (pid, NULL) && g_get_monotonic_time () < deadline)
        g_usleep (POLL_MS * 1000);
      if (!c->reaped)
        {
          kill (pid, SIGKILL);
          reap_blocking (c);
        }
    }
  wait_status = c->wait_status;
  g_spawn_close_pid (pid);
  g_array_remove_index_fast (children, c - (child *) (void *) children->data);
  return wait_status;
}

/* A poll's pause while waiting for a child: the thread-default main
 * context runs meanwhile, as in the other fixtures' waits, so that a
 * daemon run in-process goes on too. */
static void
poll_pause (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_usleep (POLL_MS * 1000);
}

const char *
ph_mqtt_tail (const char *text, gsize max)
{
  gsize len = strlen (text);
  const char *start, *newline;

  if (len <= max)
    return text;
  start = text + len - max;
  newline = strchr (start, '\n');
  return newline != NULL && newline[1] != '\0' ? newline + 1 : start;
}

/* 0..255 for an exit, 128 + the signal for a death. */
static int
exit_code (int wait_status)
{
  if (WIFEXITED (wait_status))
    return WEXITSTATUS (wait_status);
  return 128 + WTERMSIG (wait_status);
}

/* Runs argv with its output to a file, at most timeout_ms; returns its
 * exit code and its output in *output (transfer full) when not NULL. */
static int
run_tool (const char *const *argv, guint timeout_ms, char **output)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) timeout_ms * 1000 * ph_test_slowness ();
  int fd = g_file_open_tmp ("ph-mqtt-tool-XXXXXX", &path, &error);
  int wait_status = 0;
  GPid pid;

  ck_assert_msg (fd >= 0, "tmp file: %s", error != NULL ? error->message : "?");
  pid = ph_mqtt_child_spawn (argv, fd);
  close (fd);
  while (!ph_mqtt_child_exited (pid, NULL) && g_get_monotonic_time () < deadline)
    poll_pause ();
  if (!ph_mqtt_child_exited (pid, NULL))
    {
      ph_mqtt_child_end (pid, SIGKILL, 0);
      g_file_get_contents (path, &text, NULL, NULL);
      g_unlink (path);
      ck_abort_msg ("%s did not exit within %u ms; the end of its output:\n%s", argv[0],
                    timeout_ms, ph_mqtt_tail (text != NULL ? text : "", PH_MQTT_SHOWN));
    }
  wait_status = ph_mqtt_child_end (pid, SIGKILL, 0);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    text = g_strdup ("");
  g_unlink (path);
  if (output != NULL)
    *output = g_steal_pointer (&text);
  return exit_code (wait_status);
}

/* run_tool that must succeed. */
static void
run_tool_ok (const char *const *argv)
{
  g_autofree char *output = NULL;
  int code = run_tool (argv, TOOL_TIMEOUT_MS, &output);

  ck_assert_msg (code == 0, "%s %s exited %d:\n%s", argv[0], argv[1], code,
                 ph_mqtt_tail (output, PH_MQTT_SHOWN));
}

/* ---- The broker ---- */

/* A port nobody listens on now: the kernel's pick for a bound socket. */
static guint16
free_port (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  ck_assert_msg (fd >= 0, "socket: %s", g_strerror (errno));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ck_assert_msg (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0, "bind: %s",
                 g_strerror (errno));
  ck_assert_msg (getsockname (fd, (struct sockaddr *) &addr, &len) == 0, "getsockname: %s",
                 g_strerror (errno));
  close (fd);
  return ntohs (addr.sin_port);
}

/* Whether a TCP connection to 127.0.0.1:port is accepted. */
static gboolean
accepts_connections (guint16 port)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok;

  ck_assert_msg (fd >= 0, "socket: %s", g_strerror (errno));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons (port);
  ok = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
  close (fd);
  return ok;
}

/* A CA, and a server certificate it signed for 127.0.0.1 and localhost,
 * made anew for every broker: nothing outlives the test. */
static void
make_certificates (ph_broker *b)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *ca_key = g_build_filename (b->dir, "ca.key", NULL);
  g_autofree char *key = g_build_filename (b->dir, "server.key", NULL);
  g_autofree char *csr = g_build_filename (b->dir, "server.csr", NULL);
  g_autofree char *cert = g_build_filename (b->dir, "server.pem", NULL);
  g_autofree char *ext = g_build_filename (b->dir, "server.ext", NULL);
  g_autofree char *extensions = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert_msg (openssl != NULL, "PH_BROKER_TLS needs the openssl command");
  b->ca_file = g_build_filename (b->dir, "ca.pem", NULL);
  {
    const char *argv[] = {
      openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
      "-out", b->ca_file, "-days", "2", "-subj", "/CN=printhook test CA",
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL
    };
    run_tool_ok (argv);
  }
  {
    const char *argv[] = {
      openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
      "-subj", (b->flags & PH_BROKER_BAMBU) ? "/CN=" PH_BAMBU_SERIAL : "/CN=127.0.0.1", NULL
    };
    run_tool_ok (argv);
  }
  /* openssl x509 -req takes extensions from a file only (before 3.2).  A
   * printer's name is its CN: no DNS name beside it, or OpenSSL would
   * check that instead. */
  extensions = g_strdup_printf ("subjectAltName = IP:127.0.0.1%s\n"
                                "basicConstraints = critical, CA:FALSE\n"
                                "extendedKeyUsage = serverAuth\n",
                                (b->flags & PH_BROKER_BAMBU) ? "" : ", DNS:localhost");
  ck_assert_msg (g_file_set_contents (ext, extensions, -1, &error),
                 "%s: %s", ext, error->message);
  {
    const char *argv[] = {
      openssl, "x509", "-req", "-in", csr, "-CA", b->ca_file, "-CAkey", ca_key,
      "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext, NULL
    };
    run_tool_ok (argv);
  }
}

/* A client certificate signed by the broker's CA, for mqtt.tls_cert. */
static void
make_client_certificate (ph_broker *b)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *ca_key = g_build_filename (b->dir, "ca.key", NULL);
  g_autofree char *csr = g_build_filename (b->dir, "client.csr", NULL);

  b->client_cert = g_build_filename (b->dir, "client.pem", NULL);
  b->client_key = g_build_filename (b->dir, "client.key", NULL);
  {
    const char *argv[] = {
      openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", b->client_key, "-out", csr,
      "-subj", "/CN=printhook test client", NULL
    };
    run_tool_ok (argv);
  }
  {
    const char *argv[] = {
      openssl, "x509", "-req", "-in", csr, "-CA", b->ca_file, "-CAkey", ca_key,
      "-CAcreateserial", "-out", b->client_cert, "-days", "2", NULL
    };
    run_tool_ok (argv);
  }
}

static void
make_password_file (ph_broker *b)
{
  g_autofree char *file = g_build_filename (b->dir, "passwd", NULL);
  const char *argv[] = {
    MOSQUITTO_PASSWD, "-b", "-c", file, PH_BROKER_USER, PH_BROKER_PASSWORD_TEXT, NULL
  };

  run_tool_ok (argv);
  if (b->flags & PH_BROKER_BAMBU)
    {
      const char *bambu[] = { MOSQUITTO_PASSWD, "-b", file, "bblp", PH_BAMBU_ACCESS_CODE, NULL };

      run_tool_ok (bambu);
    }
}

static void
write_config (ph_broker *b)
{
  g_autoptr (GString) text = g_string_new ("# Written by tests/mqtt_broker.c for one test.\n");
  g_autoptr (GError) error = NULL;

  /* Security settings are global, whatever listener they follow. */
  g_string_append (text, "per_listener_settings false\n");
  g_string_append_printf (text, "listener %u 127.0.0.1\n", (guint) b->port);
  if (b->flags & PH_BROKER_TLS)
    g_string_append_printf (text,
                            "cafile %s\ncertfile %s/server.pem\nkeyfile %s/server.key\n"
                            "require_certificate %s\n",
                            b->ca_file, b->dir, b->dir,
                            (b->flags & PH_BROKER_CLIENT_CERT) ? "true" : "false");
  if (b->flags & PH_BROKER_PASSWORD)
    g_string_append_printf (text, "allow_anonymous false\npassword_file %s/passwd\n", b->dir);
  else
    g_string_append (text, "allow_anonymous true\n");
  /* Run as root, mosquitto becomes the user mosquitto, who may not enter
   * the test's directory (mode 0700): "root" keeps it root. */
  if (geteuid () == 0)
    g_string_append (text, "user root\n");
  g_string_append_printf (text, "log_dest file %s\nlog_type all\n", b->log);
  g_string_append (text, "log_timestamp_format %Y-%m-%dT%H:%M:%S\n");
  if (b->flags & PH_BROKER_PERSISTENT)
    g_string_append_printf (text,
                            "persistence true\npersistence_location %s/\nautosave_interval 1\n",
                            b->dir);
  /* The default (1000) would drop messages a test queues for a subscriber
   * that is away. */
  g_string_append (text, "max_queued_messages 10000\n");
  if (b->extra_config != NULL)
    {
      g_string_append (text, b->extra_config);
      g_string_append_c (text, '\n');
    }
  ck_assert_msg (g_file_set_contents (b->conf, text->str, -1, &error), "%s: %s", b->conf,
                 error->message);
}

static char *
read_or_empty (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

char *
ph_broker_log (ph_broker *b)
{
  return read_or_empty (b->log);
}

/* Starts mosquitto on b->port and waits until it listens: TRUE.  FALSE
 * when the port was taken (it exited saying so).  Fails the test on any
 * other exit, or after START_TIMEOUT_MS. */
static gboolean
launch (ph_broker *b)
{
  g_autofree char *log_before = ph_broker_log (b);
  gsize offset = strlen (log_before);
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) START_TIMEOUT_MS * 1000 * ph_test_slowness ();
  const char *argv[] = { MOSQUITTO, "-c", b->conf, NULL };
  int out_fd = g_open (b->out, O_WRONLY | O_CREAT | O_APPEND, 0600);
  int wait_status = 0;

  ck_assert_msg (out_fd >= 0, "cannot open %s: %s", b->out, g_strerror (errno));
  b->pid = ph_mqtt_child_spawn (argv, out_fd);
  close (out_fd);
  for (;;)
    {
      g_autofree char *log = ph_broker_log (b);
      /* Only this run's lines: the log is appended to by every run. */
      const char *since = strlen (log) >= offset ? log + offset : log;

      if (ph_mqtt_child_exited (b->pid, &wait_status))
        {
          g_autofree char *out = read_or_empty (b->out);

          ph_mqtt_child_end (b->pid, SIGKILL, 0);
          if (strstr (since, LOG_PORT_TAKEN) != NULL)
            return FALSE;
          ck_abort_msg ("mosquitto exited (%d) before listening on port %u; the end of its "
                        "log:\n%s\nof its output:\n%s", exit_code (wait_status), (guint) b->port,
                        ph_mqtt_tail (since, PH_MQTT_SHOWN / 2),
                        ph_mqtt_tail (out, PH_MQTT_SHOWN / 2));
        }
      /* The log line alone could be another run's; a connection alone
       * could be another process's on a port taken meanwhile. */
      if (strstr (since, LOG_RUNNING) != NULL && accepts_connections (b->port))
        {
          b->running = TRUE;
          return TRUE;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *out = read_or_empty (b->out);

          ph_mqtt_child_end (b->pid, SIGKILL, 0);
          ck_abort_msg ("mosquitto did not listen on port %u within %u ms; the end of its "
                        "log:\n%s\nof its output:\n%s", (guint) b->port,
                        START_TIMEOUT_MS * ph_test_slowness (),
                        ph_mqtt_tail (since, PH_MQTT_SHOWN / 2),
                        ph_mqtt_tail (out, PH_MQTT_SHOWN / 2));
        }
      poll_pause ();
    }
}

ph_broker *
ph_broker_start_with (ph_broker_flags flags, const char *extra_config)
{
  ph_broker *b = g_new0 (ph_broker, 1);

  b->flags = flags;
  b->dir = ph_test_tmpdir ();
  b->conf = g_build_filename (b->dir, "mosquitto.conf", NULL);
  b->log = g_build_filename (b->dir, "mosquitto.log", NULL);
  b->out = g_build_filename (b->dir, "mosquitto.out", NULL);
  b->extra_config = g_strdup (extra_config);
  if (flags & PH_BROKER_CLIENT_CERT)
    b->flags = flags |= PH_BROKER_TLS;
  if (flags & PH_BROKER_BAMBU)
    b->flags = flags |= PH_BROKER_TLS | PH_BROKER_PASSWORD;
  if (flags & PH_BROKER_TLS)
    make_certificates (b);
  if (flags & PH_BROKER_CLIENT_CERT)
    make_client_certificate (b);
  if (flags & PH_BROKER_PASSWORD)
    make_password_file (b);
  for (guint attempt = 1;; attempt++)
    {
      b->port = free_port ();
      write_config (b);
      if (launch (b))
        return b;
      if (attempt == PORT_ATTEMPTS)
        {
          g_autofree char *log = ph_broker_log (b);

          ck_abort_msg ("mosquitto found %u free ports taken; the end of its log:\n%s",
                        PORT_ATTEMPTS, ph_mqtt_tail (log, PH_MQTT_SHOWN));
        }
    }
}

ph_broker *
ph_broker_start (ph_broker_flags flags)
{
  return ph_broker_start_with (flags, NULL);
}

guint16
ph_broker_port (ph_broker *b)
{
  return b->port;
}

ph_broker_flags
ph_broker_get_flags (ph_broker *b)
{
  return b->flags;
}

char *
ph_broker_url (ph_broker *b)
{
  return g_strdup_printf ("%s://127.0.0.1:%u", (b->flags & PH_BROKER_TLS) ? "mqtts" : "mqtt",
                          (guint) b->port);
}

const char *
ph_broker_client_cert (ph_broker *b)
{
  return b->client_cert;
}

const char *
ph_broker_client_key (ph_broker *b)
{
  return b->client_key;
}

const char *
ph_broker_ca_file (ph_broker *b)
{
  return b->ca_file;
}

const char *
ph_broker_dir (ph_broker *b)
{
  return b->dir;
}

void
ph_broker_kill (ph_broker *b)
{
  ck_assert_msg (b->running, "ph_broker_kill: the broker is not running");
  ph_mqtt_child_end (b->pid, SIGKILL, 0);
  b->running = FALSE;
}

static guint
count_in_log (ph_broker *b, const char *text)
{
  g_autofree char *log = ph_broker_log (b);
  guint count = 0;

  for (const char *p = log; (p = strstr (p, text)) != NULL; p += strlen (text))
    count++;
  return count;
}

/* Mosquitto saves in its main loop, one save at a time, logging each as it
 * begins: the first save logged after the call holds everything, and is
 * complete once another is logged.  SIGUSR1 makes it save at once rather
 * than at the next autosave. */
void
ph_broker_save (ph_broker *b)
{
  guint before = count_in_log (b, LOG_SAVING);
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) START_TIMEOUT_MS * 1000 * ph_test_slowness ();

  ck_assert_msg (b->flags & PH_BROKER_PERSISTENT, "ph_broker_save needs PH_BROKER_PERSISTENT");
  ck_assert_msg (b->running, "ph_broker_save: the broker is not running");
  for (guint saves = 1; saves <= 2; saves++)
    {
      kill (b->pid, SIGUSR1);
      while (count_in_log (b, LOG_SAVING) < before + saves)
        {
          if (ph_mqtt_child_exited (b->pid, NULL) || g_get_monotonic_time () >= deadline)
            {
              g_autofree char *log = ph_broker_log (b);

              ck_abort_msg ("mosquitto did not save its database; the end of its log:\n%s",
                            ph_mqtt_tail (log, PH_MQTT_SHOWN));
            }
          poll_pause ();
        }
    }
}

/* The broker has read what its clients wrote once its log's count of
 * received PUBLISH packets holds still for SETTLED_MS (times the
 * slowness); a loopback socket hands written bytes over at once. */
void
ph_broker_wait_settled (ph_broker *b)
{
  guint last = count_in_log (b, LOG_RECEIVED);
  gint64 settled_us = (gint64) SETTLED_MS * 1000 * ph_test_slowness ();
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) START_TIMEOUT_MS * 1000 * ph_test_slowness ();
  gint64 quiet_since = g_get_monotonic_time ();

  ck_assert_msg (b->running, "ph_broker_wait_settled: the broker is not running");
  while (g_get_monotonic_time () - quiet_since < settled_us)
    {
      guint now = count_in_log (b, LOG_RECEIVED);

      ck_assert_msg (g_get_monotonic_time () < deadline,
                     "mosquitto went on receiving PUBLISH packets (%u so far)", now);
      if (now != last)
        {
          last = now;
          quiet_since = g_get_monotonic_time ();
        }
      poll_pause ();
    }
}

void
ph_broker_restart (ph_broker *b)
{
  if (b->running)
    {
      ph_mqtt_child_end (b->pid, SIGTERM, STOP_GRACE_MS);
      b->running = FALSE;
    }
  for (guint attempt = 1; !launch (b); attempt++)
    {
      if (attempt == RESTART_ATTEMPTS)
        {
          g_autofree char *log = ph_broker_log (b);

          ck_abort_msg ("mosquitto could not listen on port %u again; the end of its log:\n%s",
                        (guint) b->port, ph_mqtt_tail (log, PH_MQTT_SHOWN));
        }
      g_usleep (RESTART_PAUSE_MS * 1000);
    }
}

void
ph_broker_stop (ph_broker *b)
{
  if (b == NULL)
    return;
  if (b->running)
    ph_mqtt_child_end (b->pid, SIGTERM, STOP_GRACE_MS);
  g_free (b->dir);
  g_free (b->conf);
  g_free (b->log);
  g_free (b->out);
  g_free (b->ca_file);
  g_free (b->client_cert);
  g_free (b->client_key);
  g_free (b->extra_config);
  g_free (b);
}

/* ---- mosquitto_pub ---- */

int
ph_mqtt_pub_run (ph_broker *b, gboolean with_password, const char *const *args, char **output)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *port = g_strdup_printf ("%u", (guint) b->port);

  g_ptr_array_add (argv, (char *) MOSQUITTO_PUB);
  g_ptr_array_add (argv, (char *) "-h");
  g_ptr_array_add (argv, (char *) "127.0.0.1");
  g_ptr_array_add (argv, (char *) "-p");
  g_ptr_array_add (argv, port);
  if (b->flags & PH_BROKER_TLS)
    {
      g_ptr_array_add (argv, (char *) "--cafile");
      g_ptr_array_add (argv, b->ca_file);
    }
  if (with_password && (b->flags & PH_BROKER_PASSWORD))
    {
      g_ptr_array_add (argv, (char *) "-u");
      g_ptr_array_add (argv, (char *) PH_BROKER_USER);
      g_ptr_array_add (argv, (char *) "-P");
      g_ptr_array_add (argv, (char *) PH_BROKER_PASSWORD_TEXT);
    }
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return run_tool ((const char *const *) argv->pdata, TOOL_TIMEOUT_MS, output);
}

void
ph_mqtt_publish (ph_broker *b, const char *topic, const char *payload, gboolean retain)
{
  g_autofree char *output = NULL;
  const char *args[8];
  guint n = 0;
  int code;

  args[n++] = "-t";
  args[n++] = topic;
  args[n++] = "-q";
  args[n++] = "1";
  if (payload != NULL)
    {
      args[n++] = "-m";
      args[n++] = payload;
    }
  else
    args[n++] = "-n";
  if (retain)
    args[n++] = "-r";
  args[n] = NULL;
  code = ph_mqtt_pub_run (b, TRUE, args, &output);
  ck_assert_msg (code == 0, "mosquitto_pub -t %s exited %d:\n%s", topic, code,
                 ph_mqtt_tail (output, PH_MQTT_SHOWN));
}
