/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The thread budget (issue 8): decoders opened one after another get
 * cores / decoders open, and decodes running at once never hold more
 * threads than there are cores, whatever each decoder was given.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "dd_test.h"
#include "thread_budget.h"

#define CORES	4
#define ROUNDS	2000

static struct dd_thread_budget budget;
static atomic_uint busy, most;

static void *decoder_thread(void *arg)
{
	unsigned int threads = (unsigned int)(uintptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned int t = dd_thread_budget_take(&budget, threads);
		unsigned int now = atomic_fetch_add(&busy, t) + t;
		unsigned int seen = atomic_load(&most);

		while (now > seen && !atomic_compare_exchange_weak(&most, &seen, now))
			;
		if (!(i % 64))
			usleep(50);	/* a decode takes a while */
		atomic_fetch_sub(&busy, t);
		dd_thread_budget_give(&budget, t);
	}
	return NULL;
}

int main(void)
{
	/* Threads of the decoders as they open: 4, 2, 1, 1, then all of them again. */
	static const unsigned int given[] = { 4, 2, 1, 1, 1 };
	pthread_t th[5];

	dd_thread_budget_init(&budget, CORES);
	for (unsigned int i = 0; i < 5; i++)
		CHECK_EQ(dd_thread_budget_open(&budget), given[i]);
	for (unsigned int i = 0; i < 5; i++)
		dd_thread_budget_close(&budget);
	CHECK_EQ(dd_thread_budget_open(&budget), CORES);
	dd_thread_budget_close(&budget);

	/* More threads than cores are capped, never waited for forever. */
	CHECK_EQ(dd_thread_budget_take(&budget, 9), CORES);
	dd_thread_budget_give(&budget, CORES);

	for (unsigned int i = 0; i < 5; i++)
		CHECK(!pthread_create(&th[i], NULL, decoder_thread,
				      (void *)(uintptr_t)given[i]));
	for (unsigned int i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	CHECK(atomic_load(&most) <= CORES);
	CHECK(atomic_load(&most) >= 2);		/* decodes did run at once */
	CHECK_EQ(budget.idle, CORES);
	dd_thread_budget_fini(&budget);
	return dd_test_result("test_thread_budget");
}
