/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The thread budget (issue 8): decoders opened one after another get
 * cores / decoders open, and decodes running at once never hold more
 * threads than there are cores, whatever each decoder was given; a
 * decoder holding its tokens from job to job learns that another decode
 * waits for them (dd_thread_budget_wanted()), and the tokens it parks
 * between two workers' visits are taken by a decode that waits.
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

static void *waiter_thread(void *arg)
{
	(void)arg;
	dd_thread_budget_give(&budget, dd_thread_budget_take(&budget, 1));
	return NULL;
}

/* A frame-threaded decoder holds every token; another decode comes. */
static void test_wanted(void)
{
	unsigned int held = dd_thread_budget_take(&budget, CORES);
	pthread_t th;
	int i;

	CHECK(!dd_thread_budget_wanted(&budget));
	CHECK(!pthread_create(&th, NULL, waiter_thread, NULL));
	for (i = 0; i < 5000 && !dd_thread_budget_wanted(&budget); i++)
		usleep(1000);
	CHECK(dd_thread_budget_wanted(&budget));
	dd_thread_budget_give(&budget, held);
	pthread_join(th, NULL);
	CHECK(!dd_thread_budget_wanted(&budget));
	CHECK_EQ(budget.idle, CORES);
}

/* Only idle tokens, never a wait: what is held stays held. */
static void test_try_take(void)
{
	unsigned int held = dd_thread_budget_take(&budget, CORES - 1);

	CHECK_EQ(dd_thread_budget_try_take(&budget, 3), 1);
	CHECK_EQ(dd_thread_budget_try_take(&budget, 1), 0);
	CHECK_EQ(budget.idle, 0);
	dd_thread_budget_give(&budget, held + 1);
	CHECK_EQ(budget.idle, CORES);
}

/*
 * Every token parked with decoders no worker runs: a decode takes them at
 * once (the workers that would give them back may all be waiting), and
 * the decoders get back only what is left.
 */
static void test_park(void)
{
	unsigned int a = dd_thread_budget_take(&budget, 2);
	unsigned int b = dd_thread_budget_take(&budget, CORES - 2);
	unsigned int t;

	dd_thread_budget_park(&budget, a);
	dd_thread_budget_park(&budget, b);
	CHECK_EQ(budget.idle, 0);
	t = dd_thread_budget_take(&budget, 3);
	CHECK_EQ(t, 3);
	CHECK_EQ(dd_thread_budget_try_take(&budget, 1), 0);	/* parked: not idle */
	CHECK_EQ(dd_thread_budget_unpark(&budget, a), 1);
	CHECK_EQ(dd_thread_budget_unpark(&budget, b), 0);
	dd_thread_budget_give(&budget, t + 1);
	CHECK_EQ(budget.idle, CORES);
	CHECK_EQ(budget.parked, 0);
	/* Nobody took them: all back. */
	dd_thread_budget_park(&budget, dd_thread_budget_take(&budget, 2));
	CHECK_EQ(dd_thread_budget_unpark(&budget, 2), 2);
	dd_thread_budget_give(&budget, 2);
	CHECK_EQ(budget.idle, CORES);
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
	test_wanted();
	test_try_take();
	test_park();
	dd_thread_budget_fini(&budget);
	return dd_test_result("test_thread_budget");
}
