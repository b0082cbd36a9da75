"""IVF files and MSB-first bit reading, shared by the header readers
vpx-headers.py (VP8/VP9) and av1-headers.py (AV1)."""
import struct


class Bits:
    """MSB-first bit reader (VP9 and AV1 uncompressed headers)."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def f(self, n):
        v = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            v = (v << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def su(self, n):
        v = self.f(n)
        return -v if self.f(1) else v


def ivf_frames(path):
    """(fourcc, [packet bytes...]) of an IVF file."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:4] != b"DKIF":
        raise SystemExit(f"{path}: not an IVF file")
    fourcc = data[8:12].decode("ascii", "replace")
    pos = struct.unpack_from("<H", data, 6)[0]
    frames = []
    while pos + 12 <= len(data):
        size = struct.unpack_from("<I", data, pos)[0]
        frames.append(data[pos + 12:pos + 12 + size])
        pos += 12 + size
    return fourcc, frames
