/* SPDX-License-Identifier: BSD-2-Clause */
/* daemon/sf_colorimetry.c: H.273 code points to V4L2's colorimetry. */
#include <linux/videodev2.h>

#include "dd_test.h"
#include "sf_colorimetry.h"

#define CS(x)	V4L2_COLORSPACE_##x
#define XF(x)	V4L2_XFER_FUNC_##x
#define ENC(x)	V4L2_YCBCR_ENC_##x
#define Q(x)	V4L2_QUANTIZATION_##x

static const struct {
	int primaries, transfer, matrix, full_range;
	struct dd_sf_colorimetry v4l2;
} cases[] = {
	/* BT.709, BT.601 525 and 625 lines (full range), BT.2020 PQ and CL */
	{ 1, 1, 1, 0, { CS(REC709), XF(709), ENC(709), Q(LIM_RANGE) } },
	{ 6, 6, 6, 0, { CS(SMPTE170M), XF(709), ENC(601), Q(LIM_RANGE) } },
	{ 5, 6, 5, 1, { CS(470_SYSTEM_BG), XF(709), ENC(601), Q(FULL_RANGE) } },
	{ 4, 6, 6, 0, { CS(470_SYSTEM_M), XF(709), ENC(601), Q(LIM_RANGE) } },
	{ 9, 16, 9, 0, { CS(BT2020), XF(SMPTE2084), ENC(BT2020), Q(LIM_RANGE) } },
	{ 9, 14, 10, 0, { CS(BT2020), XF(709), ENC(BT2020_CONST_LUM), Q(LIM_RANGE) } },
	/* SMPTE 240M; DCI-P3 with sRGB and gamma 2.6; linear light */
	{ 7, 7, 7, 0, { CS(SMPTE240M), XF(SMPTE240M), ENC(SMPTE240M), Q(LIM_RANGE) } },
	{ 12, 13, 1, 0, { CS(DCI_P3), XF(SRGB), ENC(709), Q(LIM_RANGE) } },
	{ 11, 17, 1, 0, { CS(DCI_P3), XF(DCI_P3), ENC(709), Q(LIM_RANGE) } },
	{ 1, 8, 1, 0, { CS(REC709), XF(NONE), ENC(709), Q(LIM_RANGE) } },
	/* unspecified: a colorspace all the same, the rest left to it */
	{ 2, 2, 2, -1, { CS(REC709), XF(DEFAULT), ENC(DEFAULT), Q(DEFAULT) } },
	/* no V4L2 name (EBU 3213, HLG, identity matrix), out of range */
	{ 22, 18, 0, 0, { CS(REC709), XF(DEFAULT), ENC(DEFAULT), Q(LIM_RANGE) } },
	{ -1, 255, 99, 0, { CS(REC709), XF(DEFAULT), ENC(DEFAULT), Q(LIM_RANGE) } },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dd_sf_colorimetry c = dd_sf_colorimetry(
			cases[i].primaries, cases[i].transfer, cases[i].matrix,
			cases[i].full_range);

		CHECK_EQ(c.colorspace, cases[i].v4l2.colorspace);
		CHECK_EQ(c.xfer_func, cases[i].v4l2.xfer_func);
		CHECK_EQ(c.ycbcr_enc, cases[i].v4l2.ycbcr_enc);
		CHECK_EQ(c.quantization, cases[i].v4l2.quantization);
	}
	return dd_test_result("test_sf_colorimetry");
}
