// SPDX-License-Identifier: BSD-2-Clause
/*
 * depth_check: several jobs of one context in flight (issue 11), against
 * tools/hostile_daemon -m hold -d 4 (its log is HOLDLOG): it holds a
 * context's jobs until it has 4, then answers them last first, and never
 * answers a job whose bitstream starts with "HOLD".
 *
 *   depth_check vp9 HOLDLOG DAEMON_PID
 *     1. order: 4 frames queued at once reach the daemon together
 *        (the test reads its "answering 4 ... last first" line) and come
 *        back DONE in queue order (sequence, timestamp);
 *     2. an answered job waits for an older one: a held frame and 3
 *        answered ones; the held one's watchdog (job_timeout_ms set to
 *        2500 here) fails it, then the 3 come DONE, in queue order;
 *     3. STREAMOFF with 4 jobs held: prompt (< 1 s), all 4 CAPTURE
 *        buffers back ERROR in queue order, no OUTPUT buffer left queued;
 *     4. close with 4 jobs held: prompt (< 1 s);
 *     5. the daemon killed with 4 jobs held: all 4 back ERROR, in queue
 *        order, within 1 s.
 *   depth_check h264 HOLDLOG
 *     6. H.264 stays at one job: with a frame held, a second one queued
 *        is not handed to the daemon; 2 frames come back DONE in order.
 *
 * job_timeout_ms should be long (the test sets 20000) so that only step 2
 * sees a watchdog.  Exit 0 = every step as expected, 1 = not, 2 = setup.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "holdlog.h"
#include "slclient.h"

#define DEPTH 4
#define TIMEOUT_PARAM "/sys/module/daedalus_v4l2/parameters/job_timeout_ms"

static const char *hold_log;
static int failed;

static void fail(const char *step, const char *what)
{
	fprintf(stderr, "depth_check: %s: %s\n", step, what);
	failed = 1;
}

/*
 * Dequeue @n CAPTURE buffers, each within @ms, each ERROR if @error, else
 * not; their sequence numbers consecutive from the first, their
 * timestamps those of OUTPUT buffers @first_out, @first_out + 1, ...
 * (mod SL_BUFS).  Then, if @out, the OUTPUT buffers; requeue nothing.
 */
static int expect_back(struct sl_ctx *c, const char *step, int n, int ms,
		       const int *error, unsigned int first_out, int out)
{
	struct v4l2_buffer b;
	unsigned int seq0 = 0;
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned int out = (first_out + i) % SL_BUFS;
		int err;

		if (sl_dequeue_cap(c, ms, &b)) {
			fprintf(stderr, "depth_check: %s: CAPTURE buffer %d of %d not back\n",
				step, i + 1, n);
			failed = 1;
			return 1;
		}
		err = !!(b.flags & V4L2_BUF_FLAG_ERROR);
		if (!i)
			seq0 = b.sequence;
		printf("depth_check: %s: CAPTURE index %u sequence %u timestamp %ld %s\n",
		       step, b.index, b.sequence, (long)b.timestamp.tv_usec,
		       err ? "ERROR" : "DONE");
		if (err != error[i] || b.sequence != seq0 + i ||
		    b.timestamp.tv_usec != (long)out + 1)
			bad = 1;
	}
	for (i = 0; out && i < n; i++)
		if (sl_dequeue_out(c, &b) || (unsigned int)b.index !=
		    (first_out + i) % SL_BUFS)
			bad = 1;
	if (bad)
		fail(step, "not the buffers, states or order expected");
	return bad;
}

static int requeue_all_cap(struct sl_ctx *c)
{
	for (unsigned int i = 0; i < SL_BUFS; i++)
		if (sl_requeue_cap(c, i))
			return 2;
	return 0;
}

/* 4 frames the daemon holds, in OUTPUT buffers 0..3. */
static int hold_four(struct sl_ctx *c)
{
	for (unsigned int i = 0; i < DEPTH; i++)
		if (hold_queue(c, i, hold_log))
			return 2;
	return 0;
}

static int set_timeout(const char *ms)
{
	FILE *f = fopen(TIMEOUT_PARAM, "w");

	if (!f)
		return -1;
	fputs(ms, f);
	return fclose(f);
}

static int vp9(pid_t daemon)
{
	static const int done[DEPTH] = { 0, 0, 0, 0 };
	static const int first_err[DEPTH] = { 1, 0, 0, 0 };
	static const int all_err[DEPTH] = { 1, 1, 1, 1 };
	char old_timeout[32] = "20000";
	struct sl_ctx a, b, c;
	struct v4l2_buffer vb;
	struct v4l2_plane p;
	double t0, t;
	unsigned int i;
	FILE *f;

	if (sl_open_fmt(&a, V4L2_PIX_FMT_VP9_FRAME, 128, 128) || sl_start(&a))
		return 2;

	/* 1: 4 at once, answered last first, back in queue order. */
	for (i = 0; i < DEPTH; i++)
		if (sl_queue(&a, i, "a frame", NULL))
			return 2;
	expect_back(&a, "order", DEPTH, 10000, done, 0, 1);

	/* 2: the oldest held until its watchdog, 3 answered behind it. */
	f = fopen(TIMEOUT_PARAM, "r");
	if (f) {
		if (!fgets(old_timeout, sizeof(old_timeout), f))
			strcpy(old_timeout, "20000");
		fclose(f);
	}
	if (requeue_all_cap(&a) || set_timeout("2500"))
		return 2;
	if (hold_queue(&a, 0, hold_log))
		return 2;
	t0 = sl_now();
	for (i = 1; i < DEPTH; i++)
		if (sl_queue(&a, i, "a frame", NULL))
			return 2;
	expect_back(&a, "watchdog", DEPTH, 10000, first_err, 0, 1);
	t = sl_now() - t0;
	printf("depth_check: watchdog: all back %.2f s after the held one\n", t);
	if (t < 1.0)
		fail("watchdog", "answered jobs came back before the held one timed out");
	if (set_timeout(old_timeout))
		return 2;

	/* 3: STREAMOFF with 4 held. */
	if (requeue_all_cap(&a) || hold_four(&a))
		return 2;
	t0 = sl_now();
	if (sl_streamoff(&a))
		return 2;
	t = sl_now() - t0;
	printf("depth_check: streamoff: STREAMOFF OUTPUT with %d jobs held took %.3f s\n",
	       DEPTH, t);
	if (t >= 1.0)
		fail("streamoff", "STREAMOFF took 1 s or more");
	/* OUTPUT is off: its buffers are not dequeued, CAPTURE's are */
	expect_back(&a, "streamoff", DEPTH, 1000, all_err, 0, 0);
	for (i = 0; i < SL_BUFS; i++) {
		memset(&vb, 0, sizeof(vb));
		memset(&p, 0, sizeof(p));
		vb.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		vb.memory = V4L2_MEMORY_MMAP;
		vb.index = i;
		vb.m.planes = &p;
		vb.length = 1;
		if (ioctl(a.fd, VIDIOC_QUERYBUF, &vb) ||
		    (vb.flags & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE)))
			fail("streamoff", "an OUTPUT buffer still queued");
	}
	sl_close(&a);

	/* 4: close with 4 held. */
	if (sl_open_fmt(&b, V4L2_PIX_FMT_VP9_FRAME, 128, 128) || sl_start(&b) ||
	    hold_four(&b))
		return 2;
	t0 = sl_now();
	sl_close(&b);
	t = sl_now() - t0;
	printf("depth_check: close: close with %d jobs held took %.3f s\n", DEPTH, t);
	if (t >= 1.0)
		fail("close", "close took 1 s or more");

	/* 5: the daemon dies with 4 held. */
	if (sl_open_fmt(&c, V4L2_PIX_FMT_VP9_FRAME, 128, 128) || sl_start(&c) ||
	    hold_four(&c))
		return 2;
	t0 = sl_now();
	if (kill(daemon, SIGKILL)) {
		perror("depth_check: kill");
		return 2;
	}
	expect_back(&c, "detach", DEPTH, 1000, all_err, 0, 1);
	t = sl_now() - t0;
	printf("depth_check: detach: %d ERROR buffers back %.3f s after the kill\n",
	       DEPTH, t);
	if (t >= 1.0)
		fail("detach", "buffers back 1 s or more after the kill");
	sl_close(&c);
	return failed;
}

static int h264(void)
{
	static const int done[2] = { 0, 0 };
	static const int one_err[1] = { 1 };
	struct sl_ctx a;
	int jobs;

	if (sl_open(&a, 128, 128) || sl_start(&a))
		return 2;
	/* 6: one job at a time: the second waits while the first is held. */
	if (hold_queue(&a, 0, hold_log))
		return 2;
	jobs = log_count(hold_log, "job seq");
	if (sl_queue(&a, 1, "a frame", NULL))
		return 2;
	usleep(1500000);
	printf("depth_check: h264: %d more job(s) sent while one was held\n",
	       log_count(hold_log, "job seq") - jobs);
	if (log_count(hold_log, "job seq") != jobs)
		fail("h264", "a second H.264 job was sent while one was in flight");
	if (sl_streamoff(&a))
		return 2;
	/* the held job's buffers; the second never became a job */
	expect_back(&a, "h264 streamoff", 1, 1000, one_err, 0, 0);
	sl_close(&a);

	if (sl_open(&a, 128, 128) || sl_start(&a))
		return 2;
	if (sl_queue(&a, 0, "a frame", NULL) || sl_queue(&a, 1, "a frame", NULL))
		return 2;
	expect_back(&a, "h264", 2, 10000, done, 0, 1);
	sl_close(&a);
	return failed;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "vp9")) {
		hold_log = argv[2];
		return vp9(atoi(argv[3]));
	}
	if (argc == 3 && !strcmp(argv[1], "h264")) {
		hold_log = argv[2];
		return h264();
	}
	fprintf(stderr, "usage: depth_check vp9 HOLDLOG DAEMON_PID | h264 HOLDLOG\n");
	return 2;
}
