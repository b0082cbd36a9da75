/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regressions of issue 8 in the H.264 picture handling, through struct
 * dd_backend with conformance streams driven like the core does
 * (h264_drive.h).  An answer OK promises the picture libavcodec makes of
 * the original stream, byte for byte:
 *
 *  - concealed: a picture that lacks slices 2..n is concealed by
 *    libavcodec, so it must not be answered OK;
 *  - dpb_ring: a reference the decoder still holds while more than 32
 *    newer jobs pass (non-reference pictures decoded again) is still
 *    known: every answer OK and byte-exact;
 *  - requeued: CAPTURE buffers re-queued while libavcodec still holds
 *    their pictures as references (two buffers in turn): no picture may
 *    be answered OK with other content than the reference decode.
 *
 * Exit 77 (skipped) without vectors or libavcodec.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "dd_test.h"
#include "h264_drive.h"
#include "skip.h"

/* More jobs than the 32-entry ring of daemon/backend_h264.c holds. */
#define REPEATS		40

static const char *vectors_dir;

/* One decoding session over a vector. */
struct run {
	struct h264_vector v;
	struct h264_stream s;
	struct h264_ref ref;
	struct h264_pool pool;
	struct h264_client_dpb dpb;
	void *dec;
	uint64_t seq;
};

static int run_open(struct run *r, const char *name, int nslots)
{
	memset(r, 0, sizeof(*r));
	if (h264_vector_find(vectors_dir, name, &r->v) ||
	    h264_stream_load(&r->s, r->v.path)) {
		fprintf(stderr, "%s: vector missing\n", name);
		dd_test_failures++;
		return -1;
	}
	if (h264_ref_decode(&r->s, &r->ref) ||
	    h264_pool_init(&r->pool, nslots, h264_capture_length(&r->s), 100) ||
	    dd_backend_h264.open(&r->dec, &(struct dd_decoder_config){ .threads = 1 })) {
		fprintf(stderr, "%s: setup failed\n", name);
		dd_test_failures++;
		return -1;
	}
	h264_client_dpb_init(&r->dpb);
	return 0;
}

static void run_close(struct run *r)
{
	dd_backend_h264.close(r->dec);
	h264_pool_free(&r->pool);
	h264_ref_free(&r->ref);
	h264_stream_free(&r->s);
}

/*
 * Decodes @len bytes of @bits as picture @pic into buffer @slot, with
 * timestamp @ts (0: the picture's own) and the client DPB.  Returns the
 * status (FAILED when decode() fails); *exact tells whether the CAPTURE
 * buffer now holds the reference decode of the picture's frame.
 */
static enum daedalus_status run_job(struct run *r, const struct h264_picture *pic,
				    const uint8_t *bits, size_t len, int slot,
				    uint64_t ts, int *exact)
{
	static struct daedalus_job msg;
	struct dd_result res;
	uint8_t *data, *yuv;
	size_t yuv_len;

	h264_fill_job(&msg, pic, ++r->seq, r->pool.id_base + (uint64_t)slot);
	if (r->seq == 1)
		msg.flags |= DAEDALUS_JOB_NEW_STREAM;
	if (ts)
		msg.timestamp = ts;
	msg.bitstream.bytesused = (uint32_t)len;
	h264_client_dpb_fill(&r->dpb, pic, &msg.params.h264);
	if (h264_decode_job(&dd_backend_h264, r->dec, &r->pool, slot, &msg,
			    bits, len, &res, &data))
		res.status = DAEDALUS_STATUS_FAILED;
	*exact = 0;
	if (res.status != DAEDALUS_STATUS_FAILED && r->ref.yuv[pic->frame]) {
		yuv = h264_capture_yuv(data, &msg.picture_format, &pic->crop,
				       &yuv_len);
		*exact = yuv && yuv_len == r->ref.yuv_len[pic->frame] &&
			 !memcmp(yuv, r->ref.yuv[pic->frame], yuv_len);
		free(yuv);
	}
	return res.status;
}

static int count_slices(const struct h264_picture *p, size_t *second)
{
	size_t i;
	int n = 0;

	for (i = 0; i + 3 <= p->slices_len; i++) {
		if (!p->slices[i] && !p->slices[i + 1] && p->slices[i + 2] == 1) {
			if (++n == 2)
				*second = i;
		}
	}
	return n;
}

/* Picture k (the first frame after the first with several slices) cut to its first slice. */
static void test_concealed(const char *name)
{
	struct run r;
	size_t second = 0;
	int k, i, exact, ok_before = 0;
	enum daedalus_status st;

	if (run_open(&r, name, 8))
		return;
	for (k = 1; k < r.s.npics; k++)
		if (!r.s.pics[k].field && count_slices(&r.s.pics[k], &second) >= 2)
			break;
	CHECK(k < r.s.npics);
	if (k == r.s.npics) {
		run_close(&r);
		return;
	}
	for (i = 0; i < k; i++) {
		st = run_job(&r, &r.s.pics[i], r.s.pics[i].slices,
			     r.s.pics[i].slices_len, i % 8, 0, &exact);
		ok_before += st == DAEDALUS_STATUS_OK && exact;
	}
	CHECK_EQ(ok_before, k);	/* the setup: everything before is exact */
	st = run_job(&r, &r.s.pics[k], r.s.pics[k].slices, second, k % 8, 0,
		     &exact);
	printf("concealed %s: picture %d with 1 of %d slices (%zu of %zu bytes): status %d, %s\n",
	       name, k, count_slices(&r.s.pics[k], &second), second,
	       r.s.pics[k].slices_len, st, exact ? "exact" : "differs");
	CHECK(!exact);		/* the setup: the picture really is concealed */
	CHECK(st != DAEDALUS_STATUS_OK);
	run_close(&r);
}

/*
 * The first non-reference frame X after a reference R is decoded REPEATS
 * more times (new timestamps): R stays in libavcodec's DPB and every job
 * names it.  Then the stream goes on for AFTER pictures.  Every job has
 * a CAPTURE buffer of its own (no re-queued reference, see requeued):
 * all answers OK, all exact.
 */
#define AFTER	6

static void test_dpb_ring(const char *name)
{
	struct run r;
	int x, i, exact, ok = 0, n = 0, bad = 0;
	enum daedalus_status st;

	if (run_open(&r, name, H264_POOL_MAX))
		return;
	for (x = 1; x < r.s.npics; x++)
		if (!r.s.pics[x].field && !r.s.pics[x].params.decode_params.nal_ref_idc)
			break;
	CHECK(x + AFTER < r.s.npics && x + AFTER + REPEATS < H264_POOL_MAX);
	if (x + AFTER >= r.s.npics || x + AFTER + REPEATS >= H264_POOL_MAX) {
		run_close(&r);
		return;
	}
	for (i = 0; i <= x + AFTER; i++) {
		const struct h264_picture *pic = &r.s.pics[i];
		int rep, reps = i == x ? 1 + REPEATS : 1;

		for (rep = 0; rep < reps; rep++) {
			/* repeats: timestamps no picture of the stream has */
			st = run_job(&r, pic, pic->slices, pic->slices_len,
				     rep ? x + AFTER + rep : i,
				     rep ? 1000000 + (uint64_t)rep : 0, &exact);
			n++;
			ok += st == DAEDALUS_STATUS_OK && exact;
			if ((st != DAEDALUS_STATUS_OK || !exact) && bad++ < 3)
				printf("dpb_ring %s: picture %d (repeat %d, job %d): status %d, %s\n",
				       name, i, rep, n, st, exact ? "exact" : "differs");
		}
	}
	printf("dpb_ring %s: non-reference picture %d decoded %d times; %d of %d jobs OK and exact\n",
	       name, x, 1 + REPEATS, ok, n);
	CHECK_EQ(ok, n);
	run_close(&r);
}

/*
 * Two CAPTURE buffers in turn: each job gets the buffer of the picture
 * before the previous one, which libavcodec still holds when the stream
 * uses more than one reference (or B pictures).  No answer OK unless
 * the picture is exact; the IDR (nothing held yet) must be OK.
 */
static void test_requeued(const char *name)
{
	struct run r;
	int i, exact, ok = 0, ok_wrong = 0, other = 0;
	enum daedalus_status st;

	if (run_open(&r, name, 2))
		return;
	for (i = 0; i < r.s.npics; i++) {
		const struct h264_picture *pic = &r.s.pics[i];

		if (pic->field)
			continue;
		st = run_job(&r, pic, pic->slices, pic->slices_len,
			     pic->frame % 2, 0, &exact);
		if (i == 0)
			CHECK(st == DAEDALUS_STATUS_OK && exact);
		if (st != DAEDALUS_STATUS_OK) {
			other++;
		} else if (exact) {
			ok++;
		} else {
			if (ok_wrong++ < 3)
				printf("requeued %s: picture %d answered OK, differs from the reference decode\n",
				       name, i);
		}
	}
	printf("requeued %s: %d pictures: %d OK and exact, %d OK but wrong, %d not OK\n",
	       name, r.s.npics, ok, ok_wrong, other);
	CHECK_EQ(ok_wrong, 0);
	run_close(&r);
}

int main(void)
{
	vectors_dir = h264_test_begin();
	if (!vectors_dir)
		return dd_test_skip();
	test_concealed("BA1_FT_C");
	test_concealed("CI1_FT_B");
	test_dpb_ring("NRF_MW_E");
	test_requeued("MR1_BT_A");
	test_requeued("CABA3_SVA_B");
	return dd_test_result("test_h264_pictures");
}
