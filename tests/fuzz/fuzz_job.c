/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Any bytes as a record from the kernel: record classification, the job
 * checks, and for a job that passes them the pattern backend and the
 * picture hash on a buffer of exactly sizeimage bytes (ASan catches any
 * access the checks should have prevented).  Odd first byte: the header
 * is forced valid so the fuzzer reaches the field checks quickly.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "job_check.h"
#include "picture_hash.h"
#include "proto_io.h"

#define MAX_PICTURE (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct daedalus_job job;
		uint8_t raw[DAEDALUS_READ_SIZE];
	} buf;
	size_t len = size < sizeof(buf) ? size : sizeof(buf);
	struct dd_record rec;
	const char *why;

	memset(&buf, 0, sizeof(buf));
	memcpy(&buf, data, len);
	dd_record_parse(&buf, len, &rec);
	if (size && (data[0] & 1)) {
		dd_hdr_init(&buf.job.hdr, DAEDALUS_MSG_JOB, sizeof(buf.job));
		len = sizeof(buf.job);
	}
	if (dd_job_check(&buf.job, len, &why) == 0 &&
	    buf.job.picture_format.sizeimage <= MAX_PICTURE) {
		const struct daedalus_picture_format *f = &buf.job.picture_format;
		uint8_t *pic = malloc(f->sizeimage);
		struct dd_job job = { .msg = &buf.job };
		struct dd_result res;
		char cap[33], i420[33];
		void *dec;

		job.picture.data = pic;
		job.picture.size = f->sizeimage;
		job.picture.format = f;
		if (pic && !dd_backend_pattern.open(&dec)) {
			dd_backend_pattern.decode(dec, &job, &res);
			dd_backend_pattern.close(dec);
			dd_picture_md5(pic, f, buf.job.coded_width, buf.job.coded_height,
				       cap, i420);
		}
		free(pic);
	}
	return 0;
}
