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

int main(void)
{
	test_result_bytes();
	test_result_check_rejects();
	test_parse();
	return dd_test_result("test_proto_io");
}
