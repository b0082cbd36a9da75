/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dav1d's picture allocator (daemon/av1_picture.c), called as dav1d calls
 * it: the job's picture goes into its YUV420 CAPTURE buffer when it fits
 * dav1d's rules, with a reference to the buffer's mapping until released;
 * everything else (a second picture of the job, NV12, 10-bit, a
 * misaligned buffer, a frame with film grain before its output, a buffer
 * dav1d still holds a picture in) gets memory of its own, laid out as
 * dav1d asks; a held picture whose buffer is queued again is marked
 * overwritten until released.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "av1_picture.h"
#include "dd_test.h"
#include "fixture.h"

#define W	1920
#define H	1080
#define BPL	1920		/* ALIGN(1920, 128) */
#define ROWS	1152		/* ALIGN(1080, 128), the kernel's AV1 height */
#define SIZE	(BPL * ROWS * 3 / 2 + 4096)

static Dav1dSettings s;

static int alloc(Dav1dPicture *pic, int bpc, const Dav1dFrameHeader *hdr)
{
	memset(pic, 0, sizeof(*pic));
	pic->p.w = W;
	pic->p.h = H;
	pic->p.bpc = bpc;
	pic->p.layout = DAV1D_PIXEL_LAYOUT_I420;
	pic->frame_hdr = (Dav1dFrameHeader *)hdr;
	return s.allocator.alloc_picture_callback(pic, s.allocator.cookie);
}

static void release(Dav1dPicture *pic)
{
	s.allocator.release_picture_callback(pic, s.allocator.cookie);
}

/* Memory of its own: 64-byte aligned planes of 128-aligned size, shared chroma stride. */
static void check_own(const Dav1dPicture *pic, const struct dd_picture *t, int bpc)
{
	const uint8_t *y = pic->data[0];

	CHECK(y < t->data || y >= t->data + t->size);
	CHECK_EQ((uintptr_t)pic->data[0] % 64, 0);
	CHECK_EQ((uintptr_t)pic->data[1] % 64, 0);
	CHECK_EQ((uintptr_t)pic->data[2] % 64, 0);
	CHECK_EQ(pic->stride[0], (bpc > 8 ? 2 : 1) * 1920);
	CHECK_EQ(pic->stride[1], pic->stride[0] / 2);
	CHECK((uint8_t *)pic->data[1] >= y + pic->stride[0] * 1152);
	CHECK((uint8_t *)pic->data[2] >= (uint8_t *)pic->data[1] + pic->stride[1] * 576);
	/* every byte dav1d may touch is ours (ASan checks) */
	memset(pic->data[2], 0, (size_t)pic->stride[1] * 576 + 64);
}

int main(void)
{
	struct dd_bufmap_cache *cache = dd_bufmap_cache_new();
	struct daedalus_picture_format f = {
		.pixelformat = V4L2_PIX_FMT_YUV420, .width = W, .height = ROWS,
		.bytesperline = BPL, .sizeimage = SIZE,
	};
	struct dd_av1_pictures *pics = dd_av1_pictures_new();
	Dav1dFrameHeader grain;
	Dav1dPicture a, b, c, d;
	struct dd_picture t[2];
	uint8_t *data;

	CHECK(pics != NULL);
	dd_av1_pictures_use(pics, &s);
	for (int i = 0; i < 2; i++) {
		t[i].map = dd_bufmap_cache_get(cache, (uint64_t)i + 1, fx_memfd(SIZE, 0), SIZE, 1);
		CHECK(t[i].map != NULL);
		t[i].data = dd_bufmap_data(t[i].map);
		t[i].size = SIZE;
		t[i].format = &f;
		t[i].buf_id = (uint64_t)i + 1;
	}

	/* The job's picture in place; a second one (a stale output) apart. */
	dd_av1_pictures_target(pics, &t[0], 1000);
	CHECK_EQ(alloc(&a, 8, NULL), 0);
	CHECK(a.data[0] == t[0].data);
	CHECK(a.data[1] == t[0].data + BPL * ROWS);
	CHECK(a.data[2] == t[0].data + BPL * ROWS + BPL / 2 * ROWS / 2);
	CHECK_EQ(a.stride[0], BPL);
	CHECK_EQ(a.stride[1], BPL / 2);
	CHECK_EQ(alloc(&b, 8, NULL), 0);
	check_own(&b, &t[0], 8);
	release(&b);

	/* dav1d holds a (a reference): its mapping lives on after BUF_GONE. */
	data = t[0].data;
	dd_bufmap_cache_forget(cache, 1);
	dd_bufmap_unref(t[0].map);
	data[0] = 1;		/* still mapped (else this faults) */
	CHECK(!dd_av1_pictures_overwritten(pics, 1000));

	/* Film grain: the clean reference apart, the output picture in place. */
	memset(&grain, 0, sizeof(grain));
	grain.film_grain.present = 1;
	CHECK(dd_av1_pictures_target(pics, &t[1], 2000));
	CHECK_EQ(alloc(&b, 8, &grain), 0);
	check_own(&b, &t[1], 8);
	dd_av1_pictures_target(pics, NULL, 0);
	dd_av1_pictures_output(pics, &t[1], 2000);
	CHECK_EQ(alloc(&c, 8, &grain), 0);
	CHECK(c.data[0] == t[1].data);
	dd_av1_pictures_output(pics, NULL, 0);
	release(&c);

	/* A later job into buffer 2 while dav1d holds nothing there: in place. */
	dd_av1_pictures_target(pics, &t[1], 3000);
	CHECK_EQ(alloc(&c, 8, NULL), 0);
	CHECK(c.data[0] == t[1].data);

	/*
	 * ... and the next into buffer 2 while dav1d holds c there (a client
	 * queueing a reference again): apart, c marked overwritten.
	 */
	CHECK(!dd_av1_pictures_target(pics, &t[1], 4000));
	CHECK(dd_av1_pictures_overwritten(pics, 3000));
	CHECK(!dd_av1_pictures_overwritten(pics, 1000));
	CHECK_EQ(alloc(&d, 8, NULL), 0);
	check_own(&d, &t[1], 8);
	release(&d);
	release(&c);
	CHECK(!dd_av1_pictures_overwritten(pics, 3000));	/* released */

	/* NV12: the luma in place, the chroma planes apart (interleaved later). */
	f.pixelformat = V4L2_PIX_FMT_NV12;
	CHECK(dd_av1_pictures_target(pics, &t[1], 5000));
	CHECK_EQ(alloc(&c, 8, NULL), 0);
	CHECK(c.data[0] == t[1].data);
	CHECK_EQ(c.stride[0], BPL);
	CHECK_EQ(c.stride[1], BPL / 2);
	for (int i = 1; i < 3; i++) {
		const uint8_t *uv = c.data[i];

		CHECK(uv < t[1].data || uv >= t[1].data + t[1].size);
		CHECK_EQ((uintptr_t)uv % 64, 0);
	}
	CHECK((uint8_t *)c.data[2] >= (uint8_t *)c.data[1] + BPL / 2 * ROWS / 2);
	memset(c.data[2], 0, (size_t)BPL / 2 * ROWS / 2 + 64);	/* ours (ASan) */
	release(&c);
	f.pixelformat = V4L2_PIX_FMT_YUV420;

	/* 10-bit, misaligned: apart. */
	dd_av1_pictures_target(pics, &t[1], 6000);
	CHECK_EQ(alloc(&c, 10, NULL), 0);
	check_own(&c, &t[1], 10);
	release(&c);
	t[1].data += 1;
	t[1].size -= 1;
	dd_av1_pictures_target(pics, &t[1], 7000);
	CHECK_EQ(alloc(&c, 8, NULL), 0);
	check_own(&c, &t[1], 8);
	release(&c);

	release(&a);
	release(&b);
	dd_bufmap_unref(t[1].map);
	dd_bufmap_cache_free(cache);
	dd_av1_pictures_free(pics);
	return dd_test_result("test_av1_picture");
}
