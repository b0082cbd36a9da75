/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <string.h>

#include "proto_io.h"

void dd_hdr_init(struct daedalus_hdr *hdr, enum daedalus_msg_type type,
		 uint32_t size)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = DAEDALUS_MAGIC;
	hdr->version = DAEDALUS_PROTO_VERSION;
	hdr->type = (uint16_t)type;
	hdr->size = size;
}

static int fail(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

int dd_hdr_check(const struct daedalus_hdr *hdr, enum daedalus_msg_type type,
		 uint32_t size, const char **why)
{
	if (hdr->magic != DAEDALUS_MAGIC)
		return fail(why, "bad magic");
	if (hdr->version != DAEDALUS_PROTO_VERSION)
		return fail(why, "bad protocol version");
	if (hdr->type != type)
		return fail(why, "unexpected record type");
	if (hdr->size != size)
		return fail(why, "bad record size");
	if (hdr->reserved)
		return fail(why, "header reserved field not zero");
	return 0;
}

int dd_record_parse(const void *buf, size_t len, struct dd_record *rec)
{
	const struct daedalus_hdr *hdr = buf;
	const char *why = NULL;

	memset(rec, 0, sizeof(*rec));
	rec->kind = DD_RECORD_INVALID;
	if (len < sizeof(*hdr)) {
		rec->why = "short record";
		return -EINVAL;
	}
	if (hdr->magic != DAEDALUS_MAGIC) {
		rec->why = "bad magic";
		return -EINVAL;
	}
	if (hdr->version != DAEDALUS_PROTO_VERSION) {
		rec->why = "bad protocol version";
		return -EINVAL;
	}
	switch (hdr->type) {
	case DAEDALUS_MSG_JOB:
		if (len != sizeof(struct daedalus_job)) {
			rec->why = "job record of the wrong length";
			return -EINVAL;
		}
		rec->kind = DD_RECORD_JOB;
		rec->job = buf;
		return 0;
	case DAEDALUS_MSG_BUF_GONE:
		if (len != sizeof(struct daedalus_buf_gone)) {
			rec->why = "buf_gone record of the wrong length";
			return -EINVAL;
		}
		if (dd_hdr_check(hdr, DAEDALUS_MSG_BUF_GONE, (uint32_t)len, &why)) {
			rec->why = why;
			return -EINVAL;
		}
		rec->kind = DD_RECORD_BUF_GONE;
		rec->buf_gone = buf;
		return 0;
	case DAEDALUS_MSG_CTX_GONE:
		if (len != sizeof(struct daedalus_ctx_gone)) {
			rec->why = "ctx_gone record of the wrong length";
			return -EINVAL;
		}
		if (dd_hdr_check(hdr, DAEDALUS_MSG_CTX_GONE, (uint32_t)len, &why)) {
			rec->why = why;
			return -EINVAL;
		}
		rec->kind = DD_RECORD_CTX_GONE;
		rec->ctx_gone = buf;
		return 0;
	default:
		rec->why = "unknown record type";
		return -EINVAL;
	}
}

void dd_result_init(struct daedalus_result *res, uint64_t seq,
		    uint64_t ctx_id, enum daedalus_status status,
		    uint32_t bytesused)
{
	memset(res, 0, sizeof(*res));
	dd_hdr_init(&res->hdr, DAEDALUS_MSG_RESULT, sizeof(*res));
	res->seq = seq;
	res->ctx_id = ctx_id;
	res->status = (uint32_t)status;
	res->bytesused = status == DAEDALUS_STATUS_FAILED ? 0 : bytesused;
}

int dd_result_check(const struct daedalus_result *res, uint32_t sizeimage,
		    const char **why)
{
	int ret = dd_hdr_check(&res->hdr, DAEDALUS_MSG_RESULT, sizeof(*res), why);

	if (ret)
		return ret;
	if (!res->ctx_id)
		return fail(why, "ctx_id is 0");
	if (res->status > DAEDALUS_STATUS_FAILED)
		return fail(why, "unknown status");
	if (res->bytesused > sizeimage)
		return fail(why, "bytesused > sizeimage");
	if (res->reserved[0] || res->reserved[1])
		return fail(why, "reserved field not zero");
	return 0;
}

const char *dd_status_name(enum daedalus_status status)
{
	switch (status) {
	case DAEDALUS_STATUS_OK:
		return "OK";
	case DAEDALUS_STATUS_CORRUPT:
		return "CORRUPT";
	case DAEDALUS_STATUS_FAILED:
		return "FAILED";
	}
	return "?";
}

const char *dd_codec_name(enum daedalus_codec codec)
{
	switch (codec) {
	case DAEDALUS_CODEC_H264:
		return "h264";
	case DAEDALUS_CODEC_VP8:
		return "vp8";
	case DAEDALUS_CODEC_VP9:
		return "vp9";
	case DAEDALUS_CODEC_AV1:
		return "av1";
	case DAEDALUS_CODEC_NONE:
	case DAEDALUS_CODEC_COUNT:
		break;
	}
	return "none";
}
