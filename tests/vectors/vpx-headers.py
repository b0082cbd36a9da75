#!/usr/bin/env python3
"""Summarise the frame headers of a VP8 or VP9 IVF stream, and check that it
really has the features a generated test vector is made for.

    vpx-headers.py [-v] FILE.ivf [REQUIREMENT...]

Prints one summary line (key=value); -v also prints one line per frame.
A REQUIREMENT is KEY>=N, KEY=N or KEY=TEXT (e.g. ref_scaled>=1,
tile_rows_log2>=2, bitdepth=10); exit status 1 if one does not hold.

Only the headers are read: VP9's uncompressed header (spec section 6.2) and
VP8's frame tag, key frame header and the start of the first partition
(RFC 6386 section 9, 19.2), with its boolean decoder.
"""
import struct
import sys

from ivfbits import Bits, ivf_frames


def vp9_split_superframe(buf):
    """The frames of one IVF packet (a superframe holds several)."""
    last = buf[-1]
    if last & 0xE0 == 0xC0:
        n = (last & 7) + 1
        mag = ((last >> 3) & 3) + 1
        index = 2 + mag * n
        if len(buf) >= index and buf[-index] == last:
            out, pos = [], 0
            for i in range(n):
                off = len(buf) - index + 1 + i * mag
                size = int.from_bytes(buf[off:off + mag], "little")
                out.append(buf[pos:pos + size])
                pos += size
            return out
    return [buf]


class VP9State:
    def __init__(self):
        self.ref_size = [None] * 8
        self.bitdepth = 8
        self.profile = 0

    def color_config(self, b):
        if self.profile >= 2:
            self.bitdepth = 12 if b.f(1) else 10
        else:
            self.bitdepth = 8
        cs = b.f(3)
        if cs != 7:
            b.f(1)
            if self.profile in (1, 3):
                b.f(3)
        elif self.profile in (1, 3):
            b.f(1)

    def frame(self, buf):
        b = Bits(buf)
        h = {}
        if b.f(2) != 2:
            raise ValueError("bad frame marker")
        lo = b.f(1)
        self.profile = (b.f(1) << 1) | lo
        if self.profile == 3:
            b.f(1)
        if b.f(1):
            h["show_existing"] = b.f(3)
            return h
        key = b.f(1) == 0
        show = b.f(1)
        er = b.f(1)
        h.update(key=key, show=show, error_res=er, intra_only=0, reset_ctx=0)
        refs = []
        if key:
            b.f(24)
            self.color_config(b)
            w, hgt = b.f(16) + 1, b.f(16) + 1
            if b.f(1):
                b.f(32)
            refresh = 0xFF
        else:
            h["intra_only"] = 0 if show else b.f(1)
            h["reset_ctx"] = 0 if er else b.f(2)
            if h["intra_only"]:
                b.f(24)
                if self.profile > 0:
                    self.color_config(b)
                else:
                    self.bitdepth = 8
                refresh = b.f(8)
                w, hgt = b.f(16) + 1, b.f(16) + 1
                if b.f(1):
                    b.f(32)
            else:
                refresh = b.f(8)
                for _ in range(3):
                    refs.append(b.f(3))
                    b.f(1)  # sign bias
                found = None
                for i in range(3):
                    if b.f(1):
                        found = self.ref_size[refs[i]]
                        break
                if found is None:
                    w, hgt = b.f(16) + 1, b.f(16) + 1
                else:
                    w, hgt = found
                if b.f(1):
                    b.f(32)
                b.f(1)  # allow_high_precision_mv
                if not b.f(1):
                    b.f(2)
        if er:
            refresh_ctx, parallel = 0, 1
        else:
            refresh_ctx, parallel = b.f(1), b.f(1)
        b.f(2)  # frame_context_idx
        # loop_filter_params
        b.f(6)
        b.f(3)
        if b.f(1) and b.f(1):
            for _ in range(4 + 2):
                if b.f(1):
                    b.su(6)
        base_q = b.f(8)
        deltas = [b.su(4) if b.f(1) else 0 for _ in range(3)]
        if b.f(1):  # segmentation_enabled
            if b.f(1):
                for _ in range(7):
                    if b.f(1):
                        b.f(8)
                if b.f(1):
                    for _ in range(3):
                        if b.f(1):
                            b.f(8)
            if b.f(1):
                b.f(1)
                for _ in range(8):
                    for bits, signed in ((8, 1), (6, 1), (2, 0), (0, 0)):
                        if b.f(1):
                            b.f(bits)
                            if signed:
                                b.f(1)
        sb64 = (((w + 7) >> 3) + 7) >> 3
        min_log2 = 0
        while (64 << min_log2) < sb64:
            min_log2 += 1
        max_log2 = 1
        while (sb64 >> max_log2) >= 4:
            max_log2 += 1
        max_log2 -= 1
        cols = min_log2
        while cols < max_log2 and b.f(1):
            cols += 1
        rows = b.f(1)
        if rows:
            rows += b.f(1)
        scaled = any(self.ref_size[r] not in (None, (w, hgt)) for r in refs)
        for i in range(8):
            if refresh >> i & 1:
                self.ref_size[i] = (w, hgt)
        h.update(size=(w, hgt), bitdepth=self.bitdepth, profile=self.profile,
                 refresh=refresh,
                 refresh_ctx=refresh_ctx, parallel=parallel,
                 lossless=int(base_q == 0 and not any(deltas)),
                 tile_cols_log2=cols, tile_rows_log2=rows, ref_scaled=int(scaled))
        return h


def vp9_summary(packets, verbose):
    st = VP9State()
    s = dict(frames=0, shown=0, hidden=0, show_existing=0, key=0, intra_only=0,
             ref_scaled=0, error_res=0, reset_ctx=0, no_refresh_ctx=0,
             frame_parallel=0, lossless=0, superframes=0, tile_cols_log2=0,
             tile_rows_log2=0, size_changes=0)
    sizes, depths, profiles, last = [], set(), set(), None
    for n, pkt in enumerate(packets):
        parts = vp9_split_superframe(pkt)
        s["superframes"] += len(parts) > 1
        for part in parts:
            h = st.frame(part)
            if verbose:
                print(f"packet {n}: {h}")
            s["frames"] += 1
            if "show_existing" in h:
                s["show_existing"] += 1
                s["shown"] += 1
                continue
            s["shown" if h["show"] else "hidden"] += 1
            for k in ("key", "intra_only", "ref_scaled", "error_res", "lossless"):
                s[k] += int(h[k])
            s["reset_ctx"] += h["reset_ctx"] >= 2
            s["no_refresh_ctx"] += not h["refresh_ctx"]
            s["frame_parallel"] += h["parallel"]
            s["tile_cols_log2"] = max(s["tile_cols_log2"], h["tile_cols_log2"])
            s["tile_rows_log2"] = max(s["tile_rows_log2"], h["tile_rows_log2"])
            if h["size"] not in sizes:
                sizes.append(h["size"])
            s["size_changes"] += last not in (None, h["size"])
            last = h["size"]
            depths.add(h["bitdepth"])
            profiles.add(h["profile"])
    s["sizes"] = ",".join(f"{w}x{h}" for w, h in sizes)
    s["bitdepth"] = ",".join(str(d) for d in sorted(depths))
    s["profile"] = ",".join(str(p) for p in sorted(profiles))
    return s


class BoolDecoder:
    """VP8's boolean entropy decoder (RFC 6386 section 7.3)."""

    def __init__(self, data):
        self.data, self.pos = data, 2
        self.value = (data[0] << 8) | data[1]
        self.range, self.count = 255, 0

    def bool(self, prob):
        split = 1 + (((self.range - 1) * prob) >> 8)
        big = split << 8
        if self.value >= big:
            ret = 1
            self.range -= split
            self.value -= big
        else:
            ret = 0
            self.range = split
        while self.range < 128:
            self.value <<= 1
            self.range <<= 1
            self.count += 1
            if self.count == 8:
                self.count = 0
                if self.pos < len(self.data):
                    self.value |= self.data[self.pos]
                self.pos += 1
        return ret

    def lit(self, n):
        v = 0
        for _ in range(n):
            v = (v << 1) | self.bool(128)
        return v


def vp8_frame(buf, size):
    tag = buf[0] | (buf[1] << 8) | (buf[2] << 16)
    key = not tag & 1
    h = dict(key=key, show=(tag >> 4) & 1)
    off = 3
    if key:
        if buf[3:6] != b"\x9d\x01\x2a":
            raise ValueError("bad VP8 start code")
        size = (struct.unpack_from("<H", buf, 6)[0] & 0x3FFF,
                struct.unpack_from("<H", buf, 8)[0] & 0x3FFF)
        off = 10
    h["size"] = size
    d = BoolDecoder(buf[off:])
    if key:
        d.lit(2)
    if d.lit(1):  # segmentation_enabled
        update_map, update_data = d.lit(1), d.lit(1)
        if update_data:
            d.lit(1)
            for bits in (7, 7, 7, 7, 6, 6, 6, 6):
                if d.lit(1):
                    d.lit(bits + 1)
        if update_map:
            for _ in range(3):
                if d.lit(1):
                    d.lit(8)
    d.lit(1 + 6 + 3)  # filter_type, loop_filter_level, sharpness
    if d.lit(1) and d.lit(1):
        for _ in range(8):
            if d.lit(1):
                d.lit(7)
    h["token_parts"] = 1 << d.lit(2)
    d.lit(7)
    for _ in range(5):
        if d.lit(1):
            d.lit(5)
    h.update(golden=0, altref=0, sign_bias_golden=0, sign_bias_altref=0)
    if not key:
        h["golden"], h["altref"] = d.lit(1), d.lit(1)
        if not h["golden"]:
            h["golden"] = int(d.lit(2) != 0)
        if not h["altref"]:
            h["altref"] = int(d.lit(2) != 0)
        h["sign_bias_golden"], h["sign_bias_altref"] = d.lit(1), d.lit(1)
    return h


def vp8_summary(packets, verbose):
    s = dict(frames=0, shown=0, hidden=0, key=0, golden=0, altref=0,
             sign_bias_golden=0, sign_bias_altref=0, token_parts=0,
             size_changes=0)
    sizes, size = [], None
    for n, pkt in enumerate(packets):
        h = vp8_frame(pkt, size)
        s["size_changes"] += size not in (None, h["size"])
        size = h["size"]
        if verbose:
            print(f"packet {n}: {h}")
        s["frames"] += 1
        s["shown" if h["show"] else "hidden"] += 1
        for k in ("key", "golden", "altref", "sign_bias_golden", "sign_bias_altref"):
            s[k] += int(h[k])
        s["token_parts"] = max(s["token_parts"], h["token_parts"])
        if size not in sizes:
            sizes.append(size)
    s["sizes"] = ",".join(f"{w}x{h}" for w, h in sizes)
    return s


def holds(summary, req):
    for op in (">=", "="):
        if op in req:
            key, want = req.split(op, 1)
            break
    else:
        raise SystemExit(f"bad requirement {req!r}")
    if key not in summary:
        raise SystemExit(f"unknown key {key!r} in {req!r}")
    have = summary[key]
    if op == ">=":
        return int(have) >= int(want)
    return str(have) == want


def main(argv):
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    if not args:
        raise SystemExit(__doc__)
    fourcc, packets = ivf_frames(args[0])
    if fourcc == "VP90":
        s = dict(codec="VP9", **vp9_summary(packets, verbose))
    elif fourcc == "VP80":
        s = dict(codec="VP8", **vp8_summary(packets, verbose))
    else:
        raise SystemExit(f"{args[0]}: fourcc {fourcc}, not VP8 or VP9")
    print(" ".join(f"{k}={v}" for k, v in s.items()))
    bad = [r for r in args[1:] if not holds(s, r)]
    for r in bad:
        print(f"{args[0]}: requirement {r} does not hold", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
