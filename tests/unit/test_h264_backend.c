/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_backend_h264 driven the way the daemon core drives it, with real
 * conformance streams: one job per picture (a field is a picture; the
 * first field of a pair is held, the second goes into the same CAPTURE
 * buffer), only slice NAL units with 3-byte start codes in the OUTPUT
 * buffer, the controls a client would set, CAPTURE buffers from a pool of
 * memfds mapped through the bufmap cache, NV12 (P010 for 10-bit) with
 * bytesperline = ALIGN(w, 128), height = ALIGN(h, 32), sizeimage + 1 page.
 *
 * Checked per frame: the CAPTURE buffer (cropped, converted to planar)
 * right after its job == libavcodec decoding the original stream; and
 * per vector: all frames in display order == the suite's expected md5.
 * Plus the error paths: bad decode mode / start code -> FAILED, a DPB
 * naming unknown pictures -> CORRUPT, starting at a non-IDR -> CORRUPT.
 * And regressions of fuzz findings (docs/fuzzing.md): the picture at an
 * odd offset in its CAPTURE buffer, NV12 and P010 (2, 3), bytesperline
 * changing mid-stream (4): same frames, same md5 as the aligned decode.
 * YUV420 instead of NV12: the same, and 0 bytes copied per 8-bit 4:2:0 job
 * with the picture aligned (every plane decoded in place).
 *
 * Usage: test_h264_backend [vector names...]; without names a set that
 * covers each feature once, or every vector with DAEDALUS_H264_ALL=1.
 * Exit 77 (skipped) without vectors or libavcodec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "backend.h"
#include "bufmap.h"
#include "h264_drive.h"
#include "h264_stream.h"
#include "md5.h"
#include "skip.h"

#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))

static int fails;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); fails++; } } while (0)

/* How run_vector() lays the pictures out: the default, or a regression shape. */
struct layout {
	const char *what;	/* NULL: the default */
	uint32_t offset;	/* picture.offset in the CAPTURE buffer */
	int stride_from;	/* first picture with bytesperline * stride_mul */
	int stride_to;		/* ... up to (exclusive), back to normal after */
	uint32_t stride_mul;
	uint32_t yuv420;	/* 8-bit pictures into YUV420, not NV12 */
};

static const struct layout default_layout = { NULL, 0, 0, 0, 1, 0 };

/* Applies @l to the format of picture @i (after h264_set_format()/h264_fill_job()). */
static void apply_layout(struct daedalus_job *msg, const struct layout *l, int i)
{
	struct daedalus_picture_format *f = &msg->picture_format;

	msg->picture.offset = l->offset;
	if (l->yuv420 && f->pixelformat == V4L2_PIX_FMT_NV12)
		f->pixelformat = V4L2_PIX_FMT_YUV420;
	if (l->stride_mul > 1 && i >= l->stride_from && i < l->stride_to) {
		f->bytesperline *= l->stride_mul;
		f->sizeimage = f->bytesperline * f->height * 3 / 2 + 4096;
	}
}

static int decode_one(void *dec, struct h264_pool *pool, int slot,
		      struct daedalus_job *msg, const struct h264_picture *pic,
		      struct dd_result *res, uint8_t **data)
{
	return h264_decode_job(&dd_backend_h264, dec, pool, slot, msg,
			       pic->slices, pic->slices_len, res, data);
}

static size_t max_size(const struct h264_stream *s, const struct layout *l)
{
	static struct daedalus_job msg;
	size_t m = 0;
	int i;

	for (i = 0; i < s->npics; i++) {
		h264_set_format(&msg, &s->pics[i]);
		apply_layout(&msg, l, i);
		if (msg.picture_format.sizeimage + msg.picture.offset > m)
			m = msg.picture_format.sizeimage + msg.picture.offset;
	}
	return ALIGN(m, 4096);
}

struct counts {
	int vectors, frames_ok, frames, suite_ok, suite_total;
};

/*
 * Decodes @v with the pictures laid out as @l; @md5 gets the md5 of all
 * frames in display order (NULL: not wanted).
 */
static void run_vector(const struct h264_vector *v, struct counts *c,
		       const struct layout *l, char *md5)
{
	static struct daedalus_job msg;
	struct h264_stream s;
	struct h264_ref ref;
	struct h264_pool pool;
	struct dd_result res;
	uint8_t **ours, *data;
	size_t *ours_len;
	int i, equal = 0, differ = 0, st[3] = { 0 }, nslots, copying = 0;
	unsigned long long copied = 0;
	struct h264_client_dpb dpb;
	void *dec;
	char got[33] = "-", refmd5[33] = "-";
	struct dd_md5 m1, m2;
	uint8_t d[16];

	if (h264_stream_load(&s, v->path)) {
		printf("FAIL %-20s cannot split the stream\n", v->name);
		fails++;
		return;
	}
	h264_ref_decode(&s, &ref);
	h264_client_dpb_init(&dpb);
	ours = calloc(s.nframes, sizeof(*ours));
	ours_len = calloc(s.nframes, sizeof(*ours_len));
	nslots = s.nframes < H264_POOL_MAX ? s.nframes : H264_POOL_MAX;
	if (!ours || !ours_len || h264_pool_init(&pool, nslots, max_size(&s, l), 100) ||
	    dd_backend_h264.open(&dec, &(struct dd_decoder_config){ .threads = 1 })) {
		printf("FAIL %-20s setup\n", v->name);
		fails++;
		return;
	}
	for (i = 0; i < s.npics; i++) {
		const struct h264_picture *pic = &s.pics[i];
		int slot = pic->frame % nslots;

		h264_fill_job(&msg, pic, (uint64_t)i + 1, pool.id_base + (uint64_t)slot);
		apply_layout(&msg, l, i);
		if (i == 0)
			msg.flags |= DAEDALUS_JOB_NEW_STREAM;
		/* a partial DPB as a client sends it (h264_stream.h) */
		h264_client_dpb_fill(&dpb, pic, &msg.params.h264);
		if (decode_one(dec, &pool, slot, &msg, pic, &res, &data)) {
			st[2]++;
			continue;
		}
		st[res.status]++;
		if (res.status == DAEDALUS_STATUS_OK)
			CHECK(res.bytesused == msg.picture_format.sizeimage);
		copied += res.bytes_copied;
		/* YUV420, 4:2:0, aligned: every plane decoded in place */
		if (l->yuv420 && l->offset % 64 == 0 && l->stride_mul == 1 &&
		    pic->depth == 8 &&
		    pic->chroma_format_idc == 1 && res.bytes_copied)
			copying++;
		if (pic->first_of_pair)
			continue;
		/* the picture is final once its (last) job is answered */
		free(ours[pic->frame]);
		ours[pic->frame] = h264_capture_yuv(data, &msg.picture_format,
					       &pic->crop, &ours_len[pic->frame]);
	}
	dd_backend_h264.close(dec);
	h264_pool_free(&pool);

	for (i = 0; i < s.nframes; i++) {
		if (!ref.yuv[i] || !ours[i])
			continue;
		if (ours_len[i] == ref.yuv_len[i] &&
		    !memcmp(ours[i], ref.yuv[i], ref.yuv_len[i]))
			equal++;
		else {
			if (getenv("DD_TRACE") && differ < 5) {
				char a[33], b[33];

				h264_md5_hex(ours[i], ours_len[i], a);
				h264_md5_hex(ref.yuv[i], ref.yuv_len[i], b);
				printf("  frame %d differs: ours %s lavc %s\n", i, a, b);
			}
			differ++;
		}
	}
	/* display order: the order lavc output the original stream in */
	dd_md5_init(&m1);
	dd_md5_init(&m2);
	for (i = 0; i < ref.norder; i++) {
		int k = ref.order[i];

		if (ours[k])
			dd_md5_update(&m1, ours[k], ours_len[k]);
		dd_md5_update(&m2, ref.yuv[k], ref.yuv_len[k]);
	}
	dd_md5_final(&m1, d);
	dd_md5_hex(d, got);
	dd_md5_final(&m2, d);
	dd_md5_hex(d, refmd5);

	if (md5)
		memcpy(md5, got, sizeof(got));
	c->vectors++;
	c->frames += s.nframes;
	c->frames_ok += equal;
	c->suite_total++;
	if (!strcmp(got, v->md5))
		c->suite_ok++;
	printf("%-4s %-20s%s%s jobs %3d ok/corrupt/failed %d/%d/%d frames %d: %d equal %d differ | suite %s ours %s%s lavc-ref %s | copied %llu bytes%s\n",
	       differ || st[1] || st[2] || equal != ref.norder || copying ? "FAIL" : "ok",
	       v->name, l->what ? " " : "", l->what ? l->what : "", s.npics,
	       st[0], st[1], st[2], s.nframes, equal, differ,
	       v->md5, got, strcmp(got, v->md5) ? "(!)" : "", refmd5, copied,
	       copying ? " (!) not in place" : "");
	if (differ || st[1] || st[2] || equal != ref.norder || copying)
		fails++;
	for (i = 0; i < s.nframes; i++)
		free(ours[i]);
	free(ours);
	free(ours_len);
	h264_ref_free(&ref);
	h264_stream_free(&s);
}

/* Error paths on a stream's pictures: each answer must be the documented one. */
static void test_errors(const struct h264_vector *v)
{
	static struct daedalus_job msg;
	struct h264_stream s;
	struct h264_pool pool;
	struct dd_result res;
	uint8_t *data;
	void *dec;
	int i, start = -1;

	if (h264_stream_load(&s, v->path) || s.npics < 8)
		return;
	CHECK(!h264_pool_init(&pool, 4, max_size(&s, &default_layout), 500));
	CHECK(!dd_backend_h264.open(&dec, &(struct dd_decoder_config){ .threads = 1 }));

	/* slice-based mode and a buffer without start code: FAILED */
	h264_fill_job(&msg, &s.pics[0], 1, 500);
	msg.flags |= DAEDALUS_JOB_NEW_STREAM;
	msg.params.h264.decode_mode = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	CHECK(!decode_one(dec, &pool, 0, &msg, &s.pics[0], &res, &data));
	CHECK(res.status == DAEDALUS_STATUS_FAILED);
	h264_fill_job(&msg, &s.pics[0], 2, 500);
	{
		struct h264_picture p = s.pics[0];

		p.slices += 3;
		p.slices_len -= 3;
		CHECK(!decode_one(dec, &pool, 0, &msg, &p, &res, &data));
		CHECK(res.status == DAEDALUS_STATUS_FAILED);
	}

	/* a DPB entry the decoder never saw: decoded, but CORRUPT */
	h264_fill_job(&msg, &s.pics[0], 3, 500);
	msg.flags |= DAEDALUS_JOB_NEW_STREAM;
	CHECK(!decode_one(dec, &pool, 0, &msg, &s.pics[0], &res, &data));
	CHECK(res.status == DAEDALUS_STATUS_OK);
	h264_fill_job(&msg, &s.pics[1], 4, 501);
	msg.params.h264.decode_params.dpb[0].reference_ts = 987654321;
	msg.params.h264.decode_params.dpb[0].flags =
		V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	CHECK(!decode_one(dec, &pool, 1, &msg, &s.pics[1], &res, &data));
	CHECK(res.status == DAEDALUS_STATUS_CORRUPT);
	/* the same DPB naming the picture just decoded: fine */
	h264_fill_job(&msg, &s.pics[1], 5, 502);
	msg.params.h264.decode_params.dpb[0].reference_ts =
		(uint64_t)(s.pics[0].frame + 1) * 1000;
	msg.params.h264.decode_params.dpb[0].frame_num =
		s.pics[0].params.decode_params.frame_num;
	msg.params.h264.decode_params.dpb[0].flags =
		V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	CHECK(!decode_one(dec, &pool, 2, &msg, &s.pics[1], &res, &data));
	CHECK(res.status != DAEDALUS_STATUS_FAILED);

	/* seek: a new stream starting at a P picture with frame_num > 1 */
	for (i = 1; i < s.npics; i++) {
		const struct v4l2_ctrl_h264_decode_params *dp =
			&s.pics[i].params.decode_params;

		if (!(dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC) &&
		    dp->frame_num > 1 && !s.pics[i].field && dp->nal_ref_idc) {
			start = i;
			break;
		}
	}
	if (start > 0) {
		h264_fill_job(&msg, &s.pics[start], 6, 503);
		msg.flags |= DAEDALUS_JOB_NEW_STREAM;
		CHECK(!decode_one(dec, &pool, 3, &msg, &s.pics[start], &res, &data));
		CHECK(res.status == DAEDALUS_STATUS_CORRUPT);
		CHECK(res.bytesused == msg.picture_format.sizeimage);
		printf("seek to picture %d (frame_num %u) of %s: status %d\n",
		       start, s.pics[start].params.decode_params.frame_num,
		       v->name, res.status);
	}
	dd_backend_h264.close(dec);
	h264_pool_free(&pool);
	h264_stream_free(&s);
}

/* One vector per feature; keeps the default run short enough for ASan. */
static const char *const default_set[] = {
	"BA1_FT_C",		/* Baseline, CAVLC, several slices */
	"CABA3_SVA_B",		/* CABAC */
	"CABAST3_Sony_E",	/* B pictures, reordering */
	"CVWP2_TOSHIBA_E",	/* explicit weighted prediction */
	"CVFC1_Sony_C",		/* frame cropping */
	"MR1_BT_A",		/* POC type 1, multiple references */
	"MR2_TANDBERG_E",	/* MMCO 5 (frame_num restarts) */
	"NRF_MW_E",		/* non-reference frames */
	"FRExt1_Panasonic_D",	/* 8x8 transform, scaling matrices */
	"HCAFF1_HHI_B",		/* PAFF: field pairs as two jobs */
	"HCAMFF1_HHI_B",	/* MBAFF */
	"HPCAMAPALQ_BRCM_B",	/* MBAFF + PAFF + scaling lists */
	"HPCVMOLQ_BRCM_B",	/* 4:0:0 */
	"PPH10I1_Panasonic_A",	/* High 10 -> P010 */
	"PPH10I6_Panasonic_A",	/* High 10, 1080, MBAFF */
};

/*
 * Regressions of the fuzz findings (docs/fuzzing.md, "Found so far"), and
 * the YUV420 layout: each shape decoded after the default layout of the
 * same vector must give every frame equal to libavcodec's and the same md5.
 */
static const struct {
	const char *vector;
	struct layout layout;
} regressions[] = {
	/* 2: not 64-byte aligned for lavc's SIMD stores -> scratch + copy */
	{ "CABAST3_Sony_E", { "[picture at offset 1]", 1, 0, 0, 1, 0 } },
	{ "CABAST3_Sony_E", { "[picture at offset 8]", 8, 0, 0, 1, 0 } },
	/* 3: P010 at an odd address: bytewise 16-bit stores (UBSan) */
	{ "PPH10I1_Panasonic_A", { "[P010 at offset 1]", 1, 0, 0, 1, 0 } },
	/*
	 * 4: bytesperline doubled for pictures 6..15 (references of the
	 * earlier stride held), then back to the first stride
	 */
	{ "CABAST3_Sony_E", { "[bytesperline x2 for pictures 6..15]", 0, 6, 16, 2, 0 } },
	{ "MR1_BT_A", { "[bytesperline x2 from picture 1]", 0, 1, 1 << 30, 2, 0 } },
	/*
	 * YUV420 (issue 11): every plane in place, 0 bytes copied per 8-bit
	 * 4:2:0 job; copied, still exact, when misaligned or while the
	 * stride changes.
	 */
	{ "BA1_FT_C", { "[YUV420]", 0, 0, 0, 1, 1 } },
	{ "CABAST3_Sony_E", { "[YUV420]", 0, 0, 0, 1, 1 } },
	{ "CABAST3_Sony_E", { "[YUV420 at offset 1]", 1, 0, 0, 1, 1 } },
	{ "CABAST3_Sony_E", { "[YUV420, bytesperline x2 for pictures 6..15]", 0, 6, 16, 2, 1 } },
	{ "CVFC1_Sony_C", { "[YUV420]", 0, 0, 0, 1, 1 } },
	{ "HCAFF1_HHI_B", { "[YUV420]", 0, 0, 0, 1, 1 } },
	{ "HCAMFF1_HHI_B", { "[YUV420]", 0, 0, 0, 1, 1 } },
	{ "HPCVMOLQ_BRCM_B", { "[YUV420]", 0, 0, 0, 1, 1 } },
};

static void run_regressions(const struct h264_vector *v, struct counts *c,
			    const char *aligned_md5)
{
	char md5[33];
	size_t i;

	for (i = 0; i < sizeof(regressions) / sizeof(regressions[0]); i++) {
		if (strcmp(regressions[i].vector, v->name))
			continue;
		strcpy(md5, "-");
		run_vector(v, c, &regressions[i].layout, md5);
		if (strcmp(md5, aligned_md5)) {
			fprintf(stderr, "%s %s: md5 %s, aligned layout %s\n", v->name,
				regressions[i].layout.what, md5, aligned_md5);
			fails++;
		}
	}
}

static int wanted(const char *name, int argc, char **argv)
{
	size_t i;
	int j;

	if (argc > 1) {
		for (j = 1; j < argc; j++)
			if (!strcmp(argv[j], name))
				return 1;
		return 0;
	}
	if (getenv("DAEDALUS_H264_ALL"))
		return 1;
	for (i = 0; i < sizeof(default_set) / sizeof(default_set[0]); i++)
		if (!strcmp(default_set[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = h264_test_begin();
	struct counts c = { 0 };
	struct h264_vector *v;
	int n, i, errors_done = 0;
	unsigned s;

	if (!dir)
		return dd_test_skip();
	for (s = 0; s < H264_NUM_SUITES; s++) {
		n = h264_suite_load(dir, h264_suites[s], &v);
		for (i = 0; i < n; i++) {
			char md5[33] = "-";

			if (!wanted(v[i].name, argc, argv))
				continue;
			run_vector(&v[i], &c, &default_layout, md5);
			run_regressions(&v[i], &c, md5);
			if (!errors_done && !strcmp(h264_suites[s], "JVT-AVC_V1")) {
				test_errors(&v[i]);
				errors_done = 1;
			}
		}
		if (n > 0)
			free(v);
	}
	printf("%d vectors: %d/%d frames equal to libavcodec on the original stream, %d/%d match the suite md5; %d failures\n",
	       c.vectors, c.frames_ok, c.frames, c.suite_ok, c.suite_total, fails);
	return fails ? 1 : 0;
}
