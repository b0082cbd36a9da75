/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "context.h"
#include "job_check.h"
#include "log.h"
#include "proto_io.h"

/* What a context has logged once already. */
enum {
	DD_WARNED_CHECK = 1u << 0,
	DD_WARNED_NO_BACKEND = 1u << 1,
	DD_WARNED_OPEN = 1u << 2,
	DD_WARNED_DECODE = 1u << 3,
	DD_WARNED_RESULT = 1u << 4,
	DD_WARNED_RECORD = 1u << 5,
	DD_WARNED_SYNC = 1u << 6,
};

void dd_job_take_fds(struct dd_bufmap_cache *cache,
		     const struct daedalus_job *msg)
{
	if (msg->bitstream.fd >= 0)
		dd_bufmap_cache_add(cache, msg->bitstream.id, msg->bitstream.fd);
	/* One fd twice is the sender's bug: it must not be closed twice. */
	if (msg->picture.fd >= 0 && msg->picture.fd != msg->bitstream.fd)
		dd_bufmap_cache_add(cache, msg->picture.id, msg->picture.fd);
}

void dd_job_prepare(struct dd_bufmap_cache *cache, struct dd_prepared_job *job,
		    size_t len)
{
	const struct daedalus_job *msg = job->msg;

	job->reject = NULL;
	job->bitstream = NULL;
	job->picture = NULL;
	job->num_refs = 0;

	/*
	 * The fds first: the kernel sends each buffer's fd once, so even a
	 * job refused for its content hands them over for later jobs.
	 */
	dd_job_take_fds(cache, msg);
	if (dd_job_check(msg, len, &job->reject))
		return;
	job->bitstream = dd_bufmap_cache_get(cache, msg->bitstream.id, -1,
					     msg->bitstream.length, 0);
	if (!job->bitstream) {
		job->reject = errno == ENOENT ? "bitstream buffer never handed over" :
			      "cannot map the bitstream buffer";
		return;
	}
	job->picture = dd_bufmap_cache_get(cache, msg->picture.id, -1,
					   msg->picture.length, 1);
	if (!job->picture) {
		job->reject = errno == ENOENT ? "picture buffer never handed over" :
			      "cannot map the picture buffer";
		dd_job_release(job);
		return;
	}
	for (uint32_t i = 0; i < msg->num_refs; i++) {
		uint64_t id = msg->refs[i].buf_id;
		uint32_t j;

		for (j = 0; j < i && msg->refs[j].buf_id != id; j++)
			;
		if (j < i || id == msg->picture.id || id == msg->bitstream.id)
			continue;
		/* Not mapped: no decoder of this attachment holds it. */
		job->refs[job->num_refs] = dd_bufmap_cache_find(cache, id);
		if (job->refs[job->num_refs])
			job->num_refs++;
	}
}

void dd_job_release(struct dd_prepared_job *job)
{
	dd_bufmap_unref(job->bitstream);
	dd_bufmap_unref(job->picture);
	job->bitstream = NULL;
	job->picture = NULL;
	while (job->num_refs)
		dd_bufmap_unref(job->refs[--job->num_refs]);
}

void dd_context_init(struct dd_context *ctx, uint64_t ctx_id,
		     const struct dd_backend *forced_backend,
		     struct dd_thread_budget *budget)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ctx_id = ctx_id;
	ctx->forced_backend = forced_backend;
	ctx->budget = budget;
}

void dd_context_park(struct dd_context *ctx)
{
	if (ctx->tokens) {
		dd_thread_budget_park(ctx->budget, ctx->tokens);
		ctx->parked = ctx->tokens;
		ctx->tokens = 0;
	}
}

void dd_context_unpark(struct dd_context *ctx)
{
	if (ctx->parked) {
		ctx->tokens = dd_thread_budget_unpark(ctx->budget, ctx->parked);
		ctx->parked = 0;
	}
}

void dd_context_close_decoder(struct dd_context *ctx)
{
	dd_context_unpark(ctx);
	if (ctx->decoder) {
		/* Jobs still held stay, to be answered FAILED. */
		ctx->backend->close(ctx->decoder);
		if (ctx->budget) {
			if (ctx->tokens)
				dd_thread_budget_give(ctx->budget, ctx->tokens);
			dd_thread_budget_close(ctx->budget);
		}
	}
	ctx->tokens = 0;
	ctx->decoder = NULL;
	ctx->backend = NULL;
	ctx->codec = DAEDALUS_CODEC_NONE;
}

/* Logs at @level the first time @what happens in this context, then at debug. */
#define warn_once(ctx, what, level, ...)                                    \
	do {                                                                 \
		if ((ctx)->warned & (what)) {                                \
			dd_dbg(__VA_ARGS__);                                 \
		} else {                                                     \
			(ctx)->warned |= (what);                             \
			dd_log(level, __VA_ARGS__);                          \
		}                                                            \
	} while (0)

static int ensure_decoder(struct dd_context *ctx, const struct daedalus_job *msg)
{
	const struct dd_backend *backend;
	const char *why;
	int ret;

	if (ctx->decoder && ctx->codec != msg->codec)
		dd_context_close_decoder(ctx);
	if (ctx->decoder)
		return 0;

	struct dd_decoder_config cfg = { 1 };

	backend = dd_backend_for(msg->codec, ctx->forced_backend);
	if (!backend) {
		warn_once(ctx, DD_WARNED_NO_BACKEND, DD_LOG_WARN,
			  "context %" PRIu64 ": no backend for %s",
			  ctx->ctx_id, dd_codec_name(msg->codec));
		return -ENOSYS;
	}
	if (ctx->budget)
		cfg.threads = dd_thread_budget_open(ctx->budget);
	ret = backend->open(&ctx->decoder, &cfg);
	if (ret) {
		if (ctx->budget)
			dd_thread_budget_close(ctx->budget);
		ctx->decoder = NULL;
		why = dd_backend_unavailable(backend);
		warn_once(ctx, DD_WARNED_OPEN, DD_LOG_WARN,
			  "context %" PRIu64 ": %s backend failed to open: %s",
			  ctx->ctx_id, backend->name, why ? why : strerror(-ret));
		return ret;
	}
	ctx->backend = backend;
	ctx->threads = cfg.threads;
	ctx->codec = msg->codec;
	ctx->need_key = 1;
	dd_dbg("context %" PRIu64 ": %s decoder opened for %s, %u threads",
	       ctx->ctx_id, backend->name, dd_codec_name(msg->codec), cfg.threads);
	return 0;
}

/* Logs a backend's reason at warning level the first time, then at debug. */
static void log_why(struct dd_context *ctx, const struct daedalus_job *msg,
		    const char *why)
{
	unsigned int i;

	for (i = 0; i < DD_WHY_REMEMBERED && ctx->why_logged[i]; i++) {
		if (ctx->why_logged[i] == why) {
			dd_dbg("context %" PRIu64 ": job %" PRIu64 ": %s",
			       ctx->ctx_id, (uint64_t)msg->seq, why);
			return;
		}
	}
	if (i == DD_WHY_REMEMBERED) {
		dd_dbg("context %" PRIu64 ": job %" PRIu64 ": %s", ctx->ctx_id,
		       (uint64_t)msg->seq, why);
		return;
	}
	ctx->why_logged[i] = why;
	dd_warn("context %" PRIu64 ": job %" PRIu64 ": %s (again at debug level)",
		ctx->ctx_id, (uint64_t)msg->seq, why);
}

/* What the backend is given of @job. */
static void fill_job(struct dd_prepared_job *job)
{
	const struct daedalus_job *msg = job->msg;
	struct dd_job *dj = &job->dj;

	dj->msg = msg;
	dj->bitstream.data = dd_bufmap_data(job->bitstream) + msg->bitstream.offset;
	dj->bitstream.size = msg->bitstream.bytesused;
	dj->picture.data = dd_bufmap_data(job->picture) + msg->picture.offset;
	dj->picture.size = dd_bufmap_length(job->picture) - msg->picture.offset;
	dj->picture.format = &msg->picture_format;
	dj->picture.buf_id = msg->picture.id;
	dj->picture.map = job->picture;
}

/*
 * The status of a job from its backend's answer: @ret the backend call's
 * return (negative: the decoder is unusable, and closed here), @result
 * what it filled in.
 */
static enum daedalus_status judge(struct dd_context *ctx,
				  const struct daedalus_job *msg, int ret,
				  struct dd_result *result, uint32_t *bytesused)
{
	if (ret < 0) {
		warn_once(ctx, DD_WARNED_DECODE, DD_LOG_WARN,
			  "context %" PRIu64 ": job %" PRIu64 ": %s decoder failed: %s",
			  ctx->ctx_id, (uint64_t)msg->seq, ctx->backend->name,
			  strerror(-ret));
		dd_context_close_decoder(ctx);
		return DAEDALUS_STATUS_FAILED;
	}
	if (result->status > DAEDALUS_STATUS_FAILED ||
	    result->bytesused > msg->picture_format.sizeimage) {
		warn_once(ctx, DD_WARNED_RESULT, DD_LOG_ERROR,
			  "context %" PRIu64 ": %s backend returned status %u, bytesused %u",
			  ctx->ctx_id, ctx->backend->name, (unsigned int)result->status,
			  result->bytesused);
		return DAEDALUS_STATUS_FAILED;
	}
	/*
	 * A decoder opened mid-stream (new context, new daemon,
	 * after a failure) lacks the references of everything up to the next
	 * key frame: those pictures are predicted from concealed ones, even
	 * when the backend finds its own references complete.
	 */
	if (ctx->need_key) {
		if (result->restart && result->status != DAEDALUS_STATUS_FAILED)
			ctx->need_key = 0;
		else if (result->status == DAEDALUS_STATUS_OK)
			result->status = DAEDALUS_STATUS_CORRUPT;
	}
	if (result->why)
		log_why(ctx, msg, result->why);
	if (result->status == DAEDALUS_STATUS_CORRUPT)
		ctx->corrupt++;
	ctx->bytes_copied += result->bytes_copied;
	*bytesused = result->bytesused;
	return result->status;
}

uint64_t dd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Buffer @i of @job: the bitstream, the picture, then the references. */
static struct dd_bufmap *job_buf(const struct dd_prepared_job *job, unsigned int i)
{
	return i == 0 ? job->bitstream : i == 1 ? job->picture : job->refs[i - 2];
}

/*
 * DMA_BUF_IOCTL_SYNC around the CPU's access to @job's buffers: the
 * bitstream read (and recorded), the picture written, the references
 * read.  @end 0 begins it (undone if one fails), 1 ends it.  0, or the
 * first negative errno.
 */
static int sync_job(struct dd_context *ctx, const struct dd_prepared_job *job,
		    int end)
{
	unsigned int n = 2 + job->num_refs, i;
	uint64_t start = dd_now_ns();
	int ret = 0, r;

	for (i = 0; i < n && !(ret && !end); i++) {
		r = dd_bufmap_sync(job_buf(job, i), end, i == 1);
		if (r && !ret)
			ret = r;
	}
	if (ret && !end)
		for (i--; i--;)
			dd_bufmap_sync(job_buf(job, i), 1, i == 1);
	ctx->sync_ns += dd_now_ns() - start;
	return ret;
}

/* Ends @job: CPU access, counts, the answer in @res. */
static void end_job(struct dd_context *ctx, const struct dd_prepared_job *job,
		    enum daedalus_status status, uint32_t bytesused,
		    struct daedalus_result *res)
{
	const struct daedalus_job *msg = job->msg;
	const char *why;
	int ret;

	/* The picture may not be in memory for the client: the job fails. */
	if (job->synced && (ret = sync_job(ctx, job, 1))) {
		warn_once(ctx, DD_WARNED_SYNC, DD_LOG_WARN,
			  "context %" PRIu64 ": job %" PRIu64 ": cannot end CPU access to its buffers (DMA_BUF_IOCTL_SYNC): %s",
			  ctx->ctx_id, (uint64_t)msg->seq, strerror(-ret));
		status = DAEDALUS_STATUS_FAILED;
		bytesused = 0;
	}

	if (status == DAEDALUS_STATUS_FAILED)
		ctx->failed++;
	if (status == DAEDALUS_STATUS_OK && !(msg->flags & DAEDALUS_JOB_HOLD_CAPTURE))
		ctx->frames++;
	ctx->prev_ns = ctx->last_ns;
	ctx->last_ns = dd_now_ns();
	ctx->busy_ns += ctx->last_ns - job->start_ns;
	if (job->arrived_ns && job->arrived_ns < job->start_ns)
		ctx->wait_ns += job->start_ns - job->arrived_ns;
	dd_result_init(res, msg->seq, msg->ctx_id, status, bytesused);
	if (dd_result_check(res, job->reject ? 0 : msg->picture_format.sizeimage, &why))
		dd_dbg("context %" PRIu64 ": job %" PRIu64 ": answer will be refused: %s",
		       ctx->ctx_id, (uint64_t)msg->seq, why);
}

static unsigned int held_max(const struct dd_context *ctx)
{
	unsigned int depth = ctx->backend->depth(ctx->decoder);

	return depth < DD_CONTEXT_MAX_HELD ? depth : DD_CONTEXT_MAX_HELD;
}

int dd_context_can_start(const struct dd_context *ctx,
			 const struct dd_prepared_job *job)
{
	if (!ctx->num_held || job->reject)
		return 1;
	return ctx->decoder && ctx->codec == job->msg->codec &&
	       ctx->num_held < held_max(ctx);
}

/* The threads decoding @job keeps busy, of the decoder's: its tokens. */
static unsigned int busy_threads(const struct dd_context *ctx,
				 const struct dd_prepared_job *job)
{
	unsigned int n = ctx->backend->parallelism ?
			 ctx->backend->parallelism(ctx->decoder, &job->dj) : ctx->threads;

	return n < 1 ? 1 : n < ctx->threads ? n : ctx->threads;
}

/* Hands @job to the decoder: 0 when it holds it, else the job's status. */
static int submit(struct dd_context *ctx, struct dd_prepared_job *job,
		  enum daedalus_status *status, uint32_t *bytesused)
{
	struct dd_result result = { .status = DAEDALUS_STATUS_FAILED };
	int ret;

	if (!ctx->backend->submit) {
		unsigned int tokens = ctx->budget ?
			dd_thread_budget_take(ctx->budget, busy_threads(ctx, job)) : 0;

		ret = ctx->backend->decode(ctx->decoder, &job->dj, &result);
		if (ctx->budget)
			dd_thread_budget_give(ctx->budget, tokens);
		*status = judge(ctx, job->msg, ret, &result, bytesused);
		return 1;
	}
	/*
	 * Each job a frame-threaded decoder holds keeps one of its threads
	 * busy: a token, the first waited for, the others taken if idle
	 * (waiting while holding one, two contexts could wait for each
	 * other's).
	 */
	if (ctx->budget && !ctx->tokens)
		ctx->tokens = dd_thread_budget_take(ctx->budget, 1);
	else if (ctx->budget && ctx->tokens < ctx->threads)
		ctx->tokens += dd_thread_budget_try_take(ctx->budget, 1);
	ret = ctx->backend->submit(ctx->decoder, &job->dj);
	if (ret < 0) {
		*status = judge(ctx, job->msg, ret, &result, bytesused);
		return 1;
	}
	ctx->held[(ctx->held_first + ctx->num_held++) % DD_CONTEXT_MAX_HELD] = job;
	if (ctx->num_held > ctx->most_held)
		ctx->most_held = ctx->num_held;
	return 0;
}

int dd_context_start(struct dd_context *ctx, struct dd_prepared_job *job,
		     struct dd_recorder *rec, struct daedalus_result *res)
{
	const struct daedalus_job *msg = job->msg;
	enum daedalus_status status = DAEDALUS_STATUS_FAILED;
	uint32_t bytesused = 0;
	int ret;

	job->start_ns = dd_now_ns();
	if (!ctx->jobs++)
		ctx->first_ns = job->start_ns;
	/*
	 * The gap runs from the answer before the job came: a client with two
	 * in flight sends its next job after one answer, maybe before the
	 * next.  A job sent ahead of both counts as no gap.
	 */
	if (ctx->last_ns && job->arrived_ns) {
		uint64_t from = job->arrived_ns >= ctx->last_ns ? ctx->last_ns :
				ctx->prev_ns;
		uint64_t gap = from && job->arrived_ns > from ?
			       job->arrived_ns - from : 0;

		if (gap < 1000000000u)
			ctx->gap_ns = (ctx->gap_ns * 7 + gap) / 8;
	}
	ctx->ahead = (uint8_t)(ctx->ahead << 1 |
			       (ctx->num_held || (job->arrived_ns &&
						  job->arrived_ns < ctx->last_ns)));
	ctx->last_codec = msg->codec;
	ctx->width = msg->coded_width;
	ctx->height = msg->coded_height;
	job->synced = 0;
	if (!job->reject) {
		ret = sync_job(ctx, job, 0);
		job->synced = !ret;
		if (ret)
			warn_once(ctx, DD_WARNED_SYNC, DD_LOG_WARN,
				  "context %" PRIu64 ": job %" PRIu64 ": cannot begin CPU access to its buffers (DMA_BUF_IOCTL_SYNC): %s",
				  ctx->ctx_id, (uint64_t)msg->seq, strerror(-ret));
	}
	if (rec) {
		const uint8_t *bs = NULL;

		if (job->synced)
			bs = dd_bufmap_data(job->bitstream) + msg->bitstream.offset;
		ret = dd_recorder_write(rec, msg, bs, bs ? msg->bitstream.bytesused : 0);
		if (ret)
			warn_once(ctx, DD_WARNED_RECORD, DD_LOG_WARN,
				  "context %" PRIu64 ": cannot record job %" PRIu64 ": %s",
				  ctx->ctx_id, (uint64_t)msg->seq, strerror(-ret));
	}

	if (job->reject) {
		warn_once(ctx, DD_WARNED_CHECK, DD_LOG_WARN,
			  "context %" PRIu64 ": job %" PRIu64 " rejected: %s"
			  " (further rejections in this context at debug level)",
			  ctx->ctx_id, (uint64_t)msg->seq, job->reject);
	} else if (job->synced && !ensure_decoder(ctx, msg)) {
		fill_job(job);
		if (!submit(ctx, job, &status, &bytesused))
			return 0;
	}
	end_job(ctx, job, status, bytesused, res);
	return 1;
}

struct dd_prepared_job *dd_context_finish(struct dd_context *ctx, int wait,
					  struct daedalus_result *res)
{
	struct dd_result result = { .status = DAEDALUS_STATUS_FAILED };
	enum daedalus_status status = DAEDALUS_STATUS_FAILED;
	struct dd_prepared_job *job;
	uint32_t bytesused = 0;
	int ret = 0;

	if (!ctx->num_held)
		return NULL;
	job = ctx->held[ctx->held_first];
	if (ctx->decoder) {
		ret = ctx->backend->complete(ctx->decoder, wait, &result);
		if (!ret && !wait)
			return NULL;
		if (!ret)	/* a backend's bug: waited, and nothing */
			ret = -EIO;
	}
	ctx->held_first = (ctx->held_first + 1) % DD_CONTEXT_MAX_HELD;
	/* A token per job still held; all of them when another decode waits. */
	if (ctx->tokens) {
		unsigned int give = --ctx->num_held &&
				    !dd_thread_budget_wanted(ctx->budget) ?
				    (ctx->tokens > ctx->num_held ?
				     ctx->tokens - ctx->num_held : 0) : ctx->tokens;

		if (give)
			dd_thread_budget_give(ctx->budget, give);
		ctx->tokens -= give;
	} else {
		ctx->num_held--;
	}
	if (ctx->decoder)
		status = judge(ctx, job->msg, ret < 0 ? ret : 0, &result, &bytesused);
	end_job(ctx, job, status, bytesused, res);
	return job;
}

uint64_t dd_context_due_ns(const struct dd_context *ctx)
{
	/*
	 * Not from how long held jobs take: a wait counted in it would make
	 * the next wait longer.  The client's own gap is what the next job
	 * needs to come.
	 */
	uint64_t linger = 4 * ctx->gap_ns;
	uint64_t most = __builtin_popcount(ctx->ahead) >= 4 ?
			DD_LINGER_AHEAD_MAX_NS : DD_LINGER_MAX_NS;

	/* At its depth the decoder takes no other job: nothing to wait for. */
	if (!ctx->num_held || !ctx->last_ns || ctx->num_held >= held_max(ctx))
		return 0;
	return ctx->last_ns + (linger < most ? linger : most);
}

void dd_context_run(struct dd_context *ctx, struct dd_prepared_job *job,
		    struct dd_recorder *rec, struct daedalus_result *res)
{
	/* Nothing else is held: the one finished is @job. */
	if (!dd_context_start(ctx, job, rec, res))
		dd_context_finish(ctx, 1, res);
}

static double per_job_us(const struct dd_context *ctx, uint64_t ns)
{
	return ctx->jobs ? (double)ns / 1e3 / (double)ctx->jobs : 0.0;
}

void dd_context_summary(const struct dd_context *ctx, char *buf, size_t size)
{
	double secs = (double)(ctx->last_ns - ctx->first_ns) / 1e9;

	snprintf(buf, size, "%s %" PRIu32 "x%" PRIu32 ", %" PRIu64 " jobs, %" PRIu64
		 " frames in %.2f s (%.1f fps), %" PRIu64 " failed, %" PRIu64
		 " corrupt, %" PRIu64 " picture bytes copied (%" PRIu64 " per job),"
		 " cache syncs %.1f us per job, %.1f us from read to start,"
		 " %.1f us from start to answer",
		 dd_codec_name(ctx->last_codec), ctx->width, ctx->height, ctx->jobs,
		 ctx->frames, secs, secs > 0 ? (double)ctx->frames / secs : 0.0,
		 ctx->failed, ctx->corrupt, ctx->bytes_copied,
		 ctx->jobs ? ctx->bytes_copied / ctx->jobs : 0,
		 per_job_us(ctx, ctx->sync_ns), per_job_us(ctx, ctx->wait_ns),
		 per_job_us(ctx, ctx->busy_ns));
	if (ctx->most_held > 1) {
		size_t used = strnlen(buf, size);

		snprintf(buf + used, size - used, ", up to %u jobs decoding at once",
			 ctx->most_held);
	}
}
