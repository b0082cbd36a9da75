/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decode targets' driver (fuzz_decode.h): one backend as the daemon
 * drives it, several jobs per input (references, held buffers, fields,
 * new streams, hidden frames).
 *
 * Input: a job stream (fuzz_input.h): per chunk a job's prefix and its
 * bitstream.  Per job, like the daemon (context.c) but with buffers the
 * harness allocates so that any access outside them is caught:
 *   - fz_job_from_chunk(), then dd_job_check(); a rejected job never
 *     reaches the backend (the daemon answers FAILED);
 *   - the OUTPUT buffer is exactly bytesused bytes (malloc, ASan);
 *   - a CAPTURE buffer lives per buffer id for the whole input, as long
 *     as the first job that named the id claimed (offset + sizeimage);
 *     it ends right before a PROT_NONE page, with the slack up to it
 *     poisoned for ASan, so an overrun by our code (ASan) or by
 *     libavcodec (not instrumented: SIGSEGV) is caught; a later job
 *     naming the id with a larger claim is refused, as dd_bufmap_cache_get()
 *     refuses it; the backend's dd_bufmap references are real mappings
 *     (of a one-page memfd) so leaked or extra references show up as
 *     leaks or use-after-free;
 *   - the decoder is opened on the first job and reopened after decode()
 *     (or submit()/complete()) failed (context.c); DAEDALUS_JOB_NEW_STREAM goes to the backend,
 *     which owns it;
 *   - the answer must be a valid one (status, bytesused <= sizeimage), and
 *     a picture answered OK/CORRUPT is read back (picture hash).
 * libavcodec and dav1d are dlopen()ed and not instrumented: a crash inside
 * them counts as ours only when our input broke their contract
 * (docs/fuzzing.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>

#include "backend.h"
#include "bufmap.h"
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
#include "dav1d.h"
#endif
#include "fuzz_decode.h"
#include "fuzz_input.h"
#include "job_check.h"
#include "lavc.h"
#include "log.h"
#include "picture_hash.h"

/* Valid but too slow to decode garbage into on every input. */
#define MAX_PICTURE	(12u << 20)
#define MAX_BUFFERS	16
#define PAGE		4096u

struct capture {
	uint64_t id;
	uint8_t *region;	/* mmap: region_len bytes + a PROT_NONE page */
	size_t region_len;
	uint8_t *base;		/* the buffer: len bytes, 64-byte aligned */
	size_t len;
	struct dd_bufmap *map;	/* our reference (plus the cache's); lifetime only */
};

static const char *target;
static int token_fd = -1;
static int have_lib;	/* the backend's decoder library loaded */
/* jobs seen, refused by dd_job_check(), refused by the harness, answered per status */
static unsigned long n_jobs, n_rejected, n_skipped, n_status[3];

static void report(void)
{
	fprintf(stderr, "%s: %lu jobs: %lu rejected by dd_job_check, %lu skipped (buffers), OK/CORRUPT/FAILED %lu/%lu/%lu\n",
		target, n_jobs, n_rejected, n_skipped, n_status[0], n_status[1], n_status[2]);
}

static void bug(const char *what, unsigned long long a)
{
	fprintf(stderr, "%s: %s (%llu)\n", target, what, a);
	abort();
}

/* The decoder library the backend will dlopen(): 0 if it loads. */
static int load_library(const struct dd_backend *backend)
{
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	if (backend->codec == DAEDALUS_CODEC_AV1) {
		if (dd_dav1d_load())
			return 0;
		fprintf(stderr, "%s: no dav1d (%s): nothing runs\n", target,
			dd_dav1d_error());
		return -1;
	}
#else
	(void)backend;
#endif
	if (dd_lavc_load()) {
		dd_lavc_load()->av_log_set_level(AV_LOG_QUIET);
		return 0;
	}
	fprintf(stderr, "%s: no libavcodec (%s): nothing runs\n", target,
		dd_lavc_error());
	return -1;
}

void fz_decode_init(const char *name, const struct dd_backend *backend)
{
	target = name;
	dd_log_set_level(getenv("DD_FUZZ_VERBOSE") ? DD_LOG_TRACE : DD_LOG_ERROR);
	token_fd = memfd_create("fuzz-token", MFD_CLOEXEC);
	if (token_fd < 0 || ftruncate(token_fd, PAGE))
		bug("memfd", (unsigned long long)errno);
	have_lib = !load_library(backend);
	if (have_lib && getenv("DD_FUZZ_VERBOSE"))
		atexit(report);
}

static int capture_new(struct capture *c, struct dd_bufmap_cache *cache,
		       uint64_t id, size_t len)
{
	size_t need = (len + 63 + PAGE - 1) / PAGE * PAGE;
	uint8_t *end;

	memset(c, 0, sizeof(*c));
	c->region = mmap(NULL, need + PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->region == MAP_FAILED)
		return -1;
	if (mprotect(c->region + need, PAGE, PROT_NONE))
		bug("mprotect", (unsigned long long)errno);
	c->region_len = need;
	end = c->region + need;
	c->base = (uint8_t *)((uintptr_t)(end - len) & ~(uintptr_t)63);
	c->len = len;
	/* lavc may read (never write) a little past a plane: that is fine */
	memset(c->region, 0xa5, need);
	ASAN_POISON_MEMORY_REGION(c->region, (size_t)(c->base - c->region));
	ASAN_POISON_MEMORY_REGION(c->base + len, (size_t)(end - (c->base + len)));
	c->id = id;
	c->map = dd_bufmap_cache_get(cache, id, dup(token_fd), PAGE, 1);
	if (!c->map) {
		ASAN_UNPOISON_MEMORY_REGION(c->region, need);
		munmap(c->region, need + PAGE);
		return -1;
	}
	return 0;
}

static void capture_free(struct capture *c)
{
	dd_bufmap_unref(c->map);
	ASAN_UNPOISON_MEMORY_REGION(c->region, c->region_len);
	munmap(c->region, c->region_len + PAGE);
}

struct state {
	const struct dd_backend *backend;
	struct dd_bufmap_cache *cache;
	struct capture cap[MAX_BUFFERS];
	int ncap;
	void *dec;
};

static struct capture *find_capture(struct state *s, uint64_t id)
{
	for (int i = 0; i < s->ncap; i++)
		if (s->cap[i].id == id)
			return &s->cap[i];
	return NULL;
}

/*
 * One job through the backend, alone: decode(), or submit() and complete()
 * waiting (what context.c does with one thread: a decoder of depth 1).
 */
static int decode_one(const struct dd_backend *b, void *dec,
		      const struct dd_job *job, struct dd_result *res)
{
	int ret;

	if (b->decode)
		return b->decode(dec, job, res);
	ret = b->submit(dec, job);
	if (!ret)
		ret = b->complete(dec, 1, res);
	return ret < 0 ? ret : 0;
}

static void run_job(struct state *s, const struct daedalus_job *msg,
		    const uint8_t *bits)
{
	const struct daedalus_picture_format *f = &msg->picture_format;
	struct dd_result res = { .status = DAEDALUS_STATUS_FAILED };
	struct dd_job job;
	struct capture *c;
	const char *why;
	uint8_t *bs;
	char h1[33], h2[33];
	int ret;

	n_jobs++;
	if (dd_job_check(msg, sizeof(*msg), &why)) {
		n_rejected++;
		return;
	}
	n_skipped++;
	if (msg->picture.length > MAX_PICTURE)
		return;
	/* An id the kernel gave an OUTPUT buffer is never a CAPTURE one. */
	if (find_capture(s, msg->bitstream.id))
		return;
	c = find_capture(s, msg->picture.id);
	if (!c) {
		if (s->ncap == MAX_BUFFERS)
			return;
		if (capture_new(&s->cap[s->ncap], s->cache, msg->picture.id,
				msg->picture.length))
			return;
		c = &s->cap[s->ncap++];
	} else if (msg->picture.length > c->len) {
		return;		/* dd_bufmap_cache_get(): EINVAL */
	}
	n_skipped--;

	if (!s->dec &&
	    s->backend->open(&s->dec, &(struct dd_decoder_config){ .threads = 1 })) {
		s->dec = NULL;
		return;
	}

	bs = malloc(msg->bitstream.bytesused);
	if (!bs)
		return;
	memcpy(bs, bits, msg->bitstream.bytesused);
	memset(&job, 0, sizeof(job));
	job.msg = msg;
	job.bitstream.data = bs;
	job.bitstream.size = msg->bitstream.bytesused;
	job.picture.data = c->base + msg->picture.offset;
	job.picture.size = c->len - msg->picture.offset;
	job.picture.format = f;
	job.picture.buf_id = msg->picture.id;
	job.picture.map = c->map;
	dd_bufmap_ref(c->map);	/* the prepared job's reference (context.c) */

	ret = decode_one(s->backend, s->dec, &job, &res);
	dd_bufmap_unref(c->map);
	free(bs);
	if (ret) {
		/* the decoder is unusable: context.c closes it (answer FAILED) */
		s->backend->close(s->dec);
		s->dec = NULL;
		return;
	}
	if (res.status > DAEDALUS_STATUS_FAILED)
		bug("unknown status", res.status);
	n_status[res.status]++;
	if (res.why)	/* DD_FUZZ_VERBOSE: why seeds are not OK */
		dd_dbg("%s: job %llu: %s", target, (unsigned long long)msg->seq, res.why);
	if (res.bytesused > f->sizeimage)
		bug("bytesused > sizeimage", res.bytesused);
	if (res.status != DAEDALUS_STATUS_FAILED &&
	    dd_picture_md5(job.picture.data, f, msg->coded_width,
			   msg->coded_height, h1, h2))
		bug("picture hash refused a decoded picture", msg->seq);
}

void fz_decode_input(const struct dd_backend *backend, const uint8_t *data,
		     size_t size)
{
	static struct daedalus_job msg;
	struct fz_chunk chunks[FZ_MAX_JOBS];
	struct state s;
	size_t n = fz_split(data, size, fz_job_prefix(backend->codec), chunks,
			    FZ_MAX_JOBS);

	if (!have_lib)
		return;
	memset(&s, 0, sizeof(s));
	s.backend = backend;
	s.cache = dd_bufmap_cache_new();
	if (!s.cache)
		return;
	for (size_t i = 0; i < n; i++) {
		fz_job_from_chunk(&chunks[i], i, backend->codec, &msg);
		run_job(&s, &msg, chunks[i].bitstream);
	}
	if (s.dec)
		backend->close(s.dec);
	/* The decoder dropped its references: ours and the cache's are the last. */
	dd_bufmap_cache_free(s.cache);
	for (int i = 0; i < s.ncap; i++)
		capture_free(&s.cap[i]);
}
