#!/usr/bin/python3
"""Makes and inspects the images of printhook's snapshot tests, with Pillow
(Debian's python3-pil), so that what the tests check is decoded by code
that shares nothing with printhook.

  jpeg_tool.py make OUT --size WxH [--gray] [--subsampling 4:2:0|4:4:4]
               [--progressive] [--exif] [--quality Q] [--format jpeg|png]
               [--claim WxH]
      Writes a test pattern: a mid-gray field with a marker in each corner,
      a quarter of the width and of the height in size, so that flips and
      turns show.  RGB markers: top-left red, top-right green, bottom-left
      blue, bottom-right yellow; gray markers: 0, 255, 64, 192.  --claim
      then rewrites the frame header to claim another size (a forged file
      that no longer decodes as it says).

  jpeg_tool.py probe FILE
      Prints JSON: {"format", "width", "height", "mode", "progressive",
      "exif", "corners": {"tl", "tr", "bl", "br": [channel means]}}, each
      corner sampled in the middle of where its marker would be.
"""

import argparse
import json
import struct
import sys

from PIL import Image

RGB_MARKERS = {"tl": (255, 0, 0), "tr": (0, 255, 0), "bl": (0, 0, 255), "br": (255, 255, 0)}
GRAY_MARKERS = {"tl": 0, "tr": 255, "bl": 64, "br": 192}
SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def size(text):
    width, height = text.lower().split("x")
    return int(width), int(height)


def corner_boxes(width, height):
    w, h = max(1, width // 4), max(1, height // 4)
    return {"tl": (0, 0, w, h), "tr": (width - w, 0, width, h),
            "bl": (0, height - h, w, height), "br": (width - w, height - h, width, height)}


def claim(data, width, height):
    """The JPEG with its SOF segment's size fields replaced."""
    out = bytearray(data)
    i = 2
    while i + 4 <= len(out):
        if out[i] != 0xFF:
            raise ValueError("lost in the JPEG's markers at %d" % i)
        marker = out[i + 1]
        length = struct.unpack(">H", out[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", out, i + 5, height, width)
            return bytes(out)
        i += 2 + length
    raise ValueError("no SOF marker")


def make(args):
    width, height = size(args.size)
    gray = args.gray
    image = Image.new("L" if gray else "RGB", (width, height), 128 if gray else (128, 128, 128))
    markers = GRAY_MARKERS if gray else RGB_MARKERS
    for corner, box in corner_boxes(width, height).items():
        image.paste(markers[corner], box)
    options = {}
    if args.format == "jpeg":
        options = {"quality": args.quality, "progressive": args.progressive,
                   "subsampling": SUBSAMPLING[args.subsampling]}
        if args.exif:
            exif = Image.Exif()
            exif[0x010F] = "printhook test camera"
            exif[0x0110] = "corner pattern"
            options["exif"] = exif.tobytes()
    image.save(args.out, args.format.upper(), **options)
    if args.claim:
        with open(args.out, "rb") as f:
            data = f.read()
        with open(args.out, "wb") as f:
            f.write(claim(data, *size(args.claim)))


def probe(args):
    image = Image.open(args.file)
    image.load()
    width, height = image.size
    corners = {}
    for corner, (x0, y0, x1, y1) in corner_boxes(width, height).items():
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        rx, ry = max(1, (x1 - x0) // 4), max(1, (y1 - y0) // 4)
        patch = image.crop((cx - rx, cy - ry, cx + rx, cy + ry))
        pixels = list(patch.getdata())
        if isinstance(pixels[0], int):
            pixels = [(p,) for p in pixels]
        corners[corner] = [round(sum(p[c] for p in pixels) / len(pixels))
                           for c in range(len(pixels[0]))]
    print(json.dumps({"format": image.format, "width": width, "height": height,
                      "mode": image.mode, "progressive": bool(image.info.get("progressive")),
                      "exif": "exif" in image.info, "corners": corners}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("make")
    m.add_argument("out")
    m.add_argument("--size", required=True)
    m.add_argument("--gray", action="store_true")
    m.add_argument("--subsampling", default="4:2:0", choices=sorted(SUBSAMPLING))
    m.add_argument("--progressive", action="store_true")
    m.add_argument("--exif", action="store_true")
    m.add_argument("--quality", type=int, default=90)
    m.add_argument("--format", default="jpeg", choices=["jpeg", "png"])
    m.add_argument("--claim")
    p = commands.add_parser("probe")
    p.add_argument("file")
    args = parser.parse_args()
    make(args) if args.command == "make" else probe(args)


if __name__ == "__main__":
    sys.exit(main())
