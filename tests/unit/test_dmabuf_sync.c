/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Issue 11: the daemon's CPU touches a job's buffers only between
 * DMA_BUF_IOCTL_SYNC START and END, so dma-bufs whose memory is not
 * coherent with the CPU's caches never show it stale data.
 *
 * The dma-bufs are memfds, and this file's ioctl() stands in for the
 * kernel's DMA_BUF_IOCTL_SYNC (it is linked before libc's): a buffer's
 * mappings are PROT_NONE except between START and END, readable for READ,
 * writable too for WRITE.  Any access outside a bracket faults, and the
 * test stops saying so.  Driven as the core drives jobs (dd_job_prepare,
 * then dd_context_run with --record's recorder) with H.264 through
 * libavcodec into YUV420, so pictures are decoded in place and later
 * read back as references from their CAPTURE buffers, named in the job's
 * refs[] as the kernel names them.  Then a SYNC that fails, at START and
 * at END: the job is answered FAILED, and the next one decodes.
 *
 * Exit 77 (skipped) without vectors or libavcodec.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "context.h"
#include "dd_test.h"
#include "fixture.h"
#include "h264_drive.h"
#include "recorder.h"
#include "skip.h"

#define SLOTS		16
#define MAX_BUFS	(SLOTS + 1)

/* The fake dma-bufs: their inodes and how many brackets are open on each. */
static struct {
	ino_t ino;
	int readers, writers;
} bufs[MAX_BUFS];
static int nbufs;
static unsigned long starts, ends, ref_starts, unbalanced;
static int fail_start, fail_end;	/* the next START / END fails */
static uint64_t current_picture_ino;

static int find_buf(ino_t ino)
{
	for (int i = 0; i < nbufs; i++)
		if (bufs[i].ino == ino)
			return i;
	return -1;
}

/* Sets the protection of every mapping of buffer @i from its brackets. */
static void protect(int i)
{
	int prot = bufs[i].writers ? PROT_READ | PROT_WRITE :
		   bufs[i].readers ? PROT_READ : PROT_NONE;
	unsigned long start, end, ino;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		abort();
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &start, &end, &ino) == 3 &&
		    ino == (unsigned long)bufs[i].ino && strstr(line, "/memfd:"))
			mprotect((void *)start, end - start, prot);
	fclose(f);
}

static void protect_all(void)
{
	for (int i = 0; i < nbufs; i++)
		protect(i);
}

static int fake_sync(int fd, const struct dma_buf_sync *s)
{
	int write = !!(s->flags & DMA_BUF_SYNC_WRITE);
	struct stat st;
	int i;

	if (fstat(fd, &st) || (i = find_buf(st.st_ino)) < 0) {
		errno = ENOTTY;
		return -1;
	}
	if (s->flags & DMA_BUF_SYNC_END) {
		int *n = write ? &bufs[i].writers : &bufs[i].readers;

		if (*n == 0)
			unbalanced++;
		else
			(*n)--;
		ends++;
		protect(i);
		if (fail_end) {
			fail_end = 0;
			errno = EIO;
			return -1;
		}
		return 0;
	} else {
		if (fail_start) {
			fail_start = 0;
			errno = EIO;
			return -1;
		}
		(*(write ? &bufs[i].writers : &bufs[i].readers))++;
		starts++;
		if (!write && st.st_ino != current_picture_ino && i > 0)
			ref_starts++;
	}
	protect(i);
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (request == DMA_BUF_IOCTL_SYNC)
		return fake_sync(fd, arg);
	return (int)syscall(SYS_ioctl, fd, request, arg);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] =
		"test_dmabuf_sync: the CPU touched a dma-buf outside DMA_BUF_IOCTL_SYNC START/END\n";

	(void)sig;
	(void)si;
	(void)uc;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static void add_buf(int fd)
{
	struct stat st;

	CHECK_EQ(fstat(fd, &st), 0);
	bufs[nbufs++].ino = st.st_ino;
}

/*
 * One job the core's way into pool slot frame % SLOTS, naming as
 * references the other slots of the pictures decoded before (up to a
 * full DPB, as the kernel names a client's DPB): @pics[0..@i - 1].
 */
static enum daedalus_status run_job(struct dd_context *ctx, struct h264_pool *pool,
				    struct dd_recorder *rec, int bs_fd, size_t bs_len,
				    const struct h264_picture *pics, int i,
				    struct h264_client_dpb *dpb)
{
	const struct h264_picture *pic = &pics[i];
	uint64_t seq = (uint64_t)i + 1;
	static struct daedalus_job msg;
	struct dd_prepared_job job = { .msg = &msg };
	struct daedalus_result res;
	int slot = pic->frame % SLOTS;
	struct stat st;

	CHECK_EQ(pwrite(bs_fd, pic->slices, pic->slices_len, 0), pic->slices_len);
	h264_fill_job_fds(&msg, pic, seq, pool, slot, bs_fd, bs_len, dpb);
	msg.picture_format.pixelformat = V4L2_PIX_FMT_YUV420;
	for (int j = i - 1; j >= 0 && msg.num_refs < SLOTS - 1; j--) {
		uint64_t id = pool->id_base + (uint64_t)(pics[j].frame % SLOTS);
		uint32_t k;

		for (k = 0; k < msg.num_refs && msg.refs[k].buf_id != id; k++)
			;
		if (k < msg.num_refs || id == msg.picture.id)
			continue;
		msg.refs[k].timestamp = (uint64_t)(pics[j].frame + 1) * 1000;
		msg.refs[k].buf_id = id;
		msg.num_refs++;
	}
	CHECK_EQ(fstat(pool->fd[slot], &st), 0);
	current_picture_ino = st.st_ino;
	dd_job_prepare(pool->cache, &job, sizeof(msg));
	CHECK(job.reject == NULL);
	protect_all();		/* mapped by the reader: not to be touched yet */
	dd_context_run(ctx, &job, rec, &res);
	dd_job_release(&job);
	return (enum daedalus_status)res.status;
}

int main(void)
{
	const char *dir = h264_test_begin();
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	char tmp[] = "/tmp/dd-sync-XXXXXX", cmd[64];
	struct dd_recorder *rec = NULL;
	struct h264_client_dpb dpb;
	struct dd_context ctx;
	struct h264_vector v;
	struct h264_stream s;
	struct h264_pool pool;
	size_t bs_len = 0;
	int i, bs_fd, ok = 0, n;
	enum daedalus_status st;

	if (!dir)
		return dd_test_skip();
	if (h264_vector_find(dir, "CABAST3_Sony_E", &v) || h264_stream_load(&s, v.path)) {
		fprintf(stderr, "CABAST3_Sony_E: vector missing\n");
		return 1;
	}
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (i = 0; i < s.npics; i++)
		if (s.pics[i].slices_len > bs_len)
			bs_len = s.pics[i].slices_len;
	bs_len = (bs_len + 4095) / 4096 * 4096;
	CHECK_EQ(h264_pool_init(&pool, SLOTS, h264_capture_length(&s), 100), 0);
	bs_fd = fx_memfd(bs_len, 0);
	add_buf(bs_fd);
	for (i = 0; i < SLOTS; i++)
		add_buf(pool.fd[i]);
	CHECK(mkdtemp(tmp) != NULL);
	CHECK_EQ(dd_recorder_new(tmp, &rec), 0);
	dd_context_init(&ctx, 1, NULL, NULL);
	h264_client_dpb_init(&dpb);

	n = s.npics - 3 < 40 ? s.npics - 3 : 40;
	for (i = 0; i < n; i++)
		ok += run_job(&ctx, &pool, rec, bs_fd, bs_len, s.pics, i, &dpb) ==
		      DAEDALUS_STATUS_OK;
	printf("CABAST3_Sony_E: %d of %d jobs OK, %lu SYNC_START, %lu SYNC_END, %lu of references, %" PRIu64 " bytes copied\n",
	       ok, n, starts, ends, ref_starts, ctx.bytes_copied);
	CHECK_EQ(ok, n);
	CHECK_EQ(starts, ends);
	CHECK(ref_starts > 0);
	CHECK_EQ(unbalanced, 0);

	/* A SYNC that fails: the job fails, the daemon goes on. */
	fail_start = 1;
	st = run_job(&ctx, &pool, rec, bs_fd, bs_len, s.pics, n, &dpb);
	CHECK_EQ(st, DAEDALUS_STATUS_FAILED);
	fail_end = 1;
	st = run_job(&ctx, &pool, rec, bs_fd, bs_len, s.pics, n + 1, &dpb);
	CHECK_EQ(st, DAEDALUS_STATUS_FAILED);
	st = run_job(&ctx, &pool, rec, bs_fd, bs_len, s.pics, n + 2, &dpb);
	CHECK(st != DAEDALUS_STATUS_FAILED);
	for (i = 0; i < nbufs; i++)
		CHECK_EQ(bufs[i].readers + bufs[i].writers, 0);
	CHECK_EQ(starts, ends);
	CHECK_EQ(ctx.failed, 2);

	dd_context_close_decoder(&ctx);
	dd_recorder_free(rec);
	close(bs_fd);
	h264_pool_free(&pool);
	h264_stream_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) < 0)
		return 1;
	return dd_test_result("test_dmabuf_sync");
}
