#!/usr/bin/python3
"""A fake OctoPrint for printhook's tests.

It speaks what printhook's OctoPrint source uses, in the formats of
shared/reference/printer-apis.md (OctoPrint 1.11): the REST calls
POST /api/login, GET /api/settings, GET /api/files/{origin}/{path} and
GET /api/version, the webcam snapshot its settings name (/webcam/, a
320x240 JPEG), and the push API on the raw websocket /sockjs/websocket
(one JSON object per text frame: connected, then history, current, event,
plugin ... after a valid auth message).  It runs on tornado, the server
OctoPrint itself runs on, and shares no code with printhook.

Once the first client has authenticated, it plays a scenario: a list of
steps, each sent STEP_MS after the previous one to every authenticated
client.  A step waits while no client is authenticated, so a scenario goes
on where it was after a reconnect.

Usage:
  fake_octoprint.py --port-file PATH --record PATH --scenario NAME
                    [--api-key KEY] [--step-ms MS] [--busy-ms MS]
                    [--meta-delay-ms MS] [--restart-gap-ms MS]

It listens on 127.0.0.1 on a free port and writes the port to --port-file
(atomically) once it listens.  Everything clients did is appended to
--record, one JSON object per line: {"kind": "login", "api_key", "body"},
{"kind": "rest", "path", "api_key"}, {"kind": "ws_open", "origin"},
{"kind": "ws_message", "text"}, {"kind": "sent", "type", "bytes"},
{"kind": "restart"}, {"kind": "waiting"} when the scenario waits for the
client to come back, {"kind": "done"} when the scenario is over.  SIGTERM
stops it, and so does its parent going away.
"""

import asyncio
import json
import os
import secrets
import sys
import time

import tornado.web
import tornado.websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_server import arguments, LISTEN_ADDRESS, Recorder, ScriptedServer, serve  # noqa: E402

USER = "admin"
FILE_NAME = "benchy.gcode"
FILE_PATH = "parts/benchy.gcode"
FILE_SIZE = 1183897
BUSY = "Recv: echo:busy: paused for user"


def flags(printing=False, paused=False, operational=True):
    return {"operational": operational, "printing": printing, "cancelling": False,
            "pausing": False, "resuming": False, "finishing": False,
            "closedOrError": False, "error": False, "paused": paused,
            "ready": operational and not printing and not paused, "sdReady": True}


def job(selected=True):
    if not selected:
        return {"file": {"name": None, "path": None, "display": None, "origin": None,
                         "size": None, "date": None},
                "estimatedPrintTime": None, "averagePrintTime": None, "lastPrintTime": None,
                "filament": None, "user": None}
    return {"file": {"name": FILE_NAME, "path": FILE_PATH, "display": FILE_NAME,
                     "origin": "local", "size": FILE_SIZE, "date": 1655471926},
            "estimatedPrintTime": 3580.2, "averagePrintTime": None, "lastPrintTime": None,
            "filament": {"tool0": {"length": 4012.3, "volume": 9.65}}, "user": USER}


def current(text, completion, filepos=None, logs=(), printing=None, paused=False,
            selected=True, z=None):
    """A current message as OctoPrint 1.11 sends it (printer-apis.md §1.5)."""
    if printing is None:
        printing = text == "Printing"
    if filepos is None:
        filepos = int(FILE_SIZE * (completion or 0) / 100)
    return {"current": {
        "state": {"text": text, "flags": flags(printing, paused), "error": ""},
        "job": job(selected),
        "currentZ": z if z is not None else (round(0.2 + (completion or 0) * 0.48, 2)),
        "progress": {"completion": completion, "filepos": filepos,
                     "printTime": int((completion or 0) * 36),
                     "printTimeLeft": int((100 - (completion or 0)) * 36),
                     "printTimeLeftOrigin": "estimate"},
        "offsets": {"tool0": 0, "bed": 0},
        "resends": {"count": 0, "transmitted": 85559, "ratio": 0},
        "serverTime": time.time(),
        "temps": [{"time": int(time.time()), "tool0": {"actual": 214.9, "target": 215.0},
                   "bed": {"actual": 60.1, "target": 60.0}}],
        "logs": list(logs),
        "messages": [],
        "busyFiles": [{"origin": "local", "path": FILE_PATH}] if printing else [],
        "markings": []}}


def history(completion=None):
    """history: the state plus 30 minutes of temperatures and the terminal
    backlog, far beyond libsoup's 128 KiB default (printer-apis.md §1.5).
    Its backlog holds an old busy line, which is not a new pause.  With a
    completion, the printer is in the middle of printing."""
    if completion is None:
        message = current("Operational", None, selected=False, logs=[BUSY])["current"]
    else:
        message = current("Printing", completion, logs=[BUSY])["current"]
    now = int(time.time())
    message["temps"] = [{"time": now - 1800 + i, "tool0": {"actual": 21.0 + i % 7 / 10, "target": 0.0},
                         "bed": {"actual": 20.5, "target": 0.0}} for i in range(1800)]
    message["logs"] = [BUSY] + ["Recv: ok T:21.0 /0.0 B:20.5 /0.0 @:0 B@:0 %06d" % i
                                for i in range(2000)]
    message["messages"] = []
    del message["busyFiles"]
    return {"history": message}


def event(kind, payload):
    return {"event": {"type": kind, "payload": payload}}


def job_payload(**extra):
    payload = {"name": FILE_NAME, "path": FILE_PATH, "origin": "local", "size": FILE_SIZE,
               "owner": USER, "user": USER}
    payload.update(extra)
    return payload


def printing(completion, **kw):
    return ("send", current("Printing", completion, **kw))


def scenario_print(args):
    """A whole print: noise first, then start, progress with a jump from 8 to
    27 %, done."""
    return [
        ("send", {"renderProgress": {"progress": 55}}),
        ("send", {"slicingProgress": {"slicer": "cura", "source_location": "local",
                                      "source_path": "a.stl", "dest_location": "local",
                                      "dest_path": "a.gco", "progress": 42.0}}),
        ("send", {"timelapse": None}),
        ("send", current("Operational", None, selected=False)),
        ("send", event("FileSelected", {"name": FILE_NAME, "path": FILE_PATH, "origin": "local"})),
        ("send", event("ZChange", {"new": 0.2, "old": 0.0})),
        printing(0.0),
        ("send", event("PrintStarted", job_payload())),
        printing(5.0), printing(8.2), printing(27.0), printing(33.3), printing(50.0),
        printing(51.4), printing(75.0), printing(99.9),
        ("send", current("Finishing", 100.0, printing=False)),
        ("send", event("PrintDone", job_payload(time=3625.12))),
        ("send", current("Operational", 100.0)),
        ("done",),
    ]


def odd_completion(value):
    """A Printing message whose completion is value, the rest as at 10 %."""
    message = current("Printing", 10.0)
    message["current"]["progress"]["completion"] = value
    return ("send", message)


def scenario_numbers(args):
    """A print whose completion is first no percentage at all: beyond any
    int, negative, Infinity and NaN (which Python's json writes and strict
    JSON has not), text; then 10 and 20 %, done."""
    return [
        ("send", current("Operational", None, selected=False)),
        printing(0.0),
        ("send", event("PrintStarted", job_payload())),
        odd_completion(1e300), odd_completion(-5.0), odd_completion(float("inf")),
        odd_completion(float("nan")), odd_completion("50"), printing(10.0), odd_completion(1e300),
        printing(20.0),
        ("send", event("PrintDone", job_payload(time=60.0))),
        ("done",),
    ]


def scenario_cancel(args):
    cancelled = job_payload(time=812.4, position={"x": 120.0, "y": 95.2, "z": 4.6, "e": 1520.3,
                                                  "t": 0, "f": 3000},
                            fileposition=402113, progress=33)
    failed = dict(cancelled, reason="cancelled")
    return [
        printing(0.0),
        ("send", event("PrintStarted", job_payload())),
        printing(12.0), printing(33.9),
        ("send", current("Cancelling", 33.9, printing=False)),
        ("send", event("PrintCancelling", job_payload())),
        ("send", event("PrintCancelled", cancelled)),
        ("send", event("PrintFailed", failed)),
        ("send", current("Operational", 33.9)),
        ("done",),
    ]


def scenario_names(args):
    """Events whose type is no event name (a plugin's or a broken
    firmware's: space, line break, dot, dash, nothing) among two that are."""
    return [
        ("send", current("Operational", None, selected=False)),
        ("send", event("Print Done\n", None)),
        ("send", event("plugin.x-y", {})),
        ("send", event("", None)),
        ("send", event("FilamentChange", None)),
        ("send", event("PrintDone", job_payload(time=60.0))),
        ("done",),
    ]


def scenario_busy(args):
    """Three pauses that need the user: busy lines repeated every BUSY_MS
    (one event), a firmware prompt followed by busy lines (one event), and
    the prompt plugin's dialog (one event)."""
    steps = [printing(0.0), ("send", event("PrintStarted", job_payload())), printing(20.0)]
    for _ in range(args.busy_repeats):
        steps.append(("send", current("Printing", 20.0, logs=["Recv: T:215.0 /215.0", BUSY])))
        steps.append(("sleep", args.busy_ms))
    steps += [printing(21.0), printing(22.0),
              ("send", current("Printing", 22.0,
                               logs=["Recv: //action:prompt_begin Filament runout detected",
                                     "Recv: //action:prompt_button Continue",
                                     "Recv: //action:prompt_show"])),
              ("send", current("Printing", 22.0, logs=[BUSY])),
              ("send", current("Printing", 22.0, logs=[BUSY])),
              ("send", current("Printing", 22.0, logs=["Recv: //action:prompt_end"])),
              printing(23.0),
              ("send", {"plugin": {"plugin": "action_command_prompt",
                                   "data": {"action": "show", "text": "Remove the print",
                                            "choices": ["Done"]}}}),
              ("send", {"plugin": {"plugin": "action_command_notification",
                                   "data": {"message": "hello"}}}),
              ("send", {"plugin": {"plugin": "action_command_prompt", "data": {"action": "close"}}}),
              ("send", event("PrintDone", job_payload(time=100.0))),
              ("done",)]
    return steps


def scenario_restart(args):
    """OctoPrint restarts mid-print: every connection drops, the port is
    closed for a moment, and the print goes on."""
    return [
        printing(0.0),
        ("send", event("PrintStarted", job_payload())),
        printing(10.0), printing(21.0),
        ("restart",),
        printing(30.0), printing(41.0),
        ("send", event("PrintDone", job_payload(time=500.0))),
        ("done",),
    ]


def scenario_silent(args):
    """OctoPrint goes silent mid-print: the test stops this process once it
    is waiting (SIGSTOP), so the connection stays open but nothing answers,
    not even the pings; the print goes on once the client has given up on
    the old connection and come back on a new one."""
    return [
        printing(0.0),
        ("send", event("PrintStarted", job_payload())),
        printing(10.0),
        ("reconnect",),
        printing(20.0), printing(31.0),
        ("send", event("PrintDone", job_payload(time=700.0))),
        ("done",),
    ]


def scenario_reauth(args):
    """OctoPrint forgets the session (printer-apis.md §1.4: reauthRequired)."""
    return [
        printing(0.0),
        ("send", event("PrintStarted", job_payload())),
        printing(10.0),
        ("reauth",),
        printing(20.0),
        ("send", event("PrintDone", job_payload(time=200.0))),
        ("done",),
    ]


def scenario_midprint(args):
    """The daemon comes along when the print is at 45 % already.  A few
    frames below 50 % give its @meta request time to come back (under
    valgrind too) before the 50 % milestone goes out."""
    return [printing(46.0), printing(47.0), printing(48.0), printing(49.0), printing(52.0),
            ("send", event("PrintDone", job_payload(time=900.0))),
            ("done",)]


SCENARIOS = {"print": scenario_print, "numbers": scenario_numbers, "midprint": scenario_midprint, "cancel": scenario_cancel, "names": scenario_names, "busy": scenario_busy,
             "restart": scenario_restart, "reauth": scenario_reauth, "silent": scenario_silent,
             "idle": lambda args: [("done",)]}


def file_entry(base_url):
    """/api/files/local/parts/benchy.gcode (printer-apis.md §3)."""
    return {"name": FILE_NAME, "display": FILE_NAME, "path": FILE_PATH, "type": "machinecode",
            "typePath": ["machinecode", "gcode"], "origin": "local", "size": FILE_SIZE,
            "date": 1655471926, "hash": "9b0e5a1f4c2d", "user": USER,
            "gcodeAnalysis": {"estimatedPrintTime": 3580.2,
                              "filament": {"tool0": {"length": 4012.3, "volume": 9.65}},
                              "dimensions": {"width": 60.1, "depth": 31.0, "height": 48.0},
                              "printingArea": {"minX": 0.0, "maxX": 60.1, "minY": 0.0,
                                               "maxY": 31.0, "minZ": 0.0, "maxZ": 48.0}},
            "prints": {"success": 23, "failure": 4,
                       "last": {"success": True, "date": 1387144346, "printTime": 3610.7}},
            "statistics": {"averagePrintTime": {"_default": 3601.2},
                           "lastPrintTime": {"_default": 3610.7}},
            "thumbnail": "plugin/prusaslicerthumbnails/thumbnail/parts/benchy.png",
            "refs": {"resource": base_url + "/api/files/local/" + FILE_PATH,
                     "download": base_url + "/downloads/files/local/" + FILE_PATH}}


SETTINGS = {
    "appearance": {"name": "Prusa MK3S", "color": "orange", "colorTransparent": False},
    "webcam": {
        "webcamEnabled": True, "timelapseEnabled": True,
        "webcams": [{"name": "classic", "displayName": "Classic Webcam", "canSnapshot": True,
                     "snapshotDisplay": "/webcam/?action=snapshot", "flipH": False,
                     "flipV": False, "rotate90": False,
                     "compat": {"stream": "/webcam/?action=stream",
                                "snapshot": "/webcam/?action=snapshot"},
                     "provider": "classicwebcam"}],
        "defaultWebcam": "classic", "snapshotWebcam": "classic",
        "streamUrl": "/webcam/?action=stream", "snapshotUrl": "/webcam/?action=snapshot",
    },
}


class Printer(ScriptedServer):
    """The server's state: sessions, sockets, the scenario being played;
    clients are ready once authenticated."""

    def __init__(self, args, record):
        super().__init__(args, record)
        self.sessions = set()
        self.steps = SCENARIOS[args.scenario](args)

    def key_ok(self, request):
        return request.headers.get("X-Api-Key") == self.args.api_key

    def broadcast(self, message):
        text = json.dumps(message)
        kind = next(iter(message))
        for handler in list(self.ready):
            handler.write_message(text)
        self.record("sent", type=kind, bytes=len(text), clients=len(self.ready))

    async def play(self):
        for step in self.steps:
            await self.client_ready.wait()
            await asyncio.sleep(self.args.step_ms / 1000)
            await self.client_ready.wait()
            kind = step[0]
            if kind == "send":
                self.broadcast(step[1])
            elif kind == "sleep":
                await asyncio.sleep(step[1] / 1000)
            elif kind == "reauth":
                # The session is forgotten: the client must log in again.
                self.sessions.clear()
                self.broadcast({"reauthRequired": {"reason": "stale"}})
                self.ready.clear()
                self.client_ready.clear()
            elif kind == "restart":
                await self.restart()
            elif kind == "reconnect":
                await self.reconnected()
            elif kind == "done":
                self.record("done")

    async def reconnected(self):
        """Waits until every connection open now is gone and a new client
        is ready."""
        old = set(self.sockets)
        self.record("waiting")
        while old & self.sockets or not self.ready:
            await asyncio.sleep(0.05)

    async def restart(self):
        self.record("restart")
        await self.go_away()
        self.sessions.clear()
        await asyncio.sleep(self.args.restart_gap_ms / 1000)
        self.listen(self.port)

    def listen(self, port):
        self.bind(port, [
            (r"/api/login", Login, {"printer": self}),
            (r"/api/settings", Settings, {"printer": self}),
            (r"/api/version", Version, {"printer": self}),
            (r"/api/files/([^/]+)/(.+)", Files, {"printer": self}),
            (r"/sockjs/websocket", Push, {"printer": self}),
            (r"/webcam/", Webcam, {"printer": self}),
        ])


class Rest(tornado.web.RequestHandler):
    def initialize(self, printer):
        self.printer = printer

    def check_xsrf_cookie(self):
        pass

    def reply(self, body, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class Login(Rest):
    def post(self):
        p = self.printer
        p.record("login", api_key=self.request.headers.get("X-Api-Key"),
                 content_type=self.request.headers.get("Content-Type"),
                 body=self.request.body.decode("utf-8", "replace"))
        if not p.key_ok(self.request):
            # An unknown key still gets 200, with an anonymous record.
            self.reply({"needs": {"role": []}, "_is_external_client": False,
                        "_login_mechanism": None, "_credentials_seen": False})
            return
        session = secrets.token_hex(32)
        p.sessions.add(session)
        self.reply({"name": USER, "active": True, "permissions": [], "groups": ["admins", "users"],
                    "needs": {"role": ["admin", "status"]}, "apikey": p.args.api_key,
                    "settings": {}, "admin": True, "user": True, "roles": ["user", "admin"],
                    "session": session, "_is_external_client": False,
                    "_login_mechanism": "apikey", "_credentials_seen": False})


class Settings(Rest):
    def get(self):
        self.printer.record("rest", path=self.request.path,
                            api_key=self.request.headers.get("X-Api-Key"))
        if not self.printer.key_ok(self.request):
            self.reply({"error": "Forbidden"}, 403)
            return
        self.reply(SETTINGS)


# The webcam of SETTINGS: a small JPEG, made once.  Pillow is Debian's
# python3-pil; the image is a plain gradient, enough for a decoder.
WEBCAM_JPEG = None


def webcam_jpeg():
    global WEBCAM_JPEG
    if WEBCAM_JPEG is None:
        import io
        from PIL import Image
        image = Image.new("RGB", (320, 240))
        image.putdata([(x % 256, y % 256, 128) for y in range(240) for x in range(320)])
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        WEBCAM_JPEG = out.getvalue()
    return WEBCAM_JPEG


class Webcam(Rest):
    def get(self):
        self.printer.record("rest", path=self.request.path, api_key=None)
        self.set_header("Content-Type", "image/jpeg")
        self.finish(webcam_jpeg())


class Version(Rest):
    def get(self):
        self.reply({"api": "0.1", "server": "1.11.8", "text": "OctoPrint 1.11.8"})


class Files(Rest):
    async def get(self, origin, path):
        p = self.printer
        p.record("rest", path=self.request.path, api_key=self.request.headers.get("X-Api-Key"))
        if p.args.meta_delay_ms:
            try:
                await asyncio.sleep(p.args.meta_delay_ms / 1000)
            except asyncio.CancelledError:
                return
        if not p.key_ok(self.request):
            self.reply({"error": "Forbidden"}, 403)
        elif origin != "local" or path != FILE_PATH:
            self.reply({"error": "File not found"}, 404)
        else:
            self.reply(file_entry("http://%s:%d" % (LISTEN_ADDRESS, p.port)))


class Push(tornado.websocket.WebSocketHandler):
    def initialize(self, printer):
        self.printer = printer

    def open(self):
        p = self.printer
        p.record("ws_open", origin=self.request.headers.get("Origin"),
                 api_key=self.request.headers.get("X-Api-Key"))
        p.sockets.add(self)
        self.write_message(json.dumps({"connected": {
            "version": "1.11.8", "display_version": "1.11.8", "branch": None,
            "python_version": "3.11.2", "plugin_hash": "5c1f", "config_hash": "a0b1",
            "debug": False, "safe_mode": None, "online": True, "permissions": []}}))

    def on_message(self, text):
        p = self.printer
        p.record("ws_message", text=text)
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict) or "auth" not in message:
            return
        parts = str(message["auth"]).split(":")
        if len(parts) != 2 or parts[0] != USER or parts[1] not in p.sessions:
            self.write_message(json.dumps({"reauthRequired": {"reason": "stale"}}))
            return
        big = json.dumps(history(45.0 if p.args.scenario == "midprint" else None))
        self.write_message(big)
        p.record("sent", type="history", bytes=len(big), clients=1)
        self.write_message(json.dumps({"timelapse": None}))
        p.on_ready(self)

    def on_close(self):
        self.printer.on_gone(self)


async def main():
    parser = arguments(__doc__, SCENARIOS)
    parser.add_argument("--api-key", default="GOODKEY0123456789")
    parser.add_argument("--busy-ms", type=int, default=100)
    parser.add_argument("--busy-repeats", type=int, default=5)
    parser.add_argument("--meta-delay-ms", type=int, default=0)
    parser.add_argument("--restart-gap-ms", type=int, default=300)
    args = parser.parse_args()

    printer = Printer(args, Recorder(args.record))
    printer.listen(0)
    await serve(printer, args.port_file)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
