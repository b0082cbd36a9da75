/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <string.h>

#include "lavc_frames.h"

/* Receive calls per drain at most: lavc outputs a frame per packet retired. */
#define DRAIN_MAX	(4 * DD_LAVC_FRAMES_MAX)

static struct dd_lavc_frames_entry *entry_at(struct dd_lavc_frames *f,
					     unsigned int i)
{
	return &f->ring[(f->first + i) % DD_LAVC_FRAMES_MAX];
}

static struct dd_lavc_frames_entry *entry_of(struct dd_lavc_frames *f,
					     int64_t serial)
{
	for (unsigned int i = 0; i < f->count; i++)
		if (entry_at(f, i)->serial == serial)
			return entry_at(f, i);
	return NULL;
}

int dd_lavc_frames_init(struct dd_lavc_frames *f, struct dd_lavc_decoder *d)
{
	AVCodecContext *avctx = d->avctx;
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->d = d;
	f->threads = avctx->active_thread_type & FF_THREAD_FRAME &&
		     avctx->thread_count > 1 ? (unsigned int)avctx->thread_count : 1;
	for (i = 0; i < DD_LAVC_FRAMES_MAX; i++) {
		f->ring[i].out = d->av->av_frame_alloc();
		if (!f->ring[i].out) {
			dd_lavc_frames_fini(f);
			return -ENOMEM;
		}
	}
	return 0;
}

void dd_lavc_frames_fini(struct dd_lavc_frames *f)
{
	for (unsigned int i = 0; i < DD_LAVC_FRAMES_MAX; i++)
		f->d->av->av_frame_free(&f->ring[i].out);
}

int dd_lavc_frames_full(const struct dd_lavc_frames *f)
{
	return f->count == DD_LAVC_FRAMES_MAX;
}

/* Takes lavc's output until it has none; an error is @blame's. */
static void drain_output(struct dd_lavc_frames *f,
			 struct dd_lavc_frames_entry *blame)
{
	const struct dd_lavc *av = f->d->av;
	AVFrame *frame = f->d->frame;
	struct dd_lavc_frames_entry *e;

	for (unsigned int i = 0; i < DRAIN_MAX; i++) {
		int ret = av->avcodec_receive_frame(f->d->avctx, frame);

		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return;
		if (ret < 0) {
			/* lavc goes on with the next packet after an error. */
			if (blame)
				blame->error = 1;
			continue;
		}
		e = entry_of(f, frame->pts);
		if (e && e->keep) {
			av->av_frame_unref(e->out);
			av->av_frame_move_ref(e->out, frame);
			continue;
		}
		dd_lavc_pictures_note_output(&f->d->pics, frame);
		av->av_frame_unref(frame);
	}
}

int64_t dd_lavc_frames_send(struct dd_lavc_frames *f, const struct dd_job *job,
			    int keep)
{
	struct dd_lavc_decoder *d = f->d;
	struct dd_lavc_frames_entry *e, *blame = NULL;
	int64_t serial = f->next_serial;
	int ret;

	if (f->count == DD_LAVC_FRAMES_MAX || !d->pkt_len)
		return -EIO;
	if (job && dd_lavc_pictures_expect(&d->pics, serial, job))
		return -EIO;
	e = entry_at(f, f->count++);
	e->serial = serial;
	e->error = 0;
	e->keep = keep;
	d->av->av_frame_unref(e->out);
	f->next_serial++;
	/* The packet lavc retires in this call, T - 1 packets back. */
	if (++f->warm >= f->threads)
		blame = entry_of(f, serial - (int64_t)f->threads + 1);

	d->pkt->data = d->pkt_buf;
	d->pkt->size = (int)d->pkt_len;
	d->pkt->pts = serial;
	ret = d->av->avcodec_send_packet(d->avctx, d->pkt);
	/* lavc took the packet: what it returns is the retired one's error. */
	if (ret < 0)
		(blame ? blame : e)->error = 1;
	drain_output(f, blame ? blame : e);
	if (blame)
		f->retired = blame->serial + 1;
	return serial;
}

int dd_lavc_frames_retired(const struct dd_lavc_frames *f, int64_t serial)
{
	return serial < f->retired;
}

int dd_lavc_frames_flush(struct dd_lavc_frames *f)
{
	struct dd_lavc_decoder *d = f->d;
	struct dd_lavc_frames_entry *blame = NULL;
	unsigned int i;

	/* Which packet an error of the drain is cannot be told: all of them. */
	for (i = 0; i < f->count && !blame; i++)
		if (!dd_lavc_frames_retired(f, entry_at(f, i)->serial))
			blame = entry_at(f, i);
	if (d->av->avcodec_send_packet(d->avctx, NULL) < 0 && blame)
		blame->error = 1;
	drain_output(f, blame);
	if (blame && blame->error)
		for (; i < f->count; i++)
			entry_at(f, i)->error = 1;
	d->av->avcodec_flush_buffers(d->avctx);
	f->retired = f->next_serial;
	f->warm = 0;
	return 0;
}

int dd_lavc_frames_take(struct dd_lavc_frames *f, int64_t serial,
			struct dd_lavc_frames_outcome *o)
{
	struct dd_lavc_frames_entry *e;

	memset(o, 0, sizeof(*o));
	while (f->count && entry_at(f, 0)->serial < serial &&
	       dd_lavc_frames_retired(f, entry_at(f, 0)->serial)) {
		f->d->av->av_frame_unref(entry_at(f, 0)->out);
		f->first = (f->first + 1) % DD_LAVC_FRAMES_MAX;
		f->count--;
	}
	e = f->count ? entry_at(f, 0) : NULL;
	if (!e || e->serial != serial || !dd_lavc_frames_retired(f, serial))
		return -EIO;
	o->error = e->error;
	o->pic = dd_lavc_pictures_claim(&f->d->pics, serial);
	/* The ring slot's own frame: released before the slot is used again. */
	o->out = e->out->buf[0] ? e->out : NULL;
	f->first = (f->first + 1) % DD_LAVC_FRAMES_MAX;
	f->count--;
	return 0;
}

void dd_lavc_frames_release(struct dd_lavc_frames *f,
			    struct dd_lavc_frames_outcome *o)
{
	if (o->pic)
		dd_lavc_pictures_unpin(&f->d->pics, o->pic);
	if (o->out)
		f->d->av->av_frame_unref(o->out);
	memset(o, 0, sizeof(*o));
}
