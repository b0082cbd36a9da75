/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The log of tools/hostile_daemon -m hold: it prints "holding seq N ctx M"
 * for each job it will never answer (a bitstream starting with "HOLD"), so a
 * client waits for that count to grow to know the daemon holds its frame.
 */
#ifndef HOLDLOG_H
#define HOLDLOG_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "slclient.h"

/* Lines of the daemon's log @log holding @what (0 if unreadable). */
static inline int log_count(const char *log, const char *what)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(log, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* Jobs held so far, as the daemon's log @log says (0 if unreadable). */
static inline int hold_count(const char *log)
{
	return log_count(log, "holding");
}

/*
 * Queue a "HOLD" frame into OUTPUT buffer @i of @c and return once the
 * daemon (logging to @log) holds it: 0, or 2 (setup error, as the clients'
 * exit status) if it was not queued or not held within 10 s.
 */
static inline int hold_queue(struct sl_ctx *c, unsigned int i, const char *log)
{
	int holds = hold_count(log), w;

	if (sl_queue(c, i, "HOLD this frame", NULL))
		return 2;
	for (w = 0; w < 1000 && hold_count(log) == holds; w++)
		usleep(10000);
	if (hold_count(log) == holds) {
		fprintf(stderr, "the daemon never held the job\n");
		return 2;
	}
	return 0;
}

#endif
