/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test side: a stream fed to a stream backend (daemon/sf_backend.h) in
 * chunks, as the stateful node feeds it, every picture pulled and hashed
 * as the conformance suites hash their output (visible yuv420p or
 * yuv420p10le, frame after frame); and the cuts and files that make the
 * chunks.
 */
#ifndef DD_TEST_SF_DRIVE_H
#define DD_TEST_SF_DRIVE_H

#include <stddef.h>
#include <stdint.h>

#include "sf_backend.h"

/* Chunk i (bytes [end[i-1], end[i])) is pushed with this timestamp. */
#define SF_TS(i)	(1000u + (uint64_t)(i))

struct sf_run {
	char md5[33];		/* of every picture's visible samples */
	uint64_t *ts;		/* each picture's timestamp, in output order */
	int npics;
	struct dd_sf_stream_format first;	/* the first picture's */
	int peeked;		/* peek_format() told a format before it */
	int peek_differs;	/* a format peek_format() told was not first's */
	int err;		/* the first negative errno of the backend, or 0 */
	int not_drained;	/* pull() never said DRAINED */
};

/*
 * Opens @b for @codec, pushes @n chunks of @data ending at @end[], pulling
 * after each, then end_of_input() and pulls until DRAINED.  0, or -1 when
 * the backend could not be opened.
 */
int sf_run(const struct dd_sf_backend *b, enum daedalus_codec codec,
	   const uint8_t *data, const size_t *end, int n, struct sf_run *run);
void sf_run_free(struct sf_run *run);

/* Chunk ends for @size bytes: every @step bytes (malloc'd; count in *@n). */
size_t *sf_cuts_fixed(size_t size, size_t step, int *n);
/* Chunk ends for @size bytes: 1 to @max bytes each, from @seed. */
size_t *sf_cuts_random(size_t size, size_t max, uint32_t seed, int *n);
/* Chunk ends: sizes the primes 2, 3, 5, 7, 11, ... in turn. */
size_t *sf_cuts_primes(size_t size, int *n);

/* A whole file (malloc'd); NULL if it cannot be read. */
uint8_t *sf_file_load(const char *path, size_t *size);
/*
 * The frame payloads of the IVF file @path, one after the other (*@data,
 * *@size) and where each frame ends (*@end, *@n).  0, or -1.
 */
int sf_ivf_load(const char *path, uint8_t **data, size_t *size, size_t **end,
		int *n);

#endif /* DD_TEST_SF_DRIVE_H */
