/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AV1 backend (Main profile: 4:2:0 or monochrome, 8 or 10 bits): dav1d
 * behind the V4L2 stateless AV1 uAPI.  Each job's OBUs are rebuilt from
 * its controls and tile entries (av1_obu.c) and fed to dav1d, one frame
 * per job; the frame dav1d outputs, shown or not (output_invisible_frames:
 * the client references hidden frames later), is the job's CAPTURE buffer
 * with its film grain applied: decoded there where the layout allows
 * (av1_picture.c), else copied there; dav1d keeps the clean references
 * itself.  dav1d's parse of the rebuilt header is compared with the
 * controls (av1_header_check.c).
 *
 * Frame threads: dav1d decodes ceil(sqrt(threads)) frames at once
 * (max_frame_delay), so the decoder holds that many jobs (backend.h's
 * submit/complete).  Their frames come out in the order they were fed;
 * dav1d hands a frame out when a later one needs its slot, or when it is
 * drained, and is then drained of every frame it holds (see drain()).
 *
 * As for VP9, a new stream (STREAMON) resets nothing: the references a
 * client names (reference_frame_ts per slot) show whether dav1d holds them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "av1_header_check.h"
#include "av1_obu.h"
#include "av1_picture.h"
#include "backend.h"
#include "dav1d.h"
#include "log.h"
#include "pack.h"

/* Entries the decoder holds at most: each job, and a catch-up before it. */
#define AV1_MAX_ENTRIES		(2 * DAEDALUS_MAX_DEPTH)
/* Timestamps of jobs that failed after dav1d took them, remembered. */
#define AV1_FAILED_REMEMBERED	8

/* One frame handed to dav1d, or a job answered without it. */
struct av1_entry {
	const struct dd_job *job;	/* NULL: a catch-up, its picture dropped */
	int64_t serial;			/* Dav1dData.m.offset: matches its picture */
	const char *why;		/* set: FAILED for this reason */
	const char *corrupt;		/* set: CORRUPT for this reason */
	int placeable;			/* its output may go in the CAPTURE buffer */
	int fed;			/* dav1d outputs a picture for it */
	int done;			/* pic (or why) is its outcome */
	Dav1dPicture pic;
};

struct av1_dec {
	const struct dd_dav1d *lib;
	Dav1dContext *ctx;
	struct dd_av1_pictures *pics;
	struct dd_av1_slots slots;		/* as of the last job submitted */
	struct v4l2_ctrl_av1_sequence seq;	/* last sent to dav1d */
	int seq_sent;
	unsigned int frames;			/* dav1d's frame threads */
	struct av1_entry entries[AV1_MAX_ENTRIES];	/* ring, oldest first */
	unsigned int first, count;
	int64_t serial;				/* entries made */
	uint64_t failed[AV1_FAILED_REMEMBERED];	/* ring */
	unsigned int failed_next, failed_count;
};

static int av1_open(void **decoder, const struct dd_decoder_config *cfg)
{
	const struct dd_dav1d *lib = dd_dav1d_load();
	struct av1_dec *dec;
	Dav1dSettings s;

	if (!lib)
		return -ENOENT;	/* av1_unavailable() says why */
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		return -ENOMEM;
	dec->lib = lib;
	dec->pics = dd_av1_pictures_new();
	if (!dec->pics) {
		free(dec);
		return -ENOMEM;
	}
	/* Frames decoding at once: the core hands over as many jobs. */
	dec->frames = dd_dav1d_settings(lib, &s, cfg->threads);
	s.output_invisible_frames = 1;
	s.apply_grain = 1;
	s.all_layers = 0;
	dd_av1_pictures_use(dec->pics, &s);
	if (lib->dav1d_open(&dec->ctx, &s) < 0) {
		dd_av1_pictures_free(dec->pics);
		free(dec);
		return -ENOMEM;
	}
	*decoder = dec;
	return 0;
}

static struct av1_entry *entry_at(struct av1_dec *dec, unsigned int i)
{
	return &dec->entries[(dec->first + i) % AV1_MAX_ENTRIES];
}

static void av1_close(void *decoder)
{
	struct av1_dec *dec = decoder;

	for (unsigned int i = 0; i < dec->count; i++)
		if (entry_at(dec, i)->pic.data[0])
			dec->lib->dav1d_picture_unref(&entry_at(dec, i)->pic);
	dec->lib->dav1d_close(&dec->ctx);
	dd_av1_pictures_free(dec->pics);
	free(dec);
}

static unsigned int av1_depth(void *decoder)
{
	const struct av1_dec *dec = decoder;

	return dec->frames;
}

static int failed_before(const struct av1_dec *dec, uint64_t ts)
{
	for (unsigned int i = 0; i < dec->failed_count; i++)
		if (dec->failed[i] == ts)
			return 1;
	return 0;
}

/* Why the references the client names are not what dav1d holds, or NULL. */
static const char *refs_mismatch(const struct av1_dec *dec,
				 const struct v4l2_ctrl_av1_frame *f, int order_hints)
{
	for (unsigned int i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++) {
		unsigned int slot = (unsigned int)f->ref_frame_idx[i];

		if (!dec->slots.valid[slot])
			return "av1: a reference slot this decoder never filled (a stream not begun at a key frame?)";
		if (dec->slots.timestamp[slot] != f->reference_frame_ts[slot] ||
		    (order_hints && dec->slots.order_hint[slot] != f->order_hints[i + 1]))
			return "av1: the client's references are not the frames this decoder holds (seek or dropped jobs?)";
		if (dd_av1_pictures_overwritten(dec->pics, dec->slots.timestamp[slot]))
			return "av1: a reference's CAPTURE buffer was queued again while it was a reference";
		if (failed_before(dec, dec->slots.timestamp[slot]))
			return "av1: a reference failed to decode";
	}
	return NULL;
}

/* A new entry at the end (the core never submits beyond av1_depth()). */
static struct av1_entry *entry_add(struct av1_dec *dec, const struct dd_job *job)
{
	struct av1_entry *e = entry_at(dec, dec->count++);

	memset(e, 0, sizeof(*e));
	e->job = job;
	e->serial = dec->serial++;
	return e;
}

/*
 * One dav1d_get_picture(): its picture is the outcome of the oldest fed
 * entry without one (dav1d outputs in the order it was fed; the serial
 * tells a frame dav1d dropped).  Returns 1 if an entry got an outcome, 0
 * if dav1d had none ready, or -ENOMEM.
 */
static int pull(struct av1_dec *dec)
{
	const struct dd_dav1d *lib = dec->lib;
	struct av1_entry *e = NULL;
	Dav1dPicture pic;
	unsigned int i;
	int ret;

	for (i = 0; i < dec->count; i++) {
		e = entry_at(dec, i);
		if (e->fed && !e->done)
			break;
	}
	if (i == dec->count)
		e = NULL;
	if (e && e->job && e->placeable)
		dd_av1_pictures_output(dec->pics, &e->job->picture,
				       e->job->msg->timestamp);
	memset(&pic, 0, sizeof(pic));
	ret = lib->dav1d_get_picture(dec->ctx, &pic);
	dd_av1_pictures_output(dec->pics, NULL, 0);
	if (ret == DAV1D_ERR(EAGAIN))
		return 0;
	if (ret == DAV1D_ERR(ENOMEM))
		return -ENOMEM;
	if (!e) {
		/* Nothing was fed that it could be: dropped. */
		if (ret >= 0)
			lib->dav1d_picture_unref(&pic);
		return 0;
	}
	if (ret < 0) {
		e->why = "av1: dav1d found an error in the frame";
		e->done = 1;
		return 1;
	}
	/* A catch-up shows a slot again: its picture keeps that frame's serial. */
	while (e->job && pic.m.offset > e->serial) {
		e->why = "av1: dav1d dropped the frame";
		e->done = 1;
		for (i++; i < dec->count && !entry_at(dec, i)->fed; i++)
			;
		if (i == dec->count) {
			lib->dav1d_picture_unref(&pic);
			return 1;
		}
		e = entry_at(dec, i);
	}
	if (e->job && pic.m.offset < e->serial) {
		lib->dav1d_picture_unref(&pic);	/* an earlier one's, again */
		return 0;
	}
	e->pic = pic;
	e->done = 1;
	return 1;
}

/*
 * Feeds @data, made for @e, to dav1d, then takes the picture dav1d may
 * have ready (never waiting: a second dav1d_get_picture() without data in
 * between would wait for the oldest frame).  Returns 0 (e->why set if
 * dav1d refused the data), or -ENOMEM.
 */
static int feed(struct av1_dec *dec, struct av1_entry *e, Dav1dData *data)
{
	const struct dd_dav1d *lib = dec->lib;
	unsigned int tries = 0;
	int ret;

	data->m.offset = e->serial;
	while (data->sz) {
		ret = lib->dav1d_send_data(dec->ctx, data);
		if (ret == DAV1D_ERR(EAGAIN) && ++tries < 8) {
			/* A picture waits to be taken before dav1d reads on. */
			ret = pull(dec);
			if (ret >= 0)
				continue;
		}
		if (ret < 0) {
			lib->dav1d_data_unref(data);
			if (ret == -ENOMEM || ret == DAV1D_ERR(ENOMEM))
				return -ENOMEM;
			e->why = "av1: dav1d found an error in the frame";
			e->done = 1;
			return 0;
		}
	}
	e->fed = 1;
	ret = pull(dec);
	return ret < 0 ? ret : 0;
}

/*
 * A client never sends show_existing_frame: it shows the slot's picture
 * again itself.  Showing a hidden key frame again also refreshes every slot
 * with it, in the client's view, and must in dav1d's.  That happened when
 * every slot the client names other than ours holds, in its view, the key
 * frame one of our slots holds: dav1d is shown that slot again (a catch-up
 * entry, whose picture is dropped).  Returns 0 (*why set if dav1d refused
 * it), or -ENOMEM.
 */
static int catch_up_shown_key_frame(struct av1_dec *dec,
				    const struct v4l2_ctrl_av1_frame *f,
				    const char **why)
{
	const struct dd_av1_slots *s = &dec->slots;
	const struct dd_dav1d *lib = dec->lib;
	unsigned int k, i, differs;
	struct av1_entry *e;
	Dav1dData data;
	uint8_t *buf;
	int ret;

	for (k = 0; k < DD_AV1_NUM_REF_FRAMES; k++) {
		if (!s->valid[k] || !s->key_frame[k])
			continue;
		for (i = 0, differs = 0; i < DD_AV1_NUM_REF_FRAMES; i++) {
			if (f->reference_frame_ts[i] == s->timestamp[i])
				continue;
			if (f->reference_frame_ts[i] != s->timestamp[k])
				break;
			differs = 1;
		}
		if (i == DD_AV1_NUM_REF_FRAMES && differs)
			break;
	}
	if (k == DD_AV1_NUM_REF_FRAMES)
		return 0;
	buf = lib->dav1d_data_create(&data, 16);
	if (!buf)
		return -ENOMEM;
	data.sz = dd_av1_write_show_existing(k, buf, 16);
	e = entry_add(dec, NULL);
	ret = feed(dec, e, &data);
	if (ret)
		return ret;
	*why = e->why;
	if (!e->why)
		dd_av1_slots_show_key_frame(&dec->slots, k);
	return 0;
}

/* The job's OBUs: a sequence header when it changed, the frame. */
static int build(struct av1_dec *dec, const struct dd_job *job, Dav1dData *data,
		 const char **why)
{
	const struct daedalus_av1_params *p = &job->msg->params.av1;
	int new_seq = !dec->seq_sent || memcmp(&dec->seq, &p->sequence, sizeof(dec->seq));
	size_t cap = dd_av1_frame_bound(p) + (new_seq ? 64 : 0), n = 0, m;
	uint8_t *buf;

	buf = dec->lib->dav1d_data_create(data, cap);
	if (!buf)
		return -ENOMEM;
	if (new_seq) {
		n = dd_av1_write_sequence_header(&p->sequence, buf, cap);
		if (!n) {
			*why = "av1: only profile 0 at 8 or 10 bits is supported";
			dec->lib->dav1d_data_unref(data);
			return 0;
		}
	}
	m = dd_av1_write_frame(p, &dec->slots, job->bitstream.data,
			       job->bitstream.size, buf + n, cap - n, why);
	if (!m) {
		dec->lib->dav1d_data_unref(data);
		return 0;
	}
	data->sz = n + m;
	if (new_seq) {
		/* dav1d drops every reference at a new sequence header. */
		dd_av1_slots_reset(&dec->slots);
		dec->seq = p->sequence;
		dec->seq_sent = 1;
	}
	return 0;
}

/*
 * The picture fits the job's CAPTURE buffer: written there (but its luma
 * when dav1d decoded that in place), the bytes written; 0 when dav1d
 * decoded every plane in place.
 */
static long output(const Dav1dPicture *pic, const struct dd_job *job)
{
	int luma_in_place = pic->data[0] == job->picture.data;
	const struct dd_planar planar = {
		.plane = {
			{ pic->data[0], pic->stride[0] },
			{ pic->data[1], pic->stride[1] },
			{ pic->data[2], pic->stride[1] },
		},
		.width = (unsigned int)pic->p.w,
		.height = (unsigned int)pic->p.h,
		.depth = (unsigned int)pic->p.bpc,
		.gray = pic->p.layout == DAV1D_PIXEL_LAYOUT_I400,
	};

	if (luma_in_place && job->picture.format->pixelformat == V4L2_PIX_FMT_YUV420)
		return 0;
	if (pic->p.layout != DAV1D_PIXEL_LAYOUT_I420 && !planar.gray)
		return -1;
	if (!dd_pack_fits(&planar, job->picture.format, job->picture.size))
		return -1;
	return (long)dd_pack_picture(job->picture.data, job->picture.format,
				     &planar, luma_in_place);
}

static int av1_submit(void *decoder, const struct dd_job *job)
{
	struct av1_dec *dec = decoder;
	const struct daedalus_av1_params *p = &job->msg->params.av1;
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	int intra = f->frame_type == V4L2_AV1_KEY_FRAME ||
		    f->frame_type == V4L2_AV1_INTRA_ONLY_FRAME;
	const char *why = NULL;
	struct av1_entry *e;
	Dav1dData data;
	int ret;

	dd_av1_pictures_target(dec->pics, NULL, 0);
	if (f->frame_type != V4L2_AV1_KEY_FRAME) {
		ret = catch_up_shown_key_frame(dec, f, &why);
		if (ret)
			return ret;
	}
	e = entry_add(dec, job);
	e->why = why;
	if (!why && !intra) {
		e->corrupt = refs_mismatch(dec, f, !!(p->sequence.flags &
						      V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT));
		if (e->corrupt && !dec->slots.valid[(unsigned int)f->ref_frame_idx[0]])
			e->why = e->corrupt;	/* dav1d would refuse it */
	}
	memset(&data, 0, sizeof(data));
	if (!e->why) {
		ret = build(dec, job, &data, &e->why);
		if (ret)
			return ret;
	}
	if (e->why || !data.sz) {
		e->done = 1;
		return 0;
	}
	e->placeable = dd_av1_pictures_target(dec->pics, &job->picture,
					      job->msg->timestamp);
	ret = feed(dec, e, &data);
	dd_av1_pictures_target(dec->pics, NULL, 0);
	if (!ret && !e->why)
		dd_av1_slots_update(&dec->slots, p, job->msg->timestamp);
	return ret;
}

/* The outcome of the oldest job's entry @e, done, into @result. */
static void answer(struct av1_dec *dec, struct av1_entry *e, struct dd_result *result)
{
	const struct dd_job *job = e->job;
	const struct daedalus_av1_params *p = &job->msg->params.av1;
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	const char *corrupt = e->corrupt;
	long bytes = 0;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	result->why = e->why;
	if (!result->why)
		result->why = dd_av1_header_mismatch(e->pic.frame_hdr, p);
	if (!result->why) {
		bytes = output(&e->pic, job);
		if (bytes < 0)
			result->why = "av1: the picture does not fit the CAPTURE format";
	}
	if (e->pic.data[0])
		dec->lib->dav1d_picture_unref(&e->pic);
	if (result->why) {
		/* Jobs naming it later are CORRUPT, whatever dav1d holds. */
		dec->failed[dec->failed_next] = job->msg->timestamp;
		dec->failed_next = (dec->failed_next + 1) % AV1_FAILED_REMEMBERED;
		if (dec->failed_count < AV1_FAILED_REMEMBERED)
			dec->failed_count++;
		return;
	}
	/* A reference that failed while this job was decoding. */
	if (!corrupt && f->frame_type != V4L2_AV1_KEY_FRAME &&
	    f->frame_type != V4L2_AV1_INTRA_ONLY_FRAME)
		for (unsigned int i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++)
			if (failed_before(dec, f->reference_frame_ts[f->ref_frame_idx[i]]))
				corrupt = "av1: a reference failed to decode";
	result->status = corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
	result->why = corrupt;
	result->bytesused = job->picture.format->sizeimage;
	result->bytes_copied = (uint64_t)bytes;
	/* A shown key frame replaces every slot: nothing earlier is used. */
	result->restart = f->frame_type == V4L2_AV1_KEY_FRAME &&
			  (f->flags & V4L2_AV1_FRAME_FLAG_SHOW_FRAME);
}

/*
 * Takes from dav1d the picture of every frame fed to it: 0, or -ENOMEM.
 * Never only some: drained in part, dav1d's frame threads lose track of
 * which frame is oldest and decode wrong pictures or hang (dav1d 1.0 and
 * 1.5: docs/benchmarks.md); drained in full it goes on from a clean state.
 */
static int drain(struct av1_dec *dec)
{
	unsigned int i, idle = 0;
	int ret;

	for (;;) {
		for (i = 0; i < dec->count; i++)
			if (entry_at(dec, i)->fed && !entry_at(dec, i)->done)
				break;
		if (i == dec->count)
			return 0;
		/* The first call may return EAGAIN; the next one drains. */
		ret = pull(dec);
		if (ret < 0)
			return ret;
		idle = ret ? 0 : idle + 1;
		if (idle >= 2) {
			entry_at(dec, i)->why = "av1: dav1d decoded no picture";
			entry_at(dec, i)->done = 1;
		}
	}
}

static int av1_complete(void *decoder, int wait, struct dd_result *result)
{
	struct av1_dec *dec = decoder;
	struct av1_entry *e;
	int ret;

	for (;;) {
		if (!dec->count)
			return -EIO;	/* the core asked for a job never submitted */
		e = entry_at(dec, 0);
		if (e->done && !e->job) {
			/* A catch-up: its picture is not anyone's. */
			if (e->pic.data[0])
				dec->lib->dav1d_picture_unref(&e->pic);
			dec->first = (dec->first + 1) % AV1_MAX_ENTRIES;
			dec->count--;
			continue;
		}
		if (e->done)
			break;
		if (!wait)
			return 0;
		ret = drain(dec);
		if (ret < 0)
			return ret;
	}
	answer(dec, e, result);
	dec->first = (dec->first + 1) % AV1_MAX_ENTRIES;
	dec->count--;
	return 1;
}

static const char *av1_unavailable(void)
{
	return dd_dav1d_load() ? NULL : dd_dav1d_error();
}

const struct dd_backend dd_backend_av1 = {
	.name = "av1",
	.codec = DAEDALUS_CODEC_AV1,
	.unavailable = av1_unavailable,
	.open = av1_open,
	.submit = av1_submit,
	.complete = av1_complete,
	.depth = av1_depth,
	.close = av1_close,
};
