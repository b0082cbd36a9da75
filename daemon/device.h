/* SPDX-License-Identifier: BSD-2-Clause */
/* Attaching to /dev/daedalus-v4l2: open it and say HELLO. */
#ifndef DAEDALUS_DEVICE_H
#define DAEDALUS_DEVICE_H

#include <stdint.h>

/*
 * One attempt: opens @path and calls DAEDALUS_IOC_HELLO announcing
 * @codecs.  Returns 0 with *fd set, or a negative errno:
 *   -EBUSY   another daemon is attached (worth retrying shortly);
 *   -EPROTO  the kernel speaks another protocol, *kernel_version set;
 *   others   from open() or ioctl().
 */
int dd_device_attach(const char *path, uint32_t codecs, int *fd,
		     uint32_t *kernel_version);

#endif /* DAEDALUS_DEVICE_H */
