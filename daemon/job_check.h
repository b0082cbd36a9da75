/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Validation of a job record before any backend sees it.  Everything in a
 * job except the fds comes from a V4L2 client (through the kernel, which
 * range-checks some controls): the daemon trusts none of it.  After
 * dd_job_check() passes, a backend may rely on:
 *   - the header, codec, flags and reserved fields being valid;
 *   - coded size and picture geometry being sane and self-consistent:
 *     1..8192 pixels, picture >= coded size, an even number of rows,
 *     bytesperline >= 2 * ceil(width / 2) * bytes per sample (a width
 *     may be odd, the stride holds it rounded up to even), bytesperline *
 *     height * 3 / 2 <= sizeimage <= picture.length - picture.offset;
 *   - offset + bytesused <= length for the bitstream, bytesused > 0;
 *   - num_refs <= DAEDALUS_MAX_REFS;
 *   - the codec's parameters being within the ranges this daemon decodes
 *     (see job_check.c per codec).
 * Mapped lengths are checked again after mapping (context.c).
 */
#ifndef DAEDALUS_JOB_CHECK_H
#define DAEDALUS_JOB_CHECK_H

#include <stddef.h>

#include "daedalus_proto.h"

#define DD_MAX_DIMENSION	8192

/*
 * Checks the @len bytes of @job.  Returns 0, or -EINVAL with *why set to
 * a static string naming the first failed check.
 */
int dd_job_check(const struct daedalus_job *job, size_t len, const char **why);

/*
 * A CAPTURE layout by itself: a known pixel format, 1..8192 pixels, an
 * even number of rows, bytesperline and sizeimage that hold them (the
 * rules above).  0 or -EINVAL with *why.
 */
int dd_picture_format_check(const struct daedalus_picture_format *f,
			    const char **why);

/* The codecs dd_job_check() can accept (AV1 only with AV1 uAPI headers). */
int dd_job_codec_supported(enum daedalus_codec codec);

/* Bytes per sample of a checked picture format: 1 (NV12, YUV420) or 2 (P010). */
unsigned int dd_picture_bytes_per_sample(const struct daedalus_picture_format *fmt);

/* Where a chroma plane of a picture starts (bytes from its luma) and its stride. */
struct dd_chroma_plane {
	size_t offset, stride;
};

/*
 * Chroma plane @i (0: Cb, 1: Cr) of a checked picture format: YUV420 has
 * two of half the luma stride; NV12 and P010 one interleaved plane, the
 * same for both @i.
 */
struct dd_chroma_plane dd_picture_chroma(const struct daedalus_picture_format *fmt,
					 unsigned int i);

#endif /* DAEDALUS_JOB_CHECK_H */
