/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_av1_decode: the AV1 backend as the daemon drives it, up to 8 jobs
 * per input: the OBUs rebuilt from the controls and tile entries, dav1d
 * (dlopen'd) on them, the header round trip, the mirrored reference slots
 * and the client's reference timestamps, hidden frames, film grain, 10-bit
 * into P010.  The driver and its rules are fuzz_decode.c's.
 */
#include "fuzz_decode.h"

FZ_DECODE_TARGET("fuzz_av1_decode", dd_backend_av1)
