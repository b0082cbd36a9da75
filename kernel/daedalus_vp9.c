// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: VP9 profiles 0 and 2 (4:2:0, 8 or 10 bits).  The
 * compressed header's probabilities are optional: the daemon's decoder
 * parses the compressed header from the frame itself.
 */

#include "daedalus.h"

static const struct v4l2_ctrl_config daedalus_vp9_ctrls[] = {
	{ .id = V4L2_CID_STATELESS_VP9_FRAME, .ops = &daedalus_ctrl_ops },
	{ .id = V4L2_CID_STATELESS_VP9_COMPRESSED_HDR },
	{
		.id = V4L2_CID_MPEG_VIDEO_VP9_PROFILE,
		.min = V4L2_MPEG_VIDEO_VP9_PROFILE_0,
		.max = V4L2_MPEG_VIDEO_VP9_PROFILE_2,
		.menu_skip_mask = BIT(V4L2_MPEG_VIDEO_VP9_PROFILE_1),
		.def = V4L2_MPEG_VIDEO_VP9_PROFILE_0,
	},
};

static const u32 daedalus_vp9_required[] = {
	V4L2_CID_STATELESS_VP9_FRAME,
};

static void daedalus_vp9_fill_job(struct daedalus_ctx *ctx,
				  struct media_request *req,
				  struct daedalus_job *job)
{
	struct daedalus_vp9_params *p = &job->params.vp9;
	struct v4l2_ctrl_handler *hdl;

	p->frame = *(struct v4l2_ctrl_vp9_frame *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_VP9_FRAME);
	p->compressed_hdr = *(struct v4l2_ctrl_vp9_compressed_hdr *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_VP9_COMPRESSED_HDR);

	hdl = req ? v4l2_ctrl_request_hdl_find(req, &ctx->hdl) : NULL;
	if (hdl) {
		p->has_compressed_hdr = !!v4l2_ctrl_request_hdl_ctrl_find(hdl,
			V4L2_CID_STATELESS_VP9_COMPRESSED_HDR);
		v4l2_ctrl_request_hdl_put(hdl);
	}

	daedalus_add_ref(ctx, job, p->frame.last_frame_ts);
	daedalus_add_ref(ctx, job, p->frame.golden_frame_ts);
	daedalus_add_ref(ctx, job, p->frame.alt_frame_ts);
}

static unsigned int daedalus_vp9_depth(const void *payload)
{
	const struct v4l2_ctrl_vp9_frame *frame = payload;

	return frame->bit_depth > 8 ? 10 : 8;
}

static int daedalus_vp9_try_ctrl(struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_vp9_frame *frame = ctrl->p_new.p_vp9_frame;

	if (ctrl->id != V4L2_CID_STATELESS_VP9_FRAME)
		return 0;
	if (frame->profile != 0 && frame->profile != 2)
		return -EINVAL;
	if (frame->bit_depth != 8 && frame->bit_depth != 10)
		return -EINVAL;
	return 0;
}

const struct daedalus_codec_desc daedalus_vp9_desc = {
	.pixelformat = V4L2_PIX_FMT_VP9_FRAME,
	.codec = DAEDALUS_CODEC_VP9,
	.name = "vp9",
	.align = 64,
	.ctrls = daedalus_vp9_ctrls,
	.num_ctrls = ARRAY_SIZE(daedalus_vp9_ctrls),
	.required = daedalus_vp9_required,
	.num_required = ARRAY_SIZE(daedalus_vp9_required),
	.fill_job = daedalus_vp9_fill_job,
	.depth_ctrl = V4L2_CID_STATELESS_VP9_FRAME,
	.depth = daedalus_vp9_depth,
	.try_ctrl = daedalus_vp9_try_ctrl,
};
