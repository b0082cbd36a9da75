/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dma-buf cache, with memfds as fake dma-bufs: an fd kept per id
 * until forget (or the cache's end; the mapping keeps it while referenced),
 * one mapping per id, references,
 * forget while referenced, a second fd for an id closed, and errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bufmap.h"
#include "dd_test.h"
#include "fixture.h"

static int is_mapped(void *addr)
{
	return msync(addr, 4096, MS_ASYNC) == 0;
}

int main(void)
{
	int base = fx_count_fds();
	struct dd_bufmap_cache *cache = dd_bufmap_cache_new();
	struct dd_bufmap *a, *b, *c, *ro;
	char path[64];
	uint8_t *data;
	int fd, rofd;

	CHECK(cache != NULL);

	/* First sight keeps the fd and maps it. */
	fd = fx_memfd(8192, 0x11);
	a = dd_bufmap_cache_get(cache, 1, fd, 8192, 1);
	CHECK(a != NULL);
	CHECK(fcntl(fd, F_GETFD) != -1);
	CHECK_EQ(fx_count_fds(), base + 1);
	CHECK_EQ(dd_bufmap_length(a), 8192);
	data = dd_bufmap_data(a);
	CHECK_EQ(data[0], 0x11);
	CHECK_EQ(data[8191], 0x11);
	data[100] = 0x42;

	/* By id alone: the cached mapping.  A second fd for it is only closed. */
	b = dd_bufmap_cache_get(cache, 1, -1, 8192, 1);
	CHECK(b == a);
	dd_bufmap_unref(b);
	b = dd_bufmap_cache_get(cache, 1, fx_memfd(8192, 0x22), 8192, 1);
	CHECK(b == a);
	CHECK_EQ(dd_bufmap_data(b)[0], 0x11);
	CHECK_EQ(dd_bufmap_data(b)[100], 0x42);
	CHECK_EQ(fx_count_fds(), base + 1);
	CHECK_EQ(dd_bufmap_cache_add(cache, 1, fx_memfd(4096, 0)), -EEXIST);
	CHECK_EQ(fx_count_fds(), base + 1);
	/* A smaller length is fine, a larger one or a write to a read-only one is not. */
	c = dd_bufmap_cache_get(cache, 1, -1, 4096, 0);
	CHECK(c == a);
	dd_bufmap_unref(c);
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 1, -1, 16384, 1) == NULL);
	CHECK_EQ(errno, EINVAL);

	ro = dd_bufmap_cache_get(cache, 2, fx_memfd(4096, 0x33), 4096, 0);
	CHECK(ro != NULL);
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 2, -1, 4096, 1) == NULL);
	CHECK_EQ(errno, EACCES);
	CHECK_EQ(fx_count_fds(), base + 2);

	/* An id never handed over. */
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 3, -1, 4096, 1) == NULL);
	CHECK_EQ(errno, ENOENT);

	/* Forget while referenced (twice: a and b): memory stays until the last unref. */
	dd_bufmap_cache_forget(cache, 1);
	/* The mapping keeps the fd: DMA_BUF_IOCTL_SYNC while a backend reads it. */
	CHECK(fcntl(fd, F_GETFD) != -1);
	CHECK(is_mapped(data));
	CHECK_EQ(data[100], 0x42);
	data[0] = 0x55;
	dd_bufmap_unref(b);
	CHECK(is_mapped(data));
	dd_bufmap_unref(a);
	CHECK(!is_mapped(data));
	CHECK(fcntl(fd, F_GETFD) == -1);	/* closed with the mapping */
	dd_bufmap_cache_forget(cache, 1);	/* twice, or unknown: harmless */
	dd_bufmap_cache_forget(cache, 999);
	CHECK_EQ(fx_count_fds(), base + 1);

	/* The id is new again: the next fd is kept and mapped. */
	a = dd_bufmap_cache_get(cache, 1, fx_memfd(4096, 0x66), 4096, 1);
	CHECK(a != NULL);
	CHECK_EQ(dd_bufmap_data(a)[0], 0x66);
	CHECK_EQ(fx_count_fds(), base + 2);

	/* Errors: id 0 and a length of 0; an fd given with id 0 is closed. */
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 0, fx_memfd(4096, 0), 4096, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(fx_count_fds(), base + 2);
	CHECK(dd_bufmap_cache_get(cache, 3, fx_memfd(4096, 0), 0, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(fx_count_fds(), base + 3);	/* id 3 is kept */
	dd_bufmap_cache_forget(cache, 3);
	CHECK_EQ(dd_bufmap_cache_add(cache, 3, -1), -EBADF);
	{
		int p[2];

		/* Not mappable: kept (the kernel sends it once), NULL each time. */
		CHECK_EQ(pipe(p), 0);
		close(p[1]);
		errno = 0;
		CHECK(dd_bufmap_cache_get(cache, 4, p[0], 4096, 0) == NULL);
		CHECK(errno != 0);
		CHECK(dd_bufmap_cache_get(cache, 4, -1, 4096, 0) == NULL);
		CHECK_EQ(fx_count_fds(), base + 3);
		dd_bufmap_cache_forget(cache, 4);
		CHECK_EQ(fx_count_fds(), base + 2);
	}
	/* A read-only fd cannot be mapped writable (a dma-buf opened O_RDONLY). */
	fd = fx_memfd(4096, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rofd = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	CHECK(rofd >= 0);
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 5, rofd, 4096, 1) == NULL);
	CHECK_EQ(errno, EACCES);
	/* ... but it is kept and maps read-only. */
	c = dd_bufmap_cache_get(cache, 5, -1, 4096, 0);
	CHECK(c != NULL);
	dd_bufmap_unref(c);
	CHECK_EQ(fx_count_fds(), base + 3);

	/*
	 * Freeing the cache closes its fds, keeps referenced mappings alive
	 * with theirs (a and ro).
	 */
	data = dd_bufmap_data(a);
	dd_bufmap_cache_free(cache);
	CHECK_EQ(fx_count_fds(), base + 2);
	CHECK(is_mapped(data));
	CHECK_EQ(data[0], 0x66);
	dd_bufmap_unref(a);
	CHECK(!is_mapped(data));
	CHECK_EQ(fx_count_fds(), base + 1);
	dd_bufmap_unref(ro);
	CHECK_EQ(fx_count_fds(), base);
	return dd_test_result("test_bufmap");
}
