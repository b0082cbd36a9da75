/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vp9_decode: the VP9 backend as the daemon drives it, up to 8 jobs
 * per input: the FRAME control checked against the frame header, the
 * mirrored reference slots (frame_size_with_refs, show_existing_frame),
 * hidden frames, 10-bit into P010, size changes between jobs.  The driver
 * and its rules are fuzz_decode.c's.
 */
#include "fuzz_decode.h"

FZ_DECODE_TARGET("fuzz_vp9_decode", dd_backend_vp9)
