// SPDX-License-Identifier: BSD-2-Clause
/*
 * uffd_fetch: a fake daemon whose DAEDALUS_IOC_FETCH record buffer lies in
 * userfaultfd memory, left unresolved past job_timeout_ms while the
 * client closes its context (issue 10, item 1).
 *
 *   uffd_fetch STALL_MS
 *
 * Attaches to the bridge (needs it free), client A queues a frame, the
 * fetch of its job faults on the record buffer and stays stalled for
 * STALL_MS.  Meanwhile the kernel's watchdog must fail the job (A gets its
 * CAPTURE buffer back with ERROR) and A's close must not wait for the
 * stalled fetch (under 300 ms).  Then the fault is resolved: the fetch must
 * give a sane JOB record of A or an error, an answer to that job must be
 * refused (the job is gone), and a second client B's frame must be
 * fetched, answered and dequeued without ERROR.
 * Exit 0 = pass, 1 = fail, 2 = setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daedalus_proto.h"
#include "slclient.h"

/* A close that waits for nothing takes ~10 ms in the TCG guest. */
#define MAX_CLOSE_MS	300

static int bridge, uffd;
static void *rec_mem;		/* userfaultfd-registered, never touched */
static double resolve_at;	/* when the resolver starts resolving */
static long page;
static long fetch_ret;
static int fetch_errno;
static volatile int fetch_done;

static int fail(const char *what)
{
	fprintf(stderr, "uffd_fetch: FAIL: %s\n", what);
	return 1;
}

static long fetch(const struct daedalus_result *res, void *record)
{
	struct daedalus_fetch f;

	memset(&f, 0, sizeof(f));
	f.results = (uintptr_t)res;
	f.num_results = res ? 1 : 0;
	f.record = (uintptr_t)record;
	f.record_size = record ? DAEDALUS_READ_SIZE : 0;
	return ioctl(bridge, DAEDALUS_IOC_FETCH, &f);
}

static void *fetcher(void *arg)
{
	(void)arg;
	fetch_ret = fetch(NULL, rec_mem);
	fetch_errno = errno;
	fetch_done = 1;
	return NULL;
}

static void answer_init(struct daedalus_result *r, const struct daedalus_job *j)
{
	memset(r, 0, sizeof(*r));
	r->hdr.magic = DAEDALUS_MAGIC;
	r->hdr.version = DAEDALUS_PROTO_VERSION;
	r->hdr.type = DAEDALUS_MSG_RESULT;
	r->hdr.size = sizeof(*r);
	r->seq = j->seq;
	r->ctx_id = j->ctx_id;
	r->status = DAEDALUS_STATUS_OK;
	r->bytesused = j->picture_format.sizeimage;
}

static int job_sane(const struct daedalus_job *j)
{
	return j->hdr.magic == DAEDALUS_MAGIC &&
	       j->hdr.version == DAEDALUS_PROTO_VERSION &&
	       j->hdr.type == DAEDALUS_MSG_JOB &&
	       j->hdr.size == sizeof(*j) && j->seq && j->ctx_id &&
	       j->codec == DAEDALUS_CODEC_H264;
}

/* Close the fds a job record carries (we decode nothing). */
static void drop_fds(const struct daedalus_job *j)
{
	if (j->bitstream.fd >= 0)
		close(j->bitstream.fd);
	if (j->picture.fd >= 0)
		close(j->picture.fd);
}

/* Resolve every pending fault of @uffd with zero pages. */
static void resolve(int uffd, long page)
{
	struct uffd_msg m;
	struct uffdio_zeropage z;

	while (read(uffd, &m, sizeof(m)) == sizeof(m)) {
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		z.range.start = m.arg.pagefault.address & ~(page - 1);
		z.range.len = page;
		z.mode = 0;
		ioctl(uffd, UFFDIO_ZEROPAGE, &z);
	}
}

/*
 * Resolves the faults from @resolve_at on, in a thread of its own: a
 * close that waits for the stalled fetch shows as a slow close, not as
 * a deadlock with the thread that would resolve it.
 */
static void *resolver(void *arg)
{
	(void)arg;
	while (sl_now() < resolve_at)
		usleep(10000);
	while (!fetch_done) {
		resolve(uffd, page);
		usleep(10000);
	}
	return NULL;
}

/* The next JOB record within @ms, other records dropped. */
static int next_job(struct daedalus_job *j, int ms)
{
	struct pollfd p = { .fd = bridge, .events = POLLIN };
	double end = sl_now() + ms / 1e3;

	while (sl_now() < end) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (fetch(NULL, j) <= 0)
			return -1;
		if (j->hdr.type == DAEDALUS_MSG_JOB)
			return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct daedalus_hello hello = { .version = DAEDALUS_PROTO_VERSION,
		.codecs = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264) };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct daedalus_job *job = calloc(1, sizeof(*job));
	struct daedalus_result res;
	struct v4l2_buffer cap;
	struct pollfd p;
	struct sl_ctx a, b;
	pthread_t th, rth;
	long stall_ms;
	size_t len;
	double t, close_ms;
	int i, rc = 0;

	if (argc < 2 || !job)
		return 2;
	stall_ms = atol(argv[1]);
	page = sysconf(_SC_PAGESIZE);
	len = (DAEDALUS_READ_SIZE + page - 1) / page * page;
	bridge = open(DAEDALUS_DEVICE_PATH, O_RDWR);
	if (bridge < 0 || ioctl(bridge, DAEDALUS_IOC_HELLO, &hello)) {
		perror("uffd_fetch: attach");
		return 2;
	}
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		perror("uffd_fetch: userfaultfd");
		return 2;
	}
	rec_mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)rec_mem;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (rec_mem == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		perror("uffd_fetch: register");
		return 2;
	}

	if (sl_open(&a, 128, 128) || sl_start(&a) ||
	    sl_queue(&a, 0, "frame A", NULL))
		return 2;
	pthread_create(&th, NULL, fetcher, NULL);
	p.fd = uffd;
	p.events = POLLIN;
	if (poll(&p, 1, 5000) != 1)
		return fail("the fetch never touched its record buffer");
	t = sl_now();
	resolve_at = t + stall_ms / 1e3;
	pthread_create(&rth, NULL, resolver, NULL);
	printf("uffd_fetch: the fetch of A's job is stalled on its record buffer\n");

	/* The watchdog fails the job while the fetch is stalled. */
	if (sl_dequeue_cap(&a, stall_ms, &cap))
		rc = fail("A got no CAPTURE buffer back while the fetch was stalled");
	else if (!(cap.flags & V4L2_BUF_FLAG_ERROR))
		rc = fail("A's CAPTURE buffer came back without ERROR");
	else
		printf("uffd_fetch: A's job failed after %.0f ms (buffer ERROR)\n",
		       (sl_now() - t) * 1e3);
	close_ms = sl_now();
	sl_close(&a);
	close_ms = (sl_now() - close_ms) * 1e3;
	printf("uffd_fetch: A closed in %.1f ms, fetch %s\n", close_ms,
	       fetch_done ? "returned" : "still stalled");
	if (close_ms > MAX_CLOSE_MS)
		rc = fail("A's close waited for the stalled fetch");
	for (i = 0; i < 500 && !fetch_done; i++)
		usleep(10000);
	if (!fetch_done)
		return fail("the fetch did not return once its fault was resolved");
	pthread_join(th, NULL);
	pthread_join(rth, NULL);
	if (fetch_ret < 0) {
		printf("uffd_fetch: the stalled fetch returned an error: %s\n",
		       strerror(fetch_errno));
	} else {
		memcpy(job, rec_mem, sizeof(*job));
		printf("uffd_fetch: the stalled fetch returned %ld bytes: type %u seq %llu\n",
		       fetch_ret, job->hdr.type, (unsigned long long)job->seq);
		if (job->hdr.type == DAEDALUS_MSG_JOB) {
			if (fetch_ret != sizeof(*job) || !job_sane(job))
				rc = fail("the stalled fetch gave an insane job record");
			drop_fds(job);
			answer_init(&res, job);
			if (fetch(&res, NULL) == 0)
				rc = fail("the answer to the failed job was taken");
			else
				printf("uffd_fetch: its answer refused: %s\n",
				       strerror(errno));
		}
	}

	/* The next job works. */
	if (sl_open(&b, 128, 128) || sl_start(&b) ||
	    sl_queue(&b, 0, "frame B", NULL))
		return 2;
	if (next_job(job, 5000))
		return fail("B's job never reached the daemon");
	drop_fds(job);
	if (!job_sane(job))
		rc = fail("B's job record is insane");
	answer_init(&res, job);
	if (fetch(&res, NULL))
		rc = fail("B's answer refused");
	if (sl_dequeue_cap(&b, 5000, &cap))
		return fail("B got no CAPTURE buffer");
	if (cap.flags & V4L2_BUF_FLAG_ERROR)
		rc = fail("B's frame came back with ERROR");
	else
		printf("uffd_fetch: B's frame decoded (bytesused %u)\n",
		       cap.m.planes[0].bytesused);
	sl_close(&b);
	printf("uffd_fetch: %s\n", rc ? "FAIL" : "pass");
	return rc;
}
