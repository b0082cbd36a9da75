// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the stateful node's records and the daemon's answers
 * (docs/stateful-design.md, sections 1.3 to 2).
 *
 * A context sends the daemon three kinds of record: a chunk per OUTPUT
 * buffer (at most DAEDALUS_SF_WINDOW unanswered), a lend per CAPTURE buffer
 * and a command per client action (DRAIN, START, RESET, CAPTURE_OFF) or
 * source change (FORMAT).  A record is IDLE -> QUEUED (bridge.pending) ->
 * SENT (fetched) -> IDLE, always under bridge.lock; whoever moves it back
 * to IDLE ("claims" it) gives its buffer back to the client, exactly once.
 *
 * The daemon answers through DAEDALUS_IOC_SF_COMMIT; every field of every
 * answer is checked before anything changes (bridge_take_sf_answer()).
 *
 * Every wait is bounded by the "answer-or-idle" rule: a context with
 * records out may stay unanswered only while the daemon's latest answer
 * said IDLE and it has seen every record sent since; otherwise its
 * watchdog fails the stream after job_timeout_ms (attach_timeout_ms with
 * no daemon).  Failing a stream gives every chunk and lend back ERROR
 * (an owed LAST as one empty LAST buffer) and starts the next chunk with
 * NEW_STREAM.  Nothing here sleeps on the daemon.
 */

#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <media/v4l2-event.h>

#include "daedalus_sf.h"
#include "daedalus_trace.h"

static inline struct daedalus_bridge *sf_bridge(struct daedalus_sf_ctx *ctx)
{
	return &ctx->dev->bridge;
}

static void sf_watchdog(struct work_struct *work);

void daedalus_sf_ctx_init(struct daedalus_sf_ctx *ctx)
{
	unsigned int i;

	INIT_LIST_HEAD(&ctx->node);
	INIT_LIST_HEAD(&ctx->chunks);
	INIT_LIST_HEAD(&ctx->lends);
	INIT_LIST_HEAD(&ctx->cmds);
	INIT_DELAYED_WORK(&ctx->watchdog, sf_watchdog);
	INIT_WORK(&ctx->fmt_work, daedalus_sf_apply_format);
	for (i = 0; i < DAEDALUS_SF_MAX_CMDS; i++) {
		struct daedalus_sf_rec *rec = &ctx->cmd_recs[i];

		INIT_LIST_HEAD(&rec->entry.node);
		INIT_LIST_HEAD(&rec->node);
		rec->entry.kind = DAEDALUS_ENTRY_SF;
		rec->ctx = ctx;
		rec->state = DAEDALUS_SF_REC_IDLE;
	}
}

/* The context is ready: answers may find it from now on. */
void daedalus_sf_ctx_open(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);

	spin_lock(&br->lock);
	list_add_tail(&ctx->node, &br->sf_ctxs);
	spin_unlock(&br->lock);
}

void daedalus_sf_rec_init(struct daedalus_sf_ctx *ctx,
			  struct daedalus_sf_buffer *sbuf)
{
	struct daedalus_sf_rec *rec = &sbuf->rec;

	INIT_LIST_HEAD(&rec->entry.node);
	INIT_LIST_HEAD(&rec->node);
	rec->entry.run = NULL;
	rec->entry.kind = DAEDALUS_ENTRY_SF;
	rec->ctx = ctx;
	rec->state = DAEDALUS_SF_REC_IDLE;
	rec->buf = &sbuf->b;
}

static void sf_hdr(struct daedalus_hdr *hdr, u16 type, u32 size)
{
	hdr->magic = DAEDALUS_MAGIC;
	hdr->version = DAEDALUS_PROTO_VERSION;
	hdr->type = type;
	hdr->size = size;
	hdr->reserved = 0;
}

/* ------------------------------------------------------------------ */
/* The watchdog: answer-or-idle                                         */

static bool sf_owed_locked(struct daedalus_sf_ctx *ctx)
{
	if (list_empty(&ctx->chunks) && list_empty(&ctx->lends) &&
	    list_empty(&ctx->cmds))
		return false;
	return !(ctx->idle && ctx->seen_seq >= ctx->last_sent_seq);
}

/* After every send and answer; bridge.lock held. */
static void sf_rearm_locked(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	unsigned long delay;

	if (ctx->closing || !sf_owed_locked(ctx)) {
		cancel_delayed_work(&ctx->watchdog);
		return;
	}
	delay = msecs_to_jiffies(br->attached ?
				 READ_ONCE(daedalus_job_timeout_ms) :
				 READ_ONCE(daedalus_attach_timeout_ms));
	delay = max(delay, 1UL);
	ctx->deadline = jiffies + delay;
	mod_delayed_work(system_wq, &ctx->watchdog, delay);
}

/* ------------------------------------------------------------------ */
/* Giving buffers back                                                  */

/* Move @rec to IDLE (off every list); bridge.lock held. */
static void sf_rec_unlink_locked(struct daedalus_sf_rec *rec)
{
	list_del_init(&rec->entry.node);
	list_del_init(&rec->node);
	rec->state = DAEDALUS_SF_REC_IDLE;
}

static void sf_chunk_done_locked(struct daedalus_sf_rec *rec,
				 enum vb2_buffer_state state)
{
	struct daedalus_sf_ctx *ctx = rec->ctx;
	struct vb2_v4l2_buffer *vbuf = &rec->buf->m2m.vb;

	sf_rec_unlink_locked(rec);
	ctx->nchunks--;
	vbuf->sequence = ctx->out_seqno++;
	v4l2_m2m_buf_done(vbuf, state);
}

static const struct daedalus_sf_ts *sf_ring_find(struct daedalus_sf_ctx *ctx,
						 u64 timestamp)
{
	unsigned int i;

	for (i = 0; i < ctx->ring_used; i++)
		if (ctx->ring[i].timestamp == timestamp)
			return &ctx->ring[i];
	return NULL;
}

static void sf_ring_push(struct daedalus_sf_ctx *ctx,
			 struct vb2_v4l2_buffer *vbuf)
{
	u64 ts = vbuf->vb2_buf.timestamp;
	struct daedalus_sf_ts *e;
	unsigned int last;

	if (ctx->ring_used) {
		last = (ctx->ring_next + DAEDALUS_SF_RING - 1) % DAEDALUS_SF_RING;
		if (ctx->ring[last].timestamp == ts)
			return;
	}
	e = &ctx->ring[ctx->ring_next];
	e->timestamp = ts;
	e->timecode = vbuf->timecode;
	e->flags = vbuf->flags & (V4L2_BUF_FLAG_TIMECODE |
				  V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	ctx->ring_next = (ctx->ring_next + 1) % DAEDALUS_SF_RING;
	if (ctx->ring_used < DAEDALUS_SF_RING)
		ctx->ring_used++;
}

/* A CAPTURE buffer back to the client: picture, empty LAST or ERROR. */
static void sf_cap_done_locked(struct daedalus_sf_ctx *ctx,
			       struct vb2_v4l2_buffer *vbuf,
			       enum vb2_buffer_state state, u32 bytesused,
			       bool last, const u64 *timestamp)
{
	const struct daedalus_sf_ts *ts = NULL;

	vbuf->flags &= ~(V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK |
			 V4L2_BUF_FLAG_LAST);
	if (timestamp) {
		vbuf->vb2_buf.timestamp = *timestamp;
		ts = sf_ring_find(ctx, *timestamp);
	} else {
		vbuf->vb2_buf.timestamp = 0;
	}
	if (ts) {
		vbuf->timecode = ts->timecode;
		vbuf->flags |= ts->flags;
	}
	if (last)
		vbuf->flags |= V4L2_BUF_FLAG_LAST;
	vbuf->field = V4L2_FIELD_NONE;
	vbuf->sequence = ctx->cap_seqno++;
	vb2_set_plane_payload(&vbuf->vb2_buf, 0, bytesused);
	v4l2_m2m_buf_done(vbuf, state);
}

static void sf_lend_done_locked(struct daedalus_sf_rec *rec,
				enum vb2_buffer_state state, u32 bytesused,
				bool last, const u64 *timestamp)
{
	sf_rec_unlink_locked(rec);
	sf_cap_done_locked(rec->ctx, &rec->buf->m2m.vb, state, bytesused, last,
			   timestamp);
}

static void sf_queue_eos(struct daedalus_sf_ctx *ctx)
{
	static const struct v4l2_event eos = { .type = V4L2_EVENT_EOS };

	v4l2_event_queue_fh(&ctx->fh, &eos);
}

/*
 * A LAST went to the client (or is owed to the next buffer).  During a
 * resolution change it is the change's: a drain begun before goes on once
 * the client restarted CAPTURE, and its own LAST comes later
 * (dev-decoder.rst, Drain 2: the change is handled "before continuing
 * with the drain sequence").
 */
static void sf_last_given_locked(struct daedalus_sf_ctx *ctx)
{
	if (ctx->drc) {
		ctx->drc = false;
		ctx->stopped = true;
		return;
	}
	if (ctx->draining)
		sf_queue_eos(ctx);
	ctx->draining = false;
	ctx->drain_owed = false;
	ctx->drc = false;
	ctx->stopped = true;
}

/*
 * The stream failed (@why): every chunk and lend back ERROR, commands
 * forgotten, an owed LAST given as one empty buffer, and the daemon
 * starts over with the next chunk.  bridge.lock held.
 */
static void sf_fail_stream_locked(struct daedalus_sf_ctx *ctx, const char *why)
{
	struct daedalus_sf_rec *rec, *tmp;
	bool last = ctx->draining || ctx->drc;

	/* One LAST ends both a resolution change and a drain around it. */
	ctx->drc = false;
	ctx->drc_restart = false;
	list_for_each_entry_safe(rec, tmp, &ctx->chunks, node)
		sf_chunk_done_locked(rec, VB2_BUF_STATE_ERROR);
	list_for_each_entry_safe(rec, tmp, &ctx->cmds, node)
		sf_rec_unlink_locked(rec);
	list_for_each_entry_safe(rec, tmp, &ctx->lends, node) {
		if (last) {
			sf_last_given_locked(ctx);	/* EOS first */
			sf_lend_done_locked(rec, VB2_BUF_STATE_DONE, 0, true,
					    NULL);
			last = false;
			continue;
		}
		sf_lend_done_locked(rec, VB2_BUF_STATE_ERROR, 0, false, NULL);
	}
	if (last) {
		/* No CAPTURE buffer: the next one queued is the LAST. */
		if (ctx->draining)
			sf_queue_eos(ctx);
		ctx->draining = false;
		ctx->drain_owed = false;
		ctx->drc = false;
		ctx->next_cap_last = true;
	}
	ctx->daemon_generation = 0;
	ctx->stream_gen++;
	ctx->stream_seq = sf_bridge(ctx)->next_seq;
	ctx->sc_pending = false;
	ctx->idle = false;
	cancel_delayed_work(&ctx->watchdog);
	if (why)
		dev_warn_ratelimited(ctx->sf->v4l2_dev.dev,
				     "stateful ctx %llu: stream failed (%s)\n",
				     ctx->id, why);
}

static void sf_watchdog(struct work_struct *work)
{
	struct daedalus_sf_ctx *ctx =
		container_of(to_delayed_work(work), struct daedalus_sf_ctx,
			     watchdog);
	struct daedalus_bridge *br = sf_bridge(ctx);

	spin_lock(&br->lock);
	if (ctx->closing || !sf_owed_locked(ctx)) {
		spin_unlock(&br->lock);
		return;
	}
	if (time_before(jiffies, ctx->deadline)) {
		mod_delayed_work(system_wq, &ctx->watchdog,
				 ctx->deadline - jiffies);
		spin_unlock(&br->lock);
		return;
	}
	sf_fail_stream_locked(ctx, br->attached ? "the daemon did not answer" :
			      "no daemon");
	daedalus_sf_pump_locked(ctx);
	spin_unlock(&br->lock);
}

/* ------------------------------------------------------------------ */
/* Sending                                                              */

static void sf_post_locked(struct daedalus_sf_ctx *ctx,
			   struct daedalus_sf_rec *rec, struct list_head *list)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	bool owed = sf_owed_locked(ctx);
	u64 seq = ++br->next_seq;

	rec->state = DAEDALUS_SF_REC_QUEUED;
	switch (rec->hdr.type) {
	case DAEDALUS_MSG_SF_CHUNK:
		rec->chunk.seq = seq;
		rec->chunk.ctx_id = ctx->id;
		break;
	case DAEDALUS_MSG_SF_LEND:
		rec->lend.seq = seq;
		rec->lend.ctx_id = ctx->id;
		break;
	default:
		rec->cmd.seq = seq;
		rec->cmd.ctx_id = ctx->id;
		break;
	}
	ctx->last_sent_seq = seq;
	list_add_tail(&rec->node, list);
	list_add_tail(&rec->entry.node, &br->pending);
	wake_up_interruptible(&br->wq);
	/*
	 * A daemon that owes an answer already keeps its deadline: only its
	 * own progress (a fetch, an answer) moves it, so a client that keeps
	 * queueing cannot keep a stopped daemon's stream from failing.
	 */
	if (!owed || !delayed_work_pending(&ctx->watchdog))
		sf_rearm_locked(ctx);
}

/* A free command record, or NULL (DAEDALUS_SF_MAX_CMDS unanswered). */
static struct daedalus_sf_rec *sf_cmd_get_locked(struct daedalus_sf_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < DAEDALUS_SF_MAX_CMDS; i++)
		if (ctx->cmd_recs[i].state == DAEDALUS_SF_REC_IDLE &&
		    list_empty(&ctx->cmd_recs[i].node))
			return &ctx->cmd_recs[i];
	return NULL;
}

/*
 * Records may go out: no daemon yet (they wait for one), or one that
 * decodes this codec as a stream.  bridge.lock held.
 */
static bool sf_daemon_ok_locked(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);

	return !br->attached ||
	       (br->sf_codecs & DAEDALUS_CODEC_BIT(ctx->codec));
}

static int sf_cmd_locked(struct daedalus_sf_ctx *ctx, u32 cmd)
{
	struct daedalus_sf_rec *rec = sf_cmd_get_locked(ctx);

	if (!sf_daemon_ok_locked(ctx))
		return 0;	/* nobody to tell */
	if (!rec)
		return -EBUSY;
	memset(&rec->cmd, 0, sizeof(rec->cmd));
	sf_hdr(&rec->hdr, DAEDALUS_MSG_SF_CMD, sizeof(rec->cmd));
	rec->cmd.cmd = cmd;
	sf_post_locked(ctx, rec, &ctx->cmds);
	return 0;
}

/*
 * A command the client cannot be refused (STREAMOFF): with every slot
 * taken the daemon is not answering, and the stream fails first.
 */
static void sf_cmd_forced_locked(struct daedalus_sf_ctx *ctx, u32 cmd)
{
	if (sf_cmd_locked(ctx, cmd)) {
		sf_fail_stream_locked(ctx, "too many commands unanswered");
		sf_cmd_locked(ctx, cmd);
	}
}

/*
 * Send what can go: chunks (while fewer than the window are out and no
 * drain holds them) and lends; the DRAIN once the chunks queued before
 * STOP went.  bridge.lock held.
 */
void daedalus_sf_pump_locked(struct daedalus_sf_ctx *ctx)
{
	struct v4l2_m2m_ctx *m2m = ctx->fh.m2m_ctx;
	bool ok = sf_daemon_ok_locked(ctx);
	struct vb2_v4l2_buffer *vbuf;

	if (ctx->closing)
		return;
	while (ctx->out_on && ctx->nchunks < DAEDALUS_SF_WINDOW &&
	       ((!ctx->draining && !ctx->stopped) || ctx->drain_chunks)) {
		struct daedalus_sf_rec *rec;

		vbuf = v4l2_m2m_src_buf_remove(m2m);
		if (!vbuf)
			break;
		if (ctx->drain_chunks)
			ctx->drain_chunks--;
		if (!ok) {
			/* The daemon does not decode it: fails at once. */
			vbuf->sequence = ctx->out_seqno++;
			v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
			continue;
		}
		rec = &to_sf_buffer(vbuf)->rec;
		memset(&rec->chunk, 0, sizeof(rec->chunk));
		sf_hdr(&rec->hdr, DAEDALUS_MSG_SF_CHUNK, sizeof(rec->chunk));
		rec->chunk.timestamp = vbuf->vb2_buf.timestamp;
		rec->chunk.codec = ctx->codec;
		daedalus_fill_buf(&rec->chunk.bitstream, vbuf, true);
		sf_ring_push(ctx, vbuf);
		ctx->nchunks++;
		sf_post_locked(ctx, rec, &ctx->chunks);
	}
	if (ctx->drain_owed && !ctx->drain_chunks) {
		ctx->drain_owed = false;
		if (ok)
			sf_cmd_forced_locked(ctx, DAEDALUS_SF_CMD_DRAIN);
		else
			sf_fail_stream_locked(ctx, NULL);	/* LAST */
	}
	/* Without a daemon that decodes it, lends stay queued. */
	while (ctx->cap_on && !ctx->stopped && (ok || ctx->next_cap_last)) {
		struct daedalus_sf_rec *rec;

		vbuf = v4l2_m2m_dst_buf_remove(m2m);
		if (!vbuf)
			break;
		if (ctx->next_cap_last) {
			ctx->next_cap_last = false;
			ctx->stopped = true;
			sf_cap_done_locked(ctx, vbuf, VB2_BUF_STATE_DONE, 0, true,
					   NULL);
			break;
		}

		rec = &to_sf_buffer(vbuf)->rec;
		memset(&rec->lend, 0, sizeof(rec->lend));
		sf_hdr(&rec->hdr, DAEDALUS_MSG_SF_LEND, sizeof(rec->lend));
		daedalus_fill_buf(&rec->lend.picture, vbuf, false);
		sf_post_locked(ctx, rec, &ctx->lends);
	}
}

void daedalus_sf_pump(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);

	spin_lock(&br->lock);
	daedalus_sf_pump_locked(ctx);
	spin_unlock(&br->lock);
}

/* ------------------------------------------------------------------ */
/* The client's actions                                                 */

void daedalus_sf_out_on(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);

	spin_lock(&br->lock);
	ctx->out_on = true;
	ctx->out_seqno = 0;
	ctx->daemon_generation = 0;	/* NEW_STREAM */
	ctx->stream_gen++;
	ctx->stream_seq = br->next_seq;
	ctx->ring_used = 0;
	ctx->ring_next = 0;
	daedalus_sf_pump_locked(ctx);
	spin_unlock(&br->lock);
}

/* STREAMOFF(OUTPUT), a seek: chunks back ERROR, the daemon resets. */
void daedalus_sf_out_off(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	struct daedalus_sf_rec *rec, *tmp;

	spin_lock(&br->lock);
	ctx->out_on = false;
	list_for_each_entry_safe(rec, tmp, &ctx->chunks, node)
		sf_chunk_done_locked(rec, VB2_BUF_STATE_ERROR);
	ctx->drain_chunks = 0;
	ctx->stream_gen++;
	ctx->sc_pending = false;
	if (!ctx->closing) {
		/* A drain still owed goes out now: it ends with LAST. */
		if (ctx->drain_owed) {
			ctx->drain_owed = false;
			sf_cmd_forced_locked(ctx, DAEDALUS_SF_CMD_DRAIN);
		}
		sf_cmd_forced_locked(ctx, DAEDALUS_SF_CMD_RESET);
	}
	spin_unlock(&br->lock);
}

/* FORMAT with the layout of @pix to the daemon; bridge.lock held. */
static void sf_format_post_locked(struct daedalus_sf_ctx *ctx,
				  struct daedalus_sf_rec *rec,
				  const struct v4l2_pix_format_mplane *pix,
				  bool drc)
{
	memset(&rec->cmd, 0, sizeof(rec->cmd));
	sf_hdr(&rec->hdr, DAEDALUS_MSG_SF_CMD, sizeof(rec->cmd));
	rec->cmd.cmd = DAEDALUS_SF_CMD_FORMAT;
	if (!++ctx->format_seq)
		ctx->format_seq = 1;
	rec->cmd.format_seq = ctx->format_seq;
	rec->cmd.drc = drc;
	rec->cmd.picture.pixelformat = pix->pixelformat;
	rec->cmd.picture.width = pix->width;
	rec->cmd.picture.height = pix->height;
	rec->cmd.picture.bytesperline = pix->plane_fmt[0].bytesperline;
	rec->cmd.picture.sizeimage = pix->plane_fmt[0].sizeimage;
	ctx->layout = rec->cmd.picture;
	ctx->sizeimage = pix->plane_fmt[0].sizeimage;
	ctx->format_known = true;
	sf_post_locked(ctx, rec, &ctx->cmds);
}

/*
 * STREAMON(CAPTURE) with the layout @pix: the client may have picked
 * another pixel format (YUV420 for NV12) since the last FORMAT, which the
 * daemon must then write in.
 */
void daedalus_sf_cap_on(struct daedalus_sf_ctx *ctx,
			const struct v4l2_pix_format_mplane *pix)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	struct daedalus_sf_rec *rec;

	spin_lock(&br->lock);
	ctx->cap_on = true;
	ctx->cap_seqno = 0;
	ctx->stopped = false;
	ctx->drc_restart = false;
	if (ctx->format_known &&
	    (ctx->layout.pixelformat != pix->pixelformat ||
	     ctx->layout.bytesperline != pix->plane_fmt[0].bytesperline ||
	     ctx->layout.sizeimage != pix->plane_fmt[0].sizeimage)) {
		rec = sf_cmd_get_locked(ctx);
		if (rec)
			sf_format_post_locked(ctx, rec, pix, false);
		else
			sf_fail_stream_locked(ctx, "too many commands unanswered");
	}
	sf_cmd_forced_locked(ctx, DAEDALUS_SF_CMD_START);
	daedalus_sf_pump_locked(ctx);
	spin_unlock(&br->lock);
}

/*
 * STREAMOFF(CAPTURE): every lend back ERROR, the DRC forgotten.  It aborts
 * a drain (dev-decoder.rst, Drain note), except one begun before a
 * resolution change that waits for its restart: the client reallocates
 * CAPTURE as the change asks and the drain still ends with LAST (Drain 2;
 * the daemon keeps it too, daemon/sf_context.c: CAPTURE_OFF).
 */
void daedalus_sf_cap_off(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	struct daedalus_sf_rec *rec, *tmp;

	spin_lock(&br->lock);
	ctx->cap_on = false;
	list_for_each_entry_safe(rec, tmp, &ctx->lends, node)
		sf_lend_done_locked(rec, VB2_BUF_STATE_ERROR, 0, false, NULL);
	if (!ctx->drc_restart) {
		ctx->draining = false;
		ctx->drain_owed = false;
		ctx->drain_chunks = 0;
	}
	ctx->stopped = false;
	ctx->drc = false;
	ctx->next_cap_last = false;
	if (!ctx->closing)
		sf_cmd_forced_locked(ctx, DAEDALUS_SF_CMD_CAPTURE_OFF);
	daedalus_sf_pump_locked(ctx);
	spin_unlock(&br->lock);
}

/* V4L2_DEC_CMD_STOP with OUTPUT streaming. */
int daedalus_sf_stop(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	int ret = 0;

	spin_lock(&br->lock);
	if (ctx->draining) {
		ret = -EBUSY;
	} else if (!sf_cmd_get_locked(ctx)) {
		ret = -EBUSY;
	} else {
		ctx->draining = true;
		ctx->drain_owed = true;
		ctx->drain_chunks = v4l2_m2m_num_src_bufs_ready(ctx->fh.m2m_ctx);
		daedalus_sf_pump_locked(ctx);
	}
	spin_unlock(&br->lock);
	return ret;
}

/*
 * V4L2_DEC_CMD_START: refused during a drain (dev-decoder.rst, Drain
 * note), except to resume after the LAST of a resolution change met
 * during it (Dynamic Resolution Change: "or ... V4L2_DEC_CMD_START").
 */
int daedalus_sf_start(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	int ret;

	spin_lock(&br->lock);
	if (ctx->draining && !(ctx->drc_restart && ctx->stopped)) {
		ret = -EBUSY;
	} else {
		ret = sf_cmd_locked(ctx, DAEDALUS_SF_CMD_START);
		if (!ret) {
			ctx->stopped = false;
			ctx->drc = false;
			ctx->drc_restart = false;
			ctx->next_cap_last = false;
			daedalus_sf_pump_locked(ctx);
		}
	}
	spin_unlock(&br->lock);
	return ret;
}

/* REQBUFS(OUTPUT, 0), S_FMT(OUTPUT): initialization starts again. */
void daedalus_sf_forget_format(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);

	spin_lock(&br->lock);
	ctx->format_known = false;
	spin_unlock(&br->lock);
}

/*
 * OUTPUT streams and CAPTURE does not: initialization, or a resolution
 * change, until the client has read the event and set CAPTURE up.
 */
bool daedalus_sf_awaiting_capture(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	bool awaiting;

	spin_lock(&br->lock);
	awaiting = ctx->out_on && !ctx->cap_on;
	spin_unlock(&br->lock);
	return awaiting;
}

/*
 * A resolution change is under way (its event queued, CAPTURE not yet
 * restarted): the CAPTURE buffers of the old format stay queueable.
 * Before the LAST the daemon still writes old-format pictures into them;
 * after it the client may still give back buffers it dequeued before the
 * LAST (FFmpeg and sfclient do, from other threads or before reading the
 * event), which wait for STREAMOFF or START.
 */
bool daedalus_sf_in_drc(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	bool drc;

	spin_lock(&br->lock);
	drc = ctx->drc || ctx->drc_restart;
	spin_unlock(&br->lock);
	return drc;
}

/* The source change fmt_work is to apply, if still current. */
bool daedalus_sf_take_sc(struct daedalus_sf_ctx *ctx,
			 struct daedalus_sf_format *f, u32 *gen)
{
	struct daedalus_bridge *br = sf_bridge(ctx);
	bool ok;

	spin_lock(&br->lock);
	ok = ctx->sc_pending && ctx->sc_gen == ctx->stream_gen &&
	     !ctx->closing;
	if (ok) {
		*f = ctx->sc;
		*gen = ctx->sc_gen;
	} else {
		ctx->sc_pending = false;
	}
	spin_unlock(&br->lock);
	return ok;
}

/*
 * fmt_work decided: the event (if @event), then FORMAT with the layout of
 * @pix to the daemon, unless the stream moved on (@gen).
 */
void daedalus_sf_send_format(struct daedalus_sf_ctx *ctx, u32 gen,
			     const struct v4l2_pix_format_mplane *pix,
			     bool event, bool drc)
{
	static const struct v4l2_event sc_event = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION,
	};
	struct daedalus_bridge *br = sf_bridge(ctx);
	struct daedalus_sf_rec *rec;

	spin_lock(&br->lock);
	if (!ctx->sc_pending || ctx->sc_gen != gen || ctx->closing ||
	    gen != ctx->stream_gen)
		goto out;
	ctx->sc_pending = false;
	rec = sf_cmd_get_locked(ctx);
	if (!rec) {
		sf_fail_stream_locked(ctx, "too many commands unanswered");
		goto out;
	}
	if (event)
		v4l2_event_queue_fh(&ctx->fh, &sc_event);
	ctx->drc = drc;
	if (drc)
		ctx->drc_restart = true;
	sf_format_post_locked(ctx, rec, pix, drc);
	daedalus_sf_pump_locked(ctx);
out:
	spin_unlock(&br->lock);
}

/* Start of release: no more records; everything back, nothing waits. */
void daedalus_sf_ctx_close(struct daedalus_sf_ctx *ctx)
{
	struct daedalus_bridge *br = sf_bridge(ctx);

	spin_lock(&br->lock);
	ctx->closing = true;
	list_del_init(&ctx->node);
	ctx->draining = false;
	ctx->drc = false;
	sf_fail_stream_locked(ctx, NULL);
	spin_unlock(&br->lock);
	cancel_delayed_work_sync(&ctx->watchdog);
	cancel_work_sync(&ctx->fmt_work);
}

/* ------------------------------------------------------------------ */
/* Attach, detach, fetch                                                */

/* A daemon said HELLO: what waited gets the job timeout from now. */
void daedalus_sf_attach_locked(struct daedalus_bridge *br)
{
	struct daedalus_sf_ctx *ctx;

	list_for_each_entry(ctx, &br->sf_ctxs, node)
		sf_rearm_locked(ctx);
}

/* The daemon's file was released: every stream fails at once. */
void daedalus_sf_detach_locked(struct daedalus_bridge *br)
{
	struct daedalus_sf_ctx *ctx;

	list_for_each_entry(ctx, &br->sf_ctxs, node) {
		sf_fail_stream_locked(ctx, "the daemon went away");
		daedalus_sf_pump_locked(ctx);
	}
}

static struct daedalus_sf_ctx *sf_find_ctx_locked(struct daedalus_bridge *br,
						  u64 id)
{
	struct daedalus_sf_ctx *ctx;

	list_for_each_entry(ctx, &br->sf_ctxs, node)
		if (ctx->id == id && !ctx->closing)
			return ctx;
	return NULL;
}

/*
 * Hand one record to the daemon; bridge.lock held on entry, released
 * here.  A buffer's fd goes with its first record in this attachment, as
 * for jobs.  Once the lock is dropped the context may be closed: only the
 * copy in rbuf and our dma-buf reference are used.
 */
ssize_t daedalus_sf_fetch_locked(struct daedalus_bridge *br,
				 struct daedalus_entry *e, void __user *ubuf)
{
	struct daedalus_sf_rec *rec = container_of(e, struct daedalus_sf_rec,
						   entry);
	struct daedalus_sf_ctx *ctx = rec->ctx;
	struct daedalus_buf *b = NULL;
	struct dma_buf *dbuf = NULL;
	void *copy = br->rbuf;
	u32 size = rec->hdr.size;
	u64 ctx_id = ctx->id, id = 0;
	int fd = -1, ret;

	rec->state = DAEDALUS_SF_REC_SENT;
	memcpy(copy, &rec->hdr, size);
	if (rec->hdr.type == DAEDALUS_MSG_SF_CHUNK) {
		struct daedalus_sf_chunk *c = copy;

		if (ctx->daemon_generation != br->generation) {
			c->flags |= DAEDALUS_SF_NEW_STREAM;
			ctx->daemon_generation = br->generation;
		}
		ctx->chunk_seq = c->seq;
		b = &c->bitstream;
	} else if (rec->hdr.type == DAEDALUS_MSG_SF_LEND) {
		b = &((struct daedalus_sf_lend *)copy)->picture;
	}
	if (b && list_empty(&rec->buf->gone->entry.node) && rec->buf->dbuf) {
		list_add_tail(&rec->buf->gone->entry.node, &br->sent);
		dbuf = rec->buf->dbuf;
		get_dma_buf(dbuf);
		id = rec->buf->id;
	}
	trace_daedalus_sf_sent(ctx_id, rec->chunk.seq, rec->hdr.type,
			       rec->hdr.type == DAEDALUS_MSG_SF_CMD ?
			       rec->cmd.cmd : (b ? b->bytesused : 0));
	sf_rearm_locked(ctx);
	spin_unlock(&br->lock);

	if (dbuf) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0) {
			ret = fd;
			goto fail;
		}
		b->fd = fd;
	}
	if (copy_to_user(ubuf, copy, size)) {
		ret = -EFAULT;
		goto fail;
	}
	if (dbuf)
		fd_install(fd, dbuf->file);
	return size;

fail:
	if (fd >= 0)
		put_unused_fd(fd);
	if (dbuf)
		dma_buf_put(dbuf);
	spin_lock(&br->lock);
	if (dbuf)
		daedalus_bridge_unsend_locked(br, id);
	ctx = sf_find_ctx_locked(br, ctx_id);
	if (ctx) {
		sf_fail_stream_locked(ctx, "record not received");
		daedalus_sf_pump_locked(ctx);
	}
	spin_unlock(&br->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Answers                                                              */

/* Chunks, lends and commands all have their seq right after the header. */
static struct daedalus_sf_rec *sf_find_rec(struct list_head *list, u64 seq)
{
	struct daedalus_sf_rec *rec;

	list_for_each_entry(rec, list, node)
		if (rec->state == DAEDALUS_SF_REC_SENT && rec->chunk.seq == seq)
			return rec;
	return NULL;
}

static bool sf_format_sane(const struct daedalus_sf_format *f)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(f->reserved); i++)
		if (f->reserved[i])
			return false;
	return f->coded_width >= DAEDALUS_SF_MIN_WIDTH &&
	       f->coded_width <= DAEDALUS_MAX_WIDTH &&
	       f->coded_height >= DAEDALUS_SF_MIN_HEIGHT &&
	       f->coded_height <= DAEDALUS_MAX_HEIGHT &&
	       f->width >= 1 && f->width <= f->coded_width &&
	       f->height >= 1 && f->height <= f->coded_height &&
	       (f->bit_depth == 8 || f->bit_depth == 10) &&
	       f->min_buffers >= 1 && f->min_buffers <= 32 &&
	       f->colorspace <= V4L2_COLORSPACE_DCI_P3 &&
	       f->xfer_func <= V4L2_XFER_FUNC_SMPTE2084 &&
	       f->ycbcr_enc <= V4L2_YCBCR_ENC_SMPTE240M &&
	       f->quantization <= V4L2_QUANTIZATION_LIM_RANGE;
}

/* Check one answer of its kind and apply it; bridge.lock held. */
static const char *sf_apply_locked(struct daedalus_sf_ctx *ctx,
				   const struct daedalus_sf_answer *a)
{
	struct daedalus_sf_rec *rec;
	enum vb2_buffer_state state;
	bool last = a->flags & DAEDALUS_SF_LAST;

	if (last && a->kind != DAEDALUS_SF_PICTURE)
		return "LAST on an answer other than PICTURE";
	switch (a->kind) {
	case DAEDALUS_SF_CHUNK_DONE:
		rec = list_first_entry_or_null(&ctx->chunks,
					       struct daedalus_sf_rec, node);
		if (!rec || rec->state != DAEDALUS_SF_REC_SENT ||
		    rec->chunk.seq != a->seq)
			return "not the oldest chunk sent";
		if (a->status == DAEDALUS_STATUS_CORRUPT)
			return "chunk status corrupt";
		sf_chunk_done_locked(rec, a->status == DAEDALUS_STATUS_OK ?
				     VB2_BUF_STATE_DONE : VB2_BUF_STATE_ERROR);
		return NULL;
	case DAEDALUS_SF_PICTURE:
		rec = sf_find_rec(&ctx->lends, a->seq);
		if (!rec)
			return "unknown or stale lend";
		if (ctx->stopped)
			return "picture after LAST";
		/* An empty LAST or FAILED picture has no format to be in. */
		if (a->bytesused && (!ctx->format_seq ||
				     a->format_seq != ctx->format_seq))
			return "stale or unknown format_seq";
		if (a->bytesused > ctx->sizeimage ||
		    a->bytesused > rec->lend.picture.length)
			return "bytesused beyond sizeimage";
		if (!a->bytesused && !last && a->status != DAEDALUS_STATUS_FAILED)
			return "empty picture";
		if (last && !ctx->draining && !ctx->drc)
			return "LAST outside a drain or resolution change";
		state = a->status == DAEDALUS_STATUS_OK ? VB2_BUF_STATE_DONE :
			VB2_BUF_STATE_ERROR;
		/*
		 * EOS before the buffer: m2m's poll looks at buffers first,
		 * so a client woken by the LAST buffer sees the event too.
		 */
		if (last)
			sf_last_given_locked(ctx);
		sf_lend_done_locked(rec, state, a->bytesused, last,
				    &a->timestamp);
		return NULL;
	case DAEDALUS_SF_CMD_DONE:
		rec = sf_find_rec(&ctx->cmds, a->seq);
		if (!rec)
			return "unknown or stale command";
		sf_rec_unlink_locked(rec);
		return NULL;
	case DAEDALUS_SF_SOURCE_CHANGE:
		if (a->seq <= ctx->stream_seq || a->seq > ctx->chunk_seq)
			return "source change names no chunk of this stream";
		if (ctx->sc_pending)
			return "a source change is pending";
		if (!sf_format_sane(&a->format))
			return "insane format";
		ctx->sc = a->format;
		ctx->sc_gen = ctx->stream_gen;
		ctx->sc_pending = true;
		schedule_work(&ctx->fmt_work);
		return NULL;
	default: /* STATUS */
		if (a->seq)
			return "status with a seq";
		return NULL;
	}
}

static const char *sf_check_header(const struct daedalus_sf_answer *a)
{
	if (a->hdr.magic != DAEDALUS_MAGIC ||
	    a->hdr.version != DAEDALUS_PROTO_VERSION ||
	    a->hdr.type != DAEDALUS_MSG_SF_ANSWER ||
	    a->hdr.size != sizeof(*a) || a->hdr.reserved)
		return "bad header";
	if (a->reserved)
		return "reserved field set";
	if (a->kind < DAEDALUS_SF_CHUNK_DONE || a->kind > DAEDALUS_SF_STATUS)
		return "unknown kind";
	if (a->status > DAEDALUS_STATUS_FAILED)
		return "unknown status";
	if (a->flags & ~(DAEDALUS_SF_LAST | DAEDALUS_SF_IDLE))
		return "unknown flags";
	return NULL;
}

/* Check one answer and apply it; never trust a field unchecked. */
static int bridge_take_sf_answer(struct daedalus_bridge *br,
				 const struct daedalus_sf_answer *a)
{
	struct daedalus_sf_ctx *ctx;
	const char *why;

	why = sf_check_header(a);
	if (why)
		goto reject;

	spin_lock(&br->lock);
	ctx = sf_find_ctx_locked(br, a->ctx_id);
	if (!ctx)
		why = "unknown ctx_id";
	else if (a->seen_seq > ctx->last_sent_seq)
		why = "seen_seq beyond the records sent";
	else if (a->seen_seq < ctx->seen_seq)
		why = "seen_seq went back";
	else
		why = sf_apply_locked(ctx, a);
	if (!why) {
		ctx->seen_seq = a->seen_seq;
		ctx->idle = a->flags & DAEDALUS_SF_IDLE;
		trace_daedalus_sf_answer(a, NULL);
		daedalus_sf_pump_locked(ctx);
		sf_rearm_locked(ctx);
	}
	spin_unlock(&br->lock);
	if (!why)
		return 0;

reject:
	trace_daedalus_sf_answer(a, why);
	dev_warn_ratelimited(br->misc.this_device,
			     "rejected sf answer (kind %u, seq %llu, ctx %llu): %s\n",
			     a->kind, a->seq, a->ctx_id, why);
	return -EINVAL;
}

/* DAEDALUS_IOC_SF_COMMIT: answers in order, up to the first refused. */
long daedalus_sf_commit_ioctl(struct daedalus_bridge *br,
			      struct daedalus_sf_commit __user *uarg)
{
	const struct daedalus_sf_answer __user *ua;
	struct daedalus_sf_commit arg;
	struct daedalus_sf_answer a;
	unsigned int i;
	u32 taken;
	long ret;

	ret = daedalus_bridge_check_owner(br);
	if (ret)
		return ret;
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(arg.reserved); i++)
		if (arg.reserved[i])
			return -EINVAL;
	ua = u64_to_user_ptr(arg.answers);
	for (taken = 0; taken < arg.num; taken++) {
		if (copy_from_user(&a, ua + taken, sizeof(a))) {
			ret = -EFAULT;
			break;
		}
		ret = bridge_take_sf_answer(br, &a);
		if (ret)
			break;
		cond_resched();
	}
	if (put_user(taken, &uarg->taken))
		return -EFAULT;
	return ret;
}
