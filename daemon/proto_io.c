/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

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

/* After magic and version: the stateful node's records. */
static int parse_sf(const void *buf, size_t len, struct dd_record *rec)
{
	const struct daedalus_hdr *hdr = buf;
	const char *why = NULL;
	size_t size;

	switch (hdr->type) {
	case DAEDALUS_MSG_SF_CHUNK:
		size = sizeof(struct daedalus_sf_chunk);
		rec->kind = DD_RECORD_SF_CHUNK;
		break;
	case DAEDALUS_MSG_SF_LEND:
		size = sizeof(struct daedalus_sf_lend);
		rec->kind = DD_RECORD_SF_LEND;
		break;
	default:
		size = sizeof(struct daedalus_sf_cmd);
		rec->kind = DD_RECORD_SF_CMD;
		break;
	}
	if (len != size) {
		rec->kind = DD_RECORD_INVALID;
		rec->why = "stateful record of the wrong length";
		return -EINVAL;
	}
	rec->sf_chunk = buf;	/* one pointer in the union */
	if (rec->kind != DD_RECORD_SF_CMD)
		return 0;	/* carries an fd: dd_sf_record_check() */
	if (dd_hdr_check(hdr, DAEDALUS_MSG_SF_CMD, (uint32_t)len, &why) ||
	    dd_sf_record_check(rec, &why)) {
		rec->kind = DD_RECORD_INVALID;
		rec->why = why;
		return -EINVAL;
	}
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
	case DAEDALUS_MSG_SF_CHUNK:
	case DAEDALUS_MSG_SF_LEND:
	case DAEDALUS_MSG_SF_CMD:
		return parse_sf(buf, len, rec);
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

static int buf_check(const struct daedalus_buf *b, const char **why)
{
	if (!b->id)
		return fail(why, "buffer id is 0");
	if (b->offset > b->length || b->bytesused > b->length - b->offset)
		return fail(why, "data outside its buffer");
	return 0;
}

int dd_sf_record_check(const struct dd_record *rec, const char **why)
{
	const struct daedalus_sf_chunk *chunk = rec->sf_chunk;
	const struct daedalus_sf_lend *lend = rec->sf_lend;
	const struct daedalus_sf_cmd *cmd = rec->sf_cmd;

	switch (rec->kind) {
	case DD_RECORD_SF_CHUNK:
		if (dd_hdr_check(&chunk->hdr, DAEDALUS_MSG_SF_CHUNK,
				 sizeof(*chunk), why))
			return -EINVAL;
		if (!chunk->ctx_id)
			return fail(why, "ctx_id is 0");
		if (chunk->codec == DAEDALUS_CODEC_NONE ||
		    chunk->codec >= DAEDALUS_CODEC_COUNT)
			return fail(why, "unknown codec");
		if (chunk->flags & ~(uint32_t)DAEDALUS_SF_NEW_STREAM)
			return fail(why, "unknown chunk flags");
		if (chunk->reserved[0] || chunk->reserved[1])
			return fail(why, "reserved field not zero");
		return buf_check(&chunk->bitstream, why);
	case DD_RECORD_SF_LEND:
		if (dd_hdr_check(&lend->hdr, DAEDALUS_MSG_SF_LEND,
				 sizeof(*lend), why))
			return -EINVAL;
		if (!lend->ctx_id)
			return fail(why, "ctx_id is 0");
		if (lend->reserved[0] || lend->reserved[1])
			return fail(why, "reserved field not zero");
		return buf_check(&lend->picture, why);
	case DD_RECORD_SF_CMD:
		if (!cmd->ctx_id)
			return fail(why, "ctx_id is 0");
		if (cmd->cmd < DAEDALUS_SF_CMD_DRAIN ||
		    cmd->cmd > DAEDALUS_SF_CMD_FORMAT)
			return fail(why, "unknown command");
		if (cmd->reserved || cmd->drc > 1)
			return fail(why, "reserved field not zero");
		return 0;
	default:
		return fail(why, "not a stateful record");
	}
}

void dd_sf_answer_init(struct daedalus_sf_answer *ans,
		       enum daedalus_sf_answer_kind kind, uint64_t seq,
		       uint64_t ctx_id, uint64_t seen_seq)
{
	memset(ans, 0, sizeof(*ans));
	dd_hdr_init(&ans->hdr, DAEDALUS_MSG_SF_ANSWER, sizeof(*ans));
	ans->kind = (uint32_t)kind;
	ans->seq = seq;
	ans->ctx_id = ctx_id;
	ans->seen_seq = seen_seq;
}

static int format_check(const struct daedalus_sf_format *f, const char **why)
{
	if (f->coded_width < 2 || f->coded_width > 4096 ||
	    f->coded_height < 2 || f->coded_height > 2304)
		return fail(why, "coded size out of range");
	if (!f->width || f->width > f->coded_width ||
	    !f->height || f->height > f->coded_height)
		return fail(why, "visible size out of range");
	if (f->bit_depth != 8 && f->bit_depth != 10)
		return fail(why, "bit depth neither 8 nor 10");
	if (!f->min_buffers || f->min_buffers > 32)
		return fail(why, "min_buffers out of range");
	if (f->colorspace > V4L2_COLORSPACE_DCI_P3 ||
	    f->xfer_func > V4L2_XFER_FUNC_SMPTE2084 ||
	    f->ycbcr_enc > V4L2_YCBCR_ENC_SMPTE240M ||
	    f->quantization > V4L2_QUANTIZATION_LIM_RANGE)
		return fail(why, "colorimetry out of range");
	if (f->reserved[0] || f->reserved[1] || f->reserved[2])
		return fail(why, "reserved field not zero");
	return 0;
}

int dd_sf_answer_check(const struct daedalus_sf_answer *ans, const char **why)
{
	static const struct daedalus_sf_format none;
	uint32_t flags = DAEDALUS_SF_IDLE;

	if (dd_hdr_check(&ans->hdr, DAEDALUS_MSG_SF_ANSWER, sizeof(*ans), why))
		return -EINVAL;
	if (!ans->ctx_id)
		return fail(why, "ctx_id is 0");
	if (ans->reserved)
		return fail(why, "reserved field not zero");
	if (ans->status > DAEDALUS_STATUS_FAILED)
		return fail(why, "unknown status");
	if (ans->kind == DAEDALUS_SF_PICTURE)
		flags |= DAEDALUS_SF_LAST;
	if (ans->flags & ~flags)
		return fail(why, "flags not allowed for this kind");
	switch (ans->kind) {
	case DAEDALUS_SF_SOURCE_CHANGE:
		if (ans->status || ans->bytesused || ans->format_seq)
			return fail(why, "picture fields set on a source change");
		return format_check(&ans->format, why);
	case DAEDALUS_SF_PICTURE:
		if (!ans->bytesused && ans->status != DAEDALUS_STATUS_FAILED &&
		    !(ans->flags & DAEDALUS_SF_LAST))
			return fail(why, "empty picture neither LAST nor FAILED");
		break;
	case DAEDALUS_SF_STATUS:
		if (ans->seq)
			return fail(why, "status answer with a seq");
		/* fall through */
	case DAEDALUS_SF_CHUNK_DONE:
	case DAEDALUS_SF_CMD_DONE:
		if (ans->bytesused || ans->format_seq)
			return fail(why, "picture fields set");
		if (ans->kind != DAEDALUS_SF_CHUNK_DONE && ans->status)
			return fail(why, "status set");
		break;
	default:
		return fail(why, "unknown answer kind");
	}
	if (memcmp(&ans->format, &none, sizeof(none)))
		return fail(why, "format set outside a source change");
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
