/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's loop: a pool of workers, each of which fetches the next
 * record when no other does and nothing is ready to run (leader and
 * followers).
 *
 * The worker reading fetches one record from the device fd.  A job is
 * prepared at once (its fds kept, checked, its buffers mapped) and
 * appended to its context's queue; BUF_GONE closes the buffer's fd and
 * drops its mapping; CTX_GONE is queued behind the context's jobs.  A
 * context with queued work sits in one FIFO of ready contexts; a worker
 * takes a context, runs its oldest job, commits the answer and puts the
 * context back at the end if it has more.  The worker that read a job
 * runs it itself while another takes over reading: no thread has to wake
 * up between a job's read and its start.  The thread calling dd_core_run()
 * only waits for stop_fd.  So the jobs of one context start one at a time, in order;
 * different contexts run in parallel.  A frame-threaded decoder (AV1)
 * holds several jobs of its context at once and answers them in order as
 * they finish; its context stays in the FIFO while it holds any, and a
 * worker that finds nothing to start gives the client a few of its usual
 * gaps after the last answer to send the next job before waiting for them.
 *
 * A context of the stateful node (its records are SF_CHUNK, SF_LEND,
 * SF_CMD) runs the same way: a worker hands it every record queued since
 * its last turn and lets it make a few steps (sf_context.h); it goes back
 * to the FIFO while it can make more.
 *
 * The device fd is /dev/daedalus-v4l2 (device.h), or whatever a test's
 * transport talks to.  Workers commit their answers from their own
 * threads: the kernel takes them from any thread of the process that
 * said HELLO.
 */
#ifndef DAEDALUS_CORE_H
#define DAEDALUS_CORE_H

#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "daedalus_proto.h"
#include "recorder.h"
#include "sf_backend.h"

/* How the core talks to the kernel; the unit tests plug in a fake. */
struct dd_transport {
	/* One record into @buf: its length, 0 at end of input, or -errno. */
	ssize_t (*fetch)(int fd, void *buf, size_t size);
	/* One answer: 0 or -errno. */
	int (*commit)(int fd, const struct daedalus_result *res);
	/* Stateful answers, in order: how many were refused, or -errno. */
	int (*sf_commit)(int fd, const struct daedalus_sf_answer *answers,
			 unsigned int num);
};

struct dd_core_config {
	unsigned int threads;		/* workers, >= 1 */
	/* For every codec it decodes (NULL: by codec); a test's fake too. */
	const struct dd_backend *forced_backend;
	/* For every stateful context (NULL: by codec); a test's fake. */
	const struct dd_sf_backend *forced_sf_backend;
	struct dd_recorder *recorder;	/* NULL: not recording */
	const struct dd_transport *transport;	/* NULL: the device (device.h) */
};

struct dd_core_stats {
	uint64_t records;	/* records fetched */
	uint64_t malformed;	/* records ignored as malformed */
	uint64_t jobs;		/* jobs answered */
	uint64_t sf_records;	/* stateful records read */
	uint64_t rejected;	/* of which failed their checks */
	uint64_t failed;	/* of which answered FAILED (rejected included) */
	uint64_t refused;	/* answers the device did not take */
	uint64_t contexts;	/* contexts created */
	uint64_t bytes_copied;	/* picture bytes not decoded in place */
};

struct dd_core;

/* 0 or a negative errno.  The core does not own @dev_fd. */
int dd_core_new(const struct dd_core_config *cfg, int dev_fd,
		struct dd_core **out);

/*
 * Runs until @stop_fd (e.g. a signalfd; -1: none) is readable, a fetch
 * returns 0 (end of input: only a fake device does that; queued jobs are
 * finished first), or a fetch fails.  Queued jobs are then dropped
 * unanswered (the kernel fails them when the device is closed), running
 * ones finish, decoders are closed.  Returns 0, or the negative
 * errno of the failed fetch.  Call once.
 */
int dd_core_run(struct dd_core *core, int stop_fd);

void dd_core_get_stats(struct dd_core *core, struct dd_core_stats *stats);
void dd_core_free(struct dd_core *core);

#endif /* DAEDALUS_CORE_H */
