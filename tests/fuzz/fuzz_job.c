/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_job: any bytes as one record from the kernel (what one read()
 * returns; a `.job` file of `daedalusd --record` is a valid input).
 *
 * The record goes through what the daemon's reader does with it:
 * dd_record_parse(), then for a job dd_job_check().  A job that passes
 * must be safe for a backend's geometry code: the pattern backend writes
 * the whole picture into a buffer of exactly sizeimage bytes (the least a
 * checked job can have; ASan catches any access outside it), and the
 * picture hash of daedalus-replay reads the coded area back.  The answer
 * built for it must pass dd_result_check() (what the kernel accepts).
 * Then the job goes the worker's way (context.c: dd_job_prepare() maps
 * memfds standing in for the dma-bufs, dd_context_run() with the pattern
 * backend), which must accept it and answer validly too.
 *
 * An odd first byte (a real record starts with 0x44, the magic) forces a
 * valid header of a full-length job record, so the fuzzer reaches the
 * field checks without first having to find the header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "context.h"
#include "job_check.h"
#include "log.h"
#include "picture_hash.h"
#include "proto_io.h"

/* Larger pictures are valid but too slow to fill on every input. */
#define MAX_PICTURE	(2u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dd_log_set_level(getenv("DD_FUZZ_VERBOSE") ? DD_LOG_TRACE : DD_LOG_ERROR);
	return 0;
}

static void bug(const char *what)
{
	fprintf(stderr, "fuzz_job: %s\n", what);
	abort();
}

static void run_pattern(const struct daedalus_job *msg)
{
	const struct daedalus_picture_format *f = &msg->picture_format;
	struct dd_job job = { .msg = msg };
	struct dd_result res = { .status = DAEDALUS_STATUS_FAILED };
	struct daedalus_result answer;
	char cap[33], i420[33];
	const char *why;
	uint8_t *pic;
	void *dec;

	if (f->sizeimage > MAX_PICTURE)
		return;
	pic = malloc(f->sizeimage);
	if (!pic)
		return;
	job.picture.data = pic;
	job.picture.size = f->sizeimage;
	job.picture.format = f;
	job.picture.buf_id = msg->picture.id;
	if (!dd_backend_pattern.open(&dec, &(struct dd_decoder_config){ .threads = 1 })) {
		if (dd_backend_pattern.decode(dec, &job, &res))
			bug("pattern backend refused a checked job");
		dd_backend_pattern.close(dec);
		if (dd_picture_md5(pic, f, msg->coded_width, msg->coded_height,
				   cap, i420))
			bug("picture hash refused the coded area of a checked job");
	}
	free(pic);

	dd_result_init(&answer, msg->seq, msg->ctx_id, res.status, res.bytesused);
	if (dd_result_check(&answer, f->sizeimage, &why))
		bug(why);
}

/* A memfd of @length bytes, or -1 (too large to be worth it). */
static int make_fd(uint32_t length)
{
	int fd;

	if (!length || length > MAX_PICTURE + (1u << 20))
		return -1;
	fd = memfd_create("fuzz_job", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, length)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The same record the way the daemon's worker takes it (context.c, as
 * daedalus-replay runs it): dd_job_prepare() maps fresh memfds for the
 * fds, dd_context_run() decodes with the pattern backend and builds the
 * answer, which must pass dd_result_check().
 */
static void run_context(const struct daedalus_job *checked)
{
	static struct daedalus_job msg;
	struct dd_prepared_job job = { .msg = &msg };
	struct dd_bufmap_cache *cache;
	struct daedalus_result res;
	struct dd_context ctx;
	const char *why;

	msg = *checked;
	msg.bitstream.fd = make_fd(msg.bitstream.length);
	msg.picture.fd = make_fd(msg.picture.length);
	if (msg.bitstream.fd < 0 || msg.picture.fd < 0) {
		if (msg.bitstream.fd >= 0)
			close(msg.bitstream.fd);
		if (msg.picture.fd >= 0)
			close(msg.picture.fd);
		return;
	}
	cache = dd_bufmap_cache_new();
	if (!cache)
		abort();
	dd_job_prepare(cache, &job, sizeof(msg));
	dd_context_init(&ctx, msg.ctx_id, &dd_backend_pattern, NULL);
	dd_context_run(&ctx, &job, NULL, &res);
	if (job.reject)
		bug("a checked job was rejected when prepared");
	if (dd_result_check(&res, msg.picture_format.sizeimage, &why))
		bug(why);
	dd_job_release(&job);
	dd_context_close_decoder(&ctx);
	dd_bufmap_cache_free(cache);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct daedalus_job job;
		struct daedalus_buf_gone buf_gone;
		struct daedalus_ctx_gone ctx_gone;
		uint8_t raw[DAEDALUS_READ_SIZE];
	} buf;
	size_t len = size < sizeof(buf) ? size : sizeof(buf);
	struct dd_record rec;
	const char *why = NULL;

	memset(&buf, 0, sizeof(buf));
	memcpy(&buf, data, len);
	if (size && (data[0] & 1)) {
		dd_hdr_init(&buf.job.hdr, DAEDALUS_MSG_JOB, sizeof(buf.job));
		len = sizeof(buf.job);
	}
	/* read() never returns more than DAEDALUS_READ_SIZE: a longer input is one. */
	if (dd_record_parse(&buf, len, &rec)) {
		if (!rec.why)
			bug("invalid record without a reason");
		return 0;
	}
	switch (rec.kind) {
	case DD_RECORD_JOB:
		if (rec.job != &buf.job)
			bug("job record not in the read buffer");
		if (dd_job_check(rec.job, len, &why) == 0) {
			run_pattern(rec.job);
			run_context(rec.job);
		}
		else if (!why)
			bug("rejected job without a reason");
		break;
	case DD_RECORD_BUF_GONE:
	case DD_RECORD_CTX_GONE:
		break;
	default:
		bug("parse succeeded without a record kind");
	}
	return 0;
}
