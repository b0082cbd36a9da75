/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "core.h"
#include "device.h"
#include "log.h"
#include "proto_io.h"
#include "sf_context.h"

enum work_kind {
	WORK_JOB,
	WORK_SF,
	WORK_CTX_GONE,
};

struct work {
	struct work *next;
	enum work_kind kind;
	struct dd_sf_record *sf;	/* WORK_SF */
	struct dd_prepared_job job;	/* WORK_JOB; job.msg is rec */
	struct daedalus_job rec;
};

/* The work item a held job came in. */
static struct work *work_of(struct dd_prepared_job *job)
{
	return (struct work *)((char *)job - offsetof(struct work, job));
}

struct core_ctx {
	struct dd_context ctx;
	struct dd_sf_context *sf;	/* a context of the stateful node */
	struct work *head;		/* queued work, oldest first */
	struct work **tail;
	int scheduled;			/* in the ready FIFO or on a worker */
	int in_table;			/* still in core->contexts */
	struct core_ctx *next;		/* in core->contexts */
	struct core_ctx *next_ready;	/* in the ready FIFO */
};

static const struct dd_transport device_transport = {
	.fetch = dd_device_fetch,
	.commit = dd_device_commit,
	.sf_commit = dd_device_sf_commit,
};

struct dd_core {
	struct dd_core_config cfg;
	const struct dd_transport *t;
	int dev_fd;
	struct dd_bufmap_cache *cache;
	struct dd_thread_budget budget;	/* cfg.threads cores for all decoders */

	/*
	 * lock protects everything below: the context table, every
	 * context's queue and flags, the ready FIFO, stopping, stats.
	 * Decoding and writing happen outside it.
	 */
	pthread_mutex_t lock;
	/* Work ready, no worker reading, or stopping: a worker may go on. */
	pthread_cond_t ready_cv;
	pthread_cond_t arrived_cv;	/* work queued (CLOCK_MONOTONIC) */
	unsigned int running;		/* workers running a piece of work */
	struct core_ctx *contexts;
	struct core_ctx *ready_head;
	struct core_ctx **ready_tail;
	int reading;			/* a worker fetches the next record */
	int ended;			/* end of input: stop once all is done */
	int stopping;
	int ret;			/* dd_core_run()'s: a failed fetch */
	struct dd_core_stats stats;
	int wake_fd;			/* eventfd: readable once stopping */
	/* Work items done with, for the next ones: no allocation per job. */
	struct work *spare;

	pthread_t *workers;
	unsigned int num_workers;
};

int dd_core_new(const struct dd_core_config *cfg, int dev_fd,
		struct dd_core **out)
{
	pthread_condattr_t attr;
	struct dd_core *core;

	if (!cfg->threads || dev_fd < 0)
		return -EINVAL;
	core = calloc(1, sizeof(*core));
	if (!core)
		return -ENOMEM;
	core->cfg = *cfg;
	core->t = cfg->transport ? cfg->transport : &device_transport;
	dd_thread_budget_init(&core->budget, cfg->threads);
	core->dev_fd = dev_fd;
	core->cache = dd_bufmap_cache_new();
	core->workers = calloc(cfg->threads, sizeof(*core->workers));
	core->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!core->cache || !core->workers || core->wake_fd < 0) {
		int ret = core->wake_fd < 0 ? -errno : -ENOMEM;

		if (core->wake_fd >= 0)
			close(core->wake_fd);
		dd_bufmap_cache_free(core->cache);
		dd_thread_budget_fini(&core->budget);
		free(core->workers);
		free(core);
		return ret;
	}
	pthread_mutex_init(&core->lock, NULL);
	pthread_cond_init(&core->ready_cv, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&core->arrived_cv, &attr);
	pthread_condattr_destroy(&attr);
	core->ready_tail = &core->ready_head;
	*out = core;
	return 0;
}

/* Under lock: a cleared work item, a spare one if there is. */
static struct work *work_get(struct dd_core *core)
{
	struct work *w = core->spare;

	if (w)
		core->spare = w->next;
	else
		w = malloc(sizeof(*w));
	if (w)
		memset(w, 0, offsetof(struct work, rec));
	return w;
}

/* Under lock: releases @w's job and keeps @w for the next piece of work. */
static void work_put(struct dd_core *core, struct work *w)
{
	if (w->kind == WORK_JOB)
		dd_job_release(&w->job);
	if (w->kind == WORK_SF) {
		dd_bufmap_unref(w->sf->map);
		free(w->sf);
	}
	w->next = core->spare;
	core->spare = w;
}

/*
 * Under lock.  No worker is woken while one reads: that one runs what it
 * read itself (worker_main()).
 */
static void ready_push(struct dd_core *core, struct core_ctx *c)
{
	c->next_ready = NULL;
	*core->ready_tail = c;
	core->ready_tail = &c->next_ready;
	if (!core->reading)
		pthread_cond_signal(&core->ready_cv);
}

/* Under lock. */
static struct core_ctx *ready_pop(struct dd_core *core)
{
	struct core_ctx *c = core->ready_head;

	core->ready_head = c->next_ready;
	if (!core->ready_head)
		core->ready_tail = &core->ready_head;
	return c;
}

/* Under lock: appends @w to @c's queue and makes @c ready if it was idle. */
static void enqueue(struct dd_core *core, struct core_ctx *c, struct work *w)
{
	w->next = NULL;
	*c->tail = w;
	c->tail = &w->next;
	pthread_cond_broadcast(&core->arrived_cv);
	if (!c->scheduled) {
		c->scheduled = 1;
		ready_push(core, c);
	}
}

/* Under lock. */
static struct core_ctx *ctx_find(struct dd_core *core, uint64_t ctx_id)
{
	for (struct core_ctx *c = core->contexts; c; c = c->next)
		if (c->ctx.ctx_id == ctx_id)
			return c;
	return NULL;
}

/* Under lock. */
static void ctx_unlink(struct dd_core *core, struct core_ctx *c)
{
	for (struct core_ctx **p = &core->contexts; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->in_table = 0;
}

/* Under lock. */
static void ctx_free(struct dd_core *core, struct core_ctx *c)
{
	struct dd_prepared_job *held;
	struct daedalus_result res;

	while (c->head) {
		struct work *w = c->head;

		c->head = w->next;
		work_put(core, w);
	}
	dd_context_close_decoder(&c->ctx);
	/* Unanswered: the kernel fails them when the device is closed. */
	while ((held = dd_context_finish(&c->ctx, 0, &res)))
		work_put(core, work_of(held));
	if (c->sf) {
		dd_sf_context_fini(c->sf);
		free(c->sf);
	}
	free(c);
}

static void write_result(struct dd_core *core, const struct daedalus_result *res)
{
	int ret = core->t->commit(core->dev_fd, res);

	if (!ret)
		return;
	/* A job aborted or timed out in the kernel: its answer is refused. */
	dd_dbg("answer to job %" PRIu64 " of context %" PRIu64 " not taken: %s",
	       (uint64_t)res->seq, (uint64_t)res->ctx_id, strerror(-ret));
	pthread_mutex_lock(&core->lock);
	core->stats.refused++;
	pthread_mutex_unlock(&core->lock);
}

/* One line per context at its end; @how: "closed", "still open at exit". */
static void log_close(const struct core_ctx *c, const char *how)
{
	char summary[512];	/* dd_context_summary(): about 250 bytes */

	if (c->sf) {
		dd_sf_context_summary(c->sf, summary, sizeof(summary));
		dd_notice("stateful context %" PRIu64 " %s: %s", c->ctx.ctx_id,
			  how, summary);
		return;
	}
	dd_context_summary(&c->ctx, summary, sizeof(summary));
	dd_notice("context %" PRIu64 " %s: %s", c->ctx.ctx_id, how, summary);
}

/* Answers @w's job with @res and puts @w back. */
static void answer(struct dd_core *core, struct core_ctx *c, struct work *w,
		   const struct daedalus_result *res, uint64_t copied_before)
{
	dd_trace("context %" PRIu64 ": job %" PRIu64 " %s",
		 c->ctx.ctx_id, (uint64_t)res->seq, dd_status_name(res->status));
	/*
	 * Drop the mappings before answering: once answered, the kernel may
	 * hand the buffers to the client and free them.
	 */
	dd_job_release(&w->job);
	write_result(core, res);

	pthread_mutex_lock(&core->lock);
	core->stats.jobs++;
	if (w->job.reject)
		core->stats.rejected++;
	if (res->status == DAEDALUS_STATUS_FAILED)
		core->stats.failed++;
	core->stats.bytes_copied += c->ctx.bytes_copied - copied_before;
	work_put(core, w);
	pthread_mutex_unlock(&core->lock);
}

/* Answers the oldest job @c's decoder holds, if done or @wait: 1 if it did. */
static int finish_one(struct dd_core *core, struct core_ctx *c, int wait)
{
	uint64_t copied = c->ctx.bytes_copied;
	struct dd_prepared_job *job;
	struct daedalus_result res;

	job = dd_context_finish(&c->ctx, wait, &res);
	if (!job)
		return 0;
	answer(core, c, work_of(job), &res, copied);
	return 1;
}

/* Runs @w (NULL: only finishes what the decoder holds, waiting). */
static void run_work(struct dd_core *core, struct core_ctx *c, struct work *w)
{
	uint64_t copied = c->ctx.bytes_copied;
	struct daedalus_result res;

	if (!w) {
		finish_one(core, c, 1);
	} else if (w->kind == WORK_CTX_GONE) {
		log_close(c, "closed");
		dd_context_close_decoder(&c->ctx);
		pthread_mutex_lock(&core->lock);
		work_put(core, w);
		pthread_mutex_unlock(&core->lock);
	} else if (dd_context_start(&c->ctx, &w->job, core->cfg.recorder, &res)) {
		answer(core, c, w, &res, copied);
	}
	/* Whatever else a frame-threaded decoder finished meanwhile. */
	while (finish_one(core, c, 0))
		;
}

static void sf_commit(void *opaque, const struct daedalus_sf_answer *answers,
		      unsigned int n)
{
	struct dd_core *core = opaque;
	int ret;

	for (unsigned int i = 0; i < n; i++)
		dd_trace("stateful context %" PRIu64 ": answer %u seq %" PRIu64
			 " status %u flags 0x%x", (uint64_t)answers[i].ctx_id,
			 answers[i].kind, (uint64_t)answers[i].seq,
			 answers[i].status, answers[i].flags);
	ret = core->t->sf_commit ? core->t->sf_commit(core->dev_fd, answers, n) :
				   -ENOSYS;
	if (!ret)
		return;
	/* Records the kernel took back (a seek, a close, a timeout). */
	dd_dbg("%d of %u stateful answers not taken%s%s", ret < 0 ? (int)n : ret,
	       n, ret < 0 ? ": " : "", ret < 0 ? strerror(-ret) : "");
	pthread_mutex_lock(&core->lock);
	core->stats.refused += ret < 0 ? n : (unsigned int)ret;
	pthread_mutex_unlock(&core->lock);
}

/*
 * Under lock: hands @c's queued records to its stateful context; 1 if a
 * CTX_GONE came (the last of its work).
 */
static int sf_take_queue(struct dd_core *core, struct core_ctx *c)
{
	int gone = 0;

	while (c->head) {
		struct work *w = c->head;

		c->head = w->next;
		if (w->kind == WORK_SF) {
			dd_sf_context_add(c->sf, w->sf);
			w->sf = NULL;
			w->kind = WORK_JOB;	/* nothing left to release */
		} else {
			gone = 1;
		}
		work_put(core, w);
	}
	c->tail = &c->head;
	return gone;
}

/* Steps of a stateful context per worker turn: other contexts go between. */
#define SF_STEPS	8

/* Without lock: a turn of a stateful context; 1 if it can do more now. */
static int run_sf(struct dd_core *core, struct core_ctx *c, int gone)
{
	struct dd_sf_sink sink = { .commit = sf_commit, .opaque = core };

	if (gone) {
		log_close(c, "closed");
		return 0;
	}
	return dd_sf_context_run(c->sf, &sink, SF_STEPS);
}

/*
 * Under lock: @c's next piece of work, or NULL to finish a held job.  The
 * decoder holds jobs and nothing more came: rather than wait for the held
 * ones at once, give the client a few of its usual gaps after the last
 * answer to send its next job, which a frame-threaded decoder then decodes
 * alongside them.  Only while another worker reads: the job cannot come
 * otherwise.
 */
static struct work *next_work(struct dd_core *core, struct core_ctx *c)
{
	uint64_t due = dd_context_due_ns(&c->ctx);
	struct work *w;

	while (!c->head && due && core->reading && !core->stopping) {
		struct timespec ts = {
			.tv_sec = (time_t)(due / 1000000000u),
			.tv_nsec = (long)(due % 1000000000u),
		};

		if (dd_now_ns() >= due ||
		    pthread_cond_timedwait(&core->arrived_cv, &core->lock, &ts))
			break;
	}
	w = c->head;
	if (!w || (w->kind == WORK_JOB && !dd_context_can_start(&c->ctx, &w->job)))
		return NULL;
	c->head = w->next;
	if (!c->head)
		c->tail = &c->head;
	return w;
}

static void handle_record(struct dd_core *core, const void *buf, size_t len);

/*
 * Without lock: waits for the next record and handles it.  1: one was
 * handled or nothing came (EINTR, EAGAIN); 0: stopping; -1: end of input;
 * else a negative errno.
 */
static int read_record(struct dd_core *core)
{
	/* Aligned for struct daedalus_job: records are read in place. */
	static _Thread_local union {
		struct daedalus_job job;
		uint8_t bytes[DAEDALUS_READ_SIZE];
	} buf;
	struct pollfd pfd[2] = {
		{ .fd = core->dev_fd, .events = POLLIN },
		{ .fd = core->wake_fd, .events = POLLIN },
	};
	ssize_t n;

	if (poll(pfd, 2, -1) < 0)
		return errno == EINTR ? 1 : -errno;
	if (pfd[1].revents)
		return 0;
	if (!pfd[0].revents)
		return 1;
	n = core->t->fetch(core->dev_fd, &buf, sizeof(buf));
	if (n == -EINTR || n == -EAGAIN)
		return 1;
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -1;
	handle_record(core, &buf, (size_t)n);
	return 1;
}

/* Under lock: the workers are to end (a reader's poll() too), and the run. */
static void stop_all(struct dd_core *core)
{
	core->stopping = 1;
	pthread_cond_broadcast(&core->ready_cv);
	pthread_cond_broadcast(&core->arrived_cv);
	eventfd_write(core->wake_fd, 1);
}

/*
 * Every worker runs ready work, or fetches the next record when none does
 * (leader and followers): the one that read a job runs it itself, and
 * another takes over reading meanwhile, so that a job never waits for a
 * thread to wake up between its read and its start.
 */
static void *worker_main(void *arg)
{
	struct dd_core *core = arg;

	pthread_mutex_lock(&core->lock);
	for (;;) {
		struct core_ctx *c;
		struct work *w;
		int gone, more, ret;

		if (core->stopping)
			break;
		if (!core->ready_head && core->ended && !core->running) {
			stop_all(core);
			break;
		}
		if (!core->ready_head && !core->reading && !core->ended) {
			core->reading = 1;
			pthread_mutex_unlock(&core->lock);
			ret = read_record(core);
			pthread_mutex_lock(&core->lock);
			core->reading = 0;
			/* A worker waiting for its context's next job stops. */
			pthread_cond_broadcast(&core->arrived_cv);
			if (ret == -1) {
				core->ended = 1;
			} else if (ret <= 0) {
				core->ret = ret;
				stop_all(core);
			}
			continue;
		}
		if (!core->ready_head) {
			pthread_cond_wait(&core->ready_cv, &core->lock);
			continue;
		}
		c = ready_pop(core);
		/* Whoever waits takes the next ready work, or reads on. */
		if (core->ready_head || !core->reading)
			pthread_cond_signal(&core->ready_cv);
		core->running++;
		more = 0;
		if (c->sf) {
			gone = sf_take_queue(core, c);
			pthread_mutex_unlock(&core->lock);
			more = run_sf(core, c, gone);
		} else {
			w = next_work(core, c);
			gone = w && w->kind == WORK_CTX_GONE;
			pthread_mutex_unlock(&core->lock);

			dd_context_unpark(&c->ctx);
			run_work(core, c, w);
			dd_context_park(&c->ctx);
		}

		pthread_mutex_lock(&core->lock);
		core->running--;
		if (gone) {
			/* Unlinked when the record was read: nothing follows. */
			ctx_free(core, c);
		} else if (c->head || c->ctx.num_held || more) {
			ready_push(core, c);
		} else {
			c->scheduled = 0;
		}
	}
	pthread_mutex_unlock(&core->lock);
	return NULL;
}

/*
 * Under lock: the context @ctx_id, created (stateful if @sf) if it is new;
 * NULL when out of memory.
 */
static struct core_ctx *ctx_get(struct dd_core *core, uint64_t ctx_id, int sf)
{
	struct core_ctx *c = ctx_find(core, ctx_id);

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (c && sf) {
		c->sf = malloc(sizeof(*c->sf));
		if (!c->sf) {
			free(c);
			c = NULL;
		}
	}
	if (!c) {
		dd_err("out of memory for context %" PRIu64, ctx_id);
		return NULL;
	}
	dd_context_init(&c->ctx, ctx_id, core->cfg.forced_backend, &core->budget);
	if (sf)
		dd_sf_context_init(c->sf, ctx_id, core->cfg.forced_sf_backend,
				   &core->budget);
	c->tail = &c->head;
	c->in_table = 1;
	c->next = core->contexts;
	core->contexts = c;
	core->stats.contexts++;
	return c;
}

static void handle_job(struct dd_core *core, const void *buf, size_t len)
{
	struct core_ctx *c;
	struct work *w;

	pthread_mutex_lock(&core->lock);
	w = work_get(core);
	pthread_mutex_unlock(&core->lock);
	if (!w) {
		const struct daedalus_job *msg = buf;
		struct daedalus_result res;

		/* Out of memory: still keep the fds (sent once) and answer. */
		dd_job_take_fds(core->cache, msg);
		dd_err("out of memory for job %" PRIu64, (uint64_t)msg->seq);
		dd_result_init(&res, msg->seq, msg->ctx_id, DAEDALUS_STATUS_FAILED, 0);
		write_result(core, &res);
		return;
	}
	/* A job record has this one size (dd_record_parse()). */
	memcpy(&w->rec, buf, len);
	w->job.msg = &w->rec;
	w->kind = WORK_JOB;
	w->job.arrived_ns = dd_now_ns();
	dd_job_prepare(core->cache, &w->job, len);

	if (!w->job.msg->ctx_id) {
		/* Nothing to answer to: the kernel never sends context 0. */
		dd_warn("job %" PRIu64 " without a context dropped: %s",
			(uint64_t)w->job.msg->seq, w->job.reject);
		pthread_mutex_lock(&core->lock);
		work_put(core, w);
		core->stats.malformed++;
		pthread_mutex_unlock(&core->lock);
		return;
	}

	pthread_mutex_lock(&core->lock);
	c = ctx_get(core, w->job.msg->ctx_id, 0);
	if (c && !c->sf) {
		enqueue(core, c, w);
		c = NULL;
	} else {
		/* A job for a stateful context: the kernel never sends one. */
		if (c)
			dd_warn("job %" PRIu64 " for stateful context %" PRIu64 " dropped",
				(uint64_t)w->job.msg->seq, (uint64_t)w->job.msg->ctx_id);
		work_put(core, w);
	}
	pthread_mutex_unlock(&core->lock);
}

/* Keeps the fds a stateful record carries (sent once), whatever else is wrong. */
static void sf_take_fd(struct dd_core *core, const struct dd_record *rec)
{
	const struct daedalus_buf *b;

	if (rec->kind == DD_RECORD_SF_CHUNK)
		b = &rec->sf_chunk->bitstream;
	else if (rec->kind == DD_RECORD_SF_LEND)
		b = &rec->sf_lend->picture;
	else
		return;
	if (b->fd >= 0)
		dd_bufmap_cache_add(core->cache, b->id, b->fd);
}

/* Maps the buffer of a checked chunk or lend into @r; the reason if it cannot. */
static const char *sf_map(struct dd_core *core, const struct daedalus_buf *b,
			  int writable, struct dd_sf_record *r)
{
	r->map = dd_bufmap_cache_get(core->cache, b->id, -1, b->length, writable);
	if (!r->map)
		return errno == ENOENT ? "buffer never handed over" :
					 "cannot map the buffer";
	if (dd_bufmap_length(r->map) < b->length)
		return "buffer shorter than the kernel said";
	r->data = dd_bufmap_data(r->map) + b->offset;
	r->size = writable ? b->length - b->offset : b->bytesused;
	return NULL;
}

static void handle_sf(struct dd_core *core, const struct dd_record *rec)
{
	const struct daedalus_sf_chunk *chunk = rec->sf_chunk;
	struct dd_sf_record *r;
	struct core_ctx *c;
	struct work *w;
	uint64_t ctx_id;

	sf_take_fd(core, rec);
	/* seq and ctx_id are where SF_CHUNK has them in all three records. */
	ctx_id = chunk->ctx_id;
	if (!ctx_id) {
		dd_warn("stateful record %" PRIu64 " without a context dropped",
			(uint64_t)chunk->seq);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		/* Unanswered: the kernel's watchdog fails the stream. */
		dd_err("out of memory for stateful record %" PRIu64,
		       (uint64_t)chunk->seq);
		return;
	}
	r->kind = rec->kind;
	r->seq = chunk->seq;
	if (dd_sf_record_check(rec, &r->reject)) {
		/* Answered FAILED in its turn. */
	} else if (rec->kind == DD_RECORD_SF_CHUNK) {
		r->timestamp = chunk->timestamp;
		r->codec = chunk->codec;
		r->flags = chunk->flags;
		r->reject = sf_map(core, &chunk->bitstream, 0, r);
	} else if (rec->kind == DD_RECORD_SF_LEND) {
		r->reject = sf_map(core, &rec->sf_lend->picture, 1, r);
	} else {
		r->cmd = *rec->sf_cmd;
	}
	if (r->reject && r->kind == DD_RECORD_SF_CMD) {
		/* Checked at parse: a bad command never gets here. */
		free(r);
		return;
	}

	pthread_mutex_lock(&core->lock);
	core->stats.sf_records++;
	w = work_get(core);
	c = w ? ctx_get(core, ctx_id, 1) : NULL;
	if (c && c->sf) {
		w->kind = WORK_SF;
		w->sf = r;
		enqueue(core, c, w);
		r = NULL;
	} else if (w) {
		work_put(core, w);
	}
	pthread_mutex_unlock(&core->lock);
	if (r) {
		dd_warn("stateful record %" PRIu64 " of context %" PRIu64 " dropped%s",
			(uint64_t)chunk->seq, ctx_id,
			c ? ": a stateless context" : ": out of memory");
		dd_bufmap_unref(r->map);
		free(r);
	}
}

static void handle_ctx_gone(struct dd_core *core, uint64_t ctx_id)
{
	struct core_ctx *c;
	struct work *w;

	pthread_mutex_lock(&core->lock);
	c = ctx_find(core, ctx_id);
	/* Never saw a job of it: no decoder to close. */
	w = c ? work_get(core) : NULL;
	if (!w) {
		pthread_mutex_unlock(&core->lock);
		if (c)
			dd_err("out of memory closing context %" PRIu64, ctx_id);
		return;
	}
	ctx_unlink(core, c);
	w->kind = WORK_CTX_GONE;
	enqueue(core, c, w);
	pthread_mutex_unlock(&core->lock);
}

static void handle_record(struct dd_core *core, const void *buf, size_t len)
{
	struct dd_record rec;

	pthread_mutex_lock(&core->lock);
	core->stats.records++;
	pthread_mutex_unlock(&core->lock);

	if (dd_record_parse(buf, len, &rec)) {
		dd_warn("ignoring a malformed record of %zu bytes: %s", len, rec.why);
		pthread_mutex_lock(&core->lock);
		core->stats.malformed++;
		pthread_mutex_unlock(&core->lock);
		return;
	}
	switch (rec.kind) {
	case DD_RECORD_JOB:
		handle_job(core, buf, len);
		break;
	case DD_RECORD_BUF_GONE:
		dd_trace("buffer %" PRIu64 " gone", (uint64_t)rec.buf_gone->buf_id);
		dd_bufmap_cache_forget(core->cache, rec.buf_gone->buf_id);
		break;
	case DD_RECORD_CTX_GONE:
		handle_ctx_gone(core, rec.ctx_gone->ctx_id);
		break;
	case DD_RECORD_SF_CHUNK:
	case DD_RECORD_SF_LEND:
	case DD_RECORD_SF_CMD:
		handle_sf(core, &rec);
		break;
	case DD_RECORD_INVALID:
		break;
	}
}

static int start_workers(struct dd_core *core)
{
	for (unsigned int i = 0; i < core->cfg.threads; i++) {
		int ret = pthread_create(&core->workers[i], NULL, worker_main, core);

		if (ret)
			return -ret;
		core->num_workers++;
	}
	return 0;
}

/* After the workers ended: queued work dropped, gone contexts first. */
static void drop_all(struct dd_core *core)
{
	struct core_ctx *c, *next;

	pthread_mutex_lock(&core->lock);
	for (c = core->ready_head; c; c = next) {
		next = c->next_ready;
		if (!c->in_table) {
			log_close(c, "closed");
			ctx_free(core, c);
		}
	}
	core->ready_head = NULL;
	core->ready_tail = &core->ready_head;
	for (c = core->contexts; c; c = next) {
		next = c->next;
		log_close(c, "still open at exit");
		ctx_free(core, c);
	}
	core->contexts = NULL;
	pthread_mutex_unlock(&core->lock);
}

int dd_core_run(struct dd_core *core, int stop_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = core->wake_fd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int ret;

	/* Workers started wait for the lock: none reads if one fails to. */
	pthread_mutex_lock(&core->lock);
	ret = start_workers(core);
	if (ret)
		stop_all(core);
	pthread_mutex_unlock(&core->lock);
	/* Until the workers stop by themselves, or stop_fd says to. */
	for (;;) {
		int n = poll(pfd, stop_fd >= 0 ? 2 : 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0 && pfd[0].revents)
			break;
		pthread_mutex_lock(&core->lock);
		stop_all(core);
		pthread_mutex_unlock(&core->lock);
	}
	for (unsigned int i = 0; i < core->num_workers; i++)
		pthread_join(core->workers[i], NULL);
	core->num_workers = 0;
	drop_all(core);
	return ret ? ret : core->ret;
}

void dd_core_get_stats(struct dd_core *core, struct dd_core_stats *stats)
{
	pthread_mutex_lock(&core->lock);
	*stats = core->stats;
	pthread_mutex_unlock(&core->lock);
}

void dd_core_free(struct dd_core *core)
{
	if (!core)
		return;
	while (core->spare) {
		struct work *w = core->spare;

		core->spare = w->next;
		free(w);
	}
	dd_bufmap_cache_free(core->cache);
	close(core->wake_fd);
	pthread_cond_destroy(&core->ready_cv);
	pthread_cond_destroy(&core->arrived_cv);
	pthread_mutex_destroy(&core->lock);
	dd_thread_budget_fini(&core->budget);
	free(core->workers);
	free(core);
}
