#!/usr/bin/python3
"""Snapshot part of bench/run: printhook's resize path against the old
plugin's (Pillow), on generated webcam-like JPEGs.

  snapshot_compare.py --tool PATH/snapshot_bench --dir DIR [--seconds S]

For each case it makes a JPEG (quality 85, 4:2:0, as webcam streamers send),
then, alternating so both see the same machine: snapshot_bench (printhook's
snapshot_jpeg_process) and the plugin's Pillow path (Image.open, thumbnail
with LANCZOS when larger than the box, save as JPEG at quality 75; within
the box the camera's bytes go out as they came).  Reports the median ms per
image of each, their ratio, whether the output is the input byte for byte,
and the PSNR of printhook's output against Pillow's.  Prints one JSON list.
"""

import argparse
import io
import json
import math
import os
import random
import subprocess
import sys
import time

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

QUALITY = 75
# (name, source size, box)
CASES = [
    ("1280x720 in 1640x1232", (1280, 720), (1640, 1232)),
    ("1920x1080 in 1640x1232", (1920, 1080), (1640, 1232)),
    ("2592x1944 in 1640x1232", (2592, 1944), (1640, 1232)),
    ("3840x2160 in 640x480", (3840, 2160), (640, 480)),
]


def make_frame(size, seed):
    """A webcam-like frame: lit gradients, shapes with edges, fine detail
    and sensor noise, so that entropy decoding costs what it does on a real
    picture rather than on a flat test card."""
    rng = random.Random(seed)
    w, h = size
    small = (max(1, w // 8), max(1, h // 8))
    r = Image.linear_gradient("L").resize(small).rotate(rng.randint(0, 359)).resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = Image.effect_mandelbrot(size, (-2.2, -1.3, 1.0, 1.3), 60)
    image = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(w // 6 + 1), y0 + rng.randrange(h // 6 + 1)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=rng.randint(1, 6))
    for y in range(0, h, max(8, h // 60)):
        draw.line((0, y, w, y + rng.randint(-h // 10, h // 10)), fill=(200, 200, 200), width=1)
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    noise = Image.effect_noise(size, 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, subsampling=2)
    return out.getvalue()


def plugin_path(data, box):
    """The old plugin's snapshot step (section 8): resize only when larger
    than the box, then re-encode; else the bytes as they came."""
    image = Image.open(io.BytesIO(data))
    if image.size[0] > box[0] or image.size[1] > box[1]:
        image.thumbnail(box, Image.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=QUALITY)
        return out.getvalue()
    return data


def time_pillow(data, box, reps, seconds):
    times = []
    deadline = time.monotonic() + seconds
    result = None
    while len(times) < reps and (not times or time.monotonic() < deadline):
        start = time.perf_counter()
        result = plugin_path(data, box)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2], result


def psnr(a_bytes, b_bytes):
    a = Image.open(io.BytesIO(a_bytes)).convert("RGB")
    b = Image.open(io.BytesIO(b_bytes)).convert("RGB")
    if a.size != b.size:
        # Rounding of the fitted size may differ by a pixel: compare the
        # common area.
        w, h = min(a.size[0], b.size[0]), min(a.size[1], b.size[1])
        a, b = a.crop((0, 0, w, h)), b.crop((0, 0, w, h))
    rms = ImageStat.Stat(ImageChops.difference(a, b)).rms
    mse = sum(x * x for x in rms) / len(rms)
    return float("inf") if mse == 0 else 10 * math.log10(255 * 255 / mse)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()

    results = []
    for index, (name, size, box) in enumerate(CASES):
        source = os.path.join(args.dir, "frame-%dx%d.jpg" % size)
        ours = os.path.join(args.dir, "printhook-%dx%d.jpg" % size)
        data = make_frame(size, index)
        with open(source, "wb") as f:
            f.write(data)
        pil_ms, pil_out, c = [], None, None
        # Two rounds each, alternating, to share the machine's moods.
        for _ in range(2):
            run = subprocess.run([args.tool, "--box", "%dx%d" % box, "--quality", str(QUALITY),
                                  "--reps", str(args.reps), "--seconds", str(args.seconds / 2),
                                  source, ours], check=True, capture_output=True, text=True)
            r = json.loads(run.stdout)
            c = r if c is None or r["ms"] < c["ms"] else c
            ms, pil_out = time_pillow(data, box, args.reps, args.seconds / 2)
            pil_ms.append(ms)
        with open(ours, "rb") as f:
            our_out = f.read()
        ours_size = Image.open(io.BytesIO(our_out)).size
        pil_size = Image.open(io.BytesIO(pil_out)).size
        resized = pil_out is not data
        results.append({
            "case": name, "source_bytes": len(data),
            "resized": resized,
            "printhook_ms": c["ms"], "pillow_ms": min(pil_ms),
            "speedup": min(pil_ms) / c["ms"] if c["ms"] > 0 else None,
            "passthrough": c["passthrough"],
            "printhook_size": "%dx%d" % ours_size, "pillow_size": "%dx%d" % pil_size,
            "printhook_bytes": len(our_out), "pillow_bytes": len(pil_out),
            "psnr_db": None if not resized else round(psnr(our_out, pil_out), 2),
        })
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
