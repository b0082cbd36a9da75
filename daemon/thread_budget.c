/* SPDX-License-Identifier: BSD-2-Clause */
#include "thread_budget.h"

void dd_thread_budget_init(struct dd_thread_budget *b, unsigned int cores)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->freed, NULL);
	b->cores = cores ? cores : 1;
	b->decoders = 0;
	b->idle = b->cores;
	b->parked = 0;
	b->waiting = 0;
}

void dd_thread_budget_fini(struct dd_thread_budget *b)
{
	pthread_cond_destroy(&b->freed);
	pthread_mutex_destroy(&b->lock);
}

unsigned int dd_thread_budget_open(struct dd_thread_budget *b)
{
	unsigned int threads;

	pthread_mutex_lock(&b->lock);
	b->decoders++;
	threads = b->cores / b->decoders;
	pthread_mutex_unlock(&b->lock);
	return threads ? threads : 1;
}

void dd_thread_budget_close(struct dd_thread_budget *b)
{
	pthread_mutex_lock(&b->lock);
	b->decoders--;
	pthread_mutex_unlock(&b->lock);
}

/* Under the lock: up to @tokens out of @pool, how many. */
static unsigned int take_locked(unsigned int *pool, unsigned int tokens)
{
	if (tokens > *pool)
		tokens = *pool;
	*pool -= tokens;
	return tokens;
}

unsigned int dd_thread_budget_take(struct dd_thread_budget *b,
				   unsigned int threads)
{
	unsigned int tokens = threads < b->cores ? threads : b->cores;

	if (!tokens)
		tokens = 1;
	pthread_mutex_lock(&b->lock);
	b->waiting++;
	while (b->idle + b->parked < tokens)
		pthread_cond_wait(&b->freed, &b->lock);
	b->waiting--;
	b->parked -= tokens - take_locked(&b->idle, tokens);
	pthread_mutex_unlock(&b->lock);
	return tokens;
}

void dd_thread_budget_give(struct dd_thread_budget *b, unsigned int tokens)
{
	pthread_mutex_lock(&b->lock);
	b->idle += tokens;
	pthread_cond_broadcast(&b->freed);
	pthread_mutex_unlock(&b->lock);
}

unsigned int dd_thread_budget_try_take(struct dd_thread_budget *b,
				       unsigned int tokens)
{
	pthread_mutex_lock(&b->lock);
	tokens = take_locked(&b->idle, tokens);
	pthread_mutex_unlock(&b->lock);
	return tokens;
}

void dd_thread_budget_park(struct dd_thread_budget *b, unsigned int tokens)
{
	pthread_mutex_lock(&b->lock);
	b->parked += tokens;
	pthread_cond_broadcast(&b->freed);
	pthread_mutex_unlock(&b->lock);
}

unsigned int dd_thread_budget_unpark(struct dd_thread_budget *b,
				     unsigned int tokens)
{
	pthread_mutex_lock(&b->lock);
	tokens = take_locked(&b->parked, tokens);
	pthread_mutex_unlock(&b->lock);
	return tokens;
}

int dd_thread_budget_wanted(struct dd_thread_budget *b)
{
	int wanted;

	pthread_mutex_lock(&b->lock);
	wanted = b->waiting != 0;
	pthread_mutex_unlock(&b->lock);
	return wanted;
}
