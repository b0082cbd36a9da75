/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daedalus-v4l2: a V4L2 stateless decoder whose "hardware" is a userspace
 * daemon.  Shared definitions of the driver's files.
 *
 *   daedalus_core.c    module, platform device, registration, open/release,
 *                      the control tables
 *   daedalus_video.c   formats, ioctls, vb2 ops, request validation
 *   daedalus_buf.c     buffer helpers of both nodes
 *   daedalus_dec.c     device_run: gathers one job, per-codec ops table
 *   daedalus_bridge.c  /dev/daedalus-v4l2 and the job's whole life
 *   daedalus_stats.c   the status attributes: daemon, per-codec job counts
 *   daedalus_<codec>.c one codec each
 */
#ifndef DAEDALUS_H
#define DAEDALUS_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <media/media-device.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-fh.h>
#include <media/v4l2-mem2mem.h>
#include <media/videobuf2-v4l2.h>

#include "../include/daedalus_proto.h"

#define DAEDALUS_NAME		"daedalus-v4l2"

#define DAEDALUS_MIN_WIDTH	16U
#define DAEDALUS_MIN_HEIGHT	16U
#define DAEDALUS_MAX_WIDTH	4096U
#define DAEDALUS_MAX_HEIGHT	2304U

extern unsigned int daedalus_job_timeout_ms;
extern unsigned int daedalus_attach_timeout_ms;

struct daedalus_ctx;
struct daedalus_dev;
struct daedalus_m2m_slot;

extern const struct v4l2_ctrl_ops daedalus_ctrl_ops;

/*
 * One codec: its coded format, its controls (as data), the CAPTURE geometry
 * it needs and how device_run gathers its job.  A new codec is one file
 * defining one of these plus one entry in daedalus_codecs[].
 */
struct daedalus_codec_desc {
	u32 pixelformat;		/* OUTPUT fourcc */
	enum daedalus_codec codec;
	const char *name;		/* in the status attributes' names */
	unsigned int align;		/* CAPTURE width and height: multiples */
	bool hold_capture;		/* OUTPUT offers HOLD_CAPTURE_BUF */
	const struct v4l2_ctrl_config *ctrls;
	unsigned int num_ctrls;
	const u32 *required;		/* set in every request */
	unsigned int num_required;
	/* Snapshot p_cur of every control into the job; references too. */
	void (*fill_job)(struct daedalus_ctx *ctx, struct media_request *req,
			 struct daedalus_job *job);
	/* The control carrying the bit depth (0: always 8) and its reader. */
	u32 depth_ctrl;
	unsigned int (*depth)(const void *payload);
	/*
	 * The frame size that control carries, in pixels, checked against
	 * the OUTPUT format (NULL: not checked; GStreamer sets VP9's frame
	 * control of the previous size right after a resolution change).
	 */
	void (*frame_size)(const void *payload, u32 *width, u32 *height);
	/* Refuse what the daemon cannot decode; 0 for other controls. */
	int (*try_ctrl)(struct v4l2_ctrl *ctrl);
};

extern const struct daedalus_codec_desc daedalus_h264_desc;
extern const struct daedalus_codec_desc daedalus_vp8_desc;
extern const struct daedalus_codec_desc daedalus_vp9_desc;
#ifdef V4L2_PIX_FMT_AV1_FRAME
extern const struct daedalus_codec_desc daedalus_av1_desc;
#endif

extern const struct daedalus_codec_desc * const daedalus_codecs[];
extern const unsigned int daedalus_num_codecs;

/* A vb2 buffer as this driver keeps it. */
struct daedalus_buffer {
	struct v4l2_m2m_buffer m2m;	/* first: vb2 and m2m use it */
	u64 id;				/* device-unique, assigned at buf_init */
	struct dma_buf *dbuf;		/* exported or imported, taken once */
	/*
	 * Its BUF_GONE record, ready.  On bridge.sent (under bridge.lock)
	 * while the attached daemon holds the buffer's fd.
	 */
	struct daedalus_msg *gone;
};

static inline struct daedalus_buffer *
to_daedalus_buffer(struct vb2_v4l2_buffer *vbuf)
{
	return container_of(vbuf, struct daedalus_buffer, m2m.vb);
}

/* Where a job slot stands; changed only under bridge.lock. */
enum daedalus_job_state {
	DAEDALUS_JOB_IDLE,	/* free, or its buffers went back to the client */
	DAEDALUS_JOB_QUEUED,	/* on bridge.pending, not fetched by a daemon */
	DAEDALUS_JOB_SENT,	/* fetched by the daemon, awaiting its result */
	DAEDALUS_JOB_ENDED,	/* answered or failed; waits for older jobs */
};

enum daedalus_entry_kind {
	DAEDALUS_ENTRY_JOB,		/* a struct daedalus_run */
	DAEDALUS_ENTRY_MSG,		/* a struct daedalus_msg */
	DAEDALUS_ENTRY_SF,		/* a struct daedalus_sf_rec */
};

/* An entry of bridge.pending / bridge.inflight. */
struct daedalus_entry {
	struct list_head node;
	struct daedalus_run *run;	/* the job, or NULL */
	enum daedalus_entry_kind kind;
};

/*
 * One job of a context: a slot of ctx->runs[], reused.  A message is either
 * this (a job) or a small allocated daedalus_msg (buf_gone, ctx_gone).
 */
struct daedalus_run {
	struct daedalus_entry entry;	/* bridge.pending or bridge.inflight */
	struct daedalus_ctx *ctx;
	enum daedalus_job_state state;
	/*
	 * Its buffers are still at the head of m2m's queues, and m2m's
	 * helper returns them (H.264, one job at a time); otherwise
	 * device_run took them off.
	 */
	bool on_m2m;
	enum vb2_buffer_state end;	/* ENDED: DONE or ERROR */
	u32 payload;			/* ENDED: CAPTURE bytesused */
	unsigned long deadline;		/* jiffies; watchdog fails it after */
	struct delayed_work watchdog;
	/* Bitstream, picture: held from device_run until they go back. */
	struct daedalus_buffer *buf[2];
	struct daedalus_job rec;	/* the record a fetch hands out */
};

struct daedalus_msg {
	struct daedalus_entry entry;	/* bridge.pending (or .sent) */
	union {
		struct daedalus_hdr hdr;
		struct daedalus_buf_gone buf_gone;
		struct daedalus_ctx_gone ctx_gone;
	};
};

/* The daemon side: one attached daemon at most. */
struct daedalus_bridge {
	struct miscdevice misc;
	/*
	 * Protects everything below except fetch_mutex's buffer, and each
	 * context's job slots (ctx->runs[], head, njobs, m2m_owed): their
	 * state, node, deadline and end.
	 */
	spinlock_t lock;
	bool open;			/* the chardev is open (exclusive) */
	bool attached;			/* HELLO done on the open file */
	struct pid *owner;		/* the thread group that said HELLO */
	u32 codecs;			/* DAEDALUS_CODEC_BIT()s of the daemon */
	/*
	 * What clients are offered (ENUM_FMT): the codecs of the last daemon
	 * that said HELLO, all of ours before any did.  Read unlocked.
	 */
	u32 offered;
	u64 generation;			/* bumped at each attach; never 0 */
	u32 depth;			/* jobs per context granted; 1 detached */
	u64 next_seq;
	struct list_head pending;	/* runs and msgs not yet read */
	struct list_head inflight;	/* runs fetched, awaiting a result */
	struct list_head sent;		/* BUF_GONE msgs of fds the daemon holds */
	wait_queue_head_t wq;		/* fetchers: pending got an entry */
	/*
	 * The stateful node: its contexts, the codecs granted and offered
	 * (the last HELLO's grant, none before any).
	 */
	struct list_head sf_ctxs;
	u32 sf_codecs;
	u32 sf_offered;			/* read unlocked */
	struct mutex fetch_mutex;	/* serialises fetches; guards rbuf */
	struct daedalus_job *rbuf;	/* the record being copied out */
};

/*
 * What is counted of a job, per codec: it is queued or not, and a queued
 * one ends in exactly one of done, error, timeout, detach or aborted.
 */
enum daedalus_stat {
	DAEDALUS_STAT_QUEUED,		/* handed to the bridge */
	DAEDALUS_STAT_DONE,		/* answered OK: buffers DONE */
	DAEDALUS_STAT_ERROR,		/* answered corrupt/failed, or fetch failed */
	DAEDALUS_STAT_TIMEOUT,		/* its watchdog */
	DAEDALUS_STAT_DETACH,		/* the daemon's file was released */
	DAEDALUS_STAT_ABORTED,		/* STREAMOFF or close of the client */
	DAEDALUS_STAT_NOT_QUEUED,	/* device_run failed it before queueing */
	DAEDALUS_STAT_COUNT
};

struct daedalus_stat_attr;

/* The status attributes' values and the group showing them. */
struct daedalus_stats {
	atomic_t daemon_pid;		/* 0: no daemon attached */
	atomic_long_t jobs[DAEDALUS_CODEC_COUNT][DAEDALUS_STAT_COUNT];
	struct daedalus_stat_attr *attrs;
	struct attribute_group group;
	const struct attribute_group *groups[2];
};

struct daedalus_dev {
	struct v4l2_device v4l2_dev;
	struct video_device vfd;
	struct media_device mdev;
	struct mutex dev_mutex;		/* video_device lock */
	struct v4l2_m2m_dev *mc_m2m;	/* only for the MC topology */
	/* Per-context m2m devices, recycled (see daedalus_core.c). */
	struct mutex pool_mutex;
	struct list_head m2m_pool;
	atomic64_t next_ctx_id;
	atomic64_t next_buf_id;
	struct daedalus_bridge bridge;
	struct daedalus_stats stats;
	/* CAPTURE's allocator, chosen at load (the allocator parameter) */
	const struct vb2_mem_ops *cap_mem_ops;
};

struct daedalus_ctx {
	struct v4l2_fh fh;
	struct daedalus_dev *dev;
	u64 id;
	struct mutex vb_mutex;		/* both vb2 queues */
	/*
	 * Held while device_run looks references up among the CAPTURE
	 * buffers, and by REMOVE_BUFS: device_run may run without vb_mutex.
	 */
	struct mutex refs_mutex;
	struct daedalus_m2m_slot *m2m_slot;
	struct v4l2_m2m_dev *m2m_dev;	/* this context's own */
	struct v4l2_ctrl_handler hdl;

	const struct daedalus_codec_desc *codec;
	struct v4l2_format coded_fmt;
	struct v4l2_format decoded_fmt;
	u32 out_sequence;		/* next v4l2_buffer.sequence, per queue */
	u32 cap_sequence;

	/* Under bridge.lock. */
	bool closing;			/* release started: no new jobs */
	bool aborting;			/* job_abort seen since STREAMON */
	u64 daemon_generation;		/* generation that saw our stream */

	/*
	 * Its jobs, under bridge.lock: a ring of slots in queue order, the
	 * oldest at head.  Buffers go back to the client oldest first, so a
	 * job answered before an older one waits (ENDED) in its slot.
	 */
	unsigned int head;
	unsigned int njobs;		/* slots in use from head */
	bool pipelined;			/* the codec may have several */
	/* m2m's job is still running: finished when a slot frees */
	bool m2m_owed;
	wait_queue_head_t idle_wq;	/* njobs went to 0 */
	struct daedalus_msg *gone;	/* its CTX_GONE record, ready */
	struct daedalus_run runs[DAEDALUS_MAX_DEPTH];
};

static inline struct daedalus_ctx *file_to_ctx(struct file *file)
{
	return container_of(file->private_data, struct daedalus_ctx, fh);
}

/*
 * A control of the context's handler.  Its list is fixed once open() built
 * it, so it is walked without the handler's lock: device_run holds that
 * lock while it snapshots the controls.
 */
static inline struct v4l2_ctrl *daedalus_ctrl(struct daedalus_ctx *ctx,
					      u32 id)
{
	struct v4l2_ctrl *ctrl;

	list_for_each_entry(ctrl, &ctx->hdl.ctrls, node)
		if (ctrl->id == id)
			return ctrl;
	return NULL;
}

/* The current value of a control of the context's handler. */
static inline void *daedalus_cur(struct daedalus_ctx *ctx, u32 id)
{
	return daedalus_ctrl(ctx, id)->p_cur.p;
}

/* daedalus_core.c */
u32 daedalus_codec_mask(void);
const struct daedalus_codec_desc *
daedalus_offered_codec(struct daedalus_dev *dev, unsigned int index);
const struct daedalus_codec_desc *
daedalus_find_codec(struct daedalus_dev *dev, u32 pixelformat);

/* daedalus_video.c */
extern const struct v4l2_ioctl_ops daedalus_ioctl_ops;
int daedalus_queue_init(void *priv, struct vb2_queue *src_vq,
			struct vb2_queue *dst_vq);
int daedalus_request_validate(struct media_request *req);
void daedalus_set_default_formats(struct daedalus_ctx *ctx);
void daedalus_update_decoded_fmt(struct daedalus_ctx *ctx);
int daedalus_codec_try_ctrl(struct v4l2_ctrl *ctrl);
int daedalus_codec_s_ctrl(struct v4l2_ctrl *ctrl);

/* daedalus_buf.c */
int daedalus_buf_setup(struct daedalus_dev *dev, struct daedalus_buffer *buf);
void daedalus_buf_release(struct daedalus_dev *dev, struct daedalus_buffer *buf);
struct dma_buf *daedalus_buf_dmabuf(struct vb2_v4l2_buffer *vbuf);
void daedalus_fill_buf(struct daedalus_buf *out, struct vb2_v4l2_buffer *vbuf,
		       bool bitstream);
void daedalus_fill_picture(u32 fourcc, u32 width, u32 height,
			   unsigned int align, bool spare,
			   struct v4l2_pix_format_mplane *pix);
int daedalus_buf_out_validate(struct vb2_buffer *vb);

/* daedalus_dec.c */
void daedalus_device_run(void *priv);
int daedalus_job_ready(void *priv);
void daedalus_job_abort(void *priv);
void daedalus_add_ref(struct daedalus_ctx *ctx, struct daedalus_job *job,
		      u64 timestamp);

/* daedalus_bridge.c */
int daedalus_bridge_init(struct daedalus_dev *dev);
void daedalus_bridge_exit(struct daedalus_dev *dev);
struct daedalus_run *daedalus_bridge_next_run(struct daedalus_ctx *ctx);
void daedalus_bridge_submit(struct daedalus_run *run, bool pipelined,
			    bool ok);
void daedalus_bridge_abort(struct daedalus_ctx *ctx);
void daedalus_bridge_streamon(struct daedalus_ctx *ctx);
void daedalus_bridge_ctx_close(struct daedalus_ctx *ctx);
struct daedalus_msg *daedalus_bridge_gone_alloc(bool ctx);
void daedalus_bridge_ctx_gone(struct daedalus_ctx *ctx);
void daedalus_bridge_wait_idle(struct daedalus_ctx *ctx);
void daedalus_bridge_buf_gone(struct daedalus_dev *dev,
			      struct daedalus_buffer *buf);
void daedalus_run_init(struct daedalus_ctx *ctx);
int daedalus_bridge_check_owner(struct daedalus_bridge *br);
void daedalus_bridge_unsend_locked(struct daedalus_bridge *br, u64 id);
void daedalus_bridge_post(struct daedalus_bridge *br, struct daedalus_msg *msg);
void daedalus_run_exit(struct daedalus_ctx *ctx);

/* daedalus_stats.c */
int daedalus_stats_init(struct daedalus_dev *dev);
void daedalus_stats_exit(struct daedalus_dev *dev);
void daedalus_stats_count(struct daedalus_dev *dev, u32 codec,
			  enum daedalus_stat stat);
void daedalus_stats_set_daemon(struct daedalus_dev *dev, pid_t pid);

#endif /* DAEDALUS_H */
