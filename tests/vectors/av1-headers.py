#!/usr/bin/env python3
"""The frames of an AV1 IVF stream, as a V4L2 stateless client sends them.

    av1-headers.py [-v] FILE.ivf

Prints one summary line (key=value); -v also prints one line per frame.

Only what decides which frames become decode jobs and which pictures are
shown is read (AV1 spec sections 5.3, 5.5 and 5.9.2): OBU headers, the
sequence header up to its bit depth, and each uncompressed frame header up
to refresh_frame_flags (plus frame_refs_short_signaling of inter frames).
OBUs outside operating point 0 are dropped (spec 7.5), as GStreamer's
parser does.
"""
import sys

from ivfbits import Bits, ivf_frames

OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER, OBU_FRAME_HEADER = 1, 2, 3
OBU_TILE_GROUP, OBU_FRAME = 4, 6
KEY_FRAME, INTER_FRAME, INTRA_ONLY_FRAME, SWITCH_FRAME = range(4)
TYPES = ("key", "inter", "intra_only", "switch")
ALL_FRAMES = 0xFF
SELECT = 2  # SELECT_SCREEN_CONTENT_TOOLS, SELECT_INTEGER_MV


def leb128(data, pos):
    value = 0
    for i in range(8):
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise ValueError("leb128 longer than 8 bytes")


def uvlc(b):
    zeros = 0
    while not b.f(1):
        zeros += 1
    if zeros >= 32:
        return (1 << 32) - 1
    return b.f(zeros) + (1 << zeros) - 1


def obus(packet):
    """(type, extension flag, temporal_id, spatial_id, payload) of each OBU
    of a packet."""
    pos = 0
    while pos < len(packet):
        hdr = packet[pos]
        if hdr & 0x80:
            raise ValueError("obu_forbidden_bit set")
        otype, ext, has_size = (hdr >> 3) & 15, (hdr >> 2) & 1, (hdr >> 1) & 1
        pos += 1
        tid = sid = 0
        if ext:
            tid, sid = packet[pos] >> 5, (packet[pos] >> 3) & 3
            pos += 1
        if has_size:
            size, pos = leb128(packet, pos)
        else:
            size = len(packet) - pos
        if pos + size > len(packet):
            raise ValueError("OBU larger than its packet")
        yield otype, ext, tid, sid, packet[pos:pos + size]
        pos += size


class Sequence:
    """The sequence header fields the frame headers depend on."""

    def __init__(self, payload):
        b = Bits(payload)
        self.profile = b.f(3)
        b.f(1)  # still_picture
        self.reduced = b.f(1)
        self.decoder_model = self.equal_interval = 0
        self.op_idc, self.op_model = [0], [0]
        if self.reduced:
            b.f(5)  # seq_level_idx[0]
        else:
            if b.f(1):  # timing_info_present_flag
                b.f(32)
                b.f(32)
                self.equal_interval = b.f(1)
                if self.equal_interval:
                    uvlc(b)
                self.decoder_model = b.f(1)
                if self.decoder_model:
                    self.buffer_delay_len = b.f(5) + 1
                    b.f(32)
                    self.removal_time_len = b.f(5) + 1
                    self.presentation_time_len = b.f(5) + 1
            initial_display_delay = b.f(1)
            self.op_idc, self.op_model = [], []
            for _ in range(b.f(5) + 1):
                self.op_idc.append(b.f(12))
                if b.f(5) > 7:
                    b.f(1)  # seq_tier
                model = 0
                if self.decoder_model:
                    model = b.f(1)
                    if model:
                        b.f(2 * self.buffer_delay_len + 1)
                self.op_model.append(model)
                if initial_display_delay and b.f(1):
                    b.f(4)
        wbits, hbits = b.f(4) + 1, b.f(4) + 1
        self.max_size = (b.f(wbits) + 1, b.f(hbits) + 1)
        self.frame_id_len = 0
        if not self.reduced and b.f(1):  # frame_id_numbers_present_flag
            delta = b.f(4) + 2
            self.frame_id_len = b.f(3) + 1 + delta
        b.f(3)  # use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
        self.order_hint_bits = 0
        self.force_sct, self.force_mv = SELECT, SELECT
        if not self.reduced:
            b.f(4)  # interintra, masked compound, warped motion, dual filter
            order_hint = b.f(1)
            if order_hint:
                b.f(2)  # enable_jnt_comp, enable_ref_frame_mvs
            self.force_sct = SELECT if b.f(1) else b.f(1)
            if self.force_sct > 0:
                self.force_mv = SELECT if b.f(1) else b.f(1)
            if order_hint:
                self.order_hint_bits = b.f(3) + 1
        b.f(3)  # enable_superres, enable_cdef, enable_restoration
        high = b.f(1)
        self.bitdepth = 8
        if self.profile == 2 and high:
            self.bitdepth = 12 if b.f(1) else 10
        elif high:
            self.bitdepth = 10


def frame_header(seq, b, tid, sid, ref_type):
    """The start of an uncompressed header (spec 5.9.2) as a dict."""
    if seq.reduced:
        return dict(show_existing=None, type=KEY_FRAME, show=1, refresh=ALL_FRAMES)
    if b.f(1):  # show_existing_frame
        idx = b.f(3)
        if seq.decoder_model and not seq.equal_interval:
            b.f(seq.presentation_time_len)
        # a shown key frame refreshes every slot with itself (spec 7.21)
        refresh = ALL_FRAMES if ref_type[idx] == KEY_FRAME else 0
        return dict(show_existing=idx, type=ref_type[idx], show=1, refresh=refresh)
    ftype, show = b.f(2), b.f(1)
    if show and seq.decoder_model and not seq.equal_interval:
        b.f(seq.presentation_time_len)
    if not show:
        b.f(1)  # showable_frame
    error_res = 1 if ftype == SWITCH_FRAME or (ftype == KEY_FRAME and show) else b.f(1)
    b.f(1)  # disable_cdf_update
    sct = b.f(1) if seq.force_sct == SELECT else seq.force_sct
    if sct and seq.force_mv == SELECT:
        b.f(1)  # force_integer_mv
    b.f(seq.frame_id_len)  # current_frame_id
    if ftype != SWITCH_FRAME:
        b.f(1)  # frame_size_override_flag
    b.f(seq.order_hint_bits)
    intra = ftype in (KEY_FRAME, INTRA_ONLY_FRAME)
    if not (intra or error_res):
        b.f(3)  # primary_ref_frame
    if seq.decoder_model and b.f(1):  # buffer_removal_time_present_flag
        for idc, model in zip(seq.op_idc, seq.op_model):
            if model and (not idc or (idc >> tid & 1 and idc >> (sid + 8) & 1)):
                b.f(seq.removal_time_len)
    if ftype == SWITCH_FRAME or (ftype == KEY_FRAME and show):
        refresh = ALL_FRAMES
    else:
        refresh = b.f(8)
    short = 0
    if ftype == INTER_FRAME or ftype == SWITCH_FRAME:
        if error_res and seq.order_hint_bits:
            b.f(8 * seq.order_hint_bits)  # ref_order_hint[]
        if seq.order_hint_bits:
            short = b.f(1)
    return dict(show_existing=None, type=ftype, show=show, refresh=refresh,
                refs_short_signaling=short)


def frames(path):
    """Per frame of the stream, in decode order: its frame header (dict)
    plus "data", the payloads of its frame / tile group OBUs back to back
    (what GStreamer's v4l2slav1dec puts in the OUTPUT buffer; empty for a
    show_existing_frame), and "bitdepth"."""
    fourcc, packets = ivf_frames(path)
    if fourcc != "AV01":
        raise ValueError(f"{path}: fourcc {fourcc}, not AV01")
    seq, cur = None, None
    ref_type = [None] * 8
    for pkt in packets:
        for otype, ext, tid, sid, payload in obus(pkt):
            if otype == OBU_SEQUENCE_HEADER:
                seq = Sequence(payload)
                continue
            idc = seq.op_idc[0] if seq else 0
            if ext and idc and not (idc >> tid & 1 and idc >> (sid + 8) & 1):
                continue
            if otype in (OBU_FRAME_HEADER, OBU_FRAME):
                if seq is None:
                    raise ValueError(f"{path}: a frame before any sequence header")
                if cur:
                    yield cur
                cur = frame_header(seq, Bits(payload), tid, sid, ref_type)
                cur.update(data=b"", bitdepth=seq.bitdepth, spatial_layers=idc >> 8)
                for i in range(8):
                    if cur["refresh"] >> i & 1:
                        ref_type[i] = cur["type"]
            if otype in (OBU_FRAME, OBU_TILE_GROUP):
                if cur is None:
                    raise ValueError(f"{path}: a tile group without a frame header")
                cur["data"] += payload
    if cur:
        yield cur


def summary(path, verbose):
    s = dict(frames=0, jobs=0, shown=0, hidden=0, show_existing=0, key=0, inter=0,
             intra_only=0, switch=0, refs_short_signaling=0, bitdepth=set())
    for n, f in enumerate(frames(path)):
        if verbose:
            print(f"frame {n}: " + " ".join(f"{k}={v}" for k, v in f.items() if k != "data")
                  + f" bytes={len(f['data'])}")
        s["frames"] += 1
        s["bitdepth"].add(f["bitdepth"])
        if f["show_existing"] is not None:
            s["show_existing"] += 1
            s["shown"] += 1
            continue
        s["jobs"] += 1
        s["shown" if f["show"] else "hidden"] += 1
        s[TYPES[f["type"]]] += 1
        s["refs_short_signaling"] += f["refs_short_signaling"]
    s["bitdepth"] = ",".join(str(d) for d in sorted(s["bitdepth"]))
    return s


def main(argv):
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    s = summary(args[0], verbose)
    print(" ".join(f"{k}={v}" for k, v in s.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
