/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalusd --record DIR: every job the daemon receives is written as
 *   DIR/ctx<ctx_id>/<seq>.job   the raw struct daedalus_job (fds as received)
 *   DIR/ctx<ctx_id>/<seq>.bin   its bitstream bytes (bytesused from offset);
 *                               missing when the job failed its checks
 * ctx_id and seq in decimal, seq zero-padded to 8 digits.  Files are
 * written by the worker running the context, in the context's order.
 * dd_recording_list() reads them back (tools/replay.c, dd-fuzz-seed).
 */
#ifndef DAEDALUS_RECORDER_H
#define DAEDALUS_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"

struct dd_recorder;

/* Creates @dir if needed.  0 or a negative errno. */
int dd_recorder_new(const char *dir, struct dd_recorder **out);
void dd_recorder_free(struct dd_recorder *rec);

/* Writes one job; @bitstream may be NULL.  0 or a negative errno. */
int dd_recorder_write(struct dd_recorder *rec, const struct daedalus_job *job,
		      const void *bitstream, size_t size);

/* One entry of a recording directory, as dd_recording_list() finds it. */
struct dd_recording_entry {
	uint64_t key;		/* the <number> of its name */
	char name[256];
};

/*
 * Reads a recording back: the entries of @dir named
 * <prefix><number><suffix> (ctx<id> directories: "ctx", ""; jobs: "",
 * ".job"), sorted by number.  Returns the count (and *out, to free) or a
 * negative errno.
 */
int dd_recording_list(const char *dir, const char *prefix, const char *suffix,
		      struct dd_recording_entry **out);

#endif /* DAEDALUS_RECORDER_H */
