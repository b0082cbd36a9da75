/* SPDX-License-Identifier: BSD-2-Clause */
#include "sf_colorimetry.h"

#include <linux/videodev2.h>

static uint8_t colorspace(int primaries)
{
	switch (primaries) {
	case 4:		/* BT.470 System M */
		return V4L2_COLORSPACE_470_SYSTEM_M;
	case 5:		/* BT.470 System B, G; BT.601 625 */
		return V4L2_COLORSPACE_470_SYSTEM_BG;
	case 6:		/* SMPTE 170M; BT.601 525 */
		return V4L2_COLORSPACE_SMPTE170M;
	case 7:
		return V4L2_COLORSPACE_SMPTE240M;
	case 9:
		return V4L2_COLORSPACE_BT2020;
	case 11:	/* SMPTE RP 431-2 */
	case 12:	/* SMPTE EG 432-1 */
		return V4L2_COLORSPACE_DCI_P3;
	default:	/* 1 (BT.709), unspecified, unnamed in V4L2 */
		return V4L2_COLORSPACE_REC709;
	}
}

static uint8_t xfer_func(int transfer)
{
	switch (transfer) {
	case 1:		/* BT.709 */
	case 6:		/* SMPTE 170M */
	case 14:	/* BT.2020 10-bit */
	case 15:	/* BT.2020 12-bit */
		return V4L2_XFER_FUNC_709;
	case 7:
		return V4L2_XFER_FUNC_SMPTE240M;
	case 8:
		return V4L2_XFER_FUNC_NONE;
	case 13:	/* IEC 61966-2-1 */
		return V4L2_XFER_FUNC_SRGB;
	case 16:
		return V4L2_XFER_FUNC_SMPTE2084;
	case 17:	/* SMPTE ST 428-1: gamma 2.6 */
		return V4L2_XFER_FUNC_DCI_P3;
	default:
		return V4L2_XFER_FUNC_DEFAULT;
	}
}

static uint8_t ycbcr_enc(int matrix)
{
	switch (matrix) {
	case 1:
		return V4L2_YCBCR_ENC_709;
	case 5:		/* BT.470 System B, G */
	case 6:		/* SMPTE 170M */
		return V4L2_YCBCR_ENC_601;
	case 7:
		return V4L2_YCBCR_ENC_SMPTE240M;
	case 9:
		return V4L2_YCBCR_ENC_BT2020;
	case 10:
		return V4L2_YCBCR_ENC_BT2020_CONST_LUM;
	default:
		return V4L2_YCBCR_ENC_DEFAULT;
	}
}

struct dd_sf_colorimetry dd_sf_colorimetry(int primaries, int transfer,
					   int matrix, int full_range)
{
	struct dd_sf_colorimetry c = {
		.colorspace = colorspace(primaries),
		.xfer_func = xfer_func(transfer),
		.ycbcr_enc = ycbcr_enc(matrix),
		.quantization = full_range > 0 ? V4L2_QUANTIZATION_FULL_RANGE :
				full_range == 0 ? V4L2_QUANTIZATION_LIM_RANGE :
				V4L2_QUANTIZATION_DEFAULT,
	};

	return c;
}
