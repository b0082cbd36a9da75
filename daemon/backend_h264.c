/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * H.264 backend: libavcodec's software h264 decoder behind the V4L2
 * stateless H.264 uAPI (frame-based, Annex-B).
 *
 * One job = one packet: the SPS/PPS rebuilt from the controls (when they
 * changed) followed by the OUTPUT buffer's slice NAL units.  With slice
 * threads (or one thread) the picture is complete when
 * avcodec_send_packet() returns, so the job is answered right there, in
 * decode order; lavc's own output (display order, possibly never) is
 * drained and dropped.  Pictures live in the shared libavcodec picture
 * layer (lavc_picture.h); docs/h264.md has the corner cases.
 */
#include <errno.h>
#include <string.h>

#include "backend.h"
#include "h264_headers.h"
#include "lavc_decoder.h"

struct h264_dec {
	struct dd_lavc_decoder lavc;	/* first: dd_lavc_backend_open() */

	/* The parameter sets last sent to lavc (resent only when changed). */
	uint8_t sps_nal[DD_H264_PS_MAX], pps_nal[DD_H264_PS_MAX];
	size_t sps_len, pps_len;

	/* lavc's frame_num state, mirrored to predict gap frames. */
	int prev_frame_num;		/* -1: no picture since a reset */
	/*
	 * Entered at a non-IDR picture with fewer invented frames than the
	 * stream may hold references: lavc lacks some without even a stand-in
	 * to taint, until the next IDR.
	 */
	int refs_lost;

	/* The previous job: a second field shares its buffer and timestamp. */
	uint64_t prev_buf_id;
	uint64_t prev_ts;
};

static int h264_open(void **decoder, const struct dd_decoder_config *cfg)
{
	int ret = dd_lavc_backend_open(decoder, sizeof(struct h264_dec),
				       AV_CODEC_ID_H264, cfg);

	if (!ret)
		((struct h264_dec *)*decoder)->prev_frame_num = -1;
	return ret;
}

/* Back to a fresh stream: lavc's DPB, our mirrors of it, the sent headers. */
static void h264_reset(struct h264_dec *dec)
{
	dd_lavc_decoder_flush(&dec->lavc);
	dec->prev_buf_id = 0;
	dec->prev_frame_num = -1;
	dec->refs_lost = 0;
	dec->sps_len = dec->pps_len = 0;
}

/* SPS/PPS NAL units when they differ from what lavc has. */
static int add_headers(struct h264_dec *dec, const struct daedalus_h264_params *p)
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
		ret = dd_lavc_packet_append(&dec->lavc, sps, sl);
		if (ret)
			return ret;
		memcpy(dec->sps_nal, sps, sl);
		dec->sps_len = sl;
		dec->pps_len = 0;	/* a new SPS invalidates its PPSs */
	}
	if (pl != dec->pps_len || memcmp(pps, dec->pps_nal, pl)) {
		ret = dd_lavc_packet_append(&dec->lavc, pps, pl);
		if (ret)
			return ret;
		memcpy(dec->pps_nal, pps, pl);
		dec->pps_len = pl;
	}
	return 0;
}

/*
 * How many frames lavc will invent for a frame_num gap before this
 * picture (8.2.5.2), mirroring h264_field_start(): it compares with the
 * previous picture's frame_num (reference or not; -1 on a fresh or flushed
 * decoder, so a stream entered at frame_num n > 0 gets frames 0..n-1),
 * unwrapped only when above, and fills at most max_num_ref_frames frames.
 */
static unsigned int predict_gaps(const struct h264_dec *dec,
				 const struct daedalus_h264_params *p,
				 int second_field)
{
	const struct v4l2_ctrl_h264_decode_params *dp = &p->decode_params;
	int max = 1 << (p->sps.log2_max_frame_num_minus4 + 4);
	int fn = dp->frame_num % max, prev = dec->prev_frame_num, d;

	if ((dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC) || second_field)
		return 0;
	if (prev > fn)
		prev -= max;
	d = fn - prev - 1;
	if (d <= 0)
		return 0;
	return (unsigned int)d < p->sps.max_num_ref_frames ?
	       (unsigned int)d : p->sps.max_num_ref_frames;
}

/*
 * Every reference the client names must be a picture lavc decoded and
 * still holds intact; otherwise lavc's references differ from the
 * client's (seek to a non-IDR, dropped jobs, a re-queued reference
 * buffer) and the picture is concealed.  frame_num is not compared: after
 * an MMCO 5 clients disagree on whether it reads 0.
 */
static int dpb_matches(struct h264_dec *dec,
		       const struct v4l2_ctrl_h264_decode_params *dp)
{
	const uint32_t used = V4L2_H264_DPB_ENTRY_FLAG_VALID |
			      V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	unsigned int i;

	for (i = 0; i < V4L2_H264_NUM_DPB_ENTRIES; i++) {
		const struct v4l2_h264_dpb_entry *e = &dp->dpb[i];

		if ((e->flags & used) == used &&
		    !dd_lavc_pictures_has_ref(&dec->lavc.pics, e->reference_ts))
			return 0;
	}
	return 1;
}

/* Why the job cannot be decoded at all, or NULL. */
static const char *check_job(const struct dd_job *job)
{
	const struct daedalus_h264_params *p = &job->msg->params.h264;
	const uint8_t *b = job->bitstream.data;
	size_t n = job->bitstream.size;

	if (job->msg->codec != DAEDALUS_CODEC_H264)
		return "h264: not an H.264 job";
	if (p->decode_mode != V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED ||
	    p->start_code != V4L2_STATELESS_H264_START_CODE_ANNEX_B)
		return "h264: only frame-based Annex-B decoding is supported";
	if (!((n >= 3 && !b[0] && !b[1] && b[2] == 1) ||
	      (n >= 4 && !b[0] && !b[1] && !b[2] && b[3] == 1)))
		return "h264: bitstream does not start with a start code";
	return NULL;
}

static int h264_decode(void *decoder, const struct dd_job *job,
		       struct dd_result *result)
{
	struct h264_dec *dec = decoder;
	struct dd_lavc_pictures *pics = &dec->lavc.pics;
	const struct daedalus_h264_params *p = &job->msg->params.h264;
	const struct v4l2_ctrl_h264_decode_params *dp = &p->decode_params;
	const int idr = !!(dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC);
	struct dd_lavc_pic *pic, *prev;
	int second_field, intra, entry, ret;
	unsigned int gaps, invented;
	const char *corrupt = NULL;
	long bytes;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	result->why = check_job(job);
	if (result->why)
		return 0;
	if (job->msg->flags & DAEDALUS_JOB_NEW_STREAM)
		h264_reset(dec);

	/* The second field of a pair shares the first field's CAPTURE buffer. */
	prev = dec->prev_buf_id == job->picture.buf_id ?
	       dd_lavc_pictures_find(pics, dec->prev_ts) : NULL;
	second_field = (dp->flags & V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC) &&
		       prev && dec->prev_ts == job->msg->timestamp;
	intra = dd_h264_all_intra(job->bitstream.data, job->bitstream.size);

	if (!intra && !dpb_matches(dec, dp))
		corrupt = "h264: the client's DPB names pictures this decoder does not hold intact (seek, dropped jobs or a re-queued reference)";
	if (dd_h264_pps_lossy(&p->pps))
		corrupt = "h264: slice groups (FMO) are not supported";

	dd_lavc_packet_reset(&dec->lavc);
	ret = add_headers(dec, p);
	if (!ret)
		ret = dd_lavc_packet_append(&dec->lavc, job->bitstream.data,
					    job->bitstream.size);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		result->why = "h264: cannot rebuild SPS/PPS from the controls";
		return 0;
	}

	entry = dec->prev_frame_num < 0 && !idr;
	gaps = predict_gaps(dec, p, second_field);
	ret = dd_lavc_decoder_send(&dec->lavc, job, gaps, &pic);
	if (ret < 0)
		corrupt = "h264: libavcodec reported an error in the bitstream";

	if (!pic && ret >= 0 && second_field) {
		pic = prev;	/* lavc completed the first field's frame */
		dd_lavc_pictures_hold(pics, pic);
	}
	if (!pic) {
		result->why = "h264: no picture decoded";
		return 0;
	}
	/*
	 * Frames lavc invented for a frame_num gap stand for lost references
	 * (dropped jobs) where the SPS does not allow gaps, and always at an
	 * entry (lavc decoded nothing before it): tainted.  A non-intra
	 * picture decoded while lavc holds a tainted one may read it, so it
	 * is CORRUPT and tainted in turn (below), down to the next IDR.  An
	 * entry with fewer invented frames than the references the stream
	 * may hold leaves lavc substituting for the others: nothing to taint.
	 */
	invented = pics->calls - (pics->calls > 0);
	if (invented && (entry ||
	    !(p->sps.flags & V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED)))
		dd_lavc_pictures_taint_extra(pics);
	if (idr)
		dec->refs_lost = 0;
	else if (entry && invented < p->sps.max_num_ref_frames)
		dec->refs_lost = 1;
	if (!intra && (dec->refs_lost || dd_lavc_pictures_tainted(pics)))
		corrupt = "h264: references may be missing or wrong (entry at a non-IDR picture, frame_num gap, re-queued CAPTURE buffer)";
	/* Decoded elsewhere than planned (lavc allocated differently). */
	if (pic->plane[0] != job->picture.data && pics->capture_given)
		corrupt = "h264: picture decoded out of place (misprediction)";
	if (pic->error_flags)
		corrupt = "h264: libavcodec concealed errors in the picture";
	bytes = dd_lavc_pic_output(pics, pic, &job->picture);
	if (bytes < 0) {
		result->why = "h264: the picture does not fit the CAPTURE format";
		return 0;
	}

	/* lavc's frame_num bookkeeping, for the next gap prediction. */
	dec->prev_frame_num = dp->frame_num %
			      (1u << (p->sps.log2_max_frame_num_minus4 + 4));
	dec->prev_buf_id = job->picture.buf_id;
	dec->prev_ts = job->msg->timestamp;
	dd_lavc_pic_set_ts(pic, job->msg->timestamp);
	/* What a CORRUPT picture passes on to pictures predicted from it. */
	if (corrupt)
		pic->tainted = 1;
	if (idr && !second_field)
		dd_lavc_pictures_restart(pics);
	dd_lavc_pictures_done(pics);

	result->status = corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
	result->why = corrupt;
	/*
	 * An I picture needs no earlier one; what later pictures may still
	 * read from before it is tainted above, so it ends the core's wait
	 * for a key frame as an IDR does.
	 */
	result->restart = idr || intra;
	result->bytesused = job->picture.format->sizeimage;
	result->bytes_copied = (uint64_t)bytes;
	return 0;
}

/* lavc's slice threads decode one slice each. */
static unsigned int h264_parallelism(void *decoder, const struct dd_job *job)
{
	(void)decoder;
	return dd_h264_slices(job->bitstream.data, job->bitstream.size);
}

static const char *h264_unavailable(void)
{
	return dd_lavc_backend_unavailable(AV_CODEC_ID_H264);
}

const struct dd_backend dd_backend_h264 = {
	.name = "h264",
	.codec = DAEDALUS_CODEC_H264,
	.unavailable = h264_unavailable,
	.open = h264_open,
	.decode = h264_decode,
	.parallelism = h264_parallelism,
	.close = dd_lavc_backend_close,
};
