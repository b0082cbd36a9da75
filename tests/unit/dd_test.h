/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal test harness: CHECK() records a failure and goes on, the test
 * returns dd_test_result() from main() (non-zero when any check failed).
 */
#ifndef DD_TEST_H
#define DD_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int dd_test_failures;
static int dd_test_checks;

#define CHECK(cond)                                                          \
	do {                                                                 \
		dd_test_checks++;                                            \
		if (!(cond)) {                                               \
			dd_test_failures++;                                  \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",         \
				__FILE__, __LINE__, #cond);                  \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);             \
		dd_test_checks++;                                            \
		if (a_ != b_) {                                              \
			dd_test_failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %" PRIu64 ", expected %s == %" PRIu64 "\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);         \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		dd_test_checks++;                                            \
		if (!a_ || !b_ || strcmp(a_, b_)) {                          \
			dd_test_failures++;                                  \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",  \
				b_ ? b_ : "(null)");                         \
		}                                                            \
	} while (0)

static inline int dd_test_result(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, dd_test_checks,
		dd_test_failures);
	return dd_test_failures ? 1 : 0;
}

#endif /* DD_TEST_H */
