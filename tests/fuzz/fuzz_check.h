/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the targets that check invariants directly share (fuzz_vpx_headers,
 * fuzz_av1_obu): a failed invariant aborts, so libFuzzer keeps the input,
 * with the target's name (FZ_TARGET, defined before this header) and a
 * value; inputs are copied into buffers of exactly their size, so ASan
 * sees any read past them.
 */
#ifndef DD_FUZZ_CHECK_H
#define DD_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void fz_bug(const char *what, unsigned long long a)
{
	fprintf(stderr, "%s: %s (%llu)\n", FZ_TARGET, what, a);
	abort();
}

#define CHECK(cond, what, val)					\
	do {							\
		if (!(cond))					\
			fz_bug(what, (unsigned long long)(val));\
	} while (0)

/* @size bytes of @data in a buffer of exactly that size (NULL: skip). */
static inline uint8_t *exact_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	if (p)
		memcpy(p, data, size);
	return p;
}

#endif /* DD_FUZZ_CHECK_H */
