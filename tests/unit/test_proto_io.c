/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Both directions of the wire format: the result the daemon writes (byte
 * by byte, and against the kernel's acceptance rules), and how records
 * the daemon reads are classified, malformed ones included.
 */
#include <errno.h>
#include <stdlib.h>

#include "dd_test.h"
#include "fixture.h"
#include "proto_io.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void test_result_bytes(void)
{
	struct daedalus_result res;
	const uint8_t *b = (const uint8_t *)&res;
	const char *why = NULL;

	memset(&res, 0xa5, sizeof(res));
	dd_result_init(&res, 0x0102030405060708ull, 77, DAEDALUS_STATUS_CORRUPT, 4096);
	/* Field by field at the offsets the kernel reads them. */
	CHECK_EQ(sizeof(res), 48);
	CHECK_EQ(le32(b + 0), 0x44414544u);
	CHECK(b[0] == 'D' && b[1] == 'E' && b[2] == 'A' && b[3] == 'D');
	CHECK_EQ(b[4] | b[5] << 8, DAEDALUS_PROTO_VERSION);
	CHECK_EQ(b[6] | b[7] << 8, DAEDALUS_MSG_RESULT);
	CHECK_EQ(le32(b + 8), 48);
	CHECK_EQ(le32(b + 12), 0);
	CHECK_EQ(le64(b + 16), 0x0102030405060708ull);
	CHECK_EQ(le64(b + 24), 77);
	CHECK_EQ(le32(b + 32), DAEDALUS_STATUS_CORRUPT);
	CHECK_EQ(le32(b + 36), 4096);
	CHECK_EQ(le64(b + 40), 0);
	CHECK_EQ(dd_result_check(&res, 4096, &why), 0);

	/* FAILED never carries a payload. */
	dd_result_init(&res, 1, 2, DAEDALUS_STATUS_FAILED, 4096);
	CHECK_EQ(res.bytesused, 0);
	CHECK_EQ(dd_result_check(&res, 4096, &why), 0);
}

static void test_result_check_rejects(void)
{
	struct daedalus_result good, r;
	const char *why = NULL;

	dd_result_init(&good, 5, 6, DAEDALUS_STATUS_OK, 100);

	r = good; r.hdr.magic ^= 1;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	CHECK_STR(why, "bad magic");
	r = good; r.hdr.version = DAEDALUS_PROTO_VERSION + 1;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	r = good; r.hdr.type = DAEDALUS_MSG_JOB;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	r = good; r.hdr.size = 47;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	r = good; r.hdr.reserved = 1;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	r = good; r.ctx_id = 0;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	r = good; r.status = 3;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
	r = good;
	CHECK_EQ(dd_result_check(&r, 99, &why), -EINVAL);
	CHECK_STR(why, "bytesused > sizeimage");
	r = good; r.reserved[1] = 1;
	CHECK_EQ(dd_result_check(&r, 100, &why), -EINVAL);
}

static void test_parse(void)
{
	static union {
		struct daedalus_job job;
		uint8_t raw[DAEDALUS_READ_SIZE + 16];
	} buf;
	struct daedalus_buf_gone bg;
	struct daedalus_ctx_gone cg;
	struct dd_record rec;

	CHECK_EQ(DAEDALUS_READ_SIZE, sizeof(struct daedalus_job));

	fx_job_init(&buf.job, DAEDALUS_CODEC_H264, 1, 2, 64, 64);
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_JOB);
	CHECK(rec.job == &buf.job);

	/* Short reads: no header, a truncated job, an overlong job. */
	CHECK_EQ(dd_record_parse(&buf, 0, &rec), -EINVAL);
	CHECK_EQ(rec.kind, DD_RECORD_INVALID);
	CHECK_EQ(dd_record_parse(&buf, sizeof(struct daedalus_hdr) - 1, &rec), -EINVAL);
	CHECK_STR(rec.why, "short record");
	CHECK_EQ(dd_record_parse(&buf, sizeof(struct daedalus_hdr), &rec), -EINVAL);
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job) - 1, &rec), -EINVAL);
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job) + 8, &rec), -EINVAL);
	CHECK_EQ(rec.kind, DD_RECORD_INVALID);

	/* A job whose header size or reserved field is wrong is still a job:
	 * its fds must be closed and it is answered FAILED by job_check. */
	buf.job.hdr.size = 12;
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_JOB);
	buf.job.hdr.size = sizeof(buf.job);

	/* Unknown types, the daemon's own type, bad magic/version. */
	buf.job.hdr.type = 99;
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job), &rec), -EINVAL);
	CHECK_STR(rec.why, "unknown record type");
	buf.job.hdr.type = DAEDALUS_MSG_RESULT;
	CHECK_EQ(dd_record_parse(&buf, 48, &rec), -EINVAL);
	buf.job.hdr.type = DAEDALUS_MSG_JOB;
	buf.job.hdr.magic = 0x44414545;
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job), &rec), -EINVAL);
	CHECK_STR(rec.why, "bad magic");
	buf.job.hdr.magic = DAEDALUS_MAGIC;
	buf.job.hdr.version = DAEDALUS_PROTO_VERSION + 1;
	CHECK_EQ(dd_record_parse(&buf, sizeof(buf.job), &rec), -EINVAL);
	CHECK_STR(rec.why, "bad protocol version");

	/* BUF_GONE and CTX_GONE are checked completely. */
	memset(&bg, 0, sizeof(bg));
	dd_hdr_init(&bg.hdr, DAEDALUS_MSG_BUF_GONE, sizeof(bg));
	bg.buf_id = 42;
	CHECK_EQ(dd_record_parse(&bg, sizeof(bg), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_BUF_GONE);
	CHECK_EQ(rec.buf_gone->buf_id, 42);
	CHECK_EQ(dd_record_parse(&bg, sizeof(bg) - 8, &rec), -EINVAL);
	bg.hdr.reserved = 1;
	CHECK_EQ(dd_record_parse(&bg, sizeof(bg), &rec), -EINVAL);
	bg.hdr.reserved = 0;
	bg.hdr.size = 32;
	CHECK_EQ(dd_record_parse(&bg, sizeof(bg), &rec), -EINVAL);

	memset(&cg, 0, sizeof(cg));
	dd_hdr_init(&cg.hdr, DAEDALUS_MSG_CTX_GONE, sizeof(cg));
	cg.ctx_id = 7;
	CHECK_EQ(dd_record_parse(&cg, sizeof(cg), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_CTX_GONE);
	CHECK_EQ(rec.ctx_gone->ctx_id, 7);
	cg.hdr.type = DAEDALUS_MSG_BUF_GONE;	/* same size, other type */
	CHECK_EQ(dd_record_parse(&cg, sizeof(cg), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_BUF_GONE);
	cg.hdr.size = 0;
	CHECK_EQ(dd_record_parse(&cg, sizeof(cg), &rec), -EINVAL);
}

/* The stateful records: chunks and lends parse by length, then are checked. */
static void test_sf_records(void)
{
	struct daedalus_sf_chunk chunk;
	struct daedalus_sf_lend lend;
	struct daedalus_sf_cmd cmd;
	struct dd_record rec;
	const char *why;

	memset(&chunk, 0, sizeof(chunk));
	dd_hdr_init(&chunk.hdr, DAEDALUS_MSG_SF_CHUNK, sizeof(chunk));
	chunk.seq = 3;
	chunk.ctx_id = 9;
	chunk.codec = DAEDALUS_CODEC_VP9;
	chunk.bitstream = (struct daedalus_buf){ .id = 5, .fd = -1, .length = 100,
						 .offset = 10, .bytesused = 90 };
	CHECK_EQ(dd_record_parse(&chunk, sizeof(chunk), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_SF_CHUNK);
	CHECK_EQ(dd_sf_record_check(&rec, &why), 0);
	chunk.bitstream.bytesused = 91;
	CHECK_EQ(dd_sf_record_check(&rec, &why), -EINVAL);
	CHECK_STR(why, "data outside its buffer");
	chunk.bitstream.bytesused = 90;
	chunk.flags = 2;
	CHECK_EQ(dd_sf_record_check(&rec, &why), -EINVAL);
	chunk.flags = DAEDALUS_SF_NEW_STREAM;
	chunk.codec = DAEDALUS_CODEC_COUNT;
	CHECK_EQ(dd_sf_record_check(&rec, &why), -EINVAL);
	chunk.codec = DAEDALUS_CODEC_H264;
	/* A bad header is still a chunk (its fd must be kept), then refused. */
	chunk.hdr.reserved = 1;
	CHECK_EQ(dd_record_parse(&chunk, sizeof(chunk), &rec), 0);
	CHECK_EQ(dd_sf_record_check(&rec, &why), -EINVAL);
	CHECK_EQ(dd_record_parse(&chunk, sizeof(chunk) - 8, &rec), -EINVAL);

	memset(&lend, 0, sizeof(lend));
	dd_hdr_init(&lend.hdr, DAEDALUS_MSG_SF_LEND, sizeof(lend));
	lend.ctx_id = 9;
	lend.picture = (struct daedalus_buf){ .id = 6, .fd = -1, .length = 4096 };
	CHECK_EQ(dd_record_parse(&lend, sizeof(lend), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_SF_LEND);
	CHECK_EQ(dd_sf_record_check(&rec, &why), 0);
	lend.picture.offset = 4097;
	CHECK_EQ(dd_sf_record_check(&rec, &why), -EINVAL);

	/* Commands are checked at parse: nothing to keep from a bad one. */
	memset(&cmd, 0, sizeof(cmd));
	dd_hdr_init(&cmd.hdr, DAEDALUS_MSG_SF_CMD, sizeof(cmd));
	cmd.ctx_id = 9;
	cmd.cmd = DAEDALUS_SF_CMD_FORMAT;
	cmd.drc = 1;
	CHECK_EQ(dd_record_parse(&cmd, sizeof(cmd), &rec), 0);
	CHECK_EQ(rec.kind, DD_RECORD_SF_CMD);
	cmd.cmd = DAEDALUS_SF_CMD_FORMAT + 1;
	CHECK_EQ(dd_record_parse(&cmd, sizeof(cmd), &rec), -EINVAL);
	CHECK_STR(rec.why, "unknown command");
	cmd.cmd = DAEDALUS_SF_CMD_DRAIN;
	cmd.drc = 2;
	CHECK_EQ(dd_record_parse(&cmd, sizeof(cmd), &rec), -EINVAL);
}

/* What dd_sf_answer_check() refuses, as the kernel does. */
static void test_sf_answer_check(void)
{
	struct daedalus_sf_answer a, good;
	const char *why;

	dd_sf_answer_init(&good, DAEDALUS_SF_SOURCE_CHANGE, 4, 9, 4);
	good.format = (struct daedalus_sf_format){
		.coded_width = 1920, .coded_height = 1088, .width = 1920,
		.height = 1080, .bit_depth = 8, .min_buffers = 5 };
	CHECK_EQ(dd_sf_answer_check(&good, &why), 0);
	a = good;
	a.format.width = 1921;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.format.bit_depth = 12;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.format.min_buffers = 33;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.format.coded_height = 2305;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.flags = DAEDALUS_SF_LAST;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);

	dd_sf_answer_init(&good, DAEDALUS_SF_PICTURE, 5, 9, 5);
	good.bytesused = 100;
	CHECK_EQ(dd_sf_answer_check(&good, &why), 0);
	a = good;
	a.bytesused = 0;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a.flags = DAEDALUS_SF_LAST;
	CHECK_EQ(dd_sf_answer_check(&a, &why), 0);
	a = good;
	a.format.width = 1;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.status = DAEDALUS_STATUS_FAILED + 1;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);

	dd_sf_answer_init(&good, DAEDALUS_SF_STATUS, 0, 9, 5);
	good.flags = DAEDALUS_SF_IDLE;
	CHECK_EQ(dd_sf_answer_check(&good, &why), 0);
	a = good;
	a.seq = 1;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.kind = 9;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.ctx_id = 0;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
	a = good;
	a.hdr.type = DAEDALUS_MSG_RESULT;
	CHECK_EQ(dd_sf_answer_check(&a, &why), -EINVAL);
}

int main(void)
{
	test_result_bytes();
	test_result_check_rejects();
	test_parse();
	test_sf_records();
	test_sf_answer_check();
	return dd_test_result("test_proto_io");
}
