/* SPDX-License-Identifier: BSD-2-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder.h"

struct dd_recorder {
	char *dir;
};

int dd_recorder_new(const char *dir, struct dd_recorder **out)
{
	struct dd_recorder *rec;

	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	rec->dir = strdup(dir);
	if (!rec->dir) {
		free(rec);
		return -ENOMEM;
	}
	*out = rec;
	return 0;
}

void dd_recorder_free(struct dd_recorder *rec)
{
	if (!rec)
		return;
	free(rec->dir);
	free(rec);
}

static int write_file(const char *path, const void *data, size_t size)
{
	const uint8_t *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		size -= (size_t)n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int dd_recorder_write(struct dd_recorder *rec, const struct daedalus_job *job,
		      const void *bitstream, size_t size)
{
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/ctx%" PRIu64, rec->dir, (uint64_t)job->ctx_id);
	if (mkdir(path, 0750) && errno != EEXIST)
		return -errno;
	if (bitstream) {
		snprintf(path, sizeof(path), "%s/ctx%" PRIu64 "/%08" PRIu64 ".bin",
			 rec->dir, (uint64_t)job->ctx_id, (uint64_t)job->seq);
		ret = write_file(path, bitstream, size);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/ctx%" PRIu64 "/%08" PRIu64 ".job",
		 rec->dir, (uint64_t)job->ctx_id, (uint64_t)job->seq);
	return write_file(path, job, sizeof(*job));
}

static int cmp_key(const void *a, const void *b)
{
	const struct dd_recording_entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

int dd_recording_list(const char *dir, const char *prefix, const char *suffix,
		      struct dd_recording_entry **out)
{
	struct dd_recording_entry *v = NULL;
	size_t n = 0, cap = 0, plen = strlen(prefix), slen = strlen(suffix);
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *end;
		uint64_t key;

		if (len <= plen + slen || len >= sizeof(v->name) ||
		    strncmp(e->d_name, prefix, plen) ||
		    strcmp(e->d_name + len - slen, suffix))
			continue;
		errno = 0;
		key = strtoull(e->d_name + plen, &end, 10);
		if (errno || end != e->d_name + len - slen)
			continue;
		if (n == cap) {
			struct dd_recording_entry *nv;

			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n].key = key;
		memcpy(v[n].name, e->d_name, len + 1);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_key);
	*out = v;
	return (int)n;
}
