/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_sf_backend_dav1d on the AV1 suites' streams: each IVF file's frame
 * payloads one after the other make the OBU stream (Section 5), fed a
 * temporal unit per chunk and cut at random points (some also at every
 * byte): the suite's md5, and every picture carries the timestamp of the
 * chunk its unit began in, in the order of the unit-per-chunk run; none
 * comes before one that counts as a resume point (key).  A
 * truncated stream, an OBU over 64 MiB, a bad OBU header fail the stream
 * with -EBADMSG (no crash; ASan clean), and reset() makes it usable again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav1d.h"
#include "dd_test.h"
#include "h264_stream.h"
#include "sf_drive.h"
#include "skip.h"

static const char *const suites[] = {
	"AV1-TEST-VECTORS",
	"CHROMIUM-8bit-AV1-TEST-VECTORS",
	"CHROMIUM-10bit-AV1-TEST-VECTORS",
};

static int vectors, unsupported;

static void test_vector(const struct h264_vector *v, int index)
{
	size_t size, *tus, *units, *end;
	struct sf_run whole;
	int ntu, n, *order, i;
	uint8_t *data;

	if (sf_ivf_load(v->path, &data, &size, &tus, &ntu)) {
		fprintf(stderr, "%s: not an IVF file\n", v->path);
		CHECK(0);
		return;
	}
	vectors++;
	CHECK(!sf_run(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1, data, tus, ntu, &whole));
	if (whole.err == -ENOTSUP) {
		printf("%s: a sampling the node has no format for\n", v->name);
		unsupported++;
		goto out;
	}
	if (!sf_md5_is(&whole, v->md5))
		fprintf(stderr, "%s whole units: md5 %s, suite %s (error %d)\n",
			v->name, whole.md5, v->md5, whole.err);
	CHECK_STR(whole.md5, v->md5);
	CHECK_EQ(whole.err, 0);
	/*
	 * No picture before one the stateful context takes as a resume point
	 * (key): svc-L2T1/L2T2 show only the upper spatial layer, whose frames
	 * are all inter frames on a key frame of the lower one.
	 */
	if (whole.keyless)
		printf("%s: %d pictures before the first key one\n", v->name, whole.keyless);
	CHECK_EQ(whole.keyless, 0);
	units = malloc((size_t)ntu * sizeof(*units));
	order = calloc((size_t)whole.npics + 1, sizeof(*order));
	for (i = 0; i < ntu; i++)
		units[i] = i ? tus[i - 1] : 0;
	for (i = 0; i < whole.npics; i++) {
		order[i] = (int)(whole.ts[i] - SF_TS(0));
		CHECK(order[i] >= 0 && order[i] < ntu);
		if (order[i] < 0 || order[i] >= ntu)
			order[i] = 0;
		CHECK(!i || order[i] >= order[i - 1]);
	}
	end = sf_cuts_random(size, 1 + size / 8, 2654435761u * (uint32_t)(index + 1), &n);
	CHECK_EQ(sf_run_cut(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1, v->name,
			    "random", v->md5, data, end, n, order,
			    whole.npics, units), 0);
	free(end);
	if (index < 3 || strstr(v->name, "grain") || strstr(v->name, "sizeup")) {
		end = sf_cuts_random(size, 64, 40503u * (uint32_t)(index + 1), &n);
		CHECK_EQ(sf_run_cut(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1, v->name,
			    "random small", v->md5, data, end, n, order,
			    whole.npics, units), 0);
		free(end);
		end = sf_cuts_random(size, 300, 7u * (uint32_t)(index + 1), &n);
		CHECK_EQ(sf_reset_problems(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1,
					   v->name, v->md5, data, end, n, order,
					   whole.npics, units), 0);
		/* Four threads: two frames at once. */
		sf_threads = 4;
		CHECK_EQ(sf_run_cut(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1, v->name,
				    "threads", v->md5, data, end, n, order,
				    whole.npics, units), 0);
		sf_threads = 1;
		free(end);
		end = sf_cuts_fixed(size, 1, &n);
		CHECK_EQ(sf_run_cut(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1, v->name,
			    "1-byte", v->md5, data, end, n, order,
			    whole.npics, units), 0);
		free(end);
	}
	free(units);
	free(order);
out:
	sf_run_free(&whole);
	free(tus);
	free(data);
}

/* Pulls until a result other than a picture. */
static int pull_until_not_picture(void *dec)
{
	struct dd_sf_picture pic;
	int ret;

	while ((ret = dd_sf_backend_dav1d.pull(dec, &pic)) == DD_SF_PICTURE)
		;
	return ret;
}

/* @bytes pushed in one chunk, then the end: what pull() says. */
static int feed_bad(void *dec, const uint8_t *bytes, size_t len, int end)
{
	int ret;

	dd_sf_backend_dav1d.reset(dec);
	ret = dd_sf_backend_dav1d.push(dec, bytes, len, 1);
	if (ret)
		return ret;
	ret = pull_until_not_picture(dec);
	if (ret < 0 || !end)
		return ret;
	ret = dd_sf_backend_dav1d.end_of_input(dec);
	return ret ? ret : pull_until_not_picture(dec);
}

static void test_bad(const struct h264_vector *v)
{
	static const uint8_t td[] = { 0x12, 0x00 };
	/* A temporal delimiter, then a frame OBU of 64 MiB + 1 (leb128). */
	static const uint8_t huge[] = { 0x12, 0x00, 0x32, 0x81, 0x80, 0x80, 0x20 };
	static const uint8_t forbidden[] = { 0x12, 0x00, 0xb2, 0x01, 0x00 };
	static const uint8_t no_size[] = { 0x12, 0x00, 0x30, 0x01, 0x00 };
	static const uint8_t long_leb[] = { 0x12, 0x00, 0x32, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t truncated[] = { 0x12, 0x00, 0x32, 0x10, 0x00, 0x00 };
	struct dd_sf_config cfg = { .codec = DAEDALUS_CODEC_AV1, .threads = 2 };
	size_t size, *tus, *end;
	struct sf_run run;
	uint8_t *data;
	void *dec;
	int ntu, n;

	CHECK(!dd_sf_backend_dav1d.open(&dec, &cfg));
	CHECK_EQ(feed_bad(dec, huge, sizeof(huge), 0), (uint64_t)-EBADMSG);
	CHECK_EQ(feed_bad(dec, forbidden, sizeof(forbidden), 0), (uint64_t)-EBADMSG);
	CHECK_EQ(feed_bad(dec, no_size, sizeof(no_size), 0), (uint64_t)-EBADMSG);
	CHECK_EQ(feed_bad(dec, long_leb, sizeof(long_leb), 0), (uint64_t)-EBADMSG);
	/* Waiting for the rest of the OBU, then the end comes. */
	CHECK_EQ(feed_bad(dec, truncated, sizeof(truncated), 0), DD_SF_NEED_INPUT);
	CHECK_EQ(feed_bad(dec, truncated, sizeof(truncated), 1), (uint64_t)-EBADMSG);
	/* Once failed, it stays so until reset(). */
	CHECK_EQ(dd_sf_backend_dav1d.push(dec, td, sizeof(td), 2), (uint64_t)-EBADMSG);
	CHECK_EQ(feed_bad(dec, td, sizeof(td), 1), DD_SF_DRAINED);
	/* An empty stream drains at once. */
	CHECK_EQ(feed_bad(dec, td, 0, 1), DD_SF_DRAINED);

	if (!sf_ivf_load(v->path, &data, &size, &tus, &ntu)) {
		/* A real stream cut inside its last OBU. */
		CHECK_EQ(feed_bad(dec, data, size - 3, 1), (uint64_t)-EBADMSG);
		/* After reset(), the whole stream decodes. */
		CHECK_EQ(feed_bad(dec, data, size, 1), DD_SF_DRAINED);
		/* Pictures first, then the failure, cut at random points. */
		end = sf_cuts_random(size - 3, 100, 99, &n);
		CHECK(!sf_run(&dd_sf_backend_dav1d, DAEDALUS_CODEC_AV1, data, end, n, &run));
		CHECK_EQ(run.err, (uint64_t)-EBADMSG);
		CHECK(run.npics > 0);
		sf_run_free(&run);
		free(end);
		free(tus);
		free(data);
	}
	dd_sf_backend_dav1d.close(dec);
}

int main(void)
{
	const char *dir = h264_vectors_dir();
	struct h264_vector *list, first = { .name = "" };
	int count, index = 0;

	if (!dir) {
		printf("SKIP: no conformance vectors (set DAEDALUS_VECTORS)\n");
		return dd_test_skip();
	}
	if (dd_sf_backend_dav1d.unavailable()) {
		printf("SKIP: %s\n", dd_sf_backend_dav1d.unavailable());
		return dd_test_skip();
	}
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		count = h264_suite_load(dir, suites[s], &list);
		if (count <= 0) {
			printf("%s: no vectors\n", suites[s]);
			CHECK(0);
			continue;
		}
		if (!first.name[0])
			first = list[0];
		for (int i = 0; i < count; i++)
			test_vector(&list[i], index++);
		free(list);
	}
	if (first.name[0])
		test_bad(&first);
	printf("%d vectors (%d with a sampling the node has no format for), "
	       "%d runs, %d md5 matches\n", vectors, unsupported, sf_runs, sf_md5_matches);
	return dd_test_result("test_sf_dav1d_obu");
}
