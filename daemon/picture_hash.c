/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <linux/videodev2.h>

#include "job_check.h"
#include "md5.h"
#include "picture_hash.h"

static void planar_samples(dd_picture_sink *sink, void *opaque,
			   const uint8_t *row, size_t count, size_t step,
			   int p010)
{
	uint8_t out[256];
	size_t used = 0;

	for (size_t i = 0; i < count; i++) {
		const uint8_t *s = row + i * step * (p010 ? 2 : 1);

		if (p010) {
			unsigned int v = (unsigned int)(s[0] | s[1] << 8) >> 6;

			out[used++] = (uint8_t)v;
			out[used++] = (uint8_t)(v >> 8);
		} else {
			out[used++] = s[0];
		}
		if (used >= sizeof(out) - 1) {
			sink(opaque, out, used);
			used = 0;
		}
	}
	if (used)
		sink(opaque, out, used);
}

/* 0 if @width x @height fits @fmt, else -EINVAL. */
static int check_area(const struct daedalus_picture_format *fmt,
		      uint32_t width, uint32_t height)
{
	size_t bps = fmt->pixelformat == V4L2_PIX_FMT_P010 ? 2 : 1;

	if (!width || !height || width > fmt->width || height > fmt->height ||
	    2 * (size_t)((width + 1) / 2) * bps > fmt->bytesperline)
		return -EINVAL;
	return 0;
}

int dd_picture_planar(const uint8_t *data, const struct daedalus_picture_format *fmt,
		      uint32_t width, uint32_t height, dd_picture_sink *sink,
		      void *opaque)
{
	int p010 = fmt->pixelformat == V4L2_PIX_FMT_P010;
	int planar = fmt->pixelformat == V4L2_PIX_FMT_YUV420;
	size_t bps = p010 ? 2 : 1, stride = fmt->bytesperline;
	size_t cw = (width + 1) / 2, ch = (height + 1) / 2;

	if (check_area(fmt, width, height))
		return -EINVAL;
	for (size_t y = 0; y < height; y++)
		planar_samples(sink, opaque, data + y * stride, width, 1, p010);
	for (unsigned int plane = 0; plane < 2; plane++) {
		struct dd_chroma_plane c = dd_picture_chroma(fmt, plane);
		/* Interleaved CbCr: Cr is the second sample of each pair. */
		const uint8_t *base = data + c.offset + (planar ? 0 : plane * bps);

		for (size_t y = 0; y < ch; y++)
			planar_samples(sink, opaque, base + y * c.stride, cw,
				       planar ? 1 : 2, p010);
	}
	return 0;
}

static void md5_sink(void *opaque, const uint8_t *bytes, size_t size)
{
	dd_md5_update(opaque, bytes, size);
}

int dd_picture_md5(const uint8_t *data, const struct daedalus_picture_format *fmt,
		   uint32_t width, uint32_t height, char capture_hex[33],
		   char i420_hex[33])
{
	size_t bps = fmt->pixelformat == V4L2_PIX_FMT_P010 ? 2 : 1;
	size_t stride = fmt->bytesperline, cw = (width + 1) / 2, ch = (height + 1) / 2;
	/* YUV420: a row of each of its two chroma planes; else one of CbCr pairs. */
	unsigned int nplanes = fmt->pixelformat == V4L2_PIX_FMT_YUV420 ? 2 : 1;
	struct dd_md5 cap, planar;
	uint8_t digest[16];

	if (check_area(fmt, width, height))
		return -EINVAL;

	dd_md5_init(&cap);
	for (size_t y = 0; y < height; y++)
		dd_md5_update(&cap, data + y * stride, width * bps);
	for (unsigned int plane = 0; plane < nplanes; plane++) {
		struct dd_chroma_plane c = dd_picture_chroma(fmt, plane);

		for (size_t y = 0; y < ch; y++)
			dd_md5_update(&cap, data + c.offset + y * c.stride,
				      2 / nplanes * cw * bps);
	}
	dd_md5_final(&cap, digest);
	dd_md5_hex(digest, capture_hex);

	dd_md5_init(&planar);
	dd_picture_planar(data, fmt, width, height, md5_sink, &planar);
	dd_md5_final(&planar, digest);
	dd_md5_hex(digest, i420_hex);
	return 0;
}
