/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MD5s of a decoded picture, as daedalus-replay prints them.  Both cover
 * the visible area only, taken as the job's coded size (the daemon does
 * not know the stream's cropping):
 *   capture  the CAPTURE layout without stride padding: coded_height luma
 *            rows of coded_width samples, then ceil(coded_height / 2)
 *            interleaved CbCr rows of 2 * ceil(coded_width / 2) samples;
 *            NV12 one byte per sample, P010 two (little-endian, value in
 *            the top 10 bits), exactly as in the buffer; YUV420 its
 *            ceil(coded_height / 2) Cb rows, then as many Cr rows, of
 *            ceil(coded_width / 2) bytes;
 *   i420     planar Y, then Cb, then Cr: 8-bit for NV12 and YUV420 (like
 *            ffmpeg -pix_fmt yuv420p), 16-bit little-endian with the
 *            value in the low 10 bits for P010 (like yuv420p10le).
 * dd_picture_planar() hands out the i420 bytes themselves (daedalus-replay
 * --frames writes them).
 */
#ifndef DAEDALUS_PICTURE_HASH_H
#define DAEDALUS_PICTURE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"

/*
 * @data: the picture (sizeimage bytes, geometry @fmt, checked by
 * dd_job_check()); @width x @height <= fmt->width x fmt->height.
 * Returns 0, or -EINVAL if the area does not fit in @fmt.
 */
int dd_picture_md5(const uint8_t *data, const struct daedalus_picture_format *fmt,
		   uint32_t width, uint32_t height, char capture_hex[33],
		   char i420_hex[33]);

/* Receives a picture's planar bytes, piece by piece, in order. */
typedef void dd_picture_sink(void *opaque, const uint8_t *bytes, size_t size);

/*
 * Passes the @width x @height area of @data to @sink as the i420 bytes
 * above (planar Y, Cb, Cr; yuv420p or yuv420p10le).  Same checks and
 * return as dd_picture_md5(); nothing is passed on -EINVAL.
 */
int dd_picture_planar(const uint8_t *data, const struct daedalus_picture_format *fmt,
		      uint32_t width, uint32_t height, dd_picture_sink *sink,
		      void *opaque);

#endif /* DAEDALUS_PICTURE_HASH_H */
