/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pictures of a libavcodec decoder: one layer shared by every
 * libavcodec backend (H.264, VP8, VP9).
 *
 * It is the decoder's get_buffer2.  The picture of the job being decoded
 * goes straight into the job's CAPTURE buffer where the geometry allows
 * (8-bit into YUV420: every plane in place, nothing copied; into NV12: the
 * luma plane in place, chroma in scratch memory and interleaved
 * afterwards); every other picture (P010, a buffer lavc still
 * holds, pictures lavc invents) lives in scratch memory and is copied.
 * Scratch memory is pooled per decoder and cleared when first allocated,
 * so no byte of another process ever reaches a CAPTURE buffer.
 *
 * It tracks what lavc holds: every live picture carries the timestamp of
 * the job it was decoded for, so a backend can check the references a
 * client names against the pictures lavc really has (never evicting a live
 * one).  A picture whose samples may differ from the stream's is marked
 * tainted: its CAPTURE buffer was overwritten for a later job while lavc
 * still used it, or its backend says so (a picture lavc invented, one
 * answered CORRUPT).  A picture's decode error flags (concealment, missing
 * slices) and a tainted reference make a job CORRUPT.
 *
 * Driven by one thread, the decoder's.  With frame threads lavc allocates
 * and releases pictures from its own threads, so every entry point takes
 * the layer's lock, and a packet's pictures find their job by the packet's
 * serial (its pts) instead of "the packet being sent".
 */
#ifndef DAEDALUS_LAVC_PICTURE_H
#define DAEDALUS_LAVC_PICTURE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "lavc.h"

#define DD_LAVC_POOL_MAX	8
/* Packets expected at once by serial: the jobs held and a no-op. */
#define DD_LAVC_EXPECT_MAX	8

struct dd_lavc_pictures;

/* One picture lavc allocated through get_buffer2. */
struct dd_lavc_pic {
	struct dd_lavc_pictures *owner;
	struct dd_lavc_pic *next;	/* owner->live */
	AVFrame *frame;			/* lavc's frame: decode_error_flags */
	struct dd_bufmap *map;		/* CAPTURE buffer holding the luma, or NULL */
	uint64_t buf_id;		/* its id; 0 with the luma in scratch */
	uint8_t *scratch;		/* chroma, and luma when not in place */
	size_t scratch_size;
	uint8_t *plane[3];
	int linesize[3];
	int width, height;		/* coded size of the picture */
	int depth;			/* bits per sample: 8 or 10 */
	int gray;			/* no chroma planes (4:0:0) */
	uint64_t ts;			/* the job it was decoded for, if has_ts */
	int has_ts;
	uint64_t packet;		/* owner->packets when allocated */
	int tainted;			/* its samples may be wrong */
	int error_flags;		/* lavc's decode_error_flags */
	unsigned int bufs;		/* AVBufferRefs lavc holds */
	unsigned int pinned;		/* holders other than lavc (jobs not answered) */
};

/* A packet sent by serial (dd_lavc_pictures_expect()). */
struct dd_lavc_expect {
	int64_t serial;			/* the packet's pts */
	const struct dd_job *job;	/* whose CAPTURE buffer it may decode into */
	struct dd_lavc_pic *pic;	/* its first picture, pinned; NULL yet */
	int used;
};

struct dd_lavc_pictures {
	const struct dd_lavc *av;
	pthread_mutex_t lock;		/* recursive: lavc frees from within calls */
	struct dd_lavc_pic *live;	/* pictures lavc holds (or pinned) */
	uint64_t overwrites;		/* held pictures whose buffer was overwritten */

	uint64_t packets;		/* packets begun */
	uint64_t restart_packet;	/* nothing predicts from before it */

	/* Per packet, between begin and end. */
	const struct dd_job *job;
	unsigned int calls;		/* get_buffer2 calls */
	unsigned int target_call;	/* the call that decodes the job's picture */
	int capture_given;		/* the CAPTURE buffer went to a call */
	struct dd_lavc_pic *last;	/* newest picture of the packet, pinned */

	/* Packets sent by serial: their pictures found by frame->pts. */
	struct dd_lavc_expect expect[DD_LAVC_EXPECT_MAX];
	int by_serial;

	/* Free scratch blocks, cleared when first allocated; oldest first. */
	uint8_t *pool[DD_LAVC_POOL_MAX];
	size_t pool_size[DD_LAVC_POOL_MAX];
	unsigned int pool_n;
};

/*
 * Installs the layer as @avctx's get_buffer2 (uses avctx->opaque).
 * Returns 0, or -ENOMEM (no lock).
 */
int dd_lavc_pictures_init(struct dd_lavc_pictures *lp, const struct dd_lavc *av,
			  AVCodecContext *avctx);
/* Frees the pool; after avcodec_free_context() released every picture. */
void dd_lavc_pictures_fini(struct dd_lavc_pictures *lp);

/*
 * Packets by serial (frame threads): the packet whose pts is @serial
 * decodes @job's picture (NULL: a packet of no job, its pictures in
 * scratch memory).  Its first picture may go into the job's CAPTURE buffer
 * and is pinned for dd_lavc_pictures_claim().  0, or -ENOSPC when
 * DD_LAVC_EXPECT_MAX packets are expected.
 */
int dd_lavc_pictures_expect(struct dd_lavc_pictures *lp, int64_t serial,
			    const struct dd_job *job);
/*
 * The packet @serial is decoded: its picture, pinned (dd_lavc_pictures_unpin()),
 * or NULL if lavc allocated none.  It is expected no more.
 */
struct dd_lavc_pic *dd_lavc_pictures_claim(struct dd_lavc_pictures *lp,
					   int64_t serial);
/* The live picture @frame (an output of lavc) shows, pinned; or NULL. */
struct dd_lavc_pic *dd_lavc_pictures_shown(struct dd_lavc_pictures *lp,
					   const AVFrame *frame);
void dd_lavc_pictures_unpin(struct dd_lavc_pictures *lp, struct dd_lavc_pic *pic);
/* @pic's samples are right as far as the layer knows: a usable reference. */
int dd_lavc_pic_intact(const struct dd_lavc_pic *pic);

/*
 * Before avcodec_send_packet(): get_buffer2 call number @target_call (0:
 * the first) decodes @job's picture and may get its CAPTURE buffer.
 */
void dd_lavc_pictures_begin(struct dd_lavc_pictures *lp, const struct dd_job *job,
			    unsigned int target_call);
/*
 * Right after avcodec_send_packet(), before draining frames: the newest
 * picture of the packet (pinned until dd_lavc_pictures_done()), or NULL.
 * Picks up its decode error flags.
 */
struct dd_lavc_pic *dd_lavc_pictures_end(struct dd_lavc_pictures *lp);
/*
 * @pic (found by timestamp) is the job's picture though the packet
 * allocated none (a second field): pinned like one, its error flags read.
 */
void dd_lavc_pictures_hold(struct dd_lavc_pictures *lp, struct dd_lavc_pic *pic);
/* A frame lavc output: its error flags go to the picture it shows. */
void dd_lavc_pictures_note_output(struct dd_lavc_pictures *lp,
				  const AVFrame *frame);
/* The job is answered: unpins its picture (lavc may have released it). */
void dd_lavc_pictures_done(struct dd_lavc_pictures *lp);

/* The live picture decoded for the job with timestamp @ts, or NULL. */
struct dd_lavc_pic *dd_lavc_pictures_find(struct dd_lavc_pictures *lp,
					  uint64_t ts);
/* A live, untainted picture for @ts: a usable reference. */
int dd_lavc_pictures_has_ref(struct dd_lavc_pictures *lp, uint64_t ts);

/*
 * lavc holds a tainted picture: whatever it predicts now may read it, even
 * where the client names no such reference.  A picture predicted then is
 * to be tainted in turn (its backend answers it CORRUPT).
 */
int dd_lavc_pictures_tainted(struct dd_lavc_pictures *lp);
/*
 * Taints the pictures of the last packet other than the job's (H.264: the
 * frames lavc invents for a frame_num gap).
 */
void dd_lavc_pictures_taint_extra(struct dd_lavc_pictures *lp);
/*
 * The last packet's picture starts afresh (an H.264 IDR): nothing later
 * predicts from an earlier picture, tainted or not, though lavc may still
 * hold some for output.
 */
void dd_lavc_pictures_restart(struct dd_lavc_pictures *lp);

/* @pic is what decoding the job with timestamp @ts produced. */
void dd_lavc_pic_set_ts(struct dd_lavc_pic *pic, uint64_t ts);

/*
 * Writes @pic into @dst: luma unless decoded there in place, chroma unless
 * decoded there too (YUV420; interleaved for NV12, or neutral for 4:0:0).
 * Pictures lavc holds in the same CAPTURE buffer are tainted.  Returns the
 * bytes written, or -1 when @pic does not fit @dst's format (nothing
 * written).
 */
long dd_lavc_pic_output(struct dd_lavc_pictures *lp, const struct dd_lavc_pic *pic,
			const struct dd_picture *dst);

#endif /* DAEDALUS_LAVC_PICTURE_H */
