/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing decoded planar 4:2:0 pictures into the CAPTURE layouts: NV12
 * (8-bit, chroma interleaved), YUV420 (8-bit, planar: plane copies) and
 * P010 (samples in the top bits of little-endian 16-bit words).  Shared by every backend whose decoder
 * produces planar pictures (libavcodec, dav1d).
 *
 * A planar source plane is described by its first byte and its stride;
 * 10-bit sources hold one sample per 16-bit word, 8-bit ones per byte.
 * CAPTURE rows may start at any byte (the picture offset and bytesperline
 * come from the client): stores make no alignment assumption.
 */
#ifndef DAEDALUS_PACK_H
#define DAEDALUS_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"

struct dd_plane {
	const uint8_t *data;
	ptrdiff_t stride;
};

/* A decoded planar 4:2:0 (or 4:0:0) picture. */
struct dd_planar {
	struct dd_plane plane[3];	/* Y, U, V; U and V unused when gray */
	unsigned int width, height;	/* luma samples */
	unsigned int depth;		/* bits per sample: 8 or 10 */
	int gray;
};

/*
 * Whether @pic fits a CAPTURE buffer of format @f and @size bytes: 8-bit
 * into NV12 or YUV420, any depth into P010.
 */
int dd_pack_fits(const struct dd_planar *pic,
		 const struct daedalus_picture_format *f, size_t size);

/*
 * Writes @pic (dd_pack_fits()) into the CAPTURE buffer @dst of format @f,
 * the luma too unless @luma_in_place (the decoder wrote it there itself).
 * Returns the bytes written.
 */
size_t dd_pack_picture(uint8_t *dst, const struct daedalus_picture_format *f,
		       const struct dd_planar *pic, int luma_in_place);

/* Copies @rows rows of @width 8-bit samples (NV12 luma). */
void dd_pack_copy(uint8_t *dst, size_t dst_stride, struct dd_plane src,
		  unsigned int width, unsigned int rows);

/* Interleaves @width U and V samples per row into NV12 chroma. */
void dd_pack_nv12_chroma(uint8_t *dst, size_t dst_stride, struct dd_plane u,
			 struct dd_plane v, unsigned int width,
			 unsigned int rows);

/* Widens @width @depth-bit samples per row to P010 words (luma). */
void dd_pack_p010(uint8_t *dst, size_t dst_stride, struct dd_plane src,
		  unsigned int depth, unsigned int width, unsigned int rows);

/* Interleaves and widens @depth-bit U and V samples into P010 chroma. */
void dd_pack_p010_chroma(uint8_t *dst, size_t dst_stride, struct dd_plane u,
			 struct dd_plane v, unsigned int depth,
			 unsigned int width, unsigned int rows);

/* Neutral chroma (4:0:0 pictures): @width CbCr pairs per row. */
void dd_pack_gray_chroma(uint8_t *dst, size_t dst_stride, int p010,
			 unsigned int width, unsigned int rows);

#endif /* DAEDALUS_PACK_H */
