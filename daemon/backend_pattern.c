/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bring-up backend: ignores the bitstream and fills the picture with
 * a luma gradient that moves by 4 per frame of the stream, chroma at
 * mid grey.  NV12, YUV420 and P010 (samples in the top 10 bits,
 * little-endian).
 * Every byte of sizeimage is written (padding and slack as zero), nothing
 * beyond it.  Decodes every codec; used when forced with --backend pattern.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "backend.h"

struct pattern_decoder {
	uint32_t frame;
};

static int pattern_open(void **decoder, const struct dd_decoder_config *cfg)
{
	struct pattern_decoder *d = calloc(1, sizeof(*d));

	(void)cfg;
	if (!d)
		return -ENOMEM;
	*decoder = d;
	return 0;
}

static void put_sample(uint8_t *p, int p010, unsigned int value8)
{
	if (p010) {
		uint16_t v = (uint16_t)((value8 << 2) << 6);

		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
	} else {
		p[0] = (uint8_t)value8;
	}
}

static int pattern_decode(void *decoder, const struct dd_job *job,
			  struct dd_result *result)
{
	struct pattern_decoder *d = decoder;
	const struct daedalus_picture_format *f = job->picture.format;
	int p010 = f->pixelformat == V4L2_PIX_FMT_P010;
	size_t bps = p010 ? 2 : 1;
	size_t stride = f->bytesperline, luma = stride * f->height;
	size_t chroma = stride * (f->height / 2);
	uint8_t *data = job->picture.data;
	/* YUV420: Cb rows then Cr rows, each half a luma row. */
	int planar = f->pixelformat == V4L2_PIX_FMT_YUV420;
	size_t cstride = planar ? stride / 2 : stride;
	size_t crows = planar ? f->height : f->height / 2;
	/* Cb and Cr samples of a chroma row: an odd width rounds up. */
	size_t chroma_width = ((size_t)f->width + 1) / 2 * (planar ? 1 : 2);
	unsigned int shift;

	if (f->sizeimage > job->picture.size || luma + chroma > f->sizeimage ||
	    chroma_width * bps > cstride)
		return -EINVAL;
	/* The gradient counts frames of one stream: a seek starts it over. */
	if (job->msg->flags & DAEDALUS_JOB_NEW_STREAM)
		d->frame = 0;
	shift = d->frame * 4;

	/*
	 * Row by row, as visl's test pattern generator: each row is the one
	 * above moved by a sample (sample x of row y is x + y + shift), so
	 * only the first row and each row's last sample are computed.  The
	 * pattern stands for a decoder that costs nothing: the bridge is what
	 * it measures, not a per-sample loop.
	 */
	for (size_t y = 0; y < f->height; y++) {
		uint8_t *row = data + y * stride;
		size_t w = f->width;

		if (y == 0 || w < 2) {
			for (size_t x = 0; x < w; x++)
				put_sample(row + x * bps, p010, (unsigned int)(x + shift) & 0xff);
		} else {
			memcpy(row, row - stride + bps, (w - 1) * bps);
			put_sample(row + (w - 1) * bps, p010, (unsigned int)(w - 1 + y + shift) & 0xff);
		}
		memset(row + w * bps, 0, stride - w * bps);
	}
	for (size_t y = 0; y < crows; y++) {
		uint8_t *row = data + luma + y * cstride;

		if (!p010)
			memset(row, 128, chroma_width);
		else if (y == 0)
			for (size_t x = 0; x < chroma_width; x++)
				put_sample(row + x * bps, p010, 128);
		else
			memcpy(row, row - cstride, chroma_width * bps);
		memset(row + chroma_width * bps, 0, cstride - chroma_width * bps);
	}
	memset(data + luma + chroma, 0, f->sizeimage - luma - chroma);

	d->frame++;
	result->status = DAEDALUS_STATUS_OK;
	result->bytesused = f->sizeimage;
	result->restart = 1;	/* a pattern depends on no earlier picture */
	return 0;
}

static void pattern_close(void *decoder)
{
	free(decoder);
}

const struct dd_backend dd_backend_pattern = {
	.name = "pattern",
	.codec = DAEDALUS_CODEC_NONE,
	.open = pattern_open,
	.decode = pattern_decode,
	.close = pattern_close,
};
