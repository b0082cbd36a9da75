/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interface between daedalusd's core and its decode backends.
 *
 * The core reads a job from the kernel, checks it (daemon/job_check.c),
 * maps its buffers and hands it to the backend that owns the job's
 * context.  One backend instance ("decoder") exists per V4L2 context and
 * codec; the core never calls one decoder from two threads at once, and
 * calls it with the context's jobs in submission order.  A decoder
 * decodes one job per call (decode()), or holds several at once and
 * answers them later (submit()/complete(), for frame threads).
 */
#ifndef DAEDALUS_BACKEND_H
#define DAEDALUS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"
#include "bufmap.h"

/* The coded data of one job, read-only. */
struct dd_bitstream {
	const uint8_t *data;
	size_t size;		/* job->bitstream.bytesused, already bounds-checked */
};

/* The CAPTURE buffer of one job, mapped writable. */
struct dd_picture {
	uint8_t *data;		/* first byte of the luma plane */
	size_t size;		/* bytes writable from data (>= format->sizeimage) */
	const struct daedalus_picture_format *format;
	uint64_t buf_id;
	/*
	 * The mapping behind data.  A backend that keeps using the memory
	 * after decode() returns (a reference picture) takes a reference
	 * with dd_bufmap_ref() and drops it with dd_bufmap_unref(): the
	 * kernel may free the V4L2 buffer at any time, and the mapping then
	 * lives on until the last reference goes.
	 */
	struct dd_bufmap *map;
};

struct dd_job {
	const struct daedalus_job *msg;	/* validated: geometry, refs, params */
	struct dd_bitstream bitstream;
	struct dd_picture picture;
};

struct dd_result {
	enum daedalus_status status;
	uint32_t bytesused;	/* normally picture.format->sizeimage */
	/*
	 * The picture needs no earlier one (a key frame, an H.264 I picture):
	 * a decoder opened mid-stream answers OK again from here on.
	 */
	int restart;
	/*
	 * Why the job is not OK, for the log (a static string), or NULL.  The
	 * core logs it once per context: a client cannot flood the log.
	 */
	const char *why;
	uint64_t bytes_copied;	/* picture bytes written other than in place */
};

/* What the core gives every decoder it opens. */
struct dd_decoder_config {
	/* Threads the decoder may use: the core's share of the cores. */
	unsigned int threads;
};

struct dd_backend {
	const char *name;
	enum daedalus_codec codec;
	/*
	 * Why the backend cannot decode here (a library it needs did not
	 * load: a static string, or one that lives as long as the process),
	 * or NULL if it can.  Loads what the backend needs, once per
	 * process.  NULL hook: the backend needs nothing.  The daemon asks
	 * every backend in use before HELLO and announces only the codecs
	 * of those that can run (dd_backend_codec_mask()).
	 */
	const char *(*unavailable)(void);
	/*
	 * Creates a decoder for one context.  Returns 0 and sets *decoder, or
	 * a negative errno (the caller logs it, with unavailable()'s reason
	 * if the backend cannot run here).
	 */
	int (*open)(void **decoder, const struct dd_decoder_config *cfg);
	/*
	 * Decodes one job into job->picture.  Returns 0 with *result filled
	 * in, or a negative errno when the decoder is unusable (the core
	 * then answers FAILED and closes it).
	 */
	int (*decode)(void *decoder, const struct dd_job *job,
		      struct dd_result *result);
	/*
	 * How many threads decoding @job can keep busy (libavcodec's slice
	 * threads: one per slice or partition), so that the core takes no
	 * more of the thread budget for it than it uses.  NULL: all of the
	 * decoder's.  For decode() only.
	 */
	unsigned int (*parallelism)(void *decoder, const struct dd_job *job);
	/*
	 * A decoder that works on several jobs at once (frame threads) has
	 * these three instead of decode().  submit() takes @job, which stays
	 * valid (buffers mapped, CPU access begun) until complete() answered
	 * it; it is called only while the decoder holds fewer than depth()
	 * jobs.  complete() answers the oldest job held (jobs are answered in
	 * submission order): 1 with *result filled, 0 when @wait is 0 and it
	 * is not done yet.  Both return a negative errno when the decoder is
	 * unusable: the core then fails every job it holds and closes it.
	 */
	int (*submit)(void *decoder, const struct dd_job *job);
	int (*complete)(void *decoder, int wait, struct dd_result *result);
	unsigned int (*depth)(void *decoder);
	void (*close)(void *decoder);
};

/* The backend that decodes @codec, or NULL; "pattern" overrides all. */
const struct dd_backend *dd_backend_find(enum daedalus_codec codec,
					 const char *forced_name);
/* The same with the backend forced given itself (NULL: by codec). */
const struct dd_backend *dd_backend_for(enum daedalus_codec codec,
					const struct dd_backend *forced);

/* Backends, each in its own file. */
extern const struct dd_backend dd_backend_pattern;
extern const struct dd_backend dd_backend_h264;
extern const struct dd_backend dd_backend_vp8;
extern const struct dd_backend dd_backend_vp9;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
extern const struct dd_backend dd_backend_av1;
#endif

#endif /* DAEDALUS_BACKEND_H */
