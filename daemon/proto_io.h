/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Building and recognising the records of include/daedalus_proto.h, shared
 * by the daemon, the replay tool and the tests.  dd_result_check() states
 * what the kernel accepts in a result; the daemon checks its own answers
 * against it before writing them.
 */
#ifndef DAEDALUS_PROTO_IO_H
#define DAEDALUS_PROTO_IO_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"

enum dd_record_kind {
	DD_RECORD_INVALID = 0,
	DD_RECORD_JOB,
	DD_RECORD_BUF_GONE,
	DD_RECORD_CTX_GONE,
	DD_RECORD_SF_CHUNK,
	DD_RECORD_SF_LEND,
	DD_RECORD_SF_CMD,
};

/* One kernel -> daemon record, as one fetch returns it. */
struct dd_record {
	enum dd_record_kind kind;
	const char *why;	/* DD_RECORD_INVALID: what is wrong */
	union {
		const struct daedalus_job *job;
		const struct daedalus_buf_gone *buf_gone;
		const struct daedalus_ctx_gone *ctx_gone;
		const struct daedalus_sf_chunk *sf_chunk;
		const struct daedalus_sf_lend *sf_lend;
		const struct daedalus_sf_cmd *sf_cmd;
	};
};

void dd_hdr_init(struct daedalus_hdr *hdr, enum daedalus_msg_type type,
		 uint32_t size);
/* 0 if @hdr is a valid header of a @type record of @size bytes, else -EINVAL. */
int dd_hdr_check(const struct daedalus_hdr *hdr, enum daedalus_msg_type type,
		 uint32_t size, const char **why);

/*
 * Classifies the @len bytes fetched into @buf (aligned for struct
 * daedalus_job).  A job is recognised by magic, version, type and length
 * alone: it carries fds that must be kept and a seq that must be
 * answered even if the rest of it is bad, which dd_job_check() decides.
 * So are the stateful node's chunks and lends, which carry fds too
 * (dd_sf_record_check() looks at the rest).  BUF_GONE, CTX_GONE and SF_CMD
 * records are checked completely here.
 */
int dd_record_parse(const void *buf, size_t len, struct dd_record *rec);

void dd_result_init(struct daedalus_result *res, uint64_t seq,
		    uint64_t ctx_id, enum daedalus_status status,
		    uint32_t bytesused);
/*
 * What the kernel requires of a result for a job whose CAPTURE sizeimage
 * is @sizeimage: header, ctx_id != 0, status known, bytesused <=
 * sizeimage, reserved zero.  0 or -EINVAL.
 */
int dd_result_check(const struct daedalus_result *res, uint32_t sizeimage,
		    const char **why);

/*
 * What a stateful chunk or lend (dd_record_parse()) must be beyond its
 * header: a context, a known codec, data within its buffer, reserved
 * fields zero.  0 or -EINVAL with *why.
 */
int dd_sf_record_check(const struct dd_record *rec, const char **why);

/* A stateful answer of @kind with nothing else set. */
void dd_sf_answer_init(struct daedalus_sf_answer *ans,
		       enum daedalus_sf_answer_kind kind, uint64_t seq,
		       uint64_t ctx_id, uint64_t seen_seq);
/*
 * What the kernel requires of a stateful answer by itself (header, kind,
 * status, flags, reserved fields, a SOURCE_CHANGE's ranges); what it
 * checks against the context's state (seq, format_seq) is not known
 * here.  0 or -EINVAL with *why.
 */
int dd_sf_answer_check(const struct daedalus_sf_answer *ans, const char **why);

const char *dd_status_name(enum daedalus_status status);
const char *dd_codec_name(enum daedalus_codec codec);

#endif /* DAEDALUS_PROTO_IO_H */
