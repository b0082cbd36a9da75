/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <linux/videodev2.h>

#include "md5.h"
#include "picture_hash.h"

static void hash_plane_samples(struct dd_md5 *md5, const uint8_t *row,
			       size_t count, size_t step, int p010)
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
			dd_md5_update(md5, out, used);
			used = 0;
		}
	}
	dd_md5_update(md5, out, used);
}

int dd_picture_md5(const uint8_t *data, const struct daedalus_picture_format *fmt,
		   uint32_t width, uint32_t height, char capture_hex[33],
		   char i420_hex[33])
{
	int p010 = fmt->pixelformat == V4L2_PIX_FMT_P010;
	size_t bps = p010 ? 2 : 1, stride = fmt->bytesperline;
	size_t cw = (width + 1) / 2, ch = (height + 1) / 2;
	const uint8_t *chroma = data + stride * fmt->height;
	struct dd_md5 cap, planar;
	uint8_t digest[16];

	if (!width || !height || width > fmt->width || height > fmt->height ||
	    2 * cw * bps > stride)
		return -EINVAL;

	dd_md5_init(&cap);
	for (size_t y = 0; y < height; y++)
		dd_md5_update(&cap, data + y * stride, width * bps);
	for (size_t y = 0; y < ch; y++)
		dd_md5_update(&cap, chroma + y * stride, 2 * cw * bps);
	dd_md5_final(&cap, digest);
	dd_md5_hex(digest, capture_hex);

	dd_md5_init(&planar);
	for (size_t y = 0; y < height; y++)
		hash_plane_samples(&planar, data + y * stride, width, 1, p010);
	for (size_t plane = 0; plane < 2; plane++)
		for (size_t y = 0; y < ch; y++)
			hash_plane_samples(&planar, chroma + y * stride + plane * bps,
					   cw, 2, p010);
	dd_md5_final(&planar, digest);
	dd_md5_hex(digest, i420_hex);
	return 0;
}
