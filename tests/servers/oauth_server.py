#!/usr/bin/python3
"""An OAuth token endpoint, and a resource it protects, for printhook's
OAuth tests.  Standard library only.

Usage:
  oauth_server.py --port-file PATH --record PATH

It listens on 127.0.0.1 on a free port and writes the port number to
--port-file (atomically) once it accepts connections.  Every request is
appended to --record as one JSON line before it is answered:
  {"method", "path", "query", "query_form": [[k, v], ...],
   "headers": [[name, value], ...], "content_type", "body" (text),
   "json" (parsed for application/json, else null),
   "form" ([[k, v], ...] for application/x-www-form-urlencoded, else null),
   "status" (what it answered)}
SIGTERM stops it; so does its parent going away.

Tokens are "tok-1", "tok-2", ... in the order they are issued.  The
query parameters that steer an answer start with "srv_", so that they
never mix with what printhook sends.

What it answers depends on the path:
  /token[?srv_expires_in=N][&srv_extra=JSON]
        200 {"access_token": "tok-N", "token_type": "Bearer"}, plus
        "expires_in": N when given, plus the members of srv_extra
  /status/<code>[?srv_echo=1]
                     that status, body {"error": "status <code>"}, plus
                     "request": the request body as text with srv_echo
  /text              200 text/html, not JSON
  /array             200 application/json, a JSON array
  /api/uses/<k>      the protected resource: 200 when the request carries
                     "Authorization: Bearer tok-N" for a token issued here
                     and used fewer than k times before, else 401
  anything else      404
"""

import argparse
import http.server
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse

MAX_BODY = 1024 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

    def answer(self, entry, status, body, content_type="application/json"):
        entry["status"] = status
        with self.server.lock:
            self.server.record.write(json.dumps(entry) + "\n")
            self.server.record.flush()
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def issue(self, query):
        with self.server.lock:
            self.server.issued += 1
            token = "tok-%d" % self.server.issued
            self.server.uses[token] = 0
        response = {"access_token": token, "token_type": "Bearer"}
        if "srv_expires_in" in query:
            response["expires_in"] = json.loads(query["srv_expires_in"])
        if "srv_extra" in query:
            response.update(json.loads(query["srv_extra"]))
        return response

    def use(self, limit):
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with self.server.lock:
            if token not in self.server.uses or self.server.uses[token] >= limit:
                return False
            self.server.uses[token] += 1
            return True

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        content_type = self.headers.get("Content-Type")
        text = body.decode("utf-8", "backslashreplace")
        entry = {
            "method": self.command, "path": url.path, "query": url.query,
            "query_form": urllib.parse.parse_qsl(url.query, keep_blank_values=True),
            "headers": [[k, v] for k, v in self.headers.items()],
            "content_type": content_type, "body": text, "json": None, "form": None,
        }
        if content_type and content_type.startswith("application/json"):
            try:
                entry["json"] = json.loads(text)
            except ValueError:
                pass
        if content_type and content_type.startswith("application/x-www-form-urlencoded"):
            entry["form"] = urllib.parse.parse_qsl(text, keep_blank_values=True)
        query = dict(urllib.parse.parse_qsl(url.query))

        if url.path == "/token":
            return self.answer(entry, 200, self.issue(query))
        match = re.fullmatch(r"/status/([0-9]{3})", url.path)
        if match:
            status = int(match.group(1))
            response = {"error": "status %d" % status}
            if "srv_echo" in query:
                response["request"] = text
            return self.answer(entry, status, response)
        if url.path == "/text":
            return self.answer(entry, 200, b"<html><body>Sign in</body></html>", "text/html")
        if url.path == "/array":
            return self.answer(entry, 200, [1, 2])
        match = re.fullmatch(r"/api/uses/([0-9]+)", url.path)
        if match:
            if self.use(int(match.group(1))):
                return self.answer(entry, 200, {"ok": True})
            return self.answer(entry, 401, {"error": "invalid_token"})
        self.answer(entry, 404, {"error": "not found"})

    do_GET = handle_any
    do_POST = handle_any


def watch_parent(parent):
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--record", required=True)
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.issued = 0
    server.uses = {}
    server.record = open(args.record, "a", encoding="utf-8")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
