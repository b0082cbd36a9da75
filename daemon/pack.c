/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The loops are written for the compiler's vectoriser (this file is built
 * with -O3): plain indexed loops over rows, stores through memcpy so that
 * unaligned CAPTURE rows are fine on every target.
 */
#include <string.h>

#include <linux/videodev2.h>

#include "job_check.h"
#include "pack.h"

static inline void store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));	/* little-endian hosts only: x86_64, arm64 */
}

static inline uint16_t load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

void dd_pack_copy(uint8_t *dst, size_t dst_stride, struct dd_plane src,
		  unsigned int width, unsigned int rows)
{
	for (unsigned int y = 0; y < rows; y++)
		memcpy(dst + y * dst_stride, src.data + (ptrdiff_t)y * src.stride,
		       width);
}

void dd_pack_nv12_chroma(uint8_t *dst, size_t dst_stride, struct dd_plane u,
			 struct dd_plane v, unsigned int width,
			 unsigned int rows)
{
	for (unsigned int y = 0; y < rows; y++) {
		uint8_t *restrict d = dst + y * dst_stride;
		const uint8_t *restrict su = u.data + (ptrdiff_t)y * u.stride;
		const uint8_t *restrict sv = v.data + (ptrdiff_t)y * v.stride;

		for (unsigned int x = 0; x < width; x++) {
			d[2 * x] = su[x];
			d[2 * x + 1] = sv[x];
		}
	}
}

/* One sample of @depth bits, moved to the top of a 16-bit word. */
static inline uint16_t widen(const uint8_t *row, unsigned int x,
			     unsigned int depth)
{
	if (depth == 8)
		return (uint16_t)(row[x] << 8);
	return (uint16_t)(load16(row + 2 * x) << (16 - depth));
}

void dd_pack_p010(uint8_t *dst, size_t dst_stride, struct dd_plane src,
		  unsigned int depth, unsigned int width, unsigned int rows)
{
	for (unsigned int y = 0; y < rows; y++) {
		uint8_t *restrict d = dst + y * dst_stride;
		const uint8_t *restrict s = src.data + (ptrdiff_t)y * src.stride;

		for (unsigned int x = 0; x < width; x++)
			store16(d + 2 * x, widen(s, x, depth));
	}
}

void dd_pack_p010_chroma(uint8_t *dst, size_t dst_stride, struct dd_plane u,
			 struct dd_plane v, unsigned int depth,
			 unsigned int width, unsigned int rows)
{
	for (unsigned int y = 0; y < rows; y++) {
		uint8_t *restrict d = dst + y * dst_stride;
		const uint8_t *restrict su = u.data + (ptrdiff_t)y * u.stride;
		const uint8_t *restrict sv = v.data + (ptrdiff_t)y * v.stride;

		for (unsigned int x = 0; x < width; x++) {
			store16(d + 4 * x, widen(su, x, depth));
			store16(d + 4 * x + 2, widen(sv, x, depth));
		}
	}
}

void dd_pack_gray_chroma(uint8_t *dst, size_t dst_stride, int p010,
			 unsigned int width, unsigned int rows)
{
	for (unsigned int y = 0; y < rows; y++) {
		uint8_t *d = dst + y * dst_stride;

		if (!p010) {
			memset(d, 128, 2 * (size_t)width);
			continue;
		}
		for (unsigned int x = 0; x < 2 * width; x++)
			store16(d + 2 * x, 0x8000);
	}
}

int dd_pack_fits(const struct dd_planar *pic,
		 const struct daedalus_picture_format *f, size_t size)
{
	int p010 = f->pixelformat == V4L2_PIX_FMT_P010;

	if (f->pixelformat != V4L2_PIX_FMT_NV12 &&
	    f->pixelformat != V4L2_PIX_FMT_YUV420 && !p010)
		return 0;
	if (!p010 && pic->depth != 8)
		return 0;
	return (size_t)pic->width * (p010 ? 2 : 1) <= f->bytesperline &&
	       pic->height <= f->height &&
	       (size_t)f->bytesperline * f->height * 3 / 2 <= size;
}

/* YUV420's Cb and Cr planes from @pic's, or neutral (4:0:0); the bytes written. */
static size_t pack_planar_chroma(uint8_t *dst,
				 const struct daedalus_picture_format *f,
				 const struct dd_planar *pic, unsigned int cw,
				 unsigned int ch)
{
	for (unsigned int i = 0; i < 2; i++) {
		struct dd_chroma_plane c = dd_picture_chroma(f, i);

		if (pic->gray)
			for (unsigned int y = 0; y < ch; y++)
				memset(dst + c.offset + y * c.stride, 128, cw);
		else
			dd_pack_copy(dst + c.offset, c.stride, pic->plane[1 + i],
				     cw, ch);
	}
	return (size_t)cw * ch * 2;
}

size_t dd_pack_picture(uint8_t *dst, const struct daedalus_picture_format *f,
		       const struct dd_planar *pic, int luma_in_place)
{
	int p010 = f->pixelformat == V4L2_PIX_FMT_P010;
	unsigned int cw = (pic->width + 1) / 2, ch = (pic->height + 1) / 2;
	uint8_t *uv = dst + (size_t)f->bytesperline * f->height;
	size_t bytes = 0;

	if (!luma_in_place) {
		if (p010)
			dd_pack_p010(dst, f->bytesperline, pic->plane[0], pic->depth,
				     pic->width, pic->height);
		else
			dd_pack_copy(dst, f->bytesperline, pic->plane[0],
				     pic->width, pic->height);
		bytes += (size_t)pic->width * pic->height * (p010 ? 2 : 1);
	}
	if (f->pixelformat == V4L2_PIX_FMT_YUV420)
		return bytes + pack_planar_chroma(dst, f, pic, cw, ch);
	if (pic->gray)
		dd_pack_gray_chroma(uv, f->bytesperline, p010, cw, ch);
	else if (p010)
		dd_pack_p010_chroma(uv, f->bytesperline, pic->plane[1],
				    pic->plane[2], pic->depth, cw, ch);
	else
		dd_pack_nv12_chroma(uv, f->bytesperline, pic->plane[1],
				    pic->plane[2], cw, ch);
	return bytes + (size_t)cw * ch * 2 * (p010 ? 2 : 1);
}
