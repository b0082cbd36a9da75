/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateful context through the whole daemon loop (core.c) against a
 * fake kernel on a SOCK_SEQPACKET socketpair, as test_core.c does for
 * jobs: the chunk's and lends' fds are sent once (memfds standing in for
 * dma-bufs), the answers come back one per message.  Checks that the
 * core maps chunks and lends, hands records to the context in order and
 * commits its answers (pictures written into the lent memory), answers a
 * chunk outside its buffer FAILED, drops a stateless job for a stateful
 * context, logs the context's close at CTX_GONE, and closes every fd it
 * got at BUF_GONE.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "core.h"
#include "dd_test.h"
#include "fixture.h"
#include "log.h"
#include "proto_io.h"
#include "sf_fake.h"

#define CTX 5
#define LEND_SIZE 4096

static ssize_t sock_fetch(int fd, void *buf, size_t size)
{
	ssize_t n = read(fd, buf, size);

	return n < 0 ? -errno : n;
}

static int sock_commit(int fd, const struct daedalus_result *res)
{
	return write(fd, res, sizeof(*res)) == (ssize_t)sizeof(*res) ? 0 : -EIO;
}

static int sock_sf_commit(int fd, const struct daedalus_sf_answer *a,
			  unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (write(fd, &a[i], sizeof(a[i])) != (ssize_t)sizeof(a[i]))
			return -EIO;
	return 0;
}

static const struct dd_transport transport = {
	.fetch = sock_fetch,
	.commit = sock_commit,
	.sf_commit = sock_sf_commit,
};

struct runner {
	struct dd_core *core;
	int ret;
};

static void *run_core(void *arg)
{
	struct runner *r = arg;

	r->ret = dd_core_run(r->core, -1);
	return NULL;
}

static uint64_t seq;

static uint64_t send_chunk(int sock, uint64_t buf_id, int fd, uint32_t bytes,
			   uint64_t ts, uint32_t flags)
{
	struct daedalus_sf_chunk c;

	memset(&c, 0, sizeof(c));
	dd_hdr_init(&c.hdr, DAEDALUS_MSG_SF_CHUNK, sizeof(c));
	c.seq = ++seq;
	c.ctx_id = CTX;
	c.timestamp = ts;
	c.codec = DAEDALUS_CODEC_H264;
	c.flags = flags;
	c.bitstream = (struct daedalus_buf){ .id = buf_id, .fd = fd,
					     .length = 64, .bytesused = bytes };
	CHECK_EQ(write(sock, &c, sizeof(c)), sizeof(c));
	return seq;
}

static uint64_t send_lend(int sock, uint64_t buf_id, int fd)
{
	struct daedalus_sf_lend l;

	memset(&l, 0, sizeof(l));
	dd_hdr_init(&l.hdr, DAEDALUS_MSG_SF_LEND, sizeof(l));
	l.seq = ++seq;
	l.ctx_id = CTX;
	l.picture = (struct daedalus_buf){ .id = buf_id, .fd = fd,
					   .length = LEND_SIZE };
	CHECK_EQ(write(sock, &l, sizeof(l)), sizeof(l));
	return seq;
}

static uint64_t send_format(int sock)
{
	struct daedalus_sf_cmd c;

	memset(&c, 0, sizeof(c));
	dd_hdr_init(&c.hdr, DAEDALUS_MSG_SF_CMD, sizeof(c));
	c.seq = ++seq;
	c.ctx_id = CTX;
	c.cmd = DAEDALUS_SF_CMD_FORMAT;
	c.format_seq = 1;
	c.picture = (struct daedalus_picture_format){
		.pixelformat = V4L2_PIX_FMT_NV12, .width = 16, .height = 16,
		.bytesperline = 16, .sizeimage = 16 * 16 * 3 / 2 };
	CHECK_EQ(write(sock, &c, sizeof(c)), sizeof(c));
	return seq;
}

/* The next stateful answer; kind 0 on a timeout. */
static struct daedalus_sf_answer next_answer(int sock)
{
	struct daedalus_sf_answer a;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };

	memset(&a, 0, sizeof(a));
	if (poll(&pfd, 1, 10000) != 1 ||
	    read(sock, &a, sizeof(a)) != (ssize_t)sizeof(a))
		memset(&a, 0, sizeof(a));
	return a;
}

/* Reads answers up to the next IDLE into @out; how many came before it. */
static unsigned int until_idle(int sock, struct daedalus_sf_answer *out,
			       unsigned int max)
{
	unsigned int n = 0;

	for (;;) {
		struct daedalus_sf_answer a = next_answer(sock);

		if (!a.kind || a.kind == DAEDALUS_SF_STATUS) {
			CHECK(a.flags & DAEDALUS_SF_IDLE);
			return n;
		}
		if (n < max)
			out[n] = a;
		n++;
	}
}

static void send_gone(int sock, enum daedalus_msg_type type, uint64_t id)
{
	struct daedalus_buf_gone g;	/* CTX_GONE has the same layout */

	memset(&g, 0, sizeof(g));
	dd_hdr_init(&g.hdr, type, sizeof(g));
	g.buf_id = id;
	CHECK_EQ(write(sock, &g, sizeof(g)), sizeof(g));
}

int main(void)
{
	struct dd_core_config cfg = { .threads = 2, .transport = &transport,
				      .forced_sf_backend = &dd_sf_fake_backend };
	struct daedalus_sf_answer a[8];
	struct daedalus_job *job;
	struct runner r = { 0 };
	struct fx_capture cap;
	uint64_t c1, c2, f, l1, l2;
	int sv[2], base, chunk_fd, lend_fd[2];
	uint8_t *lend_map[2];
	pthread_t thread;
	char *log;

	dd_sf_fake_backend.peek_format = dd_sf_fake_peek;
	base = fx_count_fds();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	chunk_fd = fx_memfd(64, 0);
	CHECK_EQ(pwrite(chunk_fd, "KPK", 3, 0), 3);
	for (int i = 0; i < 2; i++) {
		lend_fd[i] = fx_memfd(LEND_SIZE, 0);
		lend_map[i] = mmap(NULL, LEND_SIZE, PROT_READ, MAP_SHARED,
				   lend_fd[i], 0);
	}
	dd_log_set_level(DD_LOG_NOTICE);
	fx_capture_begin(&cap);
	CHECK_EQ(dd_core_new(&cfg, sv[0], &r.core), 0);
	CHECK_EQ(pthread_create(&thread, NULL, run_core, &r), 0);

	/* The chunk: done, the format reported, IDLE. */
	c1 = send_chunk(sv[1], 1, dup(chunk_fd), 3, 1000, DAEDALUS_SF_NEW_STREAM);
	CHECK_EQ(until_idle(sv[1], a, 8), 2);
	CHECK_EQ(a[0].kind, DAEDALUS_SF_CHUNK_DONE);
	CHECK_EQ(a[0].seq, c1);
	CHECK_EQ(a[0].status, DAEDALUS_STATUS_OK);
	CHECK_EQ(a[1].kind, DAEDALUS_SF_SOURCE_CHANGE);
	CHECK_EQ(a[1].format.width, 16);

	/* FORMAT and two lends: two pictures in the lent memory. */
	f = send_format(sv[1]);
	l1 = send_lend(sv[1], 2, dup(lend_fd[0]));
	l2 = send_lend(sv[1], 3, dup(lend_fd[1]));
	/* Answers may come in several runs, each ending IDLE. */
	{
		unsigned int got = 0, pics = 0;

		while (pics < 2 && got < 8) {
			unsigned int n = until_idle(sv[1], a + got, 8 - got);

			for (unsigned int i = got; i < got + n && i < 8; i++)
				pics += a[i].kind == DAEDALUS_SF_PICTURE;
			got += n;
			if (!n)
				break;
		}
		CHECK_EQ(pics, 2);
		CHECK_EQ(a[0].kind, DAEDALUS_SF_CMD_DONE);
		CHECK_EQ(a[0].seq, f);
	}
	CHECK_EQ(lend_map[0][0], 'K');
	CHECK_EQ(lend_map[1][0], 'P');
	(void)l1;
	(void)l2;

	/* A chunk outside its buffer: FAILED, its fd kept all the same. */
	c2 = send_chunk(sv[1], 4, fx_memfd(64, 0), 65, 2000, 0);
	CHECK_EQ(until_idle(sv[1], a, 8), 1);
	CHECK_EQ(a[0].seq, c2);
	CHECK_EQ(a[0].status, DAEDALUS_STATUS_FAILED);

	/* A job for the stateful context is dropped, not answered. */
	job = calloc(1, sizeof(*job));
	fx_job_init(job, DAEDALUS_CODEC_H264, ++seq, CTX, 16, 16);
	job->bitstream.fd = -1;
	job->picture.fd = -1;
	CHECK_EQ(write(sv[1], job, sizeof(*job)), sizeof(*job));
	free(job);

	send_gone(sv[1], DAEDALUS_MSG_CTX_GONE, CTX);
	for (uint64_t id = 1; id <= 4; id++)
		send_gone(sv[1], DAEDALUS_MSG_BUF_GONE, id);
	shutdown(sv[1], SHUT_WR);	/* end of input: the core stops */
	pthread_join(thread, NULL);
	CHECK_EQ(r.ret, 0);
	dd_core_free(r.core);
	log = fx_capture_end(&cap);
	CHECK(strstr(log, "stateful context 5 closed: h264 16x16, 1 chunks") != NULL);
	CHECK(strstr(log, "for stateful context 5 dropped") != NULL);
	free(log);

	for (int i = 0; i < 2; i++) {
		munmap(lend_map[i], LEND_SIZE);
		close(lend_fd[i]);
	}
	close(chunk_fd);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(fx_count_fds(), base);
	return dd_test_result("test_sf_core");
}
