/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd-fuzz-seed: seeds for the fuzz targets, made from recorded jobs.
 *
 *   dd-fuzz-seed record REC_DIR [VECTOR...]
 *       Turns the first pictures of a few H.264, VP9 and VP8 conformance
 *       vectors ($DAEDALUS_VECTORS, default ../shared/vectors) into the
 *       jobs a client would send (H.264: tests/unit/h264_stream.c splits
 *       and fills the controls; VP9/VP8: one job per IVF frame, superframes
 *       split, the FRAME control filled from the daemon's own header
 *       parsers) and writes them with the daemon's recorder, exactly as
 *       `daedalusd --record REC_DIR` does: REC_DIR/ctx<N>/<seq>.job/.bin.
 *   dd-fuzz-seed corpus CORPUS_DIR REC_DIR...
 *       Recordings (made above, or by a daemon) -> CORPUS_DIR/job (the
 *       .job records as they are), CORPUS_DIR/h264_headers (the distinct
 *       SPS/PPS/scaling-matrix controls), CORPUS_DIR/vpx_headers (the
 *       starts of VP9/VP8 frames), CORPUS_DIR/av1_obu (AV1 controls with
 *       the first bytes of each tile) and CORPUS_DIR/<codec>_decode (runs
 *       of consecutive jobs with their bitstreams, fuzz_input.h).  There
 *       is no host-side AV1 client to record with, so AV1 seeds come from
 *       recordings made in the guest, plus one synthetic key frame
 *       (av1_synthetic(); for av1_obu also a monochrome variant) so the
 *       AV1 targets start from a job the daemon accepts even without one.
 *   dd-fuzz-seed to-recording INPUT REC_DIR [h264|vp9|vp8|av1]
 *       A fuzz_<codec>_decode input (a crash, say; default h264) -> a
 *       recording of the jobs the target ran, for `daedalus-replay REC_DIR`.
 * Exit status 0, or 1 with a message.
 */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/videodev2.h>

#include "fuzz_input.h"
#include "h264_stream.h"
#include "md5.h"
#include "recorder.h"
#include "vp8_header.h"
#include "vp9_header.h"

#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))
#define PICS_PER_VECTOR	10		/* jobs per vector */
#define CAPTURE_SLOTS	16
#define DECODE_RUN	3		/* jobs per <codec>_decode seed */
#define DECODE_MAX	(96u << 10)	/* bytes per <codec>_decode seed */
#define VPX_HEADER_MAX	48		/* bytes of a frame per vpx_headers seed */
#define DECODE_BIN_MAX	(24u << 10)	/* bitstream bytes per job, at most (not AV1) */
#define AV1_TILE_HEAD	48		/* bytes of each tile per av1_obu seed */
#define MAX_FILE	(64u << 20)

/* One vector per feature, small pictures first. */
static const char *const default_vectors[] = {
	"CABA3_SVA_B",		/* CABAC, QCIF */
	"BA1_FT_C",		/* several slices per picture */
	"CABAST3_Sony_E",	/* B pictures */
	"MR1_BT_A",		/* POC type 1, multiple references */
	"NRF_MW_E",		/* non-reference pictures */
	"HCAFF1_HHI_B",		/* field pairs */
	"HCAMFF1_HHI_B",	/* MBAFF */
	"FRExt1_Panasonic_D",	/* 8x8 transform, scaling matrices */
	"HPCVMOLQ_BRCM_B",	/* 4:0:0 */
	"PPH10I1_Panasonic_A",	/* High 10 -> P010 */
	"vp90-2-10-show-existing-frame.webm",	/* show_existing_frame, superframes */
	"tiny-8x8",		/* smaller than a superblock */
	"odd-size-199x131",	/* odd size */
	"error-resilient",	/* error resilient, reset contexts */
	"multi-arf",		/* hidden frames in superframes */
	"resize-dynamic-rt",	/* size change: scaled references */
	"profile2-10bit",	/* profile 2 -> P010 */
	"tiles-4col-2row-720p",	/* tile columns and rows */
	"vp80-00-comprehensive-007",	/* odd size, many features */
	"vp80-01-intra-1400",	/* key frames */
	"vp80-02-inter-1402",	/* inter frames */
	"vp80-03-segmentation-1401",	/* segmentation */
	"vp80-04-partitions-1404",	/* several token partitions */
	"vp80-05-sharpness-1428",	/* loop filter sharpness */
};

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "dd-fuzz-seed: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

static int write_file(const char *path, const void *a, size_t alen,
		      const void *b, size_t blen)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(a, 1, alen, f) == alen && (!blen || fwrite(b, 1, blen, f) == blen);
	return fclose(f) || !ok ? -1 : 0;
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	*size = 0;
	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && n <= (long)MAX_FILE &&
	    !fseek(f, 0, SEEK_SET) && (buf = malloc(n ? (size_t)n : 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*size = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* ---- record: conformance vectors -> a recording ---- */

/*
 * A job for picture @frame (0, 1, ...) of @w x @h, as
 * tests/unit/test_h264_backend.c sends one: NV12 (P010 with @p010) of
 * 128-byte aligned rows and 32-row aligned height, @len bytes of
 * bitstream, one of CAPTURE_SLOTS CAPTURE buffers; the params are zero.
 */
static void job_init(struct daedalus_job *msg, enum daedalus_codec codec,
		     uint64_t seq, uint64_t ctx_id, unsigned int frame,
		     uint32_t w, uint32_t h, int p010, size_t len)
{
	struct daedalus_picture_format *f = &msg->picture_format;

	memset(msg, 0, sizeof(*msg));
	dd_hdr_init(&msg->hdr, DAEDALUS_MSG_JOB, sizeof(*msg));
	msg->seq = seq;
	msg->ctx_id = ctx_id;
	msg->timestamp = (uint64_t)(frame + 1) * 1000;
	msg->codec = codec;
	msg->coded_width = w;
	msg->coded_height = h;
	f->pixelformat = p010 ? V4L2_PIX_FMT_P010 : V4L2_PIX_FMT_NV12;
	f->width = w;
	f->height = ALIGN(h, 32);
	f->bytesperline = ALIGN(w, 128) * (p010 ? 2 : 1);
	f->sizeimage = f->bytesperline * f->height * 3 / 2;
	msg->bitstream.id = 1;
	msg->bitstream.fd = 3;
	msg->bitstream.length = (uint32_t)len;
	msg->bitstream.bytesused = (uint32_t)len;
	msg->picture.id = 100 + (uint64_t)(frame % CAPTURE_SLOTS);
	msg->picture.fd = 4;
	msg->picture.length = f->sizeimage;
}

static void fill_job(struct daedalus_job *msg, const struct h264_picture *pic,
		     uint64_t seq, uint64_t ctx_id)
{
	job_init(msg, DAEDALUS_CODEC_H264, seq, ctx_id, (unsigned int)pic->frame,
		 (uint32_t)pic->width, (uint32_t)pic->height, pic->depth > 8,
		 pic->slices_len);
	msg->flags = pic->first_of_pair ? DAEDALUS_JOB_HOLD_CAPTURE : 0;
	msg->params.h264 = pic->params;
}

static int record_vector(struct dd_recorder *rec, const struct h264_vector *v,
			 uint64_t ctx_id)
{
	static struct daedalus_job msg;
	struct h264_stream s;
	struct h264_client_dpb dpb;
	int i;

	if (h264_stream_load(&s, v->path))
		return -1;
	h264_client_dpb_init(&dpb);
	for (i = 0; i < s.npics && i < PICS_PER_VECTOR; i++) {
		const struct h264_picture *pic = &s.pics[i];

		fill_job(&msg, pic, (uint64_t)i + 1, ctx_id);
		if (i == 0)
			msg.flags |= DAEDALUS_JOB_NEW_STREAM;
		/* the latest reference frame, as a client's DPB names it */
		h264_client_dpb_fill(&dpb, pic, &msg.params.h264);
		if (dd_recorder_write(rec, &msg, pic->slices, pic->slices_len)) {
			h264_stream_free(&s);
			return -1;
		}
	}
	h264_stream_free(&s);
	return 0;
}

/*
 * What a VP9 client tracks between frames to fill the FRAME control: the
 * decoder's reference slots (dd_vp9_slots, as the backend mirrors them)
 * and which frame each holds, and the profile of the last intra frame.
 */
struct vp9_client {
	struct dd_vp9_slots slots;
	uint64_t slot_ts[DD_VP9_NUM_REF_FRAMES];
	uint8_t profile;
};

/*
 * The job of VP9 frame @d (one frame, not a superframe), its FRAME
 * control filled from the uncompressed header as far as the backend and
 * dd_job_check() look at it; -1 for a frame the parser refuses.
 */
static int vp9_job(struct daedalus_job *msg, struct vp9_client *c,
		   const uint8_t *d, size_t n, uint64_t seq, uint64_t ctx_id,
		   unsigned int frame)
{
	struct v4l2_ctrl_vp9_frame *f = &msg->params.vp9.frame;
	struct dd_vp9_header h;
	const char *why;
	unsigned int i, w, ht, depth;

	if (dd_vp9_parse_header(d, n, &c->slots, &h, &why))
		return -1;
	if (h.show_existing_frame) {
		/* decodes nothing: the control only has to pass dd_job_check() */
		w = c->slots.width[h.frame_to_show];
		ht = c->slots.height[h.frame_to_show];
		depth = c->slots.bit_depth;
		h.profile = c->profile;
		h.show_frame = 1;
	} else {
		w = h.width;
		ht = h.height;
		depth = h.bit_depth;
	}
	if (!w || !ht)
		return -1;
	job_init(msg, DAEDALUS_CODEC_VP9, seq, ctx_id, frame, w, ht, depth > 8, n);
	f->profile = h.profile;
	f->bit_depth = (uint8_t)depth;
	f->frame_width_minus_1 = f->render_width_minus_1 = (uint16_t)(w - 1);
	f->frame_height_minus_1 = f->render_height_minus_1 = (uint16_t)(ht - 1);
	f->flags = (h.key_frame ? V4L2_VP9_FRAME_FLAG_KEY_FRAME : 0) |
		   (h.show_frame ? V4L2_VP9_FRAME_FLAG_SHOW_FRAME : 0) |
		   (h.error_resilient ? V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT : 0) |
		   (h.intra_only ? V4L2_VP9_FRAME_FLAG_INTRA_ONLY : 0) |
		   V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	/* the bitstream's 0/1 both mean none; the control has 0..2 */
	f->reset_frame_context = h.reset_frame_context > 1 ? h.reset_frame_context - 1 : 0;
	if (h.show_existing_frame)
		return 0;
	if (!h.key_frame && !h.intra_only) {
		for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++)
			f->ref_frame_sign_bias |= (uint8_t)(h.ref_sign_bias[i] << i);
		f->last_frame_ts = c->slot_ts[h.ref_frame_idx[0]];
		f->golden_frame_ts = c->slot_ts[h.ref_frame_idx[1]];
		f->alt_frame_ts = c->slot_ts[h.ref_frame_idx[2]];
	} else {
		c->profile = h.profile;
	}
	dd_vp9_slots_update(&c->slots, &h);
	for (i = 0; i < DD_VP9_NUM_REF_FRAMES; i++)
		if (h.refresh_frame_flags & (1u << i))
			c->slot_ts[i] = msg->timestamp;
	return 0;
}

/*
 * The frames of a VP9 packet: a superframe (Annex B: an index of frame
 * sizes ends it) is split, as a client must; anything else is one frame.
 */
static size_t vp9_split(const uint8_t *d, size_t n, const uint8_t **frames,
			size_t *sizes)
{
	uint8_t marker = n ? d[n - 1] : 0;
	size_t count = (size_t)(marker & 7) + 1, mag = (size_t)(marker >> 3 & 3) + 1;
	size_t index = 2 + mag * count, at = 0;

	if ((marker & 0xe0) != 0xc0 || n < index || d[n - index] != marker)
		goto one;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p = d + n - index + 1 + i * mag;
		size_t size = 0;

		for (size_t b = 0; b < mag; b++)
			size |= (size_t)p[b] << (8 * b);
		if (!size || size > n - index - at)
			goto one;
		frames[i] = d + at;
		sizes[i] = size;
		at += size;
	}
	return count;
one:
	frames[0] = d;
	sizes[0] = n;
	return 1;
}

/* What a VP8 client tracks: the last key frame's size, the references. */
struct vp8_client {
	struct dd_vp8_header key;	/* the last key frame's header */
	uint64_t last_ts, golden_ts, alt_ts;
};

/*
 * The job of VP8 frame @d, its FRAME control filled from the frame tag
 * and key frame header.  What the first partition codes (token partition
 * count, which references a frame refreshes) needs its boolean decoder;
 * the backend checks neither, so: one token partition of the rest of the
 * frame (the same bytes dd_job_check() bounds), key frames refresh all
 * three references, a hidden frame the alt-ref, any other frame last.
 */
static int vp8_job(struct daedalus_job *msg, struct vp8_client *c,
		   const uint8_t *d, size_t n, uint64_t seq, uint64_t ctx_id,
		   unsigned int frame)
{
	struct v4l2_ctrl_vp8_frame *f = &msg->params.vp8.frame;
	struct dd_vp8_header h;
	const char *why;
	uint64_t parts;

	if (dd_vp8_parse_header(d, n, &h, &why))
		return -1;
	if (h.key_frame)
		c->key = h;
	parts = (uint64_t)h.header_size + h.first_part_size;
	if (!c->key.width || !c->key.height || parts > n)
		return -1;
	job_init(msg, DAEDALUS_CODEC_VP8, seq, ctx_id, frame, c->key.width,
		 c->key.height, 0, n);
	f->flags = (h.key_frame ? V4L2_VP8_FRAME_FLAG_KEY_FRAME : 0) |
		   (h.show_frame ? V4L2_VP8_FRAME_FLAG_SHOW_FRAME : 0);
	f->version = h.version;
	f->first_part_size = h.first_part_size;
	f->width = c->key.width;
	f->height = c->key.height;
	f->horizontal_scale = c->key.horizontal_scale;
	f->vertical_scale = c->key.vertical_scale;
	f->num_dct_parts = 1;
	f->dct_part_sizes[0] = (uint32_t)(n - parts);
	if (h.key_frame) {
		c->last_ts = c->golden_ts = c->alt_ts = msg->timestamp;
		return 0;
	}
	f->last_frame_ts = c->last_ts;
	f->golden_frame_ts = c->golden_ts;
	f->alt_frame_ts = c->alt_ts;
	if (h.show_frame)
		c->last_ts = msg->timestamp;
	else
		c->alt_ts = msg->timestamp;
	return 0;
}

/* The first PICS_PER_VECTOR frames of an IVF file, one job each. */
static int record_ivf(struct dd_recorder *rec, const struct h264_vector *v,
		      enum daedalus_codec codec, uint64_t ctx_id)
{
	static struct daedalus_job msg;
	static struct vp9_client c9;
	static struct vp8_client c8;
	size_t size, pos, njobs = 0;
	uint8_t *ivf = read_file(v->path, &size);
	int ret = -1;

	if (!ivf || size < 32 || memcmp(ivf, "DKIF", 4))
		goto out;
	memset(&c9, 0, sizeof(c9));
	memset(&c8, 0, sizeof(c8));
	pos = ivf[6] | (size_t)ivf[7] << 8;	/* header length */
	while (njobs < PICS_PER_VECTOR && pos + 12 <= size) {
		size_t len = ivf[pos] | (size_t)ivf[pos + 1] << 8 |
			     (size_t)ivf[pos + 2] << 16 | (size_t)ivf[pos + 3] << 24;
		const uint8_t *frames[8];
		size_t sizes[8], nf = 1;

		pos += 12;
		if (len > size - pos)
			break;
		frames[0] = ivf + pos;
		sizes[0] = len;
		if (codec == DAEDALUS_CODEC_VP9)
			nf = vp9_split(ivf + pos, len, frames, sizes);
		for (size_t i = 0; i < nf && njobs < PICS_PER_VECTOR; i++) {
			unsigned int frame = (unsigned int)njobs;
			uint64_t seq = njobs + 1;

			if (codec == DAEDALUS_CODEC_VP9 ?
			    vp9_job(&msg, &c9, frames[i], sizes[i], seq, ctx_id, frame) :
			    vp8_job(&msg, &c8, frames[i], sizes[i], seq, ctx_id, frame))
				continue;
			if (!njobs)
				msg.flags |= DAEDALUS_JOB_NEW_STREAM;
			if (dd_recorder_write(rec, &msg, frames[i], sizes[i]))
				goto out;
			njobs++;
		}
		pos += len;
	}
	ret = njobs ? 0 : -1;
out:
	free(ivf);
	return ret;
}

static int wanted(const char *name, int argc, char **argv)
{
	size_t i;

	if (argc) {
		for (int j = 0; j < argc; j++)
			if (!strcmp(argv[j], name))
				return 1;
		return 0;
	}
	for (i = 0; i < sizeof(default_vectors) / sizeof(default_vectors[0]); i++)
		if (!strcmp(default_vectors[i], name))
			return 1;
	return 0;
}

static int cmd_record(const char *out, int argc, char **argv)
{
	const char *dir = h264_vectors_dir();
	struct dd_recorder *rec;
	uint64_t ctx_id = 0;

	if (!dir)
		return die("no conformance vectors (set DAEDALUS_VECTORS)%s", "");
	if (dd_recorder_new(out, &rec))
		return die("cannot create %s", out);
	for (size_t s = 0; s < LAVC_NUM_SUITES; s++) {
		struct h264_vector *v;
		/* the fluster layout and suite files are the same for every codec */
		int n = h264_suite_load(dir, lavc_suites[s].suite, &v);

		for (int i = 0; i < n; i++) {
			int ret;

			if (!wanted(v[i].name, argc, argv))
				continue;
			if (lavc_suites[s].codec == DAEDALUS_CODEC_H264)
				ret = record_vector(rec, &v[i], ++ctx_id);
			else
				ret = record_ivf(rec, &v[i], lavc_suites[s].codec, ++ctx_id);
			if (ret)
				fprintf(stderr, "dd-fuzz-seed: %s: not recorded\n", v[i].name);
		}
		if (n > 0)
			free(v);
	}
	dd_recorder_free(rec);
	if (!ctx_id)
		return die("no vectors found under %s", dir);
	printf("dd-fuzz-seed: %llu vectors recorded into %s\n",
	       (unsigned long long)ctx_id, out);
	return 0;
}

/* ---- corpus: recordings -> seeds ---- */

/* Writes @data to DIR/<md5 of it> (the corpus naming libFuzzer uses). */
static int put_seed(const char *dir, const void *a, size_t alen, const void *b,
		    size_t blen)
{
	struct dd_md5 m;
	uint8_t d[16];
	char hex[33], path[4096];

	dd_md5_init(&m);
	dd_md5_update(&m, a, alen);
	if (blen)
		dd_md5_update(&m, b, blen);
	dd_md5_final(&m, d);
	dd_md5_hex(d, hex);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	return write_file(path, a, alen, b, blen);
}

/* The decode targets' codecs, as their corpus directories name them. */
static const char *const decode_name[DAEDALUS_CODEC_COUNT] = {
	[DAEDALUS_CODEC_H264] = "h264", [DAEDALUS_CODEC_VP9] = "vp9",
	[DAEDALUS_CODEC_VP8] = "vp8",
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	[DAEDALUS_CODEC_AV1] = "av1",
#endif
};

struct corpus {
	char job[4096], headers[4096], vpx_headers[4096], av1_obu[4096];
	char decode[DAEDALUS_CODEC_COUNT][4096];	/* "" without a target */
	int njob;
};

/*
 * A run of jobs, plus the hostile variants that once crashed the backend
 * (docs/fuzzing.md), so every run starts from them: a CAPTURE buffer at an
 * odd offset, and a bytesperline that changes after the first job.
 */
static void put_run(const char *dir, uint8_t *run, size_t len,
		    const size_t *jobs, int n)
{
	const size_t off = offsetof(struct daedalus_job, picture.offset);
	const size_t fmt = offsetof(struct daedalus_job, picture_format);
	uint8_t *v = malloc(len);

	put_seed(dir, run, len, NULL, 0);
	if (!v)
		return;
	memcpy(v, run, len);
	for (int i = 0; i < n; i++) {
		uint32_t one = 1;

		memcpy(v + jobs[i] + off, &one, sizeof(one));
	}
	put_seed(dir, v, len, NULL, 0);
	memcpy(v, run, len);
	for (int i = 1; i < n; i++) {
		struct daedalus_picture_format f;

		memcpy(&f, v + jobs[i] + fmt, sizeof(f));
		f.bytesperline *= 2;
		f.sizeimage = f.bytesperline * f.height / 2 * 3;
		memcpy(v + jobs[i] + fmt, &f, sizeof(f));
	}
	if (n > 1)
		put_seed(dir, v, len, NULL, 0);
	free(v);
}

/* A run of decode jobs of one codec, written out as a seed when full. */
struct run {
	uint8_t *buf;
	size_t len, at[DECODE_RUN];
	int jobs;
	enum daedalus_codec codec;
};

static void run_flush(const struct corpus *c, struct run *r)
{
	if (r->jobs)
		put_run(c->decode[r->codec], r->buf, r->len, r->at, r->jobs);
	r->len = 0;
	r->jobs = 0;
}

static void run_add(const struct corpus *c, struct run *r, const uint8_t *rec,
		    enum daedalus_codec codec, const uint8_t *bin, size_t bin_len)
{
	size_t prefix = fz_job_prefix(codec);

	if (r->jobs && (r->codec != codec ||
			r->len + FZ_SEP_LEN + prefix + bin_len > DECODE_MAX))
		run_flush(c, r);
	r->codec = codec;
	if (r->jobs) {
		memcpy(r->buf + r->len, FZ_SEP, FZ_SEP_LEN);
		r->len += FZ_SEP_LEN;
	}
	r->at[r->jobs] = r->len;
	memcpy(r->buf + r->len, rec, prefix);
	memcpy(r->buf + r->len + prefix, bin, bin_len);
	r->len += prefix + bin_len;
	if (++r->jobs == DECODE_RUN)
		run_flush(c, r);
}

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
/*
 * One fuzz_av1_obu frame (fuzz_input.h) for the controls of @p over
 * @bin: the tiles cut to their first AV1_TILE_HEAD bytes and laid end to
 * end, the entries pointing there (the writer copies tiles, it does not
 * read them).  Appended to @out (at *len, room for FZ_AV1_CONTROLS + all
 * entries + 4 + DAEDALUS_MAX_TILES * AV1_TILE_HEAD); -1 if an entry is
 * outside @bin.
 */
static int av1_obu_frame(uint8_t *out, size_t *len,
			 const struct daedalus_av1_params *p,
			 const uint8_t *bin, size_t bin_len)
{
	static struct daedalus_av1_params q;
	uint32_t n = p->num_tiles < DAEDALUS_MAX_TILES ? p->num_tiles : DAEDALUS_MAX_TILES;
	uint8_t *bs = out + *len + FZ_AV1_CONTROLS + n * sizeof(q.tiles[0]) + 4;
	uint32_t bs_len = 0;

	q = *p;
	for (uint32_t i = 0; i < n; i++) {
		struct v4l2_ctrl_av1_tile_group_entry *t = &q.tiles[i];
		uint32_t k = t->tile_size < AV1_TILE_HEAD ? t->tile_size : AV1_TILE_HEAD;

		if ((uint64_t)t->tile_offset + t->tile_size > bin_len)
			return -1;
		memcpy(bs + bs_len, bin + t->tile_offset, k);
		t->tile_offset = bs_len;
		t->tile_size = k;
		bs_len += k;
	}
	memcpy(out + *len, &q, FZ_AV1_CONTROLS + n * sizeof(q.tiles[0]));
	memcpy(bs - 4, &bs_len, 4);
	*len += FZ_AV1_CONTROLS + n * sizeof(q.tiles[0]) + 4 + bs_len;
	return 0;
}

#define AV1_OBU_SEED_MAX \
	(FZ_AV1_FRAMES * (sizeof(struct daedalus_av1_params) + 4 + \
			  DAEDALUS_MAX_TILES * AV1_TILE_HEAD))

/*
 * A 64x64 8-bit shown key frame of one tile over 64 bytes that are not a
 * real tile (dav1d decodes whatever they say): what a client sends,
 * as far as dd_job_check() and the OBU writer look.  The seed of both AV1
 * targets when no recording has AV1 jobs.
 */
static void av1_synthetic(const struct corpus *c)
{
	static struct daedalus_job msg;
	static uint8_t obu[AV1_OBU_SEED_MAX];
	struct daedalus_av1_params *p = &msg.params.av1;
	uint8_t bin[64];
	size_t len = 0;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 37 + 11);
	job_init(&msg, DAEDALUS_CODEC_AV1, 1, 1, 0, 64, 64, 0, sizeof(bin));
	msg.flags = DAEDALUS_JOB_NEW_STREAM;
	p->sequence.bit_depth = 8;
	p->sequence.order_hint_bits = 7;
	p->sequence.flags = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			    V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF;
	p->sequence.max_frame_width_minus_1 = 63;
	p->sequence.max_frame_height_minus_1 = 63;
	p->frame.frame_type = V4L2_AV1_KEY_FRAME;
	p->frame.flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME;
	p->frame.frame_width_minus_1 = p->frame.frame_height_minus_1 = 63;
	p->frame.render_width_minus_1 = p->frame.render_height_minus_1 = 63;
	p->frame.upscaled_width = 64;
	p->frame.refresh_frame_flags = 0xff;
	p->frame.quantization.base_q_idx = 100;
	p->frame.tx_mode = V4L2_AV1_TX_MODE_SELECT;
	p->frame.tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	p->frame.tile_info.tile_cols = p->frame.tile_info.tile_rows = 1;
	p->num_tiles = 1;
	p->tiles[0].tile_size = sizeof(bin);
	put_seed(c->decode[DAEDALUS_CODEC_AV1], &msg, fz_job_prefix(DAEDALUS_CODEC_AV1),
		 bin, sizeof(bin));
	if (!av1_obu_frame(obu, &len, p, bin, sizeof(bin)))
		put_seed(c->av1_obu, obu, len, NULL, 0);

	/*
	 * fuzz_av1_obu, the shape of a bug it found: a monochrome sequence
	 * that also says SEPARATE_UV_DELTA_Q (not coded for 4:0:0), with
	 * quantizer matrices and a segment feature after them.
	 */
	p->sequence.flags = V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME |
			    V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	p->frame.quantization.flags = V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX;
	p->frame.quantization.qm_y = 14;
	p->frame.quantization.qm_u = p->frame.quantization.qm_v = 3;
	p->frame.segmentation.flags = V4L2_AV1_SEGMENTATION_FLAG_ENABLED |
				      V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP;
	p->frame.segmentation.feature_enabled[0] =
		V4L2_AV1_SEGMENT_FEATURE_ENABLED(V4L2_AV1_SEG_LVL_ALT_Q);
	p->frame.segmentation.feature_data[0][V4L2_AV1_SEG_LVL_ALT_Q] = -20;
	len = 0;
	if (!av1_obu_frame(obu, &len, p, bin, sizeof(bin)))
		put_seed(c->av1_obu, obu, len, NULL, 0);
}
#endif

static void corpus_context(struct corpus *c, const char *ctxdir)
{
	struct dd_recording_entry *jobs = NULL;
	int n = dd_recording_list(ctxdir, "", ".job", &jobs);
	struct run r = { .buf = malloc(DECODE_MAX) };
	/* fuzz_vpx_headers: the starts of the context's first frames */
	uint8_t vpx[FZ_VPX_FRAMES * (1 + VPX_HEADER_MAX)];
	size_t vpx_len = 0, vpx_frames = 0;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	/* fuzz_av1_obu: the context's first frames */
	static uint8_t av1[AV1_OBU_SEED_MAX];
	size_t av1_len = 0, av1_frames = 0;
#endif

	for (int i = 0; r.buf && i < n; i++) {
		char path[4096];
		uint8_t *rec, *bin;
		const uint8_t *sep;
		size_t len, bin_len;
		const struct daedalus_job *job;
		enum daedalus_codec codec;

		snprintf(path, sizeof(path), "%s/%s", ctxdir, jobs[i].name);
		rec = read_file(path, &len);
		if (!rec)
			continue;
		/* fuzz_job: the record itself (the first few of a context suffice) */
		if (i < 3 && !put_seed(c->job, rec, len, NULL, 0))
			c->njob++;
		job = (const struct daedalus_job *)rec;
		codec = len == sizeof(*job) && job->codec < DAEDALUS_CODEC_COUNT ?
			job->codec : DAEDALUS_CODEC_NONE;
		if (!c->decode[codec][0]) {
			free(rec);
			continue;
		}
		/* fuzz_h264_headers: sps, pps, scaling matrix (put_seed dedups) */
		if (codec == DAEDALUS_CODEC_H264) {
			const struct daedalus_h264_params *p = &job->params.h264;
			uint8_t hdr[FZ_HEADERS_SIZE];

			memcpy(hdr, &p->sps, sizeof(p->sps));
			memcpy(hdr + sizeof(p->sps), &p->pps, sizeof(p->pps));
			memcpy(hdr + sizeof(p->sps) + sizeof(p->pps), &p->scaling_matrix,
			       sizeof(p->scaling_matrix));
			put_seed(c->headers, hdr, sizeof(hdr), NULL, 0);
		}
		/* fuzz_<codec>_decode: runs of DECODE_RUN consecutive jobs */
		snprintf(path + strlen(path) - 4, 5, ".bin");
		bin = read_file(path, &bin_len);
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
		if (codec == DAEDALUS_CODEC_AV1 && bin && av1_frames < FZ_AV1_FRAMES &&
		    !av1_obu_frame(av1, &av1_len, &job->params.av1, bin, bin_len))
			av1_frames++;
#endif
		/*
		 * big pictures (1080p, 10-bit): their first slices are enough;
		 * AV1 tile entries point into the whole bitstream: kept whole,
		 * or left out when it does not fit a seed.
		 */
		if (codec == DAEDALUS_CODEC_AV1 && fz_job_prefix(codec) + bin_len > DECODE_MAX)
			bin_len = 0;
		else if (codec != DAEDALUS_CODEC_AV1 && bin_len > DECODE_BIN_MAX)
			bin_len = DECODE_BIN_MAX;
		/* a VP8/VP9 frame holding the separator by chance: cut it there */
		sep = bin ? fz_find_sep(bin, bin + bin_len) : NULL;
		if (sep)
			bin_len = (size_t)(sep - bin);
		if (bin && bin_len) {
			run_add(c, &r, rec, codec, bin, bin_len);
			if ((codec == DAEDALUS_CODEC_VP9 || codec == DAEDALUS_CODEC_VP8) &&
			    vpx_frames < FZ_VPX_FRAMES) {
				size_t l = bin_len < VPX_HEADER_MAX ? bin_len : VPX_HEADER_MAX;

				vpx[vpx_len++] = (uint8_t)l;
				memcpy(vpx + vpx_len, bin, l);
				vpx_len += l;
				vpx_frames++;
			}
		}
		free(bin);
		free(rec);
	}
	if (r.buf)
		run_flush(c, &r);
	if (vpx_len)
		put_seed(c->vpx_headers, vpx, vpx_len, NULL, 0);
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	if (av1_len)
		put_seed(c->av1_obu, av1, av1_len, NULL, 0);
#endif
	free(r.buf);
	free(jobs);
}

static int count_files(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int cmd_corpus(const char *out, int argc, char **argv)
{
	static struct corpus c;
	char dirs[64];

	mkdir(out, 0755);
	snprintf(c.job, sizeof(c.job), "%s/job", out);
	snprintf(c.headers, sizeof(c.headers), "%s/h264_headers", out);
	snprintf(c.vpx_headers, sizeof(c.vpx_headers), "%s/vpx_headers", out);
	snprintf(c.av1_obu, sizeof(c.av1_obu), "%s/av1_obu", out);
	if ((mkdir(c.job, 0755) && errno != EEXIST) ||
	    (mkdir(c.headers, 0755) && errno != EEXIST) ||
	    (mkdir(c.vpx_headers, 0755) && errno != EEXIST) ||
	    (mkdir(c.av1_obu, 0755) && errno != EEXIST))
		return die("cannot create the corpus directories under %s", out);
	for (int k = 0; k < DAEDALUS_CODEC_COUNT; k++) {
		if (!decode_name[k])
			continue;
		snprintf(c.decode[k], sizeof(c.decode[k]), "%s/%s_decode", out,
			 decode_name[k]);
		if (mkdir(c.decode[k], 0755) && errno != EEXIST)
			return die("cannot create %s", c.decode[k]);
	}
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	av1_synthetic(&c);
#endif
	for (int a = 0; a < argc; a++) {
		struct dd_recording_entry *ctxs = NULL;
		int n = dd_recording_list(argv[a], "ctx", "", &ctxs);

		if (n <= 0) {
			/* a single ctx<N> directory */
			corpus_context(&c, argv[a]);
		}
		for (int i = 0; i < n; i++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[a], ctxs[i].name);
			corpus_context(&c, path);
		}
		free(ctxs);
	}
	snprintf(dirs, sizeof(dirs), "%d/%d/%d/%d", count_files(c.decode[DAEDALUS_CODEC_H264]),
		 count_files(c.decode[DAEDALUS_CODEC_VP9]),
		 count_files(c.decode[DAEDALUS_CODEC_VP8]),
		 count_files(c.decode[DAEDALUS_CODEC_AV1]));
	printf("dd-fuzz-seed: %s: %d job, %d h264_headers, %d vpx_headers, %d av1_obu, %s h264/vp9/vp8/av1_decode seeds\n",
	       out, count_files(c.job), count_files(c.headers),
	       count_files(c.vpx_headers), count_files(c.av1_obu), dirs);
	return count_files(c.job) ? 0 : die("no recorded jobs found%s", "");
}

/* ---- to-recording: a decode input -> the recording it stands for ---- */

static int cmd_to_recording(const char *input, const char *out,
			    const char *codec_name)
{
	static struct daedalus_job msg;
	struct fz_chunk chunks[FZ_MAX_JOBS];
	struct dd_recorder *rec;
	enum daedalus_codec codec = DAEDALUS_CODEC_NONE;
	uint8_t *data;
	size_t size, n;

	for (int k = 0; k < DAEDALUS_CODEC_COUNT; k++)
		if (decode_name[k] && !strcmp(decode_name[k], codec_name))
			codec = (enum daedalus_codec)k;
	if (codec == DAEDALUS_CODEC_NONE)
		return die("no decode target for codec %s", codec_name);
	data = read_file(input, &size);
	if (!data)
		return die("cannot read %s", input);
	if (dd_recorder_new(out, &rec))
		return die("cannot create %s", out);
	n = fz_split(data, size, fz_job_prefix(codec), chunks, FZ_MAX_JOBS);
	for (size_t i = 0; i < n; i++) {
		fz_job_from_chunk(&chunks[i], i, codec, &msg);
		if (dd_recorder_write(rec, &msg, chunks[i].bitstream,
				      chunks[i].bitstream_len))
			return die("cannot write into %s", out);
	}
	dd_recorder_free(rec);
	free(data);
	printf("dd-fuzz-seed: %zu jobs written to %s/ctx1\n", n, out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "record"))
		return cmd_record(argv[2], argc - 3, argv + 3);
	if (argc >= 4 && !strcmp(argv[1], "corpus"))
		return cmd_corpus(argv[2], argc - 3, argv + 3);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "to-recording"))
		return cmd_to_recording(argv[2], argv[3], argc == 5 ? argv[4] : "h264");
	fprintf(stderr,
		"usage: dd-fuzz-seed record REC_DIR [VECTOR...]\n"
		"       dd-fuzz-seed corpus CORPUS_DIR REC_DIR...\n"
		"       dd-fuzz-seed to-recording DECODE_INPUT REC_DIR [h264|vp9|vp8|av1]\n");
	return 2;
}
