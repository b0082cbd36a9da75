// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the stateful decoder node, "daedalus-v4l2-stateful"
 * (Documentation/userspace-api/media/v4l/dev-decoder.rst), on its own
 * platform device, with no media device.  The daemon parses and decodes;
 * this file is the V4L2 side: formats, selection, controls, events, vb2.
 * v4l2-mem2mem gives the queues, the ioctl helpers and poll, not its
 * scheduler: buffers go to the daemon as records (daedalus_sf_bridge.c)
 * as soon as they are queued.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-vmalloc.h>

#include "daedalus_sf.h"

/*
 * Off by default: GStreamer's playbin prefers the stateful element (same
 * rank, first by name), and resolution changes through it are not right
 * yet (docs/conformance.md, "Stateful node").
 */
bool daedalus_stateful;
module_param_named(stateful, daedalus_stateful, bool, 0444);
MODULE_PARM_DESC(stateful,
		 "register the stateful decoder node daedalus-v4l2-stateful (default off)");

bool daedalus_stateful_av1;
module_param_named(stateful_av1, daedalus_stateful_av1, bool, 0444);
MODULE_PARM_DESC(stateful_av1,
		 "offer AV1 ('AV01') on the stateful node (default off: v4l2-compliance 1.30 cannot classify the node then)");

#ifndef V4L2_PIX_FMT_AV1
#define V4L2_PIX_FMT_AV1	v4l2_fourcc('A', 'V', '0', '1')
#endif

#define DAEDALUS_SF_DEF_WIDTH	1920U
#define DAEDALUS_SF_DEF_HEIGHT	1080U
#define DAEDALUS_SF_DEF_CODED	SZ_2M
#define DAEDALUS_SF_MIN_BUFS	4

struct daedalus_sf_codec {
	u32 pixelformat;
	enum daedalus_codec codec;
	u32 flags;
	const char *description;	/* fourccs v4l2-ioctl.c does not know */
};

static const struct daedalus_sf_codec daedalus_sf_codecs[] = {
	{ V4L2_PIX_FMT_H264, DAEDALUS_CODEC_H264,
	  V4L2_FMT_FLAG_DYN_RESOLUTION | V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM },
	{ V4L2_PIX_FMT_VP8, DAEDALUS_CODEC_VP8, V4L2_FMT_FLAG_DYN_RESOLUTION },
	{ V4L2_PIX_FMT_VP9, DAEDALUS_CODEC_VP9, V4L2_FMT_FLAG_DYN_RESOLUTION },
	{ V4L2_PIX_FMT_AV1, DAEDALUS_CODEC_AV1,
	  V4L2_FMT_FLAG_COMPRESSED | V4L2_FMT_FLAG_DYN_RESOLUTION |
	  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM, "AV1" },
};

static struct daedalus_sf_dev *daedalus_sf_the_dev;

/* The codecs the stateful node may offer (HELLO grants within these). */
u32 daedalus_sf_codec_mask(void)
{
	u32 mask;

	if (!daedalus_stateful)
		return 0;
	mask = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264) |
	       DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP8) |
	       DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP9);
	if (daedalus_stateful_av1)
		mask |= DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_AV1);
	return mask;
}

static const struct daedalus_sf_codec *sf_offered(struct daedalus_dev *dev,
						  unsigned int index)
{
	u32 offered = READ_ONCE(dev->bridge.sf_offered) &
		      daedalus_sf_codec_mask();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_sf_codecs); i++)
		if ((offered & DAEDALUS_CODEC_BIT(daedalus_sf_codecs[i].codec)) &&
		    !index--)
			return &daedalus_sf_codecs[i];
	return NULL;
}

static const struct daedalus_sf_codec *sf_find(struct daedalus_dev *dev,
					       u32 pixelformat)
{
	const struct daedalus_sf_codec *c;
	unsigned int i;

	for (i = 0; (c = sf_offered(dev, i)); i++)
		if (c->pixelformat == pixelformat)
			return c;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Formats                                                              */

/*
 * The smallest OUTPUT buffer for a picture of @width x @height: 400 bytes a
 * macroblock (H.264's bound, 3200 bits, A.3.1: a PCM picture is a little
 * larger than the raw one) and room for the headers.  FFmpeg asks for half
 * the raw picture (v4l2_context.c: v4l2_get_framesize_compressed()) and
 * cuts what does not fit without a word: every picture of CVPCMNL1_SVA_C
 * (PCM, 352x288: 106 KB, 76 KB asked) came out damaged.
 */
static u32 sf_coded_floor(u32 width, u32 height)
{
	return DIV_ROUND_UP(width, 16) * DIV_ROUND_UP(height, 16) * 400 + SZ_16K;
}

static void sf_fill_coded(struct v4l2_pix_format_mplane *pix, u32 pixelformat)
{
	u32 size = pix->plane_fmt[0].sizeimage;

	pix->pixelformat = pixelformat;
	pix->width = clamp(pix->width, DAEDALUS_SF_MIN_WIDTH, DAEDALUS_MAX_WIDTH);
	pix->height = clamp(pix->height, DAEDALUS_SF_MIN_HEIGHT,
			    DAEDALUS_MAX_HEIGHT);
	pix->field = V4L2_FIELD_NONE;
	pix->num_planes = 1;
	pix->flags = 0;
	if (!size)
		size = DAEDALUS_SF_DEF_CODED;
	size = max(size, sf_coded_floor(pix->width, pix->height));
	pix->plane_fmt[0].sizeimage = clamp_t(u32, size, DAEDALUS_SF_MIN_CODED,
					      DAEDALUS_SF_MAX_CODED);
	pix->plane_fmt[0].bytesperline = 0;
	memset(pix->plane_fmt[0].reserved, 0,
	       sizeof(pix->plane_fmt[0].reserved));
}

static unsigned int sf_depth(u32 fourcc)
{
	return fourcc == V4L2_PIX_FMT_P010 ? 10 : 8;
}

/* @fourcc if it holds @depth-bit samples, else that depth's default. */
static u32 sf_pick(u32 fourcc, unsigned int depth)
{
	if (depth > 8)
		return V4L2_PIX_FMT_P010;
	return fourcc == V4L2_PIX_FMT_YUV420 ? fourcc : V4L2_PIX_FMT_NV12;
}

static void sf_fill_cap(struct daedalus_sf_ctx *ctx, u32 fourcc,
			struct v4l2_pix_format_mplane *pix)
{
	struct v4l2_pix_format_mplane *out = &ctx->out_fmt.fmt.pix_mp;

	/* No spare room: the daemon copies its pictures in, within the planes. */
	daedalus_fill_picture(fourcc, ctx->visible.width, ctx->visible.height,
			      2, false, pix);
	pix->colorspace = out->colorspace;
	pix->xfer_func = out->xfer_func;
	pix->ycbcr_enc = out->ycbcr_enc;
	pix->quantization = out->quantization;
}

static void sf_default_formats(struct daedalus_sf_ctx *ctx)
{
	const struct daedalus_sf_codec *c = sf_offered(ctx->dev, 0);
	struct v4l2_pix_format_mplane *out = &ctx->out_fmt.fmt.pix_mp;

	if (!c)
		c = &daedalus_sf_codecs[0];
	ctx->codec = c->codec;
	memset(&ctx->out_fmt, 0, sizeof(ctx->out_fmt));
	ctx->out_fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	out->width = DAEDALUS_SF_DEF_WIDTH;
	out->height = DAEDALUS_SF_DEF_HEIGHT;
	out->colorspace = V4L2_COLORSPACE_REC709;
	sf_fill_coded(out, c->pixelformat);
	ctx->visible = (struct v4l2_rect){ 0, 0, out->width, out->height };
	ctx->cap_fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	sf_fill_cap(ctx, V4L2_PIX_FMT_NV12, &ctx->cap_fmt.fmt.pix_mp);
}

static int sf_querycap(struct file *file, void *priv,
		       struct v4l2_capability *cap)
{
	strscpy(cap->driver, DAEDALUS_NAME, sizeof(cap->driver));
	strscpy(cap->card, DAEDALUS_SF_NAME, sizeof(cap->card));
	strscpy(cap->bus_info, "platform:" DAEDALUS_SF_NAME,
		sizeof(cap->bus_info));
	return 0;
}

static int sf_enum_fmt_out(struct file *file, void *priv,
			   struct v4l2_fmtdesc *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	const struct daedalus_sf_codec *c = sf_offered(ctx->dev, f->index);

	if (!c)
		return -EINVAL;
	f->pixelformat = c->pixelformat;
	f->flags = c->flags;
	if (c->description)
		strscpy(f->description, c->description, sizeof(f->description));
	return 0;
}

static int sf_enum_fmt_cap(struct file *file, void *priv,
			   struct v4l2_fmtdesc *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);

	if (sf_depth(ctx->cap_fmt.fmt.pix_mp.pixelformat) > 8) {
		if (f->index)
			return -EINVAL;
		f->pixelformat = V4L2_PIX_FMT_P010;
		return 0;
	}
	if (f->index > 1)
		return -EINVAL;
	f->pixelformat = f->index ? V4L2_PIX_FMT_YUV420 : V4L2_PIX_FMT_NV12;
	return 0;
}

static const struct v4l2_frmsize_stepwise sf_frmsize = {
	.min_width = DAEDALUS_SF_MIN_WIDTH,
	.max_width = DAEDALUS_MAX_WIDTH,
	.step_width = 1,
	.min_height = DAEDALUS_SF_MIN_HEIGHT,
	.max_height = DAEDALUS_MAX_HEIGHT,
	.step_height = 1,
};

/*
 * dev-decoder.rst, Querying capabilities 3: the coded sizes of a coded
 * format, and for a raw one the pictures' sizes.  Those are the visible
 * size to the pixel (CAPTURE's width and height only round it up to even),
 * so GStreamer's v4l2videodec, which else probes the sizes by TRY_FMT and
 * gets the stream's even one, finds the odd visible size of a 175x143
 * stream among them and negotiates it.
 */
static int sf_enum_framesizes(struct file *file, void *priv,
			      struct v4l2_frmsizeenum *fsize)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	unsigned int depth = sf_depth(ctx->cap_fmt.fmt.pix_mp.pixelformat);
	u32 fourcc = fsize->pixel_format;

	if (fsize->index)
		return -EINVAL;
	/* The raw formats ENUM_FMT lists now (sf_enum_fmt_cap()). */
	if (!sf_find(ctx->dev, fourcc) &&
	    (depth > 8 ? fourcc != V4L2_PIX_FMT_P010 :
	     fourcc != V4L2_PIX_FMT_NV12 && fourcc != V4L2_PIX_FMT_YUV420))
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise = sf_frmsize;
	return 0;
}

static int sf_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);

	*f = V4L2_TYPE_IS_OUTPUT(f->type) ? ctx->out_fmt : ctx->cap_fmt;
	return 0;
}

static int sf_try_fmt_out(struct file *file, void *priv,
			  struct v4l2_format *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	const struct daedalus_sf_codec *c = sf_find(ctx->dev, pix->pixelformat);

	if (!c)
		c = sf_offered(ctx->dev, 0);
	if (!c)
		c = &daedalus_sf_codecs[0];
	sf_fill_coded(pix, c->pixelformat);
	return 0;
}

static int sf_try_fmt_cap(struct file *file, void *priv,
			  struct v4l2_format *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	struct v4l2_pix_format_mplane *cur = &ctx->cap_fmt.fmt.pix_mp;

	sf_fill_cap(ctx, sf_pick(f->fmt.pix_mp.pixelformat,
				 sf_depth(cur->pixelformat)), &f->fmt.pix_mp);
	return 0;
}

static int sf_s_fmt_out(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	struct v4l2_m2m_ctx *m2m = ctx->fh.m2m_ctx;
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;

	/* dev-decoder.rst, Commit Points 5: no buffers on either queue. */
	if (vb2_is_busy(v4l2_m2m_get_src_vq(m2m)) ||
	    vb2_is_busy(v4l2_m2m_get_dst_vq(m2m)))
		return -EBUSY;
	sf_try_fmt_out(file, priv, f);
	ctx->out_fmt = *f;
	ctx->codec = sf_find(ctx->dev, pix->pixelformat) ?
		     sf_find(ctx->dev, pix->pixelformat)->codec :
		     DAEDALUS_CODEC_H264;
	ctx->visible = (struct v4l2_rect){ 0, 0, pix->width, pix->height };
	sf_fill_cap(ctx, sf_pick(ctx->cap_fmt.fmt.pix_mp.pixelformat, 8),
		    &ctx->cap_fmt.fmt.pix_mp);
	daedalus_sf_forget_format(ctx);
	return 0;
}

static int sf_s_fmt_cap(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);

	sf_try_fmt_cap(file, priv, f);
	if (f->fmt.pix_mp.pixelformat != ctx->cap_fmt.fmt.pix_mp.pixelformat &&
	    vb2_is_busy(v4l2_m2m_get_dst_vq(ctx->fh.m2m_ctx)))
		return -EBUSY;
	ctx->cap_fmt = *f;
	return 0;
}

static int sf_g_selection(struct file *file, void *priv,
			  struct v4l2_selection *s)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);

	if (s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE &&
	    s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE)
		return -EINVAL;
	switch (s->target) {
	case V4L2_SEL_TGT_CROP:
	case V4L2_SEL_TGT_CROP_DEFAULT:
	case V4L2_SEL_TGT_CROP_BOUNDS:
	case V4L2_SEL_TGT_COMPOSE:
	case V4L2_SEL_TGT_COMPOSE_DEFAULT:
	case V4L2_SEL_TGT_COMPOSE_BOUNDS:
	case V4L2_SEL_TGT_COMPOSE_PADDED:
		s->r = ctx->visible;
		return 0;
	default:
		return -EINVAL;
	}
}

static int sf_reqbufs(struct file *file, void *priv,
		      struct v4l2_requestbuffers *rb)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	int ret = v4l2_m2m_ioctl_reqbufs(file, priv, rb);

	if (!ret && !rb->count && V4L2_TYPE_IS_OUTPUT(rb->type))
		daedalus_sf_forget_format(ctx);
	return ret;
}

/*
 * The buffer goes to the daemon only once QBUF has filled in the client's
 * v4l2_buffer: a fast answer would otherwise show it DONE already.
 */
static int sf_qbuf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	int ret = v4l2_m2m_ioctl_qbuf(file, priv, b);

	if (!ret)
		daedalus_sf_pump(file_to_sf_ctx(file));
	return ret;
}

static int sf_decoder_cmd(struct file *file, void *priv,
			  struct v4l2_decoder_cmd *dc)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	struct v4l2_m2m_ctx *m2m = ctx->fh.m2m_ctx;
	int ret;

	ret = v4l2_m2m_ioctl_try_decoder_cmd(file, priv, dc);
	if (ret)
		return ret;
	if (dc->cmd == V4L2_DEC_CMD_STOP) {
		/* Nothing to drain before OUTPUT streams. */
		if (!vb2_is_streaming(v4l2_m2m_get_src_vq(m2m)))
			return 0;
		return daedalus_sf_stop(ctx);
	}
	ret = daedalus_sf_start(ctx);
	if (!ret)
		vb2_clear_last_buffer_dequeued(v4l2_m2m_get_dst_vq(m2m));
	return ret;
}

static int sf_subscribe_event(struct v4l2_fh *fh,
			      const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_EOS:
		return v4l2_event_subscribe(fh, sub, 2, NULL);
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_src_change_event_subscribe(fh, sub);
	default:
		return v4l2_ctrl_subscribe_event(fh, sub);
	}
}

static const struct v4l2_ioctl_ops daedalus_sf_ioctl_ops = {
	.vidioc_querycap		= sf_querycap,
	.vidioc_enum_framesizes		= sf_enum_framesizes,
	.vidioc_enum_fmt_vid_out	= sf_enum_fmt_out,
	.vidioc_enum_fmt_vid_cap	= sf_enum_fmt_cap,
	.vidioc_g_fmt_vid_out_mplane	= sf_g_fmt,
	.vidioc_g_fmt_vid_cap_mplane	= sf_g_fmt,
	.vidioc_try_fmt_vid_out_mplane	= sf_try_fmt_out,
	.vidioc_try_fmt_vid_cap_mplane	= sf_try_fmt_cap,
	.vidioc_s_fmt_vid_out_mplane	= sf_s_fmt_out,
	.vidioc_s_fmt_vid_cap_mplane	= sf_s_fmt_cap,
	.vidioc_g_selection		= sf_g_selection,

	.vidioc_reqbufs			= sf_reqbufs,
	.vidioc_querybuf		= v4l2_m2m_ioctl_querybuf,
	.vidioc_qbuf			= sf_qbuf,
	.vidioc_dqbuf			= v4l2_m2m_ioctl_dqbuf,
	.vidioc_prepare_buf		= v4l2_m2m_ioctl_prepare_buf,
	.vidioc_create_bufs		= v4l2_m2m_ioctl_create_bufs,
	.vidioc_expbuf			= v4l2_m2m_ioctl_expbuf,
	.vidioc_streamon		= v4l2_m2m_ioctl_streamon,
	.vidioc_streamoff		= v4l2_m2m_ioctl_streamoff,

	.vidioc_try_decoder_cmd		= v4l2_m2m_ioctl_try_decoder_cmd,
	.vidioc_decoder_cmd		= sf_decoder_cmd,

	.vidioc_subscribe_event		= sf_subscribe_event,
	.vidioc_unsubscribe_event	= v4l2_event_unsubscribe,
};

/* ------------------------------------------------------------------ */
/* Source change (process context)                                      */

/*
 * Apply the daemon's SOURCE_CHANGE: the CAPTURE format at the visible
 * size, the event only when CAPTURE has no buffers or they do not fit
 * (then a resolution change: LAST first), FORMAT to the daemon.  A client
 * whose buffers already fit gets no event: FFmpeg sets CAPTURE up before
 * any event and aborts on one that changes nothing.
 */
void daedalus_sf_apply_format(struct work_struct *work)
{
	struct daedalus_sf_ctx *ctx = container_of(work, struct daedalus_sf_ctx,
						   fmt_work);
	struct v4l2_pix_format_mplane *cap = &ctx->cap_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *out = &ctx->out_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane pix;
	struct daedalus_sf_format f;
	bool event = false, drc = false;
	u32 gen;

	mutex_lock(&ctx->sf->mutex);
	mutex_lock(&ctx->vb_mutex);
	if (!daedalus_sf_take_sc(ctx, &f, &gen))
		goto out;

	out->width = f.coded_width;
	out->height = f.coded_height;
	out->colorspace = f.colorspace;
	out->xfer_func = f.xfer_func;
	out->ycbcr_enc = f.ycbcr_enc;
	out->quantization = f.quantization;
	ctx->visible = (struct v4l2_rect){ 0, 0, f.width, f.height };
	pix = *cap;
	sf_fill_cap(ctx, sf_pick(cap->pixelformat, f.bit_depth), &pix);

	if (!ctx->cap_nbufs) {
		event = true;
	} else if (pix.pixelformat != cap->pixelformat ||
		   pix.width != cap->width || pix.height != cap->height ||
		   ctx->cap_min_size < pix.plane_fmt[0].sizeimage) {
		event = true;
		drc = true;
	}
	*cap = pix;
	v4l2_ctrl_s_ctrl(ctx->min_bufs, f.min_buffers);
	daedalus_sf_send_format(ctx, gen, &pix, event, drc);
out:
	mutex_unlock(&ctx->vb_mutex);
	mutex_unlock(&ctx->sf->mutex);
}

/* ------------------------------------------------------------------ */
/* vb2                                                                  */

static int sf_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			  unsigned int *num_planes, unsigned int sizes[],
			  struct device *alloc_devs[])
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vq);
	struct v4l2_format *f = V4L2_TYPE_IS_OUTPUT(vq->type) ?
				&ctx->out_fmt : &ctx->cap_fmt;
	u32 size = f->fmt.pix_mp.plane_fmt[0].sizeimage;

	if (*num_planes)
		return *num_planes == 1 && sizes[0] >= size &&
		       sizes[0] <= DAEDALUS_SF_MAX_CODED ? 0 : -EINVAL;
	*num_planes = 1;
	sizes[0] = size;
	return 0;
}

static int sf_buf_prepare(struct vb2_buffer *vb)
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);

	if (!V4L2_TYPE_IS_OUTPUT(vb->type)) {
		/*
		 * Between a resolution change's event and its LAST the
		 * format is already the new one, but the old buffers must
		 * still be queueable: the pictures decoded before the change
		 * and the LAST go into them (dev-decoder.rst, Dynamic
		 * Resolution Change 2).
		 */
		if (vb2_plane_size(vb, 0) <
		    ctx->cap_fmt.fmt.pix_mp.plane_fmt[0].sizeimage &&
		    !daedalus_sf_in_drc(ctx))
			return -EINVAL;
		vb2_set_plane_payload(vb, 0, vb2_plane_size(vb, 0));
	}
	/* The daemon gets the buffer as a dma-buf: taken here, may sleep. */
	if (!daedalus_buf_dmabuf(vbuf))
		return -ENOMEM;
	return 0;
}

static int sf_buf_init(struct vb2_buffer *vb)
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_sf_buffer *sbuf = to_sf_buffer(to_vb2_v4l2_buffer(vb));
	int ret;

	ret = daedalus_buf_setup(ctx->dev, &sbuf->b);
	if (ret)
		return ret;
	daedalus_sf_rec_init(ctx, sbuf);
	if (!V4L2_TYPE_IS_OUTPUT(vb->type)) {
		if (!ctx->cap_nbufs++)
			ctx->cap_min_size = U32_MAX;
		ctx->cap_min_size = min_t(u32, ctx->cap_min_size,
					  vb2_plane_size(vb, 0));
	}
	return 0;
}

static void sf_buf_cleanup(struct vb2_buffer *vb)
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_sf_buffer *sbuf = to_sf_buffer(to_vb2_v4l2_buffer(vb));

	if (!V4L2_TYPE_IS_OUTPUT(vb->type) && ctx->cap_nbufs)
		ctx->cap_nbufs--;
	daedalus_buf_release(ctx->dev, &sbuf->b);
}

/* Sent by the pump after QBUF, or at STREAMON. */
static void sf_buf_queue(struct vb2_buffer *vb)
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, to_vb2_v4l2_buffer(vb));
}

static int sf_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vq);

	if (V4L2_TYPE_IS_OUTPUT(vq->type))
		daedalus_sf_out_on(ctx);
	else
		daedalus_sf_cap_on(ctx, &ctx->cap_fmt.fmt.pix_mp);
	return 0;
}

static void sf_stop_streaming(struct vb2_queue *vq)
{
	struct daedalus_sf_ctx *ctx = vb2_get_drv_priv(vq);
	struct vb2_v4l2_buffer *vbuf;

	if (V4L2_TYPE_IS_OUTPUT(vq->type))
		daedalus_sf_out_off(ctx);
	else
		daedalus_sf_cap_off(ctx);
	/* What never went to the daemon. */
	for (;;) {
		if (V4L2_TYPE_IS_OUTPUT(vq->type))
			vbuf = v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx);
		else
			vbuf = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);
		if (!vbuf)
			break;
		v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
	}
}

static const struct vb2_ops daedalus_sf_qops = {
	.queue_setup		= sf_queue_setup,
	.buf_out_validate	= daedalus_buf_out_validate,
	.buf_init		= sf_buf_init,
	.buf_prepare		= sf_buf_prepare,
	.buf_cleanup		= sf_buf_cleanup,
	.buf_queue		= sf_buf_queue,
	.start_streaming	= sf_start_streaming,
	.stop_streaming		= sf_stop_streaming,
	.wait_prepare		= vb2_ops_wait_prepare,
	.wait_finish		= vb2_ops_wait_finish,
};

static int sf_queue_init(void *priv, struct vb2_queue *src_vq,
			 struct vb2_queue *dst_vq)
{
	struct daedalus_sf_ctx *ctx = priv;
	int ret;

	src_vq->type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	src_vq->io_modes = VB2_MMAP | VB2_DMABUF;
	src_vq->drv_priv = ctx;
	src_vq->buf_struct_size = sizeof(struct daedalus_sf_buffer);
	src_vq->ops = &daedalus_sf_qops;
	src_vq->mem_ops = &vb2_vmalloc_memops;
	src_vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	src_vq->lock = &ctx->vb_mutex;
	src_vq->dev = ctx->sf->v4l2_dev.dev;
	ret = vb2_queue_init(src_vq);
	if (ret)
		return ret;

	dst_vq->type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	dst_vq->io_modes = VB2_MMAP | VB2_DMABUF;
	dst_vq->drv_priv = ctx;
	dst_vq->buf_struct_size = sizeof(struct daedalus_sf_buffer);
	dst_vq->ops = &daedalus_sf_qops;
	dst_vq->mem_ops = ctx->dev->cap_mem_ops;
	dst_vq->gfp_flags = __GFP_NOWARN;
	dst_vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	dst_vq->lock = &ctx->vb_mutex;
	dst_vq->dev = ctx->sf->v4l2_dev.dev;
	return vb2_queue_init(dst_vq);
}

/* ------------------------------------------------------------------ */
/* File operations                                                      */

static int sf_open(struct file *file)
{
	struct daedalus_sf_dev *sf = video_drvdata(file);
	struct daedalus_sf_ctx *ctx;
	int ret;

	ctx = kvzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;
	ctx->sf = sf;
	ctx->dev = sf->dev;
	ctx->id = atomic64_inc_return(&sf->dev->next_ctx_id);
	mutex_init(&ctx->vb_mutex);
	daedalus_sf_ctx_init(ctx);
	ctx->gone = daedalus_bridge_gone_alloc(true);
	if (!ctx->gone) {
		ret = -ENOMEM;
		goto err_free;
	}

	v4l2_ctrl_handler_init(&ctx->hdl, 1);
	ctx->min_bufs = v4l2_ctrl_new_std(&ctx->hdl, NULL,
					  V4L2_CID_MIN_BUFFERS_FOR_CAPTURE,
					  1, 32, 1, DAEDALUS_SF_MIN_BUFS);
	if (ctx->hdl.error) {
		ret = ctx->hdl.error;
		goto err_ctrls;
	}
	ctx->fh.ctrl_handler = &ctx->hdl;

	ctx->fh.m2m_ctx = v4l2_m2m_ctx_init(sf->m2m, ctx, sf_queue_init);
	if (IS_ERR(ctx->fh.m2m_ctx)) {
		ret = PTR_ERR(ctx->fh.m2m_ctx);
		goto err_ctrls;
	}
	ctx->fh.m2m_ctx->q_lock = &ctx->vb_mutex;
	sf_default_formats(ctx);
	v4l2_fh_add(&ctx->fh);
	daedalus_sf_ctx_open(ctx);
	return 0;

err_ctrls:
	v4l2_ctrl_handler_free(&ctx->hdl);
err_free:
	kfree(ctx->gone);
	v4l2_fh_exit(&ctx->fh);
	mutex_destroy(&ctx->vb_mutex);
	kvfree(ctx);
	return ret;
}

static int sf_release(struct file *file)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);

	/* Every record back now; neither work runs after this. */
	daedalus_sf_ctx_close(ctx);
	v4l2_fh_del(&ctx->fh);
	v4l2_fh_exit(&ctx->fh);
	v4l2_m2m_ctx_release(ctx->fh.m2m_ctx);
	v4l2_ctrl_handler_free(&ctx->hdl);
	ctx->gone->ctx_gone.ctx_id = ctx->id;
	daedalus_bridge_post(&ctx->dev->bridge, ctx->gone);
	mutex_destroy(&ctx->vb_mutex);
	kvfree(ctx);
	return 0;
}

/*
 * m2m's poll reports EPOLLERR while nothing is queued on OUTPUT and
 * CAPTURE does not stream.  A hardware decoder keeps the OUTPUT buffers
 * it cannot decode without CAPTURE; the daemon parses them all and gives
 * them back, so before CAPTURE streams (initialization, a resolution
 * change) that is only waiting for the source change event: GStreamer
 * stops on an EPOLLERR there, even with the event pending.
 */
static __poll_t sf_poll(struct file *file, poll_table *wait)
{
	struct daedalus_sf_ctx *ctx = file_to_sf_ctx(file);
	__poll_t mask = v4l2_m2m_fop_poll(file, wait);

	if ((mask & EPOLLERR) && daedalus_sf_awaiting_capture(ctx))
		mask &= ~EPOLLERR;
	return mask;
}

static const struct v4l2_file_operations daedalus_sf_fops = {
	.owner		= THIS_MODULE,
	.open		= sf_open,
	.release	= sf_release,
	.poll		= sf_poll,
	.unlocked_ioctl	= video_ioctl2,
	.mmap		= v4l2_m2m_fop_mmap,
};

static const struct video_device daedalus_sf_videodev = {
	.name		= DAEDALUS_SF_NAME,
	.vfl_dir	= VFL_DIR_M2M,
	.fops		= &daedalus_sf_fops,
	.ioctl_ops	= &daedalus_sf_ioctl_ops,
	.minor		= -1,
	.release	= video_device_release_empty,
	.device_caps	= V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING,
};

/* m2m's scheduler is not used: no job is ever ready. */
static void sf_device_run(void *priv)
{
}

static int sf_job_ready(void *priv)
{
	return 0;
}

static const struct v4l2_m2m_ops daedalus_sf_m2m_ops = {
	.device_run	= sf_device_run,
	.job_ready	= sf_job_ready,
};

/* The node, on its own platform device: no media device. */
int daedalus_sf_register(struct daedalus_dev *dev)
{
	struct daedalus_sf_dev *sf;
	int ret;

	if (!daedalus_stateful)
		return 0;
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->dev = dev;
	mutex_init(&sf->mutex);
	sf->pdev = platform_device_register_simple(DAEDALUS_SF_NAME,
						   PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(sf->pdev)) {
		ret = PTR_ERR(sf->pdev);
		goto err_free;
	}
	strscpy(sf->v4l2_dev.name, DAEDALUS_SF_NAME, sizeof(sf->v4l2_dev.name));
	ret = v4l2_device_register(&sf->pdev->dev, &sf->v4l2_dev);
	if (ret)
		goto err_pdev;
	sf->m2m = v4l2_m2m_init(&daedalus_sf_m2m_ops);
	if (IS_ERR(sf->m2m)) {
		ret = PTR_ERR(sf->m2m);
		goto err_v4l2;
	}
	sf->vfd = daedalus_sf_videodev;
	sf->vfd.lock = &sf->mutex;
	sf->vfd.v4l2_dev = &sf->v4l2_dev;
	video_set_drvdata(&sf->vfd, sf);
	ret = video_register_device(&sf->vfd, VFL_TYPE_VIDEO, -1);
	if (ret)
		goto err_m2m;
	daedalus_sf_the_dev = sf;
	v4l2_info(&sf->v4l2_dev, "registered stateful /dev/video%d\n",
		  sf->vfd.num);
	return 0;

err_m2m:
	v4l2_m2m_release(sf->m2m);
err_v4l2:
	v4l2_device_unregister(&sf->v4l2_dev);
err_pdev:
	platform_device_unregister(sf->pdev);
err_free:
	kfree(sf);
	return ret;
}

/* Open files hold the module: no context is left here. */
void daedalus_sf_unregister(void)
{
	struct daedalus_sf_dev *sf = daedalus_sf_the_dev;

	if (!sf)
		return;
	video_unregister_device(&sf->vfd);
	v4l2_m2m_release(sf->m2m);
	v4l2_device_unregister(&sf->v4l2_dev);
	platform_device_unregister(sf->pdev);
	kfree(sf);
	daedalus_sf_the_dev = NULL;
}
