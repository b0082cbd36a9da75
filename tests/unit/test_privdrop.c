/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --user: in a child process (the drop is for good), switch to "nobody"
 * and check uid, gid, supplementary groups and that root stays gone.
 * Needs root; passes with a note otherwise.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dd_test.h"
#include "privdrop.h"

int main(void)
{
	const struct passwd *pw = getpwnam("nobody");
	const char *what = NULL;
	int status = -1;
	pid_t pid;

	CHECK_EQ(dd_drop_privileges("no-such-user-daedalus", &what), -ENOENT);
	if (geteuid() != 0 || !pw) {
		fprintf(stderr, "test_privdrop: not root or no user nobody, drop not tested\n");
		return dd_test_result("test_privdrop");
	}
	pid = fork();
	if (pid == 0) {
		gid_t groups[8];
		int n;

		if (dd_drop_privileges("nobody", &what))
			_exit(10);
		if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
			_exit(11);
		if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
			_exit(12);
		n = getgroups(8, groups);
		if (n != 1 || groups[0] != pw->pw_gid)
			_exit(13);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(14);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return dd_test_result("test_privdrop");
}
