#!/usr/bin/python3
"""A webhook receiver that misbehaves on request, for printhook's retry tests.

It answers webhooks on one port and takes orders on another, so a test can
make it fail in every way a real receiver fails: refuse connections, accept
and hang, drip the response, reset mid-response, answer 5xx with or without
Retry-After, 429 in bursts, 410, or a redirect.  Every request it reads is
recorded with its webhook-id, before it is answered.  HTTP parsing comes from
receiver.py (the same directory); it shares no code with printhook.

Usage:
  faulty.py --port-file PATH --record PATH

Both ports are on 127.0.0.1, chosen by the kernel.  Once both listen, the
port file holds {"port": P, "control_port": C} (written atomically).
SIGTERM or SIGINT stop it; so does its parent going away.

Records, one JSON object per line, in the order requests were read:
  seq, time, connection (1, 2, ... per accepted connection), method,
  target, path, webhook_id (null when absent), headers [[name, value]],
  body_len, body_b64, action (what it did), status (the status it sent,
  or null)

Control requests (to the control port; JSON answers, 400 on a bad order):
  POST /script   [STEP, ...]: the next requests get these steps in order,
                 replacing what was left of the previous script
  POST /default  STEP: what every request gets once the script is used up
                 (at start {"action": "status", "code": 200})
  POST /down     {"seconds": S} or {}: stop listening now (connections are
                 refused) and close open connections; come back by itself
                 after S seconds when given
  POST /up       listen again, on the same port
  GET  /state    {"listening": ..., "script_left": ..., "requests": ...}

A STEP is an object with "action" and "count" (how many requests it
answers, default 1):
  status    "code" (default 200), optional "retry_after" (text sent as
            Retry-After; "date+N" sends the HTTP date N seconds from the
            moment of the answer), "location", "body"
  redirect  "code" (default 301) and "location" (default another path on
            this server): a redirect that a sender should not follow
  hang      read the request and never answer, until the client goes away
  drip      answer 200 with "body" (default 20 bytes), one byte every
            "interval_ms" (default 100), after the headers
  reset     send the status line and part of a header, then reset the
            connection
  drop      reset the connection without answering
"""

import argparse
import asyncio
import base64
import email.utils
import json
import os
import signal
import socket
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from receiver import BadRequest, MAX_HEAD, Request, read_request, reason  # noqa: E402

LISTEN_ADDRESS = "127.0.0.1"
ACTIONS = ("status", "redirect", "hang", "drip", "reset", "drop")
MAX_DRIP_BYTES = 4096
MAX_INTERVAL_MS = 60 * 1000


class OrderError(Exception):
    """A control request the server cannot carry out."""


def check_step(step):
    """Validates one STEP and returns it with its count filled in."""
    if not isinstance(step, dict):
        raise OrderError("a step is a JSON object")
    action = step.get("action")
    if action not in ACTIONS:
        raise OrderError("unknown action %r (one of %s)" % (action, ", ".join(ACTIONS)))
    count = step.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise OrderError("count must be a positive integer")
    code = step.get("code", 301 if action == "redirect" else 200)
    if not isinstance(code, int) or not 200 <= code <= 599:
        raise OrderError("code must be a final status, 200 to 599")
    for key in ("retry_after", "location", "body"):
        value = step.get(key)
        if value is not None and (not isinstance(value, str)
                                  or any(ord(c) < 0x20 or ord(c) == 0x7f for c in value)):
            raise OrderError("%s must be text without control characters" % key)
    interval = step.get("interval_ms", 100)
    if not isinstance(interval, int) or not 0 <= interval <= MAX_INTERVAL_MS:
        raise OrderError("interval_ms must be 0 to %d" % MAX_INTERVAL_MS)
    if len(step.get("body") or "") > MAX_DRIP_BYTES and action == "drip":
        raise OrderError("a drip body is at most %d bytes" % MAX_DRIP_BYTES)
    return dict(step, count=count, code=code, interval_ms=interval)


def retry_after_value(text):
    """The Retry-After text to send; "date+N" becomes an HTTP date."""
    if text.startswith("date+"):
        return email.utils.formatdate(time.time() + int(text[5:]), usegmt=True)
    return text


def reset(writer):
    """Closes with RST instead of FIN: SO_LINGER with a zero timeout."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Faulty:
    def __init__(self, args):
        self.args = args
        self.seq = 0
        self.connection_count = 0
        self.script = []
        self.default = check_step({"action": "status", "code": 200})
        self.server = None
        self.port = 0
        self.down_generation = 0
        self.connections = set()
        self.stopping = asyncio.Event()
        self.record_fd = os.open(args.record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    # ---- what the next request gets

    def next_step(self):
        if not self.script:
            return self.default
        step = self.script[0]
        step["count"] -= 1
        if step["count"] == 0:
            self.script.pop(0)
        return step

    def record(self, request, connection, action, status):
        self.seq += 1
        path = request.target.partition("?")[0]
        webhook_id = request.header("webhook-id")
        entry = {
            "seq": self.seq,
            "time": time.time(),
            "connection": connection,
            "method": request.method,
            "target": request.target,
            "path": path,
            "webhook_id": webhook_id.decode("utf-8", "backslashreplace") if webhook_id else None,
            "headers": [[name.decode("latin-1"), value.decode("utf-8", "backslashreplace")]
                        for name, value in request.headers],
            "body_len": len(request.body),
            "body_b64": base64.b64encode(request.body).decode("ascii"),
            "action": action,
            "status": status,
        }
        # One write per line: a reader treats a line without its newline as
        # not yet written.
        line = (json.dumps(entry) + "\n").encode("ascii")
        while line:
            written = os.write(self.record_fd, line)
            line = line[written:]

    # ---- the webhook port

    async def serve(self, reader, writer):
        self.connection_count += 1
        connection = self.connection_count
        task = asyncio.current_task()
        self.connections.add(task)
        try:
            while await self.serve_one(reader, writer, connection):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, BadRequest):
            pass
        finally:
            self.connections.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def serve_one(self, reader, writer, connection):
        """Serves one request; returns whether the connection stays open."""
        request = Request()
        if not await read_request(reader, writer, request):
            return False
        step = self.next_step()
        action = step["action"]
        status = step["code"] if action in ("status", "redirect", "drip") else None
        if action == "drip":
            status = 200
        self.record(request, connection, action, status)

        if action == "drop":
            reset(writer)
            return False
        if action == "hang":
            while await reader.read(65536):
                pass
            return False
        if action == "reset":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/pl")
            await writer.drain()
            await asyncio.sleep(0.05)
            reset(writer)
            return False
        if action == "drip":
            await self.drip(writer, step)
            return True

        headers = []
        if step.get("retry_after") is not None:
            headers.append(("Retry-After", retry_after_value(step["retry_after"])))
        location = step.get("location")
        if action == "redirect" and location is None:
            location = "http://%s:%d/elsewhere" % (LISTEN_ADDRESS, self.port)
        if location is not None:
            headers.append(("Location", location))
        body = (step.get("body") or "status %d" % status).encode("utf-8")
        await self.respond(writer, status, body, headers)
        return True

    async def respond(self, writer, status, body, headers):
        lines = ["HTTP/1.1 %d %s" % (status, reason(status)),
                 "Server: printhook-test-faulty"]
        if status in (204, 304):
            body = b""
        else:
            lines += ["Content-Type: text/plain; charset=utf-8",
                      "Content-Length: %d" % len(body)]
        lines += ["%s: %s" % header for header in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)
        await writer.drain()

    async def drip(self, writer, step):
        body = (step.get("body") or "dripping, slowly...\n").encode("utf-8")
        head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                % len(body)).encode("ascii")
        writer.write(head)
        await writer.drain()
        for i in range(len(body)):
            await asyncio.sleep(step["interval_ms"] / 1000)
            writer.write(body[i:i + 1])
            await writer.drain()

    async def listen(self):
        self.server = await asyncio.start_server(self.serve, LISTEN_ADDRESS, self.port,
                                                 limit=MAX_HEAD, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def go_down(self, seconds):
        """Stops listening and drops every open connection, as a receiver
        that went away would."""
        self.down_generation += 1
        if self.server is not None:
            self.server.close()
            self.server = None
        for task in list(self.connections):
            task.cancel()
        if seconds is not None:
            asyncio.create_task(self.come_back(self.down_generation, seconds))

    async def come_back(self, generation, seconds):
        await asyncio.sleep(seconds)
        if generation == self.down_generation and self.server is None:
            await self.listen()

    # ---- the control port

    async def control(self, reader, writer):
        request = Request()
        try:
            if not await read_request(reader, writer, request):
                return
            status, answer = await self.obey(request)
        except BadRequest as error:
            status, answer = 400, {"error": str(error)}
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            return
        body = (json.dumps(answer) + "\n").encode("utf-8")
        writer.write(("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\nConnection: close\r\n\r\n"
                      % (status, reason(status), len(body))).encode("ascii") + body)
        try:
            await writer.drain()
        finally:
            writer.close()

    async def obey(self, request):
        path = urllib.parse.urlsplit(request.target).path
        try:
            order = json.loads(request.body.decode("utf-8")) if request.body else None
            if (request.method, path) == ("GET", "/state"):
                pass
            elif (request.method, path) == ("POST", "/script"):
                if not isinstance(order, list):
                    raise OrderError("/script takes a JSON array of steps")
                self.script = [check_step(step) for step in order]
            elif (request.method, path) == ("POST", "/default"):
                self.default = check_step(order)
            elif (request.method, path) == ("POST", "/down"):
                seconds = (order or {}).get("seconds")
                if seconds is not None and (not isinstance(seconds, (int, float)) or seconds < 0):
                    raise OrderError("seconds must be a number >= 0")
                await self.go_down(seconds)
            elif (request.method, path) == ("POST", "/up"):
                self.down_generation += 1
                if self.server is None:
                    await self.listen()
            else:
                raise OrderError("no such order: %s %s" % (request.method, path))
        except (OrderError, ValueError, AttributeError, OSError) as error:
            return 400, {"error": str(error)}
        return 200, {
            "listening": self.server is not None,
            "port": self.port,
            "script_left": sum(step["count"] for step in self.script),
            "requests": self.seq,
        }

    # ---- life

    async def watch_parent(self):
        parent = os.getppid()
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
        self.stopping.set()

    async def run(self):
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        await self.listen()
        control = await asyncio.start_server(self.control, LISTEN_ADDRESS, 0, limit=MAX_HEAD)
        ports = {"port": self.port, "control_port": control.sockets[0].getsockname()[1]}
        temporary = self.args.port_file + ".tmp"
        with open(temporary, "w", encoding="ascii") as port_file:
            json.dump(ports, port_file)
        os.replace(temporary, self.args.port_file)

        watcher = asyncio.create_task(self.watch_parent())
        await self.stopping.wait()
        watcher.cancel()
        control.close()
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        os.close(self.record_fd)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--record", required=True)
    args = parser.parse_args()
    asyncio.run(Faulty(args).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
