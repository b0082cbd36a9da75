/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_sf_backend_lavc on conformance vectors fed as the stateful node feeds
 * them.  H.264: the Annex B stream whole frame by whole frame, then cut
 * at every byte, at primes, at fixed and random points: every run gives
 * the suite's md5, one picture per frame, and each picture carries the
 * timestamp of the chunk holding its frame's first start code, in the
 * display order of the whole-frame run.  VP8, VP9: one IVF frame per
 * chunk, the suite's md5, timestamps rising.  peek_format() tells the
 * first picture's format, for H.264 before that picture is out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_test.h"
#include "h264_stream.h"
#include "sf_drive.h"
#include "skip.h"

static const char *const h264_names[] = {
	"BA1_Sony_D",		/* first picture only after the level's reorder depth */
	"CABA3_SVA_B",		/* CABAC, B slices */
	"CVFC1_Sony_C",		/* frame cropping, left and top too */
	"MR2_TANDBERG_E",	/* multiple references, MMCO */
	"FRExt_MMCO4_Sony_B",	/* MMCO 4 */
	"HCAFF1_HHI_B",		/* field pictures (PAFF), B */
	"HCAMFF1_HHI_B",	/* MBAFF and field pictures */
	"NRF_MW_E",		/* non-reference frames */
	"SVA_BA2_D",
};

struct vpx_vector {
	const char *suite, *name;
	enum daedalus_codec codec;
};

static const struct vpx_vector vpx_vectors[] = {
	{ "VP8-TEST-VECTORS", "vp80-00-comprehensive-001", DAEDALUS_CODEC_VP8 },
	{ "VP8-TEST-VECTORS", "vp80-05-sharpness-1438", DAEDALUS_CODEC_VP8 },
	{ "VP8-TEST-VECTORS", "vp80-03-segmentation-1437", DAEDALUS_CODEC_VP8 },
	{ "VP9-TEST-VECTORS", "vp90-2-10-show-existing-frame.webm", DAEDALUS_CODEC_VP9 },
	{ "VP9-LIBVPX-GEN", "odd-size-199x131", DAEDALUS_CODEC_VP9 },
	{ "VP9-LIBVPX-GEN", "resize-dynamic-rt", DAEDALUS_CODEC_VP9 },
	{ "VP9-LIBVPX-GEN", "profile2-10bit", DAEDALUS_CODEC_VP9 },
};


static size_t first_start_code(const uint8_t *d, size_t from, size_t size)
{
	for (size_t i = from; i + 2 < size; i++)
		if (!d[i] && !d[i + 1] && d[i + 2] == 1)
			return i;
	return from;
}

static void test_h264(const char *dir, const char *name)
{
	struct h264_vector v;
	struct h264_stream s;
	struct sf_run whole;
	size_t size, *frames, *begin, *end;
	int *order, n, i;
	uint8_t *data;

	if (h264_vector_find(dir, name, &v)) {
		printf("%s: not among the vectors\n", name);
		CHECK(0);
		return;
	}
	data = sf_file_load(v.path, &size);
	CHECK(data && !h264_stream_load(&s, v.path));
	if (!data)
		return;
	/* The frames, the last one to the end of the file. */
	frames = malloc(s.nframes * sizeof(*frames));
	begin = malloc(s.nframes * sizeof(*begin));
	order = calloc(s.nframes, sizeof(*order));
	for (i = 0; i < s.nframes; i++) {
		frames[i] = i == s.nframes - 1 ? size : s.frame_end[i];
		begin[i] = first_start_code(data, i ? s.frame_end[i - 1] : 0, size);
	}
	CHECK(!sf_run(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, data, frames,
		      s.nframes, &whole));
	CHECK(sf_md5_is(&whole, v.md5));
	CHECK_EQ(whole.npics, s.nframes);
	CHECK(!whole.peek_differs);
	if (!strcmp(name, "BA1_Sony_D"))
		CHECK(whole.peeked);
	for (i = 0; i < whole.npics && i < s.nframes; i++) {
		order[i] = (int)(whole.ts[i] - SF_TS(0));
		CHECK(order[i] >= 0 && order[i] < s.nframes);
		if (order[i] < 0 || order[i] >= s.nframes)
			order[i] = 0;
	}
	printf("%s: %d frames, %ux%u (coded %ux%u), min_buffers %u, peeked %d\n",
	       name, whole.npics, whole.first.width, whole.first.height,
	       whole.first.coded_width, whole.first.coded_height,
	       whole.first.min_buffers, whole.peeked);
	sf_run_free(&whole);

	end = sf_cuts_fixed(size, 1, &n);
	CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "1-byte",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
	free(end);
	end = sf_cuts_primes(size, &n);
	CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "primes",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
	free(end);
	end = sf_cuts_fixed(size, 4093, &n);
	CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "4093",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
	free(end);
	for (uint32_t seed = 1; seed <= 3; seed++) {
		end = sf_cuts_random(size, seed == 3 ? 65536 : 3000, seed * 7919, &n);
		CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "random",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
		free(end);
	}
	free(frames);
	free(begin);
	free(order);
	h264_stream_free(&s);
	free(data);
}

static void test_vpx(const char *dir, const struct vpx_vector *vv)
{
	struct h264_vector *list, *v = NULL;
	struct sf_run run;
	size_t size, *end;
	uint8_t *data;
	int n, i, count = h264_suite_load(dir, vv->suite, &list);

	for (i = 0; i < count; i++)
		if (!strcmp(list[i].name, vv->name))
			v = &list[i];
	if (!v || sf_ivf_load(v->path, &data, &size, &end, &n)) {
		printf("%s: not among the vectors\n", vv->name);
		CHECK(0);
		if (count > 0)
			free(list);
		return;
	}
	CHECK(!sf_run(&dd_sf_backend_lavc, vv->codec, data, end, n, &run));
	CHECK(sf_md5_is(&run, v->md5));
	CHECK_EQ(run.err, 0);
	CHECK(run.npics > 0);
	CHECK(!run.peek_differs);
	for (i = 1; i < run.npics; i++)
		CHECK(run.ts[i] > run.ts[i - 1]);
	printf("%s: %d pictures of %d frames, %ux%u, depth %u\n", vv->name,
	       run.npics, n, run.first.width, run.first.height, run.first.depth);
	sf_run_free(&run);
	free(data);
	free(end);
	free(list);
}

int main(void)
{
	const char *dir = h264_test_begin();

	if (!dir)
		return dd_test_skip();
	if (dd_sf_backend_lavc.unavailable()) {
		printf("SKIP: %s\n", dd_sf_backend_lavc.unavailable());
		return dd_test_skip();
	}
	for (size_t i = 0; i < sizeof(h264_names) / sizeof(h264_names[0]); i++)
		test_h264(dir, h264_names[i]);
	for (size_t i = 0; i < sizeof(vpx_vectors) / sizeof(vpx_vectors[0]); i++)
		test_vpx(dir, &vpx_vectors[i]);
	printf("%d runs, %d md5 matches\n", sf_runs, sf_md5_matches);
	return dd_test_result("test_sf_lavc_split");
}
