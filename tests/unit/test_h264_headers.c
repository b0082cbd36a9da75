/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Round trip of the SPS/PPS rebuild: conformance stream -> V4L2 controls
 * (test-side parser, as a client fills them) -> daemon/h264_headers ->
 * "rebuilt SPS/PPS + slice NAL units only" decoded with libavcodec, every
 * picture compared (md5, visible area) with libavcodec decoding the
 * original stream.  Also unit checks of the bit writer.
 *
 * Skipped (tests/unit/skip.h) only when the vectors directory or libavcodec
 * is missing.  DAEDALUS_VECTORS overrides ../shared/vectors beside the
 * source tree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitwriter.h"
#include "h264_headers.h"
#include "h264_stream.h"
#include "skip.h"


static int fails;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); fails++; } } while (0)

static void test_bitwriter(void)
{
	uint8_t buf[16], out[32];
	struct dd_bitwriter bw;
	static const uint8_t rbsp[] = { 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
					0x00, 0x03 };
	static const uint8_t esc[] = { 0, 0, 0, 1, 0x00, 0x00, 0x03, 0x01,
				       0x00, 0x00, 0x03, 0x00, 0x00, 0x03,
				       0x03 };

	dd_bw_init(&bw, buf, sizeof(buf));
	dd_bw_ue(&bw, 0);	/* 1 */
	dd_bw_ue(&bw, 1);	/* 010 */
	dd_bw_ue(&bw, 2);	/* 011 */
	dd_bw_se(&bw, -1);	/* 011 */
	dd_bw_se(&bw, 1);	/* 010 */
	dd_bw_trailing(&bw);	/* 1 + pad */
	CHECK(dd_bw_bytes(&bw) == 2);
	CHECK(buf[0] == 0xa6 && buf[1] == 0xd4);
	dd_bw_init(&bw, buf, 2);
	dd_bw_bits(&bw, 17, 0);
	CHECK(bw.overflow && dd_bw_bytes(&bw) == 0);
	CHECK(dd_nal_escape(out, sizeof(out), rbsp, sizeof(rbsp)) == sizeof(esc));
	CHECK(!memcmp(out, esc, sizeof(esc)));
	CHECK(dd_nal_escape(out, 8, rbsp, sizeof(rbsp)) == 0);

	/*
	 * fuzz finding 1 (docs/fuzzing.md): se(v) of -2^31 would be codeNum
	 * 2^32; it must fail, not wrap to codeNum 0 (= 0).  -2^31 + 1 is
	 * codeNum 2^32 - 2, the longest code: 31 zeros, then 32 bits.
	 */
	dd_bw_init(&bw, buf, sizeof(buf));
	dd_bw_se(&bw, INT32_MIN);
	CHECK(bw.overflow && dd_bw_bytes(&bw) == 0);
	dd_bw_init(&bw, buf, sizeof(buf));
	dd_bw_se(&bw, INT32_MIN + 1);
	CHECK(!bw.overflow && bw.bits == 63);
	CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0x01 &&
	      buf[4] == 0xff && buf[5] == 0xff && buf[6] == 0xff && buf[7] == 0xfe);
	dd_bw_se(&bw, INT32_MAX);	/* codeNum 2^32 - 3 */
	CHECK(!bw.overflow && bw.bits == 126);
}

/* An SPS whose POC offsets say -2^31 is not written (not written as 0). */
static void test_sps_int32_min(void)
{
	struct v4l2_ctrl_h264_sps sps;
	uint8_t nal[DD_H264_PS_MAX];
	int which;

	for (which = 0; which < 4; which++) {
		memset(&sps, 0, sizeof(sps));
		sps.profile_idc = 77;
		sps.level_idc = 30;
		sps.chroma_format_idc = 1;
		sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
		sps.pic_order_cnt_type = 1;
		sps.num_ref_frames_in_pic_order_cnt_cycle = 2;
		sps.offset_for_ref_frame[0] = sps.offset_for_ref_frame[1] = INT32_MIN + 1;
		sps.offset_for_non_ref_pic = INT32_MIN + 1;
		sps.offset_for_top_to_bottom_field = INT32_MIN + 1;
		CHECK(dd_h264_write_sps(nal, sizeof(nal), &sps) > 4);
		switch (which) {
		case 0: sps.offset_for_ref_frame[0] = INT32_MIN; break;
		case 1: sps.offset_for_ref_frame[1] = INT32_MIN; break;
		case 2: sps.offset_for_non_ref_pic = INT32_MIN; break;
		case 3: sps.offset_for_top_to_bottom_field = INT32_MIN; break;
		}
		CHECK(dd_h264_write_sps(nal, sizeof(nal), &sps) == 0);
	}
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* Writes @sps, parses it back with the test-side parser: same struct? */
/* Slice NAL units of Annex-B buffers: counted, and whether all are I. */
static void test_slices(void)
{
	/* SPS, PPS (4-byte start code), an I slice of an IDR, a P slice. */
	static const uint8_t ip[] = {
		0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce,
		0, 0, 1, 0x65, 0x88, 0x80, 0, 0, 1, 0x41, 0x9a, 0x80,
	};
	/* An SEI, then one I slice whose payload has an escaped 00 00 03 01. */
	static const uint8_t i1[] = {
		0, 0, 1, 0x06, 0x05, 0, 0, 1, 0x65, 0x88, 0, 0, 3, 1, 0x80,
	};
	/* A start code with nothing after it, and no start code at all. */
	static const uint8_t cut[] = { 0x12, 0, 0, 1 };
	static const uint8_t none[] = { 0x65, 0x88, 1, 1, 0 };

	CHECK(dd_h264_slices(ip, sizeof(ip)) == 2);
	CHECK(!dd_h264_all_intra(ip, sizeof(ip)));
	CHECK(dd_h264_slices(ip, 17) == 1);		/* up to the IDR's slice */
	CHECK(dd_h264_all_intra(ip, 17));
	CHECK(dd_h264_slices(i1, sizeof(i1)) == 1);
	CHECK(dd_h264_all_intra(i1, sizeof(i1)));
	CHECK(dd_h264_slices(cut, sizeof(cut)) == 0);
	CHECK(!dd_h264_all_intra(cut, sizeof(cut)));
	CHECK(dd_h264_slices(none, sizeof(none)) == 0);
	CHECK(dd_h264_slices(ip, 0) == 0);
	CHECK(dd_h264_slices(ip, 2) == 0);
}

static void sps_round_trip(const struct v4l2_ctrl_h264_sps *sps,
			   unsigned expect_profile)
{
	struct v4l2_ctrl_h264_sps got, want = *sps;
	uint8_t nal[DD_H264_PS_MAX];
	size_t n = dd_h264_write_sps(nal, sizeof(nal), sps);

	CHECK(n > 4);
	CHECK(!h264_parse_sps_nal(nal + 4, n - 4, &got));
	want.profile_idc = (uint8_t)expect_profile;
	if (want.pic_order_cnt_type != 0)
		want.log2_max_pic_order_cnt_lsb_minus4 = 0;
	if (want.pic_order_cnt_type != 1) {
		want.flags &= ~V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
		want.offset_for_non_ref_pic = 0;
		want.offset_for_top_to_bottom_field = 0;
		want.num_ref_frames_in_pic_order_cnt_cycle = 0;
		memset(want.offset_for_ref_frame, 0,
		       sizeof(want.offset_for_ref_frame));
	}
	else
		memset(want.offset_for_ref_frame +
		       want.num_ref_frames_in_pic_order_cnt_cycle, 0,
		       (255 - want.num_ref_frames_in_pic_order_cnt_cycle) *
		       sizeof(want.offset_for_ref_frame[0]));
	if (want.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY)
		want.flags &= ~V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	if (want.chroma_format_idc != 3)
		want.flags &= ~V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
	if (memcmp(&got, &want, sizeof(got))) {
		const uint8_t *a = (const uint8_t *)&got, *b = (const uint8_t *)&want;
		size_t i;

		for (i = 0; i < sizeof(got) && a[i] == b[i]; i++)
			;
		fprintf(stderr, "SPS round trip: first difference at byte %zu (profile %u chroma %u poc %u flags 0x%x)\n",
			i, want.profile_idc, want.chroma_format_idc,
			want.pic_order_cnt_type, want.flags);
		fails++;
	}
}

/*
 * Synthetic parameter sets at the edges of every field: write, parse back
 * with the independent test-side parser, compare the V4L2 structs.
 */
static void test_synthetic(void)
{
	struct v4l2_ctrl_h264_sps sps;
	struct v4l2_ctrl_h264_pps pps, gpps;
	struct v4l2_ctrl_h264_scaling_matrix sm, gsm;
	uint8_t nal[DD_H264_PS_MAX];
	unsigned i, j, k, n;

	/* Baseline, the smallest SPS */
	memset(&sps, 0, sizeof(sps));
	sps.profile_idc = 66;
	sps.constraint_set_flags = V4L2_H264_SPS_CONSTRAINT_SET1_FLAG;
	sps.level_idc = 30;
	sps.chroma_format_idc = 1;
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	sps_round_trip(&sps, 66);

	/* 4:0:0 with a non-High profile: needs High semantics to be coded */
	sps.chroma_format_idc = 0;
	sps_round_trip(&sps, 100);
	sps.chroma_format_idc = 1;
	sps.bit_depth_luma_minus8 = sps.bit_depth_chroma_minus8 = 2;
	sps_round_trip(&sps, 110);

	/* POC type 1 with the longest cycle, every field at an edge */
	for (k = 0; k < 20; k++) {
		memset(&sps, 0, sizeof(sps));
		sps.profile_idc = (uint8_t)(k % 2 ? 100 : 77);
		sps.constraint_set_flags = (uint8_t)rnd(64);
		sps.level_idc = (uint8_t)rnd(256);
		sps.seq_parameter_set_id = (uint8_t)rnd(32);
		sps.chroma_format_idc = (uint8_t)(k % 2 ? rnd(4) : 1);
		if (k % 2) {
			sps.bit_depth_luma_minus8 = (uint8_t)rnd(7);
			sps.bit_depth_chroma_minus8 = (uint8_t)rnd(7);
			sps.profile_idc = sps.chroma_format_idc == 3 ? 244 :
					  sps.chroma_format_idc == 2 ? 122 : 110;
		}
		sps.log2_max_frame_num_minus4 = (uint8_t)rnd(13);
		sps.pic_order_cnt_type = (uint8_t)rnd(3);
		sps.log2_max_pic_order_cnt_lsb_minus4 = (uint8_t)rnd(13);
		sps.max_num_ref_frames = (uint8_t)rnd(17);
		sps.num_ref_frames_in_pic_order_cnt_cycle = (uint8_t)(k < 4 ? 255 : rnd(256));
		for (i = 0; i < 255; i++)
			sps.offset_for_ref_frame[i] = (int32_t)rnd(1u << 31) -
						      (1 << 30);
		sps.offset_for_ref_frame[0] = INT32_MIN + 1;
		sps.offset_for_ref_frame[1] = INT32_MAX;
		sps.offset_for_non_ref_pic = -(int32_t)rnd(1000);
		sps.offset_for_top_to_bottom_field = (int32_t)rnd(1000);
		sps.pic_width_in_mbs_minus1 = (uint16_t)rnd(1024);
		sps.pic_height_in_map_units_minus1 = (uint16_t)rnd(1024);
		sps.flags = rnd(128);
		if (sps.chroma_format_idc != 3 || !(k % 2))
			sps.flags &= ~V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
		if (!(k % 2))
			sps.flags &= ~V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
		sps_round_trip(&sps, sps.profile_idc);
	}

	/* PPS: every flag, extreme values, random scaling lists */
	for (k = 0; k < 40; k++) {
		memset(&sps, 0, sizeof(sps));
		sps.profile_idc = k % 4 == 3 ? 244 : 100;
		sps.chroma_format_idc = k % 4 == 3 ? 3 : k % 4;
		sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
		memset(&pps, 0, sizeof(pps));
		pps.pic_parameter_set_id = (uint8_t)rnd(256);
		pps.seq_parameter_set_id = 0;
		pps.num_ref_idx_l0_default_active_minus1 = (uint8_t)rnd(32);
		pps.num_ref_idx_l1_default_active_minus1 = (uint8_t)rnd(32);
		pps.weighted_bipred_idc = (uint8_t)rnd(3);
		pps.pic_init_qp_minus26 = (int8_t)((int)rnd(52) - 26);
		pps.pic_init_qs_minus26 = (int8_t)((int)rnd(52) - 26);
		pps.chroma_qp_index_offset = (int8_t)((int)rnd(25) - 12);
		pps.second_chroma_qp_index_offset = k % 3 ? pps.chroma_qp_index_offset :
			(int8_t)((int)rnd(25) - 12);
		pps.flags = (uint16_t)rnd(256);
		for (i = 0; i < 6; i++) {
			for (j = 0; j < 16; j++)
				sm.scaling_list_4x4[i][j] = (uint8_t)(1 + rnd(255));
			for (j = 0; j < 64; j++)
				sm.scaling_list_8x8[i][j] = (uint8_t)(k % 5 ? 1 + rnd(255) : 16);
		}
		n = dd_h264_write_pps(nal, sizeof(nal), &sps, &pps, &sm);
		CHECK(n > 4);
		memset(&gsm, 0, sizeof(gsm));
		CHECK(!h264_parse_pps_nal(nal + 4, n - 4, &sps, &gpps, &gsm));
		CHECK(!memcmp(&gpps, &pps, sizeof(pps)));
		if (pps.flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT) {
			unsigned n8 = !(pps.flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE) ? 0 :
				      sps.chroma_format_idc == 3 ? 6 : 2;

			CHECK(!memcmp(gsm.scaling_list_4x4, sm.scaling_list_4x4,
				      sizeof(sm.scaling_list_4x4)));
			for (i = 0; i < n8; i++)
				CHECK(!memcmp(gsm.scaling_list_8x8[i],
					      sm.scaling_list_8x8[i], 64));
		}
	}
}

/* Rebuilt stream: per frame, for each of its pictures SPS + PPS + slices. */
static int decode_rebuilt(const struct h264_stream *s, struct h264_ref *out)
{
	const struct dd_lavc *av = dd_lavc_load();
	const AVCodec *codec = av->avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = av->avcodec_alloc_context3(codec);
	AVPacket *pkt = av->av_packet_alloc();
	AVFrame *fr = av->av_frame_alloc();
	size_t cap = 1 << 20, len;
	uint8_t *buf = malloc(cap);
	int i, k, p = 0;

	memset(out, 0, sizeof(*out));
	out->nframes = s->nframes;
	out->yuv = calloc(s->nframes, sizeof(*out->yuv));
	out->yuv_len = calloc(s->nframes, sizeof(*out->yuv_len));
	out->order = calloc(s->nframes, sizeof(*out->order));
	ctx->thread_count = 1;
	/*
	 * The ffmpeg CLI learns the reorder depth while probing; without it
	 * lavc drops the first B pictures of some streams as "too late".
	 */
	ctx->has_b_frames = 16;
	if (av->avcodec_open2(ctx, codec, NULL) < 0)
		return -1;
	for (k = 0; k <= s->nframes; k++) {
		len = 0;
		for (; k < s->nframes && p < s->npics && s->pics[p].frame == k; p++) {
			const struct h264_picture *pic = &s->pics[p];
			const struct daedalus_h264_params *hp = &pic->params;
			size_t need = len + 2 * DD_H264_PS_MAX + pic->slices_len + 64;
			size_t n;

			if (need > cap) {
				cap = need * 2;
				buf = realloc(buf, cap);
			}
			n = dd_h264_write_sps(buf + len, cap - len, &hp->sps);
			CHECK(n > 0);
			len += n;
			n = dd_h264_write_pps(buf + len, cap - len, &hp->sps,
					      &hp->pps, &hp->scaling_matrix);
			CHECK(n > 0);
			len += n;
			memcpy(buf + len, pic->slices, pic->slices_len);
			len += pic->slices_len;
		}
		memset(buf + len, 0, 64);
		pkt->data = len ? buf : NULL;
		pkt->size = (int)len;
		pkt->pts = k;
		av->avcodec_send_packet(ctx, k < s->nframes ? pkt : NULL);
		while (av->avcodec_receive_frame(ctx, fr) >= 0) {
			int f = (int)fr->pts;

			if (f >= 0 && f < s->nframes && !out->yuv[f]) {
				const struct h264_crop *crop = NULL;

				for (i = 0; i < s->npics; i++)
					if (s->pics[i].frame == f)
						crop = &s->pics[i].crop;
				out->yuv[f] = h264_frame_yuv(fr, crop,
							     &out->yuv_len[f]);
				out->order[out->norder++] = f;
			}
			av->av_frame_unref(fr);
		}
	}
	av->av_frame_free(&fr);
	av->av_packet_free(&pkt);
	av->avcodec_free_context(&ctx);
	free(buf);
	return 0;
}

static void run_vector(const struct h264_vector *v, int *passed, int *total)
{
	struct h264_stream s;
	struct h264_ref ref, reb;
	int k, same = 0, differ = 0, missing = 0;
	const char *verdict;

	if (h264_stream_load(&s, v->path)) {
		printf("FAIL %-22s cannot split the stream\n", v->name);
		fails++;
		(*total)++;
		return;
	}
	h264_ref_decode(&s, &ref);
	decode_rebuilt(&s, &reb);
	for (k = 0; k < s.nframes; k++) {
		if (!ref.yuv[k])
			continue;
		if (!reb.yuv[k])
			missing++;
		else if (reb.yuv_len[k] == ref.yuv_len[k] &&
			 !memcmp(reb.yuv[k], ref.yuv[k], ref.yuv_len[k]))
			same++;
		else
			differ++;
	}
	/*
	 * Without the VUI lavc may keep one picture in its reorder queue for
	 * good (decode-backends.md 1a); every picture it does output must match.
	 */
	(*total)++;
	if (s.fmo) {
		verdict = "SKIP(FMO)";
	} else if (differ || !same || missing > 1) {
		verdict = "FAIL";
		fails++;
	} else {
		verdict = "ok";
		(*passed)++;
	}
	printf("%-9s %-22s frames %3d pictures %3d: %d equal, %d differ, %d not output\n",
	       verdict, v->name, s.nframes, s.npics, same, differ, missing);
	h264_ref_free(&ref);
	h264_ref_free(&reb);
	h264_stream_free(&s);
}

int main(int argc, char **argv)
{
	static const char *const suites[] = {
		"JVT-AVC_V1", "JVT-FR-EXT", "JVT-Professional_profiles",
	};
	const char *dir = h264_vectors_dir();
	struct h264_vector *v;
	int passed = 0, total = 0, n, i, j;
	unsigned s;

	test_bitwriter();
	test_sps_int32_min();
	test_slices();
	test_synthetic();
	if (fails)
		printf("synthetic SPS/PPS round trips: %d failures\n", fails);
	if (!dir) {
		printf("SKIP: no conformance vectors (set DAEDALUS_VECTORS)\n");
		return fails ? 1 : dd_test_skip();
	}
	if (!dd_lavc_load()) {
		printf("SKIP: %s\n", dd_lavc_error());
		return fails ? 1 : dd_test_skip();
	}
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		n = h264_suite_load(dir, suites[s], &v);
		for (i = 0; i < n; i++) {
			int want = argc < 2;

			for (j = 1; j < argc; j++)
				want |= !strcmp(argv[j], v[i].name);
			if (want)
				run_vector(&v[i], &passed, &total);
		}
		if (n > 0)
			free(v);
	}
	printf("%d/%d vectors bit-exact with rebuilt SPS/PPS, %d failures\n",
	       passed, total, fails);
	return fails ? 1 : 0;
}
