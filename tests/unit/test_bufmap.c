/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dma-buf mapping cache, with memfds as fake dma-bufs: one mapping
 * per id, references, forget while referenced, and every fd consumed on
 * every path (success, cached, and each error).
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

	/* First sight maps; the fd is closed either way. */
	a = dd_bufmap_cache_get(cache, 1, fx_memfd(8192, 0x11), 8192, 1);
	CHECK(a != NULL);
	CHECK_EQ(fx_count_fds(), base);
	CHECK_EQ(dd_bufmap_length(a), 8192);
	data = dd_bufmap_data(a);
	CHECK_EQ(data[0], 0x11);
	CHECK_EQ(data[8191], 0x11);
	data[100] = 0x42;

	/* Same id again: the cached mapping, the new fd only closed. */
	b = dd_bufmap_cache_get(cache, 1, fx_memfd(8192, 0x22), 8192, 1);
	CHECK(b == a);
	CHECK_EQ(dd_bufmap_data(b)[0], 0x11);
	CHECK_EQ(dd_bufmap_data(b)[100], 0x42);
	CHECK_EQ(fx_count_fds(), base);
	/* A smaller length is fine, a larger one or a write to a read-only one is not. */
	c = dd_bufmap_cache_get(cache, 1, fx_memfd(4096, 0), 4096, 0);
	CHECK(c == a);
	dd_bufmap_unref(c);
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 1, fx_memfd(16384, 0), 16384, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(fx_count_fds(), base);

	ro = dd_bufmap_cache_get(cache, 2, fx_memfd(4096, 0x33), 4096, 0);
	CHECK(ro != NULL);
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 2, fx_memfd(4096, 0), 4096, 1) == NULL);
	CHECK_EQ(errno, EACCES);
	CHECK_EQ(fx_count_fds(), base);

	/* Forget while referenced (twice: a and b): memory stays until the last unref. */
	dd_bufmap_cache_forget(cache, 1);
	CHECK(is_mapped(data));
	CHECK_EQ(data[100], 0x42);
	data[0] = 0x55;
	dd_bufmap_unref(b);
	CHECK(is_mapped(data));
	dd_bufmap_unref(a);
	CHECK(!is_mapped(data));
	dd_bufmap_cache_forget(cache, 1);	/* twice, or unknown: harmless */
	dd_bufmap_cache_forget(cache, 999);

	/* The id is new again: the next fd is mapped. */
	a = dd_bufmap_cache_get(cache, 1, fx_memfd(4096, 0x66), 4096, 1);
	CHECK(a != NULL);
	CHECK_EQ(dd_bufmap_data(a)[0], 0x66);
	CHECK_EQ(fx_count_fds(), base);

	/* Errors still consume the fd. */
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 0, fx_memfd(4096, 0), 4096, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(dd_bufmap_cache_get(cache, 3, fx_memfd(4096, 0), 0, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(fx_count_fds(), base);
	errno = 0;
	CHECK(dd_bufmap_cache_get(cache, 3, -1, 4096, 1) == NULL);
	CHECK_EQ(errno, EBADF);
	{
		int p[2];

		CHECK_EQ(pipe(p), 0);
		close(p[1]);
		errno = 0;
		CHECK(dd_bufmap_cache_get(cache, 4, p[0], 4096, 0) == NULL);
		CHECK(errno != 0);
		CHECK_EQ(fx_count_fds(), base);
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
	CHECK_EQ(fx_count_fds(), base);
	/* ... and the failed id was not cached. */
	c = dd_bufmap_cache_get(cache, 5, fx_memfd(4096, 0x77), 4096, 1);
	CHECK(c != NULL);
	CHECK_EQ(dd_bufmap_data(c)[4095], 0x77);
	dd_bufmap_unref(c);

	/* Freeing the cache keeps referenced mappings alive. */
	data = dd_bufmap_data(a);
	dd_bufmap_cache_free(cache);
	CHECK(is_mapped(data));
	CHECK_EQ(data[0], 0x66);
	dd_bufmap_unref(a);
	CHECK(!is_mapped(data));
	dd_bufmap_unref(ro);
	CHECK_EQ(fx_count_fds(), base);
	return dd_test_result("test_bufmap");
}
