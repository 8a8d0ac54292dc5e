#!/usr/bin/env python3
"""Prints "WIDTH HEIGHT DISTINCT_COLOURS NON_WHITE_PERMILLE" of a PNG file.

For tests/cli/html.sh: a screenshot that is blank (one colour, all white) must not
pass. Decodes 8-bit RGB/RGBA, non-interlaced PNGs (what Chromium writes) with the
standard library only (zlib, struct); anything else exits 2 with the reason.
Usage: png-stats.py FILE
"""
import struct
import sys
import zlib


def fail(msg):
    print(f"png-stats: {sys.argv[1]}: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    try:
        data = open(sys.argv[1], "rb").read()
    except OSError as e:
        fail(str(e))
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG file")
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if ihdr is None or not idat:
        fail("no IHDR or no IDAT chunk")
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        fail(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    bpp = 3 if ctype == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    if len(raw) != height * (stride + 1):
        fail("image data of the wrong size")
    prev = bytearray(stride)
    colours = set()
    non_white = 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif f != 0:
            fail(f"unknown filter {f} in row {y}")
        row = bytes(line)
        for x in range(0, stride, bpp):
            px = row[x:x + 3]
            colours.add(px)
            if px != b"\xff\xff\xff":
                non_white += 1
        prev = line
    print(width, height, len(colours), non_white * 1000 // (width * height))


if __name__ == "__main__":
    main()
