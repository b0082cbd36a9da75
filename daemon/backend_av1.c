/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AV1 backend (Main profile: 4:2:0 or monochrome, 8 or 10 bits): dav1d
 * behind the V4L2 stateless AV1 uAPI.  Each job's OBUs are rebuilt from
 * its controls and tile entries (av1_obu.c), fed to dav1d one frame at a
 * time (max_frame_delay 1), and the frame dav1d outputs, shown or not
 * (output_invisible_frames: the client references hidden frames later),
 * is the job's CAPTURE buffer with its film grain applied: decoded there
 * where the layout allows (av1_picture.c), else copied there; dav1d keeps
 * the clean references itself.  dav1d's parse of the rebuilt
 * header is compared with the controls (av1_header_check.c).
 *
 * As for VP9, a new stream (STREAMON) resets nothing: the references a
 * client names (reference_frame_ts per slot) show whether dav1d holds them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "av1_header_check.h"
#include "av1_obu.h"
#include "av1_picture.h"
#include "backend.h"
#include "dav1d.h"
#include "log.h"
#include "pack.h"

struct av1_dec {
	const struct dd_dav1d *lib;
	Dav1dContext *ctx;
	struct dd_av1_pictures *pics;
	struct dd_av1_slots slots;
	struct v4l2_ctrl_av1_sequence seq;	/* last sent to dav1d */
	int seq_sent;
};

static void av1_log(void *cookie, const char *fmt, va_list ap)
{
	(void)cookie;
	/* A damaged stream is answered with a reason; dav1d's is detail. */
	dd_vlog_lib(DD_LOG_DEBUG, "dav1d", fmt, ap);
}

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
	lib->dav1d_default_settings(&s);
	s.n_threads = (int)cfg->threads;
	s.max_frame_delay = 1;		/* each picture complete within its job */
	s.output_invisible_frames = 1;
	s.apply_grain = 1;
	s.all_layers = 0;
	s.logger.callback = av1_log;
	dd_av1_pictures_use(dec->pics, &s);
	if (lib->dav1d_open(&dec->ctx, &s) < 0) {
		dd_av1_pictures_free(dec->pics);
		free(dec);
		return -ENOMEM;
	}
	*decoder = dec;
	return 0;
}

static void av1_close(void *decoder)
{
	struct av1_dec *dec = decoder;

	dec->lib->dav1d_close(&dec->ctx);
	dd_av1_pictures_free(dec->pics);
	free(dec);
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
	}
	return NULL;
}

/*
 * Feeds @data and takes the one picture it decodes into @pic.  Returns 0,
 * or a dav1d error with *why set.
 */
static int run(struct av1_dec *dec, Dav1dData *data, Dav1dPicture *pic,
	       const char **why)
{
	const struct dd_dav1d *lib = dec->lib;
	int ret;

	memset(pic, 0, sizeof(*pic));
	while (data->sz) {
		ret = lib->dav1d_send_data(dec->ctx, data);
		if (ret == DAV1D_ERR(EAGAIN)) {
			/* A picture waits: one frame per job, so it is stale. */
			ret = lib->dav1d_get_picture(dec->ctx, pic);
			lib->dav1d_picture_unref(pic);
			if (ret >= 0)
				continue;
		}
		if (ret < 0) {
			lib->dav1d_data_unref(data);
			*why = "av1: dav1d found an error in the frame";
			return ret;
		}
	}
	dd_av1_pictures_output(dec->pics);
	ret = lib->dav1d_get_picture(dec->ctx, pic);
	if (ret < 0)
		*why = ret == DAV1D_ERR(EAGAIN) ? "av1: dav1d decoded no picture" :
			"av1: dav1d found an error in the frame";
	return ret;
}

/*
 * A client never sends show_existing_frame: it shows the slot's picture
 * again itself.  Showing a hidden key frame again also refreshes every slot
 * with it, in the client's view, and must in dav1d's.  That happened when
 * every slot the client names other than ours holds, in its view, the key
 * frame one of our slots holds: dav1d is shown that slot again, and the
 * picture it outputs dropped.  Returns 0, or a dav1d error with *why set.
 */
static int catch_up_shown_key_frame(struct av1_dec *dec,
				    const struct v4l2_ctrl_av1_frame *f,
				    const char **why)
{
	const struct dd_av1_slots *s = &dec->slots;
	const struct dd_dav1d *lib = dec->lib;
	unsigned int k, i, differs;
	Dav1dPicture pic;
	Dav1dData data;
	uint8_t *buf;

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
	if (run(dec, &data, &pic, why) < 0)
		return -EINVAL;
	lib->dav1d_picture_unref(&pic);
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

/* The picture fits the job's CAPTURE buffer: written there, its size. */
static long output(const Dav1dPicture *pic, const struct dd_job *job)
{
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

	if (pic->p.layout != DAV1D_PIXEL_LAYOUT_I420 && !planar.gray)
		return -1;
	if (!dd_pack_fits(&planar, job->picture.format, job->picture.size))
		return -1;
	return (long)dd_pack_picture(job->picture.data, job->picture.format,
				     &planar, 0);
}

static int av1_decode(void *decoder, const struct dd_job *job,
		      struct dd_result *result)
{
	struct av1_dec *dec = decoder;
	const struct daedalus_av1_params *p = &job->msg->params.av1;
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	int intra = f->frame_type == V4L2_AV1_KEY_FRAME ||
		    f->frame_type == V4L2_AV1_INTRA_ONLY_FRAME;
	const char *corrupt = NULL;
	Dav1dPicture pic;
	Dav1dData data;
	long bytes;
	int ret;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	dd_av1_pictures_target(dec->pics, NULL, 0);
	if (f->frame_type != V4L2_AV1_KEY_FRAME) {
		ret = catch_up_shown_key_frame(dec, f, &result->why);
		if (ret == -ENOMEM)
			return ret;
		if (ret)
			return 0;
	}
	dd_av1_pictures_target(dec->pics, &job->picture, job->msg->timestamp);
	if (!intra) {
		corrupt = refs_mismatch(dec, f, !!(p->sequence.flags &
						   V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT));
		if (corrupt && !dec->slots.valid[(unsigned int)f->ref_frame_idx[0]]) {
			result->why = corrupt;	/* dav1d would refuse it */
			return 0;
		}
	}
	memset(&data, 0, sizeof(data));
	ret = build(dec, job, &data, &result->why);
	if (ret || !data.sz)
		return ret;
	if (run(dec, &data, &pic, &result->why) < 0)
		return 0;
	if (!result->why)
		result->why = dd_av1_header_mismatch(pic.frame_hdr, p);
	if (result->why) {
		dec->lib->dav1d_picture_unref(&pic);
		return 0;
	}
	bytes = dd_av1_pictures_in_place(dec->pics, &pic) ? 0 : output(&pic, job);
	dec->lib->dav1d_picture_unref(&pic);
	if (bytes < 0) {
		result->why = "av1: the picture does not fit the CAPTURE format";
		return 0;
	}
	dd_av1_slots_update(&dec->slots, p, job->msg->timestamp);
	result->status = corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
	result->why = corrupt;
	result->bytesused = job->picture.format->sizeimage;
	result->bytes_copied = (uint64_t)bytes;
	/* A shown key frame replaces every slot: nothing earlier is used. */
	result->restart = f->frame_type == V4L2_AV1_KEY_FRAME &&
			  (f->flags & V4L2_AV1_FRAME_FLAG_SHOW_FRAME);
	return 0;
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
	.decode = av1_decode,
	.close = av1_close,
};
