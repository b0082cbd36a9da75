/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mappings of the dma-bufs the kernel hands over, cached by buffer id.
 *
 * The kernel installs a fresh dma-buf fd for every job; the first time a
 * buffer id is seen it is mapped, later fds for it are just closed.  A
 * mapping is reference counted: the cache holds one reference until the
 * kernel says the buffer is gone (DAEDALUS_MSG_BUF_GONE), backends hold
 * more while they use a picture as a reference.  The memory stays valid
 * while the mapping exists, even after the client freed the buffer.
 */
#ifndef DAEDALUS_BUFMAP_H
#define DAEDALUS_BUFMAP_H

#include <stddef.h>
#include <stdint.h>

struct dd_bufmap;
struct dd_bufmap_cache;

struct dd_bufmap_cache *dd_bufmap_cache_new(void);
/* Drops the cache's references; mappings still referenced live on. */
void dd_bufmap_cache_free(struct dd_bufmap_cache *cache);

/*
 * Returns the mapping of buffer @id with a reference for the caller,
 * mapping @fd (length @length, @writable or read-only) if @id is new.
 * Always consumes @fd (closes it).  NULL on failure (errno set).
 */
struct dd_bufmap *dd_bufmap_cache_get(struct dd_bufmap_cache *cache,
				      uint64_t id, int fd, size_t length,
				      int writable);
/* The kernel freed buffer @id: drop the cache's reference. */
void dd_bufmap_cache_forget(struct dd_bufmap_cache *cache, uint64_t id);

uint8_t *dd_bufmap_data(const struct dd_bufmap *map);
size_t dd_bufmap_length(const struct dd_bufmap *map);

void dd_bufmap_ref(struct dd_bufmap *map);
void dd_bufmap_unref(struct dd_bufmap *map);

#endif /* DAEDALUS_BUFMAP_H */
