// SPDX-License-Identifier: BSD-2-Clause
/*
 * fail_jobs: one job failing each way the kernel fails a job, in this
 * order, so that a test can check what the kernel reported for each:
 *
 *   1. timed out in the daemon (the watchdog)      -> CAPTURE ERROR
 *   2. held by the daemon, then STREAMOFF (abort)
 *   3. held by the daemon, then close
 *   4. held by the daemon, then the daemon killed   -> CAPTURE ERROR
 *   5. queued with no daemon attached, then close
 *
 *   fail_jobs HOLDLOG DAEMON_PID
 *
 * Run against tools/hostile_daemon -m hold (its log is HOLDLOG, its pid
 * DAEMON_PID, which step 4 kills), which never answers a job whose
 * bitstream starts with "HOLD"; job_timeout_ms should be a few seconds
 * and attach_timeout_ms longer than step 5's 0.3 s.
 * Exit 0 = every step done, 1 = a step did not go as expected, 2 = setup.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "holdlog.h"
#include "slclient.h"

static const char *hold_log;

/* The CAPTURE buffer must come back within 20 s, marked ERROR. */
static int expect_error(struct sl_ctx *c, const char *step)
{
	struct v4l2_buffer b;

	if (sl_dequeue_cap(c, 20000, &b)) {
		fprintf(stderr, "fail_jobs: %s: no CAPTURE buffer back\n", step);
		return 1;
	}
	if (!(b.flags & V4L2_BUF_FLAG_ERROR)) {
		fprintf(stderr, "fail_jobs: %s: CAPTURE buffer not ERROR\n", step);
		return 1;
	}
	printf("fail_jobs: %s: CAPTURE buffer back with ERROR\n", step);
	return 0;
}

int main(int argc, char **argv)
{
	struct sl_ctx a, b, c;
	pid_t daemon;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: fail_jobs HOLDLOG DAEMON_PID\n");
		return 2;
	}
	hold_log = argv[1];
	daemon = atoi(argv[2]);

	/* 1: the watchdog fails what the daemon holds. */
	if (sl_open(&a, 128, 128) || sl_start(&a) || hold_queue(&a, 0, hold_log))
		return 2;
	r = expect_error(&a, "timeout");
	if (r)
		return r;

	/* 2: STREAMOFF fails the held job (job_abort). */
	if (hold_queue(&a, 1, hold_log) || sl_streamoff(&a))
		return 2;
	sl_close(&a);
	printf("fail_jobs: abort: STREAMOFF and close done\n");

	/* 3: close fails the held job. */
	if (sl_open(&b, 128, 128) || sl_start(&b) || hold_queue(&b, 0, hold_log))
		return 2;
	sl_close(&b);
	printf("fail_jobs: close: done\n");

	/* 4: the daemon dies holding the job. */
	if (sl_open(&c, 128, 128) || sl_start(&c) || hold_queue(&c, 0, hold_log))
		return 2;
	if (kill(daemon, SIGKILL)) {
		perror("fail_jobs: kill");
		return 2;
	}
	r = expect_error(&c, "detach");
	if (r)
		return r;

	/* 5: no daemon: the job waits for one; close fails it. */
	if (sl_queue(&c, 1, "queued frame", NULL))
		return 2;
	usleep(300000);
	sl_close(&c);
	printf("fail_jobs: close while queued: done\n");
	return 0;
}
