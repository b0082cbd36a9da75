/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd-fuzz-seed: seeds for the fuzz targets, made from recorded jobs.
 *
 *   dd-fuzz-seed record REC_DIR [VECTOR...]
 *       Turns the first pictures of a few H.264 conformance vectors
 *       ($DAEDALUS_VECTORS, default /work/shared/vectors) into the jobs a
 *       client would send (tests/unit/h264_stream.c splits and fills the
 *       controls) and writes them with the daemon's recorder, exactly as
 *       `daedalusd --record REC_DIR` does: REC_DIR/ctx<N>/<seq>.job/.bin.
 *   dd-fuzz-seed corpus CORPUS_DIR REC_DIR...
 *       Recordings (made above, or by a daemon) -> CORPUS_DIR/job (the
 *       .job records as they are), CORPUS_DIR/h264_headers (the distinct
 *       SPS/PPS/scaling-matrix controls) and CORPUS_DIR/h264_decode (runs
 *       of consecutive jobs with their bitstreams, fuzz_input.h).
 *   dd-fuzz-seed to-recording INPUT REC_DIR
 *       A fuzz_h264_decode input (a crash, say) -> a recording of the
 *       jobs the target ran, for `daedalus-replay REC_DIR`.
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

#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))
#define PICS_PER_VECTOR	10
#define CAPTURE_SLOTS	16
#define DECODE_RUN	3		/* jobs per h264_decode seed */
#define DECODE_MAX	(96u << 10)	/* bytes per h264_decode seed */
#define DECODE_BIN_MAX	(24u << 10)	/* bitstream bytes per job, at most */
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

/* The job of @pic, as tests/unit/test_h264_backend.c sends it. */
static void fill_job(struct daedalus_job *msg, const struct h264_picture *pic,
		     uint64_t seq, uint64_t ctx_id)
{
	struct daedalus_picture_format *f = &msg->picture_format;
	int p010 = pic->depth > 8;

	memset(msg, 0, sizeof(*msg));
	dd_hdr_init(&msg->hdr, DAEDALUS_MSG_JOB, sizeof(*msg));
	msg->seq = seq;
	msg->ctx_id = ctx_id;
	msg->timestamp = (uint64_t)(pic->frame + 1) * 1000;
	msg->codec = DAEDALUS_CODEC_H264;
	msg->flags = pic->first_of_pair ? DAEDALUS_JOB_HOLD_CAPTURE : 0;
	msg->coded_width = (uint32_t)pic->width;
	msg->coded_height = (uint32_t)pic->height;
	f->pixelformat = p010 ? V4L2_PIX_FMT_P010 : V4L2_PIX_FMT_NV12;
	f->width = (uint32_t)pic->width;
	f->height = ALIGN((uint32_t)pic->height, 32);
	f->bytesperline = ALIGN((uint32_t)pic->width, 128) * (p010 ? 2 : 1);
	f->sizeimage = f->bytesperline * f->height * 3 / 2;
	msg->bitstream.id = 1;
	msg->bitstream.fd = 3;
	msg->bitstream.length = (uint32_t)pic->slices_len;
	msg->bitstream.bytesused = (uint32_t)pic->slices_len;
	msg->picture.id = 100 + (uint64_t)(pic->frame % CAPTURE_SLOTS);
	msg->picture.fd = 4;
	msg->picture.length = f->sizeimage;
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
	static const char *const suites[] = {
		"JVT-AVC_V1", "JVT-FR-EXT", "JVT-Professional_profiles",
	};
	const char *dir = h264_vectors_dir();
	struct dd_recorder *rec;
	uint64_t ctx_id = 0;

	if (!dir)
		return die("no conformance vectors (set DAEDALUS_VECTORS)%s", "");
	if (dd_recorder_new(out, &rec))
		return die("cannot create %s", out);
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		struct h264_vector *v;
		int n = h264_suite_load(dir, suites[s], &v);

		for (int i = 0; i < n; i++) {
			if (!wanted(v[i].name, argc, argv))
				continue;
			if (record_vector(rec, &v[i], ++ctx_id))
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

struct corpus {
	char job[4096], headers[4096], decode[4096];
	int njob, nheaders, ndecode;
};

/*
 * A run of jobs, plus the hostile variants that once crashed the backend
 * (docs/fuzzing.md), so every run starts from them: a CAPTURE buffer at an
 * odd offset, and a bytesperline that changes after the first job.
 */
static void put_run(struct corpus *c, uint8_t *run, size_t len,
		    const size_t *jobs, int n)
{
	const size_t off = offsetof(struct daedalus_job, picture.offset);
	const size_t fmt = offsetof(struct daedalus_job, picture_format);
	uint8_t *v = malloc(len);

	put_seed(c->decode, run, len, NULL, 0);
	if (!v)
		return;
	memcpy(v, run, len);
	for (int i = 0; i < n; i++) {
		uint32_t one = 1;

		memcpy(v + jobs[i] + off, &one, sizeof(one));
	}
	put_seed(c->decode, v, len, NULL, 0);
	memcpy(v, run, len);
	for (int i = 1; i < n; i++) {
		struct daedalus_picture_format f;

		memcpy(&f, v + jobs[i] + fmt, sizeof(f));
		f.bytesperline *= 2;
		f.sizeimage = f.bytesperline * f.height / 2 * 3;
		memcpy(v + jobs[i] + fmt, &f, sizeof(f));
	}
	if (n > 1)
		put_seed(c->decode, v, len, NULL, 0);
	free(v);
}

static void corpus_context(struct corpus *c, const char *ctxdir)
{
	struct dd_recording_entry *jobs = NULL;
	int n = dd_recording_list(ctxdir, "", ".job", &jobs);
	uint8_t *run = malloc(DECODE_MAX);
	size_t run_len = 0, run_at[DECODE_RUN];
	int run_jobs = 0;

	for (int i = 0; run && i < n; i++) {
		char path[4096];
		uint8_t *rec, *bin;
		size_t len, bin_len;
		const struct daedalus_job *job;

		snprintf(path, sizeof(path), "%s/%s", ctxdir, jobs[i].name);
		rec = read_file(path, &len);
		if (!rec)
			continue;
		/* fuzz_job: the record itself (the first few of a context suffice) */
		if (i < 3 && !put_seed(c->job, rec, len, NULL, 0))
			c->njob++;
		job = (const struct daedalus_job *)rec;
		if (len != sizeof(*job) || job->codec != DAEDALUS_CODEC_H264) {
			free(rec);
			continue;
		}
		/* fuzz_h264_headers: sps, pps, scaling matrix (put_seed dedups) */
		{
			const struct daedalus_h264_params *p = &job->params.h264;
			uint8_t hdr[FZ_HEADERS_SIZE];

			memcpy(hdr, &p->sps, sizeof(p->sps));
			memcpy(hdr + sizeof(p->sps), &p->pps, sizeof(p->pps));
			memcpy(hdr + sizeof(p->sps) + sizeof(p->pps), &p->scaling_matrix,
			       sizeof(p->scaling_matrix));
			put_seed(c->headers, hdr, sizeof(hdr), NULL, 0);
		}
		/* fuzz_h264_decode: runs of DECODE_RUN consecutive jobs */
		snprintf(path + strlen(path) - 4, 5, ".bin");
		bin = read_file(path, &bin_len);
		/* big pictures (1080p, 10-bit): their first slices are enough */
		if (bin_len > DECODE_BIN_MAX)
			bin_len = DECODE_BIN_MAX;
		if (bin && bin_len) {
			if (run_jobs && run_len + FZ_SEP_LEN + FZ_JOB_PREFIX + bin_len > DECODE_MAX) {
				put_run(c, run, run_len, run_at, run_jobs);
				run_len = 0;
				run_jobs = 0;
			}
			if (run_jobs) {
				memcpy(run + run_len, FZ_SEP, FZ_SEP_LEN);
				run_len += FZ_SEP_LEN;
			}
			run_at[run_jobs] = run_len;
			memcpy(run + run_len, rec, FZ_JOB_PREFIX);
			memcpy(run + run_len + FZ_JOB_PREFIX, bin, bin_len);
			run_len += FZ_JOB_PREFIX + bin_len;
			if (++run_jobs == DECODE_RUN) {
				put_run(c, run, run_len, run_at, run_jobs);
				run_len = 0;
				run_jobs = 0;
			}
		}
		free(bin);
		free(rec);
	}
	if (run && run_jobs)
		put_run(c, run, run_len, run_at, run_jobs);
	free(run);
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
	struct corpus c = { 0 };

	mkdir(out, 0755);
	snprintf(c.job, sizeof(c.job), "%s/job", out);
	snprintf(c.headers, sizeof(c.headers), "%s/h264_headers", out);
	snprintf(c.decode, sizeof(c.decode), "%s/h264_decode", out);
	if ((mkdir(c.job, 0755) && errno != EEXIST) ||
	    (mkdir(c.headers, 0755) && errno != EEXIST) ||
	    (mkdir(c.decode, 0755) && errno != EEXIST))
		return die("cannot create the corpus directories under %s", out);
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
	printf("dd-fuzz-seed: %s: %d job, %d h264_headers, %d h264_decode seeds\n",
	       out, count_files(c.job), count_files(c.headers), count_files(c.decode));
	return count_files(c.job) ? 0 : die("no recorded jobs found%s", "");
}

/* ---- to-recording: a decode input -> the recording it stands for ---- */

static int cmd_to_recording(const char *input, const char *out)
{
	static struct daedalus_job msg;
	struct fz_chunk chunks[FZ_MAX_JOBS];
	struct dd_recorder *rec;
	uint8_t *data;
	size_t size, n;

	data = read_file(input, &size);
	if (!data)
		return die("cannot read %s", input);
	if (dd_recorder_new(out, &rec))
		return die("cannot create %s", out);
	n = fz_split(data, size, chunks, FZ_MAX_JOBS);
	for (size_t i = 0; i < n; i++) {
		fz_job_from_chunk(&chunks[i], i, &msg);
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
	if (argc == 4 && !strcmp(argv[1], "to-recording"))
		return cmd_to_recording(argv[2], argv[3]);
	fprintf(stderr,
		"usage: dd-fuzz-seed record REC_DIR [VECTOR...]\n"
		"       dd-fuzz-seed corpus CORPUS_DIR REC_DIR...\n"
		"       dd-fuzz-seed to-recording DECODE_INPUT REC_DIR\n");
	return 2;
}
