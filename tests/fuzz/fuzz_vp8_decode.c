/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vp8_decode: the VP8 backend as the daemon drives it, up to 8 jobs
 * per input: the FRAME control checked against the frame tag and key
 * frame header, the partition bounds of dd_job_check(), references named
 * by timestamp, hidden (alt-ref) frames.  The driver and its rules are
 * fuzz_decode.c's.
 */
#include "fuzz_decode.h"

FZ_DECODE_TARGET("fuzz_vp8_decode", dd_backend_vp8)
