#!/usr/bin/python3
"""The driver of bench/run: runs every benchmark side by side and prints
one table.  bench/run builds what this needs and then runs it; see
bench/README.md for what each part measures and why.

  bench.py --build DIR --tools DIR --src DIR [--readme PATH] [--json PATH]
           [--only PART,...]

Everything listens on 127.0.0.1 only; every load is bounded in count and
in time; every process started here is stopped here, by its own pid.
"""

import argparse
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"

# The old plugin README's "Strategy - Getting all data", without "@snapshot"
# (which would make it multipart): the body every benchmark hook sends.
ALL_DATA = ('{"deviceIdentifier":"@deviceIdentifier","apiSecret":"@apiSecret",'
            '"topic":"@topic","message":"@message","extra":"@extra","state": "@state",'
            '"job": "@job","progress": "@progress","currentZ": "@currentZ",'
            '"offsets": "@offsets","meta": "@meta","currentTime": "@currentTime"}')
API_KEY = "GOODKEY0123456789"

# Sizes of each part, chosen so that the whole run stays well under five
# minutes on two shared cores.
ROUNDS = 3                 # throughput rounds, each printhook + wrk + baseline
TPUT_EVENTS = 4000         # events per printhook round (x 3 hooks)
WINDOW = 24                # deliveries in flight: printhook's and wrk's concurrency
WRK_SECONDS = 2
BASELINE_SECONDS = 2.5
BASELINE_EVENTS = 2000
LAT_RATE = 200
LAT_SECONDS = 10
LAT_WARMUP = 40            # events sent first and left out of the figures
MEM_STEP = 10000           # deliveries between memory readings
GROWTH_DELIVERIES = 9000
NO_GROWTH_KB = 256         # Private_Dirty change that still counts as "no growth"
CONSOLE_ROUNDS = 3         # idle memory readings with the console off and on
CONSOLE_GETS = 300         # timed GETs of /api/v1/hooks and of /metrics
MQTT_CEILING_LINES = 16000 # messages of mosquitto_pub's longer run (the shorter: half)
MQTT_CLIENT_ID = "printhook-bench"   # one client id: the three hooks share one connection
MQTT_IDLE_SECONDS = 1      # the connected daemon's CPU while it waits
BAMBU_PRINTERS = 50        # part 8: sources on one daemon, one mosquitto listener each
BAMBU_SECONDS = 20         # part 8: the printers' reports, 1 a second each
BAMBU_CODE = "27183141"    # part 8: every fake printer's access code
FSYNC_PROBES = 200         # fdatasyncs timed on the spool's disk after part 7's latency
FARM_EVENTS = 3000         # part 9: events per throughput round, edge -> broker -> central(s)
FARM_WINDOW = 200          # part 9: forwarded events the edge waits on at once
FARM_ROUNDS = 2            # part 9: rounds with 1 and 2 central daemons, alternating
FARM_RATE = 100            # part 9: events/s of the latency run
FARM_SECONDS = 10          # part 9: its length


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.01)
    raise RuntimeError("timed out waiting for " + what)


def wait_control_socket(proc, path, timeout):
    """Until "printhook run" (proc) accepts connections on its control
    socket at path; an exit meanwhile is an error."""
    def listening():
        if proc.poll() is not None:
            raise RuntimeError("printhook run exited with %d" % proc.returncode)
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            s.close()
            return True
        except OSError:
            return False
    wait_until(listening, timeout, "the control socket")


def smaps(pid):
    """Rss, Pss and Private_Dirty of pid, kB (/proc/PID/smaps_rollup)."""
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            key = parts[0].rstrip(":")
            if key in ("Rss", "Pss", "Private_Dirty"):
                fields[key] = int(parts[1])
    return fields


# What maps the idle daemon's memory, for the table's breakdown: the first
# group whose pattern matches a mapping's path takes it.  libcurl comes with
# Debian's build of it: OpenSSL, and GnuTLS (through librtmp) with its own
# libraries, SSH, LDAP and SASL; libsoup needs the Kerberos, PSL, IDN,
# brotli and nghttp2 ones as well.
LIBRARY_GROUPS = [
    ("libcurl and its own libraries", r"/lib(curl|crypto|ssl|gnutls|p11-kit|nettle|hogweed|gmp|tasn1"
                                      r"|rtmp|ssh2|ldap|lber|sasl2|zstd)[.-]"),
    ("libraries of libcurl and libsoup", r"/lib(krb5|gssapi_krb5|k5crypto|krb5support|com_err|keyutils"
                                         r"|psl|idn2|unistring|brotli\w+|nghttp2|resolv)\."),
    ("GLib", r"/lib(glib|gobject|gio|gmodule)-2\.0\.|/lib(mount|blkid|selinux|pcre2-8|ffi|z)\."),
    ("GIO modules", r"/gio/modules/|/lib(proxy|stdc\+\+|gcc_s)\.|gschemas|dconf"),
    ("libsoup", r"/libsoup-3\.0\."),
    ("SQLite", r"/libsqlite3\.|\.db-shm$"),
    ("libc", r"/(libc|libm|ld-linux-x86-64)\.so|/locale/|gconv|^\[(vdso|vvar|vvar_vclock|vsyscall)\]$"),
    ("printhook", r"/printhook$|/printhook/modules/|/modules/\.libs/|/libjson-c\."),
    ("heap and stacks", r"^$|^\[(heap|stack)\]$"),
]


def smaps_by_library(pid):
    """Rss, Pss and Private_Dirty of pid per LIBRARY_GROUPS name (others
    under "other"), kB (/proc/PID/smaps)."""
    groups = {}
    current = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", parts[0]):
                path = parts[5] if len(parts) > 5 else ""
                name = next((g for g, pattern in LIBRARY_GROUPS if re.search(pattern, path)), "other")
                current = groups.setdefault(name, {"Rss": 0, "Pss": 0, "Private_Dirty": 0})
            elif parts[0].rstrip(":") in ("Rss", "Pss", "Private_Dirty"):
                current[parts[0].rstrip(":")] += int(parts[1])
    return groups


def cpu_seconds(pid):
    """User and system CPU time pid has used so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


class Bench:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.tools = os.path.abspath(args.tools)
        self.src = os.path.abspath(args.src)
        self.tmp = tempfile.mkdtemp(prefix="printhook-bench-")
        self.procs = []
        with open(os.path.join(HERE, "event.json")) as f:
            self.event = json.load(f)
        self.payload = json.dumps(self.event["payload"])
        self.printer = json.dumps(self.event["printer"])
        self.results = {}
        self.nginx_port = None
        self.notes = []

    # Processes.

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=12):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in reversed(list(self.procs)):
            self.stop(p, timeout=3)
        shutil.rmtree(self.tmp, ignore_errors=True)

    wait_until = staticmethod(wait_until)

    def wait_port_file(self, path, proc, timeout=10):
        def ready():
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %d" % (proc.args[0], proc.returncode))
            return os.path.exists(path)
        self.wait_until(ready, timeout, path)
        with open(path) as f:
            return int(f.read())

    # Servers.

    def start_nginx(self):
        """nginx answering 204 to everything, keep-alive on, one worker (the
        client under test gets the other core), no access log."""
        port = free_port()
        prefix = os.path.join(self.tmp, "nginx")
        os.makedirs(prefix)
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off;
worker_processes 1;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_buffer_size 64k;
  client_body_temp_path %(p)s/body;
  proxy_temp_path %(p)s/proxy;
  fastcgi_temp_path %(p)s/fastcgi;
  uwsgi_temp_path %(p)s/uwsgi;
  scgi_temp_path %(p)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
    location / { return 204; }
  }
}
""" % {"p": prefix, "port": port})
        proc = self.spawn(["nginx", "-p", prefix, "-c", conf, "-e", prefix + "/error.log"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            if proc.poll() is not None:
                raise RuntimeError("nginx exited with %d (see %s/error.log)"
                                   % (proc.returncode, prefix))
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return False
        self.wait_until(up, 10, "nginx")
        self.nginx_port = port
        return proc

    def start_sink(self, name, *extra):
        port_file = os.path.join(self.tmp, name + ".port")
        proc = self.spawn([os.path.join(self.tools, "sink"), "--port-file", port_file] + list(extra),
                          stdout=subprocess.PIPE, text=True)
        return proc, self.wait_port_file(port_file, proc)

    def start_fake_octoprint(self, name):
        port_file = os.path.join(self.tmp, name + ".port")
        proc = self.spawn([PYTHON, os.path.join(self.src, "tests/servers/fake_octoprint.py"),
                           "--port-file", port_file, "--record",
                           os.path.join(self.tmp, name + ".record"), "--scenario", "idle",
                           "--api-key", API_KEY],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return proc, self.wait_port_file(port_file, proc, timeout=20)

    # The daemon.

    def write_config(self, name, hooks, base_url, sources=0, octoprint_port=None, events="*",
                     console=False, mqtt_port=None):
        """console: False leaves the web console off (every part but 6,
        so that their figures compare with earlier runs); True serves it
        on a free port with its token in the config's directory.
        mqtt_port: the hooks publish (module mqtt, QoS 1, topic bench/hN,
        one shared client id) to the broker on 127.0.0.1:mqtt_port instead
        of POSTing to base_url, with a spool of their own in the config's
        directory."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        path = os.path.join(d, "printhook.conf")
        lines = ["[printhook]", "device_identifier = bench printer",
                 "control_socket = %s/control.sock" % d, "api_secret = s3cr3t",
                 "events = " + events, "data = " + ALL_DATA]
        if mqtt_port is not None:
            lines += ["spool = %s/spool.db" % d]
        lines += [""]
        if console:
            lines += ["[console]", "listen = 127.0.0.1:0",
                      "token_file = %s/console.token" % d, ""]
        else:
            lines += ["[console]", "enabled = false", ""]
        for i in range(1, hooks + 1):
            if mqtt_port is None:
                lines += ["[hook h%d]" % i, "url = %s/h%d" % (base_url, i), ""]
            else:
                lines += ["[hook h%d]" % i, "modules = mqtt",
                          "mqtt.url = mqtt://127.0.0.1:%d" % mqtt_port,
                          "mqtt.topic = bench/h%d" % i, "mqtt.qos = 1",
                          "mqtt.client_id = " + MQTT_CLIENT_ID, "mqtt.status_topic =", ""]
        for k in range(1, sources + 1):
            lines += ["[source src%d]" % k, "type = octoprint",
                      "url = http://127.0.0.1:%d" % octoprint_port, "api_key = " + API_KEY, ""]
        with open(path, "w") as f:
            f.write("\n".join(lines))
        os.chmod(path, 0o600)
        return path, os.path.join(d, "control.sock")

    def start_daemon(self, conf, sock, stderr=subprocess.PIPE):
        env = dict(os.environ, PRINTHOOK_MODULE_PATH=os.path.join(self.build, "modules/.libs"))
        # BENCH_NICE=N runs the daemon at that niceness: a diagnosis of
        # how much of a tail is the neighbours' doing (bench/README.md).
        nice = ["nice", "-n", os.environ["BENCH_NICE"]] if os.environ.get("BENCH_NICE") else []
        proc = self.spawn(nice + [os.path.join(self.build, "printhook"), "run", "-c", conf],
                          stdout=subprocess.DEVNULL, stderr=stderr, env=env)

        wait_control_socket(proc, sock, 10)
        return proc

    @staticmethod
    def wait_log(proc, needle, count, timeout=20):
        """Reads the daemon's stderr (raw, so nothing stays buffered here)
        until needle was seen count times."""
        fd = proc.stderr.fileno()
        seen, text = 0, b""
        deadline = time.monotonic() + timeout
        while seen < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("printhook never logged %r %d times" % (needle, count))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError("printhook run closed its stderr")
                text += chunk
                seen = text.count(needle.encode())

    @staticmethod
    def console_port(proc, timeout=10):
        """The port the daemon's console took, from its stderr."""
        fd = proc.stderr.fileno()
        text = b""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(rb"console: listening on http://127\.0\.0\.1:(\d+)/", text)
            if m:
                return int(m.group(1))
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("the console never said where it listens: %r" % text[-500:])
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError("printhook run closed its stderr")
                text += chunk

    def burst(self, daemon, sock, events, window, per_event, printer=True, sources=0,
              event="PrintDone"):
        argv = [os.path.join(self.tools, "emit"), "--socket", sock, "--mode", "burst",
                "--event", event,
                "--events", str(events), "--window", str(window), "--per-event", str(per_event),
                "--payload", self.payload, "--printer", self.printer if printer else "",
                "--sources", str(sources), "--timeout", "60"]
        run = subprocess.run(argv, stdin=daemon.stderr, capture_output=True, text=True,
                             timeout=90)
        result = json.loads(run.stdout)
        if run.returncode != 0:
            raise RuntimeError("emit: %s %s" % (run.stdout.strip(), run.stderr.strip()))
        return result

    # Part 1: throughput.

    def probe_request(self):
        """The request printhook sends (headers and body), for wrk to send
        the same."""
        dump = os.path.join(self.tmp, "request.txt")
        sink, port = self.start_sink("probe", "--dump", dump, "--expect", "1", "--seconds", "20")
        conf, sock = self.write_config("probe", 1, "http://127.0.0.1:%d" % port)
        daemon = self.start_daemon(conf, sock)
        self.burst(daemon, sock, 1, 1, 1)
        self.stop(daemon)
        self.stop(sink)
        with open(dump, "rb") as f:
            raw = f.read()
        head, body = raw.split(b"\r\n\r\n", 1)
        headers = []
        for line in head.decode().split("\r\n")[1:]:
            name, value = line.split(":", 1)
            if name.lower() not in ("host", "content-length"):
                headers.append((name, value.strip()))
        return headers, body

    def wrk(self, script, seconds):
        run = subprocess.run(["wrk", "-t1", "-c%d" % WINDOW, "-d%ds" % seconds, "-s", script,
                              "http://127.0.0.1:%d/h1" % self.nginx_port],
                             capture_output=True, text=True, timeout=seconds + 30)
        m = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
        if run.returncode != 0 or m is None or "Non-2xx" in run.stdout or "Socket errors" in run.stdout:
            raise RuntimeError("wrk: %s %s" % (run.stdout, run.stderr))
        return float(m.group(1))

    def baseline(self, events, seconds):
        urls = []
        for i in (1, 2, 3):
            urls += ["--url", "http://127.0.0.1:%d/h%d" % (self.nginx_port, i)]
        run = subprocess.run([PYTHON, os.path.join(HERE, "baseline/plugin_send.py"),
                              "--event-file", os.path.join(HERE, "event.json"),
                              "--events", str(events), "--seconds", str(seconds)] + urls,
                             capture_output=True, text=True, timeout=seconds + 60)
        if run.returncode != 0:
            raise RuntimeError("plugin_send.py: %s %s" % (run.stdout, run.stderr[-2000:]))
        return json.loads(run.stdout)

    def part_throughput(self):
        headers, body = self.probe_request()
        script = os.path.join(self.tmp, "post.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.body = [==[%s]==]\n' % body.decode())
            for name, value in headers:
                f.write('wrk.headers["%s"] = [==[%s]==]\n' % (name, value))
        conf, sock = self.write_config("throughput", 3, "http://127.0.0.1:%d" % self.nginx_port,
                                       events="PrintDone")
        daemon = self.start_daemon(conf, sock)
        self.burst(daemon, sock, 300, WINDOW, 3)          # warm-up: connections, caches
        ph, wk, bl, socket_rates = [], [], [], []
        for _ in range(ROUNDS):
            r = self.burst(daemon, sock, TPUT_EVENTS, WINDOW, 3)
            ph.append(r["deliveries_per_s"])
            socket_rates.append(r["events_per_s"])
            wk.append(self.wrk(script, WRK_SECONDS))
            b = self.baseline(BASELINE_EVENTS, BASELINE_SECONDS)
            bl.append(b["deliveries_per_s"])
        # The control socket alone: the same requests, for an event no
        # hook takes.
        ingest = self.burst(daemon, sock, TPUT_EVENTS, WINDOW, 0, event="BenchIngest")
        rss = smaps(daemon.pid)
        self.stop(daemon)
        med = statistics.median
        self.results["throughput"] = {
            "body_bytes": len(body), "concurrency": WINDOW, "rounds": ROUNDS,
            "printhook": ph, "wrk": wk, "baseline": bl, "events_per_s": socket_rates,
            "ingest_events_per_s": ingest["events_per_s"],
            "printhook_median": med(ph), "wrk_median": med(wk), "baseline_median": med(bl),
            "vs_baseline": med(ph) / med(bl), "vs_wrk": med(ph) / med(wk),
            "baseline_memory": b["memory_loaded"], "baseline_memory_idle": b["memory_idle"],
            "baseline_deliveries": b["deliveries"], "daemon_memory": rss,
        }

    # Part 2: latency.

    def latencies(self, path, skip):
        with open(path) as f:
            values = sorted(int(line) / 1e6 for line in list(f)[skip:])
        return {"arrived": len(values), "p50_ms": percentile(values, 50),
                "p99_ms": percentile(values, 99),
                "max_ms": values[-1] if values else float("nan")}

    def part_latency(self):
        out = os.path.join(self.tmp, "latency.txt")
        total = LAT_RATE * LAT_SECONDS
        sink, port = self.start_sink("latency", "--out", out,
                                     "--expect", str(3 * (total + LAT_WARMUP)),
                                     "--seconds", str(LAT_SECONDS + 30))
        conf, sock = self.write_config("latency", 3, "http://127.0.0.1:%d" % port)
        log = open(os.path.join(self.tmp, "latency-daemon.log"), "w")
        daemon = self.start_daemon(conf, sock, stderr=log)
        emit = os.path.join(self.tools, "emit")
        common = ["--socket", sock, "--mode", "rate", "--payload", self.payload,
                  "--printer", self.printer, "--timeout", "10"]
        subprocess.run([emit, "--rate", "100", "--seconds", str(LAT_WARMUP / 100)] + common,
                       check=True, capture_output=True, timeout=30)
        run = subprocess.run([emit, "--rate", str(LAT_RATE), "--seconds", str(LAT_SECONDS)] + common,
                             capture_output=True, text=True, timeout=LAT_SECONDS + 30)
        emitted = json.loads(run.stdout)
        try:
            sink.wait(15)
        except subprocess.TimeoutExpired:
            pass
        self.stop(sink)
        self.stop(daemon)
        log.close()
        result = self.latencies(out, 3 * LAT_WARMUP)
        # The floor: the same stamps, rate and receiver, sent straight over
        # three kept-alive connections by a sender doing nothing else.
        floor_out = os.path.join(self.tmp, "latency-floor.txt")
        sink, port = self.start_sink("floor", "--out", floor_out,
                                     "--expect", str(3 * (total + LAT_WARMUP)),
                                     "--seconds", str(LAT_SECONDS + 30))
        subprocess.run([emit, "--mode", "http", "--port", str(port), "--per-event", "3",
                        "--rate", str(LAT_RATE), "--seconds",
                        str(LAT_SECONDS + LAT_WARMUP / LAT_RATE), "--payload", self.payload,
                        "--printer", self.printer], check=True, capture_output=True,
                       timeout=LAT_SECONDS + 30)
        try:
            sink.wait(15)
        except subprocess.TimeoutExpired:
            pass
        self.stop(sink)
        floor = self.latencies(floor_out, 3 * LAT_WARMUP)
        result.update({"rate": LAT_RATE, "seconds": LAT_SECONDS, "events": emitted["accepted"],
                       "expected": 3 * total, "floor": floor})
        self.results["latency"] = result

    # Part 3: snapshot.

    def part_snapshot(self):
        d = os.path.join(self.tmp, "snapshot")
        os.makedirs(d)
        run = subprocess.run([PYTHON, os.path.join(HERE, "snapshot_compare.py"),
                              "--tool", os.path.join(self.tools, "snapshot_bench"), "--dir", d],
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise RuntimeError("snapshot_compare.py: " + run.stderr[-2000:])
        self.results["snapshot"] = json.loads(run.stdout)

    # Parts 4 and 5: memory and cost growth.

    def part_memory(self):
        fake, fport = self.start_fake_octoprint("octoprint-memory")
        conf, sock = self.write_config("memory", 3, "http://127.0.0.1:%d" % self.nginx_port,
                                       sources=1, octoprint_port=fport)
        daemon = self.start_daemon(conf, sock)
        self.wait_log(daemon, "connected to OctoPrint", 1)
        time.sleep(1)
        readings = {"idle": smaps(daemon.pid), "idle_by_library": smaps_by_library(daemon.pid)}
        for total in (MEM_STEP, 2 * MEM_STEP):
            self.burst(daemon, sock, math.ceil(MEM_STEP / 3), WINDOW, 3, printer=False, sources=1)
            readings["after_%d" % total] = smaps(daemon.pid)
        self.stop(daemon)
        self.stop(fake)
        self.results["memory"] = readings

    def part_growth(self):
        rows = []
        for hooks in (1, 10, 100):
            conf, sock = self.write_config("hooks%d" % hooks, hooks,
                                           "http://127.0.0.1:%d" % self.nginx_port)
            daemon = self.start_daemon(conf, sock)
            time.sleep(0.5)
            idle = smaps(daemon.pid)
            window = max(WINDOW, hooks)
            self.burst(daemon, sock, max(1, 600 // hooks), window, hooks)   # warm-up
            r = self.burst(daemon, sock, GROWTH_DELIVERIES // hooks, window, hooks)
            rows.append({"hooks": hooks, "sources": 0, "deliveries_per_s": r["deliveries_per_s"],
                         "events_per_s": r["events_per_s"], "window": window,
                         "idle": idle, "after": smaps(daemon.pid)})
            self.stop(daemon)
        fake, fport = self.start_fake_octoprint("octoprint-growth")
        for sources in (1, 10):
            conf, sock = self.write_config("sources%d" % sources, 3,
                                           "http://127.0.0.1:%d" % self.nginx_port,
                                           sources=sources, octoprint_port=fport)
            daemon = self.start_daemon(conf, sock)
            self.wait_log(daemon, "connected to OctoPrint", sources)
            time.sleep(0.5)
            idle = smaps(daemon.pid)
            self.burst(daemon, sock, 200, WINDOW, 3, printer=False, sources=sources)
            r = self.burst(daemon, sock, GROWTH_DELIVERIES // 3, WINDOW, 3, printer=False,
                           sources=sources)
            rows.append({"hooks": 3, "sources": sources, "deliveries_per_s": r["deliveries_per_s"],
                         "events_per_s": r["events_per_s"], "window": WINDOW,
                         "idle": idle, "after": smaps(daemon.pid)})
            self.stop(daemon)
        self.stop(fake)
        self.results["growth"] = rows

    # Part 6: the web console's cost.

    def console_session(self, conf):
        import requests     # python3-requests: what bench/run installs
        with open(os.path.join(os.path.dirname(conf), "console.token")) as f:
            token = f.read().strip()
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + token
        return session, token

    def sse_client(self, port, token):
        """A browser's live feed: a process reading /api/v1/events and
        throwing it away as fast as it comes, with plain recv() so that
        the client's own work (it shares the two cores) stays small."""
        script = ("import socket, sys\n"
                  "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                  "s.sendall(b'GET /api/v1/events HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n'"
                  " b'Authorization: Bearer ' + sys.argv[2].encode() + b'\\r\\n\\r\\n')\n"
                  "first = s.recv(65536)\n"
                  "sys.stdout.write('open\\n' if b' 200 ' in first else 'refused\\n')\n"
                  "sys.stdout.flush()\n"
                  "while s.recv(262144):\n    pass\n")
        p = self.spawn([PYTHON, "-c", script, str(port), token],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ready, _, _ = select.select([p.stdout], [], [], 10)
        if not ready or p.stdout.readline().strip() != b"open":
            raise RuntimeError("the event stream client did not connect")
        return p

    def timed_gets(self, session, url, count):
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            r = session.get(url, timeout=10)
            times.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError("%s: HTTP %d" % (url, r.status_code))
        times.sort()
        return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
                "max_ms": times[-1], "count": count}

    def part_console(self):
        base = "http://127.0.0.1:%d" % self.nginx_port
        # Idle memory, off and on alternating.
        idle = {False: [], True: []}
        for r in range(CONSOLE_ROUNDS):
            for on in (False, True):
                conf, sock = self.write_config("console-idle-%d-%d" % (r, on), 3, base, console=on)
                daemon = self.start_daemon(conf, sock)
                if on:
                    self.console_port(daemon)
                time.sleep(1)
                idle[on].append(smaps(daemon.pid)["Private_Dirty"])
                self.stop(daemon)
        # Throughput as part 1 with the console off, on, and on with a
        # live feed reading every event and outcome; alternating rounds.
        rates = {"off": [], "on": [], "feed": []}
        daemons = {}
        for kind in rates:
            conf, sock = self.write_config("console-tput-" + kind, 3, base, events="PrintDone",
                                           console=kind != "off")
            daemon = self.start_daemon(conf, sock)
            port = self.console_port(daemon) if kind != "off" else None
            feed = None
            if kind == "feed":
                _, token = self.console_session(conf)
                feed = self.sse_client(port, token)
            self.burst(daemon, sock, 300, WINDOW, 3)         # warm-up
            daemons[kind] = (daemon, sock, feed)
        for _ in range(ROUNDS):
            for kind, (daemon, sock, _) in daemons.items():
                rates[kind].append(self.burst(daemon, sock, TPUT_EVENTS, WINDOW, 3)["deliveries_per_s"])
        for daemon, _, feed in daemons.values():
            if feed is not None:
                self.stop(feed)
            self.stop(daemon)
        # The API with 100 hooks that have delivered, and /metrics.
        conf, sock = self.write_config("console-api", 100, base, console=True)
        daemon = self.start_daemon(conf, sock)
        port = self.console_port(daemon)
        self.burst(daemon, sock, 20, 100, 100)
        session, _ = self.console_session(conf)
        api = "http://127.0.0.1:%d" % port
        self.timed_gets(session, api + "/api/v1/hooks", 20)        # warm-up
        hooks = self.timed_gets(session, api + "/api/v1/hooks", CONSOLE_GETS)
        metrics = self.timed_gets(session, api + "/metrics", CONSOLE_GETS)
        hooks_bytes = len(session.get(api + "/api/v1/hooks", timeout=10).content)
        metrics_bytes = len(session.get(api + "/metrics", timeout=10).content)
        session.close()
        self.stop(daemon)
        med = statistics.median
        self.results["console"] = {
            "idle_off": idle[False], "idle_on": idle[True],
            "idle_extra_kb": med(idle[True]) - med(idle[False]),
            "rates": rates, "medians": {k: med(v) for k, v in rates.items()},
            "hooks": hooks, "metrics": metrics, "hooks_bytes": hooks_bytes,
            "metrics_bytes": metrics_bytes,
        }

    # Part 7: MQTT output.

    def start_mosquitto(self, name="mosquitto"):
        """A Mosquitto broker of the bench's own on a free port of
        127.0.0.1 (bench/README.md, part 7, says why these settings);
        ready once it answered an MQTT CONNECT with a CONNACK."""
        port = free_port()
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\n"
                    "allow_anonymous true\n"
                    "persistence false\n"
                    "max_queued_messages 100000\n"
                    "log_dest file %s/mosquitto.log\n"
                    "log_type error\nlog_type warning\n" % (port, d))
        proc = self.spawn(["mosquitto", "-c", conf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # CONNECT (MQTT 3.1.1, clean session, keep-alive 10 s, client id
        # "bench-probe"); the CONNACK is 20 02 00 00.
        connect = b"\x10\x17\x00\x04MQTT\x04\x02\x00\x0a\x00\x0bbench-probe"

        def up():
            if proc.poll() is not None:
                raise RuntimeError("mosquitto exited with %d (see %s/mosquitto.log)"
                                   % (proc.returncode, d))
            try:
                with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                    s.sendall(connect)
                    ok = s.recv(4) == b"\x20\x02\x00\x00"
                    s.sendall(b"\xe0\x00")          # DISCONNECT
                    return ok
            except OSError:
                return False
        self.wait_until(up, 10, "mosquitto")
        return proc, port

    def start_mqtt_sink(self, name, broker_port, *extra):
        """bench/mqtt_sink subscribed (QoS 1) to the broker; returns once
        the broker granted the subscription."""
        ready = os.path.join(self.tmp, name + ".ready")
        proc = self.spawn([os.path.join(self.tools, "mqtt_sink"), "--port", str(broker_port),
                           "--ready-file", ready] + list(extra),
                          stdout=subprocess.PIPE, text=True)

        def subscribed():
            if proc.poll() is not None:
                raise RuntimeError("mqtt_sink exited with %d" % proc.returncode)
            return os.path.exists(ready)
        self.wait_until(subscribed, 10, "mqtt_sink's subscription")
        return proc

    def mqtt_baseline(self, broker_port, events, seconds):
        topics = []
        for i in (1, 2, 3):
            topics += ["--topic", "bench/h%d" % i]
        run = subprocess.run([PYTHON, os.path.join(HERE, "baseline/mqtt_plugin_send.py"),
                              "--port", str(broker_port),
                              "--event-file", os.path.join(HERE, "event.json"),
                              "--events", str(events), "--seconds", str(seconds)] + topics,
                             capture_output=True, text=True, timeout=seconds + 60)
        if run.returncode != 0:
            raise RuntimeError("mqtt_plugin_send.py: %s %s" % (run.stdout, run.stderr[-2000:]))
        return json.loads(run.stdout)

    def mosquitto_pub(self, broker_port, path):
        """Seconds mosquitto_pub takes to publish the lines of path (QoS
        1, each a message, with the properties printhook sends: MQTT 5,
        TCP_NODELAY), from its start to its exit after the last PUBACK."""
        argv = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker_port), "-q", "1",
                "-t", "bench/ceiling", "-V", "5", "--nodelay",
                "-D", "publish", "content-type", "application/json",
                "-D", "publish", "user-property", "webhook-id", "msg_" + "0" * 32, "-l"]
        with open(path, "rb") as f:
            t0 = time.monotonic()
            run = subprocess.run(argv, stdin=f, capture_output=True, timeout=120)
            t1 = time.monotonic()
        if run.returncode != 0:
            raise RuntimeError("mosquitto_pub: %s" % run.stderr.decode()[-2000:])
        return t1 - t0

    def mqtt_ceiling(self, broker_port, payload):
        """mosquitto's own rate with this payload: mosquitto_pub -l, QoS
        1, its 20 messages in flight (libmosquitto's default, printhook's
        too).  Timed for lines/2 and lines messages, alternating, three
        times each: the difference cancels what every run pays once
        (starting, connecting, and the 0.1 s sleeps mosquitto_pub makes
        while it connects and while it waits for the last PUBACK)."""
        short, long_ = MQTT_CEILING_LINES // 2, MQTT_CEILING_LINES
        paths = {}
        for n in (short, long_):
            paths[n] = os.path.join(self.tmp, "ceiling-%d.txt" % n)
            with open(paths[n], "wb") as f:
                f.write((payload + b"\n") * n)
        self.mosquitto_pub(broker_port, paths[short])        # warm-up
        times = {short: [], long_: []}
        for _ in range(ROUNDS):
            for n in (short, long_):
                times[n].append(self.mosquitto_pub(broker_port, paths[n]))
        med = statistics.median
        return {"lines": [short, long_], "times": times,
                "messages_per_s": (long_ - short) / (med(times[long_]) - med(times[short])),
                "whole_run_messages_per_s": long_ / med(times[long_])}

    def mqtt_payload_path(self):
        return os.path.join(self.tmp, "mqtt-payload.json")

    def mqtt_throughput(self, broker_port):
        """Part 1's events through 3 mqtt hooks on one connection,
        alternating with the baseline; also the payload printhook
        publishes (from a subscriber, for the ceiling) and the CPU time
        the daemon and the broker spend per delivery."""
        dump = self.mqtt_payload_path()
        probe = self.start_mqtt_sink("mqtt-probe", broker_port, "--topic", "bench/h1",
                                     "--dump", dump, "--expect", "1", "--seconds", "20")
        conf, sock = self.write_config("mqtt-throughput", 3, None, events="PrintDone",
                                       mqtt_port=broker_port)
        daemon = self.start_daemon(conf, sock)
        self.burst(daemon, sock, 1, WINDOW, 3)
        try:
            probe.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.stop(probe)
        if not os.path.exists(dump):
            raise RuntimeError("mqtt_sink saw no message of the throughput daemon's first event")
        with open(dump, "rb") as f:
            payload = f.read()
        self.burst(daemon, sock, 300, WINDOW, 3)          # warm-up
        # What the daemon costs while it waits, connected: a daemon that
        # does not sleep shows here.
        time.sleep(0.2)
        c0 = cpu_seconds(daemon.pid)
        time.sleep(MQTT_IDLE_SECONDS)
        idle_cpu = (cpu_seconds(daemon.pid) - c0) / MQTT_IDLE_SECONDS
        ph, bl, daemon_us, broker_us = [], [], [], []
        for _ in range(ROUNDS):
            d0, b0 = cpu_seconds(daemon.pid), cpu_seconds(self.broker.pid)
            r = self.burst(daemon, sock, TPUT_EVENTS, WINDOW, 3)
            d1, b1 = cpu_seconds(daemon.pid), cpu_seconds(self.broker.pid)
            ph.append(r["deliveries_per_s"])
            daemon_us.append(1e6 * (d1 - d0) / r["delivered"])
            broker_us.append(1e6 * (b1 - b0) / r["delivered"])
            # The daemon is stopped (SIGSTOP) while the baseline runs, so
            # that whatever it does while idle takes nothing from it.
            os.kill(daemon.pid, signal.SIGSTOP)
            try:
                b = self.mqtt_baseline(broker_port, BASELINE_EVENTS, BASELINE_SECONDS)
            finally:
                os.kill(daemon.pid, signal.SIGCONT)
            bl.append(b["deliveries_per_s"])
        rss = smaps(daemon.pid)
        self.stop(daemon)
        med = statistics.median
        return payload, {
            "concurrency": WINDOW, "rounds": ROUNDS, "printhook": ph, "baseline": bl,
            "printhook_median": med(ph), "baseline_median": med(bl),
            "vs_baseline": med(ph) / med(bl), "baseline_deliveries": b["deliveries"],
            "daemon_cpu_us_per_delivery": daemon_us, "broker_cpu_us_per_delivery": broker_us,
            "daemon_idle_cpu": idle_cpu, "daemon_memory": rss,
        }

    def mqtt_latency(self, broker_port, payload_path):
        """emit -> printhook (one hook, QoS 1) -> broker -> mqtt_sink, as
        part 2; then the floor: bench/mqtt_pub publishing printhook's
        payload, stamped, at the same rate straight to the broker, to a
        fresh mqtt_sink."""
        out = os.path.join(self.tmp, "mqtt-latency.txt")
        total = LAT_RATE * LAT_SECONDS
        sink = self.start_mqtt_sink("mqtt-latency", broker_port, "--topic", "bench/#",
                                    "--out", out, "--expect", str(total + LAT_WARMUP),
                                    "--seconds", str(LAT_SECONDS + 30))
        conf, sock = self.write_config("mqtt-latency", 1, None, mqtt_port=broker_port)
        log = open(os.path.join(self.tmp, "mqtt-latency-daemon.log"), "w")
        daemon = self.start_daemon(conf, sock, stderr=log)
        emit = os.path.join(self.tools, "emit")
        common = ["--socket", sock, "--mode", "rate", "--payload", self.payload,
                  "--printer", self.printer, "--timeout", "10"]
        subprocess.run([emit, "--rate", "100", "--seconds", str(LAT_WARMUP / 100)] + common,
                       check=True, capture_output=True, timeout=30)
        run = subprocess.run([emit, "--rate", str(LAT_RATE), "--seconds", str(LAT_SECONDS)] + common,
                             capture_output=True, text=True, timeout=LAT_SECONDS + 30)
        emitted = json.loads(run.stdout)
        try:
            sink.wait(15)
        except subprocess.TimeoutExpired:
            pass
        self.stop(sink)
        self.stop(daemon)
        log.close()
        result = self.latencies(out, LAT_WARMUP)
        floor_out = os.path.join(self.tmp, "mqtt-latency-floor.txt")
        sink = self.start_mqtt_sink("mqtt-floor", broker_port, "--topic", "bench/#",
                                    "--out", floor_out, "--expect", str(total + LAT_WARMUP),
                                    "--seconds", str(LAT_SECONDS + 30))
        subprocess.run([os.path.join(self.tools, "mqtt_pub"), "--port", str(broker_port),
                        "--payload-file", payload_path, "--rate", str(LAT_RATE),
                        "--seconds", str(LAT_SECONDS + LAT_WARMUP / LAT_RATE)],
                       check=True, capture_output=True, timeout=LAT_SECONDS + 30)
        try:
            sink.wait(15)
        except subprocess.TimeoutExpired:
            pass
        self.stop(sink)
        result.update({"rate": LAT_RATE, "seconds": LAT_SECONDS, "events": emitted["accepted"],
                       "expected": total, "floor": self.latencies(floor_out, LAT_WARMUP),
                       "fdatasync": self.fdatasync_times(os.path.dirname(conf))})
        return result

    @staticmethod
    def fdatasync_times(directory):
        """What the spool's commits wait for on this disk at this moment:
        FSYNC_PROBES fdatasyncs, each after a 4 kB write, in directory."""
        path = os.path.join(directory, "fdatasync-probe")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        times = []
        try:
            for i in range(FSYNC_PROBES):
                os.pwrite(fd, b"\0" * 4096, (i % 16) * 4096)
                t0 = time.perf_counter()
                os.fdatasync(fd)
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            os.close(fd)
            os.unlink(path)
        times.sort()
        return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
                "max_ms": times[-1]}

    def part_mqtt(self):
        self.broker, port = self.start_mosquitto()
        payload, result = self.mqtt_throughput(port)
        result["payload_bytes"] = len(payload)
        result["ceiling"] = self.mqtt_ceiling(port, payload)
        result["vs_ceiling"] = result["printhook_median"] / result["ceiling"]["messages_per_s"]
        result["latency"] = self.mqtt_latency(port, self.mqtt_payload_path())
        self.stop(self.broker)
        self.results["mqtt"] = result

    # Part 9: a print farm, edge -> broker -> central daemon(s) -> receiver.

    def farm_edge_config(self, name, broker_port):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        path = os.path.join(d, "printhook.conf")
        with open(path, "w") as f:
            f.write("[printhook]\ncontrol_socket = %s/control.sock\nspool = %s/spool.db\n\n"
                    "[console]\nenabled = false\n\n"
                    "[hook forward]\nmodules = mqtt\nevents = *\n"
                    "mqtt.url = mqtt://127.0.0.1:%d\nmqtt.format = event\n"
                    "mqtt.client_id = bench-edge-%s\nmqtt.status_topic =\ntimeout = 10\n"
                    % (d, d, broker_port, name))
        os.chmod(path, 0o600)
        return path, os.path.join(d, "control.sock")

    def farm_central_config(self, name, broker_port, sink_port):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        path = os.path.join(d, "printhook.conf")
        with open(path, "w") as f:
            f.write("[printhook]\ncontrol_socket = %s/control.sock\nspool = %s/spool.db\n\n"
                    "[console]\nenabled = false\n\n"
                    "[source farm]\ntype = mqtt\nurl = mqtt://127.0.0.1:%d\ngroup = bench\n"
                    "client_id = bench-%s\n\n"
                    "[hook out]\nurl = http://127.0.0.1:%d/h1\nevents = *\n"
                    "data = {\"event\": \"@event\", \"device\": \"@deviceIdentifier\", "
                    "\"extra\": \"@extra\", \"state\": \"@state\"}\n"
                    % (d, d, broker_port, name, sink_port))
        os.chmod(path, 0o600)
        return path, os.path.join(d, "control.sock")

    def farm_start(self, tag, broker_port, sink_port, centrals):
        """centrals central daemons subscribed, then the edge; the
        daemons' logs go to files (the edge's stays a pipe for emit's
        burst mode)."""
        daemons = []
        for i in range(centrals):
            conf, sock = self.farm_central_config("%s-central%d" % (tag, i), broker_port,
                                                  sink_port)
            log_path = os.path.join(self.tmp, "%s-central%d.log" % (tag, i))
            log = open(log_path, "w")
            daemons.append(self.start_daemon(conf, sock, stderr=log))
            log.close()
            self.wait_until(lambda: "taking $share/bench/" in open(log_path).read(), 10,
                            "the central daemon's subscription")
        conf, sock = self.farm_edge_config("%s-edge" % tag, broker_port)
        return daemons, conf, sock

    def farm_throughput(self, broker_port, centrals, round_, broker):
        tag = "tput%d-%d" % (centrals, round_)
        sink, sink_port = self.start_sink(tag + "-sink", "--expect", str(FARM_EVENTS),
                                          "--seconds", "120")
        daemons, conf, sock = self.farm_start(tag, broker_port, sink_port, centrals)
        edge = self.start_daemon(conf, sock)
        self.wait_log(edge, "mqtt: connected", 1)
        cpu0 = [cpu_seconds(p.pid) for p in [edge, broker] + daemons]
        t0 = time.monotonic()
        acked = self.burst(edge, sock, FARM_EVENTS, FARM_WINDOW, 1, printer=True)
        sink.wait(120)
        t1 = time.monotonic()
        cpu1 = [cpu_seconds(p.pid) for p in [edge, broker] + daemons]
        used = [b - a for a, b in zip(cpu0, cpu1)]
        arrived = json.loads(sink.stdout.read())["requests"]
        self.stop(sink)
        self.stop(edge)
        for d in daemons:
            self.stop(d)
        return {"centrals": centrals, "events": FARM_EVENTS, "arrived": arrived,
                "seconds": t1 - t0, "events_per_s": arrived / (t1 - t0),
                "edge_acknowledged_per_s": acked.get("deliveries_per_s"),
                "cpu_ms_per_event": {"edge": 1000 * used[0] / arrived,
                                     "broker": 1000 * used[1] / arrived,
                                     "centrals": 1000 * sum(used[2:]) / arrived}}

    def farm_latency(self, broker_port, centrals):
        tag = "lat%d" % centrals
        out = os.path.join(self.tmp, tag + ".txt")
        total = FARM_RATE * FARM_SECONDS
        sink, sink_port = self.start_sink(tag + "-sink", "--out", out, "--expect",
                                          str(total + LAT_WARMUP),
                                          "--seconds", str(FARM_SECONDS + 40))
        daemons, conf, sock = self.farm_start(tag, broker_port, sink_port, centrals)
        log = open(os.path.join(self.tmp, tag + "-edge.log"), "w")
        edge = self.start_daemon(conf, sock, stderr=log)
        log.close()
        emit = os.path.join(self.tools, "emit")
        common = ["--socket", sock, "--mode", "rate", "--payload", self.payload,
                  "--printer", self.printer, "--timeout", "10"]
        subprocess.run([emit, "--rate", "100", "--seconds", str(LAT_WARMUP / 100)] + common,
                       check=True, capture_output=True, timeout=30)
        subprocess.run([emit, "--rate", str(FARM_RATE), "--seconds", str(FARM_SECONDS)] + common,
                       check=True, capture_output=True, timeout=FARM_SECONDS + 30)
        try:
            sink.wait(30)
        except subprocess.TimeoutExpired:
            pass
        self.stop(sink)
        self.stop(edge)
        for d in daemons:
            self.stop(d)
        result = self.latencies(out, LAT_WARMUP)
        result.update({"centrals": centrals, "rate": FARM_RATE, "seconds": FARM_SECONDS,
                       "expected": total})
        return result

    def part_farm(self):
        broker, port = self.start_mosquitto("farm-mosquitto")
        rounds = []
        for r in range(FARM_ROUNDS):
            for centrals in (1, 2):
                rounds.append(self.farm_throughput(port, centrals, r, broker))
        latency = [self.farm_latency(port, 1), self.farm_latency(port, 2)]
        self.stop(broker)
        median = {}
        for centrals in (1, 2):
            values = sorted(x["events_per_s"] for x in rounds if x["centrals"] == centrals)
            median[str(centrals)] = values[len(values) // 2]
        self.results["farm"] = {"rounds": rounds, "median": median, "latency": latency,
                                "window": FARM_WINDOW}

    # Part 8: Bambu Lab sources, each a TLS MQTT connection to a printer.

    def bambu_broker(self, serials):
        """One mosquitto with a TLS listener per serial (a certificate of
        the bench's own CA with CN = the serial, as a printer's), user bblp
        with BAMBU_CODE; returns (proc, ports, ca)."""
        d = os.path.join(self.tmp, "bambu")
        os.makedirs(d)
        ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key, "-out", ca,
                        "-days", "2", "-subj", "/CN=bench printers CA",
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
        ext = os.path.join(d, "server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName = IP:127.0.0.1\nbasicConstraints = critical, CA:FALSE\n"
                    "extendedKeyUsage = serverAuth\n")
        passwd = os.path.join(d, "passwd")
        subprocess.run(["mosquitto_passwd", "-b", "-c", passwd, "bblp", BAMBU_CODE], **quiet)
        lines = ["per_listener_settings false", "allow_anonymous false",
                 "password_file " + passwd, "persistence false",
                 "log_dest file %s/mosquitto.log" % d, "log_type error", "log_type warning"]
        if os.geteuid() == 0:
            # mosquitto started by root becomes user mosquitto, who cannot
            # read the bench's private directory.
            lines.append("user root")
        ports = []
        for serial in serials:
            key, csr, cert = (os.path.join(d, serial + ext_) for ext_ in (".key", ".csr", ".pem"))
            subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
                            "-subj", "/CN=" + serial], **quiet)
            subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], **quiet)
            port = free_port()
            ports.append(port)
            lines += ["listener %d 127.0.0.1" % port, "certfile " + cert, "keyfile " + key]
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        proc = self.spawn(["mosquitto", "-c", conf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            if proc.poll() is not None:
                raise RuntimeError("mosquitto exited with %d (see %s/mosquitto.log)"
                                   % (proc.returncode, d))
            try:
                socket.create_connection(("127.0.0.1", ports[-1]), 0.5).close()
                return True
            except OSError:
                return False
        self.wait_until(up, 10, "mosquitto's printer listeners")
        return proc, ports, ca

    def bambu_config(self, name, serials, ports, ca):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        path = os.path.join(d, "printhook.conf")
        lines = ["[printhook]", "control_socket = %s/control.sock" % d,
                 "spool = %s/spool.db" % d, "", "[console]", "enabled = false", "",
                 "[hook h1]", "url = http://127.0.0.1:%d/h1" % self.nginx_port,
                 "events = PrintStarted, PrintDone, PrintFailed", ""]
        for serial, port in zip(serials, ports):
            lines += ["[source %s]" % serial.lower(), "type = bambu", "host = 127.0.0.1",
                      "port = %d" % port, "serial = " + serial, "access_code = " + BAMBU_CODE,
                      "tls_ca_file = " + ca, ""]
        with open(path, "w") as f:
            f.write("\n".join(lines))
        os.chmod(path, 0o600)
        return path, os.path.join(d, "control.sock")

    def part_bambu(self):
        serials = ["01P00A%09d" % i for i in range(1, BAMBU_PRINTERS + 1)]
        broker, ports, ca = self.bambu_broker(serials)
        rows = {}
        # 2: what a source costs once the first has paid the one-time
        # set-up (libmosquitto's, OpenSSL's providers and tables).
        for count in (0, 1, 2, BAMBU_PRINTERS):
            conf, sock = self.bambu_config("bambu%d" % count, serials[:count], ports[:count], ca)
            daemon = self.start_daemon(conf, sock)
            if count:
                self.wait_log(daemon, "connected to the Bambu Lab printer", count, 60)
            time.sleep(2)
            row = {"idle": smaps(daemon.pid)}
            if count in (1, BAMBU_PRINTERS):
                before = cpu_seconds(daemon.pid)
                broker_before = cpu_seconds(broker.pid)
                t0 = time.monotonic()
                pub = subprocess.run([PYTHON, "-I", os.path.join(HERE, "bambu_printers.py"),
                                      "--port", str(ports[0]), "--ca", ca, "--password",
                                      BAMBU_CODE, "--serials", ",".join(serials[:count]),
                                      "--seconds", str(BAMBU_SECONDS)],
                                     capture_output=True, text=True, timeout=BAMBU_SECONDS + 30)
                if pub.returncode != 0:
                    raise RuntimeError("bambu_printers.py: " + pub.stderr)
                elapsed = time.monotonic() - t0
                row["sent"] = json.loads(pub.stdout)["sent"]
                row["cpu"] = (cpu_seconds(daemon.pid) - before) / elapsed
                row["broker_cpu"] = (cpu_seconds(broker.pid) - broker_before) / elapsed
                row["after"] = smaps(daemon.pid)
            self.stop(daemon)
            rows[count] = row
        self.stop(broker)
        # OpenSSL's share of the first source: its first client context
        # against a second, in a process of its own (bench/tls_set_up.c).
        probe = subprocess.run([os.path.join(self.tools, "tls_set_up"), ca],
                               capture_output=True, text=True, timeout=30, check=True)
        self.results["bambu"] = {"printers": BAMBU_PRINTERS, "seconds": BAMBU_SECONDS,
                                 "rows": {str(k): v for k, v in rows.items()},
                                 "tls": json.loads(probe.stdout)}

# The table.

def mb(kb):
    return "%.1f MB" % (kb / 1024)


def verdict(ok):
    return "met" if ok else "**missed**"


def table(results, machine):
    out = ["| part | measure | printhook | reference | ratio | target | |",
           "|---|---|---|---|---|---|---|"]
    t = results.get("throughput")
    if t:
        rounds = lambda values: ", ".join("%.0f" % v for v in values)
        out.append("| 1 throughput | deliveries/s, 3 hooks, %d B JSON, %d in flight (control socket); "
                   "median of %d alternating rounds | %.0f (%s) | baseline plugin_send.py: %.0f (%s) "
                   "| %.1f× | ≥ 20× | %s |"
                   % (t["body_bytes"], t["concurrency"], t["rounds"], t["printhook_median"],
                      rounds(t["printhook"]), t["baseline_median"], rounds(t["baseline"]),
                      t["vs_baseline"], verdict(t["vs_baseline"] >= 20)))
        out.append("| 1 throughput | requests/s, same nginx, body, concurrency "
                   "| %.0f | wrk -t1 -c%d: %.0f (%s) | %.2f× | ≥ 0.5× | %s |"
                   % (t["printhook_median"], t["concurrency"], t["wrk_median"], rounds(t["wrk"]),
                      t["vs_wrk"], verdict(t["vs_wrk"] >= 0.5)))
    if t:
        out.append("| 1 throughput | control socket alone: events/s taken in, no hook matching "
                   "(%.0f events/s = %.0f deliveries/s at 3 hooks) | %.0f | | | | |"
                   % (t["ingest_events_per_s"], 3 * t["ingest_events_per_s"],
                      t["ingest_events_per_s"]))
    lat = results.get("latency")
    if lat:
        fl = lat["floor"]
        out.append("| 2 latency | emit → receiver, %d events/s × %d s × 3 hooks (%d of %d arrived) "
                   "| p50 %.2f ms, p99 %.2f ms, max %.2f ms "
                   "| floor, stamped POSTs straight to the receiver: p50 %.2f, p99 %.2f, max %.2f ms "
                   "| p99 %.1f× floor | p99 ≤ 2 ms | %s |"
                   % (lat["rate"], lat["seconds"], lat["arrived"], lat["expected"],
                      lat["p50_ms"], lat["p99_ms"], lat["max_ms"], fl["p50_ms"], fl["p99_ms"],
                      fl["max_ms"], lat["p99_ms"] / fl["p99_ms"],
                      verdict(lat["p99_ms"] <= 2 and lat["arrived"] == lat["expected"])))
    for s in results.get("snapshot", []):
        if s["resized"]:
            ok = s["speedup"] >= 3 and s["psnr_db"] >= 30
            out.append("| 3 snapshot | %s → %s, ms/image; PSNR vs Pillow %.1f dB "
                       "| %.1f ms | Pillow thumbnail(LANCZOS)+q75: %.1f ms | %.2f× | ≥ 3×, ≥ 30 dB | %s |"
                       % (s["case"], s["printhook_size"], s["psnr_db"], s["printhook_ms"],
                          s["pillow_ms"], s["speedup"], verdict(ok)))
        else:
            out.append("| 3 snapshot | %s: fits, sent as it came (%s) "
                       "| %.2f ms (full decode check) | plugin: Image.open, size only: %.2f ms "
                       "| | byte pass-through | %s |"
                       % (s["case"], "byte-identical" if s["passthrough"] else "CHANGED",
                          s["printhook_ms"], s["pillow_ms"], verdict(s["passthrough"])))
    m = results.get("memory")
    if m:
        idle, a, b = m["idle"], m["after_%d" % MEM_STEP], m["after_%d" % (2 * MEM_STEP)]
        out.append("| 4 memory | `printhook run` idle, 3 hooks, 1 source: RSS (PSS) "
                   "| %s (%s) | | | ≤ 12 MB | %s |"
                   % (mb(idle["Rss"]), mb(idle["Pss"]), verdict(idle["Rss"] <= 12 * 1024)))
        out.append("| 4 memory | `printhook run` idle, 3 hooks, 1 source: Private_Dirty "
                   "| %s | | | ≤ 3 MB | %s |"
                   % (mb(idle["Private_Dirty"]), verdict(idle["Private_Dirty"] <= 3 * 1024)))
        by_library = sorted(m.get("idle_by_library", {}).items(), key=lambda kv: -kv[1]["Rss"])
        if by_library:
            out.append("| 4 memory | idle RSS (PSS, Private_Dirty) by what maps it | %s | | | | |"
                       % "; ".join("%s %s (%s, %s)" % (name, mb(g["Rss"]), mb(g["Pss"]),
                                                       mb(g["Private_Dirty"]))
                                   for name, g in by_library))
        growth = b["Private_Dirty"] - a["Private_Dirty"]
        out.append("| 4 memory | after %d / %d deliveries: Private_Dirty (RSS) "
                   "| %s / %s, %+d kB (RSS %s / %s) | | | ≤ 5 MB, no growth | %s |"
                   % (MEM_STEP, 2 * MEM_STEP, mb(a["Private_Dirty"]), mb(b["Private_Dirty"]),
                      growth, mb(a["Rss"]), mb(b["Rss"]),
                      verdict(b["Private_Dirty"] <= 5 * 1024 and growth <= NO_GROWTH_KB)))
        if t:
            bi, bl = t["baseline_memory_idle"], t["baseline_memory"]
            out.append("| 4 memory | the baseline's Python process (requests imported), idle → after "
                       "%d deliveries: RSS / PSS / Private_Dirty | | %s / %s / %s → %s / %s / %s "
                       "| | | |"
                       % (t["baseline_deliveries"], mb(bi["Rss"]), mb(bi["Pss"]),
                          mb(bi["Private_Dirty"]), mb(bl["Rss"]), mb(bl["Pss"]),
                          mb(bl["Private_Dirty"])))
    for g in results.get("growth", []):
        what = ("%d hook%s" % (g["hooks"], "s" if g["hooks"] > 1 else "")) if g["sources"] == 0 else \
               ("3 hooks, %d source%s" % (g["sources"], "s" if g["sources"] > 1 else ""))
        out.append("| 5 growth | %s: deliveries/s (%d in flight); RSS / Private_Dirty idle → after "
                   "| %.0f; %s / %s → %s / %s | | | | |"
                   % (what, g["window"], g["deliveries_per_s"], mb(g["idle"]["Rss"]),
                      mb(g["idle"]["Private_Dirty"]), mb(g["after"]["Rss"]),
                      mb(g["after"]["Private_Dirty"])))
    hooks = [g for g in results.get("growth", []) if g["sources"] == 0]
    if len(hooks) >= 2:
        per_hook = (hooks[-1]["idle"]["Private_Dirty"] - hooks[0]["idle"]["Private_Dirty"]) \
            / (hooks[-1]["hooks"] - hooks[0]["hooks"])
        out.append("| 5 growth | idle Private_Dirty per extra hook | %.1f kB | | | | |" % per_hook)
    srcs = [g for g in results.get("growth", []) if g["sources"] > 0]
    if len(srcs) >= 2:
        per_source = (srcs[-1]["idle"]["Private_Dirty"] - srcs[0]["idle"]["Private_Dirty"]) \
            / (srcs[-1]["sources"] - srcs[0]["sources"])
        out.append("| 5 growth | idle Private_Dirty per extra source | %.1f kB | | | | |"
                   % per_source)
    c = results.get("console")
    if c:
        m = c["medians"]
        out.append("| 6 console | idle Private_Dirty, 3 hooks: console on − off, median of %d "
                   "alternating | %+.0f kB (on %s, off %s) | | | ≤ +512 kB | %s |"
                   % (len(c["idle_on"]), c["idle_extra_kb"], mb(statistics.median(c["idle_on"])),
                      mb(statistics.median(c["idle_off"])), verdict(c["idle_extra_kb"] <= 512)))
        rounds = lambda values: ", ".join("%.0f" % v for v in values)
        out.append("| 6 console | part 1's deliveries/s with one live-feed client reading "
                   "/api/v1/events | %.0f (%s) | console on, no client: %.0f (%s) | %.2f× "
                   "| ≥ 0.95× | %s |"
                   % (m["feed"], rounds(c["rates"]["feed"]), m["on"], rounds(c["rates"]["on"]),
                      m["feed"] / m["on"], verdict(m["feed"] / m["on"] >= 0.95)))
        out.append("| 6 console | part 1's deliveries/s, console on (history kept) vs off "
                   "| %.0f | console off: %.0f (%s) | %.2f× | | |"
                   % (m["on"], m["off"], rounds(c["rates"]["off"]), m["on"] / m["off"]))
        for name, key, size in (("GET /api/v1/hooks, 100 hooks", "hooks", c["hooks_bytes"]),
                                ("GET /metrics, 100 hooks", "metrics", c["metrics_bytes"])):
            r = c[key]
            out.append("| 6 console | %s (%d B), %d in a row, a connection each | p50 %.2f ms, p99 %.2f ms, "
                       "max %.2f ms | | | p99 ≤ 5 ms | %s |"
                       % (name, size, r["count"], r["p50_ms"], r["p99_ms"], r["max_ms"],
                          verdict(r["p99_ms"] <= 5)))
    q = results.get("mqtt")
    if q:
        rounds = lambda values: ", ".join("%.0f" % v for v in values)
        ce, lat = q["ceiling"], q["latency"]
        out.append("| 7 mqtt | deliveries/s, 3 hooks QoS 1 on one connection, %d B JSON, %d in flight "
                   "(control socket); median of %d alternating rounds | %.0f (%s) "
                   "| baseline mqtt_plugin_send.py (paho, publish + wait_for_publish): %.0f (%s) "
                   "| %.1f× | ≥ 10× | %s |"
                   % (q["payload_bytes"], q["concurrency"], q["rounds"], q["printhook_median"],
                      rounds(q["printhook"]), q["baseline_median"], rounds(q["baseline"]),
                      q["vs_baseline"], verdict(q["vs_baseline"] >= 10)))
        out.append("| 7 mqtt | CPU time per delivery in those rounds, median: the daemon; the broker "
                   "| %.0f µs | mosquitto: %.0f µs | | | |"
                   % (statistics.median(q["daemon_cpu_us_per_delivery"]),
                      statistics.median(q["broker_cpu_us_per_delivery"])))
        out.append("| 7 mqtt | the daemon's CPU while idle, connected to the broker (%d s) "
                   "| %.0f %% of a core | | | | |" % (MQTT_IDLE_SECONDS, 100 * q["daemon_idle_cpu"]))
        out.append("| 7 mqtt | the broker's limit: messages/s, same payload, QoS 1, 20 in flight "
                   "| %.0f | mosquitto_pub -l: %.0f (whole runs: %.0f) | %.2f× | limit, not a target | |"
                   % (q["printhook_median"], ce["messages_per_s"], ce["whole_run_messages_per_s"],
                      q["vs_ceiling"]))
        fl = lat["floor"]
        out.append("| 7 mqtt | emit → printhook → broker → subscriber, %d events/s × %d s, 1 hook QoS 1 "
                   "(%d of %d arrived) | p50 %.2f ms, p99 %.2f ms, max %.2f ms "
                   "| floor, stamped publishes straight to the broker (mqtt_pub): p50 %.2f, "
                   "p99 %.2f, max %.2f ms | p99 %.1f× floor | p99 ≤ 2 ms | %s |"
                   % (lat["rate"], lat["seconds"], lat["arrived"], lat["expected"], lat["p50_ms"],
                      lat["p99_ms"], lat["max_ms"], fl["p50_ms"], fl["p99_ms"], fl["max_ms"],
                      lat["p99_ms"] / fl["p99_ms"],
                      verdict(lat["p99_ms"] <= 2 and lat["arrived"] == lat["expected"])))
        fs = lat["fdatasync"]
        out.append("| 7 mqtt | the spool's disk just after: fdatasync of a 4 kB write, %d in a row "
                   "| p50 %.2f ms, p99 %.2f ms, max %.2f ms | | | | |"
                   % (FSYNC_PROBES, fs["p50_ms"], fs["p99_ms"], fs["max_ms"]))
    b = results.get("bambu")
    if b:
        rows, n = b["rows"], b["printers"]
        none, one, many = rows["0"]["idle"], rows["1"]["idle"], rows[str(n)]["idle"]
        per_one = one["Private_Dirty"] - none["Private_Dirty"]
        per_many = (many["Private_Dirty"] - none["Private_Dirty"]) / n
        out.append("| 8 bambu | idle Private_Dirty of one Bambu source (TLS MQTT link, certificate "
                   "checked): 1 source minus none | %.0f kB | none: %.1f MB | | ≤ 150 kB | %s |"
                   % (per_one, none["Private_Dirty"] / 1024, verdict(per_one <= 150)))
        if "tls" in b:
            out.append("| 8 bambu | of which OpenSSL's one-time set-up: its first TLS client "
                       "context against a second (tls_set_up, after libcurl's init), paid once "
                       "by whatever first uses TLS (https or mqtts hook, source) | first %d kB, "
                       "second %d kB | | | | |" % (b["tls"]["first_kb"], b["tls"]["second_kb"]))
        if "2" in rows:
            second = rows["2"]["idle"]["Private_Dirty"] - one["Private_Dirty"]
            out.append("| 8 bambu | the second source on the daemon (2 sources minus 1): what a "
                       "source costs once the first paid the one-time TLS and MQTT set-up "
                       "| %.0f kB | | | ≤ 150 kB | %s |" % (second, verdict(second <= 150)))
        out.append("| 8 bambu | the same per source with %d sources on one daemon | %.0f kB "
                   "(%.1f MB in all) | | | ≤ 150 kB | %s |"
                   % (n, per_many, many["Private_Dirty"] / 1024, verdict(per_many <= 150)))
        m = rows[str(n)]
        out.append("| 8 bambu | CPU, %d printers × 1 report/s for %d s (%d reports) | %.1f %% of a "
                   "core; Private_Dirty after %.1f MB | mosquitto: %.1f %% | | ≤ 5 %% | %s |"
                   % (n, b["seconds"], m["sent"], 100 * m["cpu"], m["after"]["Private_Dirty"] / 1024,
                      100 * m["broker_cpu"], verdict(m["cpu"] <= 0.05)))
    f = results.get("farm")
    if f:
        one, two = f["median"]["1"], f["median"]["2"]
        out.append("| 9 farm | end to end: edge -> mosquitto -> central daemon(s) -> receiver, "
                   "%d events a round, %d in flight at the edge, both spools on; median of %d "
                   "rounds | 1 central: %.0f events/s; 2 centrals in a group: %.0f events/s "
                   "(%.2fx) | | | grows with the second | %s |"
                   % (f["rounds"][0]["events"], f["window"], FARM_ROUNDS, one, two, two / one,
                      verdict(two > one)))
        for centrals in (1, 2):
            r = [x for x in f["rounds"] if x["centrals"] == centrals][-1]["cpu_ms_per_event"]
            out.append("| 9 farm | CPU per event, %d central%s (last round): what each stage costs "
                       "a core | edge %.3f ms, mosquitto %.3f ms, central daemon%s %.3f ms "
                       "(in all) | | | | |"
                       % (centrals, "s" if centrals > 1 else "", r["edge"], r["broker"],
                          "s" if centrals > 1 else "", r["centrals"]))
        for lat in f["latency"]:
            out.append("| 9 farm | latency emit -> arrival through the farm at %d events/s for "
                       "%d s, %d central%s | p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d of %d "
                       "arrived) | | | | |"
                       % (lat["rate"], lat["seconds"], lat["centrals"],
                          "s" if lat["centrals"] > 1 else "", lat["p50_ms"], lat["p99_ms"],
                          lat["max_ms"], lat["arrived"], lat["expected"]))
    return "\n".join(out) + "\n\n" + machine + "\n"


def describe_machine(bench):
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    def version(argv, pattern):
        try:
            out = subprocess.run(argv, capture_output=True, text=True).stdout
            out += subprocess.run(argv, capture_output=True, text=True).stderr
            m = re.search(pattern, out)
            return m.group(1) if m else "?"
        except OSError:
            return "?"
    head = subprocess.run(["git", "-C", bench.src, "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True).stdout.strip() or "?"
    mqtt = ""
    if "mqtt" in bench.results:
        mqtt = ", mosquitto %s, paho-mqtt %s" % (
            version(["mosquitto", "-h"], r"mosquitto version (\S+)"),
            version([PYTHON, "-c", "import paho.mqtt; print('paho', paho.mqtt.__version__)"],
                    r"paho (\S+)"))
    return ("Machine: %s, %d cores, Linux %s; nginx %s, wrk %s, Python %s%s; printhook at %s; %s."
            % (cpu, os.cpu_count(), platform.release(),
               version(["nginx", "-v"], r"nginx/(\S+)"), version(["wrk", "-v"], r"wrk (\S+)"),
               platform.python_version(), mqtt, head, time.strftime("%Y-%m-%d %H:%M %Z")))


def update_readme(path, text):
    with open(path) as f:
        readme = f.read()
    begin, end = "<!-- bench:table -->", "<!-- /bench:table -->"
    if begin not in readme or end not in readme:
        raise RuntimeError("%s has no %s ... %s markers" % (path, begin, end))
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + text + end + tail)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--tools", required=True)
    parser.add_argument("--src", required=True)
    parser.add_argument("--readme")
    parser.add_argument("--json")
    parser.add_argument("--only",
                        default="throughput,latency,snapshot,memory,growth,console,mqtt,bambu,farm")
    args = parser.parse_args()

    bench = Bench(args)
    started = time.monotonic()
    try:
        parts = args.only.split(",")
        if {"throughput", "memory", "growth", "console", "bambu"} & set(parts):
            bench.start_nginx()
        for part in parts:
            t0 = time.monotonic()
            getattr(bench, "part_" + part)()
            print("bench: %s done in %.1f s" % (part, time.monotonic() - t0), file=sys.stderr,
                  flush=True)
    finally:
        bench.cleanup()
    text = table(bench.results, describe_machine(bench))
    print(text)
    print("bench: everything in %.1f s" % (time.monotonic() - started), file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(bench.results, f, indent=1)
    if args.readme:
        update_readme(args.readme, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
