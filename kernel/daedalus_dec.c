// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: device_run.  Gathers one job (the OUTPUT and CAPTURE
 * buffers, the current value of every control the codec uses, the CAPTURE
 * geometry and the references) into a job slot of the context and hands it
 * to the bridge.  Nothing here waits for the daemon.
 */

#include <linux/dma-buf.h>

#include "daedalus.h"

/* Name a reference by timestamp and resolve it to a CAPTURE buffer id. */
void daedalus_add_ref(struct daedalus_ctx *ctx, struct daedalus_job *job,
		      u64 timestamp)
{
	struct vb2_queue *cap = v4l2_m2m_get_dst_vq(ctx->fh.m2m_ctx);
	struct daedalus_ref *ref;
	struct vb2_buffer *vb;

	if (job->num_refs >= DAEDALUS_MAX_REFS)
		return;
	ref = &job->refs[job->num_refs++];
	ref->timestamp = timestamp;
	vb = vb2_find_buffer(cap, timestamp);
	ref->buf_id = vb ? to_daedalus_buffer(to_vb2_v4l2_buffer(vb))->id : 0;
}

/*
 * One job into the context's next slot.  H.264 leaves its buffers on m2m's
 * queues and has one job at a time (a CAPTURE buffer may be held for the
 * next field or slice, which m2m's helper handles); the other codecs take
 * them off, so that m2m can run the next job before this one is answered
 * (daedalus_bridge_submit() says when).
 */
void daedalus_device_run(void *priv)
{
	struct daedalus_ctx *ctx = priv;
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	bool pipelined = !ctx->codec->hold_capture;
	struct vb2_v4l2_buffer *src, *dst;
	struct media_request *req;
	struct daedalus_run *run;
	struct daedalus_job *job;
	bool ok;

	run = daedalus_bridge_next_run(ctx);
	if (WARN_ON_ONCE(!run)) {
		v4l2_m2m_buf_done_and_job_finish(ctx->m2m_dev, m2m_ctx,
						 VB2_BUF_STATE_ERROR);
		return;
	}
	job = &run->rec;
	if (pipelined) {
		src = v4l2_m2m_src_buf_remove(m2m_ctx);
		dst = v4l2_m2m_dst_buf_remove(m2m_ctx);
	} else {
		src = v4l2_m2m_next_src_buf(m2m_ctx);
		dst = v4l2_m2m_next_dst_buf(m2m_ctx);
	}
	req = src->vb2_buf.req_obj.req;

	/* Controls persist: apply this request's, then read them all. */
	if (req)
		v4l2_ctrl_request_setup(req, &ctx->hdl);
	v4l2_m2m_buf_copy_metadata(src, dst, true);
	src->sequence = ctx->out_sequence++;
	if (m2m_ctx->new_frame)
		dst->sequence = ctx->cap_sequence++;

	memset(job, 0, sizeof(*job));
	job->hdr.magic = DAEDALUS_MAGIC;
	job->hdr.version = DAEDALUS_PROTO_VERSION;
	job->hdr.type = DAEDALUS_MSG_JOB;
	job->hdr.size = sizeof(*job);
	job->ctx_id = ctx->id;
	job->timestamp = src->vb2_buf.timestamp;
	job->codec = ctx->codec->codec;
	if (src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF)
		job->flags |= DAEDALUS_JOB_HOLD_CAPTURE;
	job->coded_width = ctx->coded_fmt.fmt.pix_mp.width;
	job->coded_height = ctx->coded_fmt.fmt.pix_mp.height;
	job->picture_format.pixelformat = ctx->decoded_fmt.fmt.pix_mp.pixelformat;
	job->picture_format.width = ctx->decoded_fmt.fmt.pix_mp.width;
	job->picture_format.height = ctx->decoded_fmt.fmt.pix_mp.height;
	job->picture_format.bytesperline =
		ctx->decoded_fmt.fmt.pix_mp.plane_fmt[0].bytesperline;
	job->picture_format.sizeimage =
		ctx->decoded_fmt.fmt.pix_mp.plane_fmt[0].sizeimage;
	daedalus_fill_buf(&job->bitstream, src, true);
	daedalus_fill_buf(&job->picture, dst, false);
	/* A concurrent S_EXT_CTRLS must not tear a control mid-copy. */
	mutex_lock(&ctx->refs_mutex);
	mutex_lock(ctx->hdl.lock);
	ctx->codec->fill_job(ctx, req, job);
	mutex_unlock(ctx->hdl.lock);
	mutex_unlock(&ctx->refs_mutex);

	/* Everything is snapshotted: the request may complete now. */
	if (req)
		v4l2_ctrl_request_complete(req, &ctx->hdl);

	run->buf[0] = to_daedalus_buffer(src);
	run->buf[1] = to_daedalus_buffer(dst);
	run->on_m2m = !pipelined;
	/*
	 * A buffer queued before a resolution change may be too small, and a
	 * buffer's dma-buf may not be had: the job fails at once.
	 */
	ok = job->picture.length >= job->picture_format.sizeimage &&
	     daedalus_buf_dmabuf(src) && daedalus_buf_dmabuf(dst);
	daedalus_bridge_submit(run, pipelined, ok);
}

/* Called under m2m's job spinlock: no sleeping, no bridge lock. */
int daedalus_job_ready(void *priv)
{
	struct daedalus_ctx *ctx = priv;

	return !READ_ONCE(ctx->closing);
}

/*
 * STREAMOFF / close while m2m's job runs (device_run, or the context at
 * its depth): m2m then waits for that job, so it must end soon.
 */
void daedalus_job_abort(void *priv)
{
	daedalus_bridge_abort(priv);
}
