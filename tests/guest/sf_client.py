#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/guest/sf_client.py: a small client of the stateful node.

Feeds FILE to OUTPUT in fixed-size chunks (each with its own timestamp),
sets CAPTURE up at the SOURCE_CHANGE event (or at once with
--capture-first), drains with DECODER_CMD STOP at the end and waits for
the LAST buffer. Prints one line of counts:

  out_done N out_error N cap_done N cap_error N last 0|1 eos 0|1
  events N first_error S elapsed S

first_error: seconds from the first QBUF to the first buffer back with
V4L2_BUF_FLAG_ERROR (-1: none); first_qbuf_at: the first QBUF's time
(seconds since the epoch). Exits 0 when it ended by itself (LAST or
every buffer back), 2 on its own --timeout.

  sf_client.py DEV FILE [--chunk BYTES] [--max-chunks N] [--timeout S]
               [--capture-first] [--no-drain]
"""
import argparse
import ctypes
import errno
import fcntl
import mmap
import os
import select
import struct
import sys
import time


def _iowr(nr, size, d=3):
    return (d << 30) | (size << 16) | (ord("V") << 8) | nr


S_FMT = _iowr(5, 208)
G_FMT = _iowr(4, 208)
REQBUFS = _iowr(8, 20)
QUERYBUF = _iowr(9, 88)
QBUF = _iowr(15, 88)
DQBUF = _iowr(17, 88)
STREAMON = _iowr(18, 4, 1)
STREAMOFF = _iowr(19, 4, 1)
DQEVENT = _iowr(89, 136, 2)
SUBSCRIBE = _iowr(90, 32, 1)
DECODER_CMD = _iowr(96, 72)
OUT, CAP = 10, 9
MMAP = 1
F_ERROR, F_LAST = 0x40, 0x100000
EV_EOS, EV_SRC = 2, 5
H264 = struct.unpack("<I", b"H264")[0]


class Queue:
    def __init__(self, fd, typ, count):
        self.fd, self.type = fd, typ
        self.planes = [ctypes.create_string_buffer(64) for _ in range(count)]
        rb = bytearray(struct.pack("<5I", count, typ, MMAP, 0, 0))
        fcntl.ioctl(fd, REQBUFS, rb)
        self.count = struct.unpack_from("<I", rb)[0]
        self.maps, self.lengths = [], []
        for i in range(self.count):
            b = self.buf(i)
            fcntl.ioctl(fd, QUERYBUF, b)
            length, off = struct.unpack_from("<II", self.planes[i], 4)
            self.lengths.append(length)
            self.maps.append(mmap.mmap(fd, length, offset=off))
        self.free = list(range(self.count))

    def buf(self, i, used=0, ts=0):
        p = self.planes[i]
        ctypes.memset(p, 0, 64)
        struct.pack_into("<I", p, 0, used)
        b = bytearray(88)
        struct.pack_into("<II", b, 0, i, self.type)
        struct.pack_into("<qq", b, 24, ts // 1000000, ts % 1000000)
        struct.pack_into("<I", b, 60, MMAP)
        struct.pack_into("<Q", b, 64, ctypes.addressof(p))
        struct.pack_into("<I", b, 72, 1)
        return b

    def qbuf(self, i, used=0, ts=0):
        fcntl.ioctl(self.fd, QBUF, self.buf(i, used, ts))

    def dqbuf(self):
        b = self.buf(0)
        try:
            fcntl.ioctl(self.fd, DQBUF, b)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EPIPE):
                return None, e.errno
            raise
        idx, _, _, flags = struct.unpack_from("<4I", b, 0)
        return idx, flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dev")
    ap.add_argument("file")
    ap.add_argument("--chunk", type=int, default=4096)
    ap.add_argument("--max-chunks", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--capture-first", action="store_true")
    ap.add_argument("--no-drain", action="store_true")
    ap.add_argument("--pace", type=float, default=0,
                    help="queue at most one chunk every PACE seconds")
    a = ap.parse_args()

    data = open(a.file, "rb").read()
    chunks = [data[i:i + a.chunk] for i in range(0, len(data), a.chunk)]
    if a.max_chunks:
        chunks = chunks[:a.max_chunks]
    fd = os.open(a.dev, os.O_RDWR | os.O_NONBLOCK)
    for ev in (EV_EOS, EV_SRC):
        fcntl.ioctl(fd, SUBSCRIBE, bytearray(struct.pack("<8I", ev, 0, 0, 0, 0, 0, 0, 0)))
    f = bytearray(208)
    struct.pack_into("<I", f, 0, OUT)
    struct.pack_into("<III", f, 8, 176, 144, H264)
    struct.pack_into("<I", f, 28, 256 * 1024)
    fcntl.ioctl(fd, S_FMT, f)
    out = Queue(fd, OUT, 4)
    cap = None

    def capture_setup():
        g = bytearray(208)
        struct.pack_into("<I", g, 0, CAP)
        fcntl.ioctl(fd, G_FMT, g)
        q = Queue(fd, CAP, 6)
        for i in q.free:
            q.qbuf(i)
        q.free = []
        fcntl.ioctl(fd, STREAMON, struct.pack("<I", CAP))
        return q

    if a.capture_first:
        cap = capture_setup()
    c = dict(out_done=0, out_error=0, cap_done=0, cap_error=0, last=0, eos=0,
             events=0)
    t0 = None
    t0_wall = 0.0
    first_err = -1.0
    nxt = 0
    next_at = 0.0
    drained = False
    streaming = False
    start = time.monotonic()
    end = "timeout"
    while time.monotonic() - start < a.timeout:
        while out.free and nxt < len(chunks) and time.monotonic() >= next_at:
            if a.pace:
                next_at = time.monotonic() + a.pace
            i = out.free.pop()
            ch = chunks[nxt]
            out.maps[i][0:len(ch)] = ch
            out.qbuf(i, len(ch), (nxt + 1) * 1000)
            if t0 is None:
                t0 = time.monotonic()
                t0_wall = time.time()
            nxt += 1
            if not streaming:
                fcntl.ioctl(fd, STREAMON, struct.pack("<I", OUT))
                streaming = True
        if nxt == len(chunks) and not drained and not a.no_drain and streaming:
            try:
                fcntl.ioctl(fd, DECODER_CMD, bytearray(struct.pack("<I", 1)) + bytearray(68))  # STOP
                drained = True
            except OSError as e:
                if e.errno != errno.EBUSY:
                    raise
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLOUT | select.POLLPRI)
        r = p.poll(100)
        mask = r[0][1] if r else 0
        if mask & select.POLLPRI:
            ev = bytearray(136)
            fcntl.ioctl(fd, DQEVENT, ev)
            typ = struct.unpack_from("<I", ev)[0]
            c["events"] += 1
            if typ == EV_EOS:
                c["eos"] = 1
            elif typ == EV_SRC and cap is None:
                cap = capture_setup()
        while True:
            idx, flags = out.dqbuf()
            if idx is None:
                break
            out.free.append(idx)
            if flags & F_ERROR:
                c["out_error"] += 1
                if first_err < 0:
                    first_err = time.monotonic() - t0
            else:
                c["out_done"] += 1
        while cap is not None:
            idx, flags = cap.dqbuf()
            if idx is None:
                if flags == errno.EPIPE:
                    c["last"] = 1
                break
            if flags & F_ERROR:
                c["cap_error"] += 1
                if first_err < 0:
                    first_err = time.monotonic() - t0
            else:
                c["cap_done"] += 1
            if flags & F_LAST:
                c["last"] = 1
                break
            cap.qbuf(idx)
        if c["last"]:
            end = "last"
            break
        if a.no_drain and nxt == len(chunks) and len(out.free) == out.count:
            end = "all back"
            break
    el = time.monotonic() - start
    print(" ".join(f"{k} {v}" for k, v in c.items()),
          f"first_error {first_err:.3f} elapsed {el:.3f} end {end}",
          f"first_qbuf_at {t0_wall:.3f}", flush=True)
    t = time.monotonic()
    fcntl.ioctl(fd, STREAMOFF, struct.pack("<I", OUT))
    if cap is not None:
        fcntl.ioctl(fd, STREAMOFF, struct.pack("<I", CAP))
    os.close(fd)
    print(f"streamoff+close {time.monotonic() - t:.3f}", flush=True)
    sys.exit(2 if end == "timeout" else 0)


if __name__ == "__main__":
    main()
