// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the status attributes, read-only, one value each, in
 * /sys/bus/platform/devices/daedalus-v4l2/status/:
 *
 *   attached           1 while a daemon is attached, else 0
 *   daemon_pid         its pid (as in the kernel log's "daemon attached"), or 0
 *   <codec>_<what>     jobs of that codec (h264, vp8, vp9, av1) that were
 *                      queued, done, error, timeout, detach, aborted or
 *                      not_queued (enum daedalus_stat), since the module
 *                      was loaded
 *
 * A queued job is counted once more when it ends, by whoever claims it, so
 * queued = done + error + timeout + detach + aborted + the jobs in flight.
 * The group is the platform device's own (dev.groups): it appears and
 * disappears with the device, before udev hears of it.
 */

#include <linux/device.h>
#include <linux/slab.h>

#include "daedalus.h"

static const char * const daedalus_stat_names[DAEDALUS_STAT_COUNT] = {
	[DAEDALUS_STAT_QUEUED]		= "queued",
	[DAEDALUS_STAT_DONE]		= "done",
	[DAEDALUS_STAT_ERROR]		= "error",
	[DAEDALUS_STAT_TIMEOUT]		= "timeout",
	[DAEDALUS_STAT_DETACH]		= "detach",
	[DAEDALUS_STAT_ABORTED]		= "aborted",
	[DAEDALUS_STAT_NOT_QUEUED]	= "not_queued",
};

/* One <codec>_<what> attribute. */
struct daedalus_stat_attr {
	struct device_attribute attr;
	enum daedalus_codec codec;
	enum daedalus_stat stat;
	char name[24];
};

static struct daedalus_stats *dev_stats(struct device *d)
{
	struct daedalus_dev *dev = dev_get_drvdata(d);

	return &dev->stats;
}

static ssize_t attached_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", !!atomic_read(&dev_stats(d)->daemon_pid));
}
static DEVICE_ATTR_RO(attached);

static ssize_t daemon_pid_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&dev_stats(d)->daemon_pid));
}
static DEVICE_ATTR_RO(daemon_pid);

static ssize_t stat_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	struct daedalus_stat_attr *sa =
		container_of(attr, struct daedalus_stat_attr, attr);

	return sysfs_emit(buf, "%lu\n", (unsigned long)
			  atomic_long_read(&dev_stats(d)->jobs[sa->codec][sa->stat]));
}

/*
 * The group, built before the device is added: one set of counters per
 * codec the module was built with.
 */
int daedalus_stats_init(struct daedalus_dev *dev)
{
	struct daedalus_stats *st = &dev->stats;
	unsigned int n = daedalus_num_codecs * DAEDALUS_STAT_COUNT;
	struct attribute **attrs;
	unsigned int i;

	st->attrs = kcalloc(n, sizeof(*st->attrs), GFP_KERNEL);
	/* attached, daemon_pid, the counters, NULL */
	attrs = kcalloc(n + 3, sizeof(*attrs), GFP_KERNEL);
	if (!st->attrs || !attrs) {
		kfree(st->attrs);
		kfree(attrs);
		return -ENOMEM;
	}
	attrs[0] = &dev_attr_attached.attr;
	attrs[1] = &dev_attr_daemon_pid.attr;
	for (i = 0; i < n; i++) {
		const struct daedalus_codec_desc *desc =
			daedalus_codecs[i / DAEDALUS_STAT_COUNT];
		struct daedalus_stat_attr *sa = &st->attrs[i];

		sa->codec = desc->codec;
		sa->stat = i % DAEDALUS_STAT_COUNT;
		snprintf(sa->name, sizeof(sa->name), "%s_%s", desc->name,
			 daedalus_stat_names[sa->stat]);
		sysfs_attr_init(&sa->attr.attr);
		sa->attr.attr.name = sa->name;
		sa->attr.attr.mode = 0444;
		sa->attr.show = stat_show;
		attrs[i + 2] = &sa->attr.attr;
	}
	st->group.name = "status";
	st->group.attrs = attrs;
	st->groups[0] = &st->group;
	return 0;
}

/* After the device is gone: no reader is left in a show(). */
void daedalus_stats_exit(struct daedalus_dev *dev)
{
	kfree(dev->stats.group.attrs);
	kfree(dev->stats.attrs);
}

void daedalus_stats_count(struct daedalus_dev *dev, u32 codec,
			  enum daedalus_stat stat)
{
	if (codec < DAEDALUS_CODEC_COUNT)
		atomic_long_inc(&dev->stats.jobs[codec][stat]);
}

/* At HELLO (@pid) and when the daemon's file is released (0). */
void daedalus_stats_set_daemon(struct daedalus_dev *dev, pid_t pid)
{
	atomic_set(&dev->stats.daemon_pid, pid);
}
