// SPDX-License-Identifier: BSD-2-Clause
/*
 * REQBUFS(0) on OUTPUT while a request's buffer is queued before STREAMON
 * (guest test 49): vb2 cancels that buffer and its request must complete;
 * then the same with a buffer in a request never queued, its fd closed (the
 * cancel frees the request).
 * Before it, the three lock orders a deadlock would need are taken in this
 * process: mmap() of a buffer (mm lock -> queue mmap_lock), G_EXT_CTRLS of a
 * compound control (control handler lock -> mm lock, copying to user) and
 * the cancel itself (-> control handler lock).  On a lockdep kernel the
 * test then looks for lockdep's report.
 */
#include "slclient.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/media.h>

static int fail(const char *what)
{
	fprintf(stderr, "lock_order: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	struct v4l2_requestbuffers rb;
	struct v4l2_ctrl_h264_sps sps;
	struct v4l2_buffer b;
	struct v4l2_plane p;
	struct pollfd pfd;
	struct sl_ctx c;
	int req;

	if (sl_open(&c, 176, 144))
		return fail("open");
	memset(&rb, 0, sizeof(rb));
	rb.count = 1;
	rb.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	rb.memory = V4L2_MEMORY_MMAP;
	if (ioctl(c.fd, VIDIOC_REQBUFS, &rb) || rb.count != 1)
		return fail("REQBUFS OUTPUT 1");
	memset(&b, 0, sizeof(b));
	memset(&p, 0, sizeof(p));
	b.type = rb.type;
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = &p;
	b.length = 1;
	if (ioctl(c.fd, VIDIOC_QUERYBUF, &b))
		return fail("QUERYBUF");
	c.out_len[0] = p.length;
	c.out_map[0] = mmap(NULL, p.length, PROT_READ | PROT_WRITE, MAP_SHARED,
			    c.fd, p.m.mem_offset);
	if (c.out_map[0] == MAP_FAILED)
		return fail("mmap");
	if (sl_sps_cur(&c, VIDIOC_G_EXT_CTRLS, &sps))
		return fail("G_EXT_CTRLS SPS");
	if (ioctl(c.media, MEDIA_IOC_REQUEST_ALLOC, &c.req[0]))
		return fail("REQUEST_ALLOC");
	if (sl_queue(&c, 0, "\0\0\1\x65", NULL))
		return fail("queue a request (no STREAMON)");
	rb.count = 0;
	if (ioctl(c.fd, VIDIOC_REQBUFS, &rb))
		return fail("REQBUFS OUTPUT 0");
	pfd.fd = c.req[0];
	pfd.events = POLLPRI;
	if (poll(&pfd, 1, 1000) != 1) {
		fprintf(stderr, "lock_order: the request did not complete within 1 s of REQBUFS(0)\n");
		return 1;
	}
	printf("lock_order: REQBUFS(0) cancelled the queued request, which completed\n");

	/* a buffer in a request never queued, whose fd is closed: freed at REQBUFS */
	rb.count = 1;
	if (ioctl(c.fd, VIDIOC_REQBUFS, &rb) || rb.count != 1)
		return fail("REQBUFS OUTPUT 1 (again)");
	if (ioctl(c.media, MEDIA_IOC_REQUEST_ALLOC, &req))
		return fail("REQUEST_ALLOC (again)");
	memset(&p, 0, sizeof(p));
	p.bytesused = 4;
	b.index = 0;
	b.flags = V4L2_BUF_FLAG_REQUEST_FD;
	b.request_fd = req;
	if (ioctl(c.fd, VIDIOC_QBUF, &b))
		return fail("QBUF into a request");
	close(req);
	rb.count = 0;
	if (ioctl(c.fd, VIDIOC_REQBUFS, &rb))
		return fail("REQBUFS OUTPUT 0 (buffer in an unqueued request)");
	sl_close(&c);
	printf("lock_order: REQBUFS(0) freed a buffer of an unqueued, closed request\n");
	return 0;
}
