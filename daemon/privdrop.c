/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "privdrop.h"

int dd_drop_privileges(const char *user, const char **what)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	gid_t gid;
	int ret;

	*what = "getpwnam";
	ret = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
	if (ret)
		return -ret;
	if (!found)
		return -ENOENT;
	gid = pw.pw_gid;

	*what = "setgroups";
	if (setgroups(1, &gid))
		return -errno;
	*what = "setgid";
	if (setgid(pw.pw_gid))
		return -errno;
	*what = "setuid";
	if (setuid(pw.pw_uid))
		return -errno;
	*what = "regaining root";
	if (pw.pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -EPERM;
	return 0;
}
