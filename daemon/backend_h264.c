/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * H.264 backend: libavcodec's software h264 decoder behind the V4L2
 * stateless H.264 uAPI (frame-based, Annex-B).
 *
 * One job = one packet: the SPS/PPS rebuilt from the controls (when they
 * changed) followed by the OUTPUT buffer's slice NAL units.  With one
 * decoding thread the picture is complete when avcodec_send_packet()
 * returns, so the job is answered right there, in decode order; lavc's
 * own output (display order, possibly never) is drained and dropped.
 *
 * Pictures are allocated by our get_buffer2: for an 8-bit NV12 CAPTURE
 * buffer the luma plane is decoded in place (linesize = bytesperline) and
 * the chroma planes go to scratch memory that lives as long as lavc holds
 * the picture; after each packet the chroma is interleaved into the NV12
 * plane.  Everything else (P010, a buffer lavc still holds, a gap frame)
 * is decoded into scratch and copied.  docs/h264.md has the corner cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include <libavutil/pixfmt.h>

#include "backend.h"
#include "h264_headers.h"
#include "lavc.h"
#include "log.h"

#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))
/* Slack after each scratch plane: H.264 chroma MC reads 2 lines past it. */
#define SCRATCH_PAD_ROWS	4
#define DPB_TRACK		32

struct h264_dec;

/* One picture lavc allocated through get_buffer2. */
struct h264_pic {
	struct h264_dec *dec;
	struct h264_pic *next;		/* dec->live */
	struct dd_bufmap *map;		/* luma in this CAPTURE buffer, or NULL */
	uint64_t buf_id;		/* its id, 0 with luma in scratch */
	uint8_t *scratch;		/* chroma, and luma when not in place */
	uint8_t *plane[3];
	int linesize[3];
	int width, height;		/* coded size of the frame */
	int depth;			/* bits per sample: 8 or 10 */
	int gray;			/* no chroma planes (GRAY8/GRAY10) */
};

/* What a decoded job left behind, for the DPB check of later jobs. */
struct h264_track {
	uint64_t ts;			/* the job's timestamp = reference_ts */
	struct h264_pic *pic;		/* NULL once lavc released it */
	int valid;
};

struct h264_dec {
	const struct dd_lavc *av;
	AVCodecContext *avctx;
	AVPacket *pkt;
	AVFrame *frame;
	uint8_t *pkt_buf;
	size_t pkt_cap;

	/* The parameter sets last sent to lavc (resent only when changed). */
	uint8_t sps_nal[DD_H264_PS_MAX], pps_nal[DD_H264_PS_MAX];
	size_t sps_len, pps_len;

	struct h264_pic *live;		/* pictures lavc holds */

	/* Per packet: set by decode(), used by get_buffer2. */
	const struct dd_job *job;
	unsigned calls;			/* get_buffer2 calls in this packet */
	unsigned gaps;			/* predicted gap frames before the picture */
	struct h264_pic *last_alloc;	/* the newest picture of this packet */
	int capture_given;		/* the job's buffer went to a call */

	/* lavc's frame_num state, mirrored to predict gap frames. */
	int prev_frame_num;		/* -1: unknown */

	struct h264_pic *prev_pic;	/* picture of the previous job */
	uint64_t prev_buf_id;
	uint64_t prev_ts;

	struct h264_track track[DPB_TRACK];
	unsigned track_next;

	int warned_dpb, warned_fmo;
};

static void track_forget_pic(struct h264_dec *dec, struct h264_pic *pic)
{
	unsigned i;

	for (i = 0; i < DPB_TRACK; i++)
		if (dec->track[i].pic == pic)
			dec->track[i].pic = NULL;
	if (dec->prev_pic == pic)
		dec->prev_pic = NULL;
}

/* av_buffer_create() free callback: lavc dropped its last reference. */
static void pic_release(void *opaque, uint8_t *data)
{
	struct h264_pic *pic = opaque, **p;
	struct h264_dec *dec = pic->dec;

	(void)data;
	for (p = &dec->live; *p; p = &(*p)->next) {
		if (*p == pic) {
			*p = pic->next;
			break;
		}
	}
	track_forget_pic(dec, pic);
	if (pic->map)
		dd_bufmap_unref(pic->map);
	free(pic->scratch);
	free(pic);
}

static int buffer_held(const struct h264_dec *dec, uint64_t buf_id)
{
	const struct h264_pic *pic;

	for (pic = dec->live; pic; pic = pic->next)
		if (pic->buf_id == buf_id)
			return 1;
	return 0;
}

/* The luma stride of the pictures lavc holds that are like @pic, or 0. */
static int held_stride(const struct h264_dec *dec, const struct h264_pic *pic)
{
	const struct h264_pic *p;

	for (p = dec->live; p; p = p->next)
		if (p->width == pic->width && p->height == pic->height &&
		    p->depth == pic->depth && p->gray == pic->gray)
			return p->linesize[0];
	return 0;
}

/*
 * Luma in place needs an 8-bit NV12 buffer that fits the coded frame and
 * is aligned as lavc's SIMD stores need (get_buffer2's contract): the
 * data starts at the client-controlled picture offset, which may be odd.
 */
static int capture_fits(const struct dd_picture *pic, int width, int height)
{
	const struct daedalus_picture_format *f = pic->format;

	return f->pixelformat == V4L2_PIX_FMT_NV12 &&
	       (uintptr_t)pic->data % 64 == 0 &&
	       (uint32_t)width <= f->bytesperline &&
	       (uint32_t)height <= f->height && f->bytesperline % 64 == 0 &&
	       (size_t)f->bytesperline * f->height * 3 / 2 <= pic->size;
}

static int h264_get_buffer(AVCodecContext *avctx, AVFrame *frame, int flags)
{
	struct h264_dec *dec = avctx->opaque;
	const struct dd_job *job = dec->job;
	struct h264_pic *pic;
	size_t off, size, lsize, csize;
	int bps, cw, ch, crows, rows, in_place, live_stride, i;
	unsigned call = dec->calls++;

	(void)flags;
	pic = calloc(1, sizeof(*pic));
	if (!pic)
		return AVERROR(ENOMEM);
	pic->dec = dec;
	pic->width = frame->width;
	pic->height = frame->height;
	switch (frame->format) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
		pic->depth = 8;
		break;
	case AV_PIX_FMT_YUV420P10:
		pic->depth = 10;
		break;
	case AV_PIX_FMT_GRAY8:
		pic->depth = 8;
		pic->gray = 1;
		break;
	case AV_PIX_FMT_GRAY10:
		pic->depth = 10;
		pic->gray = 1;
		break;
	default:
		free(pic);
		return AVERROR(ENOSYS);	/* 4:2:2, 4:4:4, > 10 bits */
	}
	bps = pic->depth > 8 ? 2 : 1;
	cw = (frame->width + 1) / 2;
	ch = (frame->height + 1) / 2;

	/*
	 * lavc's motion compensation addresses reference pictures with the
	 * current picture's linesize: every picture of a stream must have the
	 * same strides, in place or not.  So scratch luma uses bytesperline
	 * too whenever pictures can be in place (8-bit into NV12).
	 */
	if (job && pic->depth == 8 && !pic->gray &&
	    capture_fits(&job->picture, frame->width, frame->height))
		pic->linesize[0] = (int)job->picture.format->bytesperline;
	else
		pic->linesize[0] = ALIGN(frame->width * bps, 128);
	/*
	 * A job may name another bytesperline than the pictures lavc still
	 * holds (a client changing the format mid-stream, a buffer that no
	 * longer fits): those may be references, so the new picture keeps
	 * their stride, decoded in scratch unless its buffer has that stride.
	 */
	live_stride = held_stride(dec, pic);
	if (live_stride)
		pic->linesize[0] = live_stride;

	/*
	 * The job's buffer goes to the call that decodes the job's picture:
	 * after the predicted gap frames, and never while lavc still holds
	 * that buffer as an earlier picture (it may be a reference).
	 */
	in_place = job && job->picture.map && !dec->capture_given &&
		   call == dec->gaps &&
		   pic->depth == 8 && !pic->gray &&
		   capture_fits(&job->picture, frame->width, frame->height) &&
		   (uint32_t)pic->linesize[0] == job->picture.format->bytesperline &&
		   !buffer_held(dec, job->picture.buf_id);

	pic->linesize[1] = pic->linesize[2] = ALIGN(cw * bps, 64);
	crows = ALIGN(ch, 16) + SCRATCH_PAD_ROWS;
	csize = pic->gray ? 0 : (size_t)pic->linesize[1] * crows;
	if (in_place) {
		lsize = 0;
	} else {
		rows = ALIGN(frame->height, 32) + SCRATCH_PAD_ROWS;
		lsize = (size_t)pic->linesize[0] * rows;
	}
	size = lsize + 2 * csize + 64;
	pic->scratch = aligned_alloc(64, ALIGN(size, 64));
	if (!pic->scratch) {
		free(pic);
		return AVERROR(ENOMEM);
	}
	if (in_place) {
		pic->map = job->picture.map;
		dd_bufmap_ref(pic->map);
		pic->buf_id = job->picture.buf_id;
		pic->plane[0] = job->picture.data;
		dec->capture_given = 1;
	} else {
		pic->plane[0] = pic->scratch;
	}
	off = lsize;
	if (!pic->gray) {
		pic->plane[1] = pic->scratch + off;
		pic->plane[2] = pic->scratch + off + csize;
	}

	frame->buf[0] = dec->av->av_buffer_create(pic->scratch, size,
						  pic_release, pic, 0);
	if (!frame->buf[0]) {
		if (pic->map)
			dd_bufmap_unref(pic->map);
		free(pic->scratch);
		free(pic);
		return AVERROR(ENOMEM);
	}
	for (i = 0; i < 3; i++) {
		frame->data[i] = pic->plane[i];
		frame->linesize[i] = pic->plane[i] ? pic->linesize[i] : 0;
	}
	frame->extended_data = frame->data;
	pic->next = dec->live;
	dec->live = pic;
	dec->last_alloc = pic;
	return 0;
}

static int h264_open(void **decoder)
{
	const struct dd_lavc *av = dd_lavc_load();
	const AVCodec *codec;
	struct h264_dec *dec;

	if (!av)
		return -ENOENT;	/* dd_lavc_load() logged why */
	codec = av->avcodec_find_decoder(AV_CODEC_ID_H264);
	if (!codec) {
		dd_err("h264: libavcodec has no H.264 decoder");
		return -ENOENT;
	}
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		return -ENOMEM;
	dec->av = av;
	dec->prev_frame_num = 0;
	dec->avctx = av->avcodec_alloc_context3(codec);
	dec->pkt = av->av_packet_alloc();
	dec->frame = av->av_frame_alloc();
	if (!dec->avctx || !dec->pkt || !dec->frame)
		goto fail;
	dec->avctx->opaque = dec;
	dec->avctx->get_buffer2 = h264_get_buffer;
	/* Frame threads would finish pictures after send_packet returns. */
	dec->avctx->thread_count = 1;
	dec->avctx->thread_type = FF_THREAD_SLICE;
	if (av->avcodec_open2(dec->avctx, codec, NULL) < 0) {
		dd_err("h264: avcodec_open2 failed");
		goto fail;
	}
	*decoder = dec;
	return 0;

fail:
	av->av_frame_free(&dec->frame);
	av->av_packet_free(&dec->pkt);
	av->avcodec_free_context(&dec->avctx);
	free(dec);
	return -ENOMEM;
}

static void h264_close(void *decoder)
{
	struct h264_dec *dec = decoder;
	const struct dd_lavc *av = dec->av;

	/* Releases every picture (pic_release) while dec is still valid. */
	av->avcodec_free_context(&dec->avctx);
	av->av_frame_free(&dec->frame);
	av->av_packet_free(&dec->pkt);
	free(dec->pkt_buf);
	free(dec);
}

/* Back to a fresh stream: lavc's DPB, our mirrors of it, the sent headers. */
static void h264_reset(struct h264_dec *dec)
{
	dec->av->avcodec_flush_buffers(dec->avctx);
	memset(dec->track, 0, sizeof(dec->track));
	dec->prev_pic = NULL;
	dec->prev_buf_id = 0;
	/* measured with lavc 5.1: after a flush it fills gaps from frame_num 0 */
	dec->prev_frame_num = 0;
	dec->sps_len = dec->pps_len = 0;
}

static int append(struct h264_dec *dec, size_t *len, const uint8_t *data,
		  size_t size)
{
	size_t need = *len + size + AV_INPUT_BUFFER_PADDING_SIZE;

	if (need > dec->pkt_cap) {
		uint8_t *p = realloc(dec->pkt_buf, need * 2);

		if (!p)
			return -ENOMEM;
		dec->pkt_buf = p;
		dec->pkt_cap = need * 2;
	}
	memcpy(dec->pkt_buf + *len, data, size);
	*len += size;
	memset(dec->pkt_buf + *len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	return 0;
}

/* SPS/PPS NAL units when they differ from what lavc has. */
static int add_headers(struct h264_dec *dec, const struct daedalus_h264_params *p,
		       size_t *len)
{
	uint8_t sps[DD_H264_PS_MAX], pps[DD_H264_PS_MAX];
	size_t sl, pl;
	int ret;

	sl = dd_h264_write_sps(sps, sizeof(sps), &p->sps);
	pl = dd_h264_write_pps(pps, sizeof(pps), &p->sps, &p->pps,
			       &p->scaling_matrix);
	if (!sl || !pl)
		return -EINVAL;
	if (sl != dec->sps_len || memcmp(sps, dec->sps_nal, sl)) {
		ret = append(dec, len, sps, sl);
		if (ret)
			return ret;
		memcpy(dec->sps_nal, sps, sl);
		dec->sps_len = sl;
		dec->pps_len = 0;	/* a new SPS invalidates its PPSs */
	}
	if (pl != dec->pps_len || memcmp(pps, dec->pps_nal, pl)) {
		ret = append(dec, len, pps, pl);
		if (ret)
			return ret;
		memcpy(dec->pps_nal, pps, pl);
		dec->pps_len = pl;
	}
	return 0;
}

/*
 * How many frames lavc will invent for a frame_num gap before this
 * picture (8.2.5.2), mirroring its bookkeeping: it compares with the
 * previous picture's frame_num (reference or not) and fills at most
 * max_num_ref_frames frames.
 */
static unsigned predict_gaps(const struct h264_dec *dec,
			     const struct daedalus_h264_params *p,
			     int second_field)
{
	const struct v4l2_ctrl_h264_decode_params *dp = &p->decode_params;
	unsigned max = 1u << (p->sps.log2_max_frame_num_minus4 + 4);
	unsigned prev, fn = dp->frame_num % max, d;

	if ((dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC) || second_field ||
	    dec->prev_frame_num < 0)
		return 0;
	prev = (unsigned)dec->prev_frame_num;
	if (fn == prev || fn == (prev + 1) % max)
		return 0;
	d = (fn + max - prev - 1) % max;
	return d < p->sps.max_num_ref_frames ? d : p->sps.max_num_ref_frames;
}

/*
 * Every reference the client names must be a picture lavc decoded and
 * still holds; otherwise lavc's references differ from the client's (seek
 * to a non-IDR, dropped jobs) and lavc conceals.  frame_num is not
 * compared: after an MMCO 5 clients disagree on whether it reads 0.
 */
static int dpb_matches(const struct h264_dec *dec,
		       const struct v4l2_ctrl_h264_decode_params *dp)
{
	const uint32_t used = V4L2_H264_DPB_ENTRY_FLAG_VALID |
			      V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	unsigned i, j;

	for (i = 0; i < V4L2_H264_NUM_DPB_ENTRIES; i++) {
		const struct v4l2_h264_dpb_entry *e = &dp->dpb[i];
		const struct h264_track *t = NULL;

		if ((e->flags & used) != used)
			continue;
		for (j = 0; j < DPB_TRACK; j++) {
			if (dec->track[j].valid &&
			    dec->track[j].ts == e->reference_ts) {
				t = &dec->track[j];
				break;
			}
		}
		if (!t || !t->pic)
			return 0;
	}
	return 1;
}

static void track_add(struct h264_dec *dec, uint64_t ts, struct h264_pic *pic)
{
	struct h264_track *t = NULL;
	unsigned i;

	for (i = 0; i < DPB_TRACK; i++)
		if (dec->track[i].valid && dec->track[i].ts == ts)
			t = &dec->track[i];
	if (!t) {
		t = &dec->track[dec->track_next];
		dec->track_next = (dec->track_next + 1) % DPB_TRACK;
	}
	t->ts = ts;
	t->pic = pic;
	t->valid = 1;
}

/*
 * One P010 sample.  The CAPTURE rows need not be 2-byte aligned (the
 * picture offset and bytesperline come from the job): store bytewise.
 */
static inline void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Interleaves (and for P010 shifts) the chroma planes into the CAPTURE buffer. */
static void put_chroma(const struct h264_pic *pic, const struct dd_picture *dst)
{
	const struct daedalus_picture_format *f = dst->format;
	uint8_t *uv = dst->data + (size_t)f->bytesperline * f->height;
	int cw = (pic->width + 1) / 2, ch = (pic->height + 1) / 2, x, y;

	for (y = 0; y < ch; y++) {
		uint8_t *d8 = uv + (size_t)y * f->bytesperline;

		if (pic->gray) {
			for (x = 0; x < cw; x++) {
				if (f->pixelformat == V4L2_PIX_FMT_NV12) {
					d8[2 * x] = d8[2 * x + 1] = 128;
				} else {
					put16(d8 + 4 * x, 0x8000);
					put16(d8 + 4 * x + 2, 0x8000);
				}
			}
			continue;
		}
		if (pic->depth == 8) {
			const uint8_t *u = pic->plane[1] + (size_t)y * pic->linesize[1];
			const uint8_t *v = pic->plane[2] + (size_t)y * pic->linesize[2];

			if (f->pixelformat == V4L2_PIX_FMT_NV12) {
				for (x = 0; x < cw; x++) {
					d8[2 * x] = u[x];
					d8[2 * x + 1] = v[x];
				}
			} else {
				for (x = 0; x < cw; x++) {
					put16(d8 + 4 * x, u[x] << 8);
					put16(d8 + 4 * x + 2, v[x] << 8);
				}
			}
		} else {
			const uint16_t *u = (const uint16_t *)(pic->plane[1] +
					     (size_t)y * pic->linesize[1]);
			const uint16_t *v = (const uint16_t *)(pic->plane[2] +
					     (size_t)y * pic->linesize[2]);

			for (x = 0; x < cw; x++) {
				put16(d8 + 4 * x, (unsigned int)u[x] << 6);
				put16(d8 + 4 * x + 2, (unsigned int)v[x] << 6);
			}
		}
	}
}

/* Copies (and for P010 shifts) the luma plane into the CAPTURE buffer. */
static void put_luma(const struct h264_pic *pic, const struct dd_picture *dst)
{
	const struct daedalus_picture_format *f = dst->format;
	int x, y;

	for (y = 0; y < pic->height; y++) {
		const uint8_t *s = pic->plane[0] + (size_t)y * pic->linesize[0];
		uint8_t *d = dst->data + (size_t)y * f->bytesperline;

		if (f->pixelformat == V4L2_PIX_FMT_NV12)
			memcpy(d, s, pic->width);
		else if (pic->depth == 8)
			for (x = 0; x < pic->width; x++)
				put16(d + 2 * x, s[x] << 8);
		else
			for (x = 0; x < pic->width; x++)
				put16(d + 2 * x, (unsigned int)((const uint16_t *)s)[x] << 6);
	}
}

/* The CAPTURE format can take this picture (8-bit NV12, any depth P010). */
static int output_fits(const struct h264_pic *pic, const struct dd_picture *dst)
{
	const struct daedalus_picture_format *f = dst->format;
	size_t bpl_needed;

	if (f->pixelformat == V4L2_PIX_FMT_NV12 && pic->depth != 8)
		return 0;
	if (f->pixelformat != V4L2_PIX_FMT_NV12 &&
	    f->pixelformat != V4L2_PIX_FMT_P010)
		return 0;
	bpl_needed = (size_t)pic->width *
		     (f->pixelformat == V4L2_PIX_FMT_P010 ? 2 : 1);
	return bpl_needed <= f->bytesperline &&
	       (uint32_t)pic->height <= f->height &&
	       (size_t)f->bytesperline * f->height * 3 / 2 <= dst->size;
}

static int check_job(const struct dd_job *job)
{
	const struct daedalus_h264_params *p = &job->msg->params.h264;
	const uint8_t *b = job->bitstream.data;
	size_t n = job->bitstream.size;

	if (job->msg->codec != DAEDALUS_CODEC_H264)
		return -EINVAL;
	if (p->decode_mode != V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED ||
	    p->start_code != V4L2_STATELESS_H264_START_CODE_ANNEX_B) {
		dd_warn("h264: job %llu: decode mode %u / start code %u, only frame-based Annex-B is supported",
			(unsigned long long)job->msg->seq, p->decode_mode,
			p->start_code);
		return -EINVAL;
	}
	if (!((n >= 3 && !b[0] && !b[1] && b[2] == 1) ||
	      (n >= 4 && !b[0] && !b[1] && !b[2] && b[3] == 1))) {
		dd_warn("h264: job %llu: bitstream does not start with a start code",
			(unsigned long long)job->msg->seq);
		return -EINVAL;
	}
	return 0;
}

static int h264_decode(void *decoder, const struct dd_job *job,
		       struct dd_result *result)
{
	struct h264_dec *dec = decoder;
	const struct dd_lavc *av = dec->av;
	const struct daedalus_h264_params *p = &job->msg->params.h264;
	const struct v4l2_ctrl_h264_decode_params *dp = &p->decode_params;
	struct h264_pic *pic;
	int corrupt = 0, second_field, ret;
	size_t len = 0;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	if (check_job(job))
		return 0;
	if (job->msg->flags & DAEDALUS_JOB_NEW_STREAM)
		h264_reset(dec);

	/* The second field of a pair shares the first field's CAPTURE buffer. */
	second_field = (dp->flags & V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC) &&
		       dec->prev_pic && dec->prev_buf_id == job->picture.buf_id &&
		       dec->prev_ts == job->msg->timestamp;

	if (!dpb_matches(dec, dp)) {
		corrupt = 1;
		if (!dec->warned_dpb++)
			dd_warn("h264: ctx %llu: the client's DPB names pictures this decoder does not hold (seek or dropped jobs?); concealing",
				(unsigned long long)job->msg->ctx_id);
	}
	if (dd_h264_pps_lossy(&p->pps)) {
		corrupt = 1;
		if (!dec->warned_fmo++)
			dd_warn("h264: ctx %llu: slice groups (FMO) are not supported",
				(unsigned long long)job->msg->ctx_id);
	}

	ret = add_headers(dec, p, &len);
	if (!ret)
		ret = append(dec, &len, job->bitstream.data, job->bitstream.size);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		dd_warn("h264: job %llu: cannot rebuild SPS/PPS from the controls",
			(unsigned long long)job->msg->seq);
		return 0;
	}

	dec->job = job;
	dec->calls = 0;
	dec->capture_given = 0;
	dec->last_alloc = NULL;
	dec->gaps = predict_gaps(dec, p, second_field);
	dec->pkt->data = dec->pkt_buf;
	dec->pkt->size = (int)len;
	dec->pkt->pts = (int64_t)job->msg->timestamp;
	ret = av->avcodec_send_packet(dec->avctx, dec->pkt);
	/* Pending output frames block new input: drain them, always. */
	while (av->avcodec_receive_frame(dec->avctx, dec->frame) >= 0)
		av->av_frame_unref(dec->frame);
	dec->job = NULL;
	if (ret < 0)
		corrupt = 1;

	if (dec->calls)
		pic = dec->last_alloc;
	else if ((dp->flags & V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC) &&
		 ret >= 0 && dec->prev_pic)
		pic = dec->prev_pic;	/* lavc completed the first field's frame */
	else
		pic = NULL;
	if (!pic) {
		dd_dbg("h264: job %llu: no picture (send_packet %d)",
		       (unsigned long long)job->msg->seq, ret);
		return 0;
	}
	dd_trace("h264: job %llu: frame_num %u%s, %u get_buffer2 calls, %u gaps predicted, picture %s",
		 (unsigned long long)job->msg->seq, dp->frame_num,
		 second_field ? " (second field)" : "", dec->calls, dec->gaps,
		 pic->plane[0] == job->picture.data ? "in place" :
		 dec->capture_given ? "in scratch (misprediction)" : "in scratch");
	if (!output_fits(pic, &job->picture)) {
		dd_warn("h264: job %llu: %dx%d %d-bit picture does not fit the CAPTURE format",
			(unsigned long long)job->msg->seq, pic->width,
			pic->height, pic->depth);
		return 0;
	}
	/*
	 * Frames lavc invented for a frame_num gap the SPS does not allow
	 * stand for lost references (a stream entered at a non-IDR picture,
	 * dropped jobs): the picture is concealed.
	 */
	if (dec->calls > 1 &&
	    !(p->sps.flags & V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED))
		corrupt = 1;
	if (pic->plane[0] != job->picture.data) {
		/* Decoded elsewhere: planned (P010, held buffer) or a misprediction. */
		if (dec->capture_given)
			corrupt = 1;
		put_luma(pic, &job->picture);
	}
	put_chroma(pic, &job->picture);

	/* lavc's frame_num bookkeeping, for the next gap prediction. */
	dec->prev_frame_num = dp->frame_num %
			      (1u << (p->sps.log2_max_frame_num_minus4 + 4));
	dec->prev_pic = pic;
	dec->prev_buf_id = job->picture.buf_id;
	dec->prev_ts = job->msg->timestamp;
	track_add(dec, job->msg->timestamp, pic);

	result->status = corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
	result->bytesused = job->picture.format->sizeimage;
	return 0;
}

const struct dd_backend dd_backend_h264 = {
	.name = "h264",
	.codec = DAEDALUS_CODEC_H264,
	.open = h264_open,
	.decode = h264_decode,
	.close = h264_close,
};
