/* SPDX-License-Identifier: BSD-2-Clause */
#include "av1_obu.h"

#include <string.h>

#include "bitwriter.h"

enum {
	OBU_SEQUENCE_HEADER = 1,
	OBU_FRAME_HEADER = 3,
	OBU_TILE_GROUP = 4,
};

#define TILE_SIZE_BYTES		4
#define HEADER_MAX		4096	/* a frame header is far below this */
#define OBU_OVERHEAD		9	/* header byte + leb128 of 32 bits */
#define MAX_TILE_WIDTH		4096
#define MAX_TILE_AREA		(4096 * 2304)
#define MAX_TILE_COLS		64
#define MAX_TILE_ROWS		64
#define WARPEDMODEL_PREC_BITS	16

static const int32_t gm_identity[6] = { 0, 0, 1 << WARPEDMODEL_PREC_BITS, 0, 0,
					1 << WARPEDMODEL_PREC_BITS };

void dd_av1_slots_reset(struct dd_av1_slots *s)
{
	memset(s, 0, sizeof(*s));
}

static int frame_is_intra(const struct v4l2_ctrl_av1_frame *f)
{
	return f->frame_type == V4L2_AV1_KEY_FRAME ||
	       f->frame_type == V4L2_AV1_INTRA_ONLY_FRAME;
}

/* refresh_frame_flags as the decoder applies them (5.9.2). */
static unsigned int refresh_flags(const struct v4l2_ctrl_av1_frame *f)
{
	if (f->frame_type == V4L2_AV1_SWITCH_FRAME ||
	    (f->frame_type == V4L2_AV1_KEY_FRAME &&
	     (f->flags & V4L2_AV1_FRAME_FLAG_SHOW_FRAME)))
		return 0xff;
	return f->refresh_frame_flags;
}

void dd_av1_slots_update(struct dd_av1_slots *s,
			 const struct daedalus_av1_params *p, uint64_t timestamp)
{
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	unsigned int refresh = refresh_flags(f);
	unsigned int i, r;

	for (i = 0; i < DD_AV1_NUM_REF_FRAMES; i++) {
		if (!(refresh & (1u << i)))
			continue;
		s->valid[i] = 1;
		s->key_frame[i] = f->frame_type == V4L2_AV1_KEY_FRAME;
		s->order_hint[i] = f->order_hint;
		s->timestamp[i] = timestamp;
		for (r = 0; r < DD_AV1_NUM_REF_FRAMES; r++)
			memcpy(s->gm_params[i][r],
			       frame_is_intra(f) ? gm_identity :
			       f->global_motion.params[r], sizeof(gm_identity));
	}
}

void dd_av1_slots_show_key_frame(struct dd_av1_slots *s, unsigned int slot)
{
	for (unsigned int i = 0; i < DD_AV1_NUM_REF_FRAMES; i++) {
		if (i == slot)
			continue;
		s->valid[i] = s->valid[slot];
		s->key_frame[i] = s->key_frame[slot];
		s->order_hint[i] = s->order_hint[slot];
		s->timestamp[i] = s->timestamp[slot];
		memcpy(s->gm_params[i], s->gm_params[slot], sizeof(s->gm_params[i]));
	}
}

/* ------------------------------------------------------------------ */
/* AV1's codes on top of the bit writer (4.10)                          */

static unsigned int floor_log2(uint32_t x)
{
	unsigned int n = 0;

	while (x >>= 1)
		n++;
	return n;
}

/* su(1 + bits): two's complement in 1 + bits bits. */
static void put_su(struct dd_bitwriter *bw, unsigned int n, int32_t v)
{
	dd_bw_bits(bw, n, (uint32_t)v & ((1u << n) - 1));
}

/* ns(n): v < n in a quasi-uniform code. */
static void put_ns(struct dd_bitwriter *bw, uint32_t n, uint32_t v)
{
	unsigned int w = floor_log2(n) + 1;
	uint32_t m = (1u << w) - n;

	if (v < m) {
		dd_bw_bits(bw, w - 1, v);
		return;
	}
	dd_bw_bits(bw, w - 1, (v + m) >> 1);
	dd_bw_bits(bw, 1, (v + m) & 1);
}

/* The inverse of decode_subexp() (5.9.26). */
static void put_subexp(struct dd_bitwriter *bw, uint32_t num_syms, uint32_t v)
{
	unsigned int i = 0, b2;
	uint32_t mk = 0, a;

	for (;;) {
		b2 = i ? 3 + i - 1 : 3;
		a = 1u << b2;
		if (num_syms <= mk + 3 * a) {
			put_ns(bw, num_syms - mk, v - mk);
			return;
		}
		dd_bw_flag(bw, v >= mk + a);
		if (v < mk + a) {
			dd_bw_bits(bw, b2, v - mk);
			return;
		}
		i++;
		mk += a;
	}
}

/* The v for which inverse_recenter(r, v) is x. */
static uint32_t recenter(uint32_t r, uint32_t x)
{
	if (x > 2 * r)
		return x;
	if (x >= r)
		return (x - r) << 1;
	return ((r - x) << 1) - 1;
}

/* The inverse of decode_signed_subexp_with_ref(low, high, r). */
static void put_signed_subexp_with_ref(struct dd_bitwriter *bw, int32_t low,
				       int32_t high, int32_t r, int32_t x)
{
	uint32_t mx = (uint32_t)(high - low), ur = (uint32_t)(r - low);
	uint32_t ux = (uint32_t)(x - low);

	if ((ur << 1) <= mx)
		put_subexp(bw, mx, recenter(ur, ux));
	else
		put_subexp(bw, mx, recenter(mx - 1 - ur, mx - 1 - ux));
}

static size_t put_leb128(uint8_t *out, uint32_t v)
{
	size_t n = 0;

	do {
		out[n] = v & 0x7f;
		v >>= 7;
		if (v)
			out[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/* An OBU of @type with @payload_size bytes: its header and size. */
static size_t put_obu_header(uint8_t *out, int type, size_t payload_size)
{
	out[0] = (uint8_t)(type << 3 | 0x02);	/* obu_has_size_field */
	return 1 + put_leb128(out + 1, (uint32_t)payload_size);
}

/* Wraps the @bw bits as one OBU at @out; 0 if it does not fit @cap. */
static size_t put_obu(uint8_t *out, size_t cap, int type,
		      const struct dd_bitwriter *bw)
{
	size_t len = dd_bw_bytes(bw), n;

	if (!len || cap < OBU_OVERHEAD + len)
		return 0;
	n = put_obu_header(out, type, len);
	memcpy(out + n, bw->buf, len);
	return n + len;
}

/* ------------------------------------------------------------------ */
/* Sequence header (5.5)                                                */

size_t dd_av1_write_sequence_header(const struct v4l2_ctrl_av1_sequence *seq,
				    uint8_t *out, size_t cap)
{
	uint32_t fl = seq->flags;
	unsigned int wbits = floor_log2(seq->max_frame_width_minus_1) + 1;
	unsigned int hbits = floor_log2(seq->max_frame_height_minus_1) + 1;
	uint8_t buf[64];
	struct dd_bitwriter bw;

	/* Profile 0 only: 4:2:0 or monochrome, 8 or 10 bits. */
	if (seq->seq_profile || (seq->bit_depth != 8 && seq->bit_depth != 10) ||
	    ((fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT) &&
	     (seq->order_hint_bits < 1 || seq->order_hint_bits > 8)))
		return 0;
	dd_bw_init(&bw, buf, sizeof(buf));
	dd_bw_bits(&bw, 3, seq->seq_profile);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_STILL_PICTURE);
	dd_bw_flag(&bw, 0);		/* reduced_still_picture_header */
	dd_bw_flag(&bw, 0);		/* timing_info_present_flag */
	dd_bw_flag(&bw, 0);		/* initial_display_delay_present_flag */
	dd_bw_bits(&bw, 5, 0);		/* operating_points_cnt_minus_1 */
	dd_bw_bits(&bw, 12, 0);		/* operating_point_idc[0] */
	dd_bw_bits(&bw, 5, 31);		/* seq_level_idx[0]: no level limits */
	dd_bw_flag(&bw, 0);		/* seq_tier[0] */
	dd_bw_bits(&bw, 4, wbits - 1);
	dd_bw_bits(&bw, 4, hbits - 1);
	dd_bw_bits(&bw, wbits, seq->max_frame_width_minus_1);
	dd_bw_bits(&bw, hbits, seq->max_frame_height_minus_1);
	dd_bw_flag(&bw, 0);		/* frame_id_numbers_present_flag */
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_FILTER_INTRA);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTRA_EDGE_FILTER);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTERINTRA_COMPOUND);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_MASKED_COMPOUND);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_DUAL_FILTER);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT);
	if (fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT) {
		dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP);
		dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS);
	}
	dd_bw_flag(&bw, 1);	/* seq_choose_screen_content_tools: per frame */
	dd_bw_flag(&bw, 1);	/* seq_choose_integer_mv: per frame */
	if (fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT)
		dd_bw_bits(&bw, 3, seq->order_hint_bits - 1u);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF);
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION);
	/* color_config() */
	dd_bw_flag(&bw, seq->bit_depth > 8);	/* high_bitdepth */
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME);
	dd_bw_flag(&bw, 0);	/* color_description_present_flag */
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE);
	if (!(fl & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME)) {
		dd_bw_bits(&bw, 2, 0);	/* chroma_sample_position: unknown */
		dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q);
	}
	dd_bw_flag(&bw, fl & V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT);
	dd_bw_trailing(&bw);
	return put_obu(out, cap, OBU_SEQUENCE_HEADER, &bw);
}

/* ------------------------------------------------------------------ */
/* Frame header (5.9)                                                   */

size_t dd_av1_write_show_existing(unsigned int slot, uint8_t *out, size_t cap)
{
	uint8_t buf[2];
	struct dd_bitwriter bw;

	dd_bw_init(&bw, buf, sizeof(buf));
	dd_bw_flag(&bw, 1);	/* show_existing_frame */
	dd_bw_bits(&bw, 3, slot);
	dd_bw_trailing(&bw);
	return put_obu(out, cap, OBU_FRAME_HEADER, &bw);
}

/* What the header syntax derives from the controls as it goes. */
struct frame_ctx {
	const struct v4l2_ctrl_av1_sequence *seq;
	const struct v4l2_ctrl_av1_frame *f;
	const struct dd_av1_slots *s;
	int intra, mono, order_hint_bits;
	int separate_uv_delta_q;	/* as the sequence header codes it */
	unsigned int primary_ref_frame;		/* PRIMARY_REF_NONE where implied */
	uint32_t upscaled_width, frame_width, frame_height;
	uint32_t mi_cols, mi_rows;
	int coded_lossless, all_lossless, allow_intrabc;
	unsigned int tile_cols, tile_rows;
	const char *why;
};

#define FAIL(c, msg) do { (c)->why = (msg); return -1; } while (0)

static int tile_log2(uint32_t blk, uint32_t target)
{
	int k = 0;

	while ((blk << k) < target)
		k++;
	return k;
}

/* Sizes in units of superblocks of tiles of 1 << log2 superblocks. */
static unsigned int uniform_count(uint32_t sbs, int log2)
{
	uint32_t size = (sbs + (1u << log2) - 1) >> log2;

	return (sbs + size - 1) / size;
}

/*
 * Writes one dimension of a uniform tiling: the log2 whose tile count is
 * @want, as increments from @min_log2.  Returns the log2, or -1.
 */
static int put_uniform(struct dd_bitwriter *bw, uint32_t sbs, int min_log2,
		       int max_log2, unsigned int want)
{
	int log2;

	for (log2 = min_log2; log2 <= max_log2; log2++)
		if (uniform_count(sbs, log2) == want)
			break;
	if (log2 > max_log2)
		return -1;
	for (int l = min_log2; l < max_log2; l++) {
		dd_bw_flag(bw, l < log2);	/* increment_tile_*_log2 */
		if (l == log2)
			break;
	}
	return log2;
}

/* Writes explicit tile sizes; returns the widest tile, or 0. */
static uint32_t put_sizes(struct dd_bitwriter *bw, const uint32_t *minus_1,
			  unsigned int n, uint32_t sbs, uint32_t max_size)
{
	uint32_t start = 0, widest = 0;
	unsigned int i;

	for (i = 0; i < n && start < sbs; i++) {
		uint32_t max = sbs - start < max_size ? sbs - start : max_size;

		if (minus_1[i] >= max)
			return 0;
		put_ns(bw, max, minus_1[i]);
		start += minus_1[i] + 1;
		if (minus_1[i] + 1 > widest)
			widest = minus_1[i] + 1;
	}
	return i == n && start == sbs ? widest : 0;
}

/* tile_info() (5.9.15) */
static int put_tile_info(struct dd_bitwriter *bw, struct frame_ctx *c)
{
	const struct v4l2_av1_tile_info *t = &c->f->tile_info;
	int sb128 = !!(c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK);
	int sb_shift = sb128 ? 5 : 4, sb_size = sb_shift + 2;
	uint32_t sb_cols = (c->mi_cols + (1u << sb_shift) - 1) >> sb_shift;
	uint32_t sb_rows = (c->mi_rows + (1u << sb_shift) - 1) >> sb_shift;
	uint32_t max_tile_width_sb = MAX_TILE_WIDTH >> sb_size;
	uint32_t max_tile_area_sb = MAX_TILE_AREA >> (2 * sb_size);
	int min_log2_cols = tile_log2(max_tile_width_sb, sb_cols);
	int max_log2_cols = tile_log2(1, sb_cols < MAX_TILE_COLS ? sb_cols : MAX_TILE_COLS);
	int max_log2_rows = tile_log2(1, sb_rows < MAX_TILE_ROWS ? sb_rows : MAX_TILE_ROWS);
	int min_log2_tiles = tile_log2(max_tile_area_sb, sb_rows * sb_cols);
	int cols_log2, rows_log2;

	if (min_log2_cols > min_log2_tiles)
		min_log2_tiles = min_log2_cols;
	if (!t->tile_cols || !t->tile_rows || t->tile_cols > MAX_TILE_COLS ||
	    t->tile_rows > MAX_TILE_ROWS)
		FAIL(c, "av1: tile_cols or tile_rows out of range");
	dd_bw_flag(bw, t->flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING);
	if (t->flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING) {
		int min_log2_rows;

		cols_log2 = put_uniform(bw, sb_cols, min_log2_cols, max_log2_cols,
					t->tile_cols);
		if (cols_log2 < 0)
			FAIL(c, "av1: no uniform tiling has tile_cols columns");
		min_log2_rows = min_log2_tiles - cols_log2 > 0 ?
				min_log2_tiles - cols_log2 : 0;
		rows_log2 = put_uniform(bw, sb_rows, min_log2_rows, max_log2_rows,
					t->tile_rows);
		if (rows_log2 < 0)
			FAIL(c, "av1: no uniform tiling has tile_rows rows");
	} else {
		uint32_t widest, max_height;

		widest = put_sizes(bw, t->width_in_sbs_minus_1, t->tile_cols,
				   sb_cols, max_tile_width_sb);
		if (!widest)
			FAIL(c, "av1: tile widths do not tile the frame");
		cols_log2 = tile_log2(1, t->tile_cols);
		max_tile_area_sb = min_log2_tiles > 0 ?
				   (sb_rows * sb_cols) >> (min_log2_tiles + 1) :
				   sb_rows * sb_cols;
		max_height = max_tile_area_sb / widest;
		if (!put_sizes(bw, t->height_in_sbs_minus_1, t->tile_rows, sb_rows,
			       max_height ? max_height : 1))
			FAIL(c, "av1: tile heights do not tile the frame");
		rows_log2 = tile_log2(1, t->tile_rows);
	}
	c->tile_cols = t->tile_cols;
	c->tile_rows = t->tile_rows;
	if (cols_log2 || rows_log2) {
		if (t->context_update_tile_id >= t->tile_cols * t->tile_rows)
			FAIL(c, "av1: context_update_tile_id is not a tile");
		dd_bw_bits(bw, (unsigned int)(cols_log2 + rows_log2),
			   t->context_update_tile_id);
		dd_bw_bits(bw, 2, TILE_SIZE_BYTES - 1);
	}
	return 0;
}

static void put_delta_q(struct dd_bitwriter *bw, int8_t v)
{
	dd_bw_flag(bw, v != 0);
	if (v)
		put_su(bw, 7, v);
}

/* quantization_params() (5.9.12) */
static void put_quantization(struct dd_bitwriter *bw, const struct frame_ctx *c)
{
	const struct v4l2_av1_quantization *q = &c->f->quantization;
	int separate = c->separate_uv_delta_q;
	int diff_uv = separate && (q->flags & V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA);

	dd_bw_bits(bw, 8, q->base_q_idx);
	put_delta_q(bw, q->delta_q_y_dc);
	if (!c->mono) {
		if (separate)
			dd_bw_flag(bw, diff_uv);
		put_delta_q(bw, q->delta_q_u_dc);
		put_delta_q(bw, q->delta_q_u_ac);
		if (diff_uv) {
			put_delta_q(bw, q->delta_q_v_dc);
			put_delta_q(bw, q->delta_q_v_ac);
		}
	}
	dd_bw_flag(bw, q->flags & V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX);
	if (q->flags & V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX) {
		dd_bw_bits(bw, 4, q->qm_y);
		dd_bw_bits(bw, 4, q->qm_u);
		if (separate)
			dd_bw_bits(bw, 4, q->qm_v);
	}
}

static const uint8_t seg_bits[V4L2_AV1_SEG_LVL_MAX] = { 8, 6, 6, 6, 6, 3, 0, 0 };
static const int16_t seg_max[V4L2_AV1_SEG_LVL_MAX] = { 255, 63, 63, 63, 63, 7, 0, 0 };

/* segmentation_params() (5.9.14) */
static int put_segmentation(struct dd_bitwriter *bw, struct frame_ctx *c)
{
	const struct v4l2_av1_segmentation *sg = &c->f->segmentation;
	int update_data = 1;

	dd_bw_flag(bw, sg->flags & V4L2_AV1_SEGMENTATION_FLAG_ENABLED);
	if (!(sg->flags & V4L2_AV1_SEGMENTATION_FLAG_ENABLED))
		return 0;
	if (c->primary_ref_frame != DD_AV1_PRIMARY_REF_NONE) {
		int map = !!(sg->flags & V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP);

		dd_bw_flag(bw, map);
		if (map)
			dd_bw_flag(bw, sg->flags & V4L2_AV1_SEGMENTATION_FLAG_TEMPORAL_UPDATE);
		update_data = !!(sg->flags & V4L2_AV1_SEGMENTATION_FLAG_UPDATE_DATA);
		dd_bw_flag(bw, update_data);
	}
	if (!update_data)
		return 0;	/* the decoder loads them from primary_ref_frame */
	for (int i = 0; i < V4L2_AV1_MAX_SEGMENTS; i++) {
		for (int j = 0; j < V4L2_AV1_SEG_LVL_MAX; j++) {
			int on = !!(sg->feature_enabled[i] & V4L2_AV1_SEGMENT_FEATURE_ENABLED(j));
			int16_t v = sg->feature_data[i][j];

			dd_bw_flag(bw, on);
			if (!on)
				continue;
			if (j < V4L2_AV1_SEG_LVL_REF_FRAME) {
				if (v < -seg_max[j] || v > seg_max[j])
					FAIL(c, "av1: segmentation feature value out of range");
				put_su(bw, 1u + seg_bits[j], v);
			} else {
				if (v < 0 || v > seg_max[j])
					FAIL(c, "av1: segmentation feature value out of range");
				dd_bw_bits(bw, seg_bits[j], (uint32_t)v);
			}
		}
	}
	return 0;
}

/* CodedLossless and AllLossless (5.9.2, after delta_lf_params()). */
static void compute_lossless(struct frame_ctx *c)
{
	const struct v4l2_av1_quantization *q = &c->f->quantization;
	const struct v4l2_av1_segmentation *sg = &c->f->segmentation;
	int seg_on = !!(sg->flags & V4L2_AV1_SEGMENTATION_FLAG_ENABLED);
	/* The chroma deltas as coded: none for 4:0:0, V = U unless diff_uv_delta. */
	int diff_uv = c->separate_uv_delta_q &&
		      (q->flags & V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA);
	int chroma = !c->mono && (q->delta_q_u_dc || q->delta_q_u_ac ||
				  (diff_uv && (q->delta_q_v_dc || q->delta_q_v_ac)));
	int i;

	c->coded_lossless = !q->delta_q_y_dc && !chroma;
	for (i = 0; i < V4L2_AV1_MAX_SEGMENTS && c->coded_lossless; i++) {
		int qindex = q->base_q_idx;

		if (seg_on && (sg->feature_enabled[i] &
			       V4L2_AV1_SEGMENT_FEATURE_ENABLED(V4L2_AV1_SEG_LVL_ALT_Q)))
			qindex += sg->feature_data[i][V4L2_AV1_SEG_LVL_ALT_Q];
		if (qindex > 0)
			c->coded_lossless = 0;
	}
	c->all_lossless = c->coded_lossless && c->frame_width == c->upscaled_width;
}

/* delta_q_params() and delta_lf_params() (5.9.17, 5.9.18) */
static void put_deltas(struct dd_bitwriter *bw, const struct frame_ctx *c)
{
	const struct v4l2_av1_quantization *q = &c->f->quantization;
	const struct v4l2_av1_loop_filter *lf = &c->f->loop_filter;
	int dq = q->base_q_idx > 0 &&
		 (q->flags & V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT);
	int dlf = !!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT);

	if (q->base_q_idx > 0)
		dd_bw_flag(bw, dq);
	if (!dq)
		return;
	dd_bw_bits(bw, 2, q->delta_q_res);
	if (c->allow_intrabc)
		return;
	dd_bw_flag(bw, dlf);
	if (dlf) {
		dd_bw_bits(bw, 2, lf->delta_lf_res);
		dd_bw_flag(bw, lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI);
	}
}

/* loop_filter_params() (5.9.11) */
static void put_loop_filter(struct dd_bitwriter *bw, const struct frame_ctx *c)
{
	const struct v4l2_av1_loop_filter *lf = &c->f->loop_filter;
	int i;

	if (c->coded_lossless || c->allow_intrabc)
		return;
	dd_bw_bits(bw, 6, lf->level[0]);
	dd_bw_bits(bw, 6, lf->level[1]);
	if (!c->mono && (lf->level[0] || lf->level[1])) {
		dd_bw_bits(bw, 6, lf->level[2]);
		dd_bw_bits(bw, 6, lf->level[3]);
	}
	dd_bw_bits(bw, 3, lf->sharpness);
	dd_bw_flag(bw, lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED);
	if (!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED))
		return;
	dd_bw_flag(bw, lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE);
	if (!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE))
		return;	/* the decoder keeps what it loaded */
	for (i = 0; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++) {
		dd_bw_flag(bw, 1);	/* update_ref_delta */
		put_su(bw, 7, lf->ref_deltas[i]);
	}
	for (i = 0; i < 2; i++) {
		dd_bw_flag(bw, 1);	/* update_mode_delta */
		put_su(bw, 7, lf->mode_deltas[i]);
	}
}

/* cdef_params() (5.9.19) */
static void put_cdef(struct dd_bitwriter *bw, const struct frame_ctx *c)
{
	const struct v4l2_av1_cdef *cd = &c->f->cdef;
	unsigned int i;

	if (c->coded_lossless || c->allow_intrabc ||
	    !(c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF))
		return;
	dd_bw_bits(bw, 2, cd->damping_minus_3);
	dd_bw_bits(bw, 2, cd->bits);
	for (i = 0; i < (1u << (cd->bits & 3)); i++) {
		/* A secondary strength of 4 is coded as 3. */
		dd_bw_bits(bw, 4, cd->y_pri_strength[i]);
		dd_bw_bits(bw, 2, cd->y_sec_strength[i] == 4 ? 3 : cd->y_sec_strength[i]);
		if (!c->mono) {
			dd_bw_bits(bw, 4, cd->uv_pri_strength[i]);
			dd_bw_bits(bw, 2, cd->uv_sec_strength[i] == 4 ? 3 :
				   cd->uv_sec_strength[i]);
		}
	}
}

/* lr_params() (5.9.20) */
static int put_loop_restoration(struct dd_bitwriter *bw, struct frame_ctx *c)
{
	/* lr_type for FrameRestorationType NONE, WIENER, SGRPROJ, SWITCHABLE */
	static const uint8_t lr_type[4] = { 0, 2, 3, 1 };
	const struct v4l2_av1_loop_restoration *lr = &c->f->loop_restoration;
	int sb128 = !!(c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK);
	int planes = c->mono ? 1 : 3, uses_lr = 0, uses_chroma = 0, i;
	int shift;

	if (c->all_lossless || c->allow_intrabc ||
	    !(c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION))
		return 0;
	for (i = 0; i < planes; i++) {
		if (lr->frame_restoration_type[i] > V4L2_AV1_FRAME_RESTORE_SWITCHABLE)
			FAIL(c, "av1: bad frame_restoration_type");
		dd_bw_bits(bw, 2, lr_type[lr->frame_restoration_type[i]]);
		if (lr->frame_restoration_type[i] != V4L2_AV1_FRAME_RESTORE_NONE) {
			uses_lr = 1;
			uses_chroma |= i > 0;
		}
	}
	if (!uses_lr)
		return 0;
	/* The unit sizes say it: 64 << lr_unit_shift, halved by lr_uv_shift. */
	switch (lr->loop_restoration_size[0]) {
	case 64: shift = 0; break;
	case 128: shift = 1; break;
	case 256: shift = 2; break;
	default: FAIL(c, "av1: bad loop_restoration_size");
	}
	if (sb128) {
		if (!shift)
			FAIL(c, "av1: loop restoration units below 128 with 128x128 superblocks");
		dd_bw_flag(bw, shift - 1);
	} else {
		dd_bw_flag(bw, shift > 0);
		if (shift)
			dd_bw_flag(bw, shift - 1);
	}
	if (uses_chroma) {
		uint32_t uv = lr->loop_restoration_size[1];

		if (uv != lr->loop_restoration_size[0] &&
		    uv != lr->loop_restoration_size[0] >> 1)
			FAIL(c, "av1: bad chroma loop_restoration_size");
		dd_bw_flag(bw, uv != lr->loop_restoration_size[0]);
	}
	return 0;
}

static int32_t rel_dist(const struct frame_ctx *c, uint32_t a, uint32_t b)
{
	int bits = c->order_hint_bits;
	int32_t diff, m;

	if (!bits)
		return 0;
	diff = (int32_t)a - (int32_t)b;
	m = 1 << (bits - 1);
	return (diff & (m - 1)) - (diff & m);
}

/* skipModeAllowed (5.9.22), from the order hints the decoder holds. */
static int skip_mode_allowed(const struct frame_ctx *c)
{
	const struct v4l2_ctrl_av1_frame *f = c->f;
	int fwd = -1, bwd = -1, fwd2 = -1;
	uint32_t fwd_hint = 0, bwd_hint = 0, fwd2_hint = 0;
	int i;

	if (c->intra || !(f->flags & V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT) ||
	    !c->order_hint_bits)
		return 0;
	for (i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++) {
		uint32_t h = c->s->order_hint[f->ref_frame_idx[i]];

		if (rel_dist(c, h, f->order_hint) < 0) {
			if (fwd < 0 || rel_dist(c, h, fwd_hint) > 0) {
				fwd = i;
				fwd_hint = h;
			}
		} else if (rel_dist(c, h, f->order_hint) > 0) {
			if (bwd < 0 || rel_dist(c, h, bwd_hint) < 0) {
				bwd = i;
				bwd_hint = h;
			}
		}
	}
	if (fwd < 0)
		return 0;
	if (bwd >= 0)
		return 1;
	for (i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++) {
		uint32_t h = c->s->order_hint[f->ref_frame_idx[i]];

		if (rel_dist(c, h, fwd_hint) < 0 &&
		    (fwd2 < 0 || rel_dist(c, h, fwd2_hint) > 0)) {
			fwd2 = i;
			fwd2_hint = h;
		}
	}
	return fwd2 >= 0;
}

/* global_motion_params() (5.9.24, 5.9.25) */
static int put_global_motion(struct dd_bitwriter *bw, struct frame_ctx *c)
{
	const struct v4l2_ctrl_av1_frame *f = c->f;
	const struct v4l2_av1_global_motion *gm = &f->global_motion;
	int hp = !!(f->flags & V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV);

	for (int ref = V4L2_AV1_REF_LAST_FRAME; ref <= V4L2_AV1_REF_ALTREF_FRAME; ref++) {
		enum v4l2_av1_warp_model type = gm->type[ref];
		const int32_t *prev = gm_identity;
		static const uint8_t order[6] = { 2, 3, 4, 5, 0, 1 };

		if (c->primary_ref_frame != DD_AV1_PRIMARY_REF_NONE)
			prev = c->s->gm_params[f->ref_frame_idx[c->primary_ref_frame]][ref];
		if (type > V4L2_AV1_WARP_MODEL_AFFINE)
			FAIL(c, "av1: bad global motion type");
		dd_bw_flag(bw, type != V4L2_AV1_WARP_MODEL_IDENTITY);
		if (type != V4L2_AV1_WARP_MODEL_IDENTITY) {
			dd_bw_flag(bw, type == V4L2_AV1_WARP_MODEL_ROTZOOM);
			if (type != V4L2_AV1_WARP_MODEL_ROTZOOM)
				dd_bw_flag(bw, type == V4L2_AV1_WARP_MODEL_TRANSLATION);
		}
		for (int k = 0; k < 6; k++) {
			int idx = order[k];
			int abs_bits = 12, prec_bits = 15, prec_diff, mx;
			int32_t round, sub, r, v, rem;

			if (idx >= 2 && type < V4L2_AV1_WARP_MODEL_ROTZOOM)
				continue;
			if (idx >= 4 && type != V4L2_AV1_WARP_MODEL_AFFINE)
				continue;	/* derived from params 2 and 3 */
			if (idx < 2 && type < V4L2_AV1_WARP_MODEL_TRANSLATION)
				continue;
			if (idx < 2 && type == V4L2_AV1_WARP_MODEL_TRANSLATION) {
				abs_bits = 9 - !hp;
				prec_bits = 3 - !hp;
			} else if (idx < 2) {
				prec_bits = 6;
			}
			prec_diff = WARPEDMODEL_PREC_BITS - prec_bits;
			round = idx % 3 == 2 ? 1 << WARPEDMODEL_PREC_BITS : 0;
			sub = idx % 3 == 2 ? 1 << prec_bits : 0;
			mx = 1 << abs_bits;
			r = (prev[idx] >> prec_diff) - sub;
			rem = gm->params[ref][idx] - round;
			v = rem / (1 << prec_diff);
			if (v * (1 << prec_diff) != rem || v < -mx || v > mx ||
			    r < -mx || r > mx)
				FAIL(c, "av1: global motion parameter not codable");
			put_signed_subexp_with_ref(bw, -mx, mx + 1, r, v);
		}
	}
	return 0;
}

static void put_points(struct dd_bitwriter *bw, uint8_t n, const uint8_t *value,
		       const uint8_t *scaling)
{
	dd_bw_bits(bw, 4, n);
	for (unsigned int i = 0; i < n; i++) {
		dd_bw_bits(bw, 8, value[i]);
		dd_bw_bits(bw, 8, scaling[i]);
	}
}

/* film_grain_params() (5.9.30) */
static int put_film_grain(struct dd_bitwriter *bw, struct frame_ctx *c,
			  const struct v4l2_ctrl_av1_film_grain *fg)
{
	uint32_t fl = c->f->flags;
	int csfl = !c->mono && (fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_CHROMA_SCALING_FROM_LUMA);
	/* 4:2:0 without luma points has no chroma points either. */
	int chroma = !c->mono && !csfl && fg->num_y_points;
	unsigned int ncb = chroma ? fg->num_cb_points : 0;
	unsigned int ncr = chroma ? fg->num_cr_points : 0;
	int num_pos_luma, num_pos_chroma, i;

	if (!(c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT) ||
	    !(fl & (V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME)))
		return 0;
	dd_bw_flag(bw, fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN);
	if (!(fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN))
		return 0;
	dd_bw_bits(bw, 16, fg->grain_seed);
	if (c->f->frame_type == V4L2_AV1_INTER_FRAME) {
		int update = !!(fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN);

		dd_bw_flag(bw, update);
		if (!update) {
			/* The decoder loads the rest from that reference. */
			if (fg->film_grain_params_ref_idx >= DD_AV1_NUM_REF_FRAMES)
				FAIL(c, "av1: film_grain_params_ref_idx out of range");
			dd_bw_bits(bw, 3, fg->film_grain_params_ref_idx);
			return 0;
		}
	}
	if (fg->num_y_points > 14 || ncb > 10 || ncr > 10)
		FAIL(c, "av1: too many film grain points");
	if (!ncb != !ncr && !c->mono && !csfl && fg->num_y_points)
		FAIL(c, "av1: film grain points for one chroma plane of 4:2:0");
	put_points(bw, fg->num_y_points, fg->point_y_value, fg->point_y_scaling);
	if (!c->mono)
		dd_bw_flag(bw, csfl);
	if (chroma) {
		put_points(bw, ncb, fg->point_cb_value, fg->point_cb_scaling);
		put_points(bw, ncr, fg->point_cr_value, fg->point_cr_scaling);
	}
	dd_bw_bits(bw, 2, fg->grain_scaling_minus_8);
	dd_bw_bits(bw, 2, fg->ar_coeff_lag);
	num_pos_luma = 2 * (fg->ar_coeff_lag & 3) * ((fg->ar_coeff_lag & 3) + 1);
	num_pos_chroma = num_pos_luma + !!fg->num_y_points;
	if (fg->num_y_points)
		for (i = 0; i < num_pos_luma; i++)
			dd_bw_bits(bw, 8, fg->ar_coeffs_y_plus_128[i]);
	if (csfl || ncb)
		for (i = 0; i < num_pos_chroma; i++)
			dd_bw_bits(bw, 8, fg->ar_coeffs_cb_plus_128[i]);
	if (csfl || ncr)
		for (i = 0; i < num_pos_chroma; i++)
			dd_bw_bits(bw, 8, fg->ar_coeffs_cr_plus_128[i]);
	dd_bw_bits(bw, 2, fg->ar_coeff_shift_minus_6);
	dd_bw_bits(bw, 2, fg->grain_scale_shift);
	if (ncb) {
		dd_bw_bits(bw, 8, fg->cb_mult);
		dd_bw_bits(bw, 8, fg->cb_luma_mult);
		dd_bw_bits(bw, 9, fg->cb_offset);
	}
	if (ncr) {
		dd_bw_bits(bw, 8, fg->cr_mult);
		dd_bw_bits(bw, 8, fg->cr_luma_mult);
		dd_bw_bits(bw, 9, fg->cr_offset);
	}
	dd_bw_flag(bw, fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP);
	dd_bw_flag(bw, fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE);
	return 0;
}

/* frame_size(), render_size() and superres_params() (5.9.5-5.9.8) */
static void put_frame_size(struct dd_bitwriter *bw, const struct frame_ctx *c)
{
	const struct v4l2_ctrl_av1_frame *f = c->f;
	unsigned int wbits = floor_log2(c->seq->max_frame_width_minus_1) + 1;
	unsigned int hbits = floor_log2(c->seq->max_frame_height_minus_1) + 1;
	int render = f->render_width_minus_1 + 1u != c->upscaled_width ||
		     f->render_height_minus_1 + 1u != c->frame_height;

	/* frame_size_override_flag is always set: the size is explicit. */
	dd_bw_bits(bw, wbits, c->upscaled_width - 1);
	dd_bw_bits(bw, hbits, c->frame_height - 1);
	if (c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES) {
		dd_bw_flag(bw, f->flags & V4L2_AV1_FRAME_FLAG_USE_SUPERRES);
		if (f->flags & V4L2_AV1_FRAME_FLAG_USE_SUPERRES)
			dd_bw_bits(bw, 3, f->superres_denom - 9u);
	}
	dd_bw_flag(bw, render);
	if (render) {
		dd_bw_bits(bw, 16, f->render_width_minus_1);
		dd_bw_bits(bw, 16, f->render_height_minus_1);
	}
}

/* The sizes the header derives, checked against the sequence. */
static int frame_geometry(struct frame_ctx *c)
{
	const struct v4l2_ctrl_av1_frame *f = c->f;
	uint32_t denom = 8, down, min;

	if (f->frame_width_minus_1 > 0xffff || f->frame_height_minus_1 > 0xffff ||
	    f->upscaled_width > 0x10000)
		FAIL(c, "av1: frame size beyond 16 bits");
	c->frame_width = f->frame_width_minus_1 + 1;
	c->frame_height = f->frame_height_minus_1 + 1;
	c->upscaled_width = c->frame_width;
	if (f->flags & V4L2_AV1_FRAME_FLAG_USE_SUPERRES) {
		if (!(c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES))
			FAIL(c, "av1: superres in a sequence without it");
		denom = f->superres_denom;
		if (denom < 9 || denom > 16)
			FAIL(c, "av1: superres_denom out of range");
		c->upscaled_width = f->upscaled_width;
		/* never below min(16, UpscaledWidth), as dav1d and libaom compute it */
		down = (c->upscaled_width * 8 + denom / 2) / denom;
		min = c->upscaled_width < 16 ? c->upscaled_width : 16;
		if ((down > min ? down : min) != c->frame_width)
			FAIL(c, "av1: frame width is not the upscaled width over superres_denom");
	}
	if (c->upscaled_width > c->seq->max_frame_width_minus_1 + 1u ||
	    c->frame_height > c->seq->max_frame_height_minus_1 + 1u)
		FAIL(c, "av1: frame larger than the sequence maximum");
	c->mi_cols = 2 * ((c->frame_width + 7) >> 3);
	c->mi_rows = 2 * ((c->frame_height + 7) >> 3);
	return 0;
}

/* uncompressed_header() (5.9.2), show_existing_frame = 0. */
static int put_frame_header(struct dd_bitwriter *bw, struct frame_ctx *c,
			    const struct v4l2_ctrl_av1_film_grain *fg)
{
	const struct v4l2_ctrl_av1_frame *f = c->f;
	uint32_t fl = f->flags;
	int show = !!(fl & V4L2_AV1_FRAME_FLAG_SHOW_FRAME);
	int error_resilient, sct, i;
	unsigned int refresh = refresh_flags(f);

	if (f->frame_type > V4L2_AV1_SWITCH_FRAME)
		FAIL(c, "av1: bad frame_type");
	if (frame_geometry(c))
		return -1;
	dd_bw_flag(bw, 0);	/* show_existing_frame */
	dd_bw_bits(bw, 2, f->frame_type);
	dd_bw_flag(bw, show);
	if (!show)
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME);
	if (f->frame_type == V4L2_AV1_SWITCH_FRAME ||
	    (f->frame_type == V4L2_AV1_KEY_FRAME && show))
		error_resilient = 1;
	else
		error_resilient = !!(fl & V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE);
	if (!(f->frame_type == V4L2_AV1_SWITCH_FRAME ||
	      (f->frame_type == V4L2_AV1_KEY_FRAME && show)))
		dd_bw_flag(bw, error_resilient);
	dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE);
	sct = !!(fl & V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS);
	dd_bw_flag(bw, sct);
	if (sct)
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV);
	if (f->frame_type != V4L2_AV1_SWITCH_FRAME)
		dd_bw_flag(bw, 1);	/* frame_size_override_flag */
	if (c->order_hint_bits)
		dd_bw_bits(bw, (unsigned int)c->order_hint_bits, f->order_hint);
	c->primary_ref_frame = DD_AV1_PRIMARY_REF_NONE;
	if (!c->intra && !error_resilient) {
		if (f->primary_ref_frame > DD_AV1_PRIMARY_REF_NONE)
			FAIL(c, "av1: primary_ref_frame out of range");
		c->primary_ref_frame = f->primary_ref_frame;
		dd_bw_bits(bw, 3, f->primary_ref_frame);
	}
	if (!(f->frame_type == V4L2_AV1_SWITCH_FRAME ||
	      (f->frame_type == V4L2_AV1_KEY_FRAME && show)))
		dd_bw_bits(bw, 8, refresh);
	if (f->frame_type == V4L2_AV1_INTRA_ONLY_FRAME && refresh == 0xff)
		FAIL(c, "av1: an intra-only frame refreshing every slot");
	if ((!c->intra || refresh != 0xff) && error_resilient && c->order_hint_bits)
		for (i = 0; i < DD_AV1_NUM_REF_FRAMES; i++)
			dd_bw_bits(bw, (unsigned int)c->order_hint_bits,
				   c->s->order_hint[i]);
	if (c->intra) {
		put_frame_size(bw, c);
		c->allow_intrabc = sct && c->upscaled_width == c->frame_width &&
				   (fl & V4L2_AV1_FRAME_FLAG_ALLOW_INTRABC);
		if (sct && c->upscaled_width == c->frame_width)
			dd_bw_flag(bw, c->allow_intrabc);
	} else {
		int force_integer_mv = sct && (fl & V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV);

		if (c->order_hint_bits)
			dd_bw_flag(bw, 0);	/* frame_refs_short_signaling */
		for (i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++) {
			if (f->ref_frame_idx[i] < 0 ||
			    f->ref_frame_idx[i] >= DD_AV1_NUM_REF_FRAMES)
				FAIL(c, "av1: ref_frame_idx out of range");
			dd_bw_bits(bw, 3, (uint32_t)f->ref_frame_idx[i]);
		}
		if (!error_resilient)
			dd_bw_bits(bw, V4L2_AV1_REFS_PER_FRAME, 0);	/* found_ref */
		put_frame_size(bw, c);
		if (!force_integer_mv)
			dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV);
		if (f->interpolation_filter > V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE)
			FAIL(c, "av1: bad interpolation_filter");
		dd_bw_flag(bw, f->interpolation_filter ==
			   V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE);
		if (f->interpolation_filter != V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE)
			dd_bw_bits(bw, 2, f->interpolation_filter);
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE);
		if (!error_resilient && c->order_hint_bits &&
		    (c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS))
			dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_USE_REF_FRAME_MVS);
	}
	if (!(fl & V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE))
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF);
	if (put_tile_info(bw, c))
		return -1;
	put_quantization(bw, c);
	if (put_segmentation(bw, c))
		return -1;
	put_deltas(bw, c);
	compute_lossless(c);
	put_loop_filter(bw, c);
	put_cdef(bw, c);
	if (put_loop_restoration(bw, c))
		return -1;
	if (!c->coded_lossless)
		dd_bw_flag(bw, f->tx_mode == V4L2_AV1_TX_MODE_SELECT);
	if (!c->intra)
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT);
	if (skip_mode_allowed(c))
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT);
	if (!c->intra && !error_resilient &&
	    (c->seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION))
		dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION);
	dd_bw_flag(bw, fl & V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET);
	if (!c->intra && put_global_motion(bw, c))
		return -1;
	if (put_film_grain(bw, c, fg))
		return -1;
	dd_bw_trailing(bw);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tile group (5.11.1)                                                  */

size_t dd_av1_frame_bound(const struct daedalus_av1_params *p)
{
	size_t n = 2 * OBU_OVERHEAD + HEADER_MAX + 1;
	uint32_t i, tiles = p->num_tiles < DAEDALUS_MAX_TILES ?
			    p->num_tiles : DAEDALUS_MAX_TILES;

	for (i = 0; i < tiles; i++)
		n += (size_t)p->tiles[i].tile_size + TILE_SIZE_BYTES;
	return n;
}

/*
 * Every tile once, inside the buffer: @order[tile number] is the entry.
 * Returns the payload bytes of the tile group, or 0.
 */
static size_t order_tiles(struct frame_ctx *c, const struct daedalus_av1_params *p,
			  size_t bs_size, uint16_t *order)
{
	unsigned int n = c->tile_cols * c->tile_rows, i;
	size_t payload = n > 1 ? 1 : 0;	/* tile_start_and_end_present_flag */

	if (p->num_tiles != n) {
		c->why = "av1: the tile entries do not cover the frame's tiles";
		return 0;
	}
	for (i = 0; i < n; i++)
		order[i] = UINT16_MAX;
	for (i = 0; i < n; i++) {
		const struct v4l2_ctrl_av1_tile_group_entry *t = &p->tiles[i];
		unsigned int num;

		if (t->tile_row >= c->tile_rows || t->tile_col >= c->tile_cols) {
			c->why = "av1: a tile entry outside the tiling";
			return 0;
		}
		if (!t->tile_size || t->tile_offset > bs_size ||
		    t->tile_size > bs_size - t->tile_offset) {
			c->why = "av1: a tile entry outside the OUTPUT buffer";
			return 0;
		}
		num = t->tile_row * c->tile_cols + t->tile_col;
		if (order[num] != UINT16_MAX) {
			c->why = "av1: two tile entries for one tile";
			return 0;
		}
		order[num] = (uint16_t)i;
		payload += t->tile_size + (i + 1 < n ? TILE_SIZE_BYTES : 0);
	}
	return payload;
}

size_t dd_av1_write_frame(const struct daedalus_av1_params *p,
			  const struct dd_av1_slots *s, const uint8_t *bs,
			  size_t bs_size, uint8_t *out, size_t cap,
			  const char **why)
{
	struct frame_ctx c = {
		.seq = &p->sequence,
		.f = &p->frame,
		.s = s,
		.intra = frame_is_intra(&p->frame),
		.mono = !!(p->sequence.flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME),
		.order_hint_bits = (p->sequence.flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT) ?
				   p->sequence.order_hint_bits : 0,
		/*
		 * Not coded for 4:0:0 (color_config() infers 0, and so does
		 * dd_av1_write_sequence_header()): the flag of a monochrome
		 * sequence must not make qm_v coded.
		 */
		.separate_uv_delta_q = !(p->sequence.flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME) &&
				       (p->sequence.flags & V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q),
	};
	uint8_t hdr[HEADER_MAX];
	uint16_t order[DAEDALUS_MAX_TILES];
	struct dd_bitwriter bw;
	size_t n, payload, i;

	*why = NULL;
	if (c.order_hint_bits > 8) {
		*why = "av1: order_hint_bits > 8";
		return 0;
	}
	if (p->num_tiles > DAEDALUS_MAX_TILES) {
		*why = "av1: more tile entries than V4L2_AV1_MAX_TILE_COUNT";
		return 0;
	}
	dd_bw_init(&bw, hdr, sizeof(hdr));
	if (put_frame_header(&bw, &c, &p->film_grain)) {
		*why = c.why;
		return 0;
	}
	payload = order_tiles(&c, p, bs_size, order);
	if (!payload && c.why) {
		*why = c.why;
		return 0;
	}
	n = put_obu(out, cap, OBU_FRAME_HEADER, &bw);
	if (!n || cap - n < OBU_OVERHEAD + payload) {
		*why = "av1: the rebuilt frame does not fit its buffer";
		return 0;
	}
	n += put_obu_header(out + n, OBU_TILE_GROUP, payload);
	if (c.tile_cols * c.tile_rows > 1)
		out[n++] = 0;	/* tile_start_and_end_present_flag, aligned */
	for (i = 0; i < c.tile_cols * c.tile_rows; i++) {
		const struct v4l2_ctrl_av1_tile_group_entry *t = &p->tiles[order[i]];

		if (i + 1 < c.tile_cols * c.tile_rows) {
			uint32_t sz = t->tile_size - 1;

			for (int b = 0; b < TILE_SIZE_BYTES; b++)
				out[n++] = (uint8_t)(sz >> (8 * b));
		}
		memcpy(out + n, bs + t->tile_offset, t->tile_size);
		n += t->tile_size;
	}
	return n;
}
