/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regression of issue 8: a stream entered at an I picture that is not an
 * IDR (a seek to a recovery point, a client that joins a broadcast) must
 * not stay CORRUPT until the next IDR.  Through the context layer as the
 * core runs it (dd_job_prepare + dd_context_run, memfds for the
 * buffers), the first job NEW_STREAM at the first non-IDR I picture of
 * a vector with no IDR after it, the client's DPB starting empty there:
 * the I picture must be answered OK and exact; in a stream whose
 * pictures after the entry refer to none before it ("closed"), so must
 * every later picture; in any stream, no picture may be answered OK with
 * other content than the reference decode of the whole stream.
 *
 * Exit 77 (skipped) without vectors or libavcodec.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "context.h"
#include "dd_test.h"
#include "fixture.h"
#include "h264_drive.h"
#include "skip.h"

#define SLOTS		16

static int is_intra(const struct h264_picture *p)
{
	return !(p->params.decode_params.flags &
		 (V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC |
		  V4L2_H264_DECODE_PARAM_FLAG_PFRAME |
		  V4L2_H264_DECODE_PARAM_FLAG_BFRAME));
}

/*
 * One job the core's way: @pic's slices into the OUTPUT memfd @bs_fd,
 * CAPTURE buffer @slot of @pool; returns the answer's status and
 * whether the CAPTURE buffer holds the reference decode @ref.
 */
static enum daedalus_status run_job(struct dd_context *ctx, struct h264_pool *pool,
				    int bs_fd, size_t bs_len,
				    const struct h264_picture *pic, uint64_t seq,
				    int slot, int new_stream,
				    struct h264_client_dpb *dpb,
				    const struct h264_ref *ref, int *exact)
{
	static struct daedalus_job msg;
	struct dd_prepared_job job = { .msg = &msg };
	struct daedalus_result res;
	uint8_t *yuv;
	size_t len;

	CHECK_EQ(pwrite(bs_fd, pic->slices, pic->slices_len, 0), pic->slices_len);
	h264_fill_job_fds(&msg, pic, seq, pool, slot, bs_fd, bs_len, dpb);
	if (new_stream)
		msg.flags |= DAEDALUS_JOB_NEW_STREAM;
	dd_job_prepare(pool->cache, &job, sizeof(msg));
	CHECK(job.reject == NULL);
	dd_context_run(ctx, &job, NULL, &res);
	*exact = 0;
	if (!job.reject && res.status != DAEDALUS_STATUS_FAILED &&
	    ref->yuv[pic->frame]) {
		yuv = h264_capture_yuv(dd_bufmap_data(job.picture),
				       &msg.picture_format, &pic->crop, &len);
		*exact = yuv && len == ref->yuv_len[pic->frame] &&
			 !memcmp(yuv, ref->yuv[pic->frame], len);
		free(yuv);
	}
	dd_job_release(&job);
	return (enum daedalus_status)res.status;
}

static void test_entry(const char *dir, const char *name, int max_jobs,
		       int closed)
{
	struct h264_vector v;
	struct h264_stream s;
	struct h264_ref ref;
	struct h264_pool pool;
	struct h264_client_dpb dpb;
	struct dd_context ctx;
	size_t bs_len = 0;
	int entry, i, bs_fd, exact, jobs = 0, exact_ok = 0, exact_not_ok = 0,
	    wrong_ok = 0, wrong = 0;
	enum daedalus_status st;

	if (h264_vector_find(dir, name, &v) || h264_stream_load(&s, v.path)) {
		fprintf(stderr, "%s: vector missing\n", name);
		dd_test_failures++;
		return;
	}
	for (entry = 1; entry < s.npics; entry++)
		if (is_intra(&s.pics[entry]) && !s.pics[entry].field)
			break;
	CHECK(entry < s.npics);
	for (i = 0; i < s.npics; i++)
		if (s.pics[i].slices_len > bs_len)
			bs_len = s.pics[i].slices_len;
	bs_len = (bs_len + 4095) / 4096 * 4096;
	CHECK_EQ(h264_ref_decode(&s, &ref), 0);
	CHECK_EQ(h264_pool_init(&pool, SLOTS, h264_capture_length(&s), 100), 0);
	bs_fd = fx_memfd(bs_len, 0);
	dd_context_init(&ctx, 1, NULL, NULL);
	h264_client_dpb_init(&dpb);

	for (i = entry; i < s.npics && jobs < max_jobs; i++) {
		const struct h264_picture *pic = &s.pics[i];

		/* a later IDR would end the gate by itself */
		CHECK(!(pic->params.decode_params.flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC));
		st = run_job(&ctx, &pool, bs_fd, bs_len, pic, (uint64_t)i + 1,
			     pic->frame % SLOTS, i == entry, &dpb, &ref, &exact);
		jobs++;
		if (i == entry) {
			printf("%s: entered at picture %d (I, frame_num %u): status %d, %s\n",
			       name, i, pic->params.decode_params.frame_num, st,
			       exact ? "exact" : "differs");
			CHECK(exact);
			CHECK_EQ(st, DAEDALUS_STATUS_OK);
		}
		if (exact && st == DAEDALUS_STATUS_OK)
			exact_ok++;
		else if (exact)
			exact_not_ok++;
		else if (st == DAEDALUS_STATUS_OK)
			wrong_ok++;
		else
			wrong++;
	}
	printf("%s: %d jobs from picture %d: exact %d OK / %d not OK, differing %d OK / %d not OK\n",
	       name, jobs, entry, exact_ok, exact_not_ok, wrong_ok, wrong);
	CHECK_EQ(wrong_ok, 0);
	/* closed: nothing after the entry refers to a picture before it */
	if (closed)
		CHECK_EQ(exact_ok, jobs);

	dd_context_close_decoder(&ctx);
	close(bs_fd);
	h264_pool_free(&pool);
	h264_ref_free(&ref);
	h264_stream_free(&s);
}

int main(void)
{
	const char *dir = h264_test_begin();

	if (!dir)
		return dd_test_skip();
	test_entry(dir, "HPCV_BRCM_A", 60, 1);	/* I P B, one reference */
	test_entry(dir, "BA1_Sony_D", 60, 1);	/* intra only */
	/* five references: later P pictures refer to frames before the entry */
	test_entry(dir, "CANL2_Sony_E", 60, 0);
	return dd_test_result("test_h264_entry");
}
