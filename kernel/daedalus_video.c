// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: formats, ioctls, vb2 queues and request validation.
 *
 * OUTPUT carries one coded frame per request.  CAPTURE is one memory
 * plane of YUV420 or NV12 (8-bit) or P010 (10-bit), laid out by
 * v4l2_fill_pixfmt_mp() so the daemon's decoders can write into it in
 * place: width and height are the coded size aligned to the codec's block
 * size (G_SELECTION's COMPOSE gives the visible rectangle), so chroma
 * starts at bytesperline * height; bytesperline = ALIGN(width, 128) (x2
 * for P010: YUV420's chroma stride, half of it, stays a multiple of 64 as
 * lavc's SIMD stores need), and spare bytes after the last plane for the
 * decoders' over-reads.
 */

#include <linux/dma-buf.h>
#include <linux/sizes.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-vmalloc.h>

#include "daedalus.h"

#define DAEDALUS_MIN_CODED_SIZE	SZ_512K
#define DAEDALUS_MAX_CODED_SIZE	SZ_64M
/* The largest coded frame; over twice a 4096x2304 P010 picture. */
#define DAEDALUS_MAX_BUF_SIZE	DAEDALUS_MAX_CODED_SIZE

static const struct v4l2_frmsize_stepwise daedalus_frmsize = {
	.min_width = DAEDALUS_MIN_WIDTH,
	.max_width = DAEDALUS_MAX_WIDTH,
	.step_width = 1,
	.min_height = DAEDALUS_MIN_HEIGHT,
	.max_height = DAEDALUS_MAX_HEIGHT,
	.step_height = 1,
};

static unsigned int daedalus_cur_depth(struct daedalus_ctx *ctx)
{
	const struct daedalus_codec_desc *desc = ctx->codec;
	struct v4l2_ctrl *ctrl;

	if (!desc->depth_ctrl)
		return 8;
	ctrl = daedalus_ctrl(ctx, desc->depth_ctrl);
	return ctrl ? desc->depth(ctrl->p_cur.p) : 8;
}

/*
 * The 8-bit CAPTURE formats in ENUM_FMT order: planar first, which the
 * daemon's decoders fill in place, then NV12, the default: the one the
 * clients we know take (FFmpeg's v4l2-request has no YUV420, GStreamer's
 * v4l2codecs maps only the three-buffer YUV420M to I420; both enumerate).
 */
static const u32 daedalus_fmts_8bit[] = {
	V4L2_PIX_FMT_YUV420,
	V4L2_PIX_FMT_NV12,
};

/* @fourcc if it holds @depth-bit samples, else that depth's default. */
static u32 daedalus_pick_fmt(u32 fourcc, unsigned int depth)
{
	if (depth > 8)
		return V4L2_PIX_FMT_P010;
	if (fourcc == V4L2_PIX_FMT_YUV420)
		return fourcc;
	return V4L2_PIX_FMT_NV12;
}

static unsigned int daedalus_fmt_depth(u32 fourcc)
{
	return fourcc == V4L2_PIX_FMT_P010 ? 10 : 8;
}

/* Fill @pix with the CAPTURE layout of @fourcc for @width x @height. */
static void daedalus_fill_decoded(const struct daedalus_codec_desc *desc,
				  u32 fourcc, u32 width, u32 height,
				  struct v4l2_pix_format_mplane *pix)
{
	v4l2_apply_frmsize_constraints(&width, &height, &daedalus_frmsize);
	daedalus_fill_picture(fourcc, width, height, desc->align, true, pix);
}

/* Derive CAPTURE from OUTPUT and the bit depth of the current controls. */
void daedalus_update_decoded_fmt(struct daedalus_ctx *ctx)
{
	struct v4l2_pix_format_mplane *out = &ctx->coded_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *cap = &ctx->decoded_fmt.fmt.pix_mp;

	ctx->decoded_fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	daedalus_fill_decoded(ctx->codec,
			      daedalus_pick_fmt(0, daedalus_cur_depth(ctx)),
			      out->width, out->height, cap);
	cap->colorspace = out->colorspace;
	cap->xfer_func = out->xfer_func;
	cap->ycbcr_enc = out->ycbcr_enc;
	cap->quantization = out->quantization;
}

static void daedalus_fill_coded(const struct daedalus_codec_desc *desc,
				struct v4l2_pix_format_mplane *pix)
{
	u32 size = pix->plane_fmt[0].sizeimage;

	pix->pixelformat = desc->pixelformat;
	v4l2_apply_frmsize_constraints(&pix->width, &pix->height,
				       &daedalus_frmsize);
	pix->field = V4L2_FIELD_NONE;
	pix->num_planes = 1;
	pix->flags = 0;
	if (!size)
		size = max_t(u32, DAEDALUS_MIN_CODED_SIZE,
			     pix->width * pix->height * 3 / 4);
	pix->plane_fmt[0].sizeimage = min_t(u32, size,
					    DAEDALUS_MAX_CODED_SIZE);
	pix->plane_fmt[0].bytesperline = 0;
	memset(pix->plane_fmt[0].reserved, 0,
	       sizeof(pix->plane_fmt[0].reserved));
}

/* Switch to @desc; OUTPUT offers HOLD_CAPTURE_BUF only for codecs using it. */
static void daedalus_set_codec(struct daedalus_ctx *ctx,
			       const struct daedalus_codec_desc *desc)
{
	struct vb2_queue *out = v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
						V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);

	ctx->codec = desc;
	if (desc->hold_capture)
		out->subsystem_flags |=
			VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
	else
		out->subsystem_flags &=
			~VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
}

void daedalus_set_default_formats(struct daedalus_ctx *ctx)
{
	struct v4l2_pix_format_mplane *out = &ctx->coded_fmt.fmt.pix_mp;

	daedalus_set_codec(ctx, daedalus_offered_codec(ctx->dev, 0));
	memset(&ctx->coded_fmt, 0, sizeof(ctx->coded_fmt));
	ctx->coded_fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	out->width = 1280;
	out->height = 720;
	out->colorspace = V4L2_COLORSPACE_REC709;
	daedalus_fill_coded(ctx->codec, out);
	daedalus_update_decoded_fmt(ctx);
}

/* ------------------------------------------------------------------ */
/* Controls: refuse what the daemon cannot decode; follow bit depth     */

static struct daedalus_ctx *ctrl_to_ctx(struct v4l2_ctrl *ctrl)
{
	return container_of(ctrl->handler, struct daedalus_ctx, hdl);
}

/*
 * The current codec's sequence control must fit the OUTPUT format (as in
 * rkvdec), and may change the bit depth only while CAPTURE is free: its
 * buffers were sized for the current one.
 */
static int daedalus_check_sequence(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = ctrl_to_ctx(ctrl);
	const struct daedalus_codec_desc *desc = ctx->codec;
	const struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;
	u32 cur = ctx->decoded_fmt.fmt.pix_mp.pixelformat;
	struct vb2_queue *cap;
	u32 width, height;

	if (!desc || !ctx->fh.m2m_ctx || ctrl->id != desc->depth_ctrl)
		return 0;
	if (desc->frame_size) {
		desc->frame_size(ctrl->p_new.p, &width, &height);
		if (width > coded->width || height > coded->height)
			return -EINVAL;
	}
	cap = v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
			      V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	if (vb2_is_busy(cap) &&
	    daedalus_pick_fmt(cur, desc->depth(ctrl->p_new.p)) != cur)
		return -EBUSY;
	return 0;
}

int daedalus_codec_try_ctrl(struct v4l2_ctrl *ctrl)
{
	unsigned int i;
	int ret;

	for (i = 0; i < daedalus_num_codecs; i++) {
		if (!daedalus_codecs[i]->try_ctrl)
			continue;
		ret = daedalus_codecs[i]->try_ctrl(ctrl);
		if (ret)
			return ret;
	}
	return daedalus_check_sequence(ctrl);
}

/*
 * Setting the depth control outside a request (the queues idle) moves the
 * CAPTURE format between 8-bit (YUV420 or NV12, as chosen) and P010, as
 * hantro does.  Inside a request CAPTURE is busy and the format stays.
 */
int daedalus_codec_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = ctrl_to_ctx(ctrl);
	const struct daedalus_codec_desc *desc = ctx->codec;
	struct vb2_queue *cap;
	u32 cur = ctx->decoded_fmt.fmt.pix_mp.pixelformat;

	if (!desc || !ctx->fh.m2m_ctx || ctrl->id != desc->depth_ctrl)
		return 0;
	cap = v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
			      V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	if (vb2_is_busy(cap))
		return 0;
	daedalus_fill_decoded(desc,
			      daedalus_pick_fmt(cur, desc->depth(ctrl->p_new.p)),
			      ctx->coded_fmt.fmt.pix_mp.width,
			      ctx->coded_fmt.fmt.pix_mp.height,
			      &ctx->decoded_fmt.fmt.pix_mp);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ioctls                                                              */

static int daedalus_querycap(struct file *file, void *priv,
			     struct v4l2_capability *cap)
{
	strscpy(cap->driver, DAEDALUS_NAME, sizeof(cap->driver));
	strscpy(cap->card, DAEDALUS_NAME, sizeof(cap->card));
	strscpy(cap->bus_info, "platform:" DAEDALUS_NAME, sizeof(cap->bus_info));
	return 0;
}

/* Only what the daemon decodes (docs/protocol.md: which codecs are offered). */
static int daedalus_enum_fmt_out(struct file *file, void *priv,
				 struct v4l2_fmtdesc *f)
{
	const struct daedalus_codec_desc *desc;

	desc = daedalus_offered_codec(file_to_ctx(file)->dev, f->index);
	if (!desc)
		return -EINVAL;
	f->pixelformat = desc->pixelformat;
	f->flags = V4L2_FMT_FLAG_COMPRESSED;
	return 0;
}

/* Only the raw formats the current bit depth allows. */
static int daedalus_enum_fmt_cap(struct file *file, void *priv,
				 struct v4l2_fmtdesc *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	u32 cur = ctx->decoded_fmt.fmt.pix_mp.pixelformat;

	if (cur == V4L2_PIX_FMT_P010) {
		if (f->index)
			return -EINVAL;
		f->pixelformat = cur;
		return 0;
	}
	if (f->index >= ARRAY_SIZE(daedalus_fmts_8bit))
		return -EINVAL;
	f->pixelformat = daedalus_fmts_8bit[f->index];
	return 0;
}

static int daedalus_g_fmt_out(struct file *file, void *priv,
			      struct v4l2_format *f)
{
	*f = file_to_ctx(file)->coded_fmt;
	return 0;
}

static int daedalus_g_fmt_cap(struct file *file, void *priv,
			      struct v4l2_format *f)
{
	*f = file_to_ctx(file)->decoded_fmt;
	return 0;
}

/* Fill @f for the codec it names, or the first offered; return that codec. */
static const struct daedalus_codec_desc *
daedalus_try_coded(struct daedalus_ctx *ctx, struct v4l2_format *f)
{
	const struct daedalus_codec_desc *desc;

	desc = daedalus_find_codec(ctx->dev, f->fmt.pix_mp.pixelformat);
	if (!desc)
		desc = daedalus_offered_codec(ctx->dev, 0);
	daedalus_fill_coded(desc, &f->fmt.pix_mp);
	return desc;
}

static int daedalus_try_fmt_out(struct file *file, void *priv,
				struct v4l2_format *f)
{
	daedalus_try_coded(file_to_ctx(file), f);
	return 0;
}

static int daedalus_try_fmt_cap(struct file *file, void *priv,
				struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	struct v4l2_pix_format_mplane *cur = &ctx->decoded_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;

	/*
	 * The coded size decides, as in rkvdec: a smaller picture cannot fit;
	 * the bit depth decides between the 8-bit formats and P010.
	 */
	daedalus_fill_decoded(ctx->codec,
			      daedalus_pick_fmt(pix->pixelformat,
						daedalus_fmt_depth(cur->pixelformat)),
			      coded->width, coded->height, pix);
	pix->colorspace = cur->colorspace;
	pix->xfer_func = cur->xfer_func;
	pix->ycbcr_enc = cur->ycbcr_enc;
	pix->quantization = cur->quantization;
	return 0;
}

static int daedalus_s_fmt_out(struct file *file, void *priv,
			      struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	const struct daedalus_codec_desc *desc;
	struct vb2_queue *out, *cap;

	out = v4l2_m2m_get_vq(m2m_ctx, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	cap = v4l2_m2m_get_vq(m2m_ctx, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	desc = daedalus_try_coded(ctx, f);
	/*
	 * A new size with the same codec is a dynamic resolution change (as
	 * hantro allows it; GStreamer 1.26 does it while both queues stream):
	 * the client removes the CAPTURE buffers it no longer needs and
	 * creates new ones, while the old ones stay references.  buf_prepare
	 * and device_run refuse a CAPTURE buffer too small for the format.  A
	 * new codec needs both queues empty.
	 */
	if (desc != ctx->codec && (vb2_is_busy(out) || vb2_is_busy(cap)))
		return -EBUSY;

	daedalus_set_codec(ctx, desc);
	ctx->coded_fmt = *f;
	daedalus_update_decoded_fmt(ctx);
	return 0;
}

static int daedalus_s_fmt_cap(struct file *file, void *priv,
			      struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *cap;

	cap = v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
			      V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	daedalus_try_fmt_cap(file, priv, f);
	/*
	 * Buffers of an old size may stay (see daedalus_s_fmt_out); buffers
	 * of another pixel format may not.
	 */
	if (vb2_is_busy(cap) &&
	    f->fmt.pix_mp.pixelformat != ctx->decoded_fmt.fmt.pix_mp.pixelformat)
		return -EBUSY;
	ctx->decoded_fmt = *f;
	return 0;
}

/*
 * The visible rectangle is the OUTPUT format's size; the CAPTURE format is
 * that aligned to the codec's block size.
 */
static int daedalus_g_selection(struct file *file, void *priv,
				struct v4l2_selection *s)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	const struct v4l2_pix_format_mplane *pix;

	/* The core turns _MPLANE into the single-planar type here. */
	if (s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	switch (s->target) {
	case V4L2_SEL_TGT_COMPOSE:
	case V4L2_SEL_TGT_COMPOSE_DEFAULT:
		pix = &ctx->coded_fmt.fmt.pix_mp;
		break;
	case V4L2_SEL_TGT_COMPOSE_BOUNDS:
	case V4L2_SEL_TGT_COMPOSE_PADDED:
		pix = &ctx->decoded_fmt.fmt.pix_mp;
		break;
	default:
		return -EINVAL;
	}
	s->r.left = 0;
	s->r.top = 0;
	s->r.width = pix->width;
	s->r.height = pix->height;
	return 0;
}

/*
 * vb2_core_reqbufs() cancels buffers under the queue's mmap_lock, and
 * cancelling one bound to a request completes the request (if queued before
 * STREAMON) or may free it (if never queued), either of which takes the
 * control handler's lock. G_EXT_CTRLS copies to user memory under that lock
 * and mmap() takes mmap_lock under the process's mm lock: three threads of one
 * client could deadlock, holding the media device's req_queue_mutex that every
 * other client needs (lockdep reports it; visl and cedrus share it). Cancel
 * first, as STREAMOFF does, outside mmap_lock.
 */
static int daedalus_reqbufs(struct file *file, void *priv,
			    struct v4l2_requestbuffers *rb)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, rb->type);
	bool freeing = vq &&
		((rb->memory == V4L2_MEMORY_MMAP && (vq->io_modes & VB2_MMAP)) ||
		 (rb->memory == V4L2_MEMORY_DMABUF && (vq->io_modes & VB2_DMABUF)));

	/* only where vb2_core_reqbufs() would go on to cancel and free */
	if (freeing && vq->supports_requests && !vb2_is_streaming(vq) &&
	    !(vq->waiting_in_dqbuf && rb->count))
		vb2_streamoff(vq, rb->type);
	return v4l2_m2m_ioctl_reqbufs(file, priv, rb);
}

#ifdef V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS	/* 6.10+ */
/* Not while device_run looks references up in the CAPTURE queue. */
static int daedalus_remove_bufs(struct file *file, void *priv,
				struct v4l2_remove_buffers *d)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	int ret;

	mutex_lock(&ctx->refs_mutex);
	ret = v4l2_m2m_ioctl_remove_bufs(file, priv, d);
	mutex_unlock(&ctx->refs_mutex);
	return ret;
}
#endif

static int daedalus_enum_framesizes(struct file *file, void *priv,
				    struct v4l2_frmsizeenum *fsize)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);

	if (fsize->index || !daedalus_find_codec(ctx->dev, fsize->pixel_format))
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise = daedalus_frmsize;
	return 0;
}

const struct v4l2_ioctl_ops daedalus_ioctl_ops = {
	.vidioc_querycap		= daedalus_querycap,
	.vidioc_enum_framesizes		= daedalus_enum_framesizes,

	.vidioc_enum_fmt_vid_cap	= daedalus_enum_fmt_cap,
	.vidioc_g_fmt_vid_cap_mplane	= daedalus_g_fmt_cap,
	.vidioc_try_fmt_vid_cap_mplane	= daedalus_try_fmt_cap,
	.vidioc_s_fmt_vid_cap_mplane	= daedalus_s_fmt_cap,
	.vidioc_g_selection		= daedalus_g_selection,

	.vidioc_enum_fmt_vid_out	= daedalus_enum_fmt_out,
	.vidioc_g_fmt_vid_out_mplane	= daedalus_g_fmt_out,
	.vidioc_try_fmt_vid_out_mplane	= daedalus_try_fmt_out,
	.vidioc_s_fmt_vid_out_mplane	= daedalus_s_fmt_out,

	.vidioc_reqbufs			= daedalus_reqbufs,
	.vidioc_querybuf		= v4l2_m2m_ioctl_querybuf,
	.vidioc_qbuf			= v4l2_m2m_ioctl_qbuf,
	.vidioc_dqbuf			= v4l2_m2m_ioctl_dqbuf,
	.vidioc_prepare_buf		= v4l2_m2m_ioctl_prepare_buf,
	.vidioc_create_bufs		= v4l2_m2m_ioctl_create_bufs,
	.vidioc_expbuf			= v4l2_m2m_ioctl_expbuf,
#ifdef V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS	/* 6.10+ */
	.vidioc_remove_bufs		= daedalus_remove_bufs,
#endif

	.vidioc_streamon		= v4l2_m2m_ioctl_streamon,
	.vidioc_streamoff		= v4l2_m2m_ioctl_streamoff,

	.vidioc_decoder_cmd		= v4l2_m2m_ioctl_stateless_decoder_cmd,
	.vidioc_try_decoder_cmd		= v4l2_m2m_ioctl_stateless_try_decoder_cmd,

	.vidioc_subscribe_event		= v4l2_ctrl_subscribe_event,
	.vidioc_unsubscribe_event	= v4l2_event_unsubscribe,
};

/* ------------------------------------------------------------------ */
/* vb2                                                                 */

static struct v4l2_format *daedalus_q_fmt(struct daedalus_ctx *ctx, u32 type)
{
	return V4L2_TYPE_IS_OUTPUT(type) ? &ctx->coded_fmt : &ctx->decoded_fmt;
}

static int daedalus_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
				unsigned int *num_planes, unsigned int sizes[],
				struct device *alloc_devs[])
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	u32 size = daedalus_q_fmt(ctx, vq->type)->fmt.pix_mp.plane_fmt[0].sizeimage;

	/*
	 * CREATE_BUFS may ask for more than the format needs (a later
	 * resolution change), not for more than any frame: vmalloc would
	 * refuse it only after a warning with a stack dump.
	 */
	if (*num_planes)
		return *num_planes == 1 && sizes[0] >= size &&
		       sizes[0] <= DAEDALUS_MAX_BUF_SIZE ? 0 : -EINVAL;
	*num_planes = 1;
	sizes[0] = size;
	return 0;
}

static int daedalus_buf_prepare(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	u32 size = daedalus_q_fmt(ctx, vb->type)->fmt.pix_mp.plane_fmt[0].sizeimage;

	/*
	 * An OUTPUT buffer only has to hold its payload (vb2 checks that):
	 * those allocated before a resolution change stay usable.
	 */
	if (V4L2_TYPE_IS_OUTPUT(vb->type))
		return 0;
	if (vb2_plane_size(vb, 0) < size)
		return -EINVAL;
	vb2_set_plane_payload(vb, 0, size);
	return 0;
}

static int daedalus_buf_init(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	return daedalus_buf_setup(ctx->dev,
				  to_daedalus_buffer(to_vb2_v4l2_buffer(vb)));
}

static void daedalus_buf_cleanup(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	daedalus_buf_release(ctx->dev,
			     to_daedalus_buffer(to_vb2_v4l2_buffer(vb)));
}

static void daedalus_buf_queue(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, to_vb2_v4l2_buffer(vb));
}

static void daedalus_queue_cleanup(struct vb2_queue *vq,
				   enum vb2_buffer_state state)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	struct vb2_v4l2_buffer *vbuf;

	for (;;) {
		if (V4L2_TYPE_IS_OUTPUT(vq->type))
			vbuf = v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx);
		else
			vbuf = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);
		if (!vbuf)
			break;
		v4l2_ctrl_request_complete(vbuf->vb2_buf.req_obj.req,
					   &ctx->hdl);
		v4l2_m2m_buf_done(vbuf, state);
	}
}

static int daedalus_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	if (V4L2_TYPE_IS_OUTPUT(vq->type))
		ctx->out_sequence = 0;
	else
		ctx->cap_sequence = 0;
	daedalus_bridge_streamon(ctx);
	return 0;
}

static void daedalus_stop_streaming(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	/*
	 * m2m cancelled its job; the jobs it had finished early are on no
	 * m2m queue: fail them all (both buffers), then what m2m still holds.
	 */
	daedalus_bridge_abort(ctx);
	daedalus_bridge_wait_idle(ctx);
	daedalus_queue_cleanup(vq, VB2_BUF_STATE_ERROR);
}

static void daedalus_buf_request_complete(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_ctrl_request_complete(vb->req_obj.req, &ctx->hdl);
}

static const struct vb2_ops daedalus_qops = {
	.queue_setup		= daedalus_queue_setup,
	.buf_out_validate	= daedalus_buf_out_validate,
	.buf_init		= daedalus_buf_init,
	.buf_prepare		= daedalus_buf_prepare,
	.buf_cleanup		= daedalus_buf_cleanup,
	.buf_queue		= daedalus_buf_queue,
	.start_streaming	= daedalus_start_streaming,
	.stop_streaming		= daedalus_stop_streaming,
	.wait_prepare		= vb2_ops_wait_prepare,
	.wait_finish		= vb2_ops_wait_finish,
	.buf_request_complete	= daedalus_buf_request_complete,
};

int daedalus_queue_init(void *priv, struct vb2_queue *src_vq,
			struct vb2_queue *dst_vq)
{
	struct daedalus_ctx *ctx = priv;
	int ret;

	src_vq->type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	src_vq->io_modes = VB2_MMAP | VB2_DMABUF;
	src_vq->drv_priv = ctx;
	src_vq->buf_struct_size = sizeof(struct daedalus_buffer);
	src_vq->ops = &daedalus_qops;
	src_vq->mem_ops = &vb2_vmalloc_memops;
	src_vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	src_vq->lock = &ctx->vb_mutex;
	src_vq->dev = ctx->dev->v4l2_dev.dev;
	src_vq->supports_requests = true;
	/* A frame's parameters travel with it: never a stale set. */
	src_vq->requires_requests = true;
	ret = vb2_queue_init(src_vq);
	if (ret)
		return ret;

	dst_vq->type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	dst_vq->io_modes = VB2_MMAP | VB2_DMABUF;
	dst_vq->drv_priv = ctx;
	dst_vq->buf_struct_size = sizeof(struct daedalus_buffer);
	dst_vq->ops = &daedalus_qops;
	dst_vq->mem_ops = ctx->dev->cap_mem_ops;
	/*
	 * dma-contig wants physically contiguous memory: a frame it cannot
	 * get (no CMA, above the page allocator's largest order) is an
	 * ENOMEM for the client, not a kernel warning.  vmalloc ignores it.
	 */
	dst_vq->gfp_flags = __GFP_NOWARN;
	dst_vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	dst_vq->lock = &ctx->vb_mutex;
	dst_vq->dev = ctx->dev->v4l2_dev.dev;
	return vb2_queue_init(dst_vq);
}

/* ------------------------------------------------------------------ */
/* Requests: one buffer, and the codec's per-frame controls            */

static int daedalus_check_required(struct daedalus_ctx *ctx,
				   struct media_request *req)
{
	const struct daedalus_codec_desc *desc = ctx->codec;
	struct v4l2_ctrl_handler *hdl;
	unsigned int i;
	int ret = 0;

	if (!desc->num_required)
		return 0;
	hdl = v4l2_ctrl_request_hdl_find(req, &ctx->hdl);
	if (!hdl)
		return -ENOENT;
	for (i = 0; i < desc->num_required; i++) {
		if (!v4l2_ctrl_request_hdl_ctrl_find(hdl, desc->required[i])) {
			ret = -ENOENT;
			break;
		}
	}
	v4l2_ctrl_request_hdl_put(hdl);
	return ret;
}

int daedalus_request_validate(struct media_request *req)
{
	struct media_request_object *obj;
	struct daedalus_ctx *ctx = NULL;
	unsigned int count;
	int ret;

	list_for_each_entry(obj, &req->objects, list) {
		if (vb2_request_object_is_buffer(obj)) {
			struct vb2_buffer *vb =
				container_of(obj, struct vb2_buffer, req_obj);

			ctx = vb2_get_drv_priv(vb->vb2_queue);
			break;
		}
	}
	if (!ctx)
		return -ENOENT;

	count = vb2_request_buffer_cnt(req);
	if (!count)
		return -ENOENT;
	if (count > 1)
		return -EINVAL;

	ret = daedalus_check_required(ctx, req);
	if (ret) {
		dev_dbg(ctx->dev->v4l2_dev.dev,
			"request lacks a required %p4cc control\n",
			&ctx->codec->pixelformat);
		return ret;
	}
	return vb2_request_validate(req);
}
