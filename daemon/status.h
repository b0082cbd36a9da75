/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `daedalusd --status`: the driver's status attributes
 * (kernel/daedalus_stats.c), printed as a table.
 */
#ifndef DAEDALUS_STATUS_H
#define DAEDALUS_STATUS_H

#include <stdio.h>

#define DAEDALUS_STATUS_DIR "/sys/bus/platform/devices/daedalus-v4l2/status"

/*
 * Prints the daemon's attachment and a row of job counts per codec found
 * in @dir to @out.  0, or a negative errno: -ENOENT when @dir does not
 * exist (the module is not loaded), -EIO when attached or daemon_pid is missing, or a value is not
 * a number.
 */
int dd_status_print(const char *dir, FILE *out);

#endif /* DAEDALUS_STATUS_H */
