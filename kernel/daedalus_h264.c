// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: H.264, frame-based with Annex-B start codes.  4:0:0 and
 * 4:2:0 at 8 or 10 bits; 4:2:2, 4:4:4 and other depths are refused.
 */

#include "daedalus.h"

static const struct v4l2_ctrl_config daedalus_h264_ctrls[] = {
	{ .id = V4L2_CID_STATELESS_H264_SPS, .ops = &daedalus_ctrl_ops },
	{ .id = V4L2_CID_STATELESS_H264_PPS },
	{ .id = V4L2_CID_STATELESS_H264_SCALING_MATRIX },
	{ .id = V4L2_CID_STATELESS_H264_DECODE_PARAMS },
	{
		.id = V4L2_CID_STATELESS_H264_DECODE_MODE,
		.min = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
		.max = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
		.def = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
	},
	{
		.id = V4L2_CID_STATELESS_H264_START_CODE,
		.min = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
		.max = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
		.def = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
	},
	{
		.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE,
		.min = V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE,
		.max = V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_10,
		.menu_skip_mask =
			BIT(V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED),
		.def = V4L2_MPEG_VIDEO_H264_PROFILE_MAIN,
	},
	{
		.id = V4L2_CID_MPEG_VIDEO_H264_LEVEL,
		.min = V4L2_MPEG_VIDEO_H264_LEVEL_1_0,
		.max = V4L2_MPEG_VIDEO_H264_LEVEL_6_2,
		.def = V4L2_MPEG_VIDEO_H264_LEVEL_4_1,
	},
};

static const u32 daedalus_h264_required[] = {
	V4L2_CID_STATELESS_H264_DECODE_PARAMS,
};

static void daedalus_h264_fill_job(struct daedalus_ctx *ctx,
				   struct media_request *req,
				   struct daedalus_job *job)
{
	struct daedalus_h264_params *p = &job->params.h264;
	const struct v4l2_h264_dpb_entry *dpb;
	unsigned int i;

	p->sps = *(struct v4l2_ctrl_h264_sps *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_H264_SPS);
	p->pps = *(struct v4l2_ctrl_h264_pps *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_H264_PPS);
	p->scaling_matrix = *(struct v4l2_ctrl_h264_scaling_matrix *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_H264_SCALING_MATRIX);
	p->decode_params = *(struct v4l2_ctrl_h264_decode_params *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_H264_DECODE_PARAMS);
	p->decode_mode =
		daedalus_ctrl(ctx, V4L2_CID_STATELESS_H264_DECODE_MODE)->cur.val;
	p->start_code =
		daedalus_ctrl(ctx, V4L2_CID_STATELESS_H264_START_CODE)->cur.val;

	dpb = p->decode_params.dpb;
	for (i = 0; i < ARRAY_SIZE(p->decode_params.dpb); i++)
		if (dpb[i].flags & V4L2_H264_DPB_ENTRY_FLAG_VALID)
			daedalus_add_ref(ctx, job, dpb[i].reference_ts);
}

static unsigned int daedalus_h264_depth(const void *payload)
{
	const struct v4l2_ctrl_h264_sps *sps = payload;

	return sps->bit_depth_luma_minus8 + 8;
}

static void daedalus_h264_frame_size(const void *payload, u32 *width,
				     u32 *height)
{
	const struct v4l2_ctrl_h264_sps *sps = payload;

	*width = (sps->pic_width_in_mbs_minus1 + 1) * 16;
	*height = (sps->pic_height_in_map_units_minus1 + 1) * 16;
	if (!(sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY))
		*height *= 2;
}

static int daedalus_h264_try_ctrl(struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_h264_sps *sps = ctrl->p_new.p_h264_sps;

	if (ctrl->id != V4L2_CID_STATELESS_H264_SPS)
		return 0;
	if (sps->chroma_format_idc > 1)
		return -EINVAL;
	if (sps->bit_depth_luma_minus8 != sps->bit_depth_chroma_minus8)
		return -EINVAL;
	if (sps->bit_depth_luma_minus8 != 0 && sps->bit_depth_luma_minus8 != 2)
		return -EINVAL;
	return 0;
}

const struct daedalus_codec_desc daedalus_h264_desc = {
	.pixelformat = V4L2_PIX_FMT_H264_SLICE,
	.codec = DAEDALUS_CODEC_H264,
	.name = "h264",
	.align = 32,
	.hold_capture = true,
	.ctrls = daedalus_h264_ctrls,
	.num_ctrls = ARRAY_SIZE(daedalus_h264_ctrls),
	.required = daedalus_h264_required,
	.num_required = ARRAY_SIZE(daedalus_h264_required),
	.fill_job = daedalus_h264_fill_job,
	.depth_ctrl = V4L2_CID_STATELESS_H264_SPS,
	.depth = daedalus_h264_depth,
	.frame_size = daedalus_h264_frame_size,
	.try_ctrl = daedalus_h264_try_ctrl,
};
