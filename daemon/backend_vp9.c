/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP9 backend (profiles 0 and 2): libavcodec's vp9 decoder behind the
 * V4L2 stateless VP9 uAPI.  The OUTPUT buffer holds one whole frame
 * (uncompressed header, compressed header, tiles), fed to lavc as it is;
 * the FRAME control is only checked against the frame's own header, and a
 * job where they disagree is refused, never guessed.
 *
 * Every frame, shown or hidden (show_frame = 0: the client references it
 * later), lands in its own job's CAPTURE buffer.  The decoder's eight
 * reference slots are mirrored (which job's frame each holds), so the
 * references a client names (last/golden/alt timestamps) are checked
 * against what lavc will really predict from.
 *
 * A new stream (STREAMON) resets nothing: clients restart their queues
 * for a resolution change at an inter frame (reference scaling) and go on
 * predicting from the frames decoded before, and after a seek the
 * references they name show whether this decoder holds them.
 */

#include "backend.h"
#include "lavc_decoder.h"
#include "vp9_header.h"

struct vp9_dec {
	struct dd_lavc_decoder lavc;	/* first: dd_lavc_backend_open() */
	struct dd_vp9_slots slots;
	uint64_t slot_ts[DD_VP9_NUM_REF_FRAMES];	/* job whose frame each holds */
};

static int vp9_open(void **decoder, const struct dd_decoder_config *cfg)
{
	/* Slice threads are tile-column threads in lavc's vp9. */
	return dd_lavc_backend_open(decoder, sizeof(struct vp9_dec),
				    AV_CODEC_ID_VP9, cfg);
}

/* A superframe index ends the buffer (Annex B): the client must split. */
static int has_superframe_index(const uint8_t *d, size_t n)
{
	uint8_t marker;
	size_t index;

	if (!n)
		return 0;
	marker = d[n - 1];
	if ((marker & 0xe0) != 0xc0)
		return 0;
	index = 2 + (size_t)((marker >> 3 & 3) + 1) * ((marker & 7) + 1);
	return n >= index && d[n - index] == marker;
}

/* Why the FRAME control contradicts the frame header, or NULL. */
static const char *check_control(const struct v4l2_ctrl_vp9_frame *f,
				 const struct dd_vp9_header *h)
{
	static const uint32_t flag[] = {
		V4L2_VP9_FRAME_FLAG_KEY_FRAME, V4L2_VP9_FRAME_FLAG_SHOW_FRAME,
		V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT,
		V4L2_VP9_FRAME_FLAG_INTRA_ONLY,
	};
	const int set[] = {
		h->key_frame, h->show_frame, h->error_resilient, h->intra_only,
	};
	unsigned int i, bias = 0;

	for (i = 0; i < sizeof(flag) / sizeof(flag[0]); i++)
		if (!!(f->flags & flag[i]) != set[i])
			return "vp9: FRAME control flags contradict the frame header";
	if (f->profile != h->profile)
		return "vp9: FRAME control profile contradicts the frame header";
	if (h->bit_depth && f->bit_depth != h->bit_depth)
		return "vp9: FRAME control bit depth contradicts the frame header";
	if (h->subsampling_x != 1 || h->subsampling_y != 1)
		return "vp9: only 4:2:0 is supported";
	if (f->frame_width_minus_1 + 1u != h->width ||
	    f->frame_height_minus_1 + 1u != h->height)
		return "vp9: FRAME control size contradicts the frame header";
	if (!h->key_frame && !h->intra_only) {
		for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++)
			bias |= (unsigned int)h->ref_sign_bias[i] << i;
		if (f->ref_frame_sign_bias != bias)
			return "vp9: FRAME control sign bias contradicts the frame header";
	}
	return NULL;
}

/*
 * The references the client names are the frames lavc predicts from, and
 * intact.  Only these three are read for prediction: the previous frame lavc
 * also keeps lends motion vectors and segment ids from its own buffers,
 * never samples, so the client may have re-queued its CAPTURE buffer.
 */
static int refs_match(const struct vp9_dec *dec, const struct v4l2_ctrl_vp9_frame *f,
		      const struct dd_vp9_header *h)
{
	const uint64_t named[DD_VP9_REFS_PER_FRAME] = {
		f->last_frame_ts, f->golden_frame_ts, f->alt_frame_ts,
	};
	unsigned int i;

	for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++)
		if (dec->slot_ts[h->ref_frame_idx[i]] != named[i] ||
		    !dd_lavc_pictures_has_ref(&dec->lavc.pics, named[i]))
			return 0;
	return 1;
}

/* show_existing_frame: the slot's picture again, decoding nothing. */
static int show_existing(struct vp9_dec *dec, const struct dd_job *job,
			 const struct dd_vp9_header *h, struct dd_result *result)
{
	uint64_t ts = dec->slot_ts[h->frame_to_show];
	struct dd_lavc_pic *pic = dd_lavc_pictures_find(&dec->lavc.pics, ts);
	long bytes;

	if (!pic || !dec->slots.width[h->frame_to_show]) {
		result->why = "vp9: show_existing_frame of a frame this decoder does not hold";
		return 0;
	}
	bytes = dd_lavc_pic_output(&dec->lavc.pics, pic, &job->picture);
	if (bytes < 0) {
		result->why = "vp9: the picture does not fit the CAPTURE format";
		return 0;
	}
	result->status = dd_lavc_pictures_has_ref(&dec->lavc.pics, ts) ?
			 DAEDALUS_STATUS_OK : DAEDALUS_STATUS_CORRUPT;
	result->bytesused = job->picture.format->sizeimage;
	result->bytes_copied = (uint64_t)bytes;
	return 0;
}

static int vp9_decode(void *decoder, const struct dd_job *job,
		      struct dd_result *result)
{
	struct vp9_dec *dec = decoder;
	const struct v4l2_ctrl_vp9_frame *f = &job->msg->params.vp9.frame;
	struct dd_vp9_header h;
	const char *corrupt = NULL;
	unsigned int i;
	int ret;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	if (has_superframe_index(job->bitstream.data, job->bitstream.size)) {
		result->why = "vp9: a superframe in one request (the client must split it)";
		return 0;
	}
	if (dd_vp9_parse_header(job->bitstream.data, job->bitstream.size,
				&dec->slots, &h, &result->why))
		return 0;
	if (h.show_existing_frame)
		return show_existing(dec, job, &h, result);
	result->why = check_control(f, &h);
	if (result->why)
		return 0;
	if (!h.key_frame && !h.intra_only && !refs_match(dec, f, &h))
		corrupt = "vp9: the client's references are not the frames this decoder holds (seek or dropped jobs?)";

	/* The three named references decide (refs_match), not all lavc holds. */
	ret = dd_lavc_decode_picture(&dec->lavc, job, corrupt, 0, result);
	if (ret || result->status == DAEDALUS_STATUS_FAILED)
		return ret;
	dd_vp9_slots_update(&dec->slots, &h);
	for (i = 0; i < DD_VP9_NUM_REF_FRAMES; i++)
		if (h.refresh_frame_flags & (1u << i))
			dec->slot_ts[i] = job->msg->timestamp;

	/*
	 * Decoding may restart where nothing earlier is used: a key frame, or
	 * an intra-only frame that resets every probability context.
	 */
	result->restart = h.key_frame ||
			  (h.intra_only && (h.error_resilient || h.reset_frame_context == 3));
	return 0;
}

static const char *vp9_unavailable(void)
{
	return dd_lavc_backend_unavailable(AV_CODEC_ID_VP9);
}

const struct dd_backend dd_backend_vp9 = {
	.name = "vp9",
	.codec = DAEDALUS_CODEC_VP9,
	.unavailable = vp9_unavailable,
	.open = vp9_open,
	.decode = vp9_decode,
	.close = dd_lavc_backend_close,
};
