/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hostile_client: random but bounded V4L2 / request API traffic on the
 * daedalus video and media nodes, while a daemon serves the jobs.
 *
 *   daedalus-hostile-client [--seed S] [--iterations N] [--ioctls M]
 *                           [--contexts K] [--vector FILE] [--watchdog SEC]
 *                           [--video DEV] [--media DEV]
 *
 * It runs N iterations (default 10000), or until it has issued M ioctls
 * when --ioctls is given.  K contexts (default 4) stay open at once.  Each iteration picks one context and one
 * action: S_FMT / TRY_FMT / G_FMT with edge values on both queues for every
 * coded format ENUM_FMT lists; S / TRY / G_EXT_CTRLS with mutated, random
 * and out-of-range payloads (and wrong sizes) for every control
 * QUERY_EXT_CTRL lists, directly and in requests; REQBUFS, CREATE_BUFS,
 * REMOVE_BUFS; QBUF with and without requests; MEDIA_IOC_REQUEST_ALLOC,
 * requests queued twice, reinit while queued, closed while queued, used
 * from another context or after their context closed; STREAMON/STREAMOFF
 * at random moments; a context closed mid-decode and reopened; decode
 * jobs with garbage bitstreams (random bytes, truncated or corrupted
 * slices of --vector) and mutated controls; DQBUF after a poll() of at
 * most 10 ms.  Every fd is O_NONBLOCK: no call waits for a buffer.
 *
 * The devices: --video / --media, else $DAEDALUS_VIDEO_DEV and
 * $DAEDALUS_MEDIA_DEV.  At the end it prints the seed, the number of
 * ioctls and how many ended with each errno ("OK" for success).
 *
 * A watchdog (SIGALRM, --watchdog, default 5 s) ends the run with status 3
 * when one iteration takes longer, naming the action and the ioctl (or
 * close) that hung: that is a finding.  Exit 0 otherwise; 2 on setup
 * errors (devices missing).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#ifndef VIDIOC_REMOVE_BUFS	/* uAPI of 6.10+; older headers lack it */
struct v4l2_remove_buffers {
	__u32 index;
	__u32 count;
	__u32 type;
	__u32 reserved[13];
};
#define VIDIOC_REMOVE_BUFS _IOWR('V', 104, struct v4l2_remove_buffers)
#endif

#define OUT_T	V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
#define CAP_T	V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
#define MAXB	32		/* vb2's buffer limit per queue */
#define MAXR	8		/* requests kept per context */
#define MAXCTX	16
#define MAXCTL	64
#define MAXORPH	16
#define QUEUE_BYTES	(48u << 20)	/* memory a queue may hold, roughly */

/* ---- counters, and what is running (for the watchdog) ---------------- */

static unsigned long long n_ioctl;
static unsigned long long n_errno[256];		/* [0]: success */
static const char *volatile cur_action = "setup";
static const char *volatile cur_call = "-";
static volatile unsigned long cur_iter;
static unsigned int watchdog_s = 5;

static void put(const char *s)
{
	ssize_t r = write(2, s, strlen(s));

	(void)r;
}

static void put_ul(unsigned long v)
{
	char b[24];
	int i = sizeof(b) - 1;

	b[i] = 0;
	do
		b[--i] = '0' + v % 10;
	while ((v /= 10) && i);
	put(b + i);
}

/* Async-signal-safe: names where it hung, exits 3. */
static void on_alarm(int sig)
{
	(void)sig;
	put("hostile_client: WATCHDOG: iteration ");
	put_ul(cur_iter);
	put(" took over ");
	put_ul(watchdog_s);
	put(" s in action ");
	put(cur_action);
	put(", call ");
	put(cur_call);
	put("\n");
	_exit(3);
}

static int xio(int fd, unsigned long req, void *arg, const char *name)
{
	int r, e;

	cur_call = name;
	r = ioctl(fd, req, arg);
	e = r < 0 ? errno : 0;
	n_ioctl++;
	n_errno[e & 255]++;
	cur_call = "-";
	errno = e;
	return r;
}

#define IO(fd, req, arg) xio(fd, req, arg, #req)

static void xclose(int fd)
{
	if (fd < 0)
		return;
	cur_call = "close";
	close(fd);
	cur_call = "-";
}

/* ---- PRNG: splitmix64, seeded ----------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)	/* 0 .. n-1 */
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static int chance(unsigned int pct)
{
	return rnd(100) < pct;
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = rnd64();
}

/* A 32-bit value from the edges or at random. */
static uint32_t edge32(void)
{
	static const uint32_t e[] = {
		0, 1, 2, 15, 16, 17, 63, 64, 127, 128, 255, 256, 1023,
		1920, 2304, 4095, 4096, 4097, 8192, 65535, 65536,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	return chance(70) ? e[rnd(sizeof(e) / sizeof(e[0]))] : (uint32_t)rnd64();
}

/* ---- what the device offers (learnt once) ----------------------------- */

struct hctl {
	struct v4l2_query_ext_ctrl q;
	unsigned char *def;	/* compound default (DEF_VAL) */
	size_t max_size;	/* elem_size * most elements */
};

static struct hctl ctls[MAXCTL];
static unsigned int nctls;
static uint32_t coded_fmts[16];
static unsigned int ncoded;
static const char *video_dev, *media_dev;
static unsigned char *vector;
static size_t vector_len;

/* ---- contexts --------------------------------------------------------- */

struct hmap {
	void *p;
	size_t len;
};

struct hctx {
	int vfd, mfd;
	int req[MAXR];
	struct hmap out[MAXB];	/* OUTPUT buffers mapped for writing */
	uint32_t codec;		/* the OUTPUT fourcc last set */
};

static struct hctx ctxs[MAXCTX];
static unsigned int nctx = 4;
static int orphan_req[MAXORPH];		/* requests of closed contexts */
static struct hmap orphan_map[MAXORPH];	/* mappings kept past close */

static void unmap(struct hmap *m)
{
	if (m->p) {
		cur_call = "munmap";	/* the last one may release a context */
		munmap(m->p, m->len);
		cur_call = "-";
	}
	m->p = NULL;
	m->len = 0;
}

/* An MMAP buffer @i of queue @type with @n planes at @pl, zeroed. */
static void buf_init(struct v4l2_buffer *b, struct v4l2_plane *pl,
		     unsigned int n, uint32_t type, uint32_t i)
{
	memset(b, 0, sizeof(*b));
	memset(pl, 0, n * sizeof(*pl));
	b->type = type;
	b->memory = V4L2_MEMORY_MMAP;
	b->index = i;
	b->m.planes = pl;
	b->length = n;
}

static void map_out(struct hctx *c, unsigned int i)
{
	struct v4l2_buffer b;
	struct v4l2_plane pl[VIDEO_MAX_PLANES];
	void *p;

	if (i >= MAXB)
		return;
	buf_init(&b, pl, VIDEO_MAX_PLANES, OUT_T, i);
	if (IO(c->vfd, VIDIOC_QUERYBUF, &b) < 0 || !b.length)
		return;
	unmap(&c->out[i]);
	p = mmap(NULL, pl[0].length, PROT_READ | PROT_WRITE, MAP_SHARED,
		 c->vfd, pl[0].m.mem_offset);
	if (p == MAP_FAILED)
		return;
	c->out[i].p = p;
	c->out[i].len = pl[0].length;
}

static int open_ctx(struct hctx *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < MAXR; i++)
		c->req[i] = -1;
	cur_call = "open";
	c->vfd = open(video_dev, O_RDWR | O_NONBLOCK);
	c->mfd = open(media_dev, O_RDWR | O_NONBLOCK);
	cur_call = "-";
	if (c->vfd < 0 || c->mfd < 0) {
		fprintf(stderr, "hostile_client: open %s / %s: %s\n", video_dev,
			media_dev, strerror(errno));
		return -1;
	}
	c->codec = ncoded ? coded_fmts[0] : V4L2_PIX_FMT_H264_SLICE;
	return 0;
}

static void keep_orphan_req(int fd)
{
	unsigned int i = rnd(MAXORPH);

	xclose(orphan_req[i]);
	orphan_req[i] = fd;
}

static void keep_orphan_map(struct hmap *m)
{
	unsigned int i = rnd(MAXORPH);

	unmap(&orphan_map[i]);
	orphan_map[i] = *m;
	m->p = NULL;
}

/*
 * Close a context in a random order: the video fd first or last, some
 * requests and mappings left behind (they keep the file, or the request,
 * alive after the context's fds are gone).
 */
static void close_ctx(struct hctx *c, int hostile)
{
	unsigned int i;

	if (hostile && chance(50)) {
		xclose(c->vfd);
		c->vfd = -1;
	}
	for (i = 0; i < MAXR; i++) {
		if (c->req[i] < 0)
			continue;
		if (hostile && chance(20))
			keep_orphan_req(c->req[i]);
		else
			xclose(c->req[i]);
		c->req[i] = -1;
	}
	for (i = 0; i < MAXB; i++) {
		if (hostile && c->out[i].p && chance(5))
			keep_orphan_map(&c->out[i]);
		unmap(&c->out[i]);
	}
	xclose(c->mfd);
	xclose(c->vfd);
	c->vfd = c->mfd = -1;
}

/* ---- building blocks -------------------------------------------------- */

static uint32_t rnd_type(void)
{
	if (chance(90))
		return chance(50) ? OUT_T : CAP_T;
	return chance(50) ? rnd(16) : edge32();
}

static uint32_t rnd_fourcc(void)
{
	static const uint32_t raw[] = {
		V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_P010, V4L2_PIX_FMT_YUV420,
		V4L2_PIX_FMT_H264, V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_MPEG2_SLICE,
	};

	if (ncoded && chance(70))
		return coded_fmts[rnd(ncoded)];
	if (chance(70))
		return raw[rnd(sizeof(raw) / sizeof(raw[0]))];
	return edge32();
}

static void rnd_format(struct v4l2_format *f, uint32_t type)
{
	struct v4l2_pix_format_mplane *p = &f->fmt.pix_mp;

	memset(f, 0, sizeof(*f));
	f->type = type;
	p->pixelformat = rnd_fourcc();
	p->width = chance(60) ? 16 + rnd(400) : edge32();
	p->height = chance(60) ? 16 + rnd(300) : edge32();
	p->num_planes = chance(80) ? 1 : rnd(12);
	p->field = chance(80) ? V4L2_FIELD_NONE : rnd(12);
	if (chance(50))
		p->plane_fmt[0].sizeimage = chance(50) ? rnd(4 << 20) : edge32();
	if (chance(20))
		p->plane_fmt[0].bytesperline = edge32();
	if (chance(10))
		rnd_bytes(f->fmt.raw_data, sizeof(f->fmt.raw_data));
}

static uint32_t queue_sizeimage(struct hctx *c, uint32_t type)
{
	struct v4l2_format f;

	memset(&f, 0, sizeof(f));
	f.type = type;
	if (IO(c->vfd, VIDIOC_G_FMT, &f) < 0)
		return 1;
	return f.fmt.pix_mp.plane_fmt[0].sizeimage ?: 1;
}

/* At most as many buffers as QUEUE_BYTES allows at the queue's size. */
static uint32_t buf_count(struct hctx *c, uint32_t type)
{
	uint32_t cap = QUEUE_BYTES / queue_sizeimage(c, type);

	if (cap > MAXB + 2)
		cap = MAXB + 2;
	if (!cap)
		cap = 1;
	return rnd(cap + 1);
}

static int reqbufs(struct hctx *c, uint32_t type, uint32_t count,
		   uint32_t memory)
{
	struct v4l2_requestbuffers rb;
	unsigned int i;
	int r;

	memset(&rb, 0, sizeof(rb));
	rb.type = type;
	rb.count = count;
	rb.memory = memory;
	r = IO(c->vfd, VIDIOC_REQBUFS, &rb);
	if (r == 0 && type == OUT_T && memory == V4L2_MEMORY_MMAP) {
		for (i = 0; i < MAXB; i++)
			unmap(&c->out[i]);
		for (i = 0; i < rb.count && i < MAXB; i++)
			map_out(c, i);
	}
	return r;
}

static int stream(struct hctx *c, int on, uint32_t type)
{
	return on ? IO(c->vfd, VIDIOC_STREAMON, &type) :
		    IO(c->vfd, VIDIOC_STREAMOFF, &type);
}

static int qbuf_cap(struct hctx *c, uint32_t i)
{
	struct v4l2_buffer b;
	struct v4l2_plane pl[1];

	buf_init(&b, pl, 1, CAP_T, i);
	return IO(c->vfd, VIDIOC_QBUF, &b);
}

/* The controls of the codec whose fourcc is @fourcc (by name prefix). */
static int ctl_of_codec(const struct hctl *h, uint32_t fourcc)
{
	const char *fam;

	switch (fourcc) {
	case V4L2_PIX_FMT_H264_SLICE: fam = "H264"; break;
	case V4L2_PIX_FMT_VP8_FRAME: fam = "VP8"; break;
	case V4L2_PIX_FMT_VP9_FRAME: fam = "VP9"; break;
	default: fam = "AV1"; break;
	}
	return strstr(h->q.name, fam) != NULL;
}

/*
 * The few fields that make the daemon take a default payload past its
 * checks to a decoder (the defaults are profile 0 H.264, 4:4:4 AV1).
 */
static void plausible(uint32_t id, unsigned char *buf)
{
	if (id == V4L2_CID_STATELESS_H264_SPS) {
		struct v4l2_ctrl_h264_sps *sps = (void *)buf;

		sps->profile_idc = 100;
		sps->chroma_format_idc = 1;
	}
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	if (id == V4L2_CID_STATELESS_AV1_SEQUENCE)
		((struct v4l2_ctrl_av1_sequence *)(void *)buf)->flags |=
			V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
#endif
}

/*
 * A payload for control @h into @buf (at least max_size + 64 bytes);
 * returns its size.  Mostly the default with a few bytes changed (valid
 * enough to reach the daemon), else random, zero, all ones; the size is
 * sometimes wrong.
 */
static uint32_t ctl_payload(const struct hctl *h, unsigned char *buf,
			    int sane)
{
	const struct v4l2_query_ext_ctrl *q = &h->q;
	uint32_t size = q->elem_size * q->elems, k, n;

	if (q->flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY) {
		n = 1 + rnd(q->nr_of_dims ? q->dims[0] : 1);
		size = q->elem_size * n;
		if (size > h->max_size)
			size = h->max_size;
	}
	switch (sane ? 0 : rnd(5)) {
	case 0:
	case 1:
		if (q->flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY)
			for (k = 0; k < size; k += q->elem_size)
				memcpy(buf + k, h->def, q->elem_size);
		else
			memcpy(buf, h->def, size);
		if (sane)
			plausible(q->id, buf);
		for (n = sane ? rnd(3) : 1 + rnd(8); n && size; n--)
			buf[rnd(size)] = rnd64();
		break;
	case 2:
		rnd_bytes(buf, size);
		break;
	case 3:
		memset(buf, 0, size);
		break;
	default:
		memset(buf, 0xff, size);
		break;
	}
	if (!sane && chance(15)) {	/* a wrong size; buf has 64 spare */
		switch (rnd(4)) {
		case 0: size = 0; break;
		case 1: size -= size > 0; break;
		case 2: size++; break;
		default: size += 64; break;
		}
	}
	return size;
}

/* An integer control's value: in range, or just out, or extreme. */
static int32_t ctl_value(const struct hctl *h)
{
	switch (rnd(5)) {
	case 0: return (int32_t)h->q.minimum - 1;
	case 1: return (int32_t)h->q.maximum + 1;
	case 2: return chance(50) ? INT32_MIN : INT32_MAX;
	case 3: return (int32_t)rnd64();
	default: {
		uint64_t span = (uint64_t)h->q.maximum - (uint64_t)h->q.minimum + 1;

		return (int32_t)(h->q.minimum + (span ? rnd64() % span : rnd64()));
	}
	}
}

static int is_compound(const struct hctl *h)
{
	return h->q.type >= V4L2_CTRL_COMPOUND_TYPES ||
	       (h->q.flags & V4L2_CTRL_FLAG_HAS_PAYLOAD);
}

static unsigned char payloads[4][16384];

static void fill_ctrl(struct v4l2_ext_control *e, const struct hctl *h,
		      unsigned int slot, int sane)
{
	memset(e, 0, sizeof(*e));
	e->id = h->q.id;
	if (is_compound(h)) {
		e->size = ctl_payload(h, payloads[slot & 3], sane);
		e->ptr = payloads[slot & 3];
	} else {
		e->value = sane ? h->q.default_value : ctl_value(h);
	}
}

/* A request fd: one of this context's, another context's, stale, bad. */
static int rnd_req_fd(struct hctx *c)
{
	unsigned int r = rnd(100);

	if (r < 60)
		return c->req[rnd(MAXR)];
	if (r < 80)
		return ctxs[rnd(nctx)].req[rnd(MAXR)];
	if (r < 88)
		return orphan_req[rnd(MAXORPH)];
	if (r < 94)
		return c->vfd;	/* not a request */
	return chance(50) ? -1 : (int)edge32();
}

static void ensure_req(struct hctx *c, unsigned int i)
{
	if (c->req[i] < 0 && IO(c->mfd, MEDIA_IOC_REQUEST_ALLOC, &c->req[i]) < 0)
		c->req[i] = -1;
}

/* Bitstream for OUTPUT buffer @m: returns bytesused to queue. */
static uint32_t fill_bitstream(struct hmap *m)
{
	size_t n, off;

	if (!m->p || !m->len)
		return 0;
	n = 1 + rnd(m->len < 65536 ? m->len : 65536);
	switch (rnd(vector ? 5 : 2)) {
	case 0:
		rnd_bytes(m->p, n);
		break;
	case 1:
		memset(m->p, 0, n);
		if (n > 4)
			memcpy(m->p, "\0\0\1\x65", 4);
		break;
	default:
		/* a truncated (and sometimes corrupted) piece of a real one */
		off = chance(50) ? 0 : rnd(vector_len);
		if (n > vector_len - off)
			n = vector_len - off;
		if (!n)
			return 0;
		memcpy(m->p, vector + off, n);
		if (chance(50))
			((unsigned char *)m->p)[rnd(n)] ^= 1u << rnd(8);
		break;
	}
	return n;
}

/* ---- actions ---------------------------------------------------------- */

/* A coherent start: a codec, small buffers on both queues, streaming. */
static void act_setup(struct hctx *c)
{
	struct v4l2_format f;
	unsigned int i, n;

	stream(c, 0, OUT_T);
	stream(c, 0, CAP_T);
	reqbufs(c, OUT_T, 0, V4L2_MEMORY_MMAP);
	reqbufs(c, CAP_T, 0, V4L2_MEMORY_MMAP);
	memset(&f, 0, sizeof(f));
	f.type = OUT_T;
	f.fmt.pix_mp.pixelformat = ncoded ? coded_fmts[rnd(ncoded)] :
				   V4L2_PIX_FMT_H264_SLICE;
	f.fmt.pix_mp.width = 16 + rnd(320);
	f.fmt.pix_mp.height = 16 + rnd(240);
	f.fmt.pix_mp.num_planes = 1;
	if (IO(c->vfd, VIDIOC_S_FMT, &f) == 0)
		c->codec = f.fmt.pix_mp.pixelformat;
	n = 2 + rnd(4);
	reqbufs(c, OUT_T, n, V4L2_MEMORY_MMAP);
	reqbufs(c, CAP_T, n, V4L2_MEMORY_MMAP);
	for (i = 0; i < n; i++)
		qbuf_cap(c, i);
	stream(c, 1, OUT_T);
	stream(c, 1, CAP_T);
}

/* One decode job: request with the codec's controls, garbage bitstream. */
static void act_decode(struct hctx *c)
{
	struct v4l2_ext_control ec[8];
	struct v4l2_ext_controls ecs;
	struct v4l2_buffer b;
	struct v4l2_plane pl[1];
	unsigned int i, n = 0, ri = rnd(MAXR), bi = rnd(MAXB);
	int sane = chance(60);

	ensure_req(c, ri);
	if (c->req[ri] < 0)
		return;
	IO(c->req[ri], MEDIA_REQUEST_IOC_REINIT, NULL);
	for (i = 0; i < nctls && n < 8; i++)
		if (ctl_of_codec(&ctls[i], c->codec) && is_compound(&ctls[i]))
			fill_ctrl(&ec[n], &ctls[i], n, sane), n++;
	memset(&ecs, 0, sizeof(ecs));
	ecs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
	ecs.request_fd = c->req[ri];
	ecs.count = n;
	ecs.controls = ec;
	if (!chance(3))
		IO(c->vfd, VIDIOC_S_EXT_CTRLS, &ecs);
	for (i = 0; i < MAXB && !c->out[bi].p; i++)
		bi = (bi + 1) % MAXB;
	buf_init(&b, pl, 1, OUT_T, bi);
	pl[0].bytesused = fill_bitstream(&c->out[bi]);
	b.flags = V4L2_BUF_FLAG_REQUEST_FD;
	if (chance(10))
		b.flags |= V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	b.request_fd = c->req[ri];
	b.timestamp.tv_sec = rnd(4);
	b.timestamp.tv_usec = rnd(1000000);
	if (!chance(3))
		IO(c->vfd, VIDIOC_QBUF, &b);
	IO(c->req[ri], MEDIA_REQUEST_IOC_QUEUE, NULL);
	if (chance(5))	/* queued twice */
		IO(c->req[ri], MEDIA_REQUEST_IOC_QUEUE, NULL);
	if (chance(5))	/* reinit while queued */
		IO(c->req[ri], MEDIA_REQUEST_IOC_REINIT, NULL);
	if (chance(3)) {	/* closed while queued */
		xclose(c->req[ri]);
		c->req[ri] = -1;
	}
}

static void act_fmt(struct hctx *c)
{
	struct v4l2_format f;
	unsigned int op = rnd(3);

	rnd_format(&f, rnd_type());
	if (op == 0 && IO(c->vfd, VIDIOC_S_FMT, &f) == 0 && f.type == OUT_T)
		c->codec = f.fmt.pix_mp.pixelformat;
	else if (op == 1)
		IO(c->vfd, VIDIOC_TRY_FMT, &f);
	else
		IO(c->vfd, VIDIOC_G_FMT, &f);
}

static void act_ctrl(struct hctx *c)
{
	struct v4l2_ext_control ec[8];
	struct v4l2_ext_controls ecs;
	unsigned int i, n = chance(75) ? 1 : rnd(9);
	unsigned int op = rnd(3);

	if (!nctls)
		return;
	for (i = 0; i < n; i++)
		fill_ctrl(&ec[i], &ctls[rnd(nctls)], i, chance(30));
	if (n && chance(5))
		ec[0].id = edge32();	/* no such control */
	memset(&ecs, 0, sizeof(ecs));
	switch (rnd(6)) {
	case 0:
	case 1:
		ecs.which = V4L2_CTRL_WHICH_CUR_VAL;
		break;
	case 2:
	case 3:
		ecs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		ecs.request_fd = rnd_req_fd(c);
		break;
	case 4:
		ecs.which = V4L2_CTRL_WHICH_DEF_VAL;
		break;
	default:
		ecs.which = chance(50) ? V4L2_CTRL_CLASS_CODEC_STATELESS : edge32();
		break;
	}
	ecs.count = n;
	ecs.controls = ec;
	if (chance(3))
		ecs.count = chance(50) ? 1025 : 0xffffffff;	/* way past */
	if (op == 0)
		IO(c->vfd, VIDIOC_S_EXT_CTRLS, &ecs);
	else if (op == 1)
		IO(c->vfd, VIDIOC_TRY_EXT_CTRLS, &ecs);
	else
		IO(c->vfd, VIDIOC_G_EXT_CTRLS, &ecs);
}

static void act_bufs(struct hctx *c)
{
	uint32_t type = chance(90) ? (chance(50) ? OUT_T : CAP_T) : rnd_type();
	struct v4l2_create_buffers cb;
	struct v4l2_remove_buffers rb;
	unsigned int i;

	switch (rnd(4)) {
	case 0: {
		static const uint32_t mem[] = {
			V4L2_MEMORY_MMAP, V4L2_MEMORY_MMAP, V4L2_MEMORY_MMAP,
			V4L2_MEMORY_DMABUF, V4L2_MEMORY_USERPTR, 0, 77,
		};

		reqbufs(c, type, buf_count(c, type), mem[rnd(7)]);
		break;
	}
	case 1:
		memset(&cb, 0, sizeof(cb));
		cb.memory = chance(90) ? V4L2_MEMORY_MMAP : rnd(6);
		cb.count = buf_count(c, type);
		cb.format.type = type;
		if (IO(c->vfd, VIDIOC_G_FMT, &cb.format) < 0 || chance(20))
			rnd_format(&cb.format, type);
		/* bounded sizes: a queue is not to eat the guest's memory */
		if (cb.format.fmt.pix_mp.plane_fmt[0].sizeimage > (4u << 20))
			cb.format.fmt.pix_mp.plane_fmt[0].sizeimage = rnd(4u << 20);
		if (cb.count && cb.format.fmt.pix_mp.plane_fmt[0].sizeimage >
		    QUEUE_BYTES / cb.count)
			cb.count = 1;
		if (chance(2)) {	/* more than the guest's memory */
			cb.format.fmt.pix_mp.plane_fmt[0].sizeimage = 0xfffff000;
			cb.count = 1;
		}
		if (IO(c->vfd, VIDIOC_CREATE_BUFS, &cb) == 0 && type == OUT_T &&
		    cb.memory == V4L2_MEMORY_MMAP)
			for (i = 0; i < cb.count; i++)
				map_out(c, cb.index + i);
		break;
	case 2:
		memset(&rb, 0, sizeof(rb));
		rb.type = type;
		rb.index = chance(80) ? rnd(MAXB) : edge32();
		rb.count = chance(80) ? rnd(4) : edge32();
		if (IO(c->vfd, VIDIOC_REMOVE_BUFS, &rb) == 0 && type == OUT_T)
			for (i = rb.index; i < MAXB && i - rb.index < rb.count; i++)
				if (chance(50))	/* else keep writing there */
					unmap(&c->out[i]);
		break;
	default: {
		struct v4l2_exportbuffer eb;

		memset(&eb, 0, sizeof(eb));
		eb.type = type;
		eb.index = rnd(MAXB + 2);
		eb.flags = chance(80) ? O_CLOEXEC | O_RDWR : edge32();
		if (IO(c->vfd, VIDIOC_EXPBUF, &eb) == 0)
			xclose(eb.fd);
		break;
	}
	}
}

static void act_qbuf(struct hctx *c)
{
	struct v4l2_buffer b;
	struct v4l2_plane pl[VIDEO_MAX_PLANES];
	uint32_t type = chance(90) ? (chance(50) ? OUT_T : CAP_T) : rnd_type();
	unsigned int op = rnd(10);

	buf_init(&b, pl, VIDEO_MAX_PLANES, type, 0);
	b.memory = chance(90) ? V4L2_MEMORY_MMAP : rnd(6);
	b.index = chance(90) ? rnd(MAXB) : edge32();
	b.length = chance(90) ? 1 : rnd(VIDEO_MAX_PLANES + 1);
	if (type == OUT_T && b.index < MAXB)
		pl[0].bytesused = fill_bitstream(&c->out[b.index]);
	if (chance(20))
		pl[0].bytesused = edge32();
	if (chance(10))
		pl[0].data_offset = edge32();
	if (b.memory == V4L2_MEMORY_DMABUF)
		pl[0].m.fd = chance(50) ? -1 : c->mfd;	/* not a dma-buf */
	if (chance(50)) {
		b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = rnd_req_fd(c);
	}
	if (chance(10))
		b.flags |= edge32();
	if (op < 6)
		IO(c->vfd, VIDIOC_QBUF, &b);
	else if (op < 8)
		IO(c->vfd, VIDIOC_PREPARE_BUF, &b);
	else
		IO(c->vfd, VIDIOC_QUERYBUF, &b);
}

static void act_req(struct hctx *c)
{
	unsigned int i = rnd(MAXR), o = rnd(MAXORPH);
	struct pollfd p;

	switch (rnd(7)) {
	case 0:	/* a new one in place of an old one, queued or not */
		xclose(c->req[i]);
		c->req[i] = -1;
		ensure_req(c, i);
		break;
	case 1:
		IO(rnd_req_fd(c), MEDIA_REQUEST_IOC_QUEUE, NULL);
		break;
	case 2:
		IO(rnd_req_fd(c), MEDIA_REQUEST_IOC_REINIT, NULL);
		break;
	case 3:
		if (c->req[i] >= 0) {
			p.fd = c->req[i];
			p.events = POLLPRI | POLLIN | POLLOUT;
			cur_call = "poll request";
			poll(&p, 1, rnd(3));
			cur_call = "-";
		}
		break;
	case 4:	/* a request of a closed context */
		if (orphan_req[o] >= 0) {
			IO(orphan_req[o], chance(50) ? MEDIA_REQUEST_IOC_QUEUE :
				MEDIA_REQUEST_IOC_REINIT, NULL);
			if (chance(30)) {
				xclose(orphan_req[o]);
				orphan_req[o] = -1;
			}
		}
		if (orphan_map[o].p && chance(50))
			rnd_bytes(orphan_map[o].p,
				  orphan_map[o].len < 256 ? orphan_map[o].len : 256);
		else if (chance(30))
			unmap(&orphan_map[o]);
		break;
	case 5:	/* the request API on the wrong fds */
		IO(c->vfd, MEDIA_IOC_REQUEST_ALLOC, &o);
		IO(c->mfd, MEDIA_REQUEST_IOC_QUEUE, NULL);
		break;
	default:
		if (chance(20))
			IO(c->mfd, MEDIA_IOC_REQUEST_ALLOC, NULL);
		else
			ensure_req(c, i);
		break;
	}
}

static void act_stream(struct hctx *c)
{
	stream(c, chance(50), chance(90) ? (chance(50) ? OUT_T : CAP_T) :
	       rnd_type());
}

static void act_dqbuf(struct hctx *c)
{
	struct pollfd p = { .fd = c->vfd, .events = POLLIN | POLLOUT | POLLPRI };
	struct v4l2_buffer b;
	struct v4l2_plane pl[1];
	struct v4l2_event ev;

	cur_call = "poll";
	poll(&p, 1, rnd(11));
	cur_call = "-";
	buf_init(&b, pl, 1, CAP_T, 0);
	if (IO(c->vfd, VIDIOC_DQBUF, &b) == 0 && chance(85))
		qbuf_cap(c, b.index);
	buf_init(&b, pl, 1, OUT_T, 0);
	b.length = chance(95) ? 1 : 0;
	IO(c->vfd, VIDIOC_DQBUF, &b);
	if (p.revents & POLLPRI)
		IO(c->vfd, VIDIOC_DQEVENT, &ev);
}

static void act_misc(struct hctx *c)
{
	union {
		struct v4l2_fmtdesc fd;
		struct v4l2_frmsizeenum fs;
		struct v4l2_capability cap;
		struct v4l2_decoder_cmd dc;
		struct v4l2_event_subscription es;
		struct v4l2_query_ext_ctrl qc;
		struct media_device_info di;
		struct media_v2_topology topo;
	} u;

	memset(&u, 0, sizeof(u));
	switch (rnd(8)) {
	case 0:
		u.fd.type = rnd_type();
		u.fd.index = chance(80) ? rnd(6) : edge32();
		IO(c->vfd, VIDIOC_ENUM_FMT, &u.fd);
		break;
	case 1:
		u.fs.pixel_format = rnd_fourcc();
		u.fs.index = chance(80) ? rnd(2) : edge32();
		IO(c->vfd, VIDIOC_ENUM_FRAMESIZES, &u.fs);
		break;
	case 2:
		IO(c->vfd, VIDIOC_QUERYCAP, &u.cap);
		break;
	case 3:
		u.dc.cmd = chance(80) ? rnd(6) : edge32();
		u.dc.flags = chance(70) ? (chance(50) ?
			V4L2_DEC_CMD_PAUSE_TO_BLACK : 0) : edge32();
		if (chance(50))
			IO(c->vfd, VIDIOC_DECODER_CMD, &u.dc);
		else
			IO(c->vfd, VIDIOC_TRY_DECODER_CMD, &u.dc);
		break;
	case 4:
		u.es.type = chance(80) ? rnd(8) : edge32();
		u.es.id = nctls && chance(50) ? ctls[rnd(nctls)].q.id : edge32();
		u.es.flags = rnd(4);
		if (chance(60))
			IO(c->vfd, VIDIOC_SUBSCRIBE_EVENT, &u.es);
		else
			IO(c->vfd, VIDIOC_UNSUBSCRIBE_EVENT, &u.es);
		break;
	case 5:
		u.qc.id = chance(50) ? (edge32() | (chance(50) ?
			V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND : 0)) :
			(nctls ? ctls[rnd(nctls)].q.id : 0);
		IO(c->vfd, VIDIOC_QUERY_EXT_CTRL, &u.qc);
		break;
	case 6:
		IO(c->mfd, MEDIA_IOC_DEVICE_INFO, &u.di);
		break;
	default:
		IO(c->mfd, MEDIA_IOC_G_TOPOLOGY, &u.topo);
		break;
	}
}

/* Close mid-decode (jobs may be with the daemon), and reopen. */
static void act_reopen(struct hctx *c)
{
	if (chance(30))
		act_decode(c);	/* something in flight */
	if (chance(30))
		stream(c, 0, chance(50) ? OUT_T : CAP_T);
	close_ctx(c, 1);
	if (open_ctx(c) == 0 && chance(70))
		act_setup(c);
}

struct action {
	const char *name;
	void (*fn)(struct hctx *c);
	unsigned int weight;
	unsigned long long runs;
};

static struct action actions[] = {
	{ "decode", act_decode, 24, 0 },
	{ "dqbuf", act_dqbuf, 20, 0 },
	{ "ctrl", act_ctrl, 16, 0 },
	{ "fmt", act_fmt, 8, 0 },
	{ "bufs", act_bufs, 7, 0 },
	{ "qbuf", act_qbuf, 8, 0 },
	{ "request", act_req, 8, 0 },
	{ "stream", act_stream, 5, 0 },
	{ "misc", act_misc, 6, 0 },
	{ "setup", act_setup, 4, 0 },
	{ "reopen", act_reopen, 1, 0 },
};

#define NACT (sizeof(actions) / sizeof(actions[0]))

static struct action *pick_action(void)
{
	unsigned int i, total = 0, r;

	for (i = 0; i < NACT; i++)
		total += actions[i].weight;
	r = rnd(total);
	for (i = 0; r >= actions[i].weight; i++)
		r -= actions[i].weight;
	return &actions[i];
}

/* ---- learning the device ---------------------------------------------- */

static void learn(int vfd)
{
	struct v4l2_fmtdesc fd;
	struct v4l2_query_ext_ctrl q;
	struct v4l2_ext_control e;
	struct v4l2_ext_controls es;
	struct hctl *h;

	memset(&fd, 0, sizeof(fd));
	fd.type = OUT_T;
	while (ncoded < 16 && IO(vfd, VIDIOC_ENUM_FMT, &fd) == 0) {
		coded_fmts[ncoded++] = fd.pixelformat;
		fd.index++;
	}
	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	while (nctls < MAXCTL && IO(vfd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
		h = &ctls[nctls];
		h->q = q;
		h->max_size = (size_t)q.elem_size * q.elems;
		if ((q.flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY) && q.nr_of_dims)
			h->max_size = (size_t)q.elem_size * q.dims[0];
		if (h->max_size + 64 > sizeof(payloads[0]))
			h->max_size = sizeof(payloads[0]) - 64;
		if (is_compound(h) && q.elem_size) {
			h->def = calloc(1, h->max_size + 64);
			memset(&e, 0, sizeof(e));
			memset(&es, 0, sizeof(es));
			e.id = q.id;
			e.size = h->max_size;
			e.ptr = h->def;
			es.which = V4L2_CTRL_WHICH_DEF_VAL;
			es.count = 1;
			es.controls = &e;
			IO(vfd, VIDIOC_G_EXT_CTRLS, &es);
		}
		if (!is_compound(h) || (h->def && q.elem_size))
			nctls++;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	}
}

static void load_vector(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f) {
		fprintf(stderr, "hostile_client: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n > 0 && n < (64L << 20)) {
		vector = malloc(n);
		if (vector && fread(vector, 1, n, f) == (size_t)n)
			vector_len = n;
	}
	fclose(f);
	if (!vector_len) {
		free(vector);
		vector = NULL;
	}
}

static void report(unsigned long long seed, unsigned long iters, double secs)
{
	unsigned int i;
	const char *name;

	printf("hostile_client: seed %llu, %lu iterations, %u contexts, %llu ioctls in %.1f s\n",
	       seed, iters, nctx, n_ioctl, secs);
	printf("hostile_client: results:");
	for (i = 0; i < 256; i++) {
		if (!n_errno[i])
			continue;
		name = i ? strerrorname_np(i) : "OK";
		printf(" %s %llu", name ? name : "?", n_errno[i]);
	}
	printf("\nhostile_client: actions:");
	for (i = 0; i < NACT; i++)
		printf(" %s %llu", actions[i].name, actions[i].runs);
	printf("\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: daedalus-hostile-client [--seed S] [--iterations N] [--ioctls M] [--contexts K]\n"
		"        [--vector FILE] [--watchdog SEC] [--video DEV] [--media DEV]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1;
	unsigned long iters = 10000, it;
	unsigned long long max_ioctls = 0;
	struct sigaction sa;
	struct hctx *c;
	struct action *a;
	double t0;
	unsigned int i;

	video_dev = getenv("DAEDALUS_VIDEO_DEV");
	media_dev = getenv("DAEDALUS_MEDIA_DEV");
	/* Options come in pairs: each takes the argument after it. */
	for (i = 1; i < (unsigned int)argc; i += 2) {
		const char *o = argv[i], *v = i + 1 < (unsigned int)argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(o, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--iterations"))
			iters = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--ioctls"))
			max_ioctls = strtoull(v, NULL, 0), iters = ULONG_MAX;
		else if (!strcmp(o, "--contexts"))
			nctx = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--watchdog"))
			watchdog_s = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--vector"))
			load_vector(v);
		else if (!strcmp(o, "--video"))
			video_dev = v;
		else if (!strcmp(o, "--media"))
			media_dev = v;
		else
			usage();
	}
	if (!video_dev || !media_dev || !nctx || nctx > MAXCTX || !watchdog_s)
		usage();
	rng_state = seed;
	for (i = 0; i < MAXORPH; i++)
		orphan_req[i] = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(watchdog_s);
	for (i = 0; i < nctx; i++) {
		if (open_ctx(&ctxs[i]))
			return 2;
		if (i == 0)
			learn(ctxs[0].vfd);
		act_setup(&ctxs[i]);
	}
	printf("hostile_client: seed %llu, %u contexts, %u coded formats, %u controls\n",
	       seed, nctx, ncoded, nctls);
	fflush(stdout);

	t0 = now_s();
	for (it = 0; it < iters && (!max_ioctls || n_ioctl < max_ioctls); it++) {
		cur_iter = it;
		alarm(watchdog_s);
		c = &ctxs[rnd(nctx)];
		a = pick_action();
		cur_action = a->name;
		if (c->vfd < 0 && open_ctx(c))
			return 2;
		a->fn(c);
		a->runs++;
		if (it && it % 10000 == 0) {
			printf("hostile_client: %lu iterations, %llu ioctls, %.1f s\n",
			       it, n_ioctl, now_s() - t0);
			fflush(stdout);
		}
	}
	cur_action = "final close";
	alarm(watchdog_s * 2);
	for (i = 0; i < nctx; i++)
		close_ctx(&ctxs[i], 0);
	for (i = 0; i < MAXORPH; i++) {
		xclose(orphan_req[i]);
		unmap(&orphan_map[i]);
	}
	alarm(0);
	report(seed, it, now_s() - t0);
	return 0;
}
