/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP8 backend: libavcodec's vp8 decoder behind the V4L2 stateless VP8
 * uAPI.  The OUTPUT buffer holds one whole frame (frame tag, first
 * partition, token partitions), fed to lavc as it is; the FRAME control is
 * checked against the frame tag and key-frame header, and a job where
 * they disagree is refused.  Hidden frames (an alt-ref with show_frame =
 * 0) land in their own job's CAPTURE buffer like any other.
 *
 * Which slot a frame refreshes is coded inside the first partition, so the
 * references a client names are checked only for being pictures lavc
 * decoded and still holds intact; that is also all a new stream (STREAMON,
 * a seek) changes.
 */

#include "backend.h"
#include "lavc_decoder.h"
#include "vp8_header.h"

struct vp8_dec {
	struct dd_lavc_decoder lavc;	/* first: dd_lavc_backend_open() */
};

static int vp8_open(void **decoder, const struct dd_decoder_config *cfg)
{
	return dd_lavc_backend_open(decoder, sizeof(struct vp8_dec),
				    AV_CODEC_ID_VP8, cfg);
}

/* Why the FRAME control contradicts the frame, or NULL. */
static const char *check_control(const struct v4l2_ctrl_vp8_frame *f,
				 const struct dd_vp8_header *h)
{
	if (!!(f->flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME) != h->key_frame ||
	    !!(f->flags & V4L2_VP8_FRAME_FLAG_SHOW_FRAME) != h->show_frame)
		return "vp8: FRAME control flags contradict the frame tag";
	if (f->version != h->version)
		return "vp8: FRAME control version contradicts the frame tag";
	if (f->first_part_size != h->first_part_size)
		return "vp8: FRAME control first_part_size contradicts the frame tag";
	if (h->key_frame && (f->width != h->width || f->height != h->height ||
			     f->horizontal_scale != h->horizontal_scale ||
			     f->vertical_scale != h->vertical_scale))
		return "vp8: FRAME control size contradicts the key frame header";
	return NULL;
}

static int refs_held(struct vp8_dec *dec, const struct v4l2_ctrl_vp8_frame *f)
{
	struct dd_lavc_pictures *pics = &dec->lavc.pics;

	return dd_lavc_pictures_has_ref(pics, f->last_frame_ts) &&
	       dd_lavc_pictures_has_ref(pics, f->golden_frame_ts) &&
	       dd_lavc_pictures_has_ref(pics, f->alt_frame_ts);
}

static int vp8_decode(void *decoder, const struct dd_job *job,
		      struct dd_result *result)
{
	struct vp8_dec *dec = decoder;
	const struct v4l2_ctrl_vp8_frame *f = &job->msg->params.vp8.frame;
	struct dd_vp8_header h;
	const char *corrupt = NULL;
	int ret;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	if (dd_vp8_parse_header(job->bitstream.data, job->bitstream.size, &h,
				&result->why))
		return 0;
	result->why = check_control(f, &h);
	if (result->why)
		return 0;
	if (!h.key_frame && !refs_held(dec, f))
		corrupt = "vp8: the client's references are not frames this decoder holds (seek or dropped jobs?)";

	/*
	 * Without the refresh flags (coded inside the first partition) the
	 * golden and alt-ref lavc predicts from are not mirrored: any
	 * tainted picture it holds counts.
	 */
	ret = dd_lavc_decode_picture(&dec->lavc, job, corrupt, !h.key_frame,
				     result);
	result->restart = h.key_frame;
	return ret;
}

/* lavc's slice threads decode macroblock rows of different partitions. */
static unsigned int vp8_parallelism(void *decoder, const struct dd_job *job)
{
	(void)decoder;
	return job->msg->params.vp8.frame.num_dct_parts;
}

static const char *vp8_unavailable(void)
{
	return dd_lavc_backend_unavailable(AV_CODEC_ID_VP8);
}

const struct dd_backend dd_backend_vp8 = {
	.name = "vp8",
	.codec = DAEDALUS_CODEC_VP8,
	.unavailable = vp8_unavailable,
	.open = vp8_open,
	.decode = vp8_decode,
	.parallelism = vp8_parallelism,
	.close = dd_lavc_backend_close,
};
