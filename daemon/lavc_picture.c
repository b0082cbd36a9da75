/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include <libavutil/pixfmt.h>

#include "job_check.h"
#include "lavc_picture.h"
#include "pack.h"

#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))
/* Rows of slack after each scratch plane, beyond lavc's own alignment. */
#define SCRATCH_PAD_ROWS	4

/* A cleared block of @size bytes, from the pool when one fits exactly. */
static uint8_t *pool_get(struct dd_lavc_pictures *lp, size_t size)
{
	uint8_t *p;

	for (unsigned int i = lp->pool_n; i-- > 0;) {
		if (lp->pool_size[i] != size)
			continue;
		p = lp->pool[i];
		lp->pool_n--;
		memmove(&lp->pool[i], &lp->pool[i + 1],
			(lp->pool_n - i) * sizeof(lp->pool[0]));
		memmove(&lp->pool_size[i], &lp->pool_size[i + 1],
			(lp->pool_n - i) * sizeof(lp->pool_size[0]));
		return p;
	}
	p = aligned_alloc(64, size);
	if (p)
		memset(p, 0, size);	/* fresh memory never reaches a client */
	return p;
}

/* Keeps @p for reuse; the oldest block makes room when the pool is full. */
static void pool_put(struct dd_lavc_pictures *lp, uint8_t *p, size_t size)
{
	if (lp->pool_n == DD_LAVC_POOL_MAX) {
		free(lp->pool[0]);
		lp->pool_n--;
		memmove(&lp->pool[0], &lp->pool[1], lp->pool_n * sizeof(lp->pool[0]));
		memmove(&lp->pool_size[0], &lp->pool_size[1],
			lp->pool_n * sizeof(lp->pool_size[0]));
	}
	lp->pool[lp->pool_n] = p;
	lp->pool_size[lp->pool_n++] = size;
}

static void pic_free(struct dd_lavc_pic *pic)
{
	struct dd_lavc_pictures *lp = pic->owner;
	struct dd_lavc_pic **p;

	for (p = &lp->live; *p; p = &(*p)->next) {
		if (*p == pic) {
			*p = pic->next;
			break;
		}
	}
	if (pic->map)
		dd_bufmap_unref(pic->map);
	pool_put(lp, pic->scratch, pic->scratch_size);
	free(pic);
}

/* av_buffer_create() free callback: lavc dropped a plane's last reference. */
static void pic_buf_free(void *opaque, uint8_t *data)
{
	struct dd_lavc_pic *pic = opaque;
	struct dd_lavc_pictures *lp = pic->owner;

	(void)data;
	pthread_mutex_lock(&lp->lock);
	if (--pic->bufs == 0 && !pic->pinned)
		pic_free(pic);
	pthread_mutex_unlock(&lp->lock);
}

static void unpin(struct dd_lavc_pic *pic)
{
	if (--pic->pinned == 0 && !pic->bufs)
		pic_free(pic);
}

static int buffer_held(const struct dd_lavc_pictures *lp, uint64_t buf_id)
{
	const struct dd_lavc_pic *pic;

	for (pic = lp->live; pic; pic = pic->next)
		if (pic->buf_id == buf_id)
			return 1;
	return 0;
}

/* Gives @pic the strides of the pictures lavc holds like it; 0 if none. */
static int held_strides(const struct dd_lavc_pictures *lp,
			struct dd_lavc_pic *pic)
{
	const struct dd_lavc_pic *p;

	for (p = lp->live; p; p = p->next)
		if (p->width == pic->width && p->height == pic->height &&
		    p->depth == pic->depth && p->gray == pic->gray) {
			memcpy(pic->linesize, p->linesize, sizeof(pic->linesize));
			return 1;
		}
	return 0;
}

/*
 * In place needs an NV12 buffer (the luma) or a YUV420 one (every plane)
 * that holds the decoder's whole macroblock rows and columns (16 samples;
 * its over-reads beyond them land in the next plane and the spare bytes
 * after the last) and is aligned as lavc's SIMD stores need, every plane:
 * the data starts at the client-controlled picture offset, which may be
 * odd, and YUV420's chroma stride is half of bytesperline.
 */
static int capture_fits(const struct dd_picture *pic, int width, int height)
{
	const struct daedalus_picture_format *f = pic->format;
	int planar = f->pixelformat == V4L2_PIX_FMT_YUV420;

	return (f->pixelformat == V4L2_PIX_FMT_NV12 || planar) &&
	       (uintptr_t)pic->data % 64 == 0 &&
	       (uint32_t)ALIGN(width, 16) <= f->bytesperline &&
	       (uint32_t)ALIGN(height, 16) <= f->height &&
	       f->bytesperline % (planar ? 128 : 64) == 0 &&
	       (size_t)f->bytesperline * f->height * 3 / 2 <= pic->size;
}

/* Every plane of the picture goes into the CAPTURE buffer, not only luma. */
static int capture_planar(const struct dd_picture *pic)
{
	return pic->format->pixelformat == V4L2_PIX_FMT_YUV420;
}

static int pic_format(struct dd_lavc_pic *pic, int format)
{
	switch (format) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
		pic->depth = 8;
		return 0;
	case AV_PIX_FMT_YUV420P10:
		pic->depth = 10;
		return 0;
	case AV_PIX_FMT_GRAY8:
		pic->depth = 8;
		pic->gray = 1;
		return 0;
	case AV_PIX_FMT_GRAY10:
		pic->depth = 10;
		pic->gray = 1;
		return 0;
	default:
		return -1;	/* 4:2:2, 4:4:4, > 10 bits */
	}
}

/* Wraps @size bytes at @data as a plane reference of @pic. */
static AVBufferRef *pic_buf(struct dd_lavc_pic *pic, uint8_t *data, size_t size)
{
	AVBufferRef *ref = pic->owner->av->av_buffer_create(data, size,
							     pic_buf_free, pic, 0);

	if (ref)
		pic->bufs++;
	return ref;
}

/* @frame still shows @pic (lavc reuses its frame structures). */
static int frame_shows(const AVFrame *frame, const struct dd_lavc_pic *pic)
{
	return frame && frame->buf[0] && frame->buf[0]->data == pic->plane[0];
}

static struct dd_lavc_expect *expect_find(struct dd_lavc_pictures *lp,
					  int64_t serial)
{
	for (unsigned int i = 0; i < DD_LAVC_EXPECT_MAX; i++)
		if (lp->expect[i].used && lp->expect[i].serial == serial)
			return &lp->expect[i];
	return NULL;
}

static int get_buffer_locked(struct dd_lavc_pictures *lp, AVCodecContext *avctx,
			     AVFrame *frame)
{
	struct dd_lavc_expect *e = lp->by_serial ? expect_find(lp, frame->pts) : NULL;
	const struct dd_job *job = lp->by_serial ? (e ? e->job : NULL) : lp->job;
	struct dd_lavc_pic *pic;
	int aw = frame->width, ah = frame->height, align[AV_NUM_DATA_POINTERS];
	int bps, fits, in_place, planar, crows, target, i;
	size_t lsize, csize;
	unsigned int call = lp->calls++;

	/* The picture that decodes the job's, first of its packet. */
	target = lp->by_serial ? e && !e->pic :
		 !lp->capture_given && call == lp->target_call;
	pic = calloc(1, sizeof(*pic));
	if (!pic)
		return AVERROR(ENOMEM);
	pic->owner = lp;
	pic->packet = lp->packets;
	pic->frame = frame;
	pic->width = frame->width;
	pic->height = frame->height;
	if (pic_format(pic, frame->format)) {
		free(pic);
		return AVERROR(ENOSYS);
	}
	bps = pic->depth > 8 ? 2 : 1;
	/* lavc's own requirement for the planes of this codec and format. */
	lp->av->avcodec_align_dimensions2(avctx, &aw, &ah, align);

	/*
	 * lavc's H.264 motion compensation addresses reference pictures with
	 * the current picture's linesize: every picture of a stream gets the
	 * same strides, in place or not.  So scratch planes use the CAPTURE
	 * strides too whenever pictures can be in place (8-bit into NV12: the
	 * luma; into YUV420: every plane), and a picture like those lavc
	 * holds keeps their strides (a client changing bytesperline or the
	 * format mid-stream decodes into scratch until the next restart).
	 */
	fits = job && pic->depth == 8 && !pic->gray &&
	       capture_fits(&job->picture, pic->width, pic->height);
	planar = fits && capture_planar(&job->picture);
	pic->linesize[0] = fits ? (int)job->picture.format->bytesperline :
			   ALIGN(aw * bps, 64);
	pic->linesize[1] = pic->linesize[2] = planar ? pic->linesize[0] / 2 :
					      ALIGN((aw + 1) / 2 * bps, 64);
	held_strides(lp, pic);

	/*
	 * The job's buffer goes to the call that decodes the job's picture,
	 * and never while lavc still holds that buffer as an earlier picture
	 * (it may be a reference).
	 */
	in_place = fits && job->picture.map && target &&
		   (uint32_t)pic->linesize[0] == job->picture.format->bytesperline &&
		   (!planar || pic->linesize[1] == pic->linesize[0] / 2) &&
		   !buffer_held(lp, job->picture.buf_id);
	planar = in_place && planar;

	crows = (ah + 1) / 2 + SCRATCH_PAD_ROWS;
	csize = pic->gray || planar ? 0 : (size_t)pic->linesize[1] * crows;
	lsize = in_place ? 0 : (size_t)pic->linesize[0] * (ah + SCRATCH_PAD_ROWS);
	pic->scratch_size = ALIGN(lsize + 2 * csize + 64, 64);
	pic->scratch = pool_get(lp, pic->scratch_size);
	if (!pic->scratch) {
		free(pic);
		return AVERROR(ENOMEM);
	}
	pic->plane[0] = in_place ? job->picture.data : pic->scratch;
	for (i = 0; i < 2 && !pic->gray; i++)
		pic->plane[1 + i] = planar ?
			job->picture.data +
			dd_picture_chroma(job->picture.format, i).offset :
			pic->scratch + lsize + i * csize;

	/* Every plane is covered by a buffer reference (get_buffer2's contract). */
	pic->next = lp->live;
	lp->live = pic;
	if (in_place) {
		pic->map = job->picture.map;
		dd_bufmap_ref(pic->map);
		pic->buf_id = job->picture.buf_id;
		lp->capture_given = 1;
		/* YUV420: Cb and Cr follow the luma in the same buffer. */
		frame->buf[0] = pic_buf(pic, pic->plane[0],
					(size_t)pic->linesize[0] *
					(planar ? job->picture.format->height * 3 / 2 :
					 (unsigned int)pic->height));
		frame->buf[1] = frame->buf[0] && csize ?
				pic_buf(pic, pic->scratch, pic->scratch_size) : NULL;
	} else {
		frame->buf[0] = pic_buf(pic, pic->scratch, pic->scratch_size);
		frame->buf[1] = NULL;
	}
	if (!frame->buf[0] || (in_place && csize && !frame->buf[1])) {
		pic->pinned++;	/* freed below, once */
		lp->av->av_buffer_unref(&frame->buf[0]);
		unpin(pic);
		return AVERROR(ENOMEM);
	}
	for (i = 0; i < 3; i++) {
		frame->data[i] = pic->plane[i];
		frame->linesize[i] = pic->plane[i] ? pic->linesize[i] : 0;
	}
	frame->extended_data = frame->data;

	/* The job's picture is kept until answered. */
	if (lp->by_serial) {
		if (target) {
			pic->pinned++;
			e->pic = pic;
		}
		return 0;
	}
	/* The newest picture of the packet is the job's. */
	if (lp->last)
		unpin(lp->last);
	pic->pinned++;
	lp->last = pic;
	return 0;
}

static int get_buffer(AVCodecContext *avctx, AVFrame *frame, int flags)
{
	struct dd_lavc_pictures *lp = avctx->opaque;
	int ret;

	(void)flags;
	pthread_mutex_lock(&lp->lock);
	ret = get_buffer_locked(lp, avctx, frame);
	pthread_mutex_unlock(&lp->lock);
	return ret;
}

int dd_lavc_pictures_init(struct dd_lavc_pictures *lp, const struct dd_lavc *av,
			  AVCodecContext *avctx)
{
	pthread_mutexattr_t attr;
	int ret;

	memset(lp, 0, sizeof(*lp));
	if (pthread_mutexattr_init(&attr))
		return -ENOMEM;
	ret = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) ||
	      pthread_mutex_init(&lp->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (ret)
		return -ENOMEM;
	lp->av = av;
	avctx->opaque = lp;
	avctx->get_buffer2 = get_buffer;
	return 0;
}

void dd_lavc_pictures_fini(struct dd_lavc_pictures *lp)
{
	if (lp->last)
		unpin(lp->last);
	lp->last = NULL;
	for (unsigned int i = 0; i < DD_LAVC_EXPECT_MAX; i++)
		if (lp->expect[i].used && lp->expect[i].pic)
			unpin(lp->expect[i].pic);
	while (lp->pool_n)
		free(lp->pool[--lp->pool_n]);
	pthread_mutex_destroy(&lp->lock);
}

int dd_lavc_pictures_expect(struct dd_lavc_pictures *lp, int64_t serial,
			    const struct dd_job *job)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&lp->lock);
	lp->by_serial = 1;
	for (unsigned int i = 0; i < DD_LAVC_EXPECT_MAX; i++) {
		if (lp->expect[i].used)
			continue;
		lp->expect[i] = (struct dd_lavc_expect){
			.serial = serial, .job = job, .used = 1,
		};
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&lp->lock);
	return ret;
}

struct dd_lavc_pic *dd_lavc_pictures_claim(struct dd_lavc_pictures *lp,
					   int64_t serial)
{
	struct dd_lavc_expect *e;
	struct dd_lavc_pic *pic = NULL;

	pthread_mutex_lock(&lp->lock);
	e = expect_find(lp, serial);
	if (e) {
		pic = e->pic;
		e->used = 0;
		if (pic && pic->bufs && frame_shows(pic->frame, pic))
			pic->error_flags |= pic->frame->decode_error_flags;
	}
	pthread_mutex_unlock(&lp->lock);
	return pic;
}

void dd_lavc_pictures_begin(struct dd_lavc_pictures *lp, const struct dd_job *job,
			    unsigned int target_call)
{
	pthread_mutex_lock(&lp->lock);
	dd_lavc_pictures_done(lp);
	lp->packets++;
	lp->job = job;
	lp->calls = 0;
	lp->target_call = target_call;
	lp->capture_given = 0;
	pthread_mutex_unlock(&lp->lock);
}

struct dd_lavc_pic *dd_lavc_pictures_end(struct dd_lavc_pictures *lp)
{
	struct dd_lavc_pic *pic;

	pthread_mutex_lock(&lp->lock);
	pic = lp->last;
	lp->job = NULL;
	if (pic && pic->bufs && frame_shows(pic->frame, pic))
		pic->error_flags |= pic->frame->decode_error_flags;
	pthread_mutex_unlock(&lp->lock);
	return pic;
}

void dd_lavc_pictures_hold(struct dd_lavc_pictures *lp, struct dd_lavc_pic *pic)
{
	pthread_mutex_lock(&lp->lock);
	dd_lavc_pictures_done(lp);
	pic->pinned++;
	lp->last = pic;
	if (frame_shows(pic->frame, pic))
		pic->error_flags |= pic->frame->decode_error_flags;
	pthread_mutex_unlock(&lp->lock);
}

void dd_lavc_pictures_note_output(struct dd_lavc_pictures *lp,
				  const AVFrame *frame)
{
	struct dd_lavc_pic *pic;

	pthread_mutex_lock(&lp->lock);
	for (pic = lp->live; pic; pic = pic->next)
		if (frame_shows(frame, pic))
			pic->error_flags |= frame->decode_error_flags;
	pthread_mutex_unlock(&lp->lock);
}

void dd_lavc_pictures_done(struct dd_lavc_pictures *lp)
{
	pthread_mutex_lock(&lp->lock);
	if (lp->last)
		unpin(lp->last);
	lp->last = NULL;
	pthread_mutex_unlock(&lp->lock);
}

struct dd_lavc_pic *dd_lavc_pictures_shown(struct dd_lavc_pictures *lp,
					   const AVFrame *frame)
{
	struct dd_lavc_pic *pic;

	pthread_mutex_lock(&lp->lock);
	for (pic = lp->live; pic; pic = pic->next)
		if (frame_shows(frame, pic))
			break;
	if (pic) {
		pic->pinned++;
		pic->error_flags |= frame->decode_error_flags;
	}
	pthread_mutex_unlock(&lp->lock);
	return pic;
}

void dd_lavc_pictures_unpin(struct dd_lavc_pictures *lp, struct dd_lavc_pic *pic)
{
	pthread_mutex_lock(&lp->lock);
	unpin(pic);
	pthread_mutex_unlock(&lp->lock);
}

int dd_lavc_pic_intact(const struct dd_lavc_pic *pic)
{
	return !pic->tainted && !pic->error_flags;
}

struct dd_lavc_pic *dd_lavc_pictures_find(struct dd_lavc_pictures *lp,
					  uint64_t ts)
{
	struct dd_lavc_pic *pic;

	pthread_mutex_lock(&lp->lock);
	for (pic = lp->live; pic; pic = pic->next)
		if (pic->has_ts && pic->ts == ts)
			break;
	pthread_mutex_unlock(&lp->lock);
	return pic;
}

int dd_lavc_pictures_has_ref(struct dd_lavc_pictures *lp, uint64_t ts)
{
	const struct dd_lavc_pic *pic;
	int ret;

	pthread_mutex_lock(&lp->lock);
	pic = dd_lavc_pictures_find(lp, ts);
	ret = pic && pic->bufs && dd_lavc_pic_intact(pic);
	pthread_mutex_unlock(&lp->lock);
	return ret;
}

int dd_lavc_pictures_tainted(struct dd_lavc_pictures *lp)
{
	const struct dd_lavc_pic *pic;

	pthread_mutex_lock(&lp->lock);
	for (pic = lp->live; pic; pic = pic->next)
		if (pic->bufs && pic->tainted && pic->packet >= lp->restart_packet)
			break;
	pthread_mutex_unlock(&lp->lock);
	return pic != NULL;
}

void dd_lavc_pictures_taint_extra(struct dd_lavc_pictures *lp)
{
	struct dd_lavc_pic *pic;

	pthread_mutex_lock(&lp->lock);
	for (pic = lp->live; pic; pic = pic->next)
		if (pic->packet == lp->packets && pic != lp->last)
			pic->tainted = 1;
	pthread_mutex_unlock(&lp->lock);
}

void dd_lavc_pictures_restart(struct dd_lavc_pictures *lp)
{
	lp->restart_packet = lp->packets;
}

void dd_lavc_pic_set_ts(struct dd_lavc_pic *pic, uint64_t ts)
{
	struct dd_lavc_pictures *lp = pic->owner;
	struct dd_lavc_pic *p;

	/* A timestamp names one picture: an older one loses it. */
	pthread_mutex_lock(&lp->lock);
	for (p = lp->live; p; p = p->next)
		if (p != pic && p->has_ts && p->ts == ts)
			p->has_ts = 0;
	pic->ts = ts;
	pic->has_ts = 1;
	pthread_mutex_unlock(&lp->lock);
}

long dd_lavc_pic_output(struct dd_lavc_pictures *lp, const struct dd_lavc_pic *pic,
			const struct dd_picture *dst)
{
	const struct dd_planar planar = {
		.plane = {
			{ pic->plane[0], pic->linesize[0] },
			{ pic->plane[1], pic->linesize[1] },
			{ pic->plane[2], pic->linesize[2] },
		},
		.width = (unsigned int)pic->width,
		.height = (unsigned int)pic->height,
		.depth = (unsigned int)pic->depth,
		.gray = pic->gray,
	};
	int in_place = pic->plane[0] == dst->data;
	struct dd_lavc_pic *p;

	if (!dd_pack_fits(&planar, dst->format, dst->size))
		return -1;
	if (!in_place) {	/* lavc may still predict from what this buffer held. */
		pthread_mutex_lock(&lp->lock);
		for (p = lp->live; p; p = p->next) {
			if (p != pic && p->buf_id == dst->buf_id) {
				p->tainted = 1;
				lp->overwrites++;
			}
		}
		pthread_mutex_unlock(&lp->lock);
	}
	if (in_place && capture_planar(dst))
		return 0;	/* every plane decoded where it belongs */
	return (long)dd_pack_picture(dst->data, dst->format, &planar, in_place);
}
