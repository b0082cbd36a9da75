/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One V4L2 context as the daemon sees it, and the two stages of a job
 * that do not depend on threading, shared by daedalusd (core.c) and
 * daedalus-replay:
 *
 *   prepare  (reader)  keep the record's fds, check it, map its buffers;
 *   start    (worker)  pick/reset the decoder, record, decode, answer;
 *   finish   (worker)  answer a job a frame-threaded decoder held.
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
	/* From dd_context_start() to its answer: */
	struct dd_job dj;		/* what the backend was given */
	int synced;			/* CPU access to the buffers begun */
	uint64_t arrived_ns;		/* read from the kernel (CLOCK_MONOTONIC) */
	uint64_t start_ns;
};

/*
 * The longest dd_context_due_ns() waits after an answer; for a client that
 * sends jobs ahead of the answers (GStreamer keeps two requests in the
 * driver), longer: its next job comes whatever the daemon does, and a held
 * job that is still decoding loses nothing by the wait.
 */
#define DD_LINGER_MAX_NS	10000000u
#define DD_LINGER_AHEAD_MAX_NS	100000000u

/* Jobs a context's decoder holds at most (frame threads). */
#define DD_CONTEXT_MAX_HELD	DAEDALUS_MAX_DEPTH

#define DD_WHY_REMEMBERED	8

struct dd_context {
	uint64_t ctx_id;
	const struct dd_backend *forced_backend;	/* --backend, or NULL */
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
	uint64_t wait_ns;		/* jobs' time from read to start */
	uint64_t busy_ns;		/* and from start to answer */
	/* For dd_context_summary(): */
	uint64_t frames;		/* pictures answered OK (not fields held) */
	enum daedalus_codec last_codec;	/* of the last job */
	uint32_t width, height;		/* its coded size */
	uint64_t first_ns, last_ns;	/* first job's start, last one's end */
	uint64_t prev_ns;		/* the end of the one before it */
	/* Jobs the decoder holds (submit()), oldest first, in a ring. */
	struct dd_prepared_job *held[DD_CONTEXT_MAX_HELD];
	unsigned int held_first, num_held;
	unsigned int most_held;		/* for dd_context_summary() */
	unsigned int tokens;		/* thread budget taken: one per job held */
	unsigned int parked;		/* of them, while no worker runs it */
	uint64_t gap_ns;		/* usual time from an answer to the next job */
	uint8_t ahead;			/* per recent job: it came while others were held */
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
		     const struct dd_backend *forced_backend,
		     struct dd_thread_budget *budget);
void dd_context_close_decoder(struct dd_context *ctx);
/*
 * A worker leaves the context, or comes back to it: the tokens of the
 * jobs its decoder holds are parked meanwhile (thread_budget.h), so that
 * a decode waiting for them never waits for a worker that waits too.
 */
void dd_context_park(struct dd_context *ctx);
void dd_context_unpark(struct dd_context *ctx);

/*
 * Starts one prepared job of this context: records it (@rec may be NULL)
 * and decodes it unless rejected.  Returns 1 with @res filled (an answer
 * that passes dd_result_check()), or 0 when the decoder holds the job:
 * dd_context_finish() answers it later, and @job must live until then.
 */
int dd_context_start(struct dd_context *ctx, struct dd_prepared_job *job,
		     struct dd_recorder *rec, struct daedalus_result *res);
/*
 * Whether @job may start while the decoder holds jobs; if not, finish them
 * first (another codec, or the decoder holds all it can).
 */
int dd_context_can_start(const struct dd_context *ctx,
			 const struct dd_prepared_job *job);
/*
 * The oldest job the decoder holds, answered in @res; NULL when it holds
 * none, or @wait is 0 and that job is not done.  Held jobs of a decoder
 * closed meanwhile are answered FAILED.
 */
struct dd_prepared_job *dd_context_finish(struct dd_context *ctx, int wait,
					  struct daedalus_result *res);
/*
 * Until when (CLOCK_MONOTONIC ns) the client's next job is likely to come
 * while the decoder holds jobs: a few of the client's usual gaps from an
 * answer to its next job after the last answer (at most DD_LINGER_MAX_NS,
 * or DD_LINGER_AHEAD_MAX_NS when most of its recent jobs came while others
 * were held); 0 when it holds none, or as many as it takes.
 */
uint64_t dd_context_due_ns(const struct dd_context *ctx);

/*
 * dd_context_start() and, if held, dd_context_finish() of that one job:
 * for a context that never has two jobs at once (daedalus-replay).
 */
void dd_context_run(struct dd_context *ctx, struct dd_prepared_job *job,
		    struct dd_recorder *rec, struct daedalus_result *res);

uint64_t dd_now_ns(void);

/*
 * What the context did, for its close: "h264 176x144, 17 jobs, 17 frames
 * in 0.22 s (79.1 fps), 0 failed, 0 corrupt, 0 picture bytes copied (0 per
 * job), cache syncs 3.2 us per job, 40.1 us from read to start, 900.3 us
 * from start to answer" (the fps over its first job's start to its last
 * one's end; the last three are means: where a job's time in the daemon
 * goes); ", up to 2 jobs decoding at once" follows when its decoder held
 * several.
 */
void dd_context_summary(const struct dd_context *ctx, char *buf, size_t size);

#endif /* DAEDALUS_CONTEXT_H */
