// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: VP8.  Always 8-bit 4:2:0.
 */

#include "daedalus.h"

static const struct v4l2_ctrl_config daedalus_vp8_ctrls[] = {
	{ .id = V4L2_CID_STATELESS_VP8_FRAME },
};

static const u32 daedalus_vp8_required[] = {
	V4L2_CID_STATELESS_VP8_FRAME,
};

static void daedalus_vp8_fill_job(struct daedalus_ctx *ctx,
				  struct media_request *req,
				  struct daedalus_job *job)
{
	struct daedalus_vp8_params *p = &job->params.vp8;

	p->frame = *(struct v4l2_ctrl_vp8_frame *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_VP8_FRAME);
	daedalus_add_ref(ctx, job, p->frame.last_frame_ts);
	daedalus_add_ref(ctx, job, p->frame.golden_frame_ts);
	daedalus_add_ref(ctx, job, p->frame.alt_frame_ts);
}

const struct daedalus_codec_desc daedalus_vp8_desc = {
	.pixelformat = V4L2_PIX_FMT_VP8_FRAME,
	.codec = DAEDALUS_CODEC_VP8,
	.name = "vp8",
	.align = 32,
	.ctrls = daedalus_vp8_ctrls,
	.num_ctrls = ARRAY_SIZE(daedalus_vp8_ctrls),
	.required = daedalus_vp8_required,
	.num_required = ARRAY_SIZE(daedalus_vp8_required),
	.fill_job = daedalus_vp8_fill_job,
};
