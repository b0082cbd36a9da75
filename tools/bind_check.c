/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-bind-check: a daemon (the daemon's own core and backends, as
 * daedalusd runs them) whose open bridge is also held by three
 * intruders, which must get errors and never a job (issue 10, item 3):
 *
 *   fork   a child forked after HELLO (it inherits the open file);
 *   scm    this program run again (--intruder), handed the fd over a unix
 *          socket (SCM_RIGHTS);
 *   stdin  cat(1) with the fd as its standard input.
 *
 * fork and scm try, until SIGTERM, to fetch a record and to commit a
 * result (DAEDALUS_IOC_FETCH: EPERM), to read() (EINVAL: the bridge has
 * no read()), and poll() (EPOLLERR, never EPOLLIN).  A read() is cut
 * short by a 1 s alarm, so a kernel that makes it wait for a job cannot
 * hang the test.  cat's output must stay empty.
 *
 *   daedalus-bind-check [-t THREADS] [-v]
 *
 * Prints "bind-check: attached" once serving; on SIGTERM/SIGINT stops,
 * then prints one line per intruder and exits 0 only if none got a job or
 * an undocumented answer (1 otherwise, 2 on setup errors).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "core.h"
#include "daedalus_proto.h"
#include "device.h"
#include "log.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	if (sig != SIGALRM)
		stop = 1;
}

/* No SA_RESTART: a read() waiting in the kernel returns EINTR. */
static void catch_signals(void)
{
	struct sigaction sa;
	sigset_t all;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Tries every way in until SIGTERM; 0 if each was refused as documented. */
static int intrude(const char *who, int fd)
{
	static union {
		struct daedalus_job job;
		char bytes[DAEDALUS_READ_SIZE];
	} rec;
	struct daedalus_result res;
	struct daedalus_fetch f;
	long tries = 0, records = 0, odd = 0;

	catch_signals();
	memset(&res, 0, sizeof(res));
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long n;

		tries++;
		memset(&f, 0, sizeof(f));
		f.record = (uintptr_t)&rec;
		f.record_size = sizeof(rec);
		n = ioctl(fd, DAEDALUS_IOC_FETCH, &f);
		if (n > 0)
			records++;
		else if (!(n < 0 && errno == EPERM) && !stop)
			odd++;

		memset(&f, 0, sizeof(f));
		f.results = (uintptr_t)&res;
		f.num_results = 1;
		if (!(ioctl(fd, DAEDALUS_IOC_FETCH, &f) < 0 && errno == EPERM) && !stop)
			odd++;

		alarm(1);
		n = read(fd, &rec, sizeof(rec));
		alarm(0);
		if (n > 0)
			records++;
		else if (!(n < 0 && errno == EINVAL) && !stop)
			odd++;

		if (poll(&pfd, 1, 10) > 0 && (pfd.revents & POLLIN))
			odd++;
		usleep(20000);
	}
	printf("bind-check: %s: %ld tries, %ld records received, %ld undocumented answers\n",
	       who, tries, records, odd);
	fflush(stdout);
	return records || odd ? 1 : 0;
}

/* scm: receive the fd, then intrude. */
static int scm_intruder(int sock)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1 || !(c = CMSG_FIRSTHDR(&msg)) ||
	    c->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "bind-check: scm: no fd received\n");
		return 2;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	close(sock);
	return intrude("scm", fd);
}

static pid_t spawn_fork(int dev)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(intrude("fork", dev));
	return pid;
}

static pid_t spawn_scm(const char *self, int dev)
{
	char cbuf[CMSG_SPACE(sizeof(int))], data = 'x', arg[16];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int sv[2];
	pid_t pid;

	/* sv[1] survives exec, the bridge (O_CLOEXEC) does not. */
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		snprintf(arg, sizeof(arg), "%d", sv[1]);
		execl(self, self, "--intruder", arg, (char *)NULL);
		_exit(2);
	}
	close(sv[1]);
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &dev, sizeof(dev));
	if (pid > 0 && sendmsg(sv[0], &msg, 0) != 1)
		fprintf(stderr, "bind-check: sendmsg: %s\n", strerror(errno));
	close(sv[0]);
	return pid;
}

/* cat <bridge >@out */
static pid_t spawn_cat(int dev, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (dup2(dev, 0) != 0 || dup2(out, 1) != 1)
			_exit(2);
		execlp("cat", "cat", (char *)NULL);
		_exit(2);
	}
	return pid;
}

static int reap(const char *who, pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "bind-check: %s: lost\n", who);
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	struct dd_core_config cfg = { .threads = 2 };
	struct dd_core *core = NULL;
	pid_t intruder[3];
	FILE *cat_out;
	struct stat st;
	uint32_t codecs;
	sigset_t sigs;
	int opt, dev, sig_fd, ret, failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--intruder"))
		return scm_intruder(atoi(argv[2]));
	while ((opt = getopt(argc, argv, "t:v")) != -1) {
		switch (opt) {
		case 't':
			cfg.threads = (unsigned int)atoi(optarg);
			break;
		case 'v':
			dd_log_set_level(DD_LOG_INFO);
			break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-v]\n", argv[0]);
			return 2;
		}
	}

	codecs = dd_backend_codec_mask(NULL);
	ret = dd_device_attach(DAEDALUS_DEVICE_PATH, codecs, NULL, NULL, &dev, NULL);
	if (ret) {
		fprintf(stderr, "bind-check: attach: %s\n", strerror(-ret));
		return 2;
	}
	cat_out = tmpfile();
	if (!cat_out)
		return 2;
	intruder[0] = spawn_fork(dev);
	intruder[1] = spawn_scm(argv[0], dev);
	intruder[2] = spawn_cat(dev, fileno(cat_out));
	if (intruder[0] < 0 || intruder[1] < 0 || intruder[2] < 0) {
		fprintf(stderr, "bind-check: cannot start the intruders\n");
		return 2;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) ||
	    (sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	ret = dd_core_new(&cfg, dev, &core);
	if (ret) {
		fprintf(stderr, "bind-check: %s\n", strerror(-ret));
		return 2;
	}
	printf("bind-check: attached\n");
	fflush(stdout);
	ret = dd_core_run(core, sig_fd);
	if (ret) {
		fprintf(stderr, "bind-check: fetch: %s\n", strerror(-ret));
		failed = 1;
	}
	dd_core_free(core);

	failed |= reap("fork", intruder[0]) != 0;
	failed |= reap("scm", intruder[1]) != 0;
	ret = reap("stdin", intruder[2]);
	if (fstat(fileno(cat_out), &st) || st.st_size) {
		printf("bind-check: stdin: cat copied %lld bytes of records\n",
		       (long long)st.st_size);
		failed = 1;
	} else {
		printf("bind-check: stdin: cat got nothing (exit status %d)\n", ret);
	}
	close(dev);
	printf("bind-check: %s\n", failed ? "FAILED" : "ok");
	return failed;
}
