// SPDX-License-Identifier: BSD-2-Clause
/*
 * sfclient: a raw V4L2 stateful decoder client (dev-decoder.rst, "Memory-
 * to-memory Stateful Video Decoder Interface") for the guest tests.
 *
 *   sfclient [options] INPUT
 *     -d DEV              the decoder node (default $DAEDALUS_SF_VIDEO_DEV)
 *     --format F          h264 | vp8 | vp9 | av1 | fwht (default: by content)
 *     --split S           whole | N (N-byte pieces) | random[:SEED[:MAX]]
 *     --seek-at N         before queueing frame N: STREAMOFF/STREAMON OUTPUT,
 *                         then go on from the first key frame at or after N
 *     --cap-format F      nv12 | yuv420 (default: the decoder's, else nv12)
 *     --out-bufs N        OUTPUT buffers (default 4)
 *     --cap-extra N       CAPTURE buffers beyond MIN_BUFFERS_FOR_CAPTURE (2)
 *     --timeout MS        longest wait without progress (default 10000)
 *     -o FILE             all frames, I420 (I420_10LE for P010), to FILE
 *     --raw FILE          each CAPTURE buffer as dequeued (bytesused), to FILE
 *     --md5               print "md5 HEX" of all frames (as -o would write)
 *     --framemd5          print "frame N ts T WxH HEX" per frame
 *     -v                  say each step on stderr
 *
 * Input: H.264 Annex B (cut into access units), IVF (one frame per IVF
 * frame; for AV1 each is a temporal unit), raw AV1 OBUs (Section 5, cut at
 * temporal delimiters), FWHT (vicodec's frames, cut at each header).  Frame
 * i's pieces all carry timestamp (i + 1) ms; "ts T" of --framemd5 is the
 * input frame index the picture's timestamp names.
 *
 * Exit status: 0 when the drain ended with the LAST buffer; 1 on any
 * failure (ERROR buffer, unexpected LAST/EPIPE, no progress within the
 * timeout, ioctl failure), with a message; 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "md5.h"

#ifndef V4L2_PIX_FMT_AV1
#define V4L2_PIX_FMT_AV1 v4l2_fourcc('A', 'V', '0', '1')
#endif

#define MAX_OUT_BUFS 32
#define MAX_CAP_BUFS 40
#define MAX_PLANES 3

/* ---- messages ---------------------------------------------------------- */

static int verbose;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fputs("sfclient: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sfclient: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *fourcc(unsigned int f, char s[5])
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		char c = (f >> (8 * i)) & 0xff;

		s[i] = c >= ' ' && c < 127 ? c : '?';
	}
	s[4] = 0;
	return s;
}

/* ---- input: frames and pieces ------------------------------------------ */

struct frame {
	size_t off, len;
	int key;
};

struct piece {
	size_t off, len;
	unsigned int frame;
};

struct input {
	uint8_t *data;
	size_t size;
	unsigned int codec;	/* OUTPUT pixelformat */
	unsigned int width, height;	/* IVF header's, or 0 */
	struct frame *frames;
	unsigned int nframes, cap;
	struct piece *pieces;
	unsigned int npieces;
	size_t max_piece;
};

static void add_frame(struct input *in, size_t off, size_t len, int key)
{
	if (!len)
		return;
	if (in->nframes == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 256;
		in->frames = realloc(in->frames, in->cap * sizeof(*in->frames));
		if (!in->frames)
			die("out of memory");
	}
	in->frames[in->nframes].off = off;
	in->frames[in->nframes].len = len;
	in->frames[in->nframes].key = key;
	in->nframes++;
}

static uint32_t rd32le(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t rd32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Start of the next start code (00 00 01) at or after @i, or @n. */
static size_t next_sc(const uint8_t *d, size_t n, size_t i)
{
	for (; i + 3 <= n; i++)
		if (!d[i] && !d[i + 1] && d[i + 2] == 1)
			return i;
	return n;
}

/*
 * H.264 Annex B into access units (7.4.1.2.3): a new one begins at an
 * AUD, SEI, SPS, PPS or NAL types 14..18 after a VCL NAL unit of the
 * current one, or at a slice with first_mb_in_slice 0 (its first payload
 * bit set) after one.  Key: the AU holds an IDR slice.
 */
static void split_annexb(struct input *in)
{
	const uint8_t *d = in->data;
	size_t n = in->size, i = next_sc(d, n, 0), au = 0;
	int vcl = 0, idr = 0;

	while (i < n) {
		size_t nal = i + 3, start = i;
		unsigned int type;
		int begins = 0;

		/* a 4-byte start code's zero belongs to the NAL unit it starts */
		if (start > au && !d[start - 1])
			start--;
		if (nal >= n)
			break;
		type = d[nal] & 0x1f;
		if (type == 9 || type == 6 || type == 7 || type == 8 ||
		    (type >= 14 && type <= 18))
			begins = vcl;
		else if ((type == 1 || type == 5) && nal + 1 < n &&
			 (d[nal + 1] & 0x80))
			begins = vcl;
		if (begins) {
			add_frame(in, au, start - au, idr);
			au = start;
			vcl = idr = 0;
		}
		if (type == 1 || type == 5)
			vcl = 1;
		if (type == 5)
			idr = 1;
		i = next_sc(d, n, nal);
	}
	add_frame(in, au, n - au, idr);
}

/* AV1 (Section 5): leb128 at @p, bytes read in *used; 0 with *used 0 if bad. */
static uint64_t leb128(const uint8_t *p, size_t n, size_t *used)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && i < n; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*used = i + 1;
			return v;
		}
	}
	*used = 0;
	return 0;
}

/*
 * Walk the OBUs of [@off, @off + @len): key if it holds a sequence header
 * and a frame (header) that is neither show_existing_frame nor anything
 * but KEY_FRAME (assuming reduced_still_picture_header 0); with @tu_cut,
 * add a frame at each temporal delimiter instead.  Returns 0, -1 if the
 * OBUs are not well formed.
 */
static int av1_obus(struct input *in, size_t off, size_t len, int tu_cut,
		    int *key)
{
	const uint8_t *d = in->data;
	size_t i = off, end = off + len, tu = off;
	int seq = 0, kf = 0;

	while (i < end) {
		unsigned int h = d[i], type = (h >> 3) & 15;
		size_t hl = 1 + ((h >> 2) & 1), used;
		uint64_t sz;

		if (!(h & 2) || i + hl >= end)
			return -1;	/* no obu_has_size_field */
		sz = leb128(d + i + hl, end - i - hl, &used);
		if (!used || sz > end - i - hl - used)
			return -1;
		if (tu_cut && type == 2 && i > tu) {
			add_frame(in, tu, i - tu, seq && kf);
			tu = i;
			seq = kf = 0;
		}
		if (type == 1)
			seq = 1;
		if ((type == 3 || type == 6) && sz &&
		    !(d[i + hl + used] & 0xe0))
			kf = 1;
		i += hl + used + sz;
	}
	if (tu_cut)
		add_frame(in, tu, end - tu, seq && kf);
	if (key)
		*key = seq && kf;
	return 0;
}

/* VP8: frame tag bit 0 clear; VP9: uncompressed header's frame_type 0. */
static int vpx_key(unsigned int codec, const uint8_t *p, size_t n)
{
	unsigned int profile, b;

	if (!n)
		return 0;
	if (codec == V4L2_PIX_FMT_VP8)
		return !(p[0] & 1);
	/* frame_marker 2, profile_low_bit, profile_high_bit */
	if ((p[0] >> 6) != 2)
		return 0;
	profile = ((p[0] >> 5) & 1) | ((p[0] >> 3) & 2);
	b = profile == 3 ? 2 : 3;	/* reserved_zero bit in profile 3 */
	if (p[0] & (1u << b))	/* show_existing_frame */
		return 0;
	return !(p[0] & (1u << (b - 1)));
}

static void split_ivf(struct input *in)
{
	const uint8_t *d = in->data;
	size_t i, hl;
	unsigned int f;

	if (in->size < 32)
		die("IVF: short header");
	hl = d[6] | d[7] << 8;
	f = rd32le(d + 8);
	in->width = d[12] | d[13] << 8;
	in->height = d[14] | d[15] << 8;
	if (!in->codec) {
		if (f == v4l2_fourcc('V', 'P', '8', '0'))
			in->codec = V4L2_PIX_FMT_VP8;
		else if (f == v4l2_fourcc('V', 'P', '9', '0'))
			in->codec = V4L2_PIX_FMT_VP9;
		else if (f == v4l2_fourcc('A', 'V', '0', '1'))
			in->codec = V4L2_PIX_FMT_AV1;
		else
			die("IVF: unknown fourcc %08x", f);
	}
	for (i = hl < 32 ? 32 : hl; i + 12 <= in->size;) {
		size_t len = rd32le(d + i);
		int key = 0;

		i += 12;
		if (len > in->size - i)
			die("IVF: frame at %zu overruns the file", i - 12);
		if (in->codec == V4L2_PIX_FMT_AV1) {
			if (av1_obus(in, i, len, 0, &key))
				die("IVF: AV1 frame at %zu: not Section 5 OBUs",
				    i - 12);
		} else {
			key = vpx_key(in->codec, d + i, len);
		}
		add_frame(in, i, len, key);
		i += len;
	}
}

/* vicodec's FWHT frames: 44-byte big-endian header, payload size last. */
#define FWHT_HDR 44
static void split_fwht(struct input *in)
{
	size_t i = 0;

	while (i + FWHT_HDR <= in->size) {
		const uint8_t *p = in->data + i;
		size_t len;

		if (rd32le(p) != 0x4f4f4f4f || rd32le(p + 4) != 0xffffffff)
			die("FWHT: no frame header at %zu", i);
		if (!in->width) {
			in->width = rd32be(p + 12);
			in->height = rd32be(p + 16);
		}
		len = FWHT_HDR + rd32be(p + 40);
		if (len > in->size - i)
			len = in->size - i;
		add_frame(in, i, len, 1);
		i += len;
	}
}

static void load_input(struct input *in, const char *path, const char *fmt)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	in->size = st.st_size;
	in->data = malloc(in->size + 1);
	if (!in->data)
		die("out of memory");
	while (got < in->size) {
		ssize_t r = read(fd, in->data + got, in->size - got);

		if (r <= 0)
			die("%s: read: %s", path, r ? strerror(errno) : "EOF");
		got += r;
	}
	close(fd);
	if (fmt) {
		if (!strcmp(fmt, "h264"))
			in->codec = V4L2_PIX_FMT_H264;
		else if (!strcmp(fmt, "vp8"))
			in->codec = V4L2_PIX_FMT_VP8;
		else if (!strcmp(fmt, "vp9"))
			in->codec = V4L2_PIX_FMT_VP9;
		else if (!strcmp(fmt, "av1"))
			in->codec = V4L2_PIX_FMT_AV1;
		else if (!strcmp(fmt, "fwht"))
			in->codec = V4L2_PIX_FMT_FWHT;
		else
			die("unknown --format %s", fmt);
	}
	if (in->size >= 32 && !memcmp(in->data, "DKIF", 4)) {
		split_ivf(in);
	} else if (in->codec == V4L2_PIX_FMT_FWHT ||
		   (!in->codec && in->size >= 8 &&
		    rd32le(in->data) == 0x4f4f4f4f)) {
		in->codec = V4L2_PIX_FMT_FWHT;
		split_fwht(in);
	} else if (in->codec == V4L2_PIX_FMT_AV1 ||
		   (!in->codec && in->size && (in->data[0] & 0x81) == 0 &&
		    ((in->data[0] >> 3) & 15) == 2)) {
		in->codec = V4L2_PIX_FMT_AV1;
		if (av1_obus(in, 0, in->size, 1, NULL))
			die("%s: not a Section 5 OBU stream", path);
	} else if (!in->codec || in->codec == V4L2_PIX_FMT_H264) {
		in->codec = V4L2_PIX_FMT_H264;
		split_annexb(in);
	} else {
		die("%s: --format %s needs an IVF file", path, fmt);
	}
	if (!in->nframes)
		die("%s: no frames", path);
}

static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Cut every frame into pieces: whole, @fixed bytes, or random sizes. */
static void make_pieces(struct input *in, const char *split)
{
	size_t fixed = 0, rmax = 4096;
	unsigned int i, cap = in->nframes;
	int random = 0;

	if (!strcmp(split, "whole")) {
		fixed = 0;
	} else if (!strncmp(split, "random", 6)) {
		const char *p = split + 6;

		random = 1;
		rng_state = 1;
		if (*p == ':') {
			char *e;

			rng_state = strtoull(p + 1, &e, 0);
			if (*e == ':')
				rmax = strtoul(e + 1, NULL, 0);
		}
		if (!rng_state)
			rng_state = 0x9e3779b97f4a7c15ull;
		if (rmax < 1)
			die("--split random: MAX must be at least 1");
	} else {
		char *e;

		fixed = strtoul(split, &e, 0);
		if (*e || !fixed)
			die("--split %s: whole, a size or random[:SEED[:MAX]]",
			    split);
	}
	in->pieces = malloc(cap * sizeof(*in->pieces));
	if (!in->pieces)
		die("out of memory");
	for (i = 0; i < in->nframes; i++) {
		size_t off = in->frames[i].off, left = in->frames[i].len;

		while (left) {
			size_t n = left;

			if (fixed && fixed < n)
				n = fixed;
			if (random) {
				/* a quarter tiny (1..16), the rest 1..MAX */
				size_t r = rng() % 4 ? 1 + rng() % rmax :
						       1 + rng() % 16;

				if (r < n)
					n = r;
			}
			if (in->npieces == cap) {
				cap *= 2;
				in->pieces = realloc(in->pieces,
						     cap * sizeof(*in->pieces));
				if (!in->pieces)
					die("out of memory");
			}
			in->pieces[in->npieces].off = off;
			in->pieces[in->npieces].len = n;
			in->pieces[in->npieces].frame = i;
			in->npieces++;
			if (n > in->max_piece)
				in->max_piece = n;
			off += n;
			left -= n;
		}
	}
}

/* ---- the device -------------------------------------------------------- */

struct buf {
	void *map[MAX_PLANES];
	size_t len[MAX_PLANES];
	int queued;
};

struct dev {
	int fd, mplane;
	unsigned int out_type, cap_type;
	struct buf out[MAX_OUT_BUFS];
	unsigned int nout;
	struct buf cap[MAX_CAP_BUFS];
	unsigned int ncap, cap_planes;
	int cap_streaming;
	struct v4l2_format capfmt;
	struct v4l2_rect vis;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static void must(int fd, unsigned long req, void *arg, const char *what)
{
	if (xioctl(fd, req, arg) < 0)
		die("%s: %s", what, strerror(errno));
}

static void buf_init(struct dev *d, struct v4l2_buffer *b,
		     struct v4l2_plane *p, unsigned int type, unsigned int i)
{
	memset(b, 0, sizeof(*b));
	memset(p, 0, sizeof(*p) * MAX_PLANES);
	b->type = type;
	b->memory = V4L2_MEMORY_MMAP;
	b->index = i;
	if (d->mplane) {
		b->m.planes = p;
		b->length = MAX_PLANES;
	}
}

/* REQBUFS @n, then QUERYBUF and mmap each plane; returns the count got. */
static unsigned int alloc_bufs(struct dev *d, unsigned int type,
			       struct buf *bufs, unsigned int n,
			       unsigned int max)
{
	struct v4l2_requestbuffers rb;
	unsigned int i, j;

	memset(&rb, 0, sizeof(rb));
	rb.count = n;
	rb.type = type;
	rb.memory = V4L2_MEMORY_MMAP;
	must(d->fd, VIDIOC_REQBUFS, &rb, "REQBUFS");
	if (rb.count < 1 || rb.count > max)
		die("REQBUFS %u gave %u buffers", n, rb.count);
	for (i = 0; i < rb.count; i++) {
		struct v4l2_buffer b;
		struct v4l2_plane p[MAX_PLANES];
		unsigned int np;

		buf_init(d, &b, p, type, i);
		must(d->fd, VIDIOC_QUERYBUF, &b, "QUERYBUF");
		np = d->mplane ? b.length : 1;
		if (np > MAX_PLANES)
			die("QUERYBUF: %u planes", np);
		memset(&bufs[i], 0, sizeof(bufs[i]));
		for (j = 0; j < np; j++) {
			size_t len = d->mplane ? p[j].length : b.length;
			off_t off = d->mplane ? p[j].m.mem_offset : b.m.offset;

			bufs[i].len[j] = len;
			bufs[i].map[j] = mmap(NULL, len, PROT_READ | PROT_WRITE,
					      MAP_SHARED, d->fd, off);
			if (bufs[i].map[j] == MAP_FAILED)
				die("mmap buffer %u plane %u: %s", i, j,
				    strerror(errno));
		}
	}
	return rb.count;
}

static void free_bufs(struct dev *d, unsigned int type, struct buf *bufs,
		      unsigned int n)
{
	struct v4l2_requestbuffers rb;
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < MAX_PLANES; j++)
			if (bufs[i].map[j])
				munmap(bufs[i].map[j], bufs[i].len[j]);
	memset(bufs, 0, n * sizeof(*bufs));
	memset(&rb, 0, sizeof(rb));
	rb.type = type;
	rb.memory = V4L2_MEMORY_MMAP;
	must(d->fd, VIDIOC_REQBUFS, &rb, "REQBUFS 0");
}

static void stream(struct dev *d, unsigned int type, int on)
{
	char what[32];

	snprintf(what, sizeof(what), "STREAM%s %s", on ? "ON" : "OFF",
		 type == d->out_type ? "OUTPUT" : "CAPTURE");
	must(d->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type, what);
	say("%s", what);
}

static void decoder_cmd(struct dev *d, unsigned int cmd)
{
	struct v4l2_decoder_cmd c;

	memset(&c, 0, sizeof(c));
	c.cmd = cmd;
	if (xioctl(d->fd, VIDIOC_DECODER_CMD, &c) < 0)
		die("DECODER_CMD %s: %s",
		    cmd == V4L2_DEC_CMD_STOP ? "STOP" : "START",
		    strerror(errno));
	say("DECODER_CMD %s", cmd == V4L2_DEC_CMD_STOP ? "STOP" : "START");
}

static void queue_cap(struct dev *d, unsigned int i)
{
	struct v4l2_buffer b;
	struct v4l2_plane p[MAX_PLANES];

	buf_init(d, &b, p, d->cap_type, i);
	if (d->mplane)
		b.length = d->cap_planes;
	if (xioctl(d->fd, VIDIOC_QBUF, &b) < 0)
		die("QBUF CAPTURE %u: %s", i, strerror(errno));
	d->cap[i].queued = 1;
}

static void queue_out(struct dev *d, unsigned int i, const struct input *in,
		      const struct piece *pc)
{
	struct v4l2_buffer b;
	struct v4l2_plane p[MAX_PLANES];
	uint64_t us = (uint64_t)(pc->frame + 1) * 1000;

	if (pc->len > d->out[i].len[0])
		die("a piece of %zu bytes does not fit OUTPUT's %zu", pc->len,
		    d->out[i].len[0]);
	memcpy(d->out[i].map[0], in->data + pc->off, pc->len);
	buf_init(d, &b, p, d->out_type, i);
	if (d->mplane) {
		b.length = 1;
		p[0].bytesused = pc->len;
	} else {
		b.bytesused = pc->len;
	}
	b.timestamp.tv_sec = us / 1000000;
	b.timestamp.tv_usec = us % 1000000;
	if (xioctl(d->fd, VIDIOC_QBUF, &b) < 0)
		die("QBUF OUTPUT (frame %u, %zu bytes): %s", pc->frame, pc->len,
		    strerror(errno));
	d->out[i].queued = 1;
}

static int is_supported(unsigned int pf)
{
	return pf == V4L2_PIX_FMT_NV12 || pf == V4L2_PIX_FMT_NV12M ||
	       pf == V4L2_PIX_FMT_YUV420 || pf == V4L2_PIX_FMT_YUV420M ||
	       pf == V4L2_PIX_FMT_P010;
}

static unsigned int fmt_pf(const struct dev *d, const struct v4l2_format *f)
{
	return d->mplane ? f->fmt.pix_mp.pixelformat : f->fmt.pix.pixelformat;
}

static void get_cap_fmt(struct dev *d, struct v4l2_format *f)
{
	memset(f, 0, sizeof(*f));
	f->type = d->cap_type;
	must(d->fd, VIDIOC_G_FMT, f, "G_FMT CAPTURE");
}

/* The visible rectangle: COMPOSE (dev-decoder.rst), else CROP, else all. */
static void get_visible(struct dev *d)
{
	static const unsigned int targets[] = { V4L2_SEL_TGT_COMPOSE,
						V4L2_SEL_TGT_CROP };
	struct v4l2_selection s;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof(s));
		s.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		s.target = targets[i];
		if (!xioctl(d->fd, VIDIOC_G_SELECTION, &s)) {
			d->vis = s.r;
			return;
		}
	}
	d->vis.left = d->vis.top = 0;
	d->vis.width = d->mplane ? d->capfmt.fmt.pix_mp.width :
				   d->capfmt.fmt.pix.width;
	d->vis.height = d->mplane ? d->capfmt.fmt.pix_mp.height :
				    d->capfmt.fmt.pix.height;
}

struct opts {
	const char *dev, *format, *split, *out, *raw, *cap_format;
	int md5, framemd5;
	long seek_at;
	unsigned int out_bufs, cap_extra, timeout_ms;
};

/* Capture Setup (dev-decoder.rst, Initialization 5-14, DRC 4-11). */
static void setup_capture(struct dev *d, const struct opts *o)
{
	struct v4l2_format f;
	struct v4l2_control ctrl;
	unsigned int pf, want = 0, min = 0, i;
	char s[5];

	get_cap_fmt(d, &f);
	pf = fmt_pf(d, &f);
	if (o->cap_format)
		want = !strcmp(o->cap_format, "yuv420") ?
			V4L2_PIX_FMT_YUV420 : V4L2_PIX_FMT_NV12;
	else if (!is_supported(pf))
		want = V4L2_PIX_FMT_NV12;
	if (want && want != pf && pf != V4L2_PIX_FMT_P010) {
		if (d->mplane)
			f.fmt.pix_mp.pixelformat = want;
		else
			f.fmt.pix.pixelformat = want;
		must(d->fd, VIDIOC_S_FMT, &f, "S_FMT CAPTURE");
		get_cap_fmt(d, &f);
		pf = fmt_pf(d, &f);
	}
	if (!is_supported(pf))
		die("CAPTURE format %s: not one this client converts",
		    fourcc(pf, s));
	d->capfmt = f;
	get_visible(d);
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE;
	if (!xioctl(d->fd, VIDIOC_G_CTRL, &ctrl))
		min = ctrl.value;
	else
		say("no MIN_BUFFERS_FOR_CAPTURE (%s)", strerror(errno));
	if (min < 1)
		min = 1;
	if (min + o->cap_extra > MAX_CAP_BUFS)
		die("MIN_BUFFERS_FOR_CAPTURE %u: too many", min);
	d->ncap = alloc_bufs(d, d->cap_type, d->cap, min + o->cap_extra,
			     MAX_CAP_BUFS);
	if (d->ncap < min)
		die("REQBUFS CAPTURE: %u buffers, fewer than the minimum %u",
		    d->ncap, min);
	d->cap_planes = d->mplane ? f.fmt.pix_mp.num_planes : 1;
	fprintf(stderr,
		"sfclient: CAPTURE %s %ux%u visible %ux%u@%d,%d, min buffers %u, %u allocated\n",
		fourcc(pf, s),
		d->mplane ? f.fmt.pix_mp.width : f.fmt.pix.width,
		d->mplane ? f.fmt.pix_mp.height : f.fmt.pix.height,
		d->vis.width, d->vis.height, d->vis.left, d->vis.top, min,
		d->ncap);
	for (i = 0; i < d->ncap; i++)
		queue_cap(d, i);
	stream(d, d->cap_type, 1);
	d->cap_streaming = 1;
}

static void teardown_capture(struct dev *d)
{
	if (d->cap_streaming)
		stream(d, d->cap_type, 0);
	d->cap_streaming = 0;
	if (d->ncap)
		free_bufs(d, d->cap_type, d->cap, d->ncap);
	d->ncap = 0;
}

/* ---- pictures out ------------------------------------------------------ */

struct sink {
	FILE *file, *raw;
	struct dd_md5 all;
	int md5, framemd5;
	unsigned int frames;
	uint8_t *row;
	size_t row_len;
};

static void emit(struct sink *k, struct dd_md5 *fm, const void *p, size_t n)
{
	if (k->file && fwrite(p, 1, n, k->file) != n)
		die("writing the output: %s", strerror(errno));
	if (k->md5)
		dd_md5_update(&k->all, p, n);
	if (k->framemd5)
		dd_md5_update(fm, p, n);
}

/*
 * One plane's rectangle (@w x @h samples at @x,@y; @step bytes between
 * samples of it, @bps bytes per sample) written packed: 8 bits as is,
 * P010's 16 bits as 10-bit little-endian values.
 */
static void emit_plane(struct sink *k, struct dd_md5 *fm, const uint8_t *base,
		       size_t bpl, unsigned int x, unsigned int y,
		       unsigned int w, unsigned int h, unsigned int step,
		       unsigned int bps)
{
	unsigned int r, c;

	if (k->row_len < (size_t)w * bps) {
		k->row_len = (size_t)w * bps;
		k->row = realloc(k->row, k->row_len);
		if (!k->row)
			die("out of memory");
	}
	for (r = 0; r < h; r++) {
		const uint8_t *s = base + (size_t)(y + r) * bpl +
				   (size_t)x * step;

		if (bps == 1 && step == 1) {
			emit(k, fm, s, w);
			continue;
		}
		for (c = 0; c < w; c++) {
			const uint8_t *q = s + (size_t)c * step;

			if (bps == 1) {
				k->row[c] = q[0];
			} else {
				unsigned int v = (q[0] | q[1] << 8) >> 6;

				k->row[2 * c] = v & 0xff;
				k->row[2 * c + 1] = v >> 8;
			}
		}
		emit(k, fm, k->row, (size_t)w * bps);
	}
}

static void picture(struct dev *d, struct sink *k, unsigned int i,
		    const struct v4l2_buffer *b, const struct v4l2_plane *p)
{
	const struct v4l2_format *f = &d->capfmt;
	unsigned int pf = fmt_pf(d, f);
	unsigned int fh = d->mplane ? f->fmt.pix_mp.height : f->fmt.pix.height;
	size_t bpl[MAX_PLANES] = { 0 }, used = 0;
	const uint8_t *pl[MAX_PLANES] = { NULL };
	unsigned int x = d->vis.left, y = d->vis.top, w = d->vis.width,
		     h = d->vis.height, j;
	uint64_t us = (uint64_t)b->timestamp.tv_sec * 1000000 +
		      b->timestamp.tv_usec;
	struct dd_md5 fm;
	uint8_t dg[16];
	char hex[33];

	for (j = 0; j < (d->mplane ? d->cap_planes : 1); j++) {
		pl[j] = d->cap[i].map[j];
		bpl[j] = d->mplane ? f->fmt.pix_mp.plane_fmt[j].bytesperline :
				     f->fmt.pix.bytesperline;
		used += d->mplane ? p[j].bytesused : b->bytesused;
	}
	if (k->raw)
		for (j = 0; j < (d->mplane ? d->cap_planes : 1); j++)
			if (fwrite(pl[j], 1, d->mplane ? p[j].bytesused :
					 b->bytesused, k->raw) !=
			    (d->mplane ? p[j].bytesused : b->bytesused))
				die("writing the raw dump: %s", strerror(errno));
	/* single-plane formats: chroma after luma at the format's height */
	if (pf == V4L2_PIX_FMT_NV12 || pf == V4L2_PIX_FMT_P010) {
		pl[1] = pl[0] + bpl[0] * fh;
		bpl[1] = bpl[0];
	} else if (pf == V4L2_PIX_FMT_YUV420) {
		pl[1] = pl[0] + bpl[0] * fh;
		bpl[1] = bpl[2] = bpl[0] / 2;
		pl[2] = pl[1] + bpl[1] * ((fh + 1) / 2);
	}
	if (x + w > (d->mplane ? f->fmt.pix_mp.width : f->fmt.pix.width) ||
	    y + h > fh)
		die("visible rectangle %ux%u@%u,%u outside the format", w, h, x,
		    y);
	dd_md5_init(&fm);
	if (pf == V4L2_PIX_FMT_NV12 || pf == V4L2_PIX_FMT_NV12M) {
		emit_plane(k, &fm, pl[0], bpl[0], x, y, w, h, 1, 1);
		emit_plane(k, &fm, pl[1], bpl[1], x / 2, y / 2, (w + 1) / 2,
			   (h + 1) / 2, 2, 1);
		emit_plane(k, &fm, pl[1] + 1, bpl[1], x / 2, y / 2,
			   (w + 1) / 2, (h + 1) / 2, 2, 1);
	} else if (pf == V4L2_PIX_FMT_P010) {
		emit_plane(k, &fm, pl[0], bpl[0], x, y, w, h, 2, 2);
		emit_plane(k, &fm, pl[1], bpl[1], x / 2, y / 2, (w + 1) / 2,
			   (h + 1) / 2, 4, 2);
		emit_plane(k, &fm, pl[1] + 2, bpl[1], x / 2, y / 2,
			   (w + 1) / 2, (h + 1) / 2, 4, 2);
	} else {
		emit_plane(k, &fm, pl[0], bpl[0], x, y, w, h, 1, 1);
		for (j = 1; j < 3; j++)
			emit_plane(k, &fm, pl[j], bpl[j], x / 2, y / 2,
				   (w + 1) / 2, (h + 1) / 2, 1, 1);
	}
	if (k->framemd5) {
		dd_md5_final(&fm, dg);
		dd_md5_hex(dg, hex);
		printf("frame %u ts %lld %ux%u %s\n", k->frames,
		       (long long)(us / 1000) - 1, w, h, hex);
	}
	say("picture %u: buffer %u, ts %llu us, %zu bytes", k->frames, i,
	    (unsigned long long)us, used);
	k->frames++;
}

/* ---- the decode loop ---------------------------------------------------- */

enum phase { P_INIT, P_RUN, P_DONE };

struct state {
	enum phase phase;
	int drc;		/* SOURCE_CHANGE seen while decoding: wait LAST */
	int stop_sent, eos, last_seen;
	unsigned int next;	/* next piece to queue */
	int seek_done;
	unsigned int source_changes, drcs, reallocs;
	double progress;	/* time of the last progress */
};

/* DQEVENT until none: SOURCE_CHANGE (resolution) and EOS. */
static void events(struct dev *d, struct state *st, const struct opts *o)
{
	struct v4l2_event ev;

	for (;;) {
		memset(&ev, 0, sizeof(ev));
		if (xioctl(d->fd, VIDIOC_DQEVENT, &ev) < 0) {
			if (errno != ENOENT)
				die("DQEVENT: %s", strerror(errno));
			return;
		}
		st->progress = now();
		if (ev.type == V4L2_EVENT_EOS) {
			say("event EOS");
			st->eos = 1;
			continue;
		}
		if (ev.type != V4L2_EVENT_SOURCE_CHANGE)
			continue;
		say("event SOURCE_CHANGE changes %#x",
		    ev.u.src_change.changes);
		if (!(ev.u.src_change.changes & V4L2_EVENT_SRC_CH_RESOLUTION))
			continue;
		st->source_changes++;
		if (st->phase == P_INIT) {
			setup_capture(d, o);
			st->phase = P_RUN;
		} else {
			st->drc = 1;
		}
	}
}

static int same_format(const struct dev *d, const struct v4l2_format *a,
		       const struct v4l2_format *b)
{
	unsigned int j;

	if (!d->mplane)
		return a->fmt.pix.pixelformat == b->fmt.pix.pixelformat &&
		       a->fmt.pix.width == b->fmt.pix.width &&
		       a->fmt.pix.height == b->fmt.pix.height &&
		       a->fmt.pix.bytesperline == b->fmt.pix.bytesperline &&
		       a->fmt.pix.sizeimage == b->fmt.pix.sizeimage;
	if (a->fmt.pix_mp.pixelformat != b->fmt.pix_mp.pixelformat ||
	    a->fmt.pix_mp.width != b->fmt.pix_mp.width ||
	    a->fmt.pix_mp.height != b->fmt.pix_mp.height ||
	    a->fmt.pix_mp.num_planes != b->fmt.pix_mp.num_planes)
		return 0;
	for (j = 0; j < a->fmt.pix_mp.num_planes && j < MAX_PLANES; j++)
		if (a->fmt.pix_mp.plane_fmt[j].bytesperline !=
			    b->fmt.pix_mp.plane_fmt[j].bytesperline ||
		    a->fmt.pix_mp.plane_fmt[j].sizeimage !=
			    b->fmt.pix_mp.plane_fmt[j].sizeimage)
			return 0;
	return 1;
}

/*
 * The LAST buffer (@i, already dequeued) of a resolution change: same
 * format and enough buffers: START and go on; else reallocate CAPTURE
 * (dev-decoder.rst, Dynamic Resolution Change).
 */
static void resolution_change(struct dev *d, struct state *st,
			      const struct opts *o, unsigned int i)
{
	struct v4l2_format f;
	struct v4l2_control ctrl;
	unsigned int min = 0;

	st->drc = 0;
	st->drcs++;
	get_cap_fmt(d, &f);
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE;
	if (!xioctl(d->fd, VIDIOC_G_CTRL, &ctrl))
		min = ctrl.value;
	/*
	 * A drain in progress (STOP sent before the change showed) goes on
	 * across the change, whether it is resumed with START or with a
	 * reallocation (dev-decoder.rst, Drain 2: the change is handled
	 * "before continuing with the drain sequence"): no STOP again, the
	 * drain's own LAST comes later.
	 */
	if (same_format(d, &f, &d->capfmt) && min <= d->ncap) {
		get_visible(d);
		fprintf(stderr,
			"sfclient: resolution change: format kept, visible %ux%u@%d,%d\n",
			d->vis.width, d->vis.height, d->vis.left, d->vis.top);
		decoder_cmd(d, V4L2_DEC_CMD_START);
		queue_cap(d, i);
		return;
	}
	st->reallocs++;
	teardown_capture(d);
	setup_capture(d, o);
	if (st->stop_sent)
		say("the drain goes on after the reallocation");
}

/* DQBUF CAPTURE until EAGAIN; a picture per DONE buffer. */
static void dequeue_capture(struct dev *d, struct state *st,
			    const struct opts *o, struct sink *k)
{
	while (d->cap_streaming && st->phase == P_RUN) {
		struct v4l2_buffer b;
		struct v4l2_plane p[MAX_PLANES];
		size_t used = 0;
		unsigned int j;

		buf_init(d, &b, p, d->cap_type, 0);
		if (d->mplane)
			b.length = d->cap_planes;
		if (xioctl(d->fd, VIDIOC_DQBUF, &b) < 0) {
			if (errno == EAGAIN)
				return;
			if (errno != EPIPE)
				die("DQBUF CAPTURE: %s", strerror(errno));
			/* LAST already dequeued */
			events(d, st, o);
			if (st->stop_sent && !st->drc) {
				st->phase = P_DONE;
				return;
			}
			die("DQBUF CAPTURE: EPIPE with no drain and no resolution change");
		}
		st->progress = now();
		if (b.index >= d->ncap)
			die("DQBUF CAPTURE: index %u of %u", b.index, d->ncap);
		d->cap[b.index].queued = 0;
		for (j = 0; j < (d->mplane ? d->cap_planes : 1); j++)
			used += d->mplane ? p[j].bytesused : b.bytesused;
		if (b.flags & V4L2_BUF_FLAG_ERROR)
			die("CAPTURE buffer %u came back with ERROR (after %u pictures, ts %ld.%06ld)",
			    b.index, k->frames, (long)b.timestamp.tv_sec,
			    (long)b.timestamp.tv_usec);
		if (used)
			picture(d, k, b.index, &b, p);
		if (!(b.flags & V4L2_BUF_FLAG_LAST)) {
			if (!used)
				say("empty CAPTURE buffer %u without LAST",
				    b.index);
			queue_cap(d, b.index);
			continue;
		}
		say("LAST (buffer %u, %zu bytes)", b.index, used);
		st->last_seen = 1;
		events(d, st, o);
		if (st->drc) {
			resolution_change(d, st, o, b.index);
			continue;
		}
		if (st->stop_sent) {
			/* the next DQBUF must say EPIPE */
			buf_init(d, &b, p, d->cap_type, 0);
			if (d->mplane)
				b.length = d->cap_planes;
			if (xioctl(d->fd, VIDIOC_DQBUF, &b) == 0 ||
			    errno != EPIPE)
				die("DQBUF CAPTURE after LAST: %s, not EPIPE",
				    errno == 0 ? "a buffer" : strerror(errno));
			st->phase = P_DONE;
			return;
		}
		die("LAST buffer with no drain and no resolution change");
	}
}

static void dequeue_output(struct dev *d)
{
	for (;;) {
		struct v4l2_buffer b;
		struct v4l2_plane p[MAX_PLANES];

		buf_init(d, &b, p, d->out_type, 0);
		if (d->mplane)
			b.length = 1;
		if (xioctl(d->fd, VIDIOC_DQBUF, &b) < 0) {
			if (errno == EAGAIN || errno == EINVAL)
				return;
			die("DQBUF OUTPUT: %s", strerror(errno));
		}
		if (b.index >= d->nout)
			die("DQBUF OUTPUT: index %u of %u", b.index, d->nout);
		if (b.flags & V4L2_BUF_FLAG_ERROR)
			die("OUTPUT buffer %u came back with ERROR (ts %ld.%06ld)",
			    b.index, (long)b.timestamp.tv_sec,
			    (long)b.timestamp.tv_usec);
		d->out[b.index].queued = 0;
	}
}

/* Seek (dev-decoder.rst): STREAMOFF/ON OUTPUT, on from a key frame. */
static void seek(struct dev *d, struct state *st, const struct input *in,
		 unsigned int at)
{
	unsigned int i, f = at;

	stream(d, d->out_type, 0);
	for (i = 0; i < d->nout; i++)
		d->out[i].queued = 0;
	stream(d, d->out_type, 1);
	while (f < in->nframes && !in->frames[f].key)
		f++;
	st->next = in->npieces;
	for (i = 0; i < in->npieces; i++)
		if (in->pieces[i].frame >= f) {
			st->next = i;
			break;
		}
	st->seek_done = 1;
	fprintf(stderr, "sfclient: seek at frame %u: on from key frame %u%s\n",
		at, f, f < in->nframes ? "" : " (none: drain)");
}

static void run(struct dev *d, const struct input *in, const struct opts *o,
		struct sink *k)
{
	struct state st;
	unsigned int i;

	memset(&st, 0, sizeof(st));
	st.progress = now();
	while (st.phase != P_DONE) {
		struct pollfd pfd = { .fd = d->fd,
				      .events = POLLIN | POLLOUT | POLLPRI };
		int r;

		/* feed OUTPUT */
		for (i = 0; i < d->nout && st.next < in->npieces; i++) {
			const struct piece *pc = &in->pieces[st.next];

			if (d->out[i].queued)
				continue;
			if (o->seek_at >= 0 && !st.seek_done &&
			    pc->frame >= (unsigned int)o->seek_at &&
			    st.phase == P_RUN && !st.drc) {
				seek(d, &st, in, pc->frame);
				i = (unsigned int)-1;	/* all free again */
				continue;
			}
			queue_out(d, i, in, pc);
			st.next++;
			st.progress = now();
		}
		if (st.next == in->npieces && !st.stop_sent &&
		    st.phase == P_RUN && !st.drc && d->cap_streaming) {
			decoder_cmd(d, V4L2_DEC_CMD_STOP);
			st.stop_sent = 1;
		}
		r = poll(&pfd, 1, 100);
		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (r > 0 && (pfd.revents & POLLPRI))
			events(d, &st, o);
		if (r > 0 && (pfd.revents & POLLERR)) {
			/*
			 * m2m: nothing queued on OUTPUT and CAPTURE not
			 * streaming (or nothing queued there either): wait.
			 */
			usleep(10000);
		}
		dequeue_output(d);
		dequeue_capture(d, &st, o, k);
		if (st.phase != P_DONE &&
		    now() - st.progress > o->timeout_ms / 1000.0)
			die("no progress for %u ms (%s, %u/%u pieces queued, %u pictures, %u source changes, stop %s)",
			    o->timeout_ms,
			    st.phase == P_INIT ? "waiting for the format" :
						 "decoding",
			    st.next, in->npieces, k->frames,
			    st.source_changes, st.stop_sent ? "sent" : "not sent");
	}
	/* Drain 2: every OUTPUT buffer queued before STOP comes back */
	for (;;) {
		unsigned int busy = 0;

		dequeue_output(d);
		for (i = 0; i < d->nout; i++)
			busy += d->out[i].queued;
		if (!busy)
			break;
		if (now() - st.progress > o->timeout_ms / 1000.0)
			die("%u OUTPUT buffers still queued %u ms after the LAST buffer",
			    busy, o->timeout_ms);
		usleep(10000);
	}
	fprintf(stderr,
		"sfclient: done: %u pictures from %u frames in %u pieces; %u source changes, %u resolution changes (%u reallocations), EOS %s\n",
		k->frames, in->nframes, in->npieces, st.source_changes, st.drcs,
		st.reallocs, st.eos ? "seen" : "not seen");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sfclient [-d DEV] [--format h264|vp8|vp9|av1|fwht] [--split whole|N|random[:SEED[:MAX]]]\n"
		"                [--seek-at N] [--cap-format nv12|yuv420] [--out-bufs N] [--cap-extra N]\n"
		"                [--timeout MS] [-o FILE] [--raw FILE] [--md5] [--framemd5] [-v] INPUT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .split = "whole", .seek_at = -1, .out_bufs = 4,
			  .cap_extra = 2, .timeout_ms = 10000 };
	struct input in;
	struct dev d;
	struct sink k;
	struct v4l2_capability cap;
	struct v4l2_format f;
	struct v4l2_event_subscription sub;
	const char *path = NULL;
	char s[5];
	unsigned int nkey;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define ARG(name) (!strcmp(a, name) && (v || (usage(), 0)) && ++i)
		if (ARG("-d"))
			o.dev = v;
		else if (ARG("--format"))
			o.format = v;
		else if (ARG("--split"))
			o.split = v;
		else if (ARG("--seek-at"))
			o.seek_at = strtol(v, NULL, 0);
		else if (ARG("--cap-format"))
			o.cap_format = v;
		else if (ARG("--out-bufs"))
			o.out_bufs = strtoul(v, NULL, 0);
		else if (ARG("--cap-extra"))
			o.cap_extra = strtoul(v, NULL, 0);
		else if (ARG("--timeout"))
			o.timeout_ms = strtoul(v, NULL, 0);
		else if (ARG("-o"))
			o.out = v;
		else if (ARG("--raw"))
			o.raw = v;
		else if (!strcmp(a, "--md5"))
			o.md5 = 1;
		else if (!strcmp(a, "--framemd5"))
			o.framemd5 = 1;
		else if (!strcmp(a, "-v"))
			verbose = 1;
		else if (a[0] == '-' || path)
			usage();
		else
			path = a;
#undef ARG
	}
	if (!path || o.out_bufs < 1 || o.out_bufs > MAX_OUT_BUFS)
		usage();
	if (o.cap_format && strcmp(o.cap_format, "nv12") &&
	    strcmp(o.cap_format, "yuv420"))
		usage();
	if (!o.dev)
		o.dev = getenv("DAEDALUS_SF_VIDEO_DEV");
	if (!o.dev)
		die("no device: -d DEV or DAEDALUS_SF_VIDEO_DEV");

	memset(&in, 0, sizeof(in));
	load_input(&in, path, o.format);
	make_pieces(&in, o.split);
	for (i = 0, nkey = 0; i < (int)in.nframes; i++)
		nkey += in.frames[i].key;
	fprintf(stderr, "sfclient: %s: %s, %u frames (%u key), %u pieces (split %s), largest %zu bytes\n",
		path, fourcc(in.codec, s), in.nframes, nkey, in.npieces, o.split,
		in.max_piece);

	memset(&d, 0, sizeof(d));
	d.fd = open(o.dev, O_RDWR | O_NONBLOCK);
	if (d.fd < 0)
		die("open %s: %s", o.dev, strerror(errno));
	must(d.fd, VIDIOC_QUERYCAP, &cap, "QUERYCAP");
	{
		unsigned int caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
					    cap.device_caps : cap.capabilities;

		if (caps & V4L2_CAP_VIDEO_M2M_MPLANE)
			d.mplane = 1;
		else if (!(caps & V4L2_CAP_VIDEO_M2M))
			die("%s (%s): not a mem2mem device", o.dev, cap.card);
	}
	d.out_type = d.mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE :
				V4L2_BUF_TYPE_VIDEO_OUTPUT;
	d.cap_type = d.mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE :
				V4L2_BUF_TYPE_VIDEO_CAPTURE;
	say("%s: %s, %s", o.dev, cap.card, d.mplane ? "multiplanar" : "single-plane");

	/* Initialization 1-2: the coded format, and room for the largest piece */
	memset(&f, 0, sizeof(f));
	f.type = d.out_type;
	if (d.mplane) {
		f.fmt.pix_mp.pixelformat = in.codec;
		f.fmt.pix_mp.width = in.width;
		f.fmt.pix_mp.height = in.height;
		f.fmt.pix_mp.num_planes = 1;
		f.fmt.pix_mp.plane_fmt[0].sizeimage =
			in.max_piece > 65536 ? in.max_piece : 65536;
	} else {
		f.fmt.pix.pixelformat = in.codec;
		f.fmt.pix.width = in.width;
		f.fmt.pix.height = in.height;
		f.fmt.pix.sizeimage = in.max_piece > 65536 ? in.max_piece : 65536;
	}
	must(d.fd, VIDIOC_S_FMT, &f, "S_FMT OUTPUT");
	if ((d.mplane ? f.fmt.pix_mp.pixelformat : f.fmt.pix.pixelformat) !=
	    in.codec)
		die("S_FMT OUTPUT: %s not taken (the node has %s)",
		    fourcc(in.codec, s),
		    fourcc(d.mplane ? f.fmt.pix_mp.pixelformat :
				      f.fmt.pix.pixelformat, (char[5]){ 0 }));
	memset(&sub, 0, sizeof(sub));
	sub.type = V4L2_EVENT_SOURCE_CHANGE;
	must(d.fd, VIDIOC_SUBSCRIBE_EVENT, &sub, "SUBSCRIBE_EVENT SOURCE_CHANGE");
	sub.type = V4L2_EVENT_EOS;
	must(d.fd, VIDIOC_SUBSCRIBE_EVENT, &sub, "SUBSCRIBE_EVENT EOS");
	d.nout = alloc_bufs(&d, d.out_type, d.out, o.out_bufs, MAX_OUT_BUFS);
	stream(&d, d.out_type, 1);

	memset(&k, 0, sizeof(k));
	k.md5 = o.md5;
	k.framemd5 = o.framemd5;
	dd_md5_init(&k.all);
	if (o.out) {
		k.file = fopen(o.out, "wb");
		if (!k.file)
			die("%s: %s", o.out, strerror(errno));
	}
	if (o.raw) {
		k.raw = fopen(o.raw, "wb");
		if (!k.raw)
			die("%s: %s", o.raw, strerror(errno));
	}
	run(&d, &in, &o, &k);
	if (o.md5) {
		uint8_t dg[16];
		char hex[33];

		dd_md5_final(&k.all, dg);
		dd_md5_hex(dg, hex);
		printf("md5 %s\n", hex);
	}
	if (k.file && fclose(k.file))
		die("%s: %s", o.out, strerror(errno));
	if (k.raw && fclose(k.raw))
		die("%s: %s", o.raw, strerror(errno));
	teardown_capture(&d);
	stream(&d, d.out_type, 0);
	free_bufs(&d, d.out_type, d.out, d.nout);
	close(d.fd);
	free(k.row);
	free(in.pieces);
	free(in.frames);
	free(in.data);
	return 0;
}
