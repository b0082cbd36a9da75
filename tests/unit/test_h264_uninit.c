/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regression of issue 8: no uninitialised memory may reach a client.
 * This executable interposes the aligned allocators picture scratch
 * comes from (aligned_alloc: the daemon's; posix_memalign: libavcodec's
 * av_malloc and its buffer pools) and fills every fresh block with a
 * marker pattern.  HCAFF1_HHI_B (PAFF) is then decoded with its
 * second fields dropped: each first field is a job of its own, so half
 * of the frame's rows are never decoded.  No CAPTURE buffer answered OK
 * may hold a run of the marker in its visible planes.
 *
 * Exit 77 (skipped) without vectors or libavcodec.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "dd_test.h"
#include "h264_drive.h"
#include "skip.h"

/* Decoded video does not repeat these 8 bytes 16 times in a row. */
#define MARKER_RUN	16

/* Blocks this large can hold a chroma plane of the vector (CIF). */
#define PLANE_BLOCK	(176 * 144)

static const uint8_t marker[8] = { 0xa5, 0x3c, 0xe1, 0x5a, 0xc3, 0x1e, 0x96, 0x69 };
static unsigned plane_blocks;	/* marked blocks of at least PLANE_BLOCK bytes */

static void fill_marker(void *p, size_t size)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = marker[i & 7];
	if (size >= PLANE_BLOCK)
		plane_blocks++;
}

/* The next definition in the lookup order: libc's, or the sanitizer's. */
static void *next_symbol(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

void *aligned_alloc(size_t alignment, size_t size)
{
	static void *(*real)(size_t, size_t);
	void *p;

	if (!real)
		*(void **)&real = next_symbol("aligned_alloc");
	p = real(alignment, size);
	if (p)
		fill_marker(p, size);
	return p;
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
	static int (*real)(void **, size_t, size_t);
	int ret;

	if (!real)
		*(void **)&real = next_symbol("posix_memalign");
	ret = real(out, alignment, size);
	if (!ret && *out)
		fill_marker(*out, size);
	return ret;
}

/* The longest run of @len bytes that follows the marker (any phase). */
static size_t longest_marker_run(const uint8_t *b, size_t len)
{
	size_t i, run = 0, best = 0;
	int phase = -1;

	for (i = 0; i < len; i++) {
		if (phase >= 0 && b[i] == marker[(phase + 1) & 7]) {
			phase = (phase + 1) & 7;
			run++;
		} else {
			const uint8_t *m = memchr(marker, b[i], sizeof(marker));

			phase = m ? (int)(m - marker) : -1;
			run = m ? 1 : 0;
		}
		if (run > best)
			best = run;
	}
	return best;
}

static void test_first_fields(const char *dir, const char *name)
{
	static struct daedalus_job msg;
	struct h264_vector v;
	struct h264_stream s;
	struct h264_pool pool;
	struct h264_client_dpb dpb;
	struct dd_result res;
	uint8_t *data, *yuv;
	size_t yuv_len, run;
	int i, jobs = 0, ok = 0, leaked = 0;
	void *dec;

	if (h264_vector_find(dir, name, &v) || h264_stream_load(&s, v.path)) {
		fprintf(stderr, "%s: vector missing\n", name);
		dd_test_failures++;
		return;
	}
	CHECK_EQ(h264_pool_init(&pool, 16, h264_capture_length(&s), 100), 0);
	plane_blocks = 0;
	CHECK_EQ(dd_backend_h264.open(&dec, &(struct dd_decoder_config){ .threads = 1 }), 0);
	h264_client_dpb_init(&dpb);
	for (i = 0; i < s.npics; i++) {
		const struct h264_picture *pic = &s.pics[i];

		if (pic->second_field)
			continue;	/* dropped: the first field stands alone */
		h264_fill_job(&msg, pic, (uint64_t)i + 1,
			      pool.id_base + (uint64_t)(jobs % 16));
		msg.flags &= ~(uint32_t)DAEDALUS_JOB_HOLD_CAPTURE;
		if (!jobs)
			msg.flags |= DAEDALUS_JOB_NEW_STREAM;
		h264_client_dpb_fill(&dpb, pic, &msg.params.h264);
		CHECK_EQ(h264_decode_job(&dd_backend_h264, dec, &pool, jobs % 16,
					 &msg, pic->slices, pic->slices_len,
					 &res, &data), 0);
		jobs++;
		if (res.status != DAEDALUS_STATUS_OK)
			continue;
		ok++;
		yuv = h264_capture_yuv(data, &msg.picture_format, &pic->crop,
				       &yuv_len);
		CHECK(yuv != NULL);
		run = yuv ? longest_marker_run(yuv, yuv_len) : 0;
		if (run >= MARKER_RUN) {
			leaked++;
			printf("%s: picture %d (%s) answered OK with a %zu-byte run of fresh heap memory\n",
			       name, i, pic->field ? "lone field" : "frame", run);
		}
		free(yuv);
	}
	printf("%s: %d jobs (second fields dropped), %d answered OK, %d of them with fresh heap memory; %u plane-sized blocks marked\n",
	       name, jobs, ok, leaked, plane_blocks);
	CHECK_EQ(leaked, 0);
	/*
	 * The decoder's planes came through the interposed allocators; if
	 * not (scratch from malloc, mmap...), interpose that too, or this
	 * test proves nothing.
	 */
	CHECK(plane_blocks > 0);
	dd_backend_h264.close(dec);
	h264_pool_free(&pool);
	h264_stream_free(&s);
}

/* The marker must really reach fresh blocks, or the test proves nothing. */
static void test_interposed(void)
{
	uint8_t *p = aligned_alloc(64, 4096);
	void *q = NULL;

	CHECK(p && longest_marker_run(p, 4096) == 4096);
	free(p);
	CHECK_EQ(posix_memalign(&q, 64, 256), 0);
	CHECK(q && longest_marker_run(q, 256) == 256);
	free(q);
}

int main(void)
{
	const char *dir = h264_test_begin();

	if (!dir)
		return dd_test_skip();
	test_interposed();
	test_first_fields(dir, "HCAFF1_HHI_B");
	return dd_test_result("test_h264_uninit");
}
