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
		     const char *forced_backend, struct dd_thread_budget *budget)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ctx_id = ctx_id;
	ctx->forced_backend = forced_backend;
	ctx->budget = budget;
}

void dd_context_close_decoder(struct dd_context *ctx)
{
	if (ctx->decoder) {
		ctx->backend->close(ctx->decoder);
		if (ctx->budget)
			dd_thread_budget_close(ctx->budget);
	}
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

	backend = dd_backend_find(msg->codec, ctx->forced_backend);
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

static enum daedalus_status decode(struct dd_context *ctx,
				   const struct dd_prepared_job *job,
				   uint32_t *bytesused)
{
	const struct daedalus_job *msg = job->msg;
	struct dd_result result = { .status = DAEDALUS_STATUS_FAILED };
	struct dd_job dj;
	unsigned int tokens;
	int ret;

	if (ensure_decoder(ctx, msg))
		return DAEDALUS_STATUS_FAILED;

	dj.msg = msg;
	dj.bitstream.data = dd_bufmap_data(job->bitstream) + msg->bitstream.offset;
	dj.bitstream.size = msg->bitstream.bytesused;
	dj.picture.data = dd_bufmap_data(job->picture) + msg->picture.offset;
	dj.picture.size = dd_bufmap_length(job->picture) - msg->picture.offset;
	dj.picture.format = &msg->picture_format;
	dj.picture.buf_id = msg->picture.id;
	dj.picture.map = job->picture;

	tokens = ctx->budget ? dd_thread_budget_take(ctx->budget, ctx->threads) : 0;
	ret = ctx->backend->decode(ctx->decoder, &dj, &result);
	if (ctx->budget)
		dd_thread_budget_give(ctx->budget, tokens);
	if (ret) {
		warn_once(ctx, DD_WARNED_DECODE, DD_LOG_WARN,
			  "context %" PRIu64 ": job %" PRIu64 ": %s decoder failed: %s",
			  ctx->ctx_id, (uint64_t)msg->seq, ctx->backend->name,
			  strerror(-ret));
		dd_context_close_decoder(ctx);
		return DAEDALUS_STATUS_FAILED;
	}
	if (result.status > DAEDALUS_STATUS_FAILED ||
	    result.bytesused > msg->picture_format.sizeimage) {
		warn_once(ctx, DD_WARNED_RESULT, DD_LOG_ERROR,
			  "context %" PRIu64 ": %s backend returned status %u, bytesused %u",
			  ctx->ctx_id, ctx->backend->name, (unsigned int)result.status,
			  result.bytesused);
		return DAEDALUS_STATUS_FAILED;
	}
	/*
	 * A decoder opened mid-stream (new context, new daemon,
	 * after a failure) lacks the references of everything up to the next
	 * key frame: those pictures are predicted from concealed ones, even
	 * when the backend finds its own references complete.
	 */
	if (ctx->need_key) {
		if (result.restart && result.status != DAEDALUS_STATUS_FAILED)
			ctx->need_key = 0;
		else if (result.status == DAEDALUS_STATUS_OK)
			result.status = DAEDALUS_STATUS_CORRUPT;
	}
	if (result.why)
		log_why(ctx, msg, result.why);
	if (result.status == DAEDALUS_STATUS_CORRUPT)
		ctx->corrupt++;
	ctx->bytes_copied += result.bytes_copied;
	*bytesused = result.bytesused;
	return result.status;
}

static uint64_t now_ns(void)
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
	uint64_t start = now_ns();
	int ret = 0, r;

	for (i = 0; i < n && !(ret && !end); i++) {
		r = dd_bufmap_sync(job_buf(job, i), end, i == 1);
		if (r && !ret)
			ret = r;
	}
	if (ret && !end)
		for (i--; i--;)
			dd_bufmap_sync(job_buf(job, i), 1, i == 1);
	ctx->sync_ns += now_ns() - start;
	return ret;
}

void dd_context_run(struct dd_context *ctx, const struct dd_prepared_job *job,
		    struct dd_recorder *rec, struct daedalus_result *res)
{
	const struct daedalus_job *msg = job->msg;
	enum daedalus_status status = DAEDALUS_STATUS_FAILED;
	uint32_t bytesused = 0;
	const char *why;
	int synced = 0, ret;

	if (!ctx->jobs++)
		ctx->first_ns = now_ns();
	ctx->last_codec = msg->codec;
	ctx->width = msg->coded_width;
	ctx->height = msg->coded_height;
	if (!job->reject) {
		ret = sync_job(ctx, job, 0);
		synced = !ret;
		if (ret)
			warn_once(ctx, DD_WARNED_SYNC, DD_LOG_WARN,
				  "context %" PRIu64 ": job %" PRIu64 ": cannot begin CPU access to its buffers (DMA_BUF_IOCTL_SYNC): %s",
				  ctx->ctx_id, (uint64_t)msg->seq, strerror(-ret));
	}
	if (rec) {
		const uint8_t *bs = NULL;

		if (synced)
			bs = dd_bufmap_data(job->bitstream) + msg->bitstream.offset;
		ret = dd_recorder_write(rec, msg, bs, bs ? msg->bitstream.bytesused : 0);
		if (ret)
			warn_once(ctx, DD_WARNED_RECORD, DD_LOG_WARN,
				  "context %" PRIu64 ": cannot record job %" PRIu64 ": %s",
				  ctx->ctx_id, (uint64_t)msg->seq, strerror(-ret));
	}

	if (job->reject)
		warn_once(ctx, DD_WARNED_CHECK, DD_LOG_WARN,
			  "context %" PRIu64 ": job %" PRIu64 " rejected: %s"
			  " (further rejections in this context at debug level)",
			  ctx->ctx_id, (uint64_t)msg->seq, job->reject);
	else if (synced)
		status = decode(ctx, job, &bytesused);
	/* The picture may not be in memory for the client: the job fails. */
	if (synced && (ret = sync_job(ctx, job, 1))) {
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
	ctx->last_ns = now_ns();
	dd_result_init(res, msg->seq, msg->ctx_id, status, bytesused);
	if (dd_result_check(res, job->reject ? 0 : msg->picture_format.sizeimage, &why))
		dd_dbg("context %" PRIu64 ": job %" PRIu64 ": answer will be refused: %s",
		       ctx->ctx_id, (uint64_t)msg->seq, why);
}

void dd_context_summary(const struct dd_context *ctx, char *buf, size_t size)
{
	double secs = (double)(ctx->last_ns - ctx->first_ns) / 1e9;

	snprintf(buf, size, "%s %" PRIu32 "x%" PRIu32 ", %" PRIu64 " jobs, %" PRIu64
		 " frames in %.2f s (%.1f fps), %" PRIu64 " failed, %" PRIu64
		 " corrupt, %" PRIu64 " picture bytes copied (%" PRIu64 " per job),"
		 " cache syncs %.1f us per job",
		 dd_codec_name(ctx->last_codec), ctx->width, ctx->height, ctx->jobs,
		 ctx->frames, secs, secs > 0 ? (double)ctx->frames / secs : 0.0,
		 ctx->failed, ctx->corrupt, ctx->bytes_copied,
		 ctx->jobs ? ctx->bytes_copied / ctx->jobs : 0,
		 ctx->jobs ? (double)ctx->sync_ns / 1e3 / (double)ctx->jobs : 0.0);
}
