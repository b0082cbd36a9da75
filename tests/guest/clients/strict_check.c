// SPDX-License-Identifier: BSD-2-Clause
/*
 * strict_check: what a client gets wrong is refused at the ioctl.
 *
 *   strict_check
 *
 * Each check prints "ok NAME" or "FAIL NAME: why"; exit 0 only if all pass.
 *   norequest    QBUF on OUTPUT without a request fails (requires_requests)
 *   capsize      a CAPTURE format smaller than the coded size is forced up
 *   colorimetry  an OUTPUT format with invalid colorimetry comes back valid
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>

#include "slclient.h"

static int failed;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("FAIL %s: %s\n", name, why);
		failed = 1;
	} else {
		printf("ok %s\n", name);
	}
}

static void check_norequest(void)
{
	struct v4l2_plane p;
	struct v4l2_buffer b;
	struct sl_ctx c;
	int r;

	if (sl_open(&c, 128, 128) || sl_start(&c)) {
		result("norequest", "setup failed");
		return;
	}
	memset(&b, 0, sizeof(b));
	memset(&p, 0, sizeof(p));
	b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = 0;
	b.m.planes = &p;
	b.length = 1;
	p.bytesused = 16;
	r = ioctl(c.fd, VIDIOC_QBUF, &b);
	result("norequest", r == 0 ? "QBUF without a request succeeded" : NULL);
	sl_close(&c);
}

static void check_capsize(void)
{
	struct v4l2_format f;
	struct sl_ctx c;
	char why[128];

	if (sl_open(&c, 1920, 1080)) {
		result("capsize", "setup failed");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	ioctl(c.fd, VIDIOC_G_FMT, &f);
	f.fmt.pix_mp.width = 320;
	f.fmt.pix_mp.height = 240;
	if (ioctl(c.fd, VIDIOC_S_FMT, &f)) {
		result("capsize", "S_FMT CAPTURE failed");
	} else if (f.fmt.pix_mp.width < 1920 || f.fmt.pix_mp.height < 1080) {
		snprintf(why, sizeof(why), "CAPTURE %ux%u accepted for a 1920x1080 stream",
			 f.fmt.pix_mp.width, f.fmt.pix_mp.height);
		result("capsize", why);
	} else {
		result("capsize", NULL);
	}
	sl_close(&c);
}

static void check_colorimetry(void)
{
	struct v4l2_format f;
	struct sl_ctx c;
	char why[160];

	if (sl_open(&c, 128, 128)) {
		result("colorimetry", "setup failed");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	ioctl(c.fd, VIDIOC_G_FMT, &f);
	f.fmt.pix_mp.colorspace = 0xdead;
	f.fmt.pix_mp.xfer_func = 0xbe;
	f.fmt.pix_mp.ycbcr_enc = 0xef;
	f.fmt.pix_mp.quantization = 0x77;
	if (ioctl(c.fd, VIDIOC_S_FMT, &f)) {
		result("colorimetry", "S_FMT OUTPUT failed");
	} else if (f.fmt.pix_mp.colorspace > V4L2_COLORSPACE_DCI_P3 ||
		   f.fmt.pix_mp.xfer_func > V4L2_XFER_FUNC_SMPTE2084 ||
		   f.fmt.pix_mp.ycbcr_enc > V4L2_YCBCR_ENC_SMPTE240M ||
		   f.fmt.pix_mp.quantization > V4L2_QUANTIZATION_LIM_RANGE) {
		snprintf(why, sizeof(why), "kept colorspace %u xfer %u enc %u quant %u",
			 f.fmt.pix_mp.colorspace, f.fmt.pix_mp.xfer_func,
			 f.fmt.pix_mp.ycbcr_enc, f.fmt.pix_mp.quantization);
		result("colorimetry", why);
	} else {
		result("colorimetry", NULL);
	}
	sl_close(&c);
}

int main(void)
{
	check_norequest();
	check_capsize();
	check_colorimetry();
	return failed;
}
