/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dma-bufs the kernel hands over, and their mappings, by buffer id.
 *
 * The kernel installs a buffer's fd once per attachment, with the first
 * job that names it; later jobs name only the id.  The cache keeps the fd
 * until the kernel says the buffer is gone (DAEDALUS_MSG_BUF_GONE), and
 * maps it the first time a job needs it (again on the next job if that
 * failed).  A mapping is reference counted: the cache holds one reference
 * until BUF_GONE, backends hold more while they use a picture as a
 * reference.  The memory stays valid while the mapping exists, even after
 * the client freed the buffer: the mapping keeps the fd from then on.
 *
 * The CPU reads and writes a mapping only between dd_bufmap_sync() calls
 * (DMA_BUF_IOCTL_SYNC): an exporter whose memory is not coherent with the
 * CPU's caches (a display or GPU buffer the client imported, arm64 without
 * coherent DMA) gets them cleaned and invalidated there.
 */
#ifndef DAEDALUS_BUFMAP_H
#define DAEDALUS_BUFMAP_H

#include <stddef.h>
#include <stdint.h>

struct dd_bufmap;
struct dd_bufmap_cache;

struct dd_bufmap_cache *dd_bufmap_cache_new(void);
/* Closes the fds, drops the cache's references; referenced mappings live on. */
void dd_bufmap_cache_free(struct dd_bufmap_cache *cache);

/*
 * Buffer @id's fd, handed over: the cache keeps it.  Always consumes @fd:
 * it is closed if @id is 0 or already known (the kernel sends a buffer's
 * fd once; a second one adds nothing).  0 or a negative errno.
 */
int dd_bufmap_cache_add(struct dd_bufmap_cache *cache, uint64_t id, int fd);
/*
 * Returns the mapping of buffer @id with a reference for the caller,
 * mapping its fd (length @length, @writable or read-only) on first use.
 * @fd >= 0 is added first (dd_bufmap_cache_add()), -1 means the cache has
 * @id already.  NULL on failure (errno set; ENOENT: @id never handed over).
 */
struct dd_bufmap *dd_bufmap_cache_get(struct dd_bufmap_cache *cache,
				      uint64_t id, int fd, size_t length,
				      int writable);
/* Buffer @id's mapping with a reference for the caller, or NULL if not mapped. */
struct dd_bufmap *dd_bufmap_cache_find(struct dd_bufmap_cache *cache,
				       uint64_t id);
/* The kernel freed buffer @id: close its fd, drop the cache's reference. */
void dd_bufmap_cache_forget(struct dd_bufmap_cache *cache, uint64_t id);

uint8_t *dd_bufmap_data(const struct dd_bufmap *map);
size_t dd_bufmap_length(const struct dd_bufmap *map);

/*
 * DMA_BUF_IOCTL_SYNC: the CPU's access begins (@end 0) or ends (1), to
 * read, or to @write (and read).  0, or a negative errno.  An fd that is
 * not a dma-buf (memfds standing in: daedalus-replay, tests) has nothing
 * to sync: 0.
 */
int dd_bufmap_sync(struct dd_bufmap *map, int end, int write);

void dd_bufmap_ref(struct dd_bufmap *map);
void dd_bufmap_unref(struct dd_bufmap *map);

#endif /* DAEDALUS_BUFMAP_H */
