#!/usr/bin/python3
"""A forward HTTP proxy for printhook's tests: the proxy of http_proxy.

It takes what an HTTP proxy takes from libcurl and from libsoup: a request
in absolute form ("POST http://HOST:PORT/api/login HTTP/1.1", and libsoup's
"GET ws://HOST:PORT/sockjs/websocket" for a websocket), which it sends on
to HOST:PORT in origin form over a new connection and then relays both
ways (so a websocket upgrade works through it); and CONNECT HOST:PORT,
which it tunnels.  One request per client connection.  It only connects
to 127.0.0.1 and answers 403 for anything else.

Usage:
  fake_proxy.py --port-file PATH --record PATH --scenario forward

It listens on 127.0.0.1 on a free port and writes the port to --port-file
(atomically) once it listens.  Every request is appended to --record as
{"kind": "request", "method", "target"}.  SIGTERM stops it, and so does
its parent going away.
"""

import asyncio
import os
import sys
import types
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_server import arguments, LISTEN_ADDRESS, Recorder, serve  # noqa: E402

SCENARIOS = {"forward"}


async def relay(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class Proxy:
    def __init__(self, record):
        self.record = record
        self.server = None
        self.port = 0

    async def listen(self):
        server = await asyncio.start_server(self.handle, LISTEN_ADDRESS, 0)
        self.port = server.sockets[0].getsockname()[1]
        # What fake_server.serve stops, as it stops a tornado server.
        self.server = types.SimpleNamespace(stop=server.close)

    async def handle(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, rest = head.split(b"\r\n", 1)
        method, target, version = request_line.decode("latin-1").split(" ", 2)
        self.record("request", method=method, target=target)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            first = b""
        else:
            url = urllib.parse.urlsplit(target)
            host, port = url.hostname, url.port or 80
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            first = ("%s %s %s\r\n" % (method, path, version)).encode("latin-1") + rest
        if host != LISTEN_ADDRESS:
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            up_writer.write(first)
        await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))


async def main():
    args = arguments(__doc__, SCENARIOS).parse_args()
    proxy = Proxy(Recorder(args.record))
    await proxy.listen()
    await serve(proxy, args.port_file)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
