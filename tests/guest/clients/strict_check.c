// SPDX-License-Identifier: BSD-2-Clause
/*
 * strict_check: what a client gets wrong is refused at the ioctl.
 *
 *   strict_check
 *
 * Each check prints "ok NAME" or "FAIL NAME: why"; exit 0 only if all pass.
 *   norequest    QBUF on OUTPUT without a request fails (requires_requests)
 *   capsize      a CAPTURE format smaller than the coded size is forced up
 *   aligned      CAPTURE width and height are both block-aligned, and
 *                G_SELECTION's COMPOSE gives the visible (OUTPUT) size
 *   colorimetry  an OUTPUT format with invalid colorimetry comes back valid
 *                (v4l2-ioctl.c sanitises it before the driver sees it)
 *   spssize      an SPS larger than the OUTPUT format fails with EINVAL
 *   depth        an SPS changing the bit depth while CAPTURE has buffers
 *                fails with EBUSY
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

static void check_aligned(void)
{
	struct v4l2_selection sel;
	struct v4l2_format f;
	struct sl_ctx c;
	char why[160];

	if (sl_open(&c, 1918, 1078)) {
		result("aligned", "setup failed");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	memset(&sel, 0, sizeof(sel));
	sel.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	sel.target = V4L2_SEL_TGT_COMPOSE;
	if (ioctl(c.fd, VIDIOC_G_FMT, &f)) {
		result("aligned", "G_FMT CAPTURE failed");
	} else if (f.fmt.pix_mp.width % 16 || f.fmt.pix_mp.height % 16 ||
		   f.fmt.pix_mp.width < 1918 || f.fmt.pix_mp.height < 1078) {
		snprintf(why, sizeof(why), "CAPTURE %ux%u for a 1918x1078 stream",
			 f.fmt.pix_mp.width, f.fmt.pix_mp.height);
		result("aligned", why);
	} else if (ioctl(c.fd, VIDIOC_G_SELECTION, &sel)) {
		result("aligned", "no G_SELECTION COMPOSE on CAPTURE");
	} else if (sel.r.left || sel.r.top || sel.r.width != 1918 ||
		   sel.r.height != 1078) {
		snprintf(why, sizeof(why), "COMPOSE %ux%u@%d,%d, not 1918x1078",
			 sel.r.width, sel.r.height, sel.r.left, sel.r.top);
		result("aligned", why);
	} else {
		result("aligned", NULL);
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

/* S_EXT_CTRLS (current values) of an SPS for @w x @h at @depth bits. */
static int set_sps(struct sl_ctx *c, unsigned int w, unsigned int h,
		   unsigned int depth)
{
	struct v4l2_ctrl_h264_sps sps;

	memset(&sps, 0, sizeof(sps));
	sps.profile_idc = depth > 8 ? 110 : 100;
	sps.level_idc = 40;
	sps.chroma_format_idc = 1;
	sps.bit_depth_luma_minus8 = depth - 8;
	sps.bit_depth_chroma_minus8 = depth - 8;
	sps.max_num_ref_frames = 1;
	sps.pic_width_in_mbs_minus1 = w / 16 - 1;
	sps.pic_height_in_map_units_minus1 = h / 16 - 1;
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	return sl_sps_cur(c, VIDIOC_S_EXT_CTRLS, &sps);
}

static void check_spssize(void)
{
	struct sl_ctx c;

	if (sl_open(&c, 128, 128)) {
		result("spssize", "setup failed");
		return;
	}
	if (set_sps(&c, 128, 128, 8))
		result("spssize", "an SPS matching the OUTPUT format was refused");
	else if (!set_sps(&c, 1920, 1088, 8))
		result("spssize", "a 1920x1088 SPS was taken for a 128x128 OUTPUT format");
	else
		result("spssize", errno == EINVAL ? NULL : "refused, but not with EINVAL");
	sl_close(&c);
}

static void check_depth(void)
{
	struct v4l2_format f;
	struct sl_ctx c;

	if (sl_open(&c, 128, 128) || set_sps(&c, 128, 128, 8) || sl_start(&c)) {
		result("depth", "setup failed");
		return;
	}
	if (!set_sps(&c, 128, 128, 10)) {
		memset(&f, 0, sizeof(f));
		f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		ioctl(c.fd, VIDIOC_G_FMT, &f);
		result("depth", f.fmt.pix_mp.pixelformat == V4L2_PIX_FMT_NV12 ?
		       "a 10-bit SPS taken while NV12 CAPTURE buffers exist" :
		       "CAPTURE format changed under busy buffers");
	} else {
		result("depth", errno == EBUSY ? NULL : "refused, but not with EBUSY");
	}
	sl_close(&c);
}

int main(void)
{
	check_norequest();
	check_capsize();
	check_aligned();
	check_colorimetry();
	check_spssize();
	check_depth();
	return failed;
}
