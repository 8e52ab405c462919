#!/usr/bin/python3
"""The camera of a Bambu Lab P1/A1 for printhook's tests: a TLS socket
that streams JPEG frames after an 80-byte login (shared/reference/
mqtt-and-bambu.md §3).  Standard library only.

Usage:
  bambu_camera.py --port-file PATH --record PATH --cert PEM --key PEM
                  --access-code CODE --jpeg FILE [--mode MODE]

It listens on 127.0.0.1 on a free port and writes the port number to
--port-file (atomically) once it accepts connections.  Each login it reads
is appended to --record as one JSON line {"user", "access_code_ok",
"header_ok", "length"} before it is answered; a TLS handshake the client
refuses records nothing.  A wrong login is answered as the printer does:
the connection is closed at once.  SIGTERM stops it; so does its parent
going away.

After a good login, what it sends depends on --mode:
  good         frames of the JPEG file, one after the other, each (its
               16-byte header and the JPEG) written in small chunks with
               pauses, so that the client must put it together
  huge-header  a header announcing HUGE_FRAME bytes, then nothing
  not-jpeg     frames whose payload is the file with its first two bytes
               changed (no FF D8 at the start)
  silent       nothing; the connection stays open
  close        a header, half of the frame, then the connection closes
"""

import argparse
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time

LOGIN_SIZE = 80
FIELD_SIZE = 32
LOGIN_HEADER = struct.pack("<IIII", 0x40, 0x3000, 0, 0)
HUGE_FRAME = 100000000
CHUNKS = 6
CHUNK_PAUSE_S = 0.003
FRAME_PAUSE_S = 0.02
LOGIN_TIMEOUT_S = 10
MODES = ("good", "huge-header", "not-jpeg", "silent", "close")


def header(size):
    return struct.pack("<IIII", size, 0, 1, 0)


def field(data):
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_exactly(conn, size):
    data = b""
    while len(data) < size:
        piece = conn.recv(size - len(data))
        if not piece:
            break
        data += piece
    return data


def send_in_chunks(conn, data):
    """The first chunk ends inside the header, the others split the JPEG."""
    step = max(1, len(data) // CHUNKS)
    cuts = [0, 5] + list(range(5 + step, len(data), step)) + [len(data)]
    for start, end in zip(cuts, cuts[1:]):
        conn.sendall(data[start:end])
        time.sleep(CHUNK_PAUSE_S)


class Camera:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.record_file = open(args.record, "a", encoding="utf-8")
        with open(args.jpeg, "rb") as f:
            self.jpeg = f.read()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(args.cert, args.key)

    def record(self, entry):
        with self.lock:
            self.record_file.write(json.dumps(entry) + "\n")
            self.record_file.flush()

    def login(self, conn):
        conn.settimeout(LOGIN_TIMEOUT_S)
        packet = read_exactly(conn, LOGIN_SIZE)
        conn.settimeout(None)
        user = field(packet[16:16 + FIELD_SIZE]) if len(packet) == LOGIN_SIZE else None
        code = packet[16 + FIELD_SIZE:] if len(packet) == LOGIN_SIZE else b""
        entry = {
            "user": user,
            "access_code_ok": code == self.args.access_code.encode().ljust(FIELD_SIZE, b"\0"),
            "header_ok": packet[:16] == LOGIN_HEADER,
            "length": len(packet),
        }
        self.record(entry)
        return entry["user"] == "bblp" and entry["access_code_ok"] and entry["header_ok"]

    def stream(self, conn):
        mode = self.args.mode
        if mode == "huge-header":
            conn.sendall(header(HUGE_FRAME))
        elif mode == "close":
            frame = header(len(self.jpeg)) + self.jpeg
            send_in_chunks(conn, frame[:16 + len(self.jpeg) // 2])
            return
        elif mode in ("good", "not-jpeg"):
            payload = self.jpeg if mode == "good" else b"\x89P" + self.jpeg[2:]
            while True:
                send_in_chunks(conn, header(len(payload)) + payload)
                time.sleep(FRAME_PAUSE_S)
        # Silent (and after a huge header): keep the connection until the
        # client goes.
        while conn.recv(4096):
            pass

    def serve(self, raw):
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        try:
            if self.login(conn):
                self.stream(conn)
        except (OSError, ssl.SSLError):
            pass
        finally:
            # No close_notify (that takes unwrap()), as the printer: the
            # socket just closes.
            conn.close()


def watch_parent(parent):
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--access-code", required=True)
    parser.add_argument("--jpeg", required=True)
    parser.add_argument("--mode", choices=MODES, default="good")
    args = parser.parse_args()

    camera = Camera(args)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(temporary, args.port_file)
    while True:
        raw, _ = listener.accept()
        threading.Thread(target=camera.serve, args=(raw,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
