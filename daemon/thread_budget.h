/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cores all decoders of the daemon share.  A decoder opening gets
 * cores / decoders open (at least one) threads; libavcodec and dav1d fix
 * their thread count at open, so decoders opened earlier keep a larger
 * share.  That can never oversubscribe the cores: a decode holds one token
 * per thread of its decoder it keeps busy (at most all of them: backend.h,
 * parallelism(); a one-slice H.264 picture keeps one of libavcodec's
 * slice threads busy) while it runs, and waits for them when other decodes
 * hold them.  A frame-threaded decoder holds a token per job it holds, up
 * to its threads: the first waited for, the others taken when idle (never
 * waiting while holding one); and its frames still decoding while another
 * decode runs are excepted (dd_thread_budget_wanted()).  Between two visits
 * of a worker its tokens are parked: a decode waiting for tokens takes
 * them, since the workers that would give them back may all be waiting
 * too.  Thread-safe.
 */
#ifndef DAEDALUS_THREAD_BUDGET_H
#define DAEDALUS_THREAD_BUDGET_H

#include <pthread.h>

struct dd_thread_budget {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned int cores;
	unsigned int decoders;		/* open now */
	unsigned int idle;		/* tokens no decode holds */
	unsigned int parked;		/* held by decoders no worker runs */
	unsigned int waiting;		/* decodes waiting for tokens */
};

void dd_thread_budget_init(struct dd_thread_budget *b, unsigned int cores);
void dd_thread_budget_fini(struct dd_thread_budget *b);

/* A decoder opens: its thread count.  Closes: dd_thread_budget_close(). */
unsigned int dd_thread_budget_open(struct dd_thread_budget *b);
void dd_thread_budget_close(struct dd_thread_budget *b);

/*
 * Around one decode by a decoder of @threads threads: takes that many
 * tokens (at most cores), idle or parked, waiting while other decodes hold
 * them; returns how many were taken, for dd_thread_budget_give().
 */
unsigned int dd_thread_budget_take(struct dd_thread_budget *b,
				   unsigned int threads);
void dd_thread_budget_give(struct dd_thread_budget *b, unsigned int tokens);
/* Takes up to @tokens idle ones without waiting: how many were taken. */
unsigned int dd_thread_budget_try_take(struct dd_thread_budget *b,
				       unsigned int tokens);
/*
 * A worker leaves a decoder that holds @tokens (its frames decoding on):
 * they stay its own unless a waiting decode takes them.  unpark(): back to
 * it, how many of them are still parked (any decoder's: they are alike).
 */
void dd_thread_budget_park(struct dd_thread_budget *b, unsigned int tokens);
unsigned int dd_thread_budget_unpark(struct dd_thread_budget *b,
				     unsigned int tokens);
/*
 * A decode waits for tokens.  A frame-threaded decoder holds its tokens
 * from job to job while it has jobs in hand, and gives them back between
 * two when another decode wants them, so that no stream starves.
 */
int dd_thread_budget_wanted(struct dd_thread_budget *b);

#endif /* DAEDALUS_THREAD_BUDGET_H */
