/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-replay: runs jobs recorded by `daedalusd --record DIR` through
 * the daemon's own code on the host: the same job checks, buffer mapping
 * (memfds stand in for the dma-bufs), context handling and backends.
 *
 *   daedalus-replay [--backend NAME] [--frames OUT] [--yuv420] [--threads N]
 *                   [--one-in-flight] [-v] DIR...
 *
 * DIR is a recording (containing ctx<id>/ directories) or one ctx<id>/
 * directory.  Contexts run one after the other, each in seq order, each
 * with its own mapping cache.  --threads N gives the decoders N cores as
 * daedalusd does (default 1): a frame-threaded decoder (AV1) then holds
 * several jobs at once, as in the daemon, and their lines come in order as
 * each is answered.  --one-in-flight answers each job before the next one
 * comes, as for a client that waits for every request: such a decoder
 * must finish a job with no later one to push it out.  Prints one line
 * per job:
 *
 *   <seq> <status> <capture-md5> <i420-md5> <bytes-copied>
 *
 * status OK/CORRUPT/FAILED; the md5s are those of picture_hash.h (the
 * coded area in the CAPTURE layout, and as planar I420 / yuv420p10le), or
 * "-" for FAILED; bytes-copied: the picture bytes the backend wrote other
 * than by decoding in place (the daemon's statistic).
 *
 * --frames OUT writes the picture of every job not FAILED to
 * OUT/<seq, 8 digits>.yuv: planar I420 (8-bit) or yuv420p10le (the i420
 * bytes above), of the area a client shows: the frame size the VP8/VP9
 * FRAME control carries, the render size of the AV1 one (what GStreamer's
 * v4l2slav1dec outputs), else the coded size.  Which of them a client
 * displays, and in which order, is for the caller to know (hidden frames,
 * VP9 show_existing_frame that never became a job, reordering).
 *
 * --yuv420 replays each NV12 job as the YUV420 job a client that chose
 * YUV420 gets: the same buffer, chroma planes where NV12's CbCr plane was
 * (struct daedalus_picture_format).
 *
 * Exit status 0 unless a recording could not be read or a frame could not
 * be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "backends.h"
#include "context.h"
#include "log.h"
#include "picture_hash.h"
#include "proto_io.h"
#include "recorder.h"

/* Buffers larger than this are treated as missing (the job then fails). */
#define MAX_BUFFER (1u << 30)

static int as_yuv420;	/* --yuv420 */
static int one_in_flight;	/* --one-in-flight */

/* Reads at most @max bytes of @path into a new buffer; *size set. */
static uint8_t *read_file(const char *path, size_t max, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*size = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (uint64_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	*size = got;
	return buf;
}

/* A memfd of @length bytes holding @data at @offset; -1 if not possible. */
static int make_buffer(uint32_t length, uint32_t offset, const uint8_t *data,
		       size_t size)
{
	int fd;

	if (!length || length > MAX_BUFFER)
		return -1;
	fd = memfd_create("replay", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, length)) {
		close(fd);
		return -1;
	}
	if (data && offset < length) {
		if (size > length - offset)
			size = length - offset;
		if (pwrite(fd, data, size, offset) != (ssize_t)size) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The area of the picture a client shows (see the top). */
static void shown_size(const struct daedalus_job *msg, uint32_t *w, uint32_t *h)
{
	switch (msg->codec) {
	case DAEDALUS_CODEC_VP9:
		*w = msg->params.vp9.frame.frame_width_minus_1 + 1u;
		*h = msg->params.vp9.frame.frame_height_minus_1 + 1u;
		break;
	case DAEDALUS_CODEC_VP8:
		*w = msg->params.vp8.frame.width;
		*h = msg->params.vp8.frame.height;
		break;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	case DAEDALUS_CODEC_AV1:
		*w = msg->params.av1.frame.render_width_minus_1 + 1u;
		*h = msg->params.av1.frame.render_height_minus_1 + 1u;
		break;
#endif
	default:
		*w = msg->coded_width;
		*h = msg->coded_height;
	}
}

struct frame_file {
	FILE *f;
	int error;
};

static void frame_sink(void *opaque, const uint8_t *bytes, size_t size)
{
	struct frame_file *out = opaque;

	if (fwrite(bytes, 1, size, out->f) != size)
		out->error = 1;
}

/* --frames: OUT/<seq>.yuv for the job's picture @data.  0 or -1. */
static int write_frame(const char *dir, const struct daedalus_job *msg,
		       const uint8_t *data)
{
	struct frame_file out = { 0 };
	char path[4096];
	uint32_t w, h;

	shown_size(msg, &w, &h);
	snprintf(path, sizeof(path), "%s/%08" PRIu64 ".yuv", dir, (uint64_t)msg->seq);
	out.f = fopen(path, "wbe");
	if (!out.f) {
		fprintf(stderr, "daedalus-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (dd_picture_planar(data, &msg->picture_format, w, h, frame_sink, &out)) {
		fprintf(stderr, "daedalus-replay: job %" PRIu64 ": %ux%u does not fit the picture\n",
			(uint64_t)msg->seq, w, h);
		out.error = 1;
	}
	if (fclose(out.f))
		out.error = 1;
	return out.error ? -1 : 0;
}

/* A job from its start to its line: held meanwhile by a frame-threaded decoder. */
struct replay_job {
	struct daedalus_job msg;
	struct dd_prepared_job job;
};

/* Prints the line of @rj, answered @res; 0, or -1 if its frame was not written. */
static int print_job(struct replay_job *rj, const struct daedalus_result *res,
		     uint64_t copied, const char *frames)
{
	const struct daedalus_job *msg = &rj->msg;
	struct dd_prepared_job *job = &rj->job;
	char cap[33] = "-", i420[33] = "-";
	int ret = 0;

	if (res->status != DAEDALUS_STATUS_FAILED && job->picture &&
	    dd_picture_md5(dd_bufmap_data(job->picture) + msg->picture.offset,
			   &msg->picture_format, msg->coded_width,
			   msg->coded_height, cap, i420)) {
		strcpy(cap, "-");
		strcpy(i420, "-");
	}
	if (job->reject)
		dd_info("job %" PRIu64 ": %s", (uint64_t)msg->seq, job->reject);
	printf("%" PRIu64 " %s %s %s %" PRIu64 "\n", (uint64_t)msg->seq,
	       dd_status_name(res->status), cap, i420, copied);
	if (frames && res->status != DAEDALUS_STATUS_FAILED && job->picture)
		ret = write_frame(frames, msg, dd_bufmap_data(job->picture) +
				  msg->picture.offset);
	dd_job_release(job);
	return ret;
}

/* Prints the line of the oldest held job, waiting for it; 0, 1 if none, -1. */
static int finish_job(struct dd_context *ctx, const char *frames)
{
	uint64_t copied = ctx->bytes_copied;
	struct daedalus_result res;
	struct dd_prepared_job *job = dd_context_finish(ctx, 1, &res);

	if (!job)
		return 1;
	return print_job((struct replay_job *)((char *)job - offsetof(struct replay_job, job)),
			 &res, ctx->bytes_copied - copied, frames);
}

/*
 * Starts the job in @rj->msg (@len bytes recorded, @bin its bitstream);
 * prints its line unless the decoder holds it.  0, or -1 if a frame was
 * not written.
 */
static int start_job(struct dd_context *ctx, struct dd_bufmap_cache *cache,
		     struct replay_job *rj, size_t len, const uint8_t *bin,
		     size_t bin_size, const char *frames)
{
	struct daedalus_job *msg = &rj->msg;
	struct daedalus_result res;
	uint64_t copied;
	int ret = 0;

	/*
	 * The recorded fd numbers mean nothing here: a fresh memfd where
	 * the kernel sent an fd (a buffer's first job), none where it did
	 * not (the cache has the buffer from that first job).
	 */
	if (len != sizeof(*msg)) {
		msg->bitstream.fd = -1;
		msg->picture.fd = -1;
	} else {
		/* An OUTPUT buffer's content changes per job: always afresh. */
		dd_bufmap_cache_forget(cache, msg->bitstream.id);
		msg->bitstream.fd = make_buffer(msg->bitstream.length,
						msg->bitstream.offset,
						bin, bin_size);
		if (msg->picture.fd >= 0)
			msg->picture.fd = make_buffer(msg->picture.length, 0, NULL, 0);
	}

	if (as_yuv420 && msg->picture_format.pixelformat == V4L2_PIX_FMT_NV12)
		msg->picture_format.pixelformat = V4L2_PIX_FMT_YUV420;
	memset(&rj->job, 0, sizeof(rj->job));
	rj->job.msg = msg;
	dd_job_prepare(cache, &rj->job, len);
	/*
	 * As the core does, what cannot start waits for the held jobs; a
	 * rejected one too, for the lines to stay in order.
	 */
	while (ctx->num_held && (one_in_flight || rj->job.reject ||
				 !dd_context_can_start(ctx, &rj->job)))
		if (finish_job(ctx, frames) < 0)
			ret = -1;
	copied = ctx->bytes_copied;
	if (dd_context_start(ctx, &rj->job, NULL, &res) &&
	    print_job(rj, &res, ctx->bytes_copied - copied, frames))
		ret = -1;
	return ret;
}

static int replay_context(const char *dir, const struct dd_backend *backend,
			  const char *frames,
			  unsigned int threads)
{
	struct dd_bufmap_cache *cache = dd_bufmap_cache_new();
	/* One more than the decoder may hold: the one starting. */
	struct replay_job *rjs = calloc(DD_CONTEXT_MAX_HELD + 1, sizeof(*rjs));
	struct dd_recording_entry *jobs = NULL;
	struct dd_thread_budget budget;
	struct dd_context ctx;
	int n, r, ret = 0, inited = 0;

	dd_thread_budget_init(&budget, threads);
	n = dd_recording_list(dir, "", ".job", &jobs);
	if (n < 0 || !cache || !rjs) {
		fprintf(stderr, "daedalus-replay: %s: %s\n", dir,
			strerror(n < 0 ? -n : ENOMEM));
		ret = -1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct replay_job *rj = &rjs[i % (DD_CONTEXT_MAX_HELD + 1)];
		struct daedalus_job *msg = &rj->msg;
		char path[4096];
		uint8_t *rec, *bin;
		size_t len, bin_size;

		snprintf(path, sizeof(path), "%s/%s", dir, jobs[i].name);
		rec = read_file(path, sizeof(*msg) + 1, &len);
		if (!rec) {
			fprintf(stderr, "daedalus-replay: cannot read %s\n", path);
			ret = -1;
			continue;
		}
		memset(msg, 0, sizeof(*msg));
		memcpy(msg, rec, len < sizeof(*msg) ? len : sizeof(*msg));
		free(rec);
		if (!inited) {
			dd_context_init(&ctx, msg->ctx_id, backend, &budget);
			inited = 1;
		}
		snprintf(path, sizeof(path), "%s/%.*s.bin", dir,
			 (int)(strlen(jobs[i].name) - 4), jobs[i].name);
		bin = read_file(path, MAX_BUFFER, &bin_size);
		if (start_job(&ctx, cache, rj, len, bin, bin_size, frames))
			ret = -1;
		free(bin);
	}
	if (inited) {
		while ((r = finish_job(&ctx, frames)) != 1)
			if (r)
				ret = -1;
		dd_context_close_decoder(&ctx);
	}
out:
	free(jobs);
	free(rjs);
	dd_bufmap_cache_free(cache);
	dd_thread_budget_fini(&budget);
	return ret;
}

static int replay_dir(const char *dir, const struct dd_backend *backend,
		      const char *frames,
		      unsigned int threads)
{
	struct dd_recording_entry *v = NULL;
	int n = dd_recording_list(dir, "", ".job", &v), ret = 0;

	free(v);
	if (n > 0)
		return replay_context(dir, backend, frames, threads);
	v = NULL;
	n = dd_recording_list(dir, "ctx", "", &v);
	if (n <= 0) {
		fprintf(stderr, "daedalus-replay: %s: no recorded jobs\n", dir);
		free(v);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, v[i].name);
		if (replay_context(path, backend, frames, threads))
			ret = -1;
	}
	free(v);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "frames", required_argument, NULL, 'f' },
		{ "yuv420", no_argument, NULL, 'y' },
		{ "threads", required_argument, NULL, 't' },
		{ "one-in-flight", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct dd_backend *backend = NULL;
	const char *frames = NULL;
	int c, verbosity = 0, ret = 0;
	unsigned int threads = 1;
	char *end;
	long t;

	while ((c = getopt_long(argc, argv, "b:f:yt:1vh", longopts, NULL)) != -1) {
		switch (c) {
		case '1':
			one_in_flight = 1;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (errno || *end || t < 1 || t > 256) {
				fprintf(stderr, "daedalus-replay: --threads wants 1..256\n");
				return 2;
			}
			threads = (unsigned int)t;
			break;
		case 'b':
			backend = dd_backend_named(optarg);
			if (!backend) {
				fprintf(stderr, "daedalus-replay: unknown backend '%s'\n", optarg);
				return 2;
			}
			break;
		case 'f':
			frames = optarg;
			break;
		case 'y':
			as_yuv420 = 1;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			printf("Usage: daedalus-replay [--backend NAME] [--frames OUT] [--yuv420] [--threads N] [--one-in-flight] [-v] DIR...\n"
			       "Replays jobs recorded by daedalusd --record; prints\n"
			       "<seq> <status> <capture-md5> <i420-md5> per job.\n"
			       "--frames OUT: each picture as OUT/<seq>.yuv (planar).\n"
			       "--yuv420: NV12 jobs replayed as YUV420 ones.\n"
			       "--threads N: decoders get N cores, as in daedalusd (default 1;\n"
			       "a frame-threaded decoder then holds several jobs at once).\n"
			       "--one-in-flight: each job answered before the next comes.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "Usage: daedalus-replay [--backend NAME] [--frames OUT] [--yuv420] [--threads N] [--one-in-flight] [-v] DIR...\n");
		return 2;
	}
	if (frames && mkdir(frames, 0755) && errno != EEXIST) {
		fprintf(stderr, "daedalus-replay: %s: %s\n", frames, strerror(errno));
		return 1;
	}
	dd_log_set_level(DD_LOG_NOTICE + verbosity);
	for (int i = optind; i < argc; i++)
		if (replay_dir(argv[i], backend, frames, threads))
			ret = 1;
	return ret;
}
