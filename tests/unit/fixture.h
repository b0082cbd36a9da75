/* SPDX-License-Identifier: BSD-2-Clause */
/* Well-formed jobs for the tests, and fake dma-bufs (memfds). */
#ifndef DD_FIXTURE_H
#define DD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"

#define FX_BITSTREAM_LENGTH	4096
#define FX_BYTESUSED		200

/*
 * A job that passes dd_job_check(): @codec, @width x @height (multiples
 * of 16), NV12, tight stride, sizeimage = picture.length; buffer ids
 * 1000 + seq (bitstream) and 1 (picture); fds 100 and 101 (replace them
 * with real ones before handing the job to anything that maps).
 */
void fx_job_init(struct daedalus_job *job, enum daedalus_codec codec,
		 uint64_t seq, uint64_t ctx_id, uint32_t width, uint32_t height);

/* A memfd of @size bytes filled with @fill; aborts on failure. */
int fx_memfd(size_t size, uint8_t fill);

/* Number of open fds of this process. */
int fx_count_fds(void);

/* stderr (the daemon's log) kept in a memfd from fx_capture_begin() on. */
struct fx_capture {
	int fd;
	int saved;	/* the real stderr */
};

void fx_capture_begin(struct fx_capture *cap);
/* Back to the real stderr; the text logged meanwhile, malloc'd, NUL-ended. */
char *fx_capture_end(struct fx_capture *cap);

#endif /* DD_FIXTURE_H */
