/* SPDX-License-Identifier: BSD-2-Clause */
/* daemon/sf_colorimetry.c: H.273 code points to V4L2's colorimetry. */
#include <linux/videodev2.h>

#include "dd_test.h"
#include "sf_colorimetry.h"

static void check(int pri, int trc, int mtx, int full, uint8_t cs, uint8_t xfer,
		  uint8_t enc, uint8_t quant)
{
	struct dd_sf_colorimetry c = dd_sf_colorimetry(pri, trc, mtx, full);

	CHECK_EQ(c.colorspace, cs);
	CHECK_EQ(c.xfer_func, xfer);
	CHECK_EQ(c.ycbcr_enc, enc);
	CHECK_EQ(c.quantization, quant);
}

int main(void)
{
	/* BT.709 limited range: HD video. */
	check(1, 1, 1, 0, V4L2_COLORSPACE_REC709, V4L2_XFER_FUNC_709,
	      V4L2_YCBCR_ENC_709, V4L2_QUANTIZATION_LIM_RANGE);
	/* BT.601 525 lines. */
	check(6, 6, 6, 0, V4L2_COLORSPACE_SMPTE170M, V4L2_XFER_FUNC_709,
	      V4L2_YCBCR_ENC_601, V4L2_QUANTIZATION_LIM_RANGE);
	/* BT.601 625 lines, full range (JPEG-like). */
	check(5, 6, 5, 1, V4L2_COLORSPACE_470_SYSTEM_BG, V4L2_XFER_FUNC_709,
	      V4L2_YCBCR_ENC_601, V4L2_QUANTIZATION_FULL_RANGE);
	/* BT.2020 with PQ, and constant luminance. */
	check(9, 16, 9, 0, V4L2_COLORSPACE_BT2020, V4L2_XFER_FUNC_SMPTE2084,
	      V4L2_YCBCR_ENC_BT2020, V4L2_QUANTIZATION_LIM_RANGE);
	check(9, 14, 10, 0, V4L2_COLORSPACE_BT2020, V4L2_XFER_FUNC_709,
	      V4L2_YCBCR_ENC_BT2020_CONST_LUM, V4L2_QUANTIZATION_LIM_RANGE);
	/* SMPTE 240M, sRGB transfer, DCI-P3. */
	check(7, 7, 7, 0, V4L2_COLORSPACE_SMPTE240M, V4L2_XFER_FUNC_SMPTE240M,
	      V4L2_YCBCR_ENC_SMPTE240M, V4L2_QUANTIZATION_LIM_RANGE);
	check(12, 13, 1, 0, V4L2_COLORSPACE_DCI_P3, V4L2_XFER_FUNC_SRGB,
	      V4L2_YCBCR_ENC_709, V4L2_QUANTIZATION_LIM_RANGE);
	check(11, 17, 1, 0, V4L2_COLORSPACE_DCI_P3, V4L2_XFER_FUNC_DCI_P3,
	      V4L2_YCBCR_ENC_709, V4L2_QUANTIZATION_LIM_RANGE);
	/* Unspecified: a colorspace all the same, the rest left to it. */
	check(2, 2, 2, -1, V4L2_COLORSPACE_REC709, V4L2_XFER_FUNC_DEFAULT,
	      V4L2_YCBCR_ENC_DEFAULT, V4L2_QUANTIZATION_DEFAULT);
	/* Code points V4L2 has no name for (HLG, identity matrix, reserved). */
	check(22, 18, 0, 0, V4L2_COLORSPACE_REC709, V4L2_XFER_FUNC_DEFAULT,
	      V4L2_YCBCR_ENC_DEFAULT, V4L2_QUANTIZATION_LIM_RANGE);
	check(-1, 255, 99, 0, V4L2_COLORSPACE_REC709, V4L2_XFER_FUNC_DEFAULT,
	      V4L2_YCBCR_ENC_DEFAULT, V4L2_QUANTIZATION_LIM_RANGE);
	/* Linear light. */
	check(1, 8, 1, 0, V4L2_COLORSPACE_REC709, V4L2_XFER_FUNC_NONE,
	      V4L2_YCBCR_ENC_709, V4L2_QUANTIZATION_LIM_RANGE);
	return dd_test_result("test_sf_colorimetry");
}
