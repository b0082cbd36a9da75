/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daedalus-v4l2: the stateful decoder node (docs/stateful-design.md).
 *
 *   daedalus_stateful.c  the V4L2 side: formats, ioctls, vb2 ops, events
 *   daedalus_sf_bridge.c the records' life: chunks, lends, commands, the
 *                        daemon's answers, the watchdog, stream failure
 */
#ifndef DAEDALUS_SF_H
#define DAEDALUS_SF_H

#include <linux/platform_device.h>

#include "daedalus.h"

#define DAEDALUS_SF_NAME	"daedalus-v4l2-stateful"

/* Chunks sent and not answered, per context. */
#define DAEDALUS_SF_WINDOW	4
/* Commands not answered, per context (preallocated). */
#define DAEDALUS_SF_MAX_CMDS	16
/* Distinct timestamps remembered for the pictures' metadata. */
#define DAEDALUS_SF_RING	64

#define DAEDALUS_SF_MIN_WIDTH	2U
#define DAEDALUS_SF_MIN_HEIGHT	2U
#define DAEDALUS_SF_MIN_CODED	SZ_64K
#define DAEDALUS_SF_MAX_CODED	SZ_64M

extern bool daedalus_stateful;
extern bool daedalus_stateful_av1;

struct daedalus_sf_ctx;

/* Where a record stands; changed only under bridge.lock. */
enum daedalus_sf_state {
	DAEDALUS_SF_REC_IDLE,	/* free, its buffer (if any) with the client */
	DAEDALUS_SF_REC_QUEUED,	/* on bridge.pending */
	DAEDALUS_SF_REC_SENT,	/* fetched, awaiting its answer */
};

/*
 * One record: a chunk (OUTPUT buffer), a lend (CAPTURE buffer) or a
 * command.  Chunks and lends live in their vb2 buffer, commands in the
 * context; none is allocated when sent.
 */
struct daedalus_sf_rec {
	struct daedalus_entry entry;	/* bridge.pending while QUEUED */
	struct list_head node;		/* the context's list while not IDLE */
	struct daedalus_sf_ctx *ctx;
	enum daedalus_sf_state state;
	struct daedalus_buffer *buf;	/* chunk, lend; NULL for a command */
	union {
		struct daedalus_hdr hdr;
		struct daedalus_sf_chunk chunk;
		struct daedalus_sf_lend lend;
		struct daedalus_sf_cmd cmd;
	};
};

/* The queues' buffers (buf_struct_size). */
struct daedalus_sf_buffer {
	struct daedalus_buffer b;	/* first */
	struct daedalus_sf_rec rec;
};

static inline struct daedalus_sf_buffer *
to_sf_buffer(struct vb2_v4l2_buffer *vbuf)
{
	return container_of(to_daedalus_buffer(vbuf), struct daedalus_sf_buffer,
			    b);
}

/* A chunk's timestamp and the metadata its pictures get. */
struct daedalus_sf_ts {
	u64 timestamp;
	struct v4l2_timecode timecode;
	u32 flags;			/* TIMECODE and TSTAMP_SRC bits */
};

struct daedalus_sf_dev {
	struct daedalus_dev *dev;	/* the bridge, ids and allocator */
	struct platform_device *pdev;
	struct v4l2_device v4l2_dev;
	struct video_device vfd;
	struct mutex mutex;		/* video_device lock */
	struct v4l2_m2m_dev *m2m;	/* queues only: never schedules */
};

struct daedalus_sf_ctx {
	struct v4l2_fh fh;
	struct daedalus_sf_dev *sf;
	struct daedalus_dev *dev;
	u64 id;
	struct mutex vb_mutex;		/* both vb2 queues */
	struct v4l2_ctrl_handler hdl;
	struct v4l2_ctrl *min_bufs;

	/* Under sf->mutex (ioctls) and vb_mutex (format work). */
	enum daedalus_codec codec;
	struct v4l2_format out_fmt;
	struct v4l2_format cap_fmt;
	struct v4l2_rect visible;
	/* CAPTURE buffers allocated, and the smallest (buf_init/cleanup). */
	unsigned int cap_nbufs;
	u32 cap_min_size;

	/* Everything below: under bridge.lock. */
	struct list_head node;		/* bridge.sf_ctxs */
	bool closing;
	bool out_on, cap_on;		/* streaming, as the pump sees it */
	bool format_known;		/* a FORMAT was sent for this stream */
	bool draining;			/* STOP until LAST */
	bool stopped;			/* LAST given, until START */
	bool drc;			/* FORMAT{drc=1} until LAST */
	bool drc_restart;		/* FORMAT{drc=1} sent, no START since */
	bool next_cap_last;		/* the next CAPTURE buffer: empty LAST */
	bool drain_owed;		/* DRAIN waits for drain_chunks */
	unsigned int drain_chunks;	/* chunks queued before STOP, unsent */
	u64 daemon_generation;		/* 0: the next chunk is NEW_STREAM */
	u32 stream_gen;			/* bumped by STREAMON/OFF, failure */
	u64 stream_seq;			/* seqs above this: current stream */
	u64 chunk_seq;			/* newest chunk fetched */
	unsigned int nchunks;		/* chunks QUEUED or SENT */
	struct list_head chunks;	/* oldest first */
	struct list_head lends;
	struct list_head cmds;
	u64 last_sent_seq;		/* newest record posted */
	u64 seen_seq;			/* the daemon's latest seen_seq */
	bool idle;			/* its latest answer said IDLE */
	unsigned long deadline;
	u32 format_seq;			/* the latest FORMAT's, 0: none */
	u32 sizeimage;			/* the latest FORMAT's */
	struct daedalus_picture_format layout;	/* the latest FORMAT's */
	u32 out_seqno, cap_seqno;
	/* A SOURCE_CHANGE waiting for fmt_work. */
	bool sc_pending;
	u32 sc_gen;
	struct daedalus_sf_format sc;
	struct daedalus_sf_ts ring[DAEDALUS_SF_RING];
	unsigned int ring_next, ring_used;

	struct delayed_work watchdog;
	struct work_struct fmt_work;
	struct daedalus_msg *gone;	/* its CTX_GONE record */
	struct daedalus_sf_rec cmd_recs[DAEDALUS_SF_MAX_CMDS];
};

static inline struct daedalus_sf_ctx *file_to_sf_ctx(struct file *file)
{
	return container_of(file->private_data, struct daedalus_sf_ctx, fh);
}

/* daedalus_stateful.c */
int daedalus_sf_register(struct daedalus_dev *dev);
void daedalus_sf_unregister(void);
u32 daedalus_sf_codec_mask(void);
void daedalus_sf_apply_format(struct work_struct *work);

/* daedalus_sf_bridge.c */
void daedalus_sf_ctx_init(struct daedalus_sf_ctx *ctx);
void daedalus_sf_ctx_open(struct daedalus_sf_ctx *ctx);
void daedalus_sf_ctx_close(struct daedalus_sf_ctx *ctx);
void daedalus_sf_rec_init(struct daedalus_sf_ctx *ctx,
			  struct daedalus_sf_buffer *sbuf);
void daedalus_sf_pump(struct daedalus_sf_ctx *ctx);
void daedalus_sf_pump_locked(struct daedalus_sf_ctx *ctx);
void daedalus_sf_out_on(struct daedalus_sf_ctx *ctx);
void daedalus_sf_out_off(struct daedalus_sf_ctx *ctx);
void daedalus_sf_cap_on(struct daedalus_sf_ctx *ctx,
			const struct v4l2_pix_format_mplane *pix);
void daedalus_sf_cap_off(struct daedalus_sf_ctx *ctx);
int daedalus_sf_stop(struct daedalus_sf_ctx *ctx);
int daedalus_sf_start(struct daedalus_sf_ctx *ctx);
void daedalus_sf_forget_format(struct daedalus_sf_ctx *ctx);
bool daedalus_sf_awaiting_capture(struct daedalus_sf_ctx *ctx);
bool daedalus_sf_in_drc(struct daedalus_sf_ctx *ctx);
void daedalus_sf_send_format(struct daedalus_sf_ctx *ctx, u32 gen,
			     const struct v4l2_pix_format_mplane *pix,
			     bool event, bool drc);
bool daedalus_sf_take_sc(struct daedalus_sf_ctx *ctx,
			 struct daedalus_sf_format *f, u32 *gen);

/* Called by daedalus_bridge.c with bridge.lock held. */
ssize_t daedalus_sf_fetch_locked(struct daedalus_bridge *br,
				 struct daedalus_entry *e, void __user *ubuf);
void daedalus_sf_attach_locked(struct daedalus_bridge *br);
void daedalus_sf_detach_locked(struct daedalus_bridge *br);
long daedalus_sf_commit_ioctl(struct daedalus_bridge *br,
			      struct daedalus_sf_commit __user *uarg);

#endif /* DAEDALUS_SF_H */
