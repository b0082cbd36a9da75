#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Jobs recorded from GStreamer in the guest, replayed on the host, md5-exact.

    tests/suite-replay.py [--replay BIN] [--keep DIR] [--yuv420] [--threads N]
                          [--one-in-flight] REC

REC is what tests/guest/39-vpx-record.test (VP9/VP8) or
42-av1-record.test (AV1) leaves in its results (dd_record in
tests/guest/daedalus-lib.sh): a file MANIFEST (one "SUITE VECTOR" a line:
every recording it meant to make) and REC/SUITE/VECTOR/, the
`daedalusd --record` directory of that vector's decode through GStreamer's
v4l2slvp9dec / v4l2slvp8dec / v4l2slav1dec and our device.

Each recording is replayed with daedalus-replay --backend vp9|vp8|av1
--frames (on the host): every job must be answered OK. The frames a
client displays are then put together as fluster hashes them (all shown
frames, in order, cropped to the shown size, planar I420 / I420_10LE), and
their md5 must be the suite's expected md5 (suites/SUITE.json in
../shared/vectors or build/vectors).

Which frames are shown comes from the vector's IVF stream, frame by frame
(headers read by tests/vectors/vpx-headers.py and av1-headers.py; VP9
superframes split, AV1 temporal units split into frames): a frame with
show_frame = 0 is decoded but not shown; a VP9 or AV1 show_existing_frame
is never a job (GStreamer shows the slot's picture again itself): the
picture of the job that last refreshed that slot is shown again (an AV1
key frame shown so refreshes every slot with itself). The n-th decoded
frame of the stream must be the n-th job, byte for byte (its recorded
.bin; for AV1 the payloads of the frame's frame and tile group OBUs, which
is what v4l2slav1dec puts in the OUTPUT buffer).

--yuv420 replays the NV12 jobs as YUV420 ones (daedalus-replay --yuv420):
the pictures a client that chose YUV420 would get, checked the same way;
an AV1 vector of 8-bit 4:2:0 (output_format yuv420p) must then copy 0
bytes per job: dav1d decodes in place (issue 11).

--threads N gives the decoder N cores (daedalus-replay --threads): the AV1
decoder then decodes ceil(sqrt(N)) frames at once and holds that many
jobs, the VP9 one 2 (N >= 2), as in the daemon.  --one-in-flight answers
each job before the next comes (daedalus-replay --one-in-flight): a
decoder holding jobs must then finish each without a later one.

Exit status 0 only if every listed recording exists, replays and matches;
1 otherwise (also when nothing was compared); 2 for bad usage.
"""
import argparse
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
ROOTS = (os.environ.get("DAEDALUS_SHARED", os.path.join(REPO, "..", "shared")) + "/vectors",
         os.path.join(REPO, "build", "vectors"))
BACKENDS = {"VP9": "vp9", "VP8": "vp8", "AV1": "av1"}
HEADERS = os.path.join(REPO, "tests", "vectors")


def load_headers(name):
    """tests/vectors/NAME.py, a header reader, as a module."""
    if HEADERS not in sys.path:
        sys.path.insert(0, HEADERS)  # for their shared ivfbits
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"),
                                                  os.path.join(HEADERS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stream_frames(codec, path):
    """Per coded frame: (bytes, show_existing slot or None, shown, refresh)."""
    if codec == "AV1":
        for f in load_headers("av1-headers").frames(path):
            if f["spatial_layers"] > 1:
                raise ValueError(f"{path}: spatial layers (GStreamer shows only the highest one): not modelled")
            yield f["data"], f["show_existing"], f["show"], f["refresh"]
        return
    vh = load_headers("vpx-headers")
    fourcc, packets = vh.ivf_frames(path)
    if fourcc != codec + "0":
        raise ValueError(f"{path}: fourcc {fourcc}, not {codec}")
    vp9 = vh.VP9State()
    for pkt in packets:
        if codec == "VP8":
            if not pkt:
                raise ValueError(f"{path}: an empty VP8 frame (not supported here)")
            yield pkt, None, vh.vp8_frame(pkt, None)["show"], 0
            continue
        for frame in vh.vp9_split_superframe(pkt):
            h = vp9.frame(frame)
            if "show_existing" in h:
                yield frame, h["show_existing"], 1, 0
            else:
                yield frame, None, h["show"], h["refresh"]


def find_suite(suite):
    for root in ROOTS:
        path = os.path.join(root, "suites", suite + ".json")
        if os.path.isfile(path):
            with open(path) as f:
                return root, json.load(f)
    raise ValueError(f"no suite {suite} in {' or '.join(ROOTS)}")


def check_one(replay, rec, suite, name, work, extra):
    """Replays one recording; returns (ok, message)."""
    root, js = find_suite(suite)
    codec = js.get("codec")
    if codec not in BACKENDS:
        return False, f"codec {codec}: no replay check for it"
    vec = [t for t in js["test_vectors"] if t["name"] == name]
    if not vec:
        return False, f"no vector {name} in {suite}"
    vec = vec[0]
    ctxs = [d for d in sorted(glob.glob(os.path.join(rec, "ctx*")))
            if glob.glob(os.path.join(d, "*.job"))]
    if len(ctxs) != 1:
        return False, f"{len(ctxs)} recorded contexts with jobs in {rec} (want 1)"
    jobs = sorted(glob.glob(os.path.join(ctxs[0], "*.job")))
    frames = os.path.join(work, suite, name)
    os.makedirs(frames, exist_ok=True)
    p = subprocess.run([replay, "--backend", BACKENDS[codec], "--frames", frames, *extra, ctxs[0]],
                       capture_output=True, text=True)
    lines = [line.split() for line in p.stdout.splitlines()]
    if p.returncode != 0 or len(lines) != len(jobs):
        return False, f"daedalus-replay status {p.returncode}, {len(lines)} lines for {len(jobs)} jobs: {p.stderr.strip()[-300:]}"
    bad = [line for line in lines if line[1] != "OK"]
    if bad:
        return False, f"{len(bad)} of {len(jobs)} jobs not OK, first: {' '.join(bad[0])}"
    seqs = [line[0] for line in lines]
    copied = sum(int(line[4]) for line in lines)
    in_place = "--yuv420" in extra and codec == "AV1" and vec.get("output_format") == "yuv420p"
    if in_place and copied:
        return False, f"{copied} picture bytes copied in {len(jobs)} jobs (0 wanted: decoded in place)"

    slots, shown, n = [None] * 8, [], 0
    src = os.path.join(root, suite, name, vec["input_file"])
    for data, existing, show, refresh in stream_frames(codec, src):
        if existing is not None:
            if slots[existing] is None:
                return False, f"show_existing_frame of the empty slot {existing}"
            shown.append(slots[existing])
            slots = [slots[existing] if refresh >> i & 1 else old for i, old in enumerate(slots)]
            continue
        if n >= len(seqs):
            return False, f"the stream has more decoded frames than the {len(seqs)} jobs"
        with open(jobs[n][:-4] + ".bin", "rb") as f:
            if f.read() != data:
                return False, f"job {seqs[n]} is not the stream's decoded frame {n}"
        if show:
            shown.append(seqs[n])
        for i in range(8):
            if refresh >> i & 1:
                slots[i] = seqs[n]
        n += 1
    if n != len(seqs):
        return False, f"{len(seqs)} jobs for {n} decoded frames of the stream"
    md5 = hashlib.md5()
    for seq in shown:
        with open(os.path.join(frames, f"{int(seq):08d}.yuv"), "rb") as f:
            md5.update(f.read())
    got, want = md5.hexdigest(), vec["result"]
    msg = (f"{len(jobs)} jobs, {len(shown)} frames shown, {copied // len(jobs)} bytes copied per job, "
           f"md5 {got} (suite {want})")
    return got == want, msg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replay", default=os.path.join(REPO, "build/host/tools/daedalus-replay"))
    ap.add_argument("--keep", help="keep the replayed frames in this directory")
    ap.add_argument("--yuv420", action="store_true", help="replay NV12 jobs as YUV420 ones")
    ap.add_argument("--threads", type=int, default=1, help="cores for the decoder")
    ap.add_argument("--one-in-flight", action="store_true",
                    help="each job answered before the next comes")
    ap.add_argument("rec")
    a = ap.parse_args()
    manifest = os.path.join(a.rec, "MANIFEST")
    if not os.path.isfile(manifest):
        print(f"suite-replay: no {manifest} (did tests/guest/39-vpx-record.test / 42-av1-record.test run?)")
        return 1
    if not os.access(a.replay, os.X_OK):
        print(f"suite-replay: no {a.replay} (make)")
        return 1
    with open(manifest) as f:
        entries = [line.split() for line in f if line.strip()]
    if any(len(e) != 2 for e in entries):
        print(f"suite-replay: {manifest}: a line is not \"SUITE VECTOR\"")
        return 1
    work = a.keep or tempfile.mkdtemp(prefix="dd-suite-replay-")
    ok = bad = 0
    try:
        for suite, name in entries:
            rec = os.path.join(a.rec, suite, name)
            try:
                if not os.path.isdir(rec):
                    good, msg = False, f"no recording {rec}"
                else:
                    good, msg = check_one(a.replay, rec, suite, name, work,
                                          (["--yuv420"] if a.yuv420 else []) +
                                          ["--threads", str(a.threads)] +
                                          (["--one-in-flight"] if a.one_in_flight else []))
            except (OSError, ValueError, IndexError, KeyError, SystemExit) as e:
                good, msg = False, str(e)
            print(f"{'ok  ' if good else 'FAIL'} {suite}/{name}: {msg}")
            ok, bad = ok + good, bad + (not good)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"suite-replay: {ok} of {ok + bad} recordings md5-exact against their suites")
    return 0 if ok and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
