#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compare per-frame md5s of a decode with a reference decode.

    tools/framecmp.py [--allow-drops-at-change] NAME REF GOT

REF and GOT: one frame per line, "SIZE MD5" (SIZE = bytes of the raw
frame, which tells the resolution), in output order. Exit 0 when GOT equals
REF. With --allow-drops-at-change, GOT may also be REF with frames missing
only in the run of frames just before a size change (every frame GOT has
byte-exact and in order); each drop is reported. Exit 1 otherwise.
"""
import sys


def main():
    args = sys.argv[1:]
    allow = args and args[0] == "--allow-drops-at-change"
    if allow:
        args = args[1:]
    name, refp, gotp = args
    rd = lambda p: [tuple(l.split()[:2]) for l in open(p) if l.strip()]
    ref, got = rd(refp), rd(gotp)
    say = lambda *a: print(f"{name}:", *a, flush=True)
    changes = [i for i in range(1, len(ref)) if ref[i][0] != ref[i - 1][0]]
    say(f"{len(got)} frames, reference {len(ref)}; size changes in the reference before frames {changes}")
    if got == ref:
        say("all frames byte-exact, in order")
        return 0
    # GOT as a subsequence of REF, greedily
    j, dropped = 0, []
    for i, f in enumerate(ref):
        if j < len(got) and got[j] == f:
            j += 1
        else:
            dropped.append(i)
    if j != len(got):
        k = next(i for i in range(min(len(got), len(ref))) if got[i] != ref[i]) \
            if any(g != r for g, r in zip(got, ref)) else min(len(got), len(ref))
        say(f"FAIL: output frame {k} is not reference frame {k} "
            f"(got {got[k] if k < len(got) else None}, want {ref[k] if k < len(ref) else None}); "
            "not a subsequence of the reference either")
        return 1
    # each dropped frame: how far before the next size change
    where = []
    for i in dropped:
        nxt = next((c for c in changes if c > i), None)
        where.append((i, None if nxt is None else nxt - i))
    runs, start = [], None
    for n, i in enumerate(dropped):
        if start is None:
            start = i
        if n + 1 == len(dropped) or dropped[n + 1] != i + 1:
            nxt = next((c for c in changes if c > i), None)
            runs.append(f"{start}..{i}" + (" (at the end)" if i == len(ref) - 1 else
                                           f" (ends {nxt - i - 1} before the change at {nxt})" if nxt else ""))
            start = None
    say(f"{len(dropped)} reference frames missing, the rest byte-exact and in order: missing " + ", ".join(runs))
    # a drop is "at the change" if every frame from it to the change is missing
    at_change = all(d is not None and all(k in dropped for k in range(i, i + d)) for i, d in where)
    if allow and at_change:
        say("every missing frame is in the run just before a size change")
        return 0
    say("FAIL: frames missing" + ("" if at_change else " away from a size change"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
