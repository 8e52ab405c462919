#!/usr/bin/python3
"""The baseline of bench part 7 (MQTT): what an in-process Python plugin
would do to publish each webhook to an MQTT broker instead of POSTing it.

It is plugin_send.py's send path (OctoPrint-Webhooks 4.4.0's on_event: the
per-event copies, and per hook the checks, the parsing of the hook's
headers and data, the parameter table and the plugin's substitution, the
Content-Type check), imported from plugin_send.py and run unchanged, with
its one HTTP call replaced: where the plugin calls requests.post(url,
json=data, headers=headers, ...), this publishes instead --

    info = client.publish(topic, json.dumps(data), qos=1, properties=...)
    info.wait_for_publish()

on one paho-mqtt client (Debian's python3-paho-mqtt 1.6.1), connected once
and run by paho's own network thread (loop_start()), as a plugin would have
it.  Each hook's "url" holds its topic (no "@" in it, so the plugin's URL
substitution leaves it as it is).  The wire is what printhook's mqtt module
sends: MQTT 5, TCP_NODELAY, and a PUBLISH with the Content-Type property
(from the hook's headers, as the plugin checked them) and a user property
webhook-id ("msg_" and a random UUID's 32 hex digits, as printhook's).  A message is delivered when its PUBACK came back, as for
printhook, and the next one is published only then: the plugin's on_event
sends one after the other.

Usage:
  mqtt_plugin_send.py --port PORT --topic TOPIC [--topic TOPIC ...]
                      --event-file FILE [--events N] [--seconds S]
                      [--event NAME] [--client-id ID]

Sends at most N events (each to every topic's hook), stopping early after
S seconds, and prints one JSON object as plugin_send.py does: deliveries,
failures, seconds, deliveries_per_s, and this process's memory.
"""

import argparse
import copy
import json
import logging
import os
import socket
import sys
import time
import types
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plugin_send  # noqa: E402  (the plugin's send path, used as it is)

# post()'s own argument is called json, as requests.post's is.
_json_dumps = json.dumps


class Response:
    """What on_event reads of a requests.Response."""

    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text


class Publisher:
    """requests.post's place in on_event: publish, wait for the PUBACK."""

    def __init__(self, client):
        self.client = client
        self.sent = 0

    def post(self, url, json=None, headers=None, timeout=None, verify=None):
        self.sent += 1
        props = Properties(PacketTypes.PUBLISH)
        for name, value in (headers or {}).items():
            if name.lower() == "content-type":
                props.ContentType = str(value)
        props.UserProperty = ("webhook-id", "msg_" + uuid.uuid4().hex)
        info = self.client.publish(url, _json_dumps(json), qos=1, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise plugin_send.requests.exceptions.ConnectionError(mqtt.error_string(info.rc))
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise plugin_send.requests.exceptions.Timeout("no PUBACK within %s s" % timeout)
        return Response(200, "PUBACK")


def connect(port, client_id):
    client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
    connected = []
    client.on_connect = lambda c, userdata, flags, rc, props=None: connected.append(rc)
    client.connect("127.0.0.1", port, keepalive=60, clean_start=True)
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.loop_start()
    deadline = time.monotonic() + 10
    while not connected and time.monotonic() < deadline:
        time.sleep(0.005)
    if not connected or connected[0] != 0:
        raise SystemExit("mqtt_plugin_send.py: no CONNACK from 127.0.0.1:%d (%s)"
                         % (port, connected))
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic", action="append", required=True)
    parser.add_argument("--event-file", required=True)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--event", default="PrintDone")
    parser.add_argument("--client-id", default="bench-plugin")
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    with open(args.event_file) as f:
        sample = json.load(f)
    printer = dict(sample["printer"])
    meta = printer.pop("meta")
    client = connect(args.port, args.client_id)
    publisher = Publisher(client)
    # on_event's only network call, requests.post, becomes the publish;
    # everything else of plugin_send.py runs as it is.
    plugin_send.requests = types.SimpleNamespace(post=publisher.post,
                                                 exceptions=plugin_send.requests.exceptions)
    plugin = plugin_send.Plugin([plugin_send.hook_settings(t) for t in args.topic], printer, meta)
    idle = plugin_send.memory()
    started = time.monotonic()
    events = 0
    while events < args.events and time.monotonic() - started < args.seconds:
        plugin.on_event(args.event, copy.deepcopy(sample["payload"]))
        events += 1
    seconds = time.monotonic() - started
    loaded = plugin_send.memory()
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"events": events, "deliveries": plugin.deliveries,
                      "failures": plugin.failures, "seconds": round(seconds, 6),
                      "deliveries_per_s": round(plugin.deliveries / seconds, 1),
                      "memory_idle": idle, "memory_loaded": loaded}))
    return 0 if plugin.failures == 0 and plugin.deliveries > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
