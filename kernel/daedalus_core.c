// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: a V4L2 stateless (request API) decoder for H.264, VP8,
 * VP9 and AV1 whose decoding is done by a userspace daemon, daedalusd.
 *
 * What it is: a mem2mem video device plus media controller that looks to
 * GStreamer, FFmpeg and Chromium like a stateless hardware decoder.  Each
 * decode job (one OUTPUT buffer, its controls and one CAPTURE buffer) is
 * handed to the daemon through /dev/daedalus-v4l2 with the buffers as
 * dma-buf fds; the daemon decodes in place and answers.  Several open
 * contexts decode in parallel, each with its own mem2mem device.
 *
 * What it is not: a decoder.  It parses no bitstream and keeps no codec
 * state; it checks control values only as far as to refuse what the daemon
 * cannot decode (4:2:2, 4:4:4, more than 10 bits).  Without a daemon every
 * job fails with a buffer ERROR after attach_timeout_ms.  There is no
 * stateful mode, no slice-based H.264 and no HEVC.
 *
 * This file: module, platform device, V4L2 / media registration,
 * open/release and the control handler built from the codec tables.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-dma-contig.h>
#include <media/videobuf2-vmalloc.h>

#include "daedalus.h"
#include "daedalus_sf.h"

/*
 * The watchdogs' periods, writable at run time.  Below 10 ms no daemon
 * could answer; above 60 s a client waits on a dead daemon for longer than
 * any player tolerates.
 */
#define DAEDALUS_TIMEOUT_MIN_MS	10U
#define DAEDALUS_TIMEOUT_MAX_MS	60000U

static int daedalus_set_timeout(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms < DAEDALUS_TIMEOUT_MIN_MS || ms > DAEDALUS_TIMEOUT_MAX_MS)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, ms);
	return 0;
}

static const struct kernel_param_ops daedalus_timeout_ops = {
	.set	= daedalus_set_timeout,
	.get	= param_get_uint,
};

unsigned int daedalus_job_timeout_ms = 800;
module_param_cb(job_timeout_ms, &daedalus_timeout_ops,
		&daedalus_job_timeout_ms, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "a job the daemon has not answered after this fails (ms, 10-60000)");

unsigned int daedalus_attach_timeout_ms = 5000;
module_param_cb(attach_timeout_ms, &daedalus_timeout_ops,
		&daedalus_attach_timeout_ms, 0644);
MODULE_PARM_DESC(attach_timeout_ms,
		 "a job waits this long for a daemon to attach, then fails (ms, 10-60000)");

/*
 * CAPTURE's memory.  vmalloc is enough for the daemon alone; dma-contig
 * gives physically contiguous frames (from CMA where the machine has it,
 * as the Raspberry Pi 5 does) that a display or GPU without an IOMMU can
 * import.  OUTPUT stays vmalloc: only the daemon reads the bitstream, and
 * contiguous memory is too scarce to spend on it.
 */
static char *allocator = "vmalloc";
module_param(allocator, charp, 0444);
MODULE_PARM_DESC(allocator,
		 "CAPTURE buffers: vmalloc (default) or dma-contig (contiguous, for display/GPU import)");

static int daedalus_set_allocator(struct daedalus_dev *dev,
				  struct device *parent)
{
	int ret;

	if (sysfs_streq(allocator, "vmalloc")) {
		dev->cap_mem_ops = &vb2_vmalloc_memops;
		return 0;
	}
	if (!sysfs_streq(allocator, "dma-contig")) {
		pr_err("allocator=%s: must be vmalloc or dma-contig\n",
		       allocator);
		return -EINVAL;
	}
	if (!IS_ENABLED(CONFIG_VIDEOBUF2_DMA_CONTIG)) {
		pr_err("allocator=dma-contig: this kernel has no CONFIG_VIDEOBUF2_DMA_CONTIG\n");
		return -EINVAL;
	}
	/*
	 * The device itself never does DMA: the daemon writes the frames
	 * through the CPU and each importer maps them for its own device,
	 * under its own limits.  A narrower mask (the platform default is
	 * 32 bits) would only make dma-direct refuse a CMA area above 4 GiB.
	 */
	ret = dma_coerce_mask_and_coherent(parent, DMA_BIT_MASK(64));
	if (ret) {
		pr_err("allocator=dma-contig: no 64-bit DMA mask (%d)\n", ret);
		return ret;
	}
	dev->cap_mem_ops = &vb2_dma_contig_memops;
	return 0;
}

const struct daedalus_codec_desc * const daedalus_codecs[] = {
	&daedalus_h264_desc,
	&daedalus_vp8_desc,
	&daedalus_vp9_desc,
#ifdef V4L2_PIX_FMT_AV1_FRAME
	&daedalus_av1_desc,
#endif
};

const unsigned int daedalus_num_codecs = ARRAY_SIZE(daedalus_codecs);

/* The DAEDALUS_CODEC_BIT()s of every codec this module was built with. */
u32 daedalus_codec_mask(void)
{
	unsigned int i;
	u32 mask = 0;

	for (i = 0; i < daedalus_num_codecs; i++)
		mask |= DAEDALUS_CODEC_BIT(daedalus_codecs[i]->codec);
	return mask;
}

/* The @index-th codec offered to clients, or NULL. */
const struct daedalus_codec_desc *
daedalus_offered_codec(struct daedalus_dev *dev, unsigned int index)
{
	u32 offered = READ_ONCE(dev->bridge.offered);
	unsigned int i;

	for (i = 0; i < daedalus_num_codecs; i++)
		if ((offered & DAEDALUS_CODEC_BIT(daedalus_codecs[i]->codec)) &&
		    !index--)
			return daedalus_codecs[i];
	return NULL;
}

/* The offered codec decoding @pixelformat, or NULL. */
const struct daedalus_codec_desc *
daedalus_find_codec(struct daedalus_dev *dev, u32 pixelformat)
{
	const struct daedalus_codec_desc *desc;
	unsigned int i;

	for (i = 0; (desc = daedalus_offered_codec(dev, i)); i++)
		if (desc->pixelformat == pixelformat)
			return desc;
	return NULL;
}

const struct v4l2_ctrl_ops daedalus_ctrl_ops = {
	.try_ctrl	= daedalus_codec_try_ctrl,
	.s_ctrl		= daedalus_codec_s_ctrl,
};

/* One handler holds the controls of every codec (as visl does). */
static int daedalus_init_ctrls(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;
	unsigned int i, j, count = 0;

	for (i = 0; i < daedalus_num_codecs; i++)
		count += daedalus_codecs[i]->num_ctrls;

	v4l2_ctrl_handler_init(hdl, count);
	for (i = 0; i < daedalus_num_codecs; i++)
		for (j = 0; j < daedalus_codecs[i]->num_ctrls; j++)
			v4l2_ctrl_new_custom(hdl, &daedalus_codecs[i]->ctrls[j],
					     NULL);
	if (hdl->error) {
		int ret = hdl->error;

		v4l2_ctrl_handler_free(hdl);
		return ret;
	}
	ctx->fh.ctrl_handler = hdl;
	return 0;
}

/*
 * Per-context mem2mem devices.  mem2mem runs one job per v4l2_m2m_dev, so
 * each context gets its own to decode in parallel with the others.  They
 * are recycled rather than freed at close: finishing a job schedules the
 * device's (private) work item, which cannot be flushed from here, so a
 * device is only freed at module unload.
 */
struct daedalus_m2m_slot {
	struct list_head node;		/* daedalus_dev.m2m_pool while free */
	struct v4l2_m2m_dev *m2m;
};

static const struct v4l2_m2m_ops daedalus_m2m_ops = {
	.device_run	= daedalus_device_run,
	.job_ready	= daedalus_job_ready,
	.job_abort	= daedalus_job_abort,
};

static struct daedalus_m2m_slot *daedalus_m2m_get(struct daedalus_dev *dev)
{
	struct daedalus_m2m_slot *slot;

	mutex_lock(&dev->pool_mutex);
	slot = list_first_entry_or_null(&dev->m2m_pool,
					struct daedalus_m2m_slot, node);
	if (slot)
		list_del(&slot->node);
	mutex_unlock(&dev->pool_mutex);
	if (slot)
		return slot;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return ERR_PTR(-ENOMEM);
	slot->m2m = v4l2_m2m_init(&daedalus_m2m_ops);
	if (IS_ERR(slot->m2m)) {
		struct daedalus_m2m_slot *err = ERR_CAST(slot->m2m);

		kfree(slot);
		return err;
	}
	return slot;
}

static void daedalus_m2m_put(struct daedalus_dev *dev,
			     struct daedalus_m2m_slot *slot)
{
	mutex_lock(&dev->pool_mutex);
	list_add(&slot->node, &dev->m2m_pool);
	mutex_unlock(&dev->pool_mutex);
}

static void daedalus_m2m_pool_free(struct daedalus_dev *dev)
{
	struct daedalus_m2m_slot *slot, *tmp;

	list_for_each_entry_safe(slot, tmp, &dev->m2m_pool, node) {
		list_del(&slot->node);
		v4l2_m2m_release(slot->m2m);
		kfree(slot);
	}
}

static int daedalus_open(struct file *file)
{
	struct daedalus_dev *dev = video_drvdata(file);
	struct daedalus_m2m_slot *slot;
	struct daedalus_ctx *ctx;
	int ret;

	ctx = kvzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;

	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;
	ctx->dev = dev;
	ctx->id = atomic64_inc_return(&dev->next_ctx_id);
	mutex_init(&ctx->vb_mutex);
	mutex_init(&ctx->refs_mutex);
	daedalus_run_init(ctx);
	ctx->gone = daedalus_bridge_gone_alloc(true);
	if (!ctx->gone) {
		ret = -ENOMEM;
		goto err_free;
	}

	ret = daedalus_init_ctrls(ctx);
	if (ret)
		goto err_free;

	slot = daedalus_m2m_get(dev);
	if (IS_ERR(slot)) {
		ret = PTR_ERR(slot);
		goto err_ctrls;
	}
	ctx->m2m_slot = slot;
	ctx->m2m_dev = slot->m2m;

	ctx->fh.m2m_ctx = v4l2_m2m_ctx_init(ctx->m2m_dev, ctx,
					    daedalus_queue_init);
	if (IS_ERR(ctx->fh.m2m_ctx)) {
		ret = PTR_ERR(ctx->fh.m2m_ctx);
		goto err_m2m;
	}
	ctx->fh.m2m_ctx->q_lock = &ctx->vb_mutex;

	daedalus_set_default_formats(ctx);
	v4l2_ctrl_handler_setup(&ctx->hdl);
	v4l2_fh_add(&ctx->fh);
	return 0;

err_m2m:
	daedalus_m2m_put(dev, slot);
err_ctrls:
	v4l2_ctrl_handler_free(&ctx->hdl);
err_free:
	kfree(ctx->gone);
	v4l2_fh_exit(&ctx->fh);
	mutex_destroy(&ctx->refs_mutex);
	mutex_destroy(&ctx->vb_mutex);
	kvfree(ctx);
	return ret;
}

static int daedalus_release(struct file *file)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct daedalus_dev *dev = ctx->dev;

	/* No new jobs; every queued or sent one fails now. */
	daedalus_bridge_ctx_close(ctx);

	v4l2_fh_del(&ctx->fh);
	v4l2_fh_exit(&ctx->fh);
	v4l2_m2m_ctx_release(ctx->fh.m2m_ctx);
	daedalus_bridge_wait_idle(ctx);
	daedalus_run_exit(ctx);
	v4l2_ctrl_handler_free(&ctx->hdl);
	daedalus_m2m_put(dev, ctx->m2m_slot);
	daedalus_bridge_ctx_gone(ctx);
	mutex_destroy(&ctx->refs_mutex);
	mutex_destroy(&ctx->vb_mutex);
	kvfree(ctx);
	return 0;
}

static const struct v4l2_file_operations daedalus_fops = {
	.owner		= THIS_MODULE,
	.open		= daedalus_open,
	.release	= daedalus_release,
	.poll		= v4l2_m2m_fop_poll,
	.unlocked_ioctl	= video_ioctl2,
	.mmap		= v4l2_m2m_fop_mmap,
};

static const struct video_device daedalus_videodev = {
	.name		= DAEDALUS_NAME,
	.vfl_dir	= VFL_DIR_M2M,
	.fops		= &daedalus_fops,
	.ioctl_ops	= &daedalus_ioctl_ops,
	.minor		= -1,
	.release	= video_device_release_empty,
	.device_caps	= V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING,
};

static const struct media_device_ops daedalus_media_ops = {
	.req_validate	= daedalus_request_validate,
	.req_queue	= v4l2_m2m_request_queue,
};

/*
 * A bare platform device (no driver to bind) gives the V4L2 and media
 * devices a parent; the module's lifetime is the device's.
 */
static struct platform_device *daedalus_pdev;
static struct daedalus_dev *daedalus_the_dev;

static int daedalus_register(struct daedalus_dev *dev, struct device *parent)
{
	int ret;

	mutex_init(&dev->dev_mutex);
	mutex_init(&dev->pool_mutex);
	INIT_LIST_HEAD(&dev->m2m_pool);
	atomic64_set(&dev->next_ctx_id, 0);
	atomic64_set(&dev->next_buf_id, 0);

	/* Named here: the parent has no driver to take the name from. */
	strscpy(dev->v4l2_dev.name, DAEDALUS_NAME, sizeof(dev->v4l2_dev.name));
	ret = v4l2_device_register(parent, &dev->v4l2_dev);
	if (ret)
		return ret;

	dev->mc_m2m = v4l2_m2m_init(&daedalus_m2m_ops);
	if (IS_ERR(dev->mc_m2m)) {
		ret = PTR_ERR(dev->mc_m2m);
		goto err_v4l2;
	}

	dev->mdev.dev = parent;
	strscpy(dev->mdev.model, DAEDALUS_NAME, sizeof(dev->mdev.model));
	strscpy(dev->mdev.driver_name, DAEDALUS_NAME,
		sizeof(dev->mdev.driver_name));
	strscpy(dev->mdev.bus_info, "platform:" DAEDALUS_NAME,
		sizeof(dev->mdev.bus_info));
	media_device_init(&dev->mdev);
	dev->mdev.ops = &daedalus_media_ops;
	dev->v4l2_dev.mdev = &dev->mdev;

	dev->vfd = daedalus_videodev;
	dev->vfd.lock = &dev->dev_mutex;
	dev->vfd.v4l2_dev = &dev->v4l2_dev;
	video_set_drvdata(&dev->vfd, dev);

	ret = daedalus_bridge_init(dev);
	if (ret)
		goto err_media;

	ret = video_register_device(&dev->vfd, VFL_TYPE_VIDEO, -1);
	if (ret)
		goto err_bridge;

	ret = v4l2_m2m_register_media_controller(dev->mc_m2m, &dev->vfd,
						 MEDIA_ENT_F_PROC_VIDEO_DECODER);
	if (ret)
		goto err_video;

	ret = media_device_register(&dev->mdev);
	if (ret)
		goto err_mc;

	v4l2_info(&dev->v4l2_dev, "registered /dev/video%d, bridge /dev/%s\n",
		  dev->vfd.num, DAEDALUS_NAME);
	return 0;

err_mc:
	v4l2_m2m_unregister_media_controller(dev->mc_m2m);
err_video:
	video_unregister_device(&dev->vfd);
err_bridge:
	daedalus_bridge_exit(dev);
err_media:
	media_device_cleanup(&dev->mdev);
	v4l2_m2m_release(dev->mc_m2m);
err_v4l2:
	v4l2_device_unregister(&dev->v4l2_dev);
	return ret;
}

static void daedalus_unregister(struct daedalus_dev *dev)
{
	media_device_unregister(&dev->mdev);
	v4l2_m2m_unregister_media_controller(dev->mc_m2m);
	video_unregister_device(&dev->vfd);
	daedalus_bridge_exit(dev);
	media_device_cleanup(&dev->mdev);
	v4l2_m2m_release(dev->mc_m2m);
	daedalus_m2m_pool_free(dev);
	v4l2_device_unregister(&dev->v4l2_dev);
}

static int __init daedalus_init(void)
{
	int ret;

	daedalus_the_dev = kzalloc(sizeof(*daedalus_the_dev), GFP_KERNEL);
	if (!daedalus_the_dev)
		return -ENOMEM;
	ret = daedalus_stats_init(daedalus_the_dev);
	if (ret)
		goto err_free;

	/* The status group is the device's: added with it, in one uevent. */
	daedalus_pdev = platform_device_alloc(DAEDALUS_NAME, PLATFORM_DEVID_NONE);
	if (!daedalus_pdev) {
		ret = -ENOMEM;
		goto err_stats;
	}
	daedalus_pdev->dev.groups = daedalus_the_dev->stats.groups;
	platform_set_drvdata(daedalus_pdev, daedalus_the_dev);
	/* A bad allocator fails the load before the device appears. */
	ret = daedalus_set_allocator(daedalus_the_dev, &daedalus_pdev->dev);
	if (!ret)
		ret = platform_device_add(daedalus_pdev);
	if (ret) {
		platform_device_put(daedalus_pdev);
		goto err_stats;
	}

	ret = daedalus_register(daedalus_the_dev, &daedalus_pdev->dev);
	if (ret)
		goto err_pdev;
	ret = daedalus_sf_register(daedalus_the_dev);
	if (ret)
		goto err_unreg;
	return 0;

err_unreg:
	daedalus_unregister(daedalus_the_dev);
err_pdev:
	platform_device_unregister(daedalus_pdev);
err_stats:
	daedalus_stats_exit(daedalus_the_dev);
err_free:
	kfree(daedalus_the_dev);
	return ret;
}

/* Open files hold the module, so no context or daemon is left here. */
static void __exit daedalus_exit(void)
{
	daedalus_sf_unregister();
	daedalus_unregister(daedalus_the_dev);
	platform_device_unregister(daedalus_pdev);
	daedalus_stats_exit(daedalus_the_dev);
	kfree(daedalus_the_dev);
}

module_init(daedalus_init);
module_exit(daedalus_exit);

MODULE_DESCRIPTION("V4L2 stateless decoder backed by a userspace daemon");
MODULE_LICENSE("GPL");
/* MODULE_IMPORT_NS(DMA_BUF), spelt so 6.1 and 6.13+ both accept it. */
MODULE_INFO(import_ns, "DMA_BUF");
