/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One V4L2 context as the daemon sees it, and the two stages of a job
 * that do not depend on threading, shared by daedalusd (core.c) and
 * daedalus-replay:
 *
 *   prepare  (reader)  keep the record's fds, check it, map its buffers;
 *   run      (worker)  pick/reset the decoder, record, decode, answer.
 *
 * A context's decoder is opened on its first job, reopened when the codec
 * changes (DAEDALUS_JOB_NEW_STREAM is the backend's to handle), closed on
 * DAEDALUS_MSG_CTX_GONE (or when it fails).  Not thread-safe: the core
 * runs one context on one worker at a time.
 */
#ifndef DAEDALUS_CONTEXT_H
#define DAEDALUS_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "bufmap.h"
#include "recorder.h"
#include "thread_budget.h"

/* A job record after the reader looked at it. */
struct dd_prepared_job {
	struct daedalus_job *msg;	/* the record; owned by the caller */
	const char *reject;		/* set: answer FAILED, do not decode */
	struct dd_bufmap *bitstream;	/* references, NULL when rejected */
	struct dd_bufmap *picture;
	/* The mapped buffers of the references it names (not the picture's). */
	struct dd_bufmap *refs[DAEDALUS_MAX_REFS];
	unsigned int num_refs;
};

#define DD_WHY_REMEMBERED	8

struct dd_context {
	uint64_t ctx_id;
	const char *forced_backend;	/* --backend, or NULL */
	struct dd_thread_budget *budget;	/* NULL: one thread, no waiting */
	unsigned int threads;			/* of the open decoder */
	const struct dd_backend *backend;	/* of the open decoder */
	void *decoder;			/* NULL: none open */
	enum daedalus_codec codec;	/* of the open decoder */
	int need_key;			/* decoder opened: no key frame yet */
	unsigned int warned;		/* DD_WARNED_* already logged */
	/* Backends' reasons already logged at warning level (then debug). */
	const char *why_logged[DD_WHY_REMEMBERED];
	uint64_t jobs;
	uint64_t failed;
	uint64_t corrupt;
	uint64_t bytes_copied;		/* picture bytes not decoded in place */
	uint64_t sync_ns;		/* time in DMA_BUF_IOCTL_SYNC */
	/* For dd_context_summary(): */
	uint64_t frames;		/* pictures answered OK (not fields held) */
	enum daedalus_codec last_codec;	/* of the last job */
	uint32_t width, height;		/* its coded size */
	uint64_t first_ns, last_ns;	/* first job's start, last one's end */
};

/* Hands the record's fds (those >= 0) over to @cache, whatever else is wrong. */
void dd_job_take_fds(struct dd_bufmap_cache *cache,
		     const struct daedalus_job *msg);
/*
 * Takes the record's fds (dd_job_take_fds()), checks @job->msg (@len
 * bytes fetched) and maps its buffers through @cache; sets @job->reject
 * when the job must not reach a backend.
 */
void dd_job_prepare(struct dd_bufmap_cache *cache, struct dd_prepared_job *job,
		    size_t len);
/* Drops the mappings of a prepared job (not msg). */
void dd_job_release(struct dd_prepared_job *job);

void dd_context_init(struct dd_context *ctx, uint64_t ctx_id,
		     const char *forced_backend, struct dd_thread_budget *budget);
void dd_context_close_decoder(struct dd_context *ctx);

/*
 * Runs one prepared job of this context: records it (@rec may be NULL),
 * decodes it unless rejected, and fills @res with the answer, which
 * passes dd_result_check().
 */
void dd_context_run(struct dd_context *ctx, const struct dd_prepared_job *job,
		    struct dd_recorder *rec, struct daedalus_result *res);

/*
 * What the context did, for its close: "h264 176x144, 17 jobs, 17 frames
 * in 0.22 s (79.1 fps), 0 failed, 0 corrupt, 0 picture bytes copied (0 per
 * job), cache syncs 3.2 us per job", the
 * time from its first job's start to its last one's end.
 */
void dd_context_summary(const struct dd_context *ctx, char *buf, size_t size);

#endif /* DAEDALUS_CONTEXT_H */
