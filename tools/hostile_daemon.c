// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_daemon: a stand-in for daedalusd that tests the kernel's bridge.
 *
 *   hostile_daemon [-m good|hostile|silent|crash|hold] [-n JOBS] [-s SEED]
 *                  [-G COUNT] [-c CODECS] [-d DEPTH] [-q]
 *
 *   good     answer every job OK after filling the picture (grey frame),
 *            each answer committed with the next fetch (one ioctl)
 *   hostile  before each answer, commit malformed records (bad magic, version,
 *            type, size, reserved fields, status, bytesused, unknown seq,
 *            wrong ctx_id, empty calls, small fetch buffers, reserved
 *            fetch fields) and check each is refused with EINVAL; then at
 *            random answer OK, answer in a batch followed by a bad record
 *            (EINVAL, and exactly the first one taken), answer twice
 *            (the duplicate must be refused), or not at all (the kernel's
 *            watchdog must fail it; a late answer must be refused)
 *   silent   read jobs and never answer
 *   crash    answer nothing and exit after JOBS jobs (default 1), holding them
 *   hold     like good, but never answer a job whose bitstream starts with
 *            "HOLD" ("holding seq N ctx M" is printed): a daemon slow on
 *            one client's frame; answers carry bytesused = the NV12
 *            picture's size (bytesperline * height * 3 / 2)
 *
 * -G COUNT (hostile): keep writing malformed records for up to 50 ms per job
 * until COUNT of them have been refused; "garbage done" is printed then.
 * The number refused is always printed at exit.
 * -c CODECS: the DAEDALUS_CODEC_BIT()s announced at HELLO (default: all).
 * -d DEPTH: ask for DEPTH jobs per context in flight at HELLO (the kernel
 * must grant it clamped to 1..8, 0 giving 1), and in modes good and hold
 * answer out of order: a context's jobs are held until DEPTH of them are
 * (or none came for 1 s), then answered last first, each batch logged
 * as "answering N of ctx C last first: seq S...".  Without -d: depth 1,
 * every job answered as it comes.
 *
 * Every job record is checked (sizes, ids, fds).  A buffer's fd must come
 * exactly once, with the first job naming it (later jobs carry -1), and
 * go away with its BUF_GONE; a bitstream fd must not be mappable for
 * writing (the tests' clients queue MMAP OUTPUT buffers, which the kernel
 * exports read-only).  It also checks the handshake (a wrong version must
 * give EPROTO and the kernel's version), that read() and write() are
 * refused, and that a forked child can neither fetch (EPERM) nor poll for
 * jobs (EPOLLERR).  Exit status 0 when the kernel behaved, 1 when it
 * accepted something it must refuse (or refused something valid), 2 on setup
 * errors.  Build: cc -O2 -Wall -I include -o hostile_daemon tools/hostile_daemon.c
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daedalus_proto.h"

enum mode { GOOD, HOSTILE, SILENT, CRASH, HOLD };

static int quiet;
static unsigned int depth;	/* -d; 0: not given (ask for 1) */
static unsigned int codecs = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264) |
			     DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP8) |
			     DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP9) |
			     DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_AV1);
static int failures;
static long refused;		/* malformed records the kernel refused */
static volatile sig_atomic_t stop;

#define say(...) do { if (!quiet) fprintf(stderr, "hostile: " __VA_ARGS__); } while (0)

static void bad(const char *what)
{
	fprintf(stderr, "hostile: KERNEL MISBEHAVED: %s\n", what);
	failures++;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The kernel's watchdog period, so that "late" really is late. */
static long job_timeout_ms(void)
{
	FILE *f = fopen("/sys/module/daedalus_v4l2/parameters/job_timeout_ms", "r");
	long ms = 800;

	if (f) {
		if (fscanf(f, "%ld", &ms) != 1)
			ms = 800;
		fclose(f);
	}
	return ms;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The fds the kernel handed over, by buffer id, until BUF_GONE. */
#define MAX_BUFS 256
static struct {
	uint64_t id;
	int fd;
} bufs[MAX_BUFS];
static int nbufs;

static int buf_fd(uint64_t id)
{
	for (int i = 0; i < nbufs; i++)
		if (bufs[i].id == id)
			return bufs[i].fd;
	return -1;
}

/* A job's buffer: its fd must come once, with the first job naming it. */
static int take_buf(const struct daedalus_buf *b)
{
	int known = buf_fd(b->id);

	if (b->fd >= 0 && known >= 0) {
		bad("a buffer's fd sent twice");
		close(b->fd);
		return -1;
	}
	if (b->fd < 0 && known < 0) {
		bad("a buffer named without its fd ever being sent");
		return -1;
	}
	if (b->fd < 0)
		return 0;
	if (nbufs == MAX_BUFS) {
		fprintf(stderr, "hostile: more than %d buffers\n", MAX_BUFS);
		exit(2);
	}
	bufs[nbufs].id = b->id;
	bufs[nbufs++].fd = b->fd;
	return 0;
}

static void buf_gone(uint64_t id)
{
	for (int i = 0; i < nbufs; i++) {
		if (bufs[i].id == id) {
			close(bufs[i].fd);
			bufs[i] = bufs[--nbufs];
			return;
		}
	}
	bad("BUF_GONE for a buffer whose fd was never sent");
}

static void fill_picture(const struct daedalus_job *job)
{
	const struct daedalus_picture_format *pf = &job->picture_format;
	size_t len = job->picture.length;
	size_t luma = (size_t)pf->bytesperline * pf->height;
	int fd = buf_fd(job->picture.id);
	uint8_t *p;

	if (fd < 0 || !len)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		say("mmap picture: %s\n", strerror(errno));
		return;
	}
	if (luma > len)
		luma = len;
	memset(p, 0x60 + (job->seq % 64), luma);
	memset(p + luma, 0x80, len - luma);
	munmap(p, len);
}

static void result_init(struct daedalus_result *r, const struct daedalus_job *job,
			uint32_t status)
{
	memset(r, 0, sizeof(*r));
	r->hdr.magic = DAEDALUS_MAGIC;
	r->hdr.version = DAEDALUS_PROTO_VERSION;
	r->hdr.type = DAEDALUS_MSG_RESULT;
	r->hdr.size = sizeof(*r);
	r->seq = job->seq;
	r->ctx_id = job->ctx_id;
	r->status = status;
	r->bytesused = job->picture_format.sizeimage;
}

/* The job's bitstream starts with "HOLD" (mode hold). */
static int wants_hold(const struct daedalus_job *job)
{
	const struct daedalus_buf *bs = &job->bitstream;
	size_t len = (size_t)bs->offset + bs->bytesused;
	uint8_t *p;
	int hold;

	if (bs->bytesused < 4)
		return 0;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, buf_fd(bs->id), 0);
	if (p == MAP_FAILED) {
		say("mmap bitstream: %s\n", strerror(errno));
		return 0;
	}
	hold = !memcmp(p + bs->offset, "HOLD", 4);
	munmap(p, len);
	return hold;
}

/* DAEDALUS_IOC_FETCH; -1 with errno, or what it returned. */
static long fetch(int fd, const struct daedalus_result *res, uint32_t n,
		  void *record, uint32_t *taken)
{
	struct daedalus_fetch f;
	long ret;

	memset(&f, 0, sizeof(f));
	f.results = (uintptr_t)res;
	f.num_results = n;
	f.record = (uintptr_t)record;
	f.record_size = record ? DAEDALUS_READ_SIZE : 0;
	f.taken = 0xdead;
	ret = ioctl(fd, DAEDALUS_IOC_FETCH, &f);
	if (taken)
		*taken = f.taken;
	return ret;
}

/* A call that must fail with EINVAL (and change nothing). */
static void refuse(long ret, const char *what)
{
	char msg[160];

	if (ret < 0 && errno == EINVAL) {
		refused++;
		return;
	}
	snprintf(msg, sizeof(msg), "%s accepted (returned %ld, %s)", what, ret,
		 ret < 0 ? strerror(errno) : "no error");
	bad(msg);
}

/* Commit @n results; expect all taken, or EINVAL with none taken. */
static int put(int fd, const struct daedalus_result *res, uint32_t n,
	       int want_ok, const char *what)
{
	uint32_t taken;
	long ret = fetch(fd, res, n, NULL, &taken);

	if (want_ok && (ret || taken != n)) {
		fprintf(stderr, "hostile: valid %s refused: %s\n", what,
			ret < 0 ? strerror(errno) : "not all taken");
		failures++;
		return -1;
	}
	if (!want_ok && !(ret < 0 && errno == EINVAL && taken == 0)) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s accepted (returned %ld, %u taken, %s)",
			 what, ret, taken, ret < 0 ? strerror(errno) : "no error");
		bad(msg);
		return -1;
	}
	if (!want_ok)
		refused++;
	return 0;
}

static void send_garbage(int fd, const struct daedalus_job *job)
{
	struct daedalus_result r, two[2];
	uint8_t small[64];

	result_init(&r, job, 0);
	r.hdr.magic ^= 1;
	put(fd, &r, 1, 0, "bad magic");
	result_init(&r, job, 0);
	r.hdr.version = 99;
	put(fd, &r, 1, 0, "bad version");
	result_init(&r, job, 0);
	r.hdr.type = DAEDALUS_MSG_JOB;
	put(fd, &r, 1, 0, "bad type");
	result_init(&r, job, 0);
	r.hdr.size = sizeof(r) + 8;
	put(fd, &r, 1, 0, "bad size field");
	result_init(&r, job, 0);
	r.hdr.reserved = 1;
	put(fd, &r, 1, 0, "header reserved set");
	result_init(&r, job, 0);
	r.reserved[1] = 7;
	put(fd, &r, 1, 0, "result reserved set");
	result_init(&r, job, 0);
	r.status = 3 + rand() % 1000;
	put(fd, &r, 1, 0, "unknown status");
	result_init(&r, job, 0);
	r.bytesused = job->picture_format.sizeimage + 1 + rand() % 4096;
	put(fd, &r, 1, 0, "bytesused beyond sizeimage");
	result_init(&r, job, 0);
	r.seq = job->seq + 1000000 + rand();
	put(fd, &r, 1, 0, "unknown seq");
	result_init(&r, job, 0);
	r.seq = 0;
	put(fd, &r, 1, 0, "seq 0");
	result_init(&r, job, 0);
	r.ctx_id ^= 0x100;
	put(fd, &r, 1, 0, "wrong ctx_id");
	/* Calls that ask for nothing, or fetch into too small a buffer. */
	refuse(fetch(fd, NULL, 0, NULL, NULL), "empty call");
	{
		struct daedalus_fetch f;

		memset(&f, 0, sizeof(f));
		f.record = (uintptr_t)small;
		f.record_size = sizeof(small);
		refuse(ioctl(fd, DAEDALUS_IOC_FETCH, &f), "fetch into a small buffer");
		memset(&f, 0, sizeof(f));
		f.results = (uintptr_t)&r;
		f.num_results = 1;
		f.reserved[rand() % 3] = 1;
		refuse(ioctl(fd, DAEDALUS_IOC_FETCH, &f), "fetch reserved set");
	}
	/* A bad record after nothing valid: the batch fails. */
	result_init(&two[0], job, 0);
	two[0].hdr.magic = 0;
	two[1] = two[0];
	put(fd, two, 2, 0, "batch of bad records");
	/* Random bytes. */
	for (size_t i = 0; i < sizeof(r); i++)
		((uint8_t *)&r)[i] = rand();
	put(fd, &r, 1, 0, "random bytes");
}

/* -d: the answers held back per context, until a batch is full. */
#define MAX_BATCHES 16
static struct batch {
	uint64_t ctx;
	unsigned int n;
	struct daedalus_result res[DAEDALUS_MAX_DEPTH];
} batches[MAX_BATCHES];
static unsigned int granted = 1;	/* the depth the kernel granted */

/* Answer @b's jobs, the newest first, one commit each. */
static void batch_flush(int fd, struct batch *b)
{
	char seqs[DAEDALUS_MAX_DEPTH * 21 + 1];
	size_t len = 0;

	if (!b->n)
		return;
	seqs[0] = 0;
	for (unsigned int i = b->n; i-- > 0;)
		len += snprintf(seqs + len, sizeof(seqs) - len, " %llu",
				(unsigned long long)b->res[i].seq);
	fprintf(stderr, "hostile: answering %u of ctx %llu last first: seq%s\n",
		b->n, (unsigned long long)b->ctx, seqs);
	while (b->n)
		put(fd, &b->res[--b->n], 1, 1, "held valid result");
}

static void batch_flush_all(int fd)
{
	for (int i = 0; i < MAX_BATCHES; i++)
		batch_flush(fd, &batches[i]);
}

static int batch_pending(void)
{
	for (int i = 0; i < MAX_BATCHES; i++)
		if (batches[i].n)
			return 1;
	return 0;
}

/* Hold @r back; a context's batch goes out once it has granted answers. */
static void batch_add(int fd, const struct daedalus_result *r)
{
	struct batch *b = NULL;

	for (int i = 0; i < MAX_BATCHES && !b; i++)
		if (batches[i].n && batches[i].ctx == r->ctx_id)
			b = &batches[i];
	for (int i = 0; i < MAX_BATCHES && !b; i++)
		if (!batches[i].n)
			b = &batches[i];
	if (!b) {
		batch_flush_all(fd);
		b = &batches[0];
	}
	b->ctx = r->ctx_id;
	b->res[b->n++] = *r;
	if (b->n >= granted)
		batch_flush(fd, b);
}

static int hello(int fd)
{
	struct daedalus_hello h;

	memset(&h, 0, sizeof(h));
	h.version = DAEDALUS_PROTO_VERSION + 41;
	if (ioctl(fd, DAEDALUS_IOC_HELLO, &h) == 0 || errno != EPROTO)
		bad("HELLO with a wrong version not refused with EPROTO");
	else if (h.version != DAEDALUS_PROTO_VERSION)
		bad("EPROTO did not report the kernel's version");

	memset(&h, 0, sizeof(h));
	h.version = DAEDALUS_PROTO_VERSION;
	h.reserved[3] = 1;
	if (ioctl(fd, DAEDALUS_IOC_HELLO, &h) == 0 || errno != EINVAL)
		bad("HELLO with reserved set not refused with EINVAL");

	memset(&h, 0, sizeof(h));
	h.version = DAEDALUS_PROTO_VERSION;
	h.codecs = codecs;
	h.depth = depth ? depth : 1;
	if (ioctl(fd, DAEDALUS_IOC_HELLO, &h)) {
		fprintf(stderr, "hostile: HELLO: %s\n", strerror(errno));
		return -1;
	}
	granted = h.depth;
	if (granted != (!depth ? 1 : depth > DAEDALUS_MAX_DEPTH ?
			DAEDALUS_MAX_DEPTH : depth)) {
		char msg[80];

		snprintf(msg, sizeof(msg), "HELLO asked depth %u, granted %u",
			 depth, granted);
		bad(msg);
		if (!granted || granted > DAEDALUS_MAX_DEPTH)
			granted = 1;
	}
	return 0;
}

static int check_job(const struct daedalus_job *job, ssize_t n)
{
	void *p;

	if (n != (ssize_t)sizeof(*job) || job->hdr.size != sizeof(*job) ||
	    job->hdr.magic != DAEDALUS_MAGIC ||
	    job->hdr.version != DAEDALUS_PROTO_VERSION) {
		bad("malformed job record");
		return -1;
	}
	if (!job->seq || !job->ctx_id || !job->bitstream.id || !job->picture.id ||
	    job->bitstream.fd < -1 || job->picture.fd < -1 ||
	    job->num_refs > DAEDALUS_MAX_REFS ||
	    job->picture_format.sizeimage > job->picture.length) {
		bad("inconsistent job record");
		return -1;
	}
	/* The tests' clients queue MMAP OUTPUT buffers: exported read-only. */
	if (job->bitstream.fd >= 0) {
		p = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED,
			 job->bitstream.fd, 0);
		if (p != MAP_FAILED) {
			munmap(p, 1);
			bad("the bitstream fd can be mapped for writing");	/* still answered */
		}
	}
	if (take_buf(&job->bitstream) | take_buf(&job->picture))
		return -1;
	return 0;
}

/*
 * The attachment is ours alone: a forked child (which shares the open
 * file) can neither fetch nor commit (EPERM), nor wait for jobs with
 * poll() (EPOLLERR); read() and write() are refused to everybody.
 */
static void check_binding(int fd)
{
	struct daedalus_result r;
	char buf[64];
	int status;
	pid_t pid;

	if (read(fd, buf, sizeof(buf)) >= 0 || errno != EINVAL)
		bad("read() on the bridge not refused with EINVAL");
	memset(&r, 0, sizeof(r));
	if (write(fd, &r, sizeof(r)) >= 0 || errno != EINVAL)
		bad("write() on the bridge not refused with EINVAL");

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hostile: fork: %s\n", strerror(errno));
		exit(2);
	}
	if (pid == 0) {
		static union {
			struct daedalus_job job;
			char bytes[DAEDALUS_READ_SIZE];
		} rec;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ok = 1;

		if (fetch(fd, NULL, 0, &rec, NULL) >= 0 || errno != EPERM)
			ok = 0;
		if (fetch(fd, &r, 1, NULL, NULL) >= 0 || errno != EPERM)
			ok = 0;
		if (poll(&pfd, 1, 0) != 1 || pfd.revents != POLLERR)
			ok = 0;
		_exit(ok && !rec.job.hdr.magic ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		bad("a forked child could use the bridge (fetch/commit not EPERM, or poll not EPOLLERR)");
}

int main(int argc, char **argv)
{
	enum mode mode = GOOD;
	long max_jobs = -1, jobs = 0, garbage_target = 0;
	unsigned int seed = time(NULL);
	struct daedalus_job *job;
	struct daedalus_result r;
	struct sigaction sa;
	int opt, fd, fd2, answer = 0;
	/* Jobs left unanswered on purpose, answered late to check refusal. */
	struct daedalus_job late[8];
	long late_at[8];
	int nlate = 0;

	while ((opt = getopt(argc, argv, "m:n:s:G:c:d:q")) != -1) {
		switch (opt) {
		case 'm':
			mode = !strcmp(optarg, "good") ? GOOD :
			       !strcmp(optarg, "hostile") ? HOSTILE :
			       !strcmp(optarg, "silent") ? SILENT :
			       !strcmp(optarg, "crash") ? CRASH :
			       !strcmp(optarg, "hold") ? HOLD : -1;
			if ((int)mode < 0) {
				fprintf(stderr, "hostile: unknown mode %s\n", optarg);
				return 2;
			}
			break;
		case 'n':
			max_jobs = atol(optarg);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'G':
			garbage_target = atol(optarg);
			break;
		case 'c':
			codecs = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			depth = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-m good|hostile|silent|crash|hold] [-n JOBS] [-s SEED] [-G COUNT] [-c CODECS] [-d DEPTH] [-q]\n",
				argv[0]);
			return 2;
		}
	}
	if (mode == CRASH && max_jobs < 0)
		max_jobs = 1;
	srand(seed);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = open(DAEDALUS_DEVICE_PATH, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "hostile: open %s: %s\n", DAEDALUS_DEVICE_PATH, strerror(errno));
		return 2;
	}
	fd2 = open(DAEDALUS_DEVICE_PATH, O_RDWR);
	if (fd2 >= 0 || errno != EBUSY) {
		bad("second open of the bridge not refused with EBUSY");
		if (fd2 >= 0)
			close(fd2);
	}
	job = malloc(DAEDALUS_READ_SIZE);
	if (!job)
		return 2;
	if (fetch(fd, NULL, 0, job, NULL) >= 0 || errno != ENOTCONN)
		bad("fetch before HELLO not refused with ENOTCONN");
	if (hello(fd))
		return 2;
	check_binding(fd);
	/* Always printed: tests wait for this line. */
	fprintf(stderr, "hostile: attached, mode %d, seed %u, depth %u\n", mode,
		seed, granted);

	while (!stop && (max_jobs < 0 || jobs < max_jobs)) {
		uint32_t taken;
		long n;

		/* -d: held answers go out when no job came for 1 s. */
		if (depth && batch_pending()) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (poll(&pfd, 1, 1000) == 0) {
				batch_flush_all(fd);
				continue;
			}
		}
		/* good, hold: the last answer goes with the next fetch. */
		n = fetch(fd, &r, answer, job, &taken);
		if (answer && taken != 1) {
			fprintf(stderr, "hostile: valid OK result refused: %s\n",
				n < 0 ? strerror(errno) : "not taken");
			failures++;
		}
		answer = 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "hostile: fetch: %s\n", strerror(errno));
			break;
		}
		if (n >= (ssize_t)sizeof(struct daedalus_hdr) &&
		    job->hdr.type != DAEDALUS_MSG_JOB) {
			struct daedalus_buf_gone *g = (void *)job;

			if ((job->hdr.type != DAEDALUS_MSG_BUF_GONE &&
			     job->hdr.type != DAEDALUS_MSG_CTX_GONE) ||
			    n != (ssize_t)sizeof(*g) || job->hdr.size != n)
				bad("malformed gone record");
			else
				say("%s %llu\n", job->hdr.type == DAEDALUS_MSG_BUF_GONE ?
				    "buf_gone" : "ctx_gone", (unsigned long long)g->buf_id);
			if (job->hdr.type == DAEDALUS_MSG_BUF_GONE)
				buf_gone(g->buf_id);
			continue;
		}
		if (check_job(job, n))
			continue;
		jobs++;
		say("job seq %llu ctx %llu codec %u flags 0x%x %ux%u refs %u bytes %u\n",
		    (unsigned long long)job->seq, (unsigned long long)job->ctx_id,
		    job->codec, job->flags, job->picture_format.width,
		    job->picture_format.height, job->num_refs, job->bitstream.bytesused);

		switch (mode) {
		case HOLD:
			if (wants_hold(job)) {
				fprintf(stderr, "hostile: holding seq %llu ctx %llu\n",
					(unsigned long long)job->seq,
					(unsigned long long)job->ctx_id);
				break;
			}
			/* fall through */
		case GOOD:
			fill_picture(job);
			result_init(&r, job, DAEDALUS_STATUS_OK);
			/* hold: the picture's own size, which the client must see */
			if (mode == HOLD)
				r.bytesused = job->picture_format.bytesperline *
					      job->picture_format.height * 3 / 2;
			if (depth)
				batch_add(fd, &r);
			else
				answer = 1;
			break;
		case HOSTILE: {
			int pick = rand() % 8;

			send_garbage(fd, job);
			if (refused < garbage_target) {
				long until = now_ms() + 50;

				while (refused < garbage_target && now_ms() < until)
					send_garbage(fd, job);
				if (refused >= garbage_target)
					fprintf(stderr, "hostile: garbage done: %ld malformed answers refused\n",
						refused);
			}
			fill_picture(job);
			/* Answer late the jobs left unanswered before: refused. */
			while (nlate && pick < 2 &&
			       now_ms() - late_at[nlate - 1] > job_timeout_ms() + 300) {
				result_init(&r, &late[--nlate], DAEDALUS_STATUS_OK);
				put(fd, &r, 1, 0, "late answer to a timed-out job");
			}
			if (pick == 0 && nlate < 8) {
				late_at[nlate] = now_ms();
				late[nlate++] = *job;	/* never answered: watchdog */
				usleep(1000 * (200 + rand() % 800));
				break;
			}
			result_init(&r, job, pick == 1 ? DAEDALUS_STATUS_CORRUPT :
				     pick == 2 ? DAEDALUS_STATUS_FAILED : DAEDALUS_STATUS_OK);
			if (pick == 4) {
				/* A valid record then a bad one: one taken. */
				struct daedalus_result two[2] = { r, r };

				two[1].hdr.magic ^= 1;
				if (fetch(fd, two, 2, NULL, &taken) >= 0 ||
				    errno != EINVAL || taken != 1)
					bad("valid+bad batch: not EINVAL with the valid one taken");
				else
					refused++;
				break;
			}
			put(fd, &r, 1, 1, "valid result");
			if (pick == 3)
				put(fd, &r, 1, 0, "duplicate result");
			break;
		}
		case SILENT:
		case CRASH:
			break;
		}
	}
	if (mode == CRASH) {
		say("exiting with %ld jobs unanswered\n", jobs);
		_exit(failures ? 1 : 0);
	}
	close(fd);
	fprintf(stderr, "hostile: %ld jobs, %ld malformed answers refused, %d misbehaviours\n",
		jobs, refused, failures);
	return failures ? 1 : 0;
}
