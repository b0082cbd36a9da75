/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_device_attach() errors as main() sees them, and no fd left behind;
 * fetch and commit go through the device's ioctl, nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dd_test.h"
#include "device.h"
#include "fixture.h"

int main(void)
{
	int base = fx_count_fds(), fd = -1;
	uint32_t kver = 0;

	CHECK_EQ(dd_device_attach("/nonexistent/daedalus-v4l2", 2, NULL, NULL, &fd, &kver), -ENOENT);
	/* Not our device: HELLO is not understood, the fd is closed again. */
	CHECK_EQ(dd_device_attach("/dev/null", 2, NULL, NULL, &fd, &kver), -ENOTTY);
	CHECK_EQ(fd, -1);
	CHECK_EQ(fx_count_fds(), base);

	/* Not our device: the ioctl is refused, never a read() or write(). */
	{
		static union {
			struct daedalus_job job;
			uint8_t bytes[DAEDALUS_READ_SIZE];
		} rec;
		struct daedalus_result res = { 0 };
		int null = open("/dev/zero", O_RDWR | O_CLOEXEC);

		CHECK(null >= 0);
		CHECK_EQ(dd_device_fetch(null, &rec, sizeof(rec)), -ENOTTY);
		CHECK_EQ(rec.job.hdr.magic, 0);
		CHECK_EQ(dd_device_commit(null, &res), -ENOTTY);
		close(null);
	}
	return dd_test_result("test_device");
}
