/* SPDX-License-Identifier: BSD-2-Clause */
/* dd_device_attach() errors as main() sees them, and no fd left behind. */
#include <errno.h>

#include "dd_test.h"
#include "device.h"
#include "fixture.h"

int main(void)
{
	int base = fx_count_fds(), fd = -1;
	uint32_t kver = 0;

	CHECK_EQ(dd_device_attach("/nonexistent/daedalus-v4l2", 2, &fd, &kver), -ENOENT);
	/* Not our device: HELLO is not understood, the fd is closed again. */
	CHECK_EQ(dd_device_attach("/dev/null", 2, &fd, &kver), -ENOTTY);
	CHECK_EQ(fd, -1);
	CHECK_EQ(fx_count_fds(), base);
	return dd_test_result("test_device");
}
