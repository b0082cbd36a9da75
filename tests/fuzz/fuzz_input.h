/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input formats of the fuzz targets, shared by the targets and by
 * dd-fuzz-seed (which writes seeds and converts to and from recordings).
 *
 * fuzz_job          one record exactly as read() returns it: a `.job`
 *                   file of `daedalusd --record` is a valid input as is.
 * fuzz_h264_headers struct v4l2_ctrl_h264_sps, _pps, _scaling_matrix as
 *                   they sit in struct daedalus_h264_params (raw, back to
 *                   back), then optional bytes that pick output sizes.
 * fuzz_vpx_headers  VP9/VP8 frame starts: per frame one length byte, then
 *                   that many bytes (FZ_VPX_*).
 * fuzz_av1_obu     AV1 frames (FZ_AV1_*): per frame the controls of
 *                   struct daedalus_av1_params up to its tiles[], then
 *                   min(num_tiles, DAEDALUS_MAX_TILES) tile entries, a
 *                   32-bit little-endian bitstream length and that many
 *                   bytes (each part cut short by the end of the input,
 *                   the rest zero).
 * fuzz_<codec>_decode  (h264, vp9, vp8, av1) a job stream: chunks separated by
 *                   FZ_SEP; a chunk is the first fz_job_prefix(codec)
 *                   bytes of a daedalus_job (everything up to the end of
 *                   the codec's params; the rest is zero) followed by that
 *                   job's bitstream.  FZ_SEP is searched for only after a
 *                   chunk's prefix; it cannot occur in an escaped Annex-B
 *                   stream (00 00 00 02).  A VP8/VP9 frame may hold it by
 *                   chance (2^-64 a position): dd-fuzz-seed cuts a frame
 *                   there rather than make a seed that splits elsewhere.
 *
 * fz_job_from_chunk() is the one place that turns a chunk into the job
 * the decode targets (and `dd-fuzz-seed to-recording`) use, so a crash
 * input converted to a recording replays the same jobs.
 */
#ifndef DD_FUZZ_INPUT_H
#define DD_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daedalus_proto.h"
#include "proto_io.h"

/* A decode chunk's job prefix: the job up to the end of @codec's params. */
static inline size_t fz_job_prefix(enum daedalus_codec codec)
{
	size_t params = sizeof(struct daedalus_h264_params);

	if (codec == DAEDALUS_CODEC_VP9)
		params = sizeof(struct daedalus_vp9_params);
	else if (codec == DAEDALUS_CODEC_VP8)
		params = sizeof(struct daedalus_vp8_params);
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	else if (codec == DAEDALUS_CODEC_AV1)
		params = sizeof(struct daedalus_av1_params);	/* 10192: 8 KiB of tiles */
#endif
	return offsetof(struct daedalus_job, params) + params;
}

#define FZ_SEP		"\0\0\0\2DJB"
#define FZ_SEP_LEN	8
#define FZ_MAX_JOBS	8

/* fuzz_vpx_headers: at most this many frames of at most 255 bytes each */
#define FZ_VPX_FRAMES	16

/* fuzz_av1_obu: at most this many frames, slots carried over */
#define FZ_AV1_FRAMES	4
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
#define FZ_AV1_CONTROLS	offsetof(struct daedalus_av1_params, tiles)
#endif

#define FZ_HEADERS_SIZE \
	(sizeof(struct v4l2_ctrl_h264_sps) + sizeof(struct v4l2_ctrl_h264_pps) + \
	 sizeof(struct v4l2_ctrl_h264_scaling_matrix))

struct fz_chunk {
	const uint8_t *prefix;	/* FZ_JOB_PREFIX bytes at most */
	size_t prefix_len;
	const uint8_t *bitstream;
	size_t bitstream_len;
};

static inline const uint8_t *fz_find_sep(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= FZ_SEP_LEN) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p - FZ_SEP_LEN + 1));

		if (!z)
			return NULL;
		if (!memcmp(z, FZ_SEP, FZ_SEP_LEN))
			return z;
		p = z + 1;
	}
	return NULL;
}

/*
 * Splits a decode input into at most @max chunks with job prefixes of
 * @prefix bytes (fz_job_prefix()); returns the count.
 */
static inline size_t fz_split(const uint8_t *data, size_t size, size_t prefix,
			      struct fz_chunk *out, size_t max)
{
	const uint8_t *p = data, *end = data + size;
	size_t n = 0;

	while (n < max && p < end) {
		struct fz_chunk *c = &out[n++];
		const uint8_t *bs, *sep;

		c->prefix = p;
		c->prefix_len = (size_t)(end - p) < prefix ? (size_t)(end - p) : prefix;
		bs = p + c->prefix_len;
		sep = fz_find_sep(bs, end);
		c->bitstream = bs;
		c->bitstream_len = (size_t)((sep ? sep : end) - bs);
		if (!sep)
			break;
		p = sep + FZ_SEP_LEN;
	}
	return n;
}

/*
 * The job of chunk @index: the prefix, zero-extended, with what the
 * harness (standing in for the kernel) owns made consistent: header, seq
 * = index + 1, ctx_id 1, codec @codec, fds present, the OUTPUT buffer
 * exactly the chunk's bitstream (offset 0, length = bytesused), the
 * CAPTURE buffer exactly offset + sizeimage bytes.  Everything else (the
 * flags, sizes, picture format, ids and offset, the codec controls) is
 * the fuzzer's.  fuzz_job covers the header and buffer checks.
 */
static inline void fz_job_from_chunk(const struct fz_chunk *c, size_t index,
				     enum daedalus_codec codec,
				     struct daedalus_job *job)
{
	uint64_t len;

	memset(job, 0, sizeof(*job));
	memcpy(job, c->prefix, c->prefix_len);
	dd_hdr_init(&job->hdr, DAEDALUS_MSG_JOB, sizeof(*job));
	job->seq = index + 1;
	job->ctx_id = 1;
	job->codec = codec;
	job->reserved = 0;
	job->bitstream.fd = 3;
	job->picture.fd = 4;
	job->bitstream.offset = 0;
	job->bitstream.bytesused = (uint32_t)c->bitstream_len;
	job->bitstream.length = (uint32_t)c->bitstream_len;
	len = (uint64_t)job->picture.offset + job->picture_format.sizeimage;
	job->picture.length = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

#endif /* DD_FUZZ_INPUT_H */
