/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pattern backend writes exactly sizeimage bytes (all of them, none
 * beyond), the documented values for NV12 and P010, and moves per frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/videodev2.h>

#include "backend.h"
#include "backends.h"
#include "dd_test.h"
#include "fixture.h"

#define GUARD 256

static uint8_t *run(const struct daedalus_picture_format *fmt, uint8_t fill,
		    int frames, struct dd_result *res, int *ret)
{
	const struct dd_backend *b = dd_backend_find(DAEDALUS_CODEC_VP9, "pattern");
	uint8_t *buf = malloc(fmt->sizeimage + GUARD);
	struct daedalus_job msg;
	struct dd_job job = { 0 };
	void *dec = NULL;

	fx_job_init(&msg, DAEDALUS_CODEC_VP9, 1, 1, 64, 32);
	memset(buf, fill, fmt->sizeimage + GUARD);
	job.msg = &msg;
	job.picture.data = buf;
	job.picture.size = fmt->sizeimage;
	job.picture.format = fmt;
	CHECK(b != NULL && b->open(&dec, &(struct dd_decoder_config){ .threads = 1 }) == 0);
	for (int i = 0; i < frames; i++)
		*ret = b->decode(dec, &job, res);
	b->close(dec);
	return buf;
}

static unsigned int sample(const uint8_t *p, unsigned int bps)
{
	return bps == 1 ? p[0] : (unsigned int)(p[0] | p[1] << 8) >> 8;
}

/* Every sample: luma (x + y + shift) & 0xff, chroma 128 (rows are copies). */
static void check_samples(const uint8_t *a, const struct daedalus_picture_format *f,
			  unsigned int bps, unsigned int shift)
{
	int planar = f->pixelformat == V4L2_PIX_FMT_YUV420;
	size_t cstride = planar ? f->bytesperline / 2 : f->bytesperline;
	size_t crows = planar ? f->height : f->height / 2;
	size_t cw = (f->width + 1) / 2 * (planar ? 1 : 2);
	const uint8_t *c = a + (size_t)f->bytesperline * f->height;

	for (size_t y = 0; y < f->height; y++)
		for (size_t x = 0; x < f->width; x++)
			CHECK_EQ(sample(a + y * f->bytesperline + x * bps, bps),
				 (x + y + shift) & 0xff);
	for (size_t y = 0; y < crows; y++)
		for (size_t x = 0; x < cw; x++)
			CHECK_EQ(sample(c + y * cstride + x * bps, bps), 128);
}

static void test_format(uint32_t pixfmt, unsigned int bps)
{
	struct daedalus_picture_format fmt = {
		.pixelformat = pixfmt, .width = 64, .height = 32,
		.bytesperline = 64 * bps + 16,
	};
	struct dd_result res = { .status = DAEDALUS_STATUS_FAILED };
	uint8_t *a, *b;
	size_t luma;
	int ret = -1;

	fmt.sizeimage = fmt.bytesperline * 32 * 3 / 2 + 100;
	luma = (size_t)fmt.bytesperline * 32;

	a = run(&fmt, 0xaa, 1, &res, &ret);
	CHECK_EQ(ret, 0);
	CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
	CHECK_EQ(res.bytesused, fmt.sizeimage);
	for (size_t i = 0; i < GUARD; i++)
		CHECK_EQ(a[fmt.sizeimage + i], 0xaa);
	b = run(&fmt, 0x55, 1, &res, &ret);
	/* Same output whatever was there before: every byte was written. */
	CHECK(!memcmp(a, b, fmt.sizeimage));
	for (size_t i = 0; i < GUARD; i++)
		CHECK_EQ(b[fmt.sizeimage + i], 0x55);

	if (bps == 1) {
		CHECK_EQ(a[0], 0);
		CHECK_EQ(a[2 * fmt.bytesperline + 3], 5);		/* x + y */
		CHECK_EQ(a[31 * fmt.bytesperline + 63], 94);
		CHECK_EQ(a[64], 0);					/* padding */
		CHECK_EQ(a[luma + 0], 128);				/* Cb */
		CHECK_EQ(a[luma + 1], 128);				/* Cr */
		CHECK_EQ(a[luma + 15 * fmt.bytesperline + 63], 128);
		CHECK_EQ(a[luma + 15 * fmt.bytesperline + 64], 0);
	} else {
		/* 10-bit value (x + y) << 2 in the top bits, little-endian. */
		CHECK_EQ(a[2 * 1], 0x00);
		CHECK_EQ(a[2 * 1 + 1], 0x01);
		CHECK_EQ(a[2 * fmt.bytesperline + 2 * 3], (5 << 8) & 0xff);
		CHECK_EQ(a[2 * fmt.bytesperline + 2 * 3 + 1], (5 << 8) >> 8);
		CHECK_EQ(a[luma + 0], 0x00);
		CHECK_EQ(a[luma + 1], 0x80);
		CHECK_EQ(a[128], 0);					/* padding */
	}
	CHECK_EQ(a[fmt.sizeimage - 1], 0);				/* slack */
	check_samples(a, &fmt, bps, 0);
	free(a);
	free(b);

	/* The gradient moves by 4 per frame of a decoder. */
	a = run(&fmt, 0, 3, &res, &ret);
	CHECK_EQ(ret, 0);
	check_samples(a, &fmt, bps, 8);
	CHECK_EQ(bps == 1 ? a[0] : a[1], bps == 1 ? 8 : (8 << 8) >> 8);
	free(a);
}

/* An odd width: the last CbCr pair is written, the padding after it zeroed. */
static void test_odd_width(void)
{
	struct daedalus_picture_format fmt = {
		.pixelformat = V4L2_PIX_FMT_NV12, .width = 63, .height = 32,
		.bytesperline = 128,
	};
	struct dd_result res;
	size_t luma = 128 * 32;
	uint8_t *a;
	int ret = -1;

	fmt.sizeimage = 128 * 32 * 3 / 2;
	a = run(&fmt, 0xaa, 1, &res, &ret);
	CHECK_EQ(ret, 0);
	CHECK_EQ(a[62], 62);		/* last luma sample */
	CHECK_EQ(a[63], 0);		/* padding */
	CHECK_EQ(a[luma + 62], 128);	/* Cb of the last pair */
	CHECK_EQ(a[luma + 63], 128);	/* Cr of the last pair */
	CHECK_EQ(a[luma + 64], 0);
	check_samples(a, &fmt, 1, 0);
	free(a);
}

/* YUV420: Cb rows, then Cr rows, half a luma row each, padding zeroed. */
static void test_yuv420(void)
{
	struct daedalus_picture_format fmt = {
		.pixelformat = V4L2_PIX_FMT_YUV420, .width = 63, .height = 32,
		.bytesperline = 128, .sizeimage = 128 * 32 * 3 / 2,
	};
	struct dd_result res;
	size_t luma = 128 * 32;
	uint8_t *a;
	int ret = -1;

	a = run(&fmt, 0xaa, 2, &res, &ret);
	CHECK_EQ(ret, 0);
	check_samples(a, &fmt, 1, 4);
	CHECK_EQ(a[63], 0);
	CHECK_EQ(a[luma + 31], 128);	/* last Cb of the first row */
	CHECK_EQ(a[luma + 32], 0);
	CHECK_EQ(a[luma + 31 * 64 + 32], 0);
	free(a);
}

static void test_refuses_small_buffer(void)
{
	const struct dd_backend *b = dd_backend_find(DAEDALUS_CODEC_H264, "pattern");
	struct daedalus_picture_format fmt = {
		.pixelformat = V4L2_PIX_FMT_NV12, .width = 64, .height = 32,
		.bytesperline = 64, .sizeimage = 64 * 32 * 3 / 2,
	};
	uint8_t *buf = calloc(1, fmt.sizeimage);
	struct dd_result res;
	struct dd_job job = { 0 };
	void *dec;

	job.picture.data = buf;
	job.picture.size = fmt.sizeimage - 1;
	job.picture.format = &fmt;
	CHECK_EQ(b->open(&dec, &(struct dd_decoder_config){ .threads = 1 }), 0);
	CHECK_EQ(b->decode(dec, &job, &res), -EINVAL);
	b->close(dec);
	free(buf);
}

static void test_registry(void)
{
	CHECK(dd_backend_find(DAEDALUS_CODEC_H264, "pattern") == &dd_backend_pattern);
	CHECK(dd_backend_find(DAEDALUS_CODEC_AV1, "pattern") == &dd_backend_pattern);
	CHECK(dd_backend_find(DAEDALUS_CODEC_H264, "no-such") == NULL);
	/* pattern is never chosen by codec alone. */
	CHECK(dd_backend_find(DAEDALUS_CODEC_VP8, NULL) != &dd_backend_pattern);
	CHECK(dd_backend_find(DAEDALUS_CODEC_NONE, NULL) == NULL);
	CHECK(dd_backend_named("pattern") == &dd_backend_pattern);
	CHECK(!dd_backend_named("nope"));
	CHECK(dd_backend_codec_mask("pattern") & DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264));
	CHECK(dd_backend_codec_mask("pattern") & DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP9));
	CHECK(!(dd_backend_codec_mask("pattern") & DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_NONE)));
#ifndef V4L2_CID_STATELESS_AV1_SEQUENCE
	CHECK(!(dd_backend_codec_mask("pattern") & DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_AV1)));
#endif
}

int main(void)
{
	test_format(V4L2_PIX_FMT_NV12, 1);
	test_format(V4L2_PIX_FMT_P010, 2);
	test_yuv420();
	test_odd_width();
	test_refuses_small_buffer();
	test_registry();
	return dd_test_result("test_pattern");
}
