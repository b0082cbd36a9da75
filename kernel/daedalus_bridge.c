// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the bridge to the daemon, /dev/daedalus-v4l2, and the whole
 * life of a job.
 *
 * A context has DAEDALUS_MAX_DEPTH job slots (struct daedalus_run, a ring
 * in queue order).  A job moves through these states, always under
 * bridge.lock:
 *
 *   IDLE --submit--> QUEUED --fetch--> SENT --result--> ENDED --> IDLE
 *
 * and from QUEUED or SENT to ENDED with ERROR when its watchdog expires, at
 * job_abort, STREAMOFF or close, or when the daemon's file is released.
 * Whoever moves it to ENDED ("claims" it) decides how it ends; everybody
 * else finds it ENDED or IDLE and does nothing.  An ENDED job gives its
 * buffers back (IDLE) as soon as every older job of its context has: the
 * client gets them in its queue order, whatever order the daemon answers
 * in.  That is done under bridge.lock, by whoever ended the job that
 * unblocked them (ctx_retire_locked()).
 *
 * m2m calls device_run for one job at a time per context.  device_run
 * takes the job's buffers off m2m's queues and finishes m2m's job at once
 * while the context has fewer jobs than the daemon's depth, so that m2m
 * can run the next; at the depth, m2m's job is "owed" and finished when a
 * slot frees.  H.264 keeps one job at a time on m2m's queues, and m2m's
 * helper returns its buffers (a CAPTURE buffer may be held for the next
 * field or slice).
 *
 * job_abort, STREAMOFF and close never wait for the daemon: they run with
 * the media device's req_queue_mutex held, which every other client's
 * MEDIA_REQUEST_IOC_QUEUE, STREAMOFF and close need.  Every job has a
 * watchdog armed from the moment it is queued (attach_timeout_ms while no
 * daemon is attached, job_timeout_ms otherwise, re-armed when the daemon
 * fetches it), so no waiter depends on the daemon's goodwill.
 *
 * The attachment belongs to the thread group that said HELLO, as ublk
 * binds a queue to its daemon task: only it may fetch jobs and commit
 * results, so a forked child or a process the fd was passed to never gets
 * a client's buffers.  Each buffer's dma-buf fd is installed once per
 * attachment, with the first job that names it; its BUF_GONE record sits
 * on bridge.sent meanwhile, and goes out when the buffer is freed.
 *
 * A daemon still writing into a buffer after its job failed is harmless:
 * its fd holds a dma-buf reference, which keeps the memory alive; its
 * late answer is refused, as its seq is no longer in flight.
 */

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "daedalus.h"
#include "daedalus_sf.h"

#define CREATE_TRACE_POINTS
#include "daedalus_trace.h"

static inline struct daedalus_bridge *ctx_bridge(struct daedalus_ctx *ctx)
{
	return &ctx->dev->bridge;
}

static unsigned long ms_to_jiffies_min1(unsigned int ms)
{
	return max(msecs_to_jiffies(ms), 1UL);
}

/* Arm the watchdog to fire @ms from now; bridge.lock held. */
static void run_arm_locked(struct daedalus_run *run, unsigned int ms)
{
	unsigned long delay = ms_to_jiffies_min1(ms);

	run->deadline = jiffies + delay;
	mod_delayed_work(system_wq, &run->watchdog, delay);
}

static bool run_active(const struct daedalus_run *run)
{
	return run->state == DAEDALUS_JOB_QUEUED ||
	       run->state == DAEDALUS_JOB_SENT;
}

/* @run ends as @how, its buffers to come back as @state; bridge.lock held. */
static void run_end_locked(struct daedalus_run *run, enum daedalus_stat how,
			   enum vb2_buffer_state state,
			   const struct daedalus_result *res)
{
	run->state = DAEDALUS_JOB_ENDED;
	run->end = state;
	run->payload = res ? res->bytesused :
		       vb2_plane_size(&run->buf[1]->m2m.vb.vb2_buf, 0);
	daedalus_stats_count(run->ctx->dev, run->rec.codec, how);
}

/*
 * Take the end of @run, queued or sent: its buffers come back as @state,
 * CAPTURE with the payload the daemon's answer @res says (checked against
 * sizeimage), the whole buffer when there is no answer.  bridge.lock
 * held.  True if it was ours: then, and only then, the end is counted.
 */
static bool run_claim_locked(struct daedalus_run *run, enum daedalus_stat how,
			     enum vb2_buffer_state state,
			     const struct daedalus_result *res)
{
	if (!run_active(run))
		return false;
	list_del_init(&run->entry.node);
	run_end_locked(run, how, state, res);
	return true;
}

/* The jobs a context may have at once; bridge.lock held. */
static unsigned int ctx_depth_locked(struct daedalus_ctx *ctx)
{
	return ctx->pipelined ? ctx_bridge(ctx)->depth : 1;
}

/* Give an ENDED job's buffers back to the client; bridge.lock held. */
static void run_done_locked(struct daedalus_run *run)
{
	struct daedalus_ctx *ctx = run->ctx;
	struct vb2_v4l2_buffer *src = &run->buf[0]->m2m.vb;
	struct vb2_v4l2_buffer *dst = &run->buf[1]->m2m.vb;

	cancel_delayed_work(&run->watchdog);
	vb2_set_plane_payload(&dst->vb2_buf, 0, run->payload);
	if (run->on_m2m) {
		/* OUTPUT done, CAPTURE too unless held, and m2m's job ends. */
		ctx->m2m_owed = false;
		v4l2_m2m_buf_done_and_job_finish(ctx->m2m_dev, ctx->fh.m2m_ctx,
						 run->end);
		return;
	}
	/* CAPTURE first: OUTPUT's completes the request, waking the client. */
	v4l2_m2m_buf_done(dst, run->end);
	v4l2_m2m_buf_done(src, run->end);
}

/*
 * Give back the buffers of the context's ENDED jobs, oldest first, up to
 * the first one still queued or sent; then finish m2m's job if it is owed
 * and a slot is free, so that m2m runs the next.  bridge.lock held: the
 * order is the queue's whoever ends which job.
 */
static void ctx_retire_locked(struct daedalus_ctx *ctx)
{
	while (ctx->njobs) {
		struct daedalus_run *run = &ctx->runs[ctx->head];

		if (run->state != DAEDALUS_JOB_ENDED)
			break;
		run_done_locked(run);
		run->state = DAEDALUS_JOB_IDLE;
		ctx->head = (ctx->head + 1) % DAEDALUS_MAX_DEPTH;
		ctx->njobs--;
	}
	if (ctx->m2m_owed && ctx->njobs < ctx_depth_locked(ctx)) {
		ctx->m2m_owed = false;
		v4l2_m2m_job_finish(ctx->m2m_dev, ctx->fh.m2m_ctx);
	}
	if (!ctx->njobs)
		wake_up(&ctx->idle_wq);
}

static void run_watchdog(struct work_struct *work)
{
	struct daedalus_run *run = container_of(to_delayed_work(work),
						struct daedalus_run, watchdog);
	struct daedalus_ctx *ctx = run->ctx;
	struct daedalus_bridge *br = ctx_bridge(ctx);
	enum daedalus_job_state was;
	u64 seq;

	spin_lock(&br->lock);
	if (!run_active(run)) {
		spin_unlock(&br->lock);
		return;
	}
	/* A stale expiry from an earlier job of this slot: re-arm. */
	if (time_before(jiffies, run->deadline)) {
		mod_delayed_work(system_wq, &run->watchdog,
				 run->deadline - jiffies);
		spin_unlock(&br->lock);
		return;
	}
	was = run->state;
	seq = run->rec.seq;
	trace_daedalus_job_timeout(run);
	run_claim_locked(run, DAEDALUS_STAT_TIMEOUT, VB2_BUF_STATE_ERROR, NULL);
	ctx_retire_locked(ctx);
	spin_unlock(&br->lock);

	dev_warn_ratelimited(ctx->dev->v4l2_dev.dev,
			     "job %llu (ctx %llu) timed out %s\n", seq, ctx->id,
			     was == DAEDALUS_JOB_SENT ? "in the daemon" :
			     "waiting for a daemon");
}

void daedalus_run_init(struct daedalus_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < DAEDALUS_MAX_DEPTH; i++) {
		struct daedalus_run *run = &ctx->runs[i];

		INIT_LIST_HEAD(&run->entry.node);
		run->entry.run = run;
		run->entry.kind = DAEDALUS_ENTRY_JOB;
		run->ctx = ctx;
		run->state = DAEDALUS_JOB_IDLE;
		INIT_DELAYED_WORK(&run->watchdog, run_watchdog);
	}
	init_waitqueue_head(&ctx->idle_wq);
}

/* The context is idle and closing: no watchdog may run any more. */
void daedalus_run_exit(struct daedalus_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < DAEDALUS_MAX_DEPTH; i++)
		cancel_delayed_work_sync(&ctx->runs[i].watchdog);
}

/*
 * device_run's slot: the one after the context's newest job.  Only
 * device_run fills slots, one call at a time per context, and m2m calls it
 * only while the context has fewer jobs than its depth, so the slot is
 * free; retiring jobs moves head but not head + njobs.
 */
struct daedalus_run *daedalus_bridge_next_run(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = ctx_bridge(ctx);
	struct daedalus_run *run = NULL;

	spin_lock(&br->lock);
	if (ctx->njobs < DAEDALUS_MAX_DEPTH)
		run = &ctx->runs[(ctx->head + ctx->njobs) % DAEDALUS_MAX_DEPTH];
	spin_unlock(&br->lock);
	return run;
}

/*
 * device_run built @run (@ok: its buffers can go to a daemon): queue it
 * for the daemon, or fail it if it cannot go.  m2m's job is finished now
 * if the context may have one more job, else when a slot frees.
 */
void daedalus_bridge_submit(struct daedalus_run *run, bool pipelined, bool ok)
{
	struct daedalus_ctx *ctx = run->ctx;
	struct daedalus_bridge *br = ctx_bridge(ctx);

	spin_lock(&br->lock);
	if (ok && (ctx->closing || ctx->aborting))
		ok = false;
	if (ok && br->attached &&
	    !(br->codecs & DAEDALUS_CODEC_BIT(run->rec.codec)))
		ok = false;
	ctx->njobs++;
	ctx->pipelined = pipelined;
	ctx->m2m_owed = true;
	if (ok) {
		run->rec.seq = ++br->next_seq;
		run->state = DAEDALUS_JOB_QUEUED;
		trace_daedalus_job_queued(&run->rec, br->attached);
		daedalus_stats_count(ctx->dev, run->rec.codec,
				     DAEDALUS_STAT_QUEUED);
		list_add_tail(&run->entry.node, &br->pending);
		run_arm_locked(run, br->attached ?
			       READ_ONCE(daedalus_job_timeout_ms) :
			       READ_ONCE(daedalus_attach_timeout_ms));
		wake_up_interruptible(&br->wq);
	} else {
		trace_daedalus_job_not_queued(&run->rec);
		run_end_locked(run, DAEDALUS_STAT_NOT_QUEUED,
			       VB2_BUF_STATE_ERROR, NULL);
	}
	ctx_retire_locked(ctx);
	spin_unlock(&br->lock);
}

/* Fail every job of @ctx still queued or sent; bridge.lock held. */
static void ctx_fail_all_locked(struct daedalus_ctx *ctx, bool close)
{
	unsigned int i;

	for (i = 0; i < ctx->njobs; i++) {
		struct daedalus_run *run =
			&ctx->runs[(ctx->head + i) % DAEDALUS_MAX_DEPTH];

		if (close)
			trace_daedalus_job_close(run);
		else
			trace_daedalus_job_abort(run);
		run_claim_locked(run, DAEDALUS_STAT_ABORTED,
				 VB2_BUF_STATE_ERROR, NULL);
	}
	ctx_retire_locked(ctx);
}

/*
 * job_abort and stop_streaming (STREAMOFF, close): fail every job now,
 * queued or sent, those whose m2m job was finished early too: they are
 * on no m2m queue any more.
 */
void daedalus_bridge_abort(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = ctx_bridge(ctx);

	spin_lock(&br->lock);
	ctx->aborting = true;
	ctx_fail_all_locked(ctx, false);
	spin_unlock(&br->lock);
}

void daedalus_bridge_streamon(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = ctx_bridge(ctx);

	spin_lock(&br->lock);
	ctx->aborting = false;
	ctx->daemon_generation = 0;	/* next job carries NEW_STREAM */
	spin_unlock(&br->lock);
}

static bool ctx_idle(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = ctx_bridge(ctx);
	bool idle;

	spin_lock(&br->lock);
	idle = !ctx->njobs;
	spin_unlock(&br->lock);
	return idle;
}

/*
 * Once the jobs were claimed (abort, close), a slot stays in use only
 * while a device_run that saw the claim ends its own job: never the daemon.
 */
void daedalus_bridge_wait_idle(struct daedalus_ctx *ctx)
{
	wait_event(ctx->idle_wq, ctx_idle(ctx));
}

/* Start of release: no new jobs; fail them all, queued or sent. */
void daedalus_bridge_ctx_close(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = ctx_bridge(ctx);

	spin_lock(&br->lock);
	WRITE_ONCE(ctx->closing, true);
	ctx_fail_all_locked(ctx, true);
	spin_unlock(&br->lock);
	daedalus_bridge_wait_idle(ctx);
}

/* Queue a message for the daemon, if one is attached; frees it if not. */
void daedalus_bridge_post(struct daedalus_bridge *br, struct daedalus_msg *msg)
{
	spin_lock(&br->lock);
	if (br->attached) {
		list_add_tail(&msg->entry.node, &br->pending);
		wake_up_interruptible(&br->wq);
		msg = NULL;
	}
	spin_unlock(&br->lock);
	kfree(msg);
}

/*
 * The "gone" records are allocated when the context or buffer is made, so
 * that telling the daemon it is gone cannot fail: a lost one would leave
 * the daemon pinning client memory for good.
 */
struct daedalus_msg *daedalus_bridge_gone_alloc(bool ctx)
{
	struct daedalus_msg *msg = kzalloc(sizeof(*msg), GFP_KERNEL);

	if (!msg)
		return NULL;
	INIT_LIST_HEAD(&msg->entry.node);
	msg->entry.run = NULL;
	msg->entry.kind = DAEDALUS_ENTRY_MSG;
	msg->hdr.magic = DAEDALUS_MAGIC;
	msg->hdr.version = DAEDALUS_PROTO_VERSION;
	msg->hdr.type = ctx ? DAEDALUS_MSG_CTX_GONE : DAEDALUS_MSG_BUF_GONE;
	msg->hdr.size = ctx ? sizeof(msg->ctx_gone) : sizeof(msg->buf_gone);
	return msg;
}

/* End of release: the context's buffers are gone; tell the daemon. */
void daedalus_bridge_ctx_gone(struct daedalus_ctx *ctx)
{
	ctx->gone->ctx_gone.ctx_id = ctx->id;
	daedalus_bridge_post(ctx_bridge(ctx), ctx->gone);
	ctx->gone = NULL;
}

/*
 * The buffer is freed.  If the attached daemon holds its fd, the BUF_GONE
 * record goes out and belongs to the bridge from now on; otherwise no
 * daemon needs to hear of it.
 */
void daedalus_bridge_buf_gone(struct daedalus_dev *dev,
			      struct daedalus_buffer *buf)
{
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_msg *msg = buf->gone;

	buf->gone = NULL;
	if (!msg)
		return;
	spin_lock(&br->lock);
	if (!list_empty(&msg->entry.node)) {
		list_move_tail(&msg->entry.node, &br->pending);
		wake_up_interruptible(&br->wq);
		msg = NULL;
	}
	spin_unlock(&br->lock);
	kfree(msg);
}

/* ------------------------------------------------------------------ */
/* The character device                                                */

static struct daedalus_bridge *file_bridge(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct daedalus_bridge, misc);
}

static struct daedalus_dev *bridge_dev(struct daedalus_bridge *br)
{
	return container_of(br, struct daedalus_dev, bridge);
}

static int bridge_open(struct inode *inode, struct file *file)
{
	struct daedalus_bridge *br = file_bridge(file);
	int ret = 0;

	spin_lock(&br->lock);
	if (br->open)
		ret = -EBUSY;
	else
		br->open = true;
	spin_unlock(&br->lock);
	if (ret)
		return ret;
	return nonseekable_open(inode, file);
}

/* The daemon went away (exit, crash, SIGKILL): fail all it had. */
static int bridge_release(struct inode *inode, struct file *file)
{
	struct daedalus_bridge *br = file_bridge(file);
	struct daedalus_entry *e, *tmp;
	struct pid *owner = NULL;
	LIST_HEAD(msgs);

	spin_lock(&br->lock);
	if (br->attached) {
		/*
		 * Stateful records: every stream fails at once; what the
		 * clients had queued beyond is sent again (pending) and waits
		 * for the next daemon.
		 */
		daedalus_sf_detach_locked(br);
		/* Queued jobs first, then those the daemon held. */
		list_for_each_entry_safe(e, tmp, &br->pending, node) {
			if (e->kind == DAEDALUS_ENTRY_SF)
				continue;	/* not a message: stays */
			if (!e->run) {
				list_move_tail(&e->node, &msgs);
				continue;
			}
			trace_daedalus_job_detach(e->run);
			run_claim_locked(e->run, DAEDALUS_STAT_DETACH,
					 VB2_BUF_STATE_ERROR, NULL);
			ctx_retire_locked(e->run->ctx);
		}
		list_for_each_entry_safe(e, tmp, &br->inflight, node) {
			trace_daedalus_job_detach(e->run);
			run_claim_locked(e->run, DAEDALUS_STAT_DETACH,
					 VB2_BUF_STATE_ERROR, NULL);
			ctx_retire_locked(e->run->ctx);
		}
		/* The fds died with the daemon: a new one gets them again. */
		list_for_each_entry_safe(e, tmp, &br->sent, node)
			list_del_init(&e->node);
		br->attached = false;
		br->codecs = 0;
		br->sf_codecs = 0;
		br->depth = 1;
		owner = br->owner;
		br->owner = NULL;
		daedalus_stats_set_daemon(bridge_dev(br), 0);
	}
	br->open = false;
	spin_unlock(&br->lock);
	put_pid(owner);

	list_for_each_entry_safe(e, tmp, &msgs, node) {
		list_del(&e->node);
		kfree(container_of(e, struct daedalus_msg, entry));
	}
	return 0;
}

static long bridge_hello(struct daedalus_bridge *br, void __user *arg)
{
	struct daedalus_hello hello;
	struct daedalus_entry *e;
	unsigned int i;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&hello, arg, sizeof(hello)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(hello.reserved); i++)
		if (hello.reserved[i])
			return -EINVAL;
	if (hello.version != DAEDALUS_PROTO_VERSION) {
		hello.version = DAEDALUS_PROTO_VERSION;
		if (copy_to_user(arg, &hello, sizeof(hello)))
			return -EFAULT;
		return -EPROTO;
	}

	spin_lock(&br->lock);
	if (br->attached) {
		spin_unlock(&br->lock);
		return -EBUSY;
	}
	br->attached = true;
	br->owner = get_pid(task_tgid(current));
	daedalus_stats_set_daemon(bridge_dev(br), task_tgid_nr(current));
	br->codecs = hello.codecs & daedalus_codec_mask();
	if (br->codecs)
		WRITE_ONCE(br->offered, br->codecs);
	br->generation++;
	hello.codecs = br->codecs;
	/*
	 * The stateful node offers what this daemon decodes as streams,
	 * nothing if it does not (a daemon before protocol 6's node).
	 */
	br->sf_codecs = hello.sf_codecs & daedalus_sf_codec_mask();
	WRITE_ONCE(br->sf_offered, br->sf_codecs);
	hello.sf_codecs = br->sf_codecs;
	/* As many jobs per context as it asks for, within our slots. */
	br->depth = clamp_t(u32, hello.depth, 1, DAEDALUS_MAX_DEPTH);
	hello.depth = br->depth;
	/* Jobs that waited for a daemon get the full job timeout from now. */
	list_for_each_entry(e, &br->pending, node)
		if (e->run)
			run_arm_locked(e->run, READ_ONCE(daedalus_job_timeout_ms));
	daedalus_sf_attach_locked(br);
	spin_unlock(&br->lock);

	v4l2_info(&bridge_dev(br)->v4l2_dev,
		  "daemon attached (pid %d, codecs 0x%x, stateful 0x%x), depth %u\n",
		  task_tgid_nr(current), hello.codecs, hello.sf_codecs,
		  hello.depth);
	if (copy_to_user(arg, &hello, sizeof(hello)))
		return -EFAULT;
	return 0;
}

/* The job the daemon holds under @seq, or NULL; bridge.lock held. */
static struct daedalus_run *bridge_find_inflight(struct daedalus_bridge *br,
						 u64 seq)
{
	struct daedalus_entry *e;

	list_for_each_entry(e, &br->inflight, node)
		if (e->run->rec.seq == seq)
			return e->run;
	return NULL;
}

/*
 * Only the thread group that said HELLO may use the attachment, as ublk
 * binds a queue to its daemon; bridge.lock held.
 */
static int bridge_owner_locked(struct daedalus_bridge *br)
{
	if (!br->attached)
		return -ENOTCONN;
	if (br->owner != task_tgid(current))
		return -EPERM;
	return 0;
}

int daedalus_bridge_check_owner(struct daedalus_bridge *br)
{
	int ret;

	spin_lock(&br->lock);
	ret = bridge_owner_locked(br);
	spin_unlock(&br->lock);
	return ret;
}

/* The daemon did not get buffer @id's fd after all; bridge.lock held. */
void daedalus_bridge_unsend_locked(struct daedalus_bridge *br, u64 id)
{
	struct daedalus_entry *e;

	list_for_each_entry(e, &br->sent, node) {
		if (container_of(e, struct daedalus_msg, entry)->buf_gone.buf_id == id) {
			list_del_init(&e->node);
			return;
		}
	}
}

/*
 * Hand one job to the daemon.  A buffer's fd goes with the first job that
 * names it in this attachment (its BUF_GONE record moves to bridge.sent);
 * fds are installed only if the copy worked.  Once bridge.lock is dropped
 * the job may be claimed and its context and buffers freed (watchdog,
 * abort, close): only the copy in rbuf, our dma-buf references and the
 * ids are used after that, and the job is found again by seq.
 */
static ssize_t bridge_fetch_job(struct daedalus_bridge *br,
				struct daedalus_run *run, void __user *ubuf)
{
	struct daedalus_job *rec = br->rbuf;
	struct daedalus_ctx *ctx = run->ctx;
	struct dma_buf *dbuf[2] = { NULL, NULL };
	int fd[2] = { -1, -1 };
	u64 id[2], seq;
	int i, ret;

	/* bridge.lock held on entry, released here. */
	run->state = DAEDALUS_JOB_SENT;
	list_add_tail(&run->entry.node, &br->inflight);
	run_arm_locked(run, READ_ONCE(daedalus_job_timeout_ms));
	memcpy(rec, &run->rec, sizeof(*rec));
	if (ctx->daemon_generation != br->generation) {
		rec->flags |= DAEDALUS_JOB_NEW_STREAM;
		ctx->daemon_generation = br->generation;
	}
	for (i = 0; i < 2; i++) {
		struct daedalus_buffer *buf = run->buf[i];

		id[i] = buf->id;
		if (!list_empty(&buf->gone->entry.node))
			continue;	/* the daemon holds its fd */
		list_add_tail(&buf->gone->entry.node, &br->sent);
		dbuf[i] = buf->dbuf;
		get_dma_buf(dbuf[i]);
	}
	seq = rec->seq;
	trace_daedalus_job_fetched(rec);
	spin_unlock(&br->lock);

	for (i = 0; i < 2; i++) {
		if (!dbuf[i])
			continue;
		fd[i] = get_unused_fd_flags(O_CLOEXEC);
		if (fd[i] < 0) {
			ret = fd[i];
			goto fail;
		}
	}
	rec->bitstream.fd = fd[0];
	rec->picture.fd = fd[1];
	if (copy_to_user(ubuf, rec, sizeof(*rec))) {
		ret = -EFAULT;
		goto fail;
	}
	for (i = 0; i < 2; i++)
		if (dbuf[i])
			fd_install(fd[i], dbuf[i]->file);
	return sizeof(*rec);

fail:
	for (i = 0; i < 2; i++) {
		if (fd[i] >= 0)
			put_unused_fd(fd[i]);
		if (dbuf[i])
			dma_buf_put(dbuf[i]);
	}
	spin_lock(&br->lock);
	/* Not received: the buffer's next job carries its fd again. */
	for (i = 0; i < 2; i++)
		if (dbuf[i])
			daedalus_bridge_unsend_locked(br, id[i]);
	run = bridge_find_inflight(br, seq);
	trace_daedalus_job_fetch_failed(run, ret);
	if (run) {
		run_claim_locked(run, DAEDALUS_STAT_ERROR, VB2_BUF_STATE_ERROR,
				 NULL);
		ctx_retire_locked(run->ctx);
	}
	spin_unlock(&br->lock);
	return ret;
}

/* One record into @ubuf; waits for one unless O_NONBLOCK. */
static ssize_t bridge_fetch(struct daedalus_bridge *br, struct file *file,
			    void __user *ubuf)
{
	struct daedalus_entry *e;
	struct daedalus_msg *msg;
	ssize_t ret;

	if (mutex_lock_interruptible(&br->fetch_mutex))
		return -ERESTARTSYS;

	for (;;) {
		spin_lock(&br->lock);
		if (!list_empty(&br->pending))
			break;
		spin_unlock(&br->lock);
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		if (wait_event_interruptible(br->wq,
					     !list_empty_careful(&br->pending))) {
			ret = -ERESTARTSYS;
			goto out;
		}
	}

	e = list_first_entry(&br->pending, struct daedalus_entry, node);
	list_del_init(&e->node);
	if (e->kind == DAEDALUS_ENTRY_SF) {
		ret = daedalus_sf_fetch_locked(br, e, ubuf);
		goto out;
	}
	if (e->run) {
		ret = bridge_fetch_job(br, e->run, ubuf);
		goto out;
	}
	spin_unlock(&br->lock);

	msg = container_of(e, struct daedalus_msg, entry);
	ret = msg->hdr.size;
	if (copy_to_user(ubuf, &msg->hdr, msg->hdr.size)) {
		/* Not lost: first in line for the next fetch. */
		spin_lock(&br->lock);
		list_add(&msg->entry.node, &br->pending);
		msg = NULL;
		spin_unlock(&br->lock);
		ret = -EFAULT;
	}
	kfree(msg);
out:
	mutex_unlock(&br->fetch_mutex);
	return ret;
}

/* Check one answer and complete its job; never trust a field unchecked. */
static int bridge_take_result(struct daedalus_bridge *br,
			      const struct daedalus_result *res)
{
	struct daedalus_dev *dev = bridge_dev(br);
	struct daedalus_run *run;
	const char *why = NULL;
	bool ok;

	if (res->hdr.magic != DAEDALUS_MAGIC ||
	    res->hdr.version != DAEDALUS_PROTO_VERSION ||
	    res->hdr.type != DAEDALUS_MSG_RESULT ||
	    res->hdr.size != sizeof(*res) || res->hdr.reserved)
		why = "bad header";
	else if (res->reserved[0] || res->reserved[1])
		why = "reserved field set";
	else if (res->status > DAEDALUS_STATUS_FAILED)
		why = "unknown status";
	if (why)
		goto reject;

	spin_lock(&br->lock);
	run = bridge_find_inflight(br, res->seq);
	if (!run) {
		why = "unknown or stale seq";
	} else if (run->rec.ctx_id != res->ctx_id) {
		why = "ctx_id does not match seq";
	} else if (res->bytesused > run->rec.picture_format.sizeimage) {
		why = "bytesused beyond sizeimage";
	} else {
		ok = res->status == DAEDALUS_STATUS_OK;
		trace_daedalus_job_answered(res, NULL);
		run_claim_locked(run, ok ? DAEDALUS_STAT_DONE :
				 DAEDALUS_STAT_ERROR, ok ? VB2_BUF_STATE_DONE :
				 VB2_BUF_STATE_ERROR, res);
		ctx_retire_locked(run->ctx);
	}
	spin_unlock(&br->lock);
	if (why)
		goto reject;
	return 0;

reject:
	trace_daedalus_job_answered(res, why);
	dev_warn_ratelimited(dev->v4l2_dev.dev,
			     "rejected result (seq %llu, ctx %llu): %s\n",
			     res->seq, res->ctx_id, why);
	return -EINVAL;
}

/* Commit @n results; a bad one stops there.  *@taken: those taken. */
static int bridge_commit(struct daedalus_bridge *br,
			 const struct daedalus_result __user *ures, u32 n,
			 u32 *taken)
{
	struct daedalus_result res;
	int ret;

	for (*taken = 0; *taken < n; (*taken)++) {
		if (copy_from_user(&res, ures + *taken, sizeof(res)))
			return -EFAULT;
		ret = bridge_take_result(br, &res);
		if (ret)
			return ret;
	}
	return 0;
}

/* DAEDALUS_IOC_FETCH: commit results, then fetch one record if asked. */
static long bridge_fetch_ioctl(struct daedalus_bridge *br, struct file *file,
			       struct daedalus_fetch __user *uarg)
{
	struct daedalus_fetch arg;
	u32 taken;
	long ret;
	int i;

	ret = daedalus_bridge_check_owner(br);
	if (ret)
		return ret;
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(arg.reserved); i++)
		if (arg.reserved[i])
			return -EINVAL;
	if ((!arg.record && !arg.num_results) ||
	    (arg.record && arg.record_size < DAEDALUS_READ_SIZE))
		return -EINVAL;

	ret = bridge_commit(br, u64_to_user_ptr(arg.results), arg.num_results,
			    &taken);
	if (put_user(taken, &uarg->taken))
		return -EFAULT;
	if (ret || !arg.record)
		return ret;
	return bridge_fetch(br, file, u64_to_user_ptr(arg.record));
}

static long bridge_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct daedalus_bridge *br = file_bridge(file);

	switch (cmd) {
	case DAEDALUS_IOC_HELLO:
		return bridge_hello(br, (void __user *)arg);
	case DAEDALUS_IOC_FETCH:
		return bridge_fetch_ioctl(br, file, (void __user *)arg);
	case DAEDALUS_IOC_SF_COMMIT:
		return daedalus_sf_commit_ioctl(br, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* The owner waits for records; anybody else is told it cannot have them. */
static __poll_t bridge_poll(struct file *file, poll_table *wait)
{
	struct daedalus_bridge *br = file_bridge(file);
	__poll_t mask = 0;

	poll_wait(file, &br->wq, wait);
	spin_lock(&br->lock);
	if (bridge_owner_locked(br))
		mask = EPOLLERR;
	else if (!list_empty(&br->pending))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&br->lock);
	return mask;
}

/* No read() or write(): they would serve whoever holds the fd. */
static const struct file_operations bridge_fops = {
	.owner		= THIS_MODULE,
	.open		= bridge_open,
	.release	= bridge_release,
	.poll		= bridge_poll,
	.unlocked_ioctl	= bridge_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

int daedalus_bridge_init(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;
	int ret;

	spin_lock_init(&br->lock);
	INIT_LIST_HEAD(&br->pending);
	INIT_LIST_HEAD(&br->inflight);
	INIT_LIST_HEAD(&br->sent);
	INIT_LIST_HEAD(&br->sf_ctxs);
	init_waitqueue_head(&br->wq);
	mutex_init(&br->fetch_mutex);
	br->generation = 1;
	br->depth = 1;
	br->offered = daedalus_codec_mask();
	br->sf_offered = daedalus_sf_codec_mask();
	br->rbuf = kvzalloc(sizeof(*br->rbuf), GFP_KERNEL);
	if (!br->rbuf)
		return -ENOMEM;

	br->misc.minor = MISC_DYNAMIC_MINOR;
	br->misc.name = DAEDALUS_NAME;
	br->misc.fops = &bridge_fops;
	br->misc.mode = 0600;
	ret = misc_register(&br->misc);
	if (ret)
		kvfree(br->rbuf);
	return ret;
}

void daedalus_bridge_exit(struct daedalus_dev *dev)
{
	misc_deregister(&dev->bridge.misc);
	kvfree(dev->bridge.rbuf);
}
