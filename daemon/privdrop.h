/* SPDX-License-Identifier: BSD-2-Clause */
/* daedalusd --user NAME: give up root once the device is open. */
#ifndef DAEDALUS_PRIVDROP_H
#define DAEDALUS_PRIVDROP_H

/*
 * Switches to @user's uid and gid with no supplementary groups but the
 * primary one (setgroups, setgid, setuid), then verifies root cannot be
 * regained.  0 or a negative errno (-ENOENT: no such user), *what names
 * the step that failed.
 */
int dd_drop_privileges(const char *user, const char **what);

#endif /* DAEDALUS_PRIVDROP_H */
