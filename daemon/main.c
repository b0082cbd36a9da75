/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalusd: serves the decode jobs of daedalus_v4l2.ko.  Attaches to the
 * device, optionally drops root, then runs the core (core.h) until
 * SIGTERM/SIGINT; closing the device makes the kernel fail whatever jobs
 * are still in flight.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backends.h"
#include "core.h"
#include "daedalus_proto.h"
#include "device.h"
#include "log.h"
#include "privdrop.h"
#include "recorder.h"
#include "sf_backend.h"
#include "status.h"

/* A standby daemon takes over within 100 ms of the attached one's death. */
#define ATTACH_TRIES		300
#define ATTACH_RETRY_MS		100

/*
 * Jobs of one context in flight at once.  The AV1 decoder decodes
 * ceil(sqrt(cores)) frames at once (dav1d's frame threads: 2 up to 4
 * cores), and GStreamer keeps at most two requests in the driver; the
 * other decoders take a context's jobs one after another, so a deeper
 * queue would only make its last job wait longer.
 */
#define DEPTH			2

struct options {
	const char *device;
	const char *backend;
	const char *record_dir;
	const char *user;
	unsigned int threads;
	int verbosity;
	int status;
};

static void usage(FILE *out)
{
	char names[256];

	dd_backend_list(names, sizeof(names));
	fprintf(out,
		"Usage: daedalusd [OPTION]...\n"
		"Decodes the jobs of the daedalus-v4l2 kernel module in software.\n"
		"\n"
		"  -d, --device PATH   device to serve (default %s)\n"
		"  -b, --backend NAME  use backend NAME for every codec (%s)\n"
		"  -t, --threads N     decode threads (default: number of cores)\n"
		"  -r, --record DIR    write every job to DIR (see daedalus-replay)\n"
		"  -u, --user NAME     drop root to NAME once the device is open\n"
		"  -v, --verbose       more messages (repeatable)\n"
		"  -s, --status        print the driver's status and job counts, then exit\n"
		"  -h, --help          this help\n"
		"  -V, --version       version and protocol version\n",
		DAEDALUS_DEVICE_PATH, names);
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "record", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "status", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	opt->device = DAEDALUS_DEVICE_PATH;
	opt->threads = cores > 0 ? (unsigned int)cores : 1;
	while ((c = getopt_long(argc, argv, "d:b:t:r:u:vshV", longopts, NULL)) != -1) {
		char *end;
		long n;

		switch (c) {
		case 'd':
			opt->device = optarg;
			break;
		case 'b':
			if (!dd_backend_named(optarg)) {
				fprintf(stderr, "daedalusd: unknown backend '%s'\n", optarg);
				return 2;
			}
			opt->backend = optarg;
			break;
		case 't':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > 256) {
				fprintf(stderr, "daedalusd: --threads wants 1..256\n");
				return 2;
			}
			opt->threads = (unsigned int)n;
			break;
		case 'r':
			opt->record_dir = optarg;
			break;
		case 'u':
			opt->user = optarg;
			break;
		case 'v':
			opt->verbosity++;
			break;
		case 's':
			opt->status = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("daedalusd %s (protocol %d)\n", DAEDALUS_VERSION,
			       DAEDALUS_PROTO_VERSION);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int print_status(void)
{
	int ret = dd_status_print(DAEDALUS_STATUS_DIR, stdout);

	if (ret == -ENOENT)
		fprintf(stderr, "daedalusd: daedalus_v4l2 is not loaded: no %s\n",
			DAEDALUS_STATUS_DIR);
	else if (ret)
		fprintf(stderr, "daedalusd: cannot read %s: %s\n",
			DAEDALUS_STATUS_DIR, strerror(-ret));
	return ret ? 1 : 0;
}

/* Waits @ms unless a signal arrives on @sig_fd; 1 if one did. */
static int wait_or_signal(int sig_fd, int ms)
{
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };

	return poll(&pfd, 1, ms) > 0;
}

static int attach(const struct options *opt, uint32_t codecs,
		  uint32_t *sf_codecs, uint32_t *depth, int sig_fd)
{
	uint32_t sf_wanted = *sf_codecs;

	for (int i = 0; i < ATTACH_TRIES; i++) {
		uint32_t kver = 0;
		int fd, ret;

		*depth = DEPTH;
		*sf_codecs = sf_wanted;
		ret = dd_device_attach(opt->device, codecs, sf_codecs, depth, &fd, &kver);

		if (!ret)
			return fd;
		switch (ret) {
		case -EBUSY:
			if (!i)
				dd_warn("%s is busy (another daemon attached?), retrying",
					opt->device);
			if (wait_or_signal(sig_fd, ATTACH_RETRY_MS))
				return -EINTR;
			continue;
		case -EPROTO:
			dd_err("%s speaks protocol version %u, this daemon %d: "
			       "install a matching module and daemon",
			       opt->device, kver, DAEDALUS_PROTO_VERSION);
			return ret;
		case -ENOENT:
			dd_err("%s does not exist: is daedalus_v4l2.ko loaded?",
			       opt->device);
			return ret;
		default:
			dd_err("cannot attach to %s: %s", opt->device, strerror(-ret));
			return ret;
		}
	}
	dd_err("%s stayed busy, giving up", opt->device);
	return -EBUSY;
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct dd_core_config cfg = { 0 };
	struct dd_recorder *rec = NULL;
	struct dd_core *core = NULL;
	struct dd_core_stats stats;
	uint32_t codecs, sf_codecs, depth;
	sigset_t sigs;
	int ret, dev, sig_fd;

	ret = parse_options(argc, argv, &opt);
	if (ret)
		return ret == 1 ? 0 : 2;
	if (opt.status)
		return print_status();
	dd_log_set_level(DD_LOG_NOTICE + opt.verbosity);

	/*
	 * Every backend in use loads its library now, and a codec whose
	 * backend cannot run is not announced: the kernel then neither
	 * lists nor accepts it, instead of failing its every job.  Now, not
	 * at the first job: cold, dlopen() of libavcodec and its
	 * dependencies can take longer than the kernel's job_timeout_ms
	 * (800 ms; measured under QEMU/TCG: the first decode after boot lost
	 * jobs, and the client recycled their bitstream buffers while the
	 * daemon was still reading them).
	 */
	codecs = dd_backend_codec_mask(opt.backend);
	if (!codecs) {
		dd_err("no backend decodes any codec (try --backend pattern)");
		return 1;
	}
	/* The stateful node decodes for real or not at all. */
	sf_codecs = opt.backend ? 0 : dd_sf_backend_codec_mask();

	/* Signals arrive through a signalfd the reader polls; threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) ||
	    (sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0) {
		dd_err("signalfd: %s", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	dev = attach(&opt, codecs, &sf_codecs, &depth, sig_fd);
	if (dev < 0)
		return dev == -EINTR ? 0 : 1;
	dd_info("attached to %s, protocol %d, codecs 0x%x, stream codecs 0x%x, depth %u, %u threads%s%s",
		opt.device, DAEDALUS_PROTO_VERSION, codecs, sf_codecs, depth, opt.threads,
		opt.backend ? ", backend " : "", opt.backend ? opt.backend : "");

	if (opt.user) {
		const char *what;

		ret = dd_drop_privileges(opt.user, &what);
		if (ret) {
			dd_err("cannot become user %s (%s): %s", opt.user, what,
			       strerror(-ret));
			goto out;
		}
		dd_info("running as user %s", opt.user);
	}
	if (opt.record_dir) {
		ret = dd_recorder_new(opt.record_dir, &rec);
		if (ret) {
			dd_err("cannot record to %s: %s", opt.record_dir, strerror(-ret));
			goto out;
		}
	}

	cfg.threads = opt.threads;
	cfg.forced_backend = opt.backend ? dd_backend_named(opt.backend) : NULL;
	cfg.recorder = rec;
	ret = dd_core_new(&cfg, dev, &core);
	if (ret) {
		dd_err("cannot start: %s", strerror(-ret));
		goto out;
	}
	ret = dd_core_run(core, sig_fd);
	if (ret)
		dd_err("reading %s: %s", opt.device, strerror(-ret));
	dd_core_get_stats(core, &stats);
	/* At the default level: issue 11 wants the copies seen at exit. */
	dd_notice("detaching: %llu jobs, %llu failed (%llu rejected), %llu answers refused, %llu picture bytes copied (%llu per job)",
		  (unsigned long long)stats.jobs, (unsigned long long)stats.failed,
		  (unsigned long long)stats.rejected, (unsigned long long)stats.refused,
		  (unsigned long long)stats.bytes_copied,
		  (unsigned long long)(stats.jobs ? stats.bytes_copied / stats.jobs : 0));
out:
	dd_core_free(core);
	close(dev);
	dd_recorder_free(rec);
	close(sig_fd);
	return ret ? 1 : 0;
}
