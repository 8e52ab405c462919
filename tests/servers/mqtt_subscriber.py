"""An MQTT subscriber for printhook's tests (paho-mqtt 1.6): subscribes
to topic filters on a broker of 127.0.0.1 and records what arrives, one
JSON object per line, so that a test can assert on what the daemon
published (tests/mqtt_subscriber.h).

Records (each with "kind" and "time"):
  connected     rc, session_present: every CONNACK, refused ones too
  subscribed    granted: after the SUBACK of all filters; resumed: the
                broker kept the session (then MQTT 3.1.1 sends no
                SUBSCRIBE: granted is empty)
  subscribe_failed  granted: a SUBACK that refused a filter
  message       topic, payload (the text when it is UTF-8, else null),
                payload_b64, qos, retain, dup, user_properties ([[k, v]],
                in order, MQTT 5), content_type (MQTT 5, else null)
  disconnected  rc

retain is set only on a message the broker sends from its store of
retained messages (on subscribing), unless --retain-as-published (MQTT
5), which keeps the publisher's flag on live messages too.

It reconnects by itself when the broker goes away and comes back, and
ends on SIGTERM, SIGINT or its parent's exit.  Run it with python3 -I:
Debian's paho only, whatever PYTHONPATH says."""

import argparse
import base64
import json
import os
import signal
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

HOST = "127.0.0.1"
KEEPALIVE_S = 30
# A session the broker keeps while the subscriber is away (a restart of
# the subscriber, or of the broker with persistence).
SESSION_EXPIRY_S = 3600


class Stop(BaseException):
    """Raised by the SIGTERM handler: unwinds paho's loop from wherever it
    is, rather than calling into paho from a signal handler (paho's locks
    are not reentrant).  Not an Exception, as KeyboardInterrupt is not:
    paho's handlers of Exception must not catch it."""


class Recorder:
    """Appends one JSON object per line to path, flushed: the test polls
    the file and takes only complete lines."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    def __call__(self, kind, **fields):
        fields["kind"] = kind
        fields["time"] = time.time()
        self.file.write(json.dumps(fields) + "\n")
        self.file.flush()


def reason_value(rc):
    """An int from paho's MQTT 5 ReasonCodes, or the int it already is."""
    return int(getattr(rc, "value", rc))


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--records", required=True)
    parser.add_argument("--topic", action="append", default=[])
    parser.add_argument("--qos", type=int, default=1, choices=(0, 1, 2))
    parser.add_argument("--protocol", default="5", choices=("5", "3.1.1"))
    parser.add_argument("--client-id")
    parser.add_argument("--persistent", action="store_true")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--tls-ca")
    parser.add_argument("--retain-as-published", action="store_true",
                        help="MQTT 5: live messages keep their retain flag")
    return parser.parse_args()


def make_client(args, record):
    v5 = args.protocol == "5"
    # A persistent session needs the same client id at every connect;
    # paho's own random one would do within this process but not across a
    # restart of it, so that takes --client-id.
    client_id = args.client_id or "ph-subscriber-%d" % os.getpid()
    if v5:
        client = mqtt.Client(client_id, protocol=mqtt.MQTTv5)
    else:
        client = mqtt.Client(client_id, clean_session=not args.persistent,
                             protocol=mqtt.MQTTv311)
    if args.username is not None:
        client.username_pw_set(args.username, args.password)
    if args.tls_ca is not None:
        # Verifies the chain and that the certificate names 127.0.0.1.
        client.tls_set(ca_certs=args.tls_ca)
    client.reconnect_delay_set(min_delay=0.1, max_delay=1)
    if v5:
        # Retained messages only for a subscription the session lacked: a
        # kept session gets none a second time, yet new filters are added.
        options = SubscribeOptions(qos=args.qos,
                                   retainAsPublished=args.retain_as_published,
                                   retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
    elif args.retain_as_published:
        raise SystemExit("--retain-as-published needs --protocol 5")
    else:
        options = args.qos
    filters = [(topic, options) for topic in args.topic]

    # Whether the broker kept the session at the last CONNACK.
    resumed = [False]

    def on_connect(client, userdata, flags, rc, properties=None):
        resumed[0] = bool(flags.get("session present"))
        record("connected", rc=reason_value(rc), session_present=resumed[0])
        if reason_value(rc) != 0:
            return
        if not filters:
            record("subscribed", granted=[], resumed=resumed[0])
        elif resumed[0] and not v5:
            # The broker kept the subscriptions; subscribing again would
            # send the retained messages a second time (MQTT 3.1.1 has no
            # retain handling).
            record("subscribed", granted=[], resumed=True)
        else:
            client.subscribe(filters)

    def on_subscribe(client, userdata, mid, granted, properties=None):
        codes = [reason_value(g) for g in granted]
        kind = "subscribe_failed" if any(c >= 0x80 for c in codes) else "subscribed"
        record(kind, granted=codes, resumed=resumed[0])

    def on_message(client, userdata, msg):
        try:
            text = msg.payload.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        props = getattr(msg, "properties", None)
        user_properties = getattr(props, "UserProperty", None) or []
        record("message", topic=msg.topic, payload=text,
               payload_b64=base64.b64encode(msg.payload).decode("ascii"),
               qos=msg.qos, retain=bool(msg.retain), dup=bool(msg.dup),
               user_properties=[[k, v] for k, v in user_properties],
               content_type=getattr(props, "ContentType", None))

    def on_disconnect(client, userdata, rc, properties=None):
        record("disconnected", rc=reason_value(rc))

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.on_disconnect = on_disconnect
    return client


def connect(client, args):
    """Asks for the first connection; loop_forever makes it, and the later
    ones after the broker went away."""
    if args.protocol == "5":
        properties = None
        if args.persistent:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
        client.connect_async(HOST, args.port, KEEPALIVE_S,
                             clean_start=not args.persistent, properties=properties)
    else:
        client.connect_async(HOST, args.port, KEEPALIVE_S)


def watch_parent():
    """SIGTERMs this process when the test that started it is gone."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def main():
    args = arguments()
    record = Recorder(args.records)
    client = make_client(args, record)

    def on_signal(signum, frame):
        raise Stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    threading.Thread(target=watch_parent, daemon=True).start()
    connect(client, args)
    try:
        client.loop_forever(retry_first_connection=True)
    except Stop:
        pass
    # A clean DISCONNECT: a persistent session stays for the next start.
    try:
        client.disconnect()
    except Exception:  # pylint: disable=broad-except
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
