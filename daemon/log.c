/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int dd_log_level = DD_LOG_WARN;

void dd_log_set_level(int level)
{
	if (level < DD_LOG_ERROR)
		level = DD_LOG_ERROR;
	if (level > DD_LOG_TRACE)
		level = DD_LOG_TRACE;
	dd_log_level = level;
}

int dd_log_enabled(enum dd_log_level level)
{
	return (int)level <= dd_log_level;
}

void dd_log(enum dd_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {
		"error", "warning", "notice", "info", "debug", "trace",
	};
	char line[1024];
	va_list ap;

	if (!dd_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: stdio locks the stream, lines do not mix. */
	fprintf(stderr, "daedalusd: %s: %s\n", names[level], line);
}

void dd_vlog_lib(enum dd_log_level level, const char *lib, const char *fmt,
		 va_list ap)
{
	char line[512];
	size_t n;

	if (!dd_log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	dd_log(level, "%s: %s", lib, line);
}
