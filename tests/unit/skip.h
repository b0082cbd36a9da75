/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DD_TEST_SKIP_H
#define DD_TEST_SKIP_H

#include <stdlib.h>

/*
 * The exit status of a test that cannot run here (no conformance vectors,
 * no libavcodec): 77, which ctest reports as skipped, or 1 when
 * DAEDALUS_NO_SKIP is set: `make check` sets it, and a check that did not
 * run must not pass as one that did.
 */
static inline int dd_test_skip(void)
{
	return getenv("DAEDALUS_NO_SKIP") ? 1 : 77;
}

#endif /* DD_TEST_SKIP_H */
