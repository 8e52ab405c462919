"""Plays N Bambu Lab printers for bench part 8: publishes one P1-style
push_status delta a second on device/SERIAL_i/report for every serial,
over one TLS connection (user bblp) to the bench's mosquitto, for a
bounded time, then prints {"sent": N}.

  bambu_printers.py --port P --ca CA --password CODE --serials S1,S2,...
                    [--rate 1] [--seconds 20]

Run with /usr/bin/python3 -I (Debian's paho-mqtt)."""

import argparse
import json
import sys
import time

import paho.mqtt.client as mqtt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--serials", required=True)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    serials = args.serials.split(",")

    client = mqtt.Client("bench-printers", clean_session=True, protocol=mqtt.MQTTv311)
    client.username_pw_set("bblp", args.password)
    client.tls_set(ca_certs=args.ca)
    client.connect("127.0.0.1", args.port, 30)
    client.loop_start()
    sent = 0
    start = time.monotonic()
    tick = 0
    # Every printer prints: percent, layer and temperatures change, the
    # way a P1 reports only what changed.
    while time.monotonic() - start < args.seconds:
        for i, serial in enumerate(serials):
            delta = {"print": {"command": "push_status", "msg": 1, "sequence_id": str(tick),
                               "mc_percent": (tick + i) % 100, "layer_num": tick,
                               "mc_remaining_time": 60 - tick % 60,
                               "nozzle_temper": 219.5 + (tick % 3) / 10,
                               "bed_temper": 55.0 + (tick % 2) / 10}}
            if tick == 0:
                # The first report as a pushall's answer would be: the job.
                delta["print"].update({"gcode_state": "RUNNING", "subtask_name": "part%d" % i,
                                       "gcode_file": "/data/plate_%d.gcode" % i,
                                       "task_id": str(1000 + i), "subtask_id": str(2000 + i),
                                       "total_layer_num": 300, "hms": []})
            client.publish("device/%s/report" % serial, json.dumps(delta), qos=0)
            sent += 1
        tick += 1
        next_tick = start + tick / args.rate
        time.sleep(max(0.0, next_tick - time.monotonic()))
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"sent": sent}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
