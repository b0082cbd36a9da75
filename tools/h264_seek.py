#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Flushing seeks through GStreamer's v4l2slh264dec, checked byte for byte.

    tools/h264_seek.py [--decoder ELEMENT] [--work DIR] [--keep] [--negative]

Makes a clip at run time (ffmpeg: testsrc2, libx264, 320x240, 25 fps, 100
frames, an IDR every 25 frames, B frames, in MP4), decodes it with
libavcodec (the ffmpeg CLI) into NV12 as the reference, then plays it
through

    filesrc ! qtdemux ! h264parse ! ELEMENT ! video/x-raw,format=NV12 !
    multifilesink (one file per frame, sync=true)

and, mid-stream, does two flushing key-unit seeks (forward to 2.7 s, then
back to 1.2 s). A flushing seek makes the decoder drop its queued requests
and restart both V4L2 queues (GStreamer: STREAMOFF/STREAMON). The frames
written before the first seek, between the seeks and after the second seek
are three runs; each must be byte-exact with consecutive reference frames,
the second and third starting at the IDR the seek snapped to (or later, up
to the seek target) and the last one running to the end of the clip.

ELEMENT is v4l2slh264dec (the stateless node) or v4l2h264dec (the stateful
one, which takes the STREAMOFF/STREAMON of OUTPUT as a seek). --negative
also checks the same frames against the reference shifted by one frame
either way, which must fail (the check can fail). With --work the clip
(clip.mp4) and the reference (ref.nv12) stay there.

GStreamer is driven through ctypes (no python3-gi needed). Exit status 0 =
pass, 1 = mismatch or error, 77 = a tool is missing.
"""
import argparse
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

W, H, FPS, N, GOP = 320, 240, 25, 100, 25
FRAME = W * H * 3 // 2
SEEKS = (2.7, 1.2)              # seconds: forward into the 3rd GOP, then back into the 2nd


def log(*a):
    print("h264_seek:", *a, flush=True)


class Gst:
    GST_STATE_NULL, GST_STATE_PLAYING = 1, 4
    GST_MESSAGE_EOS, GST_MESSAGE_ERROR = 1 << 0, 1 << 1
    GST_FORMAT_TIME = 3
    SEEK_FLUSH, SEEK_KEY_UNIT, SEEK_SNAP_BEFORE = 1, 4, 32
    SECOND = 1000000000

    class GError(ctypes.Structure):
        _fields_ = [("domain", ctypes.c_uint32), ("code", ctypes.c_int),
                    ("message", ctypes.c_char_p)]

    def __init__(self):
        g = ctypes.CDLL("libgstreamer-1.0.so.0")
        vp, u64, i64 = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64
        g.gst_init.argtypes = [vp, vp]
        g.gst_parse_launch.restype = vp
        g.gst_parse_launch.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
        g.gst_element_set_state.argtypes = [vp, ctypes.c_int]
        g.gst_element_get_state.argtypes = [vp, vp, vp, u64]
        g.gst_element_get_bus.restype = vp
        g.gst_element_get_bus.argtypes = [vp]
        g.gst_bus_timed_pop_filtered.restype = vp
        g.gst_bus_timed_pop_filtered.argtypes = [vp, u64, ctypes.c_int]
        g.gst_message_get_structure.restype = vp
        g.gst_message_get_structure.argtypes = [vp]
        g.gst_message_parse_error.argtypes = [vp, ctypes.POINTER(vp), ctypes.POINTER(ctypes.c_char_p)]
        g.gst_element_seek_simple.argtypes = [vp, ctypes.c_int, ctypes.c_int, i64]
        g.gst_element_seek_simple.restype = ctypes.c_int
        g.gst_mini_object_unref.argtypes = [vp]
        g.gst_object_unref.argtypes = [vp]
        g.gst_init(None, None)
        self.g = g

    def launch(self, desc):
        err = ctypes.c_void_p()
        p = self.g.gst_parse_launch(desc.encode(), ctypes.byref(err))
        if not p or err.value:
            raise RuntimeError("gst_parse_launch failed: " + desc)
        self.pipe, self.bus = p, self.g.gst_element_get_bus(p)

    def state(self, s, wait=30):
        self.g.gst_element_set_state(self.pipe, s)
        return self.g.gst_element_get_state(self.pipe, None, None, int(wait * self.SECOND))

    def poll(self, timeout):
        """None, 'eos' or ('error', text)."""
        m = self.g.gst_bus_timed_pop_filtered(self.bus, int(timeout * self.SECOND),
                                              self.GST_MESSAGE_EOS | self.GST_MESSAGE_ERROR)
        if not m:
            return None
        if not self.g.gst_message_get_structure(m):     # EOS carries none
            self.g.gst_mini_object_unref(m)
            return "eos"
        e, dbg = ctypes.c_void_p(), ctypes.c_char_p()
        self.g.gst_message_parse_error(m, ctypes.byref(e), ctypes.byref(dbg))
        text = ctypes.cast(e, ctypes.POINTER(self.GError)).contents.message.decode()
        self.g.gst_mini_object_unref(m)
        return ("error", text + " (" + (dbg.value or b"").decode(errors="replace") + ")")

    def seek(self, secs):
        return self.g.gst_element_seek_simple(
            self.pipe, self.GST_FORMAT_TIME,
            self.SEEK_FLUSH | self.SEEK_KEY_UNIT | self.SEEK_SNAP_BEFORE,
            int(secs * self.SECOND))

    def close(self):
        self.state(self.GST_STATE_NULL)
        self.g.gst_object_unref(self.bus)
        self.g.gst_object_unref(self.pipe)


def frames_written(d):
    return len([f for f in os.listdir(d) if f.endswith(".nv12")])


def verify(runs, refs, index, shift, say):
    """Each run byte-exact with consecutive reference frames from the one
    its first frame equals (plus @shift), starting where the seek must
    land; the last run reaching the end."""
    ok = True
    for r, (frames, target) in enumerate(zip(runs, (None,) + SEEKS)):
        if not frames:
            say(f"run {r}: no frames")
            ok = False
            continue
        first = index.get(frames[0])
        if first is None:
            say(f"run {r}: first frame matches no reference frame")
            ok = False
            continue
        first += shift
        bad = [i for i, h in enumerate(frames)
               if not 0 <= first + i < N or refs[first + i] != h]
        if target is None:
            lo, hi = 0, 0
        else:
            t = int(target * FPS)
            lo, hi = t - t % GOP, t           # the IDR at or before the target .. target
        where = f"frames {first}..{first + len(frames) - 1}"
        if bad:
            say(f"run {r}: {where}: {len(bad)} of {len(frames)} not byte-exact, first at output frame {bad[0]}")
            ok = False
        elif not lo <= first <= hi:
            say(f"run {r}: {where}: starts at {first}, expected {lo}..{hi} (IDR {lo})")
            ok = False
        elif r == 2 and first + len(frames) != N:
            say(f"run {r}: {where}: does not reach the end ({N - 1})")
            ok = False
        else:
            say(f"run {r}: {where} byte-exact" + (f" (seek to {target} s, IDR at frame {lo})" if target else ""))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--decoder", default="v4l2slh264dec")
    ap.add_argument("--work", help="directory for the clip and the frames")
    ap.add_argument("--keep", action="store_true", help="keep the frames")
    ap.add_argument("--i420", action="store_true",
                    help="compare I420 frames (videoconvert after the decoder: for elements that push "
                         "padded strides with a video meta, which multifilesink would write as they are)")
    ap.add_argument("--negative", action="store_true",
                    help="also check that the frames fail against the reference shifted by +-1 frame")
    a = ap.parse_args()
    for tool in ("ffmpeg",):
        if not shutil.which(tool):
            log(tool, "missing")
            return 77
    work = a.work or tempfile.mkdtemp(prefix="h264_seek.")
    os.makedirs(work, exist_ok=True)
    clip, ref = os.path.join(work, "clip.mp4"), os.path.join(work, "ref.nv12")
    out = os.path.join(work, "frames")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    # the clip and libavcodec's decode of it (reference), at run time
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={W}x{H}:rate={FPS}", "-frames:v", str(N),
                    "-c:v", "libx264", "-preset", "fast", "-g", str(GOP),
                    "-keyint_min", str(GOP), "-sc_threshold", "0", "-bf", "2",
                    "-pix_fmt", "yuv420p", clip], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", clip, "-f", "rawvideo",
                    "-pix_fmt", "yuv420p" if a.i420 else "nv12", ref], check=True)
    data = open(ref, "rb").read()
    refs = [hashlib.md5(data[i * FRAME:(i + 1) * FRAME]).hexdigest()
            for i in range(len(data) // FRAME)]
    if len(refs) != N:
        log(f"reference has {len(refs)} frames, expected {N}")
        return 1
    index = {}
    for i, h in enumerate(refs):
        index.setdefault(h, i)
    if len(index) != N:
        log("reference frames are not all distinct: cannot place the output")
        return 1

    gst = Gst()
    caps = ("videoconvert dither=none ! video/x-raw,format=I420" if a.i420
            else "video/x-raw,format=NV12")
    gst.launch(f"filesrc location={clip} ! qtdemux ! h264parse ! {a.decoder} ! {caps} ! "
               f"multifilesink location={out}/f%05d.nv12 sync=true")
    bounds = []
    try:
        gst.state(Gst.GST_STATE_PLAYING)
        waits = (20, 10)
        for secs, want in zip(SEEKS, waits):
            start = bounds[-1] if bounds else 0
            t0 = time.time()
            while frames_written(out) < start + want:
                r = gst.poll(0.02)
                if r:
                    log("before seek to", secs, "s:", r)
                    return 1
                if time.time() - t0 > 120:
                    log(f"no progress: {frames_written(out)} frames after 120 s")
                    return 1
            if not gst.seek(secs):
                log("seek to", secs, "s refused")
                return 1
            bounds.append(frames_written(out))
            log(f"flushing seek to {secs} s after {bounds[-1]} frames")
        r = gst.poll(300)
        if r != "eos":
            log("after the last seek:", r or "no EOS within 300 s")
            return 1
    finally:
        gst.close()

    names = sorted(f for f in os.listdir(out) if f.endswith(".nv12"))
    got = []
    for n in names:
        b = open(os.path.join(out, n), "rb").read()
        got.append(hashlib.md5(b).hexdigest() if len(b) == FRAME else "size %d" % len(b))
    runs = [got[:bounds[0]], got[bounds[0]:bounds[1]], got[bounds[1]:]]
    ok = verify(runs, refs, index, 0, log)
    if a.negative:
        # the check itself must be able to fail: the same frames against
        # the reference one frame later and one frame earlier
        for shift in (1, -1):
            msgs = []
            if verify(runs, refs, index, shift, msgs.append):
                log(f"negative control: shift {shift:+d} passed too: the check cannot fail")
                ok = False
            else:
                log(f"negative control: shift {shift:+d} fails as it must:", "; ".join(msgs))
    if not a.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
