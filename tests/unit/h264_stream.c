/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test-side H.264 parsing and picture splitting (see h264_stream.h).
 * Written from the H.264 specification (7.3, 7.4, 8.5.6, Table 7-2); it
 * shares no code with the daemon's header writer on purpose.
 */
#include "h264_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bit reader over an RBSP (emulation prevention removed) ---- */

struct br {
	const uint8_t *p;
	size_t bits, pos;
	int err;
};

static unsigned rb(struct br *b)
{
	unsigned v;

	if (b->pos >= b->bits) {
		b->err = 1;
		return 0;
	}
	v = (b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1;
	b->pos++;
	return v;
}

static uint32_t rbits(struct br *b, unsigned n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 1 | rb(b);
	return v;
}

static uint32_t rue(struct br *b)
{
	unsigned zeros = 0;

	while (!rb(b) && !b->err && zeros < 32)
		zeros++;
	if (zeros >= 32) {
		b->err = 1;
		return 0;
	}
	return (uint32_t)((1ull << zeros) - 1 + rbits(b, zeros));
}

static int32_t rse(struct br *b)
{
	uint32_t k = rue(b);

	return k & 1 ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

/* Removes emulation-prevention bytes; returns the RBSP length. */
static size_t unescape(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i, o = 0;
	unsigned zeros = 0;

	for (i = 0; i < len; i++) {
		if (zeros >= 2 && in[i] == 3) {
			zeros = 0;
			continue;
		}
		out[o++] = in[i];
		zeros = in[i] ? 0 : zeros + 1;
	}
	return o;
}

/* ---- scaling lists (7.3.2.1.1.1, Table 7-2, 7-3, 7-4) ---- */

static const uint8_t zz4[16] = {
	0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15,
};

static const uint8_t zz8[64] = {
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

/* Default lists, in zig-zag order. */
static const uint8_t def4_intra[16] = {
	6, 13, 13, 20, 20, 20, 28, 28, 28, 28, 32, 32, 32, 37, 37, 42,
};
static const uint8_t def4_inter[16] = {
	10, 14, 14, 20, 20, 20, 24, 24, 24, 24, 27, 27, 27, 30, 30, 34,
};
static const uint8_t def8_intra[64] = {
	6, 10, 10, 13, 11, 13, 16, 16, 16, 16, 18, 18, 18, 18, 18, 23,
	23, 23, 23, 23, 23, 25, 25, 25, 25, 25, 25, 25, 27, 27, 27, 27,
	27, 27, 27, 27, 29, 29, 29, 29, 29, 29, 29, 31, 31, 31, 31, 31,
	31, 33, 33, 33, 33, 33, 36, 36, 36, 36, 38, 38, 38, 40, 40, 42,
};
static const uint8_t def8_inter[64] = {
	9, 13, 13, 15, 13, 15, 17, 17, 17, 17, 19, 19, 19, 19, 19, 21,
	21, 21, 21, 21, 21, 22, 22, 22, 22, 22, 22, 22, 24, 24, 24, 24,
	24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 27, 27, 27, 27, 27,
	27, 28, 28, 28, 28, 28, 30, 30, 30, 30, 32, 32, 32, 33, 33, 35,
};

/* 12 lists in spec order, zig-zag order (0-5: 4x4, 6-11: 8x8). */
struct lists {
	uint8_t l4[6][16];
	uint8_t l8[6][64];
};

static void set_default(struct lists *l, int i)
{
	if (i < 6)
		memcpy(l->l4[i], i < 3 ? def4_intra : def4_inter, 16);
	else
		memcpy(l->l8[i - 6], (i - 6) % 2 ? def8_inter : def8_intra, 64);
}

static void copy_list(struct lists *l, int dst, const struct lists *src, int s)
{
	if (dst < 6)
		memcpy(l->l4[dst], src->l4[s], 16);
	else
		memcpy(l->l8[dst - 6], src->l8[s - 6], 64);
}

/*
 * Parses the scaling lists of an SPS (@fallback NULL: rule A) or a PPS
 * (@fallback = the SPS-level lists: rule B), n lists.
 */
static void parse_lists(struct br *b, struct lists *l, int n,
			const struct lists *fallback)
{
	int i, j;

	for (i = 0; i < n; i++) {
		int size = i < 6 ? 16 : 64;
		uint8_t *dst = i < 6 ? l->l4[i] : l->l8[i - 6];

		if (!rb(b)) {
			/* fall-back: first list of a kind -> default / SPS list */
			if (i == 0 || i == 3 || i == 6 || i == 7) {
				if (fallback)
					copy_list(l, i, fallback, i);
				else
					set_default(l, i);
			} else {
				copy_list(l, i, l, i < 6 ? i - 1 : i - 2);
			}
			continue;
		}
		int last = 8, next = 8;

		for (j = 0; j < size; j++) {
			if (next) {
				next = (last + rse(b) + 256) % 256;
				if (j == 0 && next == 0) {
					set_default(l, i);
					break;
				}
			}
			dst[j] = (uint8_t)(next ? next : last);
			last = dst[j];
		}
	}
	/* 4:2:0/4:2:2 code 2 8x8 lists; the Cb/Cr ones follow rule A/B */
	for (i = n; n >= 8 && i < 12; i++)
		copy_list(l, i, l, i - 2);
}

static void flat_lists(struct lists *l)
{
	memset(l, 16, sizeof(*l));
}

/* ---- SPS / PPS ---- */

struct sps {
	int valid;
	struct v4l2_ctrl_h264_sps v;
	int matrix;		/* seq_scaling_matrix_present_flag */
	struct lists lists;	/* resolved SPS-level lists */
	struct h264_crop crop;
	int width, height;
};

struct pps {
	int valid;
	uint8_t rbsp[1024];
	size_t len;
};

static int parse_sps(const uint8_t *rbsp, size_t len, struct sps *tab)
{
	struct br b = { rbsp, len * 8, 8, 0 };
	struct v4l2_ctrl_h264_sps v = { 0 };
	struct sps *s;
	unsigned i, id, cl = 0, cr = 0, ct = 0, cbt = 0;
	int matrix = 0, cux, cuy;
	struct lists lists;

	flat_lists(&lists);
	v.profile_idc = (uint8_t)rbits(&b, 8);
	for (i = 0; i < 6; i++)
		v.constraint_set_flags |= (uint8_t)(rb(&b) << i);
	rbits(&b, 2);
	v.level_idc = (uint8_t)rbits(&b, 8);
	id = rue(&b);
	if (id > 31)
		return -1;
	v.seq_parameter_set_id = (uint8_t)id;
	v.chroma_format_idc = 1;
	if (V4L2_H264_SPS_HAS_CHROMA_FORMAT(&v)) {
		v.chroma_format_idc = (uint8_t)rue(&b);
		if (v.chroma_format_idc == 3 && rb(&b))
			v.flags |= V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
		v.bit_depth_luma_minus8 = (uint8_t)rue(&b);
		v.bit_depth_chroma_minus8 = (uint8_t)rue(&b);
		if (rb(&b))
			v.flags |= V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
		matrix = rb(&b);
		if (matrix)
			parse_lists(&b, &lists, v.chroma_format_idc == 3 ? 12 : 8,
				    NULL);
	}
	v.log2_max_frame_num_minus4 = (uint8_t)rue(&b);
	v.pic_order_cnt_type = (uint8_t)rue(&b);
	if (v.pic_order_cnt_type == 0) {
		v.log2_max_pic_order_cnt_lsb_minus4 = (uint8_t)rue(&b);
	} else if (v.pic_order_cnt_type == 1) {
		if (rb(&b))
			v.flags |= V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
		v.offset_for_non_ref_pic = rse(&b);
		v.offset_for_top_to_bottom_field = rse(&b);
		v.num_ref_frames_in_pic_order_cnt_cycle = (uint8_t)rue(&b);
		for (i = 0; i < v.num_ref_frames_in_pic_order_cnt_cycle; i++)
			v.offset_for_ref_frame[i] = rse(&b);
	}
	v.max_num_ref_frames = (uint8_t)rue(&b);
	if (rb(&b))
		v.flags |= V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED;
	v.pic_width_in_mbs_minus1 = (uint16_t)rue(&b);
	v.pic_height_in_map_units_minus1 = (uint16_t)rue(&b);
	if (rb(&b))
		v.flags |= V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	else if (rb(&b))
		v.flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	if (rb(&b))
		v.flags |= V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	if (rb(&b)) {
		cl = rue(&b);
		cr = rue(&b);
		ct = rue(&b);
		cbt = rue(&b);
	}
	if (b.err)
		return -1;
	s = &tab[id];
	s->valid = 1;
	s->v = v;
	s->matrix = matrix;
	s->lists = lists;
	s->width = (v.pic_width_in_mbs_minus1 + 1) * 16;
	s->height = (v.pic_height_in_map_units_minus1 + 1) * 16 *
		    (v.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY ? 1 : 2);
	cux = v.chroma_format_idc == 0 || v.chroma_format_idc == 3 ? 1 : 2;
	cuy = (v.chroma_format_idc == 1 ? 2 : 1) *
	      (v.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY ? 1 : 2);
	s->crop.x = (int)cl * cux;
	s->crop.y = (int)ct * cuy;
	s->crop.w = s->width - (int)(cl + cr) * cux;
	s->crop.h = s->height - (int)(ct + cbt) * cuy;
	return 0;
}

static int more_rbsp_data(const struct br *b)
{
	size_t last = b->bits;

	/* position of the rbsp_stop_one_bit: the last 1 bit */
	while (last > 0) {
		last--;
		if ((b->p[last >> 3] >> (7 - (last & 7))) & 1)
			break;
	}
	return b->pos < last;
}

/* PPS parsed against its SPS: V4L2 pps + the resolved matrix. */
static int parse_pps(const struct pps *raw, const struct sps *sps_tab,
		     struct v4l2_ctrl_h264_pps *v,
		     struct v4l2_ctrl_h264_scaling_matrix *sm, int *fmo)
{
	struct br b = { raw->rbsp, raw->len * 8, 8, 0 };
	const struct sps *sps;
	struct lists lists;
	unsigned id, sid, i, j, groups;
	int matrix = 0;

	memset(v, 0, sizeof(*v));
	id = rue(&b);
	sid = rue(&b);
	if (id > 255 || sid > 31 || !sps_tab[sid].valid)
		return -1;
	sps = &sps_tab[sid];
	v->pic_parameter_set_id = (uint8_t)id;
	v->seq_parameter_set_id = (uint8_t)sid;
	if (rb(&b))
		v->flags |= V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE;
	if (rb(&b))
		v->flags |= V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT;
	groups = rue(&b);
	v->num_slice_groups_minus1 = (uint8_t)groups;
	if (groups) {
		unsigned type = rue(&b), n;

		*fmo = 1;
		if (type == 0) {
			for (i = 0; i <= groups; i++)
				rue(&b);
		} else if (type == 2) {
			for (i = 0; i < groups; i++) {
				rue(&b);
				rue(&b);
			}
		} else if (type >= 3 && type <= 5) {
			rb(&b);
			rue(&b);
		} else if (type == 6) {
			unsigned bits = 0;

			n = rue(&b) + 1;
			while ((1u << bits) < groups + 1)
				bits++;
			for (i = 0; i < n; i++)
				rbits(&b, bits);
		}
	}
	v->num_ref_idx_l0_default_active_minus1 = (uint8_t)rue(&b);
	v->num_ref_idx_l1_default_active_minus1 = (uint8_t)rue(&b);
	if (rb(&b))
		v->flags |= V4L2_H264_PPS_FLAG_WEIGHTED_PRED;
	v->weighted_bipred_idc = (uint8_t)rbits(&b, 2);
	v->pic_init_qp_minus26 = (int8_t)rse(&b);
	v->pic_init_qs_minus26 = (int8_t)rse(&b);
	v->chroma_qp_index_offset = (int8_t)rse(&b);
	v->second_chroma_qp_index_offset = v->chroma_qp_index_offset;
	if (rb(&b))
		v->flags |= V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
	if (rb(&b))
		v->flags |= V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED;
	if (rb(&b))
		v->flags |= V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT;
	lists = sps->lists;
	if (more_rbsp_data(&b)) {
		int t8 = rb(&b);

		if (t8)
			v->flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
		matrix = rb(&b);
		if (matrix) {
			/* rule B falls back to the SPS-level lists (or A's defaults) */
			struct lists seq;

			if (sps->matrix) {
				seq = sps->lists;
			} else {
				for (i = 0; i < 12; i++)
					set_default(&seq, (int)i);
			}
			parse_lists(&b, &lists,
				    6 + (t8 ? (sps->v.chroma_format_idc == 3 ? 6 : 2) : 0),
				    &seq);
		}
		v->second_chroma_qp_index_offset = (int8_t)rse(&b);
	}
	if (b.err)
		return -1;
	if (matrix || sps->matrix)
		v->flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	/* raster order, as V4L2 wants it */
	for (i = 0; i < 6; i++) {
		for (j = 0; j < 16; j++)
			sm->scaling_list_4x4[i][zz4[j]] = lists.l4[i][j];
		for (j = 0; j < 64; j++)
			sm->scaling_list_8x8[i][zz8[j]] = lists.l8[i][j];
	}
	return 0;
}

/* ---- slice header (the part that identifies the picture) ---- */

struct slice {
	unsigned nal_type, nal_ref_idc, first_mb, slice_type, pps_id;
	unsigned frame_num, field, bottom, idr_pic_id, poc_lsb;
	int32_t delta_bottom, delta0, delta1;
};

static int parse_slice(const uint8_t *rbsp, size_t len, const struct sps *sps_tab,
		       const struct pps *pps_tab, struct slice *sl)
{
	struct br b = { rbsp, len * 8, 8, 0 };
	struct v4l2_ctrl_h264_pps pps;
	struct v4l2_ctrl_h264_scaling_matrix sm;
	const struct v4l2_ctrl_h264_sps *sps;
	int fmo = 0;

	memset(sl, 0, sizeof(*sl));
	sl->nal_type = rbsp[0] & 31;
	sl->nal_ref_idc = (rbsp[0] >> 5) & 3;
	sl->first_mb = rue(&b);
	sl->slice_type = rue(&b);
	sl->pps_id = rue(&b);
	if (sl->pps_id > 255 || !pps_tab[sl->pps_id].valid ||
	    parse_pps(&pps_tab[sl->pps_id], sps_tab, &pps, &sm, &fmo))
		return -1;
	sps = &sps_tab[pps.seq_parameter_set_id].v;
	if (sps->flags & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE)
		rbits(&b, 2);
	sl->frame_num = rbits(&b, sps->log2_max_frame_num_minus4 + 4);
	if (!(sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY)) {
		sl->field = rb(&b);
		if (sl->field)
			sl->bottom = rb(&b);
	}
	if (sl->nal_type == 5)
		sl->idr_pic_id = rue(&b);
	if (sps->pic_order_cnt_type == 0) {
		sl->poc_lsb = rbits(&b, sps->log2_max_pic_order_cnt_lsb_minus4 + 4);
		if ((pps.flags & V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT) &&
		    !sl->field)
			sl->delta_bottom = rse(&b);
	}
	if (sps->pic_order_cnt_type == 1 &&
	    !(sps->flags & V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO)) {
		sl->delta0 = rse(&b);
		if ((pps.flags & V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT) &&
		    !sl->field)
			sl->delta1 = rse(&b);
	}
	return b.err ? -1 : 0;
}

/* 7.4.1.2.4: does @b start a new primary coded picture after @a? */
static int new_picture(const struct slice *a, const struct slice *b)
{
	return a->frame_num != b->frame_num || a->pps_id != b->pps_id ||
	       a->field != b->field || a->bottom != b->bottom ||
	       (a->nal_ref_idc != b->nal_ref_idc &&
		(!a->nal_ref_idc || !b->nal_ref_idc)) ||
	       a->poc_lsb != b->poc_lsb || a->delta_bottom != b->delta_bottom ||
	       a->delta0 != b->delta0 || a->delta1 != b->delta1 ||
	       (a->nal_type == 5) != (b->nal_type == 5) ||
	       (a->nal_type == 5 && a->idr_pic_id != b->idr_pic_id);
}

/* ---- splitting ---- */

static int add_slice(struct h264_picture *p, const uint8_t *nal, size_t len)
{
	uint8_t *n = realloc(p->slices, p->slices_len + len + 3);

	if (!n)
		return -1;
	p->slices = n;
	n += p->slices_len;
	n[0] = 0;
	n[1] = 0;
	n[2] = 1;
	memcpy(n + 3, nal, len);
	p->slices_len += len + 3;
	return 0;
}

static int start_picture(struct h264_stream *s, const struct slice *sl,
			 const struct sps *sps_tab, const struct pps *pps_tab)
{
	struct h264_picture *p, *prev;
	struct daedalus_h264_params *hp;
	const struct sps *sps;
	int fmo = 0;

	p = realloc(s->pics, (s->npics + 1) * sizeof(*p));
	if (!p)
		return -1;
	s->pics = p;
	p = &s->pics[s->npics];
	memset(p, 0, sizeof(*p));
	hp = &p->params;
	if (parse_pps(&pps_tab[sl->pps_id], sps_tab, &hp->pps,
		      &hp->scaling_matrix, &fmo))
		return -1;
	s->fmo |= fmo;
	sps = &sps_tab[hp->pps.seq_parameter_set_id];
	hp->sps = sps->v;
	hp->decode_mode = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	hp->start_code = V4L2_STATELESS_H264_START_CODE_ANNEX_B;
	hp->decode_params.nal_ref_idc = (uint16_t)sl->nal_ref_idc;
	hp->decode_params.frame_num = (uint16_t)sl->frame_num;
	hp->decode_params.idr_pic_id = (uint16_t)sl->idr_pic_id;
	hp->decode_params.pic_order_cnt_lsb = (uint16_t)sl->poc_lsb;
	hp->decode_params.delta_pic_order_cnt_bottom = sl->delta_bottom;
	hp->decode_params.delta_pic_order_cnt0 = sl->delta0;
	hp->decode_params.delta_pic_order_cnt1 = sl->delta1;
	if (sl->nal_type == 5)
		hp->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
	if (sl->field)
		hp->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC;
	if (sl->bottom)
		hp->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD;
	switch (sl->slice_type % 5) {
	case 0: case 3:
		hp->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_PFRAME;
		break;
	case 1:
		hp->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_BFRAME;
		break;
	}
	p->field = sl->field;
	p->bottom = sl->bottom;
	p->width = sps->width;
	p->height = sps->height;
	p->depth = sps->v.bit_depth_luma_minus8 + 8;
	p->chroma_format_idc = sps->v.chroma_format_idc;
	p->crop = sps->crop;
	prev = s->npics ? &s->pics[s->npics - 1] : NULL;
	/* second field: opposite parity, same frame_num, right after the first */
	if (prev && p->field && prev->field && !prev->second_field &&
	    prev->bottom != p->bottom &&
	    prev->params.decode_params.frame_num == sl->frame_num &&
	    !(sl->nal_type == 5 &&
	      !(prev->params.decode_params.flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC))) {
		p->second_field = 1;
		prev->first_of_pair = 1;
		p->frame = prev->frame;
	} else {
		p->frame = s->nframes++;
	}
	s->npics++;
	return 0;
}

int h264_stream_load(struct h264_stream *s, const char *path)
{
	static struct sps sps_tab[32];
	static struct pps pps_tab[256];
	uint8_t *rbsp = NULL;
	struct slice last = { 0 }, sl;
	int have_last = 0, au_ended = 1;
	size_t i, n, start, end;
	FILE *f;

	memset(s, 0, sizeof(*s));
	memset(sps_tab, 0, sizeof(sps_tab));
	memset(pps_tab, 0, sizeof(pps_tab));
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	s->size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	s->data = malloc(s->size + 8);
	rbsp = malloc(s->size + 8);
	s->frame_end = calloc(s->size / 3 + 2, sizeof(size_t));
	if (!s->data || !rbsp || !s->frame_end ||
	    fread(s->data, 1, s->size, f) != s->size) {
		fclose(f);
		free(rbsp);
		return -1;
	}
	fclose(f);

	/* NAL units: [start, end) after each 00 00 01 */
	for (i = 0; i + 3 <= s->size;) {
		if (s->data[i] || s->data[i + 1] || s->data[i + 2] != 1) {
			i++;
			continue;
		}
		start = i + 3;
		for (end = start; end + 3 <= s->size; end++)
			if (!s->data[end] && !s->data[end + 1] &&
			    s->data[end + 2] <= 1)
				break;
		if (end + 3 > s->size)
			end = s->size;
		i = end;
		while (end > start && !s->data[end - 1])
			end--;	/* trailing_zero_8bits / 4-byte start code */
		if (end <= start)
			continue;
		n = unescape(s->data + start, end - start, rbsp);
		switch (s->data[start] & 31) {
		case 7:
			parse_sps(rbsp, n, sps_tab);
			au_ended = 1;
			break;
		case 8: {
			struct br b = { rbsp, n * 8, 8, 0 };
			unsigned id = rue(&b);

			if (id < 256 && n <= sizeof(pps_tab[id].rbsp)) {
				memcpy(pps_tab[id].rbsp, rbsp, n);
				pps_tab[id].len = n;
				pps_tab[id].valid = 1;
			}
			au_ended = 1;
			break;
		}
		case 1:
		case 5:
			if (parse_slice(rbsp, n, sps_tab, pps_tab, &sl)) {
				fprintf(stderr, "%s: bad slice header at %zu\n",
					path, start);
				break;
			}
			if (!have_last || au_ended || new_picture(&last, &sl)) {
				if (start_picture(s, &sl, sps_tab, pps_tab))
					goto fail;
			}
			/* frame boundaries for the reference decode */
			s->frame_end[s->pics[s->npics - 1].frame] = end;
			if (add_slice(&s->pics[s->npics - 1], s->data + start,
				      end - start))
				goto fail;
			last = sl;
			have_last = 1;
			au_ended = 0;
			break;
		case 6: case 9: case 10: case 11:
			au_ended = 1;
			break;
		default:
			break;	/* data partitions, filler, extensions: dropped */
		}
	}
	free(rbsp);
	return s->npics ? 0 : -1;

fail:
	free(rbsp);
	return -1;
}

void h264_stream_free(struct h264_stream *s)
{
	int i;

	for (i = 0; i < s->npics; i++)
		free(s->pics[i].slices);
	free(s->pics);
	free(s->frame_end);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

void h264_client_dpb_init(struct h264_client_dpb *d)
{
	d->last_ref = -1;
	d->last_ref_fn = 0;
}

void h264_client_dpb_fill(struct h264_client_dpb *d,
			  const struct h264_picture *pic,
			  struct daedalus_h264_params *params)
{
	const struct v4l2_ctrl_h264_decode_params *dp = &pic->params.decode_params;

	if (dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC)
		d->last_ref = -1;
	if (d->last_ref >= 0 && d->last_ref != pic->frame) {
		struct v4l2_h264_dpb_entry *e = &params->decode_params.dpb[0];

		e->reference_ts = (uint64_t)(d->last_ref + 1) * 1000;
		e->frame_num = (uint16_t)d->last_ref_fn;
		e->fields = V4L2_H264_FRAME_REF;
		e->flags = V4L2_H264_DPB_ENTRY_FLAG_VALID |
			   V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	}
	if (dp->nal_ref_idc) {
		d->last_ref = pic->frame;
		d->last_ref_fn = dp->frame_num;
	}
}

int h264_parse_sps_nal(const uint8_t *nal, size_t len,
		       struct v4l2_ctrl_h264_sps *out)
{
	static struct sps tab[32];
	uint8_t rbsp[4096];
	size_t n;
	int i;

	if (len > sizeof(rbsp))
		return -1;
	n = unescape(nal, len, rbsp);
	memset(tab, 0, sizeof(tab));
	if ((rbsp[0] & 31) != 7 || parse_sps(rbsp, n, tab))
		return -1;
	for (i = 0; i < 32; i++)
		if (tab[i].valid)
			*out = tab[i].v;
	return 0;
}

int h264_parse_pps_nal(const uint8_t *nal, size_t len,
		       const struct v4l2_ctrl_h264_sps *sps,
		       struct v4l2_ctrl_h264_pps *pps,
		       struct v4l2_ctrl_h264_scaling_matrix *sm)
{
	static struct sps tab[32];
	static struct pps raw;
	int fmo = 0;

	if (len > sizeof(raw.rbsp) || sps->seq_parameter_set_id > 31)
		return -1;
	memset(tab, 0, sizeof(tab));
	tab[sps->seq_parameter_set_id].valid = 1;
	tab[sps->seq_parameter_set_id].v = *sps;
	flat_lists(&tab[sps->seq_parameter_set_id].lists);
	raw.len = unescape(nal, len, raw.rbsp);
	if ((raw.rbsp[0] & 31) != 8)
		return -1;
	return parse_pps(&raw, tab, pps, sm, &fmo);
}
