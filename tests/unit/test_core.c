/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The whole daemon loop against a fake kernel: a SOCK_SEQPACKET
 * socketpair keeps record boundaries like the device (the test transport
 * fetches one record per read() and commits one result per write()).
 * The test process plays the kernel: its fds are the "dma-bufs" (same
 * process, so the numbers are valid in the daemon), each sent with the
 * first job that names its buffer, and it checks the answers, their order
 * per context, the pictures, and that the daemon closed every fd it got
 * (at BUF_GONE, or when the core is freed), and the line logged for each
 * context at its close or at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "context.h"
#include "core.h"
#include "dd_test.h"
#include "fixture.h"
#include "log.h"
#include "proto_io.h"

#define W 64
#define H 64
#define SIZEIMAGE (W * H * 3 / 2)
#define JOBS_PER_CTX 6

static ssize_t sock_fetch(int fd, void *buf, size_t size)
{
	ssize_t n = read(fd, buf, size);

	return n < 0 ? -errno : n;
}

static int sock_commit(int fd, const struct daedalus_result *res)
{
	ssize_t n = write(fd, res, sizeof(*res));

	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*res) ? 0 : -EIO;
}

static const struct dd_transport sock_transport = {
	.fetch = sock_fetch,
	.commit = sock_commit,
};

struct runner {
	struct dd_core *core;
	int stop_fd;
	int ret;
};

static void *run_core(void *arg)
{
	struct runner *r = arg;

	r->ret = dd_core_run(r->core, r->stop_fd);
	return NULL;
}

struct picbuf {
	uint64_t id;
	int fd;		/* the test's own; the daemon gets a dup, once */
	int sent;
	uint8_t *map;
};

static void picbuf_init(struct picbuf *p, uint64_t id)
{
	p->id = id;
	p->sent = 0;
	p->fd = fx_memfd(SIZEIMAGE, 0);
	p->map = mmap(NULL, SIZEIMAGE, PROT_READ, MAP_SHARED, p->fd, 0);
	CHECK(p->map != MAP_FAILED);
}

static void picbuf_fini(struct picbuf *p)
{
	munmap(p->map, SIZEIMAGE);
	close(p->fd);
}

/* Sends a job, returns its seq (device-wide, increasing). */
static uint64_t send_job(int sock, enum daedalus_codec codec, uint64_t ctx,
			 uint32_t flags, struct picbuf *pic,
			 unsigned int num_refs, int fds[2])
{
	static uint64_t seq;
	struct daedalus_job *job = malloc(sizeof(*job));

	seq++;

	fx_job_init(job, codec, seq, ctx, W, H);
	job->flags = flags;
	job->num_refs = num_refs;
	job->bitstream.fd = fx_memfd(FX_BITSTREAM_LENGTH, 0x47);
	job->picture.id = pic->id;
	job->picture.fd = pic->sent ? -1 : dup(pic->fd);
	pic->sent = 1;
	if (fds) {
		fds[0] = job->bitstream.fd;
		fds[1] = job->picture.fd;
	}
	CHECK_EQ(write(sock, job, sizeof(*job)), sizeof(*job));
	free(job);
	return seq;
}

static void send_raw(int sock, const void *rec, size_t len)
{
	CHECK_EQ(write(sock, rec, len), len);
}

static int read_result(int sock, struct daedalus_result *res)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	uint8_t buf[256];
	ssize_t n;

	if (poll(&pfd, 1, 10000) != 1)
		return -ETIMEDOUT;
	n = read(sock, buf, sizeof(buf));
	if (n != (ssize_t)sizeof(*res))
		return n < 0 ? -errno : -EIO;
	memcpy(res, buf, sizeof(*res));
	return 0;
}

/* Occurrences of @what in @text. */
static int count(const char *text, const char *what)
{
	int n = 0;

	for (; (text = strstr(text, what)); text++)
		n++;
	return n;
}

/* Two contexts, interleaved, through 2 workers; malformed records mixed in. */
static void test_two_contexts(void)
{
	const uint64_t A = 11, B = 22;
	struct dd_core_config cfg = { .threads = 2, .forced_backend = &dd_backend_pattern,
				      .transport = &sock_transport };
	struct runner r = { .stop_fd = -1 };
	struct picbuf pa[2], pb[2];
	uint64_t last_seq[2] = { 0, 0 };
	unsigned int answered[2] = { 0, 0 }, failed = 0;
	struct dd_core_stats stats;
	pthread_t thread;
	int base, sv[2], expected = 0;
	uint64_t bad_seq = 0, first_seq = 0;
	struct fx_capture cap;
	char *log;

	base = fx_count_fds();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	for (int i = 0; i < 2; i++) {
		picbuf_init(&pa[i], 101 + i);
		picbuf_init(&pb[i], 201 + i);
	}
	dd_log_set_level(DD_LOG_NOTICE);
	fx_capture_begin(&cap);
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	for (uint64_t i = 0; i < JOBS_PER_CTX; i++) {
		/* A: H.264, then VP8 from job 4 on (codec change: new decoder). */
		uint64_t seq = send_job(sv[1], i < 4 ? DAEDALUS_CODEC_H264 :
					DAEDALUS_CODEC_VP8, A, 0, &pa[i % 2], 2, NULL);

		if (!first_seq)
			first_seq = seq;
		/* B: VP9, NEW_STREAM at job 3 (decoder reset). */
		send_job(sv[1], DAEDALUS_CODEC_VP9, B,
			 i == 3 ? DAEDALUS_JOB_NEW_STREAM : 0, &pb[i % 2], 0, NULL);
		expected += 2;
		if (i == 2) {
			uint8_t junk[8] = { 0 };
			struct daedalus_buf_gone bad;
			struct daedalus_job *job = malloc(sizeof(*job));

			/* Malformed: answered FAILED in A's order, not decoded. */
			bad_seq = send_job(sv[1], DAEDALUS_CODEC_H264, A, 0, &pa[0],
					   DAEDALUS_MAX_REFS + 1, NULL);
			expected++;
			/* Ignored: a short record, an unknown type, a bad magic. */
			send_raw(sv[1], junk, sizeof(junk));
			memset(&bad, 0, sizeof(bad));
			dd_hdr_init(&bad.hdr, 9, sizeof(bad));
			send_raw(sv[1], &bad, sizeof(bad));
			fx_job_init(job, DAEDALUS_CODEC_H264, 9999, A, W, H);
			job->hdr.magic = 0;
			job->bitstream.fd = -1;
			job->picture.fd = -1;
			send_raw(sv[1], job, sizeof(*job));
			free(job);
		}
	}
	/* Bitstream buffers freed by the "kernel", a context closed. */
	for (uint64_t i = 0; i < 2 * JOBS_PER_CTX; i++) {
		struct daedalus_buf_gone bg;

		memset(&bg, 0, sizeof(bg));
		dd_hdr_init(&bg.hdr, DAEDALUS_MSG_BUF_GONE, sizeof(bg));
		bg.buf_id = 1000 + first_seq + i;
		send_raw(sv[1], &bg, sizeof(bg));
	}

	for (int n = 0; n < expected; n++) {
		struct daedalus_result res;
		const char *why = NULL;
		int which;

		if (read_result(sv[1], &res)) {
			CHECK(!"result missing");
			break;
		}
		CHECK_EQ(dd_result_check(&res, SIZEIMAGE, &why), 0);
		CHECK(res.ctx_id == A || res.ctx_id == B);
		which = res.ctx_id == B;
		/* In submission order within a context. */
		CHECK(res.seq > last_seq[which]);
		last_seq[which] = res.seq;
		answered[which]++;
		if (res.seq == bad_seq) {
			CHECK_EQ(res.status, DAEDALUS_STATUS_FAILED);
			CHECK_EQ(res.bytesused, 0);
			failed++;
		} else {
			CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
			CHECK_EQ(res.bytesused, SIZEIMAGE);
		}
	}
	CHECK_EQ(answered[0], JOBS_PER_CTX + 1);
	CHECK_EQ(answered[1], JOBS_PER_CTX);
	CHECK_EQ(failed, 1);

	/* A: H.264 frames 0-3, then VP8 frames 0, 1: the reset is visible. */
	CHECK_EQ(pa[0].map[0], 0);		/* job 4: VP8 frame 0 */
	CHECK_EQ(pa[1].map[0], 4);		/* job 5: VP8 frame 1 */
	CHECK_EQ(pa[1].map[W * H], 128);
	/* B: frames 0-2, NEW_STREAM, 0-2. */
	CHECK_EQ(pb[0].map[0], 4);		/* job 4 */
	CHECK_EQ(pb[1].map[0], 8);		/* job 5 */
	CHECK_EQ(pb[1].map[W + 1], 10);

	/* A goes away; a short record while at it; then end of input. */
	{
		struct daedalus_ctx_gone cg;

		memset(&cg, 0, sizeof(cg));
		dd_hdr_init(&cg.hdr, DAEDALUS_MSG_CTX_GONE, sizeof(cg));
		cg.ctx_id = A;
		send_raw(sv[1], &cg, sizeof(cg));
		cg.ctx_id = 999;	/* never seen: ignored */
		send_raw(sv[1], &cg, sizeof(cg));
	}
	shutdown(sv[1], SHUT_WR);
	pthread_join(thread, NULL);
	log = fx_capture_end(&cap);
	fputs(log, stderr);
	CHECK_EQ(r.ret, 0);
	/* A closed by the kernel, B still open at the end; one line each. */
	CHECK(strstr(log, "notice: context 11 closed: vp8 64x64, 7 jobs, 6 frames in "));
	CHECK(strstr(log, " fps), 1 failed, 0 corrupt, 0 picture bytes copied (0 per job), cache syncs "));
	CHECK(strstr(log, "notice: context 22 still open at exit: vp9 64x64, 6 jobs, 6 frames in "));
	CHECK(strstr(log, " fps), 0 failed, 0 corrupt, 0 picture bytes copied (0 per job), cache syncs "));
	CHECK_EQ(count(log, " us from start to answer\n"), 2);
	CHECK_EQ(count(log, "notice: context "), 2);
	free(log);

	dd_core_get_stats(r.core, &stats);
	CHECK_EQ(stats.jobs, expected);
	CHECK_EQ(stats.rejected, 1);
	CHECK_EQ(stats.failed, 1);
	CHECK_EQ(stats.malformed, 3);
	CHECK_EQ(stats.contexts, 2);
	CHECK_EQ(stats.refused, 0);
	CHECK_EQ(stats.records, expected + 3 + 2 * JOBS_PER_CTX + 2);
	dd_core_free(r.core);

	close(sv[0]);
	close(sv[1]);
	for (int i = 0; i < 2; i++) {
		picbuf_fini(&pa[i]);
		picbuf_fini(&pb[i]);
	}
	/* Every fd the daemon received was closed. */
	CHECK_EQ(fx_count_fds(), base);
}

/*
 * A stop request with jobs still queued: run returns, the jobs it read
 * had their fds closed (answered or dropped), the others were never
 * received.  No fd is opened meanwhile, so a closed number stays closed.
 */
static void test_stop(void)
{
	struct dd_core_config cfg = { .threads = 1, .forced_backend = &dd_backend_pattern,
				      .transport = &sock_transport };
	struct dd_core_stats stats;
	struct runner r = { 0 };
	struct picbuf pic;
	struct daedalus_result res;
	pthread_t thread;
	int base, sv[2], stop[2], fds[20][2], open_fds = 0, answered = 0;

	base = fx_count_fds();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(pipe(stop), 0);
	picbuf_init(&pic, 7);
	r.stop_fd = stop[0];
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);
	for (int i = 0; i < 20; i++)
		send_job(sv[1], DAEDALUS_CODEC_H264, 5, 0, &pic, 0, fds[i]);
	CHECK_EQ(read_result(sv[1], &res), 0);
	answered++;
	CHECK_EQ(write(stop[1], "x", 1), 1);
	pthread_join(thread, NULL);
	CHECK_EQ(r.ret, 0);
	dd_core_get_stats(r.core, &stats);
	dd_core_free(r.core);
	/* (A unix seqpacket socket reads nothing once its peer is closed.) */
	while (answered < (int)stats.jobs && !read_result(sv[1], &res))
		answered++;
	CHECK_EQ(answered, stats.jobs);
	close(sv[0]);	/* like the daemon closing the device */
	CHECK(stats.records >= 1 && stats.records <= 20);
	for (int i = 0; i < 20; i++)
		for (int j = 0; j < 2; j++)
			if (fcntl(fds[i][j], F_GETFD) != -1) {
				open_fds++;
				close(fds[i][j]);
			}
	/* Exactly the fds of the records never read were still open. */
	CHECK_EQ(open_fds, 20 - stats.records);
	close(sv[1]);
	close(stop[0]);
	close(stop[1]);
	picbuf_fini(&pic);
	CHECK_EQ(fx_count_fds(), base);
}

/*
 * A buffer's fd comes once: a job refused for its content still hands it
 * over, a later job naming the id without an fd uses it, a job naming an
 * id that never came with an fd fails, and BUF_GONE closes the fd.
 */
static void test_fd_once(void)
{
	struct dd_core_config cfg = { .threads = 1, .forced_backend = &dd_backend_pattern,
				      .transport = &sock_transport };
	struct runner r = { .stop_fd = -1 };
	struct daedalus_buf_gone bg;
	struct daedalus_result res;
	struct picbuf pic, never;
	pthread_t thread;
	uint64_t seq;
	int base, sv[2], fds[2];

	base = fx_count_fds();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	picbuf_init(&pic, 301);
	picbuf_init(&never, 302);
	never.sent = 1;		/* its fd is never sent */
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	/* Refused (too many references), but the picture's fd is kept. */
	seq = send_job(sv[1], DAEDALUS_CODEC_H264, 7, 0, &pic,
		       DAEDALUS_MAX_REFS + 1, fds);
	CHECK_EQ(read_result(sv[1], &res), 0);
	CHECK_EQ(res.seq, seq);
	CHECK_EQ(res.status, DAEDALUS_STATUS_FAILED);
	CHECK(fcntl(fds[1], F_GETFD) != -1);

	/* Named by id only: decoded into the kept buffer. */
	seq = send_job(sv[1], DAEDALUS_CODEC_H264, 7, 0, &pic, 0, NULL);
	CHECK_EQ(read_result(sv[1], &res), 0);
	CHECK_EQ(res.seq, seq);
	CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
	CHECK_EQ(pic.map[W * H], 128);

	/* An id that never came with an fd: nothing to decode into. */
	seq = send_job(sv[1], DAEDALUS_CODEC_H264, 7, 0, &never, 0, NULL);
	CHECK_EQ(read_result(sv[1], &res), 0);
	CHECK_EQ(res.seq, seq);
	CHECK_EQ(res.status, DAEDALUS_STATUS_FAILED);

	/* BUF_GONE closes the kept fd, before the core is freed. */
	memset(&bg, 0, sizeof(bg));
	dd_hdr_init(&bg.hdr, DAEDALUS_MSG_BUF_GONE, sizeof(bg));
	bg.buf_id = pic.id;
	send_raw(sv[1], &bg, sizeof(bg));
	shutdown(sv[1], SHUT_WR);
	pthread_join(thread, NULL);
	CHECK_EQ(r.ret, 0);
	CHECK(fcntl(fds[1], F_GETFD) == -1);	/* nothing opened since */
	dd_core_free(r.core);
	close(sv[0]);
	close(sv[1]);
	picbuf_fini(&pic);
	picbuf_fini(&never);
	CHECK_EQ(fx_count_fds(), base);
}

/*
 * A frame-threaded decoder (backend.h's submit/complete): holds up to
 * FAKE_DEPTH jobs, finishes the oldest only when waited for, taking
 * FAKE_MS as a decode would, and writes its seq into the whole picture.
 */
#define FAKE_DEPTH	3
#define FAKE_MS		20

struct fake_dec {
	const struct dd_job *job[FAKE_DEPTH];
	unsigned int first, n;
};

static atomic_int fake_open;
static atomic_uint fake_most;

static int fake_open_dec(void **decoder, const struct dd_decoder_config *cfg)
{
	(void)cfg;
	*decoder = calloc(1, sizeof(struct fake_dec));
	if (!*decoder)
		return -ENOMEM;
	atomic_fetch_add(&fake_open, 1);
	return 0;
}

static int fake_submit(void *decoder, const struct dd_job *job)
{
	struct fake_dec *d = decoder;
	unsigned int most = atomic_load(&fake_most);

	if (d->n == FAKE_DEPTH)
		return -EIO;	/* the core gave more than depth() */
	d->job[(d->first + d->n++) % FAKE_DEPTH] = job;
	while (d->n > most && !atomic_compare_exchange_weak(&fake_most, &most, d->n))
		;
	return 0;
}

static int fake_complete(void *decoder, int wait, struct dd_result *result)
{
	struct fake_dec *d = decoder;
	const struct dd_job *job;

	if (!d->n)
		return -EIO;
	if (!wait)
		return 0;
	usleep(FAKE_MS * 1000);
	job = d->job[d->first];
	d->first = (d->first + 1) % FAKE_DEPTH;
	d->n--;
	/* The mapping of a held job must still be there. */
	memset(job->picture.data, (int)(job->msg->seq & 0xff),
	       job->picture.format->sizeimage);
	result->status = DAEDALUS_STATUS_OK;
	result->bytesused = job->picture.format->sizeimage;
	result->restart = 1;
	return 1;
}

static unsigned int fake_depth(void *decoder)
{
	(void)decoder;
	return FAKE_DEPTH;
}

static void fake_close(void *decoder)
{
	free(decoder);
	atomic_fetch_sub(&fake_open, 1);
}

static const struct dd_backend fake_frames = {
	.name = "fake-frames",
	.codec = DAEDALUS_CODEC_NONE,
	.open = fake_open_dec,
	.submit = fake_submit,
	.complete = fake_complete,
	.depth = fake_depth,
	.close = fake_close,
};

/*
 * Jobs held by a frame-threaded decoder: several at once (never more than
 * it takes), answered in order, each picture written while held; a
 * context closed (CTX_GONE) and the daemon stopped with jobs held answer or
 * drop them, close the decoder and every fd.
 */
static void test_held(void)
{
	struct dd_core_config cfg = { .threads = 2, .forced_backend = &fake_frames,
				      .transport = &sock_transport };
	struct daedalus_ctx_gone cg;
	struct daedalus_result res;
	struct runner r = { 0 };
	struct picbuf pic[12];
	uint64_t seq[6];
	pthread_t thread;
	int base, sv[2], stop[2], i;

	base = fx_count_fds();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(pipe(stop), 0);
	for (i = 0; i < 12; i++)
		picbuf_init(&pic[i], 400 + (uint64_t)i);
	r.stop_fd = stop[0];
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	for (i = 0; i < 6; i++)
		seq[i] = send_job(sv[1], DAEDALUS_CODEC_AV1, 31, 0, &pic[i], 0, NULL);
	for (i = 0; i < 6; i++) {
		CHECK_EQ(read_result(sv[1], &res), 0);
		CHECK_EQ(res.seq, seq[i]);
		CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
		CHECK_EQ(pic[i].map[0], seq[i] & 0xff);
		CHECK_EQ(pic[i].map[SIZEIMAGE - 1], seq[i] & 0xff);
	}
	CHECK(atomic_load(&fake_most) >= 2);
	CHECK(atomic_load(&fake_most) <= FAKE_DEPTH);

	/* The context goes while its decoder holds jobs: each answered once. */
	for (i = 6; i < 9; i++)
		send_job(sv[1], DAEDALUS_CODEC_AV1, 32, 0, &pic[i], 0, NULL);
	memset(&cg, 0, sizeof(cg));
	dd_hdr_init(&cg.hdr, DAEDALUS_MSG_CTX_GONE, sizeof(cg));
	cg.ctx_id = 32;
	send_raw(sv[1], &cg, sizeof(cg));
	for (i = 6; i < 9; i++) {
		CHECK_EQ(read_result(sv[1], &res), 0);
		CHECK(res.status == DAEDALUS_STATUS_OK || res.status == DAEDALUS_STATUS_FAILED);
	}

	/* Stopped with jobs held: the decoder closed, nothing left open. */
	for (i = 9; i < 12; i++)
		send_job(sv[1], DAEDALUS_CODEC_AV1, 33, 0, &pic[i], 0, NULL);
	CHECK_EQ(read_result(sv[1], &res), 0);
	CHECK_EQ(write(stop[1], "x", 1), 1);
	pthread_join(thread, NULL);
	CHECK_EQ(r.ret, 0);
	dd_core_free(r.core);
	CHECK_EQ(atomic_load(&fake_open), 0);
	close(sv[0]);
	close(sv[1]);
	close(stop[0]);
	close(stop[1]);
	for (i = 0; i < 12; i++)
		picbuf_fini(&pic[i]);
	CHECK_EQ(fx_count_fds(), base);
}

/*
 * A decoder like libavcodec's VP9 with 2 frame threads: a job is done once
 * a later one was submitted; one answered with nothing after it (wait 1,
 * one held) had to be pushed out, which costs its whole decode.
 */
static atomic_uint pushed_out;

static int pipe_complete(void *decoder, int wait, struct dd_result *result)
{
	struct fake_dec *d = decoder;
	const struct dd_job *job;

	if (!d->n)
		return -EIO;
	if (d->n < 2 && !wait)
		return 0;
	if (d->n < 2) {
		atomic_fetch_add(&pushed_out, 1);
		usleep(2 * FAKE_MS * 1000);	/* the rest of its decode */
	}
	job = d->job[d->first];
	d->first = (d->first + 1) % FAKE_DEPTH;
	d->n--;
	memset(job->picture.data, 0, job->picture.format->sizeimage);
	result->status = DAEDALUS_STATUS_OK;
	result->bytesused = job->picture.format->sizeimage;
	result->restart = 1;
	return 1;
}

static unsigned int pipe_depth(void *decoder)
{
	(void)decoder;
	return 2;
}

static const struct dd_backend fake_pipe = {
	.name = "fake-pipe",
	.codec = DAEDALUS_CODEC_NONE,
	.open = fake_open_dec,
	.submit = fake_submit,
	.complete = pipe_complete,
	.depth = pipe_depth,
	.close = fake_close,
};

/*
 * A client that keeps two jobs in flight and takes PIPE_GAP_MS from an
 * answer to its next job (GStreamer under emulation): the daemon waits
 * for that job rather than push the held one out, once it has seen the
 * client send ahead and learnt its gap, even a gap longer than a client
 * that waits for every answer would be made to wait.
 */
#define PIPE_JOBS	16
#define PIPE_GAP_MS	25

static void test_linger_ahead(void)
{
	struct dd_core_config cfg = { .threads = 2, .forced_backend = &fake_pipe,
				      .transport = &sock_transport };
	struct daedalus_result res;
	struct runner r = { 0 };
	struct picbuf pic[PIPE_JOBS];
	uint64_t seq[PIPE_JOBS];
	pthread_t thread;
	int sv[2], stop[2], i;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(pipe(stop), 0);
	for (i = 0; i < PIPE_JOBS; i++)
		picbuf_init(&pic[i], 500 + (uint64_t)i);
	r.stop_fd = stop[0];
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	seq[0] = send_job(sv[1], DAEDALUS_CODEC_AV1, 41, 0, &pic[0], 0, NULL);
	seq[1] = send_job(sv[1], DAEDALUS_CODEC_AV1, 41, 0, &pic[1], 0, NULL);
	for (i = 0; i < PIPE_JOBS; i++) {
		CHECK_EQ(read_result(sv[1], &res), 0);
		CHECK_EQ(res.seq, seq[i]);
		CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
		if (i + 2 < PIPE_JOBS) {
			usleep(PIPE_GAP_MS * 1000);
			seq[i + 2] = send_job(sv[1], DAEDALUS_CODEC_AV1, 41, 0,
					      &pic[i + 2], 0, NULL);
		}
	}
	/*
	 * The gap is learnt over a few jobs (and the last one has nothing
	 * after it); with the 10 ms wait of a client that waits for every
	 * answer, each of the 16 is pushed out.
	 */
	fprintf(stderr, "test_linger_ahead: %u of %d jobs pushed out\n",
		atomic_load(&pushed_out), PIPE_JOBS);
	CHECK(atomic_load(&pushed_out) <= PIPE_JOBS / 2);

	CHECK_EQ(write(stop[1], "x", 1), 1);
	pthread_join(thread, NULL);
	CHECK_EQ(r.ret, 0);
	dd_core_free(r.core);
	close(sv[0]);
	close(sv[1]);
	close(stop[0]);
	close(stop[1]);
	for (i = 0; i < PIPE_JOBS; i++)
		picbuf_fini(&pic[i]);
}

/*
 * Frames decoding on threads of their own (like libavcodec's VP9 frame
 * threads): BG_MS after its submit a job is done; the decoder holds as
 * many as its threads.  Counts, per context (61, 62), the jobs in decode,
 * and the jobs of 61 that started while 62 had one in decode.
 */
#define BG_MS		30

struct bg_dec {
	struct fake_dec q;
	unsigned int threads;
	uint64_t t0[FAKE_DEPTH];
};

static atomic_uint bg_in_decode[2], bg_beside;

static int bg_open(void **decoder, const struct dd_decoder_config *cfg)
{
	struct bg_dec *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->threads = cfg->threads < FAKE_DEPTH ? cfg->threads : FAKE_DEPTH;
	*decoder = d;
	atomic_fetch_add(&fake_open, 1);
	return 0;
}

static int bg_submit(void *decoder, const struct dd_job *job)
{
	struct bg_dec *d = decoder;
	unsigned int me = job->msg->ctx_id == 62;

	if (d->q.n == d->threads)
		return -EIO;
	if (!me && atomic_load(&bg_in_decode[1]))
		atomic_fetch_add(&bg_beside, 1);
	atomic_fetch_add(&bg_in_decode[me], 1);
	d->t0[(d->q.first + d->q.n) % FAKE_DEPTH] = dd_now_ns();
	d->q.job[(d->q.first + d->q.n++) % FAKE_DEPTH] = job;
	return 0;
}

static int bg_complete(void *decoder, int wait, struct dd_result *result)
{
	struct bg_dec *d = decoder;
	uint64_t done = d->t0[d->q.first] + BG_MS * 1000000u, now = dd_now_ns();
	const struct dd_job *job = d->q.job[d->q.first];

	if (!d->q.n)
		return -EIO;
	if (now < done && !wait)
		return 0;
	if (now < done)
		usleep((useconds_t)((done - now) / 1000));
	d->q.first = (d->q.first + 1) % FAKE_DEPTH;
	d->q.n--;
	atomic_fetch_sub(&bg_in_decode[job->msg->ctx_id == 62], 1);
	memset(job->picture.data, 0, job->picture.format->sizeimage);
	result->status = DAEDALUS_STATUS_OK;
	result->bytesused = job->picture.format->sizeimage;
	result->restart = 1;
	return 1;
}

static unsigned int bg_depth(void *decoder)
{
	return ((struct bg_dec *)decoder)->threads;
}

static const struct dd_backend fake_bg = {
	.name = "fake-bg",
	.codec = DAEDALUS_CODEC_NONE,
	.open = bg_open,
	.submit = bg_submit,
	.complete = bg_complete,
	.depth = bg_depth,
	.close = fake_close,
};

/*
 * Two streams on 2 cores, the first one's decoder opened alone (2 frame
 * threads, 2 jobs held), the second's with 1: the first's jobs start
 * beside the second's decode, each with the token of one thread, instead
 * of waiting for both cores while the second decodes.
 */
static void test_two_frame_threaded(void)
{
	struct dd_core_config cfg = { .threads = 2, .forced_backend = &fake_bg,
				      .transport = &sock_transport };
	struct daedalus_result res;
	struct runner r = { 0 };
	struct picbuf pic[17];
	pthread_t thread;
	int sv[2], stop[2], i;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(pipe(stop), 0);
	for (i = 0; i < 17; i++)
		picbuf_init(&pic[i], 600 + (uint64_t)i);
	r.stop_fd = stop[0];
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	send_job(sv[1], DAEDALUS_CODEC_AV1, 61, 0, &pic[0], 0, NULL);
	CHECK_EQ(read_result(sv[1], &res), 0);
	for (i = 1; i < 17; i++)
		send_job(sv[1], DAEDALUS_CODEC_AV1, 61 + (i & 1), 0, &pic[i], 0, NULL);
	for (i = 1; i < 17; i++) {
		CHECK_EQ(read_result(sv[1], &res), 0);
		CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
	}
	fprintf(stderr, "test_two_frame_threaded: %u of 8 jobs of the first stream began beside the second's\n",
		atomic_load(&bg_beside));
	CHECK(atomic_load(&bg_beside) >= 2);

	CHECK_EQ(write(stop[1], "x", 1), 1);
	pthread_join(thread, NULL);
	dd_core_free(r.core);
	close(sv[0]);
	close(sv[1]);
	close(stop[0]);
	close(stop[1]);
	for (i = 0; i < 17; i++)
		picbuf_fini(&pic[i]);
}

static atomic_uint slice_busy, slice_most;

static int slice_decode(void *decoder, const struct dd_job *job,
			struct dd_result *result)
{
	unsigned int now = atomic_fetch_add(&slice_busy, 1) + 1;
	unsigned int most = atomic_load(&slice_most);

	(void)decoder;
	while (now > most && !atomic_compare_exchange_weak(&slice_most, &most, now))
		;
	usleep(FAKE_MS * 1000);
	atomic_fetch_sub(&slice_busy, 1);
	memset(job->picture.data, 0, job->picture.format->sizeimage);
	result->status = DAEDALUS_STATUS_OK;
	result->bytesused = job->picture.format->sizeimage;
	result->restart = 1;
	return 0;
}

/* Every job one slice: one of the decoder's threads busy. */
static unsigned int slice_parallelism(void *decoder, const struct dd_job *job)
{
	(void)decoder;
	(void)job;
	return 1;
}

static const struct dd_backend fake_slices = {
	.name = "fake-slices",
	.codec = DAEDALUS_CODEC_NONE,
	.open = fake_open_dec,
	.decode = slice_decode,
	.parallelism = slice_parallelism,
	.close = fake_close,
};

/*
 * Two streams on 2 cores: the first decoder opened has both cores'
 * threads, but its one-slice jobs keep only one busy, so they take one
 * token and the second stream's decodes run beside them.
 */
static void test_parallelism(void)
{
	struct dd_core_config cfg = { .threads = 2, .forced_backend = &fake_slices,
				      .transport = &sock_transport };
	struct daedalus_result res;
	struct runner r = { 0 };
	struct picbuf pic[13];
	pthread_t thread;
	int sv[2], stop[2], i;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(pipe(stop), 0);
	for (i = 0; i < 13; i++)
		picbuf_init(&pic[i], 500 + (uint64_t)i);
	r.stop_fd = stop[0];
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	/* Context 41's decoder opens alone: 2 threads. */
	send_job(sv[1], DAEDALUS_CODEC_H264, 41, 0, &pic[0], 0, NULL);
	CHECK_EQ(read_result(sv[1], &res), 0);
	for (i = 1; i < 13; i++)
		send_job(sv[1], DAEDALUS_CODEC_H264, 41 + (i & 1), 0, &pic[i], 0, NULL);
	for (i = 1; i < 13; i++) {
		CHECK_EQ(read_result(sv[1], &res), 0);
		CHECK_EQ(res.status, DAEDALUS_STATUS_OK);
	}
	CHECK_EQ(atomic_load(&slice_most), 2);

	CHECK_EQ(write(stop[1], "x", 1), 1);
	pthread_join(thread, NULL);
	dd_core_free(r.core);
	close(sv[0]);
	close(sv[1]);
	close(stop[0]);
	close(stop[1]);
	for (i = 0; i < 13; i++)
		picbuf_fini(&pic[i]);
}

/* A read error ends the loop with that error. */
static void test_read_error(void)
{
	struct dd_core_config cfg = { .threads = 1 };
	struct dd_core *core;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	close(p[1]);
	/* Reading the write end of a pipe fails with EBADF. */
	CHECK_EQ(dd_core_new(&cfg, p[0], &core), 0);
	dd_core_free(core);
	CHECK_EQ(dd_core_new(&cfg, -1, &core), -EINVAL);
	cfg.threads = 0;
	CHECK_EQ(dd_core_new(&cfg, p[0], &core), -EINVAL);
	close(p[0]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_two_contexts();
	test_stop();
	test_fd_once();
	test_held();
	test_linger_ahead();
	test_two_frame_threaded();
	test_parallelism();
	test_read_error();
	return dd_test_result("test_core");
}
