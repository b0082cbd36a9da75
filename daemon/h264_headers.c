/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "h264_headers.h"

#include "bitreader.h"
#include "bitwriter.h"

enum { NAL_SPS = 7, NAL_PPS = 8 };

const uint8_t dd_h264_zigzag4x4[16] = {
	0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15,
};

const uint8_t dd_h264_zigzag8x8[64] = {
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

/* The profiles whose SPS carries chroma_format_idc and bit depths (7.3.2.1.1). */
static int has_chroma_format(unsigned profile_idc)
{
	switch (profile_idc) {
	case 100: case 110: case 122: case 244: case 44: case 83: case 86:
	case 118: case 128: case 138: case 139: case 134: case 135:
		return 1;
	}
	return 0;
}

/*
 * The profile to write.  Chroma format, bit depth and transform bypass are
 * only coded in High-family SPSs; a client that sets them with another
 * profile_idc (it cannot come from a real stream) gets the smallest High
 * profile that has them, so the decoder does not fall back to 4:2:0 8-bit.
 */
static unsigned sps_profile(const struct v4l2_ctrl_h264_sps *sps)
{
	if (has_chroma_format(sps->profile_idc))
		return sps->profile_idc;
	if (sps->chroma_format_idc == 1 && !sps->bit_depth_luma_minus8 &&
	    !sps->bit_depth_chroma_minus8 &&
	    !(sps->flags & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS))
		return sps->profile_idc;
	if (sps->chroma_format_idc == 3 ||
	    (sps->flags & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS))
		return 244;
	if (sps->chroma_format_idc == 2)
		return 122;
	if (sps->bit_depth_luma_minus8 || sps->bit_depth_chroma_minus8)
		return 110;
	return 100;
}

static size_t finish_nal(struct dd_bitwriter *bw, uint8_t *out, size_t cap)
{
	size_t len;

	dd_bw_trailing(bw);
	len = dd_bw_bytes(bw);
	if (!len)
		return 0;
	return dd_nal_escape(out, cap, bw->buf, len);
}

size_t dd_h264_write_sps(uint8_t *out, size_t cap,
			 const struct v4l2_ctrl_h264_sps *sps)
{
	uint8_t rbsp[DD_H264_PS_MAX];
	struct dd_bitwriter bw;
	unsigned profile = sps_profile(sps);
	unsigned i;

	if (sps->pic_order_cnt_type > 2 || sps->chroma_format_idc > 3)
		return 0;
	dd_bw_init(&bw, rbsp, sizeof(rbsp));
	dd_bw_bits(&bw, 8, NAL_SPS | 3u << 5);	/* nal_ref_idc 3 */
	dd_bw_bits(&bw, 8, profile);
	/* V4L2 keeps constraint_set0 in bit 0; the bitstream writes it first. */
	for (i = 0; i < 6; i++)
		dd_bw_flag(&bw, sps->constraint_set_flags & (1u << i));
	dd_bw_bits(&bw, 2, 0);
	dd_bw_bits(&bw, 8, sps->level_idc);
	dd_bw_ue(&bw, sps->seq_parameter_set_id);
	if (has_chroma_format(profile)) {
		dd_bw_ue(&bw, sps->chroma_format_idc);
		if (sps->chroma_format_idc == 3)
			dd_bw_flag(&bw, sps->flags &
				   V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE);
		dd_bw_ue(&bw, sps->bit_depth_luma_minus8);
		dd_bw_ue(&bw, sps->bit_depth_chroma_minus8);
		dd_bw_flag(&bw, sps->flags &
			   V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS);
		dd_bw_flag(&bw, 0);	/* seq_scaling_matrix_present_flag */
	}
	dd_bw_ue(&bw, sps->log2_max_frame_num_minus4);
	dd_bw_ue(&bw, sps->pic_order_cnt_type);
	if (sps->pic_order_cnt_type == 0) {
		dd_bw_ue(&bw, sps->log2_max_pic_order_cnt_lsb_minus4);
	} else if (sps->pic_order_cnt_type == 1) {
		dd_bw_flag(&bw, sps->flags &
			   V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO);
		dd_bw_se(&bw, sps->offset_for_non_ref_pic);
		dd_bw_se(&bw, sps->offset_for_top_to_bottom_field);
		dd_bw_ue(&bw, sps->num_ref_frames_in_pic_order_cnt_cycle);
		for (i = 0; i < sps->num_ref_frames_in_pic_order_cnt_cycle; i++)
			dd_bw_se(&bw, sps->offset_for_ref_frame[i]);
	}
	dd_bw_ue(&bw, sps->max_num_ref_frames);
	dd_bw_flag(&bw, sps->flags &
		   V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED);
	dd_bw_ue(&bw, sps->pic_width_in_mbs_minus1);
	dd_bw_ue(&bw, sps->pic_height_in_map_units_minus1);
	dd_bw_flag(&bw, sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY);
	if (!(sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY))
		dd_bw_flag(&bw, sps->flags &
			   V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD);
	dd_bw_flag(&bw, sps->flags & V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE);
	dd_bw_flag(&bw, 0);	/* frame_cropping_flag */
	dd_bw_flag(&bw, 0);	/* vui_parameters_present_flag */
	return finish_nal(&bw, out, cap);
}

/* scaling_list() (7.3.2.1.1.1) with every value delta coded, no early end. */
static void write_scaling_list(struct dd_bitwriter *bw, const uint8_t *raster,
			       const uint8_t *zigzag, unsigned n)
{
	int last = 8;
	unsigned i;

	dd_bw_flag(bw, 1);	/* scaling_list_present_flag */
	for (i = 0; i < n; i++) {
		int v = raster[zigzag[i]];
		int delta = v - last;

		/* nextScale = (last + delta + 256) % 256 */
		if (delta > 127)
			delta -= 256;
		else if (delta < -128)
			delta += 256;
		dd_bw_se(bw, delta);
		last = v;
	}
}

int dd_h264_pps_lossy(const struct v4l2_ctrl_h264_pps *pps)
{
	return pps->num_slice_groups_minus1 != 0;
}

size_t dd_h264_write_pps(uint8_t *out, size_t cap,
			 const struct v4l2_ctrl_h264_sps *sps,
			 const struct v4l2_ctrl_h264_pps *pps,
			 const struct v4l2_ctrl_h264_scaling_matrix *sm)
{
	uint8_t rbsp[DD_H264_PS_MAX];
	struct dd_bitwriter bw;
	int t8x8 = !!(pps->flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE);
	int matrix = !!(pps->flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT);
	unsigned i, n8x8;

	dd_bw_init(&bw, rbsp, sizeof(rbsp));
	dd_bw_bits(&bw, 8, NAL_PPS | 3u << 5);
	dd_bw_ue(&bw, pps->pic_parameter_set_id);
	dd_bw_ue(&bw, pps->seq_parameter_set_id);
	dd_bw_flag(&bw, pps->flags & V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE);
	dd_bw_flag(&bw, pps->flags &
		   V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT);
	/* The slice-group map is not in the controls: one group. */
	dd_bw_ue(&bw, 0);
	dd_bw_ue(&bw, pps->num_ref_idx_l0_default_active_minus1);
	dd_bw_ue(&bw, pps->num_ref_idx_l1_default_active_minus1);
	dd_bw_flag(&bw, pps->flags & V4L2_H264_PPS_FLAG_WEIGHTED_PRED);
	dd_bw_bits(&bw, 2, pps->weighted_bipred_idc);
	dd_bw_se(&bw, pps->pic_init_qp_minus26);
	dd_bw_se(&bw, pps->pic_init_qs_minus26);
	dd_bw_se(&bw, pps->chroma_qp_index_offset);
	dd_bw_flag(&bw, pps->flags &
		   V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT);
	dd_bw_flag(&bw, pps->flags & V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED);
	dd_bw_flag(&bw, pps->flags &
		   V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT);
	/*
	 * The optional tail only when it says something: some decoders
	 * reject trailing PPS data in profiles that do not allow it.
	 */
	if (t8x8 || matrix ||
	    pps->second_chroma_qp_index_offset != pps->chroma_qp_index_offset) {
		dd_bw_flag(&bw, t8x8);
		dd_bw_flag(&bw, matrix);
		if (matrix) {
			n8x8 = t8x8 ? (sps->chroma_format_idc == 3 ? 6 : 2) : 0;
			for (i = 0; i < 6; i++)
				write_scaling_list(&bw, sm->scaling_list_4x4[i],
						   dd_h264_zigzag4x4, 16);
			/* V4L2's 8x8 order (Y intra, Y inter, Cb.., Cr..) is the spec's */
			for (i = 0; i < n8x8; i++)
				write_scaling_list(&bw, sm->scaling_list_8x8[i],
						   dd_h264_zigzag8x8, 64);
		}
		dd_bw_se(&bw, pps->second_chroma_qp_index_offset);
	}
	return finish_nal(&bw, out, cap);
}

/* slice_type of the slice NAL unit whose header starts at @p: -1 if unreadable. */
static int slice_type(const uint8_t *p, size_t n)
{
	uint8_t rbsp[16];
	struct dd_bitreader br;
	size_t i, len = 0;
	int zeros = 0;
	uint32_t type;

	/* first_mb_in_slice and slice_type fit in the first bytes: unescape those. */
	for (i = 0; i < n && len < sizeof(rbsp); i++) {
		if (zeros >= 2 && p[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = p[i] ? 0 : zeros + 1;
		rbsp[len++] = p[i];
	}
	dd_br_init(&br, rbsp, len);
	dd_br_ue(&br);
	type = dd_br_ue(&br);
	return br.overrun || type > 9 ? -1 : (int)(type % 5);
}

/*
 * The slice NAL unit after offset *@pos of an Annex-B buffer: its header
 * byte's offset (and *@pos past it), or 0 when there is none.  Start codes
 * are found by their 01 byte (memchr), the NAL header byte after it.
 */
static size_t next_slice(const uint8_t *data, size_t size, size_t *pos)
{
	size_t i = *pos < 2 ? 2 : *pos;

	while (i + 1 < size) {
		const uint8_t *one = memchr(data + i, 1, size - 1 - i);
		unsigned int nal_type;

		if (!one)
			break;
		i = (size_t)(one - data) + 1;
		nal_type = data[i] & 0x1f;
		if (!data[i - 2] && !data[i - 3] && (nal_type == 1 || nal_type == 5)) {
			*pos = i + 1;
			return i;
		}
	}
	*pos = size;
	return 0;
}

int dd_h264_all_intra(const uint8_t *data, size_t size)
{
	size_t pos = 0, nal;
	int slices = 0;

	while ((nal = next_slice(data, size, &pos))) {
		int type = slice_type(data + nal + 1, size - nal - 1);

		if (type != 2 && type != 4)	/* I, SI */
			return 0;
		slices++;
	}
	return slices > 0;
}

unsigned int dd_h264_slices(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	unsigned int slices = 0;

	while (next_slice(data, size, &pos))
		slices++;
	return slices;
}
