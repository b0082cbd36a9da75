/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_sf_backend_lavc on conformance vectors fed as the stateful node feeds
 * them.  H.264: the Annex B stream whole frame by whole frame, then cut
 * at every byte (streams up to 64 KiB), at primes, at fixed and random
 * points, reset mid-stream and after the end, with two slice threads:
 * every run gives the suite's md5, one picture per frame, and each
 * picture carries the timestamp of the chunk holding its frame's first
 * start code, in the display order of the whole-frame run.  VP8, VP9: one
 * IVF frame per chunk, the suite's md5, timestamps rising.  peek_format()
 * tells the first picture's format, for H.264 before that picture is out.
 * No picture of a whole stream comes before one the stateful context
 * takes as a resume point (key): CVWP2/3_TOSHIBA_E show two pictures
 * decoded after the IDR before it, vp80-00-comprehensive-018 hides its key
 * frame; begun at frame 40, BA_MW_D has none before its next IDR.
 * Then every vector of the suites, whole frames and (H.264) one random
 * cut; the 4:4:4 one fails with -ENOTSUP.  Garbage with no start code
 * fails the stream at 64 MiB, and reset() recovers.
 */
#include <errno.h>
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
	{ "VP8-TEST-VECTORS", "vp80-00-comprehensive-018", DAEDALUS_CODEC_VP8 },	/* hidden key frame */
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

/* @v whole frame by whole frame, then cut: @full, every way; else at random. */
static void test_h264(const struct h264_vector *vp, int full)
{
	const struct h264_vector v = *vp;
	const char *name = v.name;
	struct h264_stream s;
	struct sf_run whole;
	size_t size, *frames, *begin, *end;
	int *order, n, i;
	uint8_t *data;

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
	if (whole.keyless)
		printf("%s: %d pictures before the first key one\n", name, whole.keyless);
	CHECK_EQ(whole.keyless, 0);
	CHECK(!whole.peek_differs);
	if (!strcmp(name, "BA1_Sony_D"))
		CHECK(whole.peeked);
	for (i = 0; i < whole.npics && i < s.nframes; i++) {
		order[i] = (int)(whole.ts[i] - SF_TS(0));
		CHECK(order[i] >= 0 && order[i] < s.nframes);
		if (order[i] < 0 || order[i] >= s.nframes)
			order[i] = 0;
	}
	if (full)
		printf("%s: %d frames, %ux%u (coded %ux%u), min_buffers %u, peeked %d\n",
		       name, whole.npics, whole.first.width, whole.first.height,
		       whole.first.coded_width, whole.first.coded_height,
		       whole.first.min_buffers, whole.peeked);
	sf_run_free(&whole);
	if (!full) {
		end = sf_cuts_random(size, 2048, (uint32_t)size, &n);
		CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "random",
				    v.md5, data, end, n, order, s.nframes, begin), 0);
		free(end);
		goto out;
	}

	/* Every byte a chunk: the small streams (ASan makes 700 KB cost 40 s). */
	if (size <= 65536) {
		end = sf_cuts_fixed(size, 1, &n);
		CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name,
				    "1-byte", v.md5, data, end, n, order, s.nframes,
				    begin), 0);
		free(end);
	}
	end = sf_cuts_primes(size, &n);
	CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "primes",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
	free(end);
	end = sf_cuts_fixed(size, 4093, &n);
	CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "4093",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
	free(end);
	end = sf_cuts_random(size, 1500, 31, &n);
	CHECK_EQ(sf_reset_problems(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name,
				   v.md5, data, end, n, order, s.nframes, begin), 0);
	/* Two slice threads. */
	sf_threads = 2;
	CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "threads",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
	sf_threads = 1;
	free(end);
	for (uint32_t seed = 1; seed <= 3; seed++) {
		end = sf_cuts_random(size, seed == 3 ? 65536 : 3000, seed * 7919, &n);
		CHECK_EQ(sf_run_cut(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, name, "random",
			    v.md5, data, end, n, order, s.nframes, begin), 0);
		free(end);
	}
out:
	free(frames);
	free(begin);
	free(order);
	h264_stream_free(&s);
	free(data);
}

/* @v (a @codec IVF file) one frame per chunk; @full: says what it saw. */
static void test_vpx(const struct h264_vector *v, enum daedalus_codec codec,
		     int full)
{
	struct sf_run run;
	size_t size, *end;
	uint8_t *data;
	int n, i;

	if (sf_ivf_load(v->path, &data, &size, &end, &n)) {
		printf("%s: not an IVF file\n", v->name);
		CHECK(0);
		return;
	}
	CHECK(!sf_run(&dd_sf_backend_lavc, codec, data, end, n, &run));
	CHECK(sf_md5_is(&run, v->md5));
	CHECK_EQ(run.err, 0);
	CHECK(run.npics > 0);
	CHECK(!run.peek_differs);
	for (i = 1; i < run.npics; i++)
		CHECK(run.ts[i] > run.ts[i - 1]);
	/*
	 * Every picture is a resume point's or follows one (the stateful
	 * context drops those before the first key picture): a hidden key
	 * frame (vp80-00-comprehensive-018) makes the shown ones after it so.
	 */
	if (run.keyless)
		printf("%s: %d pictures before the first key one\n", v->name, run.keyless);
	CHECK_EQ(run.keyless, 0);
	if (full)
		printf("%s: %d pictures of %d frames, %ux%u, depth %u\n", v->name,
		       run.npics, n, run.first.width, run.first.height,
		       run.first.depth);
	sf_run_free(&run);
	free(data);
	free(end);
}

/* Whether frame @i of @s (bytes [b, e) of @data) holds an IDR slice. */
static int frame_has_idr(const uint8_t *data, size_t b, size_t e)
{
	for (size_t i = b; i + 3 < e; i++)
		if (!data[i] && !data[i + 1] && data[i + 2] == 1 && (data[i + 3] & 0x1f) == 5)
			return 1;
	return 0;
}

/*
 * A stream begun mid-way (a seek: 55-sf-h264 starts BA_MW_D at frame 40,
 * after its parameter sets): no picture decoded before the next IDR counts
 * as key (libavcodec gives none of them here), every one from the IDR on
 * is there.
 */
static void test_mid_start(const struct h264_vector *v, int from)
{
	struct h264_stream s;
	struct sf_run run;
	size_t size, hdr = 0, *end;
	int n, idr = -1, before = 0;
	uint8_t *data = sf_file_load(v->path, &size), *cut;

	CHECK(data && !h264_stream_load(&s, v->path));
	if (!data)
		return;
	CHECK(s.nframes > from);
	for (int i = from; i < s.nframes && idr < 0; i++)
		if (frame_has_idr(data, s.frame_end[i - 1], s.frame_end[i]))
			idr = i;
	CHECK(idr > from);
	/* The parameter sets (all before the first slice), then frame @from on. */
	while (hdr + 3 < size && !(!data[hdr] && !data[hdr + 1] && data[hdr + 2] == 1 &&
				   ((data[hdr + 3] & 0x1f) == 1 || (data[hdr + 3] & 0x1f) == 5)))
		hdr++;
	n = s.nframes - from;
	cut = malloc(hdr + size - s.frame_end[from - 1]);
	end = malloc(n * sizeof(*end));
	memcpy(cut, data, hdr);
	memcpy(cut + hdr, data + s.frame_end[from - 1], size - s.frame_end[from - 1]);
	for (int i = 0; i < n; i++)
		end[i] = hdr + (from + i == s.nframes - 1 ? size : s.frame_end[from + i]) -
			 s.frame_end[from - 1];
	CHECK(!sf_run(&dd_sf_backend_lavc, DAEDALUS_CODEC_H264, cut, end, n, &run));
	for (int k = 0; k < run.npics; k++)
		before += run.ts[k] < SF_TS(idr - from);
	printf("%s from frame %d: %d pictures, %d decoded before the IDR at %d, %d before the first key one\n",
	       v->name, from, run.npics, before, idr, run.keyless);
	CHECK_EQ(run.keyless, before);
	CHECK(run.npics >= s.nframes - idr);
	sf_run_free(&run);
	free(end);
	free(cut);
	h264_stream_free(&s);
	free(data);
}

/* Vector @name of @suite, or NULL (the suite's list in *@list: free it). */
static const struct h264_vector *find(const char *dir, const char *suite,
				      const char *name, struct h264_vector **list)
{
	int count = h264_suite_load(dir, suite, list);

	for (int i = 0; i < count; i++)
		if (!strcmp((*list)[i].name, name))
			return &(*list)[i];
	if (count <= 0)
		*list = NULL;
	printf("%s: not among the vectors of %s\n", name, suite);
	CHECK(0);
	return NULL;
}

/* What the backend says of @v, a stream it has no format for. */
static int unsupported(const struct h264_vector *v, enum daedalus_codec codec)
{
	struct sf_run run;
	size_t size, *end;
	uint8_t *data;
	int n;

	if (sf_ivf_load(v->path, &data, &size, &end, &n))
		return 0;
	CHECK(!sf_run(&dd_sf_backend_lavc, codec, data, end, n, &run));
	CHECK_EQ(run.npics, 0);
	sf_run_free(&run);
	free(data);
	free(end);
	return run.err;
}

/* Every vector of every suite: whole frames and one random cut (H.264). */
static void sweep(const char *dir)
{
	struct h264_vector *list;
	int count, skipped = 0, tested = 0;

	for (size_t s = 0; s < LAVC_NUM_SUITES; s++) {
		count = h264_suite_load(dir, lavc_suites[s].suite, &list);
		CHECK(count > 0);
		for (int i = 0; i < count; i++) {
			/* 4:4:4: no CAPTURE format for it, the stream fails. */
			if (strstr(list[i].name, "444")) {
				CHECK_EQ(unsupported(&list[i], lavc_suites[s].codec),
					 (uint64_t)-ENOTSUP);
				skipped++;
				continue;
			}
			tested++;
			if (lavc_suites[s].codec == DAEDALUS_CODEC_H264)
				test_h264(&list[i], 0);
			else
				test_vpx(&list[i], lavc_suites[s].codec, 0);
		}
		if (count > 0)
			free(list);
	}
	printf("sweep: %d vectors, %d 4:4:4 ones refused (-ENOTSUP)\n", tested, skipped);
}

/*
 * Garbage with no start code: the parser would keep it all.  The stream
 * fails once 64 MiB have no end, not before, and reset() recovers.
 */
static void test_garbage(const struct h264_vector *v)
{
	struct dd_sf_config cfg = { .codec = DAEDALUS_CODEC_H264, .threads = 1 };
	const size_t piece = 1 << 20;
	uint8_t *junk = malloc(piece);
	struct dd_sf_picture pic;
	struct sf_run run;
	uint8_t *data;
	size_t mib, size;
	void *dec;
	int ret = 0;

	memset(junk, 0xff, piece);
	CHECK_EQ(dd_sf_backend_lavc.open(&dec, &cfg), 0);
	for (mib = 0; mib < 80 && ret >= 0; mib++) {
		ret = dd_sf_backend_lavc.push(dec, junk, piece, mib);
		if (!ret)
			ret = dd_sf_backend_lavc.pull(dec, &pic);
	}
	CHECK_EQ(ret, -EBADMSG);
	CHECK(mib >= 64 && mib <= 66);
	free(junk);

	/* A decoder that failed so decodes the next stream after reset(). */
	data = sf_file_load(v->path, &size);
	CHECK(data != NULL);
	if (data) {
		dd_sf_backend_lavc.reset(dec);
		sf_run_on(&dd_sf_backend_lavc, dec, data, &size, 1, &run);
		CHECK(sf_md5_is(&run, v->md5));
		sf_run_free(&run);
		free(data);
	}
	dd_sf_backend_lavc.close(dec);
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
	for (size_t i = 0; i < sizeof(h264_names) / sizeof(h264_names[0]); i++) {
		struct h264_vector v;

		if (h264_vector_find(dir, h264_names[i], &v)) {
			printf("%s: not among the vectors\n", h264_names[i]);
			CHECK(0);
			continue;
		}
		test_h264(&v, 1);
		if (!i)
			test_garbage(&v);
	}
	{
		struct h264_vector v;

		CHECK(!h264_vector_find(dir, "BA_MW_D", &v));
		if (!h264_vector_find(dir, "BA_MW_D", &v))
			test_mid_start(&v, 40);
	}
	for (size_t i = 0; i < sizeof(vpx_vectors) / sizeof(vpx_vectors[0]); i++) {
		struct h264_vector *list;
		const struct h264_vector *v = find(dir, vpx_vectors[i].suite,
						   vpx_vectors[i].name, &list);

		if (v)
			test_vpx(v, vpx_vectors[i].codec, 1);
		free(list);
	}
	sweep(dir);
	printf("%d runs, %d md5 matches\n", sf_runs, sf_md5_matches);
	return dd_test_result("test_sf_lavc_split");
}
