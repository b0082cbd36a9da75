/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging to stderr with levels.  The level is the one piece of process-
 * wide state in the daemon: set once by main() before any thread starts.
 * Library code (job checks, mapping, backends) returns errors; only the
 * core and main decide what to log, except where a comment says otherwise.
 */
#ifndef DAEDALUS_LOG_H
#define DAEDALUS_LOG_H

#include <stdarg.h>

enum dd_log_level {
	DD_LOG_ERROR = 0,
	DD_LOG_WARN = 1,
	DD_LOG_NOTICE = 2,	/* daedalusd's default: a few lines worth keeping */
	DD_LOG_INFO = 3,
	DD_LOG_DEBUG = 4,
	DD_LOG_TRACE = 5,
};

void dd_log_set_level(int level);
int dd_log_enabled(enum dd_log_level level);

void dd_log(enum dd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A decoder library's message (its log callback's format and arguments),
 * as one line prefixed "@lib: ", its own trailing newline dropped.
 */
void dd_vlog_lib(enum dd_log_level level, const char *lib, const char *fmt,
		 va_list ap) __attribute__((format(printf, 3, 0)));

#define dd_err(...)	dd_log(DD_LOG_ERROR, __VA_ARGS__)
#define dd_warn(...)	dd_log(DD_LOG_WARN, __VA_ARGS__)
#define dd_notice(...)	dd_log(DD_LOG_NOTICE, __VA_ARGS__)
#define dd_info(...)	dd_log(DD_LOG_INFO, __VA_ARGS__)
#define dd_dbg(...)	dd_log(DD_LOG_DEBUG, __VA_ARGS__)
#define dd_trace(...)	dd_log(DD_LOG_TRACE, __VA_ARGS__)

#endif /* DAEDALUS_LOG_H */
