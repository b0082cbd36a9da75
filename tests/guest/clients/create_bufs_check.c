// SPDX-License-Identifier: BSD-2-Clause
/*
 * create_bufs_check: VIDIOC_CREATE_BUFS asking for one buffer of
 * 0xfffff000 bytes (more than the guest's memory) on each queue must be
 * refused with EINVAL by the driver, not passed on to vmalloc (which
 * fails with ENOMEM after a "vmalloc error ... exceeds total pages"
 * warning and a stack dump in the kernel log).  Found by
 * tools/hostile_client.c.  Exit 0 = refused with EINVAL, 1 = not.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "slclient.h"

int main(void)
{
	static const unsigned int types[] = {
		V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
	};
	struct v4l2_create_buffers cb;
	struct sl_ctx c;
	unsigned int i;
	int r, rc = 0;

	if (sl_open(&c, 128, 128))
		return 2;
	for (i = 0; i < 2; i++) {
		memset(&cb, 0, sizeof(cb));
		cb.count = 1;
		cb.memory = V4L2_MEMORY_MMAP;
		cb.format.type = types[i];
		if (ioctl(c.fd, VIDIOC_G_FMT, &cb.format))
			return 2;
		cb.format.fmt.pix_mp.plane_fmt[0].sizeimage = 0xfffff000;
		r = ioctl(c.fd, VIDIOC_CREATE_BUFS, &cb);
		printf("create_bufs_check: %s: CREATE_BUFS of 0xfffff000 bytes: %s\n",
		       i ? "CAPTURE" : "OUTPUT", r ? strerror(errno) : "created");
		if (!(r < 0 && errno == EINVAL))
			rc = 1;
	}
	sl_close(&c);
	return rc;
}
