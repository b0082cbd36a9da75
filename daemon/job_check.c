/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every check a job passes before a backend sees it.  The ranges follow
 * the codec specifications (H.264 7.4.2, VP8 RFC 6386 9, VP9 6/7, AV1 5/6)
 * narrowed to what this daemon decodes: 4:2:0 (and 4:0:0) at 8 or 10
 * bits, into NV12 or YUV420 (8-bit) or P010 (10-bit).
 */
#include <errno.h>
#include <stdint.h>
#include <linux/videodev2.h>

#include "job_check.h"
#include "proto_io.h"

#define FAIL(msg)                 \
	do {                      \
		*why = (msg);     \
		return -EINVAL;   \
	} while (0)

#define CHECK(cond, msg)          \
	do {                      \
		if (!(cond))      \
			FAIL(msg); \
	} while (0)

int dd_job_codec_supported(enum daedalus_codec codec)
{
	switch (codec) {
	case DAEDALUS_CODEC_H264:
	case DAEDALUS_CODEC_VP8:
	case DAEDALUS_CODEC_VP9:
		return 1;
	case DAEDALUS_CODEC_AV1:
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
		return 1;
#else
		return 0;
#endif
	case DAEDALUS_CODEC_NONE:
	case DAEDALUS_CODEC_COUNT:
		break;
	}
	return 0;
}

unsigned int dd_picture_bytes_per_sample(const struct daedalus_picture_format *fmt)
{
	return fmt->pixelformat == V4L2_PIX_FMT_P010 ? 2 : 1;
}

struct dd_chroma_plane dd_picture_chroma(const struct daedalus_picture_format *fmt,
					 unsigned int i)
{
	size_t luma = (size_t)fmt->bytesperline * fmt->height;
	size_t half = fmt->bytesperline / 2;

	if (fmt->pixelformat != V4L2_PIX_FMT_YUV420)
		return (struct dd_chroma_plane){ luma, fmt->bytesperline };
	return (struct dd_chroma_plane){ luma + i * half * (fmt->height / 2), half };
}

/* The picture format that holds samples of @bit_depth bits. */
static int format_fits_depth(const struct daedalus_job *job,
			     unsigned int bit_depth)
{
	if (bit_depth == 8)
		return job->picture_format.pixelformat == V4L2_PIX_FMT_NV12 ||
		       job->picture_format.pixelformat == V4L2_PIX_FMT_YUV420;
	return job->picture_format.pixelformat == V4L2_PIX_FMT_P010;
}

int dd_picture_format_check(const struct daedalus_picture_format *f,
			    const char **why)
{
	uint64_t bps, min_size;

	CHECK(f->reserved == 0, "picture format reserved field not zero");
	CHECK(f->pixelformat == V4L2_PIX_FMT_NV12 ||
	      f->pixelformat == V4L2_PIX_FMT_YUV420 ||
	      f->pixelformat == V4L2_PIX_FMT_P010, "unsupported picture format");
	/* YUV420's chroma stride is half of it. */
	CHECK(f->pixelformat != V4L2_PIX_FMT_YUV420 || !(f->bytesperline & 1),
	      "YUV420 bytesperline not even");
	CHECK(f->width && f->height, "picture size is zero");
	CHECK(f->width <= DD_MAX_DIMENSION && f->height <= DD_MAX_DIMENSION,
	      "picture size too large");
	/* 4:2:0: whole chroma rows, and room for the last CbCr pair of an odd width. */
	CHECK(!(f->height & 1), "picture height not even");

	bps = dd_picture_bytes_per_sample(f);
	CHECK(f->bytesperline >= (f->width + 1ull) / 2 * 2 * bps,
	      "bytesperline too small");
	min_size = (uint64_t)f->bytesperline * f->height * 3 / 2;
	CHECK(f->sizeimage >= min_size, "sizeimage too small for the picture");
	return 0;
}

static int check_geometry(const struct daedalus_job *job, const char **why)
{
	const struct daedalus_picture_format *f = &job->picture_format;

	CHECK(job->coded_width && job->coded_height, "coded size is zero");
	CHECK(job->coded_width <= DD_MAX_DIMENSION &&
	      job->coded_height <= DD_MAX_DIMENSION, "coded size too large");
	if (dd_picture_format_check(f, why))
		return -EINVAL;
	CHECK(f->width >= job->coded_width && f->height >= job->coded_height,
	      "picture smaller than the coded size");
	return 0;
}

static int check_buffers(const struct daedalus_job *job, const char **why)
{
	const struct daedalus_buf *bs = &job->bitstream, *pic = &job->picture;

	CHECK(bs->id && pic->id, "buffer id is 0");
	CHECK(bs->id != pic->id, "bitstream and picture share a buffer id");
	/* An fd comes with a buffer's first job, -1 with later ones. */
	CHECK(bs->fd >= -1 && pic->fd >= -1, "bad buffer fd");
	/* The cache keeps an fd per buffer: one fd for two would be closed twice. */
	CHECK(bs->fd < 0 || bs->fd != pic->fd, "bitstream and picture share an fd");
	CHECK(bs->bytesused > 0, "empty bitstream");
	CHECK((uint64_t)bs->offset + bs->bytesused <= bs->length,
	      "bitstream outside its buffer");
	CHECK((uint64_t)pic->offset + job->picture_format.sizeimage <= pic->length,
	      "sizeimage larger than the picture buffer");
	CHECK(job->num_refs <= DAEDALUS_MAX_REFS, "too many references");
	return 0;
}

static int h264_profile_known(unsigned int idc)
{
	switch (idc) {
	case 44: case 66: case 77: case 83: case 86: case 88: case 100:
	case 110: case 118: case 122: case 128: case 134: case 135:
	case 138: case 139: case 244:
		return 1;
	}
	return 0;
}

static int check_h264(const struct daedalus_job *job, const char **why)
{
	const struct daedalus_h264_params *p = &job->params.h264;
	const struct v4l2_ctrl_h264_sps *sps = &p->sps;
	const struct v4l2_ctrl_h264_pps *pps = &p->pps;
	const struct v4l2_ctrl_h264_decode_params *dec = &p->decode_params;
	unsigned int width_mbs, height_mbs, frame_mbs_only;
	int qp_min;

	CHECK(p->decode_mode <= V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
	      "h264: bad decode_mode");
	CHECK(p->start_code <= V4L2_STATELESS_H264_START_CODE_ANNEX_B,
	      "h264: bad start_code");
	CHECK(p->reserved == 0, "h264: reserved field not zero");

	/* SPS, 7.4.2.1.1 */
	CHECK(h264_profile_known(sps->profile_idc), "h264: unknown profile_idc");
	CHECK(sps->seq_parameter_set_id <= 31, "h264: sps id > 31");
	CHECK(sps->chroma_format_idc <= 1, "h264: chroma_format_idc not 4:0:0/4:2:0");
	CHECK(sps->bit_depth_luma_minus8 <= 2 && sps->bit_depth_chroma_minus8 <= 2,
	      "h264: bit depth above 10");
	CHECK(format_fits_depth(job, sps->bit_depth_luma_minus8 ||
				     sps->bit_depth_chroma_minus8 ? 10 : 8),
	      "h264: picture format does not match the bit depth");
	CHECK(sps->log2_max_frame_num_minus4 <= 12,
	      "h264: log2_max_frame_num_minus4 > 12");
	CHECK(sps->pic_order_cnt_type <= 2, "h264: pic_order_cnt_type > 2");
	CHECK(sps->log2_max_pic_order_cnt_lsb_minus4 <= 12,
	      "h264: log2_max_pic_order_cnt_lsb_minus4 > 12");
	/* 7.4.2.1.1: the POC offsets are in -2^31 + 1 .. 2^31 - 1 (se(v) cannot code -2^31) */
	if (sps->pic_order_cnt_type == 1) {
		CHECK(sps->offset_for_non_ref_pic != INT32_MIN &&
		      sps->offset_for_top_to_bottom_field != INT32_MIN,
		      "h264: POC offset out of range");
		for (unsigned int i = 0; i < sps->num_ref_frames_in_pic_order_cnt_cycle; i++)
			CHECK(sps->offset_for_ref_frame[i] != INT32_MIN,
			      "h264: offset_for_ref_frame out of range");
	}
	CHECK(sps->max_num_ref_frames <= 16, "h264: max_num_ref_frames > 16");
	CHECK(!(sps->flags & ~0x7fu), "h264: unknown sps flags");
	CHECK(!(sps->flags & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE),
	      "h264: separate colour planes");

	frame_mbs_only = !!(sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY);
	width_mbs = sps->pic_width_in_mbs_minus1 + 1u;
	height_mbs = (2 - frame_mbs_only) * (sps->pic_height_in_map_units_minus1 + 1u);
	CHECK(width_mbs * 16 <= DD_MAX_DIMENSION && height_mbs * 16 <= DD_MAX_DIMENSION,
	      "h264: picture size in macroblocks too large");
	CHECK(job->coded_width <= width_mbs * 16 &&
	      job->coded_width > (width_mbs - 1) * 16,
	      "h264: pic_width_in_mbs does not match the coded width");
	CHECK(job->coded_height <= height_mbs * 16 &&
	      job->coded_height > (height_mbs - 1) * 16,
	      "h264: pic_height_in_map_units does not match the coded height");

	/* PPS, 7.4.2.2 */
	CHECK(pps->seq_parameter_set_id == sps->seq_parameter_set_id,
	      "h264: pps refers to another sps");
	CHECK(pps->num_slice_groups_minus1 <= 7, "h264: num_slice_groups_minus1 > 7");
	CHECK(pps->num_ref_idx_l0_default_active_minus1 <= 31 &&
	      pps->num_ref_idx_l1_default_active_minus1 <= 31,
	      "h264: num_ref_idx_default_active_minus1 > 31");
	CHECK(pps->weighted_bipred_idc <= 2, "h264: weighted_bipred_idc > 2");
	qp_min = -26 - 6 * sps->bit_depth_luma_minus8;
	CHECK(pps->pic_init_qp_minus26 >= qp_min && pps->pic_init_qp_minus26 <= 25,
	      "h264: pic_init_qp_minus26 out of range");
	CHECK(pps->pic_init_qs_minus26 >= -26 && pps->pic_init_qs_minus26 <= 25,
	      "h264: pic_init_qs_minus26 out of range");
	CHECK(pps->chroma_qp_index_offset >= -12 && pps->chroma_qp_index_offset <= 12 &&
	      pps->second_chroma_qp_index_offset >= -12 &&
	      pps->second_chroma_qp_index_offset <= 12,
	      "h264: chroma qp offset out of range");
	CHECK(!(pps->flags & ~0xffu), "h264: unknown pps flags");

	/*
	 * Scaling lists: a present matrix has no zero entry (7.4.2.1.1.1).
	 * Only the lists the stream can use are checked: the 8x8 ones only
	 * with transform_8x8_mode, and for 4:0:0/4:2:0 only the two luma
	 * ones (V4L2 order Y intra, Y inter, Cb..., Cr...). Clients leave
	 * the others zero (GStreamer fills 2 of the 6 for 4:2:0).
	 */
	if (pps->flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT) {
		const struct v4l2_ctrl_h264_scaling_matrix *m = &p->scaling_matrix;
		unsigned int n8 = 0;

		if (pps->flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE)
			n8 = sps->chroma_format_idc == 3 ? 6 : 2;
		for (unsigned int i = 0; i < 6; i++)
			for (unsigned int j = 0; j < 16; j++)
				CHECK(m->scaling_list_4x4[i][j],
				      "h264: zero in a 4x4 scaling list");
		for (unsigned int i = 0; i < n8; i++)
			for (unsigned int j = 0; j < 64; j++)
				CHECK(m->scaling_list_8x8[i][j],
				      "h264: zero in an 8x8 scaling list");
	}

	/* Decode parameters, 7.4.3 */
	CHECK(dec->nal_ref_idc <= 3, "h264: nal_ref_idc > 3");
	CHECK(dec->frame_num < (1u << (sps->log2_max_frame_num_minus4 + 4)),
	      "h264: frame_num out of range");
	CHECK(!(dec->flags & ~0x1fu), "h264: unknown decode flags");
	CHECK(!(dec->flags & V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC) || !frame_mbs_only,
	      "h264: field picture in a frame-only stream");
	for (unsigned int i = 0; i < V4L2_H264_NUM_DPB_ENTRIES; i++) {
		const struct v4l2_h264_dpb_entry *e = &dec->dpb[i];

		if (!(e->flags & V4L2_H264_DPB_ENTRY_FLAG_VALID))
			continue;
		CHECK(!(e->flags & ~0x0fu), "h264: unknown dpb entry flags");
		CHECK(e->fields <= V4L2_H264_FRAME_REF,
		      "h264: bad dpb entry fields");
	}
	return 0;
}

static int check_vp8(const struct daedalus_job *job, const char **why)
{
	const struct v4l2_ctrl_vp8_frame *f = &job->params.vp8.frame;
	uint64_t parts = 0;

	CHECK(f->width && f->height, "vp8: frame size is zero");
	CHECK(f->width <= job->coded_width && f->height <= job->coded_height,
	      "vp8: frame larger than the coded size");
	CHECK(format_fits_depth(job, 8), "vp8: picture format is not 8-bit");
	CHECK(f->version <= 3, "vp8: version > 3");
	CHECK(f->num_dct_parts == 1 || f->num_dct_parts == 2 ||
	      f->num_dct_parts == 4 || f->num_dct_parts == 8,
	      "vp8: num_dct_parts not 1, 2, 4 or 8");
	CHECK(f->lf.level <= 63 && f->lf.sharpness_level <= 7,
	      "vp8: loop filter out of range");
	CHECK(f->quant.y_ac_qi <= 127, "vp8: y_ac_qi > 127");
	CHECK(f->quant.y_dc_delta >= -15 && f->quant.y_dc_delta <= 15 &&
	      f->quant.y2_dc_delta >= -15 && f->quant.y2_dc_delta <= 15 &&
	      f->quant.y2_ac_delta >= -15 && f->quant.y2_ac_delta <= 15 &&
	      f->quant.uv_dc_delta >= -15 && f->quant.uv_dc_delta <= 15 &&
	      f->quant.uv_ac_delta >= -15 && f->quant.uv_ac_delta <= 15,
	      "vp8: quantizer delta out of range");
	CHECK(!(f->flags & ~0x3full), "vp8: unknown frame flags");
	CHECK(f->first_part_header_bits <= (uint64_t)f->first_part_size * 8,
	      "vp8: first_part_header_bits beyond the first partition");
	/*
	 * The partitions follow one another (RFC 6386 9.5): frame tag (and key
	 * frame header), first partition, the sizes of all token partitions
	 * but the last (3 bytes each), then the token partitions.  Their sum,
	 * not each alone, must fit; 64-bit, so nothing wraps.
	 */
	parts = (f->flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME ? 10u : 3u) +
		(uint64_t)f->first_part_size + 3u * (f->num_dct_parts - 1u);
	CHECK(f->first_part_size && parts <= job->bitstream.bytesused,
	      "vp8: first partition outside the bitstream");
	for (unsigned int i = 0; i < f->num_dct_parts; i++)
		parts += f->dct_part_sizes[i];
	CHECK(parts <= job->bitstream.bytesused, "vp8: partitions outside the bitstream");
	return 0;
}

static int check_vp9(const struct daedalus_job *job, const char **why)
{
	const struct daedalus_vp9_params *p = &job->params.vp9;
	const struct v4l2_ctrl_vp9_frame *f = &p->frame;

	CHECK(p->has_compressed_hdr <= 1, "vp9: bad has_compressed_hdr");
	for (unsigned int i = 0; i < sizeof(p->reserved); i++)
		CHECK(!p->reserved[i], "vp9: reserved field not zero");
	CHECK(!(f->flags & ~0x3ffu), "vp9: unknown frame flags");
	CHECK(!((f->flags & V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT) &&
		(f->flags & V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX)),
	      "vp9: error resilient frame refreshes the context");
	/* Profiles 1 and 3 are the non-4:2:0 ones; 12 bits do not fit P010. */
	CHECK(f->profile == 0 || f->profile == 2, "vp9: profile not 0 or 2");
	CHECK((f->profile == 0 && f->bit_depth == 8) ||
	      (f->profile == 2 && f->bit_depth == 10),
	      "vp9: bit depth does not match the profile");
	CHECK(format_fits_depth(job, f->bit_depth),
	      "vp9: picture format does not match the bit depth");
	CHECK(f->frame_width_minus_1 + 1u <= job->coded_width &&
	      f->frame_height_minus_1 + 1u <= job->coded_height,
	      "vp9: frame larger than the coded size");
	CHECK(f->reset_frame_context <= 2, "vp9: reset_frame_context > 2");
	CHECK(f->frame_context_idx < V4L2_VP9_NUM_FRAME_CTX, "vp9: frame_context_idx > 3");
	CHECK(f->interpolation_filter <= 4, "vp9: interpolation_filter > 4");
	CHECK(f->tile_cols_log2 <= 6 && f->tile_rows_log2 <= 2,
	      "vp9: tile log2 out of range");
	CHECK(f->reference_mode <= 2, "vp9: reference_mode > 2");
	CHECK(f->lf.level <= 63 && f->lf.sharpness <= 7, "vp9: loop filter out of range");
	CHECK((uint32_t)f->uncompressed_header_size + f->compressed_header_size <=
	      job->bitstream.bytesused, "vp9: headers larger than the bitstream");
	return 0;
}

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
static int check_av1(const struct daedalus_job *job, const char **why)
{
	const struct daedalus_av1_params *p = &job->params.av1;
	const struct v4l2_ctrl_av1_sequence *seq = &p->sequence;
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	const struct v4l2_av1_tile_info *ti = &f->tile_info;
	const struct v4l2_ctrl_av1_film_grain *fg = &p->film_grain;
	const uint32_t s420 = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			      V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	uint64_t tile_bytes = 0;

	CHECK(!p->reserved[0] && !p->reserved[1], "av1: reserved field not zero");

	/* Sequence header, 5.5 */
	CHECK(!(seq->flags & ~0xfffffu), "av1: unknown sequence flags");
	CHECK(seq->seq_profile == 0 || seq->seq_profile == 2,
	      "av1: seq_profile not 0 or 2 (4:4:4)");
	CHECK(seq->bit_depth == 8 || seq->bit_depth == 10, "av1: bit depth not 8 or 10");
	CHECK(format_fits_depth(job, seq->bit_depth),
	      "av1: picture format does not match the bit depth");
	CHECK((seq->flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME) ||
	      (seq->flags & s420) == s420, "av1: not 4:2:0");
	CHECK(seq->order_hint_bits <= 8, "av1: order_hint_bits > 8");

	/* Frame header, 5.9 */
	CHECK(f->frame_type <= V4L2_AV1_SWITCH_FRAME, "av1: bad frame_type");
	CHECK(f->frame_width_minus_1 <= seq->max_frame_width_minus_1 &&
	      f->frame_height_minus_1 <= seq->max_frame_height_minus_1,
	      "av1: frame larger than the sequence maximum");
	CHECK(f->frame_width_minus_1 + 1ull <= job->coded_width &&
	      f->frame_height_minus_1 + 1ull <= job->coded_height &&
	      f->upscaled_width <= job->coded_width,
	      "av1: frame larger than the coded size");
	CHECK(f->primary_ref_frame <= 7, "av1: primary_ref_frame > 7");
	if (f->frame_type == V4L2_AV1_INTER_FRAME ||
	    f->frame_type == V4L2_AV1_SWITCH_FRAME)
		for (unsigned int i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++)
			CHECK(f->ref_frame_idx[i] >= 0 && f->ref_frame_idx[i] <= 7,
			      "av1: ref_frame_idx out of range");

	/* Tiles: only through the tile group entries, all inside bytesused. */
	CHECK(ti->tile_cols >= 1 && ti->tile_cols <= V4L2_AV1_MAX_TILE_COLS &&
	      ti->tile_rows >= 1 && ti->tile_rows <= V4L2_AV1_MAX_TILE_ROWS,
	      "av1: tile_cols/tile_rows out of range");
	CHECK(p->num_tiles >= 1 && p->num_tiles <= DAEDALUS_MAX_TILES,
	      "av1: num_tiles out of range");
	CHECK((uint32_t)ti->tile_cols * ti->tile_rows <= p->num_tiles,
	      "av1: fewer tile entries than tiles");
	CHECK(ti->context_update_tile_id < (uint32_t)ti->tile_cols * ti->tile_rows,
	      "av1: context_update_tile_id out of range");
	for (unsigned int i = 0; i < p->num_tiles; i++) {
		const struct v4l2_ctrl_av1_tile_group_entry *t = &p->tiles[i];

		CHECK(t->tile_size > 0, "av1: empty tile");
		CHECK((uint64_t)t->tile_offset + t->tile_size <= job->bitstream.bytesused,
		      "av1: tile outside the bitstream");
		CHECK(t->tile_row < ti->tile_rows && t->tile_col < ti->tile_cols,
		      "av1: tile position out of range");
		tile_bytes += t->tile_size;
	}
	/*
	 * A frame's tiles are disjoint bytes of the buffer.  Entries that
	 * overlap would make the backend allocate and copy up to 512 times
	 * the buffer (the OBUs are rebuilt around copies of the tiles).
	 */
	CHECK(tile_bytes <= job->bitstream.bytesused,
	      "av1: tile sizes add up to more than the bitstream");

	/* Film grain, 5.9.30 */
	if (fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN) {
		CHECK(fg->num_y_points <= 14, "av1: num_y_points > 14");
		CHECK(fg->num_cb_points <= 10 && fg->num_cr_points <= 10,
		      "av1: num_cb/cr_points > 10");
		CHECK(fg->ar_coeff_lag <= 3, "av1: ar_coeff_lag > 3");
		CHECK(fg->film_grain_params_ref_idx <= 7, "av1: film_grain_params_ref_idx > 7");
	}
	return 0;
}
#endif

int dd_job_check(const struct daedalus_job *job, size_t len, const char **why)
{
	int ret;

	CHECK(len == sizeof(*job), "job record of the wrong length");
	ret = dd_hdr_check(&job->hdr, DAEDALUS_MSG_JOB, sizeof(*job), why);
	if (ret)
		return ret;
	CHECK(job->reserved == 0, "job reserved field not zero");
	CHECK(job->ctx_id != 0, "ctx_id is 0");
	CHECK(dd_job_codec_supported(job->codec), "unknown codec");
	CHECK(!(job->flags & ~(uint32_t)(DAEDALUS_JOB_NEW_STREAM |
					 DAEDALUS_JOB_HOLD_CAPTURE)),
	      "unknown job flags");

	ret = check_geometry(job, why);
	if (!ret)
		ret = check_buffers(job, why);
	if (ret)
		return ret;

	switch (job->codec) {
	case DAEDALUS_CODEC_H264:
		return check_h264(job, why);
	case DAEDALUS_CODEC_VP8:
		return check_vp8(job, why);
	case DAEDALUS_CODEC_VP9:
		return check_vp9(job, why);
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	case DAEDALUS_CODEC_AV1:
		return check_av1(job, why);
#endif
	default:
		FAIL("unknown codec");
	}
}
