/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_h264_decode: the H.264 backend as the daemon drives it, up to 8
 * jobs per input: reference handling, held CAPTURE buffers (field pairs),
 * new streams, the SPS/PPS rebuilt from the controls.  The driver and its
 * rules are fuzz_decode.c's.
 */
#include "fuzz_decode.h"

FZ_DECODE_TARGET("fuzz_h264_decode", dd_backend_h264)
