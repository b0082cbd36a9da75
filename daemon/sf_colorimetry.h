/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stream's colour description as V4L2 sees it.  H.264, VP9 (through
 * libavcodec's enums) and AV1 (dav1d's) code it the same way: the
 * ISO/IEC 23091-4 (ITU-T H.273) code points, which both libraries' enums
 * follow value for value.
 */
#ifndef DAEDALUS_SF_COLORIMETRY_H
#define DAEDALUS_SF_COLORIMETRY_H

#include <stdint.h>

struct dd_sf_colorimetry {
	uint8_t colorspace, xfer_func, ycbcr_enc, quantization;	/* V4L2 enums */
};

/*
 * @primaries, @transfer and @matrix: H.273 code points (2: unspecified);
 * @full_range: 1 full, 0 limited, -1 unspecified.  A code point V4L2 has
 * no name for maps to its DEFAULT, but the colorspace, which is never 0
 * (REC709 when unspecified).
 */
struct dd_sf_colorimetry dd_sf_colorimetry(int primaries, int transfer,
					   int matrix, int full_range);

#endif /* DAEDALUS_SF_COLORIMETRY_H */
