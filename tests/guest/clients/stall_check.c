// SPDX-License-Identifier: BSD-2-Clause
/*
 * stall_check: one client's STREAMOFF or close must not stall another.
 *
 *   stall_check HOLDLOG [MAX_MS]
 *
 * Run against tools/hostile_daemon -m hold (its log is HOLDLOG), which never
 * answers a job whose bitstream starts with "HOLD" and answers the others.
 * Two rounds: client A queues a "HOLD" frame, and once the daemon holds it
 * A does STREAMOFF then close (round 1) or close alone (round 2) while
 * client B keeps decoding.  Every QBUF / MEDIA_REQUEST_IOC_QUEUE of B, every
 * B frame (queue to DQBUF) and A's STREAMOFF and close must take less than
 * MAX_MS (default 100) in one of three attempts per round (a stall comes
 * back every time; a slow moment of the emulated guest does not).
 * B also checks that each CAPTURE buffer's bytesused is the daemon's.
 * Exit 0 = pass, 1 = fail, 2 = setup error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "holdlog.h"
#include "slclient.h"

static struct sl_ctx a;
static unsigned int cap_payload;	/* what the hold daemon answers */
static double a_streamoff, a_close;
static int a_round;
static volatile int a_done;

static void *a_action(void *arg)
{
	double t;
	unsigned int i;

	(void)arg;
	if (a_round == 1) {
		t = sl_now();
		sl_streamoff(&a);
		a_streamoff = sl_now() - t;
	}
	/* mappings and requests hold the file: drop them, then close it */
	for (i = 0; i < SL_BUFS; i++) {
		munmap(a.out_map[i], a.out_len[i]);
		a.out_map[i] = NULL;
		close(a.req[i]);
		a.req[i] = -1;
	}
	close(a.media);
	a.media = -1;
	t = sl_now();
	close(a.fd);
	a_close = sl_now() - t;
	a.fd = -1;
	a_done = 1;
	return NULL;
}

/* One attempt of round @round against B: 0 = no wait over @max_ms. */
static int run_round(struct sl_ctx *b, const char *log, int round,
		     double max_ms)
{
	double qmax = 0, lmax = 0, t_end = 0;
	unsigned int n = 0;
	pthread_t th;
	int started = 0, w;

	if (sl_open(&a, 128, 128) || sl_start(&a) || hold_queue(&a, 0, log))
		return 2;
	a_round = round;
	a_done = 0;
	for (;;) {
		struct v4l2_buffer cap, out;
		double q, t0;

		if (n == 3) {
			pthread_create(&th, NULL, a_action, NULL);
			started = 1;
		}
		if (a_done && !t_end)
			t_end = sl_now() + 0.3;
		if (t_end && sl_now() > t_end && n > 10)
			break;
		if (n > 2000) {
			fprintf(stderr, "stall_check: A's action never ended\n");
			return 2;
		}
		t0 = sl_now();
		if (sl_queue(b, n % SL_BUFS, "frame", &q))
			return 2;
		if (sl_dequeue_cap(b, 5000, &cap)) {
			fprintf(stderr, "stall_check: B got no frame in 5 s\n");
			return 2;
		}
		if (cap.m.planes[0].bytesused != cap_payload) {
			fprintf(stderr, "stall_check: CAPTURE bytesused %u, the daemon said %u\n",
				cap.m.planes[0].bytesused, cap_payload);
			return 2;
		}
		if (sl_now() - t0 > lmax)
			lmax = sl_now() - t0;
		if (q > qmax)
			qmax = q;
		while (sl_dequeue_out(b, &out) == 0)
			;
		if (sl_requeue_cap(b, cap.index))
			return 2;
		n++;
	}
	if (started)
		pthread_join(th, NULL);
	printf("stall_check: round %d (%s): B %u frames, slowest request set-up/queue %.1f ms, slowest frame %.1f ms; A STREAMOFF %.1f ms, close %.1f ms\n",
	       round, round == 1 ? "STREAMOFF + close" : "close",
	       n, qmax * 1e3, lmax * 1e3, a_streamoff * 1e3, a_close * 1e3);
	w = qmax * 1e3 > max_ms || lmax * 1e3 > max_ms ||
	    a_streamoff * 1e3 > max_ms || a_close * 1e3 > max_ms;
	a_streamoff = a_close = 0;
	return w;
}

int main(int argc, char **argv)
{
	struct v4l2_format f;
	struct sl_ctx b;
	double max_ms = argc > 2 ? atof(argv[2]) : 100;
	int fail = 0, round, attempt, r = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: stall_check HOLDLOG [MAX_MS]\n");
		return 2;
	}
	if (sl_open(&b, 128, 128) || sl_start(&b))
		return 2;
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	if (ioctl(b.fd, VIDIOC_G_FMT, &f))
		return 2;
	cap_payload = f.fmt.pix_mp.plane_fmt[0].bytesperline *
		      f.fmt.pix_mp.height * 3 / 2;
	/*
	 * A stall lasts job_timeout_ms every time; the guest (TCG, shared
	 * cores) can be slow for 100 ms now and then: three attempts.
	 */
	for (round = 1; round <= 2; round++) {
		for (attempt = 1; attempt <= 3; attempt++) {
			r = run_round(&b, argv[1], round, max_ms);
			if (r != 1)
				break;
			printf("stall_check: round %d attempt %d: a wait over %.0f ms\n",
			       round, attempt, max_ms);
		}
		if (r == 2)
			return 2;
		fail |= r;
	}
	printf("stall_check: %s\n", fail ? "FAIL" : "pass");
	sl_close(&b);
	return fail;
}
