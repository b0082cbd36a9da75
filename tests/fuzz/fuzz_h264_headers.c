/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_h264_headers: the H.264 SPS/PPS rebuild from the V4L2 controls.
 *
 * Input: struct v4l2_ctrl_h264_sps, _pps and _scaling_matrix, raw and back
 * to back (zero-extended), then optional bytes that pick output sizes.
 *
 * Every input runs the writers (they must be safe on anything) into
 * buffers of exactly the size they are given, so ASan sees any overrun.
 * The controls are then put into an otherwise valid job (coded size and
 * picture format derived from the SPS, like a client would set them) and
 * checked as the daemon checks them.  For a job dd_job_check() accepts:
 *   - both writers must succeed (the daemon would otherwise fail a job it
 *     accepted) and stay within DD_H264_PS_MAX;
 *   - with a smaller buffer they must write everything or return 0;
 *   - the NAL units, parsed back by the test-side parser (which shares no
 *     code with the writer), must give the controls again: every field
 *     the NAL units carry;
 *   - libavcodec is handed the two NAL units (it may decline them, it
 *     must not crash; declines are counted, see DD_FUZZ_VERBOSE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "fixture.h"
#include "fuzz_input.h"
#include "h264_headers.h"
#include "h264_stream.h"
#include "job_check.h"
#include "lavc.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct dd_lavc *av;
static AVCodecContext *avctx;
static AVPacket *pkt;
static AVFrame *frame;
static unsigned long lavc_sent, lavc_declined;

static void bug(const char *what, unsigned a, unsigned b)
{
	fprintf(stderr, "fuzz_h264_headers: %s (%u vs %u)\n", what, a, b);
	abort();
}

#define SAME(field, got, want) \
	do { if ((got) != (want)) bug("round trip: " field, (unsigned)(got), (unsigned)(want)); } while (0)

static void report(void)
{
	if (av && getenv("DD_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_h264_headers: libavcodec declined %lu of %lu parameter set pairs\n",
			lavc_declined, lavc_sent);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *use = getenv("DD_FUZZ_LAVC");
	const AVCodec *codec;

	(void)argc;
	(void)argv;
	dd_log_set_level(getenv("DD_FUZZ_VERBOSE") ? DD_LOG_TRACE : DD_LOG_ERROR);
	if (use && !strcmp(use, "0"))
		return 0;
	av = dd_lavc_load();
	if (!av)
		return 0;
	av->av_log_set_level(AV_LOG_QUIET);
	codec = av->avcodec_find_decoder(AV_CODEC_ID_H264);
	avctx = codec ? av->avcodec_alloc_context3(codec) : NULL;
	pkt = av->av_packet_alloc();
	frame = av->av_frame_alloc();
	if (!avctx || !pkt || !frame || av->avcodec_open2(avctx, codec, NULL) < 0)
		av = NULL;
	atexit(report);
	return 0;
}

/* The job a client would send with these controls (when they make sense). */
static void make_job(struct daedalus_job *job, const struct v4l2_ctrl_h264_sps *sps,
		     const struct v4l2_ctrl_h264_pps *pps,
		     const struct v4l2_ctrl_h264_scaling_matrix *sm)
{
	struct daedalus_h264_params *p = &job->params.h264;
	int frame_mbs_only = !!(sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY);
	uint32_t w = (sps->pic_width_in_mbs_minus1 + 1u) * 16;
	uint32_t h = (2 - frame_mbs_only) * (sps->pic_height_in_map_units_minus1 + 1u) * 16;
	int p010 = sps->bit_depth_luma_minus8 || sps->bit_depth_chroma_minus8;
	struct daedalus_picture_format *f = &job->picture_format;

	if (w > DD_MAX_DIMENSION || h > DD_MAX_DIMENSION)
		w = h = 16;	/* dd_job_check() refuses the SPS anyway */
	fx_job_init(job, DAEDALUS_CODEC_H264, 1, 1, w, h);
	f->pixelformat = p010 ? V4L2_PIX_FMT_P010 : V4L2_PIX_FMT_NV12;
	f->bytesperline = w * (p010 ? 2 : 1);
	f->sizeimage = f->bytesperline * h * 3 / 2;
	job->picture.length = f->sizeimage;
	p->sps = *sps;
	p->pps = *pps;
	p->scaling_matrix = *sm;
}

/* Runs a writer into a buffer of exactly @cap bytes; returns its length. */
static size_t write_exact(int which, size_t cap, uint8_t *copy,
			  const struct v4l2_ctrl_h264_sps *sps,
			  const struct v4l2_ctrl_h264_pps *pps,
			  const struct v4l2_ctrl_h264_scaling_matrix *sm)
{
	uint8_t *out = malloc(cap ? cap : 1);
	size_t n;

	if (!out)
		abort();
	n = which ? dd_h264_write_pps(out, cap, sps, pps, sm) :
		    dd_h264_write_sps(out, cap, sps);
	if (n > cap)
		bug("writer claims more than its buffer", (unsigned)n, (unsigned)cap);
	if (copy && n)
		memcpy(copy, out, n);
	free(out);
	return n;
}

static void check_sps_round_trip(const uint8_t *nal, size_t n,
				 const struct v4l2_ctrl_h264_sps *in)
{
	struct v4l2_ctrl_h264_sps out;
	uint32_t flags = V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED |
			 V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY |
			 V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	unsigned i;

	if (n < 5 || memcmp(nal, "\0\0\0\1", 4))
		bug("SPS without a start code", (unsigned)n, 5);
	memset(&out, 0, sizeof(out));
	if (h264_parse_sps_nal(nal + 4, n - 4, &out))
		bug("rebuilt SPS does not parse", (unsigned)n, 0);
	/* The profile may be raised to carry chroma format / bit depth. */
	if (V4L2_H264_SPS_HAS_CHROMA_FORMAT(in) || V4L2_H264_SPS_HAS_CHROMA_FORMAT(&out))
		flags |= V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
	if (!(in->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY))
		flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	if (in->pic_order_cnt_type == 1)
		flags |= V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
	if (V4L2_H264_SPS_HAS_CHROMA_FORMAT(in))
		SAME("profile_idc", out.profile_idc, in->profile_idc);
	SAME("constraint_set_flags", out.constraint_set_flags,
	     in->constraint_set_flags & 0x3f);
	SAME("level_idc", out.level_idc, in->level_idc);
	SAME("seq_parameter_set_id", out.seq_parameter_set_id, in->seq_parameter_set_id);
	SAME("chroma_format_idc", out.chroma_format_idc, in->chroma_format_idc);
	SAME("bit_depth_luma_minus8", out.bit_depth_luma_minus8, in->bit_depth_luma_minus8);
	SAME("bit_depth_chroma_minus8", out.bit_depth_chroma_minus8,
	     in->bit_depth_chroma_minus8);
	SAME("log2_max_frame_num_minus4", out.log2_max_frame_num_minus4,
	     in->log2_max_frame_num_minus4);
	SAME("pic_order_cnt_type", out.pic_order_cnt_type, in->pic_order_cnt_type);
	if (in->pic_order_cnt_type == 0)
		SAME("log2_max_pic_order_cnt_lsb_minus4",
		     out.log2_max_pic_order_cnt_lsb_minus4,
		     in->log2_max_pic_order_cnt_lsb_minus4);
	if (in->pic_order_cnt_type == 1) {
		SAME("offset_for_non_ref_pic", out.offset_for_non_ref_pic,
		     in->offset_for_non_ref_pic);
		SAME("offset_for_top_to_bottom_field", out.offset_for_top_to_bottom_field,
		     in->offset_for_top_to_bottom_field);
		SAME("num_ref_frames_in_pic_order_cnt_cycle",
		     out.num_ref_frames_in_pic_order_cnt_cycle,
		     in->num_ref_frames_in_pic_order_cnt_cycle);
		for (i = 0; i < in->num_ref_frames_in_pic_order_cnt_cycle; i++)
			SAME("offset_for_ref_frame", out.offset_for_ref_frame[i],
			     in->offset_for_ref_frame[i]);
	}
	SAME("max_num_ref_frames", out.max_num_ref_frames, in->max_num_ref_frames);
	SAME("pic_width_in_mbs_minus1", out.pic_width_in_mbs_minus1,
	     in->pic_width_in_mbs_minus1);
	SAME("pic_height_in_map_units_minus1", out.pic_height_in_map_units_minus1,
	     in->pic_height_in_map_units_minus1);
	SAME("sps flags", out.flags & flags, in->flags & flags);
}

static void check_pps_round_trip(const uint8_t *nal, size_t n,
				 const struct v4l2_ctrl_h264_sps *sps,
				 const struct v4l2_ctrl_h264_pps *in,
				 const struct v4l2_ctrl_h264_scaling_matrix *sm)
{
	struct v4l2_ctrl_h264_pps out;
	struct v4l2_ctrl_h264_scaling_matrix m;
	unsigned i, j;

	if (n < 5 || memcmp(nal, "\0\0\0\1", 4))
		bug("PPS without a start code", (unsigned)n, 5);
	memset(&m, 0, sizeof(m));
	if (h264_parse_pps_nal(nal + 4, n - 4, sps, &out, &m))
		bug("rebuilt PPS does not parse", (unsigned)n, 0);
	SAME("pic_parameter_set_id", out.pic_parameter_set_id, in->pic_parameter_set_id);
	SAME("pps seq_parameter_set_id", out.seq_parameter_set_id, in->seq_parameter_set_id);
	/* FMO is documented as lossy: one slice group is written. */
	SAME("num_slice_groups_minus1", out.num_slice_groups_minus1, 0);
	SAME("num_ref_idx_l0_default_active_minus1",
	     out.num_ref_idx_l0_default_active_minus1,
	     in->num_ref_idx_l0_default_active_minus1);
	SAME("num_ref_idx_l1_default_active_minus1",
	     out.num_ref_idx_l1_default_active_minus1,
	     in->num_ref_idx_l1_default_active_minus1);
	SAME("weighted_bipred_idc", out.weighted_bipred_idc, in->weighted_bipred_idc);
	SAME("pic_init_qp_minus26", out.pic_init_qp_minus26, in->pic_init_qp_minus26);
	SAME("pic_init_qs_minus26", out.pic_init_qs_minus26, in->pic_init_qs_minus26);
	SAME("chroma_qp_index_offset", out.chroma_qp_index_offset,
	     in->chroma_qp_index_offset);
	SAME("second_chroma_qp_index_offset", out.second_chroma_qp_index_offset,
	     in->second_chroma_qp_index_offset);
	SAME("pps flags", out.flags, in->flags);
	if (!(in->flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT))
		return;
	for (i = 0; i < 6; i++)
		for (j = 0; j < 16; j++)
			SAME("scaling_list_4x4", m.scaling_list_4x4[i][j],
			     sm->scaling_list_4x4[i][j]);
	if (!(in->flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE))
		return;
	for (i = 0; i < (sps->chroma_format_idc == 3 ? 6u : 2u); i++)
		for (j = 0; j < 64; j++)
			SAME("scaling_list_8x8", m.scaling_list_8x8[i][j],
			     sm->scaling_list_8x8[i][j]);
}

static void lavc_try(const uint8_t *sps, size_t sl, const uint8_t *pps, size_t pl)
{
	uint8_t *buf;

	if (!av)
		return;
	buf = calloc(1, sl + pl + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!buf)
		abort();
	memcpy(buf, sps, sl);
	memcpy(buf + sl, pps, pl);
	pkt->data = buf;
	pkt->size = (int)(sl + pl);
	lavc_sent++;
	if (av->avcodec_send_packet(avctx, pkt) < 0)
		lavc_declined++;
	while (av->avcodec_receive_frame(avctx, frame) >= 0)
		av->av_frame_unref(frame);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daedalus_job job;
	static uint8_t in[FZ_HEADERS_SIZE];
	struct v4l2_ctrl_h264_sps sps;
	struct v4l2_ctrl_h264_pps pps;
	struct v4l2_ctrl_h264_scaling_matrix sm;
	uint8_t sps_nal[DD_H264_PS_MAX], pps_nal[DD_H264_PS_MAX];
	const uint8_t *tail = size > FZ_HEADERS_SIZE ? data + FZ_HEADERS_SIZE : NULL;
	size_t tail_len = tail ? size - FZ_HEADERS_SIZE : 0;
	size_t sl, pl, n, cap;
	const char *why;

	memset(in, 0, sizeof(in));
	memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
	memcpy(&sps, in, sizeof(sps));
	memcpy(&pps, in + sizeof(sps), sizeof(pps));
	memcpy(&sm, in + sizeof(sps) + sizeof(pps), sizeof(sm));

	/* The writers on anything, into small exact buffers. */
	cap = tail_len ? tail[0] : 64;
	write_exact(0, cap, NULL, &sps, &pps, &sm);
	write_exact(1, cap, NULL, &sps, &pps, &sm);

	make_job(&job, &sps, &pps, &sm);
	if (dd_job_check(&job, sizeof(job), &why))
		return 0;

	sl = write_exact(0, DD_H264_PS_MAX, sps_nal, &sps, &pps, &sm);
	pl = write_exact(1, DD_H264_PS_MAX, pps_nal, &sps, &pps, &sm);
	if (!sl || !pl)
		bug("a checked job's SPS/PPS cannot be rebuilt", (unsigned)sl, (unsigned)pl);

	/* Any smaller buffer: all or nothing. */
	for (size_t k = 1; k < 3; k++) {
		uint8_t tmp[DD_H264_PS_MAX];

		cap = tail_len > k ? tail[k] % (sl + 1) : sl - 1;
		n = write_exact(0, cap, tmp, &sps, &pps, &sm);
		if (n && (n != sl || memcmp(tmp, sps_nal, n)))
			bug("SPS into a small buffer differs", (unsigned)n, (unsigned)sl);
		if (!n && cap >= sl)
			bug("SPS fits but was not written", (unsigned)cap, (unsigned)sl);
		cap = tail_len > k ? tail[k] % (pl + 1) : pl - 1;
		n = write_exact(1, cap, tmp, &sps, &pps, &sm);
		if (n && (n != pl || memcmp(tmp, pps_nal, n)))
			bug("PPS into a small buffer differs", (unsigned)n, (unsigned)pl);
		if (!n && cap >= pl)
			bug("PPS fits but was not written", (unsigned)cap, (unsigned)pl);
	}

	check_sps_round_trip(sps_nal, sl, &sps);
	check_pps_round_trip(pps_nal, pl, &sps, &pps, &sm);
	lavc_try(sps_nal, sl, pps_nal, pl);
	return 0;
}
