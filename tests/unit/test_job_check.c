/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_job_check(): a well-formed job of every codec passes; each malformed
 * variant (one field broken at a time) is rejected with a reason.
 */
#include <errno.h>
#include <linux/videodev2.h>

#include "dd_test.h"
#include "fixture.h"
#include "job_check.h"

static struct daedalus_job job;

static struct daedalus_job *fresh(enum daedalus_codec codec)
{
	fx_job_init(&job, codec, 3, 4, 1920, 1088);
	return &job;
}

static void expect(const char *what, int line, int want_ok)
{
	const char *why = NULL;
	int ret = dd_job_check(&job, sizeof(job), &why);

	dd_test_checks++;
	if (want_ok ? ret != 0 : ret != -EINVAL || !why) {
		dd_test_failures++;
		fprintf(stderr, "line %d: %s: dd_job_check() = %d (%s), expected %s\n",
			line, what, ret, why ? why : "-", want_ok ? "0" : "-EINVAL");
	}
}

#define ACCEPT(codec, stmt)                              \
	do {                                             \
		struct daedalus_job *j = fresh(codec);   \
		(void)j;                                 \
		stmt;                                    \
		expect(#stmt, __LINE__, 1);              \
	} while (0)

#define REJECT(codec, stmt)                              \
	do {                                             \
		struct daedalus_job *j = fresh(codec);   \
		(void)j;                                 \
		stmt;                                    \
		expect(#stmt, __LINE__, 0);              \
	} while (0)

static void test_common(void)
{
	const enum daedalus_codec H = DAEDALUS_CODEC_H264;
	const char *why = NULL;

	ACCEPT(H, (void)0);
	ACCEPT(DAEDALUS_CODEC_VP8, (void)0);
	ACCEPT(DAEDALUS_CODEC_VP9, (void)0);
	ACCEPT(H, j->flags = DAEDALUS_JOB_NEW_STREAM | DAEDALUS_JOB_HOLD_CAPTURE);
	ACCEPT(H, j->num_refs = DAEDALUS_MAX_REFS);
	ACCEPT(H, j->bitstream.offset = FX_BITSTREAM_LENGTH - FX_BYTESUSED);
	ACCEPT(H, j->picture.length += 4096);
	/* An odd width (VP9, AV1 allow them) with a stride rounded up. */
	ACCEPT(DAEDALUS_CODEC_VP9, (j->coded_width = 1919, j->picture_format.width = 1919,
				    j->params.vp9.frame.frame_width_minus_1 = 1918));
	ACCEPT(H, (j->picture_format.bytesperline = 2048,
		   j->picture_format.sizeimage = 2048 * 1088 * 3 / 2,
		   j->picture.length = j->picture_format.sizeimage));

	/* Length of the read and the header. */
	fresh(H);
	CHECK_EQ(dd_job_check(&job, sizeof(job) - 1, &why), -EINVAL);
	CHECK_STR(why, "job record of the wrong length");
	REJECT(H, j->hdr.magic = 0);
	REJECT(H, j->hdr.version = 0);
	REJECT(H, j->hdr.type = DAEDALUS_MSG_BUF_GONE);
	REJECT(H, j->hdr.size = sizeof(*j) - 8);
	REJECT(H, j->hdr.reserved = 1);
	REJECT(H, j->reserved = 1);
	REJECT(H, j->ctx_id = 0);

	/* Codec and flags. */
	REJECT(H, j->codec = DAEDALUS_CODEC_NONE);
	REJECT(H, j->codec = DAEDALUS_CODEC_COUNT);
	REJECT(H, j->codec = 0x80000001u);
	REJECT(H, j->flags = 1u << 2);
	REJECT(H, j->flags = 1u << 31);

	/* Dimensions. */
	REJECT(H, j->coded_width = 0);
	REJECT(H, j->coded_height = 0);
	REJECT(H, j->coded_width = 8193);
	REJECT(H, j->coded_height = 16384);
	REJECT(H, j->picture_format.width = 0);
	REJECT(H, j->picture_format.height = 8194);
	REJECT(H, j->picture_format.width = 1919);	/* < coded width */
	REJECT(H, j->picture_format.height = 1089);	/* odd rows */
	REJECT(DAEDALUS_CODEC_VP9, (j->coded_width = 1919, j->picture_format.width = 1919,
				    j->params.vp9.frame.frame_width_minus_1 = 1918,
				    j->picture_format.bytesperline = 1919));
	REJECT(H, j->picture_format.height = 1080);	/* < coded height */
	REJECT(H, j->picture_format.reserved = 1);

	/* Picture format and sizes. */
	ACCEPT(H, j->picture_format.pixelformat = V4L2_PIX_FMT_YUV420);
	ACCEPT(DAEDALUS_CODEC_VP8, j->picture_format.pixelformat = V4L2_PIX_FMT_YUV420);
	REJECT(H, (j->picture_format.pixelformat = V4L2_PIX_FMT_YUV420,
		   j->picture_format.bytesperline = 1921));	/* odd: no chroma stride */
	REJECT(H, j->picture_format.pixelformat = V4L2_PIX_FMT_YUV422P);
	REJECT(H, j->picture_format.pixelformat = V4L2_PIX_FMT_P010);	/* 8-bit stream */
	REJECT(H, j->picture_format.bytesperline = 1918);
	REJECT(H, j->picture_format.sizeimage = 1920 * 1088 * 3 / 2 - 1);
	REJECT(H, j->picture.length = 1920 * 1088 * 3 / 2 - 1);
	REJECT(H, j->picture.offset = 1);
	REJECT(H, (j->picture_format.bytesperline = 0xffffffffu,
		   j->picture_format.sizeimage = 0xffffffffu,
		   j->picture.length = 0xffffffffu));

	/* Bitstream. */
	REJECT(H, j->bitstream.bytesused = 0);
	REJECT(H, j->bitstream.bytesused = FX_BITSTREAM_LENGTH + 1);
	REJECT(H, j->bitstream.offset = FX_BITSTREAM_LENGTH - FX_BYTESUSED + 1);
	REJECT(H, j->bitstream.offset = 0xffffffffu);
	REJECT(H, j->bitstream.id = 0);
	REJECT(H, j->picture.id = 0);
	REJECT(H, j->picture.id = j->bitstream.id);
	/* -1: the buffer's fd came with an earlier job; anything lower is wrong. */
	ACCEPT(H, j->bitstream.fd = -1);
	ACCEPT(H, j->picture.fd = -1);
	ACCEPT(H, (j->bitstream.fd = -1, j->picture.fd = -1));
	REJECT(H, j->bitstream.fd = -2);
	REJECT(H, j->picture.fd = -7);
	/* issue 8: one fd for both buffers (the cache would close it twice) */
	REJECT(H, j->picture.fd = j->bitstream.fd);

	/* References. */
	REJECT(H, j->num_refs = DAEDALUS_MAX_REFS + 1);
	REJECT(H, j->num_refs = 0xffffffffu);
}

static void test_h264(void)
{
	const enum daedalus_codec H = DAEDALUS_CODEC_H264;
	struct daedalus_h264_params *p = &job.params.h264;

	ACCEPT(H, p->sps.profile_idc = 66);
	ACCEPT(H, p->sps.chroma_format_idc = 0);
	ACCEPT(H, (p->sps.bit_depth_luma_minus8 = 2, p->sps.bit_depth_chroma_minus8 = 2,
		   j->picture_format.pixelformat = V4L2_PIX_FMT_P010,
		   j->picture_format.bytesperline = 3840,
		   j->picture_format.sizeimage = 3840 * 1088 * 3 / 2,
		   j->picture.length = j->picture_format.sizeimage,
		   p->pps.pic_init_qp_minus26 = -38));
	ACCEPT(H, j->coded_height = 1080);	/* cropped, same macroblocks */
	ACCEPT(H, (p->sps.flags &= ~V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY,
		   p->sps.pic_height_in_map_units_minus1 = 33));	/* 1088 interlaced */
	ACCEPT(H, (p->pps.flags = 0, p->scaling_matrix.scaling_list_8x8[5][63] = 0));
	/* unused lists: 8x8 without transform_8x8_mode, chroma 8x8 in 4:2:0 */
	ACCEPT(H, p->scaling_matrix.scaling_list_8x8[0][0] = 0);
	ACCEPT(H, (p->pps.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE,
		   memset(p->scaling_matrix.scaling_list_8x8[2], 0, 4 * 64)));
	ACCEPT(H, p->decode_params.frame_num = 15);
	ACCEPT(H, p->sps.max_num_ref_frames = 16);
	/* POC type 1 offsets at the ends of se(v)'s range, -2^31 + 1 .. 2^31 - 1 */
	ACCEPT(H, (p->sps.pic_order_cnt_type = 1,
		   p->sps.num_ref_frames_in_pic_order_cnt_cycle = 255,
		   p->sps.offset_for_ref_frame[0] = INT32_MIN + 1,
		   p->sps.offset_for_ref_frame[254] = INT32_MAX,
		   p->sps.offset_for_non_ref_pic = INT32_MIN + 1,
		   p->sps.offset_for_top_to_bottom_field = INT32_MIN + 1));
	/* -2^31 where the stream does not use it: outside the cycle, other POC types */
	ACCEPT(H, (p->sps.pic_order_cnt_type = 1,
		   p->sps.num_ref_frames_in_pic_order_cnt_cycle = 3,
		   p->sps.offset_for_ref_frame[3] = INT32_MIN));
	ACCEPT(H, (p->sps.pic_order_cnt_type = 0,
		   p->sps.num_ref_frames_in_pic_order_cnt_cycle = 1,
		   p->sps.offset_for_ref_frame[0] = INT32_MIN,
		   p->sps.offset_for_non_ref_pic = INT32_MIN,
		   p->sps.offset_for_top_to_bottom_field = INT32_MIN));

	REJECT(H, p->sps.profile_idc = 0);
	REJECT(H, p->sps.profile_idc = 101);
	REJECT(H, p->sps.chroma_format_idc = 2);
	REJECT(H, p->sps.chroma_format_idc = 3);
	REJECT(H, p->sps.bit_depth_luma_minus8 = 3);
	REJECT(H, p->sps.bit_depth_chroma_minus8 = 4);
	REJECT(H, p->sps.bit_depth_luma_minus8 = 2);	/* 10-bit into NV12 */
	REJECT(H, p->sps.log2_max_frame_num_minus4 = 13);
	REJECT(H, p->sps.log2_max_pic_order_cnt_lsb_minus4 = 13);
	REJECT(H, p->sps.pic_order_cnt_type = 3);
	REJECT(H, p->sps.max_num_ref_frames = 17);
	/* fuzz finding 1 (docs/fuzzing.md): -2^31 has no se(v) code */
	REJECT(H, (p->sps.pic_order_cnt_type = 1,
		   p->sps.num_ref_frames_in_pic_order_cnt_cycle = 1,
		   p->sps.offset_for_ref_frame[0] = INT32_MIN));
	REJECT(H, (p->sps.pic_order_cnt_type = 1,
		   p->sps.num_ref_frames_in_pic_order_cnt_cycle = 255,
		   p->sps.offset_for_ref_frame[254] = INT32_MIN));
	REJECT(H, (p->sps.pic_order_cnt_type = 1,
		   p->sps.offset_for_non_ref_pic = INT32_MIN));
	REJECT(H, (p->sps.pic_order_cnt_type = 1,
		   p->sps.offset_for_top_to_bottom_field = INT32_MIN));
	REJECT(H, p->sps.seq_parameter_set_id = 32);
	REJECT(H, p->sps.flags |= 0x80);
	REJECT(H, p->sps.flags |= V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE);
	REJECT(H, p->sps.pic_width_in_mbs_minus1 = 120);	/* 1936 > 1920 */
	REJECT(H, p->sps.pic_width_in_mbs_minus1 = 118);	/* 1904 < 1920 */
	REJECT(H, p->sps.pic_height_in_map_units_minus1 = 69);
	REJECT(H, p->sps.pic_width_in_mbs_minus1 = 0xffff);
	REJECT(H, (p->sps.flags &= ~V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY));	/* 2176 rows */
	REJECT(H, p->pps.seq_parameter_set_id = 1);
	REJECT(H, p->pps.num_slice_groups_minus1 = 8);
	REJECT(H, p->pps.num_ref_idx_l0_default_active_minus1 = 32);
	REJECT(H, p->pps.num_ref_idx_l1_default_active_minus1 = 255);
	REJECT(H, p->pps.weighted_bipred_idc = 3);
	REJECT(H, p->pps.pic_init_qp_minus26 = 26);
	REJECT(H, p->pps.pic_init_qp_minus26 = -27);	/* 8-bit */
	REJECT(H, p->pps.pic_init_qs_minus26 = -27);
	REJECT(H, p->pps.chroma_qp_index_offset = 13);
	REJECT(H, p->pps.second_chroma_qp_index_offset = -13);
	REJECT(H, p->pps.flags |= 0x100);
	REJECT(H, p->scaling_matrix.scaling_list_4x4[0][0] = 0);
	REJECT(H, (p->pps.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE,
		   p->scaling_matrix.scaling_list_8x8[1][63] = 0));
	REJECT(H, (p->pps.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE,
		   p->scaling_matrix.scaling_list_8x8[0][0] = 0));
	REJECT(H, p->decode_params.nal_ref_idc = 4);
	REJECT(H, p->decode_params.frame_num = 16);
	REJECT(H, p->decode_params.flags |= 0x20);
	REJECT(H, p->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC);
	REJECT(H, (p->decode_params.dpb[3].flags = V4L2_H264_DPB_ENTRY_FLAG_VALID | 0x10));
	REJECT(H, (p->decode_params.dpb[3].flags = V4L2_H264_DPB_ENTRY_FLAG_VALID,
		   p->decode_params.dpb[3].fields = 4));
	REJECT(H, p->decode_mode = 2);
	REJECT(H, p->start_code = 2);
	REJECT(H, p->reserved = 1);
}

static void test_vp8_vp9(void)
{
	const enum daedalus_codec V8 = DAEDALUS_CODEC_VP8, V9 = DAEDALUS_CODEC_VP9;
	struct v4l2_ctrl_vp8_frame *f8 = &job.params.vp8.frame;
	struct daedalus_vp9_params *p9 = &job.params.vp9;
	struct v4l2_ctrl_vp9_frame *f9 = &p9->frame;

	ACCEPT(V8, f8->num_dct_parts = 8);
	REJECT(V8, f8->width = 0);
	REJECT(V8, f8->width = 1921);
	REJECT(V8, f8->height = 1089);
	REJECT(V8, f8->num_dct_parts = 3);
	REJECT(V8, f8->num_dct_parts = 0);
	REJECT(V8, f8->version = 4);
	REJECT(V8, f8->lf.level = 64);
	REJECT(V8, f8->lf.sharpness_level = 8);
	REJECT(V8, f8->quant.y_ac_qi = 128);
	REJECT(V8, f8->quant.uv_dc_delta = 16);
	REJECT(V8, f8->quant.y2_ac_delta = -16);
	REJECT(V8, f8->flags |= 0x40);
	REJECT(V8, f8->first_part_size = 0);
	REJECT(V8, f8->first_part_size = FX_BYTESUSED + 1);
	REJECT(V8, f8->first_part_header_bits = 60 * 8 + 1);
	REJECT(V8, (f8->num_dct_parts = 2, f8->dct_part_sizes[1] = 0xffffffffu));
	REJECT(V8, j->picture_format.pixelformat = V4L2_PIX_FMT_P010);
	/*
	 * issue 8: the frame tag (10 bytes on a key frame, 3 otherwise), the
	 * first partition, 3 size bytes per DCT partition but the last, and
	 * the DCT partitions must fit bytesused (200) together.
	 */
	ACCEPT(V8, f8->dct_part_sizes[0] = 130);			/* 10 + 60 + 130 */
	REJECT(V8, f8->dct_part_sizes[0] = 131);
	REJECT(V8, f8->first_part_size = 150);			/* 10 + 150 + 100 */
	ACCEPT(V8, (f8->flags &= ~V4L2_VP8_FRAME_FLAG_KEY_FRAME,
		    f8->dct_part_sizes[0] = 137));		/* 3 + 60 + 137 */
	REJECT(V8, (f8->flags &= ~V4L2_VP8_FRAME_FLAG_KEY_FRAME,
		    f8->dct_part_sizes[0] = 138));
	ACCEPT(V8, (f8->num_dct_parts = 8, f8->dct_part_sizes[1] = 9));	/* 10 + 60 + 21 + 109 */
	REJECT(V8, (f8->num_dct_parts = 8, f8->dct_part_sizes[1] = 10));
	/* sums that wrap in 32 bits */
	REJECT(V8, (f8->num_dct_parts = 2, f8->dct_part_sizes[0] = 0xffffffffu,
		    f8->dct_part_sizes[1] = 1));
	REJECT(V8, (f8->num_dct_parts = 8, f8->dct_part_sizes[0] = 0x80000000u,
		    f8->dct_part_sizes[1] = 0x80000000u, f8->dct_part_sizes[2] = 0));

	ACCEPT(V9, p9->has_compressed_hdr = 1);
	ACCEPT(V9, (f9->profile = 2, f9->bit_depth = 10,
		    j->picture_format.pixelformat = V4L2_PIX_FMT_P010,
		    j->picture_format.bytesperline = 3840,
		    j->picture_format.sizeimage = 3840 * 1088 * 3 / 2,
		    j->picture.length = j->picture_format.sizeimage));
	REJECT(V9, f9->profile = 1);
	REJECT(V9, f9->profile = 3);
	REJECT(V9, f9->profile = 4);
	REJECT(V9, f9->bit_depth = 10);
	REJECT(V9, (f9->profile = 2, f9->bit_depth = 12,
		    j->picture_format.pixelformat = V4L2_PIX_FMT_P010,
		    j->picture_format.bytesperline = 3840,
		    j->picture_format.sizeimage = 3840 * 1088 * 3 / 2,
		    j->picture.length = j->picture_format.sizeimage));
	REJECT(V9, (f9->profile = 2, f9->bit_depth = 10));	/* into NV12 */
	REJECT(V9, f9->frame_width_minus_1 = 1920);
	REJECT(V9, f9->frame_height_minus_1 = 0xffff);
	REJECT(V9, f9->flags |= 0x400);
	REJECT(V9, f9->flags |= V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT |
			       V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX);
	REJECT(V9, f9->reset_frame_context = 3);
	REJECT(V9, f9->frame_context_idx = 4);
	REJECT(V9, f9->interpolation_filter = 5);
	REJECT(V9, f9->tile_cols_log2 = 7);
	REJECT(V9, f9->tile_rows_log2 = 3);
	REJECT(V9, f9->reference_mode = 3);
	REJECT(V9, f9->lf.level = 64);
	REJECT(V9, f9->lf.sharpness = 8);
	REJECT(V9, f9->uncompressed_header_size = FX_BYTESUSED);
	REJECT(V9, p9->has_compressed_hdr = 2);
	REJECT(V9, p9->reserved[6] = 1);
}

static void test_av1(void)
{
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	const enum daedalus_codec A = DAEDALUS_CODEC_AV1;
	struct daedalus_av1_params *p = &job.params.av1;

	CHECK(dd_job_codec_supported(A));
	ACCEPT(A, (void)0);
	ACCEPT(A, p->sequence.flags |= V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME);
	ACCEPT(A, (p->num_tiles = 3, p->tiles[2].tile_offset = 0,
		   p->tiles[2].tile_size = 10));
	/* fuzz_av1_obu: overlapping entries; 512 of them cost 512x the buffer */
	REJECT(A, (p->num_tiles = 3, p->tiles[2].tile_offset = 0,
		   p->tiles[2].tile_size = FX_BYTESUSED));
	REJECT(A, p->num_tiles = 0);
	REJECT(A, p->num_tiles = 513);
	REJECT(A, p->num_tiles = 1);	/* 2 tiles, 1 entry */
	REJECT(A, p->frame.tile_info.tile_cols = 0);
	REJECT(A, p->frame.tile_info.tile_cols = 65);
	REJECT(A, p->frame.tile_info.tile_rows = 65);
	REJECT(A, p->frame.tile_info.context_update_tile_id = 2);
	REJECT(A, p->tiles[1].tile_size = FX_BYTESUSED - 99);	/* one past the end */
	REJECT(A, p->tiles[0].tile_offset = 0xffffffffu);
	REJECT(A, p->tiles[1].tile_size = 0xffffffffu);
	REJECT(A, p->tiles[0].tile_size = 0);
	REJECT(A, p->tiles[1].tile_col = 2);
	REJECT(A, p->tiles[1].tile_row = 1);
	REJECT(A, p->sequence.seq_profile = 1);
	REJECT(A, p->sequence.seq_profile = 3);
	REJECT(A, p->sequence.bit_depth = 12);
	REJECT(A, p->sequence.flags &= ~V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y);
	REJECT(A, p->sequence.flags |= 1u << 20);
	REJECT(A, p->frame.frame_width_minus_1 = 1920);
	REJECT(A, p->frame.upscaled_width = 1921);
	REJECT(A, p->frame.frame_type = 4);
	REJECT(A, (p->frame.frame_type = V4L2_AV1_INTER_FRAME, p->frame.ref_frame_idx[6] = 8));
	REJECT(A, (p->film_grain.flags = V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN,
		   p->film_grain.num_y_points = 15));
	REJECT(A, p->reserved[1] = 1);
#else
	const char *why = NULL;

	/* Without AV1 uAPI headers the daemon cannot check AV1 jobs: refused. */
	CHECK(!dd_job_codec_supported(DAEDALUS_CODEC_AV1));
	fresh(DAEDALUS_CODEC_AV1);
	CHECK_EQ(dd_job_check(&job, sizeof(job), &why), -EINVAL);
	CHECK_STR(why, "unknown codec");
#endif
}

int main(void)
{
	test_common();
	test_h264();
	test_vp8_vp9();
	test_av1();
	return dd_test_result("test_job_check");
}
