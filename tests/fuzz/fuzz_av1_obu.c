/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_av1_obu: the AV1 OBU rebuild (daemon/av1_obu.c) on arbitrary
 * controls, tile entries and bitstream bytes, up to FZ_AV1_FRAMES frames
 * per input with the reference slots carried over as the backend carries
 * them (dd_av1_slots_update() after each frame written).
 *
 * Input (fuzz_input.h): per frame the controls up to tiles[], the tile
 * entries, a bitstream length and the bitstream.  The bitstream sits in a
 * buffer of exactly its size and every output buffer is exactly the cap
 * the writer is given, so ASan sees any access outside them.  As in the
 * daemon, a frame is written only if dd_job_check() accepts its controls
 * (daemon_accepts()) and its sequence header was written.
 *
 * Invariants besides no crash:
 *   - the sequence header is written iff it is codable (profile 0, 8 or
 *     10 bits, order_hint_bits 1..8 when order hints are on), never more
 *     than the cap, and not at all into a buffer one byte short;
 *   - dd_av1_write_frame() returns 0 with *why set, or a length with *why
 *     NULL that is at most the cap and dd_av1_frame_bound(); a cap one
 *     byte short fails with a reason;
 *   - what is written parses as OBUs (header byte, leb128 size, sizes
 *     adding up to the length returned): a frame header OBU ending in
 *     trailing bits, then one tile group OBU whose payload is the tiles in
 *     raster order with 4-byte sizes (and the one-byte start/end flag when
 *     there are several), each tile's bytes those its entry names, inside
 *     the bitstream;
 *   - round trip, key frames only (they need no references): the frame
 *     rebuilt from the normalized controls (normalize()) plus its sequence
 *     header, decoded by dav1d (dd_dav1d_load(); frames above ROUND_TRIP_PIXELS
 *     are refused by dav1d and skipped), must pass
 *     dd_av1_header_mismatch(), and give back the coded fields that check
 *     leaves out (more_mismatch()).  Raw fuzzed controls may contradict
 *     themselves or not fit their syntax element: the writer then writes
 *     the low bits and dav1d reads back something else, which the backend
 *     answers FAILED through the same header check.  That is the
 *     designed behaviour, so only controls a conforming client could send
 *     are held to the round trip.
 *
 * DD_FUZZ_VERBOSE prints counts at exit; DD_FUZZ_DAV1D=0 skips the round
 * trip.
 */
#define FZ_TARGET "fuzz_av1_obu"	/* fuzz_check.h */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "av1_header_check.h"
#include "av1_obu.h"
#include "dav1d.h"
#include "fixture.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "job_check.h"
#include "log.h"

#define SEQ_CAP			64	/* the backend's room for a sequence header */
#define ROUND_TRIP_PIXELS	(512u * 512u)	/* dav1d decodes garbage tiles: keep it cheap */
#define TILE_SIZE_BYTES		4
#define OBU_SEQUENCE_HEADER	1
#define OBU_FRAME_HEADER	3
#define OBU_TILE_GROUP		4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct dd_dav1d *dav1d;
/* frames, frames written, key frames decoded by dav1d and compared */
static unsigned long n_frames, n_written, n_round_trips;

static void report(void)
{
	fprintf(stderr, "fuzz_av1_obu: %lu frames, %lu written, %lu key frames round-tripped through dav1d\n",
		n_frames, n_written, n_round_trips);
}

static void quiet(void *cookie, const char *fmt, va_list ap)
{
	(void)cookie;
	(void)fmt;
	(void)ap;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *d = getenv("DD_FUZZ_DAV1D");

	(void)argc;
	(void)argv;
	dd_log_set_level(DD_LOG_ERROR);
	if (!d || strcmp(d, "0")) {
		dav1d = dd_dav1d_load();
		if (!dav1d)
			fprintf(stderr, "fuzz_av1_obu: no dav1d (%s): no round trip\n",
				dd_dav1d_error());
	}
	if (getenv("DD_FUZZ_VERBOSE"))
		atexit(report);
	return 0;
}

/* ---- the OBUs written ---- */

struct obu {
	int type;
	const uint8_t *payload;
	size_t size;
};

/* The OBU at @p (@left bytes): 0, or -1 if it is not a well-formed one. */
static int next_obu(const uint8_t *p, size_t left, struct obu *o, size_t *used)
{
	uint64_t size = 0;
	size_t n = 1;

	if (!left || (p[0] & 0x87) != 0x02)	/* forbidden, extension, has_size, reserved */
		return -1;
	o->type = p[0] >> 3;
	for (int i = 0;; i++) {
		if (i == 8 || n == left)
			return -1;
		size |= (uint64_t)(p[n] & 0x7f) << (7 * i);
		if (!(p[n++] & 0x80))
			break;
	}
	if (size > left - n)
		return -1;
	o->payload = p + n;
	o->size = (size_t)size;
	*used = n + (size_t)size;
	return 0;
}

/* A header OBU's payload ends in trailing bits: its last byte is not 0. */
static void check_header_obu(const struct obu *o, int type)
{
	CHECK(o->type == type, "OBU type", o->type);
	CHECK(o->size && o->payload[o->size - 1], "header OBU without trailing bits", o->size);
}

/*
 * The tile group: tile k (raster order) is the bytes of the entry at
 * (k / cols, k % cols), all inside the bitstream, with 4-byte sizes.
 */
static void check_tile_group(const struct obu *o, const struct daedalus_av1_params *p,
			     const uint8_t *bs, size_t bs_size)
{
	const struct v4l2_av1_tile_info *ti = &p->frame.tile_info;
	unsigned int n = (unsigned int)ti->tile_cols * ti->tile_rows;
	const uint8_t *at = o->payload, *end = o->payload + o->size;

	CHECK(o->type == OBU_TILE_GROUP, "second OBU not a tile group", o->type);
	CHECK(n && n == p->num_tiles, "written with num_tiles not the tile count", p->num_tiles);
	if (n > 1) {
		CHECK(at < end && *at == 0, "tile_start_and_end_present_flag", 0);
		at++;
	}
	for (unsigned int k = 0; k < n; k++) {
		const struct v4l2_ctrl_av1_tile_group_entry *t = NULL;
		uint64_t size;

		for (unsigned int i = 0; i < n; i++)
			if (p->tiles[i].tile_row * ti->tile_cols + p->tiles[i].tile_col == k &&
			    p->tiles[i].tile_row < ti->tile_rows &&
			    p->tiles[i].tile_col < ti->tile_cols)
				t = &p->tiles[i];
		CHECK(t, "a tile written without an entry", k);
		CHECK((uint64_t)t->tile_offset + t->tile_size <= bs_size,
		      "tile bytes from outside the bitstream", k);
		if (k + 1 < n) {
			CHECK(end - at >= TILE_SIZE_BYTES, "tile size past the OBU", k);
			size = (uint64_t)at[0] | at[1] << 8 | at[2] << 16 |
			       (uint64_t)at[3] << 24;
			CHECK(size + 1 == t->tile_size, "tile_size_minus_1", k);
			at += TILE_SIZE_BYTES;
		}
		CHECK((uint64_t)(end - at) >= t->tile_size, "tile past the OBU", k);
		CHECK(!memcmp(at, bs + t->tile_offset, t->tile_size), "tile bytes", k);
		at += t->tile_size;
	}
	CHECK(at == end, "tile group payload not exactly the tiles", (size_t)(end - at));
}

/* What dd_av1_write_frame() wrote: a frame header OBU, a tile group OBU. */
static void check_frame_obus(const uint8_t *out, size_t n,
			     const struct daedalus_av1_params *p,
			     const uint8_t *bs, size_t bs_size)
{
	struct obu hdr, tg;
	size_t a, b;

	CHECK(!next_obu(out, n, &hdr, &a), "frame header OBU malformed", n);
	check_header_obu(&hdr, OBU_FRAME_HEADER);
	CHECK(!next_obu(out + a, n - a, &tg, &b), "tile group OBU malformed", n - a);
	CHECK(a + b == n, "OBU sizes do not add up to the length", n - a - b);
	check_tile_group(&tg, p, bs, bs_size);
}

static int seq_codable(const struct v4l2_ctrl_av1_sequence *seq)
{
	return !seq->seq_profile && (seq->bit_depth == 8 || seq->bit_depth == 10) &&
	       (!(seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT) ||
		(seq->order_hint_bits >= 1 && seq->order_hint_bits <= 8));
}

/* The sequence header into SEQ_CAP bytes; its length (0: not written). */
static size_t write_seq(const struct v4l2_ctrl_av1_sequence *seq, uint8_t *out)
{
	uint8_t *buf = malloc(SEQ_CAP), *shorter;
	size_t n, m, used;
	struct obu o;

	if (!buf)
		fz_bug("malloc", SEQ_CAP);
	n = dd_av1_write_sequence_header(seq, buf, SEQ_CAP);
	CHECK(!n == !seq_codable(seq), "sequence header written iff codable", n);
	CHECK(n <= SEQ_CAP, "sequence header beyond the cap", n);
	if (n) {
		CHECK(!next_obu(buf, n, &o, &used) && used == n,
		      "sequence header OBU malformed", n);
		check_header_obu(&o, OBU_SEQUENCE_HEADER);
		memcpy(out, buf, n);
		shorter = malloc(n - 1 ? n - 1 : 1);
		if (!shorter)
			fz_bug("malloc", n);
		m = dd_av1_write_sequence_header(seq, shorter, n - 1);
		CHECK(!m, "sequence header written into a short buffer", m);
		free(shorter);
	}
	free(buf);
	return n;
}

/* The frame into a buffer of exactly its bound: a malloc'd copy, or NULL. */
static uint8_t *write_frame(const struct daedalus_av1_params *p,
			    const struct dd_av1_slots *s, const uint8_t *bs,
			    size_t bs_size, size_t *len)
{
	size_t bound = dd_av1_frame_bound(p), n, m;
	uint8_t *out = malloc(bound), *shorter;
	const char *why = (const char *)1;

	if (!out)
		fz_bug("malloc", bound);
	n = dd_av1_write_frame(p, s, bs, bs_size, out, bound, &why);
	CHECK(!n == !!why, "*why set iff nothing was written", n);
	if (!n) {
		free(out);
		return NULL;
	}
	CHECK(n <= bound, "frame beyond dd_av1_frame_bound()", n);
	check_frame_obus(out, n, p, bs, bs_size);
	shorter = malloc(n - 1);	/* n > OBU headers > 1 */
	if (!shorter)
		fz_bug("malloc", n);
	why = NULL;
	m = dd_av1_write_frame(p, s, bs, bs_size, shorter, n - 1, &why);
	CHECK(!m && why, "frame written into a buffer one byte short", m);
	free(shorter);
	*len = n;
	return out;
}

/*
 * Whether dd_job_check() accepts @p over a bitstream of @bs_len bytes in
 * an otherwise valid job (fixture.c; coded size and picture format as a
 * client derives them from the controls).  The backend sees nothing else,
 * and the writer relies on it: frame sizes within the sequence maximum
 * (frame_width_minus_1 + 1 would wrap), order_hint_bits <= 8, tile sizes
 * adding up to at most the bitstream (dd_av1_frame_bound() sums them).
 */
static int daemon_accepts(const struct daedalus_av1_params *p, uint32_t bs_len)
{
	static struct daedalus_job job;
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	uint64_t w = f->upscaled_width > f->frame_width_minus_1 + 1ull ?
		     f->upscaled_width : f->frame_width_minus_1 + 1ull;
	uint64_t h = f->frame_height_minus_1 + 1ull;
	struct daedalus_picture_format *fmt = &job.picture_format;
	const char *why;

	/* dd_job_check() refuses the frame size then anyway */
	if (w > DD_MAX_DIMENSION || h > DD_MAX_DIMENSION)
		w = h = 16;
	fx_job_init(&job, DAEDALUS_CODEC_AV1, 1, 1, (uint32_t)(w + 15) / 16 * 16,
		    (uint32_t)(h + 15) / 16 * 16);
	if (p->sequence.bit_depth != 8) {
		fmt->pixelformat = V4L2_PIX_FMT_P010;
		fmt->bytesperline *= 2;
		fmt->sizeimage *= 2;
		job.picture.length = fmt->sizeimage;
	}
	job.params.av1 = *p;
	job.bitstream.bytesused = job.bitstream.length = bs_len;
	return !dd_job_check(&job, sizeof(job), &why);
}

/* ---- round trip ---- */

static int8_t sign7(int8_t v)
{
	/* the low 7 bits, sign-extended: what su(1+6) reads back */
	return (int8_t)((((uint8_t)v & 0x7f) ^ 0x40) - 0x40);
}

static int16_t clamp16(int16_t v, int16_t lo, int16_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * @q made what a conforming client sends for a key frame: every coded
 * field within its syntax element, every inferred field as the decoder
 * infers it (AV1 5.9 and 7.20), the derived tile starts from the coded
 * sizes.  What the writer itself refuses (sizes, tiling, superres) is
 * left alone: a refused frame is not round-tripped.
 */
static void normalize(struct daedalus_av1_params *q)
{
	static const int8_t ref_deltas[V4L2_AV1_TOTAL_REFS_PER_FRAME] = {
		1, 0, 0, 0, -1, 0, -1, -1 };
	static const int16_t seg_max[V4L2_AV1_SEG_LVL_MAX] = { 255, 63, 63, 63, 63, 7, 0, 0 };
	const struct v4l2_ctrl_av1_sequence *seq = &q->sequence;
	struct v4l2_ctrl_av1_frame *f = &q->frame;
	struct v4l2_av1_quantization *qu = &f->quantization;
	struct v4l2_av1_segmentation *sg = &f->segmentation;
	struct v4l2_av1_loop_filter *lf = &f->loop_filter;
	struct v4l2_av1_cdef *cd = &f->cdef;
	struct v4l2_av1_loop_restoration *lr = &f->loop_restoration;
	struct v4l2_av1_tile_info *ti = &f->tile_info;
	struct v4l2_ctrl_av1_film_grain *fg = &q->film_grain;
	int mono = !!(seq->flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME);
	int shift = seq->flags & V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK ? 5 : 4;
	int lossless = 1;
	uint32_t start;

	f->order_hint = seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT ?
			f->order_hint & ((1u << (seq->order_hint_bits & 15)) - 1) : 0;
	if (f->flags & V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE)
		f->flags |= V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF;

	qu->delta_q_y_dc = sign7(qu->delta_q_y_dc);
	qu->delta_q_u_dc = mono ? 0 : sign7(qu->delta_q_u_dc);
	qu->delta_q_u_ac = mono ? 0 : sign7(qu->delta_q_u_ac);
	if ((seq->flags & V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q) &&
	    (qu->flags & V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA)) {
		qu->delta_q_v_dc = mono ? 0 : sign7(qu->delta_q_v_dc);
		qu->delta_q_v_ac = mono ? 0 : sign7(qu->delta_q_v_ac);
	} else {
		/* not coded: DeltaQVDc = DeltaQUDc, DeltaQVAc = DeltaQUAc */
		qu->delta_q_v_dc = qu->delta_q_u_dc;
		qu->delta_q_v_ac = qu->delta_q_u_ac;
	}
	qu->qm_y &= 15;
	qu->qm_u &= 15;
	/* qm_v = qm_u unless coded (separate_uv_delta_q is 0 for 4:0:0) */
	qu->qm_v = !mono && (seq->flags & V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q) ?
		   qu->qm_v & 15 : qu->qm_u;
	qu->delta_q_res &= 3;
	lf->delta_lf_res &= 3;
	if (!qu->base_q_idx)
		qu->flags &= (uint8_t)~V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT;

	for (int i = 0; i < V4L2_AV1_MAX_SEGMENTS; i++) {
		int qindex = qu->base_q_idx;

		for (int j = 0; j < V4L2_AV1_SEG_LVL_MAX; j++)
			sg->feature_data[i][j] = clamp16(sg->feature_data[i][j],
							 j < V4L2_AV1_SEG_LVL_REF_FRAME ?
							 -seg_max[j] : 0, seg_max[j]);
		if ((sg->flags & V4L2_AV1_SEGMENTATION_FLAG_ENABLED) &&
		    (sg->feature_enabled[i] & V4L2_AV1_SEGMENT_FEATURE_ENABLED(V4L2_AV1_SEG_LVL_ALT_Q)))
			qindex += sg->feature_data[i][V4L2_AV1_SEG_LVL_ALT_Q];
		lossless &= qindex <= 0;
	}
	lossless &= !qu->delta_q_y_dc && !qu->delta_q_u_dc && !qu->delta_q_u_ac &&
		    !qu->delta_q_v_dc && !qu->delta_q_v_ac;
	/* read_tx_mode(): only TX_MODE_SELECT is coded, as a flag */
	f->tx_mode = lossless ? V4L2_AV1_TX_MODE_ONLY_4X4 :
		     f->tx_mode == V4L2_AV1_TX_MODE_SELECT ? V4L2_AV1_TX_MODE_SELECT :
		     V4L2_AV1_TX_MODE_LARGEST;

	for (int i = 0; i < 4; i++)
		lf->level[i] &= 63;
	lf->sharpness &= 7;
	if (!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE)) {
		/* setup_past_independence(): a key frame loads the defaults */
		memcpy(lf->ref_deltas, ref_deltas, sizeof(ref_deltas));
		lf->mode_deltas[0] = lf->mode_deltas[1] = 0;
	}
	for (int i = 0; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++)
		lf->ref_deltas[i] = sign7(lf->ref_deltas[i]);
	lf->mode_deltas[0] = sign7(lf->mode_deltas[0]);
	lf->mode_deltas[1] = sign7(lf->mode_deltas[1]);

	cd->damping_minus_3 &= 3;
	cd->bits &= 3;
	for (int i = 0; i < V4L2_AV1_CDEF_MAX; i++) {
		cd->y_pri_strength[i] &= 15;
		cd->uv_pri_strength[i] &= 15;
		/* 0..3 and 4 (coded as 3) */
		if (cd->y_sec_strength[i] > 4)
			cd->y_sec_strength[i] &= 3;
		if (cd->uv_sec_strength[i] > 4)
			cd->uv_sec_strength[i] &= 3;
	}

	/* Loop restoration units: 64 << lr_unit_shift, chroma halved or not. */
	for (int i = 0; i < V4L2_AV1_NUM_PLANES_MAX; i++)
		lr->frame_restoration_type[i] &= 3;
	lr->loop_restoration_size[0] = (shift == 5 ? 128u : 64u) <<
				       (lr->loop_restoration_size[0] % (shift == 5 ? 2 : 3));
	lr->loop_restoration_size[1] = lr->loop_restoration_size[0] >>
				       (lr->loop_restoration_size[1] & 1);

	/* Non-uniform tiles: the starts follow from the sizes. */
	if (!(ti->flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING)) {
		start = 0;
		for (int i = 0; i < ti->tile_cols && i < V4L2_AV1_MAX_TILE_COLS; i++) {
			ti->mi_col_starts[i] = start << shift;
			start += ti->width_in_sbs_minus_1[i] + 1;
		}
		start = 0;
		for (int i = 0; i < ti->tile_rows && i < V4L2_AV1_MAX_TILE_ROWS; i++) {
			ti->mi_row_starts[i] = start << shift;
			start += ti->height_in_sbs_minus_1[i] + 1;
		}
	}

	if (!(seq->flags & V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT) ||
	    !(f->flags & (V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME)))
		fg->flags &= (uint8_t)~V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN;
	fg->grain_scaling_minus_8 &= 3;
	fg->ar_coeff_lag &= 3;
	fg->ar_coeff_shift_minus_6 &= 3;
	if (fg->num_y_points > 14)
		fg->num_y_points = 14;
	if (fg->num_cb_points > 10)
		fg->num_cb_points = 10;
	if (fg->num_cr_points > 10)
		fg->num_cr_points = 10;
	fg->grain_scale_shift &= 3;
	fg->cb_offset &= 511;
	fg->cr_offset &= 511;
}

#define DIFF(a, b, what) \
	do { \
		if ((long)(a) != (long)(b)) \
			return what; \
	} while (0)

/* Film grain fields dd_av1_header_mismatch() does not compare. */
static const char *grain_mismatch(const Dav1dFilmGrainData *d, int mono,
				  const struct v4l2_ctrl_av1_film_grain *fg)
{
	int csfl = !mono && (fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_CHROMA_SCALING_FROM_LUMA);
	int chroma = !mono && !csfl && fg->num_y_points;
	const uint8_t *value[2] = { fg->point_cb_value, fg->point_cr_value };
	const uint8_t *scaling[2] = { fg->point_cb_scaling, fg->point_cr_scaling };
	const uint8_t *ar[2] = { fg->ar_coeffs_cb_plus_128, fg->ar_coeffs_cr_plus_128 };
	int n[2] = { chroma ? fg->num_cb_points : 0, chroma ? fg->num_cr_points : 0 };
	int mult[2] = { fg->cb_mult, fg->cr_mult };
	int luma_mult[2] = { fg->cb_luma_mult, fg->cr_luma_mult };
	int offset[2] = { fg->cb_offset, fg->cr_offset };
	int lag = fg->ar_coeff_lag, pos_luma = 2 * lag * (lag + 1);

	for (int i = 0; i < d->num_y_points; i++)
		DIFF(d->y_points[i][0], fg->point_y_value[i], "point_y_value");
	DIFF(d->chroma_scaling_from_luma, csfl, "chroma_scaling_from_luma");
	DIFF(d->grain_scale_shift, fg->grain_scale_shift, "grain_scale_shift");
	DIFF(d->clip_to_restricted_range,
	     !!(fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE),
	     "clip_to_restricted_range");
	if (fg->num_y_points)
		for (int i = 0; i < pos_luma; i++)
			DIFF(d->ar_coeffs_y[i], fg->ar_coeffs_y_plus_128[i] - 128, "ar_coeffs_y");
	for (int pl = 0; pl < 2; pl++) {
		DIFF(d->num_uv_points[pl], n[pl], "num_cb/cr_points");
		for (int i = 0; i < n[pl]; i++) {
			DIFF(d->uv_points[pl][i][0], value[pl][i], "point_cb/cr_value");
			DIFF(d->uv_points[pl][i][1], scaling[pl][i], "point_cb/cr_scaling");
		}
		if (!csfl && !n[pl])
			continue;
		for (int i = 0; i < pos_luma + !!fg->num_y_points; i++)
			DIFF(d->ar_coeffs_uv[pl][i], ar[pl][i] - 128, "ar_coeffs_cb/cr");
		if (!n[pl])
			continue;
		DIFF(d->uv_mult[pl], mult[pl] - 128, "cb/cr_mult");
		DIFF(d->uv_luma_mult[pl], luma_mult[pl] - 128, "cb/cr_luma_mult");
		DIFF(d->uv_offset[pl], offset[pl] - 256, "cb/cr_offset");
	}
	return NULL;
}

/*
 * The coded fields dd_av1_header_mismatch() leaves out (chroma
 * quantizer, matrices and filters, delta loop filter, restoration, film
 * grain detail): a writer bug there would decode a wrong picture
 * silently.
 */
static const char *more_mismatch(const Dav1dFrameHeader *h,
				 const struct daedalus_av1_params *q)
{
	/* lr_type as coded, for FrameRestorationType NONE, WIENER, SGRPROJ, SWITCHABLE */
	static const int lr_type[4] = { DAV1D_RESTORATION_NONE, DAV1D_RESTORATION_WIENER,
					DAV1D_RESTORATION_SGRPROJ, DAV1D_RESTORATION_SWITCHABLE };
	const struct v4l2_ctrl_av1_sequence *seq = &q->sequence;
	const struct v4l2_ctrl_av1_frame *f = &q->frame;
	const struct v4l2_av1_quantization *qu = &f->quantization;
	const struct v4l2_av1_loop_filter *lf = &f->loop_filter;
	const struct v4l2_av1_cdef *cd = &f->cdef;
	const struct v4l2_av1_loop_restoration *lr = &f->loop_restoration;
	int mono = !!(seq->flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME);
	int lossless = 1, uses_lr = 0, uses_chroma_lr = 0;

	for (int i = 0; i < DAV1D_MAX_SEGMENTS; i++)
		lossless &= h->segmentation.lossless[i];
	DIFF(h->quant.vdc_delta, qu->delta_q_v_dc, "DeltaQVDc");
	DIFF(h->quant.vac_delta, qu->delta_q_v_ac, "DeltaQVAc");
	if (h->quant.qm) {
		DIFF(h->quant.qm_u, qu->qm_u, "qm_u");
		DIFF(h->quant.qm_v, qu->qm_v, "qm_v");
	}
	if (h->delta.q.present && !h->allow_intrabc) {
		DIFF(h->delta.lf.present, !!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT),
		     "delta_lf_present");
		if (h->delta.lf.present) {
			DIFF(h->delta.lf.res_log2, lf->delta_lf_res, "delta_lf_res");
			DIFF(h->delta.lf.multi, !!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI),
			     "delta_lf_multi");
		}
	}
	if (!lossless && !h->allow_intrabc) {
		if (!mono && (lf->level[0] || lf->level[1])) {
			DIFF(h->loopfilter.level_u, lf->level[2], "loop_filter_level[2]");
			DIFF(h->loopfilter.level_v, lf->level[3], "loop_filter_level[3]");
		}
		if (seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF) {
			DIFF(h->cdef.damping, cd->damping_minus_3 + 3, "cdef_damping_minus_3");
			for (int i = 0; i < (1 << cd->bits) && !mono; i++)
				DIFF(h->cdef.uv_strength[i], cd->uv_pri_strength[i] << 2 |
				     (cd->uv_sec_strength[i] == 4 ? 3 : cd->uv_sec_strength[i]),
				     "cdef chroma strength");
		}
	}
	if (!h->all_lossless && !h->allow_intrabc &&
	    (seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION)) {
		for (int i = 0; i < (mono ? 1 : 3); i++) {
			DIFF(h->restoration.type[i], lr_type[lr->frame_restoration_type[i]],
			     "frame_restoration_type");
			uses_lr |= lr->frame_restoration_type[i] != V4L2_AV1_FRAME_RESTORE_NONE;
			uses_chroma_lr |= i && lr->frame_restoration_type[i] != V4L2_AV1_FRAME_RESTORE_NONE;
		}
		if (uses_lr)
			DIFF(1u << h->restoration.unit_size[0], lr->loop_restoration_size[0],
			     "loop_restoration_size[0]");
		if (uses_chroma_lr)
			DIFF(1u << h->restoration.unit_size[1], lr->loop_restoration_size[1],
			     "loop_restoration_size[1]");
	}
	return h->film_grain.present ? grain_mismatch(&h->film_grain.data, mono, &q->film_grain) :
	       NULL;
}

/*
 * Decodes @obus with @dec; compares dav1d's frame header with @q.  Uniform
 * tile starts are taken from dav1d (they follow from the tile counts,
 * which are compared).
 */
static void round_trip(Dav1dContext *dec, const uint8_t *obus, size_t len,
		       struct daedalus_av1_params *q)
{
	const struct v4l2_av1_tile_info *ti = &q->frame.tile_info;
	int shift = q->sequence.flags & V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK ? 5 : 4;
	Dav1dData d;
	Dav1dPicture pic;
	const Dav1dFrameHeader *h;
	const char *why;
	uint8_t *buf;
	int ret;

	memset(&d, 0, sizeof(d));
	buf = dav1d->dav1d_data_create(&d, len);
	if (!buf)
		return;
	memcpy(buf, obus, len);
	while (d.sz) {
		ret = dav1d->dav1d_send_data(dec, &d);
		if (ret == DAV1D_ERR(EAGAIN)) {
			memset(&pic, 0, sizeof(pic));
			if (dav1d->dav1d_get_picture(dec, &pic) >= 0)
				dav1d->dav1d_picture_unref(&pic);
			continue;
		}
		if (ret < 0) {
			dav1d->dav1d_data_unref(&d);
			return;		/* refused (too large, say): no picture */
		}
	}
	memset(&pic, 0, sizeof(pic));
	if (dav1d->dav1d_get_picture(dec, &pic) < 0)
		return;
	h = pic.frame_hdr;
	if (ti->flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING) {
		for (int i = 0; i < h->tiling.cols && i < V4L2_AV1_MAX_TILE_COLS; i++)
			q->frame.tile_info.mi_col_starts[i] = (uint32_t)h->tiling.col_start_sb[i] << shift;
		for (int i = 0; i < h->tiling.rows && i < V4L2_AV1_MAX_TILE_ROWS; i++)
			q->frame.tile_info.mi_row_starts[i] = (uint32_t)h->tiling.row_start_sb[i] << shift;
	}
	why = dd_av1_header_mismatch(h, q);
	if (!why)
		why = more_mismatch(h, q);
	if (why) {
		fprintf(stderr, "fuzz_av1_obu: round trip: %s\n", why);
		fz_bug("dav1d read the rebuilt key frame differently", 0);
	}
	n_round_trips++;
	dav1d->dav1d_picture_unref(&pic);
}

/* The key frame of @p, normalized, rebuilt and decoded by dav1d. */
static void key_frame(Dav1dContext **dec, const struct daedalus_av1_params *p,
		      const struct dd_av1_slots *s, const uint8_t *bs, size_t bs_size)
{
	static struct daedalus_av1_params q;
	uint8_t seq[SEQ_CAP], *frame, *obus;
	size_t n, m;

	q = *p;
	normalize(&q);
	if (!daemon_accepts(&q, (uint32_t)bs_size))
		return;
	n = write_seq(&q.sequence, seq);
	if (!n)
		return;
	frame = write_frame(&q, s, bs, bs_size, &m);
	if (!frame)
		return;
	if (!*dec) {
		Dav1dSettings set;

		dav1d->dav1d_default_settings(&set);
		set.n_threads = 1;
		set.max_frame_delay = 1;
		set.output_invisible_frames = 1;
		set.all_layers = 0;
		set.frame_size_limit = ROUND_TRIP_PIXELS;
		set.logger.callback = quiet;
		if (dav1d->dav1d_open(dec, &set) < 0)
			fz_bug("dav1d_open", 0);
	}
	obus = malloc(n + m);
	if (!obus)
		fz_bug("malloc", n + m);
	memcpy(obus, seq, n);
	memcpy(obus + n, frame, m);
	round_trip(*dec, obus, n + m, &q);
	free(obus);
	free(frame);
}

/* ---- input ---- */


/* Copies up to @n bytes of the input into @dst (the rest zero). */
static void take(void *dst, size_t n, const uint8_t **at, const uint8_t *end)
{
	size_t k = (size_t)(end - *at) < n ? (size_t)(end - *at) : n;

	memset(dst, 0, n);
	memcpy(dst, *at, k);
	*at += k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daedalus_av1_params p;
	const uint8_t *at = data, *end = data + size;
	struct dd_av1_slots slots;
	Dav1dContext *dec = NULL;
	uint8_t seq[SEQ_CAP];

	dd_av1_slots_reset(&slots);
	for (unsigned int i = 0; i < FZ_AV1_FRAMES && at < end; i++) {
		uint32_t tiles, bs_len;
		uint8_t *bs, *frame;
		size_t n;

		n_frames++;
		memset(&p, 0, sizeof(p));
		take(&p, FZ_AV1_CONTROLS, &at, end);
		tiles = p.num_tiles < DAEDALUS_MAX_TILES ? p.num_tiles : DAEDALUS_MAX_TILES;
		take(p.tiles, tiles * sizeof(p.tiles[0]), &at, end);
		take(&bs_len, sizeof(bs_len), &at, end);
		if (bs_len > (size_t)(end - at))
			bs_len = (uint32_t)(end - at);
		bs = exact_copy(at, bs_len);
		at += bs_len;
		if (!bs || !daemon_accepts(&p, bs_len)) {
			free(bs);
			continue;
		}

		/*
		 * As the backend: a frame only under a sequence header that
		 * was written (dd_av1_write_frame() takes order_hint_bits
		 * from it unchecked).
		 */
		frame = write_seq(&p.sequence, seq) ?
			write_frame(&p, &slots, bs, bs_len, &n) : NULL;
		/* normalize() may make a refused key frame codable */
		if (dav1d && p.frame.frame_type == V4L2_AV1_KEY_FRAME)
			key_frame(&dec, &p, &slots, bs, bs_len);
		if (frame) {
			n_written++;
			dd_av1_slots_update(&slots, &p, i + 1);
		}
		free(frame);
		free(bs);
	}
	if (dec)
		dav1d->dav1d_close(&dec);
	return 0;
}
