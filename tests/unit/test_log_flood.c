/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regression of issue 8: a client must not be able to flood the daemon's
 * log.  Each kind of bad H.264 job is sent JOBS times in one context
 * through the context layer as the core runs it (dd_job_prepare +
 * dd_context_run), with stderr (where daemon/log.c writes) captured:
 * at most MAX_LINES lines at warning or error level per context.
 *
 *  - decode mode: slice-based decoding (the backend takes frame-based);
 *  - start code: an OUTPUT buffer that does not start with one;
 *  - restarts: every job starts a new stream (a new decoder) and names a
 *    reference the decoder never saw.
 *
 * Skipped (tests/unit/skip.h) without libavcodec.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "context.h"
#include "dd_test.h"
#include "fixture.h"
#include "lavc.h"
#include "skip.h"

#define JOBS		1000
#define MAX_LINES	10
#define W		64
#define H		64

enum bad_kind { BAD_DECODE_MODE, BAD_START_CODE, BAD_RESTARTS };

static const char *const kind_name[] = {
	"slice-based decode mode", "no start code", "new stream + unknown reference",
};

/* An IDR slice NAL header and bytes that are no valid slice. */
static const uint8_t slice[] = { 0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0xa0, 0x5f, 0xff };

static void make_job(struct daedalus_job *msg, enum bad_kind kind, uint64_t seq,
		     int bs_fd, int pic_fd)
{
	struct daedalus_h264_params *p = &msg->params.h264;

	fx_job_init(msg, DAEDALUS_CODEC_H264, seq, 1, W, H);
	msg->bitstream.id = 7;		/* one buffer, mapped once */
	msg->bitstream.fd = dup(bs_fd);
	msg->bitstream.bytesused = sizeof(slice);
	msg->picture.fd = dup(pic_fd);
	switch (kind) {
	case BAD_DECODE_MODE:
		p->decode_mode = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
		break;
	case BAD_START_CODE:
		msg->bitstream.offset = 3;	/* past the start code */
		msg->bitstream.bytesused -= 3;
		break;
	case BAD_RESTARTS:
		msg->flags |= DAEDALUS_JOB_NEW_STREAM;
		p->decode_params.flags &= ~(uint32_t)V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
		p->decode_params.flags |= V4L2_H264_DECODE_PARAM_FLAG_PFRAME;
		p->decode_params.dpb[0].reference_ts = 987654321;
		p->decode_params.dpb[0].flags = V4L2_H264_DPB_ENTRY_FLAG_VALID |
						V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
		break;
	}
}

/* Lines of @text (@len bytes) at warning or error level. */
static int count_loud(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	int n = 0, shown = 0;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if ((!strncmp(p, "daedalusd: warning:", 19) ||
		     !strncmp(p, "daedalusd: error:", 17))) {
			if (shown++ < 2)
				printf("  %.*s\n", (int)(nl - p), p);
			n++;
		}
	}
	return n;
}

static void test_flood(enum bad_kind kind)
{
	static struct daedalus_job msg;
	struct dd_bufmap_cache *cache = dd_bufmap_cache_new();
	struct dd_prepared_job job = { .msg = &msg };
	struct daedalus_result res;
	struct dd_context ctx;
	int bs_fd = fx_memfd(FX_BITSTREAM_LENGTH, 0);
	int pic_fd = fx_memfd(W * H * 3 / 2, 0);
	struct fx_capture cap;
	int failed = 0, lines, i;
	char *text;

	CHECK_EQ(pwrite(bs_fd, slice, sizeof(slice), 0), sizeof(slice));
	dd_context_init(&ctx, 1, NULL, NULL);
	fx_capture_begin(&cap);
	for (i = 0; i < JOBS; i++) {
		make_job(&msg, kind, (uint64_t)i + 1, bs_fd, pic_fd);
		dd_job_prepare(cache, &job, sizeof(msg));
		dd_context_run(&ctx, &job, NULL, &res);
		failed += res.status != DAEDALUS_STATUS_OK;
		dd_job_release(&job);
	}
	dd_context_close_decoder(&ctx);
	text = fx_capture_end(&cap);
	printf("%s: %d jobs, %d not OK, log:\n", kind_name[kind], JOBS, failed);
	lines = count_loud(text, strlen(text));
	printf("  ... %d lines at warning or error level\n", lines);
	CHECK_EQ(failed, JOBS);		/* the setup: every job is bad */
	CHECK(lines >= 1);		/* the setup: the problem is logged */
	CHECK(lines <= MAX_LINES);
	free(text);
	close(bs_fd);
	close(pic_fd);
	dd_bufmap_cache_free(cache);
}

int main(void)
{
	if (!dd_lavc_load()) {
		printf("SKIP: %s\n", dd_lavc_error());
		return dd_test_skip();
	}
	test_flood(BAD_DECODE_MODE);
	test_flood(BAD_START_CODE);
	test_flood(BAD_RESTARTS);
	return dd_test_result("test_log_flood");
}
