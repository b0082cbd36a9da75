/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The round trip of the AV1 OBU rebuild (daemon/av1_obu.c): controls for a
 * run of frames that between them use every part of the header syntax the
 * rebuild writes (segmentation features, loop filter deltas, CDEF with a
 * secondary strength of 4, each loop restoration type, quantizer matrices,
 * delta q/lf, non-uniform and uniform tiles, a hidden frame, skip mode,
 * every global motion type coded against a previous frame's, error
 * resilience with ref_order_hint, superres, film grain sent and loaded,
 * intra-only with intra block copy, a monochrome 10-bit sequence) are
 * rebuilt into OBUs with zero tile bytes, decoded by dav1d, and
 * dav1d's frame header must say what the controls say
 * (dd_av1_header_mismatch(), the backend's own check).  dav1d is the
 * independent parser: a field the rebuild writes wrongly either fails to
 * parse or reads back different.
 *
 * Also the controls fuzz_av1_obu found rebuilt wrongly: a superres frame
 * whose downscaled width the decoder raises to min(16, UpscaledWidth),
 * and a monochrome sequence with SEPARATE_UV_DELTA_Q set, whose qm_v the
 * frame header coded although the sequence header (and so the decoder)
 * has separate_uv_delta_q 0 for 4:0:0.
 */
#include <stdlib.h>
#include <string.h>

#include "av1_header_check.h"
#include "av1_obu.h"
#include "dav1d.h"
#include "dd_test.h"
#include "fixture.h"

static const struct dd_dav1d *lib;
static Dav1dContext *ctx;
static struct dd_av1_slots slots;
/*
 * Tiles of @size zero bytes each, back to back in @bs: any tile data
 * parses, but arbitrary bytes may code motion dav1d refuses in an inter
 * frame; zeros decode to the most probable symbols.
 */
static void add_tiles(struct daedalus_av1_params *p, size_t size)
{
	const struct v4l2_av1_tile_info *t = &p->frame.tile_info;
	uint32_t n = 0;

	for (uint32_t r = 0; r < t->tile_rows; r++)
		for (uint32_t c = 0; c < t->tile_cols; c++, n++) {
			p->tiles[n] = (struct v4l2_ctrl_av1_tile_group_entry){
				.tile_offset = n * (uint32_t)size,
				.tile_size = (uint32_t)size,
				.tile_row = r,
				.tile_col = c,
			};
		}
	p->num_tiles = n;
}

/* Rebuilds, decodes and compares one frame; @with_seq sends the sequence. */
static void round_trip(const char *name, struct daedalus_av1_params *p, int with_seq)
{
	static uint8_t bs[64 * 64];	/* zero */
	size_t cap = dd_av1_frame_bound(p) + 64, n = 0, m;
	const char *why = NULL;
	Dav1dPicture pic;
	Dav1dData data;
	uint8_t *buf;
	int ret;

	add_tiles(p, 48);
	cap = dd_av1_frame_bound(p) + 64;
	buf = lib->dav1d_data_create(&data, cap);
	if (with_seq)
		n = dd_av1_write_sequence_header(&p->sequence, buf, cap);
	CHECK(!with_seq || n > 0);
	m = dd_av1_write_frame(p, &slots, bs, sizeof(bs), buf + n, cap - n, &why);
	if (why)
		fprintf(stderr, "%s: %s\n", name, why);
	CHECK(m > 0 && !why);
	data.sz = n + m;
	ret = lib->dav1d_send_data(ctx, &data);
	CHECK_EQ(ret, 0);
	memset(&pic, 0, sizeof(pic));
	ret = lib->dav1d_get_picture(ctx, &pic);
	if (ret)
		fprintf(stderr, "%s: dav1d decoded no picture (%d)\n", name, ret);
	CHECK_EQ(ret, 0);
	if (!ret) {
		why = dd_av1_header_mismatch(pic.frame_hdr, p);
		if (why)
			fprintf(stderr, "%s: %s\n", name, why);
		CHECK(!why);
		CHECK_EQ(pic.p.h, p->frame.frame_height_minus_1 + 1);
		lib->dav1d_picture_unref(&pic);
	}
	if (data.sz)
		lib->dav1d_data_unref(&data);
	dd_av1_slots_update(&slots, p, p->frame.order_hint + 1000);
}

static void identity_motion(struct v4l2_ctrl_av1_frame *f)
{
	for (int r = 0; r < V4L2_AV1_TOTAL_REFS_PER_FRAME; r++) {
		memset(f->global_motion.params[r], 0, sizeof(f->global_motion.params[r]));
		f->global_motion.params[r][2] = f->global_motion.params[r][5] = 1 << 16;
		f->global_motion.type[r] = V4L2_AV1_WARP_MODEL_IDENTITY;
	}
}

static void film_grain(struct v4l2_ctrl_av1_film_grain *fg)
{
	memset(fg, 0, sizeof(*fg));
	fg->flags = V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN | V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN |
		    V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP;
	fg->grain_seed = 4321;
	fg->num_y_points = 3;
	for (int i = 0; i < 3; i++) {
		fg->point_y_value[i] = (uint8_t)(40 * i + 10);
		fg->point_y_scaling[i] = (uint8_t)(20 + 5 * i);
		fg->point_cb_value[i] = (uint8_t)(60 * i);
		fg->point_cb_scaling[i] = 30;
		fg->point_cr_value[i] = (uint8_t)(70 * i + 5);
		fg->point_cr_scaling[i] = (uint8_t)(40 - i);
	}
	fg->num_cb_points = 2;
	fg->num_cr_points = 3;
	fg->grain_scaling_minus_8 = 2;
	fg->ar_coeff_lag = 2;
	for (int i = 0; i < V4L2_AV1_AR_COEFFS_SIZE; i++) {
		fg->ar_coeffs_y_plus_128[i] = (uint8_t)(128 + i - 12);
		fg->ar_coeffs_cb_plus_128[i] = (uint8_t)(128 - i);
		fg->ar_coeffs_cr_plus_128[i] = (uint8_t)(120 + i);
	}
	fg->ar_coeff_shift_minus_6 = 1;
	fg->grain_scale_shift = 1;
	fg->cb_mult = 130;
	fg->cb_luma_mult = 190;
	fg->cb_offset = 260;
	fg->cr_mult = 100;
	fg->cr_luma_mult = 60;
	fg->cr_offset = 300;
}

/* 200x120, 8-bit, every tool the sequence can enable. */
static void sequence(struct daedalus_av1_params *p)
{
	memset(p, 0, sizeof(*p));
	p->sequence.flags = V4L2_AV1_SEQUENCE_FLAG_ENABLE_FILTER_INTRA |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTRA_EDGE_FILTER |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTERINTRA_COMPOUND |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_MASKED_COMPOUND |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_DUAL_FILTER |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION |
			    V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			    V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y |
			    V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT |
			    V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	p->sequence.order_hint_bits = 7;
	p->sequence.bit_depth = 8;
	p->sequence.max_frame_width_minus_1 = 199;
	p->sequence.max_frame_height_minus_1 = 119;
}

static void size(struct v4l2_ctrl_av1_frame *f, uint32_t w, uint32_t h)
{
	f->frame_width_minus_1 = w - 1;
	f->frame_height_minus_1 = h - 1;
	f->upscaled_width = w;
	f->render_width_minus_1 = (uint16_t)(w - 1);
	f->render_height_minus_1 = (uint16_t)(h - 1);
	f->superres_denom = 8;
}

/* Tile starts in MI units, as clients give them (64x64 superblocks). */
static void tile_starts(struct v4l2_av1_tile_info *t, const uint32_t *cols,
			const uint32_t *rows)
{
	for (int i = 0; i <= t->tile_cols; i++)
		t->mi_col_starts[i] = cols[i] * 16;
	for (int i = 0; i <= t->tile_rows; i++)
		t->mi_row_starts[i] = rows[i] * 16;
}

/* Shown key frame: segmentation, deltas, CDEF, restoration, grain, 4 tiles. */
static void key_frame(struct daedalus_av1_params *p)
{
	struct v4l2_ctrl_av1_frame *f = &p->frame;
	static const uint32_t cols[] = { 0, 1, 4 }, rows[] = { 0, 1, 2 };

	sequence(p);
	size(f, 200, 120);
	f->frame_type = V4L2_AV1_KEY_FRAME;
	f->flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET;
	f->primary_ref_frame = DD_AV1_PRIMARY_REF_NONE;
	f->refresh_frame_flags = 0xff;
	f->tile_info.tile_cols = 2;
	f->tile_info.tile_rows = 2;
	f->tile_info.width_in_sbs_minus_1[0] = 0;
	f->tile_info.width_in_sbs_minus_1[1] = 2;
	f->tile_info.height_in_sbs_minus_1[0] = 0;
	f->tile_info.height_in_sbs_minus_1[1] = 0;
	f->tile_info.context_update_tile_id = 3;
	tile_starts(&f->tile_info, cols, rows);
	f->quantization = (struct v4l2_av1_quantization){
		.flags = V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA |
			 V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX |
			 V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT,
		.base_q_idx = 90, .delta_q_y_dc = -3, .delta_q_u_dc = 4,
		.delta_q_u_ac = -5, .delta_q_v_dc = 6, .delta_q_v_ac = -7,
		.qm_y = 5, .qm_u = 6, .qm_v = 7, .delta_q_res = 2,
	};
	f->segmentation.flags = V4L2_AV1_SEGMENTATION_FLAG_ENABLED |
				V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP |
				V4L2_AV1_SEGMENTATION_FLAG_UPDATE_DATA;
	f->segmentation.feature_enabled[1] = 0x03;
	f->segmentation.feature_data[1][0] = -40;
	f->segmentation.feature_data[1][1] = 12;
	f->segmentation.feature_enabled[3] = 1 << V4L2_AV1_SEG_LVL_REF_SKIP;
	f->segmentation.feature_enabled[5] = 1 << V4L2_AV1_SEG_LVL_REF_FRAME;
	f->segmentation.feature_data[5][V4L2_AV1_SEG_LVL_REF_FRAME] = 0;
	f->segmentation.last_active_seg_id = 5;
	f->loop_filter = (struct v4l2_av1_loop_filter){
		.flags = V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED |
			 V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE |
			 V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT |
			 V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI,
		.level = { 10, 12, 8, 6 }, .sharpness = 3,
		.ref_deltas = { 1, 0, 0, 0, -1, 0, -1, -1 },
		.mode_deltas = { 2, -3 }, .delta_lf_res = 1,
	};
	f->loop_filter.ref_deltas[2] = 5;
	f->cdef = (struct v4l2_av1_cdef){
		.damping_minus_3 = 2, .bits = 2,
		.y_pri_strength = { 1, 15, 0, 7 }, .y_sec_strength = { 0, 4, 2, 1 },
		.uv_pri_strength = { 3, 0, 9, 2 }, .uv_sec_strength = { 4, 0, 1, 2 },
	};
	f->loop_restoration.frame_restoration_type[0] = V4L2_AV1_FRAME_RESTORE_WIENER;
	f->loop_restoration.frame_restoration_type[1] = V4L2_AV1_FRAME_RESTORE_SGRPROJ;
	f->loop_restoration.frame_restoration_type[2] = V4L2_AV1_FRAME_RESTORE_SWITCHABLE;
	f->loop_restoration.loop_restoration_size[0] = 128;
	f->loop_restoration.loop_restoration_size[1] = 64;
	f->loop_restoration.loop_restoration_size[2] = 64;
	f->tx_mode = V4L2_AV1_TX_MODE_SELECT;
	identity_motion(f);
	film_grain(&p->film_grain);
}

/* An inter frame predicting from every slot, with uniform tiling. */
static void inter_frame(struct daedalus_av1_params *p, uint32_t order_hint)
{
	struct v4l2_ctrl_av1_frame *f = &p->frame;

	sequence(p);
	size(f, 200, 120);
	f->frame_type = V4L2_AV1_INTER_FRAME;
	f->order_hint = order_hint;
	f->flags = V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV |
		   V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE |
		   V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION;
	f->tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	f->tile_info.tile_cols = 2;
	f->tile_info.tile_rows = 1;
	f->tile_info.mi_col_starts[1] = 32;
	f->tile_info.mi_col_starts[2] = 64;
	f->tile_info.mi_row_starts[1] = 32;
	f->quantization.base_q_idx = 120;
	f->loop_filter.level[0] = 20;
	f->loop_filter.level[1] = 0;
	f->loop_filter.sharpness = 1;
	f->tx_mode = V4L2_AV1_TX_MODE_LARGEST;
	f->interpolation_filter = V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE;
	for (int i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++) {
		f->ref_frame_idx[i] = (int8_t)i;
		f->order_hints[i + 1] = slots.order_hint[i];
	}
	for (int i = 0; i < DD_AV1_NUM_REF_FRAMES; i++)
		f->reference_frame_ts[i] = slots.timestamp[i];
	identity_motion(f);
}

/* Writes the frame of @job's controls over its FX_BYTESUSED bytes. */
static size_t write_controls(const struct daedalus_job *job, const char **why)
{
	static uint8_t bs[FX_BYTESUSED], out[1 << 16];
	struct dd_av1_slots s;

	dd_av1_slots_reset(&s);
	return dd_av1_write_frame(&job->params.av1, &s, bs, sizeof(bs), out,
				  sizeof(out), why);
}

static void test_superres_min_width(void)
{
	static struct daedalus_job job;
	struct daedalus_av1_params *p = &job.params.av1;
	const char *why;

	fx_job_init(&job, DAEDALUS_CODEC_AV1, 1, 1, 64, 64);
	p->frame.tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	p->frame.tile_info.tile_cols = 1;
	p->num_tiles = 1;
	p->tiles[0].tile_offset = 0;
	p->tiles[0].tile_size = FX_BYTESUSED;
	p->sequence.flags |= V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES;
	p->frame.flags |= V4L2_AV1_FRAME_FLAG_USE_SUPERRES;
	p->frame.superres_denom = 16;
	p->frame.upscaled_width = 20;

	p->frame.frame_width_minus_1 = 15;	/* max((20 * 8 + 8) / 16, 16) */
	why = NULL;
	CHECK(write_controls(&job, &why) > 0);
	CHECK(why == NULL);

	p->frame.frame_width_minus_1 = 9;	/* the plain formula */
	why = NULL;
	CHECK(write_controls(&job, &why) == 0);
	CHECK(why != NULL);

	/* wide enough: the plain formula (64 * 8 + 8) / 16 = 32 */
	p->frame.upscaled_width = 64;
	p->frame.frame_width_minus_1 = 31;
	why = NULL;
	CHECK(write_controls(&job, &why) > 0);
}

/*
 * fuzz_av1_obu's controls (its crash input, normalized): a hidden 1x1 key
 * frame of a monochrome sequence that also says SEPARATE_UV_DELTA_Q, with
 * quantizer matrices and segmentation.  color_config() codes no
 * separate_uv_delta_q for 4:0:0 and infers 0, so quantization_params()
 * codes no qm_v.  The writer coded it from the flag: 4 bits dav1d does not
 * read, so it read the segmentation features (and all after them) from the
 * wrong place.  The flag must change nothing in a monochrome sequence.
 */
static void test_mono_separate_uv_delta_q(struct daedalus_av1_params *p)
{
	static const uint8_t features[V4L2_AV1_MAX_SEGMENTS] = {
		0x11, 0x36, 0x5b, 0x80, 0xa5, 0xca, 0, 0 };
	static uint8_t bs[64], with[256], without[256];
	struct v4l2_ctrl_av1_frame *f = &p->frame;
	const char *why = NULL;
	size_t n, m;

	memset(p, 0, sizeof(*p));
	p->sequence.flags = V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION |
			    V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME |
			    V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE |
			    V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT |
			    V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	p->sequence.bit_depth = 8;
	p->sequence.order_hint_bits = 7;	/* order hints off: not coded */
	p->sequence.max_frame_width_minus_1 = 63;
	p->sequence.max_frame_height_minus_1 = 48;
	size(f, 1, 1);
	f->frame_type = V4L2_AV1_KEY_FRAME;
	f->primary_ref_frame = DD_AV1_PRIMARY_REF_NONE;
	f->tile_info = (struct v4l2_av1_tile_info){
		.tile_cols = 1, .tile_rows = 1,
		.mi_col_starts = { 0, 16 }, .mi_row_starts = { 0, 16 },
	};
	f->quantization = (struct v4l2_av1_quantization){
		.flags = V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA |
			 V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX,
		.base_q_idx = 48, .delta_q_y_dc = -43,
		.qm_y = 14, .qm_u = 3, .qm_v = 8, .delta_q_res = 1,
	};
	f->segmentation.flags = V4L2_AV1_SEGMENTATION_FLAG_ENABLED |
				V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP |
				V4L2_AV1_SEGMENTATION_FLAG_TEMPORAL_UPDATE;
	memcpy(f->segmentation.feature_enabled, features, sizeof(features));
	f->segmentation.last_active_seg_id = 5;
	f->loop_filter.ref_deltas[0] = 1;
	f->loop_filter.ref_deltas[4] = f->loop_filter.ref_deltas[6] =
		f->loop_filter.ref_deltas[7] = -1;
	f->loop_restoration.loop_restoration_size[0] = 64;
	f->loop_restoration.loop_restoration_size[1] = 64;
	f->tx_mode = V4L2_AV1_TX_MODE_LARGEST;
	add_tiles(p, 48);

	/* Without the flag the same frame: byte for byte. */
	n = dd_av1_write_frame(p, &slots, bs, sizeof(bs), with, sizeof(with), &why);
	CHECK(n > 0 && !why);
	p->sequence.flags &= ~(uint32_t)V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	m = dd_av1_write_frame(p, &slots, bs, sizeof(bs), without, sizeof(without), &why);
	CHECK(m > 0 && !why);
	CHECK_EQ(n, m);
	CHECK(n == m && !memcmp(with, without, n));

	/* And dav1d reads it as the controls say (qm_v is qm_u then). */
	p->sequence.flags |= V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	round_trip("monochrome with SEPARATE_UV_DELTA_Q", p, 1);
}

int main(void)
{
	struct daedalus_av1_params *p = calloc(1, sizeof(*p));
	struct v4l2_ctrl_av1_film_grain key_grain;
	struct v4l2_ctrl_av1_frame *f = &p->frame;
	struct v4l2_av1_global_motion *gm = &f->global_motion;
	Dav1dSettings s;

	lib = dd_dav1d_load();
	if (!lib) {
		fprintf(stderr, "test_av1_obu: no libdav1d (%s): cannot run\n",
			dd_dav1d_error());
		return 1;
	}
	lib->dav1d_default_settings(&s);
	s.n_threads = 1;
	s.max_frame_delay = 1;
	s.output_invisible_frames = 1;
	s.apply_grain = 0;
	CHECK_EQ(lib->dav1d_open(&ctx, &s), 0);
	dd_av1_slots_reset(&slots);

	key_frame(p);
	key_grain = p->film_grain;
	round_trip("key frame", p, 1);

	/* Hidden alt-ref at order hint 4 into slot 1, global motion of every type. */
	inter_frame(p, 4);
	f->flags |= V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME;
	f->primary_ref_frame = 0;
	f->refresh_frame_flags = 0x02;
	gm->type[V4L2_AV1_REF_LAST_FRAME] = V4L2_AV1_WARP_MODEL_ROTZOOM;
	gm->params[V4L2_AV1_REF_LAST_FRAME][2] = (1 << 16) + 3 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][3] = -5 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][4] = 5 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][5] = (1 << 16) + 3 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][0] = 7 << 10;
	gm->params[V4L2_AV1_REF_LAST_FRAME][1] = -3 * (1 << 10);
	gm->type[V4L2_AV1_REF_LAST2_FRAME] = V4L2_AV1_WARP_MODEL_TRANSLATION;
	gm->params[V4L2_AV1_REF_LAST2_FRAME][0] = -9 * (1 << 13);
	gm->params[V4L2_AV1_REF_LAST2_FRAME][1] = 4 << 13;
	gm->type[V4L2_AV1_REF_GOLDEN_FRAME] = V4L2_AV1_WARP_MODEL_AFFINE;
	gm->params[V4L2_AV1_REF_GOLDEN_FRAME][2] = (1 << 16) - 8 * 2;
	gm->params[V4L2_AV1_REF_GOLDEN_FRAME][3] = 6 * 2;
	gm->params[V4L2_AV1_REF_GOLDEN_FRAME][4] = -2 * 2;
	gm->params[V4L2_AV1_REF_GOLDEN_FRAME][5] = (1 << 16) + 4 * 2;
	gm->params[V4L2_AV1_REF_GOLDEN_FRAME][0] = 100 << 10;
	gm->params[V4L2_AV1_REF_GOLDEN_FRAME][1] = 1 << 10;
	p->film_grain = key_grain;
	p->film_grain.grain_seed = 99;
	round_trip("hidden inter frame", p, 0);

	/*
	 * Order hint 2 between slots 0 (hint 0) and 1 (hint 4): skip mode;
	 * global motion coded against slot 1's (primary_ref_frame LAST2).
	 */
	inter_frame(p, 2);
	f->flags |= V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT |
		    V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT;
	f->primary_ref_frame = 1;
	f->refresh_frame_flags = 0x04;
	gm->type[V4L2_AV1_REF_LAST_FRAME] = V4L2_AV1_WARP_MODEL_ROTZOOM;
	gm->params[V4L2_AV1_REF_LAST_FRAME][2] = (1 << 16) + 5 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][3] = -4 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][4] = 4 * 2;
	gm->params[V4L2_AV1_REF_LAST_FRAME][5] = (1 << 16) + 5 * 2;
	p->film_grain = key_grain;
	p->film_grain.flags &= (uint8_t)~V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN;
	p->film_grain.film_grain_params_ref_idx = 0;	/* loaded from the key frame */
	p->film_grain.grain_seed = 7;
	round_trip("skip mode, grain loaded", p, 0);

	/* Error resilient with superres: ref_order_hint[] and a scaled size. */
	inter_frame(p, 3);
	size(f, 133, 120);
	f->upscaled_width = 200;
	f->superres_denom = 12;
	f->flags |= V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE |
		    V4L2_AV1_FRAME_FLAG_USE_SUPERRES;
	f->flags &= ~(uint32_t)V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION;
	f->primary_ref_frame = DD_AV1_PRIMARY_REF_NONE;
	f->refresh_frame_flags = 0x08;
	f->tile_info.tile_cols = 1;
	f->tile_info.mi_col_starts[1] = 34;
	round_trip("error resilient, superres", p, 0);

	/* Intra-only with screen content tools and intra block copy. */
	inter_frame(p, 5);
	f->frame_type = V4L2_AV1_INTRA_ONLY_FRAME;
	f->flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS |
		   V4L2_AV1_FRAME_FLAG_ALLOW_INTRABC | V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE;
	f->primary_ref_frame = DD_AV1_PRIMARY_REF_NONE;
	f->refresh_frame_flags = 0x10;
	round_trip("intra-only, intrabc", p, 0);

	/* A new sequence: monochrome, 10 bits, 128x128 superblocks, no order hints. */
	key_frame(p);
	p->sequence.flags = V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME |
			    V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION |
			    V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			    V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	p->sequence.bit_depth = 10;
	p->sequence.order_hint_bits = 0;
	f->tile_info = (struct v4l2_av1_tile_info){
		.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING,
		.tile_cols = 1, .tile_rows = 1,
		.mi_col_starts = { 0, 64 }, .mi_row_starts = { 0, 32 },
	};
	f->segmentation.flags = 0;
	f->quantization.flags = V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX;
	f->quantization.delta_q_u_dc = f->quantization.delta_q_u_ac = 0;
	f->quantization.delta_q_v_dc = f->quantization.delta_q_v_ac = 0;
	f->loop_restoration.loop_restoration_size[0] = 256;
	p->film_grain.flags = 0;
	round_trip("monochrome 10-bit", p, 1);

	test_mono_separate_uv_delta_q(p);
	lib->dav1d_close(&ctx);
	free(p);
	test_superres_min_width();
	return dd_test_result("test_av1_obu");
}
