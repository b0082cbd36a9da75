/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalusd --status: dd_status_print() on a fake status directory made
 * in a temporary directory, laid out as kernel/daedalus_stats.c makes it
 * (here with h264 and vp8 only, as for a module built without some codecs).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "dd_test.h"
#include "status.h"

static char dir[] = "/tmp/test_status.XXXXXX";

static void put(const char *name, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(value, f);
	fclose(f);
}

static void put_codec(const char *codec, const char *const values[7])
{
	static const char *const names[] = {
		"queued", "done", "error", "timeout", "detach", "aborted", "not_queued",
	};
	char name[64];

	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "%s_%s", codec, names[i]);
		put(name, values[i]);
	}
}

/* dd_status_print()'s output in a malloc'd string; *@ret its return value. */
static char *print(const char *path, int *ret)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	*ret = dd_status_print(path, out);
	fclose(out);
	return text;
}

int main(void)
{
	static const char *const h264[] = { "17\n", "15\n", "1\n", "0\n", "0\n", "1\n", "2\n" };
	static const char *const vp8[] = { "0\n", "0\n", "0\n", "0\n", "0\n", "0\n", "0\n" };
	char path[256], *text;
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}

	snprintf(path, sizeof(path), "%s/none", dir);
	free(print(path, &ret));
	CHECK_EQ(ret, -ENOENT);
	/* A directory without attached is not the driver's. */
	free(print(dir, &ret));
	CHECK_EQ(ret, -EIO);

	put("attached", "1\n");
	put("daemon_pid", "4242\n");
	put_codec("h264", h264);
	put_codec("vp8", vp8);
	text = print(dir, &ret);
	CHECK_EQ(ret, 0);
	CHECK_STR(text,
		  "daemon: attached, pid 4242\n"
		  "jobs since the module was loaded:\n"
		  "codec      queued       done      error    timeout     detach    aborted not_queued\n"
		  "h264           17         15          1          0          0          1          2\n"
		  "vp8             0          0          0          0          0          0          0\n");
	free(text);

	put("attached", "0\n");
	put("daemon_pid", "0\n");
	text = print(dir, &ret);
	CHECK_EQ(ret, 0);
	CHECK(text && !strncmp(text, "daemon: none attached\n", 22));
	free(text);

	/* A value that is not a number is an error, not a zero. */
	put("h264_done", "x\n");
	free(print(dir, &ret));
	CHECK_EQ(ret, -EIO);
	/* Neither is a codec with only some of its counters. */
	put("h264_done", "15\n");
	snprintf(path, sizeof(path), "%s/vp8_aborted", dir);
	CHECK_EQ(unlink(path), 0);
	free(print(dir, &ret));
	CHECK_EQ(ret, -EIO);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "test_status: could not remove %s\n", dir);
	return dd_test_result("test_status");
}
