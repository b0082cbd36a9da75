/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stateful context's state machine (daemon/sf_context.c) against a
 * fake stream decoder, record by record, checking every answer it
 * commits: initialization (SOURCE_CHANGE, no picture before FORMAT),
 * display order and timestamps, backpressure, drain with LAST on the last
 * picture or an empty LAST, START, seek (RESET: nothing until a key
 * frame), resolution change (LAST first, the new pictures after START),
 * a drain across a resolution change (its LAST after the change's),
 * CAPTURE_OFF keeping a decoded picture, refused chunks and lends, and the
 * IDLE rule (said once, and only when nothing can be done).
 * The fake stream decoder is sf_fake.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "dd_test.h"
#include "proto_io.h"
#include "sf_context.h"
#include "sf_fake.h"

#define CTX 7

/* What the context committed, in order. */
static struct daedalus_sf_answer got[256];
static unsigned int num_got, seen;

static void commit(void *opaque, const struct daedalus_sf_answer *a,
		   unsigned int n)
{
	(void)opaque;
	for (unsigned int i = 0; i < n && num_got < 256; i++)
		got[num_got++] = a[i];
}

static const struct dd_sf_sink sink = { .commit = commit };

static uint64_t next_seq = 1;
static uint8_t lend_mem[16][32 * 32 * 3 / 2 + 64];
static uint64_t lend_seq[16];	/* the lend each buffer was last */

static struct dd_sf_record *record(enum dd_record_kind kind)
{
	struct dd_sf_record *r = calloc(1, sizeof(*r));

	r->kind = kind;
	r->seq = next_seq++;
	return r;
}

static uint64_t chunk(struct dd_sf_context *ctx, const char *bytes,
		      uint64_t ts, uint32_t flags)
{
	struct dd_sf_record *r = record(DD_RECORD_SF_CHUNK);
	uint64_t seq = r->seq;

	r->data = (uint8_t *)bytes;
	r->size = strlen(bytes);
	r->timestamp = ts;
	r->codec = DAEDALUS_CODEC_H264;
	r->flags = flags;
	dd_sf_context_add(ctx, r);
	return seq;
}

static uint64_t lend(struct dd_sf_context *ctx, unsigned int i)
{
	struct dd_sf_record *r = record(DD_RECORD_SF_LEND);
	uint64_t seq = r->seq;

	r->data = lend_mem[i];
	r->size = sizeof(lend_mem[i]);
	lend_seq[i] = seq;
	dd_sf_context_add(ctx, r);
	return seq;
}

static uint64_t cmd(struct dd_sf_context *ctx, uint32_t what, uint32_t size,
		    uint32_t drc)
{
	struct dd_sf_record *r = record(DD_RECORD_SF_CMD);
	uint64_t seq = r->seq;

	r->cmd.cmd = what;
	r->cmd.seq = seq;
	r->cmd.ctx_id = CTX;
	if (what == DAEDALUS_SF_CMD_FORMAT) {
		r->cmd.format_seq = size;	/* the tests use the size as format_seq */
		r->cmd.drc = drc;
		r->cmd.picture.pixelformat = V4L2_PIX_FMT_NV12;
		r->cmd.picture.width = size;
		r->cmd.picture.height = size;
		r->cmd.picture.bytesperline = size;
		r->cmd.picture.sizeimage = size * size * 3 / 2;
	}
	dd_sf_context_add(ctx, r);
	return seq;
}

/* Runs the context until it can do nothing more. */
static void run(struct dd_sf_context *ctx)
{
	for (int i = 0; i < 100 && dd_sf_context_run(ctx, &sink, 3); i++)
		;
}

/* The next answer, which must be @kind for @seq (0: any seq). */
static const struct daedalus_sf_answer *expect(unsigned int line, uint32_t kind,
					       uint64_t seq)
{
	static const struct daedalus_sf_answer none;
	const struct daedalus_sf_answer *a;
	const char *why;

	if (seen >= num_got) {
		fprintf(stderr, "line %u: no answer, expected kind %u seq %llu\n",
			line, kind, (unsigned long long)seq);
		CHECK(0);
		return &none;
	}
	a = &got[seen++];
	CHECK(!dd_sf_answer_check(a, &why));
	CHECK_EQ(a->ctx_id, CTX);
	if (a->kind != kind || (seq && a->seq != seq)) {
		fprintf(stderr, "line %u: answer kind %u seq %llu, expected kind %u seq %llu\n",
			line, a->kind, (unsigned long long)a->seq, kind,
			(unsigned long long)seq);
		CHECK(0);
	}
	return a;
}

#define EXPECT(kind, seq) expect(__LINE__, DAEDALUS_SF_##kind, (seq))

/* The next answer is a STATUS with IDLE, and nothing follows it. */
static void expect_idle(unsigned int line)
{
	const struct daedalus_sf_answer *a = expect(line, DAEDALUS_SF_STATUS, 0);

	CHECK(a->flags & DAEDALUS_SF_IDLE);
	if (seen != num_got) {
		fprintf(stderr, "line %u: %u more answers after IDLE\n", line,
			num_got - seen);
		CHECK(0);
	}
	seen = num_got;
}

#define EXPECT_IDLE() expect_idle(__LINE__)

static const struct daedalus_sf_answer *expect_picture(unsigned int line,
						       uint64_t seq, uint8_t b,
						       uint64_t ts,
						       uint32_t flags)
{
	const struct daedalus_sf_answer *a = expect(line, DAEDALUS_SF_PICTURE, seq);

	CHECK_EQ(a->status, DAEDALUS_STATUS_OK);
	CHECK_EQ(a->timestamp, ts);
	CHECK_EQ(a->flags & DAEDALUS_SF_LAST, flags);
	CHECK(a->bytesused > 0);
	for (unsigned int i = 0; i < 16; i++)
		if (lend_seq[i] == seq)
			CHECK_EQ(lend_mem[i][0], b);
	return a;
}

#define EXPECT_PICTURE(seq, b, ts, flags) \
	expect_picture(__LINE__, (seq), (b), (ts), (flags))

static void fresh(struct dd_sf_context *ctx)
{
	num_got = seen = 0;
	dd_sf_context_init(ctx, CTX, &dd_sf_fake_backend, NULL);
}

/* Initialization, display order, drain with LAST on the last picture, START. */
/* The client's reallocation after a resolution change: CAPTURE_OFF, one
 * new lend, START; returns the lend's seq. */
static uint64_t reallocate(struct dd_sf_context *ctx, unsigned int i)
{
	uint64_t s, l;

	s = cmd(ctx, DAEDALUS_SF_CMD_CAPTURE_OFF, 0, 0);
	run(ctx);
	EXPECT(CMD_DONE, s);
	EXPECT_IDLE();
	l = lend(ctx, i);
	s = cmd(ctx, DAEDALUS_SF_CMD_START, 0, 0);
	run(ctx);
	EXPECT(CMD_DONE, s);
	return l;
}

static void test_init_and_drain(int peek)
{
	struct dd_sf_context ctx;
	uint64_t c1, c2, l[4], f, d, s;

	dd_sf_fake_backend.peek_format = peek ? dd_sf_fake_peek : NULL;
	fresh(&ctx);
	c1 = chunk(&ctx, "KP", 100, DAEDALUS_SF_NEW_STREAM);
	run(&ctx);
	EXPECT(CHUNK_DONE, c1);
	/* The peeked format comes with the chunk, else with the first picture. */
	CHECK_EQ(EXPECT(SOURCE_CHANGE, c1)->format.width, 16);
	EXPECT_IDLE();

	/* Lends before FORMAT get nothing; the next chunk waits. */
	l[0] = lend(&ctx, 0);
	l[1] = lend(&ctx, 1);
	c2 = chunk(&ctx, "PK", 200, 0);
	run(&ctx);
	EXPECT_IDLE();

	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 16, 0);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	CHECK_EQ(EXPECT_PICTURE(l[0], 'K', 100, 0)->format_seq, 16);
	EXPECT(CHUNK_DONE, c2);
	EXPECT_PICTURE(l[1], 'P', 100, 0);
	EXPECT_IDLE();	/* 'P' of 200 waits for a lend */
	CHECK_EQ(lend_mem[0][0], 'K');
	CHECK_EQ(lend_mem[1][16 * 16], 'P');	/* chroma too */

	/* Drain: 'P' of 200 out at once, 'K' of 200 held back until the end. */
	l[2] = lend(&ctx, 2);
	d = cmd(&ctx, DAEDALUS_SF_CMD_DRAIN, 0, 0);
	run(&ctx);
	EXPECT_PICTURE(l[2], 'P', 200, 0);
	EXPECT(CMD_DONE, d);
	EXPECT_IDLE();
	l[3] = lend(&ctx, 3);
	run(&ctx);
	EXPECT_PICTURE(l[3], 'K', 200, DAEDALUS_SF_LAST);
	EXPECT_IDLE();

	/* Stopped: a lend waits for START, then the next stream decodes. */
	l[0] = lend(&ctx, 0);
	c1 = chunk(&ctx, "KK", 300, 0);
	run(&ctx);
	EXPECT(CHUNK_DONE, c1);
	EXPECT_IDLE();
	s = cmd(&ctx, DAEDALUS_SF_CMD_START, 0, 0);
	run(&ctx);
	EXPECT(CMD_DONE, s);
	EXPECT_PICTURE(l[0], 'K', 300, 0);
	EXPECT_IDLE();
	/* Nothing new: IDLE is not said again. */
	run(&ctx);
	CHECK_EQ(num_got, seen);
	dd_sf_context_fini(&ctx);
}

/* A drain with every picture already out, or nothing ever decoded: empty LAST. */
static void test_empty_last(void)
{
	struct dd_sf_context ctx;
	uint64_t d, l;
	const struct daedalus_sf_answer *a;

	dd_sf_fake_backend.peek_format = NULL;
	fresh(&ctx);
	d = cmd(&ctx, DAEDALUS_SF_CMD_DRAIN, 0, 0);
	run(&ctx);
	EXPECT(CMD_DONE, d);
	EXPECT_IDLE();
	l = lend(&ctx, 0);
	run(&ctx);
	a = EXPECT(PICTURE, l);
	CHECK_EQ(a->flags, DAEDALUS_SF_LAST);
	CHECK_EQ(a->bytesused, 0);
	EXPECT_IDLE();
	dd_sf_context_fini(&ctx);
}

/* Seek: RESET forgets everything, pictures before a key frame are dropped. */
static void test_reset(void)
{
	struct dd_sf_context ctx;
	uint64_t c, f, r, l[3];

	dd_sf_fake_backend.peek_format = dd_sf_fake_peek;
	fresh(&ctx);
	c = chunk(&ctx, "KPPP", 10, DAEDALUS_SF_NEW_STREAM);
	l[0] = lend(&ctx, 0);
	run(&ctx);
	EXPECT(CHUNK_DONE, c);
	EXPECT(SOURCE_CHANGE, c);
	EXPECT_IDLE();
	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 16, 0);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	EXPECT_PICTURE(l[0], 'K', 10, 0);
	EXPECT_IDLE();

	/* A chunk queued before the RESET is never answered. */
	chunk(&ctx, "PP", 20, 0);
	r = cmd(&ctx, DAEDALUS_SF_CMD_RESET, 0, 0);
	c = chunk(&ctx, "PPKP", 30, DAEDALUS_SF_NEW_STREAM);
	l[1] = lend(&ctx, 1);
	l[2] = lend(&ctx, 2);
	run(&ctx);
	EXPECT(CMD_DONE, r);
	EXPECT(CHUNK_DONE, c);
	/* The same format: no new SOURCE_CHANGE; 'P', 'P' dropped. */
	EXPECT_PICTURE(l[1], 'K', 30, 0);
	EXPECT_IDLE();
	CHECK_EQ(lend_mem[1][0], 'K');
	(void)l[2];
	dd_sf_context_fini(&ctx);
}

/* Resolution change: SOURCE_CHANGE, FORMAT drc, empty LAST, START, new pictures. */
static void test_resolution_change(void)
{
	struct dd_sf_context ctx;
	uint64_t c, f, l[4];
	const struct daedalus_sf_answer *a;

	dd_sf_fake_backend.peek_format = NULL;
	fresh(&ctx);
	l[0] = lend(&ctx, 0);
	l[1] = lend(&ctx, 1);
	c = chunk(&ctx, "KBK", 1, DAEDALUS_SF_NEW_STREAM);
	run(&ctx);
	EXPECT(CHUNK_DONE, c);
	EXPECT(SOURCE_CHANGE, c);
	EXPECT_IDLE();
	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 16, 0);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	EXPECT_PICTURE(l[0], 'K', 1, 0);
	a = EXPECT(SOURCE_CHANGE, c);
	CHECK_EQ(a->format.width, 32);
	EXPECT_IDLE();

	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 32, 1);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	a = EXPECT(PICTURE, l[1]);
	CHECK_EQ(a->flags, DAEDALUS_SF_LAST);
	CHECK_EQ(a->bytesused, 0);
	EXPECT_IDLE();

	/* The client reallocates: CAPTURE_OFF, new lends, START. */
	l[2] = reallocate(&ctx, 2);
	a = EXPECT_PICTURE(l[2], 'B', 1, 0);
	CHECK_EQ(a->format_seq, 32);
	CHECK_EQ(a->bytesused, 32 * 32 * 3 / 2);
	EXPECT_IDLE();
	dd_sf_context_fini(&ctx);
}

/*
 * A drain that meets a resolution change (dev-decoder.rst, Drain 2): the
 * picture held back for the drain's LAST goes out before the change, the
 * change's LAST comes, the client reallocates (CAPTURE_OFF, START) and the
 * drain still ends with LAST on its last picture.  59-sf-resolution-change
 * lost both (GStreamer's v4l2h264dec sends STOP at EOS, before the last
 * part's change shows).
 */
static void test_drain_across_resolution_change(void)
{
	struct dd_sf_context ctx;
	uint64_t c, d, f, s, l[5];
	const struct daedalus_sf_answer *a;

	dd_sf_fake_backend.peek_format = NULL;
	dd_sf_fake_hold = 2;
	fresh(&ctx);
	l[0] = lend(&ctx, 0);
	c = chunk(&ctx, "KKK", 1, DAEDALUS_SF_NEW_STREAM);
	run(&ctx);
	EXPECT(CHUNK_DONE, c);
	CHECK_EQ(EXPECT(SOURCE_CHANGE, c)->format.width, 16);
	EXPECT_IDLE();
	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 16, 0);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	EXPECT_PICTURE(l[0], 'K', 1, 0);
	EXPECT_IDLE();

	/* STOP after the bytes of the change: DRAIN behind them. */
	l[1] = lend(&ctx, 1);
	l[2] = lend(&ctx, 2);
	c = chunk(&ctx, "B", 2, 0);
	d = cmd(&ctx, DAEDALUS_SF_CMD_DRAIN, 0, 0);
	run(&ctx);
	EXPECT(CHUNK_DONE, c);
	EXPECT_PICTURE(l[1], 'K', 1, 0);
	EXPECT(CMD_DONE, d);
	/* The last 16x16 picture, drained, before the change is told. */
	CHECK_EQ(EXPECT_PICTURE(l[2], 'K', 1, 0)->format_seq, 16);
	CHECK_EQ(EXPECT(SOURCE_CHANGE, c)->format.width, 32);
	EXPECT_IDLE();

	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 32, 1);
	l[3] = lend(&ctx, 3);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	a = EXPECT(PICTURE, l[3]);	/* the change's LAST */
	CHECK_EQ(a->flags, DAEDALUS_SF_LAST);
	CHECK_EQ(a->bytesused, 0);
	EXPECT_IDLE();

	/* Reallocation: the drain goes on and ends with LAST. */
	l[4] = reallocate(&ctx, 4);
	a = EXPECT_PICTURE(l[4], 'B', 2, DAEDALUS_SF_LAST);
	CHECK_EQ(a->format_seq, 32);
	EXPECT_IDLE();
	CHECK_EQ(ctx.drains, 1);

	/* Without a resolution change CAPTURE_OFF still aborts a drain. */
	c = chunk(&ctx, "BBB", 3, 0);
	l[0] = lend(&ctx, 0);
	run(&ctx);
	EXPECT(CHUNK_DONE, c);
	EXPECT_IDLE();		/* stopped after the LAST */
	s = cmd(&ctx, DAEDALUS_SF_CMD_START, 0, 0);
	d = cmd(&ctx, DAEDALUS_SF_CMD_DRAIN, 0, 0);
	run(&ctx);
	EXPECT(CMD_DONE, s);
	EXPECT_PICTURE(l[0], 'B', 3, 0);
	EXPECT(CMD_DONE, d);
	EXPECT_IDLE();		/* the next 'B' waits for a lend */
	s = cmd(&ctx, DAEDALUS_SF_CMD_CAPTURE_OFF, 0, 0);
	l[1] = lend(&ctx, 1);
	l[2] = lend(&ctx, 2);
	run(&ctx);
	EXPECT(CMD_DONE, s);
	EXPECT_PICTURE(l[1], 'B', 3, 0);
	EXPECT_PICTURE(l[2], 'B', 3, 0);	/* no LAST: aborted */
	EXPECT_IDLE();
	dd_sf_fake_hold = 1;
	dd_sf_context_fini(&ctx);
}

/* Refused records; CAPTURE_OFF takes lends back and keeps the picture. */
static void test_refused_and_capture_off(void)
{
	struct dd_sf_context ctx;
	struct dd_sf_record *r;
	uint64_t c, bad, f, off, l[3];
	const struct daedalus_sf_answer *a;

	dd_sf_fake_backend.peek_format = dd_sf_fake_peek;
	fresh(&ctx);
	r = record(DD_RECORD_SF_CHUNK);
	bad = r->seq;
	r->reject = "data outside its buffer";
	dd_sf_context_add(&ctx, r);
	c = chunk(&ctx, "KK", 5, 0);
	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 16, 0);
	run(&ctx);
	CHECK_EQ(EXPECT(CMD_DONE, f)->status, 0);	/* commands act at once */
	CHECK_EQ(EXPECT(CHUNK_DONE, bad)->status, DAEDALUS_STATUS_FAILED);
	CHECK_EQ(EXPECT(CHUNK_DONE, c)->status, DAEDALUS_STATUS_OK);
	/* FORMAT came before the report: it still waits for a FORMAT of its own. */
	EXPECT(SOURCE_CHANGE, c);
	EXPECT_IDLE();
	f = cmd(&ctx, DAEDALUS_SF_CMD_FORMAT, 16, 0);
	r = record(DD_RECORD_SF_LEND);
	l[0] = r->seq;
	r->reject = "cannot map the buffer";
	dd_sf_context_add(&ctx, r);
	run(&ctx);
	EXPECT(CMD_DONE, f);
	a = EXPECT(PICTURE, l[0]);
	CHECK_EQ(a->status, DAEDALUS_STATUS_FAILED);
	EXPECT_IDLE();

	l[1] = lend(&ctx, 1);
	off = cmd(&ctx, DAEDALUS_SF_CMD_CAPTURE_OFF, 0, 0);
	run(&ctx);
	EXPECT(CMD_DONE, off);
	EXPECT_IDLE();
	(void)l[1];
	l[2] = lend(&ctx, 2);
	run(&ctx);
	EXPECT_PICTURE(l[2], 'K', 5, 0);
	EXPECT_IDLE();
	dd_sf_context_fini(&ctx);
}

/* seen_seq never goes back and names the newest record read. */
static void test_seen_seq(void)
{
	uint64_t prev = 0;

	for (unsigned int i = 0; i < num_got; i++) {
		CHECK(got[i].seen_seq >= prev);
		prev = got[i].seen_seq;
	}
}

int main(void)
{
	test_init_and_drain(0);
	test_seen_seq();
	test_init_and_drain(1);
	test_seen_seq();
	test_empty_last();
	test_reset();
	test_resolution_change();
	test_seen_seq();
	test_refused_and_capture_off();
	test_drain_across_resolution_change();
	test_seen_seq();
	return dd_test_result("test_sf_context");
}
