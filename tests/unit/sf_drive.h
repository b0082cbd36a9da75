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
	int keyless;		/* pictures before the first with key set (the
				 * stateful context drops them as undecodable) */
	int keyed;		/* a picture with key set came */
};

/* sf_run()s so far, and runs that gave the md5 asked (sf_md5_is()). */
extern int sf_runs, sf_md5_matches;
/* The thread budget sf_run() opens decoders with (1 unless set). */
extern unsigned int sf_threads;

/*
 * Opens @b for @codec, pushes @n chunks of @data ending at @end[], pulling
 * after each, then end_of_input() and pulls until DRAINED.  0, or -1 when
 * the backend could not be opened.
 */
int sf_run(const struct dd_sf_backend *b, enum daedalus_codec codec,
	   const uint8_t *data, const size_t *end, int n, struct sf_run *run);
/* The same on the open decoder @dec of @b (left open). */
void sf_run_on(const struct dd_sf_backend *b, void *dec, const uint8_t *data,
	       const size_t *end, int n, struct sf_run *run);
void sf_run_free(struct sf_run *run);
/* Whether @run gave @md5 (counted in sf_md5_matches). */
int sf_md5_is(const struct sf_run *run, const char *md5);

/* The chunk (an index into @end, of @n chunks) holding byte @off. */
int sf_chunk_of(const size_t *end, int n, size_t off);

/*
 * What is wrong with @run, of vector @name cut at @end (@n chunks; @what
 * says how): an md5 other than @md5, a failure, not @norder pictures, or a
 * picture k whose timestamp is not that of the chunk holding byte
 * @begin[@order[k]] (@order: the frame of each picture in display order,
 * @begin: where each frame begins).  Prints each; returns how many.
 */
int sf_run_problems(const struct sf_run *run, const char *name, const char *what,
		    const char *md5, const size_t *end, int n, const int *order,
		    int norder, const size_t *begin);

/*
 * sf_run() of the stream cut at @end, then sf_run_problems(): how many
 * (or 1 when the backend could not be opened).
 */
int sf_run_cut(const struct dd_sf_backend *b, enum daedalus_codec codec,
	       const char *name, const char *what, const char *md5,
	       const uint8_t *data, const size_t *end, int n, const int *order,
	       int norder, const size_t *begin);

/*
 * reset() mid-stream and after a drain: one decoder is pushed the chunks
 * of the first third of the stream (and pulled), reset, given the whole
 * stream cut at @end (as sf_run_cut()), reset and given it again.  The
 * problems of both runs, as sf_run_problems().
 */
int sf_reset_problems(const struct dd_sf_backend *b, enum daedalus_codec codec,
		      const char *name, const char *md5, const uint8_t *data,
		      const size_t *end, int n, const int *order, int norder,
		      const size_t *begin);

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
