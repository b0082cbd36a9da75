// SPDX-License-Identifier: BSD-2-Clause
#include "slclient.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/media.h>

double sl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0 && what)
		fprintf(stderr, "slclient: %s: %s\n", what, strerror(errno));
	return r;
}

static int open_env(const char *var)
{
	const char *p = getenv(var);
	int fd;

	if (!p) {
		fprintf(stderr, "slclient: %s not set\n", var);
		return -1;
	}
	fd = open(p, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		fprintf(stderr, "slclient: open %s: %s\n", p, strerror(errno));
	return fd;
}

int sl_open(struct sl_ctx *c, unsigned int width, unsigned int height)
{
	return sl_open_fmt(c, V4L2_PIX_FMT_H264_SLICE, width, height);
}

int sl_open_fmt(struct sl_ctx *c, unsigned int pixelformat,
		unsigned int width, unsigned int height)
{
	struct v4l2_format f;

	memset(c, 0, sizeof(*c));
	c->pixelformat = pixelformat;
	c->width = width;
	c->height = height;
	c->media = -1;
	c->fd = open_env("DAEDALUS_VIDEO_DEV");
	if (c->fd < 0)
		return -1;
	c->media = open_env("DAEDALUS_MEDIA_DEV");
	if (c->media < 0)
		return -1;
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	f.fmt.pix_mp.pixelformat = pixelformat;
	f.fmt.pix_mp.width = width;
	f.fmt.pix_mp.height = height;
	f.fmt.pix_mp.num_planes = 1;
	return xioctl(c->fd, VIDIOC_S_FMT, &f, "S_FMT OUTPUT");
}

static int reqbufs(struct sl_ctx *c, unsigned int type, unsigned int n)
{
	struct v4l2_requestbuffers rb;

	memset(&rb, 0, sizeof(rb));
	rb.count = n;
	rb.type = type;
	rb.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_REQBUFS, &rb, "REQBUFS") < 0)
		return -1;
	return rb.count == n ? 0 : -1;
}

static void buf_init(struct v4l2_buffer *b, struct v4l2_plane *p,
		     unsigned int type, unsigned int i)
{
	memset(b, 0, sizeof(*b));
	memset(p, 0, sizeof(*p));
	b->type = type;
	b->memory = V4L2_MEMORY_MMAP;
	b->index = i;
	b->m.planes = p;
	b->length = 1;
}

int sl_requeue_cap(struct sl_ctx *c, unsigned int i)
{
	struct v4l2_buffer b;
	struct v4l2_plane p;

	buf_init(&b, &p, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, i);
	return xioctl(c->fd, VIDIOC_QBUF, &b, "QBUF CAPTURE");
}

int sl_start(struct sl_ctx *c)
{
	unsigned int i, t;

	if (reqbufs(c, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, SL_BUFS) ||
	    reqbufs(c, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, SL_BUFS))
		return -1;
	for (i = 0; i < SL_BUFS; i++) {
		struct v4l2_buffer b;
		struct v4l2_plane p;

		buf_init(&b, &p, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, i);
		if (xioctl(c->fd, VIDIOC_QUERYBUF, &b, "QUERYBUF") < 0)
			return -1;
		c->out_len[i] = p.length;
		c->out_map[i] = mmap(NULL, p.length, PROT_READ | PROT_WRITE,
				     MAP_SHARED, c->fd, p.m.mem_offset);
		if (c->out_map[i] == MAP_FAILED)
			return -1;
		if (xioctl(c->media, MEDIA_IOC_REQUEST_ALLOC, &c->req[i],
			   "REQUEST_ALLOC") < 0)
			return -1;
		if (sl_requeue_cap(c, i))
			return -1;
	}
	t = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	if (xioctl(c->fd, VIDIOC_STREAMON, &t, "STREAMON OUTPUT") < 0)
		return -1;
	t = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	return xioctl(c->fd, VIDIOC_STREAMON, &t, "STREAMON CAPTURE");
}

/* A VP9 profile 0 key frame of the OUTPUT size. */
static int set_vp9_frame(struct sl_ctx *c, int req)
{
	struct v4l2_ctrl_vp9_frame frame;
	struct v4l2_ext_control ctrl;
	struct v4l2_ext_controls ctrls;

	memset(&frame, 0, sizeof(frame));
	frame.flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME |
		      V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
		      V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING |
		      V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	frame.frame_width_minus_1 = c->width - 1;
	frame.frame_height_minus_1 = c->height - 1;
	frame.render_width_minus_1 = c->width - 1;
	frame.render_height_minus_1 = c->height - 1;
	frame.profile = 0;
	frame.bit_depth = 8;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.id = V4L2_CID_STATELESS_VP9_FRAME;
	ctrl.ptr = &frame;
	ctrl.size = sizeof(frame);
	memset(&ctrls, 0, sizeof(ctrls));
	ctrls.which = V4L2_CTRL_WHICH_REQUEST_VAL;
	ctrls.request_fd = req;
	ctrls.count = 1;
	ctrls.controls = &ctrl;
	return xioctl(c->fd, VIDIOC_S_EXT_CTRLS, &ctrls, "S_EXT_CTRLS");
}

static int set_controls(struct sl_ctx *c, int req)
{
	struct v4l2_ctrl_h264_sps sps;
	struct v4l2_ctrl_h264_pps pps;
	struct v4l2_ctrl_h264_decode_params dp;
	struct v4l2_ext_control ctrl[3];
	struct v4l2_ext_controls ctrls;

	if (c->pixelformat == V4L2_PIX_FMT_VP9_FRAME)
		return set_vp9_frame(c, req);
	memset(&sps, 0, sizeof(sps));
	sps.profile_idc = 66;
	sps.level_idc = 30;
	sps.chroma_format_idc = 1;
	sps.max_num_ref_frames = 1;
	sps.pic_width_in_mbs_minus1 = (c->width + 15) / 16 - 1;
	sps.pic_height_in_map_units_minus1 = (c->height + 15) / 16 - 1;
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	memset(&pps, 0, sizeof(pps));
	memset(&dp, 0, sizeof(dp));
	dp.flags = V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
	memset(ctrl, 0, sizeof(ctrl));
	ctrl[0].id = V4L2_CID_STATELESS_H264_SPS;
	ctrl[0].ptr = &sps;
	ctrl[0].size = sizeof(sps);
	ctrl[1].id = V4L2_CID_STATELESS_H264_PPS;
	ctrl[1].ptr = &pps;
	ctrl[1].size = sizeof(pps);
	ctrl[2].id = V4L2_CID_STATELESS_H264_DECODE_PARAMS;
	ctrl[2].ptr = &dp;
	ctrl[2].size = sizeof(dp);
	memset(&ctrls, 0, sizeof(ctrls));
	ctrls.which = V4L2_CTRL_WHICH_REQUEST_VAL;
	ctrls.request_fd = req;
	ctrls.count = 3;
	ctrls.controls = ctrl;
	return xioctl(c->fd, VIDIOC_S_EXT_CTRLS, &ctrls, "S_EXT_CTRLS");
}

int sl_queue(struct sl_ctx *c, unsigned int i, const char *data, double *qtime)
{
	struct v4l2_buffer b;
	struct v4l2_plane p;
	size_t len = strlen(data);
	double t0 = sl_now(), t1, t2;
	int req = c->req[i];

	if (xioctl(req, MEDIA_REQUEST_IOC_REINIT, NULL, "REQUEST_REINIT") < 0 ||
	    set_controls(c, req) < 0)
		return -1;
	memcpy(c->out_map[i], data, len);
	buf_init(&b, &p, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, i);
	p.bytesused = len;
	b.flags = V4L2_BUF_FLAG_REQUEST_FD;
	b.request_fd = req;
	b.timestamp.tv_usec = i + 1;
	if (xioctl(c->fd, VIDIOC_QBUF, &b, "QBUF OUTPUT") < 0)
		return -1;
	t1 = sl_now();
	if (xioctl(req, MEDIA_REQUEST_IOC_QUEUE, NULL, "REQUEST_QUEUE") < 0)
		return -1;
	t2 = sl_now();
	if (qtime)
		*qtime = t1 - t0 > t2 - t1 ? t1 - t0 : t2 - t1;
	return 0;
}

int sl_dequeue_cap(struct sl_ctx *c, int ms, struct v4l2_buffer *b)
{
	static struct v4l2_plane p;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	buf_init(b, &p, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0);
	return xioctl(c->fd, VIDIOC_DQBUF, b, "DQBUF CAPTURE");
}

int sl_dequeue_out(struct sl_ctx *c, struct v4l2_buffer *b)
{
	static struct v4l2_plane p;

	buf_init(b, &p, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0);
	return xioctl(c->fd, VIDIOC_DQBUF, b, NULL);
}

int sl_sps_cur(struct sl_ctx *c, unsigned long ioc,
	       struct v4l2_ctrl_h264_sps *sps)
{
	struct v4l2_ext_control ctrl;
	struct v4l2_ext_controls ctrls;

	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.id = V4L2_CID_STATELESS_H264_SPS;
	ctrl.ptr = sps;
	ctrl.size = sizeof(*sps);
	memset(&ctrls, 0, sizeof(ctrls));
	ctrls.which = V4L2_CTRL_WHICH_CUR_VAL;
	ctrls.count = 1;
	ctrls.controls = &ctrl;
	return ioctl(c->fd, ioc, &ctrls);
}

int sl_streamoff(struct sl_ctx *c)
{
	unsigned int t = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;

	return xioctl(c->fd, VIDIOC_STREAMOFF, &t, "STREAMOFF OUTPUT");
}

void sl_close(struct sl_ctx *c)
{
	unsigned int i;

	for (i = 0; i < SL_BUFS; i++) {
		if (c->out_map[i] && c->out_map[i] != MAP_FAILED)
			munmap(c->out_map[i], c->out_len[i]);
		if (c->req[i] > 0)
			close(c->req[i]);
	}
	if (c->media >= 0)
		close(c->media);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = c->media = -1;
}
