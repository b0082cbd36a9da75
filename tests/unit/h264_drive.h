/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test side only: driving dd_backend_h264 the way the daemon core does.
 * CAPTURE buffers are memfds mapped through the bufmap cache (a fresh fd
 * per job, the mapping cached by buffer id), NV12 (P010 for 10-bit) with
 * bytesperline = ALIGN(w, 128), height = ALIGN(h, 32), sizeimage + 1 page.
 */
#ifndef DD_TEST_H264_DRIVE_H
#define DD_TEST_H264_DRIVE_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "bufmap.h"
#include "h264_stream.h"

#define H264_POOL_MAX	48

/* CAPTURE buffers: memfd i is buffer id id_base + i. */
struct h264_pool {
	struct dd_bufmap_cache *cache;
	int fd[H264_POOL_MAX];
	size_t length;
	int n;
	uint64_t id_base;
};

/* @n (<= H264_POOL_MAX) zeroed memfds of @length bytes; 0 or -1. */
int h264_pool_init(struct h264_pool *p, int n, size_t length, uint64_t id_base);
void h264_pool_free(struct h264_pool *p);
/* What the core does per job: a fresh fd for buffer @i, a cached mapping. */
struct dd_bufmap *h264_pool_get(struct h264_pool *p, int i);

/* The CAPTURE format a client picks for @pic. */
void h264_set_format(struct daedalus_job *msg, const struct h264_picture *pic);

/* A CAPTURE buffer length that holds every picture of @s (page multiple). */
size_t h264_capture_length(const struct h264_stream *s);

/*
 * A job record for @pic: context 1, timestamp (frame + 1) * 1000,
 * HOLD_CAPTURE on the first field of a pair, bitstream id 1 (fd -1),
 * picture id @buf_id (fd -1), the picture's controls (dpb[] empty).
 */
void h264_fill_job(struct daedalus_job *msg, const struct h264_picture *pic,
		   uint64_t seq, uint64_t buf_id);

/*
 * The record of a job as the core gets one that hands the fds over:
 * h264_fill_job() into pool buffer @slot, with a dup of its fd and of
 * @bs_fd (the OUTPUT memfd, id 1, @bs_len bytes), the client's DPB @dpb
 * filled (h264_client_dpb_fill()).
 */
void h264_fill_job_fds(struct daedalus_job *msg, const struct h264_picture *pic,
		       uint64_t seq, const struct h264_pool *pool, int slot,
		       int bs_fd, size_t bs_len, struct h264_client_dpb *dpb);

/*
 * Decodes @msg with @bits (@len bytes) as its OUTPUT buffer into pool
 * buffer @slot; *data = the picture in it.  Returns decode()'s value.
 */
int h264_decode_job(const struct dd_backend *b, void *dec,
		    struct h264_pool *pool, int slot,
		    const struct daedalus_job *msg, const uint8_t *bits,
		    size_t len, struct dd_result *res, uint8_t **data);

/* CAPTURE (NV12/YUV420/P010) -> visible planar yuv420p / yuv420p10le, malloc'd. */
uint8_t *h264_capture_yuv(const uint8_t *data,
			  const struct daedalus_picture_format *f,
			  const struct h264_crop *c, size_t *len);

#endif /* DD_TEST_H264_DRIVE_H */
