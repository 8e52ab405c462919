#!/usr/bin/python3
"""The receiving end of printhook's HTTP tests.

printhook's tests point their webhooks at this server and then assert on
what it recorded: the exact bytes, headers and order of every request that
really arrived.  It shares no code with printhook.  HTTP/1.1 framing is
parsed here (not by a framework) so that header names keep their case,
duplicates and their order, and so that malformed framing is reported
instead of being smoothed over.  Bodies are decoded with the standard
library only: json, urllib.parse.parse_qsl, and the email package for
multipart/form-data.

Usage:
  receiver.py --port-file PATH --record PATH [--tls-cert FILE --tls-key FILE]
              [--secret whsec_...] [--github-secret TEXT]

It listens on 127.0.0.1 on a free port and, once it accepts connections,
writes the port number to --port-file (atomically).  Every request is
appended to --record as one JSON object per line, before it is answered.
SIGTERM or SIGINT stop it; so does its parent going away, so that a test
that dies cannot leave it running.

What it answers depends on the path:
  /status/<code>               that status, body "status <code>"
  /hang                        never answers, until the client goes away
  /slow/<ms>                   waits ms, then 200 "ok"
  /big/<bytes>                 200 with that many bytes of "x" (up to 20 MiB)
  /redirect/<code>?to=<path>   that 3xx status with "Location: <path>"
  /retry-after/<code>/<value>  that status with "Retry-After: <value>"
                               (value is percent-decoded)
  /empty                       204
  anything else                200 "ok"
"""

import argparse
import asyncio
import base64
import binascii
import email.message
import email.parser
import email.utils
import hashlib
import hmac
import http
import json
import os
import re
import signal
import ssl
import sys
import time
import urllib.parse

LISTEN_ADDRESS = "127.0.0.1"
MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_BIG = 20 * 1024 * 1024
MAX_SLOW_MS = 10 * 60 * 1000
WRITE_CHUNK = 64 * 1024


class BadRequest(Exception):
    """The request's framing is broken: answer with status and close."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class Request:
    """One request as it arrived.  Header names and values stay bytes so
    that signatures are checked over exactly what was sent."""

    def __init__(self):
        self.head = b""
        self.method = ""
        self.target = ""
        self.version = ""
        self.headers = []
        self.trailers = []
        self.body = b""

    def header(self, name):
        """First value of the named header (bytes), or None."""
        wanted = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_values(self, name):
        wanted = name.lower().encode("latin-1")
        return [value for key, value in self.headers if key.lower() == wanted]


def text(raw):
    """Header bytes as JSON-safe text.  Invalid UTF-8 shows up as \\xNN
    rather than being dropped; the exact bytes are in head_b64."""
    return raw.decode("utf-8", "backslashreplace")


TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"


def parse_header_lines(lines):
    """Parses "Name: value" lines into (name, value) byte pairs, strictly:
    no folding, no bare CR or LF, no whitespace before the colon, no
    control characters in values.  A sender that lets such bytes through
    has a header injection bug, which tests should see."""
    headers = []
    for line in lines:
        if b"\r" in line or b"\n" in line:
            raise BadRequest("bare CR or LF in header line %r" % line)
        if line[:1] in (b" ", b"\t"):
            raise BadRequest("obsolete line folding: %r" % line)
        name, colon, value = line.partition(b":")
        if not colon or not re.fullmatch(TOKEN, name):
            raise BadRequest("malformed header line %r" % line)
        if re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", value):
            raise BadRequest("control character in header line %r" % line)
        headers.append((name, value.strip(b" \t")))
    return headers


async def read_line(reader):
    """One CRLF-terminated line of chunked framing, without the CRLF."""
    try:
        return (await reader.readuntil(b"\r\n"))[:-2]
    except asyncio.LimitOverrunError:
        raise BadRequest("chunked framing line longer than %d bytes" % MAX_HEAD)


async def read_request(reader, writer, request):
    """Reads one request into request.  Returns False on a clean end of the
    connection before any byte of a new request."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial == b"":
            return False
        raise
    except asyncio.LimitOverrunError:
        raise BadRequest("request head larger than %d bytes" % MAX_HEAD, 431)
    request.head = head
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if (len(parts) != 3 or not re.fullmatch(TOKEN, parts[0])
            or not re.fullmatch(rb"HTTP/1\.[01]", parts[2])):
        raise BadRequest("malformed request line %r" % lines[0])
    request.method = parts[0].decode("latin-1")
    request.target = text(parts[1])
    request.version = parts[2].decode("latin-1")
    request.headers = parse_header_lines(lines[1:])

    encodings = request.header_values("Transfer-Encoding")
    lengths = request.header_values("Content-Length")
    if encodings and lengths:
        raise BadRequest("both Transfer-Encoding and Content-Length")
    chunked = False
    length = 0
    if encodings:
        codings = [c.strip().lower() for c in b",".join(encodings).split(b",")]
        if codings[-1] != b"chunked":
            raise BadRequest("Transfer-Encoding does not end in chunked")
        chunked = True
    elif lengths:
        if len(set(lengths)) != 1 or not re.fullmatch(rb"[0-9]+", lengths[0]):
            raise BadRequest("invalid Content-Length %r" % lengths)
        length = int(lengths[0])
        if length > MAX_BODY:
            raise BadRequest("body larger than %d bytes" % MAX_BODY, 413)

    expect = request.header("Expect")
    if expect is not None and expect.lower() == b"100-continue" and (chunked or length > 0):
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()

    if chunked:
        request.body = await read_chunked(reader, request)
    elif length > 0:
        request.body = await reader.readexactly(length)
    return True


async def read_chunked(reader, request):
    body = bytearray()
    while True:
        line = await read_line(reader)
        size_text = line.split(b";", 1)[0].strip(b" \t")
        if not re.fullmatch(rb"[0-9A-Fa-f]+", size_text):
            raise BadRequest("malformed chunk size line %r" % line)
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > MAX_BODY:
            raise BadRequest("body larger than %d bytes" % MAX_BODY, 413)
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest("chunk not followed by CRLF")
    trailer_lines = []
    while True:
        line = await read_line(reader)
        if line == b"":
            break
        trailer_lines.append(line)
    request.trailers = parse_header_lines(trailer_lines)
    return bytes(body)


def media_type(content_type):
    """"type/subtype" in lower case, parsed by the email package, or None."""
    if content_type is None:
        return None
    message = email.message.Message()
    message["Content-Type"] = content_type.decode("latin-1")
    return message.get_content_type()


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def decode_json(body, errors):
    """The parsed body; None for no body, or one that is not strict JSON
    (which is reported)."""
    if not body:
        return None
    try:
        return json.loads(body.decode("utf-8"), parse_constant=reject_constant)
    except ValueError as error:
        errors.append("json: %s" % error)
        return None


def decode_form(raw, errors, what):
    """Pairs of an application/x-www-form-urlencoded text, in order.  A
    correct encoder sends ASCII only, so anything else is an error."""
    try:
        pairs = urllib.parse.parse_qsl(raw.decode("ascii"), keep_blank_values=True,
                                       encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        errors.append("%s: %s" % (what, error))
        return None
    return [[key, value] for key, value in pairs]


def from_surrogates(value):
    """The email package decodes bytes as ASCII with surrogate escapes; this
    turns such a string back into the UTF-8 text that was sent."""
    return value.encode("ascii", "surrogateescape").decode("utf-8", "backslashreplace")


def first_value(pairs, name):
    for key, value in pairs:
        if key.lower() == name.lower():
            return value
    return None


def header_params(name, value):
    """A message holding just this (decoded) header, to use the email
    package's parameter parser.  Asked directly, a part returns headers
    with non-ASCII bytes as opaque objects, and non-ASCII field names are
    common in form data."""
    message = email.message.Message()
    message[name] = value if value is not None else ""
    return message


def param(message, header, name):
    value = message.get_param(name, header=header)
    if value is None:
        return None
    return email.utils.collapse_rfc2231_value(value)


def decode_multipart(content_type, body, errors):
    """The parts of a multipart/form-data body, parsed by the email package
    (not by any HTTP framework), or None if it is not well formed."""
    document = (b"MIME-Version: 1.0\r\nContent-Type: " + content_type + b"\r\n\r\n" + body)
    message = email.parser.BytesParser().parsebytes(document)
    problems = [type(defect).__name__ for defect in message.defects]
    if not message.is_multipart():
        problems.append("not a multipart body")
    parts = []
    for part in message.get_payload() if message.is_multipart() else []:
        problems += [type(defect).__name__ for defect in part.defects]
        headers = [[key, from_surrogates(value)] for key, value in part.raw_items()]
        disposition = header_params("Content-Disposition",
                                    first_value(headers, "Content-Disposition"))
        if disposition.get_content_disposition() != "form-data":
            problems.append("part without Content-Disposition: form-data")
        name = param(disposition, "content-disposition", "name")
        if name is None:
            problems.append("part without a name")
        data = part.get_payload(decode=True)
        if data is None:
            problems.append("nested multipart part %r" % name)
            data = b""
        parts.append({
            "name": name,
            "filename": param(disposition, "content-disposition", "filename"),
            "content_type": first_value(headers, "Content-Type"),
            "headers": headers,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "data_b64": base64.b64encode(data).decode("ascii"),
        })
    if problems:
        errors += ["multipart: %s" % problem for problem in problems]
        return None
    return parts


def verify_standard(key, request):
    """Standard Webhooks v1: HMAC-SHA256 over id.timestamp.body, checked
    against every "v1,<base64>" entry in constant time."""
    if key is None:
        return None
    msg_id = request.header("webhook-id")
    timestamp = request.header("webhook-timestamp")
    signatures = request.header("webhook-signature")
    if msg_id is None or timestamp is None or signatures is None:
        return False
    expected = hmac.new(key, msg_id + b"." + timestamp + b"." + request.body,
                        hashlib.sha256).digest()
    verified = False
    for entry in signatures.split(b" "):
        version, comma, value = entry.partition(b",")
        if version != b"v1" or not comma:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except binascii.Error:
            continue
        # No early exit: every entry costs the same whichever one matches.
        if hmac.compare_digest(given, expected):
            verified = True
    return verified


def verify_github(secret, request):
    """GitHub: "sha256=" + hex HMAC-SHA256 of the body, keyed with the
    secret's text."""
    if secret is None:
        return None
    given = request.header("X-Hub-Signature-256")
    if given is None:
        return False
    expected = b"sha256=" + hmac.new(secret.encode("utf-8"), request.body,
                                     hashlib.sha256).hexdigest().encode("ascii")
    return hmac.compare_digest(given, expected)


def reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def no_body_status(status):
    return status < 200 or status in (204, 304)


class Receiver:
    def __init__(self, args):
        self.args = args
        self.seq = 0
        self.connections = set()
        self.stopping = asyncio.Event()
        self.record_fd = os.open(args.record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.standard_key = None
        if args.secret is not None:
            encoded = args.secret.removeprefix("whsec_")
            # Padding is optional in whsec_ secrets, as in the reference library.
            self.standard_key = base64.b64decode(encoded + "=" * (-len(encoded) % 4),
                                                 validate=True)
            if not self.standard_key:
                raise ValueError("empty --secret")

    def record(self, request, peer_port, tls, errors):
        """Appends the request to the record file before it is answered.  One
        write per line: readers treat a line without its newline as not yet
        written."""
        self.seq += 1
        path, _, query = request.target.partition("?")
        content_type = request.header("Content-Type")
        kind = media_type(content_type)
        body = request.body
        entry = {
            "seq": self.seq,
            "method": request.method,
            "target": request.target,
            "path": path,
            "query": query,
            "query_form": decode_form(query.encode("utf-8"), errors, "query"),
            "version": request.version,
            "headers": [[name.decode("latin-1"), text(value)]
                        for name, value in request.headers],
            "trailers": [[name.decode("latin-1"), text(value)]
                         for name, value in request.trailers],
            "head_b64": base64.b64encode(request.head).decode("ascii"),
            "body_b64": base64.b64encode(body).decode("ascii"),
            "body_len": len(body),
            "remote_port": peer_port,
            "tls": tls,
            "time": time.time(),
            "json": decode_json(body, errors) if kind == "application/json" else None,
            "form": (decode_form(body, errors, "form")
                     if kind == "application/x-www-form-urlencoded" else None),
            "multipart": (decode_multipart(content_type, body, errors)
                          if kind == "multipart/form-data" else None),
            "signature": {
                "standard": verify_standard(self.standard_key, request),
                "github": verify_github(self.args.github_secret, request),
            },
            "errors": errors,
        }
        for problem in errors:
            print("receiver: request %d: %s" % (self.seq, problem), file=sys.stderr)
        line = (json.dumps(entry) + "\n").encode("ascii")
        while line:
            written = os.write(self.record_fd, line)
            line = line[written:]

    async def serve(self, reader, writer):
        self.connections.add(asyncio.current_task())
        peer_port = writer.get_extra_info("peername")[1]
        tls = writer.get_extra_info("sslcontext") is not None
        try:
            while await self.serve_one(reader, writer, peer_port, tls):
                pass
            await self.linger(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            # The client went away mid-request or mid-response: nothing to
            # record or answer.
            pass
        finally:
            self.connections.discard(asyncio.current_task())
            writer.close()

    async def serve_one(self, reader, writer, peer_port, tls):
        """Serves one request; returns whether the connection stays open."""
        request = Request()
        try:
            if not await read_request(reader, writer, request):
                return False
        except BadRequest as error:
            self.record(request, peer_port, tls, ["framing: %s" % error])
            await self.respond(writer, request, error.status, str(error).encode() + b"\n",
                               close=True)
            return False

        self.record(request, peer_port, tls, [])
        connection = (request.header("Connection") or b"").lower()
        if request.version == "HTTP/1.0":
            keep_alive = b"keep-alive" in connection
        else:
            keep_alive = b"close" not in connection
        return await self.answer(request, reader, writer, keep_alive)

    async def answer(self, request, reader, writer, keep_alive):
        path, _, query = request.target.partition("?")
        close = not keep_alive

        match = re.fullmatch(r"/status/([0-9]{3})", path)
        if match:
            status = int(match.group(1))
            if status < 200:
                return await self.bad(writer, request, "no final status %d" % status)
            await self.respond(writer, request, status, b"status %d" % status, close=close)
            return keep_alive

        if path == "/hang":
            # Read (and drop) until the client closes: the request stays
            # unanswered while every other connection is served.
            await self.discard_input(reader)
            return False

        match = re.fullmatch(r"/slow/([0-9]+)", path)
        if match:
            await asyncio.sleep(min(int(match.group(1)), MAX_SLOW_MS) / 1000)
            await self.respond(writer, request, 200, b"ok", close=close)
            return keep_alive

        match = re.fullmatch(r"/big/([0-9]+)", path)
        if match:
            size = int(match.group(1))
            if size > MAX_BIG:
                return await self.bad(writer, request, "at most %d bytes" % MAX_BIG)
            await self.respond(writer, request, 200, None, close=close, length=size)
            return keep_alive

        match = re.fullmatch(r"/redirect/(3[0-9]{2})", path)
        if match:
            status = int(match.group(1))
            location = urllib.parse.parse_qs(query).get("to", ["/"])[0]
            if re.search(r"[\x00-\x1f\x7f]", location):
                return await self.bad(writer, request, "control character in to=")
            await self.respond(writer, request, status, b"redirect", close=close,
                               headers=[("Location", location)])
            return keep_alive

        match = re.fullmatch(r"/retry-after/([0-9]{3})/(.+)", path)
        if match:
            status = int(match.group(1))
            value = urllib.parse.unquote(match.group(2))
            if status < 200 or re.search(r"[\x00-\x1f\x7f]", value):
                return await self.bad(writer, request, "bad retry-after request")
            await self.respond(writer, request, status, b"status %d" % status, close=close,
                               headers=[("Retry-After", value)])
            return keep_alive

        if path == "/empty":
            await self.respond(writer, request, 204, b"", close=close)
            return keep_alive

        await self.respond(writer, request, 200, b"ok", close=close)
        return keep_alive

    async def bad(self, writer, request, message):
        """A route called with arguments it cannot serve: a test bug."""
        await self.respond(writer, request, 400, message.encode() + b"\n", close=True)
        return False

    async def respond(self, writer, request, status, body, close, headers=(), length=None):
        """Writes a response.  body None means length bytes of "x", streamed
        so that a large body never sits in memory."""
        if length is None:
            length = len(body)
        lines = ["HTTP/1.1 %d %s" % (status, reason(status)),
                 "Server: printhook-test-receiver",
                 "Date: %s" % email.utils.formatdate(usegmt=True)]
        if not no_body_status(status):
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Length: %d" % length)
        lines += ["%s: %s" % header for header in headers]
        if close:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        if request.method != "HEAD" and not no_body_status(status):
            if body is not None:
                writer.write(body)
            else:
                block = b"x" * WRITE_CHUNK
                remaining = length
                while remaining > 0:
                    writer.write(block[:min(remaining, WRITE_CHUNK)])
                    remaining -= WRITE_CHUNK
                    await writer.drain()
        await writer.drain()

    async def linger(self, reader, writer):
        """Before closing: half-close, then read what the client still
        sends (for a while).  Closing with unread input makes the kernel
        reset the connection, which can destroy the response before the
        client has read it."""
        try:
            if writer.can_write_eof():
                writer.write_eof()
            await asyncio.wait_for(self.discard_input(reader), 2)
        except asyncio.TimeoutError:
            pass

    async def discard_input(self, reader):
        while await reader.read(WRITE_CHUNK):
            pass

    async def watch_parent(self):
        """Stops when the process that started us is gone."""
        parent = os.getppid()
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
        self.stopping.set()

    async def run(self):
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)

        context = None
        if self.args.tls_cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.args.tls_cert, self.args.tls_key)
            context.set_alpn_protocols(["http/1.1"])

        server = await asyncio.start_server(self.serve, LISTEN_ADDRESS, 0, ssl=context,
                                            limit=MAX_HEAD, reuse_address=True)
        port = server.sockets[0].getsockname()[1]
        temporary = self.args.port_file + ".tmp"
        with open(temporary, "w", encoding="ascii") as port_file:
            port_file.write("%d\n" % port)
        os.replace(temporary, self.args.port_file)

        watcher = asyncio.create_task(self.watch_parent())
        await self.stopping.wait()
        watcher.cancel()
        server.close()
        for task in list(self.connections):
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        await server.wait_closed()
        os.close(self.record_fd)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--secret", help="Standard Webhooks secret, whsec_<base64>")
    parser.add_argument("--github-secret", help="key of X-Hub-Signature-256")
    args = parser.parse_args()
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    try:
        receiver = Receiver(args)
    except (ValueError, binascii.Error) as error:
        parser.error("bad --secret: %s" % error)
    asyncio.run(receiver.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
