// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: AV1 Main profile (4:2:0 or monochrome, 8 or 10 bits).
 * Only built where the headers define the AV1 stateless uAPI (6.5+).
 */

#include "daedalus.h"

#ifdef V4L2_PIX_FMT_AV1_FRAME

static const struct v4l2_ctrl_config daedalus_av1_ctrls[] = {
	{ .id = V4L2_CID_STATELESS_AV1_SEQUENCE, .ops = &daedalus_ctrl_ops },
	{ .id = V4L2_CID_STATELESS_AV1_FRAME },
	{
		.id = V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
		.dims = { V4L2_AV1_MAX_TILE_COUNT },
	},
	{ .id = V4L2_CID_STATELESS_AV1_FILM_GRAIN },
	{
		.id = V4L2_CID_MPEG_VIDEO_AV1_PROFILE,
		.min = V4L2_MPEG_VIDEO_AV1_PROFILE_MAIN,
		.max = V4L2_MPEG_VIDEO_AV1_PROFILE_MAIN,
		.def = V4L2_MPEG_VIDEO_AV1_PROFILE_MAIN,
	},
	{
		.id = V4L2_CID_MPEG_VIDEO_AV1_LEVEL,
		.min = V4L2_MPEG_VIDEO_AV1_LEVEL_2_0,
		.max = V4L2_MPEG_VIDEO_AV1_LEVEL_5_3,
		.def = V4L2_MPEG_VIDEO_AV1_LEVEL_4_0,
	},
};

static const u32 daedalus_av1_required[] = {
	V4L2_CID_STATELESS_AV1_FRAME,
	V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
};

static void daedalus_av1_fill_job(struct daedalus_ctx *ctx,
				  struct media_request *req,
				  struct daedalus_job *job)
{
	struct daedalus_av1_params *p = &job->params.av1;
	struct v4l2_ctrl *tiles;
	unsigned int i;

	p->sequence = *(struct v4l2_ctrl_av1_sequence *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_AV1_SEQUENCE);
	p->frame = *(struct v4l2_ctrl_av1_frame *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_AV1_FRAME);
	p->film_grain = *(struct v4l2_ctrl_av1_film_grain *)
		daedalus_cur(ctx, V4L2_CID_STATELESS_AV1_FILM_GRAIN);

	tiles = daedalus_ctrl(ctx, V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY);
	p->num_tiles = min_t(u32, tiles->elems, DAEDALUS_MAX_TILES);
	memcpy(p->tiles, tiles->p_cur.p, p->num_tiles * sizeof(p->tiles[0]));

	for (i = 0; i < ARRAY_SIZE(p->frame.reference_frame_ts); i++)
		daedalus_add_ref(ctx, job, p->frame.reference_frame_ts[i]);
}

static unsigned int daedalus_av1_depth(const void *payload)
{
	const struct v4l2_ctrl_av1_sequence *seq = payload;

	return seq->bit_depth > 8 ? 10 : 8;
}

static int daedalus_av1_try_ctrl(struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_av1_sequence *seq = ctrl->p_new.p_av1_sequence;

	if (ctrl->id != V4L2_CID_STATELESS_AV1_SEQUENCE)
		return 0;
	if (seq->seq_profile != 0)
		return -EINVAL;
	/* 0 is the control's initial value. */
	if (seq->bit_depth != 0 && seq->bit_depth != 8 && seq->bit_depth != 10)
		return -EINVAL;
	return 0;
}

const struct daedalus_codec_desc daedalus_av1_desc = {
	.pixelformat = V4L2_PIX_FMT_AV1_FRAME,
	.codec = DAEDALUS_CODEC_AV1,
	.name = "av1",
	.align = 128,
	.ctrls = daedalus_av1_ctrls,
	.num_ctrls = ARRAY_SIZE(daedalus_av1_ctrls),
	.required = daedalus_av1_required,
	.num_required = ARRAY_SIZE(daedalus_av1_required),
	.fill_job = daedalus_av1_fill_job,
	.depth_ctrl = V4L2_CID_STATELESS_AV1_SEQUENCE,
	.depth = daedalus_av1_depth,
	.try_ctrl = daedalus_av1_try_ctrl,
};

#endif /* V4L2_PIX_FMT_AV1_FRAME */
