/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One context of the stateful node as the daemon sees it: the client's
 * byte stream goes into a stream decoder (sf_backend.h), its pictures go
 * into the CAPTURE buffers the kernel lends, in display order, and every
 * record is answered (include/daedalus_proto.h, "The stateful node").
 *
 * The core hands over records as they are read (dd_sf_context_add()) and
 * lets a worker run the context (dd_sf_context_run()) while it can make
 * progress.  Chunks and DRAIN are carried out in their order; lends and
 * the other commands take effect when they arrive, so that a chunk
 * waiting for a CAPTURE buffer never holds up the lend or FORMAT it waits
 * for.  At most one picture is out of the decoder and not yet written:
 * while it waits (for a lend, a FORMAT, a START), no more bytes go in, and
 * the client, its OUTPUT buffers unanswered, waits as with hardware.
 * Not thread-safe: the core runs a context on one worker at a time.
 */
#ifndef DAEDALUS_SF_CONTEXT_H
#define DAEDALUS_SF_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "bufmap.h"
#include "daedalus_proto.h"
#include "proto_io.h"
#include "sf_backend.h"
#include "thread_budget.h"

/* A record of a stateful context, as the core read it. */
struct dd_sf_record {
	struct dd_sf_record *next;
	enum dd_record_kind kind;	/* DD_RECORD_SF_CHUNK, _LEND or _CMD */
	uint64_t seq;
	const char *reject;	/* chunk or lend failed its checks: answer FAILED */
	struct dd_bufmap *map;	/* chunk, lend: a reference (NULL in tests) */
	uint8_t *data;		/* chunk: its bytes; lend: where the picture goes */
	size_t size;		/* chunk: bytes; lend: bytes writable from data */
	uint64_t timestamp;	/* chunk */
	uint32_t codec, flags;	/* chunk */
	struct daedalus_sf_cmd cmd;	/* cmd */
};

/* Where a context's answers go: @n of them, in order, refused or not. */
struct dd_sf_sink {
	void (*commit)(void *opaque, const struct daedalus_sf_answer *answers,
		       unsigned int n);
	void *opaque;
};

#define DD_SF_BATCH	16

struct dd_sf_context {
	uint64_t ctx_id;
	const struct dd_sf_backend *forced;	/* a test's backend, or NULL */
	struct dd_thread_budget *budget;	/* NULL: one thread */
	const struct dd_sf_backend *backend;	/* of the open decoder */
	void *decoder;
	enum daedalus_codec codec;
	unsigned int threads;
	uint64_t seen_seq;		/* newest record read */
	uint64_t last_chunk;		/* seq of the newest chunk pushed */

	struct dd_sf_record *arrived, **arrived_tail;	/* since the last run */
	struct dd_sf_record *input, **input_tail;	/* chunks and DRAIN */
	struct dd_sf_record *lends, **lends_tail;

	int have_pic;			/* pic pulled, not yet written */
	struct dd_sf_picture pic;
	/* During a drain, a written picture is answered with the next pull. */
	struct dd_sf_record *written;
	struct daedalus_sf_answer written_answer;

	int need_input;		/* the decoder wants bytes before more pictures */
	int need_key;		/* no picture until a key frame */
	int draining;		/* end_of_input() given: pulling to DRAINED */
	int drain_cancelled;	/* CAPTURE_OFF or RESET meanwhile: no LAST */
	int owe_last;		/* the next lend goes back empty with LAST */
	int stopped;		/* LAST given: pictures wait for START */
	int drc;		/* FORMAT{drc=1} came, no START since */

	int reported;		/* SOURCE_CHANGE sent with reported_format */
	int format_pending;	/* and no FORMAT for it yet */
	struct dd_sf_stream_format reported_format;
	int have_format;	/* a FORMAT came: pictures may be written */
	struct daedalus_picture_format format;
	uint32_t format_seq;

	int idle_sent;		/* the latest answer said IDLE */
	uint64_t idle_seen;	/* and its seen_seq */
	struct daedalus_sf_answer batch[DD_SF_BATCH];
	unsigned int num_batch;
	const struct dd_sf_sink *sink;	/* during dd_sf_context_run() */

	const char *warned;	/* the last reason logged at warning level */
	uint64_t chunks, bytes, pictures, corrupt, failed, drains, resets;
	uint64_t bytes_copied;
};

void dd_sf_context_init(struct dd_sf_context *ctx, uint64_t ctx_id,
			const struct dd_sf_backend *forced,
			struct dd_thread_budget *budget);
/*
 * Takes @rec (malloc()ed; its map reference too) into the context; it
 * acts at the next dd_sf_context_run().
 */
void dd_sf_context_add(struct dd_sf_context *ctx, struct dd_sf_record *rec);
/*
 * Carries out at most @max_steps steps (a record, a picture, an answer)
 * and commits their answers through @sink.  When no step is possible, it
 * says IDLE (once).  Returns 1 if more steps are possible now.
 */
int dd_sf_context_run(struct dd_sf_context *ctx, const struct dd_sf_sink *sink,
		      unsigned int max_steps);
/* Drops every record unanswered (the kernel fails them), closes the decoder. */
void dd_sf_context_fini(struct dd_sf_context *ctx);
/* "h264 1920x1080, 120 chunks (1.2 MB), 60 pictures, 0 corrupt, ..." */
void dd_sf_context_summary(const struct dd_sf_context *ctx, char *buf,
			   size_t size);

#endif /* DAEDALUS_SF_CONTEXT_H */
