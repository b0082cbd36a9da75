/* SPDX-License-Identifier: BSD-2-Clause */
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
