/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daedalus_proto.h"
#include "device.h"

int dd_device_attach(const char *path, uint32_t codecs, uint32_t *sf_codecs,
		     uint32_t *depth, int *fd, uint32_t *kernel_version)
{
	struct daedalus_hello hello;
	int dev, ret;

	dev = open(path, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;

	memset(&hello, 0, sizeof(hello));
	hello.version = DAEDALUS_PROTO_VERSION;
	hello.codecs = codecs;
	hello.depth = depth ? *depth : 1;
	hello.sf_codecs = sf_codecs ? *sf_codecs : 0;
	if (ioctl(dev, DAEDALUS_IOC_HELLO, &hello) < 0) {
		ret = -errno;
		if (ret == -EPROTO && kernel_version)
			*kernel_version = hello.version;
		close(dev);
		return ret;
	}
	if (depth)
		*depth = hello.depth;
	if (sf_codecs)
		*sf_codecs = hello.sf_codecs;
	*fd = dev;
	return 0;
}

static long fetch_ioctl(int fd, struct daedalus_fetch *arg)
{
	long ret;

	do {
		ret = ioctl(fd, DAEDALUS_IOC_FETCH, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

ssize_t dd_device_fetch(int fd, void *buf, size_t size)
{
	struct daedalus_fetch arg;

	memset(&arg, 0, sizeof(arg));
	arg.record = (uintptr_t)buf;
	arg.record_size = (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size);
	return fetch_ioctl(fd, &arg);
}

int dd_device_commit(int fd, const struct daedalus_result *res)
{
	struct daedalus_fetch arg;

	memset(&arg, 0, sizeof(arg));
	arg.results = (uintptr_t)res;
	arg.num_results = 1;
	return (int)fetch_ioctl(fd, &arg);
}

int dd_device_sf_commit(int fd, const struct daedalus_sf_answer *answers,
			unsigned int num)
{
	int refused = 0;

	while (num) {
		struct daedalus_sf_commit arg;
		int ret;

		memset(&arg, 0, sizeof(arg));
		arg.answers = (uintptr_t)answers;
		arg.num = num;
		do {
			ret = ioctl(fd, DAEDALUS_IOC_SF_COMMIT, &arg);
		} while (ret < 0 && errno == EINTR);
		if (!ret)
			break;
		if (errno != EINVAL || arg.taken >= num)
			return -errno;
		/* Answer arg.taken was refused: go on after it. */
		refused++;
		answers += arg.taken + 1;
		num -= arg.taken + 1;
	}
	return refused;
}
