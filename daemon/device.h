/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Attaching to /dev/daedalus-v4l2 (open it and say HELLO), and talking to
 * it: DAEDALUS_IOC_FETCH, which only the process that said HELLO may call.
 */
#ifndef DAEDALUS_DEVICE_H
#define DAEDALUS_DEVICE_H

#include <stdint.h>
#include <sys/types.h>

#include "daedalus_proto.h"

/*
 * One attempt: opens @path and calls DAEDALUS_IOC_HELLO announcing
 * @codecs, the stream codecs *@sf_codecs for the stateful node (none if
 * @sf_codecs is NULL) and asking for *@depth jobs of one context in
 * flight (1 if @depth is NULL).  Returns 0 with *fd set, *@depth the depth
 * the kernel granted (1..DAEDALUS_MAX_DEPTH) and *@sf_codecs the stream
 * codecs it offers, or a negative errno:
 *   -EBUSY   another daemon is attached (worth retrying shortly);
 *   -EPROTO  the kernel speaks another protocol, *kernel_version set;
 *   others   from open() or ioctl().
 */
int dd_device_attach(const char *path, uint32_t codecs, uint32_t *sf_codecs,
		     uint32_t *depth, int *fd, uint32_t *kernel_version);

/*
 * Fetches one record into @buf (@size bytes, at least DAEDALUS_READ_SIZE),
 * waiting for one.  Its length, or a negative errno.
 */
ssize_t dd_device_fetch(int fd, void *buf, size_t size);

/* Commits one answer.  0, or a negative errno (EINVAL: refused). */
int dd_device_commit(int fd, const struct daedalus_result *res);

/*
 * Commits @num stateful answers in order.  The kernel stops at a refused
 * one: the rest are committed after it all the same.  The number refused,
 * or a negative errno other than EINVAL.
 */
int dd_device_sf_commit(int fd, const struct daedalus_sf_answer *answers,
			unsigned int num);

#endif /* DAEDALUS_DEVICE_H */
