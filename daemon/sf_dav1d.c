/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stream decoder for AV1: dav1d (sf_backend.h), fed the low-overhead
 * OBU stream (Section 5, as in IVF payloads and .obu files).
 *
 * Bytes accumulate until whole OBUs are there (av1_obu_split.h); the
 * stream is cut into temporal units at their temporal delimiters, and each
 * unit goes to dav1d whole, with the timestamp of the chunk holding its
 * first byte (Dav1dDataProps), which its picture carries out.  The last
 * unit is known complete only at end_of_input().  Only shown frames are
 * output, film grain applied.
 *
 * dav1d hands out a unit's picture only when asked a second time with no
 * data sent between (it then drains the frames in flight): it is asked
 * once more before "needs input" and before "drained".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "av1_obu_split.h"
#include "dav1d.h"
#include "log.h"
#include "sf_backend.h"
#include "sf_colorimetry.h"
#include "sf_input.h"

/* A temporal unit larger than this fails the stream. */
#define SF_AV1_TU_MAX		DD_AV1_OBU_MAX
/* dav1d errors in a row before the decoder is given up. */
#define SF_AV1_ERRORS_MAX	64
/*
 * Rounds in which dav1d neither took data nor gave a picture before the
 * decoder is given up (never seen: dav1d decodes what it holds when asked
 * for a picture; a guard against spinning forever).
 */
#define SF_AV1_STALLS_MAX	100000

struct sf_dav1d {
	const struct dd_dav1d *lib;
	Dav1dContext *ctx;
	unsigned int frames;		/* max_frame_delay */
	struct dd_sf_input in;
	size_t scanned;			/* unread bytes known whole OBUs of one unit */
	Dav1dData data;			/* a unit dav1d has not taken all of */
	Dav1dPicture pic;		/* the picture handed out, if data[0] */
	const char *corrupt;		/* dav1d failed since the last picture */
	unsigned int errors;		/* in a row */
	int asked_again;		/* EAGAIN twice with no data between */
	int keyed;			/* a unit with a key frame went in since reset */
};

static const char *sf_dav1d_unavailable(void)
{
	return dd_dav1d_load() ? NULL : dd_dav1d_error();
}

/* Lets go of the picture handed out and the unit dav1d did not take. */
static void drop_held(struct sf_dav1d *d)
{
	if (d->pic.data[0])
		d->lib->dav1d_picture_unref(&d->pic);
	if (d->data.sz)
		d->lib->dav1d_data_unref(&d->data);
}

static void sf_dav1d_close(void *decoder)
{
	struct sf_dav1d *d = decoder;

	drop_held(d);
	d->lib->dav1d_close(&d->ctx);
	dd_sf_input_free(&d->in);
	free(d);
}

static int sf_dav1d_open(void **decoder, const struct dd_sf_config *cfg)
{
	const struct dd_dav1d *lib = dd_dav1d_load();
	struct sf_dav1d *d;
	Dav1dSettings s;

	if (!lib || cfg->codec != DAEDALUS_CODEC_AV1)
		return -ENOENT;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->lib = lib;
	dd_sf_input_init(&d->in);
	d->frames = dd_dav1d_settings(lib, &s, cfg->threads);
	s.output_invisible_frames = 0;
	s.apply_grain = 1;
	s.all_layers = 0;	/* the highest spatial layer only */
	if (lib->dav1d_open(&d->ctx, &s) < 0) {
		free(d);
		return -ENOMEM;
	}
	*decoder = d;
	return 0;
}

static int sf_dav1d_push(void *decoder, const uint8_t *data, size_t size,
			 uint64_t timestamp)
{
	struct sf_dav1d *d = decoder;

	return dd_sf_input_push(&d->in, data, size, timestamp);
}

static int sf_dav1d_end_of_input(void *decoder)
{
	struct sf_dav1d *d = decoder;

	return dd_sf_input_end(&d->in);
}

/*
 * The length of the next whole temporal unit among the unread bytes: > 0,
 * 0 when it may not be whole yet, or -EBADMSG.
 */
static long next_unit(struct sf_dav1d *d)
{
	struct dd_av1_obu_unit obu;
	size_t len;
	const uint8_t *data = dd_sf_input_data(&d->in, &len);
	int ret;

	for (;;) {
		ret = dd_av1_obu_split(data + d->scanned, len - d->scanned, &obu);
		if (ret < 0)
			return ret;
		if (!ret) {
			if (!d->in.ended)
				return 0;
			/* The stream ends inside an OBU: truncated. */
			return d->scanned == len ? (long)d->scanned : -EBADMSG;
		}
		if (obu.type == DD_AV1_OBU_TEMPORAL_DELIMITER && d->scanned)
			return (long)d->scanned;
		if (obu.size > SF_AV1_TU_MAX - d->scanned)
			return -EBADMSG;
		d->scanned += obu.size;
	}
}

/*
 * Whether the @len bytes of whole OBUs at @data hold a key frame: a frame
 * header (or frame) OBU whose uncompressed header begins with
 * show_existing_frame 0 and frame_type KEY_FRAME (5.9.2; a reduced still
 * picture header has neither bit, but its frames are all key frames).
 */
static int unit_has_key(const uint8_t *data, size_t len)
{
	struct dd_av1_obu_unit obu;
	size_t at = 0, hdr;

	while (at < len && dd_av1_obu_split(data + at, len - at, &obu) == 1) {
		if (obu.type == 3 || obu.type == 6) {
			hdr = 1 + ((data[at] >> 2) & 1);	/* extension */
			while (hdr < obu.size && (data[at + hdr] & 0x80))
				hdr++;		/* obu_size, leb128 */
			hdr++;
			if (hdr < obu.size && !(data[at + hdr] & 0x80) &&
			    !((data[at + hdr] >> 5) & 3))
				return 1;
		}
		at += obu.size;
	}
	return 0;
}

/* Makes the next whole unit d->data: 1, 0 when there is none, or -errno. */
static int take_unit(struct sf_dav1d *d)
{
	long n = next_unit(d);
	size_t len;
	const uint8_t *data = dd_sf_input_data(&d->in, &len);
	uint64_t ts = 0;
	uint8_t *buf;

	if (n <= 0)
		return (int)n;
	dd_sf_input_ts_at(&d->in, dd_sf_input_offset(&d->in), &ts);
	buf = d->lib->dav1d_data_create(&d->data, (size_t)n);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, data, (size_t)n);
	if (unit_has_key(data, (size_t)n))
		d->keyed = 1;
	d->data.m.timestamp = (int64_t)ts;
	dd_sf_input_consume(&d->in, (size_t)n);
	d->scanned = 0;
	return 1;
}

/* A failure of dav1d's: the next picture is corrupt; too many in a row fail. */
static int note_error(struct sf_dav1d *d, int err)
{
	dd_dbg("sf av1: dav1d failed (%d)", err);
	d->corrupt = "dav1d reported an error in the stream";
	if (err == DAV1D_ERR(ENOMEM))
		return -ENOMEM;
	return ++d->errors >= SF_AV1_ERRORS_MAX ? -EIO : 0;
}

/* d->pic into @pic; 0 or -ENOTSUP (not 4:2:0 or 4:0:0, 8 or 10 bits). */
static int picture(struct sf_dav1d *d, struct dd_sf_picture *pic)
{
	const Dav1dPicture *p = &d->pic;
	const Dav1dSequenceHeader *seq = p->seq_hdr;
	struct dd_sf_colorimetry c;
	int gray = p->p.layout == DAV1D_PIXEL_LAYOUT_I400;

	if ((!gray && p->p.layout != DAV1D_PIXEL_LAYOUT_I420) ||
	    (p->p.bpc != 8 && p->p.bpc != 10) || p->p.w <= 0 || p->p.h <= 0)
		return -ENOTSUP;
	memset(pic, 0, sizeof(*pic));
	pic->format.coded_width = pic->format.width = (unsigned int)p->p.w;
	pic->format.coded_height = pic->format.height = (unsigned int)p->p.h;
	pic->format.depth = (unsigned int)p->p.bpc;
	pic->format.min_buffers = d->frames + 1;
	c = dd_sf_colorimetry(seq ? (int)seq->pri : 2, seq ? (int)seq->trc : 2,
			      seq ? (int)seq->mtrx : 2, seq ? seq->color_range : -1);
	pic->format.colorspace = c.colorspace;
	pic->format.xfer_func = c.xfer_func;
	pic->format.ycbcr_enc = c.ycbcr_enc;
	pic->format.quantization = c.quantization;
	pic->planes.width = pic->format.width;
	pic->planes.height = pic->format.height;
	pic->planes.depth = pic->format.depth;
	pic->planes.gray = gray;
	for (int i = 0; i < (gray ? 1 : 3); i++) {
		pic->planes.plane[i].data = p->data[i];
		pic->planes.plane[i].stride = p->stride[i ? 1 : 0];
	}
	pic->timestamp = (uint64_t)p->m.timestamp;
	/*
	 * dav1d decodes no frame whose references it lacks, so after a key
	 * frame every picture is decodable from the reset on, even when that
	 * key frame was not shown (svc-L2T1/L2T2 show only the upper spatial
	 * layer's inter frames).
	 */
	pic->key = (p->frame_hdr && p->frame_hdr->frame_type == DAV1D_FRAME_TYPE_KEY) ||
		   d->keyed;
	pic->corrupt = d->corrupt;
	d->corrupt = NULL;
	return 0;
}

static int sf_dav1d_pull(void *decoder, struct dd_sf_picture *pic)
{
	struct sf_dav1d *d = decoder;
	unsigned int stalls = 0;
	size_t before;
	int ret;

	if (d->pic.data[0])
		d->lib->dav1d_picture_unref(&d->pic);
	while (!d->in.failed) {
		before = d->data.sz;
		if (d->data.sz) {
			ret = d->lib->dav1d_send_data(d->ctx, &d->data);
			if (ret < 0 && ret != DAV1D_ERR(EAGAIN)) {
				d->lib->dav1d_data_unref(&d->data);
				d->in.failed = note_error(d, ret);
				continue;
			}
			d->asked_again = 0;
		}
		ret = d->lib->dav1d_get_picture(d->ctx, &d->pic);
		if (!ret) {
			d->errors = 0;
			d->asked_again = 0;
			ret = picture(d, pic);
			if (ret) {
				d->lib->dav1d_picture_unref(&d->pic);
				d->in.failed = ret;
				break;
			}
			return DD_SF_PICTURE;
		}
		if (ret != DAV1D_ERR(EAGAIN)) {
			d->in.failed = note_error(d, ret);
			continue;
		}
		if (d->data.sz) {	/* dav1d took part of it, or none yet */
			if (d->data.sz == before && ++stalls > SF_AV1_STALLS_MAX)
				d->in.failed = -EIO;
			continue;
		}
		ret = take_unit(d);
		if (ret < 0) {
			d->in.failed = ret;
			break;
		}
		if (ret)
			continue;
		if (!d->asked_again) {
			d->asked_again = 1;
			continue;
		}
		return d->in.ended ? DD_SF_DRAINED : DD_SF_NEED_INPUT;
	}
	return d->in.failed;
}

static void sf_dav1d_reset(void *decoder)
{
	struct sf_dav1d *d = decoder;

	drop_held(d);
	d->lib->dav1d_flush(d->ctx);
	dd_sf_input_reset(&d->in);
	d->scanned = 0;
	d->corrupt = NULL;
	d->errors = 0;
	d->asked_again = 0;
	d->keyed = 0;
}

const struct dd_sf_backend dd_sf_backend_dav1d = {
	.name = "dav1d",
	.codecs = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_AV1),
	.unavailable = sf_dav1d_unavailable,
	.open = sf_dav1d_open,
	.push = sf_dav1d_push,
	.end_of_input = sf_dav1d_end_of_input,
	.pull = sf_dav1d_pull,
	.peek_format = NULL,	/* the first picture tells it */
	.reset = sf_dav1d_reset,
	.close = sf_dav1d_close,
};
