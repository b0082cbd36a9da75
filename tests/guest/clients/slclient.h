/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal raw V4L2 stateless H.264 (or VP9) client for the kernel tests:
 * one context, MMAP buffers, one request per OUTPUT buffer.  The bitstream
 * is whatever the test writes (the tests run against a stand-in daemon,
 * not a decoder); the controls are a consistent SPS/PPS/decode params (a
 * VP9 key frame's FRAME control) for the OUTPUT size.
 */
#ifndef SLCLIENT_H
#define SLCLIENT_H

#include <stddef.h>
#include <linux/videodev2.h>

#define SL_BUFS 4

struct sl_ctx {
	unsigned int pixelformat;	/* OUTPUT: H264_SLICE or VP9_FRAME */
	int fd;			/* /dev/videoN */
	int media;		/* /dev/mediaN */
	unsigned int width, height;
	void *out_map[SL_BUFS];
	size_t out_len[SL_BUFS];
	int req[SL_BUFS];
};

double sl_now(void);	/* CLOCK_MONOTONIC, seconds */
/* Open both nodes ($DAEDALUS_VIDEO_DEV, $DAEDALUS_MEDIA_DEV); set formats. */
int sl_open(struct sl_ctx *c, unsigned int width, unsigned int height);
/* The same with OUTPUT @pixelformat: V4L2_PIX_FMT_H264_SLICE or _VP9_FRAME. */
int sl_open_fmt(struct sl_ctx *c, unsigned int pixelformat,
		unsigned int width, unsigned int height);
/* REQBUFS SL_BUFS on both queues, requests, CAPTURE queued, STREAMON. */
int sl_start(struct sl_ctx *c);
/*
 * Queue OUTPUT buffer @i holding @data in its request (with controls);
 * *qtime: the longer of REINIT + S_EXT_CTRLS + QBUF and
 * MEDIA_REQUEST_IOC_QUEUE.
 */
int sl_queue(struct sl_ctx *c, unsigned int i, const char *data,
	     double *qtime);
/* Wait up to @ms for a CAPTURE buffer, dequeue it (index), requeue none. */
int sl_dequeue_cap(struct sl_ctx *c, int ms, struct v4l2_buffer *b);
int sl_dequeue_out(struct sl_ctx *c, struct v4l2_buffer *b);
/*
 * VIDIOC_G_EXT_CTRLS or VIDIOC_S_EXT_CTRLS (@ioc) of the SPS control's
 * current value (no request); the ioctl's result, errno set.
 */
int sl_sps_cur(struct sl_ctx *c, unsigned long ioc,
	       struct v4l2_ctrl_h264_sps *sps);
int sl_requeue_cap(struct sl_ctx *c, unsigned int i);
int sl_streamoff(struct sl_ctx *c);
void sl_close(struct sl_ctx *c);

#endif
