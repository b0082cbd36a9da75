/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input side of a stream decoder (sf_backend.h's push() and
 * end_of_input()): the bytes it was pushed and did not use yet, the
 * timestamp of every chunk they came in, whether the stream ended and
 * whether the decoder failed.  Shared by the stream backends (sf_lavc.c,
 * sf_dav1d.c).
 *
 * Offsets count bytes from the start of the stream (the last reset).  The
 * unread bytes are contiguous and followed by DD_SF_INPUT_PADDING zero
 * bytes, so a parser may read a little past their end.  A chunk's
 * timestamp is kept until a lookup asks for a later offset.
 */
#ifndef DAEDALUS_SF_INPUT_H
#define DAEDALUS_SF_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define DD_SF_INPUT_PADDING	64

struct dd_sf_input_mark {
	uint64_t offset;	/* where the chunk began */
	uint64_t ts;
};

struct dd_sf_input {
	uint8_t *buf;
	size_t start, end, cap;		/* unread: buf[start, end) */
	uint64_t base;			/* stream offset of buf[0] */
	struct dd_sf_input_mark *marks;	/* oldest first */
	size_t first, count, marks_cap;	/* in use: marks[first, first + count) */
	int ended;			/* end_of_input(): no bytes until reset */
	int failed;			/* negative errno: the decoder is unusable */
};

/* Empty; nothing allocated yet. */
void dd_sf_input_init(struct dd_sf_input *in);
void dd_sf_input_free(struct dd_sf_input *in);
/* Forgets every byte and timestamp, the end and a failure: a new stream. */
void dd_sf_input_reset(struct dd_sf_input *in);

/*
 * push(): appends a copy of @size bytes that came in a chunk of timestamp
 * @ts (an empty chunk adds nothing).  0; in->failed once failed, -EINVAL
 * after the end, or -ENOMEM (which fails the decoder).
 */
int dd_sf_input_push(struct dd_sf_input *in, const uint8_t *data, size_t size,
		     uint64_t ts);
/* end_of_input(): no more bytes; 0, or in->failed. */
int dd_sf_input_end(struct dd_sf_input *in);

/* The unread bytes (padded), their count in *@len. */
const uint8_t *dd_sf_input_data(const struct dd_sf_input *in, size_t *len);
/* The stream offset of the first unread byte. */
uint64_t dd_sf_input_offset(const struct dd_sf_input *in);
/* The first @n unread bytes are used (n <= the unread count). */
void dd_sf_input_consume(struct dd_sf_input *in, size_t n);

/*
 * The timestamp of the chunk holding stream offset @offset (the last one
 * that began at or before it); the timestamps of earlier chunks are
 * forgotten.  0, or -1 when no pushed chunk holds it.
 */
int dd_sf_input_ts_at(struct dd_sf_input *in, uint64_t offset, uint64_t *ts);

/*
 * The unread bytes of the chunk that begins at the read position, up to
 * the next chunk: their count, 0 when nothing is unread.
 */
size_t dd_sf_input_chunk_len(const struct dd_sf_input *in);

#endif /* DAEDALUS_SF_INPUT_H */
