#!/usr/bin/python3
"""The driver of bench/profile-delivery (see there): runs "printhook run"
under callgrind with N and then 2N events of bench/run's throughput setup
and prints the instructions one delivery costs, from the difference.

  profile_delivery.py --build DIR --tools DIR --src DIR [--events N] [--top K]
                      [--keep DIR]

Every process started here is stopped here, by its own pid.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the throughput part's template and window, and its waits
from bench import ALL_DATA, WINDOW, wait_control_socket, wait_until  # noqa: E402

HOOKS = 3


def stop(proc, timeout=120):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_config(tmp, sink_port):
    """bench.py's throughput config; the spool on tmpfs when there is one,
    so its fsyncs cost no waiting (they cost no instructions either way)."""
    path = os.path.join(tmp, "printhook.conf")
    lines = ["[printhook]", "device_identifier = bench printer",
             "control_socket = %s/control.sock" % tmp, "spool = %s/spool.db" % tmp,
             "api_secret = s3cr3t", "events = PrintDone", "data = " + ALL_DATA, ""]
    for i in range(1, HOOKS + 1):
        lines += ["[hook h%d]" % i, "url = http://127.0.0.1:%d/h%d" % (sink_port, i), ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    os.chmod(path, 0o600)
    return path, os.path.join(tmp, "control.sock")


def profile_run(args, tmp, conf, sock, events, out):
    """One daemon under callgrind taking events; returns emit's report."""
    env = dict(os.environ, PRINTHOOK_MODULE_PATH=os.path.join(args.build, "modules/.libs"))
    for name in ("spool.db", "spool.db-wal", "spool.db-shm"):
        if os.path.exists(os.path.join(tmp, name)):
            os.unlink(os.path.join(tmp, name))
    daemon = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
         "--log-file=" + out + ".log", os.path.join(args.build, "printhook"), "run", "-c", conf],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wait_control_socket(daemon, sock, 120)
        with open(os.path.join(HERE, "event.json")) as f:
            event = json.load(f)
        run = subprocess.run(
            [os.path.join(args.tools, "emit"), "--socket", sock, "--mode", "burst",
             "--event", "PrintDone", "--events", str(events), "--window", str(WINDOW),
             "--per-event", str(HOOKS), "--payload", json.dumps(event["payload"]),
             "--printer", json.dumps(event["printer"]), "--timeout", "600"],
            stdin=daemon.stderr, capture_output=True, text=True, timeout=900)
        if run.returncode != 0:
            raise RuntimeError("emit: %s %s" % (run.stdout.strip(), run.stderr.strip()))
        report = json.loads(run.stdout)
        if report["delivered"] != events * HOOKS:
            raise RuntimeError("emit: %d of %d delivered" % (report["delivered"], events * HOOKS))
    finally:
        stop(daemon)
    return report


class Names:
    """callgrind's name compression: "(id) name" defines, "(id)" repeats."""

    def __init__(self):
        self.names = {}

    def get(self, text):
        m = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if m is None:
            return text
        if m.group(2) is not None:
            self.names[m.group(1)] = m.group(2)
        return self.names[m.group(1)]


def spool_cost(path):
    """Instructions spent inside the spool, counted at each call into it
    from outside (inclusive, so nothing counts twice): calls whose callee
    is in core/spool/ (or core/delivery/spool_delivery.c, which turns a
    delivery into the spool's rows) and whose caller is not."""
    files, fns = Names(), Names()
    in_spool = re.compile(r"(^|/)core/(spool/[^/]*|delivery/spool_delivery)\.c$")
    fl = fn_file = cfile = None
    pending = False
    total = 0
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("fl="):
                fl = fn_file = files.get(line[3:])
            elif line.startswith(("fi=", "fe=")):
                files.get(line[3:])
            elif line.startswith("fn="):
                fns.get(line[3:])
                fn_file = fl
                cfile = None
            elif line.startswith(("cfl=", "cfi=")):
                cfile = files.get(line[4:])
            elif line.startswith("cfn="):
                fns.get(line[4:])
            elif line.startswith("calls="):
                callee_file = cfile if cfile is not None else fn_file
                pending = (bool(in_spool.search(callee_file or ""))
                           and not in_spool.search(fn_file or ""))
                cfile = None
            elif pending and line and (line[0].isdigit() or line[0] in "+-*"):
                total += int(line.split()[1])
                pending = False
    return total


def total_cost(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + path)


def inclusive(path, src):
    """Inclusive instructions per function, from callgrind_annotate; a
    function callgrind names twice (a relative and an absolute file name)
    counts once, and functions without symbols are left out."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                           "--auto=no", path],
                          capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*?)(?: \[[^]]*\])?$", line)
        # "name'2" is a recursive call's share, already in its caller's.
        if m is None or ":" not in m.group(2) or "'" in m.group(2) or "???" in m.group(2):
            continue
        name = m.group(2)
        if name.startswith(src + "/"):
            name = name[len(src) + 1:]
        costs[name] = max(costs.get(name, 0), int(m.group(1).replace(",", "")))
    return costs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--events", type=int, default=500)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--keep")
    args = ap.parse_args()

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    tmp = tempfile.mkdtemp(prefix="printhook-profile-", dir=base)
    sink = None
    try:
        port_file = os.path.join(tmp, "sink.port")
        sink = subprocess.Popen([os.path.join(args.tools, "sink"), "--port-file", port_file,
                                 "--seconds", "3600"], stdout=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(port_file) and os.path.getsize(port_file) > 0, 10,
                   "the sink")
        with open(port_file) as f:
            port = int(f.read())
        conf, sock = write_config(tmp, port)
        runs = []
        for events in (args.events, 2 * args.events):
            out = os.path.join(tmp, "callgrind.%d" % events)
            report = profile_run(args, tmp, conf, sock, events, out)
            runs.append((report["delivered"], total_cost(out), spool_cost(out), inclusive(out, args.src)))
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                shutil.copy(out, args.keep)
    finally:
        if sink is not None:
            stop(sink)
        shutil.rmtree(tmp, ignore_errors=True)

    (d1, t1, s1, f1), (d2, t2, s2, f2) = runs
    n = d2 - d1
    per = (t2 - t1) / n
    spool = (s2 - s1) / n
    print("instructions per delivery (%d - %d deliveries): %.0f in all, %.0f in the spool, "
          "%.0f without the spool" % (d2, d1, per, spool, per - spool))
    print()
    print("%12s %6s  function (inclusive, per delivery)" % ("Ir", "%"))
    rows = sorted(((f2[k] - f1.get(k, 0)) / n, k) for k in f2)
    for cost, name in reversed(rows[-args.top:]):
        print("%12.0f %5.1f%%  %s" % (cost, 100 * cost / per, name))


if __name__ == "__main__":
    main()
