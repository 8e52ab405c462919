"""A TCP server on 127.0.0.1 that plays a broken MQTT broker, for the
hostile-input tests of printhook's mqtt module.

  bad_broker.py --port-file F --mode silent|garbage|oversize|close

silent: accepts and reads, never answers (no CONNACK); garbage: answers
every connection with bytes that are no MQTT packet; oversize: answers with
a CONNACK header claiming 268435455 bytes of body that never come; close:
closes each connection at once.  Writes its port to F when it listens;
ends on SIGTERM."""

import argparse
import os
import signal
import socket
import sys
import threading

ANSWERS = {
    "garbage": b"HTTP/1.1 400 Bad Request\r\n\r\n\x00\xff\xfe garbage",
    "oversize": b"\x20\xff\xff\xff\x7f",
}


def serve(conn, mode):
    with conn:
        if mode == "close":
            return
        try:
            conn.recv(65536)
            if mode in ANSWERS:
                conn.sendall(ANSWERS[mode])
            while conn.recv(65536):
                pass
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--mode", required=True, choices=["silent", "garbage", "oversize", "close"])
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(tmp, args.port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, args.mode), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
