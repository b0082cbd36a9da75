/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daedalus_proto.h"
#include "device.h"

int dd_device_attach(const char *path, uint32_t codecs, int *fd,
		     uint32_t *kernel_version)
{
	struct daedalus_hello hello;
	int dev, ret;

	dev = open(path, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;

	memset(&hello, 0, sizeof(hello));
	hello.version = DAEDALUS_PROTO_VERSION;
	hello.codecs = codecs;
	if (ioctl(dev, DAEDALUS_IOC_HELLO, &hello) < 0) {
		ret = -errno;
		if (ret == -EPROTO && kernel_version)
			*kernel_version = hello.version;
		close(dev);
		return ret;
	}
	*fd = dev;
	return 0;
}
