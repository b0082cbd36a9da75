/* SPDX-License-Identifier: BSD-2-Clause */
#include "av1_picture.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "job_check.h"

#define ALIGN_UP(x, a)	(((x) + (a) - 1) / (a) * (a))

/* One picture dav1d allocated: its allocator_data. */
struct av1_pic {
	struct av1_pic *next;		/* pics->live */
	struct dd_bufmap *map;		/* the CAPTURE buffer it is in, or NULL */
	void *own;			/* else its memory */
	uint64_t ts;			/* the job it was allocated for */
	int overwritten;		/* its buffer was given a later picture */
};

struct dd_av1_pictures {
	pthread_mutex_t lock;		/* protects live and its pictures */
	struct av1_pic *live;		/* allocated, not yet released */
	/*
	 * Where the next picture dav1d allocates goes (.data NULL: none, or
	 * already used), and the job it is for; only the decoder's thread
	 * touches these.  One for the frame being fed, one for the film
	 * grain picture of the job being output.
	 */
	struct dd_picture target, output_target;
	uint64_t ts, output_ts;
	int output;			/* in dav1d_get_picture() */
};

struct dd_av1_pictures *dd_av1_pictures_new(void)
{
	struct dd_av1_pictures *pics = calloc(1, sizeof(*pics));

	if (pics)
		pthread_mutex_init(&pics->lock, NULL);
	return pics;
}

void dd_av1_pictures_free(struct dd_av1_pictures *pics)
{
	if (!pics)
		return;
	pthread_mutex_destroy(&pics->lock);
	free(pics);
}

/*
 * Whether @pic fits @t as dav1d asks of an allocator (dav1d/picture.h):
 * 64-byte aligned planes, width and height multiples of 128 within them,
 * U and V sharing a stride, 64 bytes of padding.  Into YUV420 every plane,
 * into NV12 the luma plane (the chroma one is interleaved).
 */
static int fits(const Dav1dPicture *pic, const struct dd_picture *t)
{
	const struct daedalus_picture_format *f = t->format;
	size_t w = ALIGN_UP((size_t)pic->p.w, 128), h = ALIGN_UP((size_t)pic->p.h, 128);

	return pic->p.bpc == 8 && pic->p.layout == DAV1D_PIXEL_LAYOUT_I420 &&
	       (f->pixelformat == V4L2_PIX_FMT_YUV420 ||
		f->pixelformat == V4L2_PIX_FMT_NV12) &&
	       !((uintptr_t)t->data % DAV1D_PICTURE_ALIGNMENT) &&
	       f->bytesperline % (2 * DAV1D_PICTURE_ALIGNMENT) == 0 &&
	       w <= f->bytesperline && h <= f->height &&
	       (size_t)f->bytesperline * f->height * 3 / 2 + DAV1D_PICTURE_ALIGNMENT <= t->size;
}

/*
 * The picture's planes in memory of its own, laid out as dav1d's default
 * allocator does; its chroma planes only when @luma_given (pic->data[0]
 * set already).
 */
static int alloc_own(Dav1dPicture *pic, struct av1_pic *p, int luma_given)
{
	int hbd = pic->p.bpc > 8, ver = pic->p.layout == DAV1D_PIXEL_LAYOUT_I420;
	int hor = pic->p.layout != DAV1D_PIXEL_LAYOUT_I444;
	size_t h = ALIGN_UP((size_t)pic->p.h, 128);
	size_t ys = ALIGN_UP((size_t)pic->p.w, 128) << hbd;
	size_t uvs = pic->p.layout == DAV1D_PIXEL_LAYOUT_I400 ? 0 : ys >> hor;
	size_t ysz = luma_given ? 0 : ys * h, uvsz = uvs * (h >> ver);
	uint8_t *mem;

	if (posix_memalign((void **)&mem, DAV1D_PICTURE_ALIGNMENT,
			   ysz + 2 * uvsz + DAV1D_PICTURE_ALIGNMENT))
		return DAV1D_ERR(ENOMEM);
	p->own = mem;
	if (!luma_given) {
		pic->data[0] = mem;
		pic->stride[0] = (ptrdiff_t)ys;
	}
	pic->data[1] = uvs ? mem + ysz : NULL;
	pic->data[2] = uvs ? mem + ysz + uvsz : NULL;
	pic->stride[1] = (ptrdiff_t)uvs;
	return 0;
}

static int av1_alloc(Dav1dPicture *pic, void *cookie)
{
	struct dd_av1_pictures *pics = cookie;
	struct dd_picture *t = pics->output ? &pics->output_target : &pics->target;
	/* With grain, the frame's own picture is the clean reference. */
	int grain = pic->frame_hdr && pic->frame_hdr->film_grain.present;
	struct av1_pic *p = calloc(1, sizeof(*p));

	if (!p)
		return DAV1D_ERR(ENOMEM);
	p->ts = pics->output ? pics->output_ts : pics->ts;
	if (t->data && (!grain || pics->output) && fits(pic, t)) {
		const struct daedalus_picture_format *f = t->format;

		pic->data[0] = t->data;
		pic->stride[0] = (ptrdiff_t)f->bytesperline;
		if (f->pixelformat == V4L2_PIX_FMT_YUV420) {
			pic->data[1] = t->data + dd_picture_chroma(f, 0).offset;
			pic->data[2] = t->data + dd_picture_chroma(f, 1).offset;
			pic->stride[1] = (ptrdiff_t)dd_picture_chroma(f, 0).stride;
		} else if (alloc_own(pic, p, 1)) {
			free(p);
			return DAV1D_ERR(ENOMEM);
		}
		p->map = t->map;
		dd_bufmap_ref(p->map);
		t->data = NULL;		/* one picture per buffer */
	} else if (alloc_own(pic, p, 0)) {
		free(p);
		return DAV1D_ERR(ENOMEM);
	}
	pic->allocator_data = p;
	pthread_mutex_lock(&pics->lock);
	p->next = pics->live;
	pics->live = p;
	pthread_mutex_unlock(&pics->lock);
	return 0;
}

static void av1_release(Dav1dPicture *pic, void *cookie)
{
	struct dd_av1_pictures *pics = cookie;
	struct av1_pic *p = pic->allocator_data, **pp;

	pthread_mutex_lock(&pics->lock);
	for (pp = &pics->live; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	pthread_mutex_unlock(&pics->lock);
	dd_bufmap_unref(p->map);
	free(p->own);
	free(p);
}

void dd_av1_pictures_use(struct dd_av1_pictures *pics, Dav1dSettings *s)
{
	s->allocator.cookie = pics;
	s->allocator.alloc_picture_callback = av1_alloc;
	s->allocator.release_picture_callback = av1_release;
}

int dd_av1_pictures_target(struct dd_av1_pictures *pics,
			   const struct dd_picture *target, uint64_t ts)
{
	int held = 0;

	pics->ts = ts;
	memset(&pics->target, 0, sizeof(pics->target));
	if (!target)
		return 0;
	pthread_mutex_lock(&pics->lock);
	for (struct av1_pic *p = pics->live; p; p = p->next) {
		if (p->map && p->map == target->map) {
			p->overwritten = 1;
			held = 1;
		}
	}
	pthread_mutex_unlock(&pics->lock);
	/* Decoded apart: its references must stay intact while it decodes. */
	if (!held)
		pics->target = *target;
	return !held;
}

void dd_av1_pictures_output(struct dd_av1_pictures *pics,
			    const struct dd_picture *target, uint64_t ts)
{
	pics->output = !!target;
	pics->output_ts = ts;
	memset(&pics->output_target, 0, sizeof(pics->output_target));
	if (target)
		pics->output_target = *target;
}

int dd_av1_pictures_overwritten(struct dd_av1_pictures *pics, uint64_t ts)
{
	int ret = 0;

	pthread_mutex_lock(&pics->lock);
	for (struct av1_pic *p = pics->live; p; p = p->next)
		if (p->ts == ts && p->overwritten)
			ret = 1;
	pthread_mutex_unlock(&pics->lock);
	return ret;
}
