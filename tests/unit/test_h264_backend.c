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
 *
 * Usage: test_h264_backend [vector names...]; without names a set that
 * covers each feature once, or every vector with DAEDALUS_H264_ALL=1.
 * Exit 77 (skipped) without vectors or libavcodec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "backend.h"
#include "bufmap.h"
#include "h264_stream.h"
#include "log.h"
#include "md5.h"

#define SKIP		77
#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))
#define POOL_MAX	48

static int fails;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); fails++; } } while (0)

struct pool {
	struct dd_bufmap_cache *cache;
	int fd[POOL_MAX];
	size_t length;
	int n;
	uint64_t id_base;
};

static int pool_init(struct pool *p, int n, size_t length, uint64_t id_base)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->cache = dd_bufmap_cache_new();
	p->n = n;
	p->length = length;
	p->id_base = id_base;
	for (i = 0; i < n; i++) {
		p->fd[i] = memfd_create("capture", MFD_CLOEXEC);
		if (p->fd[i] < 0 || ftruncate(p->fd[i], (off_t)length))
			return -1;
	}
	return p->cache ? 0 : -1;
}

static void pool_free(struct pool *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		close(p->fd[i]);
	dd_bufmap_cache_free(p->cache);
}

/* What the core does per job: a fresh fd for the buffer, a cached mapping. */
static struct dd_bufmap *pool_get(struct pool *p, int i)
{
	return dd_bufmap_cache_get(p->cache, p->id_base + (uint64_t)i,
				   dup(p->fd[i]), p->length, 1);
}

static void set_format(struct daedalus_job *msg, const struct h264_picture *pic)
{
	struct daedalus_picture_format *f = &msg->picture_format;
	int p010 = pic->depth > 8;

	f->pixelformat = p010 ? V4L2_PIX_FMT_P010 : V4L2_PIX_FMT_NV12;
	f->width = (uint32_t)pic->width;
	f->height = ALIGN((uint32_t)pic->height, 32);
	f->bytesperline = ALIGN((uint32_t)pic->width, 128) * (p010 ? 2 : 1);
	f->sizeimage = f->bytesperline * f->height * 3 / 2 + 4096;
}

/* CAPTURE (NV12/P010) -> visible planar yuv420p / yuv420p10le. */
static uint8_t *capture_yuv(const uint8_t *data,
			    const struct daedalus_picture_format *f,
			    const struct h264_crop *c, size_t *len)
{
	int p010 = f->pixelformat == V4L2_PIX_FMT_P010, bps = p010 ? 2 : 1;
	int cw = (c->w + 1) / 2, ch = (c->h + 1) / 2, x, y, pl;
	const uint8_t *uv = data + (size_t)f->bytesperline * f->height;
	uint8_t *out, *o;

	*len = (size_t)(c->w * c->h + 2 * cw * ch) * bps;
	out = malloc(*len);
	if (!out)
		return NULL;
	o = out;
	for (y = 0; y < c->h; y++) {
		const uint8_t *s = data + (size_t)(y + c->y) * f->bytesperline +
				   (size_t)c->x * bps;

		for (x = 0; x < c->w; x++) {
			if (p010) {
				uint16_t v = (uint16_t)((s[2 * x] | s[2 * x + 1] << 8) >> 6);

				*o++ = (uint8_t)v;
				*o++ = (uint8_t)(v >> 8);
			} else {
				*o++ = s[x];
			}
		}
	}
	for (pl = 0; pl < 2; pl++) {
		for (y = 0; y < ch; y++) {
			const uint8_t *s = uv + (size_t)(y + c->y / 2) * f->bytesperline +
					   (size_t)(c->x / 2) * 2 * bps;

			for (x = 0; x < cw; x++) {
				if (p010) {
					const uint8_t *q = s + (2 * x + pl) * 2;
					uint16_t v = (uint16_t)((q[0] | q[1] << 8) >> 6);

					*o++ = (uint8_t)v;
					*o++ = (uint8_t)(v >> 8);
				} else {
					*o++ = s[2 * x + pl];
				}
			}
		}
	}
	return out;
}

static void fill_job(struct daedalus_job *msg, const struct h264_picture *pic,
		     uint64_t seq, uint64_t buf_id)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr.magic = DAEDALUS_MAGIC;
	msg->hdr.version = DAEDALUS_PROTO_VERSION;
	msg->hdr.type = DAEDALUS_MSG_JOB;
	msg->hdr.size = sizeof(*msg);
	msg->seq = seq;
	msg->ctx_id = 1;
	msg->timestamp = (uint64_t)(pic->frame + 1) * 1000;
	msg->codec = DAEDALUS_CODEC_H264;
	msg->flags = pic->first_of_pair ? DAEDALUS_JOB_HOLD_CAPTURE : 0;
	msg->coded_width = (uint32_t)pic->width;
	msg->coded_height = (uint32_t)pic->height;
	set_format(msg, pic);
	msg->bitstream.id = 1;
	msg->bitstream.bytesused = (uint32_t)pic->slices_len;
	msg->picture.id = buf_id;
	msg->params.h264 = pic->params;
}

/* How run_vector() lays the pictures out: the default, or a regression shape. */
struct layout {
	const char *what;	/* NULL: the default */
	uint32_t offset;	/* picture.offset in the CAPTURE buffer */
	int stride_from;	/* first picture with bytesperline * stride_mul */
	int stride_to;		/* ... up to (exclusive), back to normal after */
	uint32_t stride_mul;
};

static const struct layout default_layout = { NULL, 0, 0, 0, 1 };

/* Applies @l to the format of picture @i (after set_format()/fill_job()). */
static void apply_layout(struct daedalus_job *msg, const struct layout *l, int i)
{
	struct daedalus_picture_format *f = &msg->picture_format;

	msg->picture.offset = l->offset;
	if (l->stride_mul > 1 && i >= l->stride_from && i < l->stride_to) {
		f->bytesperline *= l->stride_mul;
		f->sizeimage = f->bytesperline * f->height * 3 / 2 + 4096;
	}
}

static int decode_one(void *dec, struct pool *pool, int slot,
		      struct daedalus_job *msg, const struct h264_picture *pic,
		      struct dd_result *res, uint8_t **data)
{
	struct dd_bufmap *map = pool_get(pool, slot);
	struct dd_job job;
	int ret;

	if (!map)
		return -1;
	memset(&job, 0, sizeof(job));
	job.msg = msg;
	job.bitstream.data = pic->slices;
	job.bitstream.size = pic->slices_len;
	/* as context.c: the picture starts at the job's offset */
	job.picture.data = dd_bufmap_data(map) + msg->picture.offset;
	job.picture.size = dd_bufmap_length(map) - msg->picture.offset;
	job.picture.format = &msg->picture_format;
	job.picture.buf_id = pool->id_base + (uint64_t)slot;
	job.picture.map = map;
	ret = dd_backend_h264.decode(dec, &job, res);
	*data = dd_bufmap_data(map) + msg->picture.offset;
	/* the cache keeps the mapping; the backend took its own references */
	dd_bufmap_unref(map);
	return ret;
}

static size_t max_size(const struct h264_stream *s, const struct layout *l)
{
	static struct daedalus_job msg;
	size_t m = 0;
	int i;

	for (i = 0; i < s->npics; i++) {
		set_format(&msg, &s->pics[i]);
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
	struct pool pool;
	struct dd_result res;
	uint8_t **ours, *data;
	size_t *ours_len;
	int i, equal = 0, differ = 0, st[3] = { 0 }, nslots;
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
	nslots = s.nframes < POOL_MAX ? s.nframes : POOL_MAX;
	if (!ours || !ours_len || pool_init(&pool, nslots, max_size(&s, l), 100) ||
	    dd_backend_h264.open(&dec, &(struct dd_decoder_config){ .threads = 1 })) {
		printf("FAIL %-20s setup\n", v->name);
		fails++;
		return;
	}
	for (i = 0; i < s.npics; i++) {
		const struct h264_picture *pic = &s.pics[i];
		int slot = pic->frame % nslots;

		fill_job(&msg, pic, (uint64_t)i + 1, pool.id_base + (uint64_t)slot);
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
		if (pic->first_of_pair)
			continue;
		/* the picture is final once its (last) job is answered */
		free(ours[pic->frame]);
		ours[pic->frame] = capture_yuv(data, &msg.picture_format,
					       &pic->crop, &ours_len[pic->frame]);
	}
	dd_backend_h264.close(dec);
	pool_free(&pool);

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
	printf("%-4s %-20s%s%s jobs %3d ok/corrupt/failed %d/%d/%d frames %d: %d equal %d differ | suite %s ours %s%s lavc-ref %s\n",
	       differ || st[1] || st[2] || equal != ref.norder ? "FAIL" : "ok",
	       v->name, l->what ? " " : "", l->what ? l->what : "", s.npics,
	       st[0], st[1], st[2], s.nframes, equal, differ,
	       v->md5, got, strcmp(got, v->md5) ? "(!)" : "", refmd5);
	if (differ || st[1] || st[2] || equal != ref.norder)
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
	struct pool pool;
	struct dd_result res;
	uint8_t *data;
	void *dec;
	int i, start = -1;

	if (h264_stream_load(&s, v->path) || s.npics < 8)
		return;
	CHECK(!pool_init(&pool, 4, max_size(&s, &default_layout), 500));
	CHECK(!dd_backend_h264.open(&dec, &(struct dd_decoder_config){ .threads = 1 }));

	/* slice-based mode and a buffer without start code: FAILED */
	fill_job(&msg, &s.pics[0], 1, 500);
	msg.flags |= DAEDALUS_JOB_NEW_STREAM;
	msg.params.h264.decode_mode = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	CHECK(!decode_one(dec, &pool, 0, &msg, &s.pics[0], &res, &data));
	CHECK(res.status == DAEDALUS_STATUS_FAILED);
	fill_job(&msg, &s.pics[0], 2, 500);
	{
		struct h264_picture p = s.pics[0];

		p.slices += 3;
		p.slices_len -= 3;
		CHECK(!decode_one(dec, &pool, 0, &msg, &p, &res, &data));
		CHECK(res.status == DAEDALUS_STATUS_FAILED);
	}

	/* a DPB entry the decoder never saw: decoded, but CORRUPT */
	fill_job(&msg, &s.pics[0], 3, 500);
	msg.flags |= DAEDALUS_JOB_NEW_STREAM;
	CHECK(!decode_one(dec, &pool, 0, &msg, &s.pics[0], &res, &data));
	CHECK(res.status == DAEDALUS_STATUS_OK);
	fill_job(&msg, &s.pics[1], 4, 501);
	msg.params.h264.decode_params.dpb[0].reference_ts = 987654321;
	msg.params.h264.decode_params.dpb[0].flags =
		V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	CHECK(!decode_one(dec, &pool, 1, &msg, &s.pics[1], &res, &data));
	CHECK(res.status == DAEDALUS_STATUS_CORRUPT);
	/* the same DPB naming the picture just decoded: fine */
	fill_job(&msg, &s.pics[1], 5, 502);
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
		fill_job(&msg, &s.pics[start], 6, 503);
		msg.flags |= DAEDALUS_JOB_NEW_STREAM;
		CHECK(!decode_one(dec, &pool, 3, &msg, &s.pics[start], &res, &data));
		CHECK(res.status == DAEDALUS_STATUS_CORRUPT);
		CHECK(res.bytesused == msg.picture_format.sizeimage);
		printf("seek to picture %d (frame_num %u) of %s: status %d\n",
		       start, s.pics[start].params.decode_params.frame_num,
		       v->name, res.status);
	}
	dd_backend_h264.close(dec);
	pool_free(&pool);
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
 * Regressions of the fuzz findings (docs/fuzzing.md, "Found so far"): each
 * shape decoded after the default layout of the same vector must give
 * every frame equal to libavcodec's and the same md5.
 */
static const struct {
	const char *vector;
	struct layout layout;
} regressions[] = {
	/* 2: not 64-byte aligned for lavc's SIMD stores -> scratch + copy */
	{ "CABAST3_Sony_E", { "[picture at offset 1]", 1, 0, 0, 1 } },
	{ "CABAST3_Sony_E", { "[picture at offset 8]", 8, 0, 0, 1 } },
	/* 3: P010 at an odd address: bytewise 16-bit stores (UBSan) */
	{ "PPH10I1_Panasonic_A", { "[P010 at offset 1]", 1, 0, 0, 1 } },
	/*
	 * 4: bytesperline doubled for pictures 6..15 (references of the
	 * earlier stride held), then back to the first stride
	 */
	{ "CABAST3_Sony_E", { "[bytesperline x2 for pictures 6..15]", 0, 6, 16, 2 } },
	{ "MR1_BT_A", { "[bytesperline x2 from picture 1]", 0, 1, 1 << 30, 2 } },
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
	static const char *const suites[] = {
		"JVT-AVC_V1", "JVT-FR-EXT", "JVT-Professional_profiles",
	};
	const char *dir = h264_vectors_dir();
	struct counts c = { 0 };
	struct h264_vector *v;
	int n, i, errors_done = 0;
	unsigned s;

	if (getenv("DD_TRACE"))
		dd_log_set_level(DD_LOG_TRACE);
	if (!dir) {
		printf("SKIP: no conformance vectors (set DAEDALUS_VECTORS)\n");
		return SKIP;
	}
	if (!dd_lavc_load()) {
		printf("SKIP: %s\n", dd_lavc_error());
		return SKIP;
	}
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		n = h264_suite_load(dir, suites[s], &v);
		for (i = 0; i < n; i++) {
			char md5[33] = "-";

			if (!wanted(v[i].name, argc, argv))
				continue;
			run_vector(&v[i], &c, &default_layout, md5);
			run_regressions(&v[i], &c, md5);
			if (!errors_done && !strcmp(suites[s], "JVT-AVC_V1")) {
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
