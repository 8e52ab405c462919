#!/usr/bin/python3
"""A webcam for printhook's snapshot tests.

It serves the files of one directory, as a camera's still-image URL does,
and records every request, so that tests can count how often the camera
was asked.  Standard library only.

Usage:
  camera_server.py --port-file PATH --record PATH --dir DIR

It listens on 127.0.0.1 on a free port and writes the port number to
--port-file (atomically) once it accepts connections.  Every request is
appended to --record as one JSON line {"method", "path", "query", "time"}
before it is answered.  SIGTERM stops it; so does its parent going away.

What it answers depends on the path:
  /file/<name>[?delay_ms=N]   the bytes of DIR/<name>, after N ms; its
                              Content-Type from the extension (.jpg
                              image/jpeg, .png image/png, .html text/html,
                              else application/octet-stream)
  /status/<code>              that status, an HTML body
  /hang                       reads the request and never answers
  anything else               404
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

TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".html": "text/html"}
MAX_DELAY_MS = 60 * 1000
HANG_SECONDS = 600


class Camera(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def record(self, url):
        entry = {"method": self.command, "path": url.path, "query": url.query,
                 "time": time.time()}
        with self.server.lock:
            self.server.record.write(json.dumps(entry) + "\n")
            self.server.record.flush()

    def send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.record(url)
        match = re.fullmatch(r"/file/([A-Za-z0-9._-]+)", url.path)
        if match:
            query = dict(urllib.parse.parse_qsl(url.query))
            delay = min(int(query.get("delay_ms", "0")), MAX_DELAY_MS)
            time.sleep(delay / 1000)
            name = match.group(1)
            try:
                with open(os.path.join(self.server.dir, name), "rb") as f:
                    body = f.read()
            except OSError:
                return self.send(404, b"no such file", "text/plain")
            extension = os.path.splitext(name)[1]
            return self.send(200, body, TYPES.get(extension, "application/octet-stream"))
        match = re.fullmatch(r"/status/([0-9]{3})", url.path)
        if match:
            body = b"<html><body>error %s</body></html>" % match.group(1).encode()
            return self.send(int(match.group(1)), body, "text/html")
        if url.path == "/hang":
            time.sleep(HANG_SECONDS)
            return
        self.send(404, b"not found", "text/plain")


def watch_parent(parent):
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Camera)
    server.daemon_threads = True
    server.dir = args.dir
    server.lock = threading.Lock()
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
