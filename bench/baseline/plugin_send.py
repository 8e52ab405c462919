#!/usr/bin/python3
"""The old plugin's send path: the baseline of printhook's benchmarks.

What OctoPrint-Webhooks 4.4.0 did in on_event for every event and every
hook (shared/reference/octoprint-webhooks-plugin.md sections 4 to 7), with
OctoPrint itself left out:

  - once per event: the printer's current data and the job file's metadata
    are copied (printer.get_current_data(), file_manager.get_metadata());
  - per hook, in list order: enabled check, cooldown check against the
    shared last-send map, event -> topic/message, the hook's headers and
    data JSON text parsed anew, the variable table built, the @snapshot
    scan, @param substitution in data, headers and URL the plugin's way
    (rescanning from the first "@" each time, a name ending only at a space,
    dots stepping with Python's "in", whole-value type kept, embedded values
    inserted as str()), the Content-Type check, then requests.post(...,
    json=data, timeout=30) -- sequentially, each call with a new
    connection, as requests.post without a Session does -- and the status
    judged (200 <= status < 400) and logged.

No snapshot and no OAuth: the hooks use the README's "all data" template
without "@snapshot", as printhook's benchmark hooks do.

Usage:
  plugin_send.py --url URL [--url URL ...] --event-file FILE
                 [--events N] [--seconds S] [--event NAME]

Sends at most N events (each to every URL's hook), stopping early after S
seconds, and prints one JSON object: deliveries, failures, seconds,
deliveries_per_s, and this process's memory (/proc/self/smaps_rollup, kB)
before the first event ("idle", everything imported and set up) and after
the last ("loaded").
"""

import argparse
import copy
import datetime
import json
import logging
import sys
import time

import requests

ALL_DATA = (
    '{"deviceIdentifier":"@deviceIdentifier","apiSecret":"@apiSecret","topic":"@topic",'
    '"message":"@message","extra":"@extra","state": "@state","job": "@job",'
    '"progress": "@progress","currentZ": "@currentZ","offsets": "@offsets",'
    '"meta": "@meta","currentTime": "@currentTime"}')

# Section 3.1: event name, hook flag, topic, message key.
EVENT_MAP = [
    ("PrintStarted", "eventPrintStarted", "Print Started", "eventPrintStartedMessage"),
    ("PrintDone", "eventPrintDone", "Print Done", "eventPrintDoneMessage"),
    ("PrintFailed", "eventPrintFailed", "Print Failed", "eventPrintFailedMessage"),
    ("PrintPaused", "eventPrintPaused", "Print Paused", "eventPrintPausedMessage"),
    ("plugin_webhooks_notify", "eventUserActionNeeded", "User Action Needed",
     "eventUserActionNeededMessage"),
    ("plugin_webhooks_progress", "event_print_progress", "Print Progress",
     "eventPrintProgressMessage"),
    ("Error", "eventError", "Error", "eventErrorMessage"),
]

log = logging.getLogger("octoprint.plugins.webhooks")


def hook_settings(url):
    """A hook with the 4.4.0 backend defaults (section 2.2) and the
    benchmark's URL and data."""
    return {
        "webhook_enabled": True, "url": url, "apiSecret": "s3cr3t",
        "deviceIdentifier": "bench printer", "event_cooldown": 0,
        "eventPrintStarted": True, "eventPrintDone": True, "eventPrintFailed": True,
        "eventPrintPaused": True, "eventUserActionNeeded": True, "eventError": True,
        "event_print_progress": False, "event_print_progress_interval": "50",
        "eventPrintStartedMessage": "Your print has started.",
        "eventPrintDoneMessage": "Your print is done.",
        "eventPrintFailedMessage": "Something went wrong and your print has failed.",
        "eventPrintPausedMessage":
            "Your print has paused. You might need to change the filament color.",
        "eventUserActionNeededMessage":
            "User action needed. You might need to change the filament color.",
        "eventPrintProgressMessage": "Your print is @percentCompleteMilestone % complete.",
        "eventErrorMessage": "There was an error.",
        "customEvents": [], "verify_ssl": True,
        "headers": '{\n  "Content-Type":"application/json"\n}',
        "data": ALL_DATA, "http_method": "POST", "content_type": "JSON", "oauth": False,
    }


def lookup(table, name):
    """Section 5.2 step 4: Python's "in" decides each step, with all its
    quirks (a string step is a substring test, a number raises)."""
    current = table
    for part in name.split("."):
        if part in current:
            current = current[part]
        else:
            return ""
    return current


def substitute_string(value, table, stops=(" ",)):
    """Section 5.2 (and 5.5 with the URL's stop characters)."""
    while isinstance(value, str) and "@" in value:
        start = value.index("@")
        end = len(value)
        for stop in stops:
            at = value.find(stop, start)
            if at != -1 and at < end:
                end = at
        token = value[start:end]
        found = lookup(table, token[1:])
        if start == 0 and end == len(value):
            value = found
        else:
            value = value.replace(token, str(found))
    return value


def substitute(value, table):
    """Section 5.1: values of objects and arrays, recursively; keys never."""
    if isinstance(value, dict):
        for key in value:
            value[key] = substitute(value[key], table)
        return value
    if isinstance(value, list):
        return [substitute(v, table) for v in value]
    if isinstance(value, str):
        return substitute_string(value, table)
    return value


def check_header(headers, wanted):
    """Section 7.2: every header whose name contains content-type must say
    wanted, else it is replaced; none such: one is added."""
    matched = False
    for name in list(headers):
        if "content-type" in name.lower():
            matched = True
            if wanted not in str(headers[name]).lower():
                headers[name] = wanted
    if not matched:
        headers["content-type"] = wanted


class Plugin:
    def __init__(self, hooks, printer, meta):
        self.hooks = hooks
        self.printer = printer
        self.meta = meta
        self.last_send = {}
        self.milestones = {}
        self.appearance = {"name": "", "color": "default", "colorTransparent": False}
        self.deliveries = 0
        self.failures = 0

    def get_current_data(self):
        return copy.deepcopy(self.printer)

    def get_metadata(self):
        return copy.deepcopy(self.meta)

    def on_event(self, event, payload):
        last = self.last_send.get(event, datetime.datetime(1, 1, 1))
        current = self.get_current_data()
        meta = self.get_metadata()
        if payload is None:
            payload = {}
        for index, hook in enumerate(self.hooks):
            if "hook_index" in payload and payload["hook_index"] != index:
                continue
            if not hook["webhook_enabled"]:
                continue
            elapsed = (datetime.datetime.now() - last).seconds
            if elapsed < int(hook["event_cooldown"]):
                log.info("Skipping event '%s'", event)
                continue
            milestone = self.milestones.get(index, 0)
            topic = message = None
            for name, flag, t, m in EVENT_MAP:
                if event == name and hook[flag]:
                    topic, message = t, hook[m]
                    break
            if topic is None:
                continue
            try:
                headers = json.loads(hook["headers"])
                data = json.loads(hook["data"])
                table = {"topic": topic, "message": message, "apiSecret": hook["apiSecret"],
                         "deviceIdentifier": hook["deviceIdentifier"], "extra": payload,
                         "currentTime": int(time.time()),
                         "percentCompleteMilestone": milestone,
                         "appearance": self.appearance}
                for key in ("state", "job", "currentZ", "progress", "offsets"):
                    if key in current:
                        table[key] = current[key]
                table["meta"] = meta
                snapshot_key = None
                for key in data:
                    if data[key] == "@snapshot":
                        snapshot_key = key
                        break
                data = substitute(data, table)
                headers = substitute(headers, table)
                url = substitute_string(hook["url"], table, stops=("/", " ", "?", "#"))
                check_header(headers, "application/json")
                response = requests.post(url, json=data, headers=headers, timeout=30,
                                         verify=hook["verify_ssl"])
                self.last_send[event] = datetime.datetime.now()
                if 200 <= response.status_code < 400:
                    self.deliveries += 1
                    log.info("Webhook Delivered %s %s", event, response.text)
                else:
                    self.failures += 1
                    log.info("Webhook Failed - Response Code: %d", response.status_code)
            except requests.exceptions.RequestException as e:
                self.failures += 1
                log.info("API Error: %s", e)


def memory():
    """Rss, Pss and Private_Dirty of this process, kB."""
    fields = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].rstrip(":") in ("Rss", "Pss", "Private_Dirty"):
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--event-file", required=True)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--event", default="PrintDone")
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    with open(args.event_file) as f:
        sample = json.load(f)
    printer = dict(sample["printer"])
    meta = printer.pop("meta")
    plugin = Plugin([hook_settings(u) for u in args.url], printer, meta)
    idle = memory()
    started = time.monotonic()
    events = 0
    while events < args.events and time.monotonic() - started < args.seconds:
        plugin.on_event(args.event, copy.deepcopy(sample["payload"]))
        events += 1
    seconds = time.monotonic() - started
    print(json.dumps({"events": events, "deliveries": plugin.deliveries,
                      "failures": plugin.failures, "seconds": round(seconds, 6),
                      "deliveries_per_s": round(plugin.deliveries / seconds, 1),
                      "memory_idle": idle, "memory_loaded": memory()}))
    return 0 if plugin.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
