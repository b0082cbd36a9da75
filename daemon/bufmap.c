/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The mapping cache of bufmap.h.  A handful of buffers per context, so the
 * cache is a small array searched linearly under one mutex; a mapping's
 * life is its atomic reference count.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-buf.h>

#include "bufmap.h"

struct dd_bufmap {
	atomic_uint refs;
	uint64_t id;
	int fd;			/* the dma-buf, for DMA_BUF_IOCTL_SYNC */
	atomic_int not_dmabuf;	/* fd has no SYNC ioctl (a memfd) */
	uint8_t *data;
	size_t length;
	int writable;
};

struct dd_bufmap_entry {
	uint64_t id;
	int fd;			/* until BUF_GONE or moved into map; or -1 */
	struct dd_bufmap *map;	/* NULL until first mapped */
};

struct dd_bufmap_cache {
	pthread_mutex_t lock;	/* protects entries, count, capacity */
	struct dd_bufmap_entry *entries;
	size_t count;
	size_t capacity;
};

struct dd_bufmap_cache *dd_bufmap_cache_new(void)
{
	struct dd_bufmap_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	pthread_mutex_init(&cache->lock, NULL);
	return cache;
}

void dd_bufmap_cache_free(struct dd_bufmap_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->count; i++) {
		if (cache->entries[i].fd >= 0)
			close(cache->entries[i].fd);
		dd_bufmap_unref(cache->entries[i].map);
	}
	free(cache->entries);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

/* Maps @fd; the mapping owns it then. */
static struct dd_bufmap *map_new(uint64_t id, int fd, size_t length,
				 int writable)
{
	struct dd_bufmap *map = malloc(sizeof(*map));
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *data;

	if (!map)
		return NULL;
	data = mmap(NULL, length, prot, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		free(map);
		return NULL;
	}
	atomic_init(&map->refs, 1);
	atomic_init(&map->not_dmabuf, 0);
	map->id = id;
	map->fd = fd;
	map->data = data;
	map->length = length;
	map->writable = !!writable;
	return map;
}

static struct dd_bufmap_entry *find(struct dd_bufmap_cache *cache, uint64_t id)
{
	for (size_t i = 0; i < cache->count; i++)
		if (cache->entries[i].id == id)
			return &cache->entries[i];
	return NULL;
}

int dd_bufmap_cache_add(struct dd_bufmap_cache *cache, uint64_t id, int fd)
{
	int ret = 0;

	if (fd < 0)
		return -EBADF;
	if (!id) {
		close(fd);
		return -EINVAL;
	}
	pthread_mutex_lock(&cache->lock);
	if (find(cache, id)) {
		ret = -EEXIST;
		goto out;
	}
	if (cache->count == cache->capacity) {
		size_t cap = cache->capacity ? 2 * cache->capacity : 16;
		struct dd_bufmap_entry *e = realloc(cache->entries,
						    cap * sizeof(*e));

		if (!e) {
			ret = -ENOMEM;
			goto out;
		}
		cache->entries = e;
		cache->capacity = cap;
	}
	cache->entries[cache->count].id = id;
	cache->entries[cache->count].fd = fd;
	cache->entries[cache->count].map = NULL;
	cache->count++;
	fd = -1;
out:
	pthread_mutex_unlock(&cache->lock);
	if (fd >= 0)
		close(fd);
	return ret;
}

struct dd_bufmap *dd_bufmap_cache_get(struct dd_bufmap_cache *cache,
				      uint64_t id, int fd, size_t length,
				      int writable)
{
	struct dd_bufmap_entry *entry;
	struct dd_bufmap *map = NULL;
	int ret;

	if (fd >= 0) {
		ret = dd_bufmap_cache_add(cache, id, fd);
		if (ret && ret != -EEXIST) {
			errno = -ret;
			return NULL;
		}
	}
	if (!id || !length) {
		errno = EINVAL;
		return NULL;
	}

	pthread_mutex_lock(&cache->lock);
	entry = find(cache, id);
	if (!entry) {
		errno = ENOENT;
	} else if (!entry->map) {
		/* Kept unmapped on failure: the next job tries again. */
		entry->map = map_new(id, entry->fd, length, writable);
		map = entry->map;
		if (map) {
			/* Synced through while a backend holds it after BUF_GONE. */
			entry->fd = -1;
			dd_bufmap_ref(map);	/* the caller's */
		}
	} else if (length > entry->map->length) {
		/*
		 * A buffer keeps its id and size for its life: a bigger
		 * length or a read-only mapping asked to be written means
		 * the sender is confused; refuse rather than overrun.
		 */
		errno = EINVAL;
	} else if (writable && !entry->map->writable) {
		errno = EACCES;
	} else {
		map = entry->map;
		dd_bufmap_ref(map);
	}
	pthread_mutex_unlock(&cache->lock);
	return map;
}

struct dd_bufmap *dd_bufmap_cache_find(struct dd_bufmap_cache *cache,
				       uint64_t id)
{
	struct dd_bufmap_entry *entry;
	struct dd_bufmap *map = NULL;

	pthread_mutex_lock(&cache->lock);
	entry = id ? find(cache, id) : NULL;
	if (entry && entry->map) {
		map = entry->map;
		dd_bufmap_ref(map);
	}
	pthread_mutex_unlock(&cache->lock);
	return map;
}

void dd_bufmap_cache_forget(struct dd_bufmap_cache *cache, uint64_t id)
{
	struct dd_bufmap_entry *entry, gone = { .fd = -1 };

	pthread_mutex_lock(&cache->lock);
	entry = find(cache, id);
	if (entry) {
		gone = *entry;
		*entry = cache->entries[--cache->count];
	}
	pthread_mutex_unlock(&cache->lock);
	if (gone.fd >= 0)
		close(gone.fd);
	dd_bufmap_unref(gone.map);
}

uint8_t *dd_bufmap_data(const struct dd_bufmap *map)
{
	return map->data;
}

size_t dd_bufmap_length(const struct dd_bufmap *map)
{
	return map->length;
}

void dd_bufmap_ref(struct dd_bufmap *map)
{
	atomic_fetch_add_explicit(&map->refs, 1, memory_order_relaxed);
}

void dd_bufmap_unref(struct dd_bufmap *map)
{
	if (!map)
		return;
	if (atomic_fetch_sub_explicit(&map->refs, 1, memory_order_acq_rel) != 1)
		return;
	munmap(map->data, map->length);
	close(map->fd);
	free(map);
}

int dd_bufmap_sync(struct dd_bufmap *map, int end, int write)
{
	struct dma_buf_sync sync = {
		.flags = (end ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START) |
			 (write ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ),
	};

	if (atomic_load_explicit(&map->not_dmabuf, memory_order_relaxed))
		return 0;
	while (ioctl(map->fd, DMA_BUF_IOCTL_SYNC, &sync)) {
		if (errno == EINTR)
			continue;
		if (errno != ENOTTY)
			return -errno;
		atomic_store_explicit(&map->not_dmabuf, 1, memory_order_relaxed);
		break;
	}
	return 0;
}
