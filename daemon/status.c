/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "proto_io.h"
#include "status.h"

/* The counters of each codec, in the kernel's order (enum daedalus_stat). */
static const char *const counters[] = {
	"queued", "done", "error", "timeout", "detach", "aborted", "not_queued",
};

#define NUM_COUNTERS	(sizeof(counters) / sizeof(counters[0]))

/* @dir/@name as one number: 0, -ENOENT or -EIO. */
static int read_value(const char *dir, const char *name, uint64_t *value)
{
	char path[512], line[32], *end;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -EIO;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok || line[0] < '0' || line[0] > '9')
		return -EIO;
	errno = 0;
	*value = strtoull(line, &end, 10);
	if (errno || (*end && *end != '\n'))
		return -EIO;
	return 0;
}

int dd_status_print(const char *dir, FILE *out)
{
	uint64_t attached, pid, values[NUM_COUNTERS];
	struct stat st;
	int ret;

	if (stat(dir, &st))
		return errno == ENOENT ? -ENOENT : -EIO;
	ret = read_value(dir, "attached", &attached);
	if (!ret)
		ret = read_value(dir, "daemon_pid", &pid);
	if (ret)
		return ret == -ENOENT ? -EIO : ret;
	if (attached)
		fprintf(out, "daemon: attached, pid %" PRIu64 "\n", pid);
	else
		fprintf(out, "daemon: none attached\n");

	fprintf(out, "jobs since the module was loaded:\n%-6s", "codec");
	for (size_t i = 0; i < NUM_COUNTERS; i++)
		fprintf(out, " %10s", counters[i]);
	fputc('\n', out);
	/* A codec the module was built without has no counters: no row. */
	for (int codec = DAEDALUS_CODEC_NONE + 1; codec < DAEDALUS_CODEC_COUNT; codec++) {
		const char *name = dd_codec_name((enum daedalus_codec)codec);
		char file[64];

		for (size_t i = 0; i < NUM_COUNTERS; i++) {
			snprintf(file, sizeof(file), "%s_%s", name, counters[i]);
			ret = read_value(dir, file, &values[i]);
			if (ret == -ENOENT && !i)
				break;
			if (ret)
				return -EIO;
		}
		if (ret)
			continue;
		fprintf(out, "%-6s", name);
		for (size_t i = 0; i < NUM_COUNTERS; i++)
			fprintf(out, " %10" PRIu64, values[i]);
		fputc('\n', out);
	}
	return 0;
}
