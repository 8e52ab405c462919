"""What the fake printer servers of printhook's tests share: the record
of what clients did, the websocket clients a scenario is played to, and
serving until SIGTERM or the parent's exit.

A fake imports it from its own directory (the fakes run with python3 -I,
which leaves the script's directory off sys.path)."""

import argparse
import asyncio
import json
import os
import signal
import time

import tornado.httpserver
import tornado.netutil
import tornado.web

LISTEN_ADDRESS = "127.0.0.1"


class Recorder:
    """Appends one JSON object per line to path: kind, time and fields."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    def __call__(self, kind, **fields):
        fields["kind"] = kind
        fields["time"] = time.time()
        self.file.write(json.dumps(fields) + "\n")
        self.file.flush()


class ScriptedServer:
    """A server that plays a scenario (its play coroutine, defined by the
    fake) to the websocket clients that are ready for it, from the first
    one on; client_ready is set while at least one is."""

    def __init__(self, args, record):
        self.args = args
        self.record = record
        self.sockets = set()
        self.ready = set()
        self.started = False
        self.client_ready = asyncio.Event()
        self.server = None
        self.port = 0

    def on_ready(self, client):
        self.ready.add(client)
        self.client_ready.set()
        if not self.started:
            self.started = True
            asyncio.get_event_loop().create_task(self.play())

    def on_gone(self, client):
        self.sockets.discard(client)
        self.ready.discard(client)
        if not self.ready:
            self.client_ready.clear()

    def bind(self, port, routes):
        """Listens on port (0: a free one) of 127.0.0.1 with routes."""
        sockets = tornado.netutil.bind_sockets(port, LISTEN_ADDRESS)
        self.port = sockets[0].getsockname()[1]
        self.server = tornado.httpserver.HTTPServer(tornado.web.Application(routes))
        self.server.add_sockets(sockets)

    async def go_away(self):
        """Stops listening and drops every connection, as a server that
        stops does (close code 1001)."""
        self.server.stop()
        for client in list(self.sockets):
            client.close(1001, "Going away")
            self.on_gone(client)
        await self.server.close_all_connections()


def arguments(doc, scenarios):
    """The options every fake takes: --port-file, --record, --scenario
    (one of scenarios) and --step-ms; a fake adds its own."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--scenario", required=True, choices=sorted(scenarios))
    parser.add_argument("--step-ms", type=int, default=40)
    return parser


async def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


async def serve(printer, port_file):
    """Writes printer.port to port_file (atomically: the test polls it),
    then runs until SIGTERM, SIGINT or the parent going away, and stops
    printer.server."""
    stop = asyncio.Event()
    loop = asyncio.get_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(watch_parent())
    temp = port_file + ".tmp"
    with open(temp, "w") as f:
        f.write("%d\n" % printer.port)
    os.rename(temp, port_file)
    await stop.wait()
    watcher.cancel()
    printer.server.stop()
