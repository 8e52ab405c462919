#include "autoconfig.h"
#include "config_keys.h"

#include <string.h>

#include "spool/spool.h"

#define DEFAULT_EVENTS "PrintStarted, PrintDone, PrintFailed, PrintPaused, UserActionNeeded, Error"

/* name, type, default, required, secret, min, max, summary */
static const printhook_config_key hook_keys[] = {
  { "enabled", PRINTHOOK_KEY_BOOL, "true", FALSE, FALSE, 0, 0,
    "false skips the hook" },
  { "url", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "where the request goes (http or https; @param allowed, values percent-encoded)" },
  { "events", PRINTHOOK_KEY_LIST, DEFAULT_EVENTS, FALSE, FALSE, 0, 0,
    "events to send, comma-separated, or * for all" },
  { "method", PRINTHOOK_KEY_STRING, "POST", FALSE, FALSE, 0, 0,
    "POST, PUT, PATCH, DELETE or GET (GET puts the data in the query string)" },
  { "content_type", PRINTHOOK_KEY_STRING, "json", FALSE, FALSE, 0, 0,
    "json, form or multipart" },
  { "headers", PRINTHOOK_KEY_JSON, NULL, FALSE, FALSE, 0, 0,
    "JSON object of request headers (@param allowed in values)" },
  { "data", PRINTHOOK_KEY_JSON, NULL, FALSE, FALSE, 0, 0,
    "JSON object template of the body (@param allowed in values)" },
  { "data_file", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "file holding the data template, instead of data" },
  { "api_secret", PRINTHOOK_KEY_STRING, "", FALSE, TRUE, 0, 0,
    "value of @apiSecret" },
  { "device_identifier", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "value of @deviceIdentifier (default: the source's name)" },
  { "progress_step", PRINTHOOK_KEY_INT, "10", FALSE, FALSE, 1, 99,
    "PrintProgress fires at every multiple of this many percent" },
  { "cooldown", PRINTHOOK_KEY_DOUBLE, "0", FALSE, FALSE, 0, 31536000,
    "seconds during which a repeat of the same event is not sent" },
  { "timeout", PRINTHOOK_KEY_DOUBLE, "15", FALSE, FALSE, 0.1, 3600,
    "seconds one attempt may take in all" },
  { "connect_timeout", PRINTHOOK_KEY_DOUBLE, "5", FALSE, FALSE, 0.1, 3600,
    "seconds connecting may take" },
  { "tls_verify", PRINTHOOK_KEY_BOOL, "true", FALSE, FALSE, 0, 0,
    "false accepts any TLS certificate (logged as a warning)" },
  { "tls_ca_file", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "PEM file of the CA to trust for this hook" },
  { "follow_redirects", PRINTHOOK_KEY_BOOL, "false", FALSE, FALSE, 0, 0,
    "true follows 3xx redirects (http and https only)" },
  { "signing_secret", PRINTHOOK_KEY_STRING, NULL, FALSE, TRUE, 0, 0,
    "signs each request (whsec_... for Standard Webhooks)" },
  { "signature", PRINTHOOK_KEY_STRING, "standard", FALSE, FALSE, 0, 0,
    "standard (Standard Webhooks headers) or github (X-Hub-Signature-256)" },
  { "modules", PRINTHOOK_KEY_LIST, NULL, FALSE, FALSE, 0, 0,
    "the hook's chain of modules (derived when absent)" },
  { "retry.schedule", PRINTHOOK_KEY_LIST, "5, 30, 120, 600, 1800, 3600", FALSE, FALSE, 0, 0,
    "seconds between attempts; the last step repeats" },
  { "retry.max_age", PRINTHOOK_KEY_DOUBLE, "86400", FALSE, FALSE, 0, 31536000,
    "seconds after which an undelivered webhook becomes a dead letter" },
  { "retry.max_attempts", PRINTHOOK_KEY_INT, "0", FALSE, FALSE, 0, 1000000,
    "attempts before giving up (0: no limit but retry.max_age)" },
  { "retry.max_retry_after", PRINTHOOK_KEY_DOUBLE, G_STRINGIFY (PH_DEFAULT_MAX_RETRY_AFTER_S), FALSE,
    FALSE, 1, 31536000, "the longest Retry-After a receiver is obeyed for, in seconds" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static const printhook_config_key daemon_keys[] = {
  { "module_dir", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "extra directory searched for modules" },
  { "spool", PRINTHOOK_KEY_PATH, "/var/lib/printhook/spool.db", FALSE, FALSE, 0, 0,
    "the delivery spool (SQLite)" },
  { "spool.max_deliveries", PRINTHOOK_KEY_INT, G_STRINGIFY (PH_SPOOL_DEFAULT_MAX_DELIVERIES),
    FALSE, FALSE, 1, 10000000,
    "deliveries the spool keeps at most; when full, the oldest progress ones go first" },
  { "control_socket", PRINTHOOK_KEY_PATH, "/run/printhook/control.sock", FALSE, FALSE, 0, 0,
    "UNIX socket for printhook emit" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

/* [console]: the web console (core/console/, printhook-console(7)). */
static const printhook_config_key console_keys[] = {
  { "enabled", PRINTHOOK_KEY_BOOL, "true", FALSE, FALSE, 0, 0,
    "false: no web console" },
  { "listen", PRINTHOOK_KEY_LIST, PH_CONSOLE_DEFAULT_LISTEN, FALSE, FALSE, 0, 0,
    "addresses the console listens on, HOST:PORT each (0.0.0.0:7130 or [::]:7130: the LAN)" },
  { "tls_cert", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "PEM certificate (chain) for HTTPS; with tls_key" },
  { "tls_key", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "PEM private key for HTTPS; with tls_cert" },
  { "token_file", PRINTHOOK_KEY_PATH, "/var/lib/printhook/console.token", FALSE, FALSE, 0, 0,
    "the console's access token, created at first start (mode 0600)" },
  { "hooks_dir", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "the directory the console writes the hooks it edits to, read after hooks.d/ "
    "(unset: hooks cannot be edited in the console)" },
  { "history", PRINTHOOK_KEY_INT, G_STRINGIFY (PH_CONSOLE_DEFAULT_HISTORY), FALSE, FALSE, 0,
    1000000, "delivered deliveries the spool remembers for the console (0: none)" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static const printhook_config_key source_keys[] = {
  { "type", PRINTHOOK_KEY_STRING, NULL, TRUE, FALSE, 0, 0,
    "the kind of printer: octoprint, moonraker or bambu; mqtt for the events other "
    "printhooks forward (a print farm)" },
  { "url", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "octoprint, moonraker: the server's base URL (http or https), as in a browser: "
    "http://octopi.local; mqtt: the broker, mqtt://[USER[:PASSWORD]@]HOST[:PORT] or mqtts://" },
  { "api_key", PRINTHOOK_KEY_STRING, NULL, FALSE, TRUE, 0, 0,
    "an API key of a user with the STATUS permission (OctoPrint: Settings > Application Keys)" },
  { "host", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "bambu: the printer's address on the LAN" },
  { "serial", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "bambu: the printer's serial number (Settings > Device on its screen)" },
  { "access_code", PRINTHOOK_KEY_STRING, NULL, FALSE, TRUE, 0, 0,
    "bambu: the LAN access code (Settings > Network on its screen)" },
  { "port", PRINTHOOK_KEY_INT, "8883", FALSE, FALSE, 1, 65535,
    "bambu: the printer's MQTT port" },
  { "tls_ca_file", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "bambu, mqtt: the CAs its certificate is checked against (bambu default: Bambu Lab's, "
    "shipped; mqtt: the system's)" },
  { "tls_verify", PRINTHOOK_KEY_BOOL, "true", FALSE, FALSE, 0, 0,
    "bambu, mqtt: false accepts any certificate (not advised)" },
  { "camera", PRINTHOOK_KEY_STRING, "auto", FALSE, FALSE, 0, 0,
    "bambu: its camera for @snapshot: auto, jpeg (P1, A1), rtsp (X1, P2S, H2: none usable), "
    "none" },
  { "camera_port", PRINTHOOK_KEY_INT, "6000", FALSE, FALSE, 1, 65535,
    "bambu: the port of a P1's or A1's JPEG camera" },
  { "topic", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "mqtt: the topic filter to take: forwarded events (default printhook/events/#), or "
    "the OctoPrint-MQTT plugin's base and /# (default octoPrint/#)" },
  { "group", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "mqtt: the daemons of one group share the events ($share/GROUP/TOPIC), each taking "
    "some; unset: this daemon takes every one" },
  { "format", PRINTHOOK_KEY_STRING, "event", FALSE, FALSE, 0, 0,
    "mqtt: event, the envelopes of edge printhooks (mqtt.format = event); octoprint-mqtt, "
    "the OctoPrint-MQTT plugin's topics" },
  { "client_id", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
    "mqtt: the MQTT client id (default: printhook-INSTANCE-SOURCE, stable across restarts)" },
  { "tls_cert", PRINTHOOK_KEY_PATH, NULL, FALSE, FALSE, 0, 0,
    "mqtt: client certificate (PEM) for mqtts://, with tls_key" },
  { "tls_key", PRINTHOOK_KEY_PATH, NULL, FALSE, TRUE, 0, 0,
    "mqtt: the client certificate's private key (PEM)" },
  { "dedupe_window", PRINTHOOK_KEY_INT, "86400", FALSE, FALSE, 60, 31536000,
    "mqtt: seconds a committed event id is remembered, so that a republished event is "
    "not delivered twice" },
  { "enabled", PRINTHOOK_KEY_BOOL, "true", FALSE, FALSE, 0, 0,
    "false leaves the source unconnected" },
  { NULL, 0, NULL, FALSE, FALSE, 0, 0, NULL }
};

static const printhook_config_key message_key = {
  "message", PRINTHOOK_KEY_STRING, NULL, FALSE, FALSE, 0, 0,
  "message.EVENT: the @message template of one event"
};

const printhook_config_key *
ph_hook_keys (void)
{
  return hook_keys;
}

const printhook_config_key *
ph_daemon_keys (void)
{
  return daemon_keys;
}

const printhook_config_key *
ph_console_keys (void)
{
  return console_keys;
}

const printhook_config_key *
ph_source_keys (void)
{
  return source_keys;
}

const printhook_config_key *
ph_message_key (void)
{
  return &message_key;
}

const printhook_config_key *
ph_find_key (const printhook_config_key *table, const char *name)
{
  for (const printhook_config_key *k = table; k != NULL && k->name != NULL; k++)
    if (strcmp (k->name, name) == 0)
      return k;
  return NULL;
}

gboolean
ph_hook_key_is_per_hook_only (const char *name)
{
  /* A default URL or on/off switch for every hook would only hide mistakes. */
  return strcmp (name, "url") == 0 || strcmp (name, "enabled") == 0;
}
