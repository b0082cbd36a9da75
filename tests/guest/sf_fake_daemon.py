#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/guest/sf_fake_daemon.py: a fake daemon for the stateful node.

Speaks protocol 6 through /dev/daedalus-v4l2 (HELLO with sf_codecs, FETCH,
SF_COMMIT) without decoding anything: every chunk with bytes is one
picture (its timestamp), the first chunk of a stream reports a fixed
SOURCE_CHANGE (--size, held until FORMAT comes), pictures are a pattern
written into the lent CAPTURE buffers, DRAIN ends with an empty LAST,
START/RESET/CAPTURE_OFF/FORMAT as docs/stateful-design.md section 3 says.
Stateless jobs are answered FAILED.

Hostile modes (--mode) send one bad answer at the first chance, print
"hostile MODE: refused" (EINVAL) or "hostile MODE: ACCEPTED", then behave:
  wrong-seq wrong-ctx out-of-order oversized early-picture last-outside-drain
  insane-sc stale-picture bad-header seen-beyond
  silent       fetch everything, never answer (no IDLE)
  silent-idle  fetch everything, answer only STATUS+IDLE (legitimate wait)

  sf_fake_daemon.py [--size WxH] [--mode MODE] [--codecs N] [--ready FILE]
"""
import argparse
import collections
import errno
import fcntl
import mmap
import os
import signal
import struct
import sys

MAGIC = 0x44414544
VERSION = 6
MSG_JOB, MSG_BUF_GONE, MSG_CTX_GONE, MSG_RESULT = 1, 2, 3, 4
MSG_SF_CHUNK, MSG_SF_LEND, MSG_SF_CMD, MSG_SF_ANSWER = 5, 6, 7, 8
CMD_DRAIN, CMD_START, CMD_RESET, CMD_CAPTURE_OFF, CMD_FORMAT = 1, 2, 3, 4, 5
CHUNK_DONE, PICTURE, CMD_DONE, SOURCE_CHANGE, STATUS = 1, 2, 3, 4, 5
F_LAST, F_IDLE = 1, 2
NEW_STREAM = 1
OK, CORRUPT, FAILED = 0, 1, 2
READ_SIZE = 12680


def iowr(nr, size):
    return (3 << 30) | (size << 16) | (0xDA << 8) | nr


IOC_HELLO = iowr(1, 32)
IOC_FETCH = iowr(2, 40)
IOC_SF_COMMIT = iowr(3, 32)
FOURCC_NV12 = struct.unpack("<I", b"NV12")[0]


def log(*a):
    print("sf_fake_daemon:", *a, flush=True)


def hdr(kind, size):
    return struct.pack("<IHHII", MAGIC, VERSION, kind, size, 0)


def answer(kind, seq, ctx, seen, ts=0, status=OK, flags=0, used=0, fseq=0,
           fmt=None):
    b = bytearray(112)
    b[0:16] = hdr(MSG_SF_ANSWER, 112)
    struct.pack_into("<QQQQIIIIII", b, 16, seq, ctx, seen, ts, kind, status,
                     flags, used, fseq, 0)
    if fmt:
        struct.pack_into("<6I4B", b, 72, *fmt)
    return b


class Ctx:
    def __init__(self, cid):
        self.id = cid
        self.seen = 0
        self.new_stream()
        self.lends = collections.deque()  # (seq, buf_id, length)
        self.fmt = None  # (format_seq, pixfmt, w, h, bpl, sizeimage)
        self.hold = False
        self.drc_last = False
        self.frame = 0

    def new_stream(self):
        self.chunks = collections.deque()  # (seq, ts, bytes)
        self.pics = collections.deque()  # ts
        self.reported = False
        self.wait_format = False
        self.draining = False


class Daemon:
    def __init__(self, args):
        self.args = args
        self.mode = args.mode
        self.hostile_done = self.mode in ("", "silent", "silent-idle")
        w, h = (int(x) for x in args.size.split("x"))
        cw, ch = (w + 15) & ~15, (h + 15) & ~15
        self.format = (cw, ch, w, h, 8, 4, 3, 1, 1, 2)  # REC709, 709, 709, LIM
        self.ctxs = {}
        self.fds = {}  # buf id -> fd
        self.maps = {}  # buf id -> mmap
        self.dev = os.open("/dev/daedalus-v4l2", os.O_RDWR)
        hello = bytearray(struct.pack("<4I4I", VERSION, args.stateless_codecs,
                                      1, args.codecs, 0, 0, 0, 0))
        fcntl.ioctl(self.dev, IOC_HELLO, hello)
        v, c, d, sf = struct.unpack_from("<4I", hello)
        log(f"attached: codecs 0x{c:x} sf_codecs 0x{sf:x} mode {self.mode or 'normal'}")
        self.granted = sf
        self.rbuf = bytearray(READ_SIZE)

    def keep_fd(self, buf_id, fd):
        if fd >= 0:
            old = self.fds.pop(buf_id, None)
            if old is not None:
                os.close(old)
            self.fds[buf_id] = fd

    def buf_gone(self, buf_id):
        m = self.maps.pop(buf_id, None)
        if m:
            m.close()
        fd = self.fds.pop(buf_id, None)
        if fd is not None:
            os.close(fd)

    def commit(self, answers):
        """Commit in order; a refused one is logged and skipped."""
        while answers:
            buf = bytearray(b"".join(answers))
            arg = bytearray(struct.pack("<QII4I", ctypes_addr(buf),
                                        len(answers), 0, 0, 0, 0, 0))
            try:
                fcntl.ioctl(self.dev, IOC_SF_COMMIT, arg)
                return True
            except OSError as e:
                taken = struct.unpack_from("<I", arg, 12)[0]
                bad = answers[taken]
                k, s = struct.unpack_from("<IQ", bad, 48)[0], struct.unpack_from("<Q", bad, 16)[0]
                log(f"answer kind {k} seq {s} refused ({e.strerror}); the rest resubmitted")
                answers = answers[taken + 1:]
        return True

    def hostile(self, bad):
        """Commit one bad answer alone: it must be refused with EINVAL."""
        self.hostile_done = True
        buf = bytearray(bad)
        arg = bytearray(struct.pack("<QII4I", ctypes_addr(buf), 1, 0, 0, 0, 0, 0))
        try:
            fcntl.ioctl(self.dev, IOC_SF_COMMIT, arg)
            log(f"hostile {self.mode}: ACCEPTED")
        except OSError as e:
            taken = struct.unpack_from("<I", arg, 12)[0]
            if e.errno == errno.EINVAL and taken == 0:
                log(f"hostile {self.mode}: refused")
            else:
                log(f"hostile {self.mode}: error {e.errno} taken {taken}")

    # -------------------------------------------------------------
    def record(self, rec):
        magic, ver, kind, size, _ = struct.unpack_from("<IHHII", rec)
        if kind == MSG_JOB:
            seq, cid = struct.unpack_from("<QQ", rec, 16)
            for off in (80, 104):
                bid, fd = struct.unpack_from("<Qi", rec, off)
                self.keep_fd(bid, fd)
            r = bytearray(48)
            r[0:16] = hdr(MSG_RESULT, 48)
            struct.pack_into("<QQII", r, 16, seq, cid, FAILED, 0)
            arg = bytearray(struct.pack("<QQIII3I", ctypes_addr(r), 0, 1, 0, 0, 0, 0, 0))
            try:
                fcntl.ioctl(self.dev, IOC_FETCH, arg)
            except OSError:
                pass
            return None
        if kind == MSG_BUF_GONE:
            self.buf_gone(struct.unpack_from("<Q", rec, 16)[0])
            return None
        if kind == MSG_CTX_GONE:
            self.ctxs.pop(struct.unpack_from("<Q", rec, 16)[0], None)
            return None
        seq, cid = struct.unpack_from("<QQ", rec, 16)
        c = self.ctxs.get(cid)
        if not c:
            c = self.ctxs[cid] = Ctx(cid)
        c.seen = max(c.seen, seq)
        out = []
        if kind == MSG_SF_CHUNK:
            ts, codec, flags = struct.unpack_from("<QII", rec, 32)
            bid, fd, length, off, used = struct.unpack_from("<QiIII", rec, 56)
            self.keep_fd(bid, fd)
            if flags & NEW_STREAM:
                c.new_stream()
            c.chunks.append((seq, ts, used))
        elif kind == MSG_SF_LEND:
            bid, fd, length = struct.unpack_from("<QiI", rec, 32)
            self.keep_fd(bid, fd)
            c.lends.append((seq, bid, length))
        elif kind == MSG_SF_CMD:
            cmd, fseq, drc = struct.unpack_from("<III", rec, 32)
            if cmd == CMD_DRAIN:
                c.draining = True
            elif cmd == CMD_START:
                c.hold = False
            elif cmd == CMD_RESET:
                c.chunks.clear()
                c.pics.clear()
                c.wait_format = False
                c.reported = c.fmt is not None
            elif cmd == CMD_CAPTURE_OFF:
                c.lends.clear()
                c.draining = False
                c.drc_last = False
            elif cmd == CMD_FORMAT:
                pf, w, h, bpl, si = struct.unpack_from("<5I", rec, 48)
                c.fmt = (fseq, pf, w, h, bpl, si)
                c.wait_format = False
                if drc:
                    c.drc_last = True
                    c.hold = True
            out.append(answer(CMD_DONE, seq, cid, c.seen))
        if self.mode == "silent":
            return None
        if self.mode == "silent-idle":
            return [answer(STATUS, 0, cid, c.seen, flags=F_IDLE)]
        if not self.hostile_done:
            self.try_hostile(c)
        out += self.step(c)
        if out:
            struct.pack_into("<I", out[-1], 56,
                             struct.unpack_from("<I", out[-1], 56)[0] | F_IDLE)
        else:
            out.append(answer(STATUS, 0, cid, c.seen, flags=F_IDLE))
        return out

    def try_hostile(self, c):
        m, s = self.mode, c.seen
        if m == "wrong-seq" and c.chunks:
            self.hostile(answer(CHUNK_DONE, c.chunks[0][0] + 100000, c.id, s))
        elif m == "wrong-ctx" and c.chunks:
            self.hostile(answer(CHUNK_DONE, c.chunks[0][0], c.id + 1000, s))
        elif m == "out-of-order" and len(c.chunks) >= 2:
            self.hostile(answer(CHUNK_DONE, c.chunks[1][0], c.id, s))
        elif m == "oversized" and c.fmt and c.lends:
            self.hostile(answer(PICTURE, c.lends[0][0], c.id, s,
                                used=c.fmt[5] + 4096, fseq=c.fmt[0]))
        elif m == "early-picture" and not c.fmt and c.lends:
            self.hostile(answer(PICTURE, c.lends[0][0], c.id, s, used=4096,
                                fseq=1))
        elif m == "last-outside-drain" and c.fmt and c.lends and not c.draining:
            self.hostile(answer(PICTURE, c.lends[0][0], c.id, s, used=0,
                                flags=F_LAST, fseq=c.fmt[0]))
        elif m == "insane-sc" and c.chunks:
            f = list(self.format)
            f[0], f[2] = 5000, 6000
            self.hostile(answer(SOURCE_CHANGE, c.chunks[0][0], c.id, s, fmt=f))
        elif m == "bad-header" and c.chunks:
            a = answer(CHUNK_DONE, c.chunks[0][0], c.id, s)
            struct.pack_into("<H", a, 4, 5)
            self.hostile(a)
        elif m == "seen-beyond" and c.chunks:
            self.hostile(answer(STATUS, 0, c.id, s + 1000))
        elif m == "stale-picture" and getattr(c, "last_pic", None):
            self.hostile(c.last_pic)

    def step(self, c):
        out = []
        while True:
            if c.chunks and not c.reported:
                out.append(answer(SOURCE_CHANGE, c.chunks[0][0], c.id, c.seen,
                                  fmt=self.format))
                c.reported = True
                c.wait_format = True
                continue
            if c.chunks and not c.wait_format and len(c.pics) < 4:
                seq, ts, used = c.chunks.popleft()
                out.append(answer(CHUNK_DONE, seq, c.id, c.seen))
                if used:
                    c.pics.append(ts)
                continue
            if c.drc_last and c.lends:
                seq, bid, length = c.lends.popleft()
                out.append(answer(PICTURE, seq, c.id, c.seen, flags=F_LAST,
                                  fseq=c.fmt[0]))
                c.drc_last = False
                continue
            if c.fmt and not c.hold and c.lends and c.pics:
                seq, bid, length = c.lends.popleft()
                ts = c.pics.popleft()
                used = self.paint(c, bid, length)
                a = answer(PICTURE, seq, c.id, c.seen, ts=ts,
                           status=OK if used else FAILED, used=used,
                           fseq=c.fmt[0])
                out.append(a)
                c.last_pic = a
                continue
            if (c.draining and not c.chunks and not c.pics and c.lends and
                    not c.wait_format and not c.drc_last):
                seq, bid, length = c.lends.popleft()
                out.append(answer(PICTURE, seq, c.id, c.seen, flags=F_LAST,
                                  fseq=c.fmt[0] if c.fmt else 0))
                c.draining = False
                continue
            return out

    def paint(self, c, bid, length):
        fseq, pf, w, h, bpl, si = c.fmt
        if length < si or bid not in self.fds:
            return 0
        m = self.maps.get(bid)
        if m is None or len(m) < si:
            m = self.maps[bid] = mmap.mmap(self.fds[bid], length)
        c.frame += 1
        y = bpl * h
        m[0:y] = bytes([(c.frame * 7) & 0xff]) * y
        m[y:si] = b"\x80" * (si - y)
        return si

    def run(self):
        if self.args.ready:
            open(self.args.ready, "w").close()
        while True:
            try:
                arg = bytearray(struct.pack("<QQIII3I", 0, ctypes_addr(self.rbuf),
                                            0, READ_SIZE, 0, 0, 0, 0))
                n = fcntl.ioctl(self.dev, IOC_FETCH, arg)
            except InterruptedError:
                continue
            rec = bytes(self.rbuf[:READ_SIZE])
            out = self.record(rec)
            if out:
                self.commit(out)


_keep = []


def ctypes_addr(buf):
    import ctypes
    c = (ctypes.c_char * len(buf)).from_buffer(buf)
    _keep.append(c)
    if len(_keep) > 64:
        del _keep[:32]
    return ctypes.addressof(c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="176x144")
    ap.add_argument("--mode", default="")
    ap.add_argument("--codecs", type=lambda x: int(x, 0), default=0xe)
    ap.add_argument("--stateless-codecs", type=lambda x: int(x, 0), default=0)
    ap.add_argument("--ready")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    Daemon(args).run()


if __name__ == "__main__":
    main()
