/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libavcodec's frame threads driven one job at a time (VP9).
 *
 * With T frame threads lavc decodes T packets at once, and
 * avcodec_send_packet() first waits for the thread of the packet sent T
 * packets earlier: a packet is decoded ("retired") once T - 1 packets
 * followed it and lavc's output was drained.  Packets carry a serial as
 * pts; a packet's pictures find their job by it (lavc_picture.h) and its
 * output is matched by it.  lavc's own flush (end of stream, then
 * avcodec_flush_buffers()) drops every reference, so a backend pushes its
 * oldest job out with packets that change nothing instead (VP9: a
 * show_existing_frame of a filled slot), dropped here as outputs of no
 * job.  An error lavc reports belongs to the packet retired with it.
 */
#ifndef DAEDALUS_LAVC_FRAMES_H
#define DAEDALUS_LAVC_FRAMES_H

#include "lavc_decoder.h"

/* Packets in flight at most: the jobs held, and the packets after them. */
#define DD_LAVC_FRAMES_MAX	DD_LAVC_EXPECT_MAX

struct dd_lavc_frames_entry {
	int64_t serial;
	int error;		/* lavc reported an error when it retired */
	int keep;		/* its output is kept for the backend */
	AVFrame *out;		/* its output frame, if kept */
};

struct dd_lavc_frames {
	struct dd_lavc_decoder *d;
	unsigned int threads;		/* T: lavc's frame threads, or 1 */
	int64_t next_serial;
	int64_t retired;		/* every packet before it is decoded */
	unsigned int warm;		/* packets sent since lavc (re)started */
	struct dd_lavc_frames_entry ring[DD_LAVC_FRAMES_MAX];
	unsigned int first, count;
};

/* The outcome of one retired packet (dd_lavc_frames_take()). */
struct dd_lavc_frames_outcome {
	int error;			/* lavc reported an error for it */
	struct dd_lavc_pic *pic;	/* the picture it decoded, pinned, or NULL */
	AVFrame *out;			/* its output, if kept and output */
};

/* @d is open (dd_lavc_decoder_open()); 0 or -ENOMEM. */
int dd_lavc_frames_init(struct dd_lavc_frames *f, struct dd_lavc_decoder *d);
void dd_lavc_frames_fini(struct dd_lavc_frames *f);

/* No packet fits in flight now: the caller retires one first. */
int dd_lavc_frames_full(const struct dd_lavc_frames *f);
/*
 * Sends the decoder's packet (dd_lavc_packet_append()) as one decoding
 * @job's picture (NULL: a packet of no job) and drains lavc's output.
 * @keep: its output frame is kept for dd_lavc_frames_take().  Returns the
 * packet's serial, or -EIO (no room: the caller's bug, or an empty packet).
 */
int64_t dd_lavc_frames_send(struct dd_lavc_frames *f, const struct dd_job *job,
			    int keep);
/* The packet @serial is decoded. */
int dd_lavc_frames_retired(const struct dd_lavc_frames *f, int64_t serial);
/*
 * Retires everything in flight with lavc's own flush, which drops every
 * reference lavc holds: only for a decoder that holds none.  0 or -ENOMEM.
 */
int dd_lavc_frames_flush(struct dd_lavc_frames *f);
/*
 * Takes the outcome of the retired packet @serial, forgetting the packets
 * of no job before it.  Returns 0, or -EIO if @serial is not the oldest
 * packet in flight or not retired.  dd_lavc_frames_release() gives it
 * back, before the next packet is sent.
 */
int dd_lavc_frames_take(struct dd_lavc_frames *f, int64_t serial,
			struct dd_lavc_frames_outcome *o);
void dd_lavc_frames_release(struct dd_lavc_frames *f,
			    struct dd_lavc_frames_outcome *o);

#endif /* DAEDALUS_LAVC_FRAMES_H */
